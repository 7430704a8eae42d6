#pragma once

#include <cstdint>
#include <limits>

namespace sluice::runtime::expr {

/// The watermark that the operator running on this thread has received, for
/// CURRENT_WATERMARK(rowtime): the subtask runner sets it around each call into an operator
/// (a batch or a watermark), so that every chain an operator evaluates sees its own input's
/// watermark. std::numeric_limits<int64_t>::min() when none has arrived yet.
int64_t CurrentWatermark();

/// Sets CurrentWatermark() for the calls made while it lives, then restores the previous value
/// (operators of a chain call each other).
class WatermarkScope {
 public:
  explicit WatermarkScope(int64_t watermark);
  ~WatermarkScope();
  WatermarkScope(const WatermarkScope&) = delete;
  WatermarkScope& operator=(const WatermarkScope&) = delete;

 private:
  int64_t previous_;
};

}  // namespace sluice::runtime::expr
