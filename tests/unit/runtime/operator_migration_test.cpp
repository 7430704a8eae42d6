// State migration on restore (operators::RestoreOperatorState): runs a v1 operator to a cut,
// writes a canonical savepoint of its state, restores it into a fresh backend for a v2 plan
// node whose state evolved the way `sluice check` calls `migrated`, continues with v2, and
// compares the final results with what the verdict promises: continued accumulators over
// every row, added ones over the rows after the restore only, added kept columns NULL for
// rows kept before it. Incompatible changes must be refused with an error naming the UID.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/expr/value_format.h"
#include "runtime/operators/operator_factory.h"
#include "runtime/operators/operator_restore.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/snapshot.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using plan::SignatureComponent;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using types::LogicalType;
using Rows = std::vector<std::vector<Cell>>;

constexpr int32_t kMaxParallelism = 128;

/// A batch for one input, or a watermark.
struct Step {
  int32_t input = 0;
  Rows rows;
  std::optional<int64_t> watermark;
};

/// One version of the operator: its plan node and the types of its inputs.
struct Version {
  plan::PlanNode node;
  std::vector<std::vector<LogicalType>> input_types;
  /// Per input: turns a row of cells of v1's input into this version's input row.
  std::function<std::vector<Cell>(int32_t input, const std::vector<Cell>&)> row = nullptr;
};

plan::StateSignature Signature(std::vector<SignatureComponent> components) {
  plan::StateSignature signature;
  signature.components = std::move(components);
  for (const auto& component : signature.components) {
    signature.hash += component.name;
    for (const auto& field : component.fields) signature.hash += field.name + field.type;
  }
  return signature;
}

SignatureComponent Component(const std::string& name, bool evolvable,
                             std::vector<plan::SignatureField> fields) {
  return SignatureComponent{name, evolvable, std::move(fields)};
}

std::unique_ptr<Operator> OpenOperator(const plan::PlanNode& node, state::StateBackend* backend,
                                       OperatorMetrics* metrics) {
  auto created = CreateOperator(node);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  if (!created.ok()) return nullptr;
  OperatorContext context;
  context.node = &node;
  context.subtask = {0, 1, "migrate"};
  context.max_parallelism = kMaxParallelism;
  context.metrics = metrics;
  context.state_backend = backend;
  base::Status status = (*created)->Open(context);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return std::move(*created);
}

void RunSteps(Operator* instance, const Version& version, const std::vector<Step>& steps,
              size_t begin, size_t end, CollectingOutput* out) {
  for (size_t i = begin; i < end; ++i) {
    const Step& step = steps[i];
    if (step.watermark) {
      ASSERT_TRUE(instance->ProcessWatermark(*step.watermark, out).ok());
      continue;
    }
    Rows rows = step.rows;
    if (version.row) {
      for (auto& row : rows) row = version.row(step.input, row);
    }
    base::Status status =
        instance->ProcessBatch(step.input, MakeBatch(version.input_types[step.input], rows), out);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
}

/// A fresh directory for one savepoint.
std::string ScratchDirectory(const std::string& name) {
  static int counter = 0;
  std::string directory = ::testing::TempDir() + "/operator_migration_" +
                          std::to_string(::getpid()) + "_" + name + std::to_string(++counter);
  std::filesystem::remove_all(directory);
  return directory;
}

/// Runs v1 over steps [0, cut), snapshots it, restores into v2 (RestoreOperatorState), runs v2
/// over the rest and the final watermark. Returns v1's rows, then v2's rows; the restore's
/// status in `restore_status` (v2 does not run when it fails).
struct MigrationRun {
  std::vector<std::string> before;
  std::vector<std::string> after;
  base::Status restore_status;
};

MigrationRun RunMigration(const Version& v1, const Version& v2, const std::vector<Step>& steps,
                          size_t cut, bool rocksdb = false) {
  MigrationRun result;
  OperatorMetrics metrics;
  auto old_backend = state::MakeMemoryStateBackend();
  CollectingOutput before;
  auto old_instance = OpenOperator(v1.node, old_backend.get(), &metrics);
  if (old_instance == nullptr) return result;
  RunSteps(old_instance.get(), v1, steps, 0, cut, &before);
  result.before = before.rows;

  std::string directory = ScratchDirectory(v1.node.uid.substr(0, v1.node.uid.find('/')));
  plan::PlanGraph old_plan;
  old_plan.job_name = "migrate";
  old_plan.nodes.push_back(v1.node);
  state::SubtaskState subtask{v1.node.uid, 0, old_backend.get(), 0, kMaxParallelism - 1};
  auto written = state::WriteCanonicalSnapshot(directory, old_plan, {subtask});
  EXPECT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = state::ReadSnapshot(directory);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  if (!snapshot.ok()) return result;

  std::unique_ptr<state::StateBackend> new_backend = state::MakeMemoryStateBackend();
  if (rocksdb) {
    state::RocksDbBackendOptions options;
    options.directory = directory + "-rocksdb";
    auto opened = state::MakeRocksDbStateBackend(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return result;
    new_backend = std::move(*opened);
  }
  result.restore_status =
      RestoreOperatorState(*snapshot, v2.node, new_backend.get(), 0, kMaxParallelism - 1);
  std::filesystem::remove_all(directory);
  if (result.restore_status.ok()) {
    CollectingOutput after;
    auto new_instance = OpenOperator(v2.node, new_backend.get(), &metrics);
    if (new_instance != nullptr) {
      RunSteps(new_instance.get(), v2, steps, cut, steps.size(), &after);
      EXPECT_TRUE(new_instance->ProcessWatermark(kMaxWatermark, &after).ok());
      EXPECT_TRUE(new_instance->Finish(&after).ok());
      EXPECT_TRUE(new_backend->status().ok()) << new_backend->status().ToString();
    }
    result.after = after.rows;
  }
  new_backend.reset();
  std::filesystem::remove_all(directory + "-rocksdb");
  return result;
}

/// "+U[1, 2, NULL]" → {"1", "2", "NULL"}.
std::vector<std::string> Fields(const std::string& row) {
  std::vector<std::string> fields;
  std::string body = row.substr(3, row.size() - 4);
  size_t start = 0;
  while (true) {
    size_t comma = body.find(", ", start);
    fields.push_back(body.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  return fields;
}

std::string Render(const std::vector<std::string>& fields) {
  std::string out = "[";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i];
  return out + "]";
}

/// Applies the whole changelog — v1's rows lifted into v2's columns by `lift`, then v2's —
/// and returns the rows it ends with; a retraction of a row that is not there fails the test
/// (v2 must retract exactly what was emitted, in the migrated form).
std::multiset<std::string> Materialize(
    const MigrationRun& run,
    const std::function<std::vector<std::string>(std::vector<std::string>)>& lift) {
  std::multiset<std::string> rows;
  auto apply = [&](const std::string& change, const std::string& row) {
    if (change[0] == '+') {
      rows.insert(row);
      return;
    }
    auto found = rows.find(row);
    if (found == rows.end()) {
      ADD_FAILURE() << "retraction of a row never emitted: " << change.substr(0, 2) << row;
      return;
    }
    rows.erase(found);
  };
  for (const std::string& change : run.before) apply(change, Render(lift(Fields(change))));
  for (const std::string& change : run.after) apply(change, Render(Fields(change)));
  return rows;
}

AggregateCall Call(AggregateKind kind, int32_t slot = -1,
                   LogicalType type = LogicalType::Bigint()) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  if (slot >= 0) call.argument_type = type;
  call.result_type = kind == AggregateKind::kCountStar || kind == AggregateKind::kCount
                         ? LogicalType::Bigint()
                         : type;
  return call;
}

/// GROUP BY k over (k BIGINT, v <value_type>, ts): state "groups".
Version GroupAggregate(std::vector<AggregateCall> calls, std::vector<std::string> names,
                       LogicalType value_type = LogicalType::Bigint()) {
  Version version;
  plan::PlanNode& node = version.node;
  node.uid = "totals/group-aggregate1";
  node.kind = plan::OperatorKind::kGroupAggregate;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema.columns.push_back({"k", LogicalType::Bigint()});
  plan::StateSpec spec;
  spec.name = "groups";
  spec.key_schema.columns.push_back({"k", LogicalType::Bigint()});
  std::vector<plan::SignatureField> fields;
  for (size_t i = 0; i < calls.size(); ++i) {
    node.output_schema.columns.push_back({"c" + std::to_string(i), calls[i].result_type});
    spec.value_schema.columns.push_back({"c" + std::to_string(i), calls[i].result_type});
    fields.push_back({names[i], calls[i].result_type.ToString()});
  }
  node.state.push_back(spec);
  node.aggregate = plan::AggregateSpec{{0}, std::move(calls), std::nullopt};
  node.signature = Signature({Component("key", false, {{"t.k", "BIGINT"}}),
                              Component("accumulators", true, std::move(fields))});
  version.input_types = {{LogicalType::Bigint(), value_type, LogicalType::Timestamp()}};
  return version;
}

/// Insert-only rows (k in 0..4, v, ts growing), 12 per batch, each batch followed by a
/// watermark at its largest time (nothing is late).
std::vector<Step> MakeSteps(int32_t inputs, int32_t batches,
                            const std::function<int64_t(int64_t)>& value) {
  std::vector<Step> steps;
  uint64_t seed = 4242;
  int64_t time = 1000;
  for (int32_t b = 0; b < batches; ++b) {
    Step step;
    step.input = b % inputs;
    for (int32_t r = 0; r < 12; ++r) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      auto random = static_cast<int64_t>(seed >> 33);
      step.rows.push_back({random % 5, value(random / 5 % 100), time});
      time += 1 + random % 3;
    }
    steps.push_back(std::move(step));
    steps.push_back(Step{0, {}, time - 1});
  }
  return steps;
}

/// The rows of inputs before / from the cut, per key.
struct Split {
  std::map<int64_t, std::vector<std::vector<Cell>>> all, after;
};

Split SplitRows(const std::vector<Step>& steps, size_t cut, int32_t input = 0) {
  Split split;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].watermark || steps[i].input != input) continue;
    for (const auto& row : steps[i].rows) {
      split.all[row[0].integer].push_back(row);
      if (i >= cut) split.after[row[0].integer].push_back(row);
    }
  }
  return split;
}

int64_t Sum(const std::vector<std::vector<Cell>>& rows) {
  int64_t sum = 0;
  for (const auto& row : rows) sum += row[1].integer;
  return sum;
}

int64_t Max(const std::vector<std::vector<Cell>>& rows) {
  int64_t max = rows.front()[1].integer;
  for (const auto& row : rows) max = std::max(max, row[1].integer);
  return max;
}

TEST(OperatorMigrationTest, GroupAggregateAccumulatorAddedStartsAtTheRestore) {
  // SUM(v) continues; MAX(v) and COUNT(*) are new: NULL / 0 until rows arrive after the cut.
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"});
  Version v2 = GroupAggregate(
      {Call(AggregateKind::kMax, 1), Call(AggregateKind::kSum, 1), Call(AggregateKind::kCountStar)},
      {"MAX(t.v)", "SUM(t.v)", "COUNT(*)"});
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 9;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  ASSERT_FALSE(run.before.empty());
  auto rows = Materialize(run, [](std::vector<std::string> fields) {
    return std::vector<std::string>{fields[0], "NULL", fields[1], "0"};
  });
  Split split = SplitRows(steps, cut);
  std::multiset<std::string> expected;
  for (const auto& [key, all] : split.all) {
    auto after = split.after.find(key);
    bool touched = after != split.after.end();
    expected.insert(
        Render({std::to_string(key), touched ? std::to_string(Max(after->second)) : "NULL",
                std::to_string(Sum(all)), std::to_string(touched ? after->second.size() : 0)}));
  }
  EXPECT_EQ(rows, expected);
}

TEST(OperatorMigrationTest, GroupAggregateAccumulatorRemoved) {
  Version v1 = GroupAggregate(
      {Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1), Call(AggregateKind::kMax, 1)},
      {"COUNT(*)", "SUM(t.v)", "MAX(t.v)"});
  Version v2 = GroupAggregate({Call(AggregateKind::kCountStar), Call(AggregateKind::kMax, 1)},
                              {"COUNT(*)", "MAX(t.v)"});
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 11;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) {
    return std::vector<std::string>{fields[0], fields[1], fields[3]};
  });
  std::multiset<std::string> expected;
  for (const auto& [key, all] : SplitRows(steps, cut).all) {
    expected.insert(
        Render({std::to_string(key), std::to_string(all.size()), std::to_string(Max(all))}));
  }
  EXPECT_EQ(rows, expected);
}

/// Four rounds of (1, 1e9) and (2, 7), restored after two: every sum fits an INT before the
/// cut, the whole sum of key 1 does not, and v2 (a BIGINT sum) shows all of it.
void ExpectSumPastIntRange(const Version& v1, const Version& v2) {
  std::vector<Step> steps;
  for (int round = 0; round < 4; ++round) {
    steps.push_back(Step{0,
                         {{int64_t{1}, int64_t{1'000'000'000}, int64_t{1000}},
                          {int64_t{2}, int64_t{7}, int64_t{1000}}},
                         std::nullopt});
  }
  MigrationRun run = RunMigration(v1, v2, steps, 2);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) { return fields; });
  EXPECT_EQ(rows, (std::multiset<std::string>{"[1, 4000000000]", "[2, 28]"}));
}

TEST(OperatorMigrationTest, GroupAggregateSumWidenedIntToBigint) {
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1, LogicalType::Int())}, {"SUM(t.v)"},
                              LogicalType::Int());
  Version v2 = GroupAggregate({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"});
  ExpectSumPastIntRange(v1, v2);
}

TEST(OperatorMigrationTest, GroupAggregateWidenedBigintToDouble) {
  // SUM and MAX over v: BIGINT before the cut, DOUBLE after (the sum and the MAX key convert).
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1), Call(AggregateKind::kMax, 1)},
                              {"SUM(t.v)", "MAX(t.v)"});
  Version v2 = GroupAggregate({Call(AggregateKind::kSum, 1, LogicalType::Double()),
                               Call(AggregateKind::kMax, 1, LogicalType::Double())},
                              {"SUM(t.v)", "MAX(t.v)"}, LogicalType::Double());
  v2.row = [](int32_t, const std::vector<Cell>& row) {
    return std::vector<Cell>{row[0], static_cast<double>(row[1].integer) + 0.5, row[2]};
  };
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v - 50; });
  size_t cut = 9;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto as_double = [](const std::string& text) {
    return text == "NULL" ? text : expr::FormatDouble(static_cast<double>(std::stoll(text)));
  };
  auto rows = Materialize(run, [&](std::vector<std::string> fields) {
    return std::vector<std::string>{fields[0], as_double(fields[1]), as_double(fields[2])};
  });
  Split split = SplitRows(steps, cut);
  std::multiset<std::string> expected;
  for (const auto& [key, all] : split.all) {
    double sum = 0;
    double max = -1e300;
    for (size_t i = 0; i < all.size(); ++i) {
      bool after = i + split.after[key].size() >= all.size();
      double value = static_cast<double>(all[i][1].integer) + (after ? 0.5 : 0.0);
      sum += value;
      max = std::max(max, value);
    }
    expected.insert(
        Render({std::to_string(key), expr::FormatDouble(sum), expr::FormatDouble(max)}));
  }
  EXPECT_EQ(rows, expected);
}

TEST(OperatorMigrationTest, WindowAggregateAccumulatorAdded) {
  auto window_node = [](std::vector<AggregateCall> calls, std::vector<std::string> names) {
    Version version;
    plan::WindowSpec window;
    window.kind = plan::WindowKind::kTumble;
    window.size = 10;
    version.node = testing::UserWindowAggregateNode(window);
    plan::PlanNode& node = version.node;
    node.uid = "windows/window-aggregate1";
    node.output_schema.columns.resize(4);
    node.output_schema.columns[0].type = LogicalType::Bigint();
    std::vector<plan::SignatureField> fields;
    for (size_t i = 0; i < calls.size(); ++i) {
      node.output_schema.columns.push_back({"c" + std::to_string(i), calls[i].result_type});
      fields.push_back({names[i], calls[i].result_type.ToString()});
    }
    node.aggregate->calls = std::move(calls);
    plan::StateSpec slices;
    slices.name = "slices";
    slices.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    slices.state_namespace = plan::StateNamespace::kWindow;
    node.state = {slices, plan::WatermarkStateSpec()};
    node.signature = Signature({Component("key", false, {{"t.k", "BIGINT"}}),
                                Component("window", false, {{"TUMBLE(t.ts, size 10 ms)", ""}}),
                                Component("accumulators", true, std::move(fields))});
    version.input_types = {
        {LogicalType::Bigint(), LogicalType::Bigint(), LogicalType::Timestamp()}};
    return version;
  };
  Version v1 = window_node({Call(AggregateKind::kCountStar)}, {"COUNT(*)"});
  Version v2 = window_node({Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1)},
                           {"COUNT(*)", "SUM(t.v)"});
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  // Cut after a batch, before its watermark: windows are open at the restore.
  size_t cut = 9;
  ASSERT_FALSE(steps[cut].watermark.has_value() == false && steps[cut].rows.empty());
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) {
    fields.push_back("NULL");
    return fields;
  });
  // Per (key, window start): all rows counted, the sum over the rows after the cut only.
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, std::optional<int64_t>>> windows;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (const auto& row : steps[i].rows) {
      auto& [count, sum] = windows[{row[0].integer, row[2].integer / 10 * 10}];
      ++count;
      if (i >= cut) sum = sum.value_or(0) + row[1].integer;
    }
  }
  std::multiset<std::string> expected;
  for (const auto& [window, result] : windows) {
    int64_t start = window.second;
    expected.insert(
        Render({std::to_string(window.first), std::to_string(start), std::to_string(start + 10),
                std::to_string(start + 9), std::to_string(result.first),
                result.second ? std::to_string(*result.second) : "NULL"}));
  }
  EXPECT_EQ(rows, expected);
  EXPECT_GT(run.before.size(), 0u);
}

/// A LEFT join of (k, v, ts) with (k, v, ts[, w]) on k.
Version Join(bool with_w) {
  Version version;
  plan::PlanNode& node = version.node;
  node.uid = "joined/join1";
  node.kind = plan::OperatorKind::kJoin;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  types::Schema left{{{"k", LogicalType::Bigint()},
                      {"v", LogicalType::Bigint()},
                      {"ts", LogicalType::Timestamp()}}};
  types::Schema right = left;
  if (with_w) right.columns.push_back({"w", LogicalType::Bigint()});
  node.output_schema = left;
  for (const auto& column : right.columns) node.output_schema.columns.push_back(column);
  for (const auto& [name, schema] : {std::pair{"left", left}, std::pair{"right", right}}) {
    plan::StateSpec spec;
    spec.name = name;
    spec.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    spec.value_schema = schema;
    node.state.push_back(spec);
  }
  node.join = plan::JoinSpec{plan::JoinType::kLeft, {0}, {0}, nullptr, 0};
  std::vector<plan::SignatureField> right_fields = {
      {"b.k", "BIGINT"}, {"b.v", "BIGINT"}, {"b.ts", "TIMESTAMP(3)"}};
  if (with_w) right_fields.push_back({"(b.v * 2)", "BIGINT"});
  node.signature =
      Signature({Component("join type", false, {{"LEFT", ""}}),
                 Component("left.key", false, {{"a.k", "BIGINT"}}),
                 Component("right.key", false, {{"b.k", "BIGINT"}}),
                 Component("left.values", true,
                           {{"a.k", "BIGINT"}, {"a.v", "BIGINT"}, {"a.ts", "TIMESTAMP(3)"}}),
                 Component("right.values", true, right_fields)});
  std::vector<LogicalType> types = {LogicalType::Bigint(), LogicalType::Bigint(),
                                    LogicalType::Timestamp()};
  version.input_types = {types, types};
  if (with_w) {
    version.input_types[1].push_back(LogicalType::Bigint());
    version.row = [](int32_t input, const std::vector<Cell>& row) {
      std::vector<Cell> out = row;
      if (input == 1) out.push_back(row[1].integer * 2);
      return out;
    };
  }
  return version;
}

TEST(OperatorMigrationTest, JoinValueColumnAddedIsNullForRowsKeptBefore) {
  Version v1 = Join(false);
  Version v2 = Join(true);
  auto steps = MakeSteps(2, 12, [](int64_t v) { return v; });
  size_t cut = 10;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) {
    fields.push_back("NULL");
    return fields;
  });
  // Every left row with every right row of its key (w NULL for right rows from before the
  // cut), or NULL-padded when its key has no right row.
  struct Kept {
    std::vector<Cell> row;
    bool after;
  };
  std::vector<Kept> left, right;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (const auto& row : steps[i].rows)
      (steps[i].input == 0 ? left : right).push_back({row, i >= cut});
  }
  auto text = [](const std::vector<Cell>& row) {
    return std::vector<std::string>{std::to_string(row[0].integer), std::to_string(row[1].integer),
                                    std::to_string(row[2].integer)};
  };
  std::multiset<std::string> expected;
  for (const Kept& l : left) {
    bool matched = false;
    for (const Kept& r : right) {
      if (r.row[0].integer != l.row[0].integer) continue;
      matched = true;
      auto fields = text(l.row);
      for (const auto& field : text(r.row)) fields.push_back(field);
      fields.push_back(r.after ? std::to_string(r.row[1].integer * 2) : "NULL");
      expected.insert(Render(fields));
    }
    if (!matched) {
      auto fields = text(l.row);
      fields.insert(fields.end(), 4, "NULL");
      expected.insert(Render(fields));
    }
  }
  EXPECT_EQ(rows, expected);
}

/// Top 2 by v DESC per k over (k, v, ts[, w]), with the row number.
Version TopN(bool with_w) {
  Version version;
  plan::PlanNode& node = version.node;
  node.uid = "top/top-n1";
  node.kind = plan::OperatorKind::kTopN;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema = types::Schema{{{"k", LogicalType::Bigint()},
                                      {"v", LogicalType::Bigint()},
                                      {"ts", LogicalType::Timestamp()}}};
  std::vector<plan::SignatureField> values = {
      {"t.k", "BIGINT"}, {"t.v", "BIGINT"}, {"t.ts", "TIMESTAMP(3)"}};
  version.input_types = {{LogicalType::Bigint(), LogicalType::Bigint(), LogicalType::Timestamp()}};
  if (with_w) {
    node.output_schema.columns.push_back({"w", LogicalType::Bigint()});
    values.push_back({"(t.v + 1)", "BIGINT"});
    version.input_types[0].push_back(LogicalType::Bigint());
    version.row = [](int32_t, const std::vector<Cell>& row) {
      std::vector<Cell> out = row;
      out.push_back(row[1].integer + 1);
      return out;
    };
  }
  node.output_schema.columns.push_back({"rn", LogicalType::Bigint()});
  plan::StateSpec spec;
  spec.name = "ranks";
  spec.key_schema.columns.push_back({"k", LogicalType::Bigint()});
  node.state.push_back(spec);
  node.top_n = plan::TopNSpec{{0}, {plan::SortKey{1, false, false}}, 2, true, false};
  node.signature = Signature({Component("partition", false, {{"t.k", "BIGINT"}}),
                              Component("order", false, {{"t.v DESC NULLS LAST", "BIGINT"}}),
                              Component("limit", false, {{"2", ""}}),
                              Component("rank function", false, {{"ROW_NUMBER", ""}}),
                              Component("values", true, values)});
  return version;
}

TEST(OperatorMigrationTest, TopNColumnAddedIsNullForRowsKeptBefore) {
  Version v1 = TopN(false);
  Version v2 = TopN(true);
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 13;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) {
    fields.insert(fields.end() - 1, "NULL");
    return fields;
  });
  // Per key, the two largest v (ties: the earlier row first); w only for rows after the cut.
  std::map<int64_t, std::vector<std::pair<std::vector<Cell>, bool>>> partitions;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (const auto& row : steps[i].rows) partitions[row[0].integer].push_back({row, i >= cut});
  }
  std::multiset<std::string> expected;
  for (auto& [key, kept] : partitions) {
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      return a.first[1].integer > b.first[1].integer;
    });
    for (size_t rank = 0; rank < std::min<size_t>(2, kept.size()); ++rank) {
      const auto& [row, after] = kept[rank];
      expected.insert(Render(
          {std::to_string(key), std::to_string(row[1].integer), std::to_string(row[2].integer),
           after ? std::to_string(row[1].integer + 1) : "NULL", std::to_string(rank + 1)}));
    }
  }
  EXPECT_EQ(rows, expected);
}

TEST(OperatorMigrationTest, UnchangedLayoutRestoresAsItWas) {
  // Same state, another alias for the output column: the bytes load unchanged.
  Version v1 = GroupAggregate({Call(AggregateKind::kCountStar)}, {"COUNT(*)"});
  Version v2 = v1;
  v2.node.output_schema.columns[1].name = "renamed";
  v2.node.state[0].value_schema.columns[0].name = "renamed";
  auto steps = MakeSteps(1, 6, [](int64_t v) { return v; });
  MigrationRun run = RunMigration(v1, v2, steps, 5);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) { return fields; });
  std::multiset<std::string> expected;
  for (const auto& [key, all] : SplitRows(steps, 5).all) {
    expected.insert(Render({std::to_string(key), std::to_string(all.size())}));
  }
  EXPECT_EQ(rows, expected);
}

/// Rows v2 emits when it runs over every step itself: during steps [0, cut), and after.
MigrationRun RunUninterrupted(const Version& version, const std::vector<Step>& steps, size_t cut) {
  MigrationRun result;
  OperatorMetrics metrics;
  auto backend = state::MakeMemoryStateBackend();
  auto instance = OpenOperator(version.node, backend.get(), &metrics);
  if (instance == nullptr) return result;
  CollectingOutput before, after;
  RunSteps(instance.get(), version, steps, 0, cut, &before);
  RunSteps(instance.get(), version, steps, cut, steps.size(), &after);
  EXPECT_TRUE(instance->ProcessWatermark(kMaxWatermark, &after).ok());
  EXPECT_TRUE(instance->Finish(&after).ok());
  result.before = before.rows;
  result.after = after.rows;
  return result;
}

/// Drops fields [first, first + count) of a v1 row (a column v2 no longer keeps).
std::function<std::vector<std::string>(std::vector<std::string>)> Drop(size_t first,
                                                                       size_t count = 1) {
  return [=](std::vector<std::string> fields) {
    fields.erase(fields.begin() + first, fields.begin() + first + count);
    return fields;
  };
}

/// (k, v, ts) OVER (PARTITION BY k ORDER BY ts ROWS `preceding` PRECEDING) with `calls`.
Version Over(std::vector<AggregateCall> calls, std::vector<std::string> names, int64_t preceding) {
  Version version;
  plan::PlanNode& node = version.node;
  node.uid = "running/over-aggregate1";
  node.kind = plan::OperatorKind::kOverAggregate;
  types::Schema input{{{"k", LogicalType::Bigint()},
                       {"v", LogicalType::Bigint()},
                       {"ts", LogicalType::Timestamp()}}};
  node.output_schema = input;
  std::vector<plan::SignatureField> fields;
  for (size_t i = 0; i < calls.size(); ++i) {
    calls[i].retractable = true;
    node.output_schema.columns.push_back({"c" + std::to_string(i), calls[i].result_type});
    fields.push_back({names[i] + " (retractable)", calls[i].result_type.ToString()});
  }
  plan::OverAggregateSpec spec;
  spec.partition_slots = {0};
  spec.order_slot = 2;
  spec.unit = plan::OverFrameUnit::kRows;
  spec.preceding = preceding;
  spec.calls = std::move(calls);
  node.over_aggregate = spec;
  for (const char* name : {"pending", "frame"}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    state.value_schema = input;
    node.state.push_back(state);
  }
  node.state.push_back(plan::WatermarkStateSpec());
  node.signature = Signature(
      {Component("partition", false, {{"t.k", "BIGINT"}}),
       Component("order and frame", false,
                 {{"ORDER BY t.ts ROWS " + std::to_string(preceding) + " PRECEDING", ""}}),
       Component("accumulators", true, std::move(fields)),
       Component("values", true,
                 {{"t.k", "BIGINT"}, {"t.v", "BIGINT"}, {"t.ts", "TIMESTAMP(3)"}})});
  version.input_types = {{LogicalType::Bigint(), LogicalType::Bigint(), LogicalType::Timestamp()}};
  return version;
}

TEST(OperatorMigrationTest, OverBoundedFrameCallAddedCoversTheRowsItKeeps) {
  // A bounded frame keeps its rows: the added COUNT(*) is folded from them at the restore, so
  // v2's output after the cut is exactly that of v2 run from the start.
  Version v1 = Over({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"}, 3);
  Version v2 = Over({Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1)},
                    {"COUNT(*)", "SUM(t.v)"}, 3);
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  for (size_t cut : {size_t{8}, size_t{9}}) {  // after a watermark, and with rows pending
    SCOPED_TRACE(::testing::Message() << "cut before step " << cut);
    MigrationRun run = RunMigration(v1, v2, steps, cut);
    ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
    MigrationRun reference = RunUninterrupted(v2, steps, cut);
    ASSERT_FALSE(run.after.empty());
    EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()),
              std::multiset<std::string>(reference.after.begin(), reference.after.end()));
  }
}

TEST(OperatorMigrationTest, OverUnboundedFrameCallAddedStartsAtTheRestore) {
  // An unbounded frame keeps only its accumulator: SUM continues, the added COUNT(*) counts
  // the rows from the restore on.
  Version v1 = Over({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"}, -1);
  Version v2 = Over({Call(AggregateKind::kSum, 1), Call(AggregateKind::kCountStar)},
                    {"SUM(t.v)", "COUNT(*)"}, -1);
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  size_t cut = 8;  // right after a watermark: no row is pending
  ASSERT_TRUE(steps[cut - 1].watermark.has_value());
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  std::multiset<std::string> expected;
  std::map<int64_t, int64_t> sums, counts;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (const auto& row : steps[i].rows) {
      int64_t key = row[0].integer;
      sums[key] += row[1].integer;
      if (i < cut) continue;
      expected.insert("+I" + Render({std::to_string(key), std::to_string(row[1].integer),
                                     std::to_string(row[2].integer), std::to_string(sums[key]),
                                     std::to_string(++counts[key])}));
    }
  }
  EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()), expected);
}

TEST(OperatorMigrationTest, ChangelogOverCallAddedRecomputesFromTheSortedRows) {
  // Over an updating input every row is kept and frames are computed from them: an added
  // call is exact at once, and reordered kept columns are converted, so v2's changes after the
  // cut are those of v2 run from the start.
  auto changelog = [](Version version) {
    version.node.over_aggregate->changelog = true;
    version.node.changelog_mode = plan::ChangelogMode::kUpdating;
    version.node.state.resize(1);
    version.node.state[0].name = "sorted";
    version.node.signature->components[1].fields[0].name += " (over an updating input)";
    return version;
  };
  Version v1 = changelog(Over({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"}, 2));
  Version v2 = changelog(Over({Call(AggregateKind::kMax, 1), Call(AggregateKind::kSum, 1)},
                              {"MAX(t.v)", "SUM(t.v)"}, 2));
  // v2 also reads its input as (k, ts, v): the kept rows are reordered.
  plan::PlanNode& node = v2.node;
  std::swap(node.output_schema.columns[1], node.output_schema.columns[2]);
  std::swap(node.state[0].value_schema.columns[1], node.state[0].value_schema.columns[2]);
  auto& values = node.signature->components[3].fields;
  std::swap(values[1], values[2]);
  node.over_aggregate->order_slot = 1;
  for (auto& call : node.over_aggregate->calls) call.argument_slot = 2;
  std::swap(v2.input_types[0][1], v2.input_types[0][2]);
  v2.row = [](int32_t, const std::vector<Cell>& row) {
    return std::vector<Cell>{row[0], row[2], row[1]};
  };
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  size_t cut = 10;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  MigrationRun reference = RunUninterrupted(v2, steps, cut);
  ASSERT_FALSE(run.after.empty());
  EXPECT_EQ(run.after, reference.after);
}

TEST(OperatorMigrationTest, JoinColumnsRemovedMergesRowsThatBecameEqual) {
  // The right side keeps only its key afterwards: stored rows that differed in v or ts become
  // one row with their counts added; the result is that of v2 run from the start.
  Version v1 = Join(false);
  Version v2 = Join(false);
  v2.node.output_schema.columns.resize(4);
  v2.node.state[1].value_schema.columns.resize(1);
  v2.node.signature->components[4].fields.resize(1);
  v2.input_types[1].resize(1);
  v2.row = [](int32_t input, const std::vector<Cell>& row) {
    return input == 1 ? std::vector<Cell>{row[0]} : row;
  };
  auto steps = MakeSteps(2, 12, [](int64_t v) { return v; });
  size_t cut = 12;
  auto reference = Materialize(RunUninterrupted(v2, steps, cut), Drop(0, 0));
  ASSERT_FALSE(reference.empty());
  for (bool rocksdb : {false, true}) {  // RocksDB bulk-loads: no record may come twice
    SCOPED_TRACE(rocksdb ? "into rocksdb" : "into memory");
    MigrationRun run = RunMigration(v1, v2, steps, cut, rocksdb);
    ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
    EXPECT_EQ(Materialize(run, Drop(4, 2)), reference);
  }
}

TEST(OperatorMigrationTest, TopNColumnRemovedRanksAsIfItHadNeverBeenKept) {
  // A column nothing reads any more (StateColumnPruning drops it from a savepoint of the
  // unpruned layout): the kept rows lose it, and the ranking goes on as v2's from the start.
  Version v1 = TopN(true);
  Version v2 = TopN(false);
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 13;
  auto reference = Materialize(RunUninterrupted(v2, steps, cut), Drop(0, 0));
  ASSERT_FALSE(reference.empty());
  for (bool rocksdb : {false, true}) {
    SCOPED_TRACE(rocksdb ? "into rocksdb" : "into memory");
    MigrationRun run = RunMigration(v1, v2, steps, cut, rocksdb);
    ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
    EXPECT_EQ(Materialize(run, Drop(3, 1)), reference);
  }
}

/// An interval, window or temporal join of (k, v, ts) with (k, v, ts) on k; v2 keeps no v.
std::pair<Version, Version> TimedJoins(plan::OperatorKind kind) {
  bool windows = kind == plan::OperatorKind::kWindowJoin;
  Version v1 = Join(false);
  v1.node.uid = "joined/timed-join1";
  v1.node.kind = kind;
  v1.node.changelog_mode = plan::ChangelogMode::kInsertOnly;
  v1.node.join->type = plan::JoinType::kInner;
  v1.node.signature->components[0].fields[0].name = "INNER";
  v1.node.state.push_back(plan::WatermarkStateSpec());
  for (auto& spec : v1.node.state) {
    if (spec.name != plan::kWatermarkStateName) {
      spec.state_namespace = windows ? plan::StateNamespace::kWindow : plan::StateNamespace::kTime;
    }
  }
  plan::WindowSpec window;
  window.kind = plan::WindowKind::kTumble;
  window.size = 10;
  if (windows) {
    v1.node.window_join = plan::WindowJoinSpec{window, 2, 2};
  } else if (kind == plan::OperatorKind::kTemporalJoin) {
    v1.node.temporal_join = plan::TemporalJoinSpec{2, 2};
  } else {
    v1.node.interval_join = plan::IntervalJoinSpec{2, 2, -5, 10};
  }
  auto build_output = [&](Version* version) {
    types::Schema output;
    for (int side = 0; side < 2; ++side) {
      const auto& columns = version->node.state[side].value_schema.columns;
      output.columns.insert(output.columns.end(), columns.begin(), columns.end());
      if (!windows) continue;
      for (const char* name : {"window_start", "window_end", "window_time"}) {
        output.columns.push_back({name, LogicalType::Timestamp()});
      }
    }
    version->node.output_schema = output;
  };
  build_output(&v1);
  // v2 keeps no v on either side: both sides' stored rows change.
  Version v2 = v1;
  for (int side = 0; side < 2; ++side) {
    auto& columns = v2.node.state[side].value_schema.columns;
    columns.erase(columns.begin() + 1);
    auto& fields = v2.node.signature->components[3 + side].fields;
    fields.erase(fields.begin() + 1);
    v2.input_types[side].erase(v2.input_types[side].begin() + 1);
  }
  if (windows) v2.node.window_join->left_time_slot = v2.node.window_join->right_time_slot = 1;
  if (v2.node.interval_join) {
    v2.node.interval_join->left_time_slot = v2.node.interval_join->right_time_slot = 1;
  }
  if (v2.node.temporal_join) {
    v2.node.temporal_join->left_time_slot = v2.node.temporal_join->right_time_slot = 1;
  }
  v2.row = [](int32_t, const std::vector<Cell>& row) { return std::vector<Cell>{row[0], row[2]}; };
  build_output(&v2);
  return {v1, v2};
}

TEST(OperatorMigrationTest, IntervalWindowAndTemporalJoinColumnRemoved) {
  for (auto kind : {plan::OperatorKind::kIntervalJoin, plan::OperatorKind::kWindowJoin,
                    plan::OperatorKind::kTemporalJoin}) {
    SCOPED_TRACE(plan::OperatorKindName(kind));
    auto [v1, v2] = TimedJoins(kind);
    auto steps = MakeSteps(2, 12, [](int64_t v) { return v; });
    size_t cut = 13;  // rows of both sides kept at the restore
    MigrationRun run = RunMigration(v1, v2, steps, cut);
    ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
    MigrationRun reference = RunUninterrupted(v2, steps, cut);
    ASSERT_FALSE(run.after.empty());
    EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()),
              std::multiset<std::string>(reference.after.begin(), reference.after.end()));
  }
}

TEST(OperatorMigrationTest, SessionWindowAccumulatorRemoved) {
  auto session = [](std::vector<AggregateCall> calls, std::vector<std::string> names) {
    Version version;
    plan::WindowSpec window;
    window.kind = plan::WindowKind::kSession;
    window.gap = 3;
    version.node = testing::UserWindowAggregateNode(window);
    plan::PlanNode& node = version.node;
    node.uid = "sessions/window-aggregate1";
    node.output_schema.columns.resize(4);
    node.output_schema.columns[0].type = LogicalType::Bigint();
    std::vector<plan::SignatureField> fields;
    for (size_t i = 0; i < calls.size(); ++i) {
      node.output_schema.columns.push_back({"c" + std::to_string(i), calls[i].result_type});
      fields.push_back({names[i], calls[i].result_type.ToString()});
    }
    node.aggregate->calls = std::move(calls);
    plan::StateSpec sessions;
    sessions.name = "sessions";
    sessions.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    node.state = {sessions, plan::WatermarkStateSpec()};
    node.signature = Signature({Component("key", false, {{"t.k", "BIGINT"}}),
                                Component("window", false, {{"SESSION(t.ts, gap 3 ms)", ""}}),
                                Component("accumulators", true, std::move(fields))});
    version.input_types = {
        {LogicalType::Bigint(), LogicalType::Bigint(), LogicalType::Timestamp()}};
    return version;
  };
  Version v1 = session({Call(AggregateKind::kCountStar), Call(AggregateKind::kMax, 1)},
                       {"COUNT(*)", "MAX(t.v)"});
  Version v2 = session({Call(AggregateKind::kMax, 1)}, {"MAX(t.v)"});
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  size_t cut = 9;  // sessions open at the restore
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  MigrationRun reference = RunUninterrupted(v2, steps, cut);
  ASSERT_FALSE(run.after.empty());
  EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()),
            std::multiset<std::string>(reference.after.begin(), reference.after.end()));
}

/// Restores v1's state (after a few batches) into v2 and returns the error.
std::string RefusalOf(const Version& v1, const Version& v2) {
  auto steps = MakeSteps(1, 4, [](int64_t v) { return v; });
  MigrationRun run = RunMigration(v1, v2, steps, steps.size());
  EXPECT_FALSE(run.restore_status.ok());
  EXPECT_TRUE(run.after.empty());
  return run.restore_status.ok() ? "" : run.restore_status.message();
}

TEST(OperatorMigrationTest, ChangedKeyIsRefused) {
  Version v1 = GroupAggregate({Call(AggregateKind::kCountStar)}, {"COUNT(*)"});
  Version v2 = v1;
  v2.node.aggregate->key_slots = {1};
  v2.node.signature->components[0].fields[0].name = "t.v";
  std::string error = RefusalOf(v1, v2);
  EXPECT_NE(error.find("'totals/group-aggregate1'"), std::string::npos) << error;
  EXPECT_NE(error.find("key changed: [t.k] -> [t.v]"), std::string::npos) << error;

  // Without signatures, the key's type tells it.
  v1.node.signature.reset();
  v2 = v1;
  v2.node.state[0].key_schema.columns[0].type = LogicalType::Int();
  error = RefusalOf(v1, v2);
  EXPECT_NE(error.find("the key of state 'groups' changed from [BIGINT] to [INT]"),
            std::string::npos)
      << error;
}

TEST(OperatorMigrationTest, NarrowedOrReplacedAccumulatorIsRefused) {
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"});
  Version narrowed = GroupAggregate({Call(AggregateKind::kSum, 1, LogicalType::Int())},
                                    {"SUM(t.v)"}, LogicalType::Int());
  std::string error = RefusalOf(v1, narrowed);
  EXPECT_NE(error.find("SUM(t.v) changed type from BIGINT to INT"), std::string::npos) << error;

  // Without signatures nothing tells which accumulator is which: any change is refused.
  v1.node.signature.reset();
  Version added = GroupAggregate({Call(AggregateKind::kSum, 1), Call(AggregateKind::kCountStar)},
                                 {"SUM(t.v)", "COUNT(*)"});
  added.node.signature.reset();
  error = RefusalOf(v1, added);
  EXPECT_NE(error.find("no state signature"), std::string::npos) << error;
}

TEST(OperatorMigrationTest, AnotherOperatorKindIsRefused) {
  Version v1 = GroupAggregate({Call(AggregateKind::kCountStar)}, {"COUNT(*)"});
  Version v2 = TopN(false);
  v2.node.uid = v1.node.uid;
  std::string error = RefusalOf(v1, v2);
  EXPECT_NE(error.find("named a group-aggregate"), std::string::npos) << error;
}

// Changes of signature components that are not evolvable but that the state still carries
// (runtime::plan::CarryChange), and fields matched under a widening CAST or another FILTER:
// the restore does what `sluice check`'s verdict says (tests/compat 045, 061, 065–075).

TEST(OperatorMigrationTest, SumOfAWideningCastContinuesTheOldSum) {
  // SUM(t.v) over an INT → SUM(CAST(t.v AS BIGINT)): the same values, the sum converted.
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1, LogicalType::Int())}, {"SUM(t.v)"},
                              LogicalType::Int());
  Version v2 = GroupAggregate({Call(AggregateKind::kSum, 1)}, {"SUM(CAST(t.v AS BIGINT))"});
  ExpectSumPastIntRange(v1, v2);
}

TEST(OperatorMigrationTest, FilterAddedToACallCarriesItsValueAndCountsOnlyMatchingRowsAfter) {
  // SUM(t.v) → SUM(t.v) FILTER (WHERE t.v > 50): the sum so far is carried; from the restore
  // on only rows with v > 50 are added (the same policy as a WHERE added upstream).
  Version v1 = GroupAggregate({Call(AggregateKind::kSum, 1)}, {"SUM(t.v)"});
  AggregateCall filtered = Call(AggregateKind::kSum, 1);
  filtered.filter_slot = 3;
  Version v2 = GroupAggregate({filtered}, {"SUM(t.v) FILTER (WHERE (t.v > 50))"});
  v2.input_types[0].push_back(LogicalType::Boolean());
  v2.row = [](int32_t, const std::vector<Cell>& row) {
    std::vector<Cell> out = row;
    out.push_back(int64_t{row[1].integer > 50 ? 1 : 0});
    return out;
  };
  auto steps = MakeSteps(1, 8, [](int64_t v) { return v; });
  size_t cut = 7;
  MigrationRun run = RunMigration(v1, v2, steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) { return fields; });
  Split split = SplitRows(steps, cut);
  std::multiset<std::string> expected;
  for (const auto& [key, all] : split.all) {
    int64_t sum = 0;
    for (const auto& row : all) sum += row[1].integer;
    for (const auto& row : split.after[key]) sum -= row[1].integer > 50 ? 0 : row[1].integer;
    expected.insert(Render({std::to_string(key), std::to_string(sum)}));
  }
  EXPECT_EQ(rows, expected);
}

/// SESSION windows of `gap` ms per k over (k, v, ts) with COUNT(*) and MAX(v).
Version Sessions(int64_t gap) {
  Version version;
  plan::WindowSpec window;
  window.kind = plan::WindowKind::kSession;
  window.gap = gap;
  version.node = testing::UserWindowAggregateNode(window);
  plan::PlanNode& node = version.node;
  node.uid = "sessions/window-aggregate1";
  node.output_schema.columns.resize(4);
  node.output_schema.columns[0].type = LogicalType::Bigint();
  std::vector<AggregateCall> calls = {Call(AggregateKind::kCountStar),
                                      Call(AggregateKind::kMax, 1)};
  node.output_schema.columns.push_back({"n", LogicalType::Bigint()});
  node.output_schema.columns.push_back({"top", LogicalType::Bigint()});
  node.aggregate->calls = calls;
  plan::StateSpec sessions;
  sessions.name = "sessions";
  sessions.key_schema.columns.push_back({"k", LogicalType::Bigint()});
  node.state = {sessions, plan::WatermarkStateSpec()};
  node.signature = Signature(
      {Component("key", false, {{"t.k", "BIGINT"}}),
       Component("window", false, {{fmt::format("SESSION(t.ts, gap {} ms)", gap), ""}}),
       Component("accumulators", true, {{"COUNT(*)", "BIGINT"}, {"MAX(t.v)", "BIGINT"}})});
  version.input_types = {{LogicalType::Bigint(), LogicalType::Bigint(), LogicalType::Timestamp()}};
  return version;
}

/// What a SESSION aggregate keeps for one key: sessions [start, end) with count and max.
struct ModelSession {
  int64_t start, end, count, max;
};

/// Folds (time, v) into `sessions` as the operator does: a row joins every session it
/// overlaps or touches within `gap`.
void ModelAdd(std::vector<ModelSession>* sessions, int64_t time, int64_t value, int64_t gap) {
  ModelSession merged{time, time + gap, 1, value};
  std::vector<ModelSession> kept;
  for (const ModelSession& session : *sessions) {
    if (session.start <= time + gap && session.end >= time) {
      merged.start = std::min(merged.start, session.start);
      merged.end = std::max(merged.end, session.end);
      merged.count += session.count;
      merged.max = std::max(merged.max, session.max);
    } else {
      kept.push_back(session);
    }
  }
  kept.push_back(merged);
  *sessions = kept;
}

/// Rows of `steps` without the watermarks before `cut` (no session fires before the restore).
std::vector<Step> WithoutEarlyWatermarks(const std::vector<Step>& steps, size_t* cut) {
  std::vector<Step> out;
  size_t kept_before = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i < *cut && steps[i].watermark) continue;
    if (i < *cut) ++kept_before;
    out.push_back(steps[i]);
  }
  *cut = kept_before;
  return out;
}

/// The sessions the operator emits after the restore: those open at the cut (under `old_gap`)
/// end at their last row + `new_gap` and merge where they overlap or touch; rows after the cut
/// join under `new_gap`; a session fires when a watermark reaches its end - 1 (and at the
/// end). Rendered as the operator's rows: k, start, end, end - 1, count, max.
std::multiset<std::string> ModelSessions(const std::vector<Step>& steps, size_t cut,
                                         int64_t old_gap, int64_t new_gap) {
  std::map<int64_t, std::vector<ModelSession>> keys;
  std::multiset<std::string> fired;
  auto fire = [&](int64_t watermark) {
    for (auto& [key, sessions] : keys) {
      std::vector<ModelSession> open;
      for (const ModelSession& session : sessions) {
        if (session.end - 1 <= watermark) {
          fired.insert(fmt::format("+I[{}, {}, {}, {}, {}, {}]", key, session.start, session.end,
                                   session.end - 1, session.count, session.max));
        } else {
          open.push_back(session);
        }
      }
      sessions = open;
    }
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i == cut) {  // the restore
      for (auto& [key, sessions] : keys) {
        for (ModelSession& session : sessions) session.end += new_gap - old_gap;
        std::sort(sessions.begin(), sessions.end(),
                  [](const ModelSession& a, const ModelSession& b) { return a.start < b.start; });
        std::vector<ModelSession> merged;
        for (const ModelSession& session : sessions) {
          if (!merged.empty() && session.start <= merged.back().end) {
            merged.back().end = std::max(merged.back().end, session.end);
            merged.back().count += session.count;
            merged.back().max = std::max(merged.back().max, session.max);
          } else {
            merged.push_back(session);
          }
        }
        sessions = merged;
      }
    }
    if (steps[i].watermark) {
      EXPECT_GE(i, cut) << "a session fired before the restore";
      fire(*steps[i].watermark);
      continue;
    }
    for (const auto& row : steps[i].rows) {
      ModelAdd(&keys[row[0].integer], row[2].integer, row[1].integer, i < cut ? old_gap : new_gap);
    }
  }
  fire(INT64_MAX - 1);
  return fired;
}

TEST(OperatorMigrationTest, SessionGapWidenedMergesTheSessionsTheNewGapJoins) {
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  size_t cut = 12;
  steps = WithoutEarlyWatermarks(steps, &cut);
  MigrationRun run = RunMigration(Sessions(3), Sessions(12), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  EXPECT_TRUE(run.before.empty());
  // Nothing fired before the restore: the output is the new gap's over every row.
  MigrationRun reference = RunUninterrupted(Sessions(12), steps, cut);
  std::multiset<std::string> after(run.after.begin(), run.after.end());
  EXPECT_EQ(after, std::multiset<std::string>(reference.after.begin(), reference.after.end()));
  EXPECT_EQ(after, ModelSessions(steps, cut, 3, 12));
  // And the restore merged something: fewer sessions than under the old gap.
  MigrationRun old_gap = RunUninterrupted(Sessions(3), steps, cut);
  EXPECT_LT(run.after.size(), old_gap.after.size());
}

TEST(OperatorMigrationTest, SessionGapNarrowedEndsOpenSessionsSoonerWithoutSplittingThem) {
  auto steps = MakeSteps(1, 10, [](int64_t v) { return v; });
  size_t cut = 12;
  steps = WithoutEarlyWatermarks(steps, &cut);
  MigrationRun run = RunMigration(Sessions(40), Sessions(6), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  std::multiset<std::string> after(run.after.begin(), run.after.end());
  EXPECT_EQ(after, ModelSessions(steps, cut, 40, 6));
}

/// Top `limit` by v DESC per k over (k, v, ts), with the row number (an insert-only input).
Version TopNOf(int64_t limit) {
  Version version = TopN(false);
  version.node.top_n->limit = limit;
  version.node.signature->components[2].fields[0].name = std::to_string(limit);
  return version;
}

/// Per key, the rows ranked 1..limit by v DESC (ties: earlier first) among `rows`.
std::map<int64_t, std::vector<std::vector<Cell>>> Ranked(
    std::map<int64_t, std::vector<std::vector<Cell>>> rows, size_t limit) {
  for (auto& [key, kept] : rows) {
    std::stable_sort(kept.begin(), kept.end(),
                     [](const auto& a, const auto& b) { return a[1].integer > b[1].integer; });
    if (kept.size() > limit) kept.resize(limit);
  }
  return rows;
}

/// Per key, the rows before the cut (all rows but those after it).
std::map<int64_t, std::vector<std::vector<Cell>>> RowsBefore(Split& split) {
  std::map<int64_t, std::vector<std::vector<Cell>>> before;
  for (const auto& [key, all] : split.all) {
    size_t after = split.after[key].size();
    before[key].assign(all.begin(), all.end() - static_cast<std::ptrdiff_t>(after));
  }
  return before;
}

/// `top` (ranked rows of `key`) as the Top-N's output rows: k, v, ts, row number.
void InsertRanked(int64_t key, const std::vector<std::vector<Cell>>& top,
                  std::multiset<std::string>* expected) {
  for (size_t rank = 0; rank < top.size(); ++rank) {
    expected->insert(Render({std::to_string(key), std::to_string(top[rank][1].integer),
                             std::to_string(top[rank][2].integer), std::to_string(rank + 1)}));
  }
}

TEST(OperatorMigrationTest, TopNLimitGrownShowsTheKeptPrefixThenFillsWithNewRows) {
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 13;
  MigrationRun run = RunMigration(TopNOf(2), TopNOf(3), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) { return fields; });
  // The old top 2 at the cut (rows past it were not kept), then every row after the cut.
  Split split = SplitRows(steps, cut);
  std::map<int64_t, std::vector<std::vector<Cell>>> before = RowsBefore(split);
  std::multiset<std::string> expected;
  for (auto& [key, kept] : Ranked(before, 2)) {
    std::vector<std::vector<Cell>> candidates = kept;
    for (const auto& row : split.after[key]) candidates.push_back(row);
    auto top = Ranked({{key, candidates}}, 3)[key];
    InsertRanked(key, top, &expected);
  }
  EXPECT_EQ(rows, expected);
}

TEST(OperatorMigrationTest, TopNLimitShrunkDropsTheTailAndLeavesRowsWrittenPastIt) {
  auto steps = MakeSteps(1, 12, [](int64_t v) { return v; });
  size_t cut = 13;
  MigrationRun run = RunMigration(TopNOf(3), TopNOf(2), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  auto rows = Materialize(run, [](std::vector<std::string> fields) { return fields; });
  // Every key's top 2 over all rows, plus (as the check warns) the row written at rank 3
  // before the restore, never retracted.
  Split split = SplitRows(steps, cut);
  std::map<int64_t, std::vector<std::vector<Cell>>> before = RowsBefore(split);
  auto old_top = Ranked(before, 3);
  std::multiset<std::string> expected;
  for (const auto& [key, all] : split.all) {
    auto top = Ranked({{key, all}}, 2)[key];
    InsertRanked(key, top, &expected);
    if (old_top[key].size() == 3) {
      const auto& third = old_top[key][2];
      expected.insert(Render({std::to_string(key), std::to_string(third[1].integer),
                              std::to_string(third[2].integer), "3"}));
    }
  }
  EXPECT_EQ(rows, expected);
}

/// An INNER interval join of (k, v, ts) with (k, v, ts): b.ts BETWEEN a.ts + lower AND a.ts +
/// upper.
Version IntervalJoin(int64_t lower, int64_t upper) {
  Version version = TimedJoins(plan::OperatorKind::kIntervalJoin).first;
  version.node.interval_join->lower = lower;
  version.node.interval_join->upper = upper;
  auto& components = version.node.signature->components;
  components.insert(
      components.begin() + 3,
      Component("interval", false,
                {{fmt::format("b.ts BETWEEN a.ts + {} ms AND a.ts + {} ms", lower, upper), ""}}));
  return version;
}

TEST(OperatorMigrationTest, IntervalBoundsNarrowedMatchAsIfTheyHadAlwaysBeenSo) {
  auto steps = MakeSteps(2, 16, [](int64_t v) { return v; });
  size_t cut = 17;
  MigrationRun run = RunMigration(IntervalJoin(-30, 40), IntervalJoin(-5, 10), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  MigrationRun reference = RunUninterrupted(IntervalJoin(-5, 10), steps, cut);
  ASSERT_FALSE(run.after.empty());
  EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()),
            std::multiset<std::string>(reference.after.begin(), reference.after.end()));
}

TEST(OperatorMigrationTest, IntervalBoundsWidenedMissOnlyMatchesWithRowsThatHadExpired) {
  auto steps = MakeSteps(2, 16, [](int64_t v) { return v; });
  size_t cut = 17;
  // Wide enough that rows of batches two before the cut match rows of the batch after it.
  MigrationRun run = RunMigration(IntervalJoin(-5, 10), IntervalJoin(-90, 90), steps, cut);
  ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
  MigrationRun reference = RunUninterrupted(IntervalJoin(-90, 90), steps, cut);
  int64_t watermark = 0;  // the watermark at the cut
  for (size_t i = 0; i < cut; ++i) {
    if (steps[i].watermark) watermark = *steps[i].watermark;
  }
  std::multiset<std::string> emitted(run.after.begin(), run.after.end());
  size_t missed = 0;
  for (const std::string& row : reference.after) {
    auto found = emitted.find(row);
    if (found != emitted.end()) {
      emitted.erase(found);
      continue;
    }
    // Missed: a side of it had expired under the old bounds before the restore (a left row
    // at l when the watermark reached l + 10, a right row at r when it reached r + 5).
    auto fields = Fields(row);
    int64_t left_time = std::stoll(fields[2]), right_time = std::stoll(fields[5]);
    EXPECT_TRUE(left_time + 10 <= watermark || right_time + 5 <= watermark) << row;
    ++missed;
  }
  EXPECT_TRUE(emitted.empty()) << "rows the new bounds never give: " << *emitted.begin();
  EXPECT_GT(missed, 0u);  // the case the warning is about happens here
  EXPECT_GT(run.after.size(), 0u);
}

/// Join(false) with table.exec.state.ttl = `ttl` ms (0: none).
Version JoinWithTtl(int64_t ttl) {
  Version version = Join(false);
  version.node.join->state_ttl = ttl;
  for (auto& spec : version.node.state) spec.ttl_millis = ttl;
  auto& components = version.node.signature->components;
  components.insert(components.begin() + 3,
                    Component("row expiry", false,
                              {{ttl > 0 ? "rows carry their last-touched time" : "none", ""}}));
  return version;
}

TEST(OperatorMigrationTest, StateTtlSwitchedOnOrOffKeepsEveryRow) {
  // An hour-long TTL expires nothing here: the joins after the restore are exactly those of a
  // job that ran with the new setting all along (the rows gained or lost their stamp).
  for (auto [from, to] : {std::pair<int64_t, int64_t>{0, 3'600'000}, {3'600'000, 0}}) {
    SCOPED_TRACE(fmt::format("ttl {} -> {}", from, to));
    auto steps = MakeSteps(2, 12, [](int64_t v) { return v; });
    size_t cut = 10;
    MigrationRun run = RunMigration(JoinWithTtl(from), JoinWithTtl(to), steps, cut);
    ASSERT_TRUE(run.restore_status.ok()) << run.restore_status.ToString();
    MigrationRun reference = RunUninterrupted(JoinWithTtl(to), steps, cut);
    ASSERT_FALSE(run.after.empty());
    EXPECT_EQ(std::multiset<std::string>(run.after.begin(), run.after.end()),
              std::multiset<std::string>(reference.after.begin(), reference.after.end()));
  }
}

}  // namespace
}  // namespace sluice::runtime::operators
