#pragma once

#include <future>
#include <memory>
#include <optional>

#include "catalog/base/result.h"
#include "runtime/batch/batch.h"
#include "runtime/expr/chain_compiler.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::operators {

/// A chain compiler that also compiles in the background (adaptive execution, as HyPer's): a
/// ChainEvaluator built with one starts on the interpreter and switches to the compiled kernel
/// at the first batch after it is ready, so a job's first rows never wait for LLVM.
class BackgroundChainCompiler : public expr::ChainCompiler {
 public:
  using Future = std::shared_future<base::Result<std::shared_ptr<expr::CompiledChain>>>;
  /// Queues the compilation of (a copy of) `spec`; the future is ready when it is done.
  virtual Future CompileInBackground(const plan::ChainSpec& spec) = 0;
};

/// Runs one ChainSpec over batches, through a JIT kernel when one was compiled and through
/// the interpreter otherwise. Output strings may point into the input's arenas, which the
/// output batch retains.
class ChainEvaluator {
 public:
  /// Compiles the chain when `compiler` is not null; a compile failure is an error, never a
  /// silent fallback, so `--jit=on` means what it says. With a BackgroundChainCompiler the
  /// chain starts on the interpreter, and a failure in the background fails the first batch
  /// evaluated after it.
  static base::Result<std::unique_ptr<ChainEvaluator>> Create(const plan::ChainSpec& spec,
                                                              expr::ChainCompiler* compiler);

  /// Evaluates the chain over `input`; the result may have zero rows. Not thread-safe: one
  /// evaluator per subtask.
  base::Result<std::shared_ptr<Batch>> Evaluate(const Batch& input) const;

  /// Whether batches run through the compiled kernel (false while it is being compiled).
  bool compiled() const { return compiled_ != nullptr; }

  const std::vector<types::LogicalType>& output_types() const { return output_types_; }

 private:
  plan::ChainSpec spec_;
  std::vector<types::LogicalType> output_types_;
  // The kernel once compiled; while a background compilation runs, `pending_` (both are
  // switched by Evaluate, on the subtask's thread).
  mutable std::shared_ptr<expr::CompiledChain> compiled_;
  mutable std::optional<BackgroundChainCompiler::Future> pending_;
};

}  // namespace sluice::runtime::operators
