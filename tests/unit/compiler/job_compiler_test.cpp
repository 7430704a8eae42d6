// What the compiler produces for small scripts: UIDs, fused chains, rules, errors.

#include "compiler/physical/job_compiler.h"

#include <gtest/gtest.h>

#include <set>

#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {
namespace {

using runtime::plan::OperatorKind;

const char* kTables = R"(
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE out2 (auction BIGINT) WITH ('connector' = 'blackhole');
)";

base::Result<CompiledScript> Compile(const std::string& body,
                                     std::map<std::string, std::string> overrides = {}) {
  CompileOptions options;
  options.file_name = "job.pipe";
  options.overrides = std::move(overrides);
  return CompileScript(std::string(kTables) + body, options);
}

std::vector<std::string> Uids(const runtime::plan::PlanGraph& plan) {
  std::vector<std::string> uids;
  for (const auto& node : plan.nodes) uids.push_back(node.uid);
  return uids;
}

TEST(JobCompilerTest, UidsNameSourcesCalcsAndSinks) {
  auto compiled = Compile("INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_EQ(Uids(compiled->plan),
            (std::vector<std::string>{"source/bids", "out/calc", "sink/out"}));
  EXPECT_EQ(compiled->plan.job_name, "job");
}

TEST(JobCompilerTest, UidsDoNotDependOnOtherInserts) {
  auto one = Compile("INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;");
  auto two = Compile(
      "INSERT INTO out2 SELECT auction FROM bids;\n"
      "INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;");
  ASSERT_TRUE(one.ok() && two.ok());
  auto uids = Uids(two->plan);
  for (const std::string& uid : Uids(one->plan)) {
    EXPECT_NE(std::find(uids.begin(), uids.end(), uid), uids.end()) << uid;
  }
  // Both INSERTs read one shared source.
  EXPECT_EQ(std::count(uids.begin(), uids.end(), "source/bids"), 1);
}

// Flink writes the results of every INSERT into a table to it: the sink reads a UNION ALL of
// them, and keeps its one UID. Written as Flink's EXECUTE STATEMENT SET BEGIN … END.
TEST(JobCompilerTest, SeveralInsertsIntoOneTableAreUnitedBeforeItsSink) {
  auto compiled = Compile(
      "EXECUTE STATEMENT SET BEGIN\n"
      "INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;\n"
      "INSERT INTO out2 SELECT auction FROM bids;\n"
      "INSERT INTO out SELECT auction, price * 2 FROM bids;\n"
      "INSERT INTO out SELECT auction + 1, price FROM bids WHERE price < 0;\n"
      "END;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto& plan = compiled->plan;
  std::vector<std::string> uids = Uids(plan);
  EXPECT_EQ(std::count(uids.begin(), uids.end(), "sink/out"), 1);
  EXPECT_EQ(std::set<std::string>(uids.begin(), uids.end()).size(), uids.size());
  int32_t sink = -1, union_node = -1;
  for (const auto& node : plan.nodes) {
    if (node.uid == "sink/out") sink = node.id;
    if (node.uid == "union/out") union_node = node.id;
  }
  ASSERT_GE(union_node, 0);
  EXPECT_EQ(plan.nodes[union_node].kind, OperatorKind::kUnion);
  int32_t union_inputs = 0, sink_inputs = 0;
  for (const auto& edge : plan.edges) {
    EXPECT_LT(edge.source_node, edge.target_node);  // the runtime's order
    if (edge.target_node == union_node) ++union_inputs;
    if (edge.target_node == sink) {
      ++sink_inputs;
      EXPECT_EQ(edge.source_node, union_node);
    }
  }
  EXPECT_EQ(union_inputs, 3);
  EXPECT_EQ(sink_inputs, 1);
  // The same job without the statement set's words compiles to the same plan.
  auto plain = Compile(
      "INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;\n"
      "INSERT INTO out2 SELECT auction FROM bids;\n"
      "INSERT INTO out SELECT auction, price * 2 FROM bids;\n"
      "INSERT INTO out SELECT auction + 1, price FROM bids WHERE price < 0;");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Uids(plain->plan), uids);
}

// An updating result and an insert-only one into one upsert table at another parallelism:
// both reach the sink hashed by its PRIMARY KEY, so a key's rows stay in order at one subtask.
TEST(JobCompilerTest, InsertsIntoOneUpsertTableAreHashedByItsKey) {
  auto compiled = Compile(
      "CREATE TABLE totals (auction BIGINT, total BIGINT, PRIMARY KEY (auction) NOT ENFORCED)\n"
      "  WITH ('connector' = 'blackhole', 'sink.parallelism' = '1');\n"
      "INSERT INTO totals SELECT auction, price FROM bids WHERE price > 100;\n"
      "INSERT INTO totals SELECT auction, SUM(price) FROM bids GROUP BY auction;\n",
      {{"parallelism.default", "2"}});
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto& plan = compiled->plan;
  int32_t union_node = -1;
  for (const auto& node : plan.nodes) {
    if (node.uid == "union/totals") union_node = node.id;
  }
  ASSERT_GE(union_node, 0);
  int32_t inputs = 0;
  for (const auto& edge : plan.edges) {
    if (edge.target_node != union_node) continue;
    ++inputs;
    EXPECT_EQ(edge.exchange, runtime::plan::ExchangeKind::kHash)
        << plan.nodes[edge.source_node].uid;
    EXPECT_EQ(edge.hash_slots, std::vector<int32_t>{0}) << plan.nodes[edge.source_node].uid;
  }
  EXPECT_EQ(inputs, 2);
}

TEST(JobCompilerTest, AnInsertsOptionsHintConfiguresItsSink) {
  auto compiled = Compile(
      "CREATE TABLE totals (auction BIGINT, price BIGINT)\n"
      "  WITH ('connector' = 'blackhole');\n"
      "INSERT INTO totals /*+ OPTIONS('sink.parallelism' = '1') */\n"
      "  SELECT auction, price FROM bids;\n",
      {{"parallelism.default", "2"}});
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  bool found = false;
  for (const auto& node : compiled->plan.nodes) {
    if (node.uid != "sink/totals") continue;
    found = true;
    EXPECT_EQ(node.parallelism, 1);
  }
  EXPECT_TRUE(found);
}

TEST(JobCompilerTest, InsertsIntoOneTableWithDifferentOptionsAreRefused) {
  auto compiled = Compile(
      "CREATE TABLE totals (auction BIGINT, price BIGINT)\n"
      "  WITH ('connector' = 'blackhole');\n"
      "INSERT INTO totals SELECT auction, price FROM bids;\n"
      "INSERT INTO totals /*+ OPTIONS('sink.parallelism' = '1') */ SELECT auction, price FROM "
      "bids;\n",
      {{"parallelism.default", "2"}});
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.status().ToString().find("write it with different options"), std::string::npos)
      << compiled.status().ToString();
}

TEST(JobCompilerTest, FiltersAndProjectionsFuseIntoOneCalc) {
  auto compiled = Compile(
      "CREATE VIEW v AS SELECT auction, price * 2 AS p FROM bids WHERE auction > 0;\n"
      "INSERT INTO out FROM v |> WHERE p > 10 |> SELECT auction, p + 1 AS price;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  int calcs = 0;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind != OperatorKind::kCalc) continue;
    ++calcs;
    ASSERT_TRUE(node.chain->filter);
    // The view's filter runs first, then the pipe's, rewritten through the view's projection;
    // integer literals were widened to BIGINT at compile time.
    EXPECT_EQ(node.chain->filter->ToString(), "(($0 > 0) AND (($1 * 2) > 10))");
    EXPECT_EQ(node.chain->projections.size(), 2u);
  }
  EXPECT_EQ(calcs, 1);
  EXPECT_NE(std::find(compiled->rules_fired.begin(), compiled->rules_fired.end(), "ProjectMerge"),
            compiled->rules_fired.end());
  EXPECT_NE(std::find(compiled->rules_fired.begin(), compiled->rules_fired.end(), "FilterPushdown"),
            compiled->rules_fired.end());
}

TEST(JobCompilerTest, ConstantsAreFolded) {
  auto compiled = Compile("INSERT INTO out SELECT auction, price FROM bids WHERE 1 + 1 = 2;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  // WHERE 1 + 1 = 2 folds to TRUE and disappears; only the projection (dropping ts) is left.
  ASSERT_EQ(compiled->plan.nodes.size(), 3u);
  const auto& calc = compiled->plan.nodes[1];
  ASSERT_EQ(calc.kind, OperatorKind::kCalc);
  EXPECT_EQ(calc.chain->filter, nullptr);
  EXPECT_EQ(calc.chain->projections.size(), 2u);
}

TEST(JobCompilerTest, ProctimeIsNeverFolded) {
  auto compiled = Compile(
      "INSERT INTO out SELECT auction, price FROM bids "
      "WHERE PROCTIME() > TIMESTAMP '2000-01-01 00:00:00';");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto& calc = compiled->plan.nodes[1];
  ASSERT_EQ(calc.kind, OperatorKind::kCalc);
  ASSERT_NE(calc.chain->filter, nullptr);
  EXPECT_NE(calc.chain->filter->ToString().find("PROCTIME"), std::string::npos)
      << calc.chain->filter->ToString();
}

TEST(JobCompilerTest, AProctimeDescriptorPlansAProcessingTimeWindow) {
  auto compiled = Compile(
      "CREATE TABLE counts (auction BIGINT, n BIGINT) WITH ('connector' = 'blackhole');\n"
      "CREATE TABLE counts2 (auction BIGINT, n BIGINT) WITH ('connector' = 'blackhole');\n"
      "CREATE VIEW timed AS SELECT *, PROCTIME() AS p FROM bids;\n"
      "INSERT INTO counts SELECT auction, COUNT(*) FROM TABLE(TUMBLE(TABLE timed, "
      "DESCRIPTOR(p), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end;\n"
      "INSERT INTO counts2 SELECT auction, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, "
      "DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::vector<bool> processing_time;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind != OperatorKind::kWindowAggregate) continue;
    processing_time.push_back(node.aggregate->window->processing_time);
    EXPECT_EQ(node.description.find("processing time") != std::string::npos,
              node.aggregate->window->processing_time)
        << node.description;
  }
  EXPECT_EQ(processing_time, (std::vector<bool>{true, false}));
  EXPECT_NE(compiled->logical_plan.find("processing time"), std::string::npos);
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  EXPECT_NE(json.find("\"processing_time\": true"), std::string::npos);
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*read), json);
}

TEST(JobCompilerTest, SourceIdleTimeoutComesFromItsOption) {
  const char* body = "INSERT INTO out2 SELECT auction FROM bids;";
  auto unset = Compile(body);
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset->plan.nodes[0].idle_timeout, 0);
  auto set = Compile(std::string("SET 'table.exec.source.idle-timeout' = '5 s';\n") + body);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->warnings.empty()) << "a known option";
  ASSERT_EQ(set->plan.nodes[0].kind, OperatorKind::kSource);
  EXPECT_EQ(set->plan.nodes[0].idle_timeout, 5000);
  std::string json = runtime::plan::PlanToJson(set->plan);
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->nodes[0].idle_timeout, 5000);
  auto overridden = Compile(body, {{"table.exec.source.idle-timeout", "500 ms"}});
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->plan.nodes[0].idle_timeout, 500);
  auto bad = Compile(body, {{"table.exec.source.idle-timeout", "soon"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("invalid value 'soon' for 'table.exec.source.idle-timeout'"),
      std::string::npos)
      << bad.status().message();
}

TEST(JobCompilerTest, ParallelismComesFromSetAndOverrides) {
  auto from_set =
      Compile("SET 'parallelism.default' = '3';\nINSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_TRUE(from_set.ok());
  for (const auto& node : from_set->plan.nodes) EXPECT_EQ(node.parallelism, 3);
  auto overridden =
      Compile("SET 'parallelism.default' = '3';\nINSERT INTO out2 SELECT auction FROM bids;",
              {{"parallelism.default", "2"}});
  ASSERT_TRUE(overridden.ok());
  for (const auto& node : overridden->plan.nodes) EXPECT_EQ(node.parallelism, 2);
  auto bad =
      Compile("SET 'parallelism.default' = 'many';\nINSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid value 'many' for 'parallelism.default'"),
            std::string::npos);
}

TEST(JobCompilerTest, StateBackendTypeIsChecked) {
  auto good =
      Compile("SET 'state.backend.type' = 'rocksdb';\nINSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->plan.options.at("state.backend.type"), "rocksdb");
  // Flink's older key, which most published examples use, is the same option.
  auto legacy =
      Compile("SET 'state.backend' = 'rocksdb';\nINSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(legacy->plan.options.at("state.backend.type"), "rocksdb");
  EXPECT_TRUE(legacy->warnings.empty()) << legacy->warnings.front();
  auto bad =
      Compile("SET 'state.backend.type' = 'rocks';\nINSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "invalid value 'rocks' for 'state.backend.type': expected memory | hashmap | "
                "rocksdb"),
            std::string::npos)
      << bad.status().ToString();
}

TEST(JobCompilerTest, PlanSurvivesAJsonRoundTrip) {
  auto compiled = Compile(
      "INSERT INTO out SELECT auction, CASE WHEN price > 5 THEN price ELSE NULL END FROM bids "
      "WHERE ts > TIMESTAMP '2015-07-15 00:00:00';");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*read), json);
}

TEST(JobCompilerTest, CorruptPlanJsonIsAClearError) {
  auto compiled = Compile("INSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_TRUE(compiled.ok());
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  std::string broken = json;
  broken.replace(broken.find("\"kind\": \"calc\"") == std::string::npos
                     ? broken.find("\"kind\": \"sink\"")
                     : broken.find("\"kind\": \"calc\""),
                 14, "\"kind\": \"zzzz\"");
  auto read = runtime::plan::PlanFromJson(broken);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("unknown value 'zzzz' at $.nodes["), std::string::npos)
      << read.status().message();
  EXPECT_FALSE(runtime::plan::PlanFromJson(json.substr(0, json.size() / 2)).ok());
}

TEST(JobCompilerTest, APlanWhoseSourceOrSinkNamesNoConnectorIsRefusedWhenRead) {
  auto compiled = Compile("INSERT INTO out2 SELECT auction FROM bids;");
  ASSERT_TRUE(compiled.ok());
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  for (const char* connector : {"\"connector\": \"values\"", "\"connector\": \"blackhole\""}) {
    std::string broken = json;
    size_t at = broken.find(connector);
    ASSERT_NE(at, std::string::npos) << json;
    broken.replace(at, 11, "\"connectr\"");
    auto read = runtime::plan::PlanFromJson(broken);
    ASSERT_FALSE(read.ok()) << connector;
    EXPECT_NE(read.status().message().find("has no 'connector' option at $.nodes["),
              std::string::npos)
        << read.status().message();
  }
}

TEST(JobCompilerTest, OptionErrorsPointAtTheOptionTheyAreAbout) {
  // The option at fault is the error's subject, never found in its text.
  auto restart = Compile(
      "SET 'restart-strategy.type' = 'fixed-delay';\n"
      "SET 'restart-strategy.fixed-delay.attempts' = 'many';\n");
  ASSERT_FALSE(restart.ok());
  EXPECT_EQ(restart.status().diagnostics().front().span.line, 7) << restart.status().message();
  auto datagen = Compile(
      "CREATE TABLE g (a BIGINT) WITH ('connector' = 'datagen',\n"
      "  'number-of-rows' = '3',\n"
      "  'fields.a.kind' = 'sequence',\n"
      "  'fields.a.start' = '1');\n"
      "INSERT INTO out2 SELECT a FROM g;\n");
  ASSERT_FALSE(datagen.ok());
  EXPECT_EQ(datagen.status().subject(), "fields.a.start") << datagen.status().message();
  EXPECT_EQ(datagen.status().diagnostics().front().span.line, 9) << datagen.status().message();
  auto value = Compile(
      "CREATE TABLE g (a BIGINT) WITH ('connector' = 'datagen',\n"
      "  'number-of-rows' = 'lots');\n"
      "INSERT INTO out2 SELECT a FROM g;\n");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().subject(), "number-of-rows") << value.status().message();
  EXPECT_EQ(value.status().diagnostics().front().span.line, 7) << value.status().message();
}

TEST(JobCompilerTest, InsertTypeMismatchIsReported) {
  auto compiled = Compile("INSERT INTO out SELECT auction, CAST(price AS VARCHAR) FROM bids;");
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(
      compiled.status().message().find("column 'price' is BIGINT, but the query gives VARCHAR"),
      std::string::npos)
      << compiled.status().message();
  auto arity = Compile("INSERT INTO out SELECT auction FROM bids;");
  ASSERT_FALSE(arity.ok());
  EXPECT_NE(arity.status().message().find("expects 2 columns"), std::string::npos);
}

TEST(JobCompilerTest, UnsupportedConstructsSayWhatIsMissing) {
  auto compiled = Compile(
      "INSERT INTO out SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY ts "
      "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM bids;");
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.status().message().find("FOLLOWING bounds are not supported"),
            std::string::npos)
      << compiled.status().message();
}

TEST(JobCompilerTest, OverAndRankPlansRoundTripThroughJson) {
  auto compiled = Compile(
      "INSERT INTO out SELECT auction, AVG(price) OVER (PARTITION BY auction ORDER BY ts "
      "RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) FROM bids;\n"
      "INSERT INTO out2 SELECT auction FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY auction "
      "ORDER BY price DESC) AS rk FROM bids) WHERE rk <= 3;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const runtime::plan::PlanNode* over = nullptr;
  const runtime::plan::PlanNode* top_n = nullptr;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == OperatorKind::kOverAggregate) over = &node;
    if (node.kind == OperatorKind::kTopN) top_n = &node;
  }
  ASSERT_NE(over, nullptr);
  ASSERT_NE(top_n, nullptr);
  EXPECT_EQ(over->uid, "out/over-aggregate1");
  EXPECT_EQ(over->over_aggregate->preceding, 10000);
  EXPECT_EQ(over->over_aggregate->unit, runtime::plan::OverFrameUnit::kRange);
  EXPECT_FALSE(over->over_aggregate->changelog);
  EXPECT_EQ(over->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
  // "pending", "frame" and the watermark (a restore needs it to know what is late).
  ASSERT_EQ(over->state.size(), 3u);
  EXPECT_EQ(over->state[2].name, runtime::plan::kWatermarkStateName);
  EXPECT_EQ(top_n->top_n->function, runtime::plan::RankFunction::kDenseRank);
  EXPECT_EQ(top_n->top_n->limit, 3);
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*read), json);
  EXPECT_NE(json.find("\"function\": \"DENSE_RANK\""), std::string::npos);
}

TEST(JobCompilerTest, LagAndListAggArgumentsRoundTripThroughJson) {
  auto compiled = Compile(
      "CREATE TABLE lists (auction BIGINT, prices VARCHAR) WITH ('connector' = 'blackhole');\n"
      "INSERT INTO out SELECT auction, LAG(price, 3, auction + 1) OVER (PARTITION BY auction "
      "ORDER BY ts) FROM bids;\n"
      "INSERT INTO lists SELECT auction, LISTAGG(CAST(price AS VARCHAR), ' | ') FROM bids "
      "GROUP BY auction;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*read), json);
  const runtime::plan::AggregateCall* lag = nullptr;
  const runtime::plan::AggregateCall* listagg = nullptr;
  for (const auto& node : read->nodes) {
    if (node.over_aggregate) lag = &node.over_aggregate->calls.at(0);
    if (node.aggregate) listagg = &node.aggregate->calls.at(0);
  }
  ASSERT_NE(lag, nullptr);
  ASSERT_NE(listagg, nullptr);
  EXPECT_EQ(lag->kind, runtime::plan::AggregateKind::kLag);
  EXPECT_EQ(lag->offset, 3);
  EXPECT_GE(lag->default_slot, 0);
  EXPECT_NE(lag->default_slot, lag->argument_slot);
  EXPECT_EQ(listagg->kind, runtime::plan::AggregateKind::kListAgg);
  EXPECT_EQ(listagg->separator, " | ");
}

TEST(JobCompilerTest, AUidHintPinsTheOverAndTopNOperators) {
  auto compiled = Compile(
      "INSERT INTO out SELECT /*+ UID('averages') */ auction, AVG(price) OVER (PARTITION BY "
      "auction ORDER BY ts) FROM bids;\n"
      "INSERT INTO out2 SELECT auction FROM (SELECT /*+ UID('ranks') */ *, RANK() OVER ("
      "PARTITION BY auction ORDER BY price DESC) AS rk FROM bids) WHERE rk <= 3;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::vector<std::string> uids;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == OperatorKind::kOverAggregate || node.kind == OperatorKind::kTopN) {
      uids.push_back(node.uid);
    }
  }
  EXPECT_EQ(uids, (std::vector<std::string>{"averages", "ranks"}));
}

TEST(JobCompilerTest, AJoinWithoutAnEqualityRunsInOneKeyGroup) {
  auto compiled = Compile(
      "INSERT INTO out SELECT a.auction, b.price FROM bids a JOIN bids b ON a.price < b.price;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  bool keyless = false;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind != OperatorKind::kJoin) continue;
    keyless = node.join->left_key_slots.empty() && node.join->right_key_slots.empty() &&
              node.join->residual != nullptr;
  }
  EXPECT_TRUE(keyless);
}

TEST(JobCompilerTest, JoinKeysAndOneSidedConditionsArePlanned) {
  auto compiled = Compile(
      "INSERT INTO out SELECT a.auction, b.price FROM bids a, bids b "
      "WHERE a.auction = b.auction AND b.price > 5 AND a.price < b.price;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const runtime::plan::PlanNode* join = nullptr;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == OperatorKind::kJoin) join = &node;
  }
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->uid, "out/join1");
  EXPECT_EQ(join->join->left_key_slots, std::vector<int32_t>{0});
  EXPECT_EQ(join->join->right_key_slots, std::vector<int32_t>{0});
  ASSERT_TRUE(join->join->residual);
  // Each side keeps the columns read after it (StateColumnPruning): auction, price.
  EXPECT_EQ(join->join->residual->ToString(), "($1 < $3)");
  // b.price > 5 filters the right input before the join.
  bool right_filtered = false;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == OperatorKind::kCalc && node.chain->filter &&
        node.chain->filter->ToString() == "($1 > 5)") {
      right_filtered = true;
    }
  }
  EXPECT_TRUE(right_filtered);
}

// TINYINT, SMALLINT and FLOAT survive the plan's JSON form (a plan read back from a savepoint
// or the server narrows as the compiled one does).
TEST(JobCompilerTest, NarrowNumericTypesSurviveThePlanJson) {
  auto compiled = Compile(
      "CREATE TABLE narrow (a TINYINT, b SMALLINT, c FLOAT) WITH ('connector' = 'values');\n"
      "CREATE TABLE narrow_out (a TINYINT, b SMALLINT, c FLOAT) WITH ('connector' = "
      "'blackhole');\n"
      "INSERT INTO narrow_out SELECT a + a, MAX(b), SUM(c) FROM narrow GROUP BY a + a;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  for (const char* type : {"\"TINYINT\"", "\"SMALLINT\"", "\"FLOAT\""}) {
    EXPECT_NE(json.find(type), std::string::npos) << type;
  }
  auto read = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*read), json);
}

}  // namespace
}  // namespace sluice::compiler
