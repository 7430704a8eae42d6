#pragma once

// The LLVM-facing half of JitEngine, for code generators only (compiler/codegen). Everything
// else uses jit_engine.h, which names no LLVM type.

#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <mutex>

#include "runtime/jit/jit_engine.h"

namespace sluice::runtime::jit {

/// Holds the engine's compile mutex for one compilation: the TargetMachine (not thread-safe)
/// and AddModule may be used only through a live session.
class CompileSession {
 public:
  explicit CompileSession(JitEngine& engine);

  /// The host TargetMachine; construct PassBuilder with it so passes see the real costs.
  llvm::TargetMachine& target_machine();
  /// Adds `module` under its own resource tracker and compiles it; the returned JitCode frees
  /// the code when destroyed. LLVM errors (e.g. an unresolved symbol) become kInternal.
  base::Result<std::unique_ptr<JitCode>> AddModule(llvm::orc::ThreadSafeModule module);
  /// Looks `name` up in `code` while the session still holds the lock, so the module is
  /// materialized (machine code emitted) under it.
  base::Result<void*> Lookup(JitCode& code, std::string_view name);

 private:
  std::shared_ptr<JitEngineState> state_;
  std::unique_lock<std::mutex> lock_;
};

}  // namespace sluice::runtime::jit
