#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::runtime::expr {

// Text forms of values, shared by casts, sinks, EXPLAIN and tests (see SEMANTICS.md).

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for milliseconds since the epoch; negative values allowed.
std::string FormatTimestamp(int64_t millis);
/// Parses `YYYY-MM-DD HH:MM:SS[.f{1,3}]` or with a `T` separator; nullopt when invalid.
std::optional<int64_t> ParseTimestamp(std::string_view text);
/// Shortest text that reads back to the same double (`0.1`, `1e+20`, `inf`, `nan`).
std::string FormatDouble(double value);
/// A DECIMAL's unscaled value with exactly `scale` decimals (`-1.50`).
std::string FormatDecimal(int64_t unscaled, int32_t scale);
/// An INTERVAL in milliseconds as `+D HH:MM:SS.mmm`.
std::string FormatInterval(int64_t millis);

}  // namespace sluice::runtime::expr
