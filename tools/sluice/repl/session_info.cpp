// The session's informational statements: SHOW, DESCRIBE, SET without a key, and tab
// completion.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "catalog/base/suggest.h"
#include "catalog/functions/function_registry.h"
#include "tools/sluice/repl/query_rewrite.h"
#include "tools/sluice/repl/session.h"

namespace sluice::repl {

namespace {

bool StartsWithIgnoreCase(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string Quote(const std::string& name) {
  std::string quoted = "`";
  for (char c : name) quoted += c == '`' ? std::string("``") : std::string(1, c);
  return quoted + "`";
}

const std::vector<std::string>& Keywords() {
  static const std::vector<std::string> kKeywords = {
      "SELECT",   "FROM",      "WHERE",      "GROUP",        "BY",         "HAVING",
      "ORDER",    "LIMIT",     "INSERT",     "INTO",         "CREATE",     "TABLE",
      "VIEW",     "FUNCTION",  "WITH",       "AS",           "AND",        "OR",
      "NOT",      "NULL",      "IS",         "IN",           "BETWEEN",    "LIKE",
      "CASE",     "WHEN",      "THEN",       "ELSE",         "END",        "CAST",
      "JOIN",     "LEFT",      "RIGHT",      "FULL",         "INNER",      "OUTER",
      "ON",       "UNION",     "ALL",        "DISTINCT",     "SET",        "RESET",
      "EXPLAIN",  "SHOW",      "TABLES",     "FUNCTIONS",    "VIEWS",      "JOBS",
      "DESCRIBE", "STOP",      "JOB",        "SAVEPOINT",    "WATERMARK",  "FOR",
      "INTERVAL", "SECOND",    "MINUTE",     "HOUR",         "DAY",        "TUMBLE",
      "HOP",      "CUMULATE",  "SESSION",    "DESCRIPTOR",   "TIMESTAMP",  "BIGINT",
      "INT",      "VARCHAR",   "DOUBLE",     "BOOLEAN",      "COUNT",      "SUM",
      "MIN",      "MAX",       "AVG",        "PRIMARY",      "KEY",        "ENFORCED",
      "OVER",     "PARTITION", "ROW_NUMBER", "window_start", "window_end", "window_time"};
  return kKeywords;
}

}  // namespace

bool Session::Show(const ast::ShowStatement& show) {
  std::vector<std::vector<std::string>> rows;
  switch (show.object) {
    case ast::ShowObject::kTables:
    case ast::ShowObject::kViews:
      for (const auto& [name, is_view] : relations_) {
        if (show.object == ast::ShowObject::kViews && !is_view) continue;
        rows.push_back({name, is_view ? "view" : "table"});
      }
      PrintTable({{"name"}, {"kind"}}, rows);
      return true;
    case ast::ShowObject::kFunctions: {
      for (const std::string& name : functions_) rows.push_back({name, "user-defined"});
      for (const char* name : {"AVG", "BOOL_AND", "BOOL_OR", "COUNT", "FIRST_VALUE", "LAST_VALUE",
                               "LISTAGG", "MAX", "MIN", "STDDEV", "STDDEV_POP", "STDDEV_SAMP",
                               "SUM", "VARIANCE", "VAR_POP", "VAR_SAMP"}) {
        rows.push_back({name, "aggregate"});
      }
      for (const char* name : {"ROW_NUMBER", "RANK", "DENSE_RANK"})
        rows.push_back({name, "ranking"});
      for (const char* name : {"TUMBLE", "HOP", "CUMULATE", "SESSION"}) {
        rows.push_back({name, "window table function"});
      }
      for (const std::string& name : functions::ScalarFunctionNames()) {
        rows.push_back({name, "scalar"});
      }
      PrintTable({{"function"}, {"kind"}}, rows);
      return true;
    }
    case ast::ShowObject::kJobs: jobs_.Show(); return true;
  }
  return true;
}

std::optional<types::Schema> Session::SchemaOf(const std::string& name) {
  compiler::CompileOptions options;
  options.file_name = "repl";
  options.collect_selects = true;
  options.collect_prefix = "repl-describe-";
  auto compiled =
      compiler::CompileScript(session_text_ + "SELECT * FROM " + Quote(name) + ";\n", options);
  if (!compiled.ok()) return std::nullopt;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink && node.table) return node.table->schema;
  }
  return std::nullopt;
}

bool Session::Describe(const ast::DescribeStatement& describe, const StatementSource& source) {
  const ast::Identifier& name = describe.name.Last();
  std::vector<std::string> names;
  const std::string* found = nullptr;
  for (const auto& relation : relations_) {
    names.push_back(relation.first);
    if (EqualsIgnoreCase(relation.first, name.name)) found = &relation.first;
  }
  if (found == nullptr) {
    std::string suggestion = base::ClosestName(name.name, names);
    Error(fmt::format("table not found: '{}'{}", name.name,
                      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
          name.span, source);
    return false;
  }
  auto schema = SchemaOf(*found);
  if (!schema) {
    Error(fmt::format("cannot read the columns of '{}'", name.name), name.span, source);
    return false;
  }
  std::vector<std::vector<std::string>> rows;
  for (const types::RowField& column : schema->columns) {
    rows.push_back({column.name, column.type.ToString()});
  }
  PrintTable({{"column"}, {"type"}}, rows);
  return true;
}

bool Session::ListOptions() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, description] : compiler::KnownOptions()) {
    std::string value = Option(key);
    rows.push_back({key, value.empty() ? "(default)" : value, description});
  }
  for (const auto& [key, value] : set_options_) {
    if (!compiler::KnownOptions().count(key)) rows.push_back({key, value, "(not used by Sluice)"});
  }
  PrintTable({{"key"}, {"value"}, {"meaning"}}, rows);
  return true;
}

std::vector<std::string> Session::Completions(const std::string& line, const std::string& word) {
  if (columns_version_ != version_) {
    column_names_.clear();
    for (const auto& relation : relations_) {
      auto schema = SchemaOf(relation.first);
      if (!schema) continue;
      for (const auto& column : schema->columns) column_names_.push_back(column.name);
    }
    columns_version_ = version_;
  }
  bool lower = !word.empty() && std::islower(static_cast<unsigned char>(word[0]));
  std::vector<std::string> matches;
  auto offer = [&](std::string candidate, bool keyword) {
    if (!StartsWithIgnoreCase(candidate, word)) return;
    if (keyword && lower) {
      for (char& c : candidate) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (std::find(matches.begin(), matches.end(), candidate) == matches.end()) {
      matches.push_back(candidate);
    }
  };
  for (const auto& relation : relations_) offer(relation.first, false);
  for (const std::string& column : column_names_) offer(column, false);
  for (const std::string& keyword : Keywords()) offer(keyword, true);
  std::sort(matches.begin(), matches.end());
  return matches;
}

}  // namespace sluice::repl
