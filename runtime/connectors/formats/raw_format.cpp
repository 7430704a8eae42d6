#include "runtime/connectors/formats/raw_format.h"

#include <cctype>

#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/formats/decoded_rows.h"
#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/format_option_reader.h"

namespace sluice::runtime::connectors::formats {

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::vector<std::string> RawFormat::OptionKeys() {
  return {"charset", "endianness"};
}

base::Result<std::unique_ptr<Format>> RawFormat::Create(const FormatFields& fields,
                                                        const FormatOptions& options,
                                                        const std::string& prefix) {
  FormatOptionReader reader("raw", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  if (auto charset = reader.GetString("charset")) {
    std::string lower = Lower(*charset);
    if (lower != "utf-8" && lower != "utf8") {
      return reader.InvalidValue("charset", "only 'UTF-8' is supported");
    }
  }
  if (auto endianness = reader.GetString("endianness")) {
    std::string lower = Lower(*endianness);
    if (lower != "big-endian" && lower != "little-endian") {
      return reader.InvalidValue("endianness", "expected 'big-endian' or 'little-endian'");
    }
  }
  // The option that chose this format (`format`, `value.format`, `key.format`): errors about
  // the columns point at it.
  const std::string chosen_by =
      (prefix.size() >= 4 && prefix.compare(prefix.size() - 4, 4, "raw.") == 0
           ? prefix.substr(0, prefix.size() - 4)
           : std::string()) +
      "format";
  const std::vector<types::RowField>& columns = fields.fields.columns;
  if (columns.size() != 1) {
    std::string names;
    for (const types::RowField& column : columns) {
      names += (names.empty() ? "" : ", ") + column.name;
    }
    return base::Status::Error(base::ErrorCode::kOption,
                               "format 'raw' reads and writes exactly one column, but there are " +
                                   std::to_string(columns.size()) +
                                   (names.empty() ? "" : " (" + names + ")"))
        .WithSubject(chosen_by);
  }
  // A message's bytes are the value: a BYTES column's as they are, a STRING's as UTF-8 text.
  if (columns[0].type.id() != types::TypeId::kVarchar &&
      columns[0].type.id() != types::TypeId::kBinary) {
    return base::Status::Error(
               base::ErrorCode::kOption,
               "format 'raw' supports only a VARCHAR (STRING) or BYTES column, but '" +
                   columns[0].name + "' is " + columns[0].type.ToString() +
                   " (numeric raw values, which 'raw.endianness' is about, are not supported)")
        .WithSubject(chosen_by);
  }
  return std::unique_ptr<Format>(new RawFormat(FieldSlots(fields)[0]));
}

base::Status RawFormat::Decode(std::optional<std::string_view> record, Batch* batch) const {
  if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a raw record");
  const int32_t row = batch->row_count();
  Column* column = &batch->column(slot_);
  if (record) {
    column->values<StringRef>()[row] = batch->arena().Copy(*record);
    column->validity()[row] = 1;
  } else {
    CsvFormat::SetNull(column, row);
  }
  SetRowKind(batch, row, RowKind::kInsert);
  batch->set_row_count(row + 1);
  return base::Status::Ok();
}

base::Status RawFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  RowKind kind = batch.row_kind(row);
  if (kind != RowKind::kInsert && kind != RowKind::kUpdateAfter) {
    return base::Status::Error(base::ErrorCode::kPlan, std::string("format 'raw' cannot write a ") +
                                                           RowKindName(kind) +
                                                           " row: it holds inserts only");
  }
  const Column& column = batch.column(slot_);
  if (!column.IsNull(row)) out->append(column.values<StringRef>()[row].view());
  return base::Status::Ok();
}

}  // namespace sluice::runtime::connectors::formats
