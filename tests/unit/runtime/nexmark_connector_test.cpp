#include "runtime/connectors/nexmark/nexmark_connector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors::nexmark {
namespace {

TableDescriptor NexmarkTable(std::map<std::string, std::string> options) {
  TableDescriptor table;
  table.name = "nexmark";
  table.schema = NexmarkSchema();
  options["connector"] = "nexmark";
  table.options = std::move(options);
  return table;
}

std::vector<types::LogicalType> SlotTypes(const TableDescriptor& table) {
  std::vector<types::LogicalType> types;
  for (const types::Slot& slot : types::FlattenSchema(table.schema)) types.push_back(slot.type);
  return types;
}

std::string RowText(const Batch& batch, int32_t row) {
  std::string out;
  for (size_t slot = 0; slot < batch.column_count(); ++slot) {
    const Column& column = batch.column(slot);
    if (column.IsNull(row)) {
      out += "N|";
    } else if (column.type().id() == types::TypeId::kVarchar) {
      out += std::string(column.values<StringRef>()[row].view()) + "|";
    } else if (column.type().id() == types::TypeId::kInt) {
      out += std::to_string(column.values<int32_t>()[row]) + "|";
    } else if (column.type().PhysicalWidth() == 8) {
      out += std::to_string(column.values<int64_t>()[row]) + "|";
    } else {
      out += "R|";
    }
  }
  return out;
}

// Reads every subtask of a source to its end; returns all rows, sorted.
std::vector<std::string> ReadAll(const TableDescriptor& table, int32_t parallelism) {
  const Connector* connector = FindConnector("nexmark");
  std::vector<std::string> rows;
  for (int32_t index = 0; index < parallelism; ++index) {
    auto reader = connector->CreateReader(table, SubtaskInfo{index, parallelism, "job"});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_TRUE((*reader)->IsBounded());
    while (true) {
      Batch batch(SlotTypes(table));
      auto more = (*reader)->Next(&batch);
      EXPECT_TRUE(more.ok());
      if (!*more) {
        EXPECT_EQ(batch.row_count(), 0);
        break;
      }
      for (int32_t row = 0; row < batch.row_count(); ++row) rows.push_back(RowText(batch, row));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(NexmarkConnectorTest, ParallelismDoesNotChangeTheEvents) {
  TableDescriptor table = NexmarkTable({{"events.num", "5000"}, {"seed", "3"}});
  std::vector<std::string> single = ReadAll(table, 1);
  ASSERT_EQ(single.size(), 5000u);
  EXPECT_EQ(std::adjacent_find(single.begin(), single.end()), single.end());
  EXPECT_EQ(ReadAll(table, 2), single);
  EXPECT_EQ(ReadAll(table, 3), single);
}

TEST(NexmarkConnectorTest, SubtasksTakeBlocksRoundRobin) {
  TableDescriptor table = NexmarkTable({{"events.num", "5000"}});
  auto reader = FindConnector("nexmark")->CreateReader(table, SubtaskInfo{1, 2, "job"});
  ASSERT_TRUE(reader.ok());
  NexmarkGenerator generator{NexmarkConfig{}};
  // Subtask 1 of 2 reads [1024, 2048) then [3072, 4096), then ends (block 5 starts past 5000).
  for (int64_t first : {1024, 3072}) {
    Batch batch(SlotTypes(table));
    ASSERT_TRUE(*(*reader)->Next(&batch));
    ASSERT_EQ(batch.row_count(), 1024);
    Batch expected(SlotTypes(table));
    generator.FillBatch(first, 1024, &expected);
    for (int32_t row = 0; row < 1024; row += 97)
      EXPECT_EQ(RowText(batch, row), RowText(expected, row));
  }
  Batch batch(SlotTypes(table));
  EXPECT_FALSE(*(*reader)->Next(&batch));
  // Subtask 0 gets the short last block [4096, 5000).
  auto first_reader = FindConnector("nexmark")->CreateReader(table, SubtaskInfo{0, 2, "job"});
  std::vector<int32_t> sizes;
  while (true) {
    Batch next(SlotTypes(table));
    if (!*(*first_reader)->Next(&next)) break;
    sizes.push_back(next.row_count());
  }
  EXPECT_EQ(sizes, (std::vector<int32_t>{1024, 1024, 904}));
}

TEST(NexmarkConnectorTest, UnboundedByDefault) {
  TableDescriptor table = NexmarkTable({});
  auto reader = FindConnector("nexmark")->CreateReader(table, SubtaskInfo{0, 1, "job"});
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->IsBounded());
  Batch batch(SlotTypes(table));
  EXPECT_TRUE(*(*reader)->Next(&batch));
  EXPECT_EQ(batch.row_count(), kBatchCapacity);
}

TEST(NexmarkConnectorTest, RateLimitedReaderReturnsEmptyBatchesInsteadOfSleeping) {
  // 10 events/s: one event per block, the next due 0.1 s after the first.
  TableDescriptor table = NexmarkTable({{"events.num", "3"}, {"rate-limit", "10"}});
  auto reader = FindConnector("nexmark")->CreateReader(table, SubtaskInfo{0, 1, "job"});
  ASSERT_TRUE(reader.ok());
  int64_t rows = 0, empty_polls = 0;
  while (true) {
    Batch batch(SlotTypes(table));
    if (!*(*reader)->Next(&batch)) break;
    rows += batch.row_count();
    if (batch.row_count() == 0) ++empty_polls;
    if (batch.row_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(rows, 3);
  EXPECT_GT(empty_polls, 0);  // it said "nothing yet" rather than blocking the thread
}

TEST(NexmarkConnectorTest, ParsesOptions) {
  auto config = NexmarkConfig::FromOptions(NexmarkTable({{"events.num", "100"},
                                                         {"first-event.rate", "1000"},
                                                         {"next-event.rate", "1000"},
                                                         {"person.proportion", "2"},
                                                         {"seed", "9"},
                                                         {"base-time", "2024-01-02 03:04:05"},
                                                         {"rate-limit", "50"},
                                                         {"max-emit-speed", "false"},
                                                         {"keep-alive", "whatever"},
                                                         {"stop-at", "-1"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->events_num, 100);
  EXPECT_EQ(config->first_event_rate, 1000);
  EXPECT_EQ(config->person_proportion, 2);
  EXPECT_EQ(config->auction_proportion, 3);
  EXPECT_EQ(config->seed, 9u);
  EXPECT_EQ(config->base_time_ms, 1704164645000);
  EXPECT_EQ(config->rate_limit, 50);
  EXPECT_EQ(NexmarkConfig::FromOptions(NexmarkTable({}))->base_time_ms, 1436918400000);
  EXPECT_EQ(
      NexmarkConfig::FromOptions(NexmarkTable({{"base-time", "1436918400000"}}))->base_time_ms,
      1436918400000);
  EXPECT_EQ(NexmarkConfig::FromOptions(NexmarkTable({{"base-time", "2015-07-15T00:00:00.250"}}))
                ->base_time_ms,
            1436918400250);
}

std::string ErrorOf(std::map<std::string, std::string> options) {
  base::Status status = FindConnector("nexmark")->Validate(NexmarkTable(std::move(options)), true);
  EXPECT_EQ(status.code(), base::ErrorCode::kOption);
  return status.message();
}

TEST(NexmarkConnectorTest, RejectsBadOptions) {
  EXPECT_EQ(ErrorOf({{"evnts.num", "10"}}),
            "unknown option 'evnts.num' for table 'nexmark' (connector 'nexmark'); did you mean "
            "'events.num'?");
  EXPECT_EQ(ErrorOf({{"colour", "red"}}),
            "unknown option 'colour' for table 'nexmark' (connector 'nexmark')");
  EXPECT_EQ(
      ErrorOf({{"events.num", "ten"}}),
      "invalid value 'ten' for option 'events.num' of table 'nexmark': expected a whole number");
  EXPECT_EQ(ErrorOf({{"events.num", "-5"}}),
            "invalid value '-5' for option 'events.num' of table 'nexmark': must not be negative");
  EXPECT_EQ(
      ErrorOf({{"first-event.rate", "0"}}),
      "invalid value '0' for option 'first-event.rate' of table 'nexmark': must be greater than 0");
  EXPECT_EQ(ErrorOf({{"rate-limit", "fast"}}),
            "invalid value 'fast' for option 'rate-limit' of table 'nexmark': expected a number");
  EXPECT_EQ(
      ErrorOf({{"person.proportion", "0"}}),
      "invalid value '0' for option 'person.proportion' of table 'nexmark': must be at least 1");
  EXPECT_NE(ErrorOf({{"first-event.rate", "100"}, {"next-event.rate", "200"}})
                .find("rate shapes are not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"base-time", "yesterday"}}).find("'base-time'"), std::string::npos);
  EXPECT_TRUE(
      FindConnector("nexmark")
          ->Validate(NexmarkTable({{"first-event.rate", "100"}, {"next-event.rate", "100"}}), true)
          .ok());
}

TEST(NexmarkConnectorTest, RejectsAnotherSchemaAndSinks) {
  TableDescriptor table = NexmarkTable({});
  EXPECT_EQ(FindConnector("nexmark")->Validate(table, false).code(), base::ErrorCode::kOption);
  // Names match case-insensitively.
  table.schema.columns[0].name = "EVENT_TYPE";
  EXPECT_TRUE(FindConnector("nexmark")->Validate(table, true).ok());
  table.schema.columns[0].type = types::LogicalType::Bigint();
  base::Status status = FindConnector("nexmark")->Validate(table, true);
  EXPECT_EQ(status.code(), base::ErrorCode::kOption);
  EXPECT_NE(status.message().find("must declare the Nexmark columns"), std::string::npos);
  TableDescriptor missing = NexmarkTable({});
  missing.schema.columns.pop_back();
  EXPECT_FALSE(FindConnector("nexmark")->CreateReader(missing, SubtaskInfo{}).ok());
}

TEST(NexmarkConnectorTest, RateLimitSleepsToKeepItsShare) {
  // 2000 events/s over 2 subtasks: 1000/s each, in blocks of 100 events.
  TableDescriptor table = NexmarkTable({{"rate-limit", "2000"}, {"events.num", "600"}});
  EXPECT_EQ(NexmarkBlockSize(*NexmarkConfig::FromOptions(table), 2), 100);
  auto reader = FindConnector("nexmark")->CreateReader(table, SubtaskInfo{0, 2, "job"});
  ASSERT_TRUE(reader.ok());
  auto start = std::chrono::steady_clock::now();
  int64_t rows = 0;
  while (true) {
    Batch batch(SlotTypes(table));
    if (!*(*reader)->Next(&batch)) break;
    rows += batch.row_count();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(rows, 300);      // blocks 0, 2, 4
  EXPECT_GE(seconds, 0.19);  // the third block is due 0.2 s after the first
  EXPECT_LT(seconds, 2.0);
}

TEST(NexmarkConnectorTest, RegistryListsNexmarkAndDatagen) {
  EXPECT_NE(FindConnector("nexmark"), nullptr);
  EXPECT_NE(FindConnector("datagen"), nullptr);
  EXPECT_EQ(FindConnector("kafkaa"), nullptr);
  std::vector<std::string> names = ConnectorNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "nexmark"), names.end());
  EXPECT_EQ(FindConnector("nexmark")->name(), "nexmark");
}

}  // namespace
}  // namespace sluice::runtime::connectors::nexmark
