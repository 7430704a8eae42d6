#include "runtime/operators/aggregate/moments.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/operators/aggregate/slot_bytes.h"

namespace sluice::runtime::operators::aggregate::moments {

namespace {

using plan::AggregateKind;
using Int128 = __int128;
using UInt128 = unsigned __int128;

Int128 Add(Int128 left, Int128 right) {
  return static_cast<Int128>(static_cast<UInt128>(left) + static_cast<UInt128>(right));
}

Int128 Subtract(Int128 left, Int128 right) {
  return static_cast<Int128>(static_cast<UInt128>(left) - static_cast<UInt128>(right));
}

Int128 Multiply(Int128 left, Int128 right) {
  return static_cast<Int128>(static_cast<UInt128>(left) * static_cast<UInt128>(right));
}

bool IsSample(AggregateKind kind) {
  return kind == AggregateKind::kStddevSamp || kind == AggregateKind::kVarSamp;
}

bool IsStddev(AggregateKind kind) {
  return kind == AggregateKind::kStddevPop || kind == AggregateKind::kStddevSamp;
}

}  // namespace

void AddExact(char* slot, int64_t value, bool retract) {
  int64_t count = Load<int64_t>(slot);
  if (retract && count <= 0) return;
  Int128 square = Multiply(value, value);
  Int128 sum = Load<Int128>(slot + 8);
  Int128 squares = Load<Int128>(slot + 24);
  Store<int64_t>(slot, count + (retract ? -1 : 1));
  Store<Int128>(slot + 8, retract ? Subtract(sum, value) : Add(sum, value));
  Store<Int128>(slot + 24, retract ? Subtract(squares, square) : Add(squares, square));
}

void MergeExact(char* slot, const char* other) {
  Store<int64_t>(slot, static_cast<int64_t>(static_cast<uint64_t>(Load<int64_t>(slot)) +
                                            static_cast<uint64_t>(Load<int64_t>(other))));
  Store<Int128>(slot + 8, Add(Load<Int128>(slot + 8), Load<Int128>(other + 8)));
  Store<Int128>(slot + 24, Add(Load<Int128>(slot + 24), Load<Int128>(other + 24)));
}

void AddDouble(char* slot, double value, bool retract) {
  int64_t count = Load<int64_t>(slot);
  double mean = Load<double>(slot + 8);
  double m2 = Load<double>(slot + 16);
  if (retract) {
    if (count <= 0) return;
    if (count == 1) {
      Store<int64_t>(slot, 0);
      Store<double>(slot + 8, 0.0);
      Store<double>(slot + 16, 0.0);
      return;
    }
    // Welford backwards: the mean without `value`, then M2 less its term.
    double new_mean = mean - (value - mean) / static_cast<double>(count - 1);
    m2 = m2 - (value - new_mean) * (value - mean);
    Store<int64_t>(slot, count - 1);
    Store<double>(slot + 8, CanonicalNaN(new_mean));
    Store<double>(slot + 16, CanonicalNaN(m2));
    return;
  }
  double delta = value - mean;
  double new_mean = mean + delta / static_cast<double>(count + 1);
  m2 = m2 + delta * (value - new_mean);
  Store<int64_t>(slot, count + 1);
  Store<double>(slot + 8, CanonicalNaN(new_mean));
  Store<double>(slot + 16, CanonicalNaN(m2));
}

void MergeDouble(char* slot, const char* other) {
  int64_t right_count = Load<int64_t>(other);
  if (right_count <= 0) return;
  int64_t left_count = Load<int64_t>(slot);
  if (left_count <= 0) {
    std::memcpy(slot, other, 24);
    return;
  }
  double left_mean = Load<double>(slot + 8);
  double right_mean = Load<double>(other + 8);
  double count = static_cast<double>(left_count + right_count);
  double delta = right_mean - left_mean;
  double mean = left_mean + delta * static_cast<double>(right_count) / count;
  double m2 =
      Load<double>(slot + 16) + Load<double>(other + 16) +
      delta * delta * static_cast<double>(left_count) * static_cast<double>(right_count) / count;
  Store<int64_t>(slot, left_count + right_count);
  Store<double>(slot + 8, CanonicalNaN(mean));
  Store<double>(slot + 16, CanonicalNaN(m2));
}

std::optional<double> DoubleResult(const char* slot, AggregateKind kind) {
  int64_t count = Load<int64_t>(slot);
  int64_t divisor = IsSample(kind) ? count - 1 : count;
  if (divisor <= 0) return std::nullopt;
  // A retraction can leave M2 a rounding error below zero.
  double m2 = std::max(Load<double>(slot + 16), 0.0);
  double variance = m2 / static_cast<double>(divisor);
  return IsStddev(kind) ? std::sqrt(variance) : variance;
}

std::optional<int64_t> IntegerResult(const char* slot, AggregateKind kind) {
  int64_t count = Load<int64_t>(slot);
  int64_t divisor = IsSample(kind) ? count - 1 : count;
  if (divisor <= 0) return std::nullopt;
  Int128 sum = Load<Int128>(slot + 8);
  Int128 squares = Load<Int128>(slot + 24);
  Int128 variance = Subtract(squares, Multiply(sum, sum) / count) / divisor;
  if (IsStddev(kind)) {
    double root = std::sqrt(static_cast<double>(variance));
    if (!(root < 9.2233720368547758e18)) return std::nullopt;  // also NaN
    return static_cast<int64_t>(root);
  }
  if (variance < std::numeric_limits<int64_t>::min() ||
      variance > std::numeric_limits<int64_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(variance);
}

std::optional<int64_t> DecimalResult(const char* slot, AggregateKind kind, int32_t scale,
                                     int32_t result_scale) {
  int64_t count = Load<int64_t>(slot);
  int64_t divisor = IsSample(kind) ? count - 1 : count;
  if (divisor <= 0) return std::nullopt;
  Int128 sum = Load<Int128>(slot + 8);
  Int128 squares = Load<Int128>(slot + 24);
  // n * sum_sq - sum^2 is exact: n^2 times the population variance, at scale 2 * scale.
  Int128 spread = Subtract(Multiply(squares, count), Multiply(sum, sum));
  long double variance = static_cast<long double>(spread) /
                         (static_cast<long double>(count) * static_cast<long double>(divisor));
  variance /= std::pow(10.0L, 2 * scale);
  if (variance < 0) variance = 0;
  long double result = IsStddev(kind) ? std::sqrt(variance) : variance;
  long double unscaled = std::floor(result * std::pow(10.0L, result_scale) + 0.5L);
  if (!(unscaled < 9.2233720368547758e18L)) return std::nullopt;
  return static_cast<int64_t>(unscaled);
}

}  // namespace sluice::runtime::operators::aggregate::moments
