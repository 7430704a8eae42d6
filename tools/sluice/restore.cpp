#include "tools/sluice/restore.h"

#include <cstdio>

#include "compiler/check/compat_check.h"
#include "runtime/scheduler/checkpoint_coordinator.h"

namespace sluice::cli {

namespace {

constexpr int kNotCompatible = 1;
constexpr int kUsage = 2;

}  // namespace

std::optional<runtime::state::Snapshot> LatestVerifiedCheckpoint(
    const runtime::plan::PlanGraph& plan, const std::string& checkpoint_directory) {
  std::string job_directory =
      runtime::scheduler::CheckpointJobDirectory(plan, checkpoint_directory);
  for (const std::string& checkpoint : runtime::scheduler::CompletedCheckpoints(job_directory)) {
    auto snapshot = runtime::state::ReadSnapshot(checkpoint, plan.job_name);
    if (snapshot.ok()) return std::move(snapshot).value();
    std::fprintf(stderr, "sluice: warning: skipping checkpoint %s: %s\n", checkpoint.c_str(),
                 snapshot.status().message().c_str());
  }
  return std::nullopt;
}

std::optional<runtime::state::Snapshot> ChooseSnapshot(const runtime::plan::PlanGraph& plan,
                                                       const RestoreFlags& flags, int* exit_code) {
  *exit_code = 0;
  if (!flags.from.empty() && flags.resume) {
    std::fprintf(stderr, "sluice: error: --from and --resume exclude each other\n");
    *exit_code = kUsage;
    return std::nullopt;
  }
  std::optional<runtime::state::Snapshot> snapshot;
  if (flags.resume) {
    snapshot = LatestVerifiedCheckpoint(plan, flags.checkpoint_directory);
    if (!snapshot) {
      std::fprintf(
          stderr,
          "sluice: no completed checkpoint of job '%s' in %s: starting from the "
          "beginning\n",
          plan.job_name.c_str(),
          runtime::scheduler::CheckpointJobDirectory(plan, flags.checkpoint_directory).c_str());
      return std::nullopt;
    }
  } else if (!flags.from.empty()) {
    auto read = runtime::state::ReadSnapshot(flags.from, plan.job_name);
    if (!read.ok()) {
      std::string message = read.status().message();
      if (message.find("is of job") != std::string::npos) {
        message += " (set 'pipeline.name' to restore that job's state)";
      }
      std::fprintf(stderr, "sluice: error: %s\n", message.c_str());
      *exit_code = kUsage;
      return std::nullopt;
    }
    snapshot = std::move(read).value();
  } else {
    return std::nullopt;
  }

  compiler::check::CompatReport report =
      compiler::check::CheckCompatibility(snapshot->metadata.plan, plan);
  int restored = 0, migrated = 0, fresh = 0, dropped = 0, incompatible = 0;
  for (const auto& verdict : report.operators) {
    switch (verdict.verdict) {
      case compiler::check::Verdict::kRestored: ++restored; break;
      case compiler::check::Verdict::kMigrated: ++migrated; break;
      case compiler::check::Verdict::kNew: ++fresh; break;
      case compiler::check::Verdict::kDropped: ++dropped; break;
      case compiler::check::Verdict::kIncompatible: ++incompatible; break;
    }
  }
  bool refuse = incompatible > 0 || (dropped > 0 && !flags.allow_dropped_state);
  if (migrated > 0 || fresh > 0 || dropped > 0 || incompatible > 0) {
    std::fputs(compiler::check::ReportText(report).c_str(), stderr);
  }
  if (refuse) {
    std::fprintf(stderr,
                 "sluice: error: refusing to restore from %s: %s (see the table above; `sluice "
                 "check` tells the same before you stop anything)\n",
                 snapshot->directory.c_str(),
                 incompatible > 0 ? "some state is incompatible with the new job"
                                  : "some state has no owner in the new job; run with "
                                    "--allow-dropped-state to discard it");
    *exit_code = kNotCompatible;
    return std::nullopt;
  }
  for (const auto& verdict : report.operators) {
    if (verdict.verdict == compiler::check::Verdict::kDropped) {
      std::fprintf(stderr, "sluice: discarding the state of '%s' (%s): no operator owns it now\n",
                   verdict.uid.c_str(), verdict.kind.c_str());
    }
  }
  std::fprintf(stderr, "sluice: restoring job '%s' from %s (%d restored, %d migrated, %d new)\n",
               plan.job_name.c_str(), snapshot->directory.c_str(), restored, migrated, fresh);
  return snapshot;
}

}  // namespace sluice::cli
