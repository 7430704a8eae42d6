// Adaptive execution (`--jit=adaptive`): a ChainEvaluator built with a BackgroundChainCompiler
// interprets its batches until the compiled kernel is ready, then runs the kernel, with the
// same results; a background compilation that fails fails the next batch, never silently
// interprets on.

#include <gtest/gtest.h>

#include <future>

#include "runtime/operators/chain_evaluator.h"
#include "tests/unit/codegen/chain_runner.h"

namespace sluice::compiler::codegen::testing {
namespace {

using runtime::operators::BackgroundChainCompiler;
using runtime::operators::ChainEvaluator;

/// Compiles with the shared JIT when the test says so.
class ManualBackgroundCompiler : public BackgroundChainCompiler {
 public:
  base::Result<std::shared_ptr<runtime::expr::CompiledChain>> Compile(
      const ChainSpec& spec) override {
    return SharedCompiler().Compile(spec);
  }
  Future CompileInBackground(const ChainSpec& spec) override {
    spec_ = spec;
    ++requests_;
    return promise_.get_future().share();
  }
  void Finish() { promise_.set_value(SharedCompiler().Compile(spec_)); }
  void Fail() {
    promise_.set_value(base::Status::Error(base::ErrorCode::kRuntime, "LLVM ran out of luck"));
  }
  int requests() const { return requests_; }

 private:
  ChainSpec spec_;
  int requests_ = 0;
  std::promise<base::Result<std::shared_ptr<runtime::expr::CompiledChain>>> promise_;
};

// a * 3 + 1 over the rows whose a is odd: a filter and a projection.
ChainSpec OddTimesThree() {
  ChainSpec spec;
  spec.input_types = {LogicalType::Bigint()};
  auto a = Col(0, LogicalType::Bigint());
  spec.filter = Fn(FunctionId::kEqual, LogicalType::Boolean(),
                   {Fn(FunctionId::kModulo, LogicalType::Bigint(), {a, Lit(Value::Bigint(2))}),
                    Lit(Value::Bigint(1))});
  spec.projections = {
      Fn(FunctionId::kAdd, LogicalType::Bigint(),
         {Fn(FunctionId::kMultiply, LogicalType::Bigint(), {a, Lit(Value::Bigint(3))}),
          Lit(Value::Bigint(1))})};
  return spec;
}

runtime::Batch Input(int64_t first, int32_t rows) {
  runtime::Batch batch({LogicalType::Bigint()});
  for (int32_t row = 0; row < rows; ++row) {
    SetCell(batch.column(0), row, Value::Bigint(first + row), batch.arena());
  }
  batch.set_row_count(rows);
  return batch;
}

std::vector<Value> Output(const runtime::Batch& batch) {
  std::vector<Value> values;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    values.push_back(GetCell(batch.column(0), row));
  }
  return values;
}

TEST(AdaptiveChainTest, InterpretsUntilTheKernelIsReadyThenRunsIt) {
  ManualBackgroundCompiler compiler;
  auto evaluator = ChainEvaluator::Create(OddTimesThree(), &compiler);
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().ToString();
  EXPECT_EQ(compiler.requests(), 1);
  const std::vector<Value> expected = {Value::Bigint(4), Value::Bigint(10), Value::Bigint(16)};

  runtime::Batch first = Input(1, 6);  // 1..6
  auto interpreted = (*evaluator)->Evaluate(first);
  ASSERT_TRUE(interpreted.ok()) << interpreted.status().ToString();
  EXPECT_FALSE((*evaluator)->compiled()) << "nothing waited for the compilation";
  EXPECT_EQ(Output(**interpreted), expected);

  compiler.Finish();
  auto compiled = (*evaluator)->Evaluate(first);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_TRUE((*evaluator)->compiled()) << "the kernel was ready: the next batch runs it";
  EXPECT_EQ(Output(**compiled), expected);
}

TEST(AdaptiveChainTest, AFailedBackgroundCompilationFailsTheNextBatch) {
  ManualBackgroundCompiler compiler;
  auto evaluator = ChainEvaluator::Create(OddTimesThree(), &compiler);
  ASSERT_TRUE(evaluator.ok()) << evaluator.status().ToString();
  runtime::Batch input = Input(1, 4);
  ASSERT_TRUE((*evaluator)->Evaluate(input).ok());
  compiler.Fail();
  auto failed = (*evaluator)->Evaluate(input);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("LLVM ran out of luck"), std::string::npos);
}

}  // namespace
}  // namespace sluice::compiler::codegen::testing
