#include "tools/sluice/server/prometheus_text.h"

#include <fmt/format.h>

#include <map>

#include "runtime/scheduler/job_supervisor.h"

namespace sluice::server {

namespace {

/// One metric family: its samples are written together under one HELP and TYPE.
struct Family {
  std::string help;
  std::string type;                  // counter or gauge
  std::vector<std::string> samples;  // `name{labels} value`
};

class Exposition {
 public:
  void Add(const std::string& name, const std::string& type, const std::string& help,
           const std::string& labels, double value) {
    AddSample(name, type, help, labels, fmt::format("{}", value));
  }
  void Add(const std::string& name, const std::string& type, const std::string& help,
           const std::string& labels, int64_t value) {
    AddSample(name, type, help, labels, std::to_string(value));
  }
  std::string Text() const {
    std::string text;
    for (const std::string& name : order_) {
      const Family& family = families_.at(name);
      text += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, family.type);
      for (const std::string& sample : family.samples) text += sample + "\n";
    }
    return text;
  }

 private:
  void AddSample(const std::string& name, const std::string& type, const std::string& help,
                 const std::string& labels, const std::string& value) {
    Family& family = families_[name];
    if (family.help.empty()) {
      family.help = help;
      family.type = type;
      order_.push_back(name);
    }
    family.samples.push_back(Sample(name, labels, value));
  }
  static std::string Sample(const std::string& name, const std::string& labels,
                            const std::string& value) {
    if (labels.empty()) return name + " " + value;
    return fmt::format("{}{{{}}} {}", name, labels, value);
  }
  std::map<std::string, Family> families_;
  std::vector<std::string> order_;
};

/// A watermark worth showing: neither "none yet" nor "end of input".
bool HasWatermark(int64_t watermark) {
  return watermark != runtime::operators::kMinWatermark &&
         watermark != runtime::operators::kMaxWatermark;
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string RenderPrometheus(const std::vector<JobSample>& jobs, double uptime_seconds) {
  using runtime::scheduler::JobState;
  Exposition out;
  out.Add("sluice_server_uptime_seconds", "gauge", "Seconds since the server started.", "",
          uptime_seconds);
  std::map<std::string, int64_t> by_state;
  for (JobState state :
       {JobState::kCreated, JobState::kRestoring, JobState::kRunning, JobState::kRestarting,
        JobState::kStopping, JobState::kFinished, JobState::kFailed, JobState::kStopped}) {
    by_state[runtime::scheduler::JobStateName(state)] = 0;
  }
  for (const JobSample& job : jobs) ++by_state[job.state];
  for (const auto& [state, count] : by_state) {
    out.Add("sluice_jobs", "gauge", "Jobs the server holds, by state.",
            fmt::format("state=\"{}\"", state), count);
  }
  for (const JobSample& job : jobs) {
    const std::string labels = fmt::format("job_id=\"{}\",job_name=\"{}\"",
                                           EscapeLabelValue(job.id), EscapeLabelValue(job.name));
    out.Add("sluice_job_info", "gauge", "One per job, with its state as a label.",
            fmt::format("{},state=\"{}\"", labels, EscapeLabelValue(job.state)), int64_t{1});
    out.Add("sluice_job_restarts_total", "counter",
            "Restarts of the job after failures (all runs of the server).", labels,
            int64_t{job.restarts});
    if (!job.metrics) continue;
    const runtime::scheduler::JobMetrics& metrics = *job.metrics;
    out.Add("sluice_job_checkpoints_completed_total", "counter",
            "Checkpoints and savepoints the job's current attempt completed.", labels,
            metrics.completed_checkpoints);
    out.Add("sluice_job_checkpoints_failed_total", "counter",
            "Checkpoints and savepoints of the job's current attempt that failed.", labels,
            metrics.failed_checkpoints);
    std::map<std::string, int64_t> state_bytes;
    for (auto it = metrics.checkpoints.rbegin(); it != metrics.checkpoints.rend(); ++it) {
      if (!it->completed) continue;
      out.Add("sluice_job_last_checkpoint_duration_seconds", "gauge",
              "Duration of the latest completed checkpoint, from trigger to metadata written.",
              labels, it->duration_millis / 1000.0);
      out.Add("sluice_job_last_checkpoint_size_bytes", "gauge",
              "Bytes the latest completed checkpoint wrote.", labels, it->size_bytes);
      out.Add("sluice_job_last_checkpoint_alignment_seconds", "gauge",
              "The longest barrier alignment of the latest completed checkpoint.", labels,
              it->alignment_millis / 1000.0);
      out.Add("sluice_job_last_checkpoint_id", "gauge",
              "The id of the latest completed checkpoint or savepoint.", labels, it->id);
      state_bytes = it->state_bytes;
      break;
    }
    for (const auto& op : metrics.operators) {
      const std::string op_labels =
          fmt::format("{},operator=\"{}\",kind=\"{}\"", labels, EscapeLabelValue(op.uid),
                      runtime::plan::OperatorKindName(op.kind));
      out.Add("sluice_operator_rows_in_total", "counter",
              "Rows an operator received (a source: read from its splits).", op_labels, op.rows_in);
      out.Add("sluice_operator_rows_out_total", "counter",
              "Rows an operator emitted (a sink: wrote).", op_labels, op.rows_out);
      if (op.late_records_dropped > 0 || op.kind == runtime::plan::OperatorKind::kWindowAggregate) {
        out.Add("sluice_operator_late_rows_dropped_total", "counter",
                "Rows dropped because they came after the watermark had passed their window.",
                op_labels, op.late_records_dropped);
      }
      if (HasWatermark(op.watermark)) {
        out.Add("sluice_operator_watermark_seconds", "gauge",
                "The operator's current watermark, in seconds since the epoch.", op_labels,
                op.watermark / 1000.0);
      }
      auto bytes = state_bytes.find(op.uid);
      if (bytes != state_bytes.end()) {
        out.Add("sluice_operator_state_bytes", "gauge",
                "Bytes of the operator's state in the latest completed checkpoint.", op_labels,
                bytes->second);
      }
    }
    for (const auto& vertex : metrics.vertices) {
      const std::string vertex_uid = vertex.uids.empty() ? "" : vertex.uids.front();
      for (const auto& subtask : vertex.subtasks) {
        const std::string subtask_labels =
            fmt::format("{},vertex=\"{}\",subtask=\"{}\"", labels, EscapeLabelValue(vertex_uid),
                        subtask.subtask);
        out.Add("sluice_subtask_rows_in_total", "counter",
                "Rows a subtask read (a source) or received from upstream.", subtask_labels,
                subtask.rows_in);
        out.Add("sluice_subtask_rows_out_total", "counter", "Rows a subtask sent downstream.",
                subtask_labels, subtask.rows_out);
        out.Add("sluice_subtask_backpressured_seconds_total", "counter",
                "Time a subtask waited for room downstream.", subtask_labels,
                subtask.backpressured_millis / 1000.0);
        out.Add("sluice_subtask_inbox_batches", "gauge", "Batches waiting in a subtask's inbox.",
                subtask_labels, subtask.inbox_size);
        out.Add("sluice_subtask_inbox_capacity_batches", "gauge",
                "How many batches a subtask's inbox holds before upstream waits.", subtask_labels,
                subtask.inbox_capacity);
        if (HasWatermark(subtask.watermark)) {
          out.Add("sluice_subtask_watermark_seconds", "gauge",
                  "The last watermark a subtask sent downstream, in seconds since the epoch.",
                  subtask_labels, subtask.watermark / 1000.0);
        }
      }
    }
  }
  return out.Text();
}

}  // namespace sluice::server
