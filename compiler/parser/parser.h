#pragma once

#include <string>
#include <vector>

#include "catalog/base/diagnostic.h"
#include "compiler/ast/statement.h"

namespace sluice::parser {

/// The statements of a script and the syntax errors found in it. A statement with a syntax
/// error is left out of `statements`; the others are still returned.
struct ParseResult {
  std::vector<ast::StatementPtr> statements;
  std::vector<base::Diagnostic> errors;  // all kSyntax, in text order

  bool ok() const { return errors.empty(); }
};

/// Parses a whole .pipe text: statements separated by ';'. Collects one syntax error per broken
/// statement (each statement is parsed on its own, so one error does not hide the next one),
/// never throws and never aborts, whatever the input. Spans are byte offsets into `text`.
/// Thread-safe (parses are serialized: the ANTLR runtime's caches are shared).
ParseResult ParseScript(const std::string& text);

}  // namespace sluice::parser
