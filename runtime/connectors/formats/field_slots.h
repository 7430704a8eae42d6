#pragma once

#include <cstddef>
#include <vector>

#include "runtime/connectors/formats/format.h"

namespace sluice::runtime::connectors::formats {

/// How many flattened slots a value of `type` takes in a batch (a ROW: its own plus its
/// fields').
size_t SlotCount(const types::LogicalType& type);

/// The first flattened slot of each of the format's fields in batches of the table schema.
/// Checks (as a bug) that the fields name columns of the table schema, of the same types.
std::vector<size_t> FieldSlots(const FormatFields& fields);

/// Fields over every column of `schema`, in order: what a format of a whole table reads.
FormatFields AllColumns(const types::Schema& schema);

}  // namespace sluice::runtime::connectors::formats
