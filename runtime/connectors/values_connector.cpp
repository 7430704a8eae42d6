#include "runtime/connectors/values_connector.h"

#include <algorithm>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/option_reader.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors {

namespace {

constexpr const char* kRowsPerBatch = "rows-per-batch";

using types::SlotTypes;

base::Status RowError(const TableDescriptor& table, size_t row_index, const std::string& what) {
  return base::Status::Error(
      base::ErrorCode::kData,
      "table '" + table.name + "': row " + std::to_string(row_index + 1) + ": " + what);
}

/// Sets the slots of a value of `type` from `slot` on NULL in row `row`.
void SetNullSlots(const types::LogicalType& type, Batch* batch, size_t slot, int32_t row) {
  for (size_t k = 0; k < types::SlotCountOf(type); ++k)
    formats::CsvFormat::SetNull(&batch->column(slot + k), row);
}

/// Writes the ROW of `type` whose element bytes (runtime/expr/collection_value.h) are `bytes`
/// into the slots from `slot` on: its validity, then each field (a nested ROW's slots in turn).
/// False when the bytes are not such a row.
bool WriteRowElement(std::string_view bytes, const types::LogicalType& type, Batch* batch,
                     size_t slot, int32_t row) {
  std::vector<expr::Item> items;
  const auto& fields = type.fields();
  if (!expr::DecodeCollection(bytes, 1, &items) || items.size() != fields.size()) return false;
  batch->column(slot).validity()[row] = 1;
  size_t next = slot + 1;
  for (size_t i = 0; i < fields.size(); ++i) {
    const types::LogicalType& field_type = fields[i].type;
    const expr::Item& item = items[i];
    if (item.tag == expr::ItemTag::kNull) {
      SetNullSlots(field_type, batch, next, row);
    } else if (field_type.id() == types::TypeId::kRow) {
      if (item.tag != expr::ItemTag::kBytes ||
          !WriteRowElement(item.bytes, field_type, batch, next, row)) {
        return false;
      }
    } else {
      if (item.tag != expr::TagOf(field_type)) return false;
      Column* column = &batch->column(next);
      switch (item.tag) {
        case expr::ItemTag::kReal: column->values<double>()[row] = item.real; break;
        case expr::ItemTag::kBytes:
          column->values<StringRef>()[row] = batch->arena().Copy(item.bytes);
          break;
        default:
          if (field_type.id() == types::TypeId::kBoolean) {
            column->values<uint8_t>()[row] = item.integer != 0 ? 1 : 0;
          } else if (field_type.IsInt32Stored()) {
            column->values<int32_t>()[row] = static_cast<int32_t>(item.integer);
          } else {
            column->values<int64_t>()[row] = item.integer;
          }
          break;
      }
      column->validity()[row] = 1;
    }
    next += types::SlotCountOf(field_type);
  }
  return true;
}

/// Parses `fields`, row `row_index` of `table`, into row `row` of `batch`.
base::Status ParseInlineRow(const TableDescriptor& table,
                            const std::vector<std::optional<std::string>>& fields, size_t row_index,
                            Batch* batch, int32_t row) {
  if (fields.size() != table.schema.columns.size()) {
    return RowError(table, row_index,
                    "has " + std::to_string(fields.size()) + " values, expected " +
                        std::to_string(table.schema.columns.size()));
  }
  auto column_type = [&](size_t index) -> const types::LogicalType& {
    return table.schema.columns[index].type;
  };
  size_t slot = 0;  // the column's first slot: a ROW column takes several
  for (size_t index = 0; index < fields.size();
       slot += types::SlotCountOf(column_type(index)), ++index) {
    Column* column = &batch->column(slot);
    if (!fields[index]) {
      SetNullSlots(column_type(index), batch, slot, row);
      continue;
    }
    if (column_type(index).id() == types::TypeId::kRow) {
      // The binder writes a ROW as its element bytes in hexadecimal (job_compiler.cpp).
      std::string bytes;
      if (!expr::DecodeHex(*fields[index], &bytes) ||
          !WriteRowElement(bytes, column_type(index), batch, slot, row)) {
        return RowError(table, row_index,
                        "column '" + table.schema.columns[index].name + "': not an encoded " +
                            column_type(index).ToString());
      }
      // The fields' bytes live in the batch's arena (copied).
      continue;
    }
    if (column->type().IsCollection()) {
      // The binder writes a collection as its encoding in hexadecimal (bind_values.cpp).
      std::string bytes;
      std::vector<expr::Item> items;
      if (!expr::DecodeHex(*fields[index], &bytes) ||
          !expr::DecodeCollection(bytes, column->type().id() == types::TypeId::kArray ? 1 : 2,
                                  &items)) {
        return RowError(table, row_index,
                        "column '" + table.schema.columns[index].name + "': not an encoded " +
                            column->type().ToString());
      }
      column->values<StringRef>()[row] = batch->arena().Copy(bytes);
      column->validity()[row] = 1;
      continue;
    }
    if (column->type().id() == types::TypeId::kBinary) {
      // The binder writes BYTES in hexadecimal too (bind_values.cpp).
      std::string bytes;
      if (!expr::DecodeHex(*fields[index], &bytes)) {
        return RowError(table, row_index,
                        "column '" + table.schema.columns[index].name +
                            "': not hexadecimal BYTES: '" + *fields[index] + "'");
      }
      column->values<StringRef>()[row] = batch->arena().Copy(bytes);
      column->validity()[row] = 1;
      continue;
    }
    if (!formats::CsvFormat::ParseValue(*fields[index], column, row, &batch->arena())) {
      return RowError(table, row_index,
                      "column '" + table.schema.columns[index].name + "': cannot read '" +
                          *fields[index] + "' as " + column->type().ToString());
    }
  }
  return base::Status::Ok();
}

/// Checks options and schema, not the rows.
base::Status ValidateOptions(const TableDescriptor& table, bool as_source) {
  OptionReader options(table);
  if (!as_source) {
    return options.TableError(
        "connector 'values' can only be read, not written; "
        "use 'print', 'blackhole' or 'filesystem' for a sink");
  }
  SLUICE_RETURN_IF_ERROR(options.CheckKnown({kRowsPerBatch}));
  SLUICE_RETURN_IF_ERROR(options.GetInt(kRowsPerBatch, 1, 1, kBatchCapacity).status());
  return base::Status::Ok();
}

class ValuesReader final : public SourceReader {
 public:
  ValuesReader(const TableDescriptor& table, const SubtaskInfo& subtask, int32_t rows_per_batch,
               bool hold_watermark)
      : subtask_(subtask), rows_per_batch_(rows_per_batch), hold_watermark_(hold_watermark) {
    table_.name = table.name;
    table_.schema = table.schema;
    // Keep only this subtask's rows (i, i+p, …) and their numbers in the whole table.
    for (size_t index = subtask.index; index < table.inline_rows.size();
         index += subtask.parallelism) {
      table_.inline_rows.push_back(table.inline_rows[index]);
      row_indexes_.push_back(index);
    }
  }

  base::Result<bool> Next(Batch* batch) override {
    SLUICE_CHECK(batch->column_count() == SlotTypes(table_.schema).size(),
                 "values table '{}' read into a batch of {} slots", table_.name,
                 batch->column_count());
    int32_t count = 0;
    const size_t end = std::min(stop_, table_.inline_rows.size());
    while (count < rows_per_batch_ && next_ < end) {
      base::Status status =
          ParseInlineRow(table_, table_.inline_rows[next_], row_indexes_[next_], batch, count);
      if (!status.ok()) {
        batch->set_row_count(0);
        return status;
      }
      ++count;
      ++next_;
    }
    batch->set_row_count(count);
    return count > 0 || stop_ != kNoStop;  // held at a stop: nothing more to read
  }

  bool IsBounded() const override { return true; }
  /// Without 'rows-per-batch' the table is a sample whose rows all come before its watermark
  /// (Flink's periodic watermarks see a few rows so); held at a stop, the watermark moves.
  bool HoldsWatermarkToTheEnd() const override { return hold_watermark_ && stop_ == kNoStop; }

  /// Position: the number of this subtask's rows already read.
  bool SupportsPosition() const override { return true; }
  std::string Position() const override {
    return EncodeSourcePosition("values", subtask_, {{"next", std::to_string(next_)}});
  }
  base::Status Seek(const std::string& position) override {
    SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "values", subtask_));
    SLUICE_ASSIGN_OR_RETURN(int64_t next, PositionField(fields, "next"));
    if (static_cast<size_t>(next) > table_.inline_rows.size()) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "values table '" + table_.name + "': position " +
                                     std::to_string(next) + " is past its " +
                                     std::to_string(table_.inline_rows.size()) + " rows");
    }
    next_ = static_cast<size_t>(next);
    return base::Status::Ok();
  }
  base::Status StopAt(const std::string& position) override {
    SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "values", subtask_));
    SLUICE_ASSIGN_OR_RETURN(int64_t next, PositionField(fields, "next"));
    if (static_cast<size_t>(next) > table_.inline_rows.size() ||
        static_cast<size_t>(next) < next_) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "values table '" + table_.name + "': cannot stop at row " +
                                     std::to_string(next) + " of its " +
                                     std::to_string(table_.inline_rows.size()));
    }
    stop_ = static_cast<size_t>(next);
    return base::Status::Ok();
  }
  bool AtStop() const override { return stop_ != kNoStop && next_ >= stop_; }
  void ClearStop() override { stop_ = kNoStop; }

 private:
  static constexpr size_t kNoStop = static_cast<size_t>(-1);
  SubtaskInfo subtask_;
  TableDescriptor table_;  // name, schema and this subtask's rows
  std::vector<size_t> row_indexes_;
  int32_t rows_per_batch_;
  bool hold_watermark_;
  size_t next_ = 0;
  size_t stop_ = kNoStop;  // StopAt: the first row not to read
};

}  // namespace

base::Status ValuesConnector::Validate(const TableDescriptor& table, bool as_source) const {
  SLUICE_RETURN_IF_ERROR(ValidateOptions(table, as_source));
  // Parse every row now, so that a bad literal fails before the job starts.
  Batch scratch(SlotTypes(table.schema));
  for (size_t index = 0; index < table.inline_rows.size(); ++index) {
    SLUICE_RETURN_IF_ERROR(ParseInlineRow(table, table.inline_rows[index], index, &scratch, 0));
  }
  return base::Status::Ok();
}

base::Result<std::unique_ptr<SourceReader>> ValuesConnector::CreateReader(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_CHECK(
      subtask.parallelism >= 1 && subtask.index >= 0 && subtask.index < subtask.parallelism,
      "bad subtask {} of {}", subtask.index, subtask.parallelism);
  SLUICE_RETURN_IF_ERROR(ValidateOptions(table, /*as_source=*/true));
  SLUICE_ASSIGN_OR_RETURN(int64_t rows_per_batch,
                          OptionReader(table).GetInt(kRowsPerBatch, 1, 1, kBatchCapacity));
  const bool hold_watermark = !OptionReader(table).Has(kRowsPerBatch);
  return std::unique_ptr<SourceReader>(
      new ValuesReader(table, subtask, static_cast<int32_t>(rows_per_batch), hold_watermark));
}

const Connector& ValuesConnectorInstance() {
  static const ValuesConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
