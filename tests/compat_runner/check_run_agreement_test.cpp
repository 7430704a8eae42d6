// Runs `sluice check` and `sluice run --from` on every tests/compat/NNN_name/ pair against one
// real savepoint of the pair's old job (`run old.pipe --savepoint-at-end DIR`, a hidden flag),
// and fails where they disagree: check says compatible and the restore is refused (by the
// restore gate, by an operator's restore, or the restored job fails), or check says not
// compatible and the restore goes ahead. Where check's only problem is dropped state, the
// restore must refuse without --allow-dropped-state and go ahead with it.
//
// Each case runs its processes one after another in a directory of its own (their working
// directory, TMPDIR, checkpoints and savepoints), removed afterwards. The sluice binary runs
// with --jit off: what is checked is the restore, not the expressions, and a small job starts
// faster without LLVM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The exit statuses of `sluice check` and `sluice run` (README, "The command line").
constexpr int kCompatible = 0;
constexpr int kNotCompatible = 1;
constexpr int kRunDone = 0;
constexpr int kRunRefused = 1;  // the job failed or its state cannot be restored
constexpr int kUsageError = 2;  // a request refused before anything ran
constexpr int kTimedOut = -1;

// A hung process fails its case instead of the whole binary (the largest pairs, Nexmark over
// a million events, take a few seconds).
constexpr auto kProcessTimeout = std::chrono::seconds(60);
// The part of a process's output a failure message shows: the end, where the errors are.
constexpr size_t kShownOutput = 6000;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// What one `sluice` process said and how it ended.
struct Output {
  std::string command;
  int exit_code = kTimedOut;  // or 128 + the signal that ended it
  std::string out, err;

  /// The command, its exit and its output (the end of each stream), for a failure message.
  std::string Describe() const {
    auto tail = [](const std::string& text) {
      if (text.size() <= kShownOutput) return text;
      return "[… " + std::to_string(text.size() - kShownOutput) + " bytes]" +
             text.substr(text.size() - kShownOutput);
    };
    std::string ending = exit_code == kTimedOut
                             ? "killed after " + std::to_string(kProcessTimeout.count()) + " s"
                             : "exit " + std::to_string(exit_code);
    return "$ " + command + "\n(" + ending + ")\n--- stderr\n" + tail(err) + "--- stdout\n" +
           tail(out) + "---\n";
  }
};

/// Runs `sluice arguments…` in `directory` (its working directory and TMPDIR) and waits for it.
Output Sluice(const std::vector<std::string>& arguments, const fs::path& directory,
              const std::string& name) {
  Output output;
  output.command = "sluice";
  for (const std::string& argument : arguments) output.command += " " + argument;
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  std::string binary = SLUICE_BINARY;
  std::vector<std::string> copies = arguments;
  std::vector<char*> argv = {binary.data()};
  for (std::string& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  std::string out_path = (directory / (name + ".out")).string();
  std::string err_path = (directory / (name + ".err")).string();
  std::string tmpdir = "TMPDIR=" + directory.string();
  std::vector<std::string> environment = {tmpdir};
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::string(*variable).rfind("TMPDIR=", 0) != 0) environment.push_back(*variable);
  }
  std::vector<char*> envp;
  for (std::string& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string working_directory = directory.string();

  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::fopen(out_path.c_str(), "w");
    FILE* err = std::fopen(err_path.c_str(), "w");
    if (out == nullptr || err == nullptr || chdir(working_directory.c_str()) != 0) _exit(127);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) {
    output.err = "fork failed";
    return output;
  }
  auto deadline = std::chrono::steady_clock::now() + kProcessTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      output.out = ReadAll(out_path);
      output.err = ReadAll(err_path);
      return output;  // kTimedOut
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  output.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  output.out = ReadAll(out_path);
  output.err = ReadAll(err_path);
  return output;
}

/// `sluice check`'s verdict, as its JSON report gives it.
struct CheckVerdict {
  bool compatible = false;
  int incompatible = 0;  // operators with the verdict `incompatible`
  int dropped = 0;       // operators with the verdict `dropped` (holding something or not)
};

class CheckRunAgreementTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("sluice-check-run-" + std::to_string(getpid()) + "-" +
                                              fs::path(GetParam()).filename().string());
    std::error_code error;
    fs::remove_all(directory_, error);
    fs::create_directories(directory_, error);
    ASSERT_FALSE(error) << directory_ << ": " << error.message();
  }
  void TearDown() override {
    std::error_code error;
    fs::remove_all(directory_, error);
  }

  /// `run FILE --jit off` with checkpoints and savepoints inside this case's directory, and
  /// `extra`.
  std::vector<std::string> RunArguments(const fs::path& file,
                                        std::vector<std::string> extra) const {
    std::vector<std::string> arguments = {
        "run",
        file.string(),
        "--jit",
        "off",
        "--checkpoint-dir",
        (directory_ / "checkpoints").string(),
        "--set",
        "state.savepoints.dir=" + (directory_ / "savepoints").string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }

  fs::path directory_;
};

TEST_P(CheckRunAgreementTest, RunFromHonoursCheck) {
  const fs::path pair(GetParam());
  const fs::path old_file = pair / "old.pipe";
  const fs::path new_file = pair / "new.pipe";
  const fs::path savepoint = directory_ / "savepoint";

  // 1. The old job to the end of its bounded sources, and a savepoint of the state it holds.
  Output old_run = Sluice(RunArguments(old_file, {"--savepoint-at-end", savepoint.string()}),
                          directory_, "old-run");
  ASSERT_EQ(old_run.exit_code, kRunDone)
      << "the old job did not run to its end, so there is no savepoint to check against:\n"
      << old_run.Describe();
  ASSERT_TRUE(fs::is_regular_file(savepoint / "_metadata"))
      << "the old job ended but wrote no savepoint (--savepoint-at-end):\n"
      << old_run.Describe();
  // A savepoint at the end of a bounded run is taken after every sink committed: it cannot
  // hold the pending output some pairs' expected.txt give their savepoint.
  if (ReadAll(pair / "expected.txt").find("\npending:") != std::string::npos) {
    std::printf(
        "note: expected.txt has the savepoint hold pending output; one taken at the end of a "
        "run holds none, so this case checks check and run --from without it\n");
  }

  // 2. What check says of the new job against that savepoint.
  Output check =
      Sluice({"check", new_file.string(), "--against", savepoint.string(), "--format", "json"},
             directory_, "check");
  ASSERT_TRUE(check.exit_code == kCompatible || check.exit_code == kNotCompatible)
      << "check gave no verdict:\n"
      << check.Describe();
  nlohmann::json report = nlohmann::json::parse(check.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(report.is_object() && report.contains("compatible") &&
              report["compatible"].is_boolean() && report.contains("operators") &&
              report["operators"].is_array())
      << "check --format json printed no report:\n"
      << check.Describe();
  CheckVerdict verdict;
  verdict.compatible = report["compatible"].get<bool>();
  std::string backfill;  // every incompatible operator, when each could be backfilled
  bool all_backfillable = true;
  for (const auto& op : report["operators"]) {
    std::string name = op.value("verdict", "");
    verdict.incompatible += name == "incompatible";
    verdict.dropped += name == "dropped";
    if (name != "incompatible") continue;
    if (op.value("backfill", "").empty()) all_backfillable = false;
    backfill += (backfill.empty() ? "" : ",") + op.value("uid", "");
  }
  EXPECT_EQ(verdict.compatible, check.exit_code == kCompatible)
      << "check's exit status and its JSON disagree:\n"
      << check.Describe();

  // 3. Whether run --from restores the new job from it.
  Output restore =
      Sluice(RunArguments(new_file, {"--from", savepoint.string()}), directory_, "restore");
  std::string both = "\n" + check.Describe() + restore.Describe();
  if (verdict.compatible) {
    EXPECT_EQ(restore.exit_code, kRunDone)
        << "check says compatible, but run --from does not restore" << both;
    return;
  }
  bool only_dropped = verdict.incompatible == 0;
  EXPECT_EQ(restore.exit_code, kRunRefused)
      << "check says NOT compatible ("
      << (only_dropped ? "dropped state" : std::to_string(verdict.incompatible) + " incompatible")
      << "), but run --from does not refuse" << both;
  if (!only_dropped && all_backfillable && verdict.dropped == 0) {
    // Each incompatible operator could be rebuilt from the sources' history: check with
    // --backfill and run --from --backfill must agree on that too.
    Output backfill_check = Sluice(
        {"check", new_file.string(), "--against", savepoint.string(), "--backfill", backfill},
        directory_, "check-backfill");
    Output backfilled =
        Sluice(RunArguments(new_file, {"--from", savepoint.string(), "--backfill", backfill}),
               directory_, "restore-backfill");
    EXPECT_NE(backfill_check.exit_code, kNotCompatible)
        << "every incompatible operator could be backfilled, but check --backfill " << backfill
        << " does not accept it\n"
        << backfill_check.Describe();
    // 0: both restore; 1: both refuse the state; 2: both refuse the --backfill request.
    int expected = backfill_check.exit_code == kCompatible   ? kRunDone
                   : backfill_check.exit_code == kUsageError ? kUsageError
                                                             : kRunRefused;
    EXPECT_EQ(backfilled.exit_code, expected)
        << "check --backfill and run --from --backfill disagree\n"
        << backfill_check.Describe() << backfilled.Describe();
  }
  if (!only_dropped) return;

  // Dropped state only: --allow-dropped-state discards it, and the rest restores.
  EXPECT_GT(verdict.dropped, 0) << "NOT compatible with neither incompatible nor dropped state"
                                << both;
  Output allowed =
      Sluice(RunArguments(new_file, {"--from", savepoint.string(), "--allow-dropped-state"}),
             directory_, "restore-allowing-dropped");
  EXPECT_EQ(allowed.exit_code, kRunDone)
      << "check's only problem is dropped state, but run --from --allow-dropped-state does not "
         "restore\n"
      << check.Describe() << allowed.Describe();
}

std::vector<std::string> FindPairs() {
  std::vector<std::string> pairs;
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  fs::path directory = fs::path(root ? root : SLUICE_SOURCE_DIR_DEFAULT) / "tests" / "compat";
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    if (entry.is_directory()) pairs.push_back(entry.path().string());
  }
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

std::string PairName(const testing::TestParamInfo<std::string>& info) {
  std::string name = "case_" + fs::path(info.param).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(CheckRun, CheckRunAgreementTest, testing::ValuesIn(FindPairs()), PairName);

}  // namespace
