#include "runtime/connectors/datagen_connector.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/option_reader.h"
#include "runtime/connectors/split_mix.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"

namespace sluice::runtime::connectors {

namespace {

// 2024-01-01 00:00:00 UTC: where seeded TIMESTAMP columns start.
constexpr int64_t kSeededTimestampBase = 1704067200000;
constexpr const char* kFieldOptions[] = {"kind",  "min", "max",      "length",
                                         "start", "end", "null-rate"};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int64_t PowerOfTen(int32_t exponent) {
  int64_t value = 1;
  for (int32_t i = 0; i < exponent; ++i) value *= 10;
  return value;
}

bool Generatable(types::TypeId id) {
  switch (id) {
    case types::TypeId::kBoolean:
    case types::TypeId::kInt:
    case types::TypeId::kBigint:
    case types::TypeId::kDouble:
    case types::TypeId::kDecimal:
    case types::TypeId::kVarchar:
    case types::TypeId::kTimestamp:
    case types::TypeId::kDate:
    case types::TypeId::kTime:
    case types::TypeId::kArray:
    case types::TypeId::kMap:
    case types::TypeId::kMultiset:
    case types::TypeId::kRow:
    case types::TypeId::kBinary: return true;
    default: return false;
  }
}

// Random DECIMALs up to precision 18 are drawn as int64 unscaled values (wider ones by
// datagen_decimal.h).
constexpr int32_t kMaxDecimalDigits = 18;

// Reads the `fields.<column>.*` options of one column into `field`.
base::Status ReadField(const OptionReader& options, const types::RowField& column,
                       DatagenField* field) {
  const std::string prefix = "fields." + Lower(column.name) + ".";
  auto key = [&](const char* name) { return prefix + name; };
  const types::TypeId id = column.type.id();
  field->type = column.type;
  if (!Generatable(id)) {
    return options.TableError("datagen cannot generate column '" + column.name + "' of type " +
                              column.type.ToString() +
                              " (supported: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL, VARCHAR, "
                              "BYTES, TIMESTAMP, DATE, TIME and ARRAY, MAP, MULTISET, ROW of "
                              "them)");
  }
  if (id == types::TypeId::kRow) {
    // Flink's: each field drawn at random by its own options, 'fields.<c>.<field>.*'; the row
    // is NULL at 'fields.<c>.null-rate'.
    for (const char* name : {"kind", "min", "max", "length", "start", "end"}) {
      if (options.Has(key(name))) {
        return options.InvalidValue(key(name), std::string("'") + name +
                                                   "' does not apply to a ROW; set it "
                                                   "on its fields, '" +
                                                   prefix + "<field>." + name + "'");
      }
    }
    SLUICE_ASSIGN_OR_RETURN(field->null_rate, options.GetDouble(key("null-rate"), 0, 0));
    if (field->null_rate > 1) return options.InvalidValue(key("null-rate"), "must be at most 1");
    for (const types::RowField& row_field : column.type.fields()) {
      DatagenField element;
      SLUICE_RETURN_IF_ERROR(ReadField(
          options, types::RowField{column.name + "." + row_field.name, row_field.type}, &element));
      if (element.kind == DatagenField::Kind::kSequence) {
        return options.InvalidValue("fields." + Lower(column.name + "." + row_field.name) + ".kind",
                                    "a ROW's fields are generated at random");
      }
      field->elements.push_back(std::move(element));
    }
    return base::Status::Ok();
  }
  if (column.type.IsCollection()) {
    // Flink's: 'length' elements (default 3), each from 'fields.<c>.element.*' (a MAP's from
    // 'fields.<c>.key.*' and 'fields.<c>.value.*').
    if (Lower(options.GetString(key("kind")).value_or("random")) != "random") {
      return options.InvalidValue(key("kind"), "a collection is generated at random");
    }
    for (const char* name : {"min", "max", "start", "end"}) {
      if (options.Has(key(name))) {
        return options.InvalidValue(
            key(name), std::string("'") + name + "' does not apply to " + column.type.ToString() +
                           "; set it on '" + prefix +
                           (id == types::TypeId::kMap ? "key." : "element.") + name + "'");
      }
    }
    SLUICE_ASSIGN_OR_RETURN(field->null_rate, options.GetDouble(key("null-rate"), 0, 0));
    if (field->null_rate > 1) return options.InvalidValue(key("null-rate"), "must be at most 1");
    SLUICE_ASSIGN_OR_RETURN(field->length, options.GetInt(key("length"), 3, 0, 10000));
    std::vector<std::pair<const char*, types::LogicalType>> parts;
    if (id == types::TypeId::kMap) {
      parts = {{"key", column.type.element_type()}, {"value", column.type.value_type()}};
    } else {
      parts = {{"element", column.type.element_type()}};
    }
    for (const auto& [part, type] : parts) {
      DatagenField element;
      SLUICE_RETURN_IF_ERROR(
          ReadField(options, types::RowField{column.name + "." + part, type}, &element));
      field->elements.push_back(std::move(element));
    }
    return base::Status::Ok();
  }
  const std::string kind = Lower(options.GetString(key("kind")).value_or("random"));
  if (kind == "sequence") {
    field->kind = DatagenField::Kind::kSequence;
  } else if (kind != "random") {
    return options.InvalidValue(key("kind"), "expected 'random' or 'sequence'");
  }

  auto reject = [&](const char* name, const std::string& why) -> base::Status {
    if (!options.Has(key(name))) return base::Status::Ok();
    return options.InvalidValue(key(name), why);
  };
  const bool is_integer = id == types::TypeId::kInt || id == types::TypeId::kBigint;
  // TINYINT, SMALLINT: their own range (Flink's Byte/Short.MIN_VALUE..MAX_VALUE).
  const int64_t type_min = column.type.IsTinyint()     ? INT8_MIN
                           : column.type.IsSmallint()  ? INT16_MIN
                           : id == types::TypeId::kInt ? INT32_MIN
                                                       : INT64_MIN;
  const int64_t type_max = column.type.IsTinyint()     ? INT8_MAX
                           : column.type.IsSmallint()  ? INT16_MAX
                           : id == types::TypeId::kInt ? INT32_MAX
                                                       : INT64_MAX;

  if (field->kind == DatagenField::Kind::kSequence) {
    for (const char* name : {"min", "max", "length", "null-rate"}) {
      SLUICE_RETURN_IF_ERROR(
          reject(name, std::string("'") + name + "' applies to kind 'random', not 'sequence'"));
    }
    if (!is_integer && id != types::TypeId::kVarchar && id != types::TypeId::kDouble) {
      return options.InvalidValue(key("kind"),
                                  "a sequence needs an INT, BIGINT, DOUBLE or "
                                  "VARCHAR column, '" +
                                      column.name + "' is " + column.type.ToString());
    }
    if (!options.Has(key("start")) || !options.Has(key("end"))) {
      // About whichever of the two is there (the other cannot be pointed at).
      return options.OptionError(
          options.Has(key("start")) ? key("start") : key("end"),
          "a sequence needs both '" + key("start") + "' and '" + key("end") + "'");
    }
    const int64_t low = is_integer ? type_min : INT64_MIN;
    const int64_t high = is_integer ? type_max : INT64_MAX;
    SLUICE_ASSIGN_OR_RETURN(field->start, options.GetInt(key("start"), 0, low, high));
    SLUICE_ASSIGN_OR_RETURN(field->end, options.GetInt(key("end"), 0, low, high));
    if (field->end < field->start) {
      return options.InvalidValue(key("end"), "must not be less than '" + key("start") + "'");
    }
    return base::Status::Ok();
  }

  for (const char* name : {"start", "end"}) {
    SLUICE_RETURN_IF_ERROR(
        reject(name, std::string("'") + name + "' applies to kind 'sequence', not 'random'"));
  }
  SLUICE_ASSIGN_OR_RETURN(field->null_rate, options.GetDouble(key("null-rate"), 0, 0));
  if (field->null_rate > 1) return options.InvalidValue(key("null-rate"), "must be at most 1");
  if (id != types::TypeId::kVarchar && id != types::TypeId::kBinary) {
    SLUICE_RETURN_IF_ERROR(reject("length", "'length' applies to VARCHAR and BYTES columns"));
  } else {
    // Flink's: `length` characters or bytes, 100 by default.
    SLUICE_ASSIGN_OR_RETURN(field->length, options.GetInt(key("length"), 100, 0, 1 << 20));
  }
  const bool ranged = is_integer || id == types::TypeId::kDouble || id == types::TypeId::kDecimal;
  if (!ranged) {
    SLUICE_RETURN_IF_ERROR(reject("min", "'min' applies to numeric columns"));
    SLUICE_RETURN_IF_ERROR(reject("max", "'max' applies to numeric columns"));
    return base::Status::Ok();
  }
  if (is_integer) {
    SLUICE_ASSIGN_OR_RETURN(field->min_integer,
                            options.GetInt(key("min"), type_min, type_min, type_max));
    SLUICE_ASSIGN_OR_RETURN(field->max_integer,
                            options.GetInt(key("max"), type_max, type_min, type_max));
    if (field->max_integer < field->min_integer) {
      return options.InvalidValue(key("max"), "must not be less than '" + key("min") + "'");
    }
    return base::Status::Ok();
  }
  if (column.type.IsWideDecimal()) {
    SLUICE_ASSIGN_OR_RETURN(field->wide_decimal,
                            ReadWideDecimalRange(options, key("min"), key("max"), column.type));
    return base::Status::Ok();
  }
  // DOUBLE defaults to Flink's [Double.MIN_VALUE, Double.MAX_VALUE] (FLOAT to Float's);
  // DECIMAL to its full range.
  double default_min = column.type.IsFloat() ? FLT_MIN : DBL_MIN;
  double default_max = column.type.IsFloat() ? FLT_MAX : DBL_MAX;
  if (id == types::TypeId::kDecimal) {
    const double largest =
        static_cast<double>(PowerOfTen(std::min(column.type.precision(), kMaxDecimalDigits)) - 1) /
        static_cast<double>(PowerOfTen(column.type.scale()));
    default_min = -largest;
    default_max = largest;
  }
  SLUICE_ASSIGN_OR_RETURN(field->min_double, options.GetDouble(key("min"), default_min, -DBL_MAX));
  SLUICE_ASSIGN_OR_RETURN(field->max_double, options.GetDouble(key("max"), default_max, -DBL_MAX));
  if (field->max_double < field->min_double) {
    return options.InvalidValue(key("max"), "must not be less than '" + key("min") + "'");
  }
  if (id == types::TypeId::kDecimal) {
    const double scale = static_cast<double>(PowerOfTen(field->type.scale()));
    const double limit =
        static_cast<double>(PowerOfTen(std::min(field->type.precision(), kMaxDecimalDigits)) - 1);
    const double low = std::ceil(field->min_double * scale),
                 high = std::floor(field->max_double * scale);
    if (low < -limit || high > limit) {
      return options.OptionError(
          options.Has(key("max")) ? key("max") : key("min"),
          "'" + key("min") + "'/'" + key("max") + "' exceed " + column.type.ToString());
    }
    if (high < low) return options.InvalidValue(key("max"), "leaves no value at this scale");
    // A double near 10^18 may round past the last 18-digit value: clamp to it.
    const int64_t largest = PowerOfTen(std::min(field->type.precision(), kMaxDecimalDigits)) - 1;
    field->min_integer = std::max(static_cast<int64_t>(low), -largest);
    field->max_integer = std::min(static_cast<int64_t>(high), largest);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<DatagenConfig> DatagenConfig::FromTable(const TableDescriptor& original) {
  // Column names in 'fields.<column>.*' match case-insensitively: work on lower-cased keys.
  TableDescriptor table;
  table.name = original.name;
  table.schema = original.schema;
  for (const auto& [key, value] : original.options) table.options[Lower(key)] = value;
  OptionReader options(table);

  std::vector<std::string> known = {"rows-per-second", "number-of-rows", "seed"};
  // A collection's parts have options of their own: fields.<c>.element.*, .key.*, .value.*.
  std::function<void(const std::string&, const types::LogicalType&)> add_known =
      [&](const std::string& name, const types::LogicalType& type) {
        for (const char* option : kFieldOptions) {
          known.push_back("fields." + Lower(name) + "." + option);
        }
        if (type.id() == types::TypeId::kRow) {
          for (const types::RowField& field : type.fields()) {
            add_known(name + "." + field.name, field.type);
          }
        } else if (type.id() == types::TypeId::kMap) {
          add_known(name + ".key", type.element_type());
          add_known(name + ".value", type.value_type());
        } else if (type.IsCollection()) {
          add_known(name + ".element", type.element_type());
        }
      };
  for (const types::RowField& column : table.schema.columns) add_known(column.name, column.type);
  SLUICE_RETURN_IF_ERROR(options.CheckKnown(known));

  DatagenConfig config;
  SLUICE_ASSIGN_OR_RETURN(config.rows_per_second, options.GetDouble("rows-per-second", 10000, 0));
  if (options.Has("number-of-rows")) {
    SLUICE_ASSIGN_OR_RETURN(int64_t rows, options.GetInt("number-of-rows", 0, 0));
    config.row_count = rows;
  }
  if (options.Has("seed")) {
    SLUICE_ASSIGN_OR_RETURN(int64_t seed, options.GetInt("seed", 0));
    config.seed = static_cast<uint64_t>(seed);
  }
  for (const types::RowField& column : table.schema.columns) {
    DatagenField field;
    SLUICE_RETURN_IF_ERROR(ReadField(options, column, &field));
    if (field.kind == DatagenField::Kind::kSequence) {
      // end - start + 1 may overflow int64 for a full-range sequence; saturate.
      const unsigned __int128 length =
          static_cast<unsigned __int128>(static_cast<__int128>(field.end) - field.start + 1);
      const int64_t rows = length > static_cast<unsigned __int128>(INT64_MAX)
                               ? INT64_MAX
                               : static_cast<int64_t>(length);
      config.row_count = std::min(config.row_count.value_or(INT64_MAX), rows);
    }
    config.fields.push_back(field);
  }
  return config;
}

base::Status DatagenConnector::Validate(const TableDescriptor& table, bool as_source) const {
  if (!as_source) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        "table '" + table.name + "': connector 'datagen' is a source and cannot be written");
  }
  return DatagenConfig::FromTable(table).status();
}

bool DatagenConnector::CanBeReadCompletely(const TableDescriptor& table) const {
  auto config = DatagenConfig::FromTable(table);
  return config.ok() && config.value().row_count.has_value();
}

base::Result<std::unique_ptr<SourceReader>> DatagenConnector::CreateReader(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_ASSIGN_OR_RETURN(DatagenConfig config, DatagenConfig::FromTable(table));
  return std::unique_ptr<SourceReader>(new DatagenReader(std::move(config), subtask));
}

DatagenReader::DatagenReader(DatagenConfig config, const SubtaskInfo& subtask)
    : config_(std::move(config)),
      subtask_(subtask),
      parallelism_(std::max(subtask.parallelism, 1)),
      next_block_(subtask.index) {
  // Without a seed each subtask draws its own random key, as Flink's datagen is unseeded.
  const uint64_t seed = config_.seed ? *config_.seed : std::random_device{}() * 0x100000001ULL;
  key_ = Mix(seed ^ 0x6461746167656EULL);
  for (const DatagenField& field : config_.fields) slot_count_ += types::SlotCountOf(field.type);
  block_size_ = kBatchCapacity;
  if (config_.rows_per_second > 0) {
    block_size_ = static_cast<int32_t>(std::clamp<double>(
        std::floor(config_.rows_per_second / parallelism_ / 10), 1, kBatchCapacity));
  }
}

base::Result<bool> DatagenReader::Next(Batch* batch) {
  SLUICE_CHECK(batch->column_count() == slot_count_, "a datagen batch needs {} columns, got {}",
               slot_count_, batch->column_count());
  if (stop_block_ && next_block_ >= *stop_block_) {
    batch->set_row_count(0);
    return true;  // held at the stop: nothing more to read
  }
  const int64_t first = next_block_ * block_size_;
  int64_t count = block_size_;
  if (config_.row_count) count = std::min<int64_t>(count, *config_.row_count - first);
  if (count <= 0) {
    batch->set_row_count(0);
    return false;
  }
  if (config_.rows_per_second > 0 && !stop_block_) {
    // Until the batch is due there is nothing to read: an empty batch, polled again later.
    auto now = std::chrono::steady_clock::now();
    if (rows_emitted_ == 0 && !started_) started_ = now;
    const double due_seconds = rows_emitted_ / (config_.rows_per_second / parallelism_);
    if (now < *started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(due_seconds))) {
      batch->set_row_count(0);
      return true;
    }
  }
  for (int32_t row = 0; row < count; ++row) FillRow(first + row, row, batch);
  batch->set_row_count(static_cast<int32_t>(count));
  rows_emitted_ += count;
  next_block_ += parallelism_;
  return true;
}

std::string DatagenReader::Position() const {
  return EncodeSourcePosition(
      "datagen", subtask_, {{"block", std::to_string(next_block_)}, {"key", std::to_string(key_)}});
}

namespace {

/// The random key a datagen position carries.
base::Result<uint64_t> PositionKey(const std::map<std::string, std::string>& fields) {
  auto key = fields.find("key");
  uint64_t parsed = 0;
  if (key == fields.end() ||
      std::from_chars(key->second.data(), key->second.data() + key->second.size(), parsed).ec !=
          std::errc()) {
    return base::Status::Error(base::ErrorCode::kData, "a datagen position has no valid key");
  }
  return parsed;
}

}  // namespace

base::Status DatagenReader::Seek(const std::string& position) {
  SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "datagen", subtask_));
  SLUICE_ASSIGN_OR_RETURN(int64_t block, PositionField(fields, "block"));
  if (block % parallelism_ != subtask_.index % parallelism_) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a datagen position's block " + std::to_string(block) +
                                   " is not one of subtask " + std::to_string(subtask_.index));
  }
  SLUICE_ASSIGN_OR_RETURN(uint64_t parsed, PositionKey(fields));
  next_block_ = block;
  key_ = parsed;
  rows_emitted_ = 0;  // a rate limit counts again from the first poll after the seek
  started_.reset();
  return base::Status::Ok();
}

base::Status DatagenReader::StopAt(const std::string& position) {
  SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "datagen", subtask_));
  SLUICE_ASSIGN_OR_RETURN(int64_t block, PositionField(fields, "block"));
  SLUICE_ASSIGN_OR_RETURN(uint64_t parsed, PositionKey(fields));
  if (block % parallelism_ != subtask_.index % parallelism_ || block < next_block_) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a datagen position's block " + std::to_string(block) +
                                   " is not ahead of subtask " + std::to_string(subtask_.index));
  }
  if (rows_emitted_ > 0 && parsed != key_) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a datagen position of another random key than the rows read");
  }
  key_ = parsed;
  stop_block_ = block;
  return base::Status::Ok();
}

void DatagenReader::ClearStop() {
  stop_block_.reset();
  rows_emitted_ = 0;  // a rate limit counts again from the next poll
  started_.reset();
}

void DatagenReader::RandomScalar(const DatagenField& field, int64_t row_number, uint64_t draw,
                                 int64_t* integer, double* real, std::string* text) const {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (field.type.id()) {
    case types::TypeId::kBoolean: *integer = static_cast<int64_t>(draw >> 63); return;
    case types::TypeId::kInt:
    case types::TypeId::kBigint:
    case types::TypeId::kDecimal:
      *integer = SplitMix(draw).Between(field.min_integer, field.max_integer);
      return;
    case types::TypeId::kDouble: {
      const double unit = static_cast<double>(draw >> 11) * 0x1.0p-53;
      *real = field.min_double * (1 - unit) + field.max_double * unit;
      return;
    }
    case types::TypeId::kTimestamp:
    case types::TypeId::kDate:
    case types::TypeId::kTime: {
      // Flink's: a TIMESTAMP is now (here: a fixed instant plus the row's place when seeded),
      // a DATE today, a TIME the time of day.
      int64_t millis;
      if (config_.seed) {
        millis =
            kSeededTimestampBase + (config_.rows_per_second > 0
                                        ? static_cast<int64_t>(static_cast<double>(row_number) *
                                                               1000 / config_.rows_per_second)
                                        : row_number);
      } else {
        millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      }
      if (field.type.id() == types::TypeId::kDate) {
        *integer = sluice_timestamp_to_date(millis);
      } else if (field.type.id() == types::TypeId::kTime) {
        *integer = sluice_timestamp_to_time(millis);
      } else {
        *integer = millis;
      }
      return;
    }
    case types::TypeId::kVarchar: {
      text->resize(static_cast<size_t>(field.length));
      SplitMix characters(draw);
      uint64_t bits = 0;
      for (int64_t i = 0; i < field.length; ++i) {
        if (i % 16 == 0) bits = characters.Next();
        (*text)[i] = kHex[bits & 15];
        bits >>= 4;
      }
      return;
    }
    case types::TypeId::kBinary: {
      // `length` random bytes (Flink's RandomGenerator for BYTES).
      text->resize(static_cast<size_t>(field.length));
      SplitMix bytes(draw);
      uint64_t bits = 0;
      for (int64_t i = 0; i < field.length; ++i) {
        if (i % 8 == 0) bits = bytes.Next();
        (*text)[i] = static_cast<char>(bits & 0xFF);
        bits >>= 8;
      }
      return;
    }
    default: SLUICE_CHECK(false, "datagen value of type {}", field.type.ToString());
  }
}

std::string DatagenReader::RandomCollection(const DatagenField& field, int64_t row_number,
                                            SplitMix* random) const {
  // Draws one item of `part`; a VARCHAR or nested collection lives in `storage`.
  auto random_item = [&](const DatagenField& part, std::string* storage) {
    const bool is_null = random->NextDouble() < part.null_rate;
    const uint64_t draw = random->Next();
    expr::Item item;
    if (is_null) return item;
    item.tag = expr::TagOf(part.type);
    if (part.type.IsCollection()) {
      SplitMix nested(draw);
      *storage = RandomCollection(part, row_number, &nested);
    } else {
      RandomScalar(part, row_number, draw, &item.integer, &item.real, storage);
    }
    item.bytes = *storage;
    return item;
  };
  if (field.type.id() == types::TypeId::kArray) {
    expr::CollectionWriter array;
    for (int64_t i = 0; i < field.length; ++i) {
      std::string storage;
      array.Add(random_item(field.elements[0], &storage));
    }
    return array.Finish(static_cast<uint32_t>(field.length));
  }
  if (field.type.id() == types::TypeId::kMultiset) {
    expr::MultisetBuilder multiset;
    for (int64_t i = 0; i < field.length; ++i) {
      std::string storage;
      multiset.Add(random_item(field.elements[0], &storage));
    }
    return multiset.Finish();
  }
  // A MAP keeps one entry per key: the last drawn, as a Java map would.
  std::vector<std::pair<std::string, std::string>> entries;  // each item's encoding
  for (int64_t i = 0; i < field.length; ++i) {
    std::string key_storage, value_storage;
    expr::CollectionWriter key, value;
    key.Add(random_item(field.elements[0], &key_storage));
    value.Add(random_item(field.elements[1], &value_storage));
    auto found = std::find_if(entries.begin(), entries.end(),
                              [&](const auto& entry) { return entry.first == key.items(); });
    if (found == entries.end()) {
      entries.emplace_back(key.items(), value.items());
    } else {
      found->second = value.items();
    }
  }
  std::string out = expr::CollectionWriter().Finish(static_cast<uint32_t>(entries.size()));
  for (const auto& [key, value] : entries) out.append(key).append(value);
  return out;
}

void DatagenReader::FillRow(int64_t row_number, int32_t row, Batch* batch) const {
  SplitMix random(Mix(key_ ^ (static_cast<uint64_t>(row_number) * 0xD1B54A32D192ED03ULL)));
  size_t slot = 0;
  for (const DatagenField& field : config_.fields) {
    slot = FillField(field, row_number, row, &random, batch, slot);
  }
}

size_t DatagenReader::FillField(const DatagenField& field, int64_t row_number, int32_t row,
                                SplitMix* random, Batch* batch, size_t slot) const {
  Column& column = batch->column(slot);
  uint8_t* data = column.data();
  // Every column takes its draws even when NULL, so one column's options never shift another's.
  const bool is_null =
      field.kind == DatagenField::Kind::kRandom && random->NextDouble() < field.null_rate;
  const uint64_t draw = random->Next();
  const size_t slots = types::SlotCountOf(field.type);
  if (is_null) {
    for (size_t k = 0; k < slots; ++k) {
      Column& nulled = batch->column(slot + k);
      const int32_t nulled_width = nulled.type().PhysicalWidth();
      nulled.validity()[row] = 0;
      std::memset(nulled.data() + static_cast<size_t>(row) * nulled_width, 0, nulled_width);
    }
    return slot + slots;
  }
  column.validity()[row] = 1;
  if (field.type.id() == types::TypeId::kRow) {
    // The fields draw from a generator of the row's own draw, so that a ROW column takes one
    // draw of the row's generator as any other column does.
    SplitMix fields(draw);
    size_t next = slot + 1;
    for (const DatagenField& element : field.elements) {
      next = FillField(element, row_number, row, &fields, batch, next);
    }
    return next;
  }
  if (field.type.IsCollection()) {
    SplitMix elements(draw);
    reinterpret_cast<StringRef*>(data)[row] =
        batch->arena().Copy(RandomCollection(field, row_number, &elements));
    return slot + 1;
  }
  int64_t integer = 0;
  double real = 0;
  std::string text;
  if (field.kind == DatagenField::Kind::kSequence) {
    const int64_t sequence_value = field.start + row_number;
    integer = sequence_value;
    real = static_cast<double>(sequence_value);
    text = std::to_string(sequence_value);
  } else {
    RandomScalar(field, row_number, draw, &integer, &real, &text);
  }
  switch (field.type.id()) {
    case types::TypeId::kBoolean: data[row] = static_cast<uint8_t>(integer); break;
    case types::TypeId::kInt:
    case types::TypeId::kDate:
    case types::TypeId::kTime:
      reinterpret_cast<int32_t*>(data)[row] = static_cast<int32_t>(integer);
      break;
    case types::TypeId::kDouble:
      // A FLOAT holds the nearest float (a sequence's numbers, a random draw).
      reinterpret_cast<double*>(data)[row] =
          field.type.IsFloat() ? static_cast<double>(static_cast<float>(real)) : real;
      break;
    case types::TypeId::kVarchar:
    case types::TypeId::kBinary:
      reinterpret_cast<StringRef*>(data)[row] = batch->arena().Copy(text);
      break;
    case types::TypeId::kDecimal:
      if (field.type.IsWideDecimal()) {
        __int128 wide = integer;  // a sequence's number
        if (field.kind == DatagenField::Kind::kRandom) {
          SplitMix wide_random(draw);
          wide = DrawWideDecimal(&wide_random, field.wide_decimal);
        }
        std::memcpy(data + static_cast<size_t>(row) * sizeof(wide), &wide, sizeof(wide));
      } else {
        reinterpret_cast<int64_t*>(data)[row] = integer;
      }
      break;
    default: reinterpret_cast<int64_t*>(data)[row] = integer; break;
  }
  return slot + 1;
}

const Connector& DatagenConnectorInstance() {
  static const DatagenConnector kInstance;
  return kInstance;
}

}  // namespace sluice::runtime::connectors
