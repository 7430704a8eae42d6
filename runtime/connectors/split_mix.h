#pragma once

#include <cstdint>

namespace sluice::runtime::connectors {

/// Finalizes a 64-bit value (SplitMix64's mixing function): a cheap, well-spread hash.
inline uint64_t Mix(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

/// A SplitMix64 random stream: tiny state, so generators can key one stream per event or row
/// and stay a pure function of (seed, number).
class SplitMix {
 public:
  explicit SplitMix(uint64_t state) : state_(state) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return Mix(state_);
  }
  /// Uniform in [0, bound) by multiply-shift (Lemire); bias below 2^-32 for 32-bit bounds.
  int64_t Uniform(int64_t bound) {
    return static_cast<int64_t>(
        (static_cast<unsigned __int128>(Next()) * static_cast<uint64_t>(bound)) >> 64);
  }
  /// Uniform over the inclusive range [low, high], any width.
  int64_t Between(int64_t low, int64_t high) {
    const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) + 1;
    const uint64_t draw =
        span == 0 ? Next()
                  : static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * span) >> 64);
    return static_cast<int64_t>(static_cast<uint64_t>(low) + draw);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace sluice::runtime::connectors
