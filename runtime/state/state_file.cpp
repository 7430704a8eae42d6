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

/// Appends to a file through a large buffer; the file is a temporary one renamed into place
/// after fsync (Finish), removed when not finished.
class DurableFile {
 public:
  explicit DurableFile(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp") {}
  ~DurableFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temporary_.c_str());
    }
  }

  base::Status Open() {
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return IoError(path_, fmt::format("cannot create: {}", std::strerror(errno)));
    buffer_.reserve(kBufferBytes);
    return base::Status::Ok();
  }
  uint64_t position() const { return position_; }

  base::Status Append(std::string_view bytes) {
    position_ += bytes.size();
    if (buffer_.size() + bytes.size() > kBufferBytes) {
      SLUICE_RETURN_IF_ERROR(Flush());
      if (bytes.size() >= kBufferBytes) return WriteAll(bytes);
    }
    buffer_.append(bytes);
    return base::Status::Ok();
  }

  base::Status Finish() {
    SLUICE_RETURN_IF_ERROR(Flush());
    int fd = fd_;
    fd_ = -1;
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      int error = errno;
      ::unlink(temporary_.c_str());
      return IoError(path_, fmt::format("cannot sync: {}", std::strerror(error)));
    }
    if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
      int error = errno;
      ::unlink(temporary_.c_str());
      return IoError(path_, fmt::format("cannot rename into place: {}", std::strerror(error)));
    }
    std::string directory = path_.substr(0, path_.find_last_of('/') + 1);
    int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    return base::Status::Ok();
  }

 private:
  static constexpr size_t kBufferBytes = 4 << 20;

  base::Status Flush() {
    SLUICE_RETURN_IF_ERROR(WriteAll(buffer_));
    buffer_.clear();
    return base::Status::Ok();
  }
  base::Status WriteAll(std::string_view bytes) {
    size_t written = 0;
    while (written < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return IoError(path_, fmt::format("cannot write: {}", std::strerror(errno)));
      written += static_cast<size_t>(n);
    }
    // Starts writing back what was written so far while the next records are produced, so
    // that the fsync at the end waits for little (as RocksDB's bytes_per_sync).
    ::sync_file_range(fd_, static_cast<off_t>(synced_),
                      static_cast<off_t>(written_ + written - synced_), SYNC_FILE_RANGE_WRITE);
    written_ += written;
    synced_ = written_;
    return base::Status::Ok();
  }

  std::string path_;
  std::string temporary_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t position_ = 0;
  uint64_t written_ = 0;  // bytes handed to write(2)
  uint64_t synced_ = 0;   // bytes whose write-back was started
};

/// The records of one key group, gathered in one arena and sorted by (key, namespace): the
/// backend's order is not the canonical one, and only one key group is held at a time.
class KeyGroupBuffer {
 public:
  void Add(std::string_view key, std::string_view ns, std::string_view value) {
    entries_.push_back({arena_.size(), static_cast<uint32_t>(key.size()),
                        static_cast<uint32_t>(ns.size()), static_cast<uint32_t>(value.size())});
    arena_.append(key);
    arena_.append(ns);
    arena_.append(value);
  }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  /// Appends the sorted records, encoded, to `out` and empties the buffer.
  void Encode(std::string* out) {
    auto canonical = [this](const Entry& a, const Entry& b) {
      int order = Key(a).compare(Key(b));
      return order != 0 ? order < 0 : Namespace(a) < Namespace(b);
    };
    // A backend's order within a key group is often the canonical one already (RocksDB's for
    // keys of one length): then there is nothing to sort.
    if (!std::is_sorted(entries_.begin(), entries_.end(), canonical)) {
      std::sort(entries_.begin(), entries_.end(), canonical);
    }
    for (const Entry& entry : entries_) {
      for (std::string_view part : {Key(entry), Namespace(entry), Value(entry)}) {
        AppendVarint(part.size(), out);
        out->append(part);
      }
    }
    entries_.clear();
    arena_.clear();
  }

 private:
  struct Entry {
    size_t offset;
    uint32_t key_size;
    uint32_t ns_size;
    uint32_t value_size;
  };
  std::string_view Key(const Entry& e) const {
    return std::string_view(arena_).substr(e.offset, e.key_size);
  }
  std::string_view Namespace(const Entry& e) const {
    return std::string_view(arena_).substr(e.offset + e.key_size, e.ns_size);
  }
  std::string_view Value(const Entry& e) const {
    return std::string_view(arena_).substr(e.offset + e.key_size + e.ns_size, e.value_size);
  }

  std::string arena_;
  std::vector<Entry> entries_;
};

/// Reads `length` bytes at `offset` of `in` into `out`; an error naming `path` if cut short.
base::Status ReadAt(std::ifstream& in, const std::string& path, uint64_t offset, uint64_t length,
                    std::string* out) {
  out->resize(length);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out->data(), static_cast<std::streamsize>(length));
  if (static_cast<uint64_t>(in.gcount()) != length) {
    return Corrupt(path,
                   fmt::format("cut short: {} bytes at offset {} cannot be read", length, offset));
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<StateFileSection>> StateFileWriter::Write(const std::string& path,
                                                                   const StateFileHeader& header,
                                                                   const StateTable& table) {
  DurableFile file(path);
  SLUICE_RETURN_IF_ERROR(file.Open());
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
  SLUICE_RETURN_IF_ERROR(file.Append(out));

  // Key groups arrive in ascending order: each is sorted and written when the next begins.
  std::vector<StateFileSection> sections;
  KeyGroupBuffer buffer;
  int32_t key_group = -1;
  base::Status status = base::Status::Ok();
  auto flush = [&]() {
    if (buffer.empty() || !status.ok()) return;
    StateFileSection section;
    section.key_group = key_group;
    section.entries = static_cast<int64_t>(buffer.size());
    section.offset = file.position();
    out.clear();
    buffer.Encode(&out);
    section.length = out.size();
    section.checksum = Checksum(out);
    sections.push_back(section);
    status = file.Append(out);
  };
  table.ForEachInKeyGroups(
      header.first_key_group, header.last_key_group,
      [&](int32_t group, std::string_view key, std::string_view ns, std::string_view value) {
        if (group != key_group) {
          flush();
          key_group = group;
        }
        buffer.Add(key, ns, value);
      });
  flush();
  SLUICE_RETURN_IF_ERROR(status);

  out.clear();
  PutFixed(&out, sections.size(), 4);
  for (const StateFileSection& section : sections) {
    PutFixed(&out, static_cast<uint64_t>(section.key_group), 2);
    PutFixed(&out, static_cast<uint64_t>(section.entries), 8);
    PutFixed(&out, section.offset, 8);
    PutFixed(&out, section.length, 8);
    PutFixed(&out, section.checksum, 8);
  }
  // The footer's checksum covers the header and the index: what a reader trusts first.
  std::string covered = header_text + out;
  uint64_t index_offset = file.position();
  PutFixed(&out, index_offset, 8);
  PutFixed(&out, Checksum(covered), 8);
  out += kEndMagic;
  SLUICE_RETURN_IF_ERROR(file.Append(out));
  SLUICE_RETURN_IF_ERROR(file.Finish());
  return sections;
}

base::Result<StateFileReader> StateFileReader::Open(const std::string& path) {
  // Only the framing, header and index are read here; records are read section by section.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return IoError(path, fmt::format("cannot open: {}", std::strerror(errno)));
  auto size = static_cast<uint64_t>(in.tellg());
  size_t minimum = kMagic.size() + 4 + 4 + 4 + kFooterBytes;
  std::string head, tail;
  if (size >= minimum) {
    SLUICE_RETURN_IF_ERROR(ReadAt(in, path, 0, kMagic.size() + 8, &head));
    SLUICE_RETURN_IF_ERROR(ReadAt(in, path, size - kFooterBytes, kFooterBytes, &tail));
  }
  if (size < minimum || std::string_view(head).substr(0, kMagic.size()) != kMagic) {
    return Corrupt(path, "not a Sluice state file (bad magic or too short)");
  }
  uint32_t version = static_cast<uint32_t>(GetFixed(head, kMagic.size(), 4));
  if (version != kFormatVersion) {
    return Corrupt(
        path, fmt::format("format version {} (this Sluice reads {})", version, kFormatVersion));
  }
  if (std::string_view(tail).substr(kFooterBytes - kEndMagic.size()) != kEndMagic) {
    return Corrupt(path, "truncated (no end marker)");
  }
  uint64_t footer = size - kFooterBytes;
  uint64_t index_offset = GetFixed(tail, 0, 8);
  uint64_t expected = GetFixed(tail, 8, 8);
  size_t header_at = kMagic.size() + 4;
  uint64_t header_length = GetFixed(head, header_at, 4);
  if (header_at + 4 + header_length > index_offset || index_offset + 4 > footer) {
    return Corrupt(path, "the header or index lies outside the file");
  }
  std::string header_text, index;
  SLUICE_RETURN_IF_ERROR(ReadAt(in, path, header_at + 4, header_length, &header_text));
  SLUICE_RETURN_IF_ERROR(ReadAt(in, path, index_offset, footer - index_offset, &index));
  std::string covered = header_text + index;
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
  uint64_t count = GetFixed(index, 0, 4);
  if (count * kSectionBytes != footer - index_offset - 4) {
    return Corrupt(path, "the index size does not match its section count");
  }
  for (uint64_t i = 0; i < count; ++i) {
    size_t at = 4 + i * kSectionBytes;
    StateFileSection section;
    section.key_group = static_cast<int32_t>(GetFixed(index, at, 2));
    section.entries = static_cast<int64_t>(GetFixed(index, at + 2, 8));
    section.offset = GetFixed(index, at + 10, 8);
    section.length = GetFixed(index, at + 18, 8);
    section.checksum = GetFixed(index, at + 26, 8);
    if (section.offset < header_at + 4 + header_length || section.offset > index_offset ||
        section.length > index_offset - section.offset) {
      return Corrupt(path, fmt::format("key group {} lies outside the file", section.key_group));
    }
    reader.sections_.push_back(section);
  }
  return reader;
}

base::Status StateFileReader::Read(int32_t first, int32_t last,
                                   const RecordVisitor& visitor) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return IoError(path_, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string bytes;  // one section at a time
  for (const StateFileSection& section : sections_) {
    if (section.key_group < first || section.key_group > last) continue;
    SLUICE_RETURN_IF_ERROR(ReadAt(in, path_, section.offset, section.length, &bytes));
    std::string_view records(bytes);
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
