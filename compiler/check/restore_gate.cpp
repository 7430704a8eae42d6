#include "compiler/check/restore_gate.h"

#include <fmt/format.h>

#include "compiler/check/compat_check.h"

namespace sluice::compiler::check {

runtime::scheduler::RestoreGate MakeRestoreGate(std::set<std::string> backfilled) {
  return [backfilled](const runtime::state::Snapshot& snapshot,
                      const runtime::plan::PlanGraph& plan, bool allow_dropped_state) {
    CompatReport report = CheckCompatibility(snapshot, plan, backfilled);
    runtime::scheduler::RestoreVerdict verdict;
    int32_t dropped = 0, any_dropped = 0, incompatible = 0;
    for (const OperatorVerdict& op : report.operators) {
      switch (op.verdict) {
        case Verdict::kRestored: ++verdict.restored; break;
        case Verdict::kMigrated: ++verdict.migrated; break;
        case Verdict::kNew: ++verdict.fresh; break;
        case Verdict::kDropped:
          ++any_dropped;
          if (!op.holds_nothing) {
            ++dropped;
            verdict.discarded.push_back(fmt::format(
                "discarding the state of '{}' ({}): no operator owns it now", op.uid, op.kind));
          }
          break;
        case Verdict::kIncompatible: ++incompatible; break;
      }
    }
    if (verdict.migrated > 0 || verdict.fresh > 0 || any_dropped > 0 || incompatible > 0) {
      verdict.table = ReportText(report);
    }
    if (incompatible > 0) {
      verdict.refuse = true;
      verdict.refusal = "some state is incompatible with the new job";
    } else if (dropped > 0 && !allow_dropped_state) {
      verdict.refuse = true;
      verdict.refusal =
          "some state has no owner in the new job; run with --allow-dropped-state to discard it";
    }
    if (verdict.refuse) verdict.discarded.clear();
    return verdict;
  };
}

}  // namespace sluice::compiler::check
