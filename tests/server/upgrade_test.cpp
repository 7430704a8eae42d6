// `sluice upgrade` on a running server: the committed output is the old version's up to one
// cut and the new version's after it (nothing lost, nothing twice), also at parallelism 2
// through a windowed aggregate, also when the server is killed at random moments during the
// upgrade; a refused upgrade and a dry run touch nothing; a new version that cannot start
// gives way to the old one.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_fixture.h"

namespace sluice {
namespace {

using namespace server_test;  // NOLINT: the fixture and jobs shared by the server's tests

/// A version of `pipe` that compiles and passes the check but cannot start: its new source's
/// directory `missing` does not exist.
std::string FailingVersion(std::string pipe, const fs::path& missing) {
  pipe.replace(pipe.find("INSERT INTO"), 0,
               "CREATE TABLE side (a BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
                   missing.string() + "', 'format' = 'json');\n");
  pipe.replace(pipe.rfind(';'), 1, " UNION ALL SELECT a, a FROM side;");
  return pipe;
}

class UpgradeTest : public ServerTest {
 protected:
  /// Waits until the job runs and has completed `checkpoints` checkpoints.
  bool AwaitCheckpoints(const std::string& id, int checkpoints = 2) {
    return server_.WaitForJob(id, [checkpoints](const json& job) {
      return job.value("state", "") == "RUNNING" &&
             job["checkpoints"].value("completed", 0) >= checkpoints;
    });
  }
  bool AwaitFinished(const std::string& id) {
    return server_.WaitForJob(id,
                              [](const json& job) { return job.value("state", "") == "FINISHED"; });
  }
};

TEST_F(UpgradeTest, TheOutputIsTheOldVersionsUpToTheCutAndTheNewOnesAfter) {
  StartServer();
  const int64_t rows = 40000;
  const std::string id = Submit(SequenceJob(directory_ / "a", rows, 8000), "seq.pipe");
  ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
  std::string out, err;
  const std::string v2 = Write("seq-v2.pipe", SequenceJobV2(directory_ / "a", rows, 8000));
  // --dry-run: the verdicts, nothing else.
  ASSERT_EQ(Client({"upgrade", id, v2, "--dry-run"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("source/src"), std::string::npos) << out;
  EXPECT_NE(err.find("would upgrade to version 2"), std::string::npos) << err;
  EXPECT_EQ(Job(id).value("version", 0), 1);

  ASSERT_EQ(Client({"upgrade", id, v2}, &out, &err), 0) << err << server_.Log();
  EXPECT_NE(err.find("upgraded from version 1 to 2"), std::string::npos) << err;
  ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
  const int64_t cut = CheckSequenceCut(directory_ / "a", rows);
  EXPECT_GT(cut, 0);
  EXPECT_LT(cut, rows) << "the job ended before the upgrade: nothing was tested";
  json job = Job(id);
  EXPECT_EQ(job.value("version", 0), 2);
  ASSERT_EQ(job["upgrades"].size(), 1u) << job.dump(2);
  const json& upgrade = job["upgrades"][0];
  EXPECT_EQ(upgrade.value("phase", ""), "done") << upgrade.dump(2);
  EXPECT_TRUE(upgrade.contains("savepoint")) << upgrade.dump(2);
  EXPECT_TRUE(upgrade.contains("gap_millis")) << upgrade.dump(2);
  EXPECT_NE(job.value("run_id", ""), id) << "the new version runs under a run id of its own";
}

// Version 1 tags its rows 'v1', version 2 'v2' and drops windows with a single bid (an
// added filter); the window state (keys, accumulators) carries over, in memory and in RocksDB
// (where the handover savepoint is native: the new version starts from its files).
class WindowUpgradeTest : public UpgradeTest, public ::testing::WithParamInterface<const char*> {};

INSTANTIATE_TEST_SUITE_P(Backends, WindowUpgradeTest, ::testing::Values("memory", "rocksdb"));

TEST_P(WindowUpgradeTest, AWindowedAggregateAtParallelismTwoKeepsItsWindowsAcrossTheCut) {
  const std::string backend = GetParam();
  auto job = [&](const std::string& tag, const std::string& having) {
    std::string pipe = "SET 'state.backend.type' = '" + backend + "';\n" +
                       WindowJob(directory_ / "w", 30000, 5000);
    pipe.replace(pipe.find("top BIGINT)"), 11, "top BIGINT, ver STRING)");
    pipe.replace(pipe.find("MAX(price) AS top"), 17, "MAX(price) AS top, '" + tag + "' AS ver");
    pipe.replace(pipe.rfind(';'), 1, having + ";");
    return pipe;
  };
  std::string expected_log;
  std::string reference = WindowJob(directory_ / "expected", 30000, 0);
  ASSERT_EQ(RunProcess({SLUICE_BINARY, "run", "-p", "2", Write("expected.pipe", reference)},
                       nullptr, &expected_log),
            0)
      << expected_log;
  std::map<std::string, int64_t> expected;  // "auction window_end" -> bids
  for (const std::string& line : Committed(directory_ / "expected")) {
    json row = json::parse(line);
    expected[row["auction"].dump() + " " + row["window_end"].dump()] = row["bids"].get<int64_t>();
  }
  StartServer();
  const std::string id = Submit(job("v1", ""), "windows.pipe", /*parallelism=*/2);
  ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
  // Some windows fired (and committed) by version 1 first.
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job["checkpoints"].value("completed", 0) >= 4 && job.value("rows_out", 0) > 100;
  })) << server_.Log();
  json request = {{"pipe", job("v2", " HAVING COUNT(*) > 1")}, {"name", "windows.pipe"}};
  CurlReply reply = Curl("POST", server_.Url() + "/v1/jobs/" + id + "/upgrade", request.dump());
  ASSERT_EQ(reply.status, 200) << reply.body << server_.Log();
  ASSERT_TRUE(AwaitFinished(id)) << server_.Log();

  std::map<std::string, int64_t> seen;
  std::string last_v1, first_v2;
  int v1 = 0, v2 = 0;
  for (const std::string& line : Committed(directory_ / "w")) {
    json row = json::parse(line);
    std::string key = row["auction"].dump() + " " + row["window_end"].dump();
    EXPECT_EQ(seen.count(key), 0u) << "window written twice: " << line;
    seen[key] = row["bids"].get<int64_t>();
    ASSERT_TRUE(expected.count(key)) << "a window the reference run has not: " << line;
    EXPECT_EQ(seen[key], expected[key]) << line;
    std::string end = row["window_end"].get<std::string>();
    if (row["ver"] == "v1") {
      ++v1;
      last_v1 = std::max(last_v1, end);
    } else {
      ++v2;
      EXPECT_GT(row["bids"].get<int64_t>(), 1) << "version 2 drops single-bid windows: " << line;
      first_v2 = first_v2.empty() ? end : std::min(first_v2, end);
    }
  }
  EXPECT_GT(v1, 0);
  EXPECT_GT(v2, 0) << "the job ended before the upgrade: nothing was tested";
  EXPECT_LT(last_v1, first_v2) << "every window fired by one version: the old before the cut";
  for (const auto& [key, bids] : expected) {
    if (!seen.count(key)) EXPECT_EQ(bids, 1) << "window lost: " << key;
  }
  const json upgrade = Job(id)["upgrades"].back();
  const json metadata =
      json::parse(ReadFile(fs::path(upgrade.value("savepoint", "")) / "_metadata"), nullptr, false);
  ASSERT_FALSE(metadata.is_discarded()) << upgrade.dump(2);
  EXPECT_EQ(metadata.value("format", ""), backend == "rocksdb" ? "native" : "canonical");
}

TEST_F(UpgradeTest, TheNewVersionCatchesUpInShadowAndTakesOverAtTheCut) {
  StartServer();
  const int64_t rows = 40000;
  const std::string id = Submit(SequenceJob(directory_ / "a", rows, 6000), "seq.pipe");
  ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
  std::string out, err;
  const std::string v2 = Write("seq-v2.pipe", SequenceJobV2(directory_ / "a", rows, 6000));
  ASSERT_EQ(Client({"upgrade", id, v2, "--mode", "shadow", "--dry-run"}, &out, &err), 0) << err;
  EXPECT_NE(err.find("catching up in shadow"), std::string::npos) << err;
  ASSERT_EQ(Client({"upgrade", id, v2, "--mode", "shadow"}, &out, &err), 0) << err << server_.Log();
  EXPECT_NE(err.find("caught up in shadow"), std::string::npos) << err;
  ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
  const int64_t cut = CheckSequenceCut(directory_ / "a", rows);
  EXPECT_GT(cut, 0);
  EXPECT_LT(cut, rows) << "the job ended before the upgrade: nothing was tested";
  json job = Job(id);
  EXPECT_EQ(job.value("version", 0), 2);
  const json& upgrade = job["upgrades"][0];
  EXPECT_EQ(upgrade.value("mode", ""), "shadow") << upgrade.dump(2);
  EXPECT_EQ(upgrade.value("phase", ""), "done") << upgrade.dump(2);
  EXPECT_TRUE(upgrade.value("caught_up", false)) << upgrade.dump(2);
  EXPECT_GT(upgrade.value("rows_discarded", 0), 0) << "the catch-up wrote nothing visible";
  EXPECT_TRUE(upgrade.contains("handover_checkpoint")) << upgrade.dump(2);
  EXPECT_TRUE(upgrade.contains("gap_millis")) << upgrade.dump(2);
  std::vector<std::string> phases;
  for (const json& phase : upgrade["phases"]) phases.push_back(phase.value("phase", ""));
  EXPECT_EQ(phases,
            (std::vector<std::string>{"shadow", "catching up", "stopping", "cutting", "done"}))
      << upgrade.dump(2);
  // The cut the record names is the savepoint's, and the base savepoint is gone.
  EXPECT_TRUE(upgrade["cut"].contains("source/src")) << upgrade.dump(2);
  EXPECT_FALSE(fs::exists(upgrade.value("base_savepoint", "/nonexistent"))) << upgrade.dump(2);
}

TEST_F(UpgradeTest, AJobThatCannotCatchUpInShadowIsRefusedThatModeAndAutoChoosesTheSimpleForm) {
  StartServer();
  const int64_t rows = 1000000;
  // Processing-time windows: what a catch-up computes is not what the running version did.
  std::string pipe = SequenceJob(directory_ / "a", rows, 2000);
  pipe.replace(pipe.find("(a BIGINT) WITH ('connector' = 'datagen'"), 10,
               "(a BIGINT, p AS PROCTIME())");
  pipe = pipe.substr(0, pipe.find("INSERT INTO")) +
         "INSERT INTO out SELECT MAX(a), COUNT(*) FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(p), "
         "INTERVAL '1' SECOND)) GROUP BY window_start, window_end;\n";
  const std::string id = Submit(pipe, "seq.pipe");
  ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
  std::string v2 = pipe;
  v2.replace(v2.find("MAX(a)"), 6, "MIN(a)");
  std::string out, err;
  EXPECT_EQ(Client({"upgrade", id, Write("v2.pipe", v2), "--mode", "shadow"}, &out, &err), 1)
      << err;
  EXPECT_NE(err.find("processing-time windows"), std::string::npos) << err;
  json job = Job(id);
  EXPECT_EQ(job.value("state", ""), "RUNNING");
  EXPECT_EQ(job.value("version", 0), 1);
  EXPECT_FALSE(job.contains("upgrades") && !job["upgrades"].empty()) << job.dump(2);
  ASSERT_EQ(Client({"upgrade", id, Write("v2.pipe", v2), "--dry-run"}, &out, &err), 0) << err;
  EXPECT_NE(err.find("the simple handover"), std::string::npos) << err;
  Curl("POST", server_.Url() + "/v1/jobs/" + id + "/cancel");
}

class ShadowUpgradeTest : public UpgradeTest, public ::testing::WithParamInterface<const char*> {
 protected:
  static constexpr int64_t kEvents = 40000;

  /// Version `version` (1 or 2) of the job, reading nexmark at `rate` events/s (0: at once).
  std::string Job(int version, int64_t rate, const fs::path& out) const {
    std::string pipe = WindowJob(out / "w", kEvents, rate);
    pipe = pipe.substr(0, pipe.find("CREATE TABLE out"));
    const bool v2 = version == 2;
    const std::string tag = v2 ? "'v2'" : "'v1'";
    return "SET 'state.backend.type' = '" + std::string(GetParam()) + "';\n" + pipe +
           "CREATE TABLE w (auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, " +
           (v2 ? "total BIGINT, " : "") +
           "ver STRING) WITH ('connector' = 'filesystem', 'path' = '" + (out / "w").string() +
           "', 'format' = 'json');\n"
           "CREATE TABLE j (auction BIGINT, seller BIGINT, name STRING, ver STRING) WITH "
           "('connector' = 'filesystem', 'path' = '" +
           (out / "j").string() +
           "', 'format' = 'json');\n"
           "INSERT INTO w SELECT auction, window_end, COUNT(*) AS bids, " +
           (v2 ? "SUM(price) AS total, " : "") + tag +
           " AS ver\n"
           "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))\n"
           "GROUP BY auction, window_start, window_end" +
           (v2 ? " HAVING COUNT(*) > 1" : "") +
           ";\n"
           "INSERT INTO j SELECT A.id, A.seller, P.name, " +
           tag + " FROM auction AS A JOIN person AS P ON A.seller = P.id" +
           (v2 ? " WHERE MOD(A.id, 3) <> 0" : "") + ";\n";
  }

  /// Runs version 1 to its end without a server: the windows and joined pairs to expect.
  void RunReference() {
    std::string log;
    ASSERT_EQ(
        RunProcess({SLUICE_BINARY, "run", Write("reference.pipe", Job(1, 0, directory_ / "ref"))},
                   nullptr, &log),
        0)
        << log;
    for (const std::string& line : Committed(directory_ / "ref" / "w")) {
      json row = json::parse(line);
      windows_[row["auction"].dump() + " " + row["window_end"].dump()] = row["bids"].get<int64_t>();
    }
    for (const std::string& line : Committed(directory_ / "ref" / "j")) {
      json row = json::parse(line);
      pairs_[row["auction"].get<int64_t>()] = row["seller"].dump() + " " + row["name"].dump();
    }
    ASSERT_GT(windows_.size(), 100u);
    ASSERT_GT(pairs_.size(), 100u);
  }

  /// Waits until version 1 committed some windows (they fire once event time is 6 s on).
  bool AwaitWindows(const fs::path& out) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Committed(out / "w").size() < 20 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Committed(out / "w").size() >= 20;
  }

  /// Checks what the job committed under `out`: every window and every joined pair of the
  /// reference exactly once, version 1's before the cut and version 2's (with its filters)
  /// after it. Returns whether version 2 wrote any (the upgrade happened).
  bool CheckOutput(const fs::path& out) {
    std::map<std::string, int> seen_windows;
    std::string last_v1, first_v2;
    int v2 = 0;
    for (const std::string& line : Committed(out / "w")) {
      json row = json::parse(line);
      std::string key = row["auction"].dump() + " " + row["window_end"].dump();
      EXPECT_EQ(seen_windows[key]++, 0) << "window written twice: " << line;
      EXPECT_TRUE(windows_.count(key)) << "a window the reference run has not: " << line;
      EXPECT_EQ(row["bids"].get<int64_t>(), windows_[key]) << line;
      std::string end = row["window_end"].get<std::string>();
      if (row["ver"] == "v1") {
        last_v1 = std::max(last_v1, end);
      } else {
        ++v2;
        EXPECT_GT(row["bids"].get<int64_t>(), 1) << "version 2 drops single-bid windows: " << line;
        first_v2 = first_v2.empty() ? end : std::min(first_v2, end);
      }
    }
    if (v2 > 0) {
      EXPECT_LT(last_v1, first_v2) << "every window fired by one version: the old before the cut";
    }
    for (const auto& [key, bids] : windows_) {
      if (!seen_windows.count(key)) {
        EXPECT_TRUE(v2 > 0 && bids == 1) << "window lost: " << key;
      }
    }
    std::map<int64_t, int> seen_pairs;
    int j2 = 0;
    for (const std::string& line : Committed(out / "j")) {
      json row = json::parse(line);
      int64_t auction = row["auction"].get<int64_t>();
      EXPECT_EQ(seen_pairs[auction]++, 0) << "pair written twice: " << line;
      EXPECT_TRUE(pairs_.count(auction)) << "a pair the reference run has not: " << line;
      EXPECT_EQ(row["seller"].dump() + " " + row["name"].dump(), pairs_[auction]) << line;
      if (row["ver"] == "v2") {
        ++j2;
        EXPECT_NE(auction % 3, 0) << "version 2 filters these out: " << line;
      }
    }
    for (const auto& [auction, pair] : pairs_) {
      if (!seen_pairs.count(auction)) {
        EXPECT_TRUE(j2 > 0 && auction % 3 == 0) << "pair lost: " << auction;
      }
    }
    EXPECT_EQ(v2 > 0, j2 > 0) << "both INSERTs cut over together";
    return v2 > 0;
  }

  std::map<std::string, int64_t> windows_;  // "auction window_end" -> bids
  std::map<int64_t, std::string> pairs_;    // auction -> "seller name"
};

INSTANTIATE_TEST_SUITE_P(Backends, ShadowUpgradeTest, ::testing::Values("memory", "rocksdb"));

// The end-to-end case, in shadow: a windowed aggregate and a join (two INSERTs) over a
// rate-limited nexmark source into exactly-once filesystem sinks; version 2 adds an
// accumulator (migrated state) and a filter to each. Every window and every joined pair is
// committed exactly once: by version 1 up to the cut, by version 2 after it.
TEST_P(ShadowUpgradeTest, AWindowAndAJoinChangedTogetherKeepEveryRowExactlyOnce) {
  RunReference();
  StartServer();
  const std::string id = Submit(Job(1, 4000, directory_ / "live"), "q.pipe");
  ASSERT_TRUE(AwaitWindows(directory_ / "live")) << server_.Log();
  std::string out, err;
  ASSERT_EQ(Client({"upgrade", id, Write("q-v2.pipe", Job(2, 4000, directory_ / "live")), "--mode",
                    "shadow"},
                   &out, &err),
            0)
      << err << server_.Log();
  ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
  const json upgrade = UpgradeTest::Job(id)["upgrades"].back();
  EXPECT_EQ(upgrade.value("phase", ""), "done") << upgrade.dump(2);
  EXPECT_EQ(upgrade.value("mode", ""), "shadow") << upgrade.dump(2);
  EXPECT_FALSE(upgrade.contains("shadow_fallback")) << upgrade.dump(2);
  EXPECT_TRUE(CheckOutput(directory_ / "live")) << "the job ended before the upgrade";
}

// The same, with the server killed at random moments of the shadow upgrade (its phases take
// a second or two here): after the restart the output is still exactly as above, or the
// upgrade was undone and version 1 wrote everything.
TEST_P(ShadowUpgradeTest, KillsDuringTheCatchUpLoseAndDuplicateNothing) {
  const unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  RunReference();
  int upgraded = 0;
  for (int scenario = 0; scenario < 2; ++scenario) {
    SCOPED_TRACE("scenario " + std::to_string(scenario));
    const fs::path live = directory_ / ("live" + std::to_string(scenario));
    StartServer();
    const std::string id = Submit(Job(1, 4000, live), "q.pipe");
    ASSERT_TRUE(AwaitWindows(live)) << server_.Log();
    const std::string v2 = Write("q-v2-" + std::to_string(scenario) + ".pipe", Job(2, 4000, live));
    std::thread client([&] {
      std::string out, err;
      Client({"upgrade", id, v2, "--mode", "shadow"}, &out, &err);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 1000));
    server_.Kill();
    client.join();
    StartServer();
    ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
    const bool cut = CheckOutput(live);
    const json job = UpgradeTest::Job(id);
    const std::string phase =
        job["upgrades"].empty() ? "" : job["upgrades"].back().value("phase", "");
    if (cut) {
      ++upgraded;
      EXPECT_EQ(job.value("version", 0), 2) << job.dump(2);
      EXPECT_EQ(phase, "done") << job.dump(2);
    } else {
      EXPECT_EQ(job.value("version", 0), 1) << job.dump(2);
      EXPECT_TRUE(phase.empty() || phase == "aborted") << job.dump(2);
    }
    server_.Kill();
  }
  RecordProperty("upgraded", upgraded);
}

TEST_F(UpgradeTest, ARefusedUpgradeAndADryRunChangeNothing) {
  StartServer();
  const std::string pipe = WindowJob(directory_ / "w", 1000000, 2000);
  const std::string id = Submit(pipe, "windows.pipe");
  ASSERT_TRUE(AwaitCheckpoints(id, 1)) << server_.Log();
  std::string incompatible = pipe;
  incompatible.replace(incompatible.find("GROUP BY auction,"), 17, "GROUP BY bidder,");
  incompatible.replace(incompatible.find("SELECT auction,"), 15, "SELECT bidder,");
  const std::string file = Write("incompatible.pipe", incompatible);
  std::string out, err;
  EXPECT_EQ(Client({"upgrade", id, file, "--dry-run"}, &out, &err), 1) << err;
  EXPECT_NE(out.find("incompatible"), std::string::npos) << out;
  EXPECT_EQ(Client({"upgrade", id, file}, &out, &err), 1) << err;
  EXPECT_NE(err.find("upgrade refused"), std::string::npos) << err;
  EXPECT_NE(out.find("incompatible"), std::string::npos) << "the check's table: " << out;
  json job = Job(id);
  EXPECT_EQ(job.value("state", ""), "RUNNING");
  EXPECT_EQ(job.value("version", 0), 1);
  EXPECT_EQ(job.value("run_id", ""), id);
  ASSERT_EQ(job["upgrades"].size(), 1u);
  EXPECT_EQ(job["upgrades"][0].value("phase", ""), "refused");
  // Bad requests: an unknown job, a text that does not compile.
  EXPECT_EQ(Client({"upgrade", "0badc0de", file}, &out, &err), 2) << err;
  EXPECT_EQ(
      Client({"upgrade", id, Write("broken.pipe", "INSERT INTO nowhere SELECT 1")}, &out, &err), 2)
      << err;
  EXPECT_EQ(Job(id).value("state", ""), "RUNNING");
  Curl("POST", server_.Url() + "/v1/jobs/" + id + "/cancel");
}

TEST_F(UpgradeTest, ANewVersionThatCannotStartGivesWayToTheOldOne) {
  StartServer();
  const int64_t rows = 30000;
  const std::string pipe = SequenceJob(directory_ / "a", rows, 6000);
  const std::string id = Submit(pipe, "seq.pipe");
  ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
  const std::string failing = FailingVersion(pipe, directory_ / "missing");
  std::string out, err;
  EXPECT_EQ(Client({"upgrade", id, Write("failing.pipe", failing)}, &out, &err), 1) << err;
  EXPECT_NE(err.find("runs again from the handover savepoint"), std::string::npos) << err;
  ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
  EXPECT_EQ(Committed(directory_ / "a"), SequenceExpected(rows));
  json job = Job(id);
  EXPECT_EQ(job.value("version", 0), 1);
  EXPECT_EQ(job["upgrades"][0].value("phase", ""), "rolled back") << job.dump(2);
}

TEST_F(UpgradeTest, KillsOfTheServerDuringAnUpgradeLoseAndDuplicateNothing) {
  const unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int64_t rows = 30000;
  StartServer();
  int upgraded = 0;
  for (int scenario = 0; scenario < 4; ++scenario) {
    SCOPED_TRACE("scenario " + std::to_string(scenario));
    const fs::path out_dir = directory_ / ("out" + std::to_string(scenario));
    const std::string id = Submit(SequenceJob(out_dir, rows, 6000), "seq.pipe");
    ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
    const std::string v2 =
        Write("v2-" + std::to_string(scenario) + ".pipe", SequenceJobV2(out_dir, rows, 6000));
    // The upgrade from another process; the server dies during it (the first scenario
    // before it can have started, later ones anywhere in the handover or after it).
    const std::string mode = scenario % 2 == 0 ? "simple" : "shadow";
    std::thread client([&] {
      std::string out, err;
      Client({"upgrade", id, v2, "--mode", mode}, &out, &err);
    });
    // A catch-up in shadow takes about a second here (it waits for a checkpoint of the old
    // version): kills land anywhere in it.
    std::this_thread::sleep_for(
        std::chrono::milliseconds(scenario == 0 ? 0 : random() % (mode == "shadow" ? 1500 : 60)));
    server_.Kill();
    client.join();
    StartServer();
    ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
    const int64_t cut = CheckSequenceCut(out_dir, rows);
    json job = Job(id);
    const std::string phase = job.contains("upgrades") && !job["upgrades"].empty()
                                  ? job["upgrades"].back().value("phase", "")
                                  : "";
    if (cut < rows) {
      ++upgraded;
      EXPECT_EQ(job.value("version", 0), 2) << job.dump(2);
      EXPECT_EQ(phase, "done") << job.dump(2);
    } else {
      EXPECT_EQ(job.value("version", 0), 1) << job.dump(2);
      EXPECT_TRUE(phase.empty() || phase == "aborted") << job.dump(2);
    }
  }
  RecordProperty("upgraded", upgraded);
}

// A kill -9 of the server in each phase of the upgrade protocol (crash points placed between
// its steps, catalog/base/crash_point.h): after a restart the upgrade completes (the kill came
// after the old version's savepoint) or is undone (before it, or while a failed new version
// rolls back), and the output is exactly the old version's up to the cut and the new one's
// after it.
TEST_F(UpgradeTest, AKillInEachPhaseOfAnUpgradeLosesAndDuplicatesNothing) {
  struct Phase {
    const char* crash_point;
    bool new_version_fails;
    const char* phase_after;  // the upgrade record's phase once the job has finished
    const char* mode = "simple";
  };
  const Phase phases[] = {{"upgrade-stopping", false, "aborted"},
                          {"upgrade-stopped", false, "done"},
                          {"upgrade-starting", false, "done"},
                          {"upgrade-running", false, "done"},
                          {"upgrade-rolling-back", true, "rolled back"},
                          // The new version catching up in shadow (job_upgrade_shadow.cpp).
                          {"upgrade-shadow", false, "aborted", "shadow"},
                          {"upgrade-catching-up", false, "aborted", "shadow"},
                          {"upgrade-stopping", false, "aborted", "shadow"},
                          {"upgrade-cutting", false, "done", "shadow"},
                          {"upgrade-handover", false, "done", "shadow"},
                          {"upgrade-running", false, "done", "shadow"}};
  const int64_t rows = 30000;
  for (const Phase& phase : phases) {
    SCOPED_TRACE(std::string(phase.crash_point) + " (" + phase.mode + ")");
    const fs::path out_dir = directory_ / (std::string(phase.crash_point) + "-" + phase.mode);
    StartServer({}, {std::string("SLUICE_TEST_CRASH_AT=") + phase.crash_point});
    const std::string pipe = SequenceJob(out_dir, rows, 6000);
    const std::string id = Submit(pipe, "seq.pipe");
    ASSERT_TRUE(AwaitCheckpoints(id)) << server_.Log();
    const std::string next = phase.new_version_fails ? FailingVersion(pipe, directory_ / "missing")
                                                     : SequenceJobV2(out_dir, rows, 6000);
    std::string out, err;
    EXPECT_NE(Client({"upgrade", id,
                      Write(std::string(phase.crash_point) + "-" + phase.mode + ".pipe", next),
                      "--mode", phase.mode},
                     &out, &err),
              0)
        << "the server should have died during the upgrade: " << err;
    ASSERT_TRUE(server_.AwaitExit(60)) << "crash point not reached\n" << server_.Log();
    StartServer();
    ASSERT_TRUE(AwaitFinished(id)) << server_.Log();
    const int64_t cut = CheckSequenceCut(out_dir, rows);
    json job = Job(id);
    ASSERT_FALSE(job["upgrades"].empty()) << job.dump(2);
    EXPECT_EQ(job["upgrades"].back().value("phase", ""), phase.phase_after) << job.dump(2);
    EXPECT_EQ(job["upgrades"].back().value("mode", ""), phase.mode) << job.dump(2);
    if (std::string(phase.phase_after) == "done") {
      EXPECT_LT(cut, rows) << "the job ended before the upgrade: nothing was tested";
      EXPECT_EQ(job.value("version", 0), 2) << job.dump(2);
    } else {
      EXPECT_EQ(cut, rows);
      EXPECT_EQ(job.value("version", 0), 1) << job.dump(2);
    }
    server_.Kill();
  }
}

}  // namespace
}  // namespace sluice
