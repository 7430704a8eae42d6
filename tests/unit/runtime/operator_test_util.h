#pragma once

// Builds input batches by hand and collects what an operator emits, for operator unit tests
// that need no scheduler.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/base/check.h"
#include "runtime/connectors/collect_connector.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/value_format.h"
#include "runtime/operators/operator.h"
#include "runtime/scheduler/job.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::operators::testing {

/// One field of a hand-built row: an integer (INT, BIGINT, TIMESTAMP, INTERVAL, BOOLEAN,
/// DECIMAL unscaled), a double, a string, or NULL (`nullptr`).
struct Cell {
  Cell(std::nullptr_t) : is_null(true) {}
  Cell(int value) : integer(value) {}
  Cell(int64_t value) : integer(value) {}
  Cell(double value) : real(value) {}
  Cell(const char* value) : text(value) {}
  Cell(std::string value) : text(std::move(value)) {}

  bool is_null = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
};

/// Builds a batch of `types` from `rows`; with `kinds`, the batch carries row kinds.
inline BatchPtr MakeBatch(const std::vector<types::LogicalType>& types,
                          const std::vector<std::vector<Cell>>& rows,
                          const std::vector<RowKind>& kinds = {}) {
  SLUICE_CHECK(rows.size() <= static_cast<size_t>(kBatchCapacity), "{} rows in one batch",
               rows.size());
  auto batch = std::make_shared<Batch>(types);
  if (!kinds.empty()) batch->EnableRowKinds();
  for (size_t row = 0; row < rows.size(); ++row) {
    for (size_t column = 0; column < types.size(); ++column) {
      const Cell& cell = rows[row][column];
      Column& target = batch->column(column);
      if (cell.is_null) continue;  // columns start zeroed: NULL
      target.validity()[row] = 1;
      switch (types[column].id()) {
        case types::TypeId::kBoolean: target.values<uint8_t>()[row] = cell.integer != 0; break;
        case types::TypeId::kInt:
          target.values<int32_t>()[row] = static_cast<int32_t>(cell.integer);
          break;
        case types::TypeId::kDouble: target.values<double>()[row] = cell.real; break;
        case types::TypeId::kVarchar:
          target.values<StringRef>()[row] = batch->arena().Copy(cell.text);
          break;
        case types::TypeId::kDecimal: {
          // The unscaled value: `integer`, or decimal text for one past int64.
          __int128 unscaled = cell.integer;
          if (!cell.text.empty()) {
            StringRef text{cell.text.data(), static_cast<uint32_t>(cell.text.size()), 0};
            SLUICE_CHECK(
                sluice_cast_string_to_decimal(&text, types[column].precision(), 0, &unscaled) != 0,
                "bad unscaled DECIMAL {}", cell.text);
          }
          target.SetDecimal(static_cast<int32_t>(row), unscaled);
          break;
        }
        default: target.values<int64_t>()[row] = cell.integer; break;
      }
    }
    if (!kinds.empty()) batch->row_kinds()[row] = static_cast<uint8_t>(kinds[row]);
  }
  batch->set_row_count(static_cast<int32_t>(rows.size()));
  return batch;
}

/// Renders one row as `+I[a, 1, NULL]`: integers and timestamps as plain numbers (milliseconds),
/// so expected rows can be computed by hand.
inline std::string RenderRow(const Batch& batch, int32_t row) {
  std::string out = RowKindName(batch.row_kind(row));
  out.push_back('[');
  for (size_t column = 0; column < batch.column_count(); ++column) {
    if (column > 0) out.append(", ");
    const Column& source = batch.column(column);
    if (source.IsNull(row)) {
      out.append("NULL");
      continue;
    }
    switch (source.type().id()) {
      case types::TypeId::kBoolean:
        out.append(source.values<uint8_t>()[row] ? "TRUE" : "FALSE");
        break;
      case types::TypeId::kInt: out.append(std::to_string(source.values<int32_t>()[row])); break;
      case types::TypeId::kDouble:
        out.append(expr::FormatDouble(source.values<double>()[row]));
        break;
      case types::TypeId::kDecimal:
        out.append(expr::FormatDecimal(source.DecimalAt(row), source.type().scale()));
        break;
      case types::TypeId::kVarchar: out.append(source.values<StringRef>()[row].view()); break;
      default: out.append(std::to_string(source.values<int64_t>()[row])); break;
    }
  }
  out.push_back(']');
  return out;
}

/// An Output that keeps every batch and records rows and watermarks in arrival order.
class CollectingOutput : public Output {
 public:
  base::Status EmitBatch(BatchPtr batch) override {
    for (int32_t row = 0; row < batch->row_count(); ++row) {
      rows.push_back(RenderRow(*batch, row));
      events.push_back(rows.back());
    }
    batches.push_back(std::move(batch));
    return base::Status::Ok();
  }
  base::Status EmitWatermark(int64_t watermark) override {
    watermarks.push_back(watermark);
    events.push_back("WM " + std::to_string(watermark));
    return base::Status::Ok();
  }

  /// Returns the rows collected so far and forgets them.
  std::vector<std::string> TakeRows() {
    std::vector<std::string> taken;
    taken.swap(rows);
    return taken;
  }

  std::vector<BatchPtr> batches;
  std::vector<std::string> rows;
  std::vector<int64_t> watermarks;
  std::vector<std::string> events;  // rows and "WM <n>", in order
};

/// Holds what an operator under test needs around it: its plan node, metrics and state.
struct OperatorHarness {
  plan::PlanNode node;
  OperatorMetrics metrics;
  std::unique_ptr<state::StateBackend> backend = state::MakeMemoryStateBackend();

  OperatorContext Context(int32_t max_parallelism = 128) {
    OperatorContext context;
    context.node = &node;
    context.max_parallelism = max_parallelism;
    context.metrics = &metrics;
    context.state_backend = backend.get();
    return context;
  }

  /// Returns the number of entries of state table `name` of this node.
  int64_t EntryCount(const std::string& name) {
    auto table = backend->GetTable(node.uid, name);
    return table.ok() ? (*table)->EntryCount() : -1;
  }
};

inline plan::MatchAccessor MatchAccessorOf(plan::MatchAccessorKind kind, int32_t variable,
                                           int32_t slot,
                                           types::LogicalType type = types::LogicalType::Bigint()) {
  plan::MatchAccessor accessor;
  accessor.kind = kind;
  accessor.variable = variable;
  accessor.slot = slot;
  accessor.type = type;
  return accessor;
}

inline plan::ExprPtr CompareCall(functions::FunctionId function, plan::ExprPtr left,
                                 plan::ExprPtr right) {
  return plan::Expr::Call(function, types::LogicalType::Boolean(),
                          {std::move(left), std::move(right)});
}

/// Over (k BIGINT, v BIGINT, ts TIMESTAMP): `ORDER BY ts, v DESC` in event or processing time
/// (Flink's temporal sort, keyless).
inline plan::PlanNode TimeSortNode(bool event_time) {
  using types::LogicalType;
  const types::Schema kSchema{{{"k", LogicalType::Bigint()},
                               {"v", LogicalType::Bigint()},
                               {"ts", LogicalType::Timestamp()}}};
  plan::PlanNode node;
  node.uid = "out/sort1";
  node.kind = plan::OperatorKind::kTimeSort;
  node.output_schema = kSchema;
  node.state.push_back({"rows", {}, plan::StateNamespace::kTime, kSchema, 0});
  if (event_time) node.state.push_back(plan::WatermarkStateSpec());
  node.time_sort = plan::TimeSortSpec{2, event_time, {plan::SortKey{1, false, false}}};
  return node;
}

/// Over (k BIGINT, v BIGINT, ts TIMESTAMP): `PARTITION BY k ORDER BY ts MEASURES k, FIRST(A.v),
/// COUNT(*), MATCH_ROWTIME() PATTERN (A B* C) DEFINE A AS v < 60, B AS B.v >= A.v, C AS C.v <
/// 30` (B greedy), with `skip` and WITHIN `within` ms (-1: none).
inline plan::PlanNode MatchRecognizeNode(bool event_time, plan::MatchSkip skip, int64_t within) {
  using functions::FunctionId;
  using plan::Expr;
  using plan::MatchAccessorKind;
  using plan::MatchInstructionKind;
  using types::LogicalType;
  const types::Schema kSchema{{{"k", LogicalType::Bigint()},
                               {"v", LogicalType::Bigint()},
                               {"ts", LogicalType::Timestamp()}}};
  plan::PlanNode node;
  node.uid = "out/match-recognize1";
  node.kind = plan::OperatorKind::kMatchRecognize;
  node.output_schema = types::Schema{{{"k", LogicalType::Bigint()},
                                      {"first_v", LogicalType::Bigint()},
                                      {"row_count", LogicalType::Bigint()},
                                      {"match_time", LogicalType::Timestamp()}}};
  types::Schema key{{{"k", LogicalType::Bigint()}}};
  if (event_time) {
    node.state.push_back({"rows", key, plan::StateNamespace::kTime, kSchema, 0});
  }
  node.state.push_back({"matches", key, plan::StateNamespace::kNone, kSchema, 0});
  if (event_time) node.state.push_back(plan::WatermarkStateSpec());
  plan::MatchRecognizeSpec spec;
  spec.partition_slots = {0};
  spec.order_slot = 2;
  spec.event_time = event_time;
  spec.variables = {"A", "B", "C"};
  spec.pattern = "(A B* C)";
  spec.program = {
      {MatchInstructionKind::kVariable, 0, 1, -1, false},
      {MatchInstructionKind::kSplit, -1, 2, 4, true},
      {MatchInstructionKind::kVariable, 1, 3, -1, false},
      {MatchInstructionKind::kJump, -1, 1, -1, false},
      {MatchInstructionKind::kVariable, 2, 5, -1, false},
      {MatchInstructionKind::kMatch, -1, -1, -1, false},
  };
  auto bigint = LogicalType::Bigint();
  auto literal = [](int64_t value) { return Expr::Literal(plan::Value::Bigint(value)); };
  spec.defines.resize(3);
  spec.defines[0].accessors = {MatchAccessorOf(MatchAccessorKind::kLast, 0, 1)};
  spec.defines[0].expression = CompareCall(FunctionId::kLess, Expr::Column(0, bigint), literal(60));
  spec.defines[1].accessors = {MatchAccessorOf(MatchAccessorKind::kLast, 1, 1),
                               MatchAccessorOf(MatchAccessorKind::kLast, 0, 1)};
  spec.defines[1].expression =
      CompareCall(FunctionId::kGreaterEqual, Expr::Column(0, bigint), Expr::Column(1, bigint));
  spec.defines[2].accessors = {MatchAccessorOf(MatchAccessorKind::kLast, 2, 1)};
  spec.defines[2].expression = CompareCall(FunctionId::kLess, Expr::Column(0, bigint), literal(30));
  spec.measure_accessors = {
      MatchAccessorOf(MatchAccessorKind::kLast, -1, 0),
      MatchAccessorOf(MatchAccessorKind::kFirst, 0, 1),
      MatchAccessorOf(MatchAccessorKind::kCount, -1, -1),
      MatchAccessorOf(MatchAccessorKind::kMatchRowtime, -1, -1, LogicalType::Timestamp())};
  spec.measures = {Expr::Column(0, bigint), Expr::Column(1, bigint), Expr::Column(2, bigint),
                   Expr::Column(3, LogicalType::Timestamp())};
  spec.skip = skip;
  spec.within_millis = within;
  node.match_recognize = spec;
  return node;
}

/// A window aggregate over (user VARCHAR, amount BIGINT, time TIMESTAMP(3)):
/// `SELECT user, window_start, window_end, window_time, COUNT(*), SUM(amount) ... GROUP BY
/// user, window_start, window_end` over `window` on slot 2.
inline plan::PlanNode UserWindowAggregateNode(plan::WindowSpec window) {
  using types::LogicalType;
  plan::PlanNode node;
  node.uid = "out/window_aggregate0";
  node.kind = plan::OperatorKind::kWindowAggregate;
  node.output_schema = types::Schema{{{"user", LogicalType::Varchar()},
                                      {"window_start", LogicalType::Timestamp()},
                                      {"window_end", LogicalType::Timestamp()},
                                      {"window_time", LogicalType::Timestamp()},
                                      {"cnt", LogicalType::Bigint()},
                                      {"total", LogicalType::Bigint()}}};
  plan::AggregateSpec spec;
  spec.key_slots = {0};
  plan::AggregateCall count;
  count.kind = plan::AggregateKind::kCountStar;
  count.result_type = LogicalType::Bigint();
  plan::AggregateCall sum;
  sum.kind = plan::AggregateKind::kSum;
  sum.argument_slot = 1;
  sum.argument_type = LogicalType::Bigint();
  sum.result_type = LogicalType::Bigint();
  spec.calls = {count, sum};
  window.time_slot = 2;
  spec.window = window;
  node.aggregate = spec;
  return node;
}

/// Runs a whole job whose sink is a collect table named `collect_name` and returns the rows it
/// received (in arrival order); `late`, when given, gets the late records the job dropped.
inline std::vector<std::string> RunCollectingJob(const plan::PlanGraph& plan,
                                                 const std::string& collect_name,
                                                 int64_t* late = nullptr) {
  std::mutex mutex;
  std::vector<std::string> rows;
  connectors::CollectConnector::Register(collect_name, [&](int32_t, const std::string& row) {
    std::lock_guard<std::mutex> lock(mutex);
    rows.push_back(row);
  });
  auto job = scheduler::Job::Create(plan, scheduler::JobOptions{});
  EXPECT_TRUE(job.ok()) << job.status().ToString();
  if (job.ok()) {
    base::Status status = (*job)->Run();
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (late != nullptr) *late = (*job)->progress().late_records_dropped;
  }
  connectors::CollectConnector::Unregister(collect_name);
  return rows;
}

}  // namespace sluice::runtime::operators::testing
