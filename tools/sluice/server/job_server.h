#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/scheduler/engine_services.h"

namespace sluice::runtime::scheduler {
struct JobEvent;
struct JobOutcome;
}  // namespace sluice::runtime::scheduler

namespace sluice::server {

/// How `sluice serve` holds its jobs (README "sluice serve").
struct ServerOptions {
  /// Everything the server keeps across restarts: `jobs/<id>/` (the submitted `.pipe` text,
  /// `job.json` with the job's request and last known state, its checkpoints and savepoints)
  /// and `data/`, where relative table paths of submitted jobs point.
  std::string state_directory;
  /// Directories (besides `state_directory`) that submitted jobs may read and write: table
  /// paths, checkpoint and savepoint directories, snapshots to restore from (--allow-path).
  std::vector<std::string> allowed_paths;
  /// `execution.checkpointing.interval` of a job that sets none: a server resumes its jobs
  /// from checkpoints, so they take them unless they say otherwise ("0" turns it off).
  std::string default_checkpoint_interval = "10 s";
  /// Whether CREATE FUNCTION may load shared libraries into the server (--allow-udf).
  bool allow_user_functions = false;
  /// The largest `.pipe` text a submission may carry.
  size_t max_pipe_bytes = 1 << 20;
  /// What the jobs share (threads, timers, JIT); must outlive the server.
  runtime::scheduler::EngineServices* services = nullptr;
  /// Receives the server's log lines (job events, refused requests); any thread.
  std::function<void(const std::string&)> log;
};

/// One answer of the API: an HTTP status and a JSON body. Errors are
/// `{"error": {"code", "message", "diagnostics": [{"line", "column", …}], "rendered"}}`.
struct ApiResponse {
  int status = 200;
  nlohmann::json body;
};

/// What `sluice serve` does, without HTTP (the front end, http_front.cpp, maps routes to
/// these calls): holds many jobs, each run by a runtime::scheduler::JobSupervisor on a thread
/// of its own over one set of engine services, and keeps under the state directory what it
/// needs to bring them back after a crash or a restart — every job that was running resumes
/// from its latest completed checkpoint (its sinks commit exactly once), a job the server
/// stopped with a savepoint on its way down resumes from that savepoint.
class JobServer {
 public:
  /// Creates the state directory if needed, reads the jobs recorded there and resumes those
  /// that were running. A record that cannot be read is reported in the log and skipped.
  static base::Result<std::unique_ptr<JobServer>> Open(ServerOptions options);
  /// Cancels the jobs still running without touching their records: they resume from their
  /// checkpoints when the server starts again (Shutdown stops them first, if wanted).
  ~JobServer();
  JobServer(const JobServer&) = delete;
  JobServer& operator=(const JobServer&) = delete;

  /// POST /v1/jobs: `{"pipe": TEXT, "name": "file.pipe", "settings": {KEY: VALUE},
  /// "parallelism": N, "from": DIR, "allow_dropped_state": BOOL}` → 201 with the job.
  ApiResponse Submit(const nlohmann::json& request);
  /// GET /v1/jobs.
  ApiResponse ListJobs() const;
  /// GET /v1/jobs/{id}: the plan with UIDs, per-operator and per-subtask metrics, checkpoints.
  ApiResponse DescribeJob(const std::string& id) const;
  /// GET /v1/jobs/{id}/pipe: the submitted text (as JSON {"name", "pipe"}).
  ApiResponse JobPipe(const std::string& id) const;
  /// POST /v1/jobs/{id}/savepoints `{"directory": DIR?}`: a savepoint while the job goes on.
  ApiResponse TriggerSavepoint(const std::string& id, const nlohmann::json& request);
  /// POST /v1/jobs/{id}/stop `{"savepoint": BOOL, "directory": DIR?}`: stops the job (with a
  /// savepoint that its sinks commit first) and answers once it has stopped.
  ApiResponse Stop(const std::string& id, const nlohmann::json& request);
  /// POST /v1/jobs/{id}/cancel: stops the job at once, without a savepoint; answers at once.
  ApiResponse Cancel(const std::string& id);
  /// POST /v1/jobs/{id}/upgrade `{"pipe": TEXT, "name", "settings", "parallelism",
  /// "dry_run": BOOL, "allow_dropped_state": BOOL}`: replaces the text the job runs with an
  /// exactly-once handover (job_upgrade.cpp): checks the new text against the job's latest
  /// checkpoint (refusing an incompatible change before anything is touched; `dry_run` stops
  /// there), stops the running version with a savepoint (everything before it committed,
  /// nothing after it emitted) and starts the new one from it; a new version that cannot
  /// start gives way to the old one again, restored from the same savepoint. Answers once the
  /// new version runs, with the upgrade's record (also in GET /v1/jobs/{id}).
  ApiResponse Upgrade(const std::string& id, const nlohmann::json& request);
  /// POST /v1/check `{"pipe": TEXT, "name", "settings", "against": {"job": ID} | {"savepoint":
  /// DIR} | {"pipe": TEXT}}`: `sluice check`'s verdicts.
  ApiResponse Check(const nlohmann::json& request) const;
  /// GET /metrics: Prometheus' text format.
  std::string PrometheusText() const;

  /// SIGTERM: stops every running job — with a savepoint, from which it resumes when the
  /// server starts again, or (with_savepoints = false) at once, leaving it to resume from its
  /// latest checkpoint. Waits until they have stopped.
  void Shutdown(bool with_savepoints);

  /// How many jobs are not in a terminal state.
  int32_t ActiveJobs() const;

  /// One job as the server holds it (served_job.h: for the server's own files).
  struct ServedJob;
  /// A version of a job (upgrade_version.h).
  struct Version;

 private:
  explicit JobServer(ServerOptions options);
  void Log(const std::string& line) const;
  base::Status LoadRecords();
  /// Compiles `job`'s text with its request (paths checked) into job->plan; the error
  /// response on failure.
  std::optional<ApiResponse> CompileJob(ServedJob* job) const;
  /// Starts the job's supervisor thread, restoring as `resume` (the latest checkpoint, or the
  /// savepoint its record names) or the submission's `from`.
  std::optional<ApiResponse> StartJob(const std::shared_ptr<ServedJob>& job, bool resume);
  void Persist(ServedJob* job) const;
  /// What a job's supervisor reports: its record, events and log; and how its run ended.
  void OnJobEvent(ServedJob* job, const runtime::scheduler::JobEvent& event);
  void RecordOutcome(ServedJob* job, const runtime::scheduler::JobOutcome& outcome);

  // The upgrade (job_upgrade.cpp, job_upgrade_shadow.cpp).
  /// The old version's stop at the cut: its savepoint, when it stopped, or the error answer
  /// (the upgrade's record then says "aborted" and the old version goes on).
  struct Handover {
    std::string savepoint;
    int64_t stopped_millis = 0;
    std::optional<ApiResponse> error;
  };
  Handover StopForHandover(ServedJob* job);
  /// Starts `next` from the handover savepoint (the simple form's end); rolls back to `old`
  /// from the same savepoint when it cannot start.
  ApiResponse StartFromHandover(const std::shared_ptr<ServedJob>& job, const Version& next,
                                const Version& old, const Handover& handover);
  /// The upgrade with the new version catching up in shadow first (job_upgrade_shadow.cpp).
  ApiResponse UpgradeInShadow(const std::shared_ptr<ServedJob>& job, const ServedJob& candidate,
                              nlohmann::json upgrade);
  /// Removes what a shadow run of upgrade `upgrade` left (its checkpoints, its base savepoint).
  void RemoveShadowRun(ServedJob* job, const nlohmann::json& upgrade) const;
  /// Upgrade bookkeeping called by a job's listener (job->mutex held): the new version runs;
  /// it completed a checkpoint (the first one ends the upgrade's output gap).
  void NoteUpgradeRunning(ServedJob* job) const;
  void NoteUpgradeCheckpoint(ServedJob* job) const;
  /// At load: an upgrade left in its handover by a crash either continues (the old version's
  /// stop completed: its savepoint is the new version's start) or is undone (the old version
  /// resumes).
  void RecoverUpgrade(ServedJob* job) const;
  /// Waits until the job's current run is RUNNING or has ended; its state name.
  std::string AwaitStarted(ServedJob* job) const;
  std::shared_ptr<ServedJob> Find(const std::string& id) const;
  /// Whether `path` lies inside the state directory or an allowed path; the error response
  /// naming `what` otherwise.
  std::optional<ApiResponse> CheckPath(const std::string& path, const std::string& what) const;
  nlohmann::json Summary(const ServedJob& job) const;

  ServerOptions options_;
  std::string jobs_directory_;
  std::string data_directory_;
  std::vector<std::string> roots_;  // canonical: the state directory and the allowed paths
  int64_t started_millis_ = 0;
  int lock_descriptor_ = -1;  // flock on <state>/server.lock

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<ServedJob>> jobs_;  // in submission order
  bool shutting_down_ = false;
  mutable std::mutex compile_mutex_;
};

}  // namespace sluice::server
