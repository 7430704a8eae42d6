#include "runtime/connectors/filesystem_transactions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace sluice::runtime::connectors {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTransactionPrefix = "filesystem:";
constexpr std::string_view kInProgressSuffix = ".inprogress";
constexpr std::string_view kPendingSuffix = ".pending";

base::Status IoError(const std::string& what, const std::string& path, int error_number) {
  return base::Status::Error(base::ErrorCode::kIo,
                             what + " '" + path + "': " + std::strerror(error_number));
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reads a run of 1 to `max_digits` digits at `*position`; nullopt when there is none.
std::optional<int64_t> ReadNumber(std::string_view text, size_t* position, size_t max_digits) {
  size_t start = *position;
  while (*position < text.size() && text[*position] >= '0' && text[*position] <= '9') ++*position;
  size_t length = *position - start;
  if (length == 0 || length > max_digits) return std::nullopt;
  return std::stoll(std::string(text.substr(start, length)));
}

base::Status MalformedTransaction(const std::string& text, const std::string& why) {
  return base::Status::Error(base::ErrorCode::kData,
                             "malformed filesystem sink transaction '" + text + "': " + why);
}

// Checks that `path` names a visible part file inside the table, without climbing out of it.
bool IsRelativePartPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string component = path.substr(start, slash - start);
    if (component.empty() || component == "." || component == "..") return false;
    if (slash == std::string::npos) {
      std::optional<PartFileName> name = ParsePartFileName(component);
      return name && name->state == PartFileState::kVisible;
    }
    start = slash + 1;
  }
}

bool IsJobId(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool SameFile(const std::string& left, const std::string& right) {
  struct stat left_stat {};
  struct stat right_stat {};
  return ::stat(left.c_str(), &left_stat) == 0 && ::stat(right.c_str(), &right_stat) == 0 &&
         left_stat.st_dev == right_stat.st_dev && left_stat.st_ino == right_stat.st_ino;
}

// Lists the hidden part files under `table_path` (one level, or every level when partitioned).
base::Result<std::vector<fs::path>> HiddenPartFiles(const std::string& table_path,
                                                    bool partitioned) {
  std::vector<fs::path> files;
  std::error_code error;
  auto visit = [&](const fs::directory_entry& entry) {
    std::error_code ignored;
    if (!entry.is_regular_file(ignored)) return;
    std::optional<PartFileName> name = ParsePartFileName(entry.path().filename().string());
    if (name && name->state != PartFileState::kVisible) files.push_back(entry.path());
  };
  if (partitioned) {
    fs::recursive_directory_iterator end;
    for (fs::recursive_directory_iterator it(table_path, error); !error && it != end;
         it.increment(error)) {
      visit(*it);
    }
  } else {
    fs::directory_iterator end;
    for (fs::directory_iterator it(table_path, error); !error && it != end; it.increment(error)) {
      visit(*it);
    }
  }
  if (error) return IoError("cannot list directory", table_path, error.value());
  return files;
}

}  // namespace

std::optional<PartFileName> ParsePartFileName(const std::string& name) {
  PartFileName parsed;
  std::string_view visible = name;
  if (!visible.empty() && visible[0] == '.') {
    visible.remove_prefix(1);
    if (EndsWith(visible, kInProgressSuffix)) {
      visible.remove_suffix(kInProgressSuffix.size());
      parsed.state = PartFileState::kInProgress;
    } else if (EndsWith(visible, kPendingSuffix)) {
      visible.remove_suffix(kPendingSuffix.size());
      parsed.state = PartFileState::kPending;
    } else {
      return std::nullopt;
    }
  }
  constexpr std::string_view kPrefix = "part-";
  if (visible.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  size_t position = kPrefix.size();
  // `part-<job id>-<subtask>-<n>`, or `part-<subtask>-<n>` as older versions named them.
  size_t dash = visible.find('-', position);
  if (dash != std::string_view::npos && visible.find('-', dash + 1) != std::string_view::npos) {
    std::string_view job_id = visible.substr(position, dash - position);
    if (!IsJobId(job_id)) return std::nullopt;
    parsed.job_id = std::string(job_id);
    position = dash + 1;
  }
  size_t subtask_start = position;
  std::optional<int64_t> subtask = ReadNumber(visible, &position, 9);
  if (!subtask || position >= visible.size() || visible[position] != '-') return std::nullopt;
  // One spelling per subtask (`part-00-1` is not subtask 0's), as the numbering compares names.
  if (visible.substr(subtask_start, position - subtask_start) != std::to_string(*subtask)) {
    return std::nullopt;
  }
  ++position;
  std::optional<int64_t> number = ReadNumber(visible, &position, 15);
  if (!number || (position < visible.size() && visible[position] != '.')) return std::nullopt;
  parsed.visible_name = std::string(visible);
  parsed.subtask = static_cast<int32_t>(*subtask);
  parsed.number = *number;
  return parsed;
}

std::string InProgressName(const std::string& visible_name) {
  return "." + visible_name + std::string(kInProgressSuffix);
}

std::string PendingName(const std::string& visible_name) {
  return "." + visible_name + std::string(kPendingSuffix);
}

bool IsPartFileJobId(std::string_view text) {
  return IsJobId(text);
}

std::string PartFileStem(const std::string& job_id, int32_t subtask, int64_t number) {
  std::string stem = "part-";
  if (!job_id.empty()) stem += job_id + "-";
  return stem + std::to_string(subtask) + "-" + std::to_string(number);
}

int64_t NextPartNumber(const std::string& directory, const std::string& job_id, int32_t subtask,
                       bool count_hidden) {
  int64_t next = 0;
  std::error_code error;
  fs::directory_iterator end;
  for (fs::directory_iterator it(directory, error); !error && it != end; it.increment(error)) {
    std::optional<PartFileName> name = ParsePartFileName(it->path().filename().string());
    if (!name || name->job_id != job_id || name->subtask != subtask) continue;
    if (!count_hidden && name->state != PartFileState::kVisible) continue;
    next = std::max<int64_t>(next, name->number + 1);
  }
  return next;
}

std::string EncodeFilesystemTransaction(const std::vector<std::string>& relative_paths) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text(kTransactionPrefix);
  for (size_t index = 0; index < relative_paths.size(); ++index) {
    if (index > 0) text.push_back(';');
    for (char c : relative_paths[index]) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '%' || c == ';' || byte < 0x20 || byte == 0x7f) {
        text.push_back('%');
        text.push_back(kHex[byte >> 4]);
        text.push_back(kHex[byte & 0xf]);
      } else {
        text.push_back(c);
      }
    }
  }
  return text;
}

base::Result<std::vector<std::string>> DecodeFilesystemTransaction(const std::string& text) {
  std::vector<std::string> paths;
  if (text.empty()) return paths;
  if (text.compare(0, kTransactionPrefix.size(), kTransactionPrefix) != 0) {
    return MalformedTransaction(text, "it does not start with 'filesystem:'");
  }
  if (text.size() == kTransactionPrefix.size()) return paths;
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string path;
  for (size_t position = kTransactionPrefix.size(); position <= text.size(); ++position) {
    if (position == text.size() || text[position] == ';') {
      if (!IsRelativePartPath(path)) {
        return MalformedTransaction(
            text, "'" + path + "' is not the path of a part file inside the table");
      }
      paths.push_back(std::move(path));
      path.clear();
      continue;
    }
    if (text[position] != '%') {
      path.push_back(text[position]);
      continue;
    }
    int high = position + 2 < text.size() ? hex_value(text[position + 1]) : -1;
    int low = high >= 0 ? hex_value(text[position + 2]) : -1;
    if (low < 0) return MalformedTransaction(text, "bad '%' escape");
    path.push_back(static_cast<char>(high * 16 + low));
    position += 2;
  }
  return paths;
}

int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  int error = errno;
  if (error != EINVAL && error != ENOSYS && error != ENOTSUP) return error;
  // The file system cannot refuse to replace in a rename: a hard link can (EEXIST).
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  if (::unlink(from.c_str()) != 0) return errno;
  return 0;
}

base::Status CommitPendingFile(const std::string& table_path, const std::string& relative_path) {
  fs::path visible_path = fs::path(table_path) / relative_path;
  std::string visible = visible_path.string();
  std::string pending =
      (visible_path.parent_path() / PendingName(visible_path.filename().string())).string();
  int error = RenameNoReplace(pending, visible);
  if (error == 0) return base::Status::Ok();
  if (error == ENOENT) {
    struct stat visible_stat {};
    if (::stat(visible.c_str(), &visible_stat) == 0) return base::Status::Ok();  // committed
    return base::Status::Error(base::ErrorCode::kIo, "cannot commit part file '" + pending +
                                                         "': it is missing and '" + visible +
                                                         "' does not exist");
  }
  if (error == EEXIST) {
    // Left by a commit through a hard link that stopped before removing the pending name.
    if (SameFile(pending, visible)) {
      if (::unlink(pending.c_str()) != 0 && errno != ENOENT) {
        return IoError("cannot delete", pending, errno);
      }
      return base::Status::Ok();
    }
    return base::Status::Error(base::ErrorCode::kIo, "cannot commit part file '" + pending +
                                                         "': '" + visible +
                                                         "' already exists and is another file");
  }
  return IoError("cannot rename '" + pending + "' to", visible, error);
}

base::Status SyncDirectory(const std::string& directory) {
  int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor < 0) return IoError("cannot open directory", directory, errno);
  if (::fsync(descriptor) != 0) {
    int error_number = errno;
    ::close(descriptor);
    return IoError("cannot sync directory", directory, error_number);
  }
  ::close(descriptor);
  return base::Status::Ok();
}

base::Result<std::set<std::string>> RecoverFilesystemTable(
    const std::string& table_path, bool partitioned, const std::vector<std::string>& transactions,
    const std::string& job_id) {
  std::set<std::string> named;
  std::set<std::string> directories;
  for (const std::string& transaction : transactions) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                            DecodeFilesystemTransaction(transaction));
    for (const std::string& path : paths) {
      SLUICE_RETURN_IF_ERROR(CommitPendingFile(table_path, path));
      named.insert(path);
      directories.insert((fs::path(table_path) / path).parent_path().string());
    }
  }
  for (const std::string& directory : directories) SLUICE_RETURN_IF_ERROR(SyncDirectory(directory));

  // In-progress files never belong to a completed checkpoint; pending files not named belong
  // to checkpoints that never completed (or to a crashed run). Only this job's: another job
  // writing the same table may be running.
  SLUICE_ASSIGN_OR_RETURN(std::vector<fs::path> hidden, HiddenPartFiles(table_path, partitioned));
  for (const fs::path& file : hidden) {
    std::optional<PartFileName> name = ParsePartFileName(file.filename().string());
    if (name->job_id != job_id) continue;
    std::string relative =
        (file.lexically_relative(table_path).parent_path() / name->visible_name).generic_string();
    if (name->state == PartFileState::kPending && named.count(relative) > 0) continue;
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot delete", file.string(), errno);
    }
  }
  return directories;
}

}  // namespace sluice::runtime::connectors
