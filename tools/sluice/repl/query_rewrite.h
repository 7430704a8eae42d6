#pragma once

#include <cstdint>
#include <string>

#include "compiler/ast/query.h"

namespace sluice::repl {

/// The table a SELECT without FROM (`SELECT 1 + 1`) reads: one row, hidden from SHOW TABLES.
inline constexpr const char* kOneRowTable = "__sluice_one_row";

/// The statements every session starts with (they create kOneRowTable).
std::string SessionPrelude();

/// Text inserted into a statement before it is compiled, so that error positions after it can
/// be moved back to the statement as typed.
struct Insertion {
  int32_t at = -1;  // offset in the statement where `length` characters were inserted
  int32_t length = 0;
  int32_t line = 0;  // the statement line (1-based) of `at`
};

/// A client-side LIMIT: a REPL query `SELECT ... LIMIT n` (or `|> LIMIT n`) without ORDER BY
/// has no defined order on a stream, so the REPL shows the first n rows that arrive and then
/// cancels the job. The LIMIT is blanked out of `text` (every offset stays where it was);
/// returns n, or 0 when the query has no such LIMIT (the compiler then judges it).
int64_t TakeClientLimit(const ast::Query& query, std::string* text);

/// A SELECT without FROM answers once: adds `FROM kOneRowTable` to `text` after its last
/// select item and says where; returns an empty Insertion for any other query.
Insertion AddOneRowFrom(const ast::Query& query, std::string* text);

bool EqualsIgnoreCase(const std::string& a, const std::string& b);

}  // namespace sluice::repl
