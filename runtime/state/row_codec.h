#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/status.h"
#include "catalog/types/logical_type.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::state {

/// Encodes chosen slots of a batch row as bytes and decodes them back: the format of state
/// keys and values. Equal values give equal bytes (so encoded keys can be compared and hashed
/// as bytes; DOUBLE -0.0 is normalized to 0.0 and every NaN to one NaN), NULLs included.
/// Strings are copied in, so encoded rows never point into a batch.
///
/// Format, per slot in order: one marker byte (0 = NULL, then nothing; 1 = a value), then the
/// value: BOOLEAN one byte 0/1, INT 4 bytes, BIGINT/DECIMAL(p <= 18)/TIMESTAMP/INTERVAL 8 bytes,
/// DECIMAL(p > 18) 16 bytes (the __int128 unscaled value), DOUBLE its 8 IEEE bytes (normalized
/// as above), all little-endian; VARCHAR a LEB128 varint length
/// then the bytes. The bytes are NOT order-preserving: compare decoded values, not encodings.
/// Decode rejects (kData) truncated input, bad markers, a BOOLEAN byte other than 0/1 and
/// trailing bytes after the last slot: `bytes` must be exactly one encoded row.
class RowCodec {
 public:
  /// `types` are the types of the slots this codec encodes, in order (no ROW types).
  explicit RowCodec(std::vector<types::LogicalType> types);

  /// Appends the encoding of `slots` (one per type) of `row` in `batch` to `out`.
  void Encode(const Batch& batch, const std::vector<int32_t>& slots, int32_t row,
              std::string* out) const;
  /// Decodes one encoded row into `out` at `row`, into columns [first_column, ...): strings
  /// are copied into `out`'s arena. Returns a kData error (never aborts) on truncated or
  /// malformed bytes; a NULL slot is written as validity 0 and a zeroed value.
  base::Status Decode(std::string_view bytes, Batch* out, int32_t row, size_t first_column) const;

  const std::vector<types::LogicalType>& types() const { return types_; }

 private:
  std::vector<types::LogicalType> types_;
};

}  // namespace sluice::runtime::state
