#include "runtime/connectors/csv_format.h"

#include <cctype>
#include <cstdint>
#include <cstring>

#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors {

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

bool NeedsQuotes(std::string_view text) {
  return text.find_first_of(",\"\r\n") != std::string_view::npos;
}

void AppendQuoted(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendField(std::string_view text, std::string* out) {
  // An empty string is quoted so that it reads back as '' and not as NULL.
  if (text.empty() || NeedsQuotes(text)) {
    AppendQuoted(text, out);
  } else {
    out->append(text);
  }
}

}  // namespace

void CsvFormat::AppendValue(const Column& column, int32_t row, std::string* out) {
  const types::LogicalType& type = column.type();
  switch (type.id()) {
    case types::TypeId::kBoolean:
      out->append(column.values<uint8_t>()[row] ? "true" : "false");
      return;
    case types::TypeId::kInt: out->append(std::to_string(column.values<int32_t>()[row])); return;
    case types::TypeId::kBigint: out->append(std::to_string(column.values<int64_t>()[row])); return;
    case types::TypeId::kDouble:
      out->append(expr::FormatDouble(column.values<double>()[row]));
      return;
    case types::TypeId::kDecimal:
      out->append(expr::FormatDecimal(column.values<int64_t>()[row], type.scale()));
      return;
    case types::TypeId::kVarchar: out->append(column.values<StringRef>()[row].view()); return;
    case types::TypeId::kTimestamp:
      out->append(expr::FormatTimestamp(column.values<int64_t>()[row]));
      return;
    case types::TypeId::kInterval:
      out->append(expr::FormatInterval(column.values<int64_t>()[row]));
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
  switch (type.id()) {
    case types::TypeId::kBoolean:
      valid = sluice_cast_string_to_boolean(&input, &column->values<uint8_t>()[row]);
      break;
    case types::TypeId::kInt:
      valid = sluice_cast_string_to_int(&input, &column->values<int32_t>()[row]);
      break;
    case types::TypeId::kBigint:
      valid = sluice_cast_string_to_bigint(&input, &column->values<int64_t>()[row]);
      break;
    case types::TypeId::kDouble:
      valid = sluice_cast_string_to_double(&input, &column->values<double>()[row]);
      break;
    case types::TypeId::kDecimal:
      valid = sluice_cast_string_to_decimal(&input, type.precision(), type.scale(),
                                            &column->values<int64_t>()[row]);
      break;
    case types::TypeId::kVarchar:
      column->values<StringRef>()[row] = arena->Copy(text);
      valid = 1;
      break;
    case types::TypeId::kTimestamp:
      valid = sluice_cast_string_to_timestamp(&input, &column->values<int64_t>()[row]);
      break;
    case types::TypeId::kInterval:
      valid = ParseInterval(text, &column->values<int64_t>()[row]) ? 1 : 0;
      break;
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

void CsvFormat::AppendRecord(const Batch& batch, int32_t row, std::string* out) {
  std::string text;
  for (size_t index = 0; index < batch.column_count(); ++index) {
    if (index > 0) out->push_back(',');
    const Column& column = batch.column(index);
    if (column.IsNull(row)) continue;
    text.clear();
    AppendValue(column, row, &text);
    AppendField(text, out);
  }
  out->push_back('\n');
}

void CsvFormat::AppendHeader(const types::Schema& schema, std::string* out) {
  for (size_t index = 0; index < schema.columns.size(); ++index) {
    if (index > 0) out->push_back(',');
    AppendField(schema.columns[index].name, out);
  }
  out->push_back('\n');
}

bool CsvFormat::EndsInsideQuotes(std::string_view record) {
  // Quotes only open at a field start and a doubled quote inside toggles twice, so counting
  // every quote gives the parity of "inside a quoted field" for any well-formed prefix.
  size_t quotes = 0;
  for (char c : record) quotes += c == '"' ? 1 : 0;
  return quotes % 2 == 1;
}

base::Result<std::vector<std::optional<std::string>>> CsvFormat::SplitRecord(
    std::string_view record) {
  std::vector<std::optional<std::string>> fields;
  size_t position = 0;
  while (true) {
    if (position < record.size() && record[position] == '"') {
      std::string value;
      size_t field_start = position;
      ++position;
      while (true) {
        if (position >= record.size()) {
          return base::Status::Error(
              base::ErrorCode::kData,
              "unterminated quoted field starting at column " + std::to_string(field_start + 1));
        }
        char c = record[position];
        if (c == '"') {
          if (position + 1 < record.size() && record[position + 1] == '"') {
            value.push_back('"');
            position += 2;
            continue;
          }
          ++position;
          break;
        }
        value.push_back(c);
        ++position;
      }
      if (position < record.size() && record[position] != ',') {
        return base::Status::Error(base::ErrorCode::kData,
                                   "unexpected character '" + std::string(1, record[position]) +
                                       "' after a closing quote at column " +
                                       std::to_string(position + 1));
      }
      fields.emplace_back(std::move(value));
    } else {
      size_t end = record.find(',', position);
      if (end == std::string_view::npos) end = record.size();
      std::string_view value = record.substr(position, end - position);
      if (value.find('"') != std::string_view::npos) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "a quote inside an unquoted field at column " +
                                       std::to_string(position + value.find('"') + 1) +
                                       " (quote the whole field and double the quote)");
      }
      if (value.empty()) {
        fields.emplace_back(std::nullopt);
      } else {
        fields.emplace_back(std::string(value));
      }
      position = end;
    }
    if (position >= record.size()) break;
    ++position;  // the comma
  }
  return fields;
}

}  // namespace sluice::runtime::connectors
