#pragma once

#include <cstdint>
#include <vector>

#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators {

/// The windows of a TUMBLE, HOP or CUMULATE window TVF that hold a time: windows are
/// [start, end), aligned to the epoch plus the window's offset. Not for SESSION windows, which
/// depend on the other rows.
class WindowAssigner {
 public:
  explicit WindowAssigner(const plan::WindowSpec& window);

  /// Sets `ends` to the ends of the windows holding `time`, in ascending order; false when a
  /// window would fall outside the int64 range.
  bool EndsOf(int64_t time, std::vector<int64_t>* ends) const;
  /// The start of the window ending at `window_end`.
  int64_t StartOf(int64_t window_end) const;

 private:
  plan::WindowSpec window_;
};

}  // namespace sluice::runtime::operators
