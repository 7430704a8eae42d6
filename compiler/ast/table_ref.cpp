#include "compiler/ast/table_ref.h"

#include "compiler/ast/query.h"

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

SubqueryRef::SubqueryRef(base::SourceSpan span) : TableRef(kKind, span) {}
SubqueryRef::~SubqueryRef() = default;

std::string TableRef::AliasToString() const {
  if (!alias.has_value()) return "";
  std::string out = " AS " + alias->ToString();
  if (!column_aliases.empty()) out += "(" + JoinIdentifiers(column_aliases, ", ") + ")";
  return out;
}

std::string BaseTableRef::ToString() const {
  std::string out = name.ToString();
  if (!hints.empty()) out += " " + HintsToString(hints);
  if (system_time) out += " FOR SYSTEM_TIME AS OF " + system_time->ToString();
  return out + AliasToString();
}

std::string SubqueryRef::ToString() const {
  return std::string(lateral ? "LATERAL " : "") + "(" + query->ToString() + ")" + AliasToString();
}

std::string TableFunctionRef::ToString() const {
  if (unnest) {
    return call->ToString() + (with_ordinality ? " WITH ORDINALITY" : "") + AliasToString();
  }
  return std::string(lateral ? "LATERAL " : "") + "TABLE(" + call->ToString() + ")" +
         AliasToString();
}

const char* JoinTypeName(JoinType type) {
  switch (type) {
    case JoinType::kInner: return "JOIN";
    case JoinType::kLeft: return "LEFT JOIN";
    case JoinType::kRight: return "RIGHT JOIN";
    case JoinType::kFull: return "FULL JOIN";
    case JoinType::kCross: return "CROSS JOIN";
  }
  return "?";
}

std::string JoinRef::ToString() const {
  // A comma join only appears at the top of a FROM list, where it needs no parentheses.
  if (comma) return left->ToString() + ", " + right->ToString();
  std::string out = "(" + left->ToString();
  out += comma ? ", " : std::string(" ") + JoinTypeName(join_type) + " ";
  out += right->ToString();
  if (condition) out += " ON " + condition->ToString();
  if (!using_columns.empty()) out += " USING (" + JoinIdentifiers(using_columns, ", ") + ")";
  return out + ")" + AliasToString();
}

}  // namespace sluice::ast
