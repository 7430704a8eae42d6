#include "runtime/state/snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "catalog/base/crash_point.h"
#include "runtime/state/incremental_checkpoint.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/snapshot_internal.h"
#include "runtime/state/state_file.h"

namespace sluice::runtime::state {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using detail::HashFile;
using detail::kMetadataName;
using detail::NewMetadata;
using detail::NodesOf;
using detail::PrepareDirectory;
using detail::WriteAtomically;
constexpr std::string_view kChecksumKey = "\"checksum\": \"";
constexpr std::string_view kZeroChecksum = "0000000000000000";

base::Status Error(base::ErrorCode code, std::string message) {
  return base::Status::Error(code, std::move(message));
}

std::string Hex(uint64_t value) {
  return fmt::format("{:016x}", value);
}

/// Keeps letters, digits, '-', '_' and '.' of a UID or state name for a file name.
std::string FileNamePart(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out.push_back(keep ? c : '_');
  }
  return out.empty() ? "_" : out;
}

std::string RandomId() {
  std::random_device device;
  std::mt19937_64 random(static_cast<uint64_t>(device()) << 32 | device());
  return Hex(random());
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The StateSpec as the schema header of its state files.
std::string SpecText(const plan::StateSpec& spec) {
  static const char* kNamespaces[] = {"none", "window", "time"};
  Json json = {{"name", spec.name},
               {"key_schema", spec.key_schema.ToString()},
               {"namespace", kNamespaces[static_cast<int>(spec.state_namespace)]},
               {"value_schema", spec.value_schema.ToString()},
               {"ttl_ms", spec.ttl_millis}};
  return json.dump();
}

base::Status WriteMetadata(const std::string& directory, SnapshotMetadata* metadata) {
  for (SnapshotFile& file : metadata->files) {
    SLUICE_RETURN_IF_ERROR(HashFile((fs::path(directory) / file.path).string(), &file));
  }
  base::CrashPoint("before-metadata");
  return WriteAtomically((fs::path(directory) / kMetadataName).string(),
                         SnapshotMetadataToJson(*metadata));
}

base::Status Corrupt(const std::string& path, const std::string& what) {
  return Error(base::ErrorCode::kData, fmt::format("'{}' is corrupt: {}", path, what));
}

/// Whether `path`, relative to a snapshot directory, stays inside it — or, with
/// `allow_shared` (native snapshots: incremental checkpoints), names a file of the job's
/// shared area, `../shared/<name>`.
bool IsContainedPath(const std::string& path, bool allow_shared) {
  fs::path relative(path);
  if (path.empty() || relative.is_absolute()) return false;
  std::vector<std::string> parts;
  for (const fs::path& part : relative) parts.push_back(part.string());
  if (allow_shared && parts.size() == 3 && parts[0] == ".." && parts[1] == "shared") {
    return parts[2] != "." && parts[2] != ".." && !parts[2].empty();
  }
  return std::none_of(parts.begin(), parts.end(), [](const std::string& part) {
    return part.empty() || part == "." || part == "..";
  });
}

}  // namespace

namespace detail {

/// The size and XXH3 of a file, streamed.
base::Status HashFile(const std::string& path, SnapshotFile* file) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::vector<char> buffer(1 << 20);
  int64_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    XXH3_64bits_update(state, buffer.data(), static_cast<size_t>(n));
    size += n;
  }
  file->size = size;
  file->checksum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return base::Status::Ok();
}

/// Writes `text` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
base::Status WriteAtomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return base::Status::Error(base::ErrorCode::kIo, fmt::format("cannot create '{}': {}",
                                                                 temporary, std::strerror(errno)));
  }
  size_t written = 0;
  bool ok = true;
  while (ok && written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  ok = ok && ::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    int error = errno;
    ::unlink(temporary.c_str());
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot write '{}': {}", path, std::strerror(error)));
  }
  int dir = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return base::Status::Ok();
}

base::Status PrepareDirectory(const std::string& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    return Error(base::ErrorCode::kIo, fmt::format("cannot create savepoint directory '{}': {}",
                                                   directory, error.message()));
  }
  if (fs::exists(fs::path(directory) / kMetadataName, error)) {
    return Error(base::ErrorCode::kRuntime,
                 fmt::format("'{}' already holds a savepoint", directory));
  }
  if (error) {
    return Error(base::ErrorCode::kIo, fmt::format("cannot use savepoint directory '{}': {}",
                                                   directory, error.message()));
  }
  return base::Status::Ok();
}

SnapshotMetadata NewMetadata(const plan::PlanGraph& plan, const SnapshotOptions& options,
                             const char* format) {
  SnapshotMetadata metadata;
  metadata.format = format;
  metadata.job_name = plan.job_name;
  metadata.job_id = options.job_id;
  metadata.id = options.id.empty() ? RandomId() : options.id;
  metadata.created_millis = NowMillis();
  metadata.plan = plan;
  metadata.source_offsets = options.source_offsets;
  metadata.pending_sink_transactions = options.pending_sink_transactions;
  return metadata;
}

/// The plan node of each subtask's UID; an error for a UID the plan does not have.
base::Result<std::vector<const plan::PlanNode*>> NodesOf(
    const plan::PlanGraph& plan, const std::vector<SubtaskState>& subtasks) {
  std::vector<const plan::PlanNode*> nodes;
  for (const SubtaskState& subtask : subtasks) {
    auto found = std::find_if(plan.nodes.begin(), plan.nodes.end(),
                              [&](const plan::PlanNode& node) { return node.uid == subtask.uid; });
    if (found == plan.nodes.end()) {
      return Error(base::ErrorCode::kRuntime,
                   fmt::format("the plan of job '{}' has no operator with UID '{}'", plan.job_name,
                               subtask.uid));
    }
    if (subtask.backend == nullptr) {
      return Error(base::ErrorCode::kRuntime, fmt::format("no state backend for subtask {} of '{}'",
                                                          subtask.subtask, subtask.uid));
    }
    nodes.push_back(&*found);
  }
  return nodes;
}

}  // namespace detail

std::pair<int32_t, int32_t> KeyGroupRangeOf(int32_t subtask, int32_t parallelism,
                                            int32_t max_parallelism) {
  // The smallest key group k with k * parallelism / max_parallelism >= s is
  // ceil(s * max_parallelism / parallelism).
  auto first_of = [&](int64_t s) {
    return static_cast<int32_t>((s * max_parallelism + parallelism - 1) / parallelism);
  };
  return {first_of(subtask), first_of(subtask + 1) - 1};
}

std::string StateSignature(const plan::PlanNode& node, const plan::StateSpec& spec) {
  // The compiler's signature (keys by lineage, windows, accumulators, …) names the state;
  // the StateSpec tells the tables apart.
  if (node.signature && !node.signature->hash.empty()) {
    std::string text = node.signature->hash + "/" + SpecText(spec);
    return Hex(XXH3_64bits(text.data(), text.size()));
  }
  std::string text =
      fmt::format("{}/{}/{}", plan::OperatorKindName(node.kind), node.kind_version, SpecText(spec));
  return Hex(XXH3_64bits(text.data(), text.size()));
}

std::string SnapshotMetadataToJson(const SnapshotMetadata& metadata) {
  Json json;
  json["format_version"] = metadata.format_version;
  json["format"] = metadata.format;
  json["engine_version"] = metadata.engine_version;
  json["job_name"] = metadata.job_name;
  if (!metadata.job_id.empty()) json["job_id"] = metadata.job_id;
  json["id"] = metadata.id;
  json["created_millis"] = metadata.created_millis;
  json["plan"] = Json::parse(plan::PlanToJson(metadata.plan));
  Json handles = Json::array();
  for (const StateHandle& handle : metadata.handles) {
    handles.push_back({{"uid", handle.uid},
                       {"state", handle.state_name},
                       {"signature", handle.signature},
                       {"file", handle.file},
                       {"first_key_group", handle.first_key_group},
                       {"last_key_group", handle.last_key_group},
                       {"entries", handle.entries},
                       {"bytes", handle.bytes}});
  }
  json["state"] = handles;
  json["source_offsets"] = metadata.source_offsets;
  json["pending_sink_transactions"] = metadata.pending_sink_transactions;
  Json files = Json::array();
  for (const SnapshotFile& file : metadata.files) {
    files.push_back({{"path", file.path}, {"size", file.size}, {"xxh3", Hex(file.checksum)}});
  }
  json["files"] = files;
  // The checksum covers the text itself, with 16 zeros in its own place; it comes last.
  json["checksum"] = std::string(kZeroChecksum);
  std::string text = json.dump(2) + "\n";
  size_t at = text.rfind(kChecksumKey) + kChecksumKey.size();
  text.replace(at, kZeroChecksum.size(), Hex(XXH3_64bits(text.data(), text.size())));
  return text;
}

base::Result<SnapshotMetadata> SnapshotMetadataFromJson(const std::string& text,
                                                        const std::string& path) {
  Json json;
  try {
    json = Json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    return Corrupt(path, fmt::format("not valid JSON ({})", error.what()));
  }
  SnapshotMetadata metadata;
  try {
    metadata.format_version = json.at("format_version").get<int32_t>();
  } catch (const nlohmann::json::exception&) {
    return Corrupt(path, "no format_version");
  }
  if (metadata.format_version > kSnapshotFormatVersion || metadata.format_version < 1) {
    return Error(
        base::ErrorCode::kRuntime,
        fmt::format("'{}' has format version {}; this Sluice ({}) reads versions up to {}", path,
                    metadata.format_version, kEngineVersion, kSnapshotFormatVersion));
  }
  size_t at = text.rfind(kChecksumKey);
  if (at == std::string::npos || at + kChecksumKey.size() + 16 > text.size()) {
    return Corrupt(path, "no checksum");
  }
  at += kChecksumKey.size();
  std::string stored = text.substr(at, 16);
  std::string zeroed = text;
  zeroed.replace(at, 16, kZeroChecksum);
  if (Hex(XXH3_64bits(zeroed.data(), zeroed.size())) != stored) {
    return Corrupt(path, "its checksum does not match its contents");
  }
  try {
    metadata.format = json.at("format").get<std::string>();
    metadata.engine_version = json.at("engine_version").get<std::string>();
    metadata.job_name = json.at("job_name").get<std::string>();
    if (json.contains("job_id")) metadata.job_id = json.at("job_id").get<std::string>();
    metadata.id = json.at("id").get<std::string>();
    metadata.created_millis = json.at("created_millis").get<int64_t>();
    for (const Json& handle : json.at("state")) {
      StateHandle out;
      out.uid = handle.at("uid").get<std::string>();
      out.state_name = handle.at("state").get<std::string>();
      out.signature = handle.at("signature").get<std::string>();
      out.file = handle.at("file").get<std::string>();
      out.first_key_group = handle.at("first_key_group").get<int32_t>();
      out.last_key_group = handle.at("last_key_group").get<int32_t>();
      out.entries = handle.at("entries").get<int64_t>();
      out.bytes = handle.at("bytes").get<int64_t>();
      metadata.handles.push_back(std::move(out));
    }
    metadata.source_offsets =
        json.at("source_offsets").get<std::map<std::string, std::vector<std::string>>>();
    metadata.pending_sink_transactions =
        json.at("pending_sink_transactions").get<std::map<std::string, std::vector<std::string>>>();
    for (const Json& file : json.at("files")) {
      SnapshotFile out;
      out.path = file.at("path").get<std::string>();
      out.size = file.at("size").get<int64_t>();
      out.checksum = std::stoull(file.at("xxh3").get<std::string>(), nullptr, 16);
      metadata.files.push_back(std::move(out));
    }
  } catch (const std::exception& error) {
    return Corrupt(path, fmt::format("unexpected contents ({})", error.what()));
  }
  if (metadata.format != "canonical" && metadata.format != "native") {
    return Corrupt(path, fmt::format("unknown format '{}'", metadata.format));
  }
  auto found = json.find("plan");
  if (found == json.end()) return Corrupt(path, "no plan");
  auto plan = plan::PlanFromJson(found->dump());
  if (!plan.ok()) return Corrupt(path, "its plan: " + plan.status().message());
  metadata.plan = std::move(plan).value();
  return metadata;
}

base::Result<SnapshotMetadata> WriteCanonicalSnapshot(const std::string& directory,
                                                      const plan::PlanGraph& plan,
                                                      const std::vector<SubtaskState>& subtasks,
                                                      const SnapshotOptions& options) {
  SLUICE_RETURN_IF_ERROR(PrepareDirectory(directory));
  SLUICE_ASSIGN_OR_RETURN(auto nodes, NodesOf(plan, subtasks));
  SnapshotMetadata metadata = NewMetadata(plan, options, "canonical");
  for (size_t i = 0; i < subtasks.size(); ++i) {
    const SubtaskState& subtask = subtasks[i];
    const plan::PlanNode& node = *nodes[i];
    std::string folder = fmt::format("state/{}_{}", node.id, FileNamePart(node.uid));
    std::error_code error;
    fs::create_directories(fs::path(directory) / folder, error);
    if (error) {
      return Error(base::ErrorCode::kIo,
                   fmt::format("cannot create '{}/{}': {}", directory, folder, error.message()));
    }
    for (const plan::StateSpec& spec : node.state) {
      SLUICE_ASSIGN_OR_RETURN(StateTable * table, subtask.backend->GetTable(node.uid, spec.name));
      StateHandle handle;
      handle.uid = node.uid;
      handle.state_name = spec.name;
      handle.signature = StateSignature(node, spec);
      handle.first_key_group = subtask.first_key_group;
      handle.last_key_group = subtask.last_key_group;
      handle.file = fmt::format("{}/{}.kg{}-{}", folder, FileNamePart(spec.name),
                                subtask.first_key_group, subtask.last_key_group);
      StateFileHeader header{node.uid, spec.name, SpecText(spec), subtask.first_key_group,
                             subtask.last_key_group};
      std::string path = (fs::path(directory) / handle.file).string();
      SLUICE_ASSIGN_OR_RETURN(auto sections, StateFileWriter::Write(path, header, *table));
      SLUICE_RETURN_IF_ERROR(subtask.backend->status());
      for (const StateFileSection& section : sections) handle.entries += section.entries;
      handle.bytes = static_cast<int64_t>(fs::file_size(path, error));
      metadata.handles.push_back(handle);
      metadata.files.push_back({handle.file, 0, 0});
    }
  }
  SLUICE_RETURN_IF_ERROR(WriteMetadata(directory, &metadata));
  return metadata;
}

base::Result<SnapshotMetadata> WriteNativeSnapshot(const std::string& directory,
                                                   const plan::PlanGraph& plan,
                                                   const std::vector<SubtaskState>& subtasks,
                                                   const SnapshotOptions& options) {
  SLUICE_RETURN_IF_ERROR(PrepareDirectory(directory));
  SLUICE_ASSIGN_OR_RETURN(auto nodes, NodesOf(plan, subtasks));
  SnapshotMetadata metadata = NewMetadata(plan, options, "native");
  std::map<StateBackend*, std::string> folders;
  for (size_t i = 0; i < subtasks.size(); ++i) {
    const SubtaskState& subtask = subtasks[i];
    auto [found, inserted] = subtask.backend != nullptr ? folders.emplace(subtask.backend, "")
                                                        : std::make_pair(folders.end(), false);
    if (inserted) {
      found->second = fmt::format("native/{}", folders.size() - 1);
      std::error_code error;
      fs::create_directories(fs::path(directory) / "native", error);
      if (error) {
        return Error(base::ErrorCode::kIo,
                     fmt::format("cannot create '{}/native': {}", directory, error.message()));
      }
      // Opens every table first, so the checkpoint holds each column family.
      for (const plan::StateSpec& spec : nodes[i]->state) {
        SLUICE_RETURN_IF_ERROR(subtask.backend->GetTable(subtask.uid, spec.name).status());
      }
      SLUICE_RETURN_IF_ERROR(CheckpointRocksDbBackend(
          subtask.backend, (fs::path(directory) / found->second).string()));
      // Runs on the checkpoint coordinator's thread: nothing here may throw.
      fs::path checkpoint = fs::path(directory) / found->second;
      for (fs::recursive_directory_iterator entry(checkpoint, error), end; !error && entry != end;
           entry.increment(error)) {
        bool regular = entry->is_regular_file(error);
        if (error) break;
        if (!regular) continue;
        fs::path relative = fs::relative(entry->path(), directory, error);
        if (error) break;
        metadata.files.push_back({relative.string(), 0, 0});
      }
      if (error) {
        return Error(base::ErrorCode::kIo,
                     fmt::format("cannot list '{}': {}", checkpoint.string(), error.message()));
      }
    }
    for (const plan::StateSpec& spec : nodes[i]->state) {
      SLUICE_ASSIGN_OR_RETURN(StateTable * table,
                              subtask.backend->GetTable(subtask.uid, spec.name));
      StateHandle handle{subtask.uid,
                         spec.name,
                         StateSignature(*nodes[i], spec),
                         found->second,
                         subtask.first_key_group,
                         subtask.last_key_group,
                         0,
                         0};
      table->ForEachInKeyGroups(
          subtask.first_key_group, subtask.last_key_group,
          [&](int32_t, std::string_view key, std::string_view ns, std::string_view value) {
            ++handle.entries;
            handle.bytes += static_cast<int64_t>(key.size() + ns.size() + value.size());
          });
      metadata.handles.push_back(handle);
    }
  }
  SLUICE_RETURN_IF_ERROR(WriteMetadata(directory, &metadata));
  return metadata;
}

base::Status ForgetCommittedTransactions(const std::string& directory) {
  std::string path = (fs::path(directory) / kMetadataName).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(base::ErrorCode::kIo, fmt::format("cannot read '{}'", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SLUICE_ASSIGN_OR_RETURN(SnapshotMetadata metadata, SnapshotMetadataFromJson(text, path));
  if (metadata.pending_sink_transactions.empty()) return base::Status::Ok();
  metadata.pending_sink_transactions.clear();
  return WriteAtomically(path, SnapshotMetadataToJson(metadata));
}

base::Result<Snapshot> ReadSnapshot(const std::string& directory,
                                    const std::string& expected_job_name) {
  std::string path = (fs::path(directory) / kMetadataName).string();
  std::error_code error;
  fs::file_status status = fs::status(directory, error);
  if (status.type() == fs::file_type::not_found) {
    return Error(base::ErrorCode::kIo,
                 fmt::format("savepoint directory '{}' does not exist", directory));
  }
  if (error) {
    return Error(base::ErrorCode::kIo, fmt::format("cannot read savepoint directory '{}': {}",
                                                   directory, error.message()));
  }
  if (status.type() != fs::file_type::directory) {
    return Error(base::ErrorCode::kIo,
                 fmt::format("'{}' is not a directory, so not a savepoint", directory));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(base::ErrorCode::kIo,
                 fmt::format("'{}' is missing: '{}' is not a savepoint or was not completed", path,
                             directory));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Snapshot snapshot;
  snapshot.directory = directory;
  SLUICE_ASSIGN_OR_RETURN(snapshot.metadata, SnapshotMetadataFromJson(text, path));
  const SnapshotMetadata& metadata = snapshot.metadata;
  if (!expected_job_name.empty() && metadata.job_name != expected_job_name) {
    return Error(base::ErrorCode::kWrongJob,
                 fmt::format("savepoint '{}' is of job '{}', not of job '{}'", directory,
                             metadata.job_name, expected_job_name))
        .WithSubject(metadata.job_name);
  }
  std::set<std::string> named;
  bool native = metadata.format == "native";
  for (const StateHandle& handle : metadata.handles) {
    if (!IsContainedPath(handle.file, false)) {
      return Corrupt(path,
                     fmt::format("state file '{}' lies outside '{}'", handle.file, directory));
    }
  }
  for (const SnapshotFile& file : metadata.files) {
    if (!IsContainedPath(file.path, native)) {
      return Corrupt(path, fmt::format("file '{}' lies outside '{}'", file.path, directory));
    }
    fs::path joined = fs::path(directory) / file.path;
    // A shared file of an incremental checkpoint is named as `<job>/shared/<name>`.
    std::string file_path =
        (file.path.rfind("../", 0) == 0 ? joined.lexically_normal() : joined).string();
    named.insert(file.path);
    if (!fs::is_regular_file(file_path, error)) {
      return Error(base::ErrorCode::kIo,
                   fmt::format("'{}' named by '{}' is missing", file_path, path));
    }
    SnapshotFile actual;
    SLUICE_RETURN_IF_ERROR(HashFile(file_path, &actual));
    if (actual.size != file.size) {
      return Corrupt(file_path, fmt::format("{} bytes where '{}' says {} (truncated?)", actual.size,
                                            path, file.size));
    }
    if (actual.checksum != file.checksum) {
      return Corrupt(file_path, fmt::format("checksum {} where '{}' says {}", Hex(actual.checksum),
                                            path, Hex(file.checksum)));
    }
  }
  for (const StateHandle& handle : metadata.handles) {
    if (metadata.format == "canonical" && named.count(handle.file) == 0) {
      return Corrupt(path, fmt::format("state file '{}' has no checksum", handle.file));
    }
  }
  // Every shared file an incremental checkpoint's RocksDB directories use must be one that
  // `_metadata` names (and so verified above, and kept by RemoveUnreferencedSharedFiles).
  for (const std::string& name : named) {
    if (fs::path(name).filename() != kSharedFileListName) continue;
    std::ifstream list(fs::path(directory) / name);
    std::string local, shared;
    while (list >> local >> shared) {
      if (named.count("../shared/" + shared) == 0) {
        return Corrupt(
            path, fmt::format("'{}' uses shared file '{}', which it does not name", name, shared));
      }
    }
  }
  return snapshot;
}

base::Status RestoreInto(const Snapshot& snapshot, const std::string& uid,
                         const std::string& state_name, StateBackend* backend, int32_t first,
                         int32_t last) {
  return RestoreInto(snapshot, uid, state_name, backend, first, last, nullptr);
}

base::Status RestoreInto(const Snapshot& snapshot, const std::string& uid,
                         const std::string& state_name, StateBackend* backend, int32_t first,
                         int32_t last, const RecordRewriter& rewrite) {
  std::vector<const StateHandle*> handles;
  for (const StateHandle& handle : snapshot.metadata.handles) {
    if (handle.uid == uid && handle.state_name == state_name && handle.first_key_group <= last &&
        handle.last_key_group >= first) {
      handles.push_back(&handle);
    }
  }
  if (handles.empty()) return base::Status::Ok();
  std::sort(handles.begin(), handles.end(), [](const StateHandle* a, const StateHandle* b) {
    return a->first_key_group < b->first_key_group;
  });
  auto load = [&](const SortedRecords& records) {
    if (!rewrite) return backend->LoadSorted(uid, state_name, records);
    return backend->LoadSorted(uid, state_name, [&](const RecordSink& sink) -> base::Status {
      return rewrite(records, sink);
    });
  };
  if (snapshot.metadata.format == "native") {
    // Each subtask's checkpoint, read-only, for the part of its range that is wanted.
    return load([&](const RecordSink& sink) -> base::Status {
      for (const StateHandle* handle : handles) {
        SLUICE_RETURN_IF_ERROR(
            ReadRocksDbCheckpoint((fs::path(snapshot.directory) / handle->file).string(), uid,
                                  state_name, std::max(first, handle->first_key_group),
                                  std::min(last, handle->last_key_group), sink));
      }
      return base::Status::Ok();
    });
  }
  return load([&](const RecordSink& sink) -> base::Status {
    // One file in memory at a time, in key-group order.
    for (const StateHandle* handle : handles) {
      std::string path = (fs::path(snapshot.directory) / handle->file).string();
      SLUICE_ASSIGN_OR_RETURN(StateFileReader reader, StateFileReader::Open(path));
      if (reader.header().uid != uid || reader.header().state_name != state_name) {
        return Corrupt(
            path, fmt::format("it holds state '{}' of '{}', not '{}' of '{}'",
                              reader.header().state_name, reader.header().uid, state_name, uid));
      }
      SLUICE_RETURN_IF_ERROR(reader.Read(std::max(first, handle->first_key_group),
                                         std::min(last, handle->last_key_group), sink));
    }
    return base::Status::Ok();
  });
}

}  // namespace sluice::runtime::state
