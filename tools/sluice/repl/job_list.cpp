#include "tools/sluice/repl/job_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "catalog/base/suggest.h"
#include "runtime/scheduler/job.h"
#include "tools/sluice/repl/result_view.h"

namespace sluice::repl {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

struct JobList::Entry {
  std::string name;
  std::unique_ptr<runtime::scheduler::Job> job;
  std::thread thread;
  Clock::time_point start;
  std::atomic<bool> done{false};
  std::atomic<bool> stopped{false};
  bool reported = false;
  base::Status status;  // valid once done
  double seconds = 0;   // valid once done

  std::string StatusName() const {
    if (!done.load()) return "RUNNING";
    if (stopped.load()) return "STOPPED";
    return status.ok() ? "FINISHED" : "FAILED";
  }
};

JobList::JobList() = default;

JobList::~JobList() {
  StopAll();
}

bool JobList::Start(const std::string& base_name, const runtime::plan::PlanGraph& plan,
                    runtime::expr::ChainCompiler* chain_compiler) {
  std::string name = base_name;
  for (int n = 2;; ++n) {
    bool taken =
        std::any_of(jobs_.begin(), jobs_.end(), [&](const auto& job) { return job->name == name; });
    if (!taken) break;
    name = fmt::format("{}-{}", base_name, n);
  }
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = chain_compiler;
  // The job is known by its name in this session, also to its checkpoint directory (whose
  // lock would otherwise refuse a second background job of the same statement's name).
  runtime::plan::PlanGraph named = plan;
  named.job_name = name;
  auto created = runtime::scheduler::Job::Create(named, job_options);
  if (!created.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", created.status().message().c_str());
    return false;
  }
  auto job = std::make_unique<Entry>();
  job->name = name;
  job->job = std::move(created).value();
  job->start = Clock::now();
  Entry* raw = job.get();
  job->thread = std::thread([raw] {
    raw->status = raw->job->Run();
    raw->seconds = std::chrono::duration<double>(Clock::now() - raw->start).count();
    raw->done.store(true);
  });
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
    auto savepoint = target->job->StopWithSavepoint();
    if (!savepoint.ok()) {
      return fmt::format("no savepoint of job '{}' (it keeps running): {}", name,
                         savepoint.status().message());
    }
    std::printf("savepoint written: %s\n", savepoint->c_str());
  }
  target->stopped.store(true);
  if (!with_savepoint) target->job->Cancel();
  target->thread.join();
  auto progress = target->job->progress();
  std::printf("job '%s' stopped after %.1f s: %lld rows in, %lld rows out\n", target->name.c_str(),
              target->seconds, static_cast<long long>(progress.rows_in),
              static_cast<long long>(progress.rows_out));
  std::fflush(stdout);
  return std::nullopt;
}

void JobList::ReportEnded() {
  for (auto& job : jobs_) {
    if (!job->done.load() || job->reported) continue;
    job->reported = true;
    if (job->stopped.load()) continue;  // STOP JOB said so already
    auto progress = job->job->progress();
    if (job->status.ok()) {
      std::printf("job '%s' finished in %.1f s: %lld rows in, %lld rows out\n", job->name.c_str(),
                  job->seconds, static_cast<long long>(progress.rows_in),
                  static_cast<long long>(progress.rows_out));
    } else {
      std::printf("job '%s' failed: %s\n", job->name.c_str(), job->status.ToString().c_str());
    }
  }
  std::fflush(stdout);
}

void JobList::Show() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs_) {
    bool done = job->done.load();
    auto progress = job->job->progress();
    double seconds =
        done ? job->seconds : std::chrono::duration<double>(Clock::now() - job->start).count();
    rows.push_back({job->name, job->StatusName(), std::to_string(progress.rows_in),
                    std::to_string(progress.rows_out), fmt::format("{:.1f} s", seconds)});
  }
  PrintTable({{"job"}, {"status"}, {"rows in", true}, {"rows out", true}, {"elapsed", true}}, rows);
}

void JobList::StopAll() {
  for (auto& job : jobs_) {
    if (!job->done.load()) {
      job->stopped.store(true);
      job->job->Cancel();
    }
    if (job->thread.joinable()) job->thread.join();
  }
}

bool JobList::HasRunning() const {
  return std::any_of(jobs_.begin(), jobs_.end(), [](const auto& job) { return !job->done.load(); });
}

}  // namespace sluice::repl
