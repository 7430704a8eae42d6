#pragma once

#include <memory>

#include "catalog/base/result.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Creates the source instance for a kSource node.
base::Result<std::unique_ptr<SourceOperator>> CreateSourceOperator(const plan::PlanNode& node);
/// Creates the instance for any other node kind.
base::Result<std::unique_ptr<Operator>> CreateOperator(const plan::PlanNode& node);

}  // namespace sluice::runtime::operators
