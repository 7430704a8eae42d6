#pragma once

// Reading and writing the fixed-width fields of an accumulator's bytes (unaligned), and the one
// NaN stored for every NaN a DOUBLE accumulator computes: a NaN's sign and payload depend on the
// order of an addition's operands, which compilers may swap, so the stored bytes would depend on
// the code path (generated code stores the same canonical NaN).

#include <cmath>
#include <cstdint>
#include <cstring>

namespace sluice::runtime::operators::aggregate {

inline constexpr uint64_t kCanonicalNaNBits = 0x7ff8000000000000ULL;

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

/// `value`, or the canonical NaN when it is a NaN.
inline double CanonicalNaN(double value) {
  if (!std::isnan(value)) return value;
  double nan;
  std::memcpy(&nan, &kCanonicalNaNBits, sizeof(nan));
  return nan;
}

}  // namespace sluice::runtime::operators::aggregate
