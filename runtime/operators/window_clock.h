#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "runtime/expr/time_zone.h"

namespace sluice::runtime::operators {

/// The clock a window operator lays its windows on. Over a TIMESTAMP attribute the rows'
/// times are wall times already; over a TIMESTAMP_LTZ attribute (an instant) windows follow
/// the session time zone (plan::WindowSpec::time_zone), as Flink's do: a day window runs from
/// local midnight to local midnight. The operator works on wall times (row times and
/// watermarks converted on the way in); its window_start and window_end are wall times (Flink's
/// TIMESTAMP columns) and its window_time the instant of the window's last millisecond.
class WindowClock {
 public:
  WindowClock() = default;
  /// `time_zone`: empty (a TIMESTAMP attribute) or a zone id (TimeZone::Find); a UTC zone,
  /// or one Find does not know (a plan never names one), keeps times as they are.
  explicit WindowClock(const std::string& time_zone) {
    if (time_zone.empty()) return;
    auto zone = expr::TimeZone::Find(time_zone);
    if (zone != nullptr && !zone->IsUtc()) zone_ = std::move(zone);
  }

  bool identity() const { return zone_ == nullptr; }

  /// The wall time of instant `time`.
  int64_t ToWall(int64_t time) const {
    if (zone_ == nullptr || IsSentinel(time)) return time;
    int64_t wall = time;
    return __builtin_add_overflow(time, zone_->OffsetAt(time), &wall) ? time : wall;
  }

  /// Watermark `watermark` on the wall clock: a wall time no later instant has an earlier one
  /// (so no row of a window still to come is late), which in the three hours before a
  /// daylight-saving fall-back is up to the change behind the clock (windows fire that much
  /// later, and the same window holds both passes of the repeated hour, as Flink's).
  int64_t WatermarkToWall(int64_t watermark) const {
    if (zone_ == nullptr || IsSentinel(watermark)) return watermark;
    constexpr int64_t kAhead = int64_t{3} * 3600 * 1000;
    int64_t ahead = watermark;
    if (__builtin_add_overflow(watermark, kAhead, &ahead)) ahead = watermark;
    int64_t offset = std::min(zone_->OffsetAt(watermark), zone_->OffsetAt(ahead));
    int64_t wall = watermark;
    return __builtin_add_overflow(watermark, offset, &wall) ? watermark : wall;
  }

  /// The instant of wall time `wall` (java.time's rules in gaps and overlaps).
  int64_t ToInstant(int64_t wall) const {
    if (zone_ == nullptr || IsSentinel(wall)) return wall;
    constexpr int64_t kLimit = int64_t{1} << 60;
    if (wall < -kLimit || wall > kLimit) return wall;
    return zone_->ToUtc(wall);
  }

 private:
  static bool IsSentinel(int64_t time) {
    return time == std::numeric_limits<int64_t>::min() ||
           time == std::numeric_limits<int64_t>::max();
  }

  std::shared_ptr<const expr::TimeZone> zone_;
};

}  // namespace sluice::runtime::operators
