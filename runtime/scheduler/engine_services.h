#pragma once

#include <tbb/global_control.h>

#include <cstdint>
#include <memory>

#include "runtime/expr/chain_compiler.h"
#include "runtime/operators/aggregate/accumulator_compiler.h"
#include "runtime/scheduler/timer_service.h"

namespace sluice::runtime::scheduler {

/// What the jobs of one process share (DESIGN §12): the worker threads, the timer thread and
/// the JIT. `sluice run`, the REPL and `sluice serve` make one and hand it to every job they
/// start (JobOptions::services).
///
/// * Threads: oneTBB keeps one pool of worker threads per process and deals it out to the
///   task arenas of the jobs that have work; this caps that pool at `threads` (the
///   process's budget), so that N jobs share the cores instead of each sizing itself to all.
///   Every job keeps an arena of its own (at most `threads` slots): one job's tasks never run
///   inside another's wait.
/// * Timers: one TimerThread for every job's processing-time timers.
/// * JIT: the chain and accumulator compilers (null: interpreted). Compilation is serialized
///   inside the JIT, so jobs may be built concurrently; each job caches its own kernels.
class EngineServices {
 public:
  struct Options {
    int32_t threads = 0;  // 0: one per core
    std::unique_ptr<expr::ChainCompiler> chain_compiler;
    std::unique_ptr<operators::aggregate::AccumulatorCompiler> accumulator_compiler;
    /// Jobs compile their chains in the background (JobOptions::compile_in_background).
    bool compile_in_background = false;
  };
  explicit EngineServices(Options options);
  EngineServices(const EngineServices&) = delete;
  EngineServices& operator=(const EngineServices&) = delete;

  int32_t threads() const { return threads_; }
  TimerThread& timers() { return timers_; }
  expr::ChainCompiler* chain_compiler() const { return chain_compiler_.get(); }
  operators::aggregate::AccumulatorCompiler* accumulator_compiler() const {
    return accumulator_compiler_.get();
  }
  bool compile_in_background() const { return compile_in_background_; }

 private:
  int32_t threads_;
  std::unique_ptr<tbb::global_control> thread_budget_;
  std::unique_ptr<expr::ChainCompiler> chain_compiler_;
  std::unique_ptr<operators::aggregate::AccumulatorCompiler> accumulator_compiler_;
  bool compile_in_background_ = false;
  TimerThread timers_;  // destroyed first: no timer fires into a job after this
};

}  // namespace sluice::runtime::scheduler
