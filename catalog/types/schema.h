#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "catalog/types/logical_type.h"

namespace sluice::types {

/// Lists the named, typed columns of a table or an operator's output.
struct Schema {
  std::vector<RowField> columns;

  /// Finds a column by name, case-insensitively as SQL identifiers are matched.
  std::optional<size_t> Find(const std::string& name) const;
  std::string ToString() const;
};

/// One leaf (or ROW validity) slot of a schema flattened for a columnar batch.
struct Slot {
  std::string path;  // "price", "bid.price"
  LogicalType type;  // a ROW slot carries only validity; its fields follow it as slots
};

/// Flattens a schema depth-first: a ROW column becomes its own validity slot followed by the
/// slots of its fields. A batch has one column per slot, so `bid.price` is a plain column.
std::vector<Slot> FlattenSchema(const Schema& schema);
/// The types of FlattenSchema's slots: what a batch of the schema is built with.
std::vector<LogicalType> SlotTypes(const Schema& schema);
/// The slots a value of `type` takes: one, plus its fields' for a ROW.
size_t SlotCountOf(const LogicalType& type);
/// For each top-level column, the index of its first flattened slot.
std::vector<size_t> FirstSlots(const Schema& schema);

/// Compares identifiers the way SQL does (ASCII case-insensitive).
bool IdentifierEquals(const std::string& left, const std::string& right);

}  // namespace sluice::types
