// Restores every stateful operator from its StateBackend alone, at another parallelism: runs a
// deterministic input through P1 subtasks (rows routed by key group as the OutputRouter does),
// stops between two messages, moves each subtask's tables through canonical state files into
// P2 new backends by key-group range (memory and RocksDB), opens fresh instances on them, feeds
// the rest, and compares the materialized output with an uninterrupted run.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/operators/operator_factory.h"
#include "runtime/operators/operator_state.h"
#include "runtime/scheduler/key_group.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/state_file.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using plan::JoinType;
using plan::WindowKind;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using types::LogicalType;
using Multiset = std::map<std::string, int64_t>;

constexpr int32_t kMaxParallelism = 128;

// Every input: (k BIGINT, v BIGINT, ts TIMESTAMP(3)).
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Bigint(),
                                         LogicalType::Timestamp()};
const types::Schema kSchema{
    {{"k", LogicalType::Bigint()}, {"v", LogicalType::Bigint()}, {"ts", LogicalType::Timestamp()}}};

/// One message of the input: a batch for an input, a watermark for every subtask, or (for
/// processing time) the wall clock moving to `time`.
struct Step {
  enum Kind { kBatch, kWatermark, kClock } kind = kBatch;
  int32_t input = 0;
  std::vector<std::vector<Cell>> rows;
  int64_t time = 0;
  /// Row kinds of an updating input (empty: insert-only, no row kinds).
  std::vector<RowKind> kinds = {};
};

struct Scenario {
  plan::PlanNode node;
  /// Per input, the slots its rows are routed by (the operator's keys).
  std::vector<std::vector<int32_t>> routing;
  bool processing_time = false;
  std::vector<Step> steps;
  /// Snapshot points: indexes into `steps` (restore happens before that step).
  std::vector<size_t> cuts;
  /// The slot types of the input rows.
  std::vector<LogicalType> types = kTypes;
};

/// Deterministic input: batches alternating over `inputs`, keys 0..6, times that mostly grow
/// with some rows up to 30 ms behind, each batch followed by a watermark 2 ms behind the
/// largest time so far (so some rows are late). `bucket` rounds times up to a multiple of it.
std::vector<Step> MakeSteps(int32_t inputs, int32_t batches, int64_t bucket = 1) {
  std::vector<Step> steps;
  uint64_t seed = 12345;
  auto next = [&]() {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>(seed >> 33);
  };
  int64_t clock = 1000;
  int64_t max_time = 0;
  int64_t watermark = kMinWatermark;
  for (int32_t b = 0; b < batches; ++b) {
    Step step;
    step.input = b % inputs;
    for (int32_t r = 0; r < 12; ++r) {
      int64_t time = clock + next() % 40 - 30;
      time = (time + bucket - 1) / bucket * bucket;
      step.rows.push_back({next() % 7, next() % 100, time});
      max_time = std::max(max_time, time);
      clock += 2;
    }
    steps.push_back(std::move(step));
    if (max_time - 2 > watermark) {
      watermark = max_time - 2;
      steps.push_back(Step{Step::kWatermark, 0, {}, watermark});
    }
  }
  return steps;
}

/// An updating input: MakeSteps' rows as +I, and now and then a -D of an earlier row that is
/// still there (never a retraction of a row that was not inserted).
std::vector<Step> MakeUpdatingSteps(int32_t batches) {
  std::vector<Step> steps = MakeSteps(1, batches);
  std::vector<std::vector<Cell>> live;
  uint64_t seed = 99;
  for (Step& step : steps) {
    if (step.kind != Step::kBatch) continue;
    std::vector<std::vector<Cell>> rows;
    for (const auto& row : step.rows) {
      rows.push_back(row);
      step.kinds.push_back(RowKind::kInsert);
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((seed >> 40) % 3 == 0 && !live.empty()) {
        size_t victim = (seed >> 20) % live.size();
        rows.push_back(live[victim]);
        step.kinds.push_back(RowKind::kDelete);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(victim));
      }
      live.push_back(row);
    }
    step.rows = std::move(rows);
  }
  return steps;
}

/// A controllable wall clock with per-subtask timers.
class FakeTime : public ProcessingTimeService {
 public:
  explicit FakeTime(const int64_t* now) : now_(now) {}
  int64_t CurrentTimeMillis() const override { return *now_; }
  void RegisterTimer(int64_t time) override { timers.insert(time); }
  std::set<int64_t> timers;

 private:
  const int64_t* now_;
};

/// The P subtasks of one operator: their backends and instances.
class Stage {
 public:
  Stage(const Scenario& scenario, int32_t parallelism, const int64_t* clock)
      : scenario_(scenario), parallelism_(parallelism) {
    for (int32_t i = 0; i < parallelism; ++i) {
      backends_.push_back(state::MakeMemoryStateBackend());
      times_.push_back(std::make_unique<FakeTime>(clock));
    }
  }

  /// Replaces subtask `i`'s backend (before Open).
  void SetBackend(int32_t i, std::unique_ptr<state::StateBackend> backend) {
    backends_[i] = std::move(backend);
  }
  state::StateBackend* backend(int32_t i) { return backends_[i].get(); }

  void Open() {
    for (int32_t i = 0; i < parallelism_; ++i) {
      auto created = CreateOperator(scenario_.node);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      operators_.push_back(std::move(*created));
      OperatorContext context;
      context.node = &scenario_.node;
      context.subtask = {i, parallelism_, "restore"};
      context.max_parallelism = kMaxParallelism;
      context.metrics = &metrics_;
      context.state_backend = backends_[i].get();
      context.processing_time = times_[i].get();
      base::Status status = operators_.back()->Open(context);
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
  }

  /// Delivers `step`; a watermark only to subtasks [0, watermark_subtasks) when given.
  void Run(const Step& step, CollectingOutput* out, int32_t watermark_subtasks = -1) {
    switch (step.kind) {
      case Step::kWatermark:
        for (int32_t i = 0; i < parallelism_; ++i) {
          if (watermark_subtasks >= 0 && i >= watermark_subtasks) break;
          base::Status status = operators_[i]->ProcessWatermark(step.time, out);
          ASSERT_TRUE(status.ok()) << status.ToString();
        }
        break;
      case Step::kClock:
        for (int32_t i = 0; i < parallelism_; ++i) {
          auto& timers = times_[i]->timers;
          if (timers.empty() || *timers.begin() > step.time) continue;
          timers.erase(timers.begin(), timers.upper_bound(step.time));
          base::Status status = operators_[i]->OnProcessingTime(step.time, out);
          ASSERT_TRUE(status.ok()) << status.ToString();
        }
        break;
      case Step::kBatch: {
        BatchPtr whole = MakeBatch(scenario_.types, step.rows);
        std::vector<std::vector<std::vector<Cell>>> routed(parallelism_);
        std::vector<std::vector<RowKind>> kinds(parallelism_);
        for (int32_t row = 0; row < whole->row_count(); ++row) {
          int32_t key_group = scheduler::KeyGroupOf(
              scheduler::HashKey(*whole, scenario_.routing[step.input], row), kMaxParallelism);
          int32_t subtask = scheduler::SubtaskOfKeyGroup(key_group, kMaxParallelism, parallelism_);
          routed[subtask].push_back(step.rows[row]);
          if (!step.kinds.empty()) kinds[subtask].push_back(step.kinds[row]);
        }
        for (int32_t i = 0; i < parallelism_; ++i) {
          if (routed[i].empty()) continue;
          base::Status status = operators_[i]->ProcessBatch(
              step.input, MakeBatch(scenario_.types, routed[i], kinds[i]), out);
          ASSERT_TRUE(status.ok()) << status.ToString();
        }
        break;
      }
    }
  }

  void Finish(CollectingOutput* out) {
    if (scenario_.processing_time) return;  // only timers may fire processing-time windows
    Run(Step{Step::kWatermark, 0, {}, kMaxWatermark}, out);
    for (auto& instance : operators_) ASSERT_TRUE(instance->Finish(out).ok());
  }

  int32_t parallelism() const { return parallelism_; }

 private:
  const Scenario& scenario_;
  int32_t parallelism_;
  OperatorMetrics metrics_;
  std::vector<std::unique_ptr<state::StateBackend>> backends_;
  std::vector<std::unique_ptr<FakeTime>> times_;
  std::vector<std::unique_ptr<Operator>> operators_;
};

/// Applies a changelog (`+I[…]`, `-U[…]`, …) to a multiset of rows.
Multiset Materialize(const std::vector<std::string>& changes) {
  Multiset rows;
  for (const std::string& change : changes) {
    std::string row = change.substr(2);
    rows[row] += change[0] == '+' ? 1 : -1;
    if (rows[row] == 0) rows.erase(row);
  }
  return rows;
}

Multiset RunUninterrupted(const Scenario& scenario, int32_t parallelism) {
  int64_t clock = 0;
  Stage stage(scenario, parallelism, &clock);
  stage.Open();
  CollectingOutput out;
  for (const Step& step : scenario.steps) {
    if (step.kind == Step::kClock) clock = step.time;
    stage.Run(step, &out);
  }
  stage.Finish(&out);
  return Materialize(out.rows);
}

/// Snapshots `from` through canonical state files and restores it into `to` by key group.
void Transfer(const Scenario& scenario, Stage* from, Stage* to, bool rocksdb,
              const std::string& directory) {
  std::filesystem::create_directories(directory);
  std::vector<std::string> files;
  for (int32_t i = 0; i < from->parallelism(); ++i) {
    auto range = scheduler::KeyGroupRangeOf(i, kMaxParallelism, from->parallelism());
    // A snapshot copies the tables the plan declares (PlanNode::state).
    for (const plan::StateSpec& spec : scenario.node.state) {
      const std::string& name = spec.name;
      auto table = from->backend(i)->GetTable(scenario.node.uid, name);
      ASSERT_TRUE(table.ok());
      std::string path = directory + "/" + name + "-" + std::to_string(i) + ".state";
      state::StateFileHeader header{scenario.node.uid, name, "", range.first, range.last};
      auto written = state::StateFileWriter::Write(path, header, **table);
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      files.push_back(path);
    }
  }
  for (int32_t j = 0; j < to->parallelism(); ++j) {
    if (rocksdb) {
      state::RocksDbBackendOptions options;
      options.directory = directory + "/rocksdb-" + std::to_string(j);
      auto backend = state::MakeRocksDbStateBackend(options);
      ASSERT_TRUE(backend.ok()) << backend.status().ToString();
      to->SetBackend(j, std::move(*backend));
    }
    auto range = scheduler::KeyGroupRangeOf(j, kMaxParallelism, to->parallelism());
    for (const std::string& path : files) {
      auto reader = state::StateFileReader::Open(path);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      auto table = to->backend(j)->GetTable(reader->header().uid, reader->header().state_name);
      ASSERT_TRUE(table.ok());
      base::Status status = reader->Read(range.first, range.last,
                                         [&](int32_t key_group, std::string_view key,
                                             std::string_view ns, std::string_view value) {
                                           (*table)->Put(key_group, key, ns, value);
                                           return base::Status::Ok();
                                         });
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
  }
}

Multiset RunRestored(const Scenario& scenario, size_t cut, int32_t p1, int32_t p2, bool rocksdb) {
  int64_t clock = 0;
  CollectingOutput out;
  Stage before(scenario, p1, &clock);
  before.Open();
  for (size_t i = 0; i < cut; ++i) {
    if (scenario.steps[i].kind == Step::kClock) clock = scenario.steps[i].time;
    before.Run(scenario.steps[i], &out);
  }
  Stage after(scenario, p2, &clock);
  std::string directory = ::testing::TempDir() + "/operator_restore_" + std::to_string(::getpid()) +
                          "_" + std::to_string(cut) + "_" + std::to_string(p1) +
                          std::to_string(p2) + (rocksdb ? "r" : "m");
  Transfer(scenario, &before, &after, rocksdb, directory);
  after.Open();
  for (size_t i = cut; i < scenario.steps.size(); ++i) {
    if (scenario.steps[i].kind == Step::kClock) clock = scenario.steps[i].time;
    after.Run(scenario.steps[i], &out);
  }
  after.Finish(&out);
  Multiset result = Materialize(out.rows);
  std::filesystem::remove_all(directory);
  return result;
}

/// A snapshot taken while watermark step `cut` has reached only subtask 0 of `p1`: the others
/// get the next batch first, then the watermark. Restored into `p2` subtasks (0: not restored,
/// the reference for this interleaving), key groups with different watermarks merge.
Multiset RunSplitWatermark(const Scenario& scenario, size_t cut, int32_t p1, int32_t p2) {
  int64_t clock = 0;
  CollectingOutput out;
  Stage before(scenario, p1, &clock);
  before.Open();
  for (size_t i = 0; i < cut; ++i) before.Run(scenario.steps[i], &out);
  before.Run(scenario.steps[cut], &out, /*watermark_subtasks=*/1);
  Stage after(scenario, std::max(p2, 1), &clock);
  Stage* stage = &before;
  std::string directory = ::testing::TempDir() + "/operator_restore_split_" +
                          std::to_string(::getpid()) + "_" + std::to_string(p1) +
                          std::to_string(p2);
  if (p2 > 0) {
    Transfer(scenario, &before, &after, false, directory);
    after.Open();
    stage = &after;
  }
  stage->Run(scenario.steps[cut + 1], &out);
  stage->Run(scenario.steps[cut], &out);  // subtask 0's key groups are there already
  for (size_t i = cut + 2; i < scenario.steps.size(); ++i) stage->Run(scenario.steps[i], &out);
  stage->Finish(&out);
  std::filesystem::remove_all(directory);
  return Materialize(out.rows);
}

void CheckRestores(const Scenario& scenario) {
  Multiset expected = RunUninterrupted(scenario, 1);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(RunUninterrupted(scenario, 3), expected);
  const std::pair<int32_t, int32_t> rescales[] = {{1, 1}, {1, 3}, {3, 1}, {2, 2}};
  for (size_t cut : scenario.cuts) {
    for (auto [p1, p2] : rescales) {
      // RocksDB instances are slow to open: one cut into RocksDB, every cut into memory.
      for (bool rocksdb : {false, true}) {
        if (rocksdb && cut != scenario.cuts[0]) continue;
        SCOPED_TRACE(::testing::Message() << "cut before step " << cut << ", " << p1 << " -> " << p2
                                          << (rocksdb ? " into rocksdb" : " into memory"));
        EXPECT_EQ(RunRestored(scenario, cut, p1, p2, rocksdb), expected);
      }
    }
  }
  // Subtasks snapshotted at different watermarks, merged (3 -> 1) or regrouped (2 -> 2, 3 -> 2).
  size_t cut = scenario.cuts[0];
  if (scenario.steps[cut].kind != Step::kWatermark || cut + 1 >= scenario.steps.size() ||
      scenario.steps[cut + 1].kind != Step::kBatch) {
    return;
  }
  for (auto [p1, p2] : {std::pair{3, 1}, {2, 2}, {3, 2}}) {
    SCOPED_TRACE(::testing::Message() << "split watermark, " << p1 << " -> " << p2);
    EXPECT_EQ(RunSplitWatermark(scenario, cut, p1, p2), RunSplitWatermark(scenario, cut, p1, 0));
  }
}

/// Cuts before a watermark (late rows after it), right after one, and near the end.
std::vector<size_t> Cuts(const std::vector<Step>& steps) {
  std::vector<size_t> cuts;
  for (size_t i = steps.size() / 3; i < steps.size(); ++i) {
    if (steps[i].kind == Step::kWatermark) {
      cuts.push_back(i);
      cuts.push_back(i + 1);
      break;
    }
  }
  cuts.push_back(steps.size() * 3 / 4);
  return cuts;
}

/// Declares state tables by name (the layout is not read here).
void Declare(plan::PlanNode* node, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    plan::StateSpec spec;
    spec.name = name;
    node->state.push_back(spec);
  }
}

AggregateCall Call(AggregateKind kind, int32_t slot = -1) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  if (slot >= 0) call.argument_type = LogicalType::Bigint();
  call.result_type = LogicalType::Bigint();
  return call;
}

Scenario WindowScenario(plan::WindowSpec window, bool processing_time = false) {
  Scenario scenario;
  plan::PlanNode& node = scenario.node;
  node.uid = "out/window_aggregate0";
  node.kind = plan::OperatorKind::kWindowAggregate;
  node.output_schema = types::Schema{{{"k", LogicalType::Bigint()},
                                      {"window_start", LogicalType::Timestamp()},
                                      {"window_end", LogicalType::Timestamp()},
                                      {"window_time", LogicalType::Timestamp()},
                                      {"cnt", LogicalType::Bigint()},
                                      {"total", LogicalType::Bigint()}}};
  window.time_slot = 2;
  window.processing_time = processing_time;
  node.aggregate = plan::AggregateSpec{
      {0}, {Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1)}, window};
  scenario.routing = {{0}};
  Declare(&node, {window.kind == WindowKind::kSession ? "sessions" : "slices"});
  node.state.push_back(plan::WatermarkStateSpec());
  scenario.processing_time = processing_time;
  scenario.steps = MakeSteps(1, 40);
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

TEST(OperatorRestoreTest, TumbleWindowAggregate) {
  CheckRestores(WindowScenario({WindowKind::kTumble, 2, 10, 0, 0, 0}));
}

// Windows over a TIMESTAMP_LTZ attribute lay out on the session zone's clock: their state
// (slices by wall-time end) and watermark (a wall time) restore alike.
TEST(OperatorRestoreTest, TumbleWindowAggregateOnAZoneClock) {
  plan::WindowSpec window{WindowKind::kTumble, 2, 10, 0, 0, 0};
  window.time_zone = "America/Los_Angeles";
  Scenario scenario = WindowScenario(window);
  scenario.node.output_schema.columns[3].type = LogicalType::TimestampLtz();
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, HopWindowAggregate) {
  CheckRestores(WindowScenario({WindowKind::kHop, 2, 20, 5, 0, 0}));
}

TEST(OperatorRestoreTest, CumulateWindowAggregate) {
  CheckRestores(WindowScenario({WindowKind::kCumulate, 2, 30, 10, 0, 0}));
}

TEST(OperatorRestoreTest, SessionWindowAggregate) {
  plan::WindowSpec session{WindowKind::kSession, 2, 0, 0, 0, 0};
  session.gap = 4;
  CheckRestores(WindowScenario(session));
}

/// MakeSteps' batches without its watermarks, the clock moving to `*now` before each, then 7 ms
/// on (left in `*now`).
std::vector<Step> ClockedBatches(int32_t batches, int64_t* now) {
  std::vector<Step> steps;
  for (const Step& step : MakeSteps(1, batches)) {
    if (step.kind != Step::kBatch) continue;
    steps.push_back(Step{Step::kClock, 0, {}, *now});
    steps.push_back(step);
    *now += 7;
  }
  return steps;
}

TEST(OperatorRestoreTest, ProcessingTimeWindowAggregate) {
  Scenario scenario = WindowScenario({WindowKind::kTumble, 2, 10, 0, 0, 0}, true);
  // Batches with the clock moving between them; after the cut only the clock moves, so the
  // restored windows fire only if their timers were registered again.
  int64_t now = 10'000;
  std::vector<Step> steps = ClockedBatches(16, &now);
  scenario.cuts = {steps.size()};
  for (int i = 0; i < 6; ++i) steps.push_back(Step{Step::kClock, 0, {}, now += 10});
  scenario.steps = steps;
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, GroupAggregate) {
  Scenario scenario;
  scenario.node.uid = "out/group_aggregate0";
  scenario.node.kind = plan::OperatorKind::kGroupAggregate;
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  scenario.node.output_schema = types::Schema{{{"k", LogicalType::Bigint()},
                                               {"cnt", LogicalType::Bigint()},
                                               {"total", LogicalType::Bigint()}}};
  scenario.node.aggregate = plan::AggregateSpec{
      {0}, {Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1)}, std::nullopt};
  scenario.routing = {{0}};
  Declare(&scenario.node, {"groups"});
  scenario.steps = MakeSteps(1, 20);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

/// `steps` with each value v of column 1 made v * 10^31 + 0.25 as an unscaled DECIMAL(38, 2):
/// past int64 and past 10^30.
std::vector<Step> WideDecimalValues(std::vector<Step> steps) {
  for (Step& step : steps) {
    for (auto& row : step.rows) {
      if (!row[1].is_null) {
        row[1] = Cell(std::to_string(row[1].integer) + std::string(31, '0') + "25");
      }
    }
  }
  return steps;
}

/// A group aggregation by column 0 of DECIMAL(38, 2) column 1 with `calls` (argument slot 1).
Scenario WideDecimalAggregate(std::vector<AggregateCall> calls, std::vector<Step> steps) {
  LogicalType wide = LogicalType::Decimal(38, 2);
  Scenario scenario;
  scenario.node.uid = "out/group_aggregate0";
  scenario.node.kind = plan::OperatorKind::kGroupAggregate;
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  std::vector<types::RowField> fields = {{"k", LogicalType::Bigint()}};
  for (size_t index = 0; index < calls.size(); ++index) {
    calls[index].argument_type = wide;
    fields.push_back({"c" + std::to_string(index), calls[index].result_type});
  }
  scenario.node.output_schema = types::Schema{fields};
  scenario.node.aggregate = plan::AggregateSpec{{0}, calls, std::nullopt};
  scenario.routing = {{0}};
  Declare(&scenario.node, {"groups"});
  scenario.types = {LogicalType::Bigint(), wide, LogicalType::Timestamp()};
  scenario.steps = WideDecimalValues(std::move(steps));
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

AggregateCall WideCall(AggregateKind kind, LogicalType result, bool distinct = false) {
  AggregateCall call = Call(kind, 1);
  call.result_type = result;
  call.distinct = distinct;
  return call;
}

// SUM, AVG, MIN, MAX, LAST_VALUE and the DISTINCT aggregates of DECIMAL(38, 2) values of about
// 34 digits: int128 sums, 16-byte extremes, keys and list values, and 16-byte results (also the
// kept output of the operator) survive the restore, into memory and RocksDB.
TEST(OperatorRestoreTest, GroupAggregateOfWideDecimals) {
  LogicalType wide = LogicalType::Decimal(38, 2);
  CheckRestores(WideDecimalAggregate(
      {WideCall(AggregateKind::kSum, wide),
       WideCall(AggregateKind::kAvg, LogicalType::Decimal(38, 6)),
       WideCall(AggregateKind::kMin, wide), WideCall(AggregateKind::kMax, wide),
       WideCall(AggregateKind::kLastValue, wide),
       WideCall(AggregateKind::kCount, LogicalType::Bigint(), /*distinct=*/true),
       WideCall(AggregateKind::kSum, wide, /*distinct=*/true)},
      MakeSteps(1, 20)));
}

// The same over an updating input: retractable MIN/MAX and LAST_VALUE keep every value.
TEST(OperatorRestoreTest, GroupAggregateOfWideDecimalsOverRetractions) {
  LogicalType wide = LogicalType::Decimal(38, 2);
  std::vector<AggregateCall> calls = {
      WideCall(AggregateKind::kSum, wide), WideCall(AggregateKind::kMin, wide),
      WideCall(AggregateKind::kMax, wide), WideCall(AggregateKind::kLastValue, wide),
      WideCall(AggregateKind::kCount, LogicalType::Bigint(), /*distinct=*/true)};
  for (AggregateCall& call : calls) call.retractable = true;
  CheckRestores(WideDecimalAggregate(calls, MakeUpdatingSteps(20)));
}

TEST(OperatorRestoreTest, GroupAggregateOverRetractions) {
  Scenario scenario;
  scenario.node.uid = "out/group_aggregate0";
  scenario.node.kind = plan::OperatorKind::kGroupAggregate;
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  scenario.node.output_schema = types::Schema{{{"k", LogicalType::Bigint()},
                                               {"cnt", LogicalType::Bigint()},
                                               {"total", LogicalType::Bigint()},
                                               {"low", LogicalType::Bigint()}}};
  std::vector<AggregateCall> calls = {Call(AggregateKind::kCountStar), Call(AggregateKind::kSum, 1),
                                      Call(AggregateKind::kMin, 1)};
  for (AggregateCall& call : calls) call.retractable = true;
  scenario.node.aggregate = plan::AggregateSpec{{0}, calls, std::nullopt};
  scenario.routing = {{0}};
  Declare(&scenario.node, {"groups"});
  scenario.steps = MakeUpdatingSteps(20);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

/// `steps` through the Expand of GROUPING SETS ((k), (), ()) over (k, v, ts): the rows the
/// aggregation after it gets, (k, v, ts, k or NULL, the set's id), row kinds kept.
std::vector<Step> Expanded(const std::vector<Step>& steps) {
  plan::PlanNode node;
  node.uid = "out/expand1";
  node.kind = plan::OperatorKind::kExpand;
  node.output_schema = kSchema;
  node.output_schema.columns.push_back({"$g0", LogicalType::Bigint()});
  node.output_schema.columns.push_back({"$e", LogicalType::Bigint()});
  node.expand = plan::ExpandSpec{{0}, {{0, {}}, {1, {0}}, {3, {0}}}};
  auto expand = CreateOperator(node);
  EXPECT_TRUE(expand.ok());
  OperatorMetrics metrics;
  OperatorContext context;
  context.node = &node;
  context.metrics = &metrics;
  EXPECT_TRUE((*expand)->Open(context).ok());
  std::vector<Step> expanded;
  for (const Step& step : steps) {
    if (step.kind != Step::kBatch) {
      expanded.push_back(step);
      continue;
    }
    CollectingOutput out;
    EXPECT_TRUE((*expand)->ProcessBatch(0, MakeBatch(kTypes, step.rows, step.kinds), &out).ok());
    Step next{Step::kBatch, step.input, {}, 0, {}};
    for (const BatchPtr& batch : out.batches) {
      for (int32_t row = 0; row < batch->row_count(); ++row) {
        std::vector<Cell> cells;
        for (size_t column = 0; column < batch->column_count(); ++column) {
          const Column& values = batch->column(column);
          cells.push_back(values.IsNull(row) ? Cell(nullptr) : Cell(values.values<int64_t>()[row]));
        }
        next.rows.push_back(std::move(cells));
        if (!step.kinds.empty()) next.kinds.push_back(batch->row_kind(row));
      }
    }
    expanded.push_back(std::move(next));
  }
  return expanded;
}

/// An aggregation keyed by an Expand's grouping column copy and set id (slots 3 and 4).
Scenario OverExpand(std::vector<Step> steps, std::optional<plan::WindowSpec> window) {
  Scenario scenario;
  plan::PlanNode& node = scenario.node;
  node.uid = window ? "out/window-aggregate1" : "out/group-aggregate1";
  node.kind = window ? plan::OperatorKind::kWindowAggregate : plan::OperatorKind::kGroupAggregate;
  node.changelog_mode = window ? plan::ChangelogMode::kInsertOnly : plan::ChangelogMode::kUpdating;
  node.output_schema = types::Schema{{{"k", LogicalType::Bigint()}, {"$e", LogicalType::Bigint()}}};
  if (window) {
    for (const char* name : {"window_start", "window_end", "window_time"}) {
      node.output_schema.columns.push_back({name, LogicalType::Timestamp()});
    }
    window->time_slot = 2;
  }
  node.output_schema.columns.push_back({"cnt", LogicalType::Bigint()});
  node.output_schema.columns.push_back({"total", LogicalType::Bigint()});
  std::vector<AggregateCall> calls = {Call(AggregateKind::kCountStar),
                                      Call(AggregateKind::kSum, 1)};
  bool retracting = !steps.empty() && std::any_of(steps.begin(), steps.end(),
                                                  [](const Step& s) { return !s.kinds.empty(); });
  for (AggregateCall& call : calls) call.retractable = retracting;
  node.aggregate = plan::AggregateSpec{{3, 4}, calls, window};
  Declare(&node, {window ? "slices" : "groups"});
  if (window) node.state.push_back(plan::WatermarkStateSpec());
  scenario.routing = {{3, 4}};
  scenario.types = kTypes;
  scenario.types.push_back(LogicalType::Bigint());
  scenario.types.push_back(LogicalType::Bigint());
  scenario.steps = Expanded(steps);
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

TEST(OperatorRestoreTest, GroupAggregateOverExpand) {
  CheckRestores(OverExpand(MakeSteps(1, 20), std::nullopt));
}

TEST(OperatorRestoreTest, GroupAggregateOverExpandOfRetractions) {
  CheckRestores(OverExpand(MakeUpdatingSteps(20), std::nullopt));
}

TEST(OperatorRestoreTest, WindowAggregateOverExpand) {
  CheckRestores(
      OverExpand(MakeSteps(1, 40), plan::WindowSpec{WindowKind::kTumble, 2, 10, 0, 0, 0}));
}

/// STDDEV/VAR (exact moments), FIRST_VALUE and LAST_VALUE over v, as BIGINT results.
std::vector<AggregateCall> StatisticCalls(bool retractable) {
  std::vector<AggregateCall> calls = {
      Call(AggregateKind::kStddevPop, 1), Call(AggregateKind::kVarSamp, 1),
      Call(AggregateKind::kFirstValue, 1), Call(AggregateKind::kLastValue, 1)};
  for (AggregateCall& call : calls) call.retractable = retractable;
  return calls;
}

types::Schema StatisticSchema(std::vector<types::RowField> columns) {
  for (const char* name : {"spread", "variance", "first", "last"}) {
    columns.push_back({name, LogicalType::Bigint()});
  }
  return types::Schema{columns};
}

TEST(OperatorRestoreTest, GroupAggregateStatisticsAndValues) {
  for (bool updating : {false, true}) {
    SCOPED_TRACE(updating ? "updating input" : "insert-only input");
    Scenario scenario;
    scenario.node.uid = "out/group_aggregate0";
    scenario.node.kind = plan::OperatorKind::kGroupAggregate;
    scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
    scenario.node.output_schema = StatisticSchema({{"k", LogicalType::Bigint()}});
    scenario.node.aggregate = plan::AggregateSpec{{0}, StatisticCalls(updating), std::nullopt};
    scenario.routing = {{0}};
    Declare(&scenario.node, {"groups"});
    scenario.steps = updating ? MakeUpdatingSteps(20) : MakeSteps(1, 20);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, HopWindowAggregateStatisticsAndValues) {
  Scenario scenario = WindowScenario({WindowKind::kHop, 2, 20, 5, 0, 0});
  scenario.node.aggregate->calls = StatisticCalls(false);
  scenario.node.output_schema = StatisticSchema({{"k", LogicalType::Bigint()},
                                                 {"window_start", LogicalType::Timestamp()},
                                                 {"window_end", LogicalType::Timestamp()},
                                                 {"window_time", LogicalType::Timestamp()}});
  CheckRestores(scenario);
}

/// Two-input operators: both sides (k, v, ts), output left columns then right columns.
plan::PlanNode TwoInputNode(const std::string& uid, plan::OperatorKind kind, bool windows) {
  plan::PlanNode node;
  node.uid = uid;
  node.kind = kind;
  for (int side = 0; side < 2; ++side) {
    for (const auto& column : kSchema.columns) node.output_schema.columns.push_back(column);
    if (!windows) continue;
    for (const char* name : {"window_start", "window_end", "window_time"}) {
      node.output_schema.columns.push_back({name, LogicalType::Timestamp()});
    }
  }
  for (const char* name : {"left", "right"}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    state.value_schema = kSchema;
    node.state.push_back(state);
  }
  return node;
}

TEST(OperatorRestoreTest, JoinWithWindowCleanup) {
  // A join of windowed results: keys (k, window end), state dropped once the window ends.
  Scenario scenario;
  scenario.node = TwoInputNode("out/join1", plan::OperatorKind::kJoin, false);
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  scenario.node.join = plan::JoinSpec{JoinType::kLeft, {0, 2}, {0, 2}, nullptr, 0};
  scenario.node.join->left_window_end_slot = 2;
  scenario.node.join->right_window_end_slot = 2;
  scenario.routing = {{0, 2}, {0, 2}};
  scenario.steps = MakeSteps(2, 40, /*bucket=*/10);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, JoinWithRowExpiry) {
  // Rows freed by the watermark: a left row at ts + 10, a right one at ts + 5.
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    Scenario scenario;
    scenario.node = TwoInputNode("out/join1", plan::OperatorKind::kJoin, false);
    scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
    scenario.node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
    scenario.node.join->left_expiry = {{2, 10}};
    scenario.node.join->right_expiry = {{2, 5}};
    scenario.routing = {{0}, {0}};
    scenario.steps = MakeSteps(2, 40);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, IntervalJoin) {
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    Scenario scenario;
    scenario.node = TwoInputNode("out/interval-join1", plan::OperatorKind::kIntervalJoin, false);
    scenario.node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
    scenario.node.interval_join = plan::IntervalJoinSpec{2, 2, -5, 10};
    scenario.routing = {{0}, {0}};
    scenario.node.state.push_back(plan::WatermarkStateSpec());
    scenario.steps = MakeSteps(2, 40);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, TemporalJoin) {
  // The right side is a versioned table's changelog: mostly versions (+I, +U), now and then a
  // deletion (-D) or an ignored -U; left rows wait for the watermark, old versions are freed.
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    Scenario scenario;
    scenario.node = TwoInputNode("out/temporal-join1", plan::OperatorKind::kTemporalJoin, false);
    scenario.node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
    scenario.node.temporal_join = plan::TemporalJoinSpec{2, 2};
    scenario.routing = {{0}, {0}};
    scenario.node.state.push_back(plan::WatermarkStateSpec());
    scenario.steps = MakeSteps(2, 40);
    int32_t counter = 0;
    for (Step& step : scenario.steps) {
      if (step.kind != Step::kBatch || step.input != 1) continue;
      for (size_t row = 0; row < step.rows.size(); ++row) {
        ++counter;
        step.kinds.push_back(counter % 7 == 0   ? RowKind::kDelete
                             : counter % 5 == 0 ? RowKind::kUpdateBefore
                             : counter % 2 == 0 ? RowKind::kUpdateAfter
                                                : RowKind::kInsert);
      }
    }
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

/// A window join of `type` keyed by column 0 over HOP windows (size 20, slide 10) of the
/// rows' time column, with `residual` over the joined row.
Scenario WindowJoinScenario(JoinType type, plan::ExprPtr residual, std::vector<Step> steps) {
  Scenario scenario;
  scenario.node = TwoInputNode("out/window-join1", plan::OperatorKind::kWindowJoin, true);
  if (type == JoinType::kSemi || type == JoinType::kAnti) {
    scenario.node.output_schema.columns.resize(kSchema.columns.size() + 3);  // the left rows
  }
  scenario.node.join = plan::JoinSpec{type, {0}, {0}, std::move(residual), 0};
  plan::WindowSpec window;
  window.kind = WindowKind::kHop;
  window.size = 20;
  window.step = 10;
  scenario.node.window_join = plan::WindowJoinSpec{window, 2, 2};
  scenario.routing = {{0}, {0}};
  scenario.node.state.push_back(plan::WatermarkStateSpec());
  scenario.steps = std::move(steps);
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

TEST(OperatorRestoreTest, WindowJoin) {
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    CheckRestores(WindowJoinScenario(type, nullptr, MakeSteps(2, 40)));
  }
}

TEST(OperatorRestoreTest, WindowOuterSemiAndAntiJoins) {
  // Some NULL keys (kept in state, never matched), and a residual over the joined row
  // (left.v < right.v) so that rows with equal keys can still be unmatched.
  std::vector<Step> steps = MakeSteps(2, 40);
  int32_t counter = 0;
  for (Step& step : steps) {
    for (auto& row : step.rows) {
      if (++counter % 9 == 0) row[0] = nullptr;
    }
  }
  auto residual = plan::Expr::Call(
      functions::FunctionId::kLess, LogicalType::Boolean(),
      {plan::Expr::Column(1, LogicalType::Bigint()), plan::Expr::Column(7, LogicalType::Bigint())});
  for (JoinType type : {JoinType::kRight, JoinType::kFull, JoinType::kSemi, JoinType::kAnti}) {
    SCOPED_TRACE(plan::JoinTypeName(type));
    CheckRestores(WindowJoinScenario(type, residual, steps));
  }
}

TEST(OperatorRestoreTest, WindowAntiJoinWithoutKeys) {
  // NOT IN over window TVFs: every row in one key group, the condition all residual.
  Scenario scenario;
  scenario.node = TwoInputNode("out/window-join1", plan::OperatorKind::kWindowJoin, true);
  scenario.node.output_schema.columns.resize(kSchema.columns.size() + 3);
  for (auto& state : scenario.node.state) state.key_schema.columns.clear();
  auto residual = plan::Expr::Call(
      functions::FunctionId::kEqual, LogicalType::Boolean(),
      {plan::Expr::Column(1, LogicalType::Bigint()), plan::Expr::Column(7, LogicalType::Bigint())});
  scenario.node.join = plan::JoinSpec{JoinType::kAnti, {}, {}, residual, 0};
  plan::WindowSpec window;
  window.kind = WindowKind::kTumble;
  window.size = 10;
  scenario.node.window_join = plan::WindowJoinSpec{window, 2, 2};
  scenario.routing = {{}, {}};
  scenario.node.state.push_back(plan::WatermarkStateSpec());
  scenario.steps = MakeSteps(2, 30);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, FullSemiAndAntiJoins) {
  for (JoinType type : {JoinType::kFull, JoinType::kSemi, JoinType::kAnti}) {
    Scenario scenario;
    scenario.node = TwoInputNode("out/join1", plan::OperatorKind::kJoin, false);
    if (type != JoinType::kFull) scenario.node.output_schema = kSchema;  // the left rows
    scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
    // left.v < right.v, over the joined row.
    auto residual = plan::Expr::Call(functions::FunctionId::kLess, LogicalType::Boolean(),
                                     {plan::Expr::Column(1, LogicalType::Bigint()),
                                      plan::Expr::Column(4, LogicalType::Bigint())});
    scenario.node.join = plan::JoinSpec{type, {0}, {0}, residual, 0};
    scenario.routing = {{0}, {0}};
    scenario.steps = MakeSteps(2, 30);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, AntiJoinWithoutKeys) {
  // NOT IN's anti join: every row in one key group, the condition all residual.
  Scenario scenario;
  scenario.node = TwoInputNode("out/join1", plan::OperatorKind::kJoin, false);
  scenario.node.output_schema = kSchema;
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  for (auto& state : scenario.node.state) state.key_schema.columns.clear();
  auto residual = plan::Expr::Call(
      functions::FunctionId::kEqual, LogicalType::Boolean(),
      {plan::Expr::Column(1, LogicalType::Bigint()), plan::Expr::Column(4, LogicalType::Bigint())});
  scenario.node.join = plan::JoinSpec{JoinType::kAnti, {}, {}, residual, 0};
  scenario.routing = {{}, {}};
  scenario.steps = MakeSteps(2, 30);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, SetOperations) {
  for (auto kind : {plan::SetOperationKind::kIntersect, plan::SetOperationKind::kExcept}) {
    for (bool all : {false, true}) {
      for (bool updating : {false, true}) {
        Scenario scenario;
        plan::PlanNode& node = scenario.node;
        node.uid = "out/set-operation1";
        node.kind = plan::OperatorKind::kSetOperation;
        node.changelog_mode = plan::ChangelogMode::kUpdating;
        node.output_schema = kSchema;
        plan::StateSpec state;
        state.name = "counts";
        state.key_schema = kSchema;
        state.value_schema.columns.push_back({"left_count", LogicalType::Bigint()});
        state.value_schema.columns.push_back({"right_count", LogicalType::Bigint()});
        node.state.push_back(state);
        node.set_operation = plan::SetOperationSpec{kind, all};
        scenario.routing = {{0, 1, 2}, {0, 1, 2}};
        scenario.steps = updating ? MakeUpdatingSteps(30) : MakeSteps(2, 30);
        // Few distinct rows, so that the sides share many, in several copies.
        int32_t batch = 0;
        for (Step& step : scenario.steps) {
          if (step.kind != Step::kBatch) continue;
          step.input = batch++ % 2;
          // Left rows with v = 3 are never on the right: EXCEPT keeps them.
          int64_t values = step.input == 0 ? 4 : 3;
          for (auto& row : step.rows) row = {row[0], Cell(row[1].integer % values), Cell(0)};
        }
        scenario.cuts = Cuts(scenario.steps);
        CheckRestores(scenario);
      }
    }
  }
}

TEST(OperatorRestoreTest, MatchRecognize) {
  // Partial matches (A B* C, B greedy) span the cuts; WITHIN expires some of them on the
  // watermark, SKIP TO NEXT ROW keeps overlapping matches. In processing time the rows are
  // matched in arrival order and no watermark is kept.
  for (bool event_time : {true, false}) {
    Scenario scenario;
    scenario.node =
        testing::MatchRecognizeNode(event_time, plan::MatchSkip::kToNextRow, event_time ? 40 : -1);
    // Rows of equal time ordered by v DESC (their sort keys wait in state with them).
    if (event_time) scenario.node.match_recognize->order_keys = {plan::SortKey{1, false, false}};
    scenario.routing = {{0}};
    scenario.steps = MakeSteps(1, 40);
    scenario.cuts = Cuts(scenario.steps);
    SCOPED_TRACE(event_time ? "event time" : "processing time");
    CheckRestores(scenario);
  }
}

Scenario TimeSortScenario(bool event_time) {
  Scenario scenario;
  // Rows of equal time ordered by v DESC (their sort keys wait in state with them).
  scenario.node = testing::TimeSortNode(event_time);
  scenario.routing = {{}};  // keyless: every row to the key group of the empty key
  scenario.processing_time = !event_time;
  scenario.steps = MakeSteps(1, 40);
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

TEST(OperatorRestoreTest, TimeSort) {
  // Rows wait for the watermark across the cuts; late rows are dropped as before the cut.
  CheckRestores(TimeSortScenario(true));
}

TEST(OperatorRestoreTest, ProcessingTimeSort) {
  // The clock moves between batches; the rows of the last batch wait at the cut, so the
  // restored instance emits them only if it registered a timer again.
  Scenario scenario = TimeSortScenario(false);
  int64_t now = 10'000;
  std::vector<Step> steps = ClockedBatches(16, &now);
  scenario.cuts = {steps.size() - 2, steps.size()};
  for (int i = 0; i < 3; ++i) steps.push_back(Step{Step::kClock, 0, {}, now += 10});
  scenario.steps = steps;
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, WindowRank) {
  // Rows keyed by (k, window end = ts rounded up to 10 ms), the top 2 by v per window.
  for (auto function : {plan::RankFunction::kRowNumber, plan::RankFunction::kDenseRank}) {
    Scenario scenario;
    plan::PlanNode& node = scenario.node;
    node.uid = "out/window-rank1";
    node.kind = plan::OperatorKind::kWindowRank;
    node.output_schema = kSchema;
    node.output_schema.columns.push_back({"rn", LogicalType::Bigint()});
    plan::StateSpec state;
    state.name = "rows";
    state.key_schema.columns.push_back({"k", LogicalType::Bigint()});
    state.key_schema.columns.push_back({"ts", LogicalType::Timestamp()});
    state.state_namespace = plan::StateNamespace::kWindow;
    state.value_schema = kSchema;
    node.state.push_back(state);
    node.state.push_back(plan::WatermarkStateSpec());
    node.top_n = plan::TopNSpec{{0, 2}, {plan::SortKey{1, false, false}}, 2, true, false};
    node.top_n->function = function;
    node.top_n->window_end_slot = 2;
    scenario.routing = {{0, 2}};
    scenario.steps = MakeSteps(1, 40, /*bucket=*/10);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

Scenario TopNScenario(plan::RankFunction function, int64_t limit) {
  Scenario scenario;
  plan::PlanNode& node = scenario.node;
  node.uid = "out/top_n1";
  node.kind = plan::OperatorKind::kTopN;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema = kSchema;
  node.output_schema.columns.push_back({"rn", LogicalType::Bigint()});
  plan::StateSpec state;
  state.name = "ranks";
  state.key_schema.columns.push_back({"k", LogicalType::Bigint()});
  state.value_schema.columns.push_back({"rows", LogicalType::Varchar()});
  node.state.push_back(state);
  node.top_n = plan::TopNSpec{{0}, {plan::SortKey{1, false, false}}, limit, true, false};
  node.top_n->function = function;
  scenario.routing = {{0}};
  scenario.steps = MakeSteps(1, 20);
  scenario.cuts = Cuts(scenario.steps);
  return scenario;
}

TEST(OperatorRestoreTest, TopNRowNumber) {
  CheckRestores(TopNScenario(plan::RankFunction::kRowNumber, 3));
}

TEST(OperatorRestoreTest, TopNKeepFirstRows) {
  // A LIMIT without ORDER BY: a count per partition, keyed and keyless.
  for (std::vector<int32_t> partition : {std::vector<int32_t>{0}, std::vector<int32_t>{}}) {
    Scenario scenario = TopNScenario(plan::RankFunction::kRowNumber, 4);
    scenario.node.changelog_mode = plan::ChangelogMode::kInsertOnly;
    scenario.node.top_n->partition_slots = partition;
    scenario.node.top_n->sort.clear();
    scenario.node.top_n->keep_first_only = true;
    if (partition.empty()) scenario.node.state[0].key_schema.columns.clear();
    scenario.routing = {partition};
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, TopNOverRetractions) {
  for (auto function : {plan::RankFunction::kRowNumber, plan::RankFunction::kRank}) {
    Scenario scenario = TopNScenario(function, 2);
    scenario.steps = MakeUpdatingSteps(20);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, TopNRankAndDenseRank) {
  CheckRestores(TopNScenario(plan::RankFunction::kRank, 3));
  CheckRestores(TopNScenario(plan::RankFunction::kDenseRank, 3));
}

/// An upsert stream keyed by k: MakeSteps' rows as +I/+U (a key's latest row), and now and
/// then a delete that carries only its key (the other columns NULL, as a Kafka tombstone).
std::vector<Step> MakeUpsertSteps(int32_t batches) {
  std::vector<Step> steps = MakeSteps(1, batches);
  uint64_t seed = 7;
  for (Step& step : steps) {
    if (step.kind != Step::kBatch) continue;
    std::vector<std::vector<Cell>> rows;
    for (const auto& row : step.rows) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((seed >> 40) % 4 == 0) {
        rows.push_back({row[0], nullptr, nullptr});
        step.kinds.push_back(RowKind::kDelete);
      } else {
        rows.push_back(row);
        step.kinds.push_back((seed >> 20) % 2 ? RowKind::kInsert : RowKind::kUpdateAfter);
      }
    }
    step.rows = std::move(rows);
  }
  return steps;
}

TEST(OperatorRestoreTest, ChangelogNormalize) {
  Scenario scenario;
  plan::PlanNode& node = scenario.node;
  node.uid = "source/t/normalize";
  node.kind = plan::OperatorKind::kChangelogNormalize;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema = kSchema;
  plan::StateSpec state;
  state.name = "rows";
  state.key_schema.columns.push_back({"k", LogicalType::Bigint()});
  state.value_schema = kSchema;
  node.state.push_back(state);
  node.normalize = plan::ChangelogNormalizeSpec{{0}};
  scenario.routing = {{0}};
  scenario.steps = MakeUpsertSteps(30);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, EventTimeOverAggregate) {
  for (auto [unit, preceding] : {std::pair{plan::OverFrameUnit::kRows, int64_t{2}},
                                 {plan::OverFrameUnit::kRange, int64_t{10}}}) {
    Scenario scenario;
    scenario.node.uid = "out/over1";
    scenario.node.kind = plan::OperatorKind::kOverAggregate;
    scenario.node.output_schema = kSchema;
    scenario.node.output_schema.columns.push_back({"sum", LogicalType::Bigint()});
    scenario.node.output_schema.columns.push_back({"count", LogicalType::Bigint()});
    plan::OverAggregateSpec spec;
    spec.partition_slots = {0};
    spec.order_slot = 2;
    spec.unit = unit;
    spec.preceding = preceding;
    AggregateCall sum = Call(AggregateKind::kSum, 1);
    sum.retractable = true;
    AggregateCall count = Call(AggregateKind::kCountStar);
    count.retractable = true;
    spec.calls = {sum, count};
    scenario.node.over_aggregate = spec;
    scenario.routing = {{0}};
    Declare(&scenario.node, {"pending", "frame"});
    scenario.node.state.push_back(plan::WatermarkStateSpec());
    scenario.steps = MakeSteps(1, 40);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, EventTimeOverAggregateLagAndStatistics) {
  // LAG keeps the rows before the frame too: its history must come back with the frame.
  for (auto [unit, preceding] : {std::pair{plan::OverFrameUnit::kRows, int64_t{2}},
                                 {plan::OverFrameUnit::kRange, int64_t{10}},
                                 {plan::OverFrameUnit::kRows, int64_t{-1}}}) {
    Scenario scenario;
    scenario.node.uid = "out/over1";
    scenario.node.kind = plan::OperatorKind::kOverAggregate;
    scenario.node.output_schema = StatisticSchema(kSchema.columns);
    scenario.node.output_schema.columns.push_back({"lag", LogicalType::Bigint()});
    plan::OverAggregateSpec spec;
    spec.partition_slots = {0};
    spec.order_slot = 2;
    spec.unit = unit;
    spec.preceding = preceding;
    spec.calls = StatisticCalls(preceding >= 0);
    AggregateCall lag = Call(AggregateKind::kLag, 1);
    lag.offset = 3;
    lag.default_slot = 0;
    lag.retractable = preceding >= 0;
    spec.calls.push_back(lag);
    scenario.node.over_aggregate = spec;
    scenario.routing = {{0}};
    Declare(&scenario.node, {"pending", "frame"});
    scenario.node.state.push_back(plan::WatermarkStateSpec());
    scenario.steps = MakeSteps(1, 40);
    scenario.cuts = Cuts(scenario.steps);
    CheckRestores(scenario);
  }
}

TEST(OperatorRestoreTest, ChangelogOverAggregate) {
  Scenario scenario;
  scenario.node.uid = "out/over1";
  scenario.node.kind = plan::OperatorKind::kOverAggregate;
  scenario.node.changelog_mode = plan::ChangelogMode::kUpdating;
  scenario.node.output_schema = kSchema;
  scenario.node.output_schema.columns.push_back({"sum", LogicalType::Bigint()});
  plan::OverAggregateSpec spec;
  spec.partition_slots = {0};
  spec.order_slot = 2;
  spec.unit = plan::OverFrameUnit::kRows;
  spec.preceding = 2;
  spec.changelog = true;
  AggregateCall sum = Call(AggregateKind::kSum, 1);
  sum.retractable = true;
  spec.calls = {sum};
  scenario.node.over_aggregate = spec;
  scenario.routing = {{0}};
  Declare(&scenario.node, {"sorted"});
  scenario.steps = MakeUpdatingSteps(20);
  scenario.cuts = Cuts(scenario.steps);
  CheckRestores(scenario);
}

TEST(OperatorRestoreTest, KeyGroupRangesPartitionTheKeyGroups) {
  for (int32_t parallelism : {1, 2, 3, 7, 128}) {
    int32_t next = 0;
    for (int32_t subtask = 0; subtask < parallelism; ++subtask) {
      auto range = scheduler::KeyGroupRangeOf(subtask, kMaxParallelism, parallelism);
      EXPECT_EQ(range.first, next);
      for (int32_t key_group = range.first; key_group <= range.last; ++key_group) {
        EXPECT_EQ(scheduler::SubtaskOfKeyGroup(key_group, kMaxParallelism, parallelism), subtask);
      }
      next = range.last + 1;
    }
    EXPECT_EQ(next, kMaxParallelism);
  }
}

}  // namespace
}  // namespace sluice::runtime::operators
