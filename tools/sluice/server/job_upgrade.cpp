// `sluice upgrade`: a running job's text replaced with an exactly-once handover (README
// "Upgrading a running job", DESIGN §12). The simple form: the old version stops with a
// savepoint — a handover barrier: every row before it committed by its sinks, none after it
// emitted — and the new version starts from that savepoint under a run id of its own (its
// sinks' part files and transactional ids never meet the old version's). Nothing is touched
// before the check passes; until the new version runs, a failure to start gives way to the
// old version again, restored from the same savepoint, so the output is as if nothing had
// been asked.
//
// Each upgrade is a record in the job's `upgrades` (job.json), written before every step so a
// server that dies halfway knows where it was:
//   refused        the check found incompatible (or, without allow_dropped_state, dropped)
//                  state: nothing was touched
//   stopping       the old version is being stopped with a savepoint
//   aborted        the stop did not complete: the old version goes on (or resumes)
//   starting       the record names the new version, which starts from the savepoint
//   done           the new version runs (first_checkpoint_millis: its first commit)
//   rolled back    the new version could not start: the old one runs again

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "catalog/base/crash_point.h"
#include "compiler/check/compat_check.h"
#include "runtime/scheduler/job.h"
#include "runtime/state/snapshot.h"
#include "tools/sluice/server/job_server.h"
#include "tools/sluice/server/served_job.h"
#include "tools/sluice/server/server_support.h"
#include "tools/sluice/server/upgrade_version.h"

namespace sluice::server {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::scheduler::JobState;
using namespace support;  // NOLINT: the server's small helpers

namespace {

/// How long the handover waits for the old version to stop, and for a new one to run.
constexpr auto kStopTimeout = std::chrono::minutes(10);
constexpr auto kStartTimeout = std::chrono::minutes(10);

}  // namespace

std::string JobServer::AwaitStarted(ServedJob* job) const {
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    JobState state = job->supervisor->state();
    if (state == JobState::kRunning || runtime::scheduler::IsTerminal(state) ||
        std::chrono::steady_clock::now() >= deadline) {
      return runtime::scheduler::JobStateName(state);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void JobServer::NoteUpgradeRunning(ServedJob* job) const {
  if (job->upgrades.empty()) return;
  json& upgrade = job->upgrades.back();
  std::string phase = upgrade.value("phase", "");
  if (phase == "starting") {
    EndUpgrade(&upgrade, "done");
    upgrade["running_millis"] = NowMillis();
    Note(job, fmt::format("upgrade {}: version {} runs", upgrade.value("number", 0),
                          upgrade.value("to_version", 0)));
  } else if (phase == "rolling back") {
    EndUpgrade(&upgrade, "rolled back");
    upgrade["running_millis"] = NowMillis();
  }
}

void JobServer::NoteUpgradeCheckpoint(ServedJob* job) const {
  if (job->upgrades.empty()) return;
  json& upgrade = job->upgrades.back();
  if (upgrade.value("phase", "") != "done" || upgrade.contains("first_checkpoint_millis")) return;
  upgrade["first_checkpoint_millis"] = NowMillis();
  if (upgrade.contains("stopped_millis")) {
    // The output gap: the old version's last commit to the new version's first.
    upgrade["gap_millis"] = NowMillis() - upgrade["stopped_millis"].get<int64_t>();
  }
  Persist(job);
}

void JobServer::RecoverUpgrade(ServedJob* job) const {
  if (job->upgrades.empty()) return;
  json& upgrade = job->upgrades.back();
  const std::string phase = upgrade.value("phase", "");
  if (phase == "starting") {
    // The record already names the new version and its savepoint: it resumes as any job.
    Log(fmt::format("job {}: upgrade {} resumes its start of version {}", job->id,
                    upgrade.value("number", 0), upgrade.value("to_version", 0)));
    return;
  }
  // In shadow, the new version's run left nothing the output depends on: its sinks wrote
  // nothing before the record said "done" (job_upgrade_shadow.cpp).
  const bool shadow = upgrade.value("mode", "") == "shadow";
  if (shadow) RemoveShadowRun(job, upgrade);
  if (phase == "shadow" || phase == "catching up") {
    upgrade["error"] = "the server went down while the new version caught up";
    EndUpgrade(&upgrade, "aborted");
    Log(fmt::format(
        "job {}: upgrade {} aborted (the server went down while version {} caught "
        "up); version {} resumes",
        job->id, upgrade.value("number", 0), upgrade.value("to_version", 0), job->version));
    std::lock_guard<std::mutex> lock(job->mutex);
    Persist(job);
    return;
  }
  if (phase != "stopping" && phase != "cutting") return;
  // The listener records the savepoint as `resume_from` once the stop is complete (before
  // the sinks commit): from then on only the new version may continue (in shadow too: it
  // starts from the stop's savepoint, as in the simple form).
  const std::string savepoint = job->resume_from;
  const bool stopped =
      !savepoint.empty() && savepoint != upgrade.value("resume_from_before", std::string());
  if (!stopped) {
    upgrade["error"] = "the server went down before the old version's savepoint was complete";
    EndUpgrade(&upgrade, "aborted");
    if (job->state == "STOPPING") job->state = "RUNNING";  // the stop was the upgrade's
    Log(
        fmt::format("job {}: upgrade {} aborted (the server went down during the handover); "
                    "version {} resumes",
                    job->id, upgrade.value("number", 0), job->version));
    std::lock_guard<std::mutex> lock(job->mutex);
    Persist(job);
    return;
  }
  auto pipe = ReadText(job->directory / upgrade.value("to_pipe_file", ""));
  if (!pipe) {
    upgrade["error"] = "the new version's text is missing; the old version resumes";
    EndUpgrade(&upgrade, "aborted");
    job->state = "RUNNING";
    std::lock_guard<std::mutex> lock(job->mutex);
    Persist(job);
    return;
  }
  Version next;
  next.number = upgrade.value("to_version", job->version + 1);
  next.runtime_id = upgrade.value("runtime_id", "");
  next.pipe_file = upgrade.value("to_pipe_file", "");
  next.file_name = upgrade.value("to_file_name", job->file_name);
  next.pipe = *pipe;
  next.parallelism = upgrade.value("to_parallelism", 0);
  next.allow_dropped_state = upgrade.value("allow_dropped_state", false);
  if (upgrade.contains("to_settings") && upgrade["to_settings"].is_object()) {
    for (auto& [key, value] : upgrade["to_settings"].items()) {
      if (value.is_string()) next.settings[key] = value.get<std::string>();
    }
  }
  std::lock_guard<std::mutex> lock(job->mutex);
  Apply(next, savepoint, job);
  job->state = "RUNNING";  // resumed by the caller from `resume_from`, compiled there
  EnterPhase(&upgrade, "starting");
  upgrade["stopped_millis"] = upgrade.value("stopped_millis", NowMillis());
  upgrade["savepoint"] = savepoint;
  Log(
      fmt::format("job {}: upgrade {} continues: the old version stopped with savepoint {}; "
                  "version {} starts from it",
                  job->id, upgrade.value("number", 0), savepoint, next.number));
  Persist(job);
}

ApiResponse JobServer::Upgrade(const std::string& id, const json& request) {
  if (!request.is_object()) return Error(400, "request", "the body must be a JSON object");
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));

  // The new version, as a submission describes it (defaults: the running version's).
  auto candidate = std::make_unique<ServedJob>();
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    candidate->id = job->id;
    candidate->directory = job->directory;
    candidate->file_name = job->file_name;
    candidate->settings = job->settings;
    candidate->parallelism = job->parallelism;
    candidate->version = job->version + 1;
    candidate->upgrades = job->upgrades;
    candidate->runtime_id = job->runtime_id;
  }
  bool dry_run = false;
  ApiResponse error;
  if (!StringMember(request, "pipe", &candidate->pipe, &error) ||
      !StringMember(request, "name", &candidate->file_name, &error) ||
      !BoolMember(request, "dry_run", &dry_run, &error) ||
      !BoolMember(request, "allow_dropped_state", &candidate->allow_dropped_state, &error)) {
    return error;
  }
  // How (README "Upgrading a running job"): auto, the simple handover, or a catch-up in shadow.
  std::string mode = "auto";
  if (!StringMember(request, "mode", &mode, &error)) return error;
  if (mode != "auto" && mode != "simple" && mode != "shadow") {
    return Error(400, "request", "'mode' must be \"auto\", \"simple\" or \"shadow\"");
  }
  if (!request.contains("pipe"))
    return Error(400, "request", "'pipe' (the new .pipe text) is missing");
  if (candidate->pipe.size() > options_.max_pipe_bytes) {
    return Error(413, "request", "the .pipe text is too large");
  }
  if (!IsPlainFileName(candidate->file_name)) {
    return Error(400, "request", "'name' must be a file name without directories");
  }
  if (auto settings = request.find("settings"); settings != request.end() && !settings->is_null()) {
    if (!settings->is_object()) {
      return Error(400, "request", "'settings' must be an object of KEY: VALUE strings");
    }
    candidate->settings.clear();
    for (auto& [key, value] : settings->items()) {
      if (!value.is_string()) {
        return Error(400, "request", fmt::format("setting '{}' must be a string", key));
      }
      candidate->settings[key] = value.get<std::string>();
    }
  }
  if (auto parallelism = request.find("parallelism");
      parallelism != request.end() && !parallelism->is_null()) {
    if (!parallelism->is_number_integer() || parallelism->get<int64_t>() < 1 ||
        parallelism->get<int64_t>() > 1024) {
      return Error(400, "request", "'parallelism' must be an integer from 1 to 1024");
    }
    candidate->parallelism = parallelism->get<int32_t>();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return Error(503, "unavailable", "the server is shutting down");
  }
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    if (job->upgrading) {
      return Error(409, "state", fmt::format("an upgrade of job '{}' is under way", id));
    }
    job->upgrading = true;
  }
  struct Release {
    ServedJob* job;
    ~Release() {
      std::lock_guard<std::mutex> lock(job->mutex);
      job->upgrading = false;
    }
  } release{job.get()};
  if (!job->supervisor || job->supervisor->state() != JobState::kRunning) {
    return Error(
        409, "state",
        fmt::format("job '{}' is {}: only a running job can be upgraded", id,
                    job->supervisor ? runtime::scheduler::JobStateName(job->supervisor->state())
                                    : job->state.c_str()));
  }
  candidate->runtime_id = NewRunId(*job);
  if (auto refused = CompileJob(candidate.get())) return *refused;

  // 1. Check against the latest checkpoint (the running plan before the first one).
  compiler::check::CompatReport report;
  json against;
  std::string latest = job->supervisor->LatestCheckpointDirectory();
  std::optional<runtime::state::SnapshotMetadata> latest_metadata;
  if (latest.empty()) {
    report = compiler::check::CheckCompatibility(job->plan, candidate->plan);
    against = {{"job", id}, {"plan", "running"}};
  } else {
    auto snapshot = runtime::state::ReadSnapshot(latest);
    if (!snapshot.ok()) return Error(500, "snapshot", snapshot.status().message());
    report = compiler::check::CheckCompatibility(*snapshot, candidate->plan);
    against = {{"job", id}, {"checkpoint", latest}};
    latest_metadata = snapshot->metadata;
  }
  json check = json::parse(compiler::check::ReportJson(report), nullptr, false);
  check["against"] = against;
  check["text"] = compiler::check::ReportText(report);
  int32_t incompatible = 0, dropped = 0;
  for (const auto& verdict : report.operators) {
    if (verdict.verdict == compiler::check::Verdict::kIncompatible) ++incompatible;
    if (verdict.verdict == compiler::check::Verdict::kDropped && !verdict.holds_nothing) ++dropped;
  }
  std::string refusal;
  if (incompatible > 0) {
    refusal =
        fmt::format("{} operator(s) cannot restore their state into the new version", incompatible);
  } else if (!report.compatible && !candidate->allow_dropped_state) {
    refusal = fmt::format(
        "the new version drops the state of {} operator(s); upgrade with allow_dropped_state "
        "(--allow-dropped-state) to discard it",
        dropped);
  }
  // How: the simple handover, or the new version catching up in shadow first.
  const std::string ineligible =
      ShadowIneligibility(*job, *candidate, latest_metadata ? &*latest_metadata : nullptr);
  if (mode == "shadow" && !ineligible.empty() && refusal.empty()) {
    return Error(409, "mode", "the new version cannot catch up in shadow: " + ineligible);
  }
  if (mode == "auto") {
    mode = ineligible.empty() && SlowHandover(latest_metadata ? &*latest_metadata : nullptr)
               ? "shadow"
               : "simple";
  }

  if (dry_run) {
    ApiResponse response;
    response.body = {{"id", id},
                     {"dry_run", true},
                     {"from_version", job->version},
                     {"to_version", candidate->version},
                     {"would", refusal.empty() ? "upgrade" : "refuse"},
                     {"mode", mode},
                     {"check", check}};
    if (!refusal.empty()) response.body["reason"] = refusal;
    if (mode == "simple" && !ineligible.empty()) response.body["simple_because"] = ineligible;
    return response;
  }

  json upgrade = {{"number", static_cast<int64_t>(job->upgrades.size()) + 1},
                  {"from_version", job->version},
                  {"to_version", candidate->version},
                  {"to_file_name", candidate->file_name},
                  {"started_millis", NowMillis()},
                  {"verdicts", check.value("operators", json::array())},
                  {"check_text", check["text"]}};
  if (!refusal.empty()) {
    upgrade["phase"] = "refused";
    upgrade["error"] = refusal;
    upgrade["ended_millis"] = NowMillis();
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      job->upgrades.push_back(upgrade);
      Note(job.get(),
           fmt::format("upgrade {} refused: {}", upgrade["number"].get<int64_t>(), refusal));
      Persist(job.get());
    }
    Log(fmt::format("job {}: upgrade refused: {}", id, refusal));
    ApiResponse response = Error(409, "incompatible", "upgrade refused: " + refusal);
    response.body["check"] = check;
    response.body["upgrade"] = upgrade;
    return response;
  }

  // 2. The handover: the new text on disk and the record first, then the stop.
  candidate->pipe_file = fmt::format("job-v{}.pipe", candidate->version);
  base::Status written = WriteAtomically(job->directory / candidate->pipe_file, candidate->pipe);
  if (!written.ok()) return Error(500, "io", written.message());
  upgrade["mode"] = mode;
  if (mode == "simple" && !ineligible.empty()) upgrade["simple_because"] = ineligible;
  upgrade["to_pipe_file"] = candidate->pipe_file;
  upgrade["to_settings"] = candidate->settings;
  upgrade["to_parallelism"] = candidate->parallelism;
  upgrade["allow_dropped_state"] = candidate->allow_dropped_state;
  upgrade["runtime_id"] = candidate->runtime_id;
  if (mode == "shadow") return UpgradeInShadow(job, *candidate, std::move(upgrade));

  EnterPhase(&upgrade, "stopping");
  const Version old = [&] {
    std::lock_guard<std::mutex> lock(job->mutex);
    upgrade["resume_from_before"] = job->resume_from;
    job->upgrades.push_back(upgrade);
    Note(job.get(),
         fmt::format("upgrade {}: version {} -> {}: stopping version {} with a savepoint",
                     upgrade["number"].get<int64_t>(), job->version, candidate->version,
                     job->version));
    Persist(job.get());
    return VersionOf(*job);
  }();
  Log(fmt::format("job {}: upgrade {} to version {}: stopping version {} with a savepoint", id,
                  upgrade["number"].get<int64_t>(), candidate->version, old.number));
  base::CrashPoint("upgrade-stopping");
  Handover handover = StopForHandover(job.get());
  if (handover.error) return *handover.error;
  return StartFromHandover(job, VersionOf(*candidate), old, handover);
}

JobServer::Handover JobServer::StopForHandover(ServedJob* job) {
  Handover handover;
  auto finish = [&](const std::string& failure) {
    std::lock_guard<std::mutex> lock(job->mutex);
    json& record = job->upgrades.back();
    record["error"] = failure;
    EndUpgrade(&record, "aborted");
    Persist(job);
    return record;
  };
  // Native when the state is in RocksDB: the new version starts from the old one's files by
  // hard links (flat in the state's size) wherever an operator's state layout is unchanged.
  auto savepoint = job->supervisor->StopWithSavepoint((job->directory / "savepoints").string(),
                                                      /*native_if_rocksdb=*/true);
  if (!savepoint.ok()) {
    // The job goes on as it was (a stop whose savepoint fails does not stop it).
    json record = finish("the old version's savepoint failed: " + savepoint.status().message());
    handover.error = Error(409, "savepoint", record["error"].get<std::string>());
    handover.error->body["upgrade"] = record;
    return handover;
  }
  auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (!runtime::scheduler::IsTerminal(job->supervisor->state()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (job->thread.joinable()) job->thread.join();
  handover.stopped_millis = NowMillis();
  if (job->supervisor->state() != JobState::kStopped) {
    json record = finish(fmt::format("the old version ended {} instead of stopping",
                                     runtime::scheduler::JobStateName(job->supervisor->state())));
    handover.error = Error(500, "upgrade", record["error"].get<std::string>());
    handover.error->body["upgrade"] = record;
    return handover;
  }
  handover.savepoint = *savepoint;
  return handover;
}

ApiResponse JobServer::StartFromHandover(const std::shared_ptr<ServedJob>& job, const Version& next,
                                         const Version& old, const Handover& handover) {
  const std::string& savepoint = handover.savepoint;
  const std::string id = job->id;
  base::CrashPoint("upgrade-stopped");
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    Apply(next, savepoint, job.get());
    job->savepoint = savepoint;
    json& record = job->upgrades.back();
    EnterPhase(&record, "starting");
    record["stopped_millis"] = handover.stopped_millis;
    record["savepoint"] = savepoint;
    Note(job.get(),
         fmt::format("upgrade {}: version {} stopped at savepoint {}; version {} starts "
                     "from it",
                     record["number"].get<int64_t>(), old.number, savepoint, next.number));
    Persist(job.get());
  }
  base::CrashPoint("upgrade-starting");
  std::string failure;
  if (auto refused = StartJob(job, /*resume=*/true)) {
    failure = refused->body["error"].value("message", std::string("it did not start"));
  } else {
    std::string state = AwaitStarted(job.get());
    if (state != "RUNNING") {
      if (job->thread.joinable() && runtime::scheduler::IsTerminal(job->supervisor->state())) {
        job->thread.join();
      }
      std::lock_guard<std::mutex> lock(job->mutex);
      failure = job->failure.empty() ? "it ended " + state + " before running" : job->failure;
    }
  }
  if (failure.empty()) {
    base::CrashPoint("upgrade-running");
    json record;
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      NoteUpgradeRunning(job.get());  // unless its listener did already
      Persist(job.get());
      record = job->upgrades.back();
    }
    Log(fmt::format("job {}: upgraded to version {} (run {})", id, next.number, next.runtime_id));
    ApiResponse response;
    response.body = Summary(*job);
    response.body["upgrade"] = record;
    return response;
  }

  // The new version could not start (it committed nothing): the old one again, from the same
  // savepoint, under a run id of its own.
  if (!runtime::scheduler::IsTerminal(job->supervisor->state())) job->supervisor->Cancel();
  if (job->thread.joinable()) job->thread.join();
  Version back = old;
  back.runtime_id = NewRunId(*job);
  back.checkpoint_directory.clear();
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    Apply(back, savepoint, job.get());
    if (job->checkpoint_directory.empty() && !job->plan.options.count("state.checkpoints.dir")) {
      job->checkpoint_directory = (job->directory / job->CheckpointDirectoryName()).string();
    }
    json& record = job->upgrades.back();
    EnterPhase(&record, "rolling back");
    record["error"] = "version " + std::to_string(next.number) + " did not start: " + failure;
    record["rollback_runtime_id"] = back.runtime_id;
    Note(job.get(), fmt::format("upgrade {}: {}; version {} runs again from savepoint {}",
                                record["number"].get<int64_t>(), record["error"].get<std::string>(),
                                back.number, savepoint));
    Persist(job.get());
  }
  Log(fmt::format("job {}: version {} did not start ({}); rolling back to version {}", id,
                  next.number, failure, back.number));
  base::CrashPoint("upgrade-rolling-back");
  std::string rollback_failure;
  if (auto refused = StartJob(job, /*resume=*/true)) {
    rollback_failure = refused->body["error"].value("message", std::string("it did not start"));
  } else if (AwaitStarted(job.get()) != "RUNNING") {
    std::lock_guard<std::mutex> lock(job->mutex);
    rollback_failure = job->failure;
  }
  json record;
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    json& last = job->upgrades.back();
    if (!rollback_failure.empty()) last["rollback_error"] = rollback_failure;
    EndUpgrade(&last, rollback_failure.empty() ? "rolled back" : "failed");
    Persist(job.get());
    record = last;
  }
  ApiResponse response = Error(
      409, "upgrade",
      rollback_failure.empty()
          ? fmt::format("version {} did not start ({}); version {} runs again from the handover "
                        "savepoint, nothing was lost or written twice",
                        next.number, failure, back.number)
          : fmt::format("version {} did not start ({}), and version {} did not either ({}); "
                        "the job can be submitted again from savepoint {}",
                        next.number, failure, back.number, rollback_failure, savepoint));
  response.body["upgrade"] = record;
  return response;
}

}  // namespace sluice::server
