#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::connectors {

/// Reads and writes RFC 4180 CSV records whose fields are the text forms of values
/// (SEMANTICS.md casts to and from VARCHAR). The same text forms serve the `values` connector,
/// the `print` sink and JSON strings, so they live here too.
class CsvFormat {
 public:
  /// Appends the text form of a non-NULL value of a non-ROW slot: CAST(x AS VARCHAR), except
  /// BOOLEAN as `true`/`false` (as Flink writes it).
  static void AppendValue(const Column& column, int32_t row, std::string* out);
  /// Parses `text` as a value of the column's type into `row` (CAST from VARCHAR; INTERVAL in
  /// its `+D HH:MM:SS.mmm` form); returns false and leaves the row NULL when it does not parse.
  static bool ParseValue(std::string_view text, Column* column, int32_t row, Arena* arena);
  /// Marks `row` NULL and zeroes its value, as writers must.
  static void SetNull(Column* column, int32_t row);

  /// Appends row `row` of a batch without ROW columns as one record ending in '\n': NULL as an
  /// empty field, an empty string as `""`, fields with a comma, quote or line break quoted.
  static void AppendRecord(const Batch& batch, int32_t row, std::string* out);
  /// Appends the column names as a header record.
  static void AppendHeader(const types::Schema& schema, std::string* out);

  /// Tells whether `record` ends inside a quoted field, so that the next line continues it.
  static bool EndsInsideQuotes(std::string_view record);
  /// Splits one record into fields: nullopt for an empty unquoted field (NULL). A malformed
  /// record is a kData error saying what is wrong (the caller adds where).
  static base::Result<std::vector<std::optional<std::string>>> SplitRecord(std::string_view record);
};

}  // namespace sluice::runtime::connectors
