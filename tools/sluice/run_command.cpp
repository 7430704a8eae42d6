#include "tools/sluice/run_command.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "runtime/scheduler/restart_strategy.h"
#include "runtime/scheduler/timer_service.h"
#include "tools/sluice/savepoint_command.h"

namespace sluice::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

/// SIGUSR1 takes a savepoint of the running job (with `state.savepoints.dir`). SIGINT or
/// SIGTERM stop the job: with a savepoint when `state.savepoints.dir` is set, else at once; a
/// second one ends the process.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  ~SignalWatcher() {
    if (thread_.joinable()) {
      stopping_ = true;
      pthread_kill(thread_.native_handle(), SIGTERM);
      thread_.join();
    }
    if (savepoint_thread_.joinable()) savepoint_thread_.join();
  }
  /// Starts watching; signals then go to the job set by SetJob.
  void Start() {
    thread_ = std::thread([this] {
      int signal = 0;
      while (sigwait(&signals_, &signal) == 0) {
        if (stopping_) return;
        std::lock_guard<std::mutex> lock(mutex_);
        runtime::scheduler::Job* job = job_;
        if (signal == SIGUSR1) {
          if (job == nullptr) {
            std::fprintf(stderr, "sluice: no job is running: no savepoint was taken\n");
          } else {
            TakeSavepoint(job, /*then_stop=*/false);
          }
          continue;
        }
        if (interrupted_.exchange(true)) _exit(kExitInterrupted);
        if (job == nullptr) continue;  // between two attempts: the restart loop stops
        if (!job->checkpoint_settings().savepoint_directory.empty()) {
          std::fprintf(stderr,
                       "\nsluice: stopping the job with a savepoint (press Ctrl-C again "
                       "to exit at once)\n");
          TakeSavepoint(job, /*then_stop=*/true);
          continue;
        }
        std::fprintf(stderr, "\nsluice: stopping the job (press Ctrl-C again to exit at once)\n");
        job->Cancel();
      }
    });
  }
  /// The job signals act on (null between restarts). Before a job is destroyed, SetJob(null)
  /// waits for a savepoint under way to let go of it.
  void SetJob(runtime::scheduler::Job* job) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job == nullptr && savepoint_thread_.joinable()) savepoint_thread_.join();
    job_ = job;
  }
  bool interrupted() const { return interrupted_.load(); }

 private:
  /// On a thread of its own, so that a second Ctrl-C still ends the process at once.
  void TakeSavepoint(runtime::scheduler::Job* job, bool then_stop) {
    if (savepoint_thread_.joinable()) {
      if (!then_stop) {
        std::fprintf(stderr, "sluice: a savepoint is already being taken\n");
        return;
      }
      savepoint_thread_.join();
    }
    savepoint_thread_ = std::thread([job, then_stop] {
      // A stop: the sources stop at the savepoint's barrier and the sinks commit everything
      // up to it before the job ends (Job::StopWithSavepoint).
      auto path = then_stop ? job->StopWithSavepoint() : job->TakeSavepoint();
      if (path.ok()) {
        std::fprintf(stderr, "sluice: savepoint written: %s\n", path->c_str());
      } else if (then_stop) {
        std::fprintf(stderr,
                     "sluice: error: no savepoint: %s\nsluice: the job was not stopped by it "
                     "(press Ctrl-C again to stop it at once)\n",
                     path.status().message().c_str());
      } else {
        std::fprintf(stderr, "sluice: error: no savepoint: %s\n", path.status().message().c_str());
      }
    });
  }

  sigset_t signals_;
  std::mutex mutex_;  // guards job_ and savepoint_thread_
  runtime::scheduler::Job* job_ = nullptr;
  std::thread thread_;
  std::thread savepoint_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> interrupted_{false};
};

/// Says how the job ended and returns the exit code.
int Report(const runtime::plan::PlanGraph& plan, runtime::scheduler::Job& job,
           const base::Status& status, double seconds, const SignalWatcher& signals,
           const RunJobFlags& flags) {
  auto progress = job.progress();
  if (status.ok() && job.stopped_with_savepoint()) {
    std::fprintf(stderr,
                 "sluice: job '%s' stopped with a savepoint after %.1f s (%lld rows in, %lld "
                 "out, all committed)\n",
                 plan.job_name.c_str(), seconds, static_cast<long long>(progress.rows_in),
                 static_cast<long long>(progress.rows_out));
    return kExitOk;
  }
  if (!status.ok()) {
    if (signals.interrupted()) {
      std::fprintf(stderr, "sluice: job '%s' stopped after %.1f s (%lld rows in, %lld out)\n",
                   plan.job_name.c_str(), seconds, static_cast<long long>(progress.rows_in),
                   static_cast<long long>(progress.rows_out));
      return kExitInterrupted;
    }
    std::fprintf(stderr, "sluice: error: job '%s' failed: %s\n", plan.job_name.c_str(),
                 status.ToString().c_str());
    return kExitFailed;
  }
  if (!flags.savepoint_at_end.empty()) {
    int code = WriteSavepointAtEnd(job, plan, flags.savepoint_at_end, flags.savepoint_format);
    if (code != kExitOk) return code;
  }
  if (progress.late_records_dropped > 0) {
    // Said even when stderr is not a terminal: these rows are missing from the results.
    std::fprintf(stderr,
                 "sluice: %lld late records arrived after their window had fired and were "
                 "dropped\n",
                 static_cast<long long>(progress.late_records_dropped));
  }
  if (isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "sluice: job '%s' finished in %.2f s: %lld rows in, %lld rows out\n",
                 plan.job_name.c_str(), seconds, static_cast<long long>(progress.rows_in),
                 static_cast<long long>(progress.rows_out));
  }
  return kExitOk;
}

}  // namespace

int RunJob(const runtime::plan::PlanGraph& plan, runtime::scheduler::JobOptions options,
           const RunJobFlags& flags) {
  auto strategy = runtime::scheduler::RestartStrategy::FromOptions(plan.options);
  if (!strategy.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", strategy.status().message().c_str());
    return kExitUsage;
  }
  int refused = 0;
  std::optional<runtime::state::Snapshot> snapshot = ChooseSnapshot(plan, flags.restore, &refused);
  if (refused != 0) return refused;
  SignalWatcher signals;
  signals.Start();
  options.checkpoint_directory = flags.restore.checkpoint_directory;
  // A resumed run continues the crashed run's job (its sinks clear what that one left behind);
  // a run from an explicit snapshot is a job of its own.
  if (snapshot && flags.restore.resume) options.job_id = snapshot->metadata.job_id;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    options.restore_from = snapshot ? &*snapshot : nullptr;
    int64_t started = runtime::scheduler::TimerService::NowMillis();
    auto job = runtime::scheduler::Job::Create(plan, options);
    if (!job.ok()) {
      std::fprintf(stderr, "sluice: error: %s\n", job.status().message().c_str());
      return job.status().code() == base::ErrorCode::kOption ? kExitUsage : kExitFailed;
    }
    if ((*job)->locally_recovered_subtasks() > 0) {
      std::fprintf(stderr, "sluice: %d subtask(s) resumed from their local copy of %s\n",
                   (*job)->locally_recovered_subtasks(), snapshot->metadata.id.c_str());
    }
    signals.SetJob(job->get());
    // A Ctrl-C that came while the job was being built (no job to act on yet) stops it now.
    if (signals.interrupted()) (*job)->Cancel();
    base::Status status = (*job)->Run();
    signals.SetJob(nullptr);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status.ok() || signals.interrupted()) {
      return Report(plan, **job, status, seconds, signals, flags);
    }
    int64_t delay = strategy->OnFailure(started, runtime::scheduler::TimerService::NowMillis());
    if (delay < 0) return Report(plan, **job, status, seconds, signals, flags);
    std::shared_ptr<runtime::scheduler::LocalState> local = (*job)->TakeLocalState();
    options.job_id = (*job)->job_id();
    // From this run's latest checkpoint; before its first, from where it started (the
    // snapshot of --from or --resume, already checked, or the beginning).
    std::string latest = (*job)->LatestCheckpointDirectory();
    job->reset();
    if (!latest.empty()) {
      auto read = runtime::state::ReadSnapshot(latest, plan.job_name);
      if (read.ok()) {
        snapshot = std::move(read).value();
      } else {
        std::fprintf(stderr, "sluice: warning: cannot restart from %s: %s\n", latest.c_str(),
                     read.status().message().c_str());
        snapshot = LatestVerifiedCheckpoint(plan, flags.restore.checkpoint_directory);
      }
    }
    options.local_state =
        local && snapshot && snapshot->metadata.id == local->checkpoint_id ? local : nullptr;
    std::fprintf(stderr,
                 "sluice: job '%s' failed: %s\nsluice: restarting in %lld ms (%s) from %s\n",
                 plan.job_name.c_str(), status.message().c_str(), static_cast<long long>(delay),
                 strategy->Describe().c_str(),
                 snapshot ? snapshot->directory.c_str() : "the beginning (no checkpoint yet)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
    while (std::chrono::steady_clock::now() < deadline && !signals.interrupted()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (signals.interrupted()) {
      std::fprintf(stderr, "sluice: job '%s' stopped while waiting to restart\n",
                   plan.job_name.c_str());
      return kExitInterrupted;
    }
  }
}

}  // namespace sluice::cli
