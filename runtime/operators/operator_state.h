#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "catalog/base/status.h"
#include "runtime/operators/operator.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

/// The key groups the subtask of `context` owns (from its index, parallelism and the job's
/// max parallelism). After a restore at another parallelism, its backend holds exactly these.
scheduler::KeyGroupRange OwnedKeyGroups(const OperatorContext& context);

/// Visits every entry of `table` in the key groups this subtask owns: what `Open` scans to
/// rebuild in-memory bookkeeping from restored state.
void ForEachOwnedEntry(const OperatorContext& context, const state::StateTable& table,
                       const state::StateTable::EntryVisitor& visitor);

/// An operator's event-time watermark kept in state, so that a restored instance knows which
/// windows have fired and which records are late exactly as the uninterrupted one did.
///
/// Table "watermark" of the operator's UID: one entry per owned key group (empty key and
/// namespace; value: the watermark, 8 bytes big-endian), rewritten whenever the watermark
/// advances, so every key group carries the watermark of the subtask that owned it. On
/// restore the minimum over the owned key groups is taken: when key groups of subtasks with
/// different watermarks merge, the lower one is the only one at which nothing the others
/// still expected is lost (the higher subtask's already-fired windows stay deleted; its late
/// rows between the two watermarks would be accepted, which only happens when a snapshot cuts
/// between the watermark messages one upstream broadcast to several subtasks). No entry
/// (a fresh start) restores kMinWatermark.
class WatermarkState {
 public:
  /// Opens the table and returns the restored watermark (kMinWatermark when there is none).
  base::Result<int64_t> Open(const OperatorContext& context);
  /// Stores `watermark` in every owned key group (call when it advances).
  void Store(int64_t watermark);

 private:
  state::StateTable* table_ = nullptr;
  scheduler::KeyGroupRange range_;
};

}  // namespace sluice::runtime::operators
