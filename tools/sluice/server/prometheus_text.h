#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/scheduler/job.h"

namespace sluice::server {

/// What `/metrics` shows of one job.
struct JobSample {
  std::string id;
  std::string name;
  std::string state;  // JobStateName
  int32_t restarts = 0;
  std::optional<runtime::scheduler::JobMetrics> metrics;  // none before its first attempt
};

/// The metrics of every job in Prometheus' text exposition format (version 0.0.4): one
/// `# HELP` and `# TYPE` per family, counters ending in `_total`, times in seconds, labels
/// `job_id`, `job_name`, `operator` (a UID), `vertex` (its first operator's UID), `subtask`.
/// README "Metrics" lists them.
std::string RenderPrometheus(const std::vector<JobSample>& jobs, double uptime_seconds);

/// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& value);

}  // namespace sluice::server
