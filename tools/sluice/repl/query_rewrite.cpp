#include "tools/sluice/repl/query_rewrite.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sluice::repl {

namespace {

int32_t CountLines(const std::string& text) {
  return static_cast<int32_t>(std::count(text.begin(), text.end(), '\n'));
}

/// Blanks out `text[from, to)` with spaces, keeping every other offset and column in place.
void Blank(std::string* text, size_t from, size_t to) {
  for (size_t i = from; i < to && i < text->size(); ++i) {
    if ((*text)[i] != '\n') (*text)[i] = ' ';
  }
}

/// The start of the keyword `word` that ends right before `offset` (blanks between), or npos.
size_t KeywordBefore(const std::string& text, size_t offset, const std::string& word) {
  size_t end = offset;
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  if (end < word.size() || !EqualsIgnoreCase(text.substr(end - word.size(), word.size()), word)) {
    return std::string::npos;
  }
  return end - word.size();
}

/// A positive whole number spelled by `span` of `text`, or 0.
int64_t WholeNumberAt(const std::string& text, base::SourceSpan span) {
  if (!span.IsKnown() || span.length <= 0 || span.length > 18) return 0;
  std::string digits = text.substr(span.offset, span.length);
  if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
  return std::stoll(digits);
}

}  // namespace

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string SessionPrelude() {
  return fmt::format(
      "CREATE TABLE {0} (x INT) WITH ('connector' = 'values');\nINSERT INTO {0} VALUES (1);\n",
      kOneRowTable);
}

int64_t TakeClientLimit(const ast::Query& query, std::string* text) {
  if (query.limit != nullptr && query.order_by.empty() && query.offset == nullptr) {
    int64_t limit = WholeNumberAt(*text, query.limit->span);
    size_t keyword = KeywordBefore(*text, query.limit->span.offset, "LIMIT");
    if (limit <= 0 || keyword == std::string::npos) return 0;
    Blank(text, keyword, query.limit->span.offset + query.limit->span.length);
    return limit;
  }
  if (query.kind() != ast::QueryKind::kPipe || query.limit != nullptr) return 0;
  const auto& pipe = query.Cast<ast::PipeQuery>();
  if (pipe.operators.empty() || pipe.operators.back()->kind() != ast::PipeOperatorKind::kLimit) {
    return 0;
  }
  if (pipe.operators.size() >= 2 &&
      pipe.operators[pipe.operators.size() - 2]->kind() == ast::PipeOperatorKind::kOrderBy) {
    return 0;
  }
  const auto& limit = pipe.operators.back()->Cast<ast::PipeLimit>();
  if (limit.offset != nullptr) return 0;
  int64_t rows = WholeNumberAt(*text, limit.limit->span);
  size_t keyword = KeywordBefore(*text, limit.limit->span.offset, "LIMIT");
  if (rows <= 0 || keyword == std::string::npos) return 0;
  size_t pipe_start = KeywordBefore(*text, keyword, "|>");
  Blank(text, pipe_start == std::string::npos ? keyword : pipe_start,
        limit.limit->span.offset + limit.limit->span.length);
  return rows;
}

Insertion AddOneRowFrom(const ast::Query& query, std::string* text) {
  Insertion insertion;
  if (query.kind() != ast::QueryKind::kSelect) return insertion;
  const auto& select = query.Cast<ast::SelectQuery>();
  if (select.from != nullptr || select.items.empty() || !select.items.back().span.IsKnown()) {
    return insertion;
  }
  const base::SourceSpan& last = select.items.back().span;
  std::string from = std::string(" FROM ") + kOneRowTable;
  insertion.at = last.offset + last.length;
  insertion.length = static_cast<int32_t>(from.size());
  insertion.line = 1 + CountLines(text->substr(0, insertion.at));
  text->insert(insertion.at, from);
  return insertion;
}

}  // namespace sluice::repl
