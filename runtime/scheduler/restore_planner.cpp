#include "runtime/scheduler/restore_planner.h"

#include <fmt/format.h>

#include "runtime/scheduler/checkpoint_coordinator.h"

namespace sluice::runtime::scheduler {

namespace {

JobEvent Event(JobEvent::Kind kind, std::string text) {
  JobEvent event;
  event.kind = kind;
  event.state = JobState::kRestoring;
  event.text = std::move(text);
  return event;
}

}  // namespace

std::optional<state::Snapshot> LatestVerifiedCheckpoint(const plan::PlanGraph& plan,
                                                        const std::string& checkpoint_directory,
                                                        std::vector<JobEvent>* warnings) {
  std::string job_directory = CheckpointJobDirectory(plan, checkpoint_directory);
  for (const std::string& checkpoint : CompletedCheckpoints(job_directory)) {
    auto snapshot = state::ReadSnapshot(checkpoint, plan.job_name);
    if (snapshot.ok()) return std::move(snapshot).value();
    if (snapshot.status().code() == base::ErrorCode::kWrongJob) {
      // Two job names that map to one directory name (JobFileName): not this job's state.
      warnings->push_back(
          Event(JobEvent::Kind::kWarning,
                fmt::format("skipping checkpoint {}: it is of job '{}', not '{}', which share this "
                            "checkpoint directory",
                            checkpoint, snapshot.status().subject(), plan.job_name)));
      continue;
    }
    warnings->push_back(
        Event(JobEvent::Kind::kWarning,
              fmt::format("skipping checkpoint {}: {}", checkpoint, snapshot.status().message())));
  }
  return std::nullopt;
}

RestoreDecision DecideRestore(const plan::PlanGraph& plan, const RestoreRequest& request,
                              const std::string& checkpoint_directory, const RestoreGate& gate) {
  RestoreDecision decision;
  if (!request.from.empty() && request.resume) {
    decision.refusal =
        base::Status::Error(base::ErrorCode::kOption, "--from and --resume exclude each other");
    return decision;
  }
  if (request.resume) {
    decision.snapshot = LatestVerifiedCheckpoint(plan, checkpoint_directory, &decision.events);
    if (!decision.snapshot) {
      decision.events.push_back(Event(
          JobEvent::Kind::kNote,
          fmt::format("no completed checkpoint of job '{}' in {}: starting from the beginning",
                      plan.job_name, CheckpointJobDirectory(plan, checkpoint_directory))));
      return decision;
    }
  } else if (!request.from.empty()) {
    // Named explicitly, a snapshot of any job restores: operators are matched by UID (jobs are
    // renamed between versions: orders_v1.pipe, orders_v2.pipe). A resume finds checkpoints by
    // job name instead.
    auto read = state::ReadSnapshot(request.from);
    if (!read.ok()) {
      decision.refusal = read.status();
      return decision;
    }
    decision.snapshot = std::move(read).value();
    if (decision.snapshot->metadata.job_name != plan.job_name) {
      decision.events.push_back(
          Event(JobEvent::Kind::kNote,
                fmt::format("note: the snapshot '{}' is of job '{}'; restoring into '{}' by "
                            "operator UID",
                            request.from, decision.snapshot->metadata.job_name, plan.job_name)));
    }
  } else {
    return decision;
  }

  if (!gate) {
    decision.refusal = base::Status::Error(
        base::ErrorCode::kInternal, "no compatibility check was given to verify the restore");
    decision.snapshot.reset();
    return decision;
  }
  RestoreVerdict verdict = gate(*decision.snapshot, plan, request.allow_dropped_state);
  if (!verdict.table.empty()) {
    decision.events.push_back(Event(JobEvent::Kind::kReport, verdict.table));
  }
  if (verdict.refuse) {
    decision.refusal =
        base::Status::Error(base::ErrorCode::kIncompatible,
                            fmt::format("refusing to restore from {}: {} (see the table above; "
                                        "`sluice check` tells the same before you stop anything)",
                                        decision.snapshot->directory, verdict.refusal));
    decision.snapshot.reset();
    return decision;
  }
  for (std::string& line : verdict.discarded) {
    decision.events.push_back(Event(JobEvent::Kind::kNote, std::move(line)));
  }
  decision.events.push_back(
      Event(JobEvent::Kind::kNote,
            fmt::format("restoring job '{}' from {} ({} restored, {} migrated, {} new)",
                        plan.job_name, decision.snapshot->directory, verdict.restored,
                        verdict.migrated, verdict.fresh)));
  return decision;
}

}  // namespace sluice::runtime::scheduler
