// A job run in shadow (JobOptions::shadow, operators/shadow_control.h), in process: restored
// from a savepoint of a running job, it reads no further than its holds and its sink writes
// nothing; held at the running job's stop, its handover checkpoint hands it the output, and
// the two jobs' committed rows are every row exactly once.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/scheduler/job.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::scheduler {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

constexpr int64_t kRows = 20000;

class ShadowJobTest : public testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("sluice-shadow-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  /// A datagen sequence 1..kRows at `rate` rows/s -> a filesystem sink (json) under
  /// `directory_/out`, checkpointing every `interval` (so the sink is transactional).
  plan::PlanGraph SequenceJob(int64_t rate, const std::string& interval) {
    types::Schema schema{{{"n", LogicalType::Bigint()}}};
    plan::PlanGraph plan;
    plan.job_name = "shadow-test";
    plan.options = {{"execution.checkpointing.interval", interval},
                    {"state.savepoints.dir", (directory_ / "savepoints").string()}};
    plan::PlanNode source;
    source.id = 0;
    source.uid = "source/seq";
    source.kind = plan::OperatorKind::kSource;
    source.output_schema = schema;
    source.table = connectors::TableDescriptor{"seq",
                                               schema,
                                               {{"connector", "datagen"},
                                                {"number-of-rows", std::to_string(kRows)},
                                                {"rows-per-second", std::to_string(rate)},
                                                {"fields.n.kind", "sequence"},
                                                {"fields.n.start", "1"},
                                                {"fields.n.end", std::to_string(kRows)}},
                                               {}};
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

  /// The committed rows' numbers under `directory_/out`, each as often as it was committed.
  std::multiset<int64_t> Committed() {
    std::multiset<int64_t> rows;
    if (!fs::exists(directory_ / "out")) return rows;
    for (const auto& entry : fs::recursive_directory_iterator(directory_ / "out")) {
      if (!entry.is_regular_file() || entry.path().filename().string()[0] == '.') continue;
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        rows.insert(std::stoll(line.substr(line.find(':') + 1)));
      }
    }
    return rows;
  }

  static std::map<std::string, std::vector<std::string>> OffsetsOf(const std::string& snapshot) {
    auto read = state::ReadSnapshot(snapshot);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? read->metadata.source_offsets
                     : std::map<std::string, std::vector<std::string>>();
  }

  static bool Await(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  /// The running job: the sequence at 4,000 rows/s, checkpointing under `directory_/old`.
  base::Result<std::unique_ptr<Job>> RunningJob() {
    JobOptions options;
    options.threads = 2;
    options.checkpoint_directory = (directory_ / "old").string();
    return Job::Create(SequenceJob(4000, "200 ms"), options);
  }
  /// The same job in shadow, restored from `base` and following `control`.
  base::Result<std::unique_ptr<Job>> ShadowJob(const state::Snapshot& base,
                                               std::shared_ptr<operators::ShadowControl> control) {
    JobOptions options;
    options.threads = 2;
    options.checkpoint_directory = (directory_ / "new").string();
    options.restore_from = &base;
    options.shadow = std::move(control);
    return Job::Create(SequenceJob(4000, "200 ms"), options);
  }

  fs::path directory_;
};

TEST_F(ShadowJobTest, AShadowJobWritesNothingUntilItsHandoverAndEveryRowOnceAfter) {
  auto old_job = RunningJob();
  ASSERT_TRUE(old_job.ok()) << old_job.status().ToString();
  auto old_run = std::async(std::launch::async, [&] { return (*old_job)->Run(); });
  ASSERT_TRUE(Await([&] { return (*old_job)->progress().rows_in >= 2000; }));
  auto base = (*old_job)->TakeSavepoint();
  ASSERT_TRUE(base.ok()) << base.status().ToString();

  // The new version beside it, from that savepoint, held there.
  auto base_snapshot = state::ReadSnapshot(*base);
  ASSERT_TRUE(base_snapshot.ok()) << base_snapshot.status().ToString();
  auto control = std::make_shared<operators::ShadowControl>();
  control->Hold(base_snapshot->metadata.source_offsets);
  auto new_job = ShadowJob(*base_snapshot, control);
  ASSERT_TRUE(new_job.ok()) << new_job.status().ToString();
  auto new_run = std::async(std::launch::async, [&] { return (*new_job)->Run(); });
  ASSERT_TRUE(Await([&] { return control->AllHeld(); }));
  EXPECT_EQ((*new_job)->progress().rows_in, 0) << "held at its start";

  // Held at a later savepoint of the running job: it reads up to there, unpaced, and its sink
  // drops what it gets; no checkpoint is taken in shadow.
  ASSERT_TRUE(Await([&] { return (*old_job)->progress().rows_in >= 5000; }));
  auto later = (*old_job)->TakeSavepoint();
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  control->Hold(OffsetsOf(*later));
  ASSERT_TRUE(Await([&] { return control->AllHeld(); }));
  const int64_t read_in_shadow = (*new_job)->progress().rows_in;
  EXPECT_GE(read_in_shadow, 3000);
  EXPECT_EQ(control->discarded(), read_in_shadow);
  EXPECT_EQ((*new_job)->progress().rows_out, 0);
  EXPECT_EQ((*new_job)->completed_checkpoints(), 0);

  // The cut: the running job stops; the new one reads up to exactly there and takes over.
  auto stop = (*old_job)->StopWithSavepoint();
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  ASSERT_TRUE(old_run.get().ok());
  control->Hold(OffsetsOf(*stop));
  ASSERT_TRUE(Await([&] { return control->AllHeld(); }));
  auto handover = (*new_job)->TakeHandoverCheckpoint();
  ASSERT_TRUE(handover.ok()) << handover.status().ToString();
  EXPECT_TRUE(control->live());
  EXPECT_EQ(OffsetsOf(*handover), OffsetsOf(*stop)) << "the handover is at the stop's positions";
  const int64_t discarded = control->discarded();
  control->Release();
  base::Status status = new_run.get();
  ASSERT_TRUE(status.ok()) << status.ToString();

  // Every row exactly once: the running job's up to its stop, the new one's after it.
  std::multiset<int64_t> rows = Committed();
  EXPECT_EQ(rows.size(), static_cast<size_t>(kRows));
  for (int64_t n = 1; n <= kRows; ++n) EXPECT_EQ(rows.count(n), 1u) << "row " << n;
  EXPECT_EQ(control->discarded(), discarded) << "the sink dropped nothing after the handover";
  EXPECT_GT((*new_job)->completed_checkpoints(), 1) << "periodic checkpoints after the handover";
}

TEST_F(ShadowJobTest, AHoldBehindTheSourceIsAnError) {
  auto old_job = RunningJob();
  ASSERT_TRUE(old_job.ok()) << old_job.status().ToString();
  auto old_run = std::async(std::launch::async, [&] { return (*old_job)->Run(); });
  ASSERT_TRUE(Await([&] { return (*old_job)->progress().rows_in >= 1000; }));
  auto early = (*old_job)->TakeSavepoint();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  ASSERT_TRUE(Await([&] { return (*old_job)->progress().rows_in >= 3000; }));
  auto base = (*old_job)->TakeSavepoint();
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  (*old_job)->Cancel();
  old_run.get();

  auto base_snapshot = state::ReadSnapshot(*base);
  ASSERT_TRUE(base_snapshot.ok()) << base_snapshot.status().ToString();
  auto control = std::make_shared<operators::ShadowControl>();
  control->Hold(OffsetsOf(*early));  // behind where the restored source stands
  auto new_job = ShadowJob(*base_snapshot, control);
  ASSERT_TRUE(new_job.ok()) << new_job.status().ToString();
  base::Status status = (*new_job)->Run();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot be held at the position asked"), std::string::npos)
      << status.ToString();
  EXPECT_TRUE(Committed().size() <= 3000u) << "the job in shadow wrote nothing";
}

}  // namespace
}  // namespace sluice::runtime::scheduler
