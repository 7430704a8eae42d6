#pragma once

// Pieces of the snapshot writer shared by the savepoint (snapshot.cpp) and incremental
// checkpoint (incremental_checkpoint.cpp) writers; not part of the public surface.

#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::state::detail {

constexpr const char* kMetadataName = "_metadata";

/// Sets `file`'s size and XXH3 from the file at `path`, read once.
base::Status HashFile(const std::string& path, SnapshotFile* file);
/// Writes `text` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
base::Status WriteAtomically(const std::string& path, const std::string& text);
/// Creates `directory` with its parents; an error when it holds a `_metadata` already.
base::Status PrepareDirectory(const std::string& directory);
/// The metadata of a new snapshot of `plan` in `format` ("canonical" or "native").
SnapshotMetadata NewMetadata(const plan::PlanGraph& plan, const SnapshotOptions& options,
                             const char* format);
/// The plan node of each subtask's UID; an error for a UID the plan does not have or a
/// subtask without a backend.
base::Result<std::vector<const plan::PlanNode*>> NodesOf(const plan::PlanGraph& plan,
                                                         const std::vector<SubtaskState>& subtasks);

}  // namespace sluice::runtime::state::detail
