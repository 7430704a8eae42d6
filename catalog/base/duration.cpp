#include "catalog/base/duration.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace sluice::base {

std::optional<int64_t> ParseDurationMillis(const std::string& text) {
  size_t position = 0;
  while (position < text.size() && std::isspace(static_cast<unsigned char>(text[position]))) {
    ++position;
  }
  size_t digits_start = position;
  while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
    ++position;
  }
  if (position == digits_start || position - digits_start > 15) return std::nullopt;
  int64_t amount = std::stoll(text.substr(digits_start, position - digits_start));
  std::string unit;
  for (size_t i = position; i < text.size(); ++i) {
    if (!std::isspace(static_cast<unsigned char>(text[i]))) {
      unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    }
  }
  static const std::pair<std::vector<std::string>, int64_t> kUnits[] = {
      {{"", "ms", "milli", "millis", "millisecond", "milliseconds"}, 1},
      {{"s", "sec", "secs", "second", "seconds"}, 1000},
      {{"m", "min", "mins", "minute", "minutes"}, 60 * 1000},
      {{"h", "hour", "hours"}, 60 * 60 * 1000},
      {{"d", "day", "days"}, 24 * 60 * 60 * 1000},
  };
  for (const auto& [names, millis] : kUnits) {
    if (std::find(names.begin(), names.end(), unit) != names.end()) return amount * millis;
  }
  return std::nullopt;
}

}  // namespace sluice::base
