// Job::StopWithSavepoint in process: the sources stop at one barrier, the sinks commit
// everything before it, and Run returns; a savepoint that cannot be written leaves the job
// running as before (DESIGN §12).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "runtime/scheduler/job.h"
#include "runtime/state/snapshot.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::scheduler {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

/// Emits one row (its running number) per poll until released, then ends; its position is
/// the number of rows emitted, so a restore could continue exactly where it stopped.
class CountingSource : public operators::SourceOperator {
 public:
  explicit CountingSource(std::atomic<int64_t>* emitted, std::atomic<bool>* released)
      : emitted_(emitted), released_(released) {}
  base::Status Open(const operators::OperatorContext& context) override {
    return base::Status::Ok();
  }
  base::Result<bool> Poll(operators::Output* out) override {
    if (released_->load()) return false;
    int64_t next = emitted_->load();
    SLUICE_RETURN_IF_ERROR(
        out->EmitBatch(operators::testing::MakeBatch({LogicalType::Bigint()}, {{next}})));
    emitted_->store(next + 1);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return true;
  }
  std::string Position() const override { return std::to_string(emitted_->load()); }

 private:
  std::atomic<int64_t>* emitted_;
  std::atomic<bool>* released_;
};

class StopWithSavepointTest : public testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("sluice-stop-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  /// counting source -> filesystem sink (json) under `directory_/out`, checkpointing (so the
  /// sink is transactional) every `interval`.
  plan::PlanGraph CountingJob(const std::string& interval) {
    types::Schema schema{{{"n", LogicalType::Bigint()}}};
    plan::PlanGraph plan;
    plan.job_name = "stop-test";
    plan.options = {{"execution.checkpointing.interval", interval},
                    {"state.checkpoints.dir", (directory_ / "checkpoints").string()},
                    {"state.savepoints.dir", (directory_ / "savepoints").string()}};
    plan::PlanNode source;
    source.id = 0;
    source.uid = "source/counting";
    source.kind = plan::OperatorKind::kSource;
    source.output_schema = schema;
    source.table = connectors::TableDescriptor{"counting", schema, {{"connector", "values"}}, {}};
    plan::PlanNode sink;
    sink.id = 1;
    sink.uid = "sink/out";
    sink.kind = plan::OperatorKind::kSink;
    sink.output_schema = schema;
    sink.table = connectors::TableDescriptor{
        "out",
        schema,
        {{"connector", "filesystem"}, {"path", (directory_ / "out").string()}, {"format", "json"}},
        {}};
    plan.nodes = {source, sink};
    plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kForward, {}}};
    return plan;
  }

  /// Every committed line under `directory_/out`; `hidden` counts the uncommitted part files.
  std::vector<std::string> Committed(size_t* hidden) {
    std::vector<std::string> lines;
    *hidden = 0;
    for (const auto& entry : fs::directory_iterator(directory_ / "out")) {
      std::string name = entry.path().filename().string();
      if (name[0] == '.') {
        ++*hidden;
        continue;
      }
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    return lines;
  }

  JobOptions Options() {
    JobOptions options;
    options.threads = 2;
    options.source_factory = [this](const plan::PlanNode&) {
      return base::Result<std::unique_ptr<operators::SourceOperator>>(
          std::unique_ptr<operators::SourceOperator>(new CountingSource(&emitted_, &released_)));
    };
    return options;
  }

  bool WaitForRows(int64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (emitted_.load() < count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  fs::path directory_;
  std::atomic<int64_t> emitted_{0};
  std::atomic<bool> released_{false};
};

TEST_F(StopWithSavepointTest, SourcesStopAtTheBarrierAndEverythingBeforeItIsCommitted) {
  auto job = Job::Create(CountingJob("1 h"), Options());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  auto run = std::async(std::launch::async, [&] { return (*job)->Run(); });
  ASSERT_TRUE(WaitForRows(200));
  base::Result<std::string> savepoint = (*job)->StopWithSavepoint();
  ASSERT_TRUE(savepoint.ok()) << savepoint.status().ToString();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  base::Status status = run.get();
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE((*job)->stopped_with_savepoint());
  const int64_t stopped_at = emitted_.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(emitted_.load(), stopped_at) << "the source was polled after the stop";

  // Every row emitted before the barrier is visible; nothing is left hidden.
  size_t hidden = 0;
  std::vector<std::string> lines = Committed(&hidden);
  EXPECT_EQ(hidden, 0u);
  EXPECT_EQ(static_cast<int64_t>(lines.size()), stopped_at);
  // The savepoint's position is the source's at the barrier, and it names no transaction
  // that is not committed already (restoring it commits nothing new).
  auto snapshot = state::ReadSnapshot(*savepoint);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ(snapshot->metadata.source_offsets.at("source/counting").size(), 1u);
  EXPECT_EQ(snapshot->metadata.source_offsets.at("source/counting")[0], std::to_string(stopped_at));
  EXPECT_EQ(snapshot->metadata.job_id, (*job)->job_id());
  EXPECT_TRUE(snapshot->metadata.pending_sink_transactions.empty());
}

TEST_F(StopWithSavepointTest, AStopWhoseSavepointFailsLeavesTheJobRunning) {
  plan::PlanGraph plan = CountingJob("1 h");
  // A savepoint directory below a regular file cannot be created.
  std::ofstream(directory_ / "file") << "x";
  plan.options["state.savepoints.dir"] = (directory_ / "file" / "savepoints").string();
  auto job = Job::Create(plan, Options());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  auto run = std::async(std::launch::async, [&] { return (*job)->Run(); });
  ASSERT_TRUE(WaitForRows(100));
  base::Result<std::string> savepoint = (*job)->StopWithSavepoint();
  EXPECT_FALSE(savepoint.ok());
  // The job goes on: its source is polled again, and it can still end normally.
  const int64_t after_failure = emitted_.load();
  ASSERT_TRUE(WaitForRows(after_failure + 100));
  EXPECT_FALSE((*job)->stopped_with_savepoint());
  released_.store(true);
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  base::Status status = run.get();
  EXPECT_TRUE(status.ok()) << status.ToString();
  size_t hidden = 0;
  EXPECT_EQ(static_cast<int64_t>(Committed(&hidden).size()), emitted_.load());
  EXPECT_EQ(hidden, 0u);
}

}  // namespace
}  // namespace sluice::runtime::scheduler
