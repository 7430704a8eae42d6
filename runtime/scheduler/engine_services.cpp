#include "runtime/scheduler/engine_services.h"

#include <tbb/info.h>

#include <algorithm>

namespace sluice::runtime::scheduler {

EngineServices::EngineServices(Options options)
    : threads_(options.threads > 0 ? options.threads : tbb::info::default_concurrency()),
      chain_compiler_(std::move(options.chain_compiler)),
      accumulator_compiler_(std::move(options.accumulator_compiler)),
      compile_in_background_(options.compile_in_background) {
  threads_ = std::max(threads_, 1);
  // The process's workers (oneTBB counts the thread that waits in an arena as one of them).
  thread_budget_ = std::make_unique<tbb::global_control>(
      tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads_));
}

}  // namespace sluice::runtime::scheduler
