// Whole chains through the JIT: filtering and compaction, output layout, large batches on the
// vectorized path, code lifetime, concurrency and errors.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "tests/unit/codegen/chain_runner.h"

namespace sluice::compiler::codegen::testing {
namespace {

const LogicalType kBigint = LogicalType::Bigint();
const LogicalType kDouble = LogicalType::Double();
const LogicalType kBoolean = LogicalType::Boolean();
const LogicalType kVarchar = LogicalType::Varchar();

/// Nexmark q2: SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0.
ChainSpec Query2Spec() {
  ExprPtr auction = Col(0, kBigint);
  ExprPtr price = Col(1, kBigint);
  ExprPtr filter = Fn(FunctionId::kEqual, kBoolean,
                      {Fn(FunctionId::kModulo, kBigint, {auction, Lit(Value::Bigint(123))}),
                       Lit(Value::Bigint(0))});
  return ChainSpec{{kBigint, kBigint}, filter, {auction, price}};
}

TEST(JitChainCompilerTest, FilterKeepsTrueRowsCompacted) {
  std::vector<Value> auction = {Value::Bigint(1), Value::Bigint(246), Null(kBigint),
                                Value::Bigint(0), Value::Bigint(-123)};
  std::vector<Value> price = {Value::Bigint(10), Value::Bigint(20), Value::Bigint(30),
                              Null(kBigint), Value::Bigint(50)};
  auto output = RunChain(Query2Spec(), {auction, price});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(output->row_count, 3);
  EXPECT_EQ(output->columns[0],
            (std::vector<Value>{Value::Bigint(246), Value::Bigint(0), Value::Bigint(-123)}));
  EXPECT_EQ(output->columns[1],
            (std::vector<Value>{Value::Bigint(20), Null(kBigint), Value::Bigint(50)}));
}

TEST(JitChainCompilerTest, NullFilterRejectsTheRow) {
  ChainSpec spec{{kBoolean}, Col(0, kBoolean), {}};
  auto output = RunChain(
      spec, {{Value::Boolean(true), Null(kBoolean), Value::Boolean(false), Value::Boolean(true)}});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(output->row_count, 2);  // a filter without projections still counts rows
}

TEST(JitChainCompilerTest, EmptyBatchWritesNothing) {
  auto output = RunChain(Query2Spec(), {{}, {}}, 0);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(output->row_count, 0);
}

TEST(JitChainCompilerTest, NullOutputsHaveZeroedData) {
  ChainSpec spec{{kBigint, kVarchar, kBoolean},
                 nullptr,
                 {Col(0, kBigint), Col(1, kVarchar), Col(2, kBoolean)}};
  auto output = RunChain(spec, {{Null(kBigint)}, {Null(kVarchar)}, {Null(kBoolean)}});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  const runtime::Batch& batch = *output->batch;
  EXPECT_EQ(batch.column(0).validity()[0], 0);
  EXPECT_EQ(batch.column(0).values<int64_t>()[0], 0);
  const runtime::StringRef& text = batch.column(1).values<runtime::StringRef>()[0];
  EXPECT_EQ(text.data, nullptr);
  EXPECT_EQ(text.length, 0u);
  EXPECT_EQ(text.reserved, 0u);
  EXPECT_EQ(batch.column(2).values<uint8_t>()[0], 0);
  EXPECT_EQ(batch.column(2).validity()[0], 0);
}

TEST(JitChainCompilerTest, PassesStringsAndRowValidityThrough) {
  LogicalType row = LogicalType::Row({{"x", kBigint}});
  ChainSpec spec{{kVarchar, row, kBigint},
                 Fn(FunctionId::kIsNotNull, kBoolean, {Col(2, kBigint)}),
                 {Col(0, kVarchar), Col(1, row), Lit(Value::Varchar("const"))}};
  auto output = RunChain(spec, {{Value::Varchar("a"), Value::Varchar("b"), Null(kVarchar)},
                                {Null(row), Value::Null(row), Value::Null(row)},
                                {Value::Bigint(1), Null(kBigint), Value::Bigint(3)}});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  ASSERT_EQ(output->row_count, 2);
  EXPECT_EQ(output->columns[0], (std::vector<Value>{Value::Varchar("a"), Null(kVarchar)}));
  EXPECT_EQ(output->columns[1], (std::vector<Value>{Value::Null(row), Value::Null(row)}));
  EXPECT_EQ(output->columns[2],
            (std::vector<Value>{Value::Varchar("const"), Value::Varchar("const")}));
}

TEST(JitChainCompilerTest, FullBatchWithoutFilterMatchesScalarLoop) {
  // 0.908 * price, plus an expression mixing CASE, division and comparisons: the branch-free
  // path that LLVM vectorizes must still give every row's exact value.
  ExprPtr price = Col(0, kBigint);
  ExprPtr ratio = Col(1, kDouble);
  ExprPtr dollars =
      Fn(FunctionId::kMultiply, kDouble, {Lit(Value::Double(0.908)), Expr::Cast(price, kDouble)});
  ExprPtr quotient = Fn(FunctionId::kDivide, kBigint, {price, Lit(Value::Bigint(7))});
  ExprPtr bucket = Expr::Case({Fn(FunctionId::kGreater, kBoolean, {ratio, Lit(Value::Double(0.5))}),
                               quotient, Fn(FunctionId::kNegate, kBigint, {price})},
                              kBigint);
  ChainSpec spec{{kBigint, kDouble}, nullptr, {dollars, bucket}};
  std::vector<Value> prices, ratios;
  for (int32_t row = 0; row < runtime::kBatchCapacity; ++row) {
    prices.push_back(row % 17 == 0 ? Null(kBigint) : Value::Bigint(row * 1000 - 3));
    ratios.push_back(Value::Double((row % 10) / 10.0));
  }
  auto output = RunChain(spec, {prices, ratios});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  ASSERT_EQ(output->row_count, runtime::kBatchCapacity);
  for (int32_t row = 0; row < runtime::kBatchCapacity; ++row) {
    if (prices[row].is_null) {
      EXPECT_TRUE(output->columns[0][row].is_null);
      EXPECT_TRUE(output->columns[1][row].is_null);
      continue;
    }
    int64_t value = prices[row].integer;
    EXPECT_EQ(output->columns[0][row], Value::Double(0.908 * static_cast<double>(value)));
    int64_t expected = ratios[row].real > 0.5 ? value / 7 : -value;
    EXPECT_EQ(output->columns[1][row], Value::Bigint(expected)) << "row " << row;
  }
}

TEST(JitChainCompilerTest, FullBatchEdgeCasesOnTheVectorizedPath) {
  // Column divisors (0, -1 with MIN), NaN comparisons and Kleene OR over 1024 rows, where the
  // loop is forced to vectorize: lanes must neither trap nor mix up NULLs.
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  ExprPtr a = Col(0, kBigint), b = Col(1, kBigint), x = Col(2, kDouble);
  ChainSpec spec{
      {kBigint, kBigint, kDouble},
      nullptr,
      {Fn(FunctionId::kDivide, kBigint, {a, b}), Fn(FunctionId::kModulo, kBigint, {a, b}),
       Fn(FunctionId::kOr, kBoolean,
          {Fn(FunctionId::kGreaterEqual, kBoolean, {x, Lit(Value::Double(1.0))}),
           Fn(FunctionId::kEqual, kBoolean, {a, b})})}};
  std::vector<Value> as, bs, xs;
  for (int32_t row = 0; row < runtime::kBatchCapacity; ++row) {
    as.push_back(row % 5 == 0 ? Value::Bigint(kMin) : Value::Bigint(row - 500));
    bs.push_back(row % 7 == 3 ? Null(kBigint) : Value::Bigint(row % 3 - 1));  // -1, 0, 1
    xs.push_back(row % 4 == 0 ? Value::Double(kNaN)
                              : (row % 4 == 1 ? Null(kDouble) : Value::Double(row % 4 - 2.0)));
  }
  auto output = RunChain(spec, {as, bs, xs});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  ASSERT_EQ(output->row_count, runtime::kBatchCapacity);
  for (int32_t row = 0; row < runtime::kBatchCapacity; ++row) {
    SCOPED_TRACE(row);
    int64_t left = as[row].integer;
    if (bs[row].is_null || bs[row].integer == 0) {
      EXPECT_TRUE(output->columns[0][row].is_null);
      EXPECT_TRUE(output->columns[1][row].is_null);
    } else {
      int64_t right = bs[row].integer;
      int64_t quotient =
          right == -1 ? static_cast<int64_t>(0 - static_cast<uint64_t>(left)) : left / right;
      EXPECT_EQ(output->columns[0][row], Value::Bigint(quotient));
      EXPECT_EQ(output->columns[1][row], Value::Bigint(right == -1 ? 0 : left % right));
    }
    // x >= 1.0 is TRUE for NaN (NaN is the greatest double) and for 1.0, FALSE for 0.0.
    bool x_null = xs[row].is_null;
    bool x_true = !x_null && (std::isnan(xs[row].real) || xs[row].real >= 1.0);
    bool eq_null = bs[row].is_null;
    bool eq_true = !eq_null && left == bs[row].integer;
    Value expected = (x_true || eq_true)   ? Value::Boolean(true)
                     : (x_null || eq_null) ? Null(kBoolean)
                                           : Value::Boolean(false);
    EXPECT_EQ(output->columns[2][row], expected);
  }
}

TEST(JitChainCompilerTest, CodeOutlivesTheCompiler) {
  std::shared_ptr<runtime::expr::CompiledChain> chain;
  {
    auto compiler = MakeJitChainCompiler();
    ASSERT_TRUE(compiler.ok()) << compiler.status().ToString();
    auto compiled = (*compiler)->Compile(Query2Spec());
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    chain = *compiled;
  }
  int64_t auctions[2] = {123, 5};
  int64_t prices[2] = {7, 8};
  uint8_t valid[2] = {1, 1};
  int64_t out_auctions[2] = {};
  int64_t out_prices[2] = {};
  uint8_t out_valid[2][2] = {};
  SluiceKernelColumn inputs[2] = {{reinterpret_cast<uint8_t*>(auctions), valid},
                                  {reinterpret_cast<uint8_t*>(prices), valid}};
  SluiceKernelColumn outputs[2] = {{reinterpret_cast<uint8_t*>(out_auctions), out_valid[0]},
                                   {reinterpret_cast<uint8_t*>(out_prices), out_valid[1]}};
  runtime::Arena arena;
  SluiceKernelContext context{&arena};
  ASSERT_EQ(chain->kernel()(inputs, outputs, 2, &context), 1);
  EXPECT_EQ(out_auctions[0], 123);
  EXPECT_EQ(out_prices[0], 7);
}

TEST(JitChainCompilerTest, CompilesAndRunsFromSeveralThreads) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&failures, thread] {
      for (int round = 0; round < 5; ++round) {
        ExprPtr plus = Fn(FunctionId::kAdd, kBigint,
                          {Col(0, kBigint), Lit(Value::Bigint(thread * 100 + round))});
        std::vector<Value> result = Evaluate(plus, {kBigint}, {{Value::Bigint(1)}});
        if (result != std::vector<Value>{Value::Bigint(1 + thread * 100 + round)}) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(JitChainCompilerTest, MalformedExpressionsAreInternalErrors) {
  ChainSpec out_of_range{{kBigint}, nullptr, {Col(3, kBigint)}};
  auto compiled = SharedCompiler().Compile(out_of_range);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), base::ErrorCode::kInternal);

  // DECIMAL arithmetic takes two DECIMALs (the binder casts an integer operand first).
  LogicalType money = LogicalType::Decimal(10, 2);
  ChainSpec decimal_product{
      {money, kBigint},
      nullptr,
      {Fn(FunctionId::kMultiply, LogicalType::Decimal(30, 2), {Col(0, money), Col(1, kBigint)})}};
  compiled = SharedCompiler().Compile(decimal_product);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), base::ErrorCode::kInternal);

  ChainSpec bigint_filter{{kBigint}, Col(0, kBigint), {}};
  compiled = SharedCompiler().Compile(bigint_filter);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), base::ErrorCode::kInternal);
}

TEST(JitChainCompilerTest, RejectsABadOptimizationLevel) {
  auto compiler = MakeJitChainCompiler(JitOptions{.optimization_level = 7});
  ASSERT_FALSE(compiler.ok());
  EXPECT_EQ(compiler.status().code(), base::ErrorCode::kOption);
}

TEST(JitChainCompilerTest, EveryOptimizationLevelGivesTheSameResult) {
  for (int level = 0; level <= 3; ++level) {
    auto compiler = MakeJitChainCompiler(JitOptions{.optimization_level = level});
    ASSERT_TRUE(compiler.ok()) << compiler.status().ToString();
    auto compiled = (*compiler)->Compile(Query2Spec());
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    int64_t auctions[3] = {246, 5, 0};
    uint8_t valid[3] = {1, 1, 1};
    int64_t out[2][3] = {};
    uint8_t out_valid[2][3] = {};
    SluiceKernelColumn inputs[2] = {{reinterpret_cast<uint8_t*>(auctions), valid},
                                    {reinterpret_cast<uint8_t*>(auctions), valid}};
    SluiceKernelColumn outputs[2] = {{reinterpret_cast<uint8_t*>(out[0]), out_valid[0]},
                                     {reinterpret_cast<uint8_t*>(out[1]), out_valid[1]}};
    SluiceKernelContext context{nullptr};
    EXPECT_EQ((*compiled)->kernel()(inputs, outputs, 3, &context), 2) << "O" << level;
    EXPECT_EQ(out[0][0], 246);
    EXPECT_EQ(out[0][1], 0);
  }
}

}  // namespace
}  // namespace sluice::compiler::codegen::testing
