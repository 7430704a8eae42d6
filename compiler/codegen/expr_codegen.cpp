#include "compiler/codegen/expr_codegen.h"

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include <algorithm>

#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/user_function.h"

namespace sluice::compiler::codegen {

using functions::FunctionId;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using types::LogicalType;
using types::TypeId;

namespace {

base::Status Unsupported(std::string message) {
  return base::Status::Error(base::ErrorCode::kInternal,
                             fmt::format("JIT code generation: {}", message));
}

bool IsStringFunction(FunctionId function) {
  switch (function) {
    case FunctionId::kConcat:
    case FunctionId::kCharLength:
    case FunctionId::kSubstring:
    case FunctionId::kTrim:
    case FunctionId::kLike:
    case FunctionId::kDateFormat:
    case FunctionId::kYear:
    case FunctionId::kMonth:
    case FunctionId::kDayOfMonth:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kSecond:
    case FunctionId::kMillisecond: return true;
    default: return functions::HelperShapeOf(function) != functions::HelperShape::kNone;
  }
}

bool CastUsesHelper(const LogicalType& from, const LogicalType& to) {
  if (from.id() == TypeId::kNull || from == to) return false;
  if (from.id() == TypeId::kVarchar || to.id() == TypeId::kVarchar) return true;
  return to.id() == TypeId::kDecimal || from.id() == TypeId::kDecimal;
}

/// An arbitrary-width integer constant from a 128-bit value.
llvm::APInt Int128Constant(unsigned bits, __int128 value) {
  uint64_t words[2] = {static_cast<uint64_t>(value), static_cast<uint64_t>(value >> 64)};
  return llvm::APInt(128, words).sextOrTrunc(bits);
}

}  // namespace

ExprCodegen::ExprCodegen(llvm::IRBuilder<>& builder, llvm::Value* context,
                         std::vector<IrColumn> inputs, std::vector<LogicalType> input_types)
    : builder_(builder),
      llvm_context_(builder.getContext()),
      module_(*builder.GetInsertBlock()->getModule()),
      context_(context),
      inputs_(std::move(inputs)),
      input_types_(std::move(input_types)) {
  string_type_ = llvm::StructType::getTypeByName(llvm_context_, "sluice.StringRef");
  if (string_type_ == nullptr) {
    string_type_ = llvm::StructType::create(
        llvm_context_, {builder_.getPtrTy(), builder_.getInt32Ty(), builder_.getInt32Ty()},
        "sluice.StringRef");
  }
  udf_value_type_ = llvm::StructType::getTypeByName(llvm_context_, "sluice.UdfValue");
  if (udf_value_type_ == nullptr) {
    // SluiceUdfValue: {int64 integer, double real, const char* data, uint32 length, uint8 is_null}
    udf_value_type_ =
        llvm::StructType::create(llvm_context_,
                                 {builder_.getInt64Ty(), builder_.getDoubleTy(),
                                  builder_.getPtrTy(), builder_.getInt32Ty(), builder_.getInt8Ty()},
                                 "sluice.UdfValue");
  }
}

bool ExprCodegen::UsesHelper(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kColumn:
    case ExprKind::kLiteral: return false;
    case ExprKind::kCast:
      if (!expr.arguments.empty() && CastUsesHelper(expr.arguments[0]->type, expr.type)) {
        return true;
      }
      break;
    case ExprKind::kCall:
      if (IsStringFunction(expr.function) || expr.function == FunctionId::kUserDefined ||
          expr.function == FunctionId::kProctime || expr.function == FunctionId::kRound ||
          expr.function == FunctionId::kTruncate || expr.function == FunctionId::kFloor ||
          expr.function == FunctionId::kCeil) {
        return true;
      }
      for (const auto& argument : expr.arguments) {
        if (argument->type.IsStringStored()) return true;  // string comparisons
        // DECIMAL arithmetic and comparison: sluice_decimal_* (SIGN and NEGATE are inline).
        if (argument->type.id() == TypeId::kDecimal && expr.function != FunctionId::kNegate &&
            expr.function != FunctionId::kAbs && expr.function != FunctionId::kSign &&
            expr.function != FunctionId::kCoalesce) {
          return true;
        }
      }
      break;
    case ExprKind::kCase: break;
  }
  for (const auto& argument : expr.arguments) {
    if (UsesHelper(*argument)) return true;
  }
  return false;
}

llvm::Type* ExprCodegen::ValueType(const LogicalType& type) {
  switch (type.id()) {
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: return builder_.getInt32Ty();
    case TypeId::kDecimal:
      return type.IsWideDecimal() ? builder_.getInt128Ty() : builder_.getInt64Ty();
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kInterval: return builder_.getInt64Ty();
    case TypeId::kDouble: return builder_.getDoubleTy();
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar: return builder_.getPtrTy();
    case TypeId::kNull:
    case TypeId::kBoolean:
    case TypeId::kRow: return builder_.getInt1Ty();
  }
  return builder_.getInt1Ty();
}

llvm::Value* ExprCodegen::WidenDecimal(const LogicalType& type, llvm::Value* value) {
  return type.IsWideDecimal() ? value : builder_.CreateSExt(value, builder_.getInt128Ty());
}

llvm::Value* ExprCodegen::NarrowDecimal(const LogicalType& type, llvm::Value* value) {
  return type.IsWideDecimal() ? value : builder_.CreateTrunc(value, builder_.getInt64Ty());
}

IrValue ExprCodegen::Null(const LogicalType& type) {
  IrValue result;
  result.value = llvm::Constant::getNullValue(ValueType(type));
  if (type.IsStringStored()) result.length = builder_.getInt32(0);
  result.valid = builder_.getFalse();
  return result;
}

IrValue ExprCodegen::Select(llvm::Value* condition, const IrValue& if_true,
                            const IrValue& if_false) {
  IrValue result;
  result.value = builder_.CreateSelect(condition, if_true.value, if_false.value);
  if (if_true.length != nullptr) {
    result.length = builder_.CreateSelect(condition, if_true.length, if_false.length);
  }
  result.valid = builder_.CreateSelect(condition, if_true.valid, if_false.valid);
  return result;
}

IrValue ExprCodegen::Merge(const LogicalType& type,
                           const std::vector<std::pair<llvm::BasicBlock*, IrValue>>& incoming) {
  auto count = static_cast<unsigned>(incoming.size());
  llvm::PHINode* value = builder_.CreatePHI(ValueType(type), count);
  llvm::PHINode* length =
      type.IsStringStored() ? builder_.CreatePHI(builder_.getInt32Ty(), count) : nullptr;
  llvm::PHINode* valid = builder_.CreatePHI(builder_.getInt1Ty(), count);
  for (const auto& [block, item] : incoming) {
    value->addIncoming(item.value, block);
    if (length != nullptr) length->addIncoming(item.length, block);
    valid->addIncoming(item.valid, block);
  }
  return IrValue{value, length, valid};
}

IrValue ExprCodegen::Guarded(llvm::Value* condition, const LogicalType& type,
                             llvm::function_ref<IrValue()> emit) {
  if (auto* constant = llvm::dyn_cast<llvm::ConstantInt>(condition)) {
    return constant->isOne() ? emit() : Null(type);
  }
  llvm::Function* function = builder_.GetInsertBlock()->getParent();
  llvm::BasicBlock* skip_block = builder_.GetInsertBlock();
  auto* call_block = llvm::BasicBlock::Create(llvm_context_, "helper.call", function);
  auto* done_block = llvm::BasicBlock::Create(llvm_context_, "helper.done", function);
  builder_.CreateCondBr(condition, call_block, done_block);
  builder_.SetInsertPoint(call_block);
  IrValue result = emit();
  llvm::BasicBlock* call_end = builder_.GetInsertBlock();
  builder_.CreateBr(done_block);
  builder_.SetInsertPoint(done_block);
  return Merge(type, {{skip_block, Null(type)}, {call_end, result}});
}

llvm::FunctionCallee ExprCodegen::Helper(const char* name, llvm::Type* result,
                                         std::vector<llvm::Type*> parameters, bool reads_only) {
  auto* type = llvm::FunctionType::get(result, parameters, false);
  llvm::FunctionCallee callee = module_.getOrInsertFunction(name, type);
  if (auto* function = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
    function->addFnAttr(llvm::Attribute::NoUnwind);
    function->addFnAttr(llvm::Attribute::WillReturn);
    if (reads_only) function->setOnlyReadsMemory();
  }
  return callee;
}

llvm::AllocaInst* ExprCodegen::EntryAlloca(llvm::Type* type) {
  llvm::BasicBlock& entry = builder_.GetInsertBlock()->getParent()->getEntryBlock();
  llvm::IRBuilder<> entry_builder(&entry, entry.begin());
  return entry_builder.CreateAlloca(type);
}

llvm::Value* ExprCodegen::StringArgument(const IrValue& text) {
  llvm::AllocaInst* slot = EntryAlloca(string_type_);
  builder_.CreateStore(text.value, builder_.CreateStructGEP(string_type_, slot, 0));
  builder_.CreateStore(text.length, builder_.CreateStructGEP(string_type_, slot, 1));
  builder_.CreateStore(builder_.getInt32(0), builder_.CreateStructGEP(string_type_, slot, 2));
  return slot;
}

IrValue ExprCodegen::LoadStringResult(llvm::Value* address) {
  IrValue result;
  result.value =
      builder_.CreateLoad(builder_.getPtrTy(), builder_.CreateStructGEP(string_type_, address, 0));
  result.length = builder_.CreateLoad(builder_.getInt32Ty(),
                                      builder_.CreateStructGEP(string_type_, address, 1));
  result.valid = builder_.getTrue();
  return result;
}

IrValue ExprCodegen::Load(const LogicalType& type, const IrColumn& column, llvm::Value* row) {
  IrValue result;
  llvm::Value* validity = builder_.CreateLoad(
      builder_.getInt8Ty(), builder_.CreateInBoundsGEP(builder_.getInt8Ty(), column.validity, row));
  result.valid = builder_.CreateICmpNE(validity, builder_.getInt8(0));
  switch (type.id()) {
    case TypeId::kNull:
    case TypeId::kRow:  // validity only
      result.value = builder_.getFalse();
      break;
    case TypeId::kBoolean: {
      llvm::Value* byte = builder_.CreateLoad(
          builder_.getInt8Ty(), builder_.CreateInBoundsGEP(builder_.getInt8Ty(), column.data, row));
      result.value = builder_.CreateICmpNE(byte, builder_.getInt8(0));
      break;
    }
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar: {
      llvm::Value* address = builder_.CreateInBoundsGEP(string_type_, column.data, row);
      result = IrValue{nullptr, nullptr, result.valid};
      IrValue loaded = LoadStringResult(address);
      result.value = loaded.value;
      result.length = loaded.length;
      break;
    }
    default: {
      llvm::Type* value_type = ValueType(type);
      llvm::Value* address = builder_.CreateInBoundsGEP(value_type, column.data, row);
      // An i128 (a wide DECIMAL) sits at 8-byte alignment in a batch column, not LLVM's 16.
      result.value = value_type->isIntegerTy(128)
                         ? builder_.CreateAlignedLoad(value_type, address, llvm::Align(8))
                         : builder_.CreateLoad(value_type, address);
      break;
    }
  }
  return result;
}

void ExprCodegen::Store(const LogicalType& type, const IrValue& value, const IrColumn& column,
                        llvm::Value* row) {
  builder_.CreateStore(builder_.CreateZExt(value.valid, builder_.getInt8Ty()),
                       builder_.CreateInBoundsGEP(builder_.getInt8Ty(), column.validity, row));
  switch (type.id()) {
    case TypeId::kRow: return;  // no data buffer
    case TypeId::kNull:
      builder_.CreateStore(builder_.getInt8(0),
                           builder_.CreateInBoundsGEP(builder_.getInt8Ty(), column.data, row));
      return;
    case TypeId::kBoolean:
      builder_.CreateStore(
          builder_.CreateZExt(builder_.CreateAnd(value.valid, value.value), builder_.getInt8Ty()),
          builder_.CreateInBoundsGEP(builder_.getInt8Ty(), column.data, row));
      return;
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar: {
      llvm::Value* address = builder_.CreateInBoundsGEP(string_type_, column.data, row);
      builder_.CreateStore(
          builder_.CreateSelect(value.valid, value.value,
                                llvm::ConstantPointerNull::get(builder_.getPtrTy())),
          builder_.CreateStructGEP(string_type_, address, 0));
      builder_.CreateStore(builder_.CreateSelect(value.valid, value.length, builder_.getInt32(0)),
                           builder_.CreateStructGEP(string_type_, address, 1));
      builder_.CreateStore(builder_.getInt32(0),
                           builder_.CreateStructGEP(string_type_, address, 2));
      return;
    }
    default: {
      llvm::Type* value_type = ValueType(type);
      llvm::Value* stored =
          builder_.CreateSelect(value.valid, value.value, llvm::Constant::getNullValue(value_type));
      llvm::Value* address = builder_.CreateInBoundsGEP(value_type, column.data, row);
      if (value_type->isIntegerTy(128)) {
        builder_.CreateAlignedStore(stored, address, llvm::Align(8));
      } else {
        builder_.CreateStore(stored, address);
      }
      return;
    }
  }
}

base::Result<IrValue> ExprCodegen::Emit(const Expr& expr, llvm::Value* row) {
  switch (expr.kind) {
    case ExprKind::kColumn: {
      auto index = static_cast<size_t>(expr.column_index);
      if (expr.column_index < 0 || index >= inputs_.size()) {
        return Unsupported(fmt::format("column ${} is not an input slot", expr.column_index));
      }
      if (ValueType(input_types_[index]) != ValueType(expr.type)) {
        return Unsupported(fmt::format("column ${} is {} but the expression says {}",
                                       expr.column_index, input_types_[index].ToString(),
                                       expr.type.ToString()));
      }
      return Load(input_types_[index], inputs_[index], row);
    }
    case ExprKind::kLiteral: return EmitLiteral(expr.literal, expr.type);
    case ExprKind::kCall: return EmitCall(expr, row);
    case ExprKind::kCast: {
      if (expr.arguments.size() != 1) return Unsupported("CAST needs one operand");
      SLUICE_ASSIGN_OR_RETURN(IrValue operand, Emit(*expr.arguments[0], row));
      return EmitCast(operand, expr.arguments[0]->type, expr.type);
    }
    case ExprKind::kCase: return EmitCase(expr, row);
  }
  return Unsupported("unknown expression kind");
}

base::Result<IrValue> ExprCodegen::EmitAs(const Expr& expr, const LogicalType& type,
                                          llvm::Value* row) {
  if (expr.type.id() == TypeId::kNull) return Null(type);
  if (ValueType(expr.type) != ValueType(type)) {
    return Unsupported(
        fmt::format("{} where {} is expected", expr.type.ToString(), type.ToString()));
  }
  return Emit(expr, row);
}

base::Result<IrValue> ExprCodegen::EmitLiteral(const runtime::plan::Value& literal,
                                               const LogicalType& type) {
  if (literal.is_null || type.id() == TypeId::kNull) return Null(type);
  IrValue result;
  result.valid = builder_.getTrue();
  switch (type.id()) {
    case TypeId::kBoolean: result.value = builder_.getInt1(literal.integer != 0); break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime:
      result.value = builder_.getInt32(static_cast<uint32_t>(literal.integer));
      break;
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kInterval:
      result.value = builder_.getInt64(static_cast<uint64_t>(literal.integer));
      break;
    case TypeId::kDecimal:
      result.value = llvm::ConstantInt::get(
          llvm_context_, Int128Constant(ValueType(type)->getIntegerBitWidth(), literal.Unscaled()));
      break;
    case TypeId::kDouble:
      result.value = llvm::ConstantFP::get(builder_.getDoubleTy(), literal.real);
      break;
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar:
      // Lives as long as the compiled chain: a projected literal points into the chain's code.
      result.value = builder_.CreateGlobalString(literal.text, "literal", 0, &module_);
      result.length = builder_.getInt32(static_cast<uint32_t>(literal.text.size()));
      break;
    default: return Unsupported(fmt::format("a literal of type {}", type.ToString()));
  }
  return result;
}

base::Result<IrValue> ExprCodegen::EmitCase(const Expr& expr, llvm::Value* row) {
  size_t count = expr.arguments.size();
  if (count % 2 != 1) return Unsupported("CASE needs WHEN/THEN pairs and an ELSE");
  const LogicalType& type = expr.type;
  bool lazy = UsesHelper(expr);
  if (!lazy) {
    // Branch-free: every arm is computed and selects pick the first TRUE condition.
    SLUICE_ASSIGN_OR_RETURN(IrValue result, EmitAs(*expr.arguments[count - 1], type, row));
    for (size_t pair = count / 2; pair-- > 0;) {
      SLUICE_ASSIGN_OR_RETURN(IrValue condition, Emit(*expr.arguments[2 * pair], row));
      SLUICE_ASSIGN_OR_RETURN(IrValue arm, EmitAs(*expr.arguments[2 * pair + 1], type, row));
      result = Select(builder_.CreateAnd(condition.valid, condition.value), arm, result);
    }
    return result;
  }
  // Arms that call helpers (which may allocate) run only when chosen.
  llvm::Function* function = builder_.GetInsertBlock()->getParent();
  auto* done_block = llvm::BasicBlock::Create(llvm_context_, "case.done", function);
  std::vector<std::pair<llvm::BasicBlock*, IrValue>> incoming;
  for (size_t pair = 0; pair < count / 2; ++pair) {
    SLUICE_ASSIGN_OR_RETURN(IrValue condition, Emit(*expr.arguments[2 * pair], row));
    auto* then_block = llvm::BasicBlock::Create(llvm_context_, "case.then", function);
    auto* next_block = llvm::BasicBlock::Create(llvm_context_, "case.next", function);
    builder_.CreateCondBr(builder_.CreateAnd(condition.valid, condition.value), then_block,
                          next_block);
    builder_.SetInsertPoint(then_block);
    SLUICE_ASSIGN_OR_RETURN(IrValue arm, EmitAs(*expr.arguments[2 * pair + 1], type, row));
    incoming.emplace_back(builder_.GetInsertBlock(), arm);
    builder_.CreateBr(done_block);
    builder_.SetInsertPoint(next_block);
  }
  SLUICE_ASSIGN_OR_RETURN(IrValue otherwise, EmitAs(*expr.arguments[count - 1], type, row));
  incoming.emplace_back(builder_.GetInsertBlock(), otherwise);
  builder_.CreateBr(done_block);
  builder_.SetInsertPoint(done_block);
  return Merge(type, incoming);
}

base::Result<IrValue> ExprCodegen::EmitCoalesce(const Expr& expr, llvm::Value* row) {
  const LogicalType& type = expr.type;
  if (expr.arguments.empty()) return Null(type);
  if (!UsesHelper(expr)) {
    size_t last = expr.arguments.size() - 1;
    SLUICE_ASSIGN_OR_RETURN(IrValue result, EmitAs(*expr.arguments[last], type, row));
    for (size_t index = last; index-- > 0;) {
      SLUICE_ASSIGN_OR_RETURN(IrValue argument, EmitAs(*expr.arguments[index], type, row));
      result = Select(argument.valid, argument, result);
    }
    return result;
  }
  llvm::Function* function = builder_.GetInsertBlock()->getParent();
  auto* done_block = llvm::BasicBlock::Create(llvm_context_, "coalesce.done", function);
  std::vector<std::pair<llvm::BasicBlock*, IrValue>> incoming;
  for (size_t index = 0; index < expr.arguments.size(); ++index) {
    SLUICE_ASSIGN_OR_RETURN(IrValue argument, EmitAs(*expr.arguments[index], type, row));
    incoming.emplace_back(builder_.GetInsertBlock(), argument);
    if (index + 1 == expr.arguments.size()) {
      builder_.CreateBr(done_block);
    } else {
      auto* next_block = llvm::BasicBlock::Create(llvm_context_, "coalesce.next", function);
      builder_.CreateCondBr(argument.valid, done_block, next_block);
      builder_.SetInsertPoint(next_block);
    }
  }
  builder_.SetInsertPoint(done_block);
  return Merge(type, incoming);
}

base::Result<IrValue> ExprCodegen::EmitUserCall(const Expr& expr,
                                                const std::vector<IrValue>& arguments) {
  // One helper for every UDF rather than a direct call of the library's function: the
  // helper owns the SluiceUdfContext (arena, error message) and the result normalization, the
  // interpreter calls the same helper, and the JIT needs no symbol per library.
  const runtime::expr::UserFunction* function = expr.user_function.get();
  if (function == nullptr) return Unsupported("a user-defined call without its function");
  if (!function->linked()) {
    return Unsupported(
        fmt::format("{} is not linked (runtime/expr/user_function.h)", function->name));
  }
  if (arguments.size() != function->argument_types.size()) {
    return Unsupported(fmt::format("{} takes {} arguments, got {}", function->name,
                                   function->argument_types.size(), arguments.size()));
  }
  if (expr.type != function->return_type) {
    return Unsupported(fmt::format("{} returns {}, not {}", function->name,
                                   function->return_type.ToString(), expr.type.ToString()));
  }
  std::vector<IrValue> values = arguments;
  for (size_t index = 0; index < values.size(); ++index) {
    const LogicalType& expected = function->argument_types[index];
    const LogicalType& actual = expr.arguments[index]->type;
    if (actual.id() == TypeId::kNull) {
      values[index] = Null(expected);
    } else if (actual != expected) {
      return Unsupported(fmt::format("argument {} of {} is {}, not {}", index + 1, function->name,
                                     actual.ToString(), expected.ToString()));
    }
  }
  llvm::Value* call_condition = builder_.getTrue();
  if (function->null_on_null_input()) {
    for (const IrValue& value : values) {
      call_condition = builder_.CreateAnd(call_condition, value.valid);
    }
  }
  auto emit = [&]() -> IrValue {
    llvm::Type* array_type =
        llvm::ArrayType::get(udf_value_type_, std::max<size_t>(values.size(), 1));
    llvm::AllocaInst* argument_array = EntryAlloca(array_type);
    llvm::AllocaInst* result_slot = EntryAlloca(udf_value_type_);
    for (size_t index = 0; index < values.size(); ++index) {
      const IrValue& value = values[index];
      TypeId id = function->argument_types[index].id();
      llvm::Value* slot = builder_.CreateConstInBoundsGEP2_64(array_type, argument_array, 0, index);
      // NULL arguments are all zeros, as the interpreter passes them.
      llvm::Value* integer = builder_.getInt64(0);
      llvm::Value* real = llvm::ConstantFP::get(builder_.getDoubleTy(), 0.0);
      llvm::Value* data = llvm::ConstantPointerNull::get(builder_.getPtrTy());
      llvm::Value* length = builder_.getInt32(0);
      switch (id) {
        case TypeId::kBoolean:
          integer = builder_.CreateZExt(value.value, builder_.getInt64Ty());
          break;
        case TypeId::kInt:
        case TypeId::kDate:
        case TypeId::kTime:
          integer = builder_.CreateSExt(value.value, builder_.getInt64Ty());
          break;
        case TypeId::kDouble: real = value.value; break;
        case TypeId::kArray:
        case TypeId::kMap:
        case TypeId::kBinary:
        case TypeId::kMultiset:
        case TypeId::kVarchar:
          data = value.value;
          length = value.length;
          break;
        default: integer = value.value; break;  // BIGINT, TIMESTAMP
      }
      integer = builder_.CreateSelect(value.valid, integer, builder_.getInt64(0));
      real = builder_.CreateSelect(value.valid, real,
                                   llvm::ConstantFP::get(builder_.getDoubleTy(), 0.0));
      data = builder_.CreateSelect(value.valid, data,
                                   llvm::ConstantPointerNull::get(builder_.getPtrTy()));
      length = builder_.CreateSelect(value.valid, length, builder_.getInt32(0));
      builder_.CreateStore(integer, builder_.CreateStructGEP(udf_value_type_, slot, 0));
      builder_.CreateStore(real, builder_.CreateStructGEP(udf_value_type_, slot, 1));
      builder_.CreateStore(data, builder_.CreateStructGEP(udf_value_type_, slot, 2));
      builder_.CreateStore(length, builder_.CreateStructGEP(udf_value_type_, slot, 3));
      builder_.CreateStore(
          builder_.CreateZExt(builder_.CreateNot(value.valid), builder_.getInt8Ty()),
          builder_.CreateStructGEP(udf_value_type_, slot, 4));
    }
    llvm::Type* pointer = builder_.getPtrTy();
    // The function lives as long as the process (its library is never unloaded).
    llvm::Value* function_address = llvm::ConstantExpr::getIntToPtr(
        builder_.getInt64(reinterpret_cast<uint64_t>(function)), pointer);
    llvm::Value* valid = builder_.CreateCall(
        Helper("sluice_call_udf", builder_.getInt8Ty(), {pointer, pointer, pointer, pointer}),
        {context_, function_address, argument_array, result_slot});
    IrValue result;
    result.valid = builder_.CreateICmpNE(valid, builder_.getInt8(0));
    auto field = [&](unsigned index, llvm::Type* type) {
      return builder_.CreateLoad(type,
                                 builder_.CreateStructGEP(udf_value_type_, result_slot, index));
    };
    switch (expr.type.id()) {
      case TypeId::kBoolean:
        result.value = builder_.CreateICmpNE(field(0, builder_.getInt64Ty()), builder_.getInt64(0));
        break;
      case TypeId::kInt:
      case TypeId::kDate:
      case TypeId::kTime:
        result.value = builder_.CreateTrunc(field(0, builder_.getInt64Ty()), builder_.getInt32Ty());
        break;
      case TypeId::kDouble: result.value = field(1, builder_.getDoubleTy()); break;
      case TypeId::kArray:
      case TypeId::kMap:
      case TypeId::kBinary:
      case TypeId::kMultiset:
      case TypeId::kVarchar:
        result.value = field(2, pointer);
        result.length = field(3, builder_.getInt32Ty());
        break;
      default: result.value = field(0, builder_.getInt64Ty()); break;
    }
    return result;
  };
  return Guarded(call_condition, expr.type, emit);
}

base::Result<IrValue> ExprCodegen::EmitCall(const Expr& expr, llvm::Value* row) {
  FunctionId function = expr.function;
  if (function == FunctionId::kCoalesce) return EmitCoalesce(expr, row);

  std::vector<IrValue> arguments;
  arguments.reserve(expr.arguments.size());
  for (const auto& argument : expr.arguments) {
    if (functions::IsNullPropagating(function) && argument->type.id() == TypeId::kNull) {
      return Null(expr.type);
    }
    SLUICE_ASSIGN_OR_RETURN(IrValue value, Emit(*argument, row));
    arguments.push_back(value);
  }
  auto expect_arguments = [&](size_t count) -> base::Status {
    if (arguments.size() == count) return base::Status::Ok();
    return Unsupported(fmt::format("{} takes {} arguments, got {}",
                                   functions::FunctionName(function), count, arguments.size()));
  };

  if (functions::HelperShapeOf(function) != functions::HelperShape::kNone) {
    return EmitHelperFunction(expr, arguments);
  }
  switch (function) {
    case FunctionId::kAdd:
    case FunctionId::kSubtract:
    case FunctionId::kMultiply:
    case FunctionId::kDivide:
    case FunctionId::kModulo:
    case FunctionId::kNegate:
    case FunctionId::kAbs: return EmitArithmetic(expr, arguments);

    case FunctionId::kUserDefined: return EmitUserCall(expr, arguments);

    case FunctionId::kEqual:
    case FunctionId::kNotEqual:
    case FunctionId::kLess:
    case FunctionId::kLessEqual:
    case FunctionId::kGreater:
    case FunctionId::kGreaterEqual: {
      SLUICE_RETURN_IF_ERROR(expect_arguments(2));
      const LogicalType& left_type = expr.arguments[0]->type;
      const LogicalType& right_type = expr.arguments[1]->type;
      if (left_type.id() == TypeId::kDecimal && right_type.id() == TypeId::kDecimal) {
        // By value, whatever the precisions and scales (sluice_decimal_compare).
        llvm::Type* int32 = builder_.getInt32Ty();
        llvm::Type* int128 = builder_.getInt128Ty();
        llvm::Value* order = builder_.CreateCall(
            Helper("sluice_decimal_compare", int32, {int128, int32, int128, int32}, true),
            {WidenDecimal(left_type, arguments[0].value), builder_.getInt32(left_type.scale()),
             WidenDecimal(right_type, arguments[1].value), builder_.getInt32(right_type.scale())});
        IrValue zero{builder_.getInt32(0), nullptr, builder_.getTrue()};
        IrValue ordered{order, nullptr, builder_.getTrue()};
        SLUICE_ASSIGN_OR_RETURN(llvm::Value * compared,
                                EmitComparison(function, LogicalType::Int(), ordered, zero));
        return IrValue{compared, nullptr,
                       builder_.CreateAnd(arguments[0].valid, arguments[1].valid)};
      }
      if (left_type != right_type) {
        return Unsupported(fmt::format("comparison of {} with {}",
                                       expr.arguments[0]->type.ToString(),
                                       expr.arguments[1]->type.ToString()));
      }
      SLUICE_ASSIGN_OR_RETURN(
          llvm::Value * compared,
          EmitComparison(function, expr.arguments[0]->type, arguments[0], arguments[1]));
      return IrValue{compared, nullptr, builder_.CreateAnd(arguments[0].valid, arguments[1].valid)};
    }

    case FunctionId::kAnd:
    case FunctionId::kOr: {
      SLUICE_RETURN_IF_ERROR(expect_arguments(2));
      const IrValue& left = arguments[0];
      const IrValue& right = arguments[1];
      bool is_and = function == FunctionId::kAnd;
      // The dominant value (FALSE for AND, TRUE for OR) decides even against a NULL; the
      // unspecified value of a NULL operand cannot change `left op right` in that case.
      llvm::Value* left_decides =
          builder_.CreateAnd(left.valid, is_and ? builder_.CreateNot(left.value) : left.value);
      llvm::Value* right_decides =
          builder_.CreateAnd(right.valid, is_and ? builder_.CreateNot(right.value) : right.value);
      llvm::Value* valid = builder_.CreateOr(builder_.CreateAnd(left.valid, right.valid),
                                             builder_.CreateOr(left_decides, right_decides));
      llvm::Value* value = is_and ? builder_.CreateAnd(left.value, right.value)
                                  : builder_.CreateOr(left.value, right.value);
      return IrValue{value, nullptr, valid};
    }
    case FunctionId::kNot:
      SLUICE_RETURN_IF_ERROR(expect_arguments(1));
      return IrValue{builder_.CreateNot(arguments[0].value), nullptr, arguments[0].valid};
    case FunctionId::kIsNull:
      SLUICE_RETURN_IF_ERROR(expect_arguments(1));
      return IrValue{builder_.CreateNot(arguments[0].valid), nullptr, builder_.getTrue()};
    case FunctionId::kIsNotNull:
      SLUICE_RETURN_IF_ERROR(expect_arguments(1));
      return IrValue{arguments[0].valid, nullptr, builder_.getTrue()};
    case FunctionId::kRow:
      // A ROW slot: validity only, valid where the first argument is TRUE.
      if (arguments.empty() || expr.type.id() != TypeId::kRow ||
          expr.arguments[0]->type.id() != TypeId::kBoolean) {
        return Unsupported("ROW takes a BOOLEAN first and gives a ROW");
      }
      return IrValue{builder_.getFalse(), nullptr,
                     builder_.CreateAnd(arguments[0].valid, arguments[0].value)};
    case FunctionId::kIsTrue:
      SLUICE_RETURN_IF_ERROR(expect_arguments(1));
      return IrValue{builder_.CreateAnd(arguments[0].valid, arguments[0].value), nullptr,
                     builder_.getTrue()};
    case FunctionId::kIsFalse:
      SLUICE_RETURN_IF_ERROR(expect_arguments(1));
      return IrValue{builder_.CreateAnd(arguments[0].valid, builder_.CreateNot(arguments[0].value)),
                     nullptr, builder_.getTrue()};

    case FunctionId::kNullIf: {
      SLUICE_RETURN_IF_ERROR(expect_arguments(2));
      const LogicalType& left_type = expr.arguments[0]->type;
      const LogicalType& right_type = expr.arguments[1]->type;
      if (left_type.id() == TypeId::kNull) return Null(expr.type);
      if (right_type.id() == TypeId::kNull) return arguments[0];
      if (left_type != right_type) {
        return Unsupported(
            fmt::format("NULLIF of {} and {}", left_type.ToString(), right_type.ToString()));
      }
      SLUICE_ASSIGN_OR_RETURN(llvm::Value * equal, EmitComparison(FunctionId::kEqual, left_type,
                                                                  arguments[0], arguments[1]));
      IrValue result = arguments[0];
      result.valid = builder_.CreateAnd(
          result.valid, builder_.CreateNot(builder_.CreateAnd(arguments[1].valid, equal)));
      return result;
    }

    case FunctionId::kConcat:
    case FunctionId::kCharLength:
    case FunctionId::kSubstring:
    case FunctionId::kTrim:
    case FunctionId::kLike:
    case FunctionId::kDateFormat:
    case FunctionId::kYear:
    case FunctionId::kMonth:
    case FunctionId::kDayOfMonth:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kSecond:
    case FunctionId::kMillisecond: return EmitStringFunction(expr, arguments);

    case FunctionId::kProctime: {
      SLUICE_RETURN_IF_ERROR(expect_arguments(0));
      llvm::Value* now =
          builder_.CreateCall(Helper("sluice_current_millis", builder_.getInt64Ty(), {}, false));
      return IrValue{now, nullptr, builder_.getTrue()};
    }

    case FunctionId::kConcatWs: {
      // Not strict: NULL strings are skipped (is_null in the array), only a NULL separator
      // makes the result NULL.
      if (arguments.size() < 2 || expr.type.id() != TypeId::kVarchar) {
        return Unsupported("CONCAT_WS needs a separator and strings, giving VARCHAR");
      }
      for (const auto& argument : expr.arguments) {
        TypeId id = argument->type.id();
        if (id != TypeId::kVarchar && id != TypeId::kNull) {
          return Unsupported("CONCAT_WS over a non-string argument");
        }
      }
      if (expr.arguments[0]->type.id() == TypeId::kNull) return Null(expr.type);
      llvm::Type* pointer = builder_.getPtrTy();
      llvm::Type* array_type = llvm::ArrayType::get(udf_value_type_, arguments.size());
      llvm::AllocaInst* argument_array = EntryAlloca(array_type);
      for (size_t index = 0; index < arguments.size(); ++index) {
        llvm::Value* slot =
            builder_.CreateConstInBoundsGEP2_64(array_type, argument_array, 0, index);
        bool is_string = expr.arguments[index]->type.id() == TypeId::kVarchar;
        llvm::Value* valid = is_string ? arguments[index].valid : builder_.getFalse();
        llvm::Value* null_pointer = llvm::ConstantPointerNull::get(builder_.getPtrTy());
        llvm::Value* data = is_string
                                ? builder_.CreateSelect(valid, arguments[index].value, null_pointer)
                                : null_pointer;
        llvm::Value* length =
            is_string ? builder_.CreateSelect(valid, arguments[index].length, builder_.getInt32(0))
                      : builder_.getInt32(0);
        builder_.CreateStore(data, builder_.CreateStructGEP(udf_value_type_, slot, 2));
        builder_.CreateStore(length, builder_.CreateStructGEP(udf_value_type_, slot, 3));
        builder_.CreateStore(builder_.CreateZExt(builder_.CreateNot(valid), builder_.getInt8Ty()),
                             builder_.CreateStructGEP(udf_value_type_, slot, 4));
      }
      return Guarded(arguments[0].valid, expr.type, [&] {
        llvm::Value* out = EntryAlloca(string_type_);
        builder_.CreateCall(Helper("sluice_concat_ws", builder_.getVoidTy(),
                                   {pointer, pointer, builder_.getInt32Ty(), pointer}),
                            {context_, argument_array,
                             builder_.getInt32(static_cast<uint32_t>(arguments.size())), out});
        return LoadStringResult(out);
      });
    }

    case FunctionId::kGreatest:
    case FunctionId::kLeast: {
      if (arguments.empty()) return Unsupported("GREATEST/LEAST without arguments");
      for (const auto& argument : expr.arguments) {
        const LogicalType& type = argument->type;
        if (type != expr.type) {
          return Unsupported(fmt::format("{} of {} giving {}", functions::FunctionName(function),
                                         type.ToString(), expr.type.ToString()));
        }
      }
      FunctionId better_order =
          function == FunctionId::kGreatest ? FunctionId::kGreater : FunctionId::kLess;
      IrValue best = arguments[0];
      llvm::Value* valid = arguments[0].valid;
      for (size_t index = 1; index < arguments.size(); ++index) {
        SLUICE_ASSIGN_OR_RETURN(llvm::Value * better,
                                EmitComparison(better_order, expr.type, arguments[index], best));
        best = Select(better, arguments[index], best);
        valid = builder_.CreateAnd(valid, arguments[index].valid);
      }
      best.valid = valid;
      return best;
    }

    case FunctionId::kRound:
    case FunctionId::kTruncate:
    case FunctionId::kFloor:
    case FunctionId::kCeil:
    case FunctionId::kSign: {
      // As the interpreter: the helpers of kernel_abi.h round; SIGN is inline.
      if (arguments.empty() || arguments.size() > 2) {
        return Unsupported(fmt::format("{} with {} arguments", functions::FunctionName(function),
                                       arguments.size()));
      }
      const LogicalType& type = expr.arguments[0]->type;
      bool has_digits = arguments.size() == 2;
      if ((has_digits && expr.arguments[1]->type.id() != TypeId::kInt) ||
          type.id() != expr.type.id() || (type.id() != TypeId::kDecimal && type != expr.type)) {
        return Unsupported(
            fmt::format("{} over these arguments", functions::FunctionName(function)));
      }
      llvm::Type* int32 = builder_.getInt32Ty();
      llvm::Type* int64 = builder_.getInt64Ty();
      llvm::Type* real = builder_.getDoubleTy();
      llvm::Value* valid = arguments[0].valid;
      llvm::Value* digits = builder_.getInt32(0);
      if (has_digits) {
        valid = builder_.CreateAnd(valid, arguments[1].valid);
        digits = arguments[1].value;
      }
      SluiceRounding rounding = function == FunctionId::kTruncate ? SluiceRounding::kDown
                                : function == FunctionId::kFloor  ? SluiceRounding::kFloor
                                : function == FunctionId::kCeil   ? SluiceRounding::kCeiling
                                                                  : SluiceRounding::kHalfUp;
      llvm::Value* mode = builder_.getInt32(static_cast<uint32_t>(rounding));
      llvm::Value* x = arguments[0].value;
      bool sign = function == FunctionId::kSign;
      switch (type.id()) {
        case TypeId::kInt:
        case TypeId::kBigint: {
          llvm::Type* value_type = x->getType();
          if (sign) {
            llvm::Value* zero = llvm::ConstantInt::get(value_type, 0);
            llvm::Value* positive =
                builder_.CreateZExt(builder_.CreateICmpSGT(x, zero), value_type);
            llvm::Value* negative =
                builder_.CreateZExt(builder_.CreateICmpSLT(x, zero), value_type);
            return IrValue{builder_.CreateSub(positive, negative), nullptr, valid};
          }
          return Guarded(valid, expr.type, [&] {
            llvm::Value* rounded = builder_.CreateCall(
                Helper("sluice_round_integer", int64, {int64, int32, int32}, true),
                {builder_.CreateSExt(x, int64), digits, mode});
            return IrValue{builder_.CreateTrunc(rounded, value_type), nullptr, builder_.getTrue()};
          });
        }
        case TypeId::kDouble:
          return Guarded(valid, expr.type, [&] {
            llvm::Value* result =
                sign ? builder_.CreateCall(Helper("sluice_sign_double", real, {real}, true), {x})
                     : builder_.CreateCall(
                           Helper("sluice_round_double", real, {real, int32, int32}, true),
                           {x, digits, mode});
            return IrValue{result, nullptr, builder_.getTrue()};
          });
        case TypeId::kDecimal: {
          int32_t scale = type.scale();
          llvm::Type* value_type = x->getType();
          unsigned bits = value_type->getIntegerBitWidth();
          if (sign) {
            if (expr.type.scale() != scale) return Unsupported("SIGN changing the scale");
            __int128 one = 1;
            for (int32_t i = 0; i < scale; ++i) one *= 10;
            llvm::Value* zero = llvm::ConstantInt::get(value_type, 0);
            llvm::Value* result = builder_.CreateSelect(
                builder_.CreateICmpSGT(x, zero),
                llvm::ConstantInt::get(llvm_context_, Int128Constant(bits, one)),
                builder_.CreateSelect(
                    builder_.CreateICmpSLT(x, zero),
                    llvm::ConstantInt::get(llvm_context_, Int128Constant(bits, -one)), zero));
            return IrValue{result, nullptr, valid};
          }
          // The result's scale is fixed by the plan: a row whose digits give another is NULL
          // (the binder only allows literal digits for DECIMAL, so this never happens).
          llvm::Value* result_scale = builder_.CreateSelect(
              builder_.CreateICmpSLT(digits, builder_.getInt32(scale)),
              builder_.CreateSelect(builder_.CreateICmpSLT(digits, builder_.getInt32(0)),
                                    builder_.getInt32(0), digits),
              builder_.getInt32(scale));
          valid = builder_.CreateAnd(
              valid, builder_.CreateICmpEQ(result_scale, builder_.getInt32(expr.type.scale())));
          return Guarded(valid, expr.type, [&] {
            llvm::Type* int128 = builder_.getInt128Ty();
            llvm::AllocaInst* out = EntryAlloca(int128);
            llvm::Value* ok = builder_.CreateCall(
                Helper("sluice_round_decimal", builder_.getInt8Ty(),
                       {int128, int32, int32, int32, int32, builder_.getPtrTy()}),
                {WidenDecimal(type, x), builder_.getInt32(scale), digits, mode,
                 builder_.getInt32(expr.type.precision()), out});
            return IrValue{NarrowDecimal(expr.type, builder_.CreateLoad(int128, out)), nullptr,
                           builder_.CreateICmpNE(ok, builder_.getInt8(0))};
          });
        }
        default: break;
      }
      return Unsupported(
          fmt::format("{} over {}", functions::FunctionName(function), type.ToString()));
    }

    case FunctionId::kCoalesce: break;  // handled above
    default: break;                     // the helper functions, handled above by their shape
  }
  return Unsupported(fmt::format("function {}", functions::FunctionName(function)));
}

base::Result<IrValue> ExprCodegen::EmitArithmetic(const Expr& expr,
                                                  const std::vector<IrValue>& arguments) {
  FunctionId function = expr.function;
  bool unary = function == FunctionId::kNegate || function == FunctionId::kAbs;
  if (arguments.size() != (unary ? 1u : 2u)) {
    return Unsupported(
        fmt::format("{} with {} arguments", functions::FunctionName(function), arguments.size()));
  }
  // DECIMAL: NEGATE and ABS inline (a negation keeps the digits), the others through the
  // helpers the interpreter calls. TIMESTAMP/INTERVAL operands are int64 milliseconds.
  bool decimal = false;
  for (const auto& argument : expr.arguments) {
    if (argument->type.id() != TypeId::kDecimal) continue;
    decimal = true;
    if (expr.type.id() != TypeId::kDecimal || (unary && argument->type != expr.type)) {
      return Unsupported(fmt::format("{} over {} giving {}", functions::FunctionName(function),
                                     argument->type.ToString(), expr.type.ToString()));
    }
  }
  if (decimal && unary) {
    llvm::Value* x = arguments[0].value;
    llvm::Value* negated = builder_.CreateNeg(x);
    if (function == FunctionId::kNegate) return IrValue{negated, nullptr, arguments[0].valid};
    llvm::Value* negative = builder_.CreateICmpSLT(x, llvm::ConstantInt::get(x->getType(), 0));
    return IrValue{builder_.CreateSelect(negative, negated, x), nullptr, arguments[0].valid};
  }
  if (decimal) {
    const LogicalType& left_type = expr.arguments[0]->type;
    const LogicalType& right_type = expr.arguments[1]->type;
    if (right_type.id() != TypeId::kDecimal || left_type.id() != TypeId::kDecimal) {
      return Unsupported(fmt::format("{} over {} and {}", functions::FunctionName(function),
                                     left_type.ToString(), right_type.ToString()));
    }
    const char* name = nullptr;
    switch (function) {
      case FunctionId::kAdd: name = "sluice_decimal_add"; break;
      case FunctionId::kSubtract: name = "sluice_decimal_subtract"; break;
      case FunctionId::kMultiply: name = "sluice_decimal_multiply"; break;
      case FunctionId::kDivide: name = "sluice_decimal_divide"; break;
      case FunctionId::kModulo: name = "sluice_decimal_modulo"; break;
      default:
        return Unsupported(fmt::format("{} over DECIMAL", functions::FunctionName(function)));
    }
    llvm::Value* valid = builder_.CreateAnd(arguments[0].valid, arguments[1].valid);
    return Guarded(valid, expr.type, [&] {
      llvm::Type* int32 = builder_.getInt32Ty();
      llvm::Type* int128 = builder_.getInt128Ty();
      llvm::AllocaInst* out = EntryAlloca(int128);
      llvm::Value* ok = builder_.CreateCall(
          Helper(name, builder_.getInt8Ty(),
                 {int128, int32, int128, int32, int32, int32, builder_.getPtrTy()}),
          {WidenDecimal(left_type, arguments[0].value), builder_.getInt32(left_type.scale()),
           WidenDecimal(right_type, arguments[1].value), builder_.getInt32(right_type.scale()),
           builder_.getInt32(expr.type.precision()), builder_.getInt32(expr.type.scale()), out});
      return IrValue{NarrowDecimal(expr.type, builder_.CreateLoad(int128, out)), nullptr,
                     builder_.CreateICmpNE(ok, builder_.getInt8(0))};
    });
  }
  llvm::Type* type = arguments[0].value->getType();
  if (!unary && arguments[1].value->getType() != type) {
    return Unsupported(fmt::format("{} over {} and {}", functions::FunctionName(function),
                                   expr.arguments[0]->type.ToString(),
                                   expr.arguments[1]->type.ToString()));
  }
  if (type != ValueType(expr.type) ||
      !(type->isDoubleTy() || type->isIntegerTy(32) || type->isIntegerTy(64))) {
    return Unsupported(
        fmt::format("{} of type {}", functions::FunctionName(function), expr.type.ToString()));
  }
  const IrValue& left = arguments[0];
  llvm::Value* valid = unary ? left.valid : builder_.CreateAnd(left.valid, arguments[1].valid);
  llvm::Value* a = left.value;
  llvm::Value* b = unary ? nullptr : arguments[1].value;

  if (type->isDoubleTy()) {
    switch (function) {
      case FunctionId::kAdd: return IrValue{builder_.CreateFAdd(a, b), nullptr, valid};
      case FunctionId::kSubtract: return IrValue{builder_.CreateFSub(a, b), nullptr, valid};
      case FunctionId::kMultiply: return IrValue{builder_.CreateFMul(a, b), nullptr, valid};
      case FunctionId::kDivide: return IrValue{builder_.CreateFDiv(a, b), nullptr, valid};
      case FunctionId::kModulo: {
        llvm::Value* zero = builder_.CreateFCmpOEQ(b, llvm::ConstantFP::get(type, 0.0));
        return IrValue{builder_.CreateFRem(a, b), nullptr,
                       builder_.CreateAnd(valid, builder_.CreateNot(zero))};
      }
      case FunctionId::kNegate: return IrValue{builder_.CreateFNeg(a), nullptr, valid};
      case FunctionId::kAbs:
        return IrValue{builder_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a), nullptr, valid};
      default: break;
    }
    return Unsupported("unknown DOUBLE arithmetic");
  }

  // Integers wrap (no nsw/nuw): Java/Flink semantics.
  llvm::Value* zero = llvm::ConstantInt::get(type, 0);
  switch (function) {
    case FunctionId::kAdd: return IrValue{builder_.CreateAdd(a, b), nullptr, valid};
    case FunctionId::kSubtract: return IrValue{builder_.CreateSub(a, b), nullptr, valid};
    case FunctionId::kMultiply: return IrValue{builder_.CreateMul(a, b), nullptr, valid};
    case FunctionId::kNegate: return IrValue{builder_.CreateSub(zero, a), nullptr, valid};
    case FunctionId::kAbs:
      return IrValue{
          builder_.CreateSelect(builder_.CreateICmpSLT(a, zero), builder_.CreateSub(zero, a), a),
          nullptr, valid};
    case FunctionId::kDivide:
    case FunctionId::kModulo: {
      // Never trap: divide by 1 when the divisor is 0 (result NULL) or -1 (min / -1 would
      // overflow; x / -1 is -x with wrap-around and x % -1 is 0).
      llvm::Value* by_zero = builder_.CreateICmpEQ(b, zero);
      llvm::Value* by_minus_one = builder_.CreateICmpEQ(b, llvm::ConstantInt::getSigned(type, -1));
      llvm::Value* divisor = builder_.CreateSelect(builder_.CreateOr(by_zero, by_minus_one),
                                                   llvm::ConstantInt::get(type, 1), b);
      llvm::Value* result =
          function == FunctionId::kDivide
              ? builder_.CreateSelect(by_minus_one, builder_.CreateSub(zero, a),
                                      builder_.CreateSDiv(a, divisor))
              : builder_.CreateSelect(by_minus_one, zero, builder_.CreateSRem(a, divisor));
      return IrValue{result, nullptr, builder_.CreateAnd(valid, builder_.CreateNot(by_zero))};
    }
    default: break;
  }
  return Unsupported("unknown integer arithmetic");
}

base::Result<llvm::Value*> ExprCodegen::EmitComparison(FunctionId function, const LogicalType& type,
                                                       const IrValue& left, const IrValue& right) {
  llvm::Value* a = left.value;
  llvm::Value* b = right.value;
  switch (type.id()) {
    case TypeId::kDouble: {
      // Java Double.compare order, except -0.0 == 0.0: NaN equals NaN and is above all.
      auto is_nan = [&](llvm::Value* x) { return builder_.CreateFCmpUNO(x, x); };
      auto equal = [&](llvm::Value* x, llvm::Value* y) {
        return builder_.CreateOr(builder_.CreateFCmpOEQ(x, y),
                                 builder_.CreateAnd(is_nan(x), is_nan(y)));
      };
      auto less = [&](llvm::Value* x, llvm::Value* y) {
        return builder_.CreateOr(builder_.CreateFCmpOLT(x, y),
                                 builder_.CreateAnd(builder_.CreateFCmpORD(x, x), is_nan(y)));
      };
      auto less_equal = [&](llvm::Value* x, llvm::Value* y) {
        return builder_.CreateOr(builder_.CreateFCmpOLE(x, y), is_nan(y));
      };
      switch (function) {
        case FunctionId::kEqual: return equal(a, b);
        case FunctionId::kNotEqual: return builder_.CreateNot(equal(a, b));
        case FunctionId::kLess: return less(a, b);
        case FunctionId::kLessEqual: return less_equal(a, b);
        case FunctionId::kGreater: return less(b, a);
        case FunctionId::kGreaterEqual: return less_equal(b, a);
        default: break;
      }
      break;
    }
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar: {
      llvm::Value* both_valid = builder_.CreateAnd(left.valid, right.valid);
      bool equality = function == FunctionId::kEqual || function == FunctionId::kNotEqual;
      IrValue compared = Guarded(both_valid, LogicalType::Int(), [&] {
        llvm::Value* left_address = StringArgument(left);
        llvm::Value* right_address = StringArgument(right);
        llvm::Value* result;
        if (equality) {
          llvm::FunctionCallee helper = Helper("sluice_string_equal", builder_.getInt8Ty(),
                                               {builder_.getPtrTy(), builder_.getPtrTy()}, true);
          result = builder_.CreateZExt(builder_.CreateCall(helper, {left_address, right_address}),
                                       builder_.getInt32Ty());
        } else {
          llvm::FunctionCallee helper = Helper("sluice_string_compare", builder_.getInt32Ty(),
                                               {builder_.getPtrTy(), builder_.getPtrTy()}, true);
          result = builder_.CreateCall(helper, {left_address, right_address});
        }
        return IrValue{result, nullptr, builder_.getTrue()};
      });
      llvm::Value* zero = builder_.getInt32(0);
      switch (function) {
        case FunctionId::kEqual: return builder_.CreateICmpNE(compared.value, zero);
        case FunctionId::kNotEqual: return builder_.CreateICmpEQ(compared.value, zero);
        case FunctionId::kLess: return builder_.CreateICmpSLT(compared.value, zero);
        case FunctionId::kLessEqual: return builder_.CreateICmpSLE(compared.value, zero);
        case FunctionId::kGreater: return builder_.CreateICmpSGT(compared.value, zero);
        case FunctionId::kGreaterEqual: return builder_.CreateICmpSGE(compared.value, zero);
        default: break;
      }
      break;
    }
    case TypeId::kRow: return Unsupported("comparison of ROW values");
    default: {
      // BOOLEAN and NULL are i1 and compare unsigned (FALSE < TRUE); the rest are signed.
      bool is_unsigned = a->getType()->isIntegerTy(1);
      switch (function) {
        case FunctionId::kEqual: return builder_.CreateICmpEQ(a, b);
        case FunctionId::kNotEqual: return builder_.CreateICmpNE(a, b);
        case FunctionId::kLess:
          return is_unsigned ? builder_.CreateICmpULT(a, b) : builder_.CreateICmpSLT(a, b);
        case FunctionId::kLessEqual:
          return is_unsigned ? builder_.CreateICmpULE(a, b) : builder_.CreateICmpSLE(a, b);
        case FunctionId::kGreater:
          return is_unsigned ? builder_.CreateICmpUGT(a, b) : builder_.CreateICmpSGT(a, b);
        case FunctionId::kGreaterEqual:
          return is_unsigned ? builder_.CreateICmpUGE(a, b) : builder_.CreateICmpSGE(a, b);
        default: break;
      }
      break;
    }
  }
  return Unsupported(
      fmt::format("comparison {} over {}", functions::FunctionName(function), type.ToString()));
}

}  // namespace sluice::compiler::codegen
