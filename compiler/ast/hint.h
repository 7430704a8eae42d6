#pragma once

#include <string>
#include <vector>

#include "catalog/base/source_span.h"
#include "compiler/ast/identifier.h"

namespace sluice::ast {

/// One hint of a `/*+ NAME('arg', ...), ... */` comment, e.g. `UID('hot_items')`. Arguments are
/// kept as their text: string arguments unquoted, words and numbers as written.
struct Hint {
  Identifier name;
  std::vector<std::string> arguments;
  base::SourceSpan span;

  std::string ToString() const;
};

/// Renders hints as one `/*+ ... */` comment, or an empty string when there are none.
std::string HintsToString(const std::vector<Hint>& hints);

}  // namespace sluice::ast
