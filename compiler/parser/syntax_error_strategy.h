#pragma once

// Internal to compiler/parser: includes ANTLR headers. Never include it from a public header
// or from outside compiler/parser/*.cpp.

#include <optional>
#include <string>

#include "antlr4-runtime.h"
#include "catalog/base/diagnostic.h"
#include "compiler/parser/source_text.h"

namespace sluice::parser {

/// Turns ANTLR's first syntax error in a statement into a short Diagnostic
/// (`unexpected 'x': expected ')' or ','`, `missing ')'`) and stops the parse by throwing
/// ParseCancellationException; the driver catches it and moves on to the next statement.
class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  explicit SyntaxErrorStrategy(const SourceText& source) : source_(source) {}

  const std::optional<base::Diagnostic>& diagnostic() const { return diagnostic_; }

 protected:
  void reportNoViableAlternative(antlr4::Parser* parser,
                                 const antlr4::NoViableAltException& e) override;
  void reportInputMismatch(antlr4::Parser* parser,
                           const antlr4::InputMismatchException& e) override;
  void reportFailedPredicate(antlr4::Parser* parser,
                             const antlr4::FailedPredicateException& e) override;
  void reportUnwantedToken(antlr4::Parser* parser) override;
  void reportMissingToken(antlr4::Parser* parser) override;

 private:
  [[noreturn]] void Fail(antlr4::Parser* parser, antlr4::Token* offending, std::string message);
  /// Names a token for a message: `'FORM'`, `end of input`, `string literal 'x'`.
  std::string Describe(antlr4::Token* token) const;
  /// Renders `expected A, B or C` for a short set of token types, or "" for a long one.
  std::string Expected(antlr4::Parser* parser, const antlr4::misc::IntervalSet& expected) const;

  const SourceText& source_;
  std::optional<base::Diagnostic> diagnostic_;
};

}  // namespace sluice::parser
