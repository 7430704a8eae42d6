#include "catalog/types/schema.h"

#include <cctype>

namespace sluice::types {

bool IdentifierEquals(const std::string& left, const std::string& right) {
  if (left.size() != right.size()) return false;
  for (size_t i = 0; i < left.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(left[i])) !=
        std::tolower(static_cast<unsigned char>(right[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<size_t> Schema::Find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (IdentifierEquals(columns[i].name, name)) return i;
  }
  return std::nullopt;
}

std::string Schema::ToString() const {
  std::string out = "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += columns[i].name + " " + columns[i].type.ToString();
  }
  return out + ")";
}

namespace {

void FlattenInto(const std::string& prefix, const LogicalType& type, std::vector<Slot>* out) {
  out->push_back(Slot{prefix, type});
  if (type.id() != TypeId::kRow) return;
  for (const RowField& field : type.fields()) {
    FlattenInto(prefix + "." + field.name, field.type, out);
  }
}

}  // namespace

std::vector<Slot> FlattenSchema(const Schema& schema) {
  std::vector<Slot> slots;
  for (const RowField& column : schema.columns) FlattenInto(column.name, column.type, &slots);
  return slots;
}

std::vector<LogicalType> SlotTypes(const Schema& schema) {
  std::vector<LogicalType> types;
  for (const Slot& slot : FlattenSchema(schema)) types.push_back(slot.type);
  return types;
}

size_t SlotCountOf(const LogicalType& type) {
  if (type.id() != TypeId::kRow) return 1;
  size_t slots = 1;
  for (const RowField& field : type.fields()) slots += SlotCountOf(field.type);
  return slots;
}

std::vector<size_t> FirstSlots(const Schema& schema) {
  std::vector<size_t> firsts;
  size_t slot = 0;
  for (const RowField& column : schema.columns) {
    firsts.push_back(slot);
    slot += FlattenSchema(Schema{{column}}).size();
  }
  return firsts;
}

}  // namespace sluice::types
