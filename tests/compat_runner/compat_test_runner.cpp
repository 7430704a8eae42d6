// Runs every tests/compat/NNN_name/ case: compiles old.pipe and new.pipe, checks the new job
// against the old one, and compares each operator's verdict with expected.txt; then checks it
// again against a savepoint of the old job (a canonical snapshot of its, empty, state, read
// back and verified), which must give the same verdicts, reasons and fixes except where
// expected.txt says otherwise (a sink without pending output in the savepoint is dropped
// without loss, where against old.pipe it may hold some); and restores every stateful
// operator of the new job from that savepoint (operators::RestoreOperatorState), which must
// succeed exactly where the verdict is restored, migrated or new, and refuse, naming the UID,
// where it is incompatible: the runtime migrates what check promises, and nothing else.
//
// expected.txt (lines starting with '#' are comments):
//   compatible: true|false
//   <uid> <verdict>
//     reason: <text the reason contains>
//     warning: <text one warning contains>     (one line per warning: their count must match)
//     fix: <text the fix contains>
//     savepoint-reason: <text the reason contains against the savepoint> (default: the same
//                       reason as against old.pipe)
//   savepoint-compatible: true|false   (against the savepoint; default: as `compatible`)
//   pending: <sink uid>                (the savepoint records pending output for this sink)
// Every operator of the report must be listed, and nothing else.
// SLUICE_COMPAT_PRINT=1 prints the actual report of each case (to write a new case).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "compiler/check/compat_check.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/operators/operator_restore.h"
#include "runtime/state/snapshot.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Expected {
  std::string verdict;
  std::vector<std::string> reasons, warnings, fixes, savepoint_reasons;
};

struct ExpectedReport {
  std::optional<bool> compatible;
  std::optional<bool> savepoint_compatible;
  std::vector<std::string> pending_sinks;
  std::vector<std::pair<std::string, Expected>> operators;
};

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  size_t end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

ExpectedReport Parse(const std::string& text) {
  ExpectedReport out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    auto take = [&](const char* prefix, std::vector<std::string> Expected::*field) {
      size_t length = std::strlen(prefix);
      if (trimmed.compare(0, length, prefix) != 0) return false;
      EXPECT_FALSE(out.operators.empty()) << "'" << prefix << "' before any operator";
      if (!out.operators.empty()) {
        (out.operators.back().second.*field).push_back(Trim(trimmed.substr(length)));
      }
      return true;
    };
    if (trimmed.rfind("compatible:", 0) == 0) {
      out.compatible = Trim(trimmed.substr(11)) == "true";
    } else if (trimmed.rfind("savepoint-compatible:", 0) == 0) {
      out.savepoint_compatible = Trim(trimmed.substr(21)) == "true";
    } else if (trimmed.rfind("pending:", 0) == 0) {
      out.pending_sinks.push_back(Trim(trimmed.substr(8)));
    } else if (take("reason:", &Expected::reasons) || take("warning:", &Expected::warnings) ||
               take("fix:", &Expected::fixes) ||
               take("savepoint-reason:", &Expected::savepoint_reasons)) {
    } else {
      std::istringstream words(trimmed);
      std::string uid, verdict;
      words >> uid >> verdict;
      out.operators.push_back({uid, Expected{verdict, {}, {}, {}, {}}});
    }
  }
  return out;
}

base::Result<runtime::plan::PlanGraph> Plan(const fs::path& file) {
  compiler::CompileOptions options;
  options.file_name = file.string();
  SLUICE_ASSIGN_OR_RETURN(compiler::CompiledScript compiled,
                          compiler::CompileScript(Read(file), options));
  return std::move(compiled.plan);
}

/// Writes a savepoint of `plan` (every stateful operator's tables, empty; a pending
/// transaction for each of `pending_sinks`) into `directory` and returns it read back and
/// verified.
base::Result<runtime::state::Snapshot> SnapshotOf(const runtime::plan::PlanGraph& plan,
                                                  const fs::path& directory,
                                                  const std::vector<std::string>& pending_sinks) {
  auto backend = runtime::state::MakeMemoryStateBackend();
  std::vector<runtime::state::SubtaskState> subtasks;
  for (const auto& node : plan.nodes) {
    if (node.state.empty()) continue;
    runtime::state::SubtaskState subtask;
    subtask.uid = node.uid;
    subtask.backend = backend.get();
    subtask.last_key_group = plan.max_parallelism - 1;
    subtasks.push_back(subtask);
  }
  runtime::state::SnapshotOptions options;
  for (const std::string& uid : pending_sinks) {
    options.pending_sink_transactions[uid] = {"a transaction of " + uid};
  }
  SLUICE_RETURN_IF_ERROR(
      runtime::state::WriteCanonicalSnapshot(directory.string(), plan, subtasks, options).status());
  return runtime::state::ReadSnapshot(directory.string());
}

class CompatTest : public testing::TestWithParam<std::string> {};

TEST_P(CompatTest, VerdictsMatch) {
  fs::path directory(GetParam());
  auto old_plan = Plan(directory / "old.pipe");
  ASSERT_TRUE(old_plan.ok()) << "old.pipe: " << old_plan.status().message();
  auto new_plan = Plan(directory / "new.pipe");
  ASSERT_TRUE(new_plan.ok()) << "new.pipe: " << new_plan.status().message();
  compiler::check::CompatReport report = compiler::check::CheckCompatibility(*old_plan, *new_plan);
  std::string actual = compiler::check::ReportText(report);
  if (std::getenv("SLUICE_COMPAT_PRINT")) std::printf("%s", actual.c_str());
  ExpectedReport expected = Parse(Read(directory / "expected.txt"));
  ASSERT_FALSE(expected.operators.empty()) << "expected.txt lists no operator";
  ASSERT_TRUE(expected.compatible.has_value()) << "expected.txt has no 'compatible:' line";
  EXPECT_EQ(report.compatible, *expected.compatible) << actual;
  std::map<std::string, const compiler::check::OperatorVerdict*> by_uid;
  for (const auto& op : report.operators) by_uid[op.uid] = &op;
  EXPECT_EQ(report.operators.size(), expected.operators.size()) << actual;
  for (const auto& [uid, want] : expected.operators) {
    auto found = by_uid.find(uid);
    if (found == by_uid.end()) {
      ADD_FAILURE() << "no verdict for " << uid << "\n" << actual;
      continue;
    }
    const auto& op = *found->second;
    EXPECT_EQ(compiler::check::VerdictName(op.verdict), want.verdict) << uid << "\n" << actual;
    for (const auto& text : want.reasons) {
      EXPECT_NE(op.reason.find(text), std::string::npos)
          << uid << ": reason lacks '" << text << "'\n"
          << actual;
    }
    for (const auto& text : want.fixes) {
      EXPECT_NE(op.fix.find(text), std::string::npos) << uid << ": fix lacks '" << text << "'\n"
                                                      << actual;
    }
    EXPECT_EQ(op.warnings.size(), want.warnings.size()) << uid << " warnings\n" << actual;
    for (const auto& text : want.warnings) {
      bool any = std::any_of(op.warnings.begin(), op.warnings.end(), [&](const std::string& w) {
        return w.find(text) != std::string::npos;
      });
      EXPECT_TRUE(any) << uid << ": no warning contains '" << text << "'\n" << actual;
    }
    // A problem always comes with a way out.
    if (op.verdict == compiler::check::Verdict::kDropped ||
        op.verdict == compiler::check::Verdict::kIncompatible) {
      EXPECT_FALSE(op.fix.empty()) << uid;
    }
  }

  // Against a real savepoint of the old job: the same report.
  fs::path savepoint = fs::temp_directory_path() / ("sluice-compat-" + std::to_string(::getpid()) +
                                                    "-" + directory.filename().string());
  fs::remove_all(savepoint);
  auto snapshot = SnapshotOf(*old_plan, savepoint, expected.pending_sinks);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  compiler::check::CompatReport from_savepoint =
      compiler::check::CheckCompatibility(*snapshot, *new_plan);
  std::string against_savepoint = compiler::check::ReportText(from_savepoint);
  EXPECT_EQ(from_savepoint.compatible, expected.savepoint_compatible.value_or(*expected.compatible))
      << "against the savepoint\n"
      << against_savepoint;
  ASSERT_EQ(from_savepoint.operators.size(), report.operators.size()) << against_savepoint;
  for (size_t i = 0; i < report.operators.size(); ++i) {
    const auto& file_verdict = report.operators[i];
    const auto& savepoint_verdict = from_savepoint.operators[i];
    const std::string& uid = file_verdict.uid;
    ASSERT_EQ(savepoint_verdict.uid, uid) << against_savepoint;
    EXPECT_EQ(savepoint_verdict.verdict, file_verdict.verdict) << uid << "\n" << against_savepoint;
    EXPECT_EQ(savepoint_verdict.warnings, file_verdict.warnings) << uid;
    auto want = std::find_if(expected.operators.begin(), expected.operators.end(),
                             [&](const auto& entry) { return entry.first == uid; });
    if (want == expected.operators.end() || want->second.savepoint_reasons.empty()) {
      EXPECT_EQ(savepoint_verdict.reason, file_verdict.reason) << uid << "\n" << against_savepoint;
      EXPECT_EQ(savepoint_verdict.fix, file_verdict.fix) << uid << "\n" << against_savepoint;
    } else {
      for (const auto& text : want->second.savepoint_reasons) {
        EXPECT_NE(savepoint_verdict.reason.find(text), std::string::npos)
            << uid << ": reason against the savepoint lacks '" << text << "'\n"
            << against_savepoint;
      }
    }
    // Dropping what holds nothing is no problem and needs no fix; any other problem has one.
    bool problem = savepoint_verdict.verdict == compiler::check::Verdict::kIncompatible ||
                   (savepoint_verdict.verdict == compiler::check::Verdict::kDropped &&
                    !savepoint_verdict.holds_nothing);
    EXPECT_EQ(savepoint_verdict.fix.empty(), !problem) << uid << "\n" << against_savepoint;
  }

  // Restoring from it: what check promises, the runtime does (the tables are empty, but every
  // layout is planned, and a refusal made, before anything loads).
  for (const auto& node : new_plan->nodes) {
    auto found = by_uid.find(node.uid);
    if (node.state.empty() || found == by_uid.end()) continue;
    auto backend = runtime::state::MakeMemoryStateBackend();
    base::Status restored = runtime::operators::RestoreOperatorState(
        *snapshot, node, backend.get(), 0, new_plan->max_parallelism - 1,
        new_plan->max_parallelism);
    if (found->second->verdict == compiler::check::Verdict::kIncompatible) {
      EXPECT_FALSE(restored.ok()) << node.uid << ": the runtime restores incompatible state";
      if (!restored.ok()) {
        EXPECT_NE(restored.message().find("'" + node.uid + "'"), std::string::npos)
            << restored.message();
      }
    } else {
      EXPECT_TRUE(restored.ok()) << node.uid << " ("
                                 << compiler::check::VerdictName(found->second->verdict)
                                 << "): " << restored.message();
    }
  }
  fs::remove_all(savepoint);
}

std::vector<std::string> FindCases() {
  std::vector<std::string> cases;
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  fs::path directory = fs::path(root ? root : SLUICE_SOURCE_DIR_DEFAULT) / "tests" / "compat";
  if (!fs::exists(directory)) return cases;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_directory()) cases.push_back(entry.path().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::string CaseName(const testing::TestParamInfo<std::string>& info) {
  std::string name = "case_" + fs::path(info.param).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Compat, CompatTest, testing::ValuesIn(FindCases()), CaseName);

}  // namespace
}  // namespace sluice
