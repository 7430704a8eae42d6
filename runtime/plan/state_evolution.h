#pragma once

#include <cstdint>
#include <map>
#include <optional>
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
  /// Per new field: it continues an old field of another name — the same value under a
  /// lossless widening CAST, or an aggregate call whose FILTER (WHERE …) was added, removed
  /// or changed (the rows it counts changed; its value so far is carried).
  std::vector<bool> renamed;
  /// Continued fields appear in another order.
  bool reordered = false;
};

/// What a field is, for matching across versions: `name` without CASTs and without an
/// aggregate call's `FILTER (WHERE …)`. `SUM(CAST(bid.price AS BIGINT)) FILTER (WHERE p)` →
/// `SUM(bid.price)`.
std::string BaseFieldName(const std::string& name);
/// The `FILTER (WHERE …)` clause of an aggregate call's name ("" when it has none).
std::string FilterClause(const std::string& name);

/// Matches `after`'s fields to `before`'s: by name first, then (for fields left over) by
/// BaseFieldName where the old type widens into the new one (TypeWidens), so a value under a
/// lossless widening CAST, or a call with another FILTER, continues the old one. An error
/// (kPlan) names a field whose type changed in a way that cannot hold the old values.
base::Result<FieldEvolution> MatchFields(const SignatureComponent& before,
                                         const SignatureComponent& after);

/// A change of a component that is not evolvable which the state still carries.
struct CarriedChange {
  std::string component;  // the signature component ("interval", "window", "limit", …)
  /// The verdict is `migrated` (the state is converted, or what the operator emits from it
  /// changes); false: `restored` (the old state is used as it is), with `reason` said.
  bool migrated = true;
  std::string reason;   // what changed and what the restore does about it
  std::string warning;  // what a user will see in the output because of it ("" for nothing)
};

/// How an operator's state evolves from one version to the next.
struct StateEvolution {
  /// The field evolution of every evolvable component, by component name.
  std::map<std::string, FieldEvolution> fields;
  /// Changes of components that are not evolvable that the restore carries:
  /// * "interval" (interval join): other bounds on the same time attributes. The kept rows
  ///   are the same kind; widened bounds miss, until the watermark passes the new bound, the
  ///   matches with rows that already expired under the old one (`migrated`); narrowed ones
  ///   keep a superset that expires sooner (`restored`).
  /// * "window" (window aggregate): another SESSION gap on the same time attribute. Every
  ///   open session ends at its last row + the new gap; stored sessions that now overlap are
  ///   merged at the restore (`migrated`; WindowAggregateOperator's session migration).
  /// * "row expiry" (regular join): `table.exec.state.ttl` switched on or off; the restore
  ///   adds the last-touched time (the restore time) or drops it (`migrated`; MigrateJoinRows).
  /// * "join type" (window join): any other of INNER, LEFT, RIGHT, FULL, SEMI, ANTI. The
  ///   operator buffers every row of its open windows alike for each, and decides matches
  ///   when a window ends: the kept rows are used as they are (`restored`).
  /// * "limit" (Top-N): another N. A larger N shows the kept rows, a prefix of what it needs;
  ///   a smaller one drops the tail (`migrated`; the operator drops rows past N of an
  ///   insert-only input as they are touched, and keeps an updating input's rows, as it does
  ///   without a restore).
  std::vector<CarriedChange> carried;
};

/// How the state of `before` (as written by the old plan, with its signature) evolves into
/// the state of `after`. An error (kPlan) says why the state cannot be carried: a component
/// gained, lost or changed where no rule above carries it, or a field that cannot be widened.
/// This is the one rule both `sluice check` (its verdicts) and the restore
/// (operators::RestoreOperatorState) follow.
base::Result<StateEvolution> EvolveState(const PlanNode& before, const StateSignature& before_sig,
                                         const PlanNode& after, const StateSignature& after_sig);

/// The CarriedChange for a component that differs between `before`'s and `after`'s
/// signatures, or nullopt when no rule carries it.
std::optional<CarriedChange> CarryChange(const SignatureComponent& before_component,
                                         const SignatureComponent& after_component,
                                         const PlanNode& before, const PlanNode& after);

}  // namespace sluice::runtime::plan
