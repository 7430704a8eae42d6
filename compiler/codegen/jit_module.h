#pragma once

// Internal to compiler/codegen: what the chain and accumulator generators share when they turn
// an LLVM module into machine code. Names LLVM types.

#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <string>
#include <utility>

#include "catalog/base/status.h"

namespace sluice::compiler::codegen {

/// Keeps LLVM's error diagnostics for the compile Status and drops remarks and warnings, which
/// the default handler prints to stderr (and errors would exit the process).
class ErrorCollector final : public llvm::DiagnosticHandler {
 public:
  explicit ErrorCollector(std::shared_ptr<std::string> errors) : errors_(std::move(errors)) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo& info) override {
    if (info.getSeverity() == llvm::DS_Error) {
      llvm::raw_string_ostream stream(*errors_);
      llvm::DiagnosticPrinterRawOStream printer(stream);
      info.print(printer);
      stream << "; ";
    }
    return true;
  }

 private:
  std::shared_ptr<std::string> errors_;
};

/// Generates `function` for the host CPU and its features, and marks it nounwind.
void SetTargetAttributes(llvm::Function& function, llvm::TargetMachine& target_machine);

/// Runs LLVM's default pipeline for optimization `level` (0..3) over `module`.
void Optimize(llvm::Module& module, llvm::TargetMachine& target_machine, int level);

/// Verifies `module` (kInternal naming the problem when the IR is invalid), optimizes it at
/// `level` and, with `dump_ir`, prints the optimized IR to stderr.
base::Status VerifyAndOptimize(llvm::Module& module, llvm::TargetMachine& target_machine, int level,
                               bool dump_ir);

}  // namespace sluice::compiler::codegen
