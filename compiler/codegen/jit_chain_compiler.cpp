#include "compiler/codegen/jit_chain_compiler.h"

#include <fmt/format.h>
#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>

#include <string>
#include <utility>
#include <vector>

#include "compiler/codegen/expr_codegen.h"
#include "compiler/codegen/jit_module.h"
#include "runtime/jit/jit_engine_llvm.h"

namespace sluice::compiler::codegen {

using runtime::plan::ChainSpec;
using types::TypeId;

namespace {

base::Status Internal(std::string message) {
  return base::Status::Error(base::ErrorCode::kInternal, std::move(message));
}

/// Keeps a chain's machine code alive while the runtime holds the kernel.
class JitCompiledChain final : public runtime::expr::CompiledChain {
 public:
  JitCompiledChain(std::unique_ptr<runtime::jit::JitCode> code, SluiceChainKernel kernel)
      : code_(std::move(code)), kernel_(kernel) {}
  SluiceChainKernel kernel() const override { return kernel_; }

 private:
  std::unique_ptr<runtime::jit::JitCode> code_;
  SluiceChainKernel kernel_;
};

}  // namespace

void SetTargetAttributes(llvm::Function& function, llvm::TargetMachine& target_machine) {
  function.addFnAttr("target-cpu", target_machine.getTargetCPU());
  function.addFnAttr("target-features", target_machine.getTargetFeatureString());
  function.addFnAttr(llvm::Attribute::NoUnwind);
}

namespace {

/// Emits the per-row loop into `body`: `body(row_count, context, in0.data, in0.validity, ...,
/// out0.data, out0.validity, ...)`. Column pointers are `noalias` parameters so that, once the
/// body is inlined into the kernel, loads and stores need no runtime overlap checks.
base::Status GenerateBody(const ChainSpec& spec, llvm::Function& body) {
  llvm::LLVMContext& context = body.getContext();
  llvm::IRBuilder<> builder(context);
  auto* entry = llvm::BasicBlock::Create(context, "entry", &body);
  auto* loop = llvm::BasicBlock::Create(context, "row", &body);
  auto* exit = llvm::BasicBlock::Create(context, "exit", &body);
  builder.SetInsertPoint(entry);

  llvm::Value* row_count = body.getArg(0);
  llvm::Value* kernel_context = body.getArg(1);
  std::vector<IrColumn> inputs;
  unsigned argument = 2;
  for (size_t index = 0; index < spec.input_types.size(); ++index, argument += 2) {
    inputs.push_back(IrColumn{body.getArg(argument), body.getArg(argument + 1)});
  }
  std::vector<IrColumn> outputs;
  for (size_t index = 0; index < spec.projections.size(); ++index, argument += 2) {
    outputs.push_back(IrColumn{body.getArg(argument), body.getArg(argument + 1)});
  }
  ExprCodegen expressions(builder, kernel_context, std::move(inputs), spec.input_types);

  llvm::Value* row_count_64 = builder.CreateZExt(row_count, builder.getInt64Ty());
  builder.CreateCondBr(builder.CreateICmpSGT(row_count, builder.getInt32(0)), loop, exit);

  builder.SetInsertPoint(loop);
  llvm::PHINode* row = builder.CreatePHI(builder.getInt64Ty(), 2, "row");
  row->addIncoming(builder.getInt64(0), entry);
  llvm::PHINode* kept = nullptr;  // rows written so far, when there is a filter
  llvm::Value* output_row = row;
  llvm::BasicBlock* latch = llvm::BasicBlock::Create(context, "next", &body);
  llvm::BasicBlock* rejected_from = nullptr;
  if (spec.filter != nullptr) {
    TypeId filter_type = spec.filter->type.id();
    if (filter_type != TypeId::kBoolean && filter_type != TypeId::kNull) {
      return Internal(fmt::format("JIT code generation: the filter is {}, not BOOLEAN",
                                  spec.filter->type.ToString()));
    }
    kept = builder.CreatePHI(builder.getInt64Ty(), 2, "kept");
    kept->addIncoming(builder.getInt64(0), entry);
    output_row = kept;
    SLUICE_ASSIGN_OR_RETURN(IrValue keep, expressions.Emit(*spec.filter, row));
    auto* project = llvm::BasicBlock::Create(context, "project", &body);
    rejected_from = builder.GetInsertBlock();
    builder.CreateCondBr(builder.CreateAnd(keep.valid, keep.value), project, latch);
    builder.SetInsertPoint(project);
  }
  bool branch_free = true;
  for (size_t index = 0; index < spec.projections.size(); ++index) {
    const runtime::plan::Expr& projection = *spec.projections[index];
    branch_free &= !ExprCodegen::UsesHelper(projection);
    SLUICE_ASSIGN_OR_RETURN(IrValue value, expressions.Emit(projection, row));
    expressions.Store(projection.type, value, outputs[index], output_row);
  }
  llvm::BasicBlock* projected_from = builder.GetInsertBlock();
  llvm::Value* kept_plus_one =
      kept != nullptr ? builder.CreateAdd(kept, builder.getInt64(1)) : nullptr;
  builder.CreateBr(latch);

  builder.SetInsertPoint(latch);
  llvm::Value* written_so_far = row_count;
  if (kept != nullptr) {
    llvm::PHINode* kept_next = builder.CreatePHI(builder.getInt64Ty(), 2, "kept.next");
    kept_next->addIncoming(kept, rejected_from);
    kept_next->addIncoming(kept_plus_one, projected_from);
    kept->addIncoming(kept_next, latch);
    written_so_far = builder.CreateTrunc(kept_next, builder.getInt32Ty());
  }
  llvm::Value* row_next = builder.CreateAdd(row, builder.getInt64(1), "row.next", true, true);
  row->addIncoming(row_next, latch);
  llvm::BranchInst* back_edge =
      builder.CreateCondBr(builder.CreateICmpULT(row_next, row_count_64), loop, exit);
  if (kept == nullptr && branch_free) {
    // The loop vectorizer's cost model scalarizes bodies with i64 division by a constant or
    // many selects, yet the vector loop measured 2-3x faster (bench/jit_bench.cpp). The body
    // is branch-free here, so vectorization is always legal.
    llvm::MDNode* enable =
        llvm::MDNode::get(context, {llvm::MDString::get(context, "llvm.loop.vectorize.enable"),
                                    llvm::ConstantAsMetadata::get(builder.getTrue())});
    llvm::MDNode* loop_id = llvm::MDNode::getDistinct(context, {nullptr, enable});
    loop_id->replaceOperandWith(0, loop_id);
    back_edge->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
  }

  builder.SetInsertPoint(exit);
  llvm::PHINode* written = builder.CreatePHI(builder.getInt32Ty(), 2, "written");
  written->addIncoming(builder.getInt32(0), entry);
  written->addIncoming(written_so_far, latch);
  builder.CreateRet(written);
  return base::Status::Ok();
}

/// Generates the kernel `name` with the SluiceChainKernel signature: it unpacks the column
/// arrays and calls the (always inlined) body.
base::Status GenerateKernel(const ChainSpec& spec, llvm::Module& module, const std::string& name,
                            llvm::TargetMachine& target_machine) {
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> builder(context);
  llvm::Type* pointer = builder.getPtrTy();
  size_t column_count = spec.input_types.size() + spec.projections.size();

  std::vector<llvm::Type*> body_parameters = {builder.getInt32Ty(), pointer};
  body_parameters.insert(body_parameters.end(), 2 * column_count, pointer);
  auto* body =
      llvm::Function::Create(llvm::FunctionType::get(builder.getInt32Ty(), body_parameters, false),
                             llvm::GlobalValue::InternalLinkage, name + ".body", module);
  SetTargetAttributes(*body, target_machine);
  body->addFnAttr(llvm::Attribute::AlwaysInline);
  for (unsigned index = 2; index < body->arg_size(); ++index) {
    body->addParamAttr(index, llvm::Attribute::NoAlias);
  }
  SLUICE_RETURN_IF_ERROR(GenerateBody(spec, *body));

  auto* kernel = llvm::Function::Create(
      llvm::FunctionType::get(builder.getInt32Ty(),
                              {pointer, pointer, builder.getInt32Ty(), pointer}, false),
      llvm::GlobalValue::ExternalLinkage, name, module);
  SetTargetAttributes(*kernel, target_machine);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", kernel));
  llvm::StructType* column_type = llvm::StructType::get(context, {pointer, pointer});
  std::vector<llvm::Value*> arguments = {kernel->getArg(2), kernel->getArg(3)};
  auto unpack = [&](llvm::Value* columns, size_t count) {
    for (size_t index = 0; index < count; ++index) {
      llvm::Value* column = builder.CreateConstInBoundsGEP1_64(column_type, columns, index);
      arguments.push_back(
          builder.CreateLoad(pointer, builder.CreateStructGEP(column_type, column, 0)));
      arguments.push_back(
          builder.CreateLoad(pointer, builder.CreateStructGEP(column_type, column, 1)));
    }
  };
  unpack(kernel->getArg(0), spec.input_types.size());
  unpack(kernel->getArg(1), spec.projections.size());
  builder.CreateRet(builder.CreateCall(body, arguments));
  return base::Status::Ok();
}

}  // namespace

void Optimize(llvm::Module& module, llvm::TargetMachine& target_machine, int level) {
  llvm::LoopAnalysisManager loop_analyses;
  llvm::FunctionAnalysisManager function_analyses;
  llvm::CGSCCAnalysisManager cgscc_analyses;
  llvm::ModuleAnalysisManager module_analyses;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = level >= 2;
  tuning.SLPVectorization = level >= 2;
  // Built with the TargetMachine so cost models know the vector width (AVX2, NEON, ...).
  llvm::PassBuilder passes(&target_machine, tuning);
  passes.registerModuleAnalyses(module_analyses);
  passes.registerCGSCCAnalyses(cgscc_analyses);
  passes.registerFunctionAnalyses(function_analyses);
  passes.registerLoopAnalyses(loop_analyses);
  passes.crossRegisterProxies(loop_analyses, function_analyses, cgscc_analyses, module_analyses);
  llvm::ModulePassManager pipeline;
  switch (level) {
    case 0: pipeline = passes.buildO0DefaultPipeline(llvm::OptimizationLevel::O0); break;
    case 1: pipeline = passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O1); break;
    case 2: pipeline = passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2); break;
    default: pipeline = passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3); break;
  }
  pipeline.run(module, module_analyses);
}

base::Status VerifyAndOptimize(llvm::Module& module, llvm::TargetMachine& target_machine, int level,
                               bool dump_ir) {
  std::string problems;
  llvm::raw_string_ostream problem_stream(problems);
  if (llvm::verifyModule(module, &problem_stream)) {
    return Internal(fmt::format("JIT code generation produced invalid IR: {}", problems));
  }
  Optimize(module, target_machine, level);
  if (dump_ir) module.print(llvm::errs(), nullptr);
  return base::Status::Ok();
}

namespace {

/// Compiles chains with one JitEngine; compilations are serialized by the engine.
class JitChainCompiler final : public runtime::expr::ChainCompiler {
 public:
  JitChainCompiler(std::unique_ptr<runtime::jit::JitEngine> engine, JitOptions options)
      : engine_(std::move(engine)), options_(options) {}

  base::Result<std::shared_ptr<runtime::expr::CompiledChain>> Compile(
      const ChainSpec& spec) override {
    for (const auto& projection : spec.projections) {
      if (projection == nullptr) return Internal("JIT code generation: a null projection");
    }
    runtime::jit::CompileSession session(*engine_);
    llvm::TargetMachine& target_machine = session.target_machine();
    std::string name = engine_->UniqueName("sluice_chain_");

    auto context = std::make_unique<llvm::LLVMContext>();
    auto llvm_errors = std::make_shared<std::string>();
    context->setDiagnosticHandler(std::make_unique<ErrorCollector>(llvm_errors));
    auto module = std::make_unique<llvm::Module>(name, *context);
    module->setDataLayout(target_machine.createDataLayout());
    module->setTargetTriple(target_machine.getTargetTriple().str());
    SLUICE_RETURN_IF_ERROR(GenerateKernel(spec, *module, name, target_machine));

    SLUICE_RETURN_IF_ERROR(
        VerifyAndOptimize(*module, target_machine, options_.optimization_level, options_.dump_ir));

    SLUICE_ASSIGN_OR_RETURN(
        std::unique_ptr<runtime::jit::JitCode> code,
        session.AddModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context))));
    SLUICE_ASSIGN_OR_RETURN(void* address, session.Lookup(*code, name));
    if (!llvm_errors->empty()) {
      return Internal(fmt::format("LLVM failed to compile a chain: {}", *llvm_errors));
    }
    return std::shared_ptr<runtime::expr::CompiledChain>(std::make_shared<JitCompiledChain>(
        std::move(code), reinterpret_cast<SluiceChainKernel>(address)));
  }

 private:
  std::unique_ptr<runtime::jit::JitEngine> engine_;
  JitOptions options_;
};

}  // namespace

base::Result<std::unique_ptr<runtime::expr::ChainCompiler>> MakeJitChainCompiler(
    const JitOptions& options) {
  if (options.optimization_level < 0 || options.optimization_level > 3) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        fmt::format("JIT optimization level must be 0..3, got {}", options.optimization_level));
  }
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::jit::JitEngine> engine,
                          runtime::jit::JitEngine::Create());
  return std::unique_ptr<runtime::expr::ChainCompiler>(
      std::make_unique<JitChainCompiler>(std::move(engine), options));
}

}  // namespace sluice::compiler::codegen
