#pragma once

#include <memory>

#include "catalog/base/result.h"
#include "runtime/batch/batch.h"
#include "runtime/expr/chain_compiler.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::operators {

/// Runs one ChainSpec over batches, through a JIT kernel when one was compiled and through
/// the interpreter otherwise. Output strings may point into the input's arenas, which the
/// output batch retains.
class ChainEvaluator {
 public:
  /// Compiles the chain when `compiler` is not null; a compile failure is an error, never a
  /// silent fallback, so `--jit=on` means what it says.
  static base::Result<std::unique_ptr<ChainEvaluator>> Create(const plan::ChainSpec& spec,
                                                              expr::ChainCompiler* compiler);

  /// Evaluates the chain over `input`; the result may have zero rows.
  base::Result<std::shared_ptr<Batch>> Evaluate(const Batch& input) const;

  const std::vector<types::LogicalType>& output_types() const { return output_types_; }

 private:
  plan::ChainSpec spec_;
  std::vector<types::LogicalType> output_types_;
  std::shared_ptr<expr::CompiledChain> compiled_;
};

}  // namespace sluice::runtime::operators
