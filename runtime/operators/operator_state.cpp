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
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(context.node->uid, "watermark"));
  range_ = OwnedKeyGroups(context);
  bool found = false;
  int64_t minimum = kMaxWatermark;
  ForEachOwnedEntry(context, *table_,
                    [&](int32_t, std::string_view, std::string_view, std::string_view value) {
                      if (value.size() != 8) return;
                      uint64_t bits = 0;
                      for (char byte : value) bits = (bits << 8) | static_cast<uint8_t>(byte);
                      minimum = std::min(minimum, static_cast<int64_t>(bits));
                      found = true;
                    });
  return found ? minimum : kMinWatermark;
}

void WatermarkState::Store(int64_t watermark) {
  if (table_ == nullptr) return;
  std::string value;
  auto bits = static_cast<uint64_t>(watermark);
  for (int shift = 56; shift >= 0; shift -= 8) value.push_back(static_cast<char>(bits >> shift));
  for (int32_t key_group = range_.first; key_group <= range_.last; ++key_group) {
    table_->Put(key_group, {}, {}, value);
  }
}

}  // namespace sluice::runtime::operators
