#include "compiler/ast/identifier.h"

namespace sluice::ast {

namespace {

bool IsPlainWord(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

std::string Identifier::ToString() const {
  if (!quoted && IsPlainWord(name)) return name;
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string QualifiedName::ToString() const {
  return JoinIdentifiers(parts, ".");
}

std::string JoinIdentifiers(const std::vector<Identifier>& identifiers, const char* separator) {
  std::string out;
  for (size_t i = 0; i < identifiers.size(); ++i) {
    if (i > 0) out += separator;
    out += identifiers[i].ToString();
  }
  return out;
}

std::string QuoteString(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace sluice::ast
