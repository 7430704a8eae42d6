#include "tools/sluice/run_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "compiler/check/restore_gate.h"
#include "runtime/expr/value_format.h"
#include "runtime/scheduler/backfill.h"
#include "runtime/scheduler/job_supervisor.h"
#include "runtime/state/state_backend.h"
#include "tools/sluice/savepoint_command.h"

namespace sluice::cli {

namespace {

using runtime::scheduler::JobEvent;
using runtime::scheduler::JobOutcome;
using runtime::scheduler::JobState;
using runtime::scheduler::JobSupervisor;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

/// Writes the supervisor's events to stderr as `sluice: …` lines, and a progress line about
/// once a second while the job runs (only when stderr is a terminal; an event clears it
/// first).
class StderrRenderer {
 public:
  explicit StderrRenderer(bool progress) : progress_(progress && isatty(STDERR_FILENO)) {}
  ~StderrRenderer() { StopProgress(); }

  void Render(const JobEvent& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    switch (event.kind) {
      case JobEvent::Kind::kState: return;
      case JobEvent::Kind::kReport: out = event.text; break;
      case JobEvent::Kind::kWarning: out = Prefixed("warning: " + event.text); break;
      case JobEvent::Kind::kCheckpoint:
        // Completed checkpoints show in the progress line; failures are said.
        if (event.checkpoint && event.checkpoint->completed) return;
        out = Prefixed(event.text);
        break;
      case JobEvent::Kind::kNote:
      case JobEvent::Kind::kRestart: out = Prefixed(event.text); break;
    }
    ClearLine();
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }

  /// Draws the progress line of `supervisor` until StopProgress.
  void StartProgress(const JobSupervisor* supervisor) {
    if (!progress_) return;
    thread_ = std::thread([this, supervisor] { DrawUntilStopped(*supervisor); });
  }
  void StopProgress() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    ClearLine();
  }

 private:
  static std::string Prefixed(const std::string& text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      out += "sluice: " + text.substr(start, end - start) + "\n";
      start = end + 1;
    }
    return out;
  }
  void ClearLine() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    drawn_ = false;
  }
  void DrawUntilStopped(const JobSupervisor& supervisor) {
    using Clock = std::chrono::steady_clock;
    int64_t last_rows = 0;
    auto last_time = Clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      if (stopping_) return;
      if (supervisor.state() != JobState::kRunning) continue;
      auto now = supervisor.progress();
      if (!now) continue;
      auto time = Clock::now();
      double seconds = std::chrono::duration<double>(time - last_time).count();
      double rate = seconds > 0 ? (now->rows_in - last_rows) / seconds : 0;
      last_rows = now->rows_in;
      last_time = time;
      std::string watermark = now->watermark == runtime::operators::kMinWatermark ? "-"
                              : now->watermark == runtime::operators::kMaxWatermark
                                  ? "end"
                                  : runtime::expr::FormatTimestamp(now->watermark);
      std::string late = now->late_records_dropped > 0
                             ? fmt::format("  late {}", now->late_records_dropped)
                             : std::string();
      std::string checkpoint = !supervisor.checkpointing() ? std::string()
                               : now->last_checkpoint > 0
                                   ? fmt::format("  checkpoint {}", now->last_checkpoint)
                                   : std::string("  checkpoint -");
      std::fprintf(stderr, "\r\033[K[sluice] in %lld (%.0f/s)  out %lld  watermark %s%s%s",
                   static_cast<long long>(now->rows_in), rate,
                   static_cast<long long>(now->rows_out), watermark.c_str(), checkpoint.c_str(),
                   late.c_str());
      std::fflush(stderr);
      drawn_ = true;
    }
  }

  const bool progress_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool drawn_ = false;  // a progress line is on the screen
  std::thread thread_;
};

/// SIGUSR1 takes a savepoint of the running job (with `state.savepoints.dir`). SIGINT or
/// SIGTERM stop the job: with a savepoint when `state.savepoints.dir` is set and the job runs,
/// else at once; a second one ends the process.
class SignalWatcher {
 public:
  explicit SignalWatcher(JobSupervisor* supervisor) : supervisor_(supervisor) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    if (savepoint_thread_.joinable()) savepoint_thread_.join();
  }
  bool interrupted() const { return interrupted_.load(); }

 private:
  void Watch() {
    int signal = 0;
    while (sigwait(&signals_, &signal) == 0) {
      if (stopping_) return;
      if (signal == SIGUSR1) {
        TakeSavepoint(/*then_stop=*/false);
        continue;
      }
      if (interrupted_.exchange(true)) _exit(kExitInterrupted);
      if (!supervisor_->savepoint_directory().empty() &&
          supervisor_->state() == JobState::kRunning) {
        std::fprintf(stderr,
                     "\nsluice: stopping the job with a savepoint (press Ctrl-C again to exit "
                     "at once)\n");
        TakeSavepoint(/*then_stop=*/true);
        continue;
      }
      std::fprintf(stderr, "\nsluice: stopping the job (press Ctrl-C again to exit at once)\n");
      supervisor_->Cancel();
    }
  }
  /// On a thread of its own, so that a second Ctrl-C still ends the process at once.
  void TakeSavepoint(bool then_stop) {
    if (savepoint_thread_.joinable()) {
      if (!then_stop) {
        std::fprintf(stderr, "sluice: a savepoint is already being taken\n");
        return;
      }
      savepoint_thread_.join();
    }
    savepoint_thread_ = std::thread([this, then_stop] {
      auto path = then_stop ? supervisor_->StopWithSavepoint() : supervisor_->TriggerSavepoint();
      if (path.ok()) return;  // the supervisor's event says where it went
      if (then_stop) {
        std::fprintf(stderr,
                     "sluice: error: no savepoint: %s\nsluice: the job was not stopped by it "
                     "(press Ctrl-C again to stop it at once)\n",
                     path.status().message().c_str());
      } else {
        std::fprintf(stderr, "sluice: error: no savepoint: %s\n", path.status().message().c_str());
      }
    });
  }

  JobSupervisor* supervisor_;
  sigset_t signals_;
  std::thread thread_;
  std::thread savepoint_thread_;  // only the watcher thread touches it
  std::atomic<bool> stopping_{false};
  std::atomic<bool> interrupted_{false};
};

/// Says how the job ended and returns the exit code.
int Report(const runtime::plan::PlanGraph& plan, const JobOutcome& outcome) {
  const auto& progress = outcome.progress;
  switch (outcome.state) {
    case JobState::kStopped:
      if (!outcome.savepoint.empty()) {
        std::fprintf(stderr,
                     "sluice: job '%s' stopped with a savepoint after %.1f s (%lld rows in, "
                     "%lld out, all committed)\n",
                     plan.job_name.c_str(), outcome.seconds,
                     static_cast<long long>(progress.rows_in),
                     static_cast<long long>(progress.rows_out));
        return kExitOk;
      }
      std::fprintf(stderr, "sluice: job '%s' stopped after %.1f s (%lld rows in, %lld out)\n",
                   plan.job_name.c_str(), outcome.seconds, static_cast<long long>(progress.rows_in),
                   static_cast<long long>(progress.rows_out));
      return kExitInterrupted;
    case JobState::kFailed: {
      base::ErrorCode code = outcome.status.code();
      if (outcome.never_ran) {
        std::fprintf(stderr, "sluice: error: %s\n", outcome.status.message().c_str());
        if (code == base::ErrorCode::kIncompatible) return kExitFailed;
        // An unreadable snapshot or a bad option: the request was wrong. A job that could not
        // be built for another reason (its directory locked by another run) failed.
        return outcome.restore_refused || code == base::ErrorCode::kOption ? kExitUsage
                                                                           : kExitFailed;
      }
      std::fprintf(stderr, "sluice: error: job '%s' failed: %s\n", plan.job_name.c_str(),
                   outcome.status.ToString().c_str());
      return kExitFailed;
    }
    default: break;
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
                 plan.job_name.c_str(), outcome.seconds, static_cast<long long>(progress.rows_in),
                 static_cast<long long>(progress.rows_out));
  }
  return kExitOk;
}

}  // namespace

int RunJob(const runtime::plan::PlanGraph& plan, runtime::scheduler::JobOptions options,
           const RunJobFlags& flags) {
  StderrRenderer renderer(/*progress=*/true);
  runtime::scheduler::SupervisorOptions supervised;
  options.checkpoint_directory = flags.checkpoint_directory;
  supervised.job = std::move(options);
  supervised.restore = flags.restore;
  supervised.backfill = runtime::scheduler::SplitBackfillUids(flags.backfill);
  supervised.gate = compiler::check::MakeRestoreGate(
      std::set<std::string>(supervised.backfill.begin(), supervised.backfill.end()));
  supervised.listener = [&renderer](const JobEvent& event) { renderer.Render(event); };
  supervised.on_finished = [&plan, &flags](const runtime::scheduler::Job& job) {
    if (!flags.savepoint_at_end.empty()) {
      base::Status written =
          WriteSavepointAtEnd(job, plan, flags.savepoint_at_end, flags.savepoint_format);
      if (!written.ok()) return written;
    }
    // The process exits once the job is reported: its in-memory state need not be freed.
    runtime::state::LeaveMemoryStateToProcessExit();
    return base::Status::Ok();
  };
  auto supervisor = JobSupervisor::Create(plan, std::move(supervised));
  if (!supervisor.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", supervisor.status().message().c_str());
    return kExitUsage;
  }
  JobOutcome outcome;
  {
    SignalWatcher signals(supervisor->get());
    renderer.StartProgress(supervisor->get());
    outcome = (*supervisor)->Run();
    renderer.StopProgress();
  }
  return Report(plan, outcome);
}

}  // namespace sluice::cli
