#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

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
/// Table "watermark" (plan::kWatermarkStateName) of the operator's UID: one entry per owned key
/// group (empty key and namespace; value: the watermark, 8 bytes big-endian), rewritten
/// whenever the watermark advances, so every key group carries the watermark it has reached.
///
/// On restore the operator's watermark is the minimum over its owned key groups. Key groups of
/// subtasks with different watermarks can merge when a snapshot cuts between the watermark
/// messages an upstream broadcast to several subtasks: a key group that had reached more keeps
/// its own watermark (`KeyGroupWatermark`: the larger of the two) until the operator's catches
/// up, so its late rows stay late and its fired windows do not fire again. No entry (a fresh
/// start) restores kMinWatermark.
class WatermarkState {
 public:
  /// Opens the table and returns the restored watermark (kMinWatermark when there is none).
  base::Result<int64_t> Open(const OperatorContext& context);
  /// Stores `watermark` in every owned key group (call when it advances).
  void Store(int64_t watermark);
  /// Whether some key group's restored watermark is still ahead of `watermark`.
  bool AnyAhead(int64_t watermark) const { return watermark < max_restored_; }
  /// The watermark `key_group` had reached when it was restored (kMinWatermark without one):
  /// windows of that key group ending at or before it have fired already.
  int64_t RestoredWatermark(int32_t key_group) const {
    return restored_.empty() ? kMinWatermark : restored_[key_group - range_.first];
  }
  /// The watermark of `key_group` when the operator's is `watermark`.
  int64_t KeyGroupWatermark(int32_t key_group, int64_t watermark) const {
    if (watermark >= max_restored_) return watermark;
    return std::max(watermark, restored_[key_group - range_.first]);
  }

 private:
  state::StateTable* table_ = nullptr;
  scheduler::KeyGroupRange range_;
  /// Per owned key group, the restored watermark; max_restored_ the largest.
  std::vector<int64_t> restored_;
  int64_t max_restored_ = kMinWatermark;
};

}  // namespace sluice::runtime::operators
