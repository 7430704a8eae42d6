// ExprCodegen's string functions and casts: mostly calls to the helpers of
// runtime/expr/kernel_abi.h, so generated code and the interpreter share one implementation.

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <optional>

#include "compiler/codegen/expr_codegen.h"
#include "runtime/expr/kernel_abi.h"

namespace sluice::compiler::codegen {

using functions::FunctionId;
using runtime::plan::Expr;
using types::LogicalType;
using types::TypeId;

namespace {

base::Status Unsupported(std::string message) {
  return base::Status::Error(base::ErrorCode::kInternal,
                             fmt::format("JIT code generation: {}", message));
}

/// The SluiceTimeField a calendar-field function reads, or nullopt for other functions.
std::optional<SluiceTimeField> TimeFieldOf(FunctionId function) {
  switch (function) {
    case FunctionId::kYear: return SluiceTimeField::kYear;
    case FunctionId::kMonth: return SluiceTimeField::kMonth;
    case FunctionId::kDayOfMonth: return SluiceTimeField::kDay;
    case FunctionId::kHour: return SluiceTimeField::kHour;
    case FunctionId::kMinute: return SluiceTimeField::kMinute;
    case FunctionId::kSecond: return SluiceTimeField::kSecond;
    case FunctionId::kMillisecond: return SluiceTimeField::kMillisecond;
    default: return std::nullopt;
  }
}

}  // namespace

/// DATE_FORMAT, the calendar fields and the string functions of hand-written shape.
base::Result<IrValue> ExprCodegen::EmitStringFunction(const Expr& expr,
                                                      const std::vector<IrValue>& arguments) {
  FunctionId function = expr.function;
  if (auto field = TimeFieldOf(function)) {
    if (arguments.size() != 1 || expr.arguments[0]->type.id() != TypeId::kTimestamp ||
        expr.type.id() != TypeId::kBigint) {
      return Unsupported(fmt::format("{} not over one TIMESTAMP giving BIGINT",
                                     functions::FunctionName(function)));
    }
    return Guarded(arguments[0].valid, LogicalType::Bigint(), [&] {
      llvm::Value* result = builder_.CreateCall(
          Helper("sluice_timestamp_extract", builder_.getInt64Ty(),
                 {builder_.getInt64Ty(), builder_.getInt32Ty()}, true),
          {arguments[0].value, builder_.getInt32(static_cast<uint32_t>(*field))});
      return IrValue{result, nullptr, builder_.getTrue()};
    });
  }
  if (function == FunctionId::kDateFormat) {
    bool well_typed = arguments.size() == 2 && expr.type.id() == TypeId::kVarchar &&
                      expr.arguments[0]->type.id() == TypeId::kTimestamp &&
                      expr.arguments[1]->type.id() == TypeId::kVarchar;
    if (!well_typed) {
      return Unsupported(fmt::format("{} over these arguments", functions::FunctionName(function)));
    }
    llvm::Type* pointer = builder_.getPtrTy();
    llvm::Type* int64 = builder_.getInt64Ty();
    llvm::Value* all_valid = builder_.CreateAnd(arguments[0].valid, arguments[1].valid);
    return Guarded(all_valid, LogicalType::Varchar(), [&] {
      llvm::Value* out = EntryAlloca(string_type_);
      llvm::Value* ok =
          builder_.CreateCall(Helper("sluice_timestamp_format", builder_.getInt8Ty(),
                                     {pointer, int64, pointer, pointer}),
                              {context_, arguments[0].value, StringArgument(arguments[1]), out});
      IrValue result = LoadStringResult(out);
      result.valid = builder_.CreateICmpNE(ok, builder_.getInt8(0));
      return result;
    });
  }
  size_t minimum = function == FunctionId::kConcat || function == FunctionId::kLike ||
                           function == FunctionId::kSubstring
                       ? 2
                       : 1;
  size_t maximum = function == FunctionId::kSubstring ? 3 : minimum;
  if (arguments.size() < minimum || arguments.size() > maximum) {
    return Unsupported(
        fmt::format("{} with {} arguments", functions::FunctionName(function), arguments.size()));
  }
  if (expr.arguments[0]->type.id() != TypeId::kVarchar ||
      (minimum == 2 && function != FunctionId::kSubstring &&
       expr.arguments[1]->type.id() != TypeId::kVarchar)) {
    return Unsupported(
        fmt::format("{} over non-string arguments", functions::FunctionName(function)));
  }
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::Value* all_valid = arguments[0].valid;
  for (size_t index = 1; index < arguments.size(); ++index) {
    all_valid = builder_.CreateAnd(all_valid, arguments[index].valid);
  }

  switch (function) {
    case FunctionId::kConcat:
    case FunctionId::kTrim:
      return Guarded(all_valid, LogicalType::Varchar(), [&] {
        llvm::Value* out = EntryAlloca(string_type_);
        llvm::Value* input = StringArgument(arguments[0]);
        if (function == FunctionId::kConcat) {
          builder_.CreateCall(Helper("sluice_string_concat", builder_.getVoidTy(),
                                     {pointer, pointer, pointer, pointer}),
                              {context_, input, StringArgument(arguments[1]), out});
        } else {
          builder_.CreateCall(
              Helper("sluice_string_trim", builder_.getVoidTy(), {pointer, pointer}), {input, out});
        }
        return LoadStringResult(out);
      });

    case FunctionId::kCharLength: {
      if (!expr.type.IsInteger()) return Unsupported("CHAR_LENGTH must return INT or BIGINT");
      IrValue length = Guarded(all_valid, LogicalType::Int(), [&] {
        llvm::Value* result = builder_.CreateCall(
            Helper("sluice_string_char_length", builder_.getInt32Ty(), {pointer}, true),
            {StringArgument(arguments[0])});
        return IrValue{result, nullptr, builder_.getTrue()};
      });
      if (expr.type.id() == TypeId::kBigint) {
        length.value = builder_.CreateSExt(length.value, builder_.getInt64Ty());
      }
      return length;
    }

    case FunctionId::kSubstring: {
      auto to_int64 = [&](size_t index) -> base::Result<llvm::Value*> {
        if (!expr.arguments[index]->type.IsInteger()) {
          return Unsupported("SUBSTRING positions must be INT or BIGINT");
        }
        return builder_.CreateSExtOrTrunc(arguments[index].value, builder_.getInt64Ty());
      };
      SLUICE_ASSIGN_OR_RETURN(llvm::Value * start, to_int64(1));
      llvm::Value* length = builder_.getInt64(-1);  // to the end
      if (arguments.size() == 3) {
        SLUICE_ASSIGN_OR_RETURN(length, to_int64(2));
        // A negative length is NULL; the helper reads negative as "to the end".
        all_valid =
            builder_.CreateAnd(all_valid, builder_.CreateICmpSGE(length, builder_.getInt64(0)));
      }
      return Guarded(all_valid, LogicalType::Varchar(), [&] {
        llvm::Value* out = EntryAlloca(string_type_);
        builder_.CreateCall(
            Helper("sluice_string_substring", builder_.getVoidTy(),
                   {pointer, builder_.getInt64Ty(), builder_.getInt64Ty(), pointer}),
            {StringArgument(arguments[0]), start, length, out});
        return LoadStringResult(out);
      });
    }

    case FunctionId::kLike:
      return Guarded(all_valid, LogicalType::Boolean(), [&] {
        llvm::Value* matched = builder_.CreateCall(
            Helper("sluice_string_like", builder_.getInt8Ty(), {pointer, pointer}, true),
            {StringArgument(arguments[0]), StringArgument(arguments[1])});
        return IrValue{builder_.CreateICmpNE(matched, builder_.getInt8(0)), nullptr,
                       builder_.getTrue()};
      });

    default: break;
  }
  return Unsupported(fmt::format("string function {}", functions::FunctionName(function)));
}

base::Result<IrValue> ExprCodegen::EmitNarrowCast(const IrValue& operand, const LogicalType& from,
                                                  const LogicalType& to) {
  IrValue wide = operand;
  if (from.Widened() != to.Widened()) {
    SLUICE_ASSIGN_OR_RETURN(wide, EmitCast(operand, from.Widened(), to.Widened()));
  }
  if (!to.IsNarrowNumeric()) return wide;
  if (to.IsFloat()) {
    llvm::Value* single = builder_.CreateFPTrunc(wide.value, builder_.getFloatTy());
    wide.value = builder_.CreateFPExt(single, builder_.getDoubleTy());
    return wide;
  }
  llvm::Type* narrow = to.IsTinyint() ? builder_.getInt8Ty() : builder_.getInt16Ty();
  llvm::Value* narrowed =
      builder_.CreateSExt(builder_.CreateTrunc(wide.value, narrow), builder_.getInt32Ty());
  // Text out of the type's range is no value (a number wraps, as Java's cast does).
  if (from.id() == TypeId::kVarchar) {
    wide.valid = builder_.CreateAnd(wide.valid, builder_.CreateICmpEQ(narrowed, wide.value));
  }
  wide.value = narrowed;
  return wide;
}

base::Result<IrValue> ExprCodegen::EmitCast(const IrValue& operand, const LogicalType& from,
                                            const LogicalType& to) {
  if (from.id() == TypeId::kNull) return Null(to);
  // TIMESTAMP ↔ TIMESTAMP_LTZ keeps the stored value (the binder converts wall times).
  if (from == to || (from.id() == TypeId::kTimestamp && to.id() == TypeId::kTimestamp)) {
    return operand;
  }
  if (to.IsNarrowNumeric() || (from.IsNarrowNumeric() && from.Widened() == to)) {
    return EmitNarrowCast(operand, from, to);
  }
  TypeId source = from.id();
  TypeId target = to.id();
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::Type* int8 = builder_.getInt8Ty();
  llvm::Type* int32 = builder_.getInt32Ty();
  llvm::Type* int64 = builder_.getInt64Ty();
  auto unsupported = [&] {
    return Unsupported(fmt::format("CAST from {} to {}", from.ToString(), to.ToString()));
  };
  auto as_int64 = [&](llvm::Value* value) { return builder_.CreateSExtOrTrunc(value, int64); };
  // Calls a helper `uint8_t name(arguments..., T* out)`: the result is NULL when it returns 0.
  auto call_with_out = [&](const char* name, std::vector<llvm::Type*> parameters,
                           std::vector<llvm::Value*> values, llvm::Type* out_type,
                           const LogicalType* result_type = nullptr) {
    return Guarded(operand.valid, result_type != nullptr ? *result_type : to, [&] {
      llvm::AllocaInst* out = EntryAlloca(out_type);
      parameters.push_back(pointer);
      values.push_back(out);
      llvm::Value* ok = builder_.CreateCall(Helper(name, int8, parameters), values);
      llvm::Value* value = builder_.CreateLoad(out_type, out);
      if (out_type == int8) value = builder_.CreateICmpNE(value, builder_.getInt8(0));
      return IrValue{value, nullptr, builder_.CreateICmpNE(ok, builder_.getInt8(0))};
    });
  };

  // VARCHAR → BYTES keeps the UTF-8 bytes; BYTES → VARCHAR checks them (NULL when malformed).
  if (source == TypeId::kVarchar && target == TypeId::kBinary) return operand;
  if (source == TypeId::kBinary && target == TypeId::kVarchar) {
    return Guarded(operand.valid, to, [&] {
      llvm::Value* out = EntryAlloca(string_type_);
      llvm::Value* ok =
          builder_.CreateCall(Helper("sluice_cast_binary_to_string", int8, {pointer, pointer}),
                              {StringArgument(operand), out});
      IrValue result = LoadStringResult(out);
      result.valid = builder_.CreateICmpNE(ok, builder_.getInt8(0));
      return result;
    });
  }
  llvm::Type* int128 = builder_.getInt128Ty();
  // Calls a helper `uint8_t name(arguments..., __int128* out)` giving a DECIMAL of type `to`.
  auto call_to_decimal = [&](const char* name, std::vector<llvm::Type*> parameters,
                             std::vector<llvm::Value*> values) {
    return Guarded(operand.valid, to, [&] {
      llvm::AllocaInst* out = EntryAlloca(int128);
      parameters.push_back(pointer);
      values.push_back(out);
      llvm::Value* ok = builder_.CreateCall(Helper(name, int8, parameters), values);
      return IrValue{NarrowDecimal(to, builder_.CreateLoad(int128, out)), nullptr,
                     builder_.CreateICmpNE(ok, builder_.getInt8(0))};
    });
  };

  if (target == TypeId::kVarchar) {
    const char* name = nullptr;
    llvm::Value* value = operand.value;
    std::vector<llvm::Value*> extra;
    switch (source) {
      case TypeId::kInt:
      case TypeId::kBigint:
        name = "sluice_cast_bigint_to_string";
        value = as_int64(value);
        break;
      case TypeId::kDouble:
        name = from.IsFloat() ? "sluice_cast_float_to_string" : "sluice_cast_double_to_string";
        break;
      case TypeId::kBoolean:
        name = "sluice_cast_boolean_to_string";
        value = builder_.CreateZExt(value, int8);
        break;
      case TypeId::kTimestamp: name = "sluice_cast_timestamp_to_string"; break;
      case TypeId::kDate: name = "sluice_cast_date_to_string"; break;
      case TypeId::kTime: name = "sluice_cast_time_to_string"; break;
      case TypeId::kInterval: name = "sluice_cast_interval_to_string"; break;
      case TypeId::kDecimal:
        name = "sluice_cast_decimal_to_string";
        value = WidenDecimal(from, value);
        extra.push_back(builder_.getInt32(from.scale()));
        break;
      default: return unsupported();
    }
    return Guarded(operand.valid, to, [&] {
      llvm::Value* out = EntryAlloca(string_type_);
      std::vector<llvm::Value*> values = {context_, value};
      values.insert(values.end(), extra.begin(), extra.end());
      values.push_back(out);
      std::vector<llvm::Type*> parameters;
      for (llvm::Value* item : values) parameters.push_back(item->getType());
      builder_.CreateCall(Helper(name, builder_.getVoidTy(), parameters), values);
      return LoadStringResult(out);
    });
  }

  if (source == TypeId::kVarchar) {
    llvm::Value* input = StringArgument(operand);
    switch (target) {
      case TypeId::kInt:
        return call_with_out("sluice_cast_string_to_int", {pointer}, {input}, int32);
      case TypeId::kBigint:
        return call_with_out("sluice_cast_string_to_bigint", {pointer}, {input}, int64);
      case TypeId::kDouble:
        return call_with_out("sluice_cast_string_to_double", {pointer}, {input},
                             builder_.getDoubleTy());
      case TypeId::kBoolean:
        return call_with_out("sluice_cast_string_to_boolean", {pointer}, {input}, int8);
      case TypeId::kTimestamp:
        return call_with_out("sluice_cast_string_to_timestamp", {pointer}, {input}, int64);
      case TypeId::kDate:
        return call_with_out("sluice_cast_string_to_date", {pointer}, {input}, int32);
      case TypeId::kTime:
        return call_with_out("sluice_cast_string_to_time", {pointer}, {input}, int32);
      case TypeId::kInterval:
        return call_with_out("sluice_cast_string_to_interval", {pointer}, {input}, int64);
      case TypeId::kDecimal:
        return call_to_decimal(
            "sluice_cast_string_to_decimal", {pointer, int32, int32},
            {input, builder_.getInt32(to.precision()), builder_.getInt32(to.scale())});
      default: return unsupported();
    }
  }

  if (target == TypeId::kDecimal) {
    llvm::Value* precision = builder_.getInt32(to.precision());
    llvm::Value* scale = builder_.getInt32(to.scale());
    switch (source) {
      case TypeId::kInt:
      case TypeId::kBigint:
        return call_to_decimal("sluice_cast_bigint_to_decimal", {int64, int32, int32},
                               {as_int64(operand.value), precision, scale});
      case TypeId::kDouble:
        return call_to_decimal("sluice_cast_double_to_decimal",
                               {builder_.getDoubleTy(), int32, int32},
                               {operand.value, precision, scale});
      case TypeId::kDecimal:
        return call_to_decimal(
            "sluice_cast_decimal_to_decimal", {int128, int32, int32, int32},
            {WidenDecimal(from, operand.value), builder_.getInt32(from.scale()), precision, scale});
      default: return unsupported();
    }
  }

  if (source == TypeId::kDecimal) {
    switch (target) {
      case TypeId::kDouble: {
        // Through the helper: LLVM lowers an i128 → double conversion to a runtime library call.
        llvm::Type* real = builder_.getDoubleTy();
        llvm::Value* converted = builder_.CreateCall(
            Helper("sluice_cast_decimal_to_double", real, {int128, int32}, true),
            {WidenDecimal(from, operand.value), builder_.getInt32(from.scale())});
        return IrValue{converted, nullptr, operand.valid};
      }
      case TypeId::kInt:
      case TypeId::kBigint: {
        LogicalType bigint = LogicalType::Bigint();
        IrValue result = call_with_out(
            "sluice_cast_decimal_to_bigint", {int128, int32},
            {WidenDecimal(from, operand.value), builder_.getInt32(from.scale())}, int64, &bigint);
        // BIGINT → INT keeps the low 32 bits, as Java does; DECIMAL → INT goes the same way.
        if (target == TypeId::kInt) result.value = builder_.CreateTrunc(result.value, int32);
        return result;
      }
      default: return unsupported();
    }
  }

  IrValue result = operand;
  switch (target) {
    case TypeId::kInt:
    case TypeId::kBigint: {
      llvm::Type* target_type = target == TypeId::kInt ? int32 : int64;
      switch (source) {
        case TypeId::kInt:
        case TypeId::kBigint:
          result.value = builder_.CreateSExtOrTrunc(operand.value, target_type);
          return result;
        case TypeId::kBoolean:
          result.value = builder_.CreateZExt(operand.value, target_type);
          return result;
        case TypeId::kTimestamp:
          if (target != TypeId::kBigint) return unsupported();
          return result;
        case TypeId::kDouble: {
          // Inline rather than sluice_cast_double_to_int/bigint (same rule) so it vectorizes:
          // truncate toward zero, NULL when NaN or the truncated value is out of range.
          llvm::Type* real = builder_.getDoubleTy();
          llvm::Value* truncated =
              builder_.CreateUnaryIntrinsic(llvm::Intrinsic::trunc, operand.value);
          double low = target == TypeId::kInt ? -2147483648.0 : -9223372036854775808.0;
          llvm::Value* in_range =
              target == TypeId::kInt
                  ? builder_.CreateFCmpOLE(truncated, llvm::ConstantFP::get(real, 2147483647.0))
                  : builder_.CreateFCmpOLT(truncated,
                                           llvm::ConstantFP::get(real, 9223372036854775808.0));
          in_range = builder_.CreateAnd(
              in_range, builder_.CreateFCmpOGE(truncated, llvm::ConstantFP::get(real, low)));
          // fptosi of an out-of-range value is poison: convert a safe stand-in instead.
          llvm::Value* safe =
              builder_.CreateSelect(in_range, truncated, llvm::ConstantFP::get(real, 0.0));
          result.value = builder_.CreateFPToSI(safe, target_type);
          result.valid = builder_.CreateAnd(operand.valid, in_range);
          return result;
        }
        default: return unsupported();
      }
    }
    case TypeId::kDouble:
      if (!from.IsInteger()) return unsupported();
      result.value = builder_.CreateSIToFP(operand.value, builder_.getDoubleTy());
      return result;
    case TypeId::kBoolean:
      if (!from.IsInteger()) return unsupported();
      result.value =
          builder_.CreateICmpNE(operand.value, llvm::ConstantInt::get(operand.value->getType(), 0));
      return result;
    case TypeId::kTimestamp:
      if (source == TypeId::kDate) {
        // sluice_date_to_timestamp: the day's midnight.
        result.value = builder_.CreateMul(builder_.CreateSExt(operand.value, int64),
                                          builder_.getInt64(86'400'000));
        return result;
      }
      if (source == TypeId::kTime) {
        result.value = builder_.CreateSExt(operand.value, int64);  // on 1970-01-01
        return result;
      }
      if (source != TypeId::kBigint) return unsupported();
      return result;
    case TypeId::kDate:
    case TypeId::kTime: {
      if (source != TypeId::kTimestamp) return unsupported();
      // sluice_timestamp_to_date / _to_time: floor division and its non-negative remainder.
      llvm::Value* day = builder_.getInt64(86'400'000);
      llvm::Value* quotient = builder_.CreateSDiv(operand.value, day);
      llvm::Value* rest = builder_.CreateSRem(operand.value, day);
      llvm::Value* negative = builder_.CreateICmpSLT(rest, builder_.getInt64(0));
      if (target == TypeId::kDate) {
        quotient = builder_.CreateSelect(
            negative, builder_.CreateSub(quotient, builder_.getInt64(1)), quotient);
        result.value = builder_.CreateTrunc(quotient, int32);
      } else {
        rest = builder_.CreateSelect(negative, builder_.CreateAdd(rest, day), rest);
        result.value = builder_.CreateTrunc(rest, int32);
      }
      return result;
    }
    default: return unsupported();
  }
}

base::Result<IrValue> ExprCodegen::EmitHelperFunction(const Expr& expr,
                                                      const std::vector<IrValue>& arguments) {
  FunctionId function = expr.function;
  const char* symbol = functions::HelperSymbolOf(function);
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::Type* int64 = builder_.getInt64Ty();
  llvm::Value* all_valid = builder_.getTrue();
  for (const IrValue& argument : arguments) {
    all_valid = builder_.CreateAnd(all_valid, argument.valid);
  }
  auto is = [&](size_t index, TypeId id) { return expr.arguments[index]->type.id() == id; };
  if (functions::IsValueShape(functions::HelperShapeOf(function))) {
    // The value shapes: the arguments go into an array of SluiceUdfValue, as the interpreter
    // passes them (runtime/expr/kernel_abi.h); the call is skipped when one is NULL.
    auto is_value_type = [](TypeId id) {
      return id == TypeId::kBoolean || id == TypeId::kInt || id == TypeId::kBigint ||
             id == TypeId::kDouble || id == TypeId::kVarchar || id == TypeId::kTimestamp ||
             id == TypeId::kDate || id == TypeId::kTime || id == TypeId::kArray ||
             id == TypeId::kMap || id == TypeId::kMultiset || id == TypeId::kDecimal ||
             id == TypeId::kInterval || id == TypeId::kBinary;
    };
    bool well_typed = is_value_type(expr.type.id());
    for (const auto& argument : expr.arguments) well_typed &= is_value_type(argument->type.id());
    if (!well_typed) {
      return Unsupported(fmt::format("{} over these arguments", functions::FunctionName(function)));
    }
    llvm::Type* int32 = builder_.getInt32Ty();
    // A nullable shape is called for NULL arguments too, which it tells by `is_null`.
    bool nullable =
        functions::HelperShapeOf(function) == functions::HelperShape::kValueTypedNullable;
    return Guarded(nullable ? builder_.getTrue() : all_valid, expr.type, [&] {
      llvm::Type* array_type =
          llvm::ArrayType::get(udf_value_type_, std::max<size_t>(arguments.size(), 1));
      llvm::AllocaInst* argument_array = EntryAlloca(array_type);
      llvm::AllocaInst* result_slot = EntryAlloca(udf_value_type_);
      for (size_t index = 0; index < arguments.size(); ++index) {
        const IrValue& value = arguments[index];
        llvm::Value* slot =
            builder_.CreateConstInBoundsGEP2_64(array_type, argument_array, 0, index);
        auto field = [&](unsigned position) {
          return builder_.CreateStructGEP(udf_value_type_, slot, position);
        };
        switch (expr.arguments[index]->type.id()) {
          case TypeId::kBoolean:
            builder_.CreateStore(builder_.CreateZExt(value.value, int64), field(0));
            break;
          case TypeId::kInt:
          case TypeId::kDate:
          case TypeId::kTime:
            builder_.CreateStore(builder_.CreateSExt(value.value, int64), field(0));
            break;
          case TypeId::kDouble: builder_.CreateStore(value.value, field(1)); break;
          case TypeId::kArray:
          case TypeId::kMap:
          case TypeId::kBinary:
          case TypeId::kMultiset:
          case TypeId::kVarchar:
            builder_.CreateStore(value.value, field(2));
            builder_.CreateStore(value.length, field(3));
            break;
          default: builder_.CreateStore(value.value, field(0)); break;  // BIGINT, TIMESTAMP
        }
        builder_.CreateStore(
            builder_.CreateZExt(builder_.CreateNot(value.valid), builder_.getInt8Ty()), field(4));
      }
      builder_.CreateStore(llvm::Constant::getNullValue(udf_value_type_), result_slot);
      llvm::Value* ok = builder_.CreateCall(
          Helper(symbol, builder_.getInt8Ty(), {pointer, pointer, int32, pointer}),
          {context_, argument_array, builder_.getInt32(static_cast<uint32_t>(arguments.size())),
           result_slot});
      auto result_field = [&](unsigned position, llvm::Type* type) {
        return builder_.CreateLoad(
            type, builder_.CreateStructGEP(udf_value_type_, result_slot, position));
      };
      IrValue result;
      result.valid = builder_.CreateICmpNE(ok, builder_.getInt8(0));
      switch (expr.type.id()) {
        case TypeId::kBoolean:
          result.value = builder_.CreateICmpNE(result_field(0, int64), builder_.getInt64(0));
          break;
        case TypeId::kInt:
        case TypeId::kDate:
        case TypeId::kTime:
          result.value = builder_.CreateTrunc(result_field(0, int64), int32);
          break;
        case TypeId::kDouble: result.value = result_field(1, builder_.getDoubleTy()); break;
        case TypeId::kArray:
        case TypeId::kMap:
        case TypeId::kBinary:
        case TypeId::kMultiset:
        case TypeId::kVarchar:
          result.value = result_field(2, pointer);
          result.length = result_field(3, int32);
          break;
        default: result.value = result_field(0, int64); break;
      }
      return result;
    });
  }
  switch (functions::HelperShapeOf(function)) {
    case functions::HelperShape::kStringToString:
      if (arguments.size() != 1 || !is(0, TypeId::kVarchar) || expr.type.id() != TypeId::kVarchar) {
        return Unsupported(
            fmt::format("{} over these arguments", functions::FunctionName(function)));
      }
      return Guarded(all_valid, LogicalType::Varchar(), [&] {
        llvm::Value* out = EntryAlloca(string_type_);
        builder_.CreateCall(Helper(symbol, builder_.getVoidTy(), {pointer, pointer, pointer}),
                            {context_, StringArgument(arguments[0]), out});
        return LoadStringResult(out);
      });

    case functions::HelperShape::kStringStringIndexToString: {
      auto minimum = static_cast<size_t>(functions::HelperMinArgumentsOf(function));
      bool well_typed = arguments.size() >= minimum && arguments.size() <= 3 &&
                        expr.type.id() == TypeId::kVarchar && is(0, TypeId::kVarchar) &&
                        is(1, TypeId::kVarchar) &&
                        (arguments.size() < 3 || expr.arguments[2]->type.IsInteger());
      if (!well_typed) {
        return Unsupported(
            fmt::format("{} over these arguments", functions::FunctionName(function)));
      }
      return Guarded(all_valid, LogicalType::Varchar(), [&] {
        llvm::Value* out = EntryAlloca(string_type_);
        llvm::Value* index = arguments.size() == 3
                                 ? builder_.CreateSExtOrTrunc(arguments[2].value, int64)
                                 : builder_.getInt64(0);
        llvm::Value* ok = builder_.CreateCall(
            Helper(symbol, builder_.getInt8Ty(), {pointer, pointer, int64, pointer}),
            {StringArgument(arguments[0]), StringArgument(arguments[1]), index, out});
        IrValue result = LoadStringResult(out);
        result.valid = builder_.CreateICmpNE(ok, builder_.getInt8(0));
        return result;
      });
    }

    default: break;  // kNone; the value shapes, handled above
  }
  return Unsupported(fmt::format("{} is not a helper function", functions::FunctionName(function)));
}

}  // namespace sluice::compiler::codegen
