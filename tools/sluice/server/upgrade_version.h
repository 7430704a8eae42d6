#pragma once

// What a version of a served job is, for the upgrade's two forms (job_upgrade.cpp: the simple
// handover; job_upgrade_shadow.cpp: the catch-up in shadow).

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/check/compat_check.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "runtime/state/snapshot.h"
#include "tools/sluice/server/served_job.h"
#include "tools/sluice/server/server_support.h"

namespace sluice::server {

/// What a version is, to switch a job to another and back.
struct JobServer::Version {
  int32_t number = 1;
  std::string runtime_id;
  std::string pipe_file;
  std::string file_name;
  std::string pipe;
  std::map<std::string, std::string> settings;
  int32_t parallelism = 0;
  bool allow_dropped_state = false;
  runtime::plan::PlanGraph plan;
  std::string checkpoint_directory;
};

using Version = JobServer::Version;

inline Version VersionOf(const JobServer::ServedJob& job) {
  return Version{job.version,     job.runtime_id,
                 job.pipe_file,   job.file_name,
                 job.pipe,        job.settings,
                 job.parallelism, job.allow_dropped_state,
                 job.plan,        job.checkpoint_directory};
}

/// Makes `job` run `version` from `savepoint` on its next start (job->mutex held).
inline void Apply(const Version& version, const std::string& savepoint, JobServer::ServedJob* job) {
  job->version = version.number;
  job->runtime_id = version.runtime_id;
  job->pipe_file = version.pipe_file;
  job->file_name = version.file_name;
  job->pipe = version.pipe;
  job->settings = version.settings;
  job->parallelism = version.parallelism;
  job->allow_dropped_state = version.allow_dropped_state;
  job->plan = version.plan;
  job->checkpoint_directory = version.checkpoint_directory;
  job->resume_from = savepoint;
  job->state = "CREATED";
  job->failure.clear();
  job->started_millis = 0;
  job->ended_millis = 0;
}

inline void Note(JobServer::ServedJob* job, const std::string& text) {
  job->events.push_back(
      {{"time_millis", support::NowMillis()}, {"kind", "upgrade"}, {"text", text}});
  if (job->events.size() > 100) job->events.pop_front();
}

/// A run id no version of `job` used.
inline std::string NewRunId(const JobServer::ServedJob& job) {
  for (;;) {
    std::string id = runtime::scheduler::NewJobId();
    bool used = id == job.id || id == job.runtime_id;
    for (const nlohmann::json& upgrade : job.upgrades)
      used = used || upgrade.value("runtime_id", "") == id;
    if (!used && !std::filesystem::exists(job.directory / ("checkpoints-" + id))) return id;
  }
}

/// Why the new version `candidate` of `job` cannot catch up in shadow against the running
/// version's latest checkpoint `latest` (null: none yet); empty when it can
/// (job_upgrade_shadow.cpp).
std::string ShadowIneligibility(const JobServer::ServedJob& job,
                                const JobServer::ServedJob& candidate,
                                const runtime::state::SnapshotMetadata* latest);
/// Whether the job's latest checkpoint `latest` holds enough state for the simple form's gap
/// to grow with it, so that `mode: auto` catches up in shadow instead.
bool SlowHandover(const runtime::state::SnapshotMetadata* latest);

/// Records that the upgrade `record` entered phase `name` (its `phase`, and an entry in its
/// `phases` list with the time), ending the phase before it.
inline void EnterPhase(nlohmann::json* record, const std::string& name) {
  const int64_t now = support::NowMillis();
  nlohmann::json& phases = (*record)["phases"];
  if (!phases.is_array()) phases = nlohmann::json::array();
  if (!phases.empty() && !phases.back().contains("ended_millis")) {
    phases.back()["ended_millis"] = now;
  }
  phases.push_back({{"phase", name}, {"started_millis", now}});
  (*record)["phase"] = name;
}

/// Ends the upgrade `record` in phase `name` (done, aborted, rolled back, …): its last phase.
inline void EndUpgrade(nlohmann::json* record, const std::string& name) {
  const nlohmann::json& phases = (*record)["phases"];
  const bool already = record->value("phase", std::string()) == name && phases.is_array() &&
                       !phases.empty() && phases.back().value("phase", std::string()) == name;
  if (!already) EnterPhase(record, name);
  nlohmann::json& last = (*record)["phases"].back();
  if (!last.contains("ended_millis")) last["ended_millis"] = support::NowMillis();
  if (!record->contains("ended_millis")) (*record)["ended_millis"] = support::NowMillis();
}

}  // namespace sluice::server
