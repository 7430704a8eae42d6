#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/types/logical_type.h"

namespace sluice::runtime::expr {

// Text forms of values, shared by casts, sinks, EXPLAIN and tests (see SEMANTICS.md).

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for milliseconds since the epoch; negative values allowed.
std::string FormatTimestamp(int64_t millis);
/// Parses `YYYY-MM-DD HH:MM:SS[.f{1,3}]` or with a `T` separator; nullopt when invalid.
std::optional<int64_t> ParseTimestamp(std::string_view text);
/// `YYYY-MM-DD` for a DATE (days since 1970-01-01).
std::string FormatDate(int32_t days);
/// Parses `YYYY-M-D` (one or two digits for month and day), surrounding blanks ignored;
/// nullopt when invalid.
std::optional<int32_t> ParseDate(std::string_view text);
/// `HH:MM:SS`, or `HH:MM:SS.mmm` when the milliseconds are not zero, for a TIME (milliseconds
/// of the day).
std::string FormatTime(int32_t millis);
/// Parses `H:MM[:SS[.f{1,9}]]` (digits past the milliseconds are dropped), surrounding blanks
/// ignored; nullopt when invalid.
std::optional<int32_t> ParseTime(std::string_view text);
/// Java's Double.toString, as Flink writes a DOUBLE: the shortest digits that read back to the
/// same double, `5.0`, `0.1`, `1.0E20`, `1.5E-4`, `-0.0`, `Infinity`, `NaN`.
std::string FormatDouble(double value);
/// Java's Float.toString, as Flink writes a FLOAT: the shortest digits that read back to the
/// same float (`0.1` for the float nearest 0.1, whose double is 0.10000000149011612).
std::string FormatFloat(double value);
/// FormatFloat for a FLOAT, FormatDouble for a DOUBLE.
std::string FormatReal(double value, const types::LogicalType& type);
/// A DECIMAL's unscaled value with exactly `scale` decimals (`-1.50`).
std::string FormatDecimal(__int128 unscaled, int32_t scale);
/// An INTERVAL in milliseconds as `+D HH:MM:SS.mmm`.
std::string FormatInterval(int64_t millis);

}  // namespace sluice::runtime::expr
