// State signatures (compiler/physical/state_signature.h) and the compatibility check
// (compiler/check): each signature component changed alone changes the verdict, and no change
// that makes the old state wrong is ever reported `restored`.

#include "compiler/physical/state_signature.h"

#include <gtest/gtest.h>

#include "compiler/check/compat_check.h"
#include "compiler/physical/job_compiler.h"

namespace sluice::compiler {
namespace {

using check::Verdict;

const char* kTables = R"(
CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE auctions (id BIGINT, seller BIGINT, category BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (a BIGINT, b BIGINT) WITH ('connector' = 'print');
CREATE TABLE out3 (a BIGINT, b BIGINT, c BIGINT) WITH ('connector' = 'print');
CREATE TABLE wout (a BIGINT, e TIMESTAMP(3), b BIGINT) WITH ('connector' = 'print');
)";

runtime::plan::PlanGraph Plan(const std::string& body,
                              std::map<std::string, std::string> overrides = {}) {
  CompileOptions options;
  options.file_name = "job.pipe";
  options.overrides = std::move(overrides);
  auto compiled = CompileScript(std::string(kTables) + body, options);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString() << "\n" << body;
  return compiled.ok() ? compiled->plan : runtime::plan::PlanGraph{};
}

check::OperatorVerdict VerdictOf(const std::string& old_body, const std::string& new_body,
                                 const std::string& uid) {
  auto report = check::CheckCompatibility(Plan(old_body), Plan(new_body));
  for (const auto& op : report.operators) {
    if (op.uid == uid) return op;
  }
  ADD_FAILURE() << "no verdict for " << uid << "\n" << check::ReportText(report);
  return {};
}

const runtime::plan::PlanNode* Node(const runtime::plan::PlanGraph& plan, const std::string& uid) {
  for (const auto& node : plan.nodes) {
    if (node.uid == uid) return &node;
  }
  return nullptr;
}

// A change of one component: the verdict, and the reason names it.
void ExpectChange(const std::string& old_body, const std::string& new_body, const std::string& uid,
                  Verdict verdict, const std::string& reason) {
  auto op = VerdictOf(old_body, new_body, uid);
  EXPECT_EQ(check::VerdictName(op.verdict), std::string(check::VerdictName(verdict)))
      << op.reason << "\nold: " << old_body << "\nnew: " << new_body;
  EXPECT_NE(op.reason.find(reason), std::string::npos) << op.reason;
  if (verdict == Verdict::kIncompatible) {
    EXPECT_FALSE(op.fix.empty());
  }
  // And the unchanged job restores everything.
  EXPECT_EQ(VerdictOf(old_body, old_body, uid).verdict, Verdict::kRestored);
}

const std::string kGroup = "INSERT INTO out SELECT auction, SUM(price) FROM bids GROUP BY auction;";

TEST(StateSignatureTest, GroupKeyIsItsLineageNotItsType) {
  // bidder and auction are both BIGINT: the key's type alone would not tell them apart.
  ExpectChange(kGroup, "INSERT INTO out SELECT bidder, SUM(price) FROM bids GROUP BY bidder;",
               "out/group-aggregate1", Verdict::kIncompatible, "group key changed");
  // Even when the UID is pinned to the same name.
  ExpectChange(
      "INSERT INTO out SELECT /*+ UID('agg') */ auction, SUM(price) FROM bids GROUP BY auction;",
      "INSERT INTO out SELECT /*+ UID('agg') */ bidder, SUM(price) FROM bids GROUP BY bidder;",
      "agg", Verdict::kIncompatible, "[bids.auction BIGINT] -> [bids.bidder BIGINT]");
}

TEST(StateSignatureTest, RenamingAnAliasKeepsTheSignature) {
  auto before = Plan(kGroup);
  auto after = Plan(
      "INSERT INTO out SELECT k AS key_alias, SUM(p) AS total FROM (SELECT auction AS k, price AS "
      "p FROM bids) GROUP BY k;");
  ASSERT_NE(Node(before, "out/group-aggregate1"), nullptr);
  ASSERT_NE(Node(after, "out/group-aggregate1"), nullptr);
  EXPECT_EQ(Node(before, "out/group-aggregate1")->signature->hash,
            Node(after, "out/group-aggregate1")->signature->hash);
}

TEST(StateSignatureTest, KeyThroughAnExpressionIsAnotherKey) {
  ExpectChange(kGroup,
               "INSERT INTO out SELECT auction + 1, SUM(price) FROM bids GROUP BY auction + 1;",
               "out/group-aggregate1", Verdict::kIncompatible, "group key changed");
}

TEST(StateSignatureTest, AccumulatorsMigrate) {
  ExpectChange(
      "INSERT INTO out SELECT auction, COUNT(*) FROM bids GROUP BY auction;", kGroup,
      "out/group-aggregate1", Verdict::kMigrated,
      "SUM(bids.price) added: starts empty (NULL until a row arrives) from the restore point");
  ExpectChange(kGroup, "INSERT INTO out SELECT auction, COUNT(*) FROM bids GROUP BY auction;",
               "out/group-aggregate1", Verdict::kMigrated,
               "COUNT(*) added: starts at 0 from the restore point");
  ExpectChange(kGroup, "INSERT INTO out SELECT auction, MAX(price) FROM bids GROUP BY auction;",
               "out/group-aggregate1", Verdict::kMigrated, "SUM(bids.price) removed");
  ExpectChange(kGroup,
               "INSERT INTO out SELECT auction, SUM(DISTINCT price) FROM bids GROUP BY auction;",
               "out/group-aggregate1", Verdict::kMigrated, "SUM(DISTINCT bids.price)");
}

TEST(StateSignatureTest, TypesWidenOrBreak) {
  EXPECT_TRUE(check::Widens("INT", "BIGINT"));
  EXPECT_TRUE(check::Widens("BIGINT", "DOUBLE"));
  EXPECT_TRUE(check::Widens("VARCHAR(5)", "VARCHAR(10)"));
  EXPECT_TRUE(check::Widens("DECIMAL(10, 2)", "DECIMAL(12, 2)"));
  EXPECT_FALSE(check::Widens("BIGINT", "INT"));
  EXPECT_FALSE(check::Widens("DOUBLE", "BIGINT"));
  EXPECT_FALSE(check::Widens("VARCHAR(10)", "VARCHAR(5)"));
  EXPECT_FALSE(check::Widens("DECIMAL(10, 2)", "DECIMAL(10, 3)"));
  ExpectChange(
      "INSERT INTO out SELECT auction, SUM(CAST(price AS INT)) FROM bids GROUP BY auction;",
      "INSERT INTO out SELECT auction, SUM(CAST(price AS INT)) * 1 FROM bids GROUP BY auction;",
      "out/group-aggregate1", Verdict::kRestored, "");
}

const std::string kWindow =
    "INSERT INTO wout SELECT auction, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, "
    "DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end;";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(StateSignatureTest, WindowSizeAndKindAreTheWindow) {
  const std::string uid = "wout/window-aggregate1";
  ExpectChange(kWindow, Replace(kWindow, "'10' SECOND", "'20' SECOND"), uid, Verdict::kIncompatible,
               "window changed");
  ExpectChange(kWindow,
               Replace(kWindow, "TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)",
                       "HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' "
                       "SECOND)"),
               uid, Verdict::kIncompatible, "HOP(");
  ExpectChange(kWindow,
               Replace(kWindow, "TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)",
                       "CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' "
                       "SECOND)"),
               uid, Verdict::kIncompatible, "CUMULATE(");
  ExpectChange(kWindow,
               Replace(Replace(kWindow, "GROUP BY auction,", "GROUP BY bidder,"), "SELECT auction,",
                       "SELECT bidder,"),
               uid, Verdict::kIncompatible, "group key changed");
}

const std::string kJoin =
    "INSERT INTO out SELECT b.price, a.seller FROM bids b JOIN auctions a ON b.auction = a.id;";

TEST(StateSignatureTest, JoinKeysSidesAndTypes) {
  const std::string uid = "out/join1";
  ExpectChange(kJoin, Replace(kJoin, "b.auction = a.id", "b.bidder = a.id"), uid,
               Verdict::kIncompatible, "left join key changed");
  ExpectChange(kJoin, Replace(kJoin, "b.auction = a.id", "b.auction = a.seller"), uid,
               Verdict::kIncompatible, "right join key changed");
  ExpectChange(kJoin,
               "INSERT INTO out SELECT b.price, a.seller FROM auctions a JOIN bids b ON a.id = "
               "b.auction;",
               uid, Verdict::kIncompatible, "join sides swapped");
  ExpectChange(kJoin, Replace(kJoin, "JOIN auctions", "LEFT JOIN auctions"), uid,
               Verdict::kIncompatible, "join type changed");
  ExpectChange(
      // The new column is read after the join, so the join keeps it.
      kJoin,
      Replace(
          Replace(kJoin, "JOIN auctions a", "JOIN (SELECT *, seller * 2 AS s2 FROM auctions) a"),
          "a.seller FROM", "a.s2 FROM"),
      uid, Verdict::kMigrated,
      "(auctions.seller * 2) added: rows kept before the restore have NULL for it");
}

TEST(StateSignatureTest, IntervalAndWindowJoinBounds) {
  const std::string interval =
      "INSERT INTO out SELECT b.price, a.seller FROM bids b JOIN auctions a ON b.auction = a.id "
      "AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' HOUR;";
  // Other bounds on the same time attributes are carried (runtime::plan::CarryChange).
  ExpectChange(interval, Replace(interval, "'1' HOUR", "'2' HOUR"), "out/interval-join1",
               Verdict::kMigrated, "interval bounds widened");
  ExpectChange(Replace(interval, "'1' HOUR", "'2' HOUR"), interval, "out/interval-join1",
               Verdict::kRestored, "interval bounds narrowed");
  const std::string window =
      "INSERT INTO out SELECT L.price, R.seller FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), "
      "INTERVAL '10' SECOND)) L JOIN TABLE(TUMBLE(TABLE auctions, DESCRIPTOR(ts), INTERVAL '10' "
      "SECOND)) R ON L.auction = R.id AND L.window_start = R.window_start AND L.window_end = "
      "R.window_end;";
  std::string wider =
      Replace(Replace(window, "'10' SECOND", "'30' SECOND"), "'10' SECOND", "'30' SECOND");
  ExpectChange(window, wider, "out/window-join1", Verdict::kIncompatible, "window changed");
}

const std::string kTopN =
    "INSERT INTO out SELECT auction, price FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
    "auction ORDER BY price DESC) AS rn FROM bids) WHERE rn <= 3;";

TEST(StateSignatureTest, TopNPartitionOrderLimitAndFunction) {
  const std::string uid = "out/top-n1";
  ExpectChange(kTopN, Replace(kTopN, "PARTITION BY auction", "PARTITION BY bidder"), uid,
               Verdict::kIncompatible, "partition key changed");
  ExpectChange(kTopN, Replace(kTopN, "price DESC", "price ASC"), uid, Verdict::kIncompatible,
               "sort order changed");
  ExpectChange(kTopN, Replace(kTopN, "price DESC", "bidder DESC"), uid, Verdict::kIncompatible,
               "sort order changed");
  ExpectChange(kTopN, Replace(kTopN, "rn <= 3", "rn <= 4"), uid, Verdict::kMigrated, "N 3 -> 4");
  ExpectChange(kTopN, Replace(kTopN, "rn <= 3", "rn <= 2"), uid, Verdict::kMigrated, "N 3 -> 2");
  ExpectChange(kTopN, Replace(kTopN, "ROW_NUMBER()", "DENSE_RANK()"), uid, Verdict::kIncompatible,
               "rank function changed");
}

const std::string kOver =
    "INSERT INTO out SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY ts RANGE "
    "BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) FROM bids;";

TEST(StateSignatureTest, OverPartitionFrameAndCalls) {
  const std::string uid = "out/over-aggregate1";
  ExpectChange(kOver, Replace(kOver, "PARTITION BY auction", "PARTITION BY bidder"), uid,
               Verdict::kIncompatible, "partition key changed");
  ExpectChange(kOver, Replace(kOver, "'10' SECOND", "'1' MINUTE"), uid, Verdict::kIncompatible,
               "order and frame changed");
  ExpectChange(kOver, Replace(kOver, "SUM(price)", "MAX(price)"), uid, Verdict::kMigrated,
               "MAX(bids.price)");
}

TEST(StateSignatureTest, SourceConnectorAndOptions) {
  std::string tables = kTables;
  auto before = Plan(kGroup);
  auto after = before;
  for (auto& node : after.nodes) {
    if (node.uid == "source/bids") node.table->options["scan.startup.mode"] = "latest-offset";
  }
  auto report = check::CheckCompatibility(before, after);
  ASSERT_EQ(report.operators.front().uid, "source/bids");
  EXPECT_EQ(report.operators.front().verdict, Verdict::kRestored);
  ASSERT_EQ(report.operators.front().warnings.size(), 1u);
  EXPECT_NE(report.operators.front().warnings[0].find("connector options changed"),
            std::string::npos);
  // Another connector: the old offsets mean nothing to it.
  for (auto& node : after.nodes) {
    if (node.uid == "source/bids") {
      node.table->options["connector"] = "datagen";
      node.signature.reset();  // recomputed by the check
    }
  }
  report = check::CheckCompatibility(before, after);
  EXPECT_EQ(report.operators.front().verdict, Verdict::kIncompatible);
  EXPECT_FALSE(report.compatible);
}

TEST(StateSignatureTest, AUidThatNowNamesAnotherKindIsIncompatible) {
  auto op = VerdictOf(
      "INSERT INTO out SELECT /*+ UID('x') */ auction, SUM(price) FROM bids GROUP BY auction;",
      "INSERT INTO out SELECT auction, price FROM (SELECT /*+ UID('x') */ *, ROW_NUMBER() OVER "
      "(PARTITION BY auction ORDER BY price DESC) AS rn FROM bids) WHERE rn <= 3;",
      "x");
  EXPECT_EQ(op.verdict, Verdict::kIncompatible);
  EXPECT_NE(op.reason.find("now names a top-n"), std::string::npos) << op.reason;
}

// Variants of one pinned operator, grouped by what their state is: the check restores exactly
// the pairs within a group and never one across groups.
TEST(StateSignatureTest, NoStateChangeIsEverReportedRestored) {
  const std::vector<std::pair<int, std::string>> variants = {
      {0, "SELECT /*+ UID('s') */ auction, SUM(price) FROM bids GROUP BY auction"},
      {0, "SELECT /*+ UID('s') */ auction AS k, SUM(price) AS t FROM bids GROUP BY auction"},
      {0, "FROM bids |> AGGREGATE /*+ UID('s') */ SUM(price) AS t GROUP BY auction"},
      {0,
       "SELECT /*+ UID('s') */ a, SUM(p) FROM (SELECT auction AS a, price AS p, bidder FROM "
       "bids) GROUP BY a"},
      {1, "SELECT /*+ UID('s') */ bidder, SUM(price) FROM bids GROUP BY bidder"},
      {2, "SELECT /*+ UID('s') */ auction, SUM(bidder) FROM bids GROUP BY auction"},
      {3, "SELECT /*+ UID('s') */ auction, MAX(price) FROM bids GROUP BY auction"},
      {4, "SELECT /*+ UID('s') */ auction, COUNT(price) FROM bids GROUP BY auction"},
      {5, "SELECT /*+ UID('s') */ auction % 7, SUM(price) FROM bids GROUP BY auction % 7"},
      {6, "SELECT /*+ UID('s') */ price, SUM(auction) FROM bids GROUP BY price"},
      {7,
       "SELECT /*+ UID('s') */ auction, SUM(price) FROM bids WHERE bidder > 0 GROUP BY "
       "auction, bidder"},
      {8, "SELECT /*+ UID('s') */ auction, SUM(price + 1) FROM bids GROUP BY auction"},
  };
  std::vector<runtime::plan::PlanGraph> plans;
  for (const auto& [group, query] : variants) plans.push_back(Plan("INSERT INTO out " + query));
  for (size_t i = 0; i < plans.size(); ++i) {
    for (size_t j = 0; j < plans.size(); ++j) {
      auto report = check::CheckCompatibility(plans[i], plans[j]);
      Verdict verdict = Verdict::kNew;
      for (const auto& op : report.operators) {
        if (op.uid == "s") verdict = op.verdict;
      }
      bool same = variants[i].first == variants[j].first;
      EXPECT_EQ(verdict == Verdict::kRestored, same)
          << check::VerdictName(verdict) << "\nold: " << variants[i].second
          << "\nnew: " << variants[j].second;
    }
  }
}

TEST(StateSignatureTest, SignaturesSurviveThePlanJson) {
  auto plan = Plan(kJoin + std::string("\n") +
                   "INSERT INTO wout SELECT auction, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE "
                   "bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, "
                   "window_end;");
  auto read = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(plan));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    ASSERT_EQ(plan.nodes[i].signature.has_value(), read->nodes[i].signature.has_value());
    if (!plan.nodes[i].signature) continue;
    EXPECT_EQ(plan.nodes[i].signature->hash, read->nodes[i].signature->hash);
    EXPECT_EQ(plan.nodes[i].signature->components, read->nodes[i].signature->components);
  }
  // The old side may be a plan read back from JSON (a snapshot's _metadata).
  auto report = check::CheckCompatibility(*read, plan);
  EXPECT_TRUE(report.compatible);
  for (const auto& op : report.operators) EXPECT_EQ(op.verdict, Verdict::kRestored) << op.uid;
  // Signatures recomputed from the plan alone agree with the stored ones.
  physical::Lineage lineage(*read);
  for (const auto& node : read->nodes) {
    auto recomputed = physical::SignatureOf(*read, node.id, &lineage);
    ASSERT_EQ(recomputed.has_value(), node.signature.has_value());
    if (recomputed) {
      EXPECT_EQ(recomputed->hash, node.signature->hash) << node.uid;
    }
  }
}

TEST(StateSignatureTest, ParallelismAndSpellingKeepUidsAndSignatures) {
  auto select = Plan(kTopN);
  auto parallel = Plan(kTopN, {{"parallelism.default", "4"}});
  auto report = check::CheckCompatibility(select, parallel);
  EXPECT_TRUE(report.compatible);
  for (const auto& op : report.operators) EXPECT_EQ(op.verdict, Verdict::kRestored) << op.uid;
}

TEST(UidTest, PinningOneOperatorDoesNotRenameAnother) {
  const std::string two =
      "INSERT INTO out SELECT k, COUNT(*) FROM (SELECT auction AS k, SUM(price) AS s FROM bids "
      "GROUP BY auction) GROUP BY k;";
  auto plain = Plan(two);
  auto pinned =
      Plan(Replace(two, "(SELECT auction AS k", "(SELECT /*+ UID('inner') */ auction AS k"));
  EXPECT_NE(Node(plain, "out/group-aggregate1"), nullptr);
  EXPECT_NE(Node(plain, "out/group-aggregate2"), nullptr);
  EXPECT_NE(Node(pinned, "inner"), nullptr);
  EXPECT_EQ(Node(pinned, "out/group-aggregate1"), nullptr);
  // The outer aggregate keeps its ordinal.
  ASSERT_NE(Node(pinned, "out/group-aggregate2"), nullptr);
  EXPECT_EQ(Node(pinned, "out/group-aggregate2")->signature->hash,
            Node(plain, "out/group-aggregate2")->signature->hash);
}

TEST(UidTest, StatelessStepsAndOtherStatementsDoNotMoveUids) {
  auto base = Plan(kTopN + std::string("\n") + kWindow);
  auto changed = Plan(
      "CREATE VIEW cheap AS SELECT * FROM bids WHERE price > 0;\n"
      "INSERT INTO out3 SELECT auction, bidder, price FROM bids;\n" +
      Replace(kWindow, "TABLE(TUMBLE(TABLE bids,", "TABLE(TUMBLE(TABLE cheap,") + "\n" +
      Replace(kTopN, "FROM bids)", "FROM (SELECT auction, price, bidder, ts FROM bids))"));
  for (const char* uid : {"out/top-n1", "wout/window-aggregate1", "source/bids"}) {
    EXPECT_NE(Node(base, uid), nullptr) << uid;
    EXPECT_NE(Node(changed, uid), nullptr) << uid;
  }
}

TEST(UidTest, APinnedUidNamesOneOperatorOnly) {
  CompileOptions options;
  options.file_name = "job.pipe";
  auto compiled = CompileScript(
      std::string(kTables) +
          "INSERT INTO out SELECT auction, price FROM (SELECT /*+ UID('r') */ *, ROW_NUMBER() "
          "OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids) WHERE rn <= 3;\n"
          "INSERT INTO out3 SELECT auction, price, bidder FROM (SELECT /*+ UID('r') */ *, "
          "ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY price DESC) AS rn FROM bids) WHERE rn "
          "<= 3;",
      options);
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.status().ToString().find("share the UID 'r'"), std::string::npos)
      << compiled.status().ToString();
}

TEST(StateSignatureTest, LongKeyExpressionsStayBoundedAndDistinct) {
  std::string key = "auction";
  for (int i = 0; i < 60; ++i) key = "(" + key + " + " + std::to_string(i) + ")";
  std::string other = key;
  other.replace(other.rfind("59"), 2, "61");
  auto a = Plan("INSERT INTO out SELECT " + key + ", COUNT(*) FROM bids GROUP BY " + key + ";");
  auto b = Plan("INSERT INTO out SELECT " + other + ", COUNT(*) FROM bids GROUP BY " + other + ";");
  const auto* node = Node(a, "out/group-aggregate1");
  ASSERT_NE(node, nullptr);
  EXPECT_LE(node->signature->components[0].fields[0].name.size(), 240u);
  EXPECT_NE(node->signature->hash, Node(b, "out/group-aggregate1")->signature->hash);
  EXPECT_TRUE(runtime::plan::PlanFromJson(runtime::plan::PlanToJson(a)).ok());
}

}  // namespace
}  // namespace sluice::compiler
