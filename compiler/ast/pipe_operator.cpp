#include "compiler/ast/pipe_operator.h"

#include "compiler/ast/query.h"

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

namespace {

std::string Keyword(const char* keyword, const std::vector<Hint>& hints) {
  std::string out = std::string("|> ") + keyword;
  if (!hints.empty()) out += " " + HintsToString(hints);
  return out;
}

std::string JoinItems(const std::vector<SelectItem>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i].ToString();
  }
  return out;
}

std::string LimitToString(const ExpressionPtr& limit, const ExpressionPtr& offset) {
  std::string out;
  if (limit) out += " LIMIT " + limit->ToString();
  if (offset) out += " OFFSET " + offset->ToString();
  return out;
}

}  // namespace

PipeUnion::PipeUnion(base::SourceSpan span) : PipeOperator(kKind, span) {}
PipeUnion::~PipeUnion() = default;

std::string PipeWhere::ToString() const {
  return Keyword("WHERE", hints) + " " + condition->ToString();
}

std::string PipeSelect::ToString() const {
  return Keyword("SELECT", hints) + (distinct ? " DISTINCT " : " ") + JoinItems(items);
}

std::string PipeExtend::ToString() const {
  return Keyword("EXTEND", hints) + " " + JoinItems(items);
}

std::string PipeSet::ToString() const {
  std::string out = Keyword("SET", hints);
  for (size_t i = 0; i < assignments.size(); ++i) {
    out += i > 0 ? ", " : " ";
    out += assignments[i].column.ToString() + " = " + assignments[i].value->ToString();
  }
  return out;
}

std::string PipeDrop::ToString() const {
  return Keyword("DROP", hints) + " " + JoinIdentifiers(columns, ", ");
}

std::string PipeRename::ToString() const {
  std::string out = Keyword("RENAME", hints);
  for (size_t i = 0; i < renamings.size(); ++i) {
    out += i > 0 ? ", " : " ";
    out += renamings[i].from.ToString() + " AS " + renamings[i].to.ToString();
  }
  return out;
}

std::string PipeAs::ToString() const {
  return Keyword("AS", hints) + " " + alias.ToString();
}

std::string PipeAggregate::ToString() const {
  std::string out = Keyword("AGGREGATE", hints);
  if (!aggregates.empty()) out += " " + JoinItems(aggregates);
  if (!group_by.empty()) out += " GROUP BY " + JoinItems(group_by);
  return out;
}

std::string PipeJoin::ToString() const {
  std::string out = Keyword(JoinTypeName(join_type), hints) + " " + right->ToString();
  if (condition) out += " ON " + condition->ToString();
  if (!using_columns.empty()) out += " USING (" + JoinIdentifiers(using_columns, ", ") + ")";
  return out;
}

std::string PipeCall::ToString() const {
  std::string out = Keyword("CALL", hints) + " " + call->ToString();
  if (alias.has_value()) out += " AS " + alias->ToString();
  return out;
}

std::string PipeUnion::ToString() const {
  std::string out = Keyword(all ? "UNION ALL" : "UNION", hints);
  for (size_t i = 0; i < queries.size(); ++i) {
    out += i > 0 ? ", (" : " (";
    out += queries[i]->ToString() + ")";
  }
  return out;
}

std::string PipeOrderBy::ToString() const {
  std::string out = Keyword("ORDER BY", hints);
  for (size_t i = 0; i < order_by.size(); ++i) {
    out += i > 0 ? ", " : " ";
    out += order_by[i].ToString();
  }
  return out + LimitToString(limit, offset);
}

std::string PipeLimit::ToString() const {
  return Keyword("LIMIT", hints) + " " + limit->ToString() + LimitToString(nullptr, offset);
}

}  // namespace sluice::ast
