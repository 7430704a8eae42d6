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

std::string PatternTerm::ToString() const {
  std::string out;
  switch (kind) {
    case Kind::kVariable: out = variable.ToString(); break;
    case Kind::kConcatenation:
    case Kind::kAlternation: {
      out = "(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += kind == Kind::kAlternation ? " | " : " ";
        out += children[i].ToString();
      }
      out += ")";
      break;
    }
  }
  if (!quantified) return out;
  if (min == 0 && max == -1) {
    out += "*";
  } else if (min == 1 && max == -1) {
    out += "+";
  } else if (min == 0 && max == 1) {
    out += "?";
  } else if (min == max) {
    out += "{" + std::to_string(min) + "}";
  } else {
    out += "{" + std::to_string(min) + "," + (max < 0 ? "" : std::to_string(max)) + "}";
  }
  return reluctant ? out + "?" : out;
}

std::string MatchRecognizeRef::ToString() const {
  std::string out = input->ToString() + " MATCH_RECOGNIZE (";
  if (!partition_by.empty()) {
    out += "PARTITION BY ";
    for (size_t i = 0; i < partition_by.size(); ++i) {
      out += (i ? ", " : "") + partition_by[i]->ToString();
    }
    out += " ";
  }
  if (!order_by.empty()) {
    out += "ORDER BY ";
    for (size_t i = 0; i < order_by.size(); ++i) out += (i ? ", " : "") + order_by[i].ToString();
    out += " ";
  }
  if (!measures.empty()) {
    out += "MEASURES ";
    for (size_t i = 0; i < measures.size(); ++i) {
      out += (i ? ", " : "") + measures[i].expression->ToString() + " AS " +
             measures[i].name.ToString();
    }
    out += " ";
  }
  out += all_rows ? "ALL ROWS PER MATCH " : "ONE ROW PER MATCH ";
  switch (skip) {
    case SkipKind::kPastLastRow: out += "AFTER MATCH SKIP PAST LAST ROW "; break;
    case SkipKind::kToNextRow: out += "AFTER MATCH SKIP TO NEXT ROW "; break;
    case SkipKind::kToFirst:
      out += "AFTER MATCH SKIP TO FIRST " + skip_variable.ToString() + " ";
      break;
    case SkipKind::kToLast:
      out += "AFTER MATCH SKIP TO LAST " + skip_variable.ToString() + " ";
      break;
  }
  out += "PATTERN " + pattern.ToString();
  if (within) out += " WITHIN " + within->ToString();
  out += " DEFINE ";
  for (size_t i = 0; i < defines.size(); ++i) {
    out += (i ? ", " : "") + defines[i].variable.ToString() + " AS " +
           defines[i].condition->ToString();
  }
  return out + ")" + AliasToString();
}

}  // namespace sluice::ast
