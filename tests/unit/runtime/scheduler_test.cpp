// Runs hand-built PlanGraphs on the scheduler: exchanges, parallelism, failures.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "runtime/connectors/filesystem_transactions.h"
#include "runtime/scheduler/job.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::scheduler {
namespace {

namespace fs = std::filesystem;
using plan::ExchangeKind;
using plan::OperatorKind;
using plan::PlanGraph;
using plan::PlanNode;

types::Schema KeyValueSchema() {
  return types::Schema{
      {{"key", types::LogicalType::Bigint()}, {"value", types::LogicalType::Varchar()}}};
}

PlanGraph ValuesToFiles(int32_t rows, int32_t source_parallelism, int32_t sink_parallelism,
                        ExchangeKind exchange, const fs::path& output) {
  PlanGraph plan;
  plan.job_name = "scheduler-test";
  PlanNode source;
  source.id = 0;
  source.uid = "source/values";
  source.kind = OperatorKind::kSource;
  source.parallelism = source_parallelism;
  source.output_schema = KeyValueSchema();
  source.table = connectors::TableDescriptor{
      "values", KeyValueSchema(), {{"connector", "values"}, {"rows-per-batch", "7"}}, {}};
  for (int32_t i = 0; i < rows; ++i) {
    source.table->inline_rows.push_back({std::to_string(i % 50), "row-" + std::to_string(i)});
  }
  PlanNode sink;
  sink.id = 1;
  sink.uid = "sink/files";
  sink.kind = OperatorKind::kSink;
  sink.parallelism = sink_parallelism;
  sink.output_schema = KeyValueSchema();
  sink.table = connectors::TableDescriptor{
      "files",
      KeyValueSchema(),
      {{"connector", "filesystem"}, {"path", output.string()}, {"format", "csv"}},
      {}};
  plan.nodes = {source, sink};
  plan::PlanEdge edge{0, 1, 0, exchange, {}};
  if (exchange == ExchangeKind::kHash) edge.hash_slots = {0};
  plan.edges = {edge};
  return plan;
}

/// Reads every visible part file: subtask index → lines.
std::map<int32_t, std::vector<std::string>> ReadParts(const fs::path& directory) {
  std::map<int32_t, std::vector<std::string>> parts;
  for (const auto& entry : fs::directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    std::optional<connectors::PartFileName> part = connectors::ParsePartFileName(name);
    if (!part || part->state != connectors::PartFileState::kVisible) {
      ADD_FAILURE() << "unexpected file " << name;
      continue;
    }
    int32_t subtask = part->subtask;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) parts[subtask].push_back(line);
  }
  return parts;
}

class SchedulerTest : public testing::Test {
 protected:
  void SetUp() override {
    output_ =
        fs::temp_directory_path() / ("sluice-scheduler-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(output_);
  }
  void TearDown() override { fs::remove_all(output_); }
  fs::path output_;
};

TEST_F(SchedulerTest, HashExchangeSendsEveryKeyToTheSubtaskOwningItsKeyGroup) {
  PlanGraph plan = ValuesToFiles(1000, 2, 3, ExchangeKind::kHash, output_);
  auto job = Job::Create(plan, JobOptions{});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->Run().ok());
  auto parts = ReadParts(output_);
  size_t total = 0;
  std::map<std::string, int32_t> owner;
  for (const auto& [subtask, lines] : parts) {
    total += lines.size();
    for (const std::string& line : lines) {
      std::string key = line.substr(0, line.find(','));
      auto [it, inserted] = owner.emplace(key, subtask);
      EXPECT_EQ(it->second, subtask) << "key " << key << " reached two subtasks";
      // The owner is the one Flink's contiguous key-group ranges give.
      Batch batch({types::LogicalType::Bigint()});
      batch.column(0).values<int64_t>()[0] = std::stoll(key);
      batch.column(0).validity()[0] = 1;
      batch.set_row_count(1);
      int32_t key_group = KeyGroupOf(HashKey(batch, {0}, 0), plan.max_parallelism);
      EXPECT_EQ(SubtaskOfKeyGroup(key_group, plan.max_parallelism, 3), subtask) << key;
    }
  }
  EXPECT_EQ(total, 1000u);
  EXPECT_EQ(owner.size(), 50u);
  EXPECT_GE(parts.size(), 2u) << "50 keys should spread over more than one subtask";
}

TEST_F(SchedulerTest, RebalanceAndForwardDeliverEveryRowOnce) {
  for (auto [exchange, source_parallelism, sink_parallelism] :
       {std::tuple{ExchangeKind::kRebalance, 3, 2}, std::tuple{ExchangeKind::kForward, 2, 2},
        std::tuple{ExchangeKind::kBroadcast, 1, 2}}) {
    fs::remove_all(output_);
    PlanGraph plan = ValuesToFiles(500, source_parallelism, sink_parallelism, exchange, output_);
    auto job = Job::Create(plan, JobOptions{});
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ASSERT_TRUE((*job)->Run().ok());
    std::multiset<std::string> rows;
    for (const auto& [subtask, lines] : ReadParts(output_)) rows.insert(lines.begin(), lines.end());
    size_t copies = exchange == ExchangeKind::kBroadcast ? 2 : 1;
    EXPECT_EQ(rows.size(), 500u * copies) << plan::ExchangeKindName(exchange);
    EXPECT_EQ(rows.count("7,row-7"), copies);
  }
}

TEST_F(SchedulerTest, AFailingSourceFailsTheJobWithItsMessage) {
  PlanGraph plan = ValuesToFiles(100, 1, 1, ExchangeKind::kForward, output_);
  plan.nodes[0].table->inline_rows[42][0] = "forty-two";
  auto job = Job::Create(plan, JobOptions{});
  base::Status status = job.ok() ? (*job)->Run() : job.status();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("forty-two"), std::string::npos) << status.message();
}

TEST_F(SchedulerTest, MalformedPlansAreRejectedNotRun) {
  PlanGraph plan = ValuesToFiles(10, 2, 3, ExchangeKind::kForward, output_);
  auto job = Job::Create(plan, JobOptions{});
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.status().message().find("different parallelism"), std::string::npos);
  plan.edges[0] = plan::PlanEdge{1, 0, 0, ExchangeKind::kRebalance, {}};
  EXPECT_FALSE(Job::Create(plan, JobOptions{}).ok());
}

}  // namespace
}  // namespace sluice::runtime::scheduler
