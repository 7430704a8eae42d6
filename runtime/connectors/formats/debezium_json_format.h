#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/formats/json_row_codec.h"

namespace sluice::runtime::connectors::formats {

/// `'format' = 'debezium-json'`: Debezium's change events, as Flink reads and writes them.
///
/// A record is `{"before": {…}, "after": {…}, "op": "c|r|u|d", …}` (other keys, such as
/// `source` and `ts_ms`, ignored): `c` and `r` (a snapshot read) decode into +I of `after`,
/// `u` into -U of `before` and +U of `after`, `d` into -D of `before`. An update or delete
/// without `before` is an error (Postgres sends it only with REPLICA IDENTITY FULL). A null
/// record (the tombstone Debezium sends after a delete) and a record with neither `op` nor
/// `before`/`after` (a heartbeat) decode into no rows.
///
/// Encoding writes one record per row, as Flink's DebeziumJsonSerializationSchema: +I and
/// +U as `{"before":null,"after":{…},"op":"c"}`, -U and -D as
/// `{"before":{…},"after":null,"op":"d"}`.
///
/// Options: `schema-include` (false: with it, a record is `{"schema":…,"payload":{…}}`, as
/// Kafka Connect writes with `value.converter.schemas.enable`; reading only, as in Flink),
/// `ignore-parse-errors` (false: a record that is not a valid event is skipped and counted,
/// a value that does not convert is NULL), `timestamp-format.standard` (`SQL`), and
/// `map-null-key.mode`, `map-null-key.literal`, `encode.decimal-as-plain-number` (checked,
/// no effect).
class DebeziumJsonFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  static base::Result<std::unique_ptr<Format>> Create(const FormatFields& fields,
                                                      const FormatOptions& options,
                                                      const std::string& prefix);

  DebeziumJsonFormat(const FormatFields& fields, JsonCodecOptions options, bool schema_include,
                     std::string schema_include_option);

  std::string name() const override { return "debezium-json"; }
  bool IsChangelog() const override { return true; }
  int32_t MaxRowsPerRecord() const override { return 2; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  base::Status CheckEncodable() const override;
  int64_t skipped_records() const override { return skipped_records_.load(); }

 private:
  base::Status DecodeEvent(std::string_view record, Batch* batch) const;

  JsonRowCodec codec_;
  bool schema_include_;
  std::string schema_include_option_;  // as the table spells it, for errors
  mutable std::atomic<int64_t> skipped_records_{0};
};

}  // namespace sluice::runtime::connectors::formats
