#pragma once

#include <string>

#include "catalog/base/status.h"
#include "catalog/types/logical_type.h"
#include "runtime/connectors/option_reader.h"
#include "runtime/connectors/split_mix.h"

namespace sluice::runtime::connectors {

/// The unscaled range a random DECIMAL(p > 18) column draws from: 'min'/'max' when set (Flink
/// reads them as doubles), else the whole range of the type, ±(10^p - 1) unscaled.
struct WideDecimalRange {
  __int128 low = 0;
  __int128 high = 0;
};

/// Reads `min_key`/`max_key` for a DECIMAL of precision above 18; an error names an option the
/// user set (a bound outside the type, max below min, no value at this scale).
base::Result<WideDecimalRange> ReadWideDecimalRange(const OptionReader& options,
                                                    const std::string& min_key,
                                                    const std::string& max_key,
                                                    const types::LogicalType& type);

/// A value uniform over [range.low, range.high] (rejection sampling over 128 random bits).
__int128 DrawWideDecimal(SplitMix* random, const WideDecimalRange& range);

}  // namespace sluice::runtime::connectors
