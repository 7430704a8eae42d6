#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "runtime/operators/operator.h"

namespace sluice::runtime::scheduler {

/// Where a supervised job is in its life (DESIGN §12). CREATED → RESTORING (deciding what to
/// restore from and loading it) → RUNNING → FINISHED; a failure → RESTARTING → RESTORING … or
/// FAILED when the restart strategy gives up; a stop → STOPPING → STOPPED.
enum class JobState {
  kCreated,
  kRestoring,
  kRunning,
  kRestarting,
  kStopping,
  kFinished,
  kFailed,
  kStopped,
};

/// "CREATED", "RESTORING", … (as the HTTP API and SHOW JOBS spell them).
const char* JobStateName(JobState state);
/// Whether a job in `state` has ended for good.
bool IsTerminal(JobState state);

/// One checkpoint or savepoint, completed or failed.
struct CheckpointStats {
  int64_t id = 0;
  operators::BarrierKind kind = operators::BarrierKind::kCheckpoint;
  bool completed = false;
  std::string path;              // its directory (when completed)
  std::string failure;           // why it failed (when not)
  int64_t triggered_millis = 0;  // wall clock, when the barriers were asked for
  int64_t duration_millis = 0;   // from the trigger to `_metadata` written
  int64_t size_bytes = 0;        // the files it wrote (an incremental checkpoint: the new ones)
  int64_t alignment_millis = 0;  // the longest barrier alignment of any subtask
  /// Per operator UID, the bytes of its state in this snapshot (operators without state: none).
  std::map<std::string, int64_t> state_bytes;
};

/// What one subtask did so far, read from any thread (relaxed counters).
struct SubtaskMetrics {
  int32_t subtask = 0;
  int64_t rows_in = 0;   // rows read (a source) or received from upstream
  int64_t rows_out = 0;  // rows sent downstream (a sink's rows are in OperatorMetrics)
  int64_t watermark = operators::kMinWatermark;  // the last one sent downstream
  int64_t inbox_size = 0;
  int64_t inbox_capacity = 0;
  int64_t backpressured_millis = 0;  // time spent waiting for room downstream
  bool finished = false;
};

/// Something a front end may want to show or record. The runtime prints nothing: `sluice
/// run` renders these on stderr, the REPL on its console, `sluice serve` in its job records.
struct JobEvent {
  enum class Kind {
    kState,       // the job moved to `state`
    kNote,        // a line for people (what was restored, from where)
    kReport,      // a block of text to show as it is (the compatibility check's table)
    kWarning,     // something went wrong that the job survived
    kCheckpoint,  // `checkpoint` completed or failed
    kRestart,     // the job failed (`text`) and restarts (the state event follows)
  };
  Kind kind = Kind::kNote;
  JobState state = JobState::kCreated;
  std::string text;
  std::optional<CheckpointStats> checkpoint;
};

/// Receives a job's events, on whatever thread they happen (the coordinator's for
/// checkpoints); must be quick and thread-safe.
using JobListener = std::function<void(const JobEvent&)>;

}  // namespace sluice::runtime::scheduler
