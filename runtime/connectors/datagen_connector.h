#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/datagen_decimal.h"
#include "runtime/connectors/split_mix.h"

namespace sluice::runtime::connectors {

/// How datagen fills one column (`'fields.<column>.*'` options).
struct DatagenField {
  enum class Kind { kRandom, kSequence };
  Kind kind = Kind::kRandom;
  types::LogicalType type;
  /// 'min'/'max' for random numbers: integers and DECIMAL as (unscaled) int64, DOUBLE below.
  int64_t min_integer = 0;
  int64_t max_integer = 0;
  double min_double = 0;
  double max_double = 0;
  /// The unscaled range of a random DECIMAL of precision above 18.
  WideDecimalRange wide_decimal;
  /// 'length' of random VARCHARs (hex characters). Default 100.
  int64_t length = 100;
  /// 'start'/'end' of a sequence, inclusive; the source ends after `end`.
  int64_t start = 0;
  int64_t end = 0;
  /// 'null-rate': probability of NULL for random values. Default 0.
  double null_rate = 0;
  /// ARRAY, MULTISET: the element ('fields.<c>.element.*'); MAP: the key and the value
  /// ('fields.<c>.key.*', 'fields.<c>.value.*'). 'length' is then the number of elements
  /// (Flink's default 3). ROW: one per field ('fields.<c>.<field>.*', as Flink names them).
  std::vector<DatagenField> elements;
};

/// Configures a datagen table from its options (Flink's names, plus 'seed').
struct DatagenConfig {
  /// 'rows-per-second': wall-clock rate across all subtasks; 0 = unlimited. Default 10000.
  double rows_per_second = 10000;
  /// Rows in the whole source: 'number-of-rows', shortened by the shortest sequence; nullopt =
  /// unbounded.
  std::optional<int64_t> row_count;
  /// 'seed': makes every value a pure function of (seed, row number, column) and TIMESTAMPs
  /// 2024-01-01 00:00:00 + row * 1000 / rows-per-second ms (1 ms per row when unlimited).
  /// Without it values come from a random seed and TIMESTAMPs are the current time (Flink).
  std::optional<uint64_t> seed;
  std::vector<DatagenField> fields;  // one per schema column

  static base::Result<DatagenConfig> FromTable(const TableDescriptor& table);
};

/// `'connector' = 'datagen'`: random or sequence values for BOOLEAN, INT, BIGINT, DOUBLE,
/// DECIMAL, VARCHAR and TIMESTAMP columns; random collections and ROWs of them.
class DatagenConnector : public Connector {
 public:
  std::string name() const override { return "datagen"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return false; }
  /// With 'number-of-rows' or a sequence field: the source ends by itself.
  bool CanBeReadCompletely(const TableDescriptor& table) const override;
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
  /// Rows are a pure function of (key, row number), and positions carry the key.
  bool CanReplay(const TableDescriptor&) const override { return true; }
};

/// Reads one subtask's share of a datagen table: blocks of row numbers dealt round-robin.
class DatagenReader : public SourceReader {
 public:
  DatagenReader(DatagenConfig config, const SubtaskInfo& subtask);
  base::Result<bool> Next(Batch* batch) override;
  bool IsBounded() const override { return config_.row_count.has_value(); }
  /// Position: the next block this subtask generates, and the random key (so an unseeded
  /// table continues its own sequence after a restore).
  bool SupportsPosition() const override { return true; }
  std::string Position() const override;
  base::Status Seek(const std::string& position) override;
  /// Also takes the position's random key: an unseeded table replays the sequence it drew.
  base::Status StopAt(const std::string& position) override;
  bool AtStop() const override { return stop_block_ && next_block_ >= *stop_block_; }
  void ClearStop() override;

 private:
  void FillRow(int64_t row_number, int32_t row, Batch* batch) const;
  /// Fills the slots of `field` from `slot` on in row `row` (a ROW's validity, then its
  /// fields', each drawn from `random` in turn); returns the slot after them.
  size_t FillField(const DatagenField& field, int64_t row_number, int32_t row, SplitMix* random,
                   Batch* batch, size_t slot) const;
  /// The encoding of a random collection of `field`'s type (runtime/expr/collection_value.h).
  std::string RandomCollection(const DatagenField& field, int64_t row_number,
                               SplitMix* random) const;
  /// One random scalar of `field`'s type as an integer (BOOLEAN, INT, BIGINT, DECIMAL, DATE,
  /// TIME, TIMESTAMP), a double or text.
  void RandomScalar(const DatagenField& field, int64_t row_number, uint64_t draw, int64_t* integer,
                    double* real, std::string* text) const;

  DatagenConfig config_;
  SubtaskInfo subtask_;
  uint64_t key_;
  int32_t parallelism_;
  int32_t block_size_;
  int64_t next_block_;
  std::optional<int64_t> stop_block_;  // StopAt: the first block not to emit
  int64_t rows_emitted_ = 0;
  std::optional<std::chrono::steady_clock::time_point> started_;  // set by the first poll
  size_t slot_count_ = 0;  // the batch's columns: a ROW column takes several
};

}  // namespace sluice::runtime::connectors
