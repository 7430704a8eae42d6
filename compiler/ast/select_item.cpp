#include "compiler/ast/select_item.h"

namespace sluice::ast {

std::string SelectItem::ToString() const {
  std::string out = expression->ToString();
  if (alias.has_value()) out += " AS " + alias->ToString();
  return out;
}

}  // namespace sluice::ast
