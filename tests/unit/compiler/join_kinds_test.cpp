// Which joins plan as interval joins and window joins, and what their plan nodes hold.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/physical/job_compiler.h"
#include "compiler/physical/physical_planner.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {
namespace {

namespace fs = std::filesystem;
using runtime::plan::OperatorKind;

const char* kTables = R"(
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), due TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) WITH ('connector' = 'values');
CREATE TABLE auctions (id BIGINT, seller BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
)";

base::Result<CompiledScript> Compile(const std::string& body) {
  CompileOptions options;
  options.file_name = "job.pipe";
  return CompileScript(std::string(kTables) + body, options);
}

const runtime::plan::PlanNode* FindJoin(const runtime::plan::PlanGraph& plan) {
  for (const auto& node : plan.nodes) {
    if (node.join) return &node;
  }
  return nullptr;
}

TEST(JoinKindsTest, TimeBoundsBetweenTimeAttributesMakeAnIntervalJoin) {
  auto compiled = Compile(
      "INSERT INTO out SELECT b.auction, b.price FROM bids b JOIN auctions a "
      "ON b.auction = a.id AND b.ts > a.ts - INTERVAL '1' SECOND AND b.ts <= a.ts + INTERVAL "
      "'1' MINUTE;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto* join = FindJoin(compiled->plan);
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->kind, OperatorKind::kIntervalJoin);
  EXPECT_EQ(join->uid, "out/interval-join1");
  EXPECT_EQ(join->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
  ASSERT_TRUE(join->interval_join);
  // a.ts in [b.ts - 60 s, b.ts + 1 s): the exclusive bound is one millisecond tighter.
  EXPECT_EQ(join->interval_join->lower, -60000);
  EXPECT_EQ(join->interval_join->upper, 999);
  EXPECT_EQ(join->interval_join->left_time_slot, 2);
  // The right side keeps id and ts only: seller is read by nothing (StateColumnPruning).
  EXPECT_EQ(join->interval_join->right_time_slot, 1);
  ASSERT_EQ(join->state.size(), 3u);  // left, right, watermark
  EXPECT_EQ(join->state[2].name, runtime::plan::kWatermarkStateName);
  EXPECT_EQ(join->state[1].name, "right");
  EXPECT_EQ(join->state[1].state_namespace, runtime::plan::StateNamespace::kTime);
  EXPECT_EQ(join->state[1].key_schema.columns.size(), 1u);
  EXPECT_FALSE(join->join->residual);  // the bounds are the operator's, not a residual
  EXPECT_NE(physical::ExplainText(compiled->plan)
                .find("out/interval-join1 [interval-join, parallelism 1] INNER ON auction = id "
                      "AND ts BETWEEN ts - 60000 ms AND ts + 999 ms"),
            std::string::npos)
      << physical::ExplainText(compiled->plan);
  // The plan's JSON form keeps the bounds.
  auto round_trip = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(compiled->plan));
  ASSERT_TRUE(round_trip.ok()) << round_trip.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*round_trip), runtime::plan::PlanToJson(compiled->plan));
}

TEST(JoinKindsTest, ABoundOnAPlainTimestampOrAMissingBoundStaysARegularJoin) {
  for (const char* condition :
       {"b.auction = a.id AND b.ts BETWEEN a.ts AND b.due",  // due is no time attribute
        "b.auction = a.id AND b.ts >= a.ts"}) {              // no upper bound
    auto compiled =
        Compile(std::string("INSERT INTO out SELECT b.auction, b.price FROM bids b JOIN "
                            "auctions a ON ") +
                condition + ";");
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr);
    EXPECT_EQ(join->kind, OperatorKind::kJoin) << condition;
    EXPECT_EQ(join->uid, "out/join1");
  }
}

TEST(JoinKindsTest, AnAggregatedTimeIsNoTimeAttributeSoItStaysARegularJoin) {
  auto compiled = Compile(
      "INSERT INTO out SELECT b.auction, b.price FROM bids b JOIN "
      "(SELECT id, MAX(ts) AS ts FROM auctions GROUP BY id) a "
      "ON b.auction = a.id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_EQ(FindJoin(compiled->plan)->kind, OperatorKind::kJoin);
}

TEST(JoinKindsTest, NexmarkJoinsOnExpiresStayRegularJoins) {
  for (const char* name : {"q4.pipe", "q9.pipe", "q20.pipe"}) {
    std::ifstream in(fs::path(SLUICE_SOURCE_DIR) / "examples" / "nexmark" / name);
    std::stringstream text;
    text << in.rdbuf();
    CompileOptions options;
    options.file_name = name;
    auto compiled = CompileScript(text.str(), options);
    ASSERT_TRUE(compiled.ok()) << name << ": " << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr) << name;
    EXPECT_EQ(join->kind, OperatorKind::kJoin) << name;
  }
}

base::Result<CompiledScript> CompileExample(const std::string& name,
                                            const std::string& options = "") {
  std::ifstream in(fs::path(SLUICE_SOURCE_DIR) / "examples" / "nexmark" / name);
  std::stringstream text;
  text << in.rdbuf();
  CompileOptions compile_options;
  compile_options.file_name = name;
  return CompileScript(options + text.str(), compile_options);
}

TEST(JoinKindsTest, RegularJoinsBoundedByTheOtherSidesTimeFreeTheirRows) {
  // q4 and q9: auction A JOIN bid B ON B.dateTime BETWEEN A.dateTime AND A.expires: no auction
  // still to come starts before the watermark, and no bid still to come is older than it.
  for (const char* name : {"q4.pipe", "q9.pipe"}) {
    auto compiled = CompileExample(name);
    ASSERT_TRUE(compiled.ok()) << name << ": " << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr);
    ASSERT_EQ(join->join->left_expiry.size(), 1u) << name;
    ASSERT_EQ(join->join->right_expiry.size(), 1u) << name;
    EXPECT_EQ(join->join->left_expiry[0].offset, 0);
    EXPECT_NE(join->description.find(
                  "(state freed by the watermark: left rows at expires; right rows at dateTime)"),
              std::string::npos)
        << join->description;
  }
  // q7: bids B JOIN the 10 s windows' maxima B1 ON B.dateTime BETWEEN B1.window_end - 10 s AND
  // B1.window_end; a window's row comes out as the watermark passes its end.
  auto q7 = CompileExample("q7.pipe");
  ASSERT_TRUE(q7.ok()) << q7.status().ToString();
  const auto* join = FindJoin(q7->plan);
  ASSERT_NE(join, nullptr);
  EXPECT_NE(join->description.find("(state freed by the watermark: left rows at dateTime + "
                                   "10000 ms; right rows at dateTime)"),
            std::string::npos)
      << join->description;
  // q20 bounds nothing by time; the option turns it off.
  auto q20 = CompileExample("q20.pipe");
  ASSERT_TRUE(q20.ok()) << q20.status().ToString();
  EXPECT_TRUE(FindJoin(q20->plan)->join->left_expiry.empty());
  EXPECT_TRUE(FindJoin(q20->plan)->join->right_expiry.empty());
  auto off =
      CompileExample("q4.pipe", "SET 'table.exec.join.free-state-by-watermark' = 'false';\n");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_TRUE(FindJoin(off->plan)->join->left_expiry.empty());
  EXPECT_TRUE(FindJoin(off->plan)->join->right_expiry.empty());
  auto bad = CompileExample("q4.pipe", "SET 'table.exec.join.free-state-by-watermark' = 'yes';\n");
  EXPECT_FALSE(bad.ok());
}

TEST(JoinKindsTest, OnlyTimesNeverBehindTheWatermarkBoundAJoinsRows) {
  struct Case {
    const char* query;
    bool left;
    bool right;
  };
  const Case cases[] = {
      // due is no time attribute: only the bids (left) are bounded, by a.ts <= b.ts.
      {"SELECT b.auction, b.price FROM bids b JOIN auctions a ON b.auction = a.id AND b.ts "
       "BETWEEN a.ts AND b.due",
       true, false},
      // FULL (and semi and anti) joins keep every row.
      {"SELECT b.auction, b.price FROM bids b FULL JOIN auctions a ON b.auction = a.id AND b.ts "
       "BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND",
       false, false},
      // An updating input (an unbounded aggregation) may retract rows: nothing is freed.
      {"SELECT b.auction, b.price FROM bids b JOIN (SELECT id, MAX(ts) AS ts FROM auctions "
       "GROUP BY id) a ON b.auction = a.id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND",
       false, false},
      // An event-time window's end bounds the bids; a processing-time window's does not.
      {"SELECT b.auction, b.price FROM bids b JOIN (SELECT MAX(price) AS m, window_end AS we "
       "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY "
       "window_start, window_end) w ON b.price = w.m AND b.ts BETWEEN w.we - INTERVAL '10' "
       "SECOND AND w.we",
       true, true},
      {"SELECT b.auction, b.price FROM bids b JOIN (SELECT MAX(price) AS m, window_start AS ws "
       "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY "
       "window_start, window_end) w ON b.price = w.m AND b.ts BETWEEN w.ws AND w.ws + INTERVAL "
       "'10' SECOND",
       false, true},
  };
  for (const Case& test : cases) {
    auto compiled = Compile(std::string("INSERT INTO out ") + test.query + ";");
    ASSERT_TRUE(compiled.ok()) << test.query << ": " << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr);
    EXPECT_EQ(join->kind, OperatorKind::kJoin) << test.query;
    EXPECT_EQ(!join->join->left_expiry.empty(), test.left) << test.query;
    EXPECT_EQ(!join->join->right_expiry.empty(), test.right) << test.query;
  }
}

TEST(JoinKindsTest, WindowJoinNodeHasBothWindowsAndAPinnedUid) {
  auto compiled = Compile(
      "INSERT INTO out SELECT /*+ UID('pairs') */ B.auction, A.seller "
      "FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) B "
      "LEFT JOIN TABLE(HOP(TABLE auctions, DESCRIPTOR(ts), INTERVAL '5' SECOND, "
      "INTERVAL '10' SECOND)) A "
      "ON B.auction = A.id AND B.window_start = A.window_start AND B.window_end = A.window_end "
      "AND A.window_time > B.due;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto* join = FindJoin(compiled->plan);
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->kind, OperatorKind::kWindowJoin);
  EXPECT_EQ(join->uid, "pairs");
  EXPECT_NE(physical::ExplainText(compiled->plan)
                .find("pairs [window-join, parallelism 1] LEFT HOP(5000 ms, 10000 ms) ON "
                      "auction = id AND (window_time > due)"),
            std::string::npos)
      << physical::ExplainText(compiled->plan);
  ASSERT_TRUE(join->window_join);
  EXPECT_EQ(join->window_join->window.kind, runtime::plan::WindowKind::kHop);
  EXPECT_EQ(join->window_join->window.size, 10000);
  EXPECT_EQ(join->window_join->window.step, 5000);
  // Output: bids (4), its 3 window columns, auctions (3), its 3 window columns.
  EXPECT_EQ(join->output_schema.columns.size(), 13u);
  ASSERT_TRUE(join->join->residual);
  EXPECT_EQ(join->join->residual->ToString(), "($12 > $3)");  // A.window_time > B.due
  ASSERT_EQ(join->state.size(), 3u);                          // left, right, watermark
  EXPECT_EQ(join->state[0].state_namespace, runtime::plan::StateNamespace::kWindow);
  EXPECT_EQ(join->state[2].name, runtime::plan::kWatermarkStateName);
}

TEST(JoinKindsTest, WindowRightAndFullJoinsKeepTheirSidesAndShowTheirType) {
  for (const char* type : {"RIGHT", "FULL"}) {
    SCOPED_TRACE(type);
    auto compiled = Compile(
        std::string("INSERT INTO out SELECT B.auction, A.seller "
                    "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) B ") +
        type +
        " JOIN TABLE(TUMBLE(TABLE auctions, DESCRIPTOR(ts), INTERVAL '10' SECOND)) A "
        "ON B.auction = A.id AND B.window_start = A.window_start AND B.window_end = "
        "A.window_end;");
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr);
    EXPECT_EQ(join->kind, OperatorKind::kWindowJoin);
    EXPECT_EQ(join->uid, "out/window-join1");
    // A RIGHT window join is not the LEFT join of the swapped sides: bids stay on the left.
    EXPECT_EQ(join->join->type, std::string(type) == "RIGHT" ? runtime::plan::JoinType::kRight
                                                             : runtime::plan::JoinType::kFull);
    EXPECT_EQ(join->state[0].key_schema.columns[0].name, "auction");
    EXPECT_EQ(join->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
    const std::string explain = physical::ExplainText(compiled->plan);
    EXPECT_NE(explain.find(std::string("[window-join, parallelism 1] ") + type +
                           " TUMBLE(10000 ms) ON auction = id"),
              std::string::npos)
        << explain;
    const std::string json = runtime::plan::PlanToJson(compiled->plan);
    std::string lower = type;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    EXPECT_NE(json.find("\"type\": \"" + lower + "\""), std::string::npos) << json;
  }
}

TEST(JoinKindsTest, InAndExistsOverPairedWindowsMakeWindowSemiAndAntiJoins) {
  struct Case {
    const char* predicate;
    runtime::plan::JoinType type;
    size_t keys;
  };
  const char* windows = "L.window_start = R.window_start AND L.window_end = R.window_end";
  for (const Case& c :
       {Case{"L.auction IN (SELECT id FROM", runtime::plan::JoinType::kSemi, 1},
        Case{"EXISTS (SELECT * FROM", runtime::plan::JoinType::kSemi, 1},
        Case{"NOT EXISTS (SELECT * FROM", runtime::plan::JoinType::kAnti, 1},
        // NOT IN's null-aware condition has no keys.
        Case{"L.auction NOT IN (SELECT id FROM", runtime::plan::JoinType::kAnti, 0}}) {
    SCOPED_TRACE(c.predicate);
    const bool exists = std::string(c.predicate).find("EXISTS") != std::string::npos;
    auto compiled = Compile(
        std::string("INSERT INTO out SELECT auction, price "
                    "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) L "
                    "WHERE ") +
        c.predicate +
        " TABLE(TUMBLE(TABLE auctions, DESCRIPTOR(ts), INTERVAL '10' SECOND)) R WHERE " +
        (exists ? "L.auction = R.id AND " : "") + windows + ");");
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    const auto* join = FindJoin(compiled->plan);
    ASSERT_NE(join, nullptr);
    EXPECT_EQ(join->kind, OperatorKind::kWindowJoin);
    EXPECT_EQ(join->join->type, c.type);
    EXPECT_EQ(join->join->left_key_slots.size(), c.keys);
    EXPECT_EQ(join->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
    // The left rows and their windows only.
    ASSERT_GE(join->output_schema.columns.size(), 3u);
    EXPECT_EQ(join->output_schema.columns.back().name, "window_time");
    EXPECT_NE(runtime::plan::PlanToJson(compiled->plan)
                  .find(std::string("\"type\": \"") +
                        (c.type == runtime::plan::JoinType::kSemi ? "semi" : "anti") + "\""),
              std::string::npos);
    EXPECT_NE(physical::ExplainText(compiled->plan)
                  .find(std::string("[window-join, parallelism 1] ") +
                        runtime::plan::JoinTypeName(c.type) + " TUMBLE(10000 ms)"),
              std::string::npos)
        << physical::ExplainText(compiled->plan);
  }
}

TEST(JoinKindsTest, ForSystemTimeAsOfAnEventTimeAttributeMakesATemporalJoin) {
  // A versioned table (PRIMARY KEY and WATERMARK); a condition on it alone stays in the join.
  auto compiled = Compile(
      "CREATE TABLE sellers (id BIGINT, rating BIGINT, ts TIMESTAMP(3), PRIMARY KEY (id) NOT "
      "ENFORCED, WATERMARK FOR ts AS ts) WITH ('connector' = 'values');\n"
      "INSERT INTO out SELECT b.auction, s.rating FROM bids b LEFT JOIN sellers FOR SYSTEM_TIME "
      "AS OF b.ts AS s ON b.auction = s.id AND s.rating > 3;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto* join = FindJoin(compiled->plan);
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->kind, OperatorKind::kTemporalJoin);
  EXPECT_EQ(join->uid, "out/temporal-join1");
  EXPECT_EQ(join->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
  ASSERT_TRUE(join->temporal_join);
  EXPECT_EQ(join->temporal_join->left_time_slot, 2);
  EXPECT_EQ(join->temporal_join->right_time_slot, 2);
  ASSERT_TRUE(join->join->residual);
  EXPECT_EQ(join->join->residual->ToString(), "($5 > CAST(3 AS BIGINT))");  // s.rating, kept
  ASSERT_EQ(join->state.size(), 3u);  // left, right, watermark
  EXPECT_EQ(join->state[1].state_namespace, runtime::plan::StateNamespace::kTime);
  EXPECT_EQ(join->state[1].ttl_millis, 0);
  EXPECT_EQ(join->state[2].name, runtime::plan::kWatermarkStateName);
  // Both sides hashed by the key, so versions are keyed state.
  for (const auto* edge : compiled->plan.InputsOf(join->id)) {
    EXPECT_EQ(edge->exchange, runtime::plan::ExchangeKind::kHash);
  }
  EXPECT_NE(physical::ExplainText(compiled->plan)
                .find("LEFT FOR SYSTEM_TIME AS OF ts (versions by ts) ON auction = id"),
            std::string::npos)
      << physical::ExplainText(compiled->plan);
  // The plan's JSON form keeps the times.
  auto parsed = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(compiled->plan));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto* reparsed = FindJoin(*parsed);
  ASSERT_NE(reparsed, nullptr);
  ASSERT_TRUE(reparsed->temporal_join);
  EXPECT_EQ(reparsed->temporal_join->right_time_slot, 2);
}

TEST(JoinKindsTest, ScalarSubqueriesAreLeftJoinsWithAtMostOneRightRow) {
  // Uncorrelated: no keys (one key group); correlated: keyed by the correlation, its
  // aggregation grouped by the inner key.
  auto compiled = Compile(
      "INSERT INTO out SELECT a.id, (SELECT MAX(price) FROM bids) FROM auctions a "
      "WHERE a.seller < (SELECT COUNT(*) FROM bids b WHERE b.auction = a.id);");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::vector<const runtime::plan::PlanNode*> joins;
  for (const auto& node : compiled->plan.nodes) {
    if (node.join) joins.push_back(&node);
  }
  ASSERT_EQ(joins.size(), 2u);
  for (const auto* join : joins) {
    EXPECT_EQ(join->kind, OperatorKind::kJoin);
    EXPECT_EQ(join->join->type, runtime::plan::JoinType::kLeft);
    EXPECT_TRUE(join->join->single_right_row);
    EXPECT_EQ(join->changelog_mode, runtime::plan::ChangelogMode::kUpdating);
  }
  // The WHERE's subquery joins first (the filter comes before the projection).
  EXPECT_EQ(joins[0]->uid, "out/join1");
  EXPECT_EQ(joins[0]->join->left_key_slots.size(), 1u);
  EXPECT_EQ(joins[1]->uid, "out/join2");
  EXPECT_TRUE(joins[1]->join->left_key_slots.empty());
  const std::string explain = physical::ExplainText(compiled->plan);
  EXPECT_NE(explain.find("out/group-aggregate1"), std::string::npos) << explain;
  EXPECT_NE(explain.find("(scalar subquery: at most one right row)"), std::string::npos) << explain;
  // The plan's JSON form keeps the check.
  auto parsed = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(compiled->plan));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto* reparsed = FindJoin(*parsed);
  ASSERT_NE(reparsed, nullptr);
  EXPECT_TRUE(reparsed->join->single_right_row);
}

/// The names of the columns a join keeps of each left row.
std::vector<std::string> KeptLeftColumns(const runtime::plan::PlanNode& join) {
  std::vector<std::string> names;
  for (const auto& spec : join.state) {
    if (spec.name != "left") continue;
    for (const auto& column : spec.value_schema.columns) names.push_back(column.name);
  }
  return names;
}

TEST(JoinKindsTest, AJoinKeepsOnlyTheColumnsReadAfterIt) {
  const std::string query =
      "INSERT INTO out SELECT b.auction, a.seller FROM bids b JOIN auctions a ON b.auction = a.id;";
  auto pruned = Compile(query);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  auto whole = Compile("SET 'table.optimizer.prune-state-columns' = 'false';" + query);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  const auto* pruned_join = FindJoin(pruned->plan);
  const auto* whole_join = FindJoin(whole->plan);
  ASSERT_NE(pruned_join, nullptr);
  ASSERT_NE(whole_join, nullptr);
  EXPECT_EQ(pruned_join->uid, whole_join->uid);
  // price, ts and due are read by nothing after the join.
  EXPECT_LT(KeptLeftColumns(*pruned_join).size(), KeptLeftColumns(*whole_join).size());
  for (const std::string& name : KeptLeftColumns(*pruned_join)) {
    EXPECT_TRUE(name.find("price") == std::string::npos && name.find("due") == std::string::npos)
        << name;
  }
  EXPECT_NE(std::find(pruned->rules_fired.begin(), pruned->rules_fired.end(), "StateColumnPruning"),
            pruned->rules_fired.end());
  EXPECT_EQ(std::find(whole->rules_fired.begin(), whole->rules_fired.end(), "StateColumnPruning"),
            whole->rules_fired.end());
}

}  // namespace
}  // namespace sluice::compiler
