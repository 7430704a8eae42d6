#pragma once

#include <string>
#include <vector>

#include "runtime/plan/plan_graph.h"

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
};

struct CompatReport {
  bool compatible = true;  // no dropped and no incompatible state
  std::vector<OperatorVerdict> operators;
};

/// Compares the state of `new_plan` with the state `old_plan` left behind (the plan of the old
/// .pipe, or later the one a snapshot's `_metadata` carries): operators are matched by UID,
/// their state signatures compared component by component. Signatures missing from a plan
/// (older JSON) are computed from the plan itself.
CompatReport CheckCompatibility(const runtime::plan::PlanGraph& old_plan,
                                const runtime::plan::PlanGraph& new_plan);

/// A table for people: UID, kind, verdict, reason; warnings and fixes under their operator;
/// a summary line last.
std::string ReportText(const CompatReport& report);
/// `{"compatible": bool, "operators": [{"uid", "kind", "verdict", "reason", "fix",
/// "warnings": []}]}`.
std::string ReportJson(const CompatReport& report);

/// Whether a value of type `from` can be carried into state of type `to` (INT → BIGINT,
/// INT/BIGINT → DOUBLE, a wider DECIMAL, a longer VARCHAR).
bool Widens(const std::string& from, const std::string& to);

}  // namespace sluice::compiler::check
