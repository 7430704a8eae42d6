#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"

// The part-file bookkeeping of the exactly-once filesystem sink (DESIGN §8): names of the
// three states of a part file, the text of a transaction, and committing and recovering them.
//
// A part file `part-<job id>-<subtask>-<n>.<ext>` lives in one of three states, all in its
// directory:
//   `.part-<job id>-<subtask>-<n>.<ext>.inprogress`  open for writing (never in a checkpoint);
//   `.part-<job id>-<subtask>-<n>.<ext>.pending`     closed, waiting for its checkpoint;
//   `part-<job id>-<subtask>-<n>.<ext>`              committed, visible to readers.
// The job id (scheduler::JobOptions::job_id: lower-case hex) keeps two jobs writing one table
// from ever racing for a name or discarding each other's files; writers without one (and
// older versions) write `part-<subtask>-<n>.<ext>`.
// A transaction names pending files by their visible path relative to the table's path.

namespace sluice::runtime::connectors {

/// Where a part file is in its life.
enum class PartFileState { kInProgress, kPending, kVisible };

/// A part file name taken apart.
struct PartFileName {
  std::string visible_name;  // `part-<job id>-<subtask>-<n>.<ext>`
  std::string job_id;        // empty in the older `part-<subtask>-<n>` names
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

/// Whether `text` can be the job id in a part file name (1 to 32 lower-case hex digits).
bool IsPartFileJobId(std::string_view text);
/// `part-<job id>-<subtask>-<number>` (`part-<subtask>-<number>` without a job id).
std::string PartFileStem(const std::string& job_id, int32_t subtask, int64_t number);

/// Returns the number after the highest part file of job `job_id`'s `subtask` in `directory`
/// (0 if none):
/// visible ones only when `count_hidden` is false (a new run then replaces abandoned
/// in-progress files), pending and in-progress ones too when it is true (transactional mode,
/// where hidden files may still be committed or belong to a transaction).
int64_t NextPartNumber(const std::string& directory, const std::string& job_id, int32_t subtask,
                       bool count_hidden);

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
/// whatever job, subtask or parallelism wrote them), then deletes every in-progress file and
/// every pending file of job `job_id` they do not name (a crashed run of the same job left
/// them; files of other jobs are never touched), in the table's directory and, when
/// `partitioned`, in the directories below it. Returns the directories of the files it
/// committed.
base::Result<std::set<std::string>> RecoverFilesystemTable(
    const std::string& table_path, bool partitioned, const std::vector<std::string>& transactions,
    const std::string& job_id);

}  // namespace sluice::runtime::connectors
