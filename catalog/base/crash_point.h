#pragma once

#include <string_view>

namespace sluice::base {

/// Kills the process with SIGKILL the n-th time it reaches `point` when the environment says
/// `SLUICE_TEST_CRASH_AT=<point>:<n>` (n 1-based; `<point>` alone means the first time): a
/// test hook that lets crash tests land a kill exactly between two steps of a protocol.
/// Points: `before-metadata` (a snapshot's files are written, its `_metadata` not yet),
/// `after-metadata` (a checkpoint's `_metadata` is written, the sinks not yet told to commit),
/// `during-restore` (an operator's state was loaded while restoring, the job has not started);
/// in `sluice serve`'s upgrade (tools/sluice/server/job_upgrade.cpp), one per phase:
/// `upgrade-stopping` (the record says "stopping", the old version still runs),
/// `upgrade-stopped` (the old version stopped at its savepoint, the record not yet updated),
/// `upgrade-starting` (the record names the new version, it has not started),
/// `upgrade-running` (the new version runs, the record not yet "done"),
/// `upgrade-rolling-back` (the new version failed; the record says "rolling back").
/// Costs one relaxed load when the variable is not set.
void CrashPoint(std::string_view point);

}  // namespace sluice::base
