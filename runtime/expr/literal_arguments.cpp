#include "runtime/expr/literal_arguments.h"

#include <fmt/format.h>

#include "runtime/expr/time_zone.h"

namespace sluice::runtime::expr {

std::string CheckLiteralArgument(functions::FunctionId function, size_t index,
                                 std::string_view text) {
  if (function == functions::FunctionId::kDateFormat && index == 1) {
    std::string problem = detail::CheckDateFormatPattern(text);
    if (!problem.empty()) return fmt::format("invalid DATE_FORMAT pattern '{}': {}", text, problem);
  }
  if (function == functions::FunctionId::kFromUnixtime && index == 1) {
    std::string problem = detail::CheckDateFormatPattern(text);
    if (!problem.empty()) {
      return fmt::format("invalid FROM_UNIXTIME pattern '{}': {}", text, problem);
    }
  }
  bool regex = function == functions::FunctionId::kRegexpExtract ||
               function == functions::FunctionId::kRegexp ||
               function == functions::FunctionId::kRegexpReplace ||
               function == functions::FunctionId::kRegexpCount ||
               function == functions::FunctionId::kRegexpInstr ||
               function == functions::FunctionId::kRegexpSubstr ||
               function == functions::FunctionId::kRegexpExtractAll;
  if (regex && index == 1) {
    std::string problem = detail::CheckRegex(text);
    if (!problem.empty()) {
      return fmt::format("invalid regular expression '{}': {}", text, problem);
    }
  }
  if (function == functions::FunctionId::kConvertTz && (index == 1 || index == 2) &&
      TimeZone::Find(text) == nullptr) {
    return fmt::format(
        "unknown time zone '{}' (a region such as 'America/Los_Angeles', 'UTC', "
        "an offset such as '+08:00' or 'GMT-8', or one of Java's three-letter "
        "IDs such as 'PST')",
        text);
  }
  if (function == functions::FunctionId::kSimilar && index == 2 && text.size() != 1) {
    return fmt::format("the ESCAPE of SIMILAR TO must be one character, got '{}'", text);
  }
  return "";
}

}  // namespace sluice::runtime::expr
