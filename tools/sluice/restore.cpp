#include "tools/sluice/restore.h"

#include <algorithm>
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
    if (snapshot.status().code() == base::ErrorCode::kWrongJob) {
      // Two job names that map to one directory name (JobFileName): not this job's state.
      std::fprintf(stderr,
                   "sluice: warning: skipping checkpoint %s: it is of job '%s', not '%s', which "
                   "share this checkpoint directory\n",
                   checkpoint.c_str(), snapshot.status().subject().c_str(), plan.job_name.c_str());
      continue;
    }
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
    // Named explicitly, a snapshot of any job restores: operators are matched by UID (jobs are
    // renamed between versions: orders_v1.pipe, orders_v2.pipe). --resume finds checkpoints
    // by job name instead.
    auto read = runtime::state::ReadSnapshot(flags.from);
    if (!read.ok()) {
      std::fprintf(stderr, "sluice: error: %s\n", read.status().message().c_str());
      *exit_code = kUsage;
      return std::nullopt;
    }
    snapshot = std::move(read).value();
    if (snapshot->metadata.job_name != plan.job_name) {
      std::fprintf(stderr,
                   "sluice: note: the snapshot '%s' is of job '%s'; restoring into '%s' by "
                   "operator UID\n",
                   flags.from.c_str(), snapshot->metadata.job_name.c_str(), plan.job_name.c_str());
    }
  } else {
    return std::nullopt;
  }

  compiler::check::CompatReport report = compiler::check::CheckCompatibility(*snapshot, plan);
  int restored = 0, migrated = 0, fresh = 0, dropped = 0, incompatible = 0;
  for (const auto& verdict : report.operators) {
    switch (verdict.verdict) {
      case compiler::check::Verdict::kRestored: ++restored; break;
      case compiler::check::Verdict::kMigrated: ++migrated; break;
      case compiler::check::Verdict::kNew: ++fresh; break;
      case compiler::check::Verdict::kDropped: dropped += verdict.holds_nothing ? 0 : 1; break;
      case compiler::check::Verdict::kIncompatible: ++incompatible; break;
    }
  }
  bool refuse = incompatible > 0 || (dropped > 0 && !flags.allow_dropped_state);
  bool any_dropped = std::any_of(report.operators.begin(), report.operators.end(),
                                 [](const compiler::check::OperatorVerdict& verdict) {
                                   return verdict.verdict == compiler::check::Verdict::kDropped;
                                 });
  if (migrated > 0 || fresh > 0 || any_dropped || incompatible > 0) {
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
    if (verdict.verdict == compiler::check::Verdict::kDropped && !verdict.holds_nothing) {
      std::fprintf(stderr, "sluice: discarding the state of '%s' (%s): no operator owns it now\n",
                   verdict.uid.c_str(), verdict.kind.c_str());
    }
  }
  std::fprintf(stderr, "sluice: restoring job '%s' from %s (%d restored, %d migrated, %d new)\n",
               plan.job_name.c_str(), snapshot->directory.c_str(), restored, migrated, fresh);
  return snapshot;
}

}  // namespace sluice::cli
