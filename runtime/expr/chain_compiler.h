#pragma once

#include <memory>

#include "catalog/base/result.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::expr {

/// Owns the machine code of one compiled chain; the kernel stays valid while this lives.
class CompiledChain {
 public:
  virtual ~CompiledChain() = default;
  virtual SluiceChainKernel kernel() const = 0;
};

/// Turns a ChainSpec into a kernel. The JIT (compiler/codegen) implements it; the runtime only
/// sees this interface, so it never includes the compiler or LLVM.
class ChainCompiler {
 public:
  virtual ~ChainCompiler() = default;
  virtual base::Result<std::shared_ptr<CompiledChain>> Compile(const plan::ChainSpec& spec) = 0;
};

}  // namespace sluice::runtime::expr
