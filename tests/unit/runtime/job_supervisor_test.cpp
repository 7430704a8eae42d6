// JobSupervisor: the life of a job in one place (DESIGN §12) — the states it goes through,
// restarts as the restart strategy allows, a cancel at any point, stop-with-savepoint, and
// several jobs sharing one set of engine services.

#include "runtime/scheduler/job_supervisor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/scheduler/engine_services.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::scheduler {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

/// What the sources of one test share: how many rows were emitted, when to end, and how many
/// attempts should fail (each failing attempt fails once it emitted `fail_after` rows).
struct SourceControl {
  std::atomic<int64_t> emitted{0};
  std::atomic<int64_t> limit{-1};  // end after this many rows (-1: run until cancelled)
  std::atomic<int32_t> failures_left{0};
  int64_t fail_after = 20;
  std::atomic<int32_t> opened{0};
};

/// Emits its running number, one row per poll; the position is the next number, so a restore
/// continues where the checkpoint was taken.
class ControlledSource : public operators::SourceOperator {
 public:
  explicit ControlledSource(SourceControl* control) : control_(control) {}
  base::Status Open(const operators::OperatorContext&) override {
    control_->opened.fetch_add(1);
    return base::Status::Ok();
  }
  base::Status Seek(const std::string& position) override {
    next_ = std::stoll(position);
    return base::Status::Ok();
  }
  base::Result<bool> Poll(operators::Output* out) override {
    int64_t limit = control_->limit.load();
    if (limit >= 0 && next_ >= limit) return false;
    if (emitted_here_ >= control_->fail_after && control_->failures_left.load() > 0) {
      control_->failures_left.fetch_sub(1);
      return base::Status::Error(base::ErrorCode::kRuntime, "injected failure");
    }
    SLUICE_RETURN_IF_ERROR(
        out->EmitBatch(operators::testing::MakeBatch({LogicalType::Bigint()}, {{next_}})));
    ++next_;
    ++emitted_here_;
    control_->emitted.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    return true;
  }
  std::string Position() const override { return std::to_string(next_); }

 private:
  SourceControl* control_;
  int64_t next_ = 0;
  int64_t emitted_here_ = 0;
};

class JobSupervisorTest : public testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("sluice-supervisor-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  /// controlled source -> filesystem sink (json) under `directory_/<name>`, checkpointing
  /// every 100 ms so that the sink is transactional and restarts continue from a checkpoint.
  plan::PlanGraph Plan(const std::string& name) {
    types::Schema schema{{{"n", LogicalType::Bigint()}}};
    plan::PlanGraph plan;
    plan.job_name = name;
    plan.options = {{"execution.checkpointing.interval", "100 ms"},
                    {"state.checkpoints.dir", (directory_ / "checkpoints").string()},
                    {"state.savepoints.dir", (directory_ / "savepoints").string()}};
    plan::PlanNode source;
    source.id = 0;
    source.uid = "source/controlled";
    source.kind = plan::OperatorKind::kSource;
    source.output_schema = schema;
    source.table = connectors::TableDescriptor{"numbers", schema, {{"connector", "values"}}, {}};
    plan::PlanNode sink;
    sink.id = 1;
    sink.uid = "sink/out";
    sink.kind = plan::OperatorKind::kSink;
    sink.output_schema = schema;
    sink.table = connectors::TableDescriptor{
        "out",
        schema,
        {{"connector", "filesystem"}, {"path", (directory_ / name).string()}, {"format", "json"}},
        {}};
    plan.nodes = {source, sink};
    plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kForward, {}}};
    return plan;
  }

  /// Supervisor options whose sources are `control`'s and whose events are recorded.
  SupervisorOptions Options(SourceControl* control, EngineServices* services = nullptr) {
    SupervisorOptions options;
    options.job.threads = 2;
    options.job.services = services;
    options.job.checkpoint_directory = (directory_ / "checkpoints").string();
    options.job.source_factory = [control](const plan::PlanNode&) {
      return base::Result<std::unique_ptr<operators::SourceOperator>>(
          std::unique_ptr<operators::SourceOperator>(new ControlledSource(control)));
    };
    options.listener = [this](const JobEvent& event) {
      std::lock_guard<std::mutex> lock(events_mutex_);
      events_.push_back(event);
    };
    return options;
  }

  std::vector<std::string> States() {
    std::lock_guard<std::mutex> lock(events_mutex_);
    std::vector<std::string> states;
    for (const JobEvent& event : events_) {
      if (event.kind == JobEvent::Kind::kState) states.push_back(JobStateName(event.state));
    }
    return states;
  }

  int32_t Count(JobEvent::Kind kind) {
    std::lock_guard<std::mutex> lock(events_mutex_);
    int32_t count = 0;
    for (const JobEvent& event : events_) count += event.kind == kind;
    return count;
  }

  /// The committed numbers of table `name`, sorted.
  std::vector<int64_t> Committed(const std::string& name) {
    std::vector<int64_t> numbers;
    for (const auto& entry : fs::directory_iterator(directory_ / name)) {
      if (entry.path().filename().string()[0] == '.') continue;
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        numbers.push_back(std::stoll(line.substr(line.find(':') + 1)));
      }
    }
    std::sort(numbers.begin(), numbers.end());
    return numbers;
  }

  static bool WaitFor(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  fs::path directory_;
  std::mutex events_mutex_;
  std::vector<JobEvent> events_;
};

std::vector<int64_t> Range(int64_t count) {
  std::vector<int64_t> numbers;
  for (int64_t i = 0; i < count; ++i) numbers.push_back(i);
  return numbers;
}

TEST_F(JobSupervisorTest, ABoundedJobGoesFromRestoringThroughRunningToFinished) {
  SourceControl control;
  control.limit = 300;
  auto supervisor = JobSupervisor::Create(Plan("out"), Options(&control));
  ASSERT_TRUE(supervisor.ok()) << supervisor.status().ToString();
  EXPECT_EQ((*supervisor)->state(), JobState::kCreated);
  JobOutcome outcome = (*supervisor)->Run();
  EXPECT_EQ(outcome.state, JobState::kFinished) << outcome.status.ToString();
  EXPECT_EQ((*supervisor)->state(), JobState::kFinished);
  EXPECT_EQ(States(), (std::vector<std::string>{"RESTORING", "RUNNING", "FINISHED"}));
  EXPECT_FALSE((*supervisor)->job_id().empty());
  EXPECT_EQ(Committed("out"), Range(300));
  // Counters stay readable after the end.
  ASSERT_TRUE((*supervisor)->metrics().has_value());
  EXPECT_EQ(outcome.progress.rows_out, 300);
  // Every operator counts what it received and emitted.
  const JobMetrics metrics = *(*supervisor)->metrics();
  for (const auto& op : metrics.operators) {
    if (op.uid == "source/controlled") {
      EXPECT_EQ(op.rows_out, 300);
    }
    if (op.uid == "sink/out") {
      EXPECT_EQ(op.rows_in, 300);
      EXPECT_EQ(op.rows_out, 300);
    }
  }
}

TEST_F(JobSupervisorTest, AFailedAttemptRestartsFromTheLatestCheckpointExactlyOnce) {
  SourceControl control;
  control.limit = 3000;
  control.fail_after = 1000;
  control.failures_left = 2;
  plan::PlanGraph plan = Plan("out");
  plan.options["restart-strategy.type"] = "fixed-delay";
  plan.options["restart-strategy.fixed-delay.attempts"] = "3";
  plan.options["restart-strategy.fixed-delay.delay"] = "10 ms";
  auto supervisor = JobSupervisor::Create(plan, Options(&control));
  ASSERT_TRUE(supervisor.ok()) << supervisor.status().ToString();
  JobOutcome outcome = (*supervisor)->Run();
  EXPECT_EQ(outcome.state, JobState::kFinished) << outcome.status.ToString();
  EXPECT_EQ((*supervisor)->restarts(), 2);
  EXPECT_NE((*supervisor)->last_failure().find("injected failure"), std::string::npos);
  EXPECT_EQ(Count(JobEvent::Kind::kRestart), 2);
  EXPECT_EQ(control.opened.load(), 3);
  // Rows re-read after a restart replace what the failed attempt had not committed.
  EXPECT_EQ(Committed("out"), Range(3000));
}

TEST_F(JobSupervisorTest, WithoutRestartsAFailureFailsTheJob) {
  SourceControl control;
  control.failures_left = 1;
  plan::PlanGraph plan = Plan("out");
  plan.options["restart-strategy.type"] = "none";
  auto supervisor = JobSupervisor::Create(plan, Options(&control));
  ASSERT_TRUE(supervisor.ok());
  JobOutcome outcome = (*supervisor)->Run();
  EXPECT_EQ(outcome.state, JobState::kFailed);
  EXPECT_FALSE(outcome.never_ran);
  EXPECT_NE(outcome.status.message().find("injected failure"), std::string::npos);
  EXPECT_EQ(States().back(), "FAILED");
}

TEST_F(JobSupervisorTest, ABadRestartOptionIsRefusedBeforeAnythingRuns) {
  SourceControl control;
  plan::PlanGraph plan = Plan("out");
  plan.options["restart-strategy.type"] = "sometimes";
  auto supervisor = JobSupervisor::Create(plan, Options(&control));
  ASSERT_FALSE(supervisor.ok());
  EXPECT_EQ(supervisor.status().subject(), "restart-strategy.type");
  EXPECT_EQ(control.opened.load(), 0);
}

TEST_F(JobSupervisorTest, CancelWhileRunningStopsTheJob) {
  SourceControl control;
  auto supervisor = JobSupervisor::Create(Plan("out"), Options(&control));
  ASSERT_TRUE(supervisor.ok());
  auto run = std::async(std::launch::async, [&] { return (*supervisor)->Run(); });
  ASSERT_TRUE(WaitFor([&] { return control.emitted.load() > 100; }));
  EXPECT_EQ((*supervisor)->state(), JobState::kRunning);
  (*supervisor)->Cancel();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  JobOutcome outcome = run.get();
  EXPECT_EQ(outcome.state, JobState::kStopped);
  EXPECT_TRUE(outcome.savepoint.empty());
  std::vector<std::string> states = States();
  ASSERT_GE(states.size(), 2u);
  EXPECT_EQ(states[states.size() - 2], "STOPPING");
  EXPECT_EQ(states.back(), "STOPPED");
}

TEST_F(JobSupervisorTest, CancelBeforeTheFirstAttemptStopsWithoutRunning) {
  // A SIGTERM while the restore is being decided: the supervisor stops before building the
  // attempt (it once deadlocked there, reading the progress under its own lock).
  SourceControl control;
  auto supervisor = JobSupervisor::Create(Plan("out"), Options(&control));
  ASSERT_TRUE(supervisor.ok());
  (*supervisor)->Cancel();
  auto run = std::async(std::launch::async, [&] { return (*supervisor)->Run(); });
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(run.get().state, JobState::kStopped);
  EXPECT_EQ(control.emitted.load(), 0);
}

TEST_F(JobSupervisorTest, CancelWhileWaitingToRestartEndsTheWaitAtOnce) {
  SourceControl control;
  control.failures_left = 1;
  plan::PlanGraph plan = Plan("out");
  plan.options["restart-strategy.type"] = "fixed-delay";
  plan.options["restart-strategy.fixed-delay.attempts"] = "1";
  plan.options["restart-strategy.fixed-delay.delay"] = "1 h";
  auto supervisor = JobSupervisor::Create(plan, Options(&control));
  ASSERT_TRUE(supervisor.ok());
  auto run = std::async(std::launch::async, [&] { return (*supervisor)->Run(); });
  ASSERT_TRUE(WaitFor([&] { return (*supervisor)->state() == JobState::kRestarting; }));
  (*supervisor)->Cancel();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(run.get().state, JobState::kStopped);
  EXPECT_EQ(control.opened.load(), 1);
}

TEST_F(JobSupervisorTest, StopWithSavepointCommitsEverythingAndReturnsItsPath) {
  SourceControl control;
  auto supervisor = JobSupervisor::Create(Plan("out"), Options(&control));
  ASSERT_TRUE(supervisor.ok());
  // Not running yet: refused, nothing changes.
  EXPECT_FALSE((*supervisor)->StopWithSavepoint().ok());
  auto run = std::async(std::launch::async, [&] { return (*supervisor)->Run(); });
  ASSERT_TRUE(WaitFor([&] { return control.emitted.load() > 200; }));
  base::Result<std::string> savepoint = (*supervisor)->StopWithSavepoint();
  ASSERT_TRUE(savepoint.ok()) << savepoint.status().ToString();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  JobOutcome outcome = run.get();
  EXPECT_EQ(outcome.state, JobState::kStopped);
  EXPECT_EQ(outcome.savepoint, *savepoint);
  EXPECT_TRUE(fs::exists(fs::path(*savepoint) / "_metadata"));
  EXPECT_EQ(Committed("out"), Range(control.emitted.load()));

  // The savepoint restores where the stop left off: a second supervisor continues to 400.
  SourceControl next;
  next.limit = control.emitted.load() + 100;
  SupervisorOptions options = Options(&next);
  options.restore.from = *savepoint;
  // The compiler's check is not linked here: every operator keeps its state.
  options.gate = [](const state::Snapshot&, const plan::PlanGraph&, bool) {
    return RestoreVerdict{};
  };
  auto resumed = JobSupervisor::Create(Plan("out"), std::move(options));
  ASSERT_TRUE(resumed.ok());
  JobOutcome second = (*resumed)->Run();
  EXPECT_EQ(second.state, JobState::kFinished) << second.status.ToString();
  EXPECT_EQ(Committed("out"), Range(next.limit.load()));
}

TEST_F(JobSupervisorTest, JobsShareOneSetOfEngineServices) {
  EngineServices::Options service_options;
  service_options.threads = 2;
  EngineServices services(std::move(service_options));
  constexpr int kJobs = 4;
  std::vector<SourceControl> controls(kJobs);
  std::vector<std::unique_ptr<JobSupervisor>> supervisors;
  std::vector<std::future<JobOutcome>> runs;
  for (int i = 0; i < kJobs; ++i) {
    controls[i].limit = 500;
    auto supervisor =
        JobSupervisor::Create(Plan("out" + std::to_string(i)), Options(&controls[i], &services));
    ASSERT_TRUE(supervisor.ok());
    supervisors.push_back(std::move(supervisor).value());
  }
  for (auto& supervisor : supervisors) {
    runs.push_back(std::async(std::launch::async, [&] { return supervisor->Run(); }));
  }
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(runs[i].wait_for(std::chrono::seconds(60)), std::future_status::ready);
    JobOutcome outcome = runs[i].get();
    EXPECT_EQ(outcome.state, JobState::kFinished) << outcome.status.ToString();
    EXPECT_EQ(Committed("out" + std::to_string(i)), Range(500));
  }
  // Each job got an id of its own.
  EXPECT_NE(supervisors[0]->job_id(), supervisors[1]->job_id());
}

}  // namespace
}  // namespace sluice::runtime::scheduler
