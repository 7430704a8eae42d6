#include "runtime/connectors/datagen_decimal.h"

#include <cmath>

namespace sluice::runtime::connectors {

namespace {

__int128 PowerOfTen(int32_t exponent) {
  __int128 value = 1;
  for (int32_t i = 0; i < exponent; ++i) value *= 10;
  return value;
}

// `value` * 10^scale rounded up (or down) to an unscaled value, when it lies within ±largest.
bool Unscaled(double value, int32_t scale, bool round_up, __int128 largest, __int128* out) {
  if (!std::isfinite(value)) return false;
  long double scaled = static_cast<long double>(value) * std::pow(10.0L, scale);
  scaled = round_up ? std::ceil(scaled) : std::floor(scaled);
  if (scaled > static_cast<long double>(largest) || scaled < -static_cast<long double>(largest)) {
    return false;
  }
  __int128 result = static_cast<__int128>(scaled);
  // A bound within a rounding of 10^p clamps to the last value of the type.
  *out = result > largest ? largest : (result < -largest ? -largest : result);
  return true;
}

}  // namespace

base::Result<WideDecimalRange> ReadWideDecimalRange(const OptionReader& options,
                                                    const std::string& min_key,
                                                    const std::string& max_key,
                                                    const types::LogicalType& type) {
  const __int128 largest = PowerOfTen(type.precision()) - 1;
  WideDecimalRange range{-largest, largest};
  auto exceeds = [&](const std::string& key) {
    return options.OptionError(key, "'" + key + "' lies outside " + type.ToString());
  };
  if (options.Has(min_key)) {
    SLUICE_ASSIGN_OR_RETURN(double low, options.GetDouble(min_key, 0, -HUGE_VAL));
    if (!Unscaled(low, type.scale(), /*round_up=*/true, largest, &range.low)) {
      return exceeds(min_key);
    }
  }
  if (options.Has(max_key)) {
    SLUICE_ASSIGN_OR_RETURN(double high, options.GetDouble(max_key, 0, -HUGE_VAL));
    if (!Unscaled(high, type.scale(), /*round_up=*/false, largest, &range.high)) {
      return exceeds(max_key);
    }
  }
  if (range.high < range.low) {
    return options.InvalidValue(options.Has(max_key) ? max_key : min_key,
                                "leaves no value at this scale");
  }
  return range;
}

__int128 DrawWideDecimal(SplitMix* random, const WideDecimalRange& range) {
  using Unsigned = unsigned __int128;
  const Unsigned span = static_cast<Unsigned>(range.high) - static_cast<Unsigned>(range.low) + 1;
  // The largest multiple of span that 128 bits hold: draws at or above it are redrawn, so
  // every value is equally likely (fewer than two draws on average). span <= 2 * 10^38 < 2^128.
  const Unsigned limit = static_cast<Unsigned>(0) - (static_cast<Unsigned>(0) - span) % span;
  Unsigned bits;
  do {
    bits = (static_cast<Unsigned>(random->Next()) << 64) | random->Next();
  } while (limit != 0 && bits >= limit);
  return static_cast<__int128>(static_cast<Unsigned>(range.low) + bits % span);
}

}  // namespace sluice::runtime::connectors
