#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/formats/format_option_reader.h"
#include "runtime/connectors/formats/json_node.h"

namespace sluice::runtime::connectors::formats {

/// The options the JSON formats share (Flink's JsonFormatOptions), each as Flink defaults it.
struct JsonCodecOptions {
  /// `fail-on-missing-field` (false): a field absent from the record is an error, not NULL.
  bool fail_on_missing_field = false;
  /// `ignore-parse-errors` (false): a value that does not convert is NULL instead of an error
  /// (the formats skip, and count, records that do not parse at all).
  bool ignore_parse_errors = false;
  /// `timestamp-format.standard` (SQL): how TIMESTAMP values are written; both are read.
  TimestampStandard timestamp_standard = TimestampStandard::kSql;
  /// `encode.ignore-null-fields` (false): NULL fields are left out of the objects written.
  bool ignore_null_fields = false;
};

/// Reads the shared JSON options among those `reader` holds. `map-null-key.mode`
/// (FAIL | DROP | LITERAL), `map-null-key.literal`, `encode.decimal-as-plain-number` and
/// `decode.json-parser.enabled` are checked but change nothing: Sluice has no MAP type,
/// writes DECIMAL as a plain number always, and has one parser.
base::Result<JsonCodecOptions> ReadJsonCodecOptions(const FormatOptionReader& reader);

/// Reads JSON objects into the slots of a format's fields and writes those slots as objects,
/// for json, changelog-json, debezium-json and canal-json. Keys are the field names. DOUBLE is
/// a number (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"), DECIMAL a
/// number with its scale, TIMESTAMP a string (an integer reads as epoch milliseconds),
/// INTERVAL the string `+D HH:MM:SS.mmm`, ROW a nested object (null when the row is NULL).
class JsonRowCodec {
 public:
  JsonRowCodec(const FormatFields& fields, JsonCodecOptions options);

  size_t field_count() const { return fields_.size(); }
  const std::string& field_name(size_t field) const { return fields_[field].name; }
  const JsonCodecOptions& options() const { return options_; }

  /// Reads the members of `object` into row `row`: unknown keys are ignored, missing keys and
  /// nulls give NULL. A value that does not convert is a kData error "column 'x': …" (NULL
  /// under `ignore-parse-errors`).
  base::Status ReadObject(const JsonNode& object, Batch* batch, int32_t row) const;
  /// Finds field `field`'s member in `object`; null when absent.
  const JsonNode* FindField(const JsonNode& object, size_t field) const;
  /// Reads `node` (null: absent) into the slots of field `field` at row `row`.
  base::Status ReadField(size_t field, const JsonNode* node, Batch* batch, int32_t row) const;
  /// Copies the slots of field `field` from row `from` to row `to` of `batch`.
  void CopyField(size_t field, Batch* batch, int32_t from, int32_t to) const;

  /// Appends the fields of row `row` as a JSON object.
  void AppendObject(const Batch& batch, int32_t row, std::string* out) const;
  /// Appends the fields of row `row` as members of an object being written, each preceded by
  /// a comma unless `*first` (which it then clears).
  void AppendMembers(const Batch& batch, int32_t row, bool* first, std::string* out) const;

 private:
  struct Field {
    std::string name;
    types::LogicalType type;
    size_t slot = 0;  // the first flattened slot of the field's column in the batches
  };

  base::Status AssignValue(const JsonNode* node, const types::LogicalType& type, size_t slot,
                           Batch* batch, int32_t row, const std::string& path) const;
  void AppendValue(const Batch& batch, int32_t row, const types::LogicalType& type, size_t* slot,
                   std::string* out) const;

  std::vector<Field> fields_;
  JsonCodecOptions options_;
};

}  // namespace sluice::runtime::connectors::formats
