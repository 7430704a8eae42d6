#include "runtime/connectors/formats/csv_format.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "runtime/connectors/formats/decoded_rows.h"
#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/format_option_reader.h"
#include "runtime/expr/base64.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors::formats {

namespace {

StringRef RefOf(std::string_view text) {
  return StringRef{text.data(), static_cast<uint32_t>(text.size()), 0};
}

bool ParseFixedDigits(std::string_view text, size_t position, size_t count, int64_t* out) {
  if (position + count > text.size()) return false;
  int64_t value = 0;
  for (size_t i = position; i < position + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

// The inverse of FormatInterval: `[+-]D HH:MM:SS[.f{1,3}]`, surrounding spaces allowed.
// No CAST from VARCHAR to INTERVAL exists, so this is the one place that reads the form.
bool ParseInterval(std::string_view text, int64_t* out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  size_t position = 0;
  int64_t days = 0;
  while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
    if (days > INT64_MAX / 86'400'000) return false;
    days = days * 10 + (text[position] - '0');
    ++position;
  }
  if (position == 0 || position >= text.size() || text[position] != ' ') return false;
  std::string_view clock = text.substr(position + 1);
  int64_t hours, minutes, seconds, fraction = 0;
  if (clock.size() < 8 || !ParseFixedDigits(clock, 0, 2, &hours) || clock[2] != ':' ||
      !ParseFixedDigits(clock, 3, 2, &minutes) || clock[5] != ':' ||
      !ParseFixedDigits(clock, 6, 2, &seconds) || hours > 23 || minutes > 59 || seconds > 59) {
    return false;
  }
  if (clock.size() > 8) {
    size_t digits = clock.size() - 9;
    if (clock[8] != '.' || digits < 1 || digits > 3 ||
        !ParseFixedDigits(clock, 9, digits, &fraction)) {
      return false;
    }
    for (size_t i = digits; i < 3; ++i) fraction *= 10;
  }
  // In 128 bits, so that the extreme values FormatInterval writes read back (and no more).
  __int128 millis = ((static_cast<__int128>(days) * 24 + hours) * 60 + minutes) * 60000 +
                    seconds * 1000 + fraction;
  if (negative) millis = -millis;
  if (millis > INT64_MAX || millis < INT64_MIN) return false;
  *out = static_cast<int64_t>(millis);
  return true;
}

/// Reads a one-character option as Flink does (Java escapes allowed: `\t`, `\u0001`); nullopt
/// when it is not one single-byte character.
std::optional<char> UnescapeCharacter(std::string_view text) {
  if (text.size() == 1) return text[0];
  if (text.size() < 2 || text[0] != '\\') return std::nullopt;
  if (text.size() == 2) {
    switch (text[1]) {
      case 't': return '\t';
      case 'n': return '\n';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'b': return '\b';
      case '0': return '\0';
      case '\\':
      case '\'':
      case '"': return text[1];
      default: return std::nullopt;
    }
  }
  if (text.size() == 6 && text[1] == 'u') {
    unsigned value = 0;
    for (char c : text.substr(2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c))
                                                     ? c - '0'
                                                     : std::tolower(c) - 'a' + 10);
    }
    if (value < 0x80) return static_cast<char>(value);
  }
  return std::nullopt;
}

base::Result<std::optional<char>> ReadCharacter(const FormatOptionReader& reader,
                                                const std::string& key) {
  auto text = reader.GetString(key);
  if (!text) return std::optional<char>();
  std::optional<char> character = UnescapeCharacter(*text);
  if (!character) {
    return reader.InvalidValue(key, "expected a single character (an ASCII one; '\\t' for a tab)");
  }
  return character;
}

void AppendQuoted(std::string_view text, char quote, std::optional<char> escape, std::string* out) {
  out->push_back(quote);
  for (char c : text) {
    if (c == quote || (escape && c == *escape)) out->push_back(c);
    out->push_back(c);
  }
  out->push_back(quote);
}

}  // namespace

// ---- the dialect ----------------------------------------------------------------------------

bool CsvDialect::EndsInsideQuotes(std::string_view record) const {
  if (!quote) return false;
  // Quotes only open at a field start and a doubled quote inside toggles twice, so counting
  // every quote gives the parity of "inside a quoted field" for any well-formed prefix.
  size_t quotes = 0;
  for (size_t i = 0; i < record.size(); ++i) {
    if (escape && record[i] == *escape && *escape != *quote) {
      ++i;  // the escaped character is literal
      continue;
    }
    quotes += record[i] == *quote ? 1 : 0;
  }
  return quotes % 2 == 1;
}

base::Result<std::vector<std::optional<std::string>>> CsvDialect::SplitRecord(
    std::string_view record) const {
  std::vector<std::optional<std::string>> fields;
  size_t position = 0;
  std::string value;
  while (true) {
    value.clear();
    bool quoted = false;
    if (quote && position < record.size() && record[position] == *quote) {
      quoted = true;
      size_t field_start = position;
      ++position;
      while (true) {
        if (position >= record.size()) {
          return base::Status::Error(
              base::ErrorCode::kData,
              "unterminated quoted field starting at column " + std::to_string(field_start + 1));
        }
        char c = record[position];
        if (escape && c == *escape && c != *quote && position + 1 < record.size()) {
          value.push_back(record[position + 1]);
          position += 2;
          continue;
        }
        if (c == *quote) {
          if (position + 1 < record.size() && record[position + 1] == *quote) {
            value.push_back(c);
            position += 2;
            continue;
          }
          ++position;
          break;
        }
        value.push_back(c);
        ++position;
      }
      if (position < record.size() && record[position] != field_delimiter) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "unexpected character '" + std::string(1, record[position]) +
                                       "' after a closing quote at column " +
                                       std::to_string(position + 1));
      }
    } else if (!escape) {
      size_t end = record.find(field_delimiter, position);
      if (end == std::string_view::npos) end = record.size();
      std::string_view text = record.substr(position, end - position);
      if (quote && text.find(*quote) != std::string_view::npos) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "a quote inside an unquoted field at column " +
                                       std::to_string(position + text.find(*quote) + 1) +
                                       " (quote the whole field and double the quote)");
      }
      value.assign(text);
      position = end;
    } else {
      while (position < record.size() && record[position] != field_delimiter) {
        char c = record[position];
        if (c == *escape && position + 1 < record.size()) {
          value.push_back(record[position + 1]);
          position += 2;
          continue;
        }
        if (quote && c == *quote) {
          return base::Status::Error(base::ErrorCode::kData,
                                     "a quote inside an unquoted field at column " +
                                         std::to_string(position + 1) +
                                         " (quote the whole field and double the quote)");
        }
        value.push_back(c);
        ++position;
      }
    }
    if ((!quoted && value.empty()) || (null_literal && value == *null_literal)) {
      fields.emplace_back(std::nullopt);
    } else {
      fields.emplace_back(value);
    }
    if (position >= record.size()) break;
    ++position;  // the delimiter
  }
  return fields;
}

void CsvDialect::AppendField(std::string_view text, std::string* out) const {
  auto special = [&](char c) {
    return c == field_delimiter || c == '\r' || c == '\n' || (quote && c == *quote) ||
           (escape && c == *escape);
  };
  if (quote) {
    // An empty string is quoted so that it reads back as '' and not as NULL.
    bool needs_quotes = text.empty();
    for (char c : text) needs_quotes = needs_quotes || special(c);
    if (needs_quotes) {
      AppendQuoted(text, *quote, escape, out);
    } else {
      out->append(text);
    }
    return;
  }
  for (char c : text) {
    if (escape && special(c)) out->push_back(*escape);
    out->push_back(c);
  }
}

// ---- the format -----------------------------------------------------------------------------

std::vector<std::string> CsvFormat::OptionKeys() {
  return {"field-delimiter",  "quote-character",     "disable-quote-character",
          "allow-comments",   "ignore-parse-errors", "array-element-delimiter",
          "escape-character", "null-literal",        "write-bigdecimal-in-scientific-notation"};
}

base::Result<std::unique_ptr<CsvFormat>> CsvFormat::Create(const FormatFields& fields,
                                                           const FormatOptions& options,
                                                           const std::string& prefix) {
  FormatOptionReader reader("csv", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  CsvDialect dialect;
  SLUICE_ASSIGN_OR_RETURN(std::optional<char> delimiter, ReadCharacter(reader, "field-delimiter"));
  if (delimiter) dialect.field_delimiter = *delimiter;
  SLUICE_ASSIGN_OR_RETURN(bool no_quotes, reader.GetBool("disable-quote-character", false));
  SLUICE_ASSIGN_OR_RETURN(std::optional<char> quote, ReadCharacter(reader, "quote-character"));
  if (no_quotes && quote) {
    return reader.OptionError("quote-character",
                              "options '" + reader.Spelled("quote-character") + "' and '" +
                                  reader.Spelled("disable-quote-character") +
                                  "' = 'true' contradict each other: a format cannot define a "
                                  "quote character and disable it");
  }
  if (no_quotes) dialect.quote.reset();
  if (quote) dialect.quote = *quote;
  SLUICE_ASSIGN_OR_RETURN(dialect.escape, ReadCharacter(reader, "escape-character"));
  if (dialect.quote && dialect.quote == dialect.field_delimiter) {
    return reader.OptionError("quote-character", "the quote character is the field delimiter");
  }
  if (dialect.escape && dialect.escape == dialect.field_delimiter) {
    return reader.OptionError("escape-character", "the escape character is the field delimiter");
  }
  SLUICE_ASSIGN_OR_RETURN(dialect.allow_comments, reader.GetBool("allow-comments", false));
  dialect.null_literal = reader.GetString("null-literal");
  if (auto delimiter_text = reader.GetString("array-element-delimiter")) {
    if (delimiter_text->empty()) {
      return reader.InvalidValue("array-element-delimiter", "the delimiter is empty");
    }
    dialect.array_element_delimiter = *delimiter_text;
  }
  SLUICE_RETURN_IF_ERROR(reader.GetBool("write-bigdecimal-in-scientific-notation", false).status());
  SLUICE_ASSIGN_OR_RETURN(bool ignore_parse_errors, reader.GetBool("ignore-parse-errors", false));
  // Flink's CsvRowSchemaConverter: an ARRAY or a ROW holds scalars only ("only simple types
  // are supported in the second level nesting"); MAP and MULTISET have no CSV form.
  for (const types::RowField& field : fields.fields.columns) {
    const types::LogicalType& type = field.type;
    std::vector<types::LogicalType> nested;
    if (type.id() == types::TypeId::kArray) nested.push_back(type.element_type());
    if (type.id() == types::TypeId::kRow) {
      for (const types::RowField& row_field : type.fields()) nested.push_back(row_field.type);
    }
    bool simple = type.id() != types::TypeId::kMap && type.id() != types::TypeId::kMultiset;
    for (const types::LogicalType& inner : nested) {
      simple = simple && !inner.IsCollection() && inner.id() != types::TypeId::kRow;
    }
    if (!simple) {
      return base::Status::Error(
          base::ErrorCode::kOption,
          "format 'csv' cannot hold column '" + field.name + "' of type " + type.ToString() +
              ": as Flink's, it takes an ARRAY or a ROW of scalars (joined by "
              "'csv.array-element-delimiter'), no MAP or MULTISET and no deeper nesting; use "
              "'format' = 'json'");
    }
  }
  return std::make_unique<CsvFormat>(fields, std::move(dialect), ignore_parse_errors);
}

CsvFormat::CsvFormat(const FormatFields& fields, CsvDialect dialect, bool ignore_parse_errors)
    : slots_(FieldSlots(fields)),
      dialect_(std::move(dialect)),
      ignore_parse_errors_(ignore_parse_errors) {
  for (const types::RowField& field : fields.fields.columns) {
    names_.push_back(field.name);
    instants_.push_back(field.type.IsTimestampLtz());
    types_.push_back(field.type);
  }
}

base::Status CsvFormat::Decode(std::optional<std::string_view> record, Batch* batch) const {
  if (!record) return base::Status::Ok();  // a null message: nothing to read
  if (dialect_.allow_comments && !record->empty() && record->front() == '#') {
    return base::Status::Ok();
  }
  if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a csv record");
  const int32_t row = batch->row_count();
  base::Status status = DecodeFields(*record, batch, row);
  if (!status.ok()) {
    if (!ignore_parse_errors_) return status;
    skipped_records_.fetch_add(1, std::memory_order_relaxed);
    return base::Status::Ok();
  }
  SetRowKind(batch, row, RowKind::kInsert);
  batch->set_row_count(row + 1);
  return base::Status::Ok();
}

base::Status CsvFormat::DecodeFields(std::string_view record, Batch* batch, int32_t row) const {
  SLUICE_ASSIGN_OR_RETURN(auto fields, dialect_.SplitRecord(record));
  if (fields.size() != slots_.size()) {
    return base::Status::Error(base::ErrorCode::kData, "expected " + std::to_string(slots_.size()) +
                                                           " fields, found " +
                                                           std::to_string(fields.size()));
  }
  for (size_t index = 0; index < fields.size(); ++index) {
    Column* column = &batch->column(slots_[index]);
    if (fields[index] && (types_[index].id() == types::TypeId::kArray ||
                          types_[index].id() == types::TypeId::kRow)) {
      // Unquoted empty: NULL (below); quoted "": an empty array, a row of one NULL field.
      if (!ParseNested(*fields[index], index, batch, row)) {
        return base::Status::Error(base::ErrorCode::kData, "column '" + names_[index] +
                                                               "': cannot read '" + *fields[index] +
                                                               "' as " + types_[index].ToString());
      }
      continue;
    }
    if (!fields[index] && types_[index].id() == types::TypeId::kRow) {
      for (size_t k = 0; k < SlotCount(types_[index]); ++k) {
        SetNull(&batch->column(slots_[index] + k), row);
      }
      continue;
    }
    // An empty field is NULL; quoted ("") it is an empty string, where the type has one.
    if (!fields[index] ||
        (fields[index]->empty() && column->type().id() != types::TypeId::kVarchar &&
         column->type().id() != types::TypeId::kBinary)) {
      SetNull(column, row);
      continue;
    }
    if (!ParseValue(*fields[index], column, row, &batch->arena())) {
      return base::Status::Error(base::ErrorCode::kData, "column '" + names_[index] +
                                                             "': cannot read '" + *fields[index] +
                                                             "' as " + column->type().ToString());
    }
  }
  return base::Status::Ok();
}

base::Status CsvFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  RowKind kind = batch.row_kind(row);
  if (kind != RowKind::kInsert && kind != RowKind::kUpdateAfter) {
    return base::Status::Error(base::ErrorCode::kPlan, std::string("format 'csv' cannot write a ") +
                                                           RowKindName(kind) +
                                                           " row: it holds inserts only");
  }
  std::string text;
  for (size_t index = 0; index < slots_.size(); ++index) {
    if (index > 0) out->push_back(dialect_.field_delimiter);
    const Column& column = batch.column(slots_[index]);
    if (column.IsNull(row)) {
      if (dialect_.null_literal) out->append(*dialect_.null_literal);
      continue;
    }
    text.clear();
    if (types_[index].id() == types::TypeId::kArray || types_[index].id() == types::TypeId::kRow) {
      AppendNested(batch, index, row, &text);
    } else {
      AppendValue(column, row, &text, index < instants_.size() && instants_[index]);
    }
    if (index == 0 && dialect_.allow_comments && dialect_.quote && !text.empty() &&
        text.front() == '#') {
      AppendQuoted(text, *dialect_.quote, dialect_.escape, out);  // not a comment
    } else {
      dialect_.AppendField(text, out);
    }
  }
  return base::Status::Ok();
}

void CsvFormat::AppendHeader(std::string* out) const {
  for (size_t index = 0; index < names_.size(); ++index) {
    if (index > 0) out->push_back(dialect_.field_delimiter);
    dialect_.AppendField(names_[index], out);
  }
}

// ---- ARRAY and ROW fields ------------------------------------------------------------------

bool CsvFormat::ParseNested(std::string_view text, size_t index, Batch* batch, int32_t row) const {
  const types::LogicalType& type = types_[index];
  const std::string& delimiter = dialect_.array_element_delimiter;
  std::vector<std::string_view> pieces;
  for (size_t start = 0;;) {
    size_t end = text.find(delimiter, start);
    if (end == std::string_view::npos) {
      pieces.push_back(text.substr(start));
      break;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end + delimiter.size();
  }
  if (type.id() == types::TypeId::kRow) {
    const auto& fields = type.fields();
    if (pieces.size() != fields.size()) return false;
    Column* validity = &batch->column(slots_[index]);
    for (size_t i = 0; i < fields.size(); ++i) {
      Column* column = &batch->column(slots_[index] + 1 + i);
      bool null =
          pieces[i].empty() || (dialect_.null_literal && pieces[i] == *dialect_.null_literal);
      if (null) {
        SetNull(column, row);
      } else if (!ParseValue(pieces[i], column, row, &batch->arena())) {
        return false;
      }
    }
    validity->validity()[row] = 1;
    return true;
  }
  // An empty text is an array without elements (written so); otherwise one element per piece.
  if (text.empty()) pieces.clear();
  const types::LogicalType& element = type.element_type();
  expr::CollectionWriter writer;
  for (std::string_view piece : pieces) {
    expr::Item item;
    bool null = piece.empty() || (dialect_.null_literal && piece == *dialect_.null_literal);
    if (!null) {
      if (element.IsTimestampLtz() && (piece.back() == 'Z' || piece.back() == 'z')) {
        piece.remove_suffix(1);
      }
      if (!expr::ParseItem(piece, element, &item)) return false;
    }
    writer.Add(item);
  }
  Column* column = &batch->column(slots_[index]);
  column->values<StringRef>()[row] =
      batch->arena().Copy(writer.Finish(static_cast<uint32_t>(pieces.size())));
  column->validity()[row] = 1;
  return true;
}

void CsvFormat::AppendItem(const expr::Item& item, const types::LogicalType& type,
                           std::string* out) const {
  switch (type.id()) {
    case types::TypeId::kBoolean: out->append(item.integer != 0 ? "true" : "false"); return;
    case types::TypeId::kDouble: out->append(expr::FormatReal(item.real, type)); return;
    case types::TypeId::kDecimal:
      out->append(expr::FormatDecimal(item.integer, type.scale()));
      return;
    case types::TypeId::kVarchar: out->append(item.bytes); return;
    case types::TypeId::kTimestamp:
      out->append(expr::FormatTimestamp(item.integer));
      if (type.IsTimestampLtz()) out->push_back('Z');
      return;
    case types::TypeId::kDate:
      out->append(expr::FormatDate(static_cast<int32_t>(item.integer)));
      return;
    case types::TypeId::kTime:
      out->append(expr::FormatTime(static_cast<int32_t>(item.integer)));
      return;
    default: out->append(std::to_string(item.integer)); return;
  }
}

void CsvFormat::AppendNested(const Batch& batch, size_t index, int32_t row,
                             std::string* out) const {
  const types::LogicalType& type = types_[index];
  const std::string& delimiter = dialect_.array_element_delimiter;
  auto append_null = [&]() {
    if (dialect_.null_literal) out->append(*dialect_.null_literal);
  };
  if (type.id() == types::TypeId::kRow) {
    for (size_t i = 0; i < type.fields().size(); ++i) {
      if (i > 0) out->append(delimiter);
      const Column& column = batch.column(slots_[index] + 1 + i);
      if (column.IsNull(row)) {
        append_null();
      } else {
        AppendValue(column, row, out, type.fields()[i].type.IsTimestampLtz());
      }
    }
    return;
  }
  std::vector<expr::Item> items;
  const Column& column = batch.column(slots_[index]);
  if (!expr::DecodeCollection(column.values<StringRef>()[row].view(), 1, &items)) {
    out->append("<malformed ").append(type.ToString()).append(">");
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->append(delimiter);
    if (items[i].tag == expr::ItemTag::kNull) {
      append_null();
    } else {
      AppendItem(items[i], type.element_type(), out);
    }
  }
}

// ---- text forms -----------------------------------------------------------------------------

void CsvFormat::AppendValue(const Column& column, int32_t row, std::string* out, bool instant) {
  const types::LogicalType& type = column.type();
  switch (type.id()) {
    case types::TypeId::kBoolean:
      out->append(column.values<uint8_t>()[row] ? "true" : "false");
      return;
    case types::TypeId::kInt: out->append(std::to_string(column.values<int32_t>()[row])); return;
    case types::TypeId::kBigint: out->append(std::to_string(column.values<int64_t>()[row])); return;
    case types::TypeId::kDouble:
      out->append(expr::FormatReal(column.values<double>()[row], type));
      return;
    case types::TypeId::kDecimal:
      out->append(expr::FormatDecimal(column.DecimalAt(row), type.scale()));
      return;
    case types::TypeId::kVarchar: out->append(column.values<StringRef>()[row].view()); return;
    case types::TypeId::kBinary:  // base64 (Flink's CSV and JSON formats)
      out->append(expr::EncodeBase64(column.values<StringRef>()[row].view()));
      return;
    case types::TypeId::kTimestamp:
      out->append(expr::FormatTimestamp(column.values<int64_t>()[row]));
      if (instant) out->push_back('Z');  // an instant, in UTC (Flink's form)
      return;
    case types::TypeId::kInterval:
      out->append(expr::FormatInterval(column.values<int64_t>()[row]));
      return;
    case types::TypeId::kDate: out->append(expr::FormatDate(column.values<int32_t>()[row])); return;
    case types::TypeId::kTime: out->append(expr::FormatTime(column.values<int32_t>()[row])); return;
    case types::TypeId::kArray:
    case types::TypeId::kMap:
    case types::TypeId::kMultiset:
      if (!expr::AppendCollectionText(column.values<StringRef>()[row].view(),
                                      expr::TypeDescriptor(type), out)) {
        out->append("<malformed ").append(type.ToString()).append(">");
      }
      return;
    case types::TypeId::kNull:
    case types::TypeId::kRow: break;
  }
  SLUICE_CHECK(false, "no text form for a {} slot", type.ToString());
}

bool CsvFormat::ParseValue(std::string_view text, Column* column, int32_t row, Arena* arena) {
  const types::LogicalType& type = column->type();
  StringRef input = RefOf(text);
  uint8_t valid = 0;
  // A field is read more strictly than CAST reads text: no integer with a fraction, a BOOLEAN
  // only `true` or `false` (in any case, blanks around).
  const bool fraction = text.find('.') != std::string_view::npos;
  switch (type.id()) {
    case types::TypeId::kBoolean: {
      std::string_view word = text;
      while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
      while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
      auto is = [&](std::string_view expected) {
        return word.size() == expected.size() &&
               std::equal(word.begin(), word.end(), expected.begin(),
                          [](char a, char b) { return (a | 0x20) == b; });
      };
      valid = (is("true") || is("false")) &&
              sluice_cast_string_to_boolean(&input, &column->values<uint8_t>()[row]);
      break;
    }
    case types::TypeId::kInt: {
      int32_t& value = column->values<int32_t>()[row];
      valid = !fraction && sluice_cast_string_to_int(&input, &value);
      // A TINYINT or SMALLINT reads only numbers in its range.
      if (valid && type.IsTinyint()) valid = value == static_cast<int8_t>(value);
      if (valid && type.IsSmallint()) valid = value == static_cast<int16_t>(value);
      break;
    }
    case types::TypeId::kBigint:
      valid = !fraction && sluice_cast_string_to_bigint(&input, &column->values<int64_t>()[row]);
      break;
    case types::TypeId::kDouble: {
      double& value = column->values<double>()[row];
      valid = sluice_cast_string_to_double(&input, &value);
      if (valid && type.IsFloat()) value = static_cast<float>(value);  // the nearest float
      break;
    }
    case types::TypeId::kDecimal: {
      __int128 value = 0;
      valid = sluice_cast_string_to_decimal(&input, type.precision(), type.scale(), &value);
      column->SetDecimal(row, value);
      break;
    }
    case types::TypeId::kVarchar:
      column->values<StringRef>()[row] = arena->Copy(text);
      valid = 1;
      break;
    case types::TypeId::kBinary: {
      std::string bytes;
      valid = expr::DecodeBase64(text, &bytes) ? 1 : 0;
      if (valid) column->values<StringRef>()[row] = arena->Copy(bytes);
      break;
    }
    case types::TypeId::kTimestamp:
      // A TIMESTAMP_LTZ is written in UTC with a `Z` (Flink's form); read it with or without.
      if (type.IsTimestampLtz() && !text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
        input = RefOf(text.substr(0, text.size() - 1));
      }
      valid = sluice_cast_string_to_timestamp(&input, &column->values<int64_t>()[row]);
      break;
    case types::TypeId::kInterval:
      valid = ParseInterval(text, &column->values<int64_t>()[row]) ? 1 : 0;
      break;
    case types::TypeId::kDate:
      valid = sluice_cast_string_to_date(&input, &column->values<int32_t>()[row]);
      break;
    case types::TypeId::kTime:
      valid = sluice_cast_string_to_time(&input, &column->values<int32_t>()[row]);
      break;
    case types::TypeId::kArray:
    case types::TypeId::kMap:
    case types::TypeId::kMultiset:  // no text form to read (CsvFormat refuses such columns)
    case types::TypeId::kNull:
    case types::TypeId::kRow: valid = 0; break;
  }
  if (!valid) {
    SetNull(column, row);
    return false;
  }
  column->validity()[row] = 1;
  return true;
}

void CsvFormat::SetNull(Column* column, int32_t row) {
  column->validity()[row] = 0;
  int32_t width = column->type().PhysicalWidth();
  if (width > 0) std::memset(column->data() + static_cast<size_t>(row) * width, 0, width);
}

}  // namespace sluice::runtime::connectors::formats
