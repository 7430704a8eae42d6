#include "runtime/connectors/formats/field_slots.h"

#include "catalog/base/check.h"

namespace sluice::runtime::connectors::formats {

size_t SlotCount(const types::LogicalType& type) {
  if (type.id() != types::TypeId::kRow) return 1;
  size_t count = 1;
  for (const types::RowField& field : type.fields()) count += SlotCount(field.type);
  return count;
}

std::vector<size_t> FieldSlots(const FormatFields& fields) {
  const std::vector<types::RowField>& columns = fields.table_schema.columns;
  std::vector<size_t> first_slots;
  size_t slot = 0;
  for (const types::RowField& column : columns) {
    first_slots.push_back(slot);
    slot += SlotCount(column.type);
  }
  SLUICE_CHECK(fields.columns.size() == fields.fields.columns.size(),
               "format fields: {} columns for {} fields", fields.columns.size(),
               fields.fields.columns.size());
  std::vector<size_t> slots;
  for (size_t index = 0; index < fields.columns.size(); ++index) {
    size_t column = fields.columns[index];
    SLUICE_CHECK(column < columns.size(), "format field {} names column {} of {}", index, column,
                 columns.size());
    SLUICE_CHECK(columns[column].type == fields.fields.columns[index].type,
                 "format field '{}' is {}, its column {}", fields.fields.columns[index].name,
                 fields.fields.columns[index].type.ToString(), columns[column].type.ToString());
    slots.push_back(first_slots[column]);
  }
  return slots;
}

FormatFields AllColumns(const types::Schema& schema) {
  FormatFields fields;
  fields.fields = schema;
  fields.table_schema = schema;
  for (size_t index = 0; index < schema.columns.size(); ++index) fields.columns.push_back(index);
  return fields;
}

}  // namespace sluice::runtime::connectors::formats
