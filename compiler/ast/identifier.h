#pragma once

#include <string>
#include <vector>

#include "catalog/base/source_span.h"

namespace sluice::ast {

/// Names a table, column, field, alias or function as written (case kept; `quoted` for
/// backquoted names, whose quotes are removed and doubled backquotes unescaped).
struct Identifier {
  std::string name;
  bool quoted = false;
  base::SourceSpan span;

  /// Renders the name, backquoted when it was quoted or is not a plain word.
  std::string ToString() const;
};

/// Names an object by dotted parts: `catalog.db.table`, or just `table`.
struct QualifiedName {
  std::vector<Identifier> parts;
  base::SourceSpan span;

  const Identifier& Last() const { return parts.back(); }
  std::string ToString() const;
};

/// Renders identifiers joined by `separator`.
std::string JoinIdentifiers(const std::vector<Identifier>& identifiers, const char* separator);

/// Quotes a string as a SQL literal ('it''s').
std::string QuoteString(const std::string& value);

}  // namespace sluice::ast
