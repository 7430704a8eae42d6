#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::plan {

/// Whether a value of type `from` (LogicalType::ToString) can be carried into state of type
/// `to`: the same type, INT → BIGINT, INT/BIGINT → DOUBLE, a DECIMAL with at least as many
/// integer and fraction digits, a longer (or unbounded) VARCHAR.
bool TypeWidens(const std::string& from, const std::string& to);

/// How the fields of one evolvable signature component (accumulators, kept rows) of a newer
/// plan come from the fields of an older one. Fields are matched by name, in order, each old
/// field at most once (the rule `sluice check` applies).
struct FieldEvolution {
  /// Per new field: the index of the old field it continues, or -1 for a field that is new
  /// (starts empty).
  std::vector<int32_t> origins;
  /// Old fields no new field continues (their state is dropped).
  std::vector<int32_t> removed;
  /// Per new field: its type widened from the old field's.
  std::vector<bool> widened;
  /// Continued fields appear in another order.
  bool reordered = false;
};

/// Matches `after`'s fields to `before`'s; an error (kPlan) names a field whose type changed
/// in a way that cannot hold the old values.
base::Result<FieldEvolution> MatchFields(const SignatureComponent& before,
                                         const SignatureComponent& after);

/// How an operator's state evolves from `before`'s signature to `after`'s: the field
/// evolution of every evolvable component, by component name. An error (kPlan) says why the
/// state cannot be carried: a component gained, lost or (when not evolvable) changed, or a
/// field that cannot be widened. This is the rule `sluice check` gives `migrated` by.
base::Result<std::map<std::string, FieldEvolution>> EvolveSignature(const StateSignature& before,
                                                                    const StateSignature& after);

}  // namespace sluice::runtime::plan
