#include "runtime/operators/operator_state.h"

#include <algorithm>

namespace sluice::runtime::operators {

scheduler::KeyGroupRange OwnedKeyGroups(const OperatorContext& context) {
  return scheduler::KeyGroupRangeOf(context.subtask.index, context.max_parallelism,
                                    std::max(1, context.subtask.parallelism));
}

void ForEachOwnedEntry(const OperatorContext& context, const state::StateTable& table,
                       const state::StateTable::EntryVisitor& visitor) {
  scheduler::KeyGroupRange range = OwnedKeyGroups(context);
  if (range.first > range.last) return;
  table.ForEachInKeyGroups(range.first, range.last, visitor);
}

base::Result<int64_t> WatermarkState::Open(const OperatorContext& context) {
  if (context.state_backend == nullptr) {
    return base::Status::Error(base::ErrorCode::kInternal, "no state backend for the watermark");
  }
  SLUICE_ASSIGN_OR_RETURN(
      table_, context.state_backend->GetTable(context.node->uid, plan::kWatermarkStateName));
  range_ = OwnedKeyGroups(context);
  restored_.assign(std::max(0, range_.last - range_.first + 1), kMinWatermark);
  int32_t found = 0;
  int64_t minimum = kMaxWatermark;
  ForEachOwnedEntry(
      context, *table_,
      [&](int32_t key_group, std::string_view, std::string_view, std::string_view value) {
        if (value.size() != 8) return;
        uint64_t bits = 0;
        for (char byte : value) bits = (bits << 8) | static_cast<uint8_t>(byte);
        auto watermark = static_cast<int64_t>(bits);
        restored_[key_group - range_.first] = watermark;
        minimum = std::min(minimum, watermark);
        max_restored_ = std::max(max_restored_, watermark);
        ++found;
      });
  // A key group without an entry (its old subtask never saw a watermark) is at kMinWatermark.
  if (found < static_cast<int32_t>(restored_.size())) minimum = kMinWatermark;
  return found == 0 ? kMinWatermark : minimum;
}

void WatermarkState::Store(int64_t watermark) {
  if (table_ == nullptr) return;
  std::string value;
  for (int32_t key_group = range_.first; key_group <= range_.last; ++key_group) {
    value.clear();
    auto bits = static_cast<uint64_t>(KeyGroupWatermark(key_group, watermark));
    for (int shift = 56; shift >= 0; shift -= 8) value.push_back(static_cast<char>(bits >> shift));
    table_->Put(key_group, {}, {}, value);
  }
}

}  // namespace sluice::runtime::operators
