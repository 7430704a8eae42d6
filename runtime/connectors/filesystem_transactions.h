#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/base/result.h"

// The part-file bookkeeping of the exactly-once filesystem sink (DESIGN §8): names of the
// three states of a part file, the text of a transaction, and committing and recovering them.
//
// A part file `part-<subtask>-<n>.<ext>` lives in one of three states, all in its directory:
//   `.part-<subtask>-<n>.<ext>.inprogress`  open for writing (never part of a checkpoint);
//   `.part-<subtask>-<n>.<ext>.pending`     closed, waiting for its checkpoint to complete;
//   `part-<subtask>-<n>.<ext>`              committed, visible to readers.
// A transaction names pending files by their visible path relative to the table's path.

namespace sluice::runtime::connectors {

/// Where a part file is in its life.
enum class PartFileState { kInProgress, kPending, kVisible };

/// A part file name taken apart.
struct PartFileName {
  std::string visible_name;  // `part-<subtask>-<n>.<ext>`
  PartFileState state = PartFileState::kVisible;
  int32_t subtask = 0;
  int64_t number = 0;
};

/// Reads a file name as a part file in any state; nullopt for any other file.
std::optional<PartFileName> ParsePartFileName(const std::string& name);

/// `.<visible_name>.inprogress`.
std::string InProgressName(const std::string& visible_name);
/// `.<visible_name>.pending`.
std::string PendingName(const std::string& visible_name);

/// Returns the number after the highest part file of `subtask` in `directory` (0 if none):
/// visible ones only when `count_hidden` is false (a new run then replaces abandoned
/// in-progress files), pending and in-progress ones too when it is true (transactional mode,
/// where hidden files may still be committed or belong to a transaction).
int64_t NextPartNumber(const std::string& directory, int32_t subtask, bool count_hidden);

/// The text of a transaction: `filesystem:` then the relative visible paths separated by
/// `;`, each with `%`, `;` and control characters written as `%XX` (so it is one line).
std::string EncodeFilesystemTransaction(const std::vector<std::string>& relative_paths);
/// Reads a transaction written by EncodeFilesystemTransaction; an empty text names no file.
/// Errors: another connector's text, bad escapes, a path that is absolute, climbs out of the
/// table (`..`) or does not end in a part file name.
base::Result<std::vector<std::string>> DecodeFilesystemTransaction(const std::string& text);

/// Renames `from` to `to` unless `to` exists (atomically where the file system can):
/// returns 0 or the errno (EEXIST when `to` exists).
int RenameNoReplace(const std::string& from, const std::string& to);

/// Makes the pending file of `relative_path` (under `table_path`) visible. Idempotent: a file
/// already visible and without a pending file is fine. Errors name the file: the pending
/// file missing and the visible one absent, or both present (never overwritten).
base::Status CommitPendingFile(const std::string& table_path, const std::string& relative_path);

/// Flushes a directory's entries (renames, creations) to disk.
base::Status SyncDirectory(const std::string& directory);

/// Recovers a table at restore: commits every pending file `transactions` name (idempotently,
/// whatever subtask or parallelism wrote them), then deletes every in-progress file and every
/// pending file they do not name, in the table's directory and, when `partitioned`, in the
/// directories below it. Returns the directories of the files it committed.
base::Result<std::set<std::string>> RecoverFilesystemTable(
    const std::string& table_path, bool partitioned, const std::vector<std::string>& transactions);

}  // namespace sluice::runtime::connectors
