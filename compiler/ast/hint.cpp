#include "compiler/ast/hint.h"

namespace sluice::ast {

std::string Hint::ToString() const {
  std::string out = name.ToString();
  if (arguments.empty()) return out;
  out += "(";
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteString(arguments[i]);
  }
  return out + ")";
}

std::string HintsToString(const std::vector<Hint>& hints) {
  if (hints.empty()) return "";
  std::string out = "/*+ ";
  for (size_t i = 0; i < hints.size(); ++i) {
    if (i > 0) out += ", ";
    out += hints[i].ToString();
  }
  return out + " */";
}

}  // namespace sluice::ast
