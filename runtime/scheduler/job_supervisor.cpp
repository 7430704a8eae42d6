#include "runtime/scheduler/job_supervisor.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "catalog/base/duration.h"
#include "runtime/scheduler/backfill.h"
#include "runtime/scheduler/timer_service.h"

namespace sluice::runtime::scheduler {

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kCreated: return "CREATED";
    case JobState::kRestoring: return "RESTORING";
    case JobState::kRunning: return "RUNNING";
    case JobState::kRestarting: return "RESTARTING";
    case JobState::kStopping: return "STOPPING";
    case JobState::kFinished: return "FINISHED";
    case JobState::kFailed: return "FAILED";
    case JobState::kStopped: return "STOPPED";
  }
  return "UNKNOWN";
}

bool IsTerminal(JobState state) {
  return state == JobState::kFinished || state == JobState::kFailed || state == JobState::kStopped;
}

base::Result<std::unique_ptr<JobSupervisor>> JobSupervisor::Create(const plan::PlanGraph& plan,
                                                                   SupervisorOptions options) {
  SLUICE_ASSIGN_OR_RETURN(RestartStrategy strategy, RestartStrategy::FromOptions(plan.options));
  return std::unique_ptr<JobSupervisor>(
      new JobSupervisor(plan, std::move(options), std::move(strategy)));
}

JobSupervisor::JobSupervisor(const plan::PlanGraph& plan, SupervisorOptions options,
                             RestartStrategy strategy)
    : plan_(plan), options_(std::move(options)), strategy_(std::move(strategy)) {
  job_id_ = options_.job.job_id;
}

JobSupervisor::~JobSupervisor() {
  Cancel();
}

std::string JobSupervisor::savepoint_directory() const {
  auto found = plan_.options.find("state.savepoints.dir");
  return found == plan_.options.end() ? std::string() : found->second;
}

bool JobSupervisor::checkpointing() const {
  auto found = plan_.options.find("execution.checkpointing.interval");
  if (found == plan_.options.end()) return false;
  auto millis = base::ParseDurationMillis(found->second);
  return millis && *millis > 0;
}

void JobSupervisor::SetState(JobState state) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A stop asked for while restoring or running is not undone by the next step.
    if (state_ == JobState::kStopping && !IsTerminal(state)) return;
    if (state_ == state) return;  // e.g. RESTORING: deciding, then building the attempt
    state_ = state;
  }
  changed_.notify_all();
  if (options_.listener) {
    JobEvent event;
    event.kind = JobEvent::Kind::kState;
    event.state = state;
    event.text = JobStateName(state);
    options_.listener(event);
  }
}

void JobSupervisor::Emit(JobEvent::Kind kind, std::string text) {
  if (!options_.listener) return;
  JobEvent event;
  event.kind = kind;
  event.state = state();
  event.text = std::move(text);
  options_.listener(event);
}

JobState JobSupervisor::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

std::string JobSupervisor::job_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return job_id_;
}

int32_t JobSupervisor::restarts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return restarts_;
}

std::string JobSupervisor::last_failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_failure_;
}

std::shared_ptr<Job> JobSupervisor::CurrentJob() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return job_;
}

std::optional<JobProgress> JobSupervisor::progress() const {
  if (auto job = CurrentJob()) return job->progress();
  std::lock_guard<std::mutex> lock(mutex_);
  return last_progress_;
}

std::optional<JobMetrics> JobSupervisor::metrics() const {
  if (auto job = CurrentJob()) return job->Metrics();
  std::lock_guard<std::mutex> lock(mutex_);
  return last_metrics_;
}

std::string JobSupervisor::LatestCheckpointDirectory() const {
  if (auto job = CurrentJob()) {
    std::string latest = job->LatestCheckpointDirectory();
    if (!latest.empty()) return latest;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_checkpoint_;
}

void JobSupervisor::Cancel() {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (IsTerminal(state_) || cancelled_) return;
    cancelled_ = true;
    job = job_;
  }
  SetState(JobState::kStopping);
  if (job) job->Cancel();
  changed_.notify_all();
}

base::Result<std::string> JobSupervisor::StopWithSavepoint(const std::string& directory,
                                                           bool native_if_rocksdb) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != JobState::kRunning || !job_) {
      return base::Status::Error(
          base::ErrorCode::kRuntime,
          fmt::format("the job is {}, not RUNNING: no savepoint was taken", JobStateName(state_)));
    }
    job = job_;
    state_ = JobState::kStopping;
  }
  changed_.notify_all();
  Emit(JobEvent::Kind::kState, JobStateName(JobState::kStopping));
  // The sources stop at the savepoint's barrier and the sinks commit everything up to it
  // before the attempt ends.
  auto path = job->StopWithSavepoint(directory, native_if_rocksdb);
  if (path.ok()) Emit(JobEvent::Kind::kNote, "savepoint written: " + *path);
  if (!path.ok()) {
    bool resumed = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (state_ == JobState::kStopping && !cancelled_ && job_ == job) {
        state_ = JobState::kRunning;
        resumed = true;
      }
    }
    if (resumed) {
      changed_.notify_all();
      Emit(JobEvent::Kind::kState, JobStateName(JobState::kRunning));
    }
    return path.status();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stop_savepoint_ = *path;
  return path;
}

base::Result<std::string> JobSupervisor::TriggerSavepoint(const std::string& directory,
                                                          bool native_if_rocksdb) {
  std::shared_ptr<Job> job = CurrentJob();
  if (!job || state() != JobState::kRunning) {
    return base::Status::Error(
        base::ErrorCode::kRuntime,
        fmt::format("the job is {}, not RUNNING: no savepoint was taken", JobStateName(state())));
  }
  auto path = job->TakeSavepoint(directory, native_if_rocksdb);
  if (path.ok()) Emit(JobEvent::Kind::kNote, "savepoint written: " + *path);
  return path;
}

base::Result<std::string> JobSupervisor::TakeCheckpoint() {
  std::shared_ptr<Job> job = CurrentJob();
  if (!job || state() != JobState::kRunning) {
    return base::Status::Error(
        base::ErrorCode::kRuntime,
        fmt::format("the job is {}, not RUNNING: no checkpoint was taken", JobStateName(state())));
  }
  return job->TakeCheckpoint();
}

base::Result<std::string> JobSupervisor::TakeHandoverCheckpoint() {
  std::shared_ptr<Job> job = CurrentJob();
  if (!job || state() != JobState::kRunning) {
    return base::Status::Error(
        base::ErrorCode::kRuntime,
        fmt::format("the job is {}, not RUNNING: no handover was taken", JobStateName(state())));
  }
  auto path = job->TakeHandoverCheckpoint();
  if (path.ok()) Emit(JobEvent::Kind::kNote, "handover checkpoint written: " + *path);
  return path;
}

void JobSupervisor::ReleaseJob() {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job = std::move(job_);
    if (job) {
      last_progress_ = job->progress();
      last_metrics_ = job->Metrics();
      std::string latest = job->LatestCheckpointDirectory();
      if (!latest.empty()) latest_checkpoint_ = latest;
    }
  }
  // Another thread may still hold the attempt (a savepoint or metrics call under way): the
  // next attempt must not start before this one let go of its directory lock.
  while (job && job.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

base::Result<state::Snapshot> JobSupervisor::Backfill(const state::Snapshot& snapshot,
                                                      std::string* directory) {
  SLUICE_ASSIGN_OR_RETURN(plan::PlanGraph replay, ReplayPlan(plan_, snapshot, options_.backfill));
  std::string names;
  for (const std::string& uid : options_.backfill)
    names += (names.empty() ? "'" : ", '") + uid + "'";
  Emit(JobEvent::Kind::kNote,
       fmt::format("backfilling {} from the sources' history, up to the positions of {}", names,
                   snapshot.directory));
  *directory =
      (std::filesystem::path(CheckpointJobDirectory(plan_, options_.job.checkpoint_directory)) /
       fmt::format("backfill-{}", NewJobId()))
          .string();
  auto cancelled = [this] {
    std::lock_guard<std::mutex> lock(mutex_);
    return cancelled_;
  };
  SLUICE_ASSIGN_OR_RETURN(ReplayResult result, RunReplay(replay, snapshot, options_.backfill,
                                                         options_.job, *directory, cancelled));
  for (const auto& [uid, rows] : result.rows) {
    Emit(JobEvent::Kind::kNote,
         fmt::format("backfilling '{}' from the sources' history: {} rows replayed", uid, rows));
  }
  return std::move(result.snapshot);
}

bool JobSupervisor::WaitToRestart(int64_t millis) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(millis), [&] { return cancelled_; });
  return !cancelled_;
}

JobOutcome JobSupervisor::Run() {
  auto start = std::chrono::steady_clock::now();
  auto finish = [&](JobOutcome outcome) {
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (auto progress = this->progress()) outcome.progress = *progress;
    if (outcome.state == JobState::kFailed && !outcome.status.ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_failure_ = outcome.status.message();
    }
    SetState(outcome.state);
    return outcome;
  };

  SetState(JobState::kRestoring);
  RestoreDecision decision =
      DecideRestore(plan_, options_.restore, options_.job.checkpoint_directory, options_.gate);
  for (JobEvent& event : decision.events) {
    if (options_.listener) options_.listener(event);
  }
  if (!decision.refusal.ok()) {
    JobOutcome outcome;
    outcome.state = JobState::kFailed;
    outcome.status = decision.refusal;
    outcome.never_ran = true;
    outcome.restore_refused = true;
    return finish(std::move(outcome));
  }
  std::optional<state::Snapshot> snapshot = std::move(decision.snapshot);
  // The replay of a backfill lives in a directory of its own until the run ends.
  std::optional<state::Snapshot> backfill;
  std::string backfill_directory;
  struct RemoveWhenDone {
    const std::string& directory;
    ~RemoveWhenDone() {
      std::error_code ignored;
      if (!directory.empty()) std::filesystem::remove_all(directory, ignored);
    }
  } remove_backfill{backfill_directory};
  if (!options_.backfill.empty()) {
    base::Result<state::Snapshot> replayed =
        snapshot ? Backfill(*snapshot, &backfill_directory)
                 : base::Result<state::Snapshot>(base::Status::Error(
                       base::ErrorCode::kOption,
                       "--backfill needs a snapshot to restore from (--from, or --resume with "
                       "a completed checkpoint): the rest of the job continues from it"));
    if (!replayed.ok()) {
      JobOutcome outcome;
      outcome.state = JobState::kFailed;
      outcome.status = replayed.status();
      outcome.never_ran = true;
      outcome.restore_refused = replayed.status().code() == base::ErrorCode::kOption;
      return finish(std::move(outcome));
    }
    backfill = std::move(replayed).value();
  }
  bool from_requested_snapshot = true;  // the backfill's state belongs to that snapshot's cut
  JobOptions job_options = options_.job;
  // A resumed run continues the crashed run's job (its sinks clear what that one left behind);
  // a run from an explicit snapshot is a job of its own.
  if (snapshot && options_.restore.resume) job_options.job_id = snapshot->metadata.job_id;
  job_options.listener = options_.listener;
  bool first_attempt = true;

  for (;;) {
    bool cancelled_before_attempt;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_before_attempt = cancelled_;
    }
    // Outside the lock: finish reads the progress, which takes it (a Cancel before the first
    // attempt — SIGTERM while the restore was being decided — hung the process here).
    if (cancelled_before_attempt) {
      JobOutcome outcome;
      outcome.state = JobState::kStopped;
      return finish(std::move(outcome));
    }
    SetState(JobState::kRestoring);
    job_options.restore_from = snapshot ? &*snapshot : nullptr;
    job_options.backfill_from = backfill && from_requested_snapshot ? &*backfill : nullptr;
    job_options.backfill_uids.clear();
    if (job_options.backfill_from != nullptr) {
      job_options.backfill_uids.insert(options_.backfill.begin(), options_.backfill.end());
    }
    started_millis_ = TimerService::NowMillis();
    auto created = Job::Create(plan_, job_options);
    if (!created.ok()) {
      // A job that cannot be built fails at once: retrying the same plan fails the same way.
      JobOutcome outcome;
      outcome.state = JobState::kFailed;
      outcome.status = created.status();
      outcome.never_ran = first_attempt;
      return finish(std::move(outcome));
    }
    std::shared_ptr<Job> job = std::move(created).value();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      job_id_ = job->job_id();
    }
    if (job->locally_recovered_subtasks() > 0) {
      Emit(JobEvent::Kind::kNote,
           fmt::format("{} subtask(s) resumed from their local copy of {}",
                       job->locally_recovered_subtasks(), snapshot->metadata.id));
    }
    first_attempt = false;
    SetState(JobState::kRunning);
    // A Cancel that came while the attempt was being built (no job to act on yet) stops it.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_) job->Cancel();
    }
    base::Status status = job->Run();
    if (status.ok() && !job->stopped_with_savepoint() && options_.on_finished) {
      status = options_.on_finished(*job);
      if (!status.ok()) {
        job.reset();
        ReleaseJob();
        JobOutcome outcome;
        outcome.state = JobState::kFailed;
        outcome.status = status;
        return finish(std::move(outcome));
      }
    }
    bool stopped = job->stopped_with_savepoint();
    std::shared_ptr<LocalState> local = job->TakeLocalState();
    std::string latest = job->LatestCheckpointDirectory();
    job_options.job_id = job->job_id();
    job.reset();
    ReleaseJob();

    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled = cancelled_;
    }
    if (status.ok()) {
      JobOutcome outcome;
      outcome.state = stopped ? JobState::kStopped : JobState::kFinished;
      if (stopped) {
        std::lock_guard<std::mutex> lock(mutex_);
        outcome.savepoint = stop_savepoint_;
      }
      return finish(std::move(outcome));
    }
    if (cancelled) {
      JobOutcome outcome;
      outcome.state = JobState::kStopped;
      return finish(std::move(outcome));
    }
    int64_t delay = strategy_.OnFailure(started_millis_, TimerService::NowMillis());
    if (delay < 0) {
      JobOutcome outcome;
      outcome.state = JobState::kFailed;
      outcome.status = status;
      return finish(std::move(outcome));
    }
    // From this run's latest checkpoint; before its first, from where it started (the
    // snapshot of the request, already checked, or the beginning).
    if (!latest.empty()) {
      from_requested_snapshot = false;  // this run's checkpoints hold the backfilled state
      auto read = state::ReadSnapshot(latest, plan_.job_name);
      if (read.ok()) {
        snapshot = std::move(read).value();
      } else {
        Emit(JobEvent::Kind::kWarning,
             fmt::format("cannot restart from {}: {}", latest, read.status().message()));
        std::vector<JobEvent> warnings;
        snapshot = LatestVerifiedCheckpoint(plan_, options_.job.checkpoint_directory, &warnings);
        for (JobEvent& warning : warnings) {
          if (options_.listener) options_.listener(warning);
        }
      }
    }
    job_options.local_state =
        local && snapshot && snapshot->metadata.id == local->checkpoint_id ? local : nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++restarts_;
      last_failure_ = status.message();
    }
    SetState(JobState::kRestarting);
    Emit(JobEvent::Kind::kRestart,
         fmt::format("job '{}' failed: {}\nrestarting in {} ms ({}) from {}", plan_.job_name,
                     status.message(), delay, strategy_.Describe(),
                     snapshot ? snapshot->directory : "the beginning (no checkpoint yet)"));
    if (!WaitToRestart(delay)) {
      Emit(JobEvent::Kind::kNote,
           fmt::format("job '{}' stopped while waiting to restart", plan_.job_name));
      JobOutcome outcome;
      outcome.state = JobState::kStopped;
      return finish(std::move(outcome));
    }
  }
}

}  // namespace sluice::runtime::scheduler
