#pragma once

#include <optional>
#include <string>

#include "compiler/ast/expression.h"

namespace sluice::ast {

/// One item of a select list, an EXTEND, or an AGGREGATE list / GROUP BY key in pipe syntax:
/// an expression (a StarExpression for `*` and `t.*`) and an optional alias.
struct SelectItem {
  ExpressionPtr expression;
  std::optional<Identifier> alias;
  base::SourceSpan span;

  std::string ToString() const;
};

}  // namespace sluice::ast
