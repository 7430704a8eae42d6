#include "tools/sluice/repl/job_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "catalog/base/suggest.h"
#include "compiler/check/restore_gate.h"
#include "runtime/scheduler/job_supervisor.h"
#include "tools/sluice/repl/result_view.h"

namespace sluice::repl {

namespace {

using Clock = std::chrono::steady_clock;
using runtime::scheduler::JobEvent;
using runtime::scheduler::JobOutcome;
using runtime::scheduler::JobState;
using runtime::scheduler::JobSupervisor;

}  // namespace

struct JobList::Entry {
  std::string name;
  std::unique_ptr<JobSupervisor> supervisor;
  std::thread thread;
  Clock::time_point start;
  std::atomic<bool> done{false};
  std::atomic<bool> stopped{false};  // by STOP JOB (which said so already)
  bool reported = false;
  JobOutcome outcome;  // valid once done
};

JobList::JobList() = default;

JobList::~JobList() {
  StopAll();
}

bool JobList::Start(const std::string& base_name, const runtime::plan::PlanGraph& plan,
                    runtime::scheduler::EngineServices* services) {
  std::string name = base_name;
  for (int n = 2;; ++n) {
    bool taken =
        std::any_of(jobs_.begin(), jobs_.end(), [&](const auto& job) { return job->name == name; });
    if (!taken) break;
    name = fmt::format("{}-{}", base_name, n);
  }
  runtime::scheduler::SupervisorOptions options;
  options.job.services = services;
  options.gate = compiler::check::MakeRestoreGate();
  // What the job survives (failed checkpoints, restarts) shows on the console as it happens.
  options.listener = [name](const JobEvent& event) {
    bool failed_checkpoint = event.kind == JobEvent::Kind::kCheckpoint && event.checkpoint &&
                             !event.checkpoint->completed;
    if (event.kind != JobEvent::Kind::kWarning && event.kind != JobEvent::Kind::kRestart &&
        !failed_checkpoint) {
      return;
    }
    std::fprintf(stderr, "job '%s': %s%s\n", name.c_str(),
                 event.kind == JobEvent::Kind::kWarning ? "warning: " : "", event.text.c_str());
  };
  // The job is known by its name in this session, also to its checkpoint directory (whose
  // lock would otherwise refuse a second background job of the same statement's name).
  runtime::plan::PlanGraph named = plan;
  named.job_name = name;
  auto created = JobSupervisor::Create(named, std::move(options));
  if (!created.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", created.status().message().c_str());
    return false;
  }
  auto job = std::make_unique<Entry>();
  job->name = name;
  job->supervisor = std::move(created).value();
  job->start = Clock::now();
  Entry* raw = job.get();
  job->thread = std::thread([raw] {
    raw->outcome = raw->supervisor->Run();
    raw->done.store(true);
  });
  // A job that cannot be built (a bad option, a locked directory) fails at once: say so now.
  while (!raw->done.load() && raw->supervisor->state() != JobState::kRunning &&
         !runtime::scheduler::IsTerminal(raw->supervisor->state())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (raw->done.load() && raw->outcome.never_ran) {
    raw->thread.join();
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", raw->outcome.status.message().c_str());
    return false;
  }
  jobs_.push_back(std::move(job));
  std::printf("job '%s' started in the background (SHOW JOBS; STOP JOB '%s')\n", name.c_str(),
              name.c_str());
  std::fflush(stdout);
  return true;
}

std::optional<std::string> JobList::Stop(const std::string& name, bool with_savepoint) {
  Entry* target = nullptr;
  std::vector<std::string> running;
  for (auto& job : jobs_) {
    if (job->done.load()) continue;
    running.push_back(job->name);
    if (job->name == name) target = job.get();
  }
  if (target == nullptr) {
    std::string suggestion = base::ClosestName(name, running);
    return fmt::format("no running job named '{}'{}", name,
                       !suggestion.empty() ? " (did you mean '" + suggestion + "'?)"
                       : running.empty()   ? " (no job is running)"
                                           : "");
  }
  if (with_savepoint) {
    // The sources stop at the savepoint's barrier and the sinks commit up to it; then the
    // job ends by itself.
    auto savepoint = target->supervisor->StopWithSavepoint();
    if (!savepoint.ok()) {
      return fmt::format("no savepoint of job '{}' (it keeps running): {}", name,
                         savepoint.status().message());
    }
    std::printf("savepoint written: %s\n", savepoint->c_str());
  }
  target->stopped.store(true);
  if (!with_savepoint) target->supervisor->Cancel();
  target->thread.join();
  const auto& progress = target->outcome.progress;
  std::printf("job '%s' stopped after %.1f s: %lld rows in, %lld rows out\n", target->name.c_str(),
              target->outcome.seconds, static_cast<long long>(progress.rows_in),
              static_cast<long long>(progress.rows_out));
  std::fflush(stdout);
  return std::nullopt;
}

void JobList::ReportEnded() {
  for (auto& job : jobs_) {
    if (!job->done.load() || job->reported) continue;
    job->reported = true;
    if (job->stopped.load()) continue;  // STOP JOB said so already
    const auto& progress = job->outcome.progress;
    if (job->outcome.state == JobState::kFailed) {
      std::printf("job '%s' failed: %s\n", job->name.c_str(),
                  job->outcome.status.ToString().c_str());
    } else {
      std::printf("job '%s' %s in %.1f s: %lld rows in, %lld rows out\n", job->name.c_str(),
                  job->outcome.state == JobState::kStopped ? "stopped" : "finished",
                  job->outcome.seconds, static_cast<long long>(progress.rows_in),
                  static_cast<long long>(progress.rows_out));
    }
  }
  std::fflush(stdout);
}

void JobList::Show() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs_) {
    bool done = job->done.load();
    auto progress = done ? job->outcome.progress
                         : job->supervisor->progress().value_or(runtime::scheduler::JobProgress{});
    double seconds = done ? job->outcome.seconds
                          : std::chrono::duration<double>(Clock::now() - job->start).count();
    rows.push_back({job->name, runtime::scheduler::JobStateName(job->supervisor->state()),
                    std::to_string(progress.rows_in), std::to_string(progress.rows_out),
                    fmt::format("{:.1f} s", seconds)});
  }
  PrintTable({{"job"}, {"status"}, {"rows in", true}, {"rows out", true}, {"elapsed", true}}, rows);
}

void JobList::StopAll() {
  for (auto& job : jobs_) {
    if (!job->done.load()) {
      job->stopped.store(true);
      job->supervisor->Cancel();
    }
    if (job->thread.joinable()) job->thread.join();
  }
}

bool JobList::HasRunning() const {
  return std::any_of(jobs_.begin(), jobs_.end(), [](const auto& job) { return !job->done.load(); });
}

}  // namespace sluice::repl
