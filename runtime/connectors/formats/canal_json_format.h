#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/formats/json_row_codec.h"

namespace re2 {
class RE2;
}

namespace sluice::runtime::connectors::formats {

/// `'format' = 'canal-json'`: Alibaba Canal's change events, as Flink reads and writes them.
///
/// A record is `{"data":[{…},…],"old":[{…},…],"type":"INSERT|UPDATE|DELETE","database":…,
/// "table":…,…}`; each element of `data` is a row: INSERT gives +I rows, DELETE -D rows, and
/// UPDATE a -U and a +U row per element, where `old[i]` holds the old values of the fields
/// that changed (the -U row is `data[i]` with the keys of `old[i]` overwritten). DDL events
/// (`"isDdl": true`, or type CREATE) decode into no rows, and so does a null record.
///
/// One record can hold many rows, so MaxRowsPerRecord is a whole batch: a caller that packs
/// records into a batch gets NeedsEmptyBatch for one that does not fit, and a record of more
/// rows than a batch holds (more than 1024 inserted or deleted rows, 512 updated ones) is an
/// error (skipped and counted under `ignore-parse-errors`).
///
/// Encoding writes one record per row, as Flink's CanalJsonSerializationSchema:
/// `{"data":[{…}],"type":"INSERT"}` for +I and +U, `"DELETE"` for -U and -D.
///
/// Options: `ignore-parse-errors` (false: a record that is not a valid event is skipped and
/// counted, a value that does not convert is NULL), `timestamp-format.standard` (`SQL`),
/// `database.include` and `table.include` (regular expressions the whole `database` /
/// `table` must match; other records decode into no rows), `map-null-key.mode`,
/// `map-null-key.literal`, `encode.decimal-as-plain-number` (checked, no effect).
class CanalJsonFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  static base::Result<std::unique_ptr<Format>> Create(const FormatFields& fields,
                                                      const FormatOptions& options,
                                                      const std::string& prefix);

  CanalJsonFormat(const FormatFields& fields, JsonCodecOptions options,
                  std::unique_ptr<re2::RE2> database_include,
                  std::unique_ptr<re2::RE2> table_include);
  ~CanalJsonFormat() override;

  std::string name() const override { return "canal-json"; }
  bool IsChangelog() const override { return true; }
  int32_t MaxRowsPerRecord() const override { return kBatchCapacity; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  int64_t skipped_records() const override { return skipped_records_.load(); }

 private:
  base::Status DecodeEvent(std::string_view record, Batch* batch) const;
  bool Included(const JsonNode& root) const;

  JsonRowCodec codec_;
  std::unique_ptr<re2::RE2> database_include_;  // null: every database
  std::unique_ptr<re2::RE2> table_include_;     // null: every table
  mutable std::atomic<int64_t> skipped_records_{0};
};

}  // namespace sluice::runtime::connectors::formats
