#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/plan/plan_graph.h"

extern "C" {

/// A generated update function: for each i < `count`, folds row `rows[i]` of the batch whose
/// columns are `inputs` (indexed by slot, as SluiceChainKernel sees them) into the accumulator
/// at `accumulators[i * accumulator_step]` (step 0: every row folds into accumulators[0]).
/// Rows of one group share an accumulator and are folded in order. Row `r` retracts when
/// `row_kinds` is not null and row_kinds[r] is -U or -D. Updates the row count and the fixed
/// slots of the compiled calls only, exactly as Aggregator::Accumulate would; the caller has
/// checked that every accumulator holds the fixed slots and that no retraction reaches a
/// non-retractable MIN/MAX.
typedef void (*SluiceAccumulateKernel)(const SluiceKernelColumn* inputs, const uint8_t* row_kinds,
                                       const int32_t* rows, char* const* accumulators,
                                       int64_t accumulator_step, int32_t count);

/// A generated merge function: merges the row count and the compiled calls' fixed slots of
/// `other` into `accumulator`, as Aggregator::Merge would (`other` may equal `accumulator`).
typedef void (*SluiceMergeKernel)(char* accumulator, const char* other);

}  // extern "C"

namespace sluice::runtime::operators::aggregate {

/// The update and merge kernels of one list of aggregate calls. The code stays valid while
/// this lives.
class CompiledAccumulators {
 public:
  CompiledAccumulators(SluiceAccumulateKernel accumulate, SluiceMergeKernel merge,
                       std::vector<bool> compiled_calls, size_t fixed_size)
      : accumulate_(accumulate),
        merge_(merge),
        compiled_calls_(std::move(compiled_calls)),
        fixed_size_(fixed_size) {}
  virtual ~CompiledAccumulators() = default;

  SluiceAccumulateKernel accumulate() const { return accumulate_; }
  SluiceMergeKernel merge() const { return merge_; }
  /// One per call: true when the kernels update and merge it, false when the interpreter must.
  const std::vector<bool>& compiled_calls() const { return compiled_calls_; }
  /// The size of the fixed part of the layout the kernels were generated for.
  size_t fixed_size() const { return fixed_size_; }

 private:
  SluiceAccumulateKernel accumulate_;
  SluiceMergeKernel merge_;
  std::vector<bool> compiled_calls_;
  size_t fixed_size_;
};

/// Generates update and merge kernels for aggregate calls over the accumulator layout of
/// call_layout.h (LayOutAccumulators), for the calls IsFixedSlotCall accepts; the others are
/// left to the interpreter. The JIT (compiler/codegen) implements it; the runtime only sees
/// this interface, so it never includes the compiler or LLVM. Calls carry their argument
/// types; Aggregator checks each batch's columns against them before running a kernel.
class AccumulatorCompiler {
 public:
  virtual ~AccumulatorCompiler() = default;
  virtual base::Result<std::shared_ptr<CompiledAccumulators>> Compile(
      const std::vector<plan::AggregateCall>& calls) = 0;
};

/// Compiles each distinct list of calls once, however many operators and subtasks use it.
/// Thread-safe.
class CachingAccumulatorCompiler final : public AccumulatorCompiler {
 public:
  explicit CachingAccumulatorCompiler(AccumulatorCompiler* inner) : inner_(inner) {}
  base::Result<std::shared_ptr<CompiledAccumulators>> Compile(
      const std::vector<plan::AggregateCall>& calls) override;

 private:
  AccumulatorCompiler* inner_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<CompiledAccumulators>> cache_;
};

}  // namespace sluice::runtime::operators::aggregate
