#include "runtime/state/incremental_checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "catalog/base/crash_point.h"
#include "runtime/state/snapshot_internal.h"

namespace sluice::runtime::state {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSharedPrefix = "../shared/";

base::Status IoError(std::string message) {
  return base::Status::Error(base::ErrorCode::kIo, std::move(message));
}

std::string RandomSuffix() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

/// A plain file name: no directory part, not `.` or `..`.
bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

/// Copies `from` to `to` (created or truncated) in one pass that also hashes it, then fsyncs.
base::Status CopyAndHash(const std::string& from, const std::string& to, SnapshotFile* file) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return IoError(fmt::format("cannot read '{}': {}", from, std::strerror(errno)));
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    int error = errno;
    ::close(in);
    return IoError(fmt::format("cannot create '{}': {}", to, std::strerror(error)));
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::vector<char> buffer(4 << 20);
  int64_t size = 0;
  std::string failure;
  while (failure.empty()) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failure = fmt::format("cannot read '{}': {}", from, std::strerror(errno));
    if (n <= 0) break;
    XXH3_64bits_update(state, buffer.data(), static_cast<size_t>(n));
    size += n;
    for (ssize_t written = 0; written < n && failure.empty();) {
      ssize_t w = ::write(out, buffer.data() + written, static_cast<size_t>(n - written));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) failure = fmt::format("cannot write '{}': {}", to, std::strerror(errno));
      written += w;
    }
    // Write-back starts now, overlapping the next read, instead of all at the fsync.
    ::sync_file_range(out, size - n, n, SYNC_FILE_RANGE_WRITE);
  }
  if (failure.empty() && ::fsync(out) != 0) {
    failure = fmt::format("cannot write '{}': {}", to, std::strerror(errno));
  }
  ::close(in);
  if (::close(out) != 0 && failure.empty()) {
    failure = fmt::format("cannot write '{}': {}", to, std::strerror(errno));
  }
  file->size = size;
  file->checksum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (!failure.empty()) {
    ::unlink(to.c_str());
    return IoError(failure);
  }
  return base::Status::Ok();
}

void SyncDirectory(const fs::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Hard-links `from` to `to`, or copies it when linking fails (another file system).
base::Status LinkOrCopy(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_hard_link(from, to, error);
  if (!error) return base::Status::Ok();
  fs::copy_file(from, to, error);
  if (error) {
    return IoError(
        fmt::format("cannot copy '{}' to '{}': {}", from.string(), to.string(), error.message()));
  }
  return base::Status::Ok();
}

/// The absolute, normalized form of `path` without a trailing separator.
fs::path Normal(const std::string& path) {
  std::error_code error;
  fs::path normal = fs::absolute(path, error);
  if (error) normal = path;  // no working directory: the relative path still names the file
  normal = normal.lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();
  return normal;
}

/// The size and checksum of every shared file named by a `_metadata` of a complete checkpoint
/// under `root` (unreadable ones are skipped: their files are hashed again).
std::map<std::string, SnapshotFile> KnownSharedFiles(const fs::path& root) {
  std::map<std::string, SnapshotFile> known;
  std::error_code error;
  for (fs::directory_iterator entry(root, error), end; !error && entry != end;
       entry.increment(error)) {
    if (entry->path().filename().string().rfind("chk-", 0) != 0) continue;
    fs::path path = entry->path() / detail::kMetadataName;
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto metadata = SnapshotMetadataFromJson(text, path.string());
    if (!metadata.ok()) continue;
    for (const SnapshotFile& file : metadata->files) {
      if (file.path.rfind(kSharedPrefix, 0) == 0) {
        known[file.path.substr(kSharedPrefix.size())] = file;
      }
    }
  }
  return known;
}

/// Copies the files of one captured backend: non-SST files into `native` (adding them to
/// `metadata`, paths relative to `checkpoint`), SST files into `shared` unless there already.
class BackendWriter {
 public:
  BackendWriter(fs::path checkpoint, fs::path shared, std::map<std::string, SnapshotFile>* known,
                std::map<std::string, SnapshotFile>* used, IncrementalCheckpointStats* stats)
      : checkpoint_(std::move(checkpoint)),
        shared_(std::move(shared)),
        known_(known),
        used_(used),
        stats_(stats) {}

  base::Status Write(const CapturedRocksDbFiles& files, const std::string& native,
                     SnapshotMetadata* metadata) {
    fs::path target = checkpoint_ / native;
    std::error_code error;
    fs::create_directories(target, error);
    if (error)
      return IoError(fmt::format("cannot create '{}': {}", target.string(), error.message()));
    for (const std::string& name : files.other_files) {
      SnapshotFile file{native + "/" + name, 0, 0};
      SLUICE_RETURN_IF_ERROR(
          CopyAndHash(files.directory + "/" + name, (target / name).string(), &file));
      stats_->native_bytes += file.size;
      metadata->files.push_back(file);
    }
    std::string list;
    for (const auto& [local, unique] : files.sst_files) {
      SLUICE_RETURN_IF_ERROR(Share(files.directory + "/" + local, unique));
      list += local + " " + unique + "\n";
    }
    SLUICE_RETURN_IF_ERROR(detail::WriteAtomically((target / kSharedFileListName).string(), list));
    SnapshotFile file{native + "/" + kSharedFileListName, 0, 0};
    SLUICE_RETURN_IF_ERROR(detail::HashFile((target / kSharedFileListName).string(), &file));
    metadata->files.push_back(file);
    SyncDirectory(target);
    return base::Status::Ok();
  }

 private:
  /// Makes `shared/<unique>` a copy of `local` and records its size and checksum.
  base::Status Share(const std::string& local, const std::string& unique) {
    if (used_->count(unique) != 0) return base::Status::Ok();
    SnapshotFile file{std::string(kSharedPrefix) + unique, 0, 0};
    fs::path path = shared_ / unique;
    std::error_code error;
    auto local_size = static_cast<int64_t>(fs::file_size(local, error));
    if (error) return IoError(fmt::format("cannot read '{}': {}", local, error.message()));
    auto shared_size = static_cast<int64_t>(fs::file_size(path, error));
    if (!error && shared_size == local_size) {
      // Written by an earlier checkpoint (under its final name only once complete).
      auto found = known_->find(unique);
      if (found != known_->end() && found->second.size == local_size) {
        file = found->second;
      } else {
        SLUICE_RETURN_IF_ERROR(detail::HashFile(path.string(), &file));
      }
      ++stats_->files_reused;
      stats_->bytes_reused += file.size;
    } else {
      std::string temporary = path.string() + ".tmp";
      SLUICE_RETURN_IF_ERROR(CopyAndHash(local, temporary, &file));
      fs::rename(temporary, path, error);
      if (error) {
        return IoError(fmt::format("cannot rename '{}' to '{}': {}", temporary, path.string(),
                                   error.message()));
      }
      ++stats_->files_copied;
      stats_->bytes_copied += file.size;
    }
    file.path = std::string(kSharedPrefix) + unique;
    (*used_)[unique] = file;
    (*known_)[unique] = file;
    return base::Status::Ok();
  }

  fs::path checkpoint_;
  fs::path shared_;
  std::map<std::string, SnapshotFile>* known_;
  std::map<std::string, SnapshotFile>* used_;
  IncrementalCheckpointStats* stats_;
};

}  // namespace

base::Result<SnapshotMetadata> WriteIncrementalCheckpoint(const std::string& directory,
                                                          const std::string& shared_directory,
                                                          const plan::PlanGraph& plan,
                                                          const std::vector<SubtaskState>& subtasks,
                                                          const SnapshotOptions& options,
                                                          IncrementalCheckpointStats* stats) {
  fs::path checkpoint = Normal(directory);
  fs::path root = checkpoint.parent_path();
  if (Normal(shared_directory) != root / "shared") {
    return base::Status::Error(
        base::ErrorCode::kInternal,
        fmt::format("the shared directory of checkpoint '{}' must be '{}', not '{}'", directory,
                    (root / "shared").string(), shared_directory));
  }
  IncrementalCheckpointStats ignored;
  if (stats == nullptr) stats = &ignored;
  *stats = {};
  SLUICE_RETURN_IF_ERROR(detail::PrepareDirectory(directory));
  std::error_code error;
  fs::create_directories(root / "shared", error);
  if (error) {
    return IoError(
        fmt::format("cannot create '{}': {}", (root / "shared").string(), error.message()));
  }
  SLUICE_ASSIGN_OR_RETURN(auto nodes, detail::NodesOf(plan, subtasks));
  SnapshotMetadata metadata = detail::NewMetadata(plan, options, "native");
  std::map<std::string, SnapshotFile> known = KnownSharedFiles(root);
  std::map<std::string, SnapshotFile> used;
  BackendWriter writer(checkpoint, root / "shared", &known, &used, stats);
  std::map<StateBackend*, std::pair<std::string, StateBackend*>> folders;  // native/<k>, copy
  std::vector<std::unique_ptr<StateBackend>> own_copies;
  for (size_t i = 0; i < subtasks.size(); ++i) {
    const SubtaskState& subtask = subtasks[i];
    if (!IsRocksDbBackend(subtask.backend)) {
      return base::Status::Error(base::ErrorCode::kRuntime,
                                 "an incremental checkpoint needs the rocksdb state backend "
                                 "(state.backend.type = 'rocksdb')");
    }
    auto [found, inserted] = folders.emplace(subtask.backend, std::make_pair("", nullptr));
    if (inserted) {
      std::string native = fmt::format("native/{}", folders.size() - 1);
      StateBackend* copy = subtask.backend;
      auto files = ListCapturedRocksDbFiles(copy);
      if (!files.ok()) {
        // A live backend: capture it here (its owner must not be writing to it now).
        for (const plan::StateSpec& spec : nodes[i]->state) {
          SLUICE_RETURN_IF_ERROR(subtask.backend->GetTable(subtask.uid, spec.name).status());
        }
        SLUICE_ASSIGN_OR_RETURN(
            auto captured,
            subtask.backend->Capture(
                (checkpoint / fmt::format(".capture-{}", folders.size() - 1)).string()));
        copy = own_copies.emplace_back(std::move(captured)).get();
        files = ListCapturedRocksDbFiles(copy);
      }
      if (!files.ok()) return files.status();
      SLUICE_RETURN_IF_ERROR(writer.Write(*files, native, &metadata));
      found->second = {native, copy};
    }
    for (const plan::StateSpec& spec : nodes[i]->state) {
      RocksDbTableEstimate estimate =
          EstimateRocksDbTable(found->second.second, subtask.uid, spec.name);
      metadata.handles.push_back({subtask.uid, spec.name, StateSignature(*nodes[i], spec),
                                  found->second.first, subtask.first_key_group,
                                  subtask.last_key_group, estimate.entries, estimate.bytes});
    }
  }
  for (const auto& [name, file] : used) metadata.files.push_back(file);
  SyncDirectory(root / "shared");
  base::CrashPoint("before-metadata");
  SLUICE_RETURN_IF_ERROR(detail::WriteAtomically((checkpoint / detail::kMetadataName).string(),
                                                 SnapshotMetadataToJson(metadata)));
  return metadata;
}

base::Status RemoveUnreferencedSharedFiles(const std::string& job_root) {
  fs::path root(job_root);
  fs::path shared = root / "shared";
  std::error_code error;
  if (!fs::is_directory(shared, error)) return base::Status::Ok();
  std::set<std::string> referenced;
  for (fs::directory_iterator entry(root, error), end; !error && entry != end;
       entry.increment(error)) {
    if (entry->path().filename().string().rfind("chk-", 0) != 0) continue;
    fs::path path = entry->path() / detail::kMetadataName;
    std::error_code missing;
    if (!fs::exists(path, missing)) continue;  // incomplete: protects nothing
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto metadata = SnapshotMetadataFromJson(text, path.string());
    if (!in || !metadata.ok()) {
      return IoError(fmt::format(
          "cannot tell which shared files '{}' needs, so none was deleted: {}", path.string(),
          metadata.ok() ? std::string(std::strerror(errno)) : metadata.status().message()));
    }
    for (const SnapshotFile& file : metadata->files) {
      if (file.path.rfind(kSharedPrefix, 0) == 0) {
        referenced.insert(file.path.substr(kSharedPrefix.size()));
      }
    }
  }
  if (error) return IoError(fmt::format("cannot list '{}': {}", job_root, error.message()));
  base::Status result = base::Status::Ok();
  for (fs::directory_iterator entry(shared, error), end; !error && entry != end;
       entry.increment(error)) {
    if (referenced.count(entry->path().filename().string()) != 0) continue;
    std::error_code removed;
    fs::remove(entry->path(), removed);
    if (removed && result.ok()) {
      result =
          IoError(fmt::format("cannot delete '{}': {}", entry->path().string(), removed.message()));
    }
  }
  if (error) return IoError(fmt::format("cannot list '{}': {}", shared.string(), error.message()));
  return result;
}

base::Result<std::unique_ptr<StateBackend>> RestoreRocksDbBackendNatively(
    const Snapshot& snapshot, const std::vector<const plan::PlanNode*>& nodes, int32_t first,
    int32_t last, const RocksDbBackendOptions& options) {
  std::unique_ptr<StateBackend> none;
  if (snapshot.metadata.format != "native") return none;
  std::string file;
  std::set<std::string> uids;
  for (const plan::PlanNode* node : nodes) {
    uids.insert(node->uid);
    for (const StateHandle& handle : snapshot.metadata.handles) {
      if (handle.uid != node->uid || handle.first_key_group > last ||
          handle.last_key_group < first) {
        continue;
      }
      if (handle.first_key_group != first || handle.last_key_group != last) return none;
      if (!file.empty() && handle.file != file) return none;
      file = handle.file;
      auto spec =
          std::find_if(node->state.begin(), node->state.end(),
                       [&](const plan::StateSpec& s) { return s.name == handle.state_name; });
      if (spec == node->state.end() || StateSignature(*node, *spec) != handle.signature) {
        return none;
      }
    }
  }
  if (file.empty()) return none;
  RocksDbBackendOptions native = options;
  native.initial_checkpoint = (fs::path(snapshot.directory) / file).string();
  SLUICE_ASSIGN_OR_RETURN(auto backend, MakeRocksDbStateBackend(native));
  SLUICE_RETURN_IF_ERROR(RetainRocksDbTables(backend.get(), uids));
  return backend;
}

bool IsIncrementalRocksDbCheckpoint(const std::string& directory) {
  std::error_code error;
  return fs::is_regular_file(fs::path(directory) / kSharedFileListName, error);
}

base::Status MaterializeRocksDbCheckpoint(const std::string& source, const std::string& target) {
  std::error_code error;
  if (fs::exists(target, error)) {
    return base::Status::Error(
        base::ErrorCode::kInternal,
        fmt::format("cannot materialize '{}' into '{}': it exists", source, target));
  }
  fs::create_directories(target, error);
  if (error) return IoError(fmt::format("cannot create '{}': {}", target, error.message()));
  auto fail = [&](base::Status status) {
    std::error_code ignored;
    fs::remove_all(target, ignored);
    return status;
  };
  for (fs::directory_iterator entry(source, error), end; !error && entry != end;
       entry.increment(error)) {
    std::error_code type_error;
    if (!entry->is_regular_file(type_error)) continue;
    std::string name = entry->path().filename().string();
    if (name == kSharedFileListName || name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
    fs::path to = fs::path(target) / name;
    base::Status status = base::Status::Ok();
    if (entry->path().extension() == ".sst") {
      status = LinkOrCopy(entry->path(), to);
    } else {
      std::error_code copy_error;
      fs::copy_file(entry->path(), to, copy_error);
      if (copy_error) {
        status = IoError(
            fmt::format("cannot copy '{}': {}", entry->path().string(), copy_error.message()));
      }
    }
    if (!status.ok()) return fail(status);
  }
  if (error) return fail(IoError(fmt::format("cannot list '{}': {}", source, error.message())));
  if (!IsIncrementalRocksDbCheckpoint(source)) return base::Status::Ok();
  fs::path list_path = fs::path(source) / kSharedFileListName;
  std::ifstream list(list_path);
  fs::path shared = (Normal(source) / "../../../shared").lexically_normal();
  std::string line;
  while (std::getline(list, line)) {
    std::istringstream fields(line);
    std::string local, unique, rest;
    if (!(fields >> local >> unique) || (fields >> rest) || !IsPlainName(local) ||
        !IsPlainName(unique)) {
      return fail(base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("'{}' is corrupt: a malformed line '{}'", list_path.string(), line)));
    }
    fs::path from = shared / unique;
    if (!fs::is_regular_file(from, error)) {
      return fail(IoError(
          fmt::format("shared file '{}' of checkpoint '{}' is missing", from.string(), source)));
    }
    base::Status status = LinkOrCopy(from, fs::path(target) / local);
    if (!status.ok()) return fail(status);
  }
  return base::Status::Ok();
}

base::Result<std::unique_ptr<MaterializedCheckpoint>> MaterializedCheckpoint::Make(
    const std::string& source) {
  // Next to the checkpoint (`<chk>/native/<k>` → `<chk>/.read-…`) hard links work; where
  // nothing can be written there (a read-only mount), copies go to the temporary directory.
  fs::path target = Normal(source).parent_path().parent_path() / (".read-" + RandomSuffix());
  std::error_code error;
  if (fs::create_directory(target, error) && !error) {
    fs::remove(target, error);
  } else {
    std::error_code no_temporary;
    fs::path temporary = fs::temp_directory_path(no_temporary);
    if (no_temporary) temporary = "/tmp";  // $TMPDIR names no directory
    target = temporary / ("sluice-read-" + RandomSuffix());
  }
  SLUICE_RETURN_IF_ERROR(MaterializeRocksDbCheckpoint(source, target.string()));
  return std::unique_ptr<MaterializedCheckpoint>(new MaterializedCheckpoint(target.string()));
}

MaterializedCheckpoint::~MaterializedCheckpoint() {
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

}  // namespace sluice::runtime::state
