#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/plan/plan_graph.h"
#include "runtime/state/snapshot.h"

namespace sluice::compiler::check {

/// What happens to one piece of state when a job restores from an older version (DESIGN §9).
enum class Verdict { kRestored, kMigrated, kNew, kDropped, kIncompatible };

const char* VerdictName(Verdict verdict);

/// The verdict for one source, sink or stateful operator, matched by UID.
struct OperatorVerdict {
  std::string uid;
  std::string kind;  // OperatorKindName of the new operator (of the old one when dropped)
  Verdict verdict = Verdict::kRestored;
  std::string reason;  // what changed and what starts empty ("" when restored unchanged)
  std::string fix;     // one line telling how to fix a problem ("" when there is none)
  std::vector<std::string> warnings;
  /// Where its state could be computed from instead (`run --from … --backfill UID`, from the
  /// sources' history), for an operator that starts empty, loses state or is incompatible;
  /// "" when it cannot be backfilled or has no need.
  std::string backfill;
  /// For kDropped: the old state is known to hold nothing (a sink without pending output in
  /// the snapshot), so dropping it loses nothing and does not make the report incompatible.
  bool holds_nothing = false;
};

struct CompatReport {
  bool compatible = true;  // no incompatible state, and no dropped state that holds something
  std::vector<OperatorVerdict> operators;
};

/// What a snapshot of the old job holds besides its plan (none when checking against a .pipe:
/// then what a dropped operator holds is unknown).
struct SnapshotContents {
  /// The sinks with pre-committed transactions in the snapshot: output written before it
  /// that a later checkpoint had yet to commit. A sink of a job stopped with a savepoint has
  /// none.
  std::set<std::string> sinks_with_pending_output;
  /// The sources it records split positions for: only operators fed by these alone can be
  /// backfilled from it (a replay runs up to those positions).
  std::set<std::string> sources_with_positions;
};

/// The SnapshotContents of a verified snapshot's `_metadata`.
SnapshotContents ContentsOf(const runtime::state::SnapshotMetadata& metadata);

/// Compares the state of `new_plan` with the state `old_plan` left behind (the plan of the old
/// .pipe, or the one a snapshot's `_metadata` carries, with `contents`): operators are matched
/// by UID, their state signatures compared component by component. Signatures missing from a
/// plan (older JSON) are computed from the plan itself. A dropped sink holds nothing when
/// `contents` lists no pending output for it; without `contents` it may hold some.
/// `backfilled` names operators whose state the run computes from the sources' history
/// (`--backfill`): they take nothing from the old state, so their verdict is `migrated` (or
/// `new`) whatever their old state was.
CompatReport CheckCompatibility(const runtime::plan::PlanGraph& old_plan,
                                const runtime::plan::PlanGraph& new_plan,
                                const std::optional<SnapshotContents>& contents = std::nullopt,
                                const std::set<std::string>& backfilled = {});

/// CheckCompatibility against a verified snapshot: its plan and its contents.
CompatReport CheckCompatibility(const runtime::state::Snapshot& snapshot,
                                const runtime::plan::PlanGraph& new_plan,
                                const std::set<std::string>& backfilled = {});

/// A table for people: UID, kind, verdict, reason; warnings and fixes under their operator;
/// a summary line last.
std::string ReportText(const CompatReport& report);
/// `{"compatible": bool, "operators": [{"uid", "kind", "verdict", "reason", "fix",
/// "warnings": [], "backfill"}]}`.
std::string ReportJson(const CompatReport& report);

/// Whether a value of type `from` can be carried into state of type `to` (INT → BIGINT,
/// INT/BIGINT → DOUBLE, a wider DECIMAL, a longer VARCHAR).
bool Widens(const std::string& from, const std::string& to);

}  // namespace sluice::compiler::check
