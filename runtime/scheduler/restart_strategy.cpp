#include "runtime/scheduler/restart_strategy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "catalog/base/duration.h"

namespace sluice::runtime::scheduler {

namespace {

/// Reads option `key` of `options` when present, through `parse`.
class OptionValues {
 public:
  explicit OptionValues(const std::map<std::string, std::string>& options) : options_(options) {}

  base::Status Duration(const std::string& key, int64_t* millis) const {
    auto found = options_.find(key);
    if (found == options_.end()) return base::Status::Ok();
    auto parsed = base::ParseDurationMillis(found->second);
    if (!parsed) return Invalid(key, found->second, "a duration such as '10 s' or '500 ms'");
    *millis = *parsed;
    return base::Status::Ok();
  }
  base::Status Count(const std::string& key, int64_t minimum, int64_t* out) const {
    auto found = options_.find(key);
    if (found == options_.end()) return base::Status::Ok();
    char* end = nullptr;
    long long value = std::strtoll(found->second.c_str(), &end, 10);
    if (found->second.empty() || *end != '\0' || value < minimum) {
      return Invalid(key, found->second, fmt::format("a whole number from {}", minimum));
    }
    *out = value;
    return base::Status::Ok();
  }
  base::Status Real(const std::string& key, double minimum, double* out) const {
    auto found = options_.find(key);
    if (found == options_.end()) return base::Status::Ok();
    char* end = nullptr;
    double value = std::strtod(found->second.c_str(), &end);
    if (found->second.empty() || *end != '\0' || !(value >= minimum)) {
      return Invalid(key, found->second, fmt::format("a number from {}", minimum));
    }
    *out = value;
    return base::Status::Ok();
  }

 private:
  static base::Status Invalid(const std::string& key, const std::string& value,
                              const std::string& expected) {
    return base::Status::Error(
               base::ErrorCode::kOption,
               fmt::format("invalid value '{}' for '{}': expected {}", value, key, expected))
        .WithSubject(key);
  }
  const std::map<std::string, std::string>& options_;
};

}  // namespace

base::Result<RestartStrategy> RestartStrategy::FromOptions(
    const std::map<std::string, std::string>& options) {
  RestartStrategy strategy;
  auto type = options.find("restart-strategy.type");
  std::string name = type == options.end() ? "none" : type->second;
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  OptionValues values(options);
  if (name == "none" || name == "off" || name == "disable") {
    strategy.type_ = Type::kNone;
  } else if (name == "fixed-delay" || name == "fixeddelay") {
    strategy.type_ = Type::kFixedDelay;
    SLUICE_RETURN_IF_ERROR(
        values.Count("restart-strategy.fixed-delay.attempts", 0, &strategy.attempts_));
    SLUICE_RETURN_IF_ERROR(values.Duration("restart-strategy.fixed-delay.delay", &strategy.delay_));
  } else if (name == "exponential-delay" || name == "exponentialdelay") {
    strategy.type_ = Type::kExponentialDelay;
    strategy.attempts_ = -1;
    const std::string prefix = "restart-strategy.exponential-delay.";
    SLUICE_RETURN_IF_ERROR(values.Duration(prefix + "initial-backoff", &strategy.initial_backoff_));
    SLUICE_RETURN_IF_ERROR(values.Duration(prefix + "max-backoff", &strategy.max_backoff_));
    SLUICE_RETURN_IF_ERROR(values.Real(prefix + "backoff-multiplier", 1.0, &strategy.multiplier_));
    SLUICE_RETURN_IF_ERROR(
        values.Duration(prefix + "reset-backoff-threshold", &strategy.reset_threshold_));
    SLUICE_RETURN_IF_ERROR(
        values.Count(prefix + "attempts-before-reset-backoff", 1, &strategy.attempts_));
  } else if (name == "failure-rate" || name == "failurerate") {
    strategy.type_ = Type::kFailureRate;
    const std::string prefix = "restart-strategy.failure-rate.";
    SLUICE_RETURN_IF_ERROR(
        values.Count(prefix + "max-failures-per-interval", 1, &strategy.max_failures_));
    SLUICE_RETURN_IF_ERROR(values.Duration(prefix + "failure-rate-interval", &strategy.interval_));
    SLUICE_RETURN_IF_ERROR(values.Duration(prefix + "delay", &strategy.delay_));
  } else {
    return base::Status::Error(
               base::ErrorCode::kOption,
               fmt::format(
                   "invalid value '{}' for 'restart-strategy.type': expected none, fixed-delay, "
                   "exponential-delay or failure-rate",
                   type->second))
        .WithSubject("restart-strategy.type");
  }
  return strategy;
}

int64_t RestartStrategy::OnFailure(int64_t started_millis, int64_t now_millis) {
  switch (type_) {
    case Type::kNone: return -1;
    case Type::kFixedDelay:
      if (restarts_ >= attempts_) return -1;
      ++restarts_;
      return delay_;
    case Type::kExponentialDelay:
      if (now_millis - started_millis >= reset_threshold_) {
        restarts_ = 0;
        backoff_ = 0;
      }
      if (attempts_ >= 0 && restarts_ >= attempts_) return -1;
      ++restarts_;
      backoff_ = backoff_ == 0 ? initial_backoff_
                               : std::min<int64_t>(max_backoff_,
                                                   static_cast<int64_t>(backoff_ * multiplier_));
      return backoff_;
    case Type::kFailureRate:
      failures_.push_back(now_millis);
      while (!failures_.empty() && failures_.front() <= now_millis - interval_) {
        failures_.pop_front();
      }
      if (static_cast<int64_t>(failures_.size()) > max_failures_) return -1;
      ++restarts_;
      return delay_;
  }
  return -1;
}

std::string RestartStrategy::Describe() const {
  switch (type_) {
    case Type::kNone: return "none";
    case Type::kFixedDelay:
      return fmt::format("fixed-delay, attempt {} of {}", restarts_, attempts_);
    case Type::kExponentialDelay:
      return attempts_ < 0
                 ? fmt::format("exponential-delay, attempt {}", restarts_)
                 : fmt::format("exponential-delay, attempt {} of {}", restarts_, attempts_);
    case Type::kFailureRate:
      return fmt::format("failure-rate, {} failure(s) in the last {} ms", failures_.size(),
                         interval_);
  }
  return {};
}

}  // namespace sluice::runtime::scheduler
