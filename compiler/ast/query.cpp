#include "compiler/ast/query.h"

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

std::string Query::Wrap(const std::string& body) const {
  std::string out;
  if (!with.empty()) {
    out += "WITH ";
    for (size_t i = 0; i < with.size(); ++i) {
      if (i > 0) out += ", ";
      out += with[i].name.ToString();
      if (!with[i].columns.empty()) out += "(" + JoinIdentifiers(with[i].columns, ", ") + ")";
      out += " AS (" + with[i].query->ToString() + ")";
    }
    out += " ";
  }
  out += body;
  if (!order_by.empty()) {
    out += " ORDER BY ";
    for (size_t i = 0; i < order_by.size(); ++i) {
      if (i > 0) out += ", ";
      out += order_by[i].ToString();
    }
  }
  if (limit) out += " LIMIT " + limit->ToString();
  if (offset) out += " OFFSET " + offset->ToString();
  return out;
}

std::string SelectQuery::ToString() const {
  std::string out = "SELECT ";
  if (!hints.empty()) out += HintsToString(hints) + " ";
  if (distinct) out += "DISTINCT ";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i].ToString();
  }
  if (from) out += " FROM " + from->ToString();
  if (where) out += " WHERE " + where->ToString();
  if (!group_by.empty()) {
    out += " GROUP BY ";
    for (size_t i = 0; i < group_by.size(); ++i) {
      if (i > 0) out += ", ";
      out += group_by[i]->ToString();
    }
  }
  if (having) out += " HAVING " + having->ToString();
  for (size_t i = 0; i < windows.size(); ++i) {
    out += (i == 0 ? " WINDOW " : ", ") + windows[i].name.ToString() + " AS (" +
           windows[i].specification->ToString() + ")";
  }
  return Wrap(out);
}

const char* SetOperationName(SetOperation operation) {
  switch (operation) {
    case SetOperation::kUnion: return "UNION";
    case SetOperation::kIntersect: return "INTERSECT";
    case SetOperation::kExcept: return "EXCEPT";
  }
  return "?";
}

std::string SetOperationQuery::ToString() const {
  return Wrap("(" + left->ToString() + ") " + SetOperationName(operation) + " " +
              (all ? "ALL " : "") + "(" + right->ToString() + ")");
}

std::string ValuesQuery::ToString() const {
  std::string out = "VALUES ";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) out += ", ";
    out += "(";
    for (size_t i = 0; i < rows[r].size(); ++i) {
      if (i > 0) out += ", ";
      out += rows[r][i]->ToString();
    }
    out += ")";
  }
  return Wrap(out);
}

std::string FromQuery::ToString() const {
  return Wrap("FROM " + from->ToString());
}

std::string PipeQuery::ToString() const {
  std::string out = input->ToString();
  for (const PipeOperatorPtr& op : operators) out += " " + op->ToString();
  return Wrap(out);
}

}  // namespace sluice::ast
