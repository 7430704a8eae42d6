#pragma once

// The server's record of one job (job_server.cpp, job_upgrade.cpp).

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job_supervisor.h"
#include "tools/sluice/server/job_server.h"

namespace sluice::server {

/// One job the server holds: its request (kept in `job.json` and `job.pipe`), its compiled
/// plan, its supervisor and what happened to it.
struct JobServer::ServedJob {
  // The submission, as persisted.
  std::string id;
  std::string file_name;
  std::string pipe;
  std::map<std::string, std::string> settings;
  int32_t parallelism = 0;
  std::string from;
  bool allow_dropped_state = false;
  int64_t submitted_millis = 0;
  std::filesystem::path directory;  // <state>/jobs/<id>

  runtime::plan::PlanGraph plan;     // compiled (when it compiled)
  std::string checkpoint_directory;  // the --checkpoint-dir its supervisor gets
  std::unique_ptr<runtime::scheduler::JobSupervisor> supervisor;
  std::thread thread;

  mutable std::mutex mutex;
  std::string state = "CREATED";  // the last state recorded
  /// A savepoint to start from on the next start instead of a checkpoint: the submission's
  /// `from` until the job completed a checkpoint of its own, or the savepoint the server took
  /// when it went down.
  std::string resume_from;
  std::string savepoint;  // the latest savepoint taken of it
  std::string failure;    // why it failed
  int32_t restarts = 0;   // restarts of earlier server runs, plus the supervisor's
  int32_t resumes = 0;    // times a server start resumed it
  int64_t started_millis = 0;
  int64_t ended_millis = 0;
  /// The server is going down without savepoints: the record keeps the job running, so that
  /// the next start resumes it.
  bool detached = false;
  std::deque<nlohmann::json> events;

  // Versions (job_upgrade.cpp): `sluice upgrade` replaces the text a job runs, keeping its id.
  int32_t version = 1;
  /// The job id its runs carry (sinks scope part files and transactional ids to it, so two
  /// versions never collide): `id` until the job is first upgraded, a new one for each start
  /// of another version (and for a rollback). Names its checkpoint directory.
  std::string runtime_id;
  /// The file under `directory` that holds this version's text.
  std::string pipe_file = "job.pipe";
  /// Every upgrade asked of the job, oldest first (UpgradeRecord in job_upgrade.cpp).
  nlohmann::json upgrades = nlohmann::json::array();
  /// An upgrade request is being carried out (one at a time).
  bool upgrading = false;
  /// The new version catching up in shadow during an upgrade (job_upgrade_shadow.cpp), until
  /// it takes over `supervisor` and `thread` at the cut.
  std::unique_ptr<runtime::scheduler::JobSupervisor> shadow_supervisor;
  std::thread shadow_thread;

  const std::string& RunId() const { return runtime_id.empty() ? id : runtime_id; }
  /// The checkpoint directory's name under `directory`: one per run id, so that a resume never
  /// reaches behind the savepoint another version started from.
  std::string CheckpointDirectoryName() const {
    return RunId() == id ? "checkpoints" : "checkpoints-" + RunId();
  }

  nlohmann::json Record() const {
    return {{"id", id},
            {"file_name", file_name},
            {"settings", settings},
            {"parallelism", parallelism},
            {"from", from},
            {"allow_dropped_state", allow_dropped_state},
            {"submitted_millis", submitted_millis},
            {"state", state},
            {"resume_from", resume_from},
            {"savepoint", savepoint},
            {"failure", failure},
            {"restarts", restarts},
            {"resumes", resumes},
            {"ended_millis", ended_millis},
            {"version", version},
            {"runtime_id", RunId()},
            {"pipe_file", pipe_file},
            {"upgrades", upgrades}};
  }
};

}  // namespace sluice::server
