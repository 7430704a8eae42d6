#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::repl {

/// One statement cut out of a larger text (a REPL input buffer or a `\i` file), without its
/// `;`, and where it starts in that text so errors can point into the original.
struct SourceStatement {
  std::string text;
  int32_t offset = 0;  // byte offset of text[0] in the source
  int32_t line = 1;    // 1-based line of text[0]
  int32_t column = 1;  // 1-based column of text[0]
};

/// Cuts the complete statements (those ended by a `;` outside quotes and comments) from the
/// front of `source`. `*consumed` is set to the length of the text they took, so the rest is
/// an unfinished statement. With `final` (the input has ended) that rest is a statement too.
/// Statements holding only blanks and comments are dropped.
std::vector<SourceStatement> SplitStatements(const std::string& source, size_t* consumed,
                                             bool final = false);

/// True when `text` holds nothing but blanks and complete comments.
bool IsBlank(const std::string& text);

}  // namespace sluice::repl
