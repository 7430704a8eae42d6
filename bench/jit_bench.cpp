// Measures generated chain kernels against a hand-written C++ loop and the reference
// interpreter on the same cache-resident batches, and the O2 compile latency per chain.
// Usage: jit_bench [batches_per_run=4000] [--dump-ir]
// Build with the flags the JIT effectively gets (`-O3 -march=native`) for a fair C++ baseline,
// plus `-ffp-contract=off`: otherwise GCC fuses x * 1.5 + y into an FMA and the hand-written
// loop's doubles differ from SQL semantics (and from the JIT) in the last bit.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "compiler/codegen/jit_chain_compiler.h"
#include "runtime/batch/batch.h"
#include "runtime/expr/interpreter.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/plan/expr.h"

namespace {

using namespace sluice;
using functions::FunctionId;
using runtime::Batch;
using runtime::kBatchCapacity;
using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;

constexpr int kDistinctBatches = 8;  // 8 x 1024 rows x <= 4 columns: fits in L2
constexpr int kRepetitions = 5;      // best of

const LogicalType kBigint = LogicalType::Bigint();
const LogicalType kDouble = LogicalType::Double();
const LogicalType kBoolean = LogicalType::Boolean();

ExprPtr Col(int32_t index, LogicalType type) {
  return Expr::Column(index, type);
}
ExprPtr Fn(FunctionId function, LogicalType type, std::vector<ExprPtr> arguments) {
  return Expr::Call(function, type, std::move(arguments));
}
ExprPtr Big(int64_t value) {
  return Expr::Literal(Value::Bigint(value));
}
ExprPtr Real(double value) {
  return Expr::Literal(Value::Double(value));
}

/// A chain to measure: its spec, the input batches and a hand-written loop computing the same.
struct Workload {
  std::string name;
  ChainSpec spec;
  std::vector<Batch> inputs;
  // Reads `input`, writes the compacted output columns, returns the row count written.
  std::function<int32_t(const Batch& input, Batch& output)> hand_written;
};

std::vector<LogicalType> OutputTypes(const ChainSpec& spec) {
  std::vector<LogicalType> types;
  for (const auto& projection : spec.projections) types.push_back(projection->type);
  return types;
}

/// Fills `count` batches; `null_every` > 0 makes every n-th value of the numeric columns NULL.
std::vector<Batch> MakeBatches(const std::vector<LogicalType>& types, int null_every,
                               uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<Batch> batches;
  for (int index = 0; index < kDistinctBatches; ++index) {
    Batch batch(types);
    for (size_t slot = 0; slot < types.size(); ++slot) {
      runtime::Column& column = batch.column(slot);
      for (int32_t row = 0; row < kBatchCapacity; ++row) {
        bool valid = null_every == 0 || (random() % null_every) != 0;
        column.validity()[row] = valid ? 1 : 0;
        if (types[slot].id() == types::TypeId::kDouble) {
          column.values<double>()[row] =
              valid ? std::uniform_real_distribution<double>(0, 1000)(random) : 0;
        } else {
          column.values<int64_t>()[row] =
              valid ? static_cast<int64_t>(1000 + random() % 1'000'000) : 0;
        }
      }
    }
    batch.set_row_count(kBatchCapacity);
    batches.push_back(std::move(batch));
  }
  return batches;
}

// Nexmark q2: SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0.
Workload Query2() {
  Workload workload;
  workload.name = "q2 filter MOD(auction,123)=0";
  ExprPtr auction = Col(0, kBigint), price = Col(1, kBigint);
  workload.spec = ChainSpec{{kBigint, kBigint},
                            Fn(FunctionId::kEqual, kBoolean,
                               {Fn(FunctionId::kModulo, kBigint, {auction, Big(123)}), Big(0)}),
                            {auction, price}};
  workload.inputs = MakeBatches(workload.spec.input_types, 0, 2);
  workload.hand_written = [](const Batch& input, Batch& output) {
    const int64_t* auction = input.column(0).values<int64_t>();
    const int64_t* price = input.column(1).values<int64_t>();
    const uint8_t* auction_valid = input.column(0).validity();
    const uint8_t* price_valid = input.column(1).validity();
    int64_t* out_auction = output.column(0).values<int64_t>();
    int64_t* out_price = output.column(1).values<int64_t>();
    uint8_t* out_auction_valid = output.column(0).validity();
    uint8_t* out_price_valid = output.column(1).validity();
    int32_t kept = 0;
    for (int32_t row = 0; row < input.row_count(); ++row) {
      if (auction_valid[row] && auction[row] % 123 == 0) {
        out_auction[kept] = auction[row];
        out_auction_valid[kept] = 1;
        out_price[kept] = price_valid[row] ? price[row] : 0;
        out_price_valid[kept] = price_valid[row];
        ++kept;
      }
    }
    return kept;
  };
  return workload;
}

// Nexmark q1: SELECT auction, bidder, 0.908 * price, date_time FROM bid.
Workload Query1() {
  Workload workload;
  workload.name = "q1 0.908 * price";
  LogicalType timestamp = LogicalType::Timestamp();
  workload.spec = ChainSpec{
      {kBigint, kBigint, kBigint, timestamp},
      nullptr,
      {Col(0, kBigint), Col(1, kBigint),
       Fn(FunctionId::kMultiply, kDouble, {Real(0.908), Expr::Cast(Col(2, kBigint), kDouble)}),
       Col(3, timestamp)}};
  workload.inputs = MakeBatches(workload.spec.input_types, 0, 1);
  workload.hand_written = [](const Batch& input, Batch& output) {
    int32_t rows = input.row_count();
    for (int slot : {0, 1, 3}) {
      int output_slot = slot == 3 ? 3 : slot;
      const int64_t* in = input.column(slot).values<int64_t>();
      const uint8_t* valid = input.column(slot).validity();
      int64_t* out = output.column(output_slot).values<int64_t>();
      uint8_t* out_valid = output.column(output_slot).validity();
      for (int32_t row = 0; row < rows; ++row) {
        out[row] = valid[row] ? in[row] : 0;
        out_valid[row] = valid[row];
      }
    }
    const int64_t* price = input.column(2).values<int64_t>();
    const uint8_t* price_valid = input.column(2).validity();
    double* out = output.column(2).values<double>();
    uint8_t* out_valid = output.column(2).validity();
    for (int32_t row = 0; row < rows; ++row) {
      out[row] = price_valid[row] ? 0.908 * static_cast<double>(price[row]) : 0.0;
      out_valid[row] = price_valid[row];
    }
    return rows;
  };
  return workload;
}

// 4 BIGINT/DOUBLE columns with 1% NULLs, 4 projections, ~25 operations incl. CASE and guarded
// division:
//   CASE WHEN MOD(a, 7) > 3 THEN a * 3 + b ELSE b - a / 5 END
//   (x * 1.5 + y) / (y - 2.0)
//   (a > b AND x < y) OR x = y
//   CASE WHEN x > 500.0 THEN CAST(a AS DOUBLE) * x ELSE ABS(y) - CAST(b AS DOUBLE) END
Workload ExpressionHeavy() {
  Workload workload;
  workload.name = "expression-heavy (4 cols)";
  ExprPtr a = Col(0, kBigint), b = Col(1, kBigint), x = Col(2, kDouble), y = Col(3, kDouble);
  ExprPtr p1 = Expr::Case(
      {Fn(FunctionId::kGreater, kBoolean, {Fn(FunctionId::kModulo, kBigint, {a, Big(7)}), Big(3)}),
       Fn(FunctionId::kAdd, kBigint, {Fn(FunctionId::kMultiply, kBigint, {a, Big(3)}), b}),
       Fn(FunctionId::kSubtract, kBigint, {b, Fn(FunctionId::kDivide, kBigint, {a, Big(5)})})},
      kBigint);
  ExprPtr p2 =
      Fn(FunctionId::kDivide, kDouble,
         {Fn(FunctionId::kAdd, kDouble, {Fn(FunctionId::kMultiply, kDouble, {x, Real(1.5)}), y}),
          Fn(FunctionId::kSubtract, kDouble, {y, Real(2.0)})});
  ExprPtr p3 =
      Fn(FunctionId::kOr, kBoolean,
         {Fn(FunctionId::kAnd, kBoolean,
             {Fn(FunctionId::kGreater, kBoolean, {a, b}), Fn(FunctionId::kLess, kBoolean, {x, y})}),
          Fn(FunctionId::kEqual, kBoolean, {x, y})});
  ExprPtr p4 = Expr::Case({Fn(FunctionId::kGreater, kBoolean, {x, Real(500.0)}),
                           Fn(FunctionId::kMultiply, kDouble, {Expr::Cast(a, kDouble), x}),
                           Fn(FunctionId::kSubtract, kDouble,
                              {Fn(FunctionId::kAbs, kDouble, {y}), Expr::Cast(b, kDouble)})},
                          kDouble);
  workload.spec = ChainSpec{{kBigint, kBigint, kDouble, kDouble}, nullptr, {p1, p2, p3, p4}};
  workload.inputs = MakeBatches(workload.spec.input_types, 100, 3);
  workload.hand_written = [](const Batch& input, Batch& output) {
    int32_t rows = input.row_count();
    const int64_t* a = input.column(0).values<int64_t>();
    const int64_t* b = input.column(1).values<int64_t>();
    const double* x = input.column(2).values<double>();
    const double* y = input.column(3).values<double>();
    const uint8_t* av = input.column(0).validity();
    const uint8_t* bv = input.column(1).validity();
    const uint8_t* xv = input.column(2).validity();
    const uint8_t* yv = input.column(3).validity();
    int64_t* o1 = output.column(0).values<int64_t>();
    double* o2 = output.column(1).values<double>();
    uint8_t* o3 = output.column(2).values<uint8_t>();
    double* o4 = output.column(3).values<double>();
    uint8_t* v1 = output.column(0).validity();
    uint8_t* v2 = output.column(1).validity();
    uint8_t* v3 = output.column(2).validity();
    uint8_t* v4 = output.column(3).validity();
    for (int32_t row = 0; row < rows; ++row) {
      int64_t ai = a[row], bi = b[row];
      double xi = x[row], yi = y[row];
      // p1: MOD and / by non-zero constants cannot trap; a NULL condition takes the ELSE arm.
      bool ab = av[row] && bv[row];
      bool take_then = av[row] && (ai % 7) > 3;
      int64_t then_value =
          static_cast<int64_t>(static_cast<uint64_t>(ai) * 3u + static_cast<uint64_t>(bi));
      int64_t else_value =
          static_cast<int64_t>(static_cast<uint64_t>(bi) - static_cast<uint64_t>(ai / 5));
      o1[row] = ab ? (take_then ? then_value : else_value) : 0;
      v1[row] = ab;
      bool xy = xv[row] && yv[row];
      o2[row] = xy ? (xi * 1.5 + yi) / (yi - 2.0) : 0.0;
      v2[row] = xy;
      // p3 with Kleene logic (NaN-free data, so IEEE comparisons match Double.compare here).
      bool gt_valid = ab, lt_valid = xy, eq_valid = xy;
      bool gt = ai > bi, lt = xi < yi, eq = xi == yi;
      bool and_false = (gt_valid && !gt) || (lt_valid && !lt);
      bool and_valid = (gt_valid && lt_valid) || and_false;
      bool and_value = gt && lt && !and_false;
      bool or_true = (and_valid && and_value) || (eq_valid && eq);
      bool or_valid = (and_valid && eq_valid) || or_true;
      o3[row] = or_valid && or_true;
      v3[row] = or_valid;
      bool take_x = xv[row] && xi > 500.0;
      bool p4_valid = take_x ? (av[row] && xv[row]) : (yv[row] && bv[row]);
      double p4 = take_x ? static_cast<double>(ai) * xi : std::fabs(yi) - static_cast<double>(bi);
      o4[row] = p4_valid ? p4 : 0.0;
      v4[row] = p4_valid;
    }
    return rows;
  };
  return workload;
}

/// Sums every output value and validity byte, to compare implementations and keep results live.
uint64_t Checksum(const Batch& output) {
  uint64_t sum = static_cast<uint64_t>(output.row_count());
  for (size_t slot = 0; slot < output.column_count(); ++slot) {
    const runtime::Column& column = output.column(slot);
    size_t width = static_cast<size_t>(column.type().PhysicalWidth());
    for (int32_t row = 0; row < output.row_count(); ++row) {
      uint64_t value = 0;
      std::memcpy(&value, column.data() + row * width, std::min<size_t>(width, 8));
      sum = sum * 31 + value + column.validity()[row];
    }
  }
  return sum;
}

/// Runs `process(input, output)` over `batches_per_run` batches (cycling through the inputs),
/// best of kRepetitions; returns rows per second and a checksum of one pass over the inputs.
struct Measurement {
  double rows_per_second = 0;
  uint64_t checksum = 0;
  bool ok = true;
};

Measurement Measure(const Workload& workload, int batches_per_run,
                    const std::function<int32_t(const Batch&, Batch&)>& process) {
  Measurement measurement;
  Batch output(OutputTypes(workload.spec));
  for (const Batch& input : workload.inputs) {
    int32_t rows = process(input, output);
    if (rows < 0) {
      measurement.ok = false;
      return measurement;
    }
    output.set_row_count(rows);
    measurement.checksum = measurement.checksum * 1'000'003 + Checksum(output);
  }
  double best = 1e300;
  int64_t sink = 0;
  for (int repetition = 0; repetition < kRepetitions; ++repetition) {
    auto start = std::chrono::steady_clock::now();
    for (int index = 0; index < batches_per_run; ++index) {
      sink += process(workload.inputs[index % kDistinctBatches], output);
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
  }
  if (sink == -1) std::puts("");  // keeps `sink` observable
  measurement.rows_per_second = static_cast<double>(batches_per_run) * kBatchCapacity / best;
  return measurement;
}

/// Prints the first output cell where `other` disagrees with the JIT, on the first batch.
void ReportFirstDifference(const Workload& workload, const char* other_name,
                           const std::function<int32_t(const Batch&, Batch&)>& jit,
                           const std::function<int32_t(const Batch&, Batch&)>& other) {
  Batch jit_output(OutputTypes(workload.spec));
  Batch other_output(OutputTypes(workload.spec));
  int32_t rows = jit(workload.inputs[0], jit_output);
  if (other(workload.inputs[0], other_output) != rows) {
    std::printf("  %s writes a different row count\n", other_name);
    return;
  }
  for (size_t slot = 0; slot < jit_output.column_count(); ++slot) {
    size_t width = static_cast<size_t>(jit_output.column(slot).type().PhysicalWidth());
    for (int32_t row = 0; row < rows; ++row) {
      const uint8_t* left = jit_output.column(slot).data() + row * width;
      const uint8_t* right = other_output.column(slot).data() + row * width;
      uint8_t left_valid = jit_output.column(slot).validity()[row];
      uint8_t right_valid = other_output.column(slot).validity()[row];
      if (left_valid == right_valid && std::memcmp(left, right, width) == 0) continue;
      uint64_t left_bits = 0, right_bits = 0;
      std::memcpy(&left_bits, left, std::min<size_t>(width, 8));
      std::memcpy(&right_bits, right, std::min<size_t>(width, 8));
      std::printf("  output %zu row %d: jit %016llx (valid %d), %s %016llx (valid %d)\n", slot, row,
                  static_cast<unsigned long long>(left_bits), left_valid, other_name,
                  static_cast<unsigned long long>(right_bits), right_valid);
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int batches_per_run = 4000;
  bool dump_ir = false;
  for (int index = 1; index < argc; ++index) {
    if (std::strcmp(argv[index], "--dump-ir") == 0) {
      dump_ir = true;
    } else {
      batches_per_run = std::max(1, std::atoi(argv[index]));
    }
  }
  compiler::codegen::JitOptions options;
  options.optimization_level = 2;
  options.dump_ir = dump_ir;
  auto made = compiler::codegen::MakeJitChainCompiler(options);
  if (!made.ok()) {
    std::fprintf(stderr, "cannot create the JIT: %s\n", made.status().ToString().c_str());
    return 1;
  }
  runtime::expr::ChainCompiler& jit = **made;

  std::printf("%d batches x %d rows per run, %d distinct batches, best of %d\n\n", batches_per_run,
              kBatchCapacity, kDistinctBatches, kRepetitions);
  std::printf("%-28s %10s %10s %10s %9s %9s %12s %s\n", "chain", "jit Mr/s", "c++ Mr/s",
              "interp Mr/s", "jit/c++", "jit/int", "compile ms", "results");
  bool all_match = true;
  for (const Workload& workload : {Query2(), Query1(), ExpressionHeavy()}) {
    // Compile latency: the first compile of this spec, then the mean of 10 more.
    constexpr int kCompiles = 10;
    std::shared_ptr<runtime::expr::CompiledChain> chain;
    auto compile_start = std::chrono::steady_clock::now();
    for (int index = 0; index <= kCompiles; ++index) {
      auto compiled = jit.Compile(workload.spec);
      if (!compiled.ok()) {
        std::fprintf(stderr, "%s: %s\n", workload.name.c_str(),
                     compiled.status().ToString().c_str());
        return 1;
      }
      chain = *compiled;
      if (index == 0) compile_start = std::chrono::steady_clock::now();
    }
    double compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compile_start)
            .count() /
        kCompiles;

    SluiceChainKernel kernel = chain->kernel();
    auto run_jit = [kernel](const Batch& input, Batch& output) {
      SluiceKernelColumn inputs[8];
      SluiceKernelColumn outputs[8];
      for (size_t slot = 0; slot < input.column_count(); ++slot) {
        const runtime::Column& column = input.column(slot);
        inputs[slot] = {const_cast<uint8_t*>(column.data()),
                        const_cast<uint8_t*>(column.validity())};
      }
      for (size_t slot = 0; slot < output.column_count(); ++slot) {
        outputs[slot] = {output.column(slot).data(), output.column(slot).validity()};
      }
      SluiceKernelContext context{&output.arena()};
      return kernel(inputs, outputs, input.row_count(), &context);
    };
    auto run_interpreter = [&workload](const Batch& input, Batch& output) {
      base::Status status = runtime::expr::EvaluateChain(workload.spec, input, &output);
      return status.ok() ? output.row_count() : -1;
    };
    Measurement jit_result = Measure(workload, batches_per_run, run_jit);
    Measurement hand_result = Measure(workload, batches_per_run, workload.hand_written);
    // The interpreter allocates per node, so fewer batches keep the run short.
    Measurement interpreter_result =
        Measure(workload, std::max(1, batches_per_run / 10), run_interpreter);
    bool match = jit_result.checksum == hand_result.checksum &&
                 (!interpreter_result.ok || jit_result.checksum == interpreter_result.checksum);
    all_match &= match;
    if (!match) {
      ReportFirstDifference(workload, "c++", run_jit, workload.hand_written);
      if (interpreter_result.ok) {
        ReportFirstDifference(workload, "interpreter", run_jit, run_interpreter);
      }
    }
    std::printf("%-28s %10.1f %10.1f %10.1f %8.2fx %8.1fx %12.2f %s\n", workload.name.c_str(),
                jit_result.rows_per_second / 1e6, hand_result.rows_per_second / 1e6,
                interpreter_result.ok ? interpreter_result.rows_per_second / 1e6 : 0.0,
                jit_result.rows_per_second / hand_result.rows_per_second,
                interpreter_result.ok
                    ? jit_result.rows_per_second / interpreter_result.rows_per_second
                    : 0.0,
                compile_ms, match ? "match" : "MISMATCH");
  }
  std::printf("\njit/c++ > 1 means the generated kernel is faster than the hand-written loop.\n");
  return all_match ? 0 : 2;
}
