#pragma once

// Test support for the JIT chain compiler: builds input batches from Values, runs a compiled
// kernel and reads its output back as Values, so tests state expectations as plain literals.

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <vector>

#include "compiler/codegen/jit_chain_compiler.h"
#include "runtime/batch/batch.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::plan {
/// Lets gtest print Values as SQL in failure messages.
inline void PrintTo(const Value& value, std::ostream* out) {
  *out << value.ToSql() << " : " << value.type.ToString();
}
}  // namespace sluice::runtime::plan

namespace sluice::compiler::codegen::testing {

using functions::FunctionId;
using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

inline ExprPtr Col(int32_t index, LogicalType type) {
  return Expr::Column(index, std::move(type));
}
inline ExprPtr Lit(Value value) {
  return Expr::Literal(std::move(value));
}
inline ExprPtr Fn(FunctionId function, LogicalType type, std::vector<ExprPtr> arguments) {
  return Expr::Call(function, std::move(type), std::move(arguments));
}
inline Value Null(LogicalType type) {
  return Value::Null(std::move(type));
}

/// Returns the process-wide JIT compiler the tests share (created on first use).
inline runtime::expr::ChainCompiler& SharedCompiler() {
  static std::unique_ptr<runtime::expr::ChainCompiler> compiler = [] {
    auto made = MakeJitChainCompiler();
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return std::move(made).value();
  }();
  return *compiler;
}

/// Writes `value` into row `row` of `column` (VARCHAR bytes go to `arena`).
inline void SetCell(runtime::Column& column, int32_t row, const Value& value,
                    runtime::Arena& arena) {
  column.validity()[row] = value.is_null ? 0 : 1;
  switch (column.type().id()) {
    case TypeId::kRow: return;
    case TypeId::kNull:
    case TypeId::kBoolean:
      column.values<uint8_t>()[row] = value.is_null ? 0 : static_cast<uint8_t>(value.integer);
      return;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime:
      column.values<int32_t>()[row] = value.is_null ? 0 : static_cast<int32_t>(value.integer);
      return;
    case TypeId::kDouble: column.values<double>()[row] = value.is_null ? 0 : value.real; return;
    case TypeId::kVarchar:
      column.values<runtime::StringRef>()[row] =
          value.is_null ? runtime::StringRef{nullptr, 0, 0} : arena.Copy(value.text);
      return;
    default: column.values<int64_t>()[row] = value.is_null ? 0 : value.integer; return;
  }
}

/// Reads row `row` of `column` as a Value of the column's type.
inline Value GetCell(const runtime::Column& column, int32_t row) {
  Value value = Value::Null(column.type());
  if (column.validity()[row] == 0) return value;
  value.is_null = false;
  switch (column.type().id()) {
    case TypeId::kRow: break;
    case TypeId::kNull:
    case TypeId::kBoolean: value.integer = column.values<uint8_t>()[row]; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: value.integer = column.values<int32_t>()[row]; break;
    case TypeId::kDouble: value.real = column.values<double>()[row]; break;
    case TypeId::kVarchar:
      value.text = std::string(column.values<runtime::StringRef>()[row].view());
      break;
    default: value.integer = column.values<int64_t>()[row]; break;
  }
  return value;
}

/// The output of one kernel call: one vector of Values per projection.
struct ChainOutput {
  int32_t row_count = 0;
  std::vector<std::vector<Value>> columns;
  std::unique_ptr<runtime::Batch> batch;  // the raw output, for layout checks
};

/// Compiles `spec` and runs it over `input_columns` (one vector of Values per input slot; all
/// the same length, or `row_count` rows when there are no inputs).
inline base::Result<ChainOutput> RunChain(const ChainSpec& spec,
                                          const std::vector<std::vector<Value>>& input_columns,
                                          int32_t row_count = -1) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<runtime::expr::CompiledChain> chain,
                          SharedCompiler().Compile(spec));
  if (row_count < 0) {
    row_count = input_columns.empty() ? 1 : static_cast<int32_t>(input_columns[0].size());
  }
  runtime::Batch input(spec.input_types);
  std::vector<SluiceKernelColumn> inputs;
  for (size_t slot = 0; slot < spec.input_types.size(); ++slot) {
    for (int32_t row = 0; row < row_count; ++row) {
      SetCell(input.column(slot), row, input_columns[slot][row], input.arena());
    }
    inputs.push_back({input.column(slot).data(), input.column(slot).validity()});
  }
  std::vector<LogicalType> output_types;
  for (const auto& projection : spec.projections) output_types.push_back(projection->type);
  ChainOutput output;
  output.batch = std::make_unique<runtime::Batch>(output_types);
  std::vector<SluiceKernelColumn> outputs;
  for (size_t slot = 0; slot < output_types.size(); ++slot) {
    runtime::Column& column = output.batch->column(slot);
    // Poison the buffers so a kernel that forgets to write a NULL's zero value is caught.
    if (column.type().PhysicalWidth() > 0) {
      std::memset(column.data(), 0xAB, column.type().PhysicalWidth() * runtime::kBatchCapacity);
    }
    std::memset(column.validity(), 0xAB, runtime::kBatchCapacity);
    outputs.push_back({column.data(), column.validity()});
  }
  SluiceKernelContext context{&output.batch->arena()};
  output.row_count = chain->kernel()(inputs.data(), outputs.data(), row_count, &context);
  output.batch->set_row_count(output.row_count);
  for (size_t slot = 0; slot < output_types.size(); ++slot) {
    std::vector<Value> values;
    for (int32_t row = 0; row < output.row_count; ++row) {
      values.push_back(GetCell(output.batch->column(slot), row));
    }
    output.columns.push_back(std::move(values));
  }
  return output;
}

/// Evaluates one expression over the given input rows (no filter) and returns its values.
inline std::vector<Value> Evaluate(const ExprPtr& expr, std::vector<LogicalType> input_types,
                                   const std::vector<std::vector<Value>>& input_columns,
                                   int32_t row_count = -1) {
  ChainSpec spec{std::move(input_types), nullptr, {expr}};
  auto output = RunChain(spec, input_columns, row_count);
  EXPECT_TRUE(output.ok()) << output.status().ToString();
  if (!output.ok()) return {};
  return output->columns[0];
}

/// Evaluates an expression over no input, for constant expressions.
inline Value EvaluateConstant(const ExprPtr& expr) {
  return Evaluate(expr, {}, {}, 1).at(0);
}

}  // namespace sluice::compiler::codegen::testing
