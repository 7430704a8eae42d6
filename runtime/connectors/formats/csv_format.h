#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors::formats {

/// How CSV records are written and split: Flink's `csv.*` options, each with its default.
struct CsvDialect {
  /// `field-delimiter` (`,`): one character; `\t` (backslash, t) names a tab.
  char field_delimiter = ',';
  /// `quote-character` (`"`); none with `disable-quote-character` = 'true'. Inside a quoted
  /// field the quote is doubled.
  std::optional<char> quote = '"';
  /// `escape-character` (none): makes the character after it literal, in or out of quotes.
  std::optional<char> escape;
  /// `allow-comments` (false): a record starting with `#` is a comment and decodes into no rows.
  bool allow_comments = false;
  /// `null-literal` (none): a field of this text is NULL, and NULL is written as it. Without
  /// it, an empty unquoted field is NULL and an empty string is written as `""`.
  std::optional<std::string> null_literal;
  /// `array-element-delimiter` (`;`): separates the elements of an ARRAY column and the fields
  /// of a ROW column inside one field (Flink's; elements are not quoted or escaped).
  std::string array_element_delimiter = ";";

  /// Tells whether `record` ends inside a quoted field, so that the next line continues it.
  bool EndsInsideQuotes(std::string_view record) const;
  /// Splits one record into fields: nullopt for NULL (an empty unquoted field, or the null
  /// literal). A malformed record is a kData error saying what is wrong (the caller adds where).
  base::Result<std::vector<std::optional<std::string>>> SplitRecord(std::string_view record) const;
  /// Appends one field's text, quoted or escaped where it must be to read back.
  void AppendField(std::string_view text, std::string* out) const;
};

/// `'format' = 'csv'`: RFC 4180 records (by default) whose fields are the text forms of the
/// values, in the order of the format's fields (SEMANTICS.md casts to and from VARCHAR). As
/// Flink's CSV format, an ARRAY of scalars and a ROW of scalar fields are one field, their
/// elements (fields) joined by `array-element-delimiter`, an empty element being NULL; MAP,
/// MULTISET and deeper nesting (ARRAY<ROW>, ROW<ARRAY>) are refused. The same text forms serve
/// the `values` connector, the `print` sink and the JSON formats, so they live here too.
///
/// Options: those of CsvDialect, `ignore-parse-errors` (false: a record that does not split
/// into one field per column, or a field that does not convert, fails the job; with it the
/// record is skipped and counted), `array-element-delimiter` (`;`) and
/// `write-bigdecimal-in-scientific-notation` (checked, no effect: DECIMAL is written as a plain
/// number).
class CsvFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  /// Creates the format (its type, for the filesystem's header and multi-line records).
  static base::Result<std::unique_ptr<CsvFormat>> Create(const FormatFields& fields,
                                                         const FormatOptions& options,
                                                         const std::string& prefix);

  CsvFormat(const FormatFields& fields, CsvDialect dialect, bool ignore_parse_errors);

  std::string name() const override { return "csv"; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  int64_t skipped_records() const override { return skipped_records_.load(); }

  const CsvDialect& dialect() const { return dialect_; }
  /// Appends the field names as a header record (without a line break).
  void AppendHeader(std::string* out) const;

  /// Appends the text form of a non-NULL value of a non-ROW slot: CAST(x AS VARCHAR), except
  /// BOOLEAN as `true`/`false` (as Flink writes it). `instant`: the slot is a TIMESTAMP_LTZ,
  /// written in UTC with a `Z` (Flink's form).
  static void AppendValue(const Column& column, int32_t row, std::string* out,
                          bool instant = false);
  /// Parses `text` as a value of the column's type into `row` (CAST from VARCHAR; INTERVAL in
  /// its `+D HH:MM:SS.mmm` form); returns false and leaves the row NULL when it does not parse.
  static bool ParseValue(std::string_view text, Column* column, int32_t row, Arena* arena);
  /// Marks `row` NULL and zeroes its value, as writers must.
  static void SetNull(Column* column, int32_t row);

 private:
  base::Status DecodeFields(std::string_view record, Batch* batch, int32_t row) const;
  /// Reads an ARRAY or ROW field's text into its slot(s); false when an element does not parse.
  bool ParseNested(std::string_view text, size_t index, Batch* batch, int32_t row) const;
  /// Appends an ARRAY or ROW field's text, its elements joined by the array delimiter.
  void AppendNested(const Batch& batch, size_t index, int32_t row, std::string* out) const;
  /// Appends the text of one non-NULL element of a collection.
  void AppendItem(const expr::Item& item, const types::LogicalType& type, std::string* out) const;

  std::vector<std::string> names_;
  std::vector<size_t> slots_;
  std::vector<bool> instants_;             // per field: a TIMESTAMP_LTZ
  std::vector<types::LogicalType> types_;  // per field
  CsvDialect dialect_;
  bool ignore_parse_errors_;
  mutable std::atomic<int64_t> skipped_records_{0};
};

}  // namespace sluice::runtime::connectors::formats
