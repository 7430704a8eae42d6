// Checkpoints, savepoints and recovery as a user meets them: `sluice run` killed with SIGKILL
// and resumed, stopped with a savepoint and restored at another parallelism and backend, and
// checkpoints that fail while the job goes on (DESIGN §7, §8).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
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

/// Waits until `log` contains `text` (true) or `seconds` have passed.
bool WaitForLog(const fs::path& log, const std::string& text, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadAll(log).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

/// Waits until a completed checkpoint (`chk-<n>/_metadata`) is under `job_directory`.
bool WaitForCheckpoint(const fs::path& job_directory, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(job_directory, error)) {
      if (fs::is_regular_file(entry.path() / "_metadata", error)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// 20,000 rows at 10,000 rows/s: each uninterrupted run takes about two seconds of wall clock
// and two seconds of event time (seeded datagen timestamps follow the rate).
const char* kBids = R"(
CREATE TABLE bids (
  auction BIGINT, price BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND
) WITH ('connector' = 'datagen', 'number-of-rows' = '20000', 'rows-per-second' = '10000',
        'seed' = '7', 'fields.auction.min' = '1', 'fields.auction.max' = '50',
        'fields.price.min' = '1', 'fields.price.max' = '1000');
)";

struct Job {
  const char* name;
  const char* format;
  const char* ddl;    // besides the bids table
  const char* query;  // INSERT INTO out …
};

const Job kWindowed = {
    "windowed", "json",
    "CREATE TABLE out (auction BIGINT, window_end TIMESTAMP(3), n BIGINT, "
    "total BIGINT)",
    "INSERT INTO out SELECT auction, window_end, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE "
    "bids, DESCRIPTOR(ts), INTERVAL '0.1' SECOND)) GROUP BY auction, window_start, window_end;"};
const Job kUnbounded = {
    "unbounded", "changelog-json", "CREATE TABLE out (auction BIGINT, n BIGINT, total BIGINT)",
    "INSERT INTO out SELECT auction, COUNT(*), SUM(price) FROM bids GROUP BY auction;"};
const Job kJoin = {
    "join", "json",
    "CREATE TABLE items (item BIGINT, weight BIGINT) WITH ('connector' = 'datagen', "
    "'number-of-rows' = '50', 'rows-per-second' = '25', 'seed' = '3', "
    "'fields.item.kind' = 'sequence', 'fields.item.start' = '1', 'fields.item.end' = '50');\n"
    "CREATE TABLE out (auction BIGINT, price BIGINT, weight BIGINT)",
    "INSERT INTO out SELECT b.auction, b.price, i.weight FROM bids AS b JOIN items AS i ON "
    "b.auction = i.item;"};

// Windows keyed by BYTES (two bytes per digit, half of them zero): the keys go through the
// state codec, the savepoint and the key-group hash as bytes.
const Job kBytesKeys = {
    "bytes_keys", "json",
    "CREATE VIEW keyed AS SELECT ENCODE(CAST(auction AS STRING), 'UTF-16BE') AS k, price, ts "
    "FROM bids;\n"
    "CREATE TABLE out (k BYTES, window_end TIMESTAMP(3), n BIGINT, total BIGINT)",
    "INSERT INTO out SELECT k, window_end, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE keyed, "
    "DESCRIPTOR(ts), INTERVAL '0.1' SECOND)) GROUP BY k, window_start, window_end;"};

class RecoveryTest : public sluice::testing_support::ScratchDirectoryTest {
 protected:
  RecoveryTest() : ScratchDirectoryTest("sluice-recovery-") {}

  /// The .pipe of `job` writing to `output`.
  std::string PipeFile(const Job& job, const fs::path& output) {
    std::string text = std::string(kBids) + job.ddl + " WITH ('connector' = 'filesystem', " +
                       "'path' = '" + output.string() + "', 'format' = '" + job.format + "');\n" +
                       job.query + "\n";
    return Write(std::string(job.name) + ".pipe", text);
  }

  /// `run FILE` with checkpoints every 150 ms into this test's directory, and `extra`.
  std::vector<std::string> RunArguments(const std::string& file,
                                        std::vector<std::string> extra) const {
    std::vector<std::string> arguments = {"run",
                                          file,
                                          "--checkpoint-dir",
                                          (directory_ / "checkpoints").string(),
                                          "--set",
                                          "execution.checkpointing.interval=150 ms"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }

  /// The committed output of an uninterrupted run without checkpoints.
  std::vector<std::string> Reference(const Job& job, const std::string& parallelism) {
    fs::path output = directory_ / "reference";
    std::string file = PipeFile(job, output);
    Process run({"run", file, "-p", parallelism}, directory_ / "reference.log");
    EXPECT_EQ(run.Wait(), 0) << ReadAll(directory_ / "reference.log");
    return CommittedLines(output);
  }
};

struct CrashCase {
  const Job* job;
  const char* backend;
  const char* parallelism;
};

class CrashTest : public RecoveryTest, public testing::WithParamInterface<CrashCase> {};

TEST_P(CrashTest, SigkillAtRandomMomentsThenResumeLosesNothingAndDuplicatesNothing) {
  const CrashCase& param = GetParam();
  std::vector<std::string> expected = Reference(*param.job, param.parallelism);
  ASSERT_GT(expected.size(), 50u);

  fs::path output = directory_ / "out";
  std::string file = PipeFile(*param.job, output);
  std::vector<std::string> settings = {
      "-p",    param.parallelism,
      "--set", std::string("state.backend.type=") + param.backend,
      "--set", "state.backend.rocksdb.localdir=" + (directory_ / "rocksdb").string()};
  std::random_device device;
  unsigned seed = device();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_millis(100, 700);
  fs::path log = directory_ / "crash.log";
  std::vector<std::string> resume = settings;
  resume.push_back("--resume");
  for (int kill_number = 0; kill_number < 3; ++kill_number) {
    Process run(RunArguments(file, kill_number == 0 ? settings : resume), log);
    // The first kill comes after a checkpoint completed (however slow the start), so that
    // the resumed runs have state to restore.
    if (kill_number == 0) {
      ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / param.job->name, 30))
          << ReadAll(log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_millis(random)));
    run.Signal(SIGKILL);
    int exit_code = run.Wait();
    // A resumed run may have finished what was left before its kill came.
    if (exit_code == 0) break;
    EXPECT_EQ(exit_code, 128 + SIGKILL) << ReadAll(log);
  }
  // Resuming once more finishes the job, or — when it has finished — restores its final
  // checkpoint and adds nothing.
  Process last(RunArguments(file, resume), log);
  ASSERT_EQ(last.Wait(), 0) << ReadAll(log);
  // The resumed runs restored state (the kills came after the first checkpoints).
  EXPECT_NE(ReadAll(log).find("restoring job"), std::string::npos) << ReadAll(log);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(log);
}

INSTANTIATE_TEST_SUITE_P(
    Jobs, CrashTest,
    testing::Values(CrashCase{&kWindowed, "memory", "2"}, CrashCase{&kWindowed, "rocksdb", "2"},
                    CrashCase{&kUnbounded, "memory", "1"}, CrashCase{&kUnbounded, "rocksdb", "1"},
                    CrashCase{&kJoin, "memory", "2"}, CrashCase{&kJoin, "rocksdb", "2"}),
    [](const testing::TestParamInfo<CrashCase>& info) {
      return std::string(info.param.job->name) + "_" + info.param.backend + "_p" +
             info.param.parallelism;
    });

struct RescaleCase {
  const char* from_backend;
  const char* from_parallelism;
  const char* to_backend;
  const char* to_parallelism;
  const char* to_max_parallelism = "";  // another pipeline.max-parallelism (keys re-dealt)
  const char* savepoint_format = "canonical";
  const Job* job = &kWindowed;
};

class RescaleTest : public RecoveryTest, public testing::WithParamInterface<RescaleCase> {};

TEST_P(RescaleTest, StopWithASavepointThenRestoreAtAnotherParallelismAndBackend) {
  const RescaleCase& param = GetParam();
  const Job& job = *param.job;
  std::vector<std::string> expected = Reference(job, "1");
  fs::path output = directory_ / "out";
  std::string file = PipeFile(job, output);
  fs::path savepoints = directory_ / "savepoints";
  fs::path log = directory_ / "first.log";
  Process first(
      RunArguments(file, {"-p", param.from_parallelism, "--set",
                          std::string("state.backend.type=") + param.from_backend, "--set",
                          "state.savepoints.dir=" + savepoints.string(), "--set",
                          std::string("state.savepoints.format=") + param.savepoint_format}),
      log);
  ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / job.name, 30)) << ReadAll(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  first.Signal(SIGTERM);
  ASSERT_EQ(first.Wait(), 0) << ReadAll(log);
  std::string said = ReadAll(log);
  size_t at = said.find("savepoint written: ");
  ASSERT_NE(at, std::string::npos) << said;
  std::string savepoint = said.substr(at + 19, said.find('\n', at) - at - 19);
  ASSERT_TRUE(fs::is_regular_file(fs::path(savepoint) / "_metadata")) << savepoint;
  EXPECT_LT(CommittedLines(output).size(), expected.size()) << "stopped too late to test much";

  fs::path second_log = directory_ / "second.log";
  std::vector<std::string> restore = {
      "--from", savepoint,
      "-p",     param.to_parallelism,
      "--set",  std::string("state.backend.type=") + param.to_backend};
  if (*param.to_max_parallelism != '\0') {
    restore.insert(restore.end(),
                   {"--set", std::string("pipeline.max-parallelism=") + param.to_max_parallelism});
  }
  Process second(RunArguments(file, restore), second_log);
  ASSERT_EQ(second.Wait(), 0) << ReadAll(second_log);
  EXPECT_NE(ReadAll(second_log).find("restoring job"), std::string::npos);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(second_log);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, RescaleTest,
    testing::Values(RescaleCase{"rocksdb", "1", "memory", "3"},
                    RescaleCase{"memory", "3", "rocksdb", "1"},
                    RescaleCase{"memory", "2", "rocksdb", "4", "256", "canonical", &kJoin},
                    RescaleCase{"rocksdb", "3", "memory", "2", "64", "native", &kJoin},
                    RescaleCase{"memory", "2", "memory", "3", "200"},
                    RescaleCase{"memory", "2", "rocksdb", "3", "", "canonical", &kBytesKeys}),
    [](const testing::TestParamInfo<RescaleCase>& info) {
      std::string max = info.param.to_max_parallelism;
      return std::string(info.param.job->name) + "_" + info.param.from_backend + "_p" +
             info.param.from_parallelism + "_to_" + info.param.to_backend + "_p" +
             info.param.to_parallelism + (max.empty() ? "" : "_max" + max) +
             (std::string(info.param.savepoint_format) == "native" ? "_native" : "");
    });

TEST_F(RecoveryTest, Sigusr1TakesASavepointAndTheJobGoesOn) {
  fs::path output = directory_ / "out";
  std::string file = PipeFile(kUnbounded, output);
  fs::path savepoints = directory_ / "savepoints";
  fs::path log = directory_ / "run.log";
  Process run(RunArguments(file, {"--set", "state.savepoints.dir=" + savepoints.string()}), log);
  ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / kUnbounded.name, 30)) << ReadAll(log);
  run.Signal(SIGUSR1);
  ASSERT_TRUE(WaitForLog(log, "savepoint written: ", 10)) << ReadAll(log);
  EXPECT_EQ(run.Wait(), 0) << ReadAll(log);
  std::vector<std::string> taken;
  for (const auto& entry : fs::directory_iterator(savepoints)) taken.push_back(entry.path());
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(fs::path(taken[0]) / "_metadata"));
  EXPECT_EQ(CommittedLines(output), Reference(kUnbounded, "1"));
}

TEST_F(RecoveryTest, AFailedCheckpointKeepsTheLastGoodOneAndTheJobGoesOn) {
  // State grows with every new key; once a state file would pass 256 KiB the disk is "full".
  const char* many_keys = R"(
CREATE TABLE bids (auction BIGINT, price BIGINT)
WITH ('connector' = 'datagen', 'number-of-rows' = '60000', 'rows-per-second' = '20000',
      'seed' = '1', 'fields.auction.kind' = 'sequence', 'fields.auction.start' = '1',
      'fields.auction.end' = '60000');
CREATE TABLE out (auction BIGINT, total BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, SUM(price) FROM bids GROUP BY auction;
)";
  std::string file = Write("many_keys.pipe", many_keys);
  fs::path log = directory_ / "run.log";
  Process run(RunArguments(file, {}), log, /*file_size_limit=*/256 * 1024);
  int exit_code = run.Wait();
  std::string said = ReadAll(log);
  // A checkpoint failed with the cause named, the job went on to the end, and the final
  // checkpoint (which also could not be written) made the run fail clearly.
  EXPECT_NE(said.find("failed: "), std::string::npos) << said;
  EXPECT_NE(said.find("File too large"), std::string::npos) << said;
  EXPECT_NE(said.find("the job goes on"), std::string::npos) << said;
  EXPECT_NE(exit_code, 0) << said;
  // The checkpoints written before the state outgrew the disk are intact and restorable.
  fs::path job_directory = directory_ / "checkpoints" / "many_keys";
  int complete = 0;
  for (const auto& entry : fs::directory_iterator(job_directory)) {
    if (entry.path().filename() == ".lock") continue;  // the lock a run holds on the job
    if (fs::is_regular_file(entry.path() / "_metadata"))
      ++complete;
    else
      ADD_FAILURE() << "an incomplete checkpoint was left behind: " << entry.path();
  }
  EXPECT_GE(complete, 1) << said;
  fs::path checkpoint;
  for (const auto& entry : fs::directory_iterator(job_directory)) {
    if (fs::is_regular_file(entry.path() / "_metadata")) checkpoint = entry.path();
  }
  Process inspect({"savepoint", "inspect", checkpoint.string()}, directory_ / "inspect.log");
  EXPECT_EQ(inspect.Wait(), 0) << ReadAll(directory_ / "inspect.log");
}

TEST_F(RecoveryTest, RestoreFlagsRefuseBadInput) {
  std::string file = PipeFile(kUnbounded, directory_ / "out");
  fs::path log = directory_ / "run.log";
  Process missing({"run", file, "--from", (directory_ / "absent").string()}, log);
  EXPECT_EQ(missing.Wait(), 2);
  EXPECT_NE(ReadAll(log).find("absent"), std::string::npos) << ReadAll(log);
  Process both({"run", file, "--from", directory_.string(), "--resume"}, log);
  EXPECT_EQ(both.Wait(), 2);
  EXPECT_NE(ReadAll(log).find("exclude each other"), std::string::npos) << ReadAll(log);
}

}  // namespace

namespace {

/// The lines of a parallelism-1 sink's committed part files `part-0-<n>.*`, in the order they
/// were written (by n, then line by line).
std::vector<std::string> LinesInOrder(const fs::path& directory) {
  std::map<long, fs::path> parts;
  for (const auto& entry : fs::directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("part-0-", 0) == 0) parts[std::stol(name.substr(7))] = entry.path();
  }
  std::vector<std::string> lines;
  for (const auto& [number, path] : parts) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  return lines;
}

/// Reads the last `+I`/`+U` value of column `column` per auction from changelog-json lines.
std::map<std::string, std::string> FinalValues(const std::vector<std::string>& lines,
                                               const std::string& column) {
  std::map<std::string, std::string> values;
  for (const std::string& line : lines) {
    if (line.find("\"op\":\"+I\"") == std::string::npos &&
        line.find("\"op\":\"+U\"") == std::string::npos) {
      continue;
    }
    auto field = [&](const std::string& name) {
      size_t at = line.find("\"" + name + "\":");
      if (at == std::string::npos) return std::string();
      at += name.size() + 3;
      return line.substr(at, line.find_first_of(",}", at) - at);
    };
    values[field("auction")] = field(column);
  }
  return values;
}

}  // namespace

TEST_F(RecoveryTest, AnUpgradedJobRestoresMigratesAndRefusesAsTheCheckSays) {
  // v1 counts bids per auction; it is stopped with a savepoint midway.
  fs::path output = directory_ / "out";
  std::string v1 = PipeFile(kUnbounded, output);
  fs::path savepoints = directory_ / "savepoints";
  fs::path log = directory_ / "v1.log";
  Process first(RunArguments(v1, {"--set", "state.savepoints.dir=" + savepoints.string()}), log);
  ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / kUnbounded.name, 30)) << ReadAll(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  first.Signal(SIGTERM);
  ASSERT_EQ(first.Wait(), 0) << ReadAll(log);
  std::string said = ReadAll(log);
  size_t at = said.find("savepoint written: ");
  ASSERT_NE(at, std::string::npos) << said;
  std::string savepoint = said.substr(at + 19, said.find('\n', at) - at - 19);

  auto version = [&](const std::string& name, const std::string& query, const fs::path& path) {
    Job job = kUnbounded;
    job.ddl = "CREATE TABLE out (auction BIGINT, n BIGINT, total BIGINT, top BIGINT)";
    job.query = query.c_str();
    std::string text = std::string(kBids) + job.ddl + " WITH ('connector' = 'filesystem', " +
                       "'path' = '" + path.string() + "', 'format' = 'changelog-json');\n" + query +
                       "\n" + "SET 'pipeline.name' = 'unbounded';\n";
    return Write(name + ".pipe", text);
  };
  // A changed key: refused before anything runs, with the table and exit status 1.
  std::string rekeyed = version("rekeyed",
                                "INSERT INTO out SELECT price, COUNT(*), SUM(price), MAX(price) "
                                "FROM bids GROUP BY price;",
                                output);
  fs::path refused_log = directory_ / "refused.log";
  Process refused({"run", rekeyed, "--from", savepoint}, refused_log);
  EXPECT_EQ(refused.Wait(), 1) << ReadAll(refused_log);
  EXPECT_NE(ReadAll(refused_log).find("incompatible"), std::string::npos) << ReadAll(refused_log);

  // A job without the aggregate would drop its state: refused unless told to discard it.
  std::string dropping =
      version("dropping", "INSERT INTO out SELECT auction, 1, price, price FROM bids;", output);
  fs::path dropping_log = directory_ / "dropping.log";
  Process dropped({"run", dropping, "--from", savepoint}, dropping_log);
  EXPECT_EQ(dropped.Wait(), 1) << ReadAll(dropping_log);
  EXPECT_NE(ReadAll(dropping_log).find("--allow-dropped-state"), std::string::npos)
      << ReadAll(dropping_log);
  Process discarded({"run", dropping, "--from", savepoint, "--allow-dropped-state", "--set",
                     "execution.checkpointing.interval=0"},
                    dropping_log);
  EXPECT_EQ(discarded.Wait(), 0) << ReadAll(dropping_log);
  EXPECT_NE(ReadAll(dropping_log).find("discarding the state of 'out/group-aggregate1'"),
            std::string::npos)
      << ReadAll(dropping_log);
  // (Its rows went into the same table: the final values below are v2's, written after.)
  // v2 adds MAX(price): COUNT and SUM continue from the savepoint, MAX starts empty there.
  std::string v2 = version("v2",
                           "INSERT INTO out SELECT auction, COUNT(*), SUM(price), MAX(price) "
                           "FROM bids GROUP BY auction;",
                           output);
  fs::path v2_log = directory_ / "v2.log";
  Process second(RunArguments(v2, {"--from", savepoint}), v2_log);
  ASSERT_EQ(second.Wait(), 0) << ReadAll(v2_log);
  EXPECT_NE(ReadAll(v2_log).find("migrated"), std::string::npos) << ReadAll(v2_log);
  Reference(kUnbounded, "1");
  std::vector<std::string> reference = LinesInOrder(directory_ / "reference");
  std::vector<std::string> lines = LinesInOrder(output);
  // The restored counts and sums continued: the final values equal an uninterrupted run's.
  EXPECT_EQ(FinalValues(lines, "n"), FinalValues(reference, "n"));
  EXPECT_EQ(FinalValues(lines, "total"), FinalValues(reference, "total"));
  // MAX saw only the rows after the restore: never NULL at the end, and no v1 line has it.
  for (const auto& [auction, top] : FinalValues(lines, "top")) {
    EXPECT_NE(top, "null") << auction;
    EXPECT_FALSE(top.empty()) << auction;
  }
}

class RestartTest : public RecoveryTest, public testing::WithParamInterface<bool> {};

TEST_P(RestartTest, AFailedRunRestartsFromItsLatestCheckpoint) {
  const bool local_recovery = GetParam();
  fs::path flag = directory_ / "fail-now";
  Job job = kUnbounded;
  std::string query =
      "CREATE FUNCTION fail_once AS 'libsluice_udf_tests.so:fail_once';\n"
      "INSERT INTO out SELECT fail_once('" +
      flag.string() + "', auction), COUNT(*), SUM(price) FROM bids GROUP BY auction;";
  job.query = query.c_str();
  fs::path output = directory_ / "out";
  std::string file = PipeFile(job, output);
  fs::path log = directory_ / "run.log";
  Process run(RunArguments(file, {"--set", "restart-strategy.type=fixed-delay", "--set",
                                  "restart-strategy.fixed-delay.delay=50 ms", "--set",
                                  std::string("state.backend.local-recovery=") +
                                      (local_recovery ? "true" : "false")}),
              log);
  ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / kUnbounded.name, 30)) << ReadAll(log);
  std::ofstream(flag) << "fail";
  ASSERT_EQ(run.Wait(), 0) << ReadAll(log);
  std::string said = ReadAll(log);
  EXPECT_NE(said.find("injected fault"), std::string::npos) << said;
  EXPECT_NE(said.find("restarting in 50 ms (fixed-delay, attempt 1 of 1) from "), std::string::npos)
      << said;
  // Task-local recovery: the stateful subtask adopts its copy instead of reading the files.
  EXPECT_EQ(said.find("resumed from their local copy") != std::string::npos, local_recovery)
      << said;
  EXPECT_EQ(CommittedLines(output), Reference(kUnbounded, "1")) << said;
}

INSTANTIATE_TEST_SUITE_P(LocalRecovery, RestartTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "local_copy" : "checkpoint_directory";
                         });

TEST_F(RecoveryTest, ARestartStrategyGivesUpAfterItsAttempts) {
  Job job = kUnbounded;
  std::string query =
      "CREATE FUNCTION checked AS 'libsluice_udf_tests.so:checked';\n"
      "INSERT INTO out SELECT checked(auction - 40), COUNT(*), SUM(price) FROM "
      "bids GROUP BY auction;";
  job.query = query.c_str();
  std::string file = PipeFile(job, directory_ / "out");
  fs::path log = directory_ / "run.log";
  Process run(RunArguments(file, {"--set", "restart-strategy.type=fixed-delay", "--set",
                                  "restart-strategy.fixed-delay.attempts=2", "--set",
                                  "restart-strategy.fixed-delay.delay=10 ms"}),
              log);
  EXPECT_EQ(run.Wait(), 1);
  std::string said = ReadAll(log);
  EXPECT_NE(said.find("attempt 2 of 2"), std::string::npos) << said;
  EXPECT_EQ(said.find("attempt 3"), std::string::npos) << said;
  EXPECT_NE(said.find("negative input"), std::string::npos) << said;
  Process bad({"run", file, "--set", "restart-strategy.type=sometimes"}, log);
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_NE(ReadAll(log).find("restart-strategy.type"), std::string::npos);
}

namespace {

/// The hidden (in-progress or pending) part files under `directory`: output not committed.
std::vector<std::string> HiddenPartFiles(const fs::path& directory) {
  std::vector<std::string> hidden;
  if (!fs::exists(directory)) return hidden;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(".part-", 0) == 0) hidden.push_back(name);
  }
  return hidden;
}

/// The path a run printed after "savepoint written: ", or empty.
std::string SavepointPath(const std::string& said) {
  size_t at = said.find("savepoint written: ");
  if (at == std::string::npos) return {};
  return said.substr(at + 19, said.find('\n', at) - at - 19);
}

// Ten rows that are read at once (their source finishes long before the job) beside 20,000
// that take two seconds: the union the issue reports committed the ten twice after a restore.
const char* kUnionWithASmallSource = R"(
CREATE TABLE small (a BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10',
  'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '10');
CREATE TABLE big (a BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '20000',
  'rows-per-second' = '10000', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1000',
  'fields.a.end' = '200000');
)";

}  // namespace

class FinishedSourceTest : public RecoveryTest,
                           public testing::WithParamInterface<std::pair<const char*, const char*>> {
};

TEST_P(FinishedSourceTest, AFinishedSourceIsNotReadAgainAfterAKill) {
  const auto [parallelism, resume_parallelism] = GetParam();
  fs::path output = directory_ / "out";
  std::string file = Write("union_small.pipe", std::string(kUnionWithASmallSource) +
                                                   "CREATE TABLE out (a BIGINT) WITH ("
                                                   "'connector' = 'filesystem', 'path' = '" +
                                                   output.string() +
                                                   "', 'format' = 'json');\n"
                                                   "INSERT INTO out SELECT a FROM small UNION "
                                                   "ALL SELECT a FROM big;\n");
  std::vector<std::string> expected;
  for (int value = 1; value <= 10; ++value)
    expected.push_back("{\"a\":" + std::to_string(value) + "}");
  for (int value = 1000; value < 21000; ++value) {
    expected.push_back("{\"a\":" + std::to_string(value) + "}");
  }
  std::sort(expected.begin(), expected.end());
  fs::path log = directory_ / "run.log";
  {
    // Killed just after the third checkpoint is recorded (its sinks not yet told to commit):
    // by then `small` has finished, and the checkpoint must say so.
    setenv("SLUICE_TEST_CRASH_AT", "after-metadata:3", 1);
    Process run(RunArguments(file, {"-p", parallelism}), log);
    unsetenv("SLUICE_TEST_CRASH_AT");
    ASSERT_EQ(run.Wait(), 128 + SIGKILL) << ReadAll(log);
  }
  Process resumed(RunArguments(file, {"-p", resume_parallelism, "--resume"}), log);
  ASSERT_EQ(resumed.Wait(), 0) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("restoring job"), std::string::npos) << ReadAll(log);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(log);
  EXPECT_EQ(HiddenPartFiles(output), std::vector<std::string>()) << ReadAll(log);
}

INSTANTIATE_TEST_SUITE_P(Parallelism, FinishedSourceTest,
                         testing::Values(std::make_pair("1", "1"), std::make_pair("2", "2"),
                                         std::make_pair("2", "1"), std::make_pair("1", "2")),
                         [](const auto& info) {
                           return std::string("p") + info.param.first + "_to_p" + info.param.second;
                         });

class StopWithSavepointTest : public RecoveryTest, public testing::WithParamInterface<bool> {};

TEST_P(StopWithSavepointTest, SigtermCommitsEverythingAndTheSavepointRestoresExactlyOnce) {
  const bool checkpointing = GetParam();
  // The windowed job over bids at half the rate: four seconds, so that a stop after one and a
  // half has windows fired before it and after it.
  auto pipe_file = [&](const fs::path& output) {
    std::string bids = kBids;
    bids.replace(bids.find("'10000'"), 7, "'5000'");
    return Write("windowed.pipe", bids + kWindowed.ddl + " WITH ('connector' = 'filesystem', " +
                                      "'path' = '" + output.string() + "', 'format' = 'json');\n" +
                                      kWindowed.query + "\n");
  };
  std::vector<std::string> expected;
  {
    fs::path reference = directory_ / "reference";
    Process run({"run", pipe_file(reference)}, directory_ / "reference.log");
    ASSERT_EQ(run.Wait(), 0) << ReadAll(directory_ / "reference.log");
    expected = CommittedLines(reference);
  }
  fs::path output = directory_ / "out";
  std::string file = pipe_file(output);
  fs::path savepoints = directory_ / "savepoints";
  fs::path log = directory_ / "first.log";
  std::vector<std::string> first_arguments = {
      "run", file, "-p", "2", "--set", "state.savepoints.dir=" + savepoints.string()};
  if (checkpointing) {
    first_arguments =
        RunArguments(file, {"-p", "2", "--set", "state.savepoints.dir=" + savepoints.string()});
  }
  Process first(first_arguments, log);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  first.Signal(SIGTERM);
  ASSERT_EQ(first.Wait(), 0) << ReadAll(log);
  std::string said = ReadAll(log);
  std::string savepoint = SavepointPath(said);
  ASSERT_FALSE(savepoint.empty()) << said;
  EXPECT_NE(said.find("stopped with a savepoint"), std::string::npos) << said;
  // Everything written before the savepoint is visible when the command returns.
  EXPECT_EQ(HiddenPartFiles(output), std::vector<std::string>()) << said;
  // Exactly the rows the sinks wrote before the stop are visible (as many as it reports).
  std::vector<std::string> before = CommittedLines(output);
  size_t out_at = said.find(" in, ", said.find("stopped with a savepoint"));
  ASSERT_NE(out_at, std::string::npos) << said;
  EXPECT_EQ(std::to_string(before.size()),
            said.substr(out_at + 5, said.find(' ', out_at + 5) - out_at - 5))
      << said;
  EXPECT_LT(before.size(), expected.size()) << "stopped too late to test much";

  // Restored at another parallelism and backend, the output is an uninterrupted run's.
  fs::path second_log = directory_ / "second.log";
  std::vector<std::string> second_arguments = {"run", file, "--from", savepoint,
                                               "-p",  "1",  "--set",  "state.backend.type=rocksdb"};
  Process second(second_arguments, second_log);
  ASSERT_EQ(second.Wait(), 0) << ReadAll(second_log);
  EXPECT_NE(ReadAll(second_log).find("restoring job"), std::string::npos) << ReadAll(second_log);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(second_log);
}

INSTANTIATE_TEST_SUITE_P(Checkpointing, StopWithSavepointTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "with_checkpoints" : "without_checkpoints";
                         });

TEST_F(RecoveryTest, ASecondRunOfTheSameJobIsRefusedAndTouchesNothing) {
  std::vector<std::string> expected = Reference(kUnbounded, "1");
  fs::path output = directory_ / "out";
  std::string file = PipeFile(kUnbounded, output);
  fs::path log = directory_ / "first.log";
  Process first(RunArguments(file, {}), log);
  fs::path job_directory = directory_ / "checkpoints" / kUnbounded.name;
  ASSERT_TRUE(WaitForCheckpoint(job_directory, 30)) << ReadAll(log);
  fs::path second_log = directory_ / "second.log";
  Process second(RunArguments(file, {}), second_log);
  EXPECT_EQ(second.Wait(), 1) << ReadAll(second_log);
  std::string said = ReadAll(second_log);
  EXPECT_NE(said.find("is already running"), std::string::npos) << said;
  EXPECT_NE(said.find(job_directory.string()), std::string::npos) << said;
  EXPECT_NE(said.find("pid "), std::string::npos) << said;
  // The first run goes on undisturbed: its checkpoints and output are whole.
  ASSERT_EQ(first.Wait(), 0) << ReadAll(log);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(log);
  // Once it has ended, the job can run again (the lock went with the process).
  Process again(RunArguments(file, {"--resume"}), second_log);
  EXPECT_EQ(again.Wait(), 0) << ReadAll(second_log);
  EXPECT_EQ(CommittedLines(output), expected) << ReadAll(second_log);
}

TEST_F(RecoveryTest, ARunFromASavepointThatFailsBeforeItsFirstCheckpointRestartsFromIt) {
  std::vector<std::string> expected = Reference(kUnbounded, "1");
  fs::path flag = directory_ / "fail-now";
  Job job = kUnbounded;
  std::string query =
      "CREATE FUNCTION fail_once AS 'libsluice_udf_tests.so:fail_once';\n"
      "INSERT INTO out SELECT fail_once('" +
      flag.string() + "', auction), COUNT(*), SUM(price) FROM bids GROUP BY auction;";
  job.query = query.c_str();
  fs::path output = directory_ / "out";
  std::string file = PipeFile(job, output);
  fs::path savepoints = directory_ / "savepoints";
  fs::path log = directory_ / "first.log";
  Process first(RunArguments(file, {"--set", "state.savepoints.dir=" + savepoints.string()}), log);
  ASSERT_TRUE(WaitForCheckpoint(directory_ / "checkpoints" / kUnbounded.name, 30)) << ReadAll(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  first.Signal(SIGTERM);
  ASSERT_EQ(first.Wait(), 0) << ReadAll(log);
  std::string savepoint = SavepointPath(ReadAll(log));
  ASSERT_FALSE(savepoint.empty()) << ReadAll(log);

  // No checkpoint completes before the injected failure: the restart must come from the
  // savepoint, not from the beginning (which would count the rows before it twice).
  std::ofstream(flag) << "fail";
  fs::path second_log = directory_ / "second.log";
  Process second(
      {"run", file, "--from", savepoint, "--checkpoint-dir", (directory_ / "checkpoints").string(),
       "--set", "execution.checkpointing.interval=1 h", "--set",
       "restart-strategy.type=fixed-delay", "--set", "restart-strategy.fixed-delay.delay=10 ms"},
      second_log);
  ASSERT_EQ(second.Wait(), 0) << ReadAll(second_log);
  std::string said = ReadAll(second_log);
  EXPECT_NE(said.find("injected fault"), std::string::npos) << said;
  EXPECT_NE(said.find("from " + savepoint), std::string::npos) << said;
  EXPECT_EQ(said.find("from the beginning"), std::string::npos) << said;
  EXPECT_EQ(CommittedLines(output), expected) << said;
}
