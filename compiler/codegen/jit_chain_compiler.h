#pragma once

#include <memory>

#include "runtime/expr/chain_compiler.h"

namespace sluice::compiler::codegen {

/// Options for generated code.
struct JitOptions {
  int optimization_level = 2;  // O0..O3
  bool dump_ir = false;        // print the optimized IR to stderr
};

/// Creates the LLVM-backed chain compiler. Returns an error Status (never throws or aborts)
/// when the host target cannot be initialized.
base::Result<std::unique_ptr<runtime::expr::ChainCompiler>> MakeJitChainCompiler(
    const JitOptions& options = {});

}  // namespace sluice::compiler::codegen
