// `sluice run NEW.pipe --from SNAPSHOT --backfill UID,…` as a user meets it: a job gains a MAX
// in a windowed and in an unbounded aggregate, its state is computed from the source's history
// up to the savepoint, and the output equals a job that had the MAX from the start; and the
// requests it refuses before anything runs.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scratch_directory.h"
#include "sluice_process.h"

namespace {

namespace fs = std::filesystem;
using sluice::testing_support::CommittedLines;
using sluice::testing_support::Process;
using sluice::testing_support::ReadAll;

/// The integer after `"field":` in a JSON line of numbers.
int64_t Field(const std::string& line, const std::string& field) {
  size_t at = line.find("\"" + field + "\":");
  EXPECT_NE(at, std::string::npos) << field << " in " << line;
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + field.size() + 3));
}

/// The final row per auction of a changelog-json output of `auction, n = COUNT(*), …`: the
/// +I/+U row with the largest count (counts only grow), without its row kind.
std::map<int64_t, std::string> FinalRows(const std::vector<std::string>& changelog) {
  std::map<int64_t, std::pair<int64_t, std::string>> latest;
  for (const std::string& line : changelog) {
    if (line.find("\"op\":\"+I\"") == std::string::npos &&
        line.find("\"op\":\"+U\"") == std::string::npos) {
      continue;
    }
    int64_t auction = Field(line, "auction");
    int64_t count = Field(line, "n");
    auto& [best, row] = latest[auction];
    if (row.empty() || count > best) {
      best = count;
      row = line.substr(line.find(',') + 1);  // drop "op"
    }
  }
  std::map<int64_t, std::string> rows;
  for (const auto& [auction, row] : latest) rows[auction] = row.second;
  return rows;
}

// 20,000 seeded rows at 10,000 rows/s: a run takes about two seconds, so a SIGTERM after one
// second stops it midway, with windows open and every auction's total under way.
const char* kBids = R"(
CREATE TABLE bids (
  auction BIGINT, price BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND
) WITH ('connector' = 'datagen', 'number-of-rows' = '20000', 'rows-per-second' = '10000',
        'seed' = '7', 'fields.auction.min' = '1', 'fields.auction.max' = '50',
        'fields.price.min' = '1', 'fields.price.max' = '1000');
)";

const char* kWindowed = "out_w/window-aggregate1";
const char* kUnbounded = "out_g/group-aggregate1";

class BackfillTest : public sluice::testing_support::ScratchDirectoryTest {
 protected:
  BackfillTest() : ScratchDirectoryTest("sluice-backfill-") {}

  /// A job of two INSERTs over `bids`: a tumbling-window and an unbounded aggregate, each with
  /// COUNT and SUM, and MAX too `with_max`; output under `output`/windowed and /unbounded.
  std::string PipeFile(const std::string& name, bool with_max, const fs::path& output) {
    std::string max_column = with_max ? ", top BIGINT" : "";
    std::string max_call = with_max ? ", MAX(price)" : "";
    std::string text =
        std::string(kBids) +
        "CREATE TABLE out_w (auction BIGINT, window_end TIMESTAMP(3), n BIGINT, total BIGINT" +
        max_column + ") WITH ('connector' = 'filesystem', 'path' = '" +
        (output / "windowed").string() + "', 'format' = 'json');\n" +
        "CREATE TABLE out_g (auction BIGINT, n BIGINT, total BIGINT" + max_column +
        ") WITH ('connector' = 'filesystem', 'path' = '" + (output / "unbounded").string() +
        "', 'format' = 'changelog-json');\n" +
        "INSERT INTO out_w SELECT auction, window_end, COUNT(*), SUM(price)" + max_call +
        " FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '0.1' SECOND)) GROUP BY "
        "auction, window_start, window_end;\n" +
        "INSERT INTO out_g SELECT auction, COUNT(*), SUM(price)" + max_call +
        " FROM bids GROUP BY auction;\n";
    return Write(name + ".pipe", text);
  }

  /// Runs v1 with checkpoints, stops it with a savepoint midway and returns the savepoint.
  std::string RunV1AndStopMidway(const std::vector<std::string>& settings) {
    std::string v1 = PipeFile("v1", /*with_max=*/false, directory_ / "v1");
    fs::path log = directory_ / "v1.log";
    std::vector<std::string> arguments = {
        "run",
        v1,
        "--checkpoint-dir",
        (directory_ / "checkpoints").string(),
        "--set",
        "execution.checkpointing.interval=150 ms",
        "--set",
        "state.savepoints.dir=" + (directory_ / "savepoints").string()};
    arguments.insert(arguments.end(), settings.begin(), settings.end());
    Process run(arguments, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    run.Signal(SIGTERM);
    EXPECT_EQ(run.Wait(), 0) << ReadAll(log);
    std::string said = ReadAll(log);
    size_t at = said.find("savepoint written: ");
    if (at == std::string::npos) {
      ADD_FAILURE() << said;
      return {};
    }
    return said.substr(at + 19, said.find('\n', at) - at - 19);
  }

  /// `run v2 --from savepoint`, with `extra`; returns the exit code, the log in `log`.
  int RunV2(const std::string& savepoint, std::vector<std::string> extra, const fs::path& log) {
    std::string v2 = PipeFile("v2", /*with_max=*/true, directory_ / "v2");
    std::vector<std::string> arguments = {"run",
                                          v2,
                                          "--from",
                                          savepoint,
                                          "--checkpoint-dir",
                                          (directory_ / "checkpoints").string(),
                                          "--set",
                                          "execution.checkpointing.interval=150 ms"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    Process run(arguments, log);
    return run.Wait();
  }
};

struct BackfillCase {
  const char* name;
  const char* v1_parallelism;
  const char* v1_backend;
  const char* v2_parallelism;
  const char* v2_backend;
};

void PrintTo(const BackfillCase& param, std::ostream* out) {
  *out << param.name;
}

class BackfillOutputTest : public BackfillTest, public testing::WithParamInterface<BackfillCase> {};

TEST_P(BackfillOutputTest, AnAddedMaxBackfilledFromHistoryEqualsAJobThatHadItFromTheStart) {
  const BackfillCase& param = GetParam();
  // The reference: the job with MAX from the start, uninterrupted.
  fs::path reference_log = directory_ / "reference.log";
  Process reference({"run", PipeFile("reference", /*with_max=*/true, directory_ / "reference")},
                    reference_log);
  ASSERT_EQ(reference.Wait(), 0) << ReadAll(reference_log);
  std::vector<std::string> reference_windows = CommittedLines(directory_ / "reference/windowed");
  std::map<int64_t, std::string> reference_totals =
      FinalRows(CommittedLines(directory_ / "reference/unbounded"));
  ASSERT_EQ(reference_totals.size(), 50u);

  std::string savepoint = RunV1AndStopMidway(
      {"-p", param.v1_parallelism, "--set", std::string("state.backend.type=") + param.v1_backend});
  ASSERT_FALSE(savepoint.empty());
  std::vector<std::string> v1_windows = CommittedLines(directory_ / "v1/windowed");
  ASSERT_GT(v1_windows.size(), 0u) << "stopped too early to test much";
  ASSERT_LT(v1_windows.size(), reference_windows.size()) << "stopped too late to test much";

  fs::path log = directory_ / "v2.log";
  ASSERT_EQ(RunV2(savepoint,
                  {"-p", param.v2_parallelism, "--set",
                   std::string("state.backend.type=") + param.v2_backend, "--backfill",
                   std::string(kWindowed) + "," + kUnbounded},
                  log),
            0)
      << ReadAll(log);
  std::string said = ReadAll(log);
  EXPECT_NE(said.find(std::string("backfilling '") + kWindowed + "' from the sources' history: "),
            std::string::npos)
      << said;
  EXPECT_NE(said.find(" rows replayed"), std::string::npos) << said;

  // Windows: v1 wrote those that closed before the savepoint (without MAX); v2 writes the
  // others, each exactly as the reference — including the windows open at the savepoint,
  // whose MAX covers rows from before it.
  std::vector<std::string> v2_windows = CommittedLines(directory_ / "v2/windowed");
  std::multiset<std::string> expected(reference_windows.begin(), reference_windows.end());
  for (const std::string& window : v2_windows) {
    auto found = expected.find(window);
    ASSERT_NE(found, expected.end()) << "not in the reference: " << window << "\n" << said;
    expected.erase(found);
  }
  EXPECT_EQ(v1_windows.size() + v2_windows.size(), reference_windows.size());
  // Unbounded: every auction's final COUNT, SUM and MAX are the reference's.
  EXPECT_EQ(FinalRows(CommittedLines(directory_ / "v2/unbounded")), reference_totals) << said;
  // The replay leaves nothing behind in the job's directory.
  for (const auto& entry : fs::recursive_directory_iterator(directory_ / "checkpoints")) {
    EXPECT_EQ(entry.path().filename().string().rfind("backfill-", 0), std::string::npos)
        << entry.path();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Backends, BackfillOutputTest,
    testing::Values(BackfillCase{"memory_p1", "1", "memory", "1", "memory"},
                    BackfillCase{"rocksdb_p2_to_memory_p3", "2", "rocksdb", "3", "memory"}),
    [](const testing::TestParamInfo<BackfillCase>& info) { return std::string(info.param.name); });

TEST_F(BackfillTest, WithoutTheBackfillTheWindowsOpenAtTheSavepointMissTheirEarlierMax) {
  // The control: what --backfill fixes (the MAX starts empty at the restore point).
  Process reference({"run", PipeFile("reference", /*with_max=*/true, directory_ / "reference")},
                    directory_ / "reference.log");
  ASSERT_EQ(reference.Wait(), 0);
  std::vector<std::string> reference_windows = CommittedLines(directory_ / "reference/windowed");
  std::string savepoint = RunV1AndStopMidway({});
  ASSERT_FALSE(savepoint.empty());
  fs::path log = directory_ / "v2.log";
  ASSERT_EQ(RunV2(savepoint, {}, log), 0) << ReadAll(log);
  std::set<std::string> reference_set(reference_windows.begin(), reference_windows.end());
  int64_t differing = 0;
  for (const std::string& window : CommittedLines(directory_ / "v2/windowed")) {
    differing += reference_set.count(window) == 0;
  }
  EXPECT_GT(differing, 0);
}

TEST_F(BackfillTest, RefusesWhatItCannotBackfillBeforeAnythingRuns) {
  std::string savepoint = RunV1AndStopMidway({});
  ASSERT_FALSE(savepoint.empty());
  struct Refusal {
    std::vector<std::string> flags;
    std::string says;
  };
  std::vector<Refusal> refusals = {
      {{"--backfill", "out_g/nope"},
       "--backfill: no operator 'out_g/nope' in the job (its stateful operators: "
       "'out_w/window-aggregate1', 'out_g/group-aggregate1')"},
      {{"--backfill", "source/bids"},
       "--backfill: operator 'source/bids' (source) holds no state to backfill"},
      {{"--backfill", std::string(kUnbounded) + ",sink/out_g"},
       "--backfill: operator 'sink/out_g' (sink) holds no state to backfill"},
  };
  int index = 0;
  for (const Refusal& refusal : refusals) {
    fs::path log = directory_ / ("refused-" + std::to_string(index++) + ".log");
    EXPECT_EQ(RunV2(savepoint, refusal.flags, log), 2) << ReadAll(log);
    EXPECT_NE(ReadAll(log).find(refusal.says), std::string::npos) << ReadAll(log);
    EXPECT_FALSE(fs::exists(directory_ / "v2")) << "a refused run wrote output";
  }
  // Without a snapshot there is no cut to replay up to.
  fs::path log = directory_ / "no-snapshot.log";
  Process run({"run", PipeFile("v2", true, directory_ / "v2"), "--backfill", kUnbounded}, log);
  EXPECT_EQ(run.Wait(), 2) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("--backfill needs a snapshot to restore from"), std::string::npos)
      << ReadAll(log);
}

TEST_F(BackfillTest, AnIncompatibleOperatorIsRebuiltFromHistoryInsteadOfRefused) {
  // v2 groups by another key type (INT): its old state is incompatible, but a backfilled
  // operator takes nothing from it — check and run agree on both sides of that.
  Process reference({"run", PipeFile("reference", /*with_max=*/true, directory_ / "reference")},
                    directory_ / "reference.log");
  ASSERT_EQ(reference.Wait(), 0);
  std::map<int64_t, std::string> reference_totals =
      FinalRows(CommittedLines(directory_ / "reference/unbounded"));
  std::string savepoint = RunV1AndStopMidway({});
  ASSERT_FALSE(savepoint.empty());
  std::ifstream in(PipeFile("v2", /*with_max=*/true, directory_ / "v2"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string grouped = "FROM bids GROUP BY auction;";
  ASSERT_NE(text.find(grouped), std::string::npos);
  text.replace(text.find(grouped), grouped.size(),
               "FROM (SELECT CAST(auction AS INT) AS auction, price FROM bids) GROUP BY auction;");
  std::string rekeyed = Write("rekeyed.pipe", text);
  std::string both = std::string(kWindowed) + "," + kUnbounded;

  fs::path log = directory_ / "check.log";
  EXPECT_EQ(Process({"check", rekeyed, "--against", savepoint}, log).Wait(), 1) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("backfill: could be backfilled from"), std::string::npos)
      << ReadAll(log);
  log = directory_ / "check-backfill.log";
  EXPECT_EQ(Process({"check", rekeyed, "--against", savepoint, "--backfill", both}, log).Wait(), 0)
      << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("backfilled: computed from the history of 'bids'"), std::string::npos)
      << ReadAll(log);

  std::vector<std::string> common = {"--from",
                                     savepoint,
                                     "--checkpoint-dir",
                                     (directory_ / "checkpoints").string(),
                                     "--set",
                                     "execution.checkpointing.interval=150 ms"};
  std::vector<std::string> refused = {"run", rekeyed};
  refused.insert(refused.end(), common.begin(), common.end());
  log = directory_ / "refused.log";
  EXPECT_EQ(Process(refused, log).Wait(), 1) << ReadAll(log);
  EXPECT_FALSE(fs::exists(directory_ / "v2/unbounded")) << "a refused run wrote output";

  std::vector<std::string> backfilled = refused;
  backfilled.push_back("--backfill");
  backfilled.push_back(both);
  log = directory_ / "backfilled.log";
  ASSERT_EQ(Process(backfilled, log).Wait(), 0) << ReadAll(log);
  EXPECT_EQ(FinalRows(CommittedLines(directory_ / "v2/unbounded")), reference_totals)
      << ReadAll(log);
}

}  // namespace
