#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/functions/function_id.h"

namespace sluice::runtime::expr {

/// Checks argument `index` of `function` when the query gives it as a VARCHAR literal: a
/// DATE_FORMAT pattern or a REGEXP_EXTRACT regular expression that would make every row NULL
/// is a compile-time error instead. Returns the error message, or "" when the text is valid.
std::string CheckLiteralArgument(functions::FunctionId function, size_t index,
                                 std::string_view text);

namespace detail {
/// Returns "" when `pattern` is a supported DATE_FORMAT pattern, else what is wrong with it.
std::string CheckDateFormatPattern(std::string_view pattern);
/// Returns "" when `pattern` compiles with RE2, else RE2's error.
std::string CheckRegex(std::string_view pattern);
/// The RE2 pattern of a SIMILAR TO pattern (with an escape character, or none when
/// `escape` is empty); nullopt when it is not valid (an escape at the end, an escape of more
/// than one character, an unclosed bracket).
std::optional<std::string> SimilarToRegex(std::string_view pattern, std::string_view escape);
}  // namespace detail

}  // namespace sluice::runtime::expr
