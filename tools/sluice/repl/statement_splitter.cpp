#include "tools/sluice/repl/statement_splitter.h"

#include <cctype>

namespace sluice::repl {

namespace {

/// Skips a quoted run or a comment starting at `i`; returns the index after it, or `i` when
/// none starts there. An unterminated one runs to the end of the text.
size_t SkipQuotedOrComment(const std::string& text, size_t i) {
  char c = text[i];
  if (c == '\'' || c == '"' || c == '`') {
    size_t j = i + 1;
    while (j < text.size()) {
      if (text[j] == c) {
        if (j + 1 < text.size() && text[j + 1] == c) {  // doubled quote: an escaped quote
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return text.size();
  }
  if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
    size_t end = text.find('\n', i);
    return end == std::string::npos ? text.size() : end + 1;
  }
  if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
    size_t end = text.find("*/", i + 2);
    return end == std::string::npos ? text.size() : end + 2;
  }
  return i;
}

}  // namespace

bool IsBlank(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t next = SkipQuotedOrComment(text, i);
    if (next != i) {
      if (text[i] != '-' && text[i] != '/') return false;  // a quoted run is not blank
      // An unfinished block comment still waits for its end.
      if (text[i] == '/' && text.compare(next - 2, 2, "*/") != 0) return false;
      if (text[i] == '/' && next - i < 4) return false;  // `/*/` is not closed either
      i = next;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(text[i]))) return false;
    ++i;
  }
  return true;
}

std::vector<SourceStatement> SplitStatements(const std::string& source, size_t* consumed,
                                             bool final) {
  std::vector<SourceStatement> statements;
  size_t start = 0;
  int32_t line = 1;
  int32_t column = 1;
  int32_t start_line = 1;
  int32_t start_column = 1;
  auto advance = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (source[k] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  };
  // Adds source[start, end) as a statement that begins at its first non-blank character.
  auto emit = [&](size_t end) {
    std::string text = source.substr(start, end - start);
    if (IsBlank(text)) return;
    size_t skip = 0;
    int32_t statement_line = start_line;
    int32_t statement_column = start_column;
    while (skip < text.size() && std::isspace(static_cast<unsigned char>(text[skip]))) {
      if (text[skip] == '\n') {
        ++statement_line;
        statement_column = 1;
      } else {
        ++statement_column;
      }
      ++skip;
    }
    statements.push_back(SourceStatement{text.substr(skip), static_cast<int32_t>(start + skip),
                                         statement_line, statement_column});
  };
  *consumed = 0;
  size_t i = 0;
  while (i < source.size()) {
    size_t next = SkipQuotedOrComment(source, i);
    if (next != i) {
      advance(i, next);
      i = next;
      continue;
    }
    if (source[i] != ';') {
      advance(i, i + 1);
      ++i;
      continue;
    }
    emit(i);
    advance(i, i + 1);
    ++i;
    start = i;
    start_line = line;
    start_column = column;
    *consumed = i;
  }
  if (final && start < source.size()) {
    emit(source.size());
    *consumed = source.size();
  }
  return statements;
}

}  // namespace sluice::repl
