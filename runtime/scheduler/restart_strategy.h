#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "catalog/base/result.h"

namespace sluice::runtime::scheduler {

/// What a failed job does next (DESIGN §8), with Flink's option names:
///
/// * `restart-strategy.type` = `none` (default; also `off`, `disable`) | `fixed-delay` |
///   `exponential-delay` | `failure-rate` (also without the dash).
/// * `restart-strategy.fixed-delay.attempts` (default 1) and `.delay` (default 1 s).
/// * `restart-strategy.exponential-delay.initial-backoff` (1 s), `.max-backoff` (1 min),
///   `.backoff-multiplier` (1.5), `.reset-backoff-threshold` (1 h: a run that lasted that long
///   starts the backoff afresh), `.attempts-before-reset-backoff` (default: unlimited).
/// * `restart-strategy.failure-rate.max-failures-per-interval` (1),
///   `.failure-rate-interval` (1 min) and `.delay` (1 s).
///
/// A restarted job continues from its latest completed checkpoint (or from the start when it
/// has none). Not thread-safe: one per `sluice run`.
class RestartStrategy {
 public:
  /// Reads the options; an unknown type or a malformed value is an error naming the option
  /// (its key is the Status::subject).
  static base::Result<RestartStrategy> FromOptions(
      const std::map<std::string, std::string>& options);

  /// A run that started at `started_millis` failed at `now_millis`: the delay before the next
  /// attempt in milliseconds, or -1 when the job must fail for good.
  int64_t OnFailure(int64_t started_millis, int64_t now_millis);
  /// "fixed-delay (attempt 1 of 3)" — for the message that announces a restart.
  std::string Describe() const;

 private:
  enum class Type { kNone, kFixedDelay, kExponentialDelay, kFailureRate };

  Type type_ = Type::kNone;
  int64_t attempts_ = 1;  // fixed-delay; exponential-delay (before reset; -1: unlimited)
  int64_t delay_ = 1000;  // fixed-delay, failure-rate
  int64_t initial_backoff_ = 1000;
  int64_t max_backoff_ = 60000;
  double multiplier_ = 1.5;
  int64_t reset_threshold_ = 3600000;
  int64_t max_failures_ = 1;      // failure-rate
  int64_t interval_ = 60000;      // failure-rate
  int64_t restarts_ = 0;          // restarts so far (since the last backoff reset)
  int64_t backoff_ = 0;           // exponential-delay: the last delay
  std::deque<int64_t> failures_;  // failure-rate: failure times within the interval
};

}  // namespace sluice::runtime::scheduler
