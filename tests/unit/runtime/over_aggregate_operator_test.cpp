// OVER aggregations on hand-built batches: event-time ROWS and RANGE frames against a brute
// force over random rows, late rows, state freed as frames move, and the changelog mode over
// an updating input (materialized output = the batch answer).

#include "runtime/operators/over_aggregate_operator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using plan::OverFrameUnit;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input: (k VARCHAR, v BIGINT, ts TIMESTAMP(3)).
const std::vector<LogicalType> kInputTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                              LogicalType::Timestamp()};

/// SUM(v), MIN(v), MAX(v), COUNT(*) OVER (PARTITION BY k ORDER BY ts <unit> <preceding>).
plan::PlanNode OverNode(OverFrameUnit unit, int64_t preceding, bool changelog = false) {
  plan::PlanNode node;
  node.uid = "out/over1";
  node.kind = plan::OperatorKind::kOverAggregate;
  node.output_schema = types::Schema{{{"k", LogicalType::Varchar()},
                                      {"v", LogicalType::Bigint()},
                                      {"ts", LogicalType::Timestamp()},
                                      {"sum", LogicalType::Bigint()},
                                      {"min", LogicalType::Bigint()},
                                      {"max", LogicalType::Bigint()},
                                      {"count", LogicalType::Bigint()}}};
  plan::OverAggregateSpec spec;
  spec.partition_slots = {0};
  spec.order_slot = 2;
  spec.unit = unit;
  spec.preceding = preceding;
  spec.changelog = changelog;
  for (AggregateKind kind : {AggregateKind::kSum, AggregateKind::kMin, AggregateKind::kMax}) {
    AggregateCall call;
    call.kind = kind;
    call.argument_slot = 1;
    call.argument_type = LogicalType::Bigint();
    call.result_type = LogicalType::Bigint();
    call.retractable = preceding >= 0;
    spec.calls.push_back(call);
  }
  AggregateCall count;
  count.kind = AggregateKind::kCountStar;
  count.result_type = LogicalType::Bigint();
  spec.calls.push_back(count);
  node.over_aggregate = spec;
  return node;
}

struct InputRow {
  std::string key;
  std::optional<int64_t> value;
  int64_t ts = 0;
};

/// The expected output row of `rows[index]` (rows of one partition in processing order).
std::string Expected(const std::vector<InputRow>& rows, size_t index, OverFrameUnit unit,
                     int64_t preceding) {
  const InputRow& current = rows[index];
  int64_t sum = 0, count = 0, values = 0;
  int64_t lowest = INT64_MAX, highest = INT64_MIN;
  for (size_t j = 0; j < rows.size(); ++j) {
    bool in_frame;
    if (unit == OverFrameUnit::kRows) {
      in_frame = j <= index && (preceding < 0 || index - j <= static_cast<size_t>(preceding));
    } else {
      in_frame =
          rows[j].ts <= current.ts && (preceding < 0 || rows[j].ts >= current.ts - preceding);
    }
    if (!in_frame) continue;
    ++count;
    if (!rows[j].value) continue;
    ++values;
    sum += *rows[j].value;
    lowest = std::min(lowest, *rows[j].value);
    highest = std::max(highest, *rows[j].value);
  }
  auto text = [&](int64_t value) { return values == 0 ? "NULL" : std::to_string(value); };
  return "+I[" + current.key + ", " + (current.value ? std::to_string(*current.value) : "NULL") +
         ", " + std::to_string(current.ts) + ", " + text(sum) + ", " + text(lowest) + ", " +
         text(highest) + ", " + std::to_string(count) + "]";
}

class OverAggregateOperatorTest : public ::testing::Test {
 protected:
  void Start(plan::PlanNode node) {
    harness_ = std::make_unique<OperatorHarness>();
    operator_ = std::make_unique<OverAggregateOperator>();
    out_ = CollectingOutput();
    harness_->node = std::move(node);
    base::Status status = operator_->Open(harness_->Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  void Process(const std::vector<InputRow>& rows, const std::vector<RowKind>& kinds = {}) {
    std::vector<std::vector<Cell>> cells;
    for (const InputRow& row : rows) {
      cells.push_back({Cell(row.key), row.value ? Cell(*row.value) : Cell(nullptr), Cell(row.ts)});
    }
    base::Status status = operator_->ProcessBatch(0, MakeBatch(kInputTypes, cells, kinds), &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  void Watermark(int64_t watermark) {
    base::Status status = operator_->ProcessWatermark(watermark, &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  int64_t Bytes(const std::string& table) {
    return (*harness_->backend->GetTable(harness_->node.uid, table))->BytesUsed();
  }

  std::unique_ptr<OperatorHarness> harness_;
  std::unique_ptr<OverAggregateOperator> operator_;
  CollectingOutput out_;
};

// Random rows (many distinct values, so MIN/MAX keep large value sets, NULLs, equal
// timestamps) arrive slightly out of order; every frame kind matches a brute force.
TEST_F(OverAggregateOperatorTest, FramesMatchBruteForce) {
  for (OverFrameUnit unit : {OverFrameUnit::kRows, OverFrameUnit::kRange}) {
    for (int64_t preceding : {int64_t{-1}, int64_t{0}, int64_t{3}, int64_t{150}, int64_t{700}}) {
      SCOPED_TRACE(::testing::Message()
                   << (unit == OverFrameUnit::kRows ? "ROWS " : "RANGE ") << preceding);
      Start(OverNode(unit, preceding));
      std::mt19937 random(static_cast<uint32_t>(preceding + 7));
      std::map<std::string, std::vector<InputRow>> processed;  // per key, in processing order
      std::vector<InputRow> all;
      int64_t watermark = kMinWatermark;
      for (int64_t step = 0; step < 6000; ++step) {
        InputRow row;
        row.key = random() % 3 == 0 ? "b" : "a";
        if (random() % 10 != 0)
          row.value = static_cast<int64_t>(random() % (preceding > 100 ? 100000000 : 1000));
        row.ts = step / 2 + static_cast<int64_t>(random() % 5);  // equal and shuffled times
        Process({row});
        if (row.ts > watermark) all.push_back(row);
        if (step % 7 == 6) {
          watermark = step / 2 + 1;
          Watermark(watermark);
        }
      }
      Watermark(kMaxWatermark);
      // Processing order: by timestamp, equal timestamps in arrival order.
      std::stable_sort(all.begin(), all.end(),
                       [](const InputRow& x, const InputRow& y) { return x.ts < y.ts; });
      for (const InputRow& row : all) processed[row.key].push_back(row);
      Rows expected;
      for (const auto& [key, rows] : processed) {
        for (size_t i = 0; i < rows.size(); ++i) {
          expected.push_back(Expected(rows, i, unit, preceding));
        }
      }
      Rows actual = out_.TakeRows();
      std::sort(actual.begin(), actual.end());
      std::sort(expected.begin(), expected.end());
      Rows missing, extra;
      std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                          std::back_inserter(missing));
      std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                          std::back_inserter(extra));
      ASSERT_TRUE(missing.empty() && extra.empty())
          << "missing "
          << ::testing::PrintToString(
                 Rows(missing.begin(), missing.begin() + std::min<size_t>(3, missing.size())))
          << " extra "
          << ::testing::PrintToString(
                 Rows(extra.begin(), extra.begin() + std::min<size_t>(3, extra.size())));
      EXPECT_GT(harness_->metrics.late_records_dropped.load(), 0);
    }
  }
}

TEST_F(OverAggregateOperatorTest, LateRowsAreDroppedAndCounted) {
  Start(OverNode(OverFrameUnit::kRows, -1));
  Process({{"a", 1, 10}});
  Watermark(10);
  Process({{"a", 2, 10}, {"a", 3, 9}, {"a", 4, 11}});
  Watermark(kMaxWatermark);
  EXPECT_EQ(out_.TakeRows(), (Rows{"+I[a, 1, 10, 1, 1, 1, 1]", "+I[a, 4, 11, 5, 1, 4, 2]"}));
  EXPECT_EQ(harness_->metrics.late_records_dropped.load(), 2);
  EXPECT_EQ(out_.watermarks.back(), kMaxWatermark);
}

// A bounded frame keeps only the rows a later frame can hold: the state does not grow with
// the stream, and pending rows are gone once processed.
TEST_F(OverAggregateOperatorTest, StateIsFreedAsFramesMove) {
  Start(OverNode(OverFrameUnit::kRows, 2));
  auto feed = [&](int64_t from, int64_t to) {
    for (int64_t ts = from; ts < to; ++ts) Process({{"a", ts % 7, ts}});
    Watermark(to);
  };
  feed(1, 11);
  int64_t after_ten = Bytes("frame");
  feed(11, 1001);
  EXPECT_EQ(Bytes("frame"), after_ten);
  EXPECT_EQ(harness_->EntryCount("pending"), 0);
  EXPECT_EQ(harness_->EntryCount("frame"), 1);
}

TEST_F(OverAggregateOperatorTest, RangeFrameFreesRowsOutsideEveryLaterFrame) {
  Start(OverNode(OverFrameUnit::kRange, 5));
  for (int64_t ts = 1; ts <= 100; ++ts) Process({{"a", ts, ts}});
  Watermark(100);
  int64_t holding_five = Bytes("frame");
  // Rows 96..100 may still be in a frame; a row at 200 leaves none of them in.
  Process({{"a", 7, 200}});
  Watermark(200);
  EXPECT_LT(Bytes("frame"), holding_five);
  EXPECT_EQ(out_.rows.back(), "+I[a, 7, 200, 7, 7, 7, 1]");
  // CURRENT ROW frames keep nothing at all.
  Start(OverNode(OverFrameUnit::kRange, 0));
  Process({{"a", 1, 1}, {"a", 2, 1}});
  Watermark(kMaxWatermark);
  EXPECT_EQ(harness_->EntryCount("frame"), 0);
  EXPECT_EQ(harness_->EntryCount("pending"), 0);
}

// Changelog mode: random inserts and retractions; the materialized output equals the batch
// answer over the rows still present, ordered by ts (distinct per key) then arrival.
// A hand-written plan whose LAG default is not an input slot of the argument's type, or whose
// offset is negative, is refused (at Open, or at the first row for the offset), naming it.
TEST_F(OverAggregateOperatorTest, MalformedLagIsRefusedNamingTheProblem) {
  struct Case {
    int32_t default_slot;
    int64_t offset;
    const char* expected;
  };
  for (const Case& bad : {Case{7, 1, "LAG default slot 7 is not a scalar input slot"},
                          Case{0, 1, "LAG default slot 0 does not have the argument's type"},
                          Case{-1, -2, "negative LAG offset -2"}}) {
    plan::PlanNode node = OverNode(OverFrameUnit::kRows, -1);
    AggregateCall& lag = node.over_aggregate->calls.at(0);
    lag.kind = AggregateKind::kLag;
    lag.retractable = false;
    lag.default_slot = bad.default_slot;
    lag.offset = bad.offset;
    OverAggregateOperator over;
    OperatorHarness harness;
    harness.node = node;
    base::Status status = over.Open(harness.Context());
    if (status.ok()) {
      // The offset is checked by the accumulator layout, when a row is first folded.
      BatchPtr batch = MakeBatch(kInputTypes, {{Cell("a"), Cell(int64_t{1}), Cell(int64_t{5})}});
      CollectingOutput out;
      status = over.ProcessBatch(0, batch, &out);
      if (status.ok()) status = over.ProcessWatermark(10, &out);
    }
    ASSERT_FALSE(status.ok()) << bad.expected;
    EXPECT_NE(status.ToString().find(bad.expected), std::string::npos) << status.ToString();
  }
}

TEST_F(OverAggregateOperatorTest, ChangelogModeMaterializesToTheBatchAnswer) {
  const int64_t preceding = 3;
  Start(OverNode(OverFrameUnit::kRows, preceding, /*changelog=*/true));
  std::mt19937 random(11);
  std::vector<InputRow> present;
  std::map<std::string, int64_t> view;
  for (int step = 0; step < 600; ++step) {
    bool retract = !present.empty() && random() % 3 == 0;
    InputRow row;
    if (retract) {
      size_t index = random() % present.size();
      row = present[index];
      present.erase(present.begin() + static_cast<long>(index));
    } else {
      row.key = random() % 2 == 0 ? "a" : "b";
      row.value = static_cast<int64_t>(random() % 100);
      row.ts = static_cast<int64_t>(random() % 100000);
      present.push_back(row);
    }
    Process({row}, {retract ? RowKind::kDelete : RowKind::kInsert});
    for (const std::string& change : out_.TakeRows()) {
      std::string body = change.substr(2);
      if (change[0] == '+') {
        ++view[body];
      } else {
        ASSERT_GT(view[body], 0) << "retracts a row it never emitted: " << change;
        if (--view[body] == 0) view.erase(body);
      }
    }
  }
  std::map<std::string, std::vector<InputRow>> partitions;
  std::vector<InputRow> sorted = present;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const InputRow& x, const InputRow& y) { return x.ts < y.ts; });
  for (const InputRow& row : sorted) partitions[row.key].push_back(row);
  std::map<std::string, int64_t> expected;
  for (const auto& [key, rows] : partitions) {
    for (size_t i = 0; i < rows.size(); ++i) {
      ++expected[Expected(rows, i, OverFrameUnit::kRows, preceding).substr(2)];
    }
  }
  EXPECT_EQ(view, expected);
}

}  // namespace
}  // namespace sluice::runtime::operators
