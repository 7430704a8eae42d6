#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/formats/json_row_codec.h"

namespace sluice::runtime::connectors::formats {

/// `'format' = 'json'`: one JSON object per record, keyed by field name (JsonRowCodec has the
/// value forms).
///
/// Options (Flink's): `fail-on-missing-field` (false), `ignore-parse-errors` (false: a record
/// that is not a JSON object fails the job; with it, such a record is skipped and counted,
/// and a value that does not convert is NULL), `timestamp-format.standard` (`SQL`: writes
/// `2024-01-02 03:04:05.678`; `ISO-8601` writes a `T` between date and time; both are read),
/// `encode.ignore-null-fields` (false), and `map-null-key.mode`, `map-null-key.literal`,
/// `encode.decimal-as-plain-number`, `decode.json-parser.enabled` (checked, no effect).
class JsonFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  static base::Result<std::unique_ptr<Format>> Create(const FormatFields& fields,
                                                      const FormatOptions& options,
                                                      const std::string& prefix);

  /// The format of every column of `schema`, with the default options.
  explicit JsonFormat(const types::Schema& schema);
  JsonFormat(const FormatFields& fields, JsonCodecOptions options);

  std::string name() const override { return "json"; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  int64_t skipped_records() const override { return skipped_records_.load(); }

  /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped,
  /// valid UTF-8 passed through, invalid bytes replaced by U+FFFD.
  static void AppendString(std::string_view text, std::string* out);

 private:
  JsonRowCodec codec_;
  mutable std::atomic<int64_t> skipped_records_{0};
};

}  // namespace sluice::runtime::connectors::formats
