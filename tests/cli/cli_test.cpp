// Runs the `sluice` binary as a user would and checks what it prints and how it exits.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "scratch_directory.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string output;  // stdout and stderr together
};

Outcome RunSluice(const std::string& arguments) {
  std::string command = std::string(SLUICE_BINARY) + " " + arguments + " 2>&1";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) outcome.output.append(buffer, read);
  int status = pclose(pipe);
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.exit_code = 128 + WTERMSIG(status);
  return outcome;
}

class CliTest : public sluice::testing_support::ScratchDirectoryTest {
 protected:
  CliTest() : ScratchDirectoryTest("sluice-cli-") {}
};

const char* kBids =
    R"(CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'values');
INSERT INTO bids VALUES (1, 10), (2, 20);
)";

TEST_F(CliTest, RunsAFileAndPrintsRows) {
  std::string file = Write("ok.pipe", std::string(kBids) + R"(
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT auction, price * 2 FROM bids;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "+I[1, 20]\n+I[2, 40]\n");
}

// A bare SELECT prints its changelog, as Flink's SQL client shows a query's result; with several,
// each line carries its SELECT's number.
TEST_F(CliTest, BareSelectsPrintTheirRows) {
  std::string one =
      Write("one.pipe", std::string(kBids) + "SELECT auction, price * 2 FROM bids;\n");
  Outcome outcome = RunSluice("run " + one);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "+I[1, 20]\n+I[2, 40]\n");

  std::string two = Write("two.pipe", std::string(kBids) +
                                          "SELECT auction FROM bids WHERE price > 15;\n"
                                          "SELECT SUM(price) FROM bids;\n");
  outcome = RunSluice("run " + two);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("select-1> +I[2]\n"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("select-2> +U[30]\n"), std::string::npos) << outcome.output;
}

TEST_F(CliTest, TypoedColumnGetsFileLineColumnAndCaret) {
  std::string file = Write("typo.pipe", std::string(kBids) + R"(
CREATE TABLE out (auction BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT auctoin FROM bids;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.output, file +
                                ":5:24: error: column not found: 'auctoin' (did you mean "
                                "'auction'?)\n"
                                "  INSERT INTO out SELECT auctoin FROM bids;\n"
                                "                         ^~~~~~~\n");
}

TEST_F(CliTest, ReportsSeveralErrorsAtOnce) {
  std::string file = Write("many.pipe", std::string(kBids) + R"(
CREATE TABLE out (a BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT nope FROM bids;
INSERT INTO out SELECT auction FROM missing;
)");
  Outcome outcome = RunSluice("explain " + file);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find(":5:24: error: column not found: 'nope'"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find(":6:37: error: table not found: 'missing'"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("2 errors"), std::string::npos);
}

TEST_F(CliTest, UnknownConnectorOptionIsNamedWithASuggestion) {
  std::string file = Write("option.pipe", R"(CREATE TABLE s (a BIGINT) WITH (
  'connector' = 'datagen', 'number-of-rowz' = '10');
CREATE TABLE out (a BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT a FROM s;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("unknown option 'number-of-rowz'"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("did you mean 'number-of-rows'?"), std::string::npos)
      << outcome.output;
}

TEST_F(CliTest, DroppedLateRecordsAreReported) {
  // 'rows-per-batch' = '1': a watermark after every row, so the third row is late.
  std::string file = Write("late.pipe", R"(CREATE TABLE e (id INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts) WITH ('connector' = 'values', 'rows-per-batch' = '1');
INSERT INTO e VALUES (1, TIMESTAMP '2024-01-01 00:00:01'), (2, TIMESTAMP '2024-01-01 00:00:15'),
  (3, TIMESTAMP '2024-01-01 00:00:02');
CREATE TABLE out (n BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE e, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("+I[1]\n+I[1]\n"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("1 late records arrived after their window had fired"),
            std::string::npos)
      << outcome.output;
}

TEST_F(CliTest, NexmarkQ12ProcessingTimeWindowsRunToCompletion) {
  fs::path q12 = fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / "q12.pipe";
  Outcome explain = RunSluice("explain " + q12.string());
  EXPECT_EQ(explain.exit_code, 0) << explain.output;
  EXPECT_NE(explain.output.find("size 10000 ms, processing time)"), std::string::npos)
      << explain.output;
  // Every window still open when the bounded source ends fires; the job then ends.
  Outcome run = RunSluice("run " + q12.string());
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(CliTest, UserDefinedFunctionsRunAndAFailingOneFailsTheJob) {
  // q14 loads count_char from libsluice_udf_examples.so, found next to the sluice binary.
  fs::path q14 = fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / "q14.pipe";
  for (const char* jit : {"on", "off"}) {
    Outcome outcome = RunSluice(std::string("run --jit ") + jit + " " + q14.string());
    EXPECT_EQ(outcome.exit_code, 0) << jit << ": " << outcome.output;
  }
  std::string file = Write("udf.pipe", std::string(kBids) + R"(
CREATE FUNCTION checked AS 'libsluice_udf_tests.so:checked';
CREATE TABLE out (a BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT checked(auction - price) FROM bids;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(
      outcome.output.find("user-defined function 'checked' failed: negative input (error code 3)"),
      std::string::npos)
      << outcome.output;
}

TEST_F(CliTest, LookupJoinReadsItsTableAndAMalformedOneIsAClearError) {
  // The side input's relative path (in Flink's legacy keys, as q13) is relative to the script.
  std::string script = std::string(kBids) + R"(
CREATE TABLE side (k BIGINT, v VARCHAR) WITH ('connector.type' = 'filesystem',
  'connector.path' = 'side.csv', 'format.type' = 'csv');
CREATE TABLE out (auction BIGINT, v VARCHAR) WITH ('connector' = 'print');
INSERT INTO out SELECT b.auction, s.v FROM (SELECT *, PROCTIME() AS pt FROM bids) AS b
  JOIN side FOR SYSTEM_TIME AS OF b.pt AS s ON b.auction = s.k;
)";
  std::string file = Write("lookup.pipe", script);
  Write("side.csv", "1,one\n3,three\n");
  Outcome good = RunSluice("run " + file);
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output, "+I[1, one]\n");

  std::string side = Write("side.csv", "1,one\n2\n");
  Outcome bad = RunSluice("run " + file);
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("cannot load table 'side'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("malformed record at " + side + ":2: expected 2 fields, found 1"),
            std::string::npos)
      << bad.output;
}

TEST_F(CliTest, MissingFileIsAClearError) {
  Outcome outcome = RunSluice("run " + (directory_ / "absent.pipe").string());
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("cannot read"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("No such file or directory"), std::string::npos);
}

TEST_F(CliTest, UnwritableSinkPathIsAClearError) {
  std::string blocker = Write("blocker", "a file, not a directory");
  std::string file = Write("sink.pipe", std::string(kBids) + R"(
CREATE TABLE out (auction BIGINT) WITH ('connector' = 'filesystem', 'format' = 'json',
  'path' = ')" + blocker + R"(/out');
INSERT INTO out SELECT auction FROM bids;
)");
  Outcome outcome = RunSluice("run " + file);
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_LT(outcome.exit_code, 128);
  EXPECT_NE(outcome.output.find(blocker), std::string::npos) << outcome.output;
}

TEST_F(CliTest, BadFlagsAreUsageErrors) {
  EXPECT_EQ(RunSluice("run").exit_code, 2);
  EXPECT_EQ(RunSluice("run x.pipe --jit maybe").exit_code, 2);
  EXPECT_EQ(RunSluice("run x.pipe --parallelism 0").exit_code, 2);
  EXPECT_EQ(RunSluice("frobnicate").exit_code, 2);
  Outcome help = RunSluice("run --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--parallelism"), std::string::npos);
}

TEST_F(CliTest, PipeAndSelectSpellingsGiveTheSamePlanJson) {
  fs::path examples = fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark";
  Outcome select = RunSluice("explain --format json " + (examples / "q2.pipe").string());
  Outcome pipe = RunSluice("explain --format json " + (examples / "q2_pipe.pipe").string());
  ASSERT_EQ(select.exit_code, 0) << select.output;
  ASSERT_EQ(pipe.exit_code, 0) << pipe.output;
  // The job name comes from the file name; everything else must be identical.
  auto strip_name = [](std::string text) {
    size_t begin = text.find("\"job_name\"");
    size_t end = text.find('\n', begin);
    return text.erase(begin, end - begin);
  };
  EXPECT_EQ(strip_name(select.output), strip_name(pipe.output));
  EXPECT_NE(select.output.find("\"uid\": \"nexmark_q2/calc\""), std::string::npos);
  EXPECT_NE(select.output.find("\"uid\": \"source/datagen\""), std::string::npos);
  EXPECT_NE(select.output.find("\"uid\": \"sink/nexmark_q2\""), std::string::npos);
}

TEST_F(CliTest, JitOnAndOffGiveIdenticalOutput) {
  std::string file = Write("jit.pipe", R"(CREATE TABLE s (a BIGINT, b DOUBLE, c VARCHAR) WITH (
  'connector' = 'datagen', 'number-of-rows' = '3000', 'seed' = '7', 'rows-per-second' = '0',
  'fields.c.length' = '5', 'fields.b.min' = '-100', 'fields.b.max' = '100',
  'fields.a.min' = '-50', 'fields.a.max' = '50');
CREATE TABLE out (x BIGINT, y DOUBLE, z VARCHAR, w BOOLEAN) WITH ('connector' = 'print');
INSERT INTO out SELECT a / 3 + MOD(a, 7), b * a - 1.5, UPPER(c) || CAST(a AS VARCHAR),
  CASE WHEN b > 0 THEN a > 10 ELSE NULL END FROM s WHERE a <> 0 OR b < 0;
)");
  Outcome on = RunSluice("run --jit on " + file);
  Outcome off = RunSluice("run --jit off " + file);
  ASSERT_EQ(on.exit_code, 0) << on.output;
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_GT(std::count(on.output.begin(), on.output.end(), '\n'), 1000);
  EXPECT_EQ(on.output, off.output);
}

// Feeds random and mutated scripts to `sluice explain` and `sluice run`: every one must end
// (the test's own timeout catches a hang) with a status below 128, i.e. without a crash.
TEST_F(CliTest, MutatedScriptsNeverCrashTheProcess) {
  std::vector<std::string> seeds;
  for (const char* name : {"q0.pipe", "q1.pipe", "q2.pipe", "q2_pipe.pipe"}) {
    std::ifstream in(fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / name);
    std::stringstream text;
    text << in.rdbuf();
    seeds.push_back(text.str());
  }
  seeds.push_back(std::string(kBids) +
                  "CREATE TABLE out (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');\n"
                  "INSERT INTO out SELECT auction, price FROM bids WHERE price > 1;\n");
  std::mt19937 random(42);
  const std::string alphabet = "abcXYZ019 ,;()'`|>*+-/=<.\n\t\"_%";
  int rejected = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string text = seeds[random() % seeds.size()];
    int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations && !text.empty(); ++m) {
      size_t position = random() % text.size();
      switch (random() % 4) {
        case 0: text[position] = alphabet[random() % alphabet.size()]; break;
        case 1: text.erase(position, 1 + random() % 20); break;
        case 2:
          text.insert(position, text.substr(random() % text.size(), 1 + random() % 30));
          break;
        case 3: text.resize(position); break;
      }
    }
    // Keep the jobs small: no mutation may turn a test into a long run.
    size_t events = text.find("'events.num' = '1000000'");
    if (events != std::string::npos) text.replace(events, 24, "'events.num' = '1000'");
    std::string file = Write("fuzz.pipe", text);
    Outcome outcome = RunSluice((i % 2 ? "run --jit off " : "explain ") + file);
    ASSERT_GE(outcome.exit_code, 0) << text;
    ASSERT_LT(outcome.exit_code, 128) << "crashed on:\n" << text << "\n" << outcome.output;
    if (outcome.exit_code != 0) ++rejected;
  }
  EXPECT_GT(rejected, 300);
}

// ---- sluice savepoint ------------------------------------------------------------------------

const char* kGroupCounts =
    R"(CREATE TABLE bids (auction BIGINT, bidder VARCHAR, price BIGINT) WITH ('connector' = 'values');
INSERT INTO bids VALUES (1, 'ann', 10), (2, 'bob', 20), (1, 'cy', 30), (3, 'ann', 5);
CREATE TABLE out (auction BIGINT, total BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
)";

/// Runs kGroupCounts at `parallelism` with the hidden --savepoint-at-end flag.
std::string TakeSavepoint(const fs::path& directory, const std::string& file, int parallelism) {
  std::string savepoint = (directory / ("sp-p" + std::to_string(parallelism))).string();
  Outcome outcome = RunSluice("run " + file + " -p " + std::to_string(parallelism) +
                              " --savepoint-at-end " + savepoint);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  return savepoint;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST_F(CliTest, SavepointInspectListsOperatorsStatesAndKeyGroups) {
  std::string savepoint = TakeSavepoint(directory_, Write("agg.pipe", kGroupCounts), 2);
  Outcome outcome = RunSluice("savepoint inspect " + savepoint);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* expected :
       {"  job:             agg\n", "  format:          canonical (format version 1)\n",
        "  engine version:  0.1.0\n", "  max parallelism: 128\n",
        "operator out/group-aggregate1 (group-aggregate, parallelism 2)\n",
        "  state groups  signature ", "  3 entries, ",
        "    key ($0 BIGINT)  namespace none  value ($agg0 BIGINT, $agg1 BIGINT)\n",
        "    key groups 0-63: 2 entries, ", "    key groups 64-127: 1 entries, ",
        "state/2_out_group-aggregate1/groups.kg64-127\n"}) {
    EXPECT_NE(outcome.output.find(expected), std::string::npos) << expected << outcome.output;
  }
  Outcome json = RunSluice("savepoint inspect " + savepoint + " --format json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"uid\": \"out/group-aggregate1\""), std::string::npos)
      << json.output;
  EXPECT_NE(json.output.find("\"first_key_group\": 64"), std::string::npos) << json.output;
  EXPECT_EQ(Count(json.output, "\"entries\": 1,"), 1u) << json.output;
}

TEST_F(CliTest, SavepointReadPrintsTheSameStateAtAnyParallelism) {
  std::string file = Write("agg.pipe", kGroupCounts);
  Outcome one = RunSluice("savepoint read " + TakeSavepoint(directory_, file, 1) +
                          " --uid out/group-aggregate1");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(Count(one.output, "\n"), 3u) << one.output;
  for (const char* key : {"\"key\":{\"$0\":1}", "\"key\":{\"$0\":2}", "\"key\":{\"$0\":3}"}) {
    EXPECT_EQ(Count(one.output, key), 1u) << key << one.output;
  }
  EXPECT_EQ(Count(one.output, "{\"state\":\"groups\",\"key_group\":"), 3u) << one.output;
  EXPECT_EQ(Count(one.output, "\"namespace\":null,\"value\":{\"hex\":\""), 3u) << one.output;
  Outcome three = RunSluice("savepoint read " + TakeSavepoint(directory_, file, 3) +
                            " --uid out/group-aggregate1 --state groups");
  EXPECT_EQ(three.exit_code, 0) << three.output;
  EXPECT_EQ(three.output, one.output);
}

TEST_F(CliTest, NativeSavepointReadsLikeACanonicalOne) {
  std::string file = Write("agg.pipe", kGroupCounts);
  std::string native = (directory_ / "native").string();
  Outcome run =
      RunSluice("run " + file + " -p 2 --set state.backend.type=rocksdb --savepoint-at-end " +
                native + " --savepoint-format native");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  Outcome inspect = RunSluice("savepoint inspect " + native);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("  format:          native (format version 1)\n"),
            std::string::npos)
      << inspect.output;
  EXPECT_NE(inspect.output.find("    key groups 64-127: 1 entries, 41 bytes  native/1\n"),
            std::string::npos)
      << inspect.output;
  Outcome read = RunSluice("savepoint read " + native + " --uid out/group-aggregate1");
  EXPECT_EQ(read.exit_code, 0) << read.output;
  Outcome canonical = RunSluice("savepoint read " + TakeSavepoint(directory_, file, 2) +
                                " --uid out/group-aggregate1");
  EXPECT_EQ(read.output, canonical.output);
  EXPECT_EQ(Count(read.output, "\n"), 3u) << read.output;
}

TEST_F(CliTest, SavepointErrorsNameTheFileOrCause) {
  std::string savepoint = TakeSavepoint(directory_, Write("agg.pipe", kGroupCounts), 2);
  Outcome uid = RunSluice("savepoint read " + savepoint + " --uid nope");
  EXPECT_EQ(uid.exit_code, 2);
  EXPECT_EQ(uid.output, "sluice: error: savepoint '" + savepoint +
                            "' has no operator with UID 'nope' (stateful UIDs: "
                            "out/group-aggregate1)\n");
  Outcome state =
      RunSluice("savepoint read " + savepoint + " --uid out/group-aggregate1 --state x");
  EXPECT_EQ(state.exit_code, 2);
  EXPECT_NE(state.output.find("has no state 'x' (states: groups)"), std::string::npos)
      << state.output;

  fs::path file = fs::path(savepoint) / "state/2_out_group-aggregate1/groups.kg0-63";
  {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(static_cast<std::streamoff>(fs::file_size(file) - 40));
    stream.put('\x7f');
  }
  for (const std::string& arguments :
       {"savepoint inspect " + savepoint, "savepoint read " + savepoint + " --uid x"}) {
    Outcome flipped = RunSluice(arguments);
    EXPECT_EQ(flipped.exit_code, 2);
    EXPECT_NE(flipped.output.find("sluice: error: '" + file.string() + "' is corrupt: checksum"),
              std::string::npos)
        << flipped.output;
  }
  fs::remove(fs::path(savepoint) / "_metadata");
  Outcome missing = RunSluice("savepoint inspect " + savepoint);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "sluice: error: '" + savepoint + "/_metadata' is missing: '" +
                                savepoint + "' is not a savepoint or was not completed\n");
  Outcome nowhere = RunSluice("savepoint inspect " + (directory_ / "nowhere").string());
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_NE(nowhere.output.find("does not exist"), std::string::npos) << nowhere.output;
}

// ---- sluice check ----------------------------------------------------------------------------

const char* kTotals =
    R"(CREATE TABLE out (auction BIGINT, total BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT auction, SUM(price) FROM bids GROUP BY auction;
)";

TEST_F(CliTest, CheckSaysCompatibleWithExitZero) {
  std::string old_file = Write("old.pipe", std::string(kBids) + kTotals);
  std::string new_file = Write("new.pipe", "-- reformatted\n" + std::string(kBids) +
                                               "SET 'parallelism.default' = '3';\n" + kTotals);
  Outcome outcome = RunSluice("check " + new_file + " --against " + old_file);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("out/group-aggregate1"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("restored"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("compatible"), std::string::npos) << outcome.output;
}

TEST_F(CliTest, CheckOfAChangedKeyExitsOneWithAFix) {
  std::string old_file = Write("old.pipe", std::string(kBids) + kTotals);
  std::string changed = kTotals;
  changed.replace(changed.find("SELECT auction"), 14, "SELECT price");
  changed.replace(changed.find("BY auction"), 10, "BY price");
  std::string new_file = Write("new.pipe", std::string(kBids) + changed);
  Outcome outcome = RunSluice("check " + new_file + " --against " + old_file);
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("incompatible"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("fix:"), std::string::npos) << outcome.output;

  Outcome json = RunSluice("check " + new_file + " --against " + old_file + " --format json");
  EXPECT_EQ(json.exit_code, 1) << json.output;
  nlohmann::json parsed = nlohmann::json::parse(json.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << json.output;
  EXPECT_EQ(parsed["compatible"], false);
  bool found = false;
  for (const auto& op : parsed["operators"]) {
    ASSERT_TRUE(op.contains("uid") && op.contains("kind") && op.contains("reason") &&
                op["warnings"].is_array());
    if (op["uid"] == "out/group-aggregate1") {
      found = true;
      EXPECT_EQ(op["verdict"], "incompatible");
      EXPECT_EQ(op["kind"], "group-aggregate");
    }
  }
  EXPECT_TRUE(found) << json.output;
}

TEST_F(CliTest, CheckOfARemovedStatementExitsOne) {
  std::string old_file = Write("old.pipe", std::string(kBids) + kTotals);
  std::string new_file = Write("new.pipe", std::string(kBids) + R"(
CREATE TABLE other (auction BIGINT) WITH ('connector' = 'print');
INSERT INTO other SELECT auction FROM bids;
)");
  Outcome outcome = RunSluice("check " + new_file + " --against " + old_file + " --format json");
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("\"dropped\""), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("--allow-dropped-state"), std::string::npos) << outcome.output;
}

TEST_F(CliTest, CheckNamesTheFileWithTheCompileError) {
  std::string old_file = Write("old.pipe", std::string(kBids) + kTotals);
  std::string bad = Write("bad.pipe", std::string(kBids) +
                                          "CREATE TABLE out (a BIGINT) WITH ('connector' = "
                                          "'print');\nINSERT INTO out SELECT nosuch FROM bids;\n");
  Outcome outcome = RunSluice("check " + bad + " --against " + old_file);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find(bad + ":4:"), std::string::npos) << outcome.output;
  // A broken OLD file names itself too.
  Outcome old_broken = RunSluice("check " + old_file + " --against " + bad);
  EXPECT_EQ(old_broken.exit_code, 2) << old_broken.output;
  EXPECT_NE(old_broken.output.find(bad + ":4:"), std::string::npos) << old_broken.output;
}

TEST_F(CliTest, CheckUsageErrorsExitTwo) {
  std::string old_file = Write("old.pipe", std::string(kBids) + kTotals);
  EXPECT_EQ(RunSluice("check " + old_file).exit_code, 2);  // no --against
  EXPECT_EQ(RunSluice("check " + old_file + " --against " + old_file + " --format xml").exit_code,
            2);
  EXPECT_EQ(RunSluice("check missing.pipe --against " + old_file).exit_code, 2);
  Outcome snapshot = RunSluice("check " + old_file + " --against " + directory_.string());
  EXPECT_EQ(snapshot.exit_code, 2) << snapshot.output;
  EXPECT_NE(snapshot.output.find("_metadata' is missing"), std::string::npos) << snapshot.output;
}

TEST_F(CliTest, CheckAgainstASavepointGivesTheVerdictsOfItsPlan) {
  std::string old_file = Write("agg.pipe", kGroupCounts);
  std::string savepoint = TakeSavepoint(directory_, old_file, 2);
  Outcome same = RunSluice("check " + old_file + " --against " + savepoint);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("out/group-aggregate1"), std::string::npos) << same.output;
  // A changed group key: the savepoint's plan says the state is keyed by auction.
  std::string changed = kGroupCounts;
  changed.replace(changed.find("GROUP BY auction"), 16, "GROUP BY price");
  changed.replace(changed.find("SELECT auction"), 14, "SELECT price");
  fs::create_directories(directory_ / "v2");
  std::string new_file = Write("v2/agg.pipe", changed);  // the same job: its name is "agg"
  Outcome against_savepoint = RunSluice("check " + new_file + " --against " + savepoint);
  Outcome against_file = RunSluice("check " + new_file + " --against " + old_file);
  EXPECT_EQ(against_savepoint.exit_code, 1) << against_savepoint.output;
  EXPECT_EQ(against_savepoint.output, against_file.output);
  // A savepoint of another job, named explicitly, is checked by operator UID, with a note.
  std::string other = Write("other.pipe", changed);
  Outcome other_job = RunSluice("check " + other + " --against " + savepoint);
  EXPECT_EQ(other_job.exit_code, 1) << other_job.output;
  std::string note = "sluice: note: the snapshot '" + savepoint +
                     "' is of job 'agg'; checking 'other' against it by operator UID\n";
  ASSERT_EQ(other_job.output.rfind(note, 0), 0u) << other_job.output;
  EXPECT_EQ(other_job.output.substr(note.size()), against_file.output);
}

TEST_F(CliTest, ExplainUpgradeFromASavepointPrintsTheCheck) {
  std::string old_file = Write("agg.pipe", kGroupCounts);
  std::string savepoint = TakeSavepoint(directory_, old_file, 1);
  std::string added = kGroupCounts;
  added.replace(added.find("COUNT(*) FROM"), 13, "COUNT(*), MAX(price) FROM");
  added.replace(added.find("n BIGINT)"), 9, "n BIGINT, top BIGINT)");
  fs::create_directories(directory_ / "v2");
  std::string new_file =
      Write("v2/agg.pipe", added + "EXPLAIN UPGRADE FROM '" + savepoint + "';\n");
  Outcome outcome = RunSluice("explain " + new_file);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("== Upgrade from " + savepoint + " =="), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("migrated"), std::string::npos) << outcome.output;
  EXPECT_NE(
      outcome.output.find(
          "MAX(bids.price) added: starts empty (NULL until a row arrives) from the restore point"),
      std::string::npos)
      << outcome.output;
  std::string broken =
      Write("v2/broken.pipe", "EXPLAIN UPGRADE FROM '" + directory_.string() + "/nowhere';\n");
  Outcome error = RunSluice("explain " + broken);
  EXPECT_EQ(error.exit_code, 2) << error.output;
  EXPECT_NE(error.output.find("broken.pipe:1:22: error:"), std::string::npos) << error.output;
}

// ---- hostile paths: clear errors, never a crash ---------------------------------------------

/// Whether the process ended by itself with `code` (not by a signal, as an escaped exception
/// would end it).
void ExpectExit(const Outcome& outcome, int code, const std::string& what) {
  EXPECT_EQ(outcome.exit_code, code) << what << ": " << outcome.output;
}

TEST_F(CliTest, OverlongSnapshotPathsAreClearErrorsWithExitTwo) {
  std::string file = Write("agg.pipe", kGroupCounts);
  // ENAMETOOLONG: std::filesystem's throwing overloads would abort the process here.
  std::string overlong = "/" + std::string(5000, 'x');
  for (const std::string& arguments :
       {"run " + file + " --from " + overlong, "savepoint inspect " + overlong,
        "savepoint read " + overlong + " --uid out/group-aggregate1",
        "check " + file + " --against " + overlong}) {
    Outcome outcome = RunSluice(arguments);
    ExpectExit(outcome, 2, arguments.substr(0, 40));
    EXPECT_NE(outcome.output.find(overlong), std::string::npos)
        << "the error names the path: " << outcome.output.substr(0, 200);
    EXPECT_NE(outcome.output.find("File name too long"), std::string::npos)
        << outcome.output.substr(0, 200);
  }
  std::string upgrade = Write(
      "upgrade.pipe", std::string(kGroupCounts) + "EXPLAIN UPGRADE FROM '" + overlong + "';\n");
  Outcome explain = RunSluice("explain " + upgrade);
  ExpectExit(explain, 2, "EXPLAIN UPGRADE FROM");
  EXPECT_NE(explain.output.find("upgrade.pipe:5:22: error: cannot read savepoint directory '" +
                                overlong + "': File name too long"),
            std::string::npos)
      << explain.output.substr(0, 300);
}

TEST_F(CliTest, UnreadableSnapshotPathsAreClearErrorsWithExitTwo) {
  // Tests run as root, so a directory without permission would still be readable. A symbolic
  // link to itself fails for root too (ELOOP), which std::filesystem's throwing overloads turn
  // into an exception.
  std::string file = Write("agg.pipe", kGroupCounts);
  fs::path loop = directory_ / "loop";
  fs::create_symlink(loop, loop);
  for (const std::string& snapshot : {loop.string(), (loop / "savepoint").string()}) {
    for (const std::string& arguments :
         {"run " + file + " --from " + snapshot, "savepoint inspect " + snapshot,
          "savepoint read " + snapshot + " --uid out/group-aggregate1"}) {
      Outcome outcome = RunSluice(arguments);
      ExpectExit(outcome, 2, arguments);
      EXPECT_NE(outcome.output.find("sluice: error: cannot read savepoint directory '" + snapshot +
                                    "': Too many levels of symbolic links"),
                std::string::npos)
          << outcome.output;
    }
  }
  // A path through a regular file does not exist; a regular file is not a snapshot.
  std::string through_file = file + "/savepoint";
  Outcome missing = RunSluice("savepoint inspect " + through_file);
  ExpectExit(missing, 2, "inspect through a file");
  EXPECT_NE(missing.output.find("'" + through_file + "' does not exist"), std::string::npos)
      << missing.output;
  Outcome not_directory = RunSluice("savepoint inspect " + file);
  ExpectExit(not_directory, 2, "inspect a file");
  EXPECT_EQ(not_directory.output,
            "sluice: error: '" + file + "' is not a directory, so not a savepoint\n");
  // Writing a savepoint there fails naming the path, not with an abort.
  Outcome write = RunSluice("run " + file + " --savepoint-at-end " + through_file);
  EXPECT_NE(write.exit_code, 0) << write.output;
  EXPECT_LT(write.exit_code, 128) << write.output;
  EXPECT_NE(write.output.find(through_file), std::string::npos) << write.output;
}

TEST_F(CliTest, AnExceptionThatReachesMainIsReportedWithItsCause) {
  // With $TMPDIR naming a file, std::filesystem::temp_directory_path() throws (the default
  // checkpoint directory of --resume is under it). Whatever throws, main reports the cause and
  // exits with a status, never SIGABRT.
  std::string file = Write("agg.pipe", kGroupCounts);
  std::string command =
      "env TMPDIR=" + file + " " + std::string(SLUICE_BINARY) + " run " + file + " --resume 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, read);
  int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << output;
  // (Should the default directory stop throwing, the job simply runs: also no crash.)
  if (WEXITSTATUS(status) != 0) {
    EXPECT_NE(output.find("sluice: error: "), std::string::npos) << output;
    EXPECT_NE(output.find("Not a directory"), std::string::npos) << "says the cause: " << output;
  }
}

// ---- reading a plan runs no code -------------------------------------------------------------

TEST_F(CliTest, ReadingASnapshotLoadsNoUserFunctionLibrary) {
  // A copy of libsluice_udf_marker.so, whose constructor appends to $SLUICE_UDF_MARKER.
  fs::path library = directory_ / "libmarker.so";
  fs::copy_file(fs::path(SLUICE_BINARY).parent_path() / "libsluice_udf_marker.so", library);
  fs::path marker = directory_ / "loaded.txt";
  setenv("SLUICE_UDF_MARKER", marker.string().c_str(), 1);
  std::string calling = kGroupCounts;
  calling.replace(calling.find("SUM(price)"), 10, "SUM(plus_one(price))");
  std::string old_file = Write("orders.pipe", "CREATE FUNCTION plus_one AS '" + library.string() +
                                                  ":plus_one';\n" + calling);
  std::string savepoint = (directory_ / "sp").string();
  Outcome run = RunSluice("run " + old_file + " --savepoint-at-end " + savepoint);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(fs::exists(marker)) << "running the job loads the library (the test can fail)";
  fs::remove(marker);
  // The new job no longer calls the function: nothing it compiles loads the library.
  std::string new_file = Write("orders_v2.pipe", kGroupCounts);
  auto nothing_loaded = [&](const std::string& what) {
    EXPECT_FALSE(fs::exists(marker)) << what << " loaded the snapshot's UDF library";
    fs::remove(marker);
  };
  Outcome inspect = RunSluice("savepoint inspect " + savepoint);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  nothing_loaded("savepoint inspect");
  Outcome read = RunSluice("savepoint read " + savepoint + " --uid out/group-aggregate1");
  EXPECT_EQ(read.exit_code, 0) << read.output;
  nothing_loaded("savepoint read");
  Outcome check = RunSluice("check " + new_file + " --against " + savepoint);
  EXPECT_NE(check.exit_code, 2) << check.output;
  EXPECT_NE(check.output.find("out/group-aggregate1"), std::string::npos) << check.output;
  nothing_loaded("check --against");
  Outcome restore = RunSluice("run " + new_file + " --from " + savepoint);
  EXPECT_NE(restore.exit_code, 2) << restore.output;
  EXPECT_EQ(restore.output.find("cannot load"), std::string::npos) << restore.output;
  nothing_loaded("run --from (restore verification)");

  // With the library gone, the snapshot still reads: inspect and check need no library.
  fs::remove(library);
  Outcome inspect_gone = RunSluice("savepoint inspect " + savepoint);
  EXPECT_EQ(inspect_gone.exit_code, 0) << inspect_gone.output;
  Outcome check_gone = RunSluice("check " + new_file + " --against " + savepoint);
  EXPECT_EQ(check_gone.exit_code, check.exit_code) << check_gone.output;
  EXPECT_EQ(check_gone.output, check.output);
  unsetenv("SLUICE_UDF_MARKER");
}

// ---- snapshots of another job, state that holds nothing --------------------------------------

TEST_F(CliTest, ASnapshotNamedExplicitlyRestoresIntoARenamedJobByUid) {
  std::string v1 = Write("orders_v1.pipe", kGroupCounts);
  std::string savepoint = (directory_ / "sp-v1").string();
  ASSERT_EQ(RunSluice("run " + v1 + " --savepoint-at-end " + savepoint).exit_code, 0);
  // v2 has another last row: a fresh run of it ends with other totals than v1's.
  std::string v2_text = kGroupCounts;
  ASSERT_NE(v2_text.find("(3, 'ann', 5)"), std::string::npos);
  v2_text.replace(v2_text.find("(3, 'ann', 5)"), 13, "(3, 'ann', 7)");
  std::string v2 = Write("orders_v2.pipe", v2_text);
  std::string carried = (directory_ / "sp-v2").string();
  Outcome restored =
      RunSluice("run " + v2 + " --from " + savepoint + " --savepoint-at-end " + carried);
  EXPECT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_NE(restored.output.find("sluice: note: the snapshot '" + savepoint +
                                 "' is of job 'orders_v1'; restoring into 'orders_v2' by "
                                 "operator UID\n"),
            std::string::npos)
      << restored.output;
  EXPECT_NE(restored.output.find("sluice: restoring job 'orders_v2' from " + savepoint),
            std::string::npos)
      << restored.output;
  // The state went over by UID: the restored run ends with v1's totals, since
  // --savepoint-at-end records the sources' final positions (every split finished: nothing is
  // read again); a fresh run of v2 ends with its own.
  std::string fresh = (directory_ / "sp-fresh").string();
  ASSERT_EQ(RunSluice("run " + v2 + " --savepoint-at-end " + fresh).exit_code, 0);
  Outcome before = RunSluice("savepoint read " + savepoint + " --uid out/group-aggregate1");
  Outcome without = RunSluice("savepoint read " + fresh + " --uid out/group-aggregate1");
  Outcome after = RunSluice("savepoint read " + carried + " --uid out/group-aggregate1");
  EXPECT_EQ(before.exit_code, 0) << before.output;
  EXPECT_EQ(Count(before.output, "\n"), 3u) << before.output;
  EXPECT_NE(without.output, before.output);
  EXPECT_EQ(after.output, before.output) << "v1's state was not restored as it was";

  // check --against the snapshot: compatible, with the same note.
  Outcome check = RunSluice("check " + v2 + " --against " + savepoint);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("sluice: note: the snapshot '" + savepoint +
                              "' is of job 'orders_v1'; checking 'orders_v2' against it"),
            std::string::npos)
      << check.output;
  // The same job name: no note.
  Outcome same = RunSluice("check " + v1 + " --against " + savepoint);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_EQ(same.output.find("note:"), std::string::npos) << same.output;
}

TEST_F(CliTest, ResumeStillFindsOnlyItsOwnJobsCheckpoints) {
  std::string checkpoints = (directory_ / "checkpoints").string();
  std::string v1 = Write("orders_v1.pipe", kGroupCounts);
  Outcome first = RunSluice("run " + v1 + " --set execution.checkpointing.interval=1s " +
                            "--checkpoint-dir " + checkpoints);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  Outcome again = RunSluice("run " + v1 + " --resume --checkpoint-dir " + checkpoints);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("sluice: restoring job 'orders_v1' from " + checkpoints +
                              "/orders_v1/chk-"),
            std::string::npos)
      << again.output;
  std::string v2 = Write("orders_v2.pipe", kGroupCounts);
  Outcome other = RunSluice("run " + v2 + " --resume --checkpoint-dir " + checkpoints);
  EXPECT_EQ(other.exit_code, 0) << other.output;
  EXPECT_NE(other.output.find("no completed checkpoint of job 'orders_v2'"), std::string::npos)
      << other.output;
  // 'orders v1' keeps its checkpoints in the same directory as 'orders_v1' (JobFileName): they
  // are skipped, by their job name, not taken for its own.
  std::string spaced =
      Write("spaced.pipe", std::string(kGroupCounts) + "SET 'pipeline.name' = 'orders v1';\n");
  Outcome shared = RunSluice("run " + spaced + " --resume --checkpoint-dir " + checkpoints);
  EXPECT_EQ(shared.exit_code, 0) << shared.output;
  EXPECT_NE(shared.output.find("it is of job 'orders_v1', not 'orders v1', which share this "
                               "checkpoint directory"),
            std::string::npos)
      << shared.output;
  EXPECT_NE(shared.output.find("no completed checkpoint of job 'orders v1'"), std::string::npos)
      << shared.output;
}

const char* kTotalsAndAudit =
    R"(CREATE TABLE out (auction BIGINT, total BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
)";
const char* kAudit =
    R"(CREATE TABLE audit (auction BIGINT, price BIGINT) WITH ('connector' = 'print');
INSERT INTO audit SELECT auction, price FROM bids WHERE price > 15;
)";

TEST_F(CliTest, ASinkWithoutPendingOutputIsDroppedWithoutBlockingTheUpgrade) {
  const std::string bids =
      "CREATE TABLE bids (auction BIGINT, bidder VARCHAR, price BIGINT) WITH ('connector' = "
      "'values');\nINSERT INTO bids VALUES (1, 'ann', 10), (2, 'bob', 20), (1, 'cy', 30);\n";
  std::string old_file = Write("orders.pipe", bids + kTotalsAndAudit + kAudit);
  fs::create_directories(directory_ / "v2");
  std::string new_file = Write("v2/orders.pipe", bids + kTotalsAndAudit);
  // Against the old file nobody knows what the sink had pending: not compatible, and the line
  // says when its output would be lost.
  Outcome against_file = RunSluice("check " + new_file + " --against " + old_file);
  EXPECT_EQ(against_file.exit_code, 1) << against_file.output;
  EXPECT_NE(against_file.output.find("its pending output is lost unless the old job was stopped "
                                     "with a savepoint"),
            std::string::npos)
      << against_file.output;
  // A savepoint of the old job holds no pending output for sink/audit (no transactions, as
  // after a stop-with-savepoint): compatible, no flag needed.
  std::string savepoint = (directory_ / "sp").string();
  Outcome run = RunSluice("run " + old_file + " --savepoint-at-end " + savepoint);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  Outcome against_savepoint = RunSluice("check " + new_file + " --against " + savepoint);
  EXPECT_EQ(against_savepoint.exit_code, 0) << against_savepoint.output;
  EXPECT_NE(against_savepoint.output.find("the snapshot holds no pending output for it: nothing "
                                          "is lost"),
            std::string::npos)
      << against_savepoint.output;
  EXPECT_NE(against_savepoint.output.find("compatible: the new job can restore the old state"),
            std::string::npos)
      << against_savepoint.output;
  Outcome json = RunSluice("check " + new_file + " --against " + savepoint + " --format json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json parsed = nlohmann::json::parse(json.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << json.output;
  EXPECT_EQ(parsed["compatible"], true);
  // And the restore goes ahead without --allow-dropped-state, discarding nothing.
  Outcome restore = RunSluice("run " + new_file + " --from " + savepoint);
  EXPECT_EQ(restore.exit_code, 0) << restore.output;
  EXPECT_NE(restore.output.find("sluice: restoring job 'orders' from " + savepoint),
            std::string::npos)
      << restore.output;
  EXPECT_EQ(restore.output.find("discarding the state"), std::string::npos) << restore.output;
}

}  // namespace
