#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/status.h"
#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::connectors {

/// Writes the rows of a table as one JSON object per line and parses such lines back.
/// Keys are column names; DOUBLE is a number (NaN and infinities as the strings "NaN",
/// "Infinity", "-Infinity"), DECIMAL a number with its scale, TIMESTAMP the string
/// `YYYY-MM-DD HH:MM:SS.mmm`, ROW a nested object (null when the row is NULL).
class JsonFormat {
 public:
  explicit JsonFormat(types::Schema schema);

  /// Appends row `row` of `batch` (one column per flattened slot) as a JSON object and '\n';
  /// with `with_row_kind` the first key is `"op"` holding `+I`, `-U`, `+U` or `-D`.
  void AppendRecord(const Batch& batch, int32_t row, bool with_row_kind, std::string* out) const;

  /// Parses one JSON object into row `row` of `batch`: unknown keys are ignored, missing keys
  /// and JSON nulls give NULL. A malformed line is a kData error saying what is wrong (the
  /// caller adds the file and line).
  base::Status ParseRecord(std::string_view line, Batch* batch, int32_t row) const;

  /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped,
  /// valid UTF-8 passed through, invalid bytes replaced by U+FFFD.
  static void AppendString(std::string_view text, std::string* out);

 private:
  types::Schema schema_;
  std::vector<size_t> first_slots_;  // the flattened slot of each top-level column
};

}  // namespace sluice::runtime::connectors
