#pragma once

#include <cstdint>
#include <string>

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::connectors::formats {

/// Tells whether `rows` more rows fit in `batch`.
inline bool HasRoomFor(const Batch& batch, int64_t rows) {
  return batch.row_count() + rows <= kBatchCapacity;
}

/// The error for `rows` rows that do not fit in `batch`: the one NeedsEmptyBatch recognizes
/// if they would fit an empty batch, else a kData error saying the record holds more rows
/// than a batch (`what` names the record: "a canal-json INSERT event").
base::Status NoRoomFor(const Batch& batch, int64_t rows, const std::string& what);

/// Sets the row kind of `row`, turning the batch's row kinds on unless it is an insert into
/// a batch without them.
inline void SetRowKind(Batch* batch, int32_t row, RowKind kind) {
  if (kind == RowKind::kInsert && !batch->has_row_kinds()) return;
  batch->EnableRowKinds()[row] = static_cast<uint8_t>(kind);
}

}  // namespace sluice::runtime::connectors::formats
