#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "catalog/base/result.h"

namespace sluice::runtime::jit {

struct JitEngineState;

/// Owns the machine code of one module added to a JitEngine; frees it when destroyed. Keeps
/// the engine alive, so code may outlive the JitEngine handle it came from.
class JitCode {
 public:
  JitCode(std::shared_ptr<JitEngineState> engine, void* resource_tracker);
  ~JitCode();
  JitCode(const JitCode&) = delete;
  JitCode& operator=(const JitCode&) = delete;

  /// Returns the address of a function the module defines, compiling the module on first use.
  base::Result<void*> Lookup(std::string_view name);

 private:
  friend class CompileSession;
  std::shared_ptr<JitEngineState> engine_;
  void* resource_tracker_;  // an llvm::orc::ResourceTracker, one reference held
};

/// Compiles LLVM modules in process with ORC's LLJIT for the host CPU, in the spirit of
/// LLVM's KaleidoscopeJIT: Create, AddModule (see jit_engine_llvm.h), Lookup. Resolves only
/// the helpers of runtime/expr/kernel_abi.h and a few libc functions, never other process
/// symbols. Compilation is serialized by a mutex; compiled code may run on any thread.
class JitEngine {
 public:
  /// Initializes the native target (once per process) and builds the JIT; an error Status
  /// (kInternal) when the host is not supported.
  static base::Result<std::unique_ptr<JitEngine>> Create();
  ~JitEngine();
  JitEngine(const JitEngine&) = delete;
  JitEngine& operator=(const JitEngine&) = delete;

  /// The LLVM triple, CPU name and data layout string code is generated for.
  const std::string& target_triple() const;
  const std::string& cpu_name() const;
  const std::string& data_layout() const;
  /// Returns a symbol name no other module of this engine uses: `prefix` plus a counter.
  std::string UniqueName(std::string_view prefix);

  /// The shared internals; only jit_engine_llvm.h gives them meaning.
  const std::shared_ptr<JitEngineState>& state() const { return state_; }

 private:
  explicit JitEngine(std::shared_ptr<JitEngineState> state);
  std::shared_ptr<JitEngineState> state_;
};

}  // namespace sluice::runtime::jit
