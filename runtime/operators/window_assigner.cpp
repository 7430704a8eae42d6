#include "runtime/operators/window_assigner.h"

#include <algorithm>
#include <limits>

namespace sluice::runtime::operators {

namespace {

using Wide = __int128;

constexpr Wide kMinTime = std::numeric_limits<int64_t>::min();
constexpr Wide kMaxTime = std::numeric_limits<int64_t>::max();

Wide FloorMod(Wide value, Wide divisor) {
  Wide remainder = value % divisor;
  return remainder < 0 ? remainder + divisor : remainder;
}

}  // namespace

WindowAssigner::WindowAssigner(const plan::WindowSpec& window) : window_(window) {
  if (window_.kind == plan::WindowKind::kTumble || window_.step <= 0) window_.step = window_.size;
}

bool WindowAssigner::EndsOf(int64_t time, std::vector<int64_t>* ends) const {
  ends->clear();
  if (window_.size <= 0 || Wide{time} - window_.size < kMinTime ||
      Wide{time} + 2 * Wide{window_.size} > kMaxTime) {
    return false;
  }
  if (window_.kind == plan::WindowKind::kCumulate) {
    // Every window of the cycle holding `time` that ends after it.
    Wide cycle_start = time - FloorMod(Wide{time} - window_.offset, window_.size);
    for (Wide end = cycle_start + window_.step; end <= cycle_start + window_.size;
         end += window_.step) {
      if (end > time) ends->push_back(static_cast<int64_t>(end));
    }
    return true;
  }
  // TUMBLE (step = size) and HOP: windows starting in (time - size, time], aligned to the step.
  Wide last_start = time - FloorMod(Wide{time} - window_.offset, window_.step);
  for (Wide start = last_start; start > Wide{time} - window_.size; start -= window_.step) {
    ends->push_back(static_cast<int64_t>(start + window_.size));
  }
  std::sort(ends->begin(), ends->end());
  return true;
}

int64_t WindowAssigner::StartOf(int64_t window_end) const {
  if (window_.kind == plan::WindowKind::kCumulate) {
    Wide last = Wide{window_end} - 1;
    return static_cast<int64_t>(last - FloorMod(last - window_.offset, window_.size));
  }
  return window_end - window_.size;
}

}  // namespace sluice::runtime::operators
