#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace sluice::runtime::expr {

/// Splits `text` around the matches of the regular expression `pattern` as Java's
/// String.split(pattern, limit) does: at most `limit` pieces when it is positive (the last
/// holds the rest), otherwise all of them without the trailing empty ones; a zero-width match
/// at the start makes no leading empty piece. The pieces view `text`. False when `pattern`
/// does not compile.
bool RegexSplit(std::string_view text, std::string_view pattern, size_t limit,
                std::vector<std::string_view>* pieces);

}  // namespace sluice::runtime::expr
