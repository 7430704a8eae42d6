#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::connectors::formats {

// One interface for every `'format'` a connector reads or writes (`json`, `csv`, `raw`,
// `changelog-json`, `debezium-json`, `canal-json`), shared by the filesystem and Kafka
// connectors: a record's bytes (a Kafka message's key or value, one record of a file)
// become rows of some of a table's columns, and rows become bytes.

/// Where a format's fields live in the batches a connector reads and writes.
struct FormatFields {
  /// The fields the format reads and writes, in order (for `csv`, the order of the record's
  /// fields; for `json`, the keys), with their types; ROW fields allowed where the format
  /// allows them.
  types::Schema fields;
  /// For each field, the index of the top-level column it is in the table's schema: the
  /// batches passed to Decode and Encode have one column per flattened slot of that schema
  /// (`table_schema`), and the format reads and writes only the slots of its fields.
  std::vector<size_t> columns;
  types::Schema table_schema;
};

/// A format's options, from the table's `WITH` options with the prefix stripped: for
/// `'format' = 'json'` the key `json.ignore-parse-errors` is passed as `ignore-parse-errors`;
/// for Kafka's `'value.format' = 'json'` the key `value.json.ignore-parse-errors` too.
using FormatOptions = std::map<std::string, std::string>;

class Format {
 public:
  virtual ~Format() = default;
  /// The format's name as in `'format' = '…'`.
  virtual std::string name() const = 0;
  /// Whether decoded rows carry row kinds (debezium-json, canal-json, changelog-json): the
  /// table is an updating source. Encode then writes the row kind too.
  virtual bool IsChangelog() const { return false; }
  /// How many rows one record can decode into at most (2 for an update's -U and +U;
  /// kBatchCapacity for canal-json, whose records hold any number of rows); a caller that
  /// decodes into a batch with at least this much room left never meets NeedsEmptyBatch.
  virtual int32_t MaxRowsPerRecord() const { return 1; }

  /// Decodes one record into rows appended to `batch` from row `batch->row_count()` on, and
  /// advances the row count: zero rows for a record the format skips (a parse error under
  /// `ignore-parse-errors`, a debezium heartbeat), several for a changelog update. Only the
  /// slots of the format's fields are written (fields missing from the record are NULL);
  /// the caller fills the table's other columns of the rows appended. A record that cannot
  /// be decoded is a kData error saying what is wrong (the caller adds where: the file and
  /// line, the topic, partition and offset) and appends nothing. `record` nullopt: a null
  /// Kafka value (a tombstone), which a format without deletes decodes as zero rows.
  ///
  /// A caller may also decode with less room left than MaxRowsPerRecord, to pack records
  /// that are usually small (canal-json's) into full batches: when the record's rows do not
  /// fit, Decode appends nothing and returns the kData error NeedsEmptyBatch recognizes; the
  /// caller then hands the batch on and decodes the same record again into an empty batch.
  /// A record with more rows than an empty batch holds is an ordinary kData error.
  virtual base::Status Decode(std::optional<std::string_view> record, Batch* batch) const = 0;
  /// Appends row `row` of `batch` (one column per slot of the table schema) as one record
  /// (without a line break). A changelog format writes the row kind; an insert-only one
  /// fails with kPlan on a row that is not +I or +U (the planner keeps updating rows away
  /// from insert-only formats, so this is an internal error).
  virtual base::Status Encode(const Batch& batch, int32_t row, std::string* out) const = 0;
  /// Whether Encode works with these options: a kOption error naming the option when not
  /// (`debezium-json.schema-include` = 'true', which Flink cannot write either). A sink
  /// checks it when it validates its table; Encode fails the same way.
  virtual base::Status CheckEncodable() const { return base::Status::Ok(); }
  /// Whether row `row` is a null record (no bytes at all, a Kafka tombstone) rather than
  /// what Encode appends: `raw` writes a NULL value so. Encode appends nothing for it.
  virtual bool EncodesAsNull(const Batch& batch, int32_t row) const { return false; }
  /// How many rows Decode skipped under `ignore-parse-errors` so far (counted, not lost
  /// silently: connectors report them).
  virtual int64_t skipped_records() const { return 0; }
};

/// Whether `status` is Decode's "the record's rows do not fit in the room this batch has
/// left: decode it again into an empty batch" (a kData error with its own subject).
bool NeedsEmptyBatch(const base::Status& status);

/// The format option keys `format` knows (without prefix), for CheckKnown and suggestions.
std::vector<std::string> FormatOptionKeys(const std::string& format);
/// The names of the formats, for errors ("expected one of …").
std::vector<std::string> FormatNames();
/// Creates `format` over `fields`, checking its options; errors name the option (with the
/// `prefix` the table spells it with, e.g. `value.json.`) and the reason.
base::Result<std::unique_ptr<Format>> CreateFormat(const std::string& format,
                                                   const FormatFields& fields,
                                                   const FormatOptions& options,
                                                   const std::string& prefix);

}  // namespace sluice::runtime::connectors::formats
