#pragma once

#include <memory>

#include "compiler/optimizer/optimizer.h"

namespace sluice::compiler::optimizer {

/// Makes the rule StateColumnPruning: the input of each regular join, Top-N (window Top-N
/// too), OVER aggregation and group aggregation keeps only the columns that operator and the
/// operators after it read. A projection below the operator drops the others, so they are
/// neither shuffled nor kept in its state; a projection above it gives the operator's old
/// output slots back (NULL for a dropped column, which nothing reads).
/// `table.optimizer.prune-state-columns = 'false'` turns it off.
std::unique_ptr<Rule> MakeStateColumnPruning();

}  // namespace sluice::compiler::optimizer
