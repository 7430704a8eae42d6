#include "runtime/expr/literal_arguments.h"

#include <fmt/format.h>

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
               function == functions::FunctionId::kRegexpReplace;
  if (regex && index == 1) {
    std::string problem = detail::CheckRegex(text);
    if (!problem.empty()) {
      return fmt::format("invalid regular expression '{}': {}", text, problem);
    }
  }
  return "";
}

}  // namespace sluice::runtime::expr
