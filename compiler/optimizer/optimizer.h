#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"

namespace sluice::compiler::optimizer {

/// One rewrite of the logical plan. Rules run in list order, each to a fixed point over the
/// whole tree; every rule preserves results.
class Rule {
 public:
  virtual ~Rule() = default;
  virtual const char* name() const = 0;
  /// Rewrites `node` in place (its inputs are already rewritten); true when it changed.
  virtual bool Apply(logical::LogicalNodePtr& node) = 0;
};

/// Which of the rules that can be turned off run.
struct RuleOptions {
  /// `table.optimizer.prune-state-columns` (default true): StateColumnPruning runs.
  bool prune_state_columns = true;
};

/// The rules Sluice applies, in order (shown by `sluice explain`):
///   ConstantFolding, FilterMerge, FilterPushdown (through projections), FilterIntoJoin,
///   JoinConditionPushdown (one-sided conditions filter that side first), TopNLimit
///   (WHERE rn <= N over ROW_NUMBER() makes a Top-N), ProjectMerge,
///   RemoveTrueFilter, ProjectionPruning (unused computed columns are not computed),
///   StateColumnPruning (stateful operators keep only the columns read after them).
std::vector<std::unique_ptr<Rule>> DefaultRules(const RuleOptions& options = {});

/// Applies `rules` bottom-up until nothing changes; returns the names of the rules that fired.
std::vector<std::string> Optimize(logical::LogicalNodePtr& root,
                                  const std::vector<std::unique_ptr<Rule>>& rules);

/// Evaluates an expression without column references (with the interpreter, so folding and
/// running agree exactly).
base::Result<runtime::plan::Value> EvaluateConstant(const runtime::plan::ExprPtr& expression);

/// Folds constant subexpressions of `expression`.
runtime::plan::ExprPtr FoldConstants(const runtime::plan::ExprPtr& expression);

/// Rewrites `expression` (over the output slots of a projection) into one over the
/// projection's input, substituting each column with its projection.
runtime::plan::ExprPtr Substitute(const runtime::plan::ExprPtr& expression,
                                  const std::vector<runtime::plan::ExprPtr>& projections);

}  // namespace sluice::compiler::optimizer
