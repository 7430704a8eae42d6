#include "runtime/expr/literal_arguments.h"

#include <fmt/format.h>

namespace sluice::runtime::expr {

std::string CheckLiteralArgument(functions::FunctionId function, size_t index,
                                 std::string_view text) {
  if (function == functions::FunctionId::kDateFormat && index == 1) {
    std::string problem = detail::CheckDateFormatPattern(text);
    if (!problem.empty()) return fmt::format("invalid DATE_FORMAT pattern '{}': {}", text, problem);
  }
  if (function == functions::FunctionId::kRegexpExtract && index == 1) {
    std::string problem = detail::CheckRegex(text);
    if (!problem.empty()) {
      return fmt::format("invalid regular expression '{}': {}", text, problem);
    }
  }
  return "";
}

}  // namespace sluice::runtime::expr
