#pragma once

#include <memory>

#include "compiler/codegen/jit_chain_compiler.h"
#include "runtime/operators/aggregate/accumulator_compiler.h"

namespace sluice::compiler::codegen {

/// Creates the LLVM-backed accumulator compiler: per list of aggregate calls, one update and
/// one merge kernel over the layout of runtime/operators/aggregate/call_layout.h. It owns its
/// own JitEngine. Returns an error Status (never throws or aborts) when the host target cannot
/// be initialized or the options are out of range.
base::Result<std::unique_ptr<runtime::operators::aggregate::AccumulatorCompiler>>
MakeJitAccumulatorCompiler(const JitOptions& options = {});

}  // namespace sluice::compiler::codegen
