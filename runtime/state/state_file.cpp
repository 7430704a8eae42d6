#include "runtime/state/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "runtime/state/varint.h"

namespace sluice::runtime::state {

namespace {

constexpr std::string_view kMagic = "SLUICE-STATE\n";
constexpr std::string_view kEndMagic = "SLUICE-END\n";
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kSectionBytes = 2 + 8 + 8 + 8 + 8;
constexpr size_t kFooterBytes = 8 + 8 + kEndMagic.size();

void PutFixed(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetFixed(std::string_view bytes, size_t position, int count) {
  uint64_t value = 0;
  for (int i = 0; i < count; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[position + i])) << (8 * i);
  }
  return value;
}

bool GetBytes(std::string_view bytes, size_t* position, std::string_view* out) {
  uint64_t length = 0;
  if (!ReadVarint(bytes, position, &length) || length > bytes.size() - *position) return false;
  *out = bytes.substr(*position, length);
  *position += length;
  return true;
}

uint64_t Checksum(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

base::Status IoError(const std::string& path, const std::string& what) {
  return base::Status::Error(base::ErrorCode::kIo, fmt::format("state file '{}': {}", path, what));
}

base::Status Corrupt(const std::string& path, const std::string& what) {
  return base::Status::Error(base::ErrorCode::kData,
                             fmt::format("state file '{}' is corrupt: {}", path, what));
}

/// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the directory.
base::Status WriteDurably(const std::string& path, std::string_view bytes) {
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(path, fmt::format("cannot create: {}", std::strerror(errno)));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return IoError(path, fmt::format("cannot write: {}", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return IoError(path, fmt::format("cannot sync: {}", std::strerror(error)));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return IoError(path, fmt::format("cannot rename into place: {}", std::strerror(error)));
  }
  std::string directory = path.substr(0, path.find_last_of('/') + 1);
  int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<StateFileSection>> StateFileWriter::Write(const std::string& path,
                                                                   const StateFileHeader& header,
                                                                   const StateTable& table) {
  // Gather the range's entries, sorted by (key group, key, namespace).
  std::vector<std::tuple<int32_t, std::string, std::string, std::string>> entries;
  table.ForEachInKeyGroups(
      header.first_key_group, header.last_key_group,
      [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view value) {
        entries.emplace_back(key_group, std::string(key), std::string(ns), std::string(value));
      });
  std::sort(entries.begin(), entries.end());

  std::string out(kMagic);
  PutFixed(&out, kFormatVersion, 4);
  nlohmann::json json = {{"uid", header.uid},
                         {"state", header.state_name},
                         {"schema", header.schema},
                         {"first_key_group", header.first_key_group},
                         {"last_key_group", header.last_key_group}};
  std::string header_text = json.dump();
  PutFixed(&out, header_text.size(), 4);
  out += header_text;

  std::vector<StateFileSection> sections;
  for (size_t i = 0; i < entries.size();) {
    StateFileSection section;
    section.key_group = std::get<0>(entries[i]);
    section.offset = out.size();
    for (; i < entries.size() && std::get<0>(entries[i]) == section.key_group; ++i) {
      for (const std::string* part :
           {&std::get<1>(entries[i]), &std::get<2>(entries[i]), &std::get<3>(entries[i])}) {
        AppendVarint(part->size(), &out);
        out += *part;
      }
      ++section.entries;
    }
    section.length = out.size() - section.offset;
    section.checksum = Checksum(std::string_view(out).substr(section.offset, section.length));
    sections.push_back(section);
  }

  uint64_t index_offset = out.size();
  PutFixed(&out, sections.size(), 4);
  for (const StateFileSection& section : sections) {
    PutFixed(&out, static_cast<uint64_t>(section.key_group), 2);
    PutFixed(&out, static_cast<uint64_t>(section.entries), 8);
    PutFixed(&out, section.offset, 8);
    PutFixed(&out, section.length, 8);
    PutFixed(&out, section.checksum, 8);
  }
  // The footer's checksum covers the header and the index: what a reader trusts first.
  std::string covered = header_text + out.substr(index_offset);
  PutFixed(&out, index_offset, 8);
  PutFixed(&out, Checksum(covered), 8);
  out += kEndMagic;
  SLUICE_RETURN_IF_ERROR(WriteDurably(path, out));
  return sections;
}

base::Result<StateFileReader> StateFileReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string_view view(bytes);
  size_t minimum = kMagic.size() + 4 + 4 + 4 + kFooterBytes;
  if (view.size() < minimum || view.substr(0, kMagic.size()) != kMagic) {
    return Corrupt(path, "not a Sluice state file (bad magic or too short)");
  }
  uint32_t version = static_cast<uint32_t>(GetFixed(view, kMagic.size(), 4));
  if (version != kFormatVersion) {
    return Corrupt(
        path, fmt::format("format version {} (this Sluice reads {})", version, kFormatVersion));
  }
  if (view.substr(view.size() - kEndMagic.size()) != kEndMagic) {
    return Corrupt(path, "truncated (no end marker)");
  }
  size_t footer = view.size() - kFooterBytes;
  uint64_t index_offset = GetFixed(view, footer, 8);
  uint64_t expected = GetFixed(view, footer + 8, 8);
  size_t header_at = kMagic.size() + 4;
  uint64_t header_length = GetFixed(view, header_at, 4);
  if (header_at + 4 + header_length > index_offset || index_offset + 4 > footer) {
    return Corrupt(path, "the header or index lies outside the file");
  }
  std::string_view header_text = view.substr(header_at + 4, header_length);
  std::string covered = std::string(header_text);
  covered += view.substr(index_offset, footer - index_offset);
  if (Checksum(covered) != expected) return Corrupt(path, "header or index checksum mismatch");

  StateFileReader reader;
  reader.path_ = path;
  try {
    auto json = nlohmann::json::parse(header_text);
    reader.header_.uid = json.at("uid").get<std::string>();
    reader.header_.state_name = json.at("state").get<std::string>();
    reader.header_.schema = json.at("schema").get<std::string>();
    reader.header_.first_key_group = json.at("first_key_group").get<int32_t>();
    reader.header_.last_key_group = json.at("last_key_group").get<int32_t>();
  } catch (const nlohmann::json::exception& error) {
    return Corrupt(path, fmt::format("unreadable header: {}", error.what()));
  }
  uint64_t count = GetFixed(view, index_offset, 4);
  if (count * kSectionBytes != footer - index_offset - 4) {
    return Corrupt(path, "the index size does not match its section count");
  }
  for (uint64_t i = 0; i < count; ++i) {
    size_t at = index_offset + 4 + i * kSectionBytes;
    StateFileSection section;
    section.key_group = static_cast<int32_t>(GetFixed(view, at, 2));
    section.entries = static_cast<int64_t>(GetFixed(view, at + 2, 8));
    section.offset = GetFixed(view, at + 10, 8);
    section.length = GetFixed(view, at + 18, 8);
    section.checksum = GetFixed(view, at + 26, 8);
    if (section.offset < header_at + 4 + header_length || section.offset > index_offset ||
        section.length > index_offset - section.offset) {
      return Corrupt(path, fmt::format("key group {} lies outside the file", section.key_group));
    }
    reader.sections_.push_back(section);
  }
  // Keep the bytes of the records only; sections are verified when read.
  reader.bytes_ = std::move(bytes);
  return reader;
}

base::Status StateFileReader::Read(int32_t first, int32_t last,
                                   const RecordVisitor& visitor) const {
  std::string_view view(bytes_);
  for (const StateFileSection& section : sections_) {
    if (section.key_group < first || section.key_group > last) continue;
    std::string_view records = view.substr(section.offset, section.length);
    if (Checksum(records) != section.checksum) {
      return Corrupt(path_, fmt::format("checksum mismatch in key group {}", section.key_group));
    }
    size_t position = 0;
    for (int64_t i = 0; i < section.entries; ++i) {
      std::string_view key, ns, value;
      if (!GetBytes(records, &position, &key) || !GetBytes(records, &position, &ns) ||
          !GetBytes(records, &position, &value)) {
        return Corrupt(path_,
                       fmt::format("a record of key group {} is cut short", section.key_group));
      }
      SLUICE_RETURN_IF_ERROR(visitor(section.key_group, key, ns, value));
    }
    if (position != records.size()) {
      return Corrupt(
          path_, fmt::format("key group {} has bytes after its last record", section.key_group));
    }
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::state
