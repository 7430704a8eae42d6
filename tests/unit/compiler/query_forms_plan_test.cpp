// How DISTINCT, set operations, VALUES, outer joins and IN / EXISTS subqueries plan: operator
// kinds, UIDs, state, changelog modes, EXPLAIN text and the plan's JSON form.

#include <gtest/gtest.h>

#include "compiler/physical/job_compiler.h"
#include "compiler/physical/physical_planner.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {
namespace {

using runtime::plan::ChangelogMode;
using runtime::plan::JoinType;
using runtime::plan::OperatorKind;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;

const char* kTables = R"(
CREATE TABLE a (id BIGINT, name VARCHAR) WITH ('connector' = 'values');
CREATE TABLE b (id BIGINT, name VARCHAR) WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, name VARCHAR) WITH ('connector' = 'blackhole');
)";

base::Result<CompiledScript> Compile(const std::string& body) {
  CompileOptions options;
  options.file_name = "job.pipe";
  return CompileScript(std::string(kTables) + body, options);
}

const PlanNode* Find(const PlanGraph& plan, OperatorKind kind) {
  for (const auto& node : plan.nodes) {
    if (node.kind == kind) return &node;
  }
  return nullptr;
}

void ExpectJsonRoundTrip(const PlanGraph& plan) {
  auto round_trip = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(plan));
  ASSERT_TRUE(round_trip.ok()) << round_trip.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*round_trip), runtime::plan::PlanToJson(plan));
}

TEST(QueryFormsPlanTest, IntersectIsOneStatefulOperatorKeyedByTheRow) {
  auto compiled =
      Compile("INSERT INTO out SELECT id, name FROM a INTERSECT SELECT id, name FROM b;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const PlanNode* node = Find(compiled->plan, OperatorKind::kSetOperation);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->uid, "out/set-operation1");
  EXPECT_EQ(node->changelog_mode, ChangelogMode::kInsertOnly) << "INTERSECT of insert-only inputs";
  ASSERT_EQ(node->state.size(), 1u);
  EXPECT_EQ(node->state[0].name, "counts");
  EXPECT_EQ(node->state[0].key_schema.columns.size(), 2u);
  EXPECT_EQ(node->state[0].value_schema.columns.size(), 2u);
  auto inputs = compiled->plan.InputsOf(node->id);
  ASSERT_EQ(inputs.size(), 2u);
  for (const auto* edge : inputs) {
    EXPECT_EQ(edge->exchange, runtime::plan::ExchangeKind::kHash);
    EXPECT_EQ(edge->hash_slots, (std::vector<int32_t>{0, 1}));
  }
  EXPECT_NE(physical::ExplainText(compiled->plan)
                .find("out/set-operation1 [set-operation, parallelism 1] INTERSECT ON [id, name]"),
            std::string::npos)
      << physical::ExplainText(compiled->plan);
  ASSERT_TRUE(node->signature);
  ExpectJsonRoundTrip(compiled->plan);
}

TEST(QueryFormsPlanTest, ExceptUpdatesAndNeedsASinkThatTakesUpdates) {
  auto compiled =
      Compile("INSERT INTO out SELECT id, name FROM a EXCEPT ALL SELECT id, name FROM b;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const PlanNode* node = Find(compiled->plan, OperatorKind::kSetOperation);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->changelog_mode, ChangelogMode::kUpdating);
  EXPECT_TRUE(node->set_operation->all);
  EXPECT_EQ(node->set_operation->kind, runtime::plan::SetOperationKind::kExcept);
  ExpectJsonRoundTrip(compiled->plan);
}

TEST(QueryFormsPlanTest, DistinctIsAGroupAggregateWithoutCalls) {
  for (const char* query :
       {"SELECT DISTINCT id, name FROM a", "SELECT id, name FROM a UNION SELECT id, name FROM b",
        "FROM a |> SELECT DISTINCT id, name"}) {
    SCOPED_TRACE(query);
    auto compiled = Compile(std::string("INSERT INTO out ") + query + ";");
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    const PlanNode* node = Find(compiled->plan, OperatorKind::kGroupAggregate);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->uid, "out/group-aggregate1");
    EXPECT_TRUE(node->aggregate->calls.empty());
    EXPECT_EQ(node->aggregate->key_slots, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(node->changelog_mode, ChangelogMode::kInsertOnly)
        << "a distinct of an insert-only input only inserts";
  }
  auto updating = Compile(
      "CREATE TABLE totals (n BIGINT) WITH ('connector' = 'blackhole');"
      "INSERT INTO totals SELECT DISTINCT n FROM (SELECT id, COUNT(*) AS n FROM a GROUP BY id);");
  ASSERT_TRUE(updating.ok()) << updating.status().ToString();
  int distinct_nodes = 0;
  for (const auto& node : updating->plan.nodes) {
    if (node.kind != OperatorKind::kGroupAggregate || !node.aggregate->calls.empty()) continue;
    ++distinct_nodes;
    EXPECT_EQ(node.changelog_mode, ChangelogMode::kUpdating) << "over an updating input";
  }
  EXPECT_EQ(distinct_nodes, 1);
  auto pinned = Compile("INSERT INTO out SELECT /*+ UID('uniq') */ DISTINCT id, name FROM a;");
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(Find(pinned->plan, OperatorKind::kGroupAggregate)->uid, "uniq");
}

TEST(QueryFormsPlanTest, ValuesReadsABoundedSourceNamedByItsRows) {
  auto first = Compile("INSERT INTO out SELECT * FROM (VALUES (1, 'x'), (2, 'y'));");
  auto second = Compile(
      "INSERT INTO out SELECT id, name FROM a;"
      "CREATE TABLE out2 (id BIGINT, name VARCHAR) WITH ('connector' = 'blackhole');"
      "INSERT INTO out2 SELECT * FROM (VALUES (1, 'x'), (2, 'y'));");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::string uid;
  for (const auto& node : first->plan.nodes) {
    if (node.kind == OperatorKind::kSource) uid = node.uid;
  }
  EXPECT_EQ(uid.rfind("source/values_", 0), 0u) << uid;
  bool found = false;
  for (const auto& node : second->plan.nodes) found |= node.uid == uid;
  EXPECT_TRUE(found) << "the same rows give the same source UID in another script";
  auto other = Compile("INSERT INTO out SELECT * FROM (VALUES (1, 'x'), (3, 'y'));");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  for (const auto& node : other->plan.nodes) {
    EXPECT_NE(node.uid, uid) << "other rows, another source";
  }
}

TEST(QueryFormsPlanTest, SubqueriesBecomeSemiAndAntiJoins) {
  auto in = Compile("INSERT INTO out SELECT id, name FROM a WHERE id IN (SELECT id FROM b);");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const PlanNode* semi = Find(in->plan, OperatorKind::kJoin);
  ASSERT_NE(semi, nullptr);
  EXPECT_EQ(semi->uid, "out/join1");
  EXPECT_EQ(semi->join->type, JoinType::kSemi);
  EXPECT_EQ(semi->changelog_mode, ChangelogMode::kInsertOnly);
  EXPECT_EQ(semi->output_schema.columns.size(), 2u) << "the left rows only";
  EXPECT_EQ(semi->join->left_key_slots, (std::vector<int32_t>{0}));
  ExpectJsonRoundTrip(in->plan);

  auto not_in =
      Compile("INSERT INTO out SELECT id, name FROM a WHERE id NOT IN (SELECT id FROM b);");
  ASSERT_TRUE(not_in.ok()) << not_in.status().ToString();
  const PlanNode* anti = Find(not_in->plan, OperatorKind::kJoin);
  ASSERT_NE(anti, nullptr);
  EXPECT_EQ(anti->join->type, JoinType::kAnti);
  EXPECT_EQ(anti->changelog_mode, ChangelogMode::kUpdating);
  EXPECT_TRUE(anti->join->left_key_slots.empty()) << "NULL-aware: no equi-key";
  EXPECT_TRUE(anti->join->residual);
  EXPECT_NE(physical::ExplainText(not_in->plan).find("(no keys: one key group)"), std::string::npos)
      << physical::ExplainText(not_in->plan);

  auto exists = Compile(
      "INSERT INTO out SELECT id, name FROM a WHERE NOT EXISTS "
      "(SELECT * FROM b WHERE b.id = a.id AND b.name <> 'x');");
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  const PlanNode* keyed = Find(exists->plan, OperatorKind::kJoin);
  ASSERT_NE(keyed, nullptr);
  EXPECT_EQ(keyed->join->type, JoinType::kAnti);
  EXPECT_EQ(keyed->join->left_key_slots, (std::vector<int32_t>{0}));
  EXPECT_FALSE(keyed->join->residual) << "b.name <> 'x' filters b before the join";
}

TEST(QueryFormsPlanTest, OuterJoins) {
  auto full = Compile("INSERT INTO out SELECT a.id, b.name FROM a FULL JOIN b ON a.id = b.id;");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(Find(full->plan, OperatorKind::kJoin)->join->type, JoinType::kFull);
  auto right = Compile(
      "INSERT INTO out SELECT /*+ UID('r') */ a.id, b.name FROM a RIGHT JOIN b ON a.id = b.id;");
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  const PlanNode* join = Find(right->plan, OperatorKind::kJoin);
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->join->type, JoinType::kLeft) << "the LEFT join of the swapped sides";
  EXPECT_EQ(join->uid, "r");
  auto inputs = right->plan.InputsOf(join->id);
  ASSERT_EQ(inputs.size(), 2u);
  for (const auto* edge : inputs) {
    if (edge->target_input == 0) {
      EXPECT_EQ(right->plan.nodes[edge->source_node].uid, "source/b");
    }
  }
}

TEST(QueryFormsPlanTest, WindowTvfRowsAndWindowTopN) {
  const std::string tables =
      "CREATE TABLE bids (item VARCHAR, price BIGINT, ts TIMESTAMP(3), "
      "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');"
      "CREATE TABLE top (item VARCHAR, price BIGINT, rn BIGINT) WITH ('connector' = 'blackhole');";
  auto compiled = Compile(
      tables +
      "INSERT INTO top SELECT item, price, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
      "window_start, window_end ORDER BY price DESC) AS rn FROM TABLE(TUMBLE(TABLE bids, "
      "DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn <= 3;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const PlanNode* rows = Find(compiled->plan, OperatorKind::kWindowTableFunction);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->uid, "top/window-table-function1");
  EXPECT_TRUE(rows->state.empty());
  EXPECT_FALSE(rows->signature) << "stateless";
  const PlanNode* rank = Find(compiled->plan, OperatorKind::kWindowRank);
  ASSERT_NE(rank, nullptr);
  EXPECT_EQ(rank->uid, "top/window-rank1");
  EXPECT_EQ(rank->changelog_mode, ChangelogMode::kInsertOnly);
  EXPECT_EQ(rank->top_n->limit, 3);
  // ts is read by nothing after the ranking: StateColumnPruning drops it from the kept rows.
  EXPECT_EQ(rank->top_n->window_end_slot, 3) << "item, price, window_start, window_end";
  ASSERT_EQ(rank->state.size(), 2u);
  EXPECT_EQ(rank->state[0].name, "rows");
  EXPECT_EQ(rank->state[1].name, runtime::plan::kWatermarkStateName);
  ASSERT_TRUE(Find(compiled->plan, OperatorKind::kSink));
  EXPECT_EQ(Find(compiled->plan, OperatorKind::kSink)->changelog_mode, ChangelogMode::kInsertOnly);
  ExpectJsonRoundTrip(compiled->plan);
}

}  // namespace
}  // namespace sluice::compiler
