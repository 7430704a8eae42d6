#pragma once

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::expr {

/// Evaluates a chain over one batch with the reference semantics of SEMANTICS.md: keeps the
/// rows whose filter is TRUE and writes one output column per projection into `output`
/// (built with the projection types), setting its row count. Vectorized: each expression node
/// runs over the whole batch at once.
base::Status EvaluateChain(const plan::ChainSpec& spec, const Batch& input, Batch* output);

}  // namespace sluice::runtime::expr
