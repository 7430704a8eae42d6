#pragma once

#include <memory>

#include "catalog/base/result.h"
#include "runtime/scheduler/engine_services.h"

namespace sluice::compiler::codegen {

/// The EngineServices of a process (`sluice run`, the REPL, `sluice serve`, test drivers):
/// with `jit`, LLVM compiles chains and aggregate kernels; without, everything is
/// interpreted. `threads`: the process's thread budget (0: one per core). An error when the
/// JIT cannot start (the message says to use --jit=off). `background`: jobs start their
/// chains on the interpreter and switch to the compiled code once it is ready
/// (`--jit=adaptive`).
base::Result<std::unique_ptr<runtime::scheduler::EngineServices>> MakeEngineServices(
    bool jit, int32_t threads = 0, bool background = false);

}  // namespace sluice::compiler::codegen
