#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::base {

/// Parses Flink's duration syntax: a whole number and an optional unit (ms, s, min, h, d and
/// their long forms; default ms), spaces allowed: "10 s", "500ms", "1 min". Nullopt when
/// malformed.
std::optional<int64_t> ParseDurationMillis(const std::string& text);

}  // namespace sluice::base
