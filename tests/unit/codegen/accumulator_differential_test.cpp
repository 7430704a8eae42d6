// Generated accumulator kernels against the interpreted Aggregator: random aggregate calls over
// random batches (NULLs, FILTER, retractions, DECIMAL, DOUBLE -0.0/NaN/±Inf, INT and BIGINT
// wrap-around) must leave byte-identical accumulators and write identical results, whether
// rows are folded in one accumulator per row, one per group, or merged.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "compiler/codegen/jit_accumulator_compiler.h"
#include "runtime/operators/aggregate/aggregator.h"
#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::runtime::operators::aggregate {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using types::LogicalType;
using types::TypeId;

// Input slots of every test batch.
enum Slot : int32_t {
  kFilterA,
  kFilterB,
  kIntSlot,
  kBigintSlot,
  kDoubleSlot,
  kDecimalSlot,
  kTimestampSlot,
  kVarcharSlot,
  kIntervalSlot,
  kBooleanSlot,
  kWideDecimalSlot,  // a DECIMAL(38, 4): __int128 values (all but STDDEV/VAR take it)
  kNullFilterSlot,   // a NULL-typed filter column: FILTER (WHERE NULL)
  kSlotCount,
};

std::vector<LogicalType> InputTypes() {
  return {LogicalType::Boolean(),   LogicalType::Boolean(),      LogicalType::Int(),
          LogicalType::Bigint(),    LogicalType::Double(),       LogicalType::Decimal(12, 2),
          LogicalType::Timestamp(), LogicalType::Varchar(),      LogicalType::Interval(),
          LogicalType::Boolean(),   LogicalType::Decimal(38, 4), LogicalType::Null()};
}

AccumulatorCompiler& Compiler() {
  static std::unique_ptr<AccumulatorCompiler> compiler = [] {
    auto made = compiler::codegen::MakeJitAccumulatorCompiler();
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return std::move(made).value();
  }();
  return *compiler;
}

class RandomCases {
 public:
  explicit RandomCases(uint32_t seed) : random_(seed) {}

  /// Half of the batches draw from a few values in a few rows, so that groups stay empty,
  /// extremes tie, and 0.0 meets -0.0 without a negative value in the group.
  void PickDomain() { narrow_ = Chance(0.5); }
  bool narrow() const { return narrow_; }

  bool Chance(double probability) { return std::bernoulli_distribution(probability)(random_); }
  int32_t Below(int32_t bound) {
    return std::uniform_int_distribution<int32_t>(0, bound - 1)(random_);
  }

  AggregateCall Call(bool retracting) {
    // The kinds with compiled kernels (FIRST_VALUE, LAST_VALUE, LISTAGG and LAG are always
    // interpreted).
    static const AggregateKind kKinds[] = {
        AggregateKind::kCountStar, AggregateKind::kCount,      AggregateKind::kSum,
        AggregateKind::kAvg,       AggregateKind::kMin,        AggregateKind::kMax,
        AggregateKind::kStddevPop, AggregateKind::kStddevSamp, AggregateKind::kVarPop,
        AggregateKind::kVarSamp,   AggregateKind::kBoolAnd,    AggregateKind::kBoolOr};
    static const int32_t kNumbers[] = {kIntSlot, kBigintSlot, kDoubleSlot, kDecimalSlot};
    static const int32_t kSummable[] = {kIntSlot,     kBigintSlot,   kDoubleSlot,
                                        kDecimalSlot, kIntervalSlot, kWideDecimalSlot};
    static const int32_t kComparable[] = {kIntSlot,      kBigintSlot,    kDoubleSlot,
                                          kDecimalSlot,  kTimestampSlot, kVarcharSlot,
                                          kIntervalSlot, kBooleanSlot,   kWideDecimalSlot};
    std::vector<LogicalType> types = InputTypes();
    AggregateCall call;
    call.kind = kKinds[Below(12)];
    bool moments = false;
    switch (call.kind) {
      case AggregateKind::kCountStar: break;
      case AggregateKind::kCount: call.argument_slot = Below(kNullFilterSlot + 1); break;
      case AggregateKind::kSum:
      case AggregateKind::kAvg: call.argument_slot = kSummable[Below(6)]; break;
      case AggregateKind::kMin:
      case AggregateKind::kMax: call.argument_slot = kComparable[Below(9)]; break;
      case AggregateKind::kStddevPop:
      case AggregateKind::kStddevSamp:
      case AggregateKind::kVarPop:
      case AggregateKind::kVarSamp:
        call.argument_slot = kNumbers[Below(4)];
        moments = true;
        break;
      case AggregateKind::kBoolAnd:
      case AggregateKind::kBoolOr: call.argument_slot = kBooleanSlot; break;
      default: break;
    }
    if (call.argument_slot >= 0) call.argument_type = types[call.argument_slot];
    call.result_type = call.kind == AggregateKind::kCountStar || call.kind == AggregateKind::kCount
                           ? LogicalType::Bigint()
                           : call.argument_type;
    if (call.kind == AggregateKind::kSum && call.argument_type.id() == TypeId::kDecimal) {
      call.result_type = LogicalType::Decimal(38, call.argument_type.scale());
    }
    if (call.kind == AggregateKind::kAvg && call.argument_type.id() == TypeId::kDecimal) {
      call.result_type = LogicalType::Decimal(38, std::max(6, call.argument_type.scale()));
    }
    if (moments && call.argument_type.id() == TypeId::kDecimal) {
      call.result_type = LogicalType::Decimal(38, std::max(6, call.argument_type.scale()));
    }
    // DISTINCT is planned for the first six kinds only.
    call.distinct = call.argument_slot >= 0 && call.kind <= AggregateKind::kAvg && Chance(0.15);
    if (Chance(0.4)) {
      static const int32_t kFilters[] = {kFilterA, kFilterB, kNullFilterSlot};
      call.filter_slot = kFilters[Below(3)];
    }
    // A retracting input plans MIN/MAX as retractable, but not always: then both paths must
    // reject the retraction.
    call.retractable = retracting ? Chance(0.95) : Chance(0.2);
    return call;
  }

  double Double() {
    static const double kSpecial[] = {0.0,
                                      -0.0,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      1e308,
                                      -1e308,
                                      0.1,
                                      std::numeric_limits<double>::denorm_min()};
    if (narrow_) return kSpecial[Below(4)];
    if (Chance(0.3)) return kSpecial[Below(9)];
    return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
  }

  int64_t Integer(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }

  int64_t Bigint() {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (narrow_) return Integer(-2, 2);
    if (Chance(0.2)) return Chance(0.5) ? kMax - Integer(0, 3) : -kMax - 1 + Integer(0, 3);
    return Integer(-1000, 1000);
  }

  /// Fills `count` rows; every column NULL about one time in five.
  void Fill(Batch* batch, int32_t count, bool retracting) {
    batch->set_row_count(count);
    if (retracting) batch->EnableRowKinds();
    for (int32_t row = 0; row < count; ++row) {
      for (int32_t slot = 0; slot < kSlotCount; ++slot) {
        Column& column = batch->column(static_cast<size_t>(slot));
        bool valid = slot != kNullFilterSlot && !Chance(0.2);
        column.validity()[row] = valid ? 1 : 0;
        if (!valid) continue;  // values of NULL rows stay zeroed
        switch (column.type().id()) {
          case TypeId::kBoolean: column.values<uint8_t>()[row] = Chance(0.6) ? 1 : 0; break;
          case TypeId::kInt: {
            constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
            column.values<int32_t>()[row] = narrow_ ? static_cast<int32_t>(Integer(-2, 2))
                                            : Chance(0.2)
                                                ? (Chance(0.5) ? kMax : -kMax - 1)
                                                : static_cast<int32_t>(Integer(-100, 100));
            break;
          }
          case TypeId::kDouble: column.values<double>()[row] = Double(); break;
          case TypeId::kDecimal:
            if (column.type().IsWideDecimal()) {
              // Up to 30 digits, beyond int64, and at times ±(10^38 - 1 - k), whose sums leave
              // 38 digits and, a few more, 128 bits (both paths must turn to NULL alike).
              __int128 value = static_cast<__int128>(Bigint()) * 100000000000 +
                               Integer(-99999999999, 99999999999);
              if (Chance(0.1)) {
                constexpr unsigned long long kTenTo19 = 10000000000000000000ULL;
                __int128 largest = static_cast<__int128>(kTenTo19) * kTenTo19 - 1 - Integer(0, 2);
                value = Chance(0.5) ? largest : -largest;
              }
              column.SetDecimal(row, narrow_ ? Integer(-2, 2) : value);
              break;
            }
            column.values<int64_t>()[row] =
                narrow_ || Chance(0.1) ? Bigint() : Integer(-99999999999, 99999999999);
            break;
          case TypeId::kVarchar: {
            std::string text(static_cast<size_t>(Below(4)), 'a');
            for (char& c : text) c = static_cast<char>('a' + Below(3));
            column.values<StringRef>()[row] = batch->arena().Copy(text);
            break;
          }
          default: column.values<int64_t>()[row] = Bigint(); break;
        }
      }
      if (retracting) {
        static const RowKind kKinds[] = {RowKind::kInsert, RowKind::kUpdateBefore,
                                         RowKind::kUpdateAfter, RowKind::kDelete};
        batch->row_kinds()[row] = static_cast<uint8_t>(kKinds[Below(4)]);
      }
    }
  }

 private:
  std::mt19937 random_;
  bool narrow_ = false;
};

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

/// Renders row `row` of every column of `batch`, bit-exact for DOUBLEs.
std::string Render(const Batch& batch, int32_t row) {
  std::string out;
  for (size_t index = 0; index < batch.column_count(); ++index) {
    const Column& column = batch.column(index);
    if (column.IsNull(row)) {
      out += "NULL|";
      continue;
    }
    if (column.type().id() == TypeId::kVarchar) {
      out += "'" + std::string(column.values<StringRef>()[row].view()) + "'|";
      continue;
    }
    int32_t width = column.type().PhysicalWidth();
    out += Hex(std::string(reinterpret_cast<const char*>(column.data()) + row * width,
                           static_cast<size_t>(width))) +
           "|";
  }
  return out;
}

/// One random case: `calls`, both aggregators, and `groups` accumulators on each side.
struct Pair {
  Aggregator interpreted;
  Aggregator compiled;
  std::vector<std::string> left;   // interpreted accumulators
  std::vector<std::string> right;  // compiled accumulators

  Pair(const std::vector<AggregateCall>& calls, int32_t groups)
      : interpreted(calls), compiled(calls) {
    left.assign(static_cast<size_t>(groups), interpreted.Initial());
    right.assign(static_cast<size_t>(groups), compiled.Initial());
  }
};

std::string Describe(const std::vector<AggregateCall>& calls) {
  std::string out;
  for (const AggregateCall& call : calls) {
    out += std::string(AggregateFunctionName(call.kind)) + "(" +
           (call.distinct ? "DISTINCT " : "") + "#" + std::to_string(call.argument_slot) + " " +
           call.argument_type.ToString() + ")" +
           (call.filter_slot >= 0 ? " FILTER #" + std::to_string(call.filter_slot) : "") +
           (call.retractable ? " retractable" : "") + "; ";
  }
  return out;
}

void ExpectSameResults(Pair& pair, const std::vector<AggregateCall>& calls,
                       const std::string& context) {
  std::vector<LogicalType> result_types;
  for (const AggregateCall& call : calls) result_types.push_back(call.result_type);
  for (size_t group = 0; group < pair.left.size(); ++group) {
    Batch left_out(result_types);
    Batch right_out(result_types);
    left_out.set_row_count(1);
    right_out.set_row_count(1);
    base::Status left = pair.interpreted.WriteResults(pair.left[group], &left_out, 0, 0);
    base::Status right = pair.compiled.WriteResults(pair.right[group], &right_out, 0, 0);
    ASSERT_EQ(left.ok(), right.ok()) << context << left.ToString() << " / " << right.ToString();
    if (left.ok()) {
      EXPECT_EQ(Render(left_out, 0), Render(right_out, 0)) << context << " group " << group;
    }
  }
}

/// Runs one random case; returns how many calls the kernels handled.
int32_t RunCase(uint32_t seed) {
  RandomCases random(seed);
  bool retracting = random.Chance(0.4);
  std::vector<AggregateCall> calls;
  int32_t call_count = 1 + random.Below(6);
  for (int32_t i = 0; i < call_count; ++i) calls.push_back(random.Call(retracting));
  int32_t groups = 1 + random.Below(6);
  Pair pair(calls, groups);
  base::Status used = pair.compiled.UseCompiler(&Compiler());
  EXPECT_TRUE(used.ok()) << used.ToString();
  int32_t compiled_calls = 0;
  for (const CallLayout& layout : LayOutAccumulators(calls).calls) {
    compiled_calls += IsFixedSlotCall(layout) ? 1 : 0;
  }
  EXPECT_EQ(pair.compiled.compiled(), compiled_calls > 0);
  std::string context = "seed " + std::to_string(seed) + ": " + Describe(calls) + "\n";

  std::vector<LogicalType> types = InputTypes();
  for (int32_t round = 0; round < 6; ++round) {
    Batch batch(types);
    random.PickDomain();
    int32_t rows_in_batch = 1 + random.Below(random.narrow() ? 12 : kBatchCapacity);
    random.Fill(&batch, rows_in_batch, retracting);
    // A random subset of the rows, in order, each into a random group.
    std::vector<int32_t> rows;
    std::vector<std::string*> left_targets;
    std::vector<std::string*> right_targets;
    std::vector<int32_t> group_of_row;
    for (int32_t row = 0; row < rows_in_batch; ++row) {
      if (random.Chance(0.2)) continue;
      int32_t group = random.Below(groups);
      rows.push_back(row);
      group_of_row.push_back(group);
      left_targets.push_back(&pair.left[static_cast<size_t>(group)]);
      right_targets.push_back(&pair.right[static_cast<size_t>(group)]);
    }
    auto count = static_cast<int32_t>(rows.size());
    base::Status left;
    base::Status right;
    if (random.Chance(0.5)) {
      left = pair.interpreted.AccumulateRows(batch, rows.data(), count, left_targets.data(), true);
      right = pair.compiled.AccumulateRows(batch, rows.data(), count, right_targets.data(), true);
    } else {
      // One call per group, all of its rows into one accumulator.
      for (int32_t group = 0; group < groups && left.ok() && right.ok(); ++group) {
        std::vector<int32_t> group_rows;
        for (size_t i = 0; i < rows.size(); ++i) {
          if (group_of_row[i] == group) group_rows.push_back(rows[i]);
        }
        auto size = static_cast<int32_t>(group_rows.size());
        left = pair.interpreted.AccumulateRows(batch, group_rows.data(), size,
                                               &pair.left[static_cast<size_t>(group)], true);
        right = pair.compiled.AccumulateRows(batch, group_rows.data(), size,
                                             &pair.right[static_cast<size_t>(group)], true);
      }
    }
    EXPECT_EQ(left.code(), right.code()) << context << left.ToString() << " / " << right.ToString();
    // A retraction reaching a non-retractable MIN/MAX fails both; the interpreter has folded
    // the rows before it in, so the bytes differ from there on.
    if (!left.ok() || !right.ok()) return compiled_calls;
    for (int32_t group = 0; group < groups; ++group) {
      EXPECT_EQ(Hex(pair.left[group]), Hex(pair.right[group]))
          << context << "round " << round << " group " << group;
    }
    if (::testing::Test::HasFailure()) return compiled_calls;
  }
  ExpectSameResults(pair, calls, context);

  // Merge: groups into one another, and one into itself.
  for (int32_t merge = 0; merge < groups + 1; ++merge) {
    auto into = static_cast<size_t>(random.Below(groups));
    auto from = static_cast<size_t>(random.Below(groups));
    base::Status left = pair.interpreted.Merge(&pair.left[into], pair.left[from]);
    base::Status right = pair.compiled.Merge(&pair.right[into], pair.right[from]);
    EXPECT_EQ(left.code(), right.code()) << context;
    EXPECT_EQ(Hex(pair.left[into]), Hex(pair.right[into])) << context << "merge " << merge;
  }
  ExpectSameResults(pair, calls, context);
  return compiled_calls;
}

TEST(AccumulatorDifferentialTest, RandomCallsAndBatchesMatchTheInterpreter) {
  int32_t compiled_calls = 0;
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    compiled_calls += RunCase(seed);
    if (::testing::Test::HasFailure()) break;
  }
  // The cases exercise the kernels, not only the interpreted fallback.
  EXPECT_GT(compiled_calls, 150);
}

AggregateCall Sum(int32_t slot, LogicalType type) {
  AggregateCall call;
  call.kind = AggregateKind::kSum;
  call.argument_slot = slot;
  call.argument_type = type;
  call.result_type = std::move(type);
  return call;
}

TEST(AccumulatorDifferentialTest, MinAndMaxOfNegativeZeroAreZero) {
  for (AggregateKind kind : {AggregateKind::kMin, AggregateKind::kMax}) {
    AggregateCall call = Sum(0, LogicalType::Double());
    call.kind = kind;
    Aggregator aggregator({call});
    ASSERT_TRUE(aggregator.UseCompiler(&Compiler()).ok());
    ASSERT_TRUE(aggregator.compiled());
    Batch batch({LogicalType::Double()});
    batch.set_row_count(1);
    batch.column(0).values<double>()[0] = -0.0;
    batch.column(0).validity()[0] = 1;
    std::string accumulator = aggregator.Initial();
    int32_t row = 0;
    ASSERT_TRUE(aggregator.AccumulateRows(batch, &row, 1, &accumulator, false).ok());
    Batch out({LogicalType::Double()});
    out.set_row_count(1);
    ASSERT_TRUE(aggregator.WriteResults(accumulator, &out, 0, 0).ok());
    EXPECT_FALSE(std::signbit(out.column(0).values<double>()[0]));
  }
}

TEST(AccumulatorDifferentialTest, WrongColumnTypeIsAnInternalErrorNotARead) {
  Aggregator aggregator({Sum(0, LogicalType::Bigint())});
  ASSERT_TRUE(aggregator.UseCompiler(&Compiler()).ok());
  ASSERT_TRUE(aggregator.compiled());
  Batch batch({LogicalType::Int()});  // the plan said BIGINT
  batch.set_row_count(1);
  std::string accumulator = aggregator.Initial();
  int32_t row = 0;
  base::Status status = aggregator.AccumulateRows(batch, &row, 1, &accumulator, false);
  EXPECT_EQ(status.code(), base::ErrorCode::kInternal) << status.ToString();
  EXPECT_EQ(accumulator, aggregator.Initial());
}

TEST(AccumulatorDifferentialTest, TruncatedAccumulatorIsCorruptOnBothPaths) {
  Aggregator interpreted({Sum(0, LogicalType::Bigint())});
  Aggregator compiled({Sum(0, LogicalType::Bigint())});
  ASSERT_TRUE(compiled.UseCompiler(&Compiler()).ok());
  Batch batch({LogicalType::Bigint()});
  batch.set_row_count(1);
  int32_t row = 0;
  for (Aggregator* aggregator : {&interpreted, &compiled}) {
    std::string accumulator = aggregator->Initial().substr(0, 12);
    EXPECT_EQ(aggregator->AccumulateRows(batch, &row, 1, &accumulator, false).code(),
              base::ErrorCode::kData);
    std::string whole = aggregator->Initial();
    EXPECT_EQ(aggregator->Merge(&whole, accumulator).code(), base::ErrorCode::kData);
  }
}

TEST(AccumulatorDifferentialTest, CachingCompilerCompilesEqualCallsOnce) {
  CachingAccumulatorCompiler caching(&Compiler());
  std::vector<AggregateCall> calls = {Sum(0, LogicalType::Bigint())};
  auto first = caching.Compile(calls);
  auto second = caching.Compile(calls);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get(), second->get());
  auto other = caching.Compile({Sum(1, LogicalType::Bigint())});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(first->get(), other->get());
}

}  // namespace
}  // namespace sluice::runtime::operators::aggregate
