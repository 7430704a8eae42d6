#include "runtime/expr/current_watermark.h"

namespace sluice::runtime::expr {

namespace {
thread_local int64_t current_watermark = std::numeric_limits<int64_t>::min();
}  // namespace

int64_t CurrentWatermark() {
  return current_watermark;
}

WatermarkScope::WatermarkScope(int64_t watermark) : previous_(current_watermark) {
  current_watermark = watermark;
}

WatermarkScope::~WatermarkScope() {
  current_watermark = previous_;
}

}  // namespace sluice::runtime::expr
