#include "compiler/codegen/engine_services.h"

#include "compiler/codegen/jit_accumulator_compiler.h"
#include "compiler/codegen/jit_chain_compiler.h"

namespace sluice::compiler::codegen {

base::Result<std::unique_ptr<runtime::scheduler::EngineServices>> MakeEngineServices(
    bool jit, int32_t threads, bool background) {
  runtime::scheduler::EngineServices::Options options;
  options.threads = threads;
  options.compile_in_background = jit && background;
  if (jit) {
    auto chains = MakeJitChainCompiler();
    if (!chains.ok()) {
      return base::Status::Error(
          chains.status().code(),
          "cannot start the JIT: " + chains.status().message() + " (use --jit=off)");
    }
    auto accumulators = MakeJitAccumulatorCompiler();
    if (!accumulators.ok()) {
      return base::Status::Error(
          accumulators.status().code(),
          "cannot start the JIT: " + accumulators.status().message() + " (use --jit=off)");
    }
    options.chain_compiler = std::move(chains).value();
    options.accumulator_compiler = std::move(accumulators).value();
  }
  return std::make_unique<runtime::scheduler::EngineServices>(std::move(options));
}

}  // namespace sluice::compiler::codegen
