#include "tools/sluice/check_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "catalog/base/diagnostic.h"
#include "compiler/check/compat_check.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/scheduler/backfill.h"
#include "runtime/state/snapshot.h"

namespace sluice::cli {

namespace {

constexpr int kCompatible = 0;
constexpr int kNotCompatible = 1;
constexpr int kUsage = 2;

/// Compiles one .pipe file to its PlanGraph; prints `file:line:col` diagnostics on failure.
std::optional<runtime::plan::PlanGraph> PlanOf(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "sluice: error: cannot read '%s': %s\n", file.c_str(),
                 std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  compiler::CompileOptions options;
  options.file_name = file;
  auto compiled = compiler::CompileScript(text, options);
  if (!compiled.ok()) {
    std::fputs(base::RenderDiagnostics(compiled.status().diagnostics(), file, text).c_str(),
               stderr);
    return std::nullopt;
  }
  return std::move(compiled->plan);
}

}  // namespace

int RunCheck(const std::string& new_file, const std::string& against, const std::string& format,
             const std::string& backfill) {
  std::optional<runtime::plan::PlanGraph> new_plan = PlanOf(new_file);
  if (!new_plan) return kUsage;
  const std::vector<std::string> backfill_uids = runtime::scheduler::SplitBackfillUids(backfill);
  std::optional<runtime::plan::PlanGraph> old_plan;
  std::optional<compiler::check::SnapshotContents> contents;  // against a snapshot only
  struct stat info {};
  if (stat(against.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    // A snapshot: its verified `_metadata` carries the PlanGraph it was taken from and what
    // its sinks had pending. Of any job: operators are matched by UID.
    auto snapshot = runtime::state::ReadSnapshot(against);
    if (!snapshot.ok()) {
      std::fprintf(stderr, "sluice: error: %s\n", snapshot.status().message().c_str());
      return kUsage;
    }
    if (snapshot->metadata.job_name != new_plan->job_name) {
      std::fprintf(stderr,
                   "sluice: note: the snapshot '%s' is of job '%s'; checking '%s' against it by "
                   "operator UID\n",
                   against.c_str(), snapshot->metadata.job_name.c_str(),
                   new_plan->job_name.c_str());
    }
    contents = compiler::check::ContentsOf(snapshot->metadata);
    if (!backfill_uids.empty()) {
      // What `run --from … --backfill` refuses before it runs (exit 2), refused here alike.
      auto replay = runtime::scheduler::ReplayPlan(*new_plan, *snapshot, backfill_uids);
      if (!replay.ok()) {
        std::fprintf(stderr, "sluice: error: %s\n", replay.status().message().c_str());
        return kUsage;
      }
    }
    old_plan = std::move(snapshot->metadata.plan);
  } else {
    old_plan = PlanOf(against);
    if (!old_plan) return kUsage;
    for (const std::string& uid : backfill_uids) {
      auto sources = runtime::scheduler::BackfillSources(*new_plan, uid);
      if (!sources.ok()) {
        std::fprintf(stderr, "sluice: error: %s\n", sources.status().message().c_str());
        return kUsage;
      }
    }
  }
  compiler::check::CompatReport report = compiler::check::CheckCompatibility(
      *old_plan, *new_plan, contents,
      std::set<std::string>(backfill_uids.begin(), backfill_uids.end()));
  std::string out =
      format == "json" ? compiler::check::ReportJson(report) : compiler::check::ReportText(report);
  std::fputs(out.c_str(), stdout);
  return report.compatible ? kCompatible : kNotCompatible;
}

}  // namespace sluice::cli
