#include "compiler/codegen/jit_accumulator_compiler.h"

#include <fmt/format.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compiler/codegen/jit_module.h"
#include "runtime/jit/jit_engine_llvm.h"
#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::compiler::codegen {

namespace {

using runtime::RowKind;
using runtime::operators::aggregate::AccumulatorCompiler;
using runtime::operators::aggregate::AccumulatorKind;
using runtime::operators::aggregate::AccumulatorLayout;
using runtime::operators::aggregate::CallLayout;
using runtime::operators::aggregate::CompiledAccumulators;
using types::TypeId;

constexpr uint64_t kCanonicalNaNBits = 0x7ff8000000000000ULL;

base::Status Internal(std::string message) {
  return base::Status::Error(base::ErrorCode::kInternal, std::move(message));
}

/// Keeps the kernels' machine code alive while the runtime holds them.
class JitCompiledAccumulators final : public CompiledAccumulators {
 public:
  JitCompiledAccumulators(std::unique_ptr<runtime::jit::JitCode> code,
                          SluiceAccumulateKernel accumulate, SluiceMergeKernel merge,
                          std::vector<bool> compiled_calls, size_t fixed_size)
      : CompiledAccumulators(accumulate, merge, std::move(compiled_calls), fixed_size),
        code_(std::move(code)) {}

 private:
  std::unique_ptr<runtime::jit::JitCode> code_;
};

/// Emits the update and merge kernels of one layout. Accumulator bytes are unaligned, so every
/// access is an align-1 load or store at a constant offset. Each call's fold is branch-free:
/// a row that does not apply (filtered out, NULL argument, retraction from an empty count)
/// stores the old values back, the same bytes Aggregator leaves.
class AccumulatorCodegen {
 public:
  AccumulatorCodegen(llvm::Module& module, const AccumulatorLayout& layout,
                     const std::vector<bool>& compiled)
      : context_(module.getContext()), builder_(context_), layout_(layout), compiled_(compiled) {}

  /// Fills `function`, a SluiceAccumulateKernel.
  void EmitUpdate(llvm::Function& function);
  /// Fills `function`, a SluiceMergeKernel.
  void EmitMerge(llvm::Function& function);

 private:
  /// The argument column (data, validity) of a call, or nulls.
  struct CallColumns {
    llvm::Value* argument_data = nullptr;
    llvm::Value* argument_validity = nullptr;
    llvm::Value* filter_data = nullptr;
    llvm::Value* filter_validity = nullptr;
  };

  llvm::Value* Address(llvm::Value* base, uint64_t offset) {
    return builder_.CreateConstInBoundsGEP1_64(builder_.getInt8Ty(), base, offset);
  }
  llvm::Value* LoadAt(llvm::Type* type, llvm::Value* base, uint64_t offset) {
    return builder_.CreateAlignedLoad(type, Address(base, offset), llvm::MaybeAlign(1));
  }
  void StoreAt(llvm::Value* value, llvm::Value* base, uint64_t offset) {
    builder_.CreateAlignedStore(value, Address(base, offset), llvm::MaybeAlign(1));
  }
  /// Loads byte `row` of a validity or BOOLEAN column as an i1 (non-zero).
  llvm::Value* LoadFlag(llvm::Value* bytes, llvm::Value* row) {
    llvm::Value* byte = builder_.CreateLoad(
        builder_.getInt8Ty(), builder_.CreateInBoundsGEP(builder_.getInt8Ty(), bytes, row));
    return builder_.CreateICmpNE(byte, builder_.getInt8(0));
  }
  llvm::Value* LoadValue(llvm::Type* type, llvm::Value* data, llvm::Value* row) {
    return builder_.CreateLoad(type, builder_.CreateInBoundsGEP(type, data, row));
  }
  /// The int64 key of a MIN/MAX argument (aggregator.cpp's LoadKey for fixed-width types).
  llvm::Value* LoadKey(const CallLayout& layout, llvm::Value* data, llvm::Value* row);
  /// Tells whether `key` beats `current` for a MIN (less) or a MAX (greater).
  llvm::Value* Beats(const CallLayout& layout, llvm::Value* key, llvm::Value* current) {
    return layout.is_min ? builder_.CreateICmpSLT(key, current)
                         : builder_.CreateICmpSGT(key, current);
  }
  /// Replaces a NaN sum by the canonical NaN (aggregator.h: its sign and payload would depend
  /// on the operand order LLVM picks).
  llvm::Value* CanonicalSum(llvm::Value* sum) {
    llvm::Value* nan = llvm::ConstantFP::get(
        builder_.getDoubleTy(),
        llvm::APFloat(llvm::APFloat::IEEEdouble(), llvm::APInt(64, kCanonicalNaNBits)));
    return builder_.CreateSelect(builder_.CreateFCmpUNO(sum, sum), nan, sum);
  }
  /// A DECIMAL sum plus (or, where `subtract` holds, minus) `value`: the minimum i128 once
  /// either is it or the step overflows (decimal_sum.h's AddToDecimalSum).
  llvm::Value* AddToDecimalSum(llvm::Value* sum, llvm::Value* value, llvm::Value* subtract) {
    llvm::Value* added =
        builder_.CreateBinaryIntrinsic(llvm::Intrinsic::sadd_with_overflow, sum, value);
    llvm::Value* subtracted =
        builder_.CreateBinaryIntrinsic(llvm::Intrinsic::ssub_with_overflow, sum, value);
    llvm::Value* result =
        builder_.CreateSelect(subtract, builder_.CreateExtractValue(subtracted, 0),
                              builder_.CreateExtractValue(added, 0));
    llvm::Value* overflow =
        builder_.CreateSelect(subtract, builder_.CreateExtractValue(subtracted, 1),
                              builder_.CreateExtractValue(added, 1));
    llvm::Value* overflowed = llvm::ConstantInt::get(context_, llvm::APInt::getSignedMinValue(128));
    llvm::Value* poisoned =
        builder_.CreateOr(overflow, builder_.CreateOr(builder_.CreateICmpEQ(sum, overflowed),
                                                      builder_.CreateICmpEQ(value, overflowed)));
    return builder_.CreateSelect(poisoned, overflowed, result);
  }
  /// Loads a column's data and validity pointers from the kernel's input array.
  std::pair<llvm::Value*, llvm::Value*> LoadColumn(llvm::Value* inputs, int32_t slot);
  /// What one call reads of one row: whether it applies (filter TRUE, argument not NULL) and
  /// the argument as its slot adds or compares it (null for COUNT).
  struct RowInputs {
    llvm::Value* active;
    llvm::Value* value;
  };
  RowInputs LoadRowInputs(const CallLayout& layout, const CallColumns& columns, llvm::Value* row);
  /// Folds one row's inputs into one call's slot.
  void EmitFold(const CallLayout& layout, const RowInputs& inputs, llvm::Value* accumulator,
                llvm::Value* retract);
  void EmitMergeCall(const CallLayout& layout, llvm::Value* accumulator, llvm::Value* other);
  /// STDDEV/VAR over DOUBLE: Welford's update (or its reverse) of the slot at `slot`.
  void EmitMomentsDoubleFold(uint64_t slot, llvm::Value* active, llvm::Value* value,
                             llvm::Value* accumulator, llvm::Value* retract);
  void EmitMomentsDoubleMerge(uint64_t slot, llvm::Value* accumulator, llvm::Value* other);
  /// Emits the loop over the rows from `preheader` to `exit`; with `read_row_kinds`, -U/-D
  /// rows retract, otherwise every row is an insert.
  void EmitRowLoop(llvm::Function& function, const std::vector<CallColumns>& columns,
                   llvm::BasicBlock* preheader, bool read_row_kinds, llvm::BasicBlock* exit);

  llvm::LLVMContext& context_;
  llvm::IRBuilder<> builder_;
  const AccumulatorLayout& layout_;
  const std::vector<bool>& compiled_;
};

llvm::Value* AccumulatorCodegen::LoadKey(const CallLayout& layout, llvm::Value* data,
                                         llvm::Value* row) {
  llvm::Type* i64 = builder_.getInt64Ty();
  switch (layout.argument_type) {
    case TypeId::kBoolean: return builder_.CreateZExt(LoadFlag(data, row), i64);
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime:
      return builder_.CreateSExt(LoadValue(builder_.getInt32Ty(), data, row), i64);
    case TypeId::kDouble: {
      // Double.compare order: -0.0 is 0.0, every NaN one NaN above +Infinity.
      llvm::Value* value = LoadValue(builder_.getDoubleTy(), data, row);
      llvm::Value* zero = llvm::ConstantFP::get(builder_.getDoubleTy(), 0.0);
      llvm::Value* positive_zeroed =
          builder_.CreateSelect(builder_.CreateFCmpOEQ(value, zero), zero, value);
      llvm::Value* bits = builder_.CreateBitCast(positive_zeroed, i64);
      bits = builder_.CreateSelect(builder_.CreateFCmpUNO(value, value),
                                   builder_.getInt64(kCanonicalNaNBits), bits);
      llvm::Value* flip = builder_.CreateAnd(
          builder_.CreateAShr(bits, 63), builder_.getInt64(std::numeric_limits<int64_t>::max()));
      return builder_.CreateXor(bits, flip);
    }
    default: return LoadValue(i64, data, row);  // BIGINT, DECIMAL, TIMESTAMP, INTERVAL
  }
}

std::pair<llvm::Value*, llvm::Value*> AccumulatorCodegen::LoadColumn(llvm::Value* inputs,
                                                                     int32_t slot) {
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::StructType* column_type = llvm::StructType::get(context_, {pointer, pointer});
  llvm::Value* column =
      builder_.CreateConstInBoundsGEP1_64(column_type, inputs, static_cast<uint64_t>(slot));
  return {builder_.CreateLoad(pointer, builder_.CreateStructGEP(column_type, column, 0)),
          builder_.CreateLoad(pointer, builder_.CreateStructGEP(column_type, column, 1))};
}

AccumulatorCodegen::RowInputs AccumulatorCodegen::LoadRowInputs(const CallLayout& layout,
                                                                const CallColumns& columns,
                                                                llvm::Value* row) {
  llvm::Type* i64 = builder_.getInt64Ty();
  RowInputs inputs{builder_.getTrue(), nullptr};
  if (columns.filter_data != nullptr) {
    inputs.active = builder_.CreateAnd(LoadFlag(columns.filter_validity, row),
                                       LoadFlag(columns.filter_data, row));
  }
  if (columns.argument_validity != nullptr) {
    inputs.active = builder_.CreateAnd(inputs.active, LoadFlag(columns.argument_validity, row));
  }
  llvm::Value* data = columns.argument_data;
  switch (layout.kind) {
    case AccumulatorKind::kSumInteger:
      inputs.value = layout.argument_type == TypeId::kInt
                         ? builder_.CreateSExt(LoadValue(builder_.getInt32Ty(), data, row), i64)
                         : LoadValue(i64, data, row);
      break;
    case AccumulatorKind::kSumDecimal:
      if (layout.wide_decimal_argument) {
        // 16-byte values at 8-byte aligned rows (a batch column promises no more).
        llvm::Type* i128 = builder_.getInt128Ty();
        inputs.value = builder_.CreateAlignedLoad(i128, builder_.CreateInBoundsGEP(i128, data, row),
                                                  llvm::Align(8));
      } else {
        inputs.value = builder_.CreateSExt(LoadValue(i64, data, row), builder_.getInt128Ty());
      }
      break;
    case AccumulatorKind::kSumDouble:
      inputs.value = LoadValue(builder_.getDoubleTy(), data, row);
      break;
    case AccumulatorKind::kExtremeFixed: inputs.value = LoadKey(layout, data, row); break;
    case AccumulatorKind::kMomentsExact: {
      llvm::Value* value =
          layout.argument_type == TypeId::kInt
              ? builder_.CreateSExt(LoadValue(builder_.getInt32Ty(), data, row), i64)
              : LoadValue(i64, data, row);
      inputs.value = builder_.CreateSExt(value, builder_.getInt128Ty());
      break;
    }
    case AccumulatorKind::kMomentsDouble:
      inputs.value = LoadValue(builder_.getDoubleTy(), data, row);
      break;
    case AccumulatorKind::kBoolCounts: inputs.value = LoadFlag(data, row); break;
    case AccumulatorKind::kCount:
    case AccumulatorKind::kExtremeString:
    case AccumulatorKind::kValueCounts:
    case AccumulatorKind::kValueList:
    case AccumulatorKind::kLag: break;
  }
  return inputs;
}

void AccumulatorCodegen::EmitFold(const CallLayout& layout, const RowInputs& inputs,
                                  llvm::Value* accumulator, llvm::Value* retract) {
  llvm::Type* i64 = builder_.getInt64Ty();
  llvm::Value* active = inputs.active;
  llvm::Value* value = inputs.value;
  llvm::Value* delta = builder_.CreateSelect(retract, builder_.getInt64(-1), builder_.getInt64(1));
  uint64_t slot = layout.fixed_offset;
  // Count-carrying kinds: a retraction from a count of 0 changes nothing.
  auto fold_count = [&](uint64_t count_offset) {
    llvm::Value* count = LoadAt(i64, accumulator, slot + count_offset);
    llvm::Value* nonempty = builder_.CreateICmpSGT(count, builder_.getInt64(0));
    llvm::Value* apply =
        builder_.CreateAnd(active, builder_.CreateOr(builder_.CreateNot(retract), nonempty));
    StoreAt(builder_.CreateSelect(apply, builder_.CreateAdd(count, delta), count), accumulator,
            slot + count_offset);
    return apply;
  };
  switch (layout.kind) {
    case AccumulatorKind::kCount: fold_count(0); break;
    case AccumulatorKind::kSumInteger: {
      llvm::Value* apply = fold_count(8);
      llvm::Value* sum = LoadAt(i64, accumulator, slot);
      llvm::Value* next = builder_.CreateSelect(retract, builder_.CreateSub(sum, value),
                                                builder_.CreateAdd(sum, value));
      StoreAt(builder_.CreateSelect(apply, next, sum), accumulator, slot);
      break;
    }
    case AccumulatorKind::kSumDecimal: {
      llvm::Value* apply = fold_count(16);
      llvm::Value* sum = LoadAt(builder_.getInt128Ty(), accumulator, slot);
      llvm::Value* next = AddToDecimalSum(sum, value, retract);
      StoreAt(builder_.CreateSelect(apply, next, sum), accumulator, slot);
      break;
    }
    case AccumulatorKind::kSumDouble: {
      llvm::Value* apply = fold_count(8);
      llvm::Value* sum = LoadAt(builder_.getDoubleTy(), accumulator, slot);
      llvm::Value* next = CanonicalSum(builder_.CreateSelect(
          retract, builder_.CreateFSub(sum, value), builder_.CreateFAdd(sum, value)));
      StoreAt(builder_.CreateSelect(apply, next, sum), accumulator, slot);
      break;
    }
    case AccumulatorKind::kExtremeFixed: {
      // Callers never pass a retraction here (Aggregator rejects it first); ignore one anyway.
      llvm::Value* key = value;
      llvm::Value* has_value = LoadAt(builder_.getInt8Ty(), accumulator, slot);
      llvm::Value* current = LoadAt(i64, accumulator, slot + 1);
      llvm::Value* empty = builder_.CreateICmpEQ(has_value, builder_.getInt8(0));
      llvm::Value* take =
          builder_.CreateAnd(builder_.CreateAnd(active, builder_.CreateNot(retract)),
                             builder_.CreateOr(empty, Beats(layout, key, current)));
      StoreAt(builder_.CreateSelect(take, builder_.getInt8(1), has_value), accumulator, slot);
      StoreAt(builder_.CreateSelect(take, key, current), accumulator, slot + 1);
      break;
    }
    case AccumulatorKind::kMomentsExact: {
      // moments.cpp's AddExact: wrapping int128 sum and sum of squares.
      llvm::Type* i128 = builder_.getInt128Ty();
      llvm::Value* apply = fold_count(0);
      llvm::Value* square = builder_.CreateMul(value, value);
      for (auto [offset, term] : {std::pair<uint64_t, llvm::Value*>{8, value}, {24, square}}) {
        llvm::Value* sum = LoadAt(i128, accumulator, slot + offset);
        llvm::Value* next = builder_.CreateSelect(retract, builder_.CreateSub(sum, term),
                                                  builder_.CreateAdd(sum, term));
        StoreAt(builder_.CreateSelect(apply, next, sum), accumulator, slot + offset);
      }
      break;
    }
    case AccumulatorKind::kMomentsDouble:
      EmitMomentsDoubleFold(slot, active, value, accumulator, retract);
      break;
    case AccumulatorKind::kBoolCounts: {
      for (auto [offset, counted] :
           {std::pair<uint64_t, llvm::Value*>{0, value}, {8, builder_.CreateNot(value)}}) {
        llvm::Value* count = LoadAt(i64, accumulator, slot + offset);
        llvm::Value* nonempty = builder_.CreateICmpSGT(count, builder_.getInt64(0));
        llvm::Value* apply =
            builder_.CreateAnd(builder_.CreateAnd(active, counted),
                               builder_.CreateOr(builder_.CreateNot(retract), nonempty));
        StoreAt(builder_.CreateSelect(apply, builder_.CreateAdd(count, delta), count), accumulator,
                slot + offset);
      }
      break;
    }
    case AccumulatorKind::kExtremeString:
    case AccumulatorKind::kValueCounts:
    case AccumulatorKind::kValueList:
    case AccumulatorKind::kLag: break;  // never compiled
  }
}

void AccumulatorCodegen::EmitMomentsDoubleFold(uint64_t slot, llvm::Value* active,
                                               llvm::Value* value, llvm::Value* accumulator,
                                               llvm::Value* retract) {
  // moments.cpp's AddDouble, both directions computed and one selected, op for op.
  llvm::Type* i64 = builder_.getInt64Ty();
  llvm::Type* f64 = builder_.getDoubleTy();
  llvm::Value* count = LoadAt(i64, accumulator, slot);
  llvm::Value* mean = LoadAt(f64, accumulator, slot + 8);
  llvm::Value* m2 = LoadAt(f64, accumulator, slot + 16);
  // Insert.
  llvm::Value* delta = builder_.CreateFSub(value, mean);
  llvm::Value* grown = builder_.CreateSIToFP(builder_.CreateAdd(count, builder_.getInt64(1)), f64);
  llvm::Value* add_mean = builder_.CreateFAdd(mean, builder_.CreateFDiv(delta, grown));
  llvm::Value* add_m2 =
      builder_.CreateFAdd(m2, builder_.CreateFMul(delta, builder_.CreateFSub(value, add_mean)));
  // Retract (count > 1; count == 1 empties the slot).
  llvm::Value* shrunk = builder_.CreateSIToFP(builder_.CreateSub(count, builder_.getInt64(1)), f64);
  llvm::Value* off = builder_.CreateFSub(value, mean);
  llvm::Value* sub_mean = builder_.CreateFSub(mean, builder_.CreateFDiv(off, shrunk));
  llvm::Value* sub_m2 = builder_.CreateFSub(
      m2,
      builder_.CreateFMul(builder_.CreateFSub(value, sub_mean), builder_.CreateFSub(value, mean)));
  llvm::Value* last = builder_.CreateICmpEQ(count, builder_.getInt64(1));
  llvm::Value* zero = llvm::ConstantFP::get(f64, 0.0);
  sub_mean = builder_.CreateSelect(last, zero, CanonicalSum(sub_mean));
  sub_m2 = builder_.CreateSelect(last, zero, CanonicalSum(sub_m2));
  llvm::Value* apply = builder_.CreateAnd(
      active, builder_.CreateOr(builder_.CreateNot(retract),
                                builder_.CreateICmpSGT(count, builder_.getInt64(0))));
  llvm::Value* next_count =
      builder_.CreateSelect(retract, builder_.CreateSub(count, builder_.getInt64(1)),
                            builder_.CreateAdd(count, builder_.getInt64(1)));
  llvm::Value* next_mean = builder_.CreateSelect(retract, sub_mean, CanonicalSum(add_mean));
  llvm::Value* next_m2 = builder_.CreateSelect(retract, sub_m2, CanonicalSum(add_m2));
  StoreAt(builder_.CreateSelect(apply, next_count, count), accumulator, slot);
  StoreAt(builder_.CreateSelect(apply, next_mean, mean), accumulator, slot + 8);
  StoreAt(builder_.CreateSelect(apply, next_m2, m2), accumulator, slot + 16);
}

void AccumulatorCodegen::EmitMomentsDoubleMerge(uint64_t slot, llvm::Value* accumulator,
                                                llvm::Value* other) {
  // moments.cpp's MergeDouble (Chan): loads first, so `other` may be `accumulator`.
  llvm::Type* i64 = builder_.getInt64Ty();
  llvm::Type* f64 = builder_.getDoubleTy();
  llvm::Value* left_count = LoadAt(i64, accumulator, slot);
  llvm::Value* left_mean = LoadAt(f64, accumulator, slot + 8);
  llvm::Value* left_m2 = LoadAt(f64, accumulator, slot + 16);
  llvm::Value* right_count = LoadAt(i64, other, slot);
  llvm::Value* right_mean = LoadAt(f64, other, slot + 8);
  llvm::Value* right_m2 = LoadAt(f64, other, slot + 16);
  llvm::Value* total = builder_.CreateAdd(left_count, right_count);
  llvm::Value* count = builder_.CreateSIToFP(total, f64);
  llvm::Value* delta = builder_.CreateFSub(right_mean, left_mean);
  llvm::Value* mean = builder_.CreateFAdd(
      left_mean, builder_.CreateFDiv(
                     builder_.CreateFMul(delta, builder_.CreateSIToFP(right_count, f64)), count));
  llvm::Value* cross = builder_.CreateFDiv(
      builder_.CreateFMul(builder_.CreateFMul(builder_.CreateFMul(delta, delta),
                                              builder_.CreateSIToFP(left_count, f64)),
                          builder_.CreateSIToFP(right_count, f64)),
      count);
  llvm::Value* m2 = builder_.CreateFAdd(builder_.CreateFAdd(left_m2, right_m2), cross);
  llvm::Value* right_empty = builder_.CreateICmpSLE(right_count, builder_.getInt64(0));
  llvm::Value* left_empty = builder_.CreateICmpSLE(left_count, builder_.getInt64(0));
  auto pick = [&](llvm::Value* left, llvm::Value* right, llvm::Value* merged) {
    return builder_.CreateSelect(right_empty, left,
                                 builder_.CreateSelect(left_empty, right, merged));
  };
  StoreAt(pick(left_count, right_count, total), accumulator, slot);
  StoreAt(pick(left_mean, right_mean, CanonicalSum(mean)), accumulator, slot + 8);
  StoreAt(pick(left_m2, right_m2, CanonicalSum(m2)), accumulator, slot + 16);
}

void AccumulatorCodegen::EmitUpdate(llvm::Function& function) {
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::Value* inputs = function.getArg(0);
  llvm::Value* row_kinds = function.getArg(1);
  llvm::Value* count = function.getArg(5);

  auto* entry = llvm::BasicBlock::Create(context_, "entry", &function);
  auto* dispatch = llvm::BasicBlock::Create(context_, "dispatch", &function);
  auto* exit = llvm::BasicBlock::Create(context_, "exit", &function);
  builder_.SetInsertPoint(entry);
  std::vector<CallColumns> columns(layout_.calls.size());
  for (size_t call = 0; call < layout_.calls.size(); ++call) {
    if (!compiled_[call]) continue;
    const CallLayout& layout = layout_.calls[call];
    if (layout.argument_slot >= 0) {
      std::tie(columns[call].argument_data, columns[call].argument_validity) =
          LoadColumn(inputs, layout.argument_slot);
    }
    if (layout.filter_slot >= 0) {
      std::tie(columns[call].filter_data, columns[call].filter_validity) =
          LoadColumn(inputs, layout.filter_slot);
    }
  }
  builder_.CreateCondBr(builder_.CreateICmpSGT(count, builder_.getInt32(0)), dispatch, exit);

  // Two loops: one for insert-only input, where every retraction guard folds away, and one
  // that reads each row's kind.
  builder_.SetInsertPoint(dispatch);
  auto* inserts = llvm::BasicBlock::Create(context_, "inserts", &function);
  auto* changes = llvm::BasicBlock::Create(context_, "changes", &function);
  builder_.CreateCondBr(builder_.CreateICmpEQ(row_kinds, llvm::Constant::getNullValue(pointer)),
                        inserts, changes);
  EmitRowLoop(function, columns, inserts, /*read_row_kinds=*/false, exit);
  EmitRowLoop(function, columns, changes, /*read_row_kinds=*/true, exit);

  builder_.SetInsertPoint(exit);
  builder_.CreateRetVoid();
}

void AccumulatorCodegen::EmitRowLoop(llvm::Function& function,
                                     const std::vector<CallColumns>& columns,
                                     llvm::BasicBlock* preheader, bool read_row_kinds,
                                     llvm::BasicBlock* exit) {
  llvm::Type* i64 = builder_.getInt64Ty();
  llvm::Type* pointer = builder_.getPtrTy();
  llvm::Value* row_kinds = function.getArg(1);
  llvm::Value* rows = function.getArg(2);
  llvm::Value* accumulators = function.getArg(3);
  llvm::Value* step = function.getArg(4);
  llvm::Value* count = function.getArg(5);

  auto* loop = llvm::BasicBlock::Create(context_, read_row_kinds ? "change" : "insert", &function);
  builder_.SetInsertPoint(preheader);
  llvm::Value* count_64 = builder_.CreateSExt(count, i64);
  builder_.CreateBr(loop);

  builder_.SetInsertPoint(loop);
  llvm::PHINode* index = builder_.CreatePHI(i64, 2, "i");
  index->addIncoming(builder_.getInt64(0), preheader);
  llvm::Value* row = builder_.CreateSExt(LoadValue(builder_.getInt32Ty(), rows, index), i64, "row");
  llvm::Value* accumulator = LoadValue(pointer, accumulators, builder_.CreateMul(index, step));
  llvm::Value* retract = builder_.getFalse();
  if (read_row_kinds) {
    llvm::Value* kind = LoadValue(builder_.getInt8Ty(), row_kinds, row);
    retract = builder_.CreateOr(
        builder_.CreateICmpEQ(kind, builder_.getInt8(static_cast<uint8_t>(RowKind::kUpdateBefore))),
        builder_.CreateICmpEQ(kind, builder_.getInt8(static_cast<uint8_t>(RowKind::kDelete))));
  }
  // Every input load before the first store to an accumulator: LLVM cannot tell that the
  // stores miss the columns, so loads after them would be repeated per call.
  std::vector<RowInputs> row_inputs(layout_.calls.size());
  for (size_t call = 0; call < layout_.calls.size(); ++call) {
    if (compiled_[call]) row_inputs[call] = LoadRowInputs(layout_.calls[call], columns[call], row);
  }
  // The row count: a retraction never drives it below zero.
  llvm::Value* row_count = LoadAt(i64, accumulator, 0);
  llvm::Value* applies = builder_.CreateOr(builder_.CreateNot(retract),
                                           builder_.CreateICmpSGT(row_count, builder_.getInt64(0)));
  llvm::Value* delta = builder_.CreateSelect(retract, builder_.getInt64(-1), builder_.getInt64(1));
  StoreAt(builder_.CreateSelect(applies, builder_.CreateAdd(row_count, delta), row_count),
          accumulator, 0);
  for (size_t call = 0; call < layout_.calls.size(); ++call) {
    if (compiled_[call]) EmitFold(layout_.calls[call], row_inputs[call], accumulator, retract);
  }
  llvm::Value* next = builder_.CreateAdd(index, builder_.getInt64(1), "i.next", true, true);
  index->addIncoming(next, builder_.GetInsertBlock());
  builder_.CreateCondBr(builder_.CreateICmpSLT(next, count_64), loop, exit);
}

void AccumulatorCodegen::EmitMergeCall(const CallLayout& layout, llvm::Value* accumulator,
                                       llvm::Value* other) {
  llvm::Type* i64 = builder_.getInt64Ty();
  uint64_t slot = layout.fixed_offset;
  // Loads of both sides come before the stores, so `other` may be `accumulator`.
  auto add = [&](llvm::Type* type, uint64_t offset) {
    llvm::Value* left = LoadAt(type, accumulator, slot + offset);
    llvm::Value* right = LoadAt(type, other, slot + offset);
    llvm::Value* sum = type->isDoubleTy() ? CanonicalSum(builder_.CreateFAdd(left, right))
                                          : builder_.CreateAdd(left, right);
    StoreAt(sum, accumulator, slot + offset);
  };
  switch (layout.kind) {
    case AccumulatorKind::kCount: add(i64, 0); break;
    case AccumulatorKind::kSumInteger:
      add(i64, 0);
      add(i64, 8);
      break;
    case AccumulatorKind::kSumDecimal: {
      llvm::Value* left = LoadAt(builder_.getInt128Ty(), accumulator, slot);
      llvm::Value* right = LoadAt(builder_.getInt128Ty(), other, slot);
      llvm::Value* sum = AddToDecimalSum(left, right, builder_.getFalse());
      add(i64, 16);  // loads both counts before the sum's store (other may be accumulator)
      StoreAt(sum, accumulator, slot);
      break;
    }
    case AccumulatorKind::kSumDouble:
      add(builder_.getDoubleTy(), 0);
      add(i64, 8);
      break;
    case AccumulatorKind::kExtremeFixed: {
      llvm::Type* i8 = builder_.getInt8Ty();
      llvm::Value* left_has = LoadAt(i8, accumulator, slot);
      llvm::Value* left_key = LoadAt(i64, accumulator, slot + 1);
      llvm::Value* right_has = LoadAt(i8, other, slot);
      llvm::Value* right_key = LoadAt(i64, other, slot + 1);
      llvm::Value* take =
          builder_.CreateAnd(builder_.CreateICmpNE(right_has, builder_.getInt8(0)),
                             builder_.CreateOr(builder_.CreateICmpEQ(left_has, builder_.getInt8(0)),
                                               Beats(layout, right_key, left_key)));
      StoreAt(builder_.CreateSelect(take, builder_.getInt8(1), left_has), accumulator, slot);
      StoreAt(builder_.CreateSelect(take, right_key, left_key), accumulator, slot + 1);
      break;
    }
    case AccumulatorKind::kMomentsExact:
      add(i64, 0);
      add(builder_.getInt128Ty(), 8);
      add(builder_.getInt128Ty(), 24);
      break;
    case AccumulatorKind::kMomentsDouble: EmitMomentsDoubleMerge(slot, accumulator, other); break;
    case AccumulatorKind::kBoolCounts:
      add(i64, 0);
      add(i64, 8);
      break;
    case AccumulatorKind::kExtremeString:
    case AccumulatorKind::kValueCounts:
    case AccumulatorKind::kValueList:
    case AccumulatorKind::kLag: break;  // never compiled
  }
}

void AccumulatorCodegen::EmitMerge(llvm::Function& function) {
  llvm::Value* accumulator = function.getArg(0);
  llvm::Value* other = function.getArg(1);
  builder_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", &function));
  llvm::Type* i64 = builder_.getInt64Ty();
  llvm::Value* rows = builder_.CreateAdd(LoadAt(i64, accumulator, 0), LoadAt(i64, other, 0));
  StoreAt(rows, accumulator, 0);
  for (size_t call = 0; call < layout_.calls.size(); ++call) {
    if (compiled_[call]) EmitMergeCall(layout_.calls[call], accumulator, other);
  }
  builder_.CreateRetVoid();
}

/// Compiles accumulators with one JitEngine; compilations are serialized by the engine.
class JitAccumulatorCompiler final : public AccumulatorCompiler {
 public:
  JitAccumulatorCompiler(std::unique_ptr<runtime::jit::JitEngine> engine, JitOptions options)
      : engine_(std::move(engine)), options_(options) {}

  base::Result<std::shared_ptr<CompiledAccumulators>> Compile(
      const std::vector<runtime::plan::AggregateCall>& calls) override {
    AccumulatorLayout layout = runtime::operators::aggregate::LayOutAccumulators(calls);
    if (!layout.unsupported.ok()) return layout.unsupported;
    std::vector<bool> compiled;
    for (const CallLayout& call : layout.calls) {
      compiled.push_back(runtime::operators::aggregate::IsFixedSlotCall(call));
    }

    runtime::jit::CompileSession session(*engine_);
    llvm::TargetMachine& target_machine = session.target_machine();
    std::string name = engine_->UniqueName("sluice_accumulate_");
    std::string merge_name = name + "_merge";
    auto context = std::make_unique<llvm::LLVMContext>();
    auto llvm_errors = std::make_shared<std::string>();
    context->setDiagnosticHandler(std::make_unique<ErrorCollector>(llvm_errors));
    auto module = std::make_unique<llvm::Module>(name, *context);
    module->setDataLayout(target_machine.createDataLayout());
    module->setTargetTriple(target_machine.getTargetTriple().str());

    llvm::Type* pointer = llvm::PointerType::get(*context, 0);
    llvm::Type* i32 = llvm::Type::getInt32Ty(*context);
    llvm::Type* i64 = llvm::Type::getInt64Ty(*context);
    llvm::Type* void_type = llvm::Type::getVoidTy(*context);
    auto* update = llvm::Function::Create(
        llvm::FunctionType::get(void_type, {pointer, pointer, pointer, pointer, i64, i32}, false),
        llvm::GlobalValue::ExternalLinkage, name, *module);
    auto* merge =
        llvm::Function::Create(llvm::FunctionType::get(void_type, {pointer, pointer}, false),
                               llvm::GlobalValue::ExternalLinkage, merge_name, *module);
    SetTargetAttributes(*update, target_machine);
    SetTargetAttributes(*merge, target_machine);
    AccumulatorCodegen codegen(*module, layout, compiled);
    codegen.EmitUpdate(*update);
    codegen.EmitMerge(*merge);

    SLUICE_RETURN_IF_ERROR(
        VerifyAndOptimize(*module, target_machine, options_.optimization_level, options_.dump_ir));

    SLUICE_ASSIGN_OR_RETURN(
        std::unique_ptr<runtime::jit::JitCode> code,
        session.AddModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context))));
    SLUICE_ASSIGN_OR_RETURN(void* update_address, session.Lookup(*code, name));
    SLUICE_ASSIGN_OR_RETURN(void* merge_address, session.Lookup(*code, merge_name));
    if (!llvm_errors->empty()) {
      return Internal(fmt::format("LLVM failed to compile accumulators: {}", *llvm_errors));
    }
    return std::shared_ptr<CompiledAccumulators>(std::make_shared<JitCompiledAccumulators>(
        std::move(code), reinterpret_cast<SluiceAccumulateKernel>(update_address),
        reinterpret_cast<SluiceMergeKernel>(merge_address), std::move(compiled),
        layout.fixed_size));
  }

 private:
  std::unique_ptr<runtime::jit::JitEngine> engine_;
  JitOptions options_;
};

}  // namespace

base::Result<std::unique_ptr<AccumulatorCompiler>> MakeJitAccumulatorCompiler(
    const JitOptions& options) {
  if (options.optimization_level < 0 || options.optimization_level > 3) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        fmt::format("JIT optimization level must be 0..3, got {}", options.optimization_level));
  }
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::jit::JitEngine> engine,
                          runtime::jit::JitEngine::Create());
  return std::unique_ptr<AccumulatorCompiler>(
      std::make_unique<JitAccumulatorCompiler>(std::move(engine), options));
}

}  // namespace sluice::compiler::codegen
