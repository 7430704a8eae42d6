#include "compiler/binder/catalog.h"

#include <cctype>

namespace sluice::compiler::binder {

std::string Catalog::Key(const std::string& name) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

bool Catalog::AddTable(const std::string& name, CatalogTable table) {
  std::string key = Key(name);
  if (tables_.count(key) || views_.count(key)) return false;
  tables_.emplace(key, std::move(table));
  spelled_[key] = name;
  return true;
}

bool Catalog::AddView(const std::string& name, CatalogView view) {
  std::string key = Key(name);
  if (tables_.count(key) || views_.count(key)) return false;
  views_.emplace(key, std::move(view));
  spelled_[key] = name;
  return true;
}

bool Catalog::RemoveTable(const std::string& name) {
  if (tables_.erase(Key(name)) == 0) return false;
  spelled_.erase(Key(name));
  return true;
}

bool Catalog::RemoveView(const std::string& name) {
  if (views_.erase(Key(name)) == 0) return false;
  spelled_.erase(Key(name));
  return true;
}

bool Catalog::RemoveFunction(const std::string& name) {
  return functions_.erase(Key(name)) > 0;
}

CatalogTable* Catalog::FindTable(const std::string& name) {
  auto found = tables_.find(Key(name));
  return found == tables_.end() ? nullptr : &found->second;
}

const CatalogView* Catalog::FindView(const std::string& name) const {
  auto found = views_.find(Key(name));
  return found == views_.end() ? nullptr : &found->second;
}

bool Catalog::AddFunction(const std::string& name,
                          std::shared_ptr<const runtime::expr::UserFunction> function) {
  return functions_.emplace(Key(name), std::move(function)).second;
}

std::shared_ptr<const runtime::expr::UserFunction> Catalog::FindFunction(
    const std::string& name) const {
  auto found = functions_.find(Key(name));
  return found == functions_.end() ? nullptr : found->second;
}

std::vector<std::string> Catalog::Names() const {
  std::vector<std::string> names;
  for (const auto& [key, name] : spelled_) names.push_back(name);
  return names;
}

std::vector<std::string> Catalog::TableNames() const {
  std::vector<std::string> names;
  for (const auto& [key, table] : tables_) names.push_back(spelled_.at(key));
  return names;
}

std::vector<std::string> Catalog::ViewNames() const {
  std::vector<std::string> names;
  for (const auto& [key, view] : views_) names.push_back(spelled_.at(key));
  return names;
}

}  // namespace sluice::compiler::binder
