#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/types/logical_type.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::operators::aggregate {

/// Encodes the values that FIRST_VALUE, LAST_VALUE, LISTAGG and LAG keep in their section:
/// a list of entries in arrival order, each a u8 flag (0: NULL, 1: a value), then for a value
/// a varint length and the bytes: a VARCHAR's bytes, or 8 bytes little-endian for every
/// fixed-width type (BOOLEAN 0/1, INT widened, DOUBLE its bits, DECIMAL its unscaled value),
/// but 16 bytes little-endian for a DECIMAL of precision above 18.
class ValueList {
 public:
  /// Appends row `row` of `column` (NULL or a value) as one entry.
  static void AppendEntry(const Column& column, int32_t row, std::string* out);
  /// Appends a NULL entry.
  static void AppendNull(std::string* out);
  /// Reads the entry at `*position` into `entry` (the whole entry's bytes) and `value` (the
  /// value's bytes), sets `present`, and moves past it; false at the end or when corrupt.
  static bool Next(std::string_view payload, size_t* position, std::string_view* entry,
                   std::string_view* value, bool* present);
  /// Tells whether `payload` is a well-formed list.
  static bool Valid(std::string_view payload);
  /// The number of entries of a valid payload.
  static int64_t Size(std::string_view payload);
  /// Reads a fixed-width value's 8 bytes.
  static int64_t FixedValue(std::string_view value);
  /// Reads a DECIMAL's unscaled value: 8 bytes (sign-extended) or 16.
  static __int128 DecimalValue(std::string_view value);
};

}  // namespace sluice::runtime::operators::aggregate
