// `sluice upgrade` with the new version catching up in shadow (DESIGN §12, README "Upgrading
// a running job"): for changes whose restore is slow (migrated state, state kept in memory),
// the new version is restored from a savepoint of the old one *while the old one runs*, and
// catches up with it with its sinks writing nothing (runtime/operators/shadow_control.h). Its
// sources never read past the old version's latest checkpoint. Once it is there, the old
// version stops with a savepoint — the cut, exactly as in the simple form — the new one reads
// up to exactly that savepoint's positions, takes its handover checkpoint there (its sinks own
// everything after it) and is released. The output gap is the last stretch of the catch-up
// plus one checkpoint, whatever the restore costs.
//
// Until the old version stops, any failure (or a server going down) leaves it running and the
// output untouched: the shadow run wrote nothing. Between the stop and the handover, a failure
// of the new version falls back to the simple form from the stop's savepoint. The record's
// phases: shadow → catching up → stopping → cutting → done (or aborted; or, after a fallback,
// starting → done / rolled back).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "catalog/base/crash_point.h"
#include "compiler/check/compat_check.h"
#include "compiler/check/restore_gate.h"
#include "runtime/connectors/connector.h"
#include "runtime/scheduler/job_supervisor.h"
#include "runtime/state/snapshot.h"
#include "tools/sluice/server/job_server.h"
#include "tools/sluice/server/served_job.h"
#include "tools/sluice/server/server_support.h"
#include "tools/sluice/server/upgrade_version.h"

namespace sluice::server {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::scheduler::JobEvent;
using runtime::scheduler::JobState;
using runtime::scheduler::JobSupervisor;
using namespace support;  // NOLINT: the server's small helpers

namespace {

/// How long the new version may take to catch up before the cut is made anyway (the gap then
/// holds the rest of the catch-up), and to reach the cut once the old version stopped.
constexpr auto kCatchUpTimeout = std::chrono::minutes(10);
constexpr auto kCutTimeout = std::chrono::minutes(10);
/// State past which `mode: auto` catches up in shadow: the simple form's gap grows with the
/// state (a restore reads all of it in memory and the migrated operators' in RocksDB, and the
/// new version's first RocksDB checkpoint, in a directory of its own, copies all of it), by
/// about a second per 32 MB on this machine class (BENCHMARKS.md).
constexpr int64_t kShadowStateBytes = int64_t{32} << 20;

/// Whether the wall clock decides what a stateful node of `plan` keeps or when it emits
/// (processing-time windows and OVER, MATCH_PROCTIME): a catch-up, which reads faster than
/// the running version did, would not compute what it did. A PROCTIME() value that merely
/// flows into rows (or a Top-N by it, which ranks rows by arrival either way) is a value like
/// NOW()'s: the rows after the cut carry the new version's.
bool UsesProcessingTime(const runtime::plan::PlanGraph& plan) {
  json tree = json::parse(runtime::plan::PlanToJson(plan), nullptr, false);
  std::vector<const json*> pending = {&tree};
  while (!pending.empty()) {
    const json* value = pending.back();
    pending.pop_back();
    if (value->is_object()) {
      auto function = value->find("function");
      if (function != value->end() && function->is_string() && *function == "MATCH_PROCTIME") {
        return true;
      }
      auto processing = value->find("processing_time");
      if (processing != value->end() && processing->is_boolean() && processing->get<bool>()) {
        return true;
      }
    }
    if (value->is_structured()) {
      for (const json& child : *value) pending.push_back(&child);
    }
  }
  return false;
}

/// The `_metadata` of the snapshot in `directory`, without reading its state.
base::Result<runtime::state::SnapshotMetadata> ReadMetadata(const std::string& directory) {
  const std::string path = (fs::path(directory) / "_metadata").string();
  auto text = ReadText(path);
  if (!text) return base::Status::Error(base::ErrorCode::kIo, "cannot read '" + path + "'");
  return runtime::state::SnapshotMetadataFromJson(*text, path);
}

/// The positions (watermarks included) `offsets` gives the sources of `plan`, each source's
/// sorted: two cuts are the same when these are.
std::map<std::string, std::vector<std::string>> CutOf(
    const std::map<std::string, std::vector<std::string>>& offsets,
    const runtime::plan::PlanGraph& plan) {
  std::map<std::string, std::vector<std::string>> cut;
  for (const runtime::plan::PlanNode& node : plan.nodes) {
    if (node.kind != runtime::plan::OperatorKind::kSource) continue;
    auto found = offsets.find(node.uid);
    std::vector<std::string> positions =
        found == offsets.end() ? std::vector<std::string>() : found->second;
    std::sort(positions.begin(), positions.end());
    cut[node.uid] = std::move(positions);
  }
  return cut;
}

/// The process's resident memory in bytes (0 when /proc cannot tell).
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

/// Why the sources of `plan` cannot be held at the positions `latest` records (empty: they
/// can): each must replay its history (CanReplay: it stops at a given position), read one
/// split per subtask at the parallelism the checkpoint read it, and never go idle.
std::string SourceIneligibility(const runtime::plan::PlanGraph& plan,
                                const runtime::state::SnapshotMetadata& latest) {
  for (const runtime::plan::PlanNode& node : plan.nodes) {
    if (node.kind != runtime::plan::OperatorKind::kSource || !node.table) continue;
    auto name = node.table->options.find("connector");
    const std::string connector_name = name == node.table->options.end() ? "" : name->second;
    const runtime::connectors::Connector* connector =
        runtime::connectors::FindConnector(connector_name);
    if (connector == nullptr || !connector->CanHold(*node.table)) {
      return fmt::format(
          "source '{}' (connector '{}') cannot be held at a position (values, filesystem, "
          "nexmark, datagen and kafka can)",
          node.uid, connector_name);
    }
    if (node.idle_timeout > 0) {
      return fmt::format(
          "source '{}' goes idle after 'table.exec.source.idle-timeout': when the running "
          "version's watermarks moved past an idle split cannot be replayed",
          node.uid);
    }
    auto offsets = latest.source_offsets.find(node.uid);
    if (offsets == latest.source_offsets.end() || offsets->second.empty()) {
      return fmt::format("source '{}' is new: the running version has no position for it",
                         node.uid);
    }
    // A reader of several splits (Kafka's partitions) deals them to any parallelism; a
    // reader of one split per subtask continues only its own.
    const std::string& first = offsets->second.front();
    const std::string reader_position = first.substr(first.find('\n') + 1);
    const bool dealt =
        connector
            ->SplitOwner(*node.table, reader_position.substr(0, reader_position.find('\n')),
                         node.parallelism)
            .has_value();
    if (!dealt && static_cast<int32_t>(offsets->second.size()) != node.parallelism) {
      return fmt::format("source '{}' changes its parallelism ({} splits, now {})", node.uid,
                         offsets->second.size(), node.parallelism);
    }
  }
  return {};
}

}  // namespace

std::string ShadowIneligibility(const JobServer::ServedJob& job,
                                const JobServer::ServedJob& candidate,
                                const runtime::state::SnapshotMetadata* latest) {
  if (latest == nullptr) return "the running version has completed no checkpoint yet";
  if (candidate.checkpoint_directory.empty()) {
    return "the job sets 'state.checkpoints.dir': both versions would checkpoint into one "
           "directory";
  }
  auto interval = candidate.plan.options.find("execution.checkpointing.interval");
  if (interval == candidate.plan.options.end() || interval->second == "0" ||
      interval->second.empty()) {
    return "the new version takes no checkpoints";
  }
  if (UsesProcessingTime(job.plan) || UsesProcessingTime(candidate.plan)) {
    return "the job uses processing-time windows or OVER, which a catch-up does not compute as "
           "the running version did";
  }
  for (const runtime::plan::PlanNode& node : job.plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSource && node.idle_timeout > 0) {
      return fmt::format(
          "the running version's source '{}' goes idle after "
          "'table.exec.source.idle-timeout'",
          node.uid);
    }
  }
  return SourceIneligibility(candidate.plan, *latest);
}

bool SlowHandover(const runtime::state::SnapshotMetadata* latest) {
  if (latest == nullptr) return false;
  int64_t bytes = 0;
  for (const runtime::state::StateHandle& handle : latest->handles) bytes += handle.bytes;
  return bytes >= kShadowStateBytes;
}

// Called with job->mutex held, or before the job runs.
void JobServer::RemoveShadowRun(ServedJob* job, const json& upgrade) const {
  std::error_code ignored;
  const std::string run_id = upgrade.value("runtime_id", std::string());
  // Never the checkpoints of the run the job now is (an upgrade that completed).
  if (runtime::scheduler::IsJobId(run_id) && run_id != job->RunId()) {
    fs::remove_all(job->directory / ("checkpoints-" + run_id), ignored);
  }
  const std::string base = upgrade.value("base_savepoint", std::string());
  if (!base.empty() && fs::path(base).parent_path() == job->directory / "savepoints") {
    fs::remove_all(base, ignored);
    // The job's latest savepoint is the one it had before (the base was the upgrade's own).
    if (job->savepoint == base) job->savepoint = upgrade.value("savepoint_before", std::string());
  }
}

namespace {

/// Cancels the version in shadow of `job` and waits until it has ended.
void StopShadow(JobServer::ServedJob* job) {
  std::unique_ptr<JobSupervisor> supervisor;
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    supervisor = std::move(job->shadow_supervisor);
    thread = std::move(job->shadow_thread);
  }
  if (supervisor) supervisor->Cancel();
  if (thread.joinable()) thread.join();
}

}  // namespace

ApiResponse JobServer::UpgradeInShadow(const std::shared_ptr<ServedJob>& job,
                                       const ServedJob& candidate, json upgrade) {
  const std::string id = job->id;
  const int64_t number = upgrade["number"].get<int64_t>();
  EnterPhase(&upgrade, "shadow");
  const Version old = [&] {
    std::lock_guard<std::mutex> lock(job->mutex);
    upgrade["resume_from_before"] = job->resume_from;
    upgrade["savepoint_before"] = job->savepoint;
    job->upgrades.push_back(upgrade);
    Note(job.get(), fmt::format("upgrade {}: version {} -> {}: version {} starts beside it, in "
                                "shadow, from a savepoint",
                                number, job->version, candidate.version, candidate.version));
    Persist(job.get());
    return VersionOf(*job);
  }();
  Log(fmt::format("job {}: upgrade {} to version {}: it catches up in shadow first", id, number,
                  candidate.version));
  // Changes the record (under the job's lock) and persists it; returns a copy.
  auto update = [&](const std::function<void(json&)>& change) {
    std::lock_guard<std::mutex> lock(job->mutex);
    change(job->upgrades.back());
    Persist(job.get());
    return job->upgrades.back();
  };
  auto abort = [&](int status, const std::string& code, const std::string& why) {
    StopShadow(job.get());
    json record = update([&](json& record) {
      RemoveShadowRun(job.get(), record);
      record["error"] = why;
      EndUpgrade(&record, "aborted");
      Note(job.get(),
           fmt::format("upgrade {} aborted: {}; version {} runs on", number, why, old.number));
    });
    Log(fmt::format("job {}: upgrade {} aborted: {}; version {} runs on", id, number, why,
                    old.number));
    ApiResponse response =
        Error(status, code,
              fmt::format("upgrade aborted: {}; version {} runs on, its output untouched", why,
                          old.number));
    response.body["upgrade"] = record;
    return response;
  };
  base::CrashPoint("upgrade-shadow");

  // The base: a savepoint of the running version (in RocksDB native, by hard links), from
  // which the new one starts; the running version goes on.
  const int64_t resident_before = ResidentBytes();
  const std::string checkpoint_before = job->supervisor->LatestCheckpointDirectory();
  auto base = job->supervisor->TriggerSavepoint((job->directory / "savepoints").string(),
                                                /*native_if_rocksdb=*/true);
  if (!base.ok()) {
    return abort(409, "savepoint",
                 "the running version's savepoint failed: " + base.status().message());
  }
  auto base_metadata = ReadMetadata(*base);
  if (!base_metadata.ok()) return abort(500, "snapshot", base_metadata.status().message());
  update([&](json& record) {
    record["base_savepoint"] = *base;
    EnterPhase(&record, "catching up");
  });

  auto control = std::make_shared<runtime::operators::ShadowControl>();
  control->Hold(base_metadata->source_offsets);
  runtime::scheduler::SupervisorOptions options;
  options.job.services = options_.services;
  options.job.checkpoint_directory = candidate.checkpoint_directory;
  options.job.job_id = candidate.runtime_id;
  options.job.shadow = control;
  options.gate = compiler::check::MakeRestoreGate();
  options.restore.from = *base;
  options.restore.allow_dropped_state = candidate.allow_dropped_state;
  // Until it takes over, the new version's events only go to the log.
  auto adopted = std::make_shared<std::atomic<bool>>(false);
  std::weak_ptr<ServedJob> weak = job;
  const int32_t to_version = candidate.version;
  options.listener = [this, weak, adopted, to_version](const JobEvent& event) {
    std::shared_ptr<ServedJob> served = weak.lock();
    if (!served) return;
    if (adopted->load()) {
      OnJobEvent(served.get(), event);
      return;
    }
    if (event.kind == JobEvent::Kind::kCheckpoint && event.checkpoint &&
        event.checkpoint->completed) {
      return;
    }
    Log(fmt::format("job {}: version {} (in shadow): {}", served->id, to_version, event.text));
  };
  auto created = JobSupervisor::Create(candidate.plan, std::move(options));
  if (!created.ok()) {
    return abort(
        409, "upgrade",
        fmt::format("version {} cannot start: {}", to_version, created.status().message()));
  }
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    job->shadow_supervisor = std::move(created).value();
    JobSupervisor* raw = job->shadow_supervisor.get();
    ServedJob* served = job.get();
    job->shadow_thread = std::thread([this, raw, served, adopted] {
      runtime::scheduler::JobOutcome outcome = raw->Run();
      if (adopted->load()) RecordOutcome(served, outcome);
    });
  }
  base::CrashPoint("upgrade-catching-up");
  // Why the version in shadow cannot go on (empty while it runs): it ended, or it restarted
  // (a restart would catch up again from the base: not worth hiding a failure for).
  auto shadow_failure = [&]() -> std::string {
    JobSupervisor* shadow = job->shadow_supervisor.get();
    if (runtime::scheduler::IsTerminal(shadow->state())) {
      return fmt::format("version {} ended {} in shadow{}", to_version,
                         runtime::scheduler::JobStateName(shadow->state()),
                         shadow->last_failure().empty() ? "" : ": " + shadow->last_failure());
    }
    if (control->attempts() > 1 || shadow->restarts() > 0) {
      return fmt::format("version {} failed in shadow: {}", to_version, shadow->last_failure());
    }
    return {};
  };

  // Catch up: the holds follow the running version's latest checkpoint; caught up once the
  // new version has read up to one that completed after the base.
  const auto catch_up_started = std::chrono::steady_clock::now();
  std::string held_at = checkpoint_before;
  bool caught_up = false;
  // With RocksDB state the new version checkpoints once in shadow, while the old one runs on:
  // its handover checkpoint then copies only the files written since (incremental), not all
  // the state its restore wrote, while the output waits.
  auto backend = candidate.plan.options.find("state.backend.type");
  bool warmed_up = backend == candidate.plan.options.end() || backend->second != "rocksdb";
  std::string held_at_warm_up;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (shutting_down_) return abort(503, "unavailable", "the server is shutting down");
    }
    if (job->supervisor->state() != JobState::kRunning) {
      return abort(409, "state",
                   fmt::format("version {} is {}", old.number,
                               runtime::scheduler::JobStateName(job->supervisor->state())));
    }
    if (std::string failure = shadow_failure(); !failure.empty()) {
      return abort(409, "upgrade", failure);
    }
    std::string latest = job->supervisor->LatestCheckpointDirectory();
    if (!latest.empty() && latest != held_at) {
      auto metadata = ReadMetadata(latest);  // may be gone already: the next one then
      if (metadata.ok()) {
        control->Hold(metadata->source_offsets);
        held_at = latest;
      }
    }
    if (held_at != checkpoint_before && held_at != held_at_warm_up && control->AllHeld()) {
      if (warmed_up) {
        caught_up = true;
        break;
      }
      auto warm_up = job->shadow_supervisor->TakeCheckpoint();
      if (!warm_up.ok()) {
        return abort(409, "checkpoint",
                     fmt::format("version {} could not checkpoint in shadow: {}", to_version,
                                 warm_up.status().message()));
      }
      warmed_up = true;
      held_at_warm_up = held_at;  // and on to a later checkpoint of the old version
    }
    if (std::chrono::steady_clock::now() - catch_up_started > kCatchUpTimeout) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int64_t catch_up_millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - catch_up_started)
                                      .count();
  update([&](json& record) {
    record["catch_up_millis"] = catch_up_millis;
    record["caught_up"] = caught_up;
    record["rows_discarded"] = control->discarded();
    EnterPhase(&record, "stopping");
    Note(job.get(), fmt::format("upgrade {}: version {} {} after {} ms; stopping version {} "
                                "with a savepoint",
                                number, to_version, caught_up ? "caught up" : "still catching up",
                                catch_up_millis, old.number));
  });
  Log(fmt::format("job {}: upgrade {}: version {} {} in {} ms; stopping version {}", id, number,
                  to_version, caught_up ? "caught up" : "did not catch up", catch_up_millis,
                  old.number));
  base::CrashPoint("upgrade-stopping");
  Handover handover = StopForHandover(job.get());
  if (handover.error) {
    StopShadow(job.get());
    update([&](json& record) { RemoveShadowRun(job.get(), record); });
    return *handover.error;
  }

  // The cut: the new version reads up to exactly the old one's savepoint and checkpoints there.
  update([&](json& record) {
    EnterPhase(&record, "cutting");
    record["stopped_millis"] = handover.stopped_millis;
    record["savepoint"] = handover.savepoint;
  });
  base::CrashPoint("upgrade-cutting");
  // From here on the old version has stopped for good: a failure of the new one in shadow
  // falls back to the simple form, which starts it from the stop's savepoint.
  auto fall_back = [&](const std::string& why) {
    StopShadow(job.get());
    update([&](json& record) {
      RemoveShadowRun(job.get(), record);
      record["shadow_fallback"] = why;
      Note(job.get(), fmt::format("upgrade {}: {}; version {} starts from the savepoint instead",
                                  number, why, to_version));
    });
    Log(fmt::format("job {}: upgrade {}: {}; version {} starts from savepoint {} instead", id,
                    number, why, to_version, handover.savepoint));
    return StartFromHandover(job, VersionOf(candidate), old, handover);
  };
  auto cut = ReadMetadata(handover.savepoint);
  if (!cut.ok()) return fall_back("the savepoint's metadata: " + cut.status().message());
  control->Hold(cut->source_offsets);
  const auto cut_started = std::chrono::steady_clock::now();
  while (!control->AllHeld()) {
    if (std::string failure = shadow_failure(); !failure.empty()) return fall_back(failure);
    if (std::chrono::steady_clock::now() - cut_started > kCutTimeout) {
      return fall_back(fmt::format("version {} did not reach the cut in time", to_version));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto handover_checkpoint = job->shadow_supervisor->TakeHandoverCheckpoint();
  if (!handover_checkpoint.ok()) {
    return fall_back("its handover checkpoint failed: " + handover_checkpoint.status().message());
  }
  auto taken = ReadMetadata(*handover_checkpoint);
  if (!taken.ok()) return fall_back("its handover checkpoint: " + taken.status().message());
  // Exactly the cut, watermarks included: then every window and timer stands where the old
  // version's did, and nothing fires twice or never.
  if (CutOf(taken->source_offsets, candidate.plan) != CutOf(cut->source_offsets, candidate.plan)) {
    return fall_back(fmt::format(
        "version {} reached other source positions or watermarks than version {} stopped at",
        to_version, old.number));
  }
  base::CrashPoint("upgrade-handover");

  // The new version owns the output from its handover checkpoint on.
  json record;
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    Apply(VersionOf(candidate), /*savepoint=*/"", job.get());  // it resumes from its own
    job->savepoint = handover.savepoint;
    job->state = "RUNNING";
    job->started_millis = NowMillis();
    job->supervisor = std::move(job->shadow_supervisor);
    job->thread = std::move(job->shadow_thread);
    adopted->store(true);
    json& upgrade_record = job->upgrades.back();
    upgrade_record["handover_checkpoint"] = *handover_checkpoint;
    upgrade_record["rows_discarded"] = control->discarded();
    upgrade_record["cut"] = cut->source_offsets;
    upgrade_record["resident_bytes_before"] = resident_before;
    upgrade_record["resident_bytes_at_cut"] = ResidentBytes();
    upgrade_record["running_millis"] = NowMillis();
    EndUpgrade(&upgrade_record, "done");
    Note(job.get(), fmt::format("upgrade {}: version {} took over at its handover checkpoint "
                                "{} ({} rows of the catch-up discarded)",
                                number, to_version, *handover_checkpoint, control->discarded()));
    Persist(job.get());
    record = upgrade_record;
  }
  control->Release();
  base::CrashPoint("upgrade-running");
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    RemoveShadowRun(job.get(), job->upgrades.back());  // the base savepoint
  }
  Log(fmt::format("job {}: upgraded to version {} (run {}) after catching up in shadow", id,
                  to_version, candidate.runtime_id));
  ApiResponse response;
  response.body = Summary(*job);
  response.body["upgrade"] = record;
  return response;
}

}  // namespace sluice::server
