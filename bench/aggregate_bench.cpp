// Measures per-row accumulation of COUNT(*), SUM(price), MAX(price), AVG(price) (and a DOUBLE
// variant with a FILTER) into a few thousand groups: the generated update kernel
// (Aggregator::AccumulateRows with the JIT), the interpreted Aggregator, and a hand-written C++
// loop over the same accumulator bytes. All three must leave identical accumulators.
// Usage: aggregate_bench [rows=10000000] [groups=4096] [--dump-ir]
// Built with -O3 -march=native like jit_bench, so the hand-written loop gets the JIT's ISA.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "compiler/codegen/jit_accumulator_compiler.h"
#include "runtime/batch/batch.h"
#include "runtime/operators/aggregate/aggregator.h"

namespace {

using namespace sluice;
using runtime::Batch;
using runtime::kBatchCapacity;
using runtime::operators::aggregate::Aggregator;
using runtime::plan::AggregateCall;
using runtime::plan::AggregateKind;
using types::LogicalType;

constexpr int kDistinctBatches = 16;  // cycled: the inputs stay cache-resident
constexpr int kRepetitions = 3;       // best of

AggregateCall Call(AggregateKind kind, int32_t slot, LogicalType type, int32_t filter = -1) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  call.argument_type = type;
  call.result_type = kind == AggregateKind::kCountStar ? LogicalType::Bigint() : type;
  call.filter_slot = filter;
  return call;
}

template <typename T>
T Load(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}
template <typename T>
void Store(char* bytes, T value) {
  std::memcpy(bytes, &value, sizeof(T));
}

/// One measured aggregation: its calls, input batches, and the hand-written equivalent.
struct Workload {
  std::string name;
  std::vector<LogicalType> input_types;
  std::vector<AggregateCall> calls;
  /// Folds `rows[i]` of `batch` into accumulators[i] as the calls would.
  std::function<void(const Batch&, const int32_t*, int32_t, std::string* const*)> hand_written;
};

/// COUNT(*), SUM(price), MAX(price), AVG(price) over a BIGINT price (slot 0).
/// Layout: rows@0, count@8, sum@16 sum_count@24, max has@32 key@33, avg sum@41 count@49.
Workload BigintPrice() {
  Workload workload;
  workload.name = "COUNT(*),SUM,MAX,AVG bigint";
  workload.input_types = {LogicalType::Bigint()};
  LogicalType bigint = LogicalType::Bigint();
  workload.calls = {Call(AggregateKind::kCountStar, -1, LogicalType::Null()),
                    Call(AggregateKind::kSum, 0, bigint), Call(AggregateKind::kMax, 0, bigint),
                    Call(AggregateKind::kAvg, 0, bigint)};
  workload.hand_written = [](const Batch& batch, const int32_t* rows, int32_t count,
                             std::string* const* accumulators) {
    const auto* price = batch.column(0).values<int64_t>();
    const uint8_t* valid = batch.column(0).validity();
    for (int32_t i = 0; i < count; ++i) {
      char* acc = accumulators[i]->data();
      int32_t row = rows[i];
      Store<int64_t>(acc, Load<int64_t>(acc) + 1);
      Store<int64_t>(acc + 8, Load<int64_t>(acc + 8) + 1);
      if (valid[row] == 0) continue;
      int64_t value = price[row];
      Store<uint64_t>(acc + 16, Load<uint64_t>(acc + 16) + static_cast<uint64_t>(value));
      Store<int64_t>(acc + 24, Load<int64_t>(acc + 24) + 1);
      if (acc[32] == 0 || value > Load<int64_t>(acc + 33)) {
        acc[32] = 1;
        Store<int64_t>(acc + 33, value);
      }
      Store<uint64_t>(acc + 41, Load<uint64_t>(acc + 41) + static_cast<uint64_t>(value));
      Store<int64_t>(acc + 49, Load<int64_t>(acc + 49) + 1);
    }
  };
  return workload;
}

/// COUNT(*), SUM(d), COUNT(d) FILTER (WHERE f) over a DOUBLE d (slot 0), f BOOLEAN (slot 1).
/// Layout: rows@0, count@8, sum@16 sum_count@24, filtered count@32.
Workload DoubleFiltered() {
  Workload workload;
  workload.name = "COUNT(*),SUM,COUNT FILTER dbl";
  workload.input_types = {LogicalType::Double(), LogicalType::Boolean()};
  LogicalType real = LogicalType::Double();
  workload.calls = {Call(AggregateKind::kCountStar, -1, LogicalType::Null()),
                    Call(AggregateKind::kSum, 0, real), Call(AggregateKind::kCount, 0, real, 1)};
  workload.calls[2].result_type = LogicalType::Bigint();
  workload.hand_written = [](const Batch& batch, const int32_t* rows, int32_t count,
                             std::string* const* accumulators) {
    const auto* value = batch.column(0).values<double>();
    const uint8_t* valid = batch.column(0).validity();
    const auto* filter = batch.column(1).values<uint8_t>();
    const uint8_t* filter_valid = batch.column(1).validity();
    for (int32_t i = 0; i < count; ++i) {
      char* acc = accumulators[i]->data();
      int32_t row = rows[i];
      Store<int64_t>(acc, Load<int64_t>(acc) + 1);
      Store<int64_t>(acc + 8, Load<int64_t>(acc + 8) + 1);
      if (valid[row] == 0) continue;
      Store<double>(acc + 16, Load<double>(acc + 16) + value[row]);
      Store<int64_t>(acc + 24, Load<int64_t>(acc + 24) + 1);
      if (filter_valid[row] != 0 && filter[row] != 0) {
        Store<int64_t>(acc + 32, Load<int64_t>(acc + 32) + 1);
      }
    }
  };
  return workload;
}

/// The inputs of one run: distinct batches (5% NULL values) and each row's group.
struct Inputs {
  std::vector<Batch> batches;
  std::vector<std::vector<int32_t>> groups;  // per batch, per row
};

Inputs MakeInputs(const Workload& workload, int32_t group_count) {
  std::mt19937_64 random(42);
  Inputs inputs;
  for (int batch_index = 0; batch_index < kDistinctBatches; ++batch_index) {
    Batch batch(workload.input_types);
    batch.set_row_count(kBatchCapacity);
    std::vector<int32_t> groups(kBatchCapacity);
    for (int32_t row = 0; row < kBatchCapacity; ++row) {
      groups[row] = static_cast<int32_t>(random() % static_cast<uint64_t>(group_count));
      for (size_t slot = 0; slot < workload.input_types.size(); ++slot) {
        runtime::Column& column = batch.column(slot);
        bool valid = random() % 20 != 0;
        column.validity()[row] = valid ? 1 : 0;
        if (!valid) continue;
        switch (column.type().id()) {
          case types::TypeId::kBoolean: column.values<uint8_t>()[row] = random() % 2; break;
          case types::TypeId::kDouble:
            column.values<double>()[row] = static_cast<double>(random() % 100000) / 100.0;
            break;
          default: column.values<int64_t>()[row] = static_cast<int64_t>(random() % 1000000);
        }
      }
    }
    inputs.batches.push_back(std::move(batch));
    inputs.groups.push_back(std::move(groups));
  }
  return inputs;
}

using Fold = std::function<void(const Batch&, const int32_t*, int32_t, std::string* const*)>;

/// Folds `total_rows` rows into fresh accumulators with `fold`; returns the best seconds and
/// leaves the accumulators of the last repetition in `accumulators`.
double Measure(const Inputs& inputs, const Aggregator& layout, int32_t group_count,
               int64_t total_rows, const Fold& fold, std::vector<std::string>* accumulators) {
  std::vector<int32_t> rows(kBatchCapacity);
  for (int32_t row = 0; row < kBatchCapacity; ++row) rows[row] = row;
  double best = 1e30;
  for (int repetition = 0; repetition < kRepetitions; ++repetition) {
    accumulators->assign(static_cast<size_t>(group_count), layout.Initial());
    std::vector<std::vector<std::string*>> targets;
    for (const auto& groups : inputs.groups) {
      targets.emplace_back();
      for (int32_t group : groups) targets.back().push_back(&(*accumulators)[group]);
    }
    auto start = std::chrono::steady_clock::now();
    for (int64_t done = 0, index = 0; done < total_rows; done += kBatchCapacity, ++index) {
      size_t batch = static_cast<size_t>(index % kDistinctBatches);
      auto count = static_cast<int32_t>(std::min<int64_t>(kBatchCapacity, total_rows - done));
      fold(inputs.batches[batch], rows.data(), count, targets[batch].data());
    }
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> arguments(argv + 1, argv + argc);
  compiler::codegen::JitOptions options;
  auto dump = std::find(arguments.begin(), arguments.end(), "--dump-ir");
  if (dump != arguments.end()) {
    options.dump_ir = true;
    arguments.erase(dump);
  }
  int64_t total_rows = arguments.size() > 0 ? std::atoll(arguments[0].c_str()) : 10000000;
  int32_t group_count = arguments.size() > 1 ? std::atoi(arguments[1].c_str()) : 4096;
  auto made = compiler::codegen::MakeJitAccumulatorCompiler(options);
  if (!made.ok()) {
    std::fprintf(stderr, "cannot create the JIT: %s\n", made.status().ToString().c_str());
    return 1;
  }
  auto compiler = std::move(made).value();
  std::printf("%lld rows into %d groups per run (%d distinct batches, 5%% NULLs), best of %d\n\n",
              static_cast<long long>(total_rows), group_count, kDistinctBatches, kRepetitions);
  std::printf("%-31s %9s %9s %9s %9s %10s %8s %s\n", "calls", "jit Mr/s", "kernel", "interp", "c++",
              "jit/interp", "jit/c++", "same bytes");
  bool all_same = true;
  for (const Workload& workload : {BigintPrice(), DoubleFiltered()}) {
    Inputs inputs = MakeInputs(workload, group_count);
    Aggregator interpreted(workload.calls);
    Aggregator jit(workload.calls);
    auto used = jit.UseCompiler(compiler.get());
    if (!used.ok() || !jit.compiled()) {
      std::fprintf(stderr, "%s: not compiled: %s\n", workload.name.c_str(),
                   used.ToString().c_str());
      return 1;
    }
    auto by = [&](Aggregator& aggregator) -> Fold {
      return [&aggregator](const Batch& batch, const int32_t* rows, int32_t count,
                           std::string* const* accumulators) {
        auto status = aggregator.AccumulateRows(batch, rows, count, accumulators, false);
        if (!status.ok()) {
          std::fprintf(stderr, "%s\n", status.ToString().c_str());
          std::exit(1);
        }
      };
    };
    // The kernel alone, without AccumulateRows' checks and pointer gathering.
    auto kernels = compiler->Compile(workload.calls);
    if (!kernels.ok()) {
      std::fprintf(stderr, "%s\n", kernels.status().ToString().c_str());
      return 1;
    }
    SluiceAccumulateKernel kernel = (*kernels)->accumulate();
    Fold raw_kernel = [kernel](const Batch& batch, const int32_t* rows, int32_t count,
                               std::string* const* accumulators) {
      std::vector<SluiceKernelColumn> columns;
      for (size_t slot = 0; slot < batch.column_count(); ++slot) {
        auto& column = const_cast<runtime::Column&>(batch.column(slot));
        columns.push_back(SluiceKernelColumn{column.data(), column.validity()});
      }
      char* pointers[kBatchCapacity];
      for (int32_t i = 0; i < count; ++i) pointers[i] = accumulators[i]->data();
      kernel(columns.data(), nullptr, rows, pointers, 1, count);
    };
    std::vector<std::string> jit_result;
    std::vector<std::string> kernel_result;
    std::vector<std::string> interpreted_result;
    std::vector<std::string> hand_result;
    double jit_seconds = Measure(inputs, jit, group_count, total_rows, by(jit), &jit_result);
    double kernel_seconds =
        Measure(inputs, jit, group_count, total_rows, raw_kernel, &kernel_result);
    double interpreted_seconds =
        Measure(inputs, interpreted, group_count, total_rows, by(interpreted), &interpreted_result);
    double hand_seconds =
        Measure(inputs, interpreted, group_count, total_rows, workload.hand_written, &hand_result);
    bool same = jit_result == interpreted_result && jit_result == hand_result &&
                jit_result == kernel_result;
    all_same &= same;
    double rows = static_cast<double>(total_rows) / 1e6;
    std::printf("%-31s %9.1f %9.1f %9.1f %9.1f %9.2fx %7.2fx %s\n", workload.name.c_str(),
                rows / jit_seconds, rows / kernel_seconds, rows / interpreted_seconds,
                rows / hand_seconds, interpreted_seconds / jit_seconds, hand_seconds / jit_seconds,
                same ? "yes" : "NO");
  }
  std::printf("\njit/c++ > 1 means the generated kernel is faster than the hand-written loop.\n");
  return all_same ? 0 : 1;
}
