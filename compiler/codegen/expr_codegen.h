#pragma once

// Internal to compiler/codegen: names LLVM types. The public entry point is
// jit_chain_compiler.h.

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/IR/IRBuilder.h>

#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/logical_type.h"
#include "runtime/plan/expr.h"

namespace sluice::compiler::codegen {

/// One SQL value in IR: `value` is an i1 (BOOLEAN, and the placeholder of NULL-typed and ROW
/// values), i32 (INT), i64 (BIGINT, DECIMAL(p <= 18), TIMESTAMP, INTERVAL), i128 (DECIMAL(p > 18)),
/// double, or a string's data
/// pointer; `length` is a string's i32 byte length; `valid` is an i1, false for NULL. The value
/// of a NULL is unspecified: consumers mask it with `valid`.
struct IrValue {
  llvm::Value* value = nullptr;
  llvm::Value* length = nullptr;
  llvm::Value* valid = nullptr;
};

/// The data and validity pointers of one batch column inside a kernel.
struct IrColumn {
  llvm::Value* data = nullptr;
  llvm::Value* validity = nullptr;
};

/// Emits the IR computing bound expressions for one row, following runtime/expr/SEMANTICS.md.
/// Strict operations are branch-free (selects guard division), so helper-free expressions
/// vectorize; helper calls are skipped with a branch when an argument is NULL.
class ExprCodegen {
 public:
  /// `builder` must point into a function whose entry block may receive allocas; `context` is
  /// the kernel's SluiceKernelContext*.
  ExprCodegen(llvm::IRBuilder<>& builder, llvm::Value* context, std::vector<IrColumn> inputs,
              std::vector<types::LogicalType> input_types);

  /// Emits `expr` for row `row` (an i64) at the builder's insertion point, which may move to a
  /// new block. kInternal when the expression uses a construct the generator does not know.
  base::Result<IrValue> Emit(const runtime::plan::Expr& expr, llvm::Value* row);
  /// Stores `value` of `type` into row `row` of `column`, zeroing the data of NULLs.
  void Store(const types::LogicalType& type, const IrValue& value, const IrColumn& column,
             llvm::Value* row);
  /// Tells whether emitting `expr` calls a runtime helper (so it cannot vectorize and CASE or
  /// COALESCE over it should evaluate lazily).
  static bool UsesHelper(const runtime::plan::Expr& expr);

 private:
  base::Result<IrValue> EmitCall(const runtime::plan::Expr& expr, llvm::Value* row);
  base::Result<IrValue> EmitArithmetic(const runtime::plan::Expr& expr,
                                       const std::vector<IrValue>& arguments);
  base::Result<llvm::Value*> EmitComparison(functions::FunctionId function,
                                            const types::LogicalType& type, const IrValue& left,
                                            const IrValue& right);
  base::Result<IrValue> EmitStringFunction(const runtime::plan::Expr& expr,
                                           const std::vector<IrValue>& arguments);
  /// Calls the helper of a helper function (functions.def), by the helper's shape.
  base::Result<IrValue> EmitHelperFunction(const runtime::plan::Expr& expr,
                                           const std::vector<IrValue>& arguments);
  base::Result<IrValue> EmitCast(const IrValue& operand, const types::LogicalType& from,
                                 const types::LogicalType& to);
  /// A cast to TINYINT, SMALLINT or FLOAT (or from one to its storage's type): the cast between
  /// the wide types, then narrowed as Java's primitive casts narrow.
  base::Result<IrValue> EmitNarrowCast(const IrValue& operand, const types::LogicalType& from,
                                       const types::LogicalType& to);
  base::Result<IrValue> EmitCase(const runtime::plan::Expr& expr, llvm::Value* row);
  base::Result<IrValue> EmitCoalesce(const runtime::plan::Expr& expr, llvm::Value* row);
  /// Calls a CREATE FUNCTION function through the sluice_call_udf helper.
  base::Result<IrValue> EmitUserCall(const runtime::plan::Expr& expr,
                                     const std::vector<IrValue>& arguments);
  base::Result<IrValue> EmitLiteral(const runtime::plan::Value& literal,
                                    const types::LogicalType& type);
  /// Emits `expr` converted to `type` when it is a NULL-typed placeholder.
  base::Result<IrValue> EmitAs(const runtime::plan::Expr& expr, const types::LogicalType& type,
                               llvm::Value* row);

  IrValue Load(const types::LogicalType& type, const IrColumn& column, llvm::Value* row);
  IrValue Null(const types::LogicalType& type);
  IrValue Select(llvm::Value* condition, const IrValue& if_true, const IrValue& if_false);
  /// Joins the values reaching the current block from `incoming` with phi nodes.
  IrValue Merge(const types::LogicalType& type,
                const std::vector<std::pair<llvm::BasicBlock*, IrValue>>& incoming);
  /// Runs `emit` only when `condition` holds; otherwise the result is NULL.
  IrValue Guarded(llvm::Value* condition, const types::LogicalType& type,
                  llvm::function_ref<IrValue()> emit);

  llvm::FunctionCallee Helper(const char* name, llvm::Type* result,
                              std::vector<llvm::Type*> parameters, bool reads_only = false);
  llvm::AllocaInst* EntryAlloca(llvm::Type* type);
  /// Spills a string to a stack StringRef and returns its address, for a helper argument.
  llvm::Value* StringArgument(const IrValue& text);
  IrValue LoadStringResult(llvm::Value* address);

  llvm::Type* ValueType(const types::LogicalType& type);
  /// A DECIMAL value of `type` as the i128 the decimal helpers take (sign-extends an i64).
  llvm::Value* WidenDecimal(const types::LogicalType& type, llvm::Value* value);
  /// An i128 DECIMAL result in the value type of `type` (an i64 up to precision 18).
  llvm::Value* NarrowDecimal(const types::LogicalType& type, llvm::Value* value);

  llvm::IRBuilder<>& builder_;
  llvm::LLVMContext& llvm_context_;
  llvm::Module& module_;
  llvm::Value* context_;
  std::vector<IrColumn> inputs_;
  std::vector<types::LogicalType> input_types_;
  llvm::StructType* string_type_;
  llvm::StructType* udf_value_type_;  // SluiceUdfValue
};

}  // namespace sluice::compiler::codegen
