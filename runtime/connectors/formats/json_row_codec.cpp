#include "runtime/connectors/formats/json_row_codec.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/json_format.h"
#include "runtime/expr/base64.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors::formats {

namespace {

void SetSubtreeNull(const types::LogicalType& type, size_t slot, Batch* batch, int32_t row) {
  const size_t count = SlotCount(type);
  for (size_t i = 0; i < count; ++i) CsvFormat::SetNull(&batch->column(slot + i), row);
}

base::Status DataError(const std::string& path, const std::string& what) {
  return base::Status::Error(base::ErrorCode::kData, "column '" + path + "': " + what);
}

base::Status AssignLeaf(const JsonNode& node, size_t slot, Batch* batch, int32_t row,
                        const std::string& path) {
  Column* column = &batch->column(slot);
  const types::LogicalType& type = column->type();
  switch (node.kind) {
    case JsonNode::Kind::kNull: CsvFormat::SetNull(column, row); return base::Status::Ok();
    case JsonNode::Kind::kBoolean:
      if (type.id() == types::TypeId::kBoolean || type.id() == types::TypeId::kVarchar) {
        CsvFormat::ParseValue(node.boolean ? "true" : "false", column, row, &batch->arena());
        return base::Status::Ok();
      }
      break;
    case JsonNode::Kind::kInteger:
      if (type.id() == types::TypeId::kTimestamp || type.id() == types::TypeId::kInterval) {
        // A whole number for a time is milliseconds (since the epoch for a TIMESTAMP).
        int64_t millis = 0;
        const char* end = node.text.data() + node.text.size();
        auto [pointer, error] = std::from_chars(node.text.data(), end, millis);
        if (error != std::errc() || pointer != end) {
          return DataError(path, node.text + " is out of range for " + type.ToString());
        }
        column->values<int64_t>()[row] = millis;
        column->validity()[row] = 1;
        return base::Status::Ok();
      }
      [[fallthrough]];
    case JsonNode::Kind::kNumber:
    case JsonNode::Kind::kString:
      if (CsvFormat::ParseValue(node.text, column, row, &batch->arena())) return base::Status::Ok();
      return DataError(
          path, "cannot read " +
                    (node.kind == JsonNode::Kind::kString ? "'" + node.text + "'" : node.text) +
                    " as " + type.ToString());
    case JsonNode::Kind::kObject:
    case JsonNode::Kind::kArray: break;
  }
  return DataError(
      path, std::string("expected ") + type.ToString() + ", found " + JsonKindName(node.kind));
}

/// Encodes a JSON array (ARRAY, MULTISET) or object (MAP) as a collection of `type`
/// (runtime/expr/collection_value.h); a kData error naming the path when an item does not fit.
base::Status EncodeCollection(const JsonNode& node, const types::LogicalType& type,
                              const std::string& path, std::string* out);

base::Status EncodeItem(const JsonNode& node, const types::LogicalType& type,
                        const std::string& path, expr::CollectionWriter* writer) {
  expr::Item item;
  if (node.kind == JsonNode::Kind::kNull) {
    writer->Add(item);
    return base::Status::Ok();
  }
  if (type.id() == types::TypeId::kRow) {
    // A ROW element: its fields by name (runtime/expr/collection_value.h).
    if (node.kind != JsonNode::Kind::kObject) {
      return DataError(path, std::string("expected an object for ") + type.ToString() + ", found " +
                                 JsonKindName(node.kind));
    }
    expr::CollectionWriter fields;
    for (const types::RowField& field : type.fields()) {
      const JsonNode* member = FindColumnMember(node, field.name);
      JsonNode null_node;
      SLUICE_RETURN_IF_ERROR(EncodeItem(member != nullptr ? *member : null_node, field.type,
                                        path + "." + field.name, &fields));
    }
    std::string nested = fields.Finish(static_cast<uint32_t>(type.fields().size()));
    item.tag = expr::ItemTag::kBytes;
    item.bytes = nested;
    writer->Add(item);
    return base::Status::Ok();
  }
  if (type.IsCollection()) {
    std::string nested;
    SLUICE_RETURN_IF_ERROR(EncodeCollection(node, type, path, &nested));
    item.tag = expr::ItemTag::kBytes;
    item.bytes = nested;
    writer->Add(item);
    return base::Status::Ok();
  }
  bool scalar = node.kind != JsonNode::Kind::kObject && node.kind != JsonNode::Kind::kArray;
  std::string text =
      node.kind == JsonNode::Kind::kBoolean ? (node.boolean ? "true" : "false") : node.text;
  if (scalar && node.kind == JsonNode::Kind::kInteger && type.id() == types::TypeId::kTimestamp) {
    int64_t millis = 0;  // milliseconds since the epoch
    const char* end = node.text.data() + node.text.size();
    auto [pointer, error] = std::from_chars(node.text.data(), end, millis);
    if (error != std::errc() || pointer != end) {
      return DataError(path, node.text + " is out of range for " + type.ToString());
    }
    text = expr::FormatTimestamp(millis);
  }
  if (scalar && type.id() == types::TypeId::kBinary) {
    // BYTES are a base64 string (Flink's JSON format).
    std::string bytes;
    if (node.kind != JsonNode::Kind::kString || !expr::DecodeBase64(text, &bytes)) {
      return DataError(
          path, "cannot read " +
                    (node.kind == JsonNode::Kind::kString ? "'" + text + "'"
                                                          : std::string(JsonKindName(node.kind))) +
                    " as BYTES (expected a base64 string)");
    }
    text = std::move(bytes);
  }
  if (!scalar || type.id() == types::TypeId::kRow || !expr::ParseItem(text, type, &item)) {
    return DataError(path, std::string("cannot read ") +
                               (scalar ? "'" + text + "'" : JsonKindName(node.kind)) + " as " +
                               type.ToString());
  }
  writer->Add(item);
  return base::Status::Ok();
}

base::Status EncodeCollection(const JsonNode& node, const types::LogicalType& type,
                              const std::string& path, std::string* out) {
  expr::CollectionWriter writer;
  if (type.id() == types::TypeId::kMap) {
    if (node.kind != JsonNode::Kind::kObject) {
      return DataError(path, std::string("expected an object for ") + type.ToString() + ", found " +
                                 JsonKindName(node.kind));
    }
    // One entry per key, the last value winning (as a Java map would keep it).
    std::vector<std::pair<std::string, const JsonNode*>> entries;
    for (const auto& [key, value] : node.members) {
      bool replaced = false;
      for (auto& entry : entries) {
        if (entry.first == key) entry.second = &value, replaced = true;
      }
      if (!replaced) entries.emplace_back(key, &value);
    }
    for (const auto& [key, value] : entries) {
      JsonNode key_node;
      key_node.kind = JsonNode::Kind::kString;
      key_node.text = key;
      SLUICE_RETURN_IF_ERROR(EncodeItem(key_node, type.element_type(), path + "." + key, &writer));
      SLUICE_RETURN_IF_ERROR(EncodeItem(*value, type.value_type(), path + "." + key, &writer));
    }
    *out = writer.Finish(static_cast<uint32_t>(entries.size()));
    return base::Status::Ok();
  }
  if (node.kind != JsonNode::Kind::kArray) {
    return DataError(path, std::string("expected an array for ") + type.ToString() + ", found " +
                               JsonKindName(node.kind));
  }
  if (type.id() == types::TypeId::kArray) {
    for (size_t i = 0; i < node.members.size(); ++i) {
      SLUICE_RETURN_IF_ERROR(EncodeItem(node.members[i].second, type.element_type(),
                                        path + "[" + std::to_string(i + 1) + "]", &writer));
    }
    *out = writer.Finish(static_cast<uint32_t>(node.members.size()));
    return base::Status::Ok();
  }
  // MULTISET: each distinct element with its count, in the order first seen.
  expr::MultisetBuilder multiset;
  for (size_t i = 0; i < node.members.size(); ++i) {
    expr::CollectionWriter one;
    SLUICE_RETURN_IF_ERROR(EncodeItem(node.members[i].second, type.element_type(),
                                      path + "[" + std::to_string(i + 1) + "]", &one));
    std::string encoded = one.Finish(1);
    std::vector<expr::Item> element;
    expr::DecodeCollection(encoded, 1, &element);  // the one item just written
    multiset.Add(element.at(0));
  }
  *out = multiset.Finish();
  return base::Status::Ok();
}

void AppendDouble(double value, const types::LogicalType& type, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (value == 0 && std::signbit(value)) {
    out->append("-0.0");  // "-0" would read back as the integer 0 and lose its sign
  } else {
    out->append(expr::FormatReal(value, type));
  }
}

}  // namespace

base::Result<JsonCodecOptions> ReadJsonCodecOptions(const FormatOptionReader& reader) {
  JsonCodecOptions options;
  SLUICE_ASSIGN_OR_RETURN(options.fail_on_missing_field,
                          reader.GetBool("fail-on-missing-field", false));
  SLUICE_ASSIGN_OR_RETURN(options.ignore_parse_errors,
                          reader.GetBool("ignore-parse-errors", false));
  if (options.fail_on_missing_field && options.ignore_parse_errors) {
    // As Flink: one asks for an error where the other asks for NULL.
    return reader.OptionError("fail-on-missing-field",
                              "options '" + reader.Spelled("fail-on-missing-field") + "' and '" +
                                  reader.Spelled("ignore-parse-errors") + "' cannot both be true");
  }
  SLUICE_ASSIGN_OR_RETURN(options.timestamp_standard,
                          reader.GetTimestampStandard("timestamp-format.standard"));
  SLUICE_ASSIGN_OR_RETURN(options.ignore_null_fields,
                          reader.GetBool("encode.ignore-null-fields", false));
  if (auto mode = reader.GetString("map-null-key.mode")) {
    std::string upper = *mode;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != "FAIL" && upper != "DROP" && upper != "LITERAL") {
      return reader.InvalidValue("map-null-key.mode", "expected 'FAIL', 'DROP' or 'LITERAL'");
    }
  }
  SLUICE_RETURN_IF_ERROR(reader.GetBool("encode.decimal-as-plain-number", false).status());
  SLUICE_RETURN_IF_ERROR(reader.GetBool("decode.json-parser.enabled", true).status());
  return options;
}

JsonRowCodec::JsonRowCodec(const FormatFields& fields, JsonCodecOptions options)
    : options_(options) {
  std::vector<size_t> slots = FieldSlots(fields);
  for (size_t index = 0; index < slots.size(); ++index) {
    const types::RowField& field = fields.fields.columns[index];
    fields_.push_back(Field{field.name, field.type, slots[index]});
  }
}

base::Status JsonRowCodec::ReadObject(const JsonNode& object, Batch* batch, int32_t row) const {
  for (size_t field = 0; field < fields_.size(); ++field) {
    SLUICE_RETURN_IF_ERROR(ReadField(field, FindField(object, field), batch, row));
  }
  return base::Status::Ok();
}

const JsonNode* JsonRowCodec::FindField(const JsonNode& object, size_t field) const {
  return FindColumnMember(object, fields_[field].name);
}

base::Status JsonRowCodec::ReadField(size_t field, const JsonNode* node, Batch* batch,
                                     int32_t row) const {
  const Field& info = fields_[field];
  return AssignValue(node, info.type, info.slot, batch, row, info.name);
}

base::Status JsonRowCodec::AssignValue(const JsonNode* node, const types::LogicalType& type,
                                       size_t slot, Batch* batch, int32_t row,
                                       const std::string& path) const {
  if (node == nullptr && options_.fail_on_missing_field) {
    return DataError(path, "missing from the record (and fail-on-missing-field is true)");
  }
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) {
    SetSubtreeNull(type, slot, batch, row);
    return base::Status::Ok();
  }
  base::Status status;
  if (type.IsCollection()) {
    std::string encoded;
    status = EncodeCollection(*node, type, path, &encoded);
    if (status.ok()) {
      Column& column = batch->column(slot);
      column.values<StringRef>()[row] = batch->arena().Copy(encoded);
      column.validity()[row] = 1;
    }
  } else if (type.id() != types::TypeId::kRow) {
    status = AssignLeaf(*node, slot, batch, row, path);
  } else if (node->kind != JsonNode::Kind::kObject) {
    status = DataError(path, std::string("expected an object, found ") + JsonKindName(node->kind));
  } else {
    batch->column(slot).validity()[row] = 1;
    size_t field_slot = slot + 1;
    for (const types::RowField& field : type.fields()) {
      SLUICE_RETURN_IF_ERROR(AssignValue(FindColumnMember(*node, field.name), field.type,
                                         field_slot, batch, row, path + "." + field.name));
      field_slot += SlotCount(field.type);
    }
  }
  if (!status.ok() && options_.ignore_parse_errors) {
    SetSubtreeNull(type, slot, batch, row);  // as Flink: the field is NULL, the row stays
    return base::Status::Ok();
  }
  return status;
}

void JsonRowCodec::CopyField(size_t field, Batch* batch, int32_t from, int32_t to) const {
  const Field& info = fields_[field];
  const size_t count = SlotCount(info.type);
  for (size_t slot = info.slot; slot < info.slot + count; ++slot) {
    CopyCell(batch->column(slot), from, &batch->column(slot), to);
  }
}

void JsonRowCodec::AppendObject(const Batch& batch, int32_t row, std::string* out) const {
  out->push_back('{');
  bool first = true;
  AppendMembers(batch, row, &first, out);
  out->push_back('}');
}

void JsonRowCodec::AppendMembers(const Batch& batch, int32_t row, bool* first,
                                 std::string* out) const {
  for (const Field& field : fields_) {
    if (options_.ignore_null_fields && batch.column(field.slot).IsNull(row)) continue;
    if (!*first) out->push_back(',');
    *first = false;
    JsonFormat::AppendString(field.name, out);
    out->push_back(':');
    size_t slot = field.slot;
    AppendValue(batch, row, field.type, &slot, out);
  }
}

void JsonRowCodec::AppendValue(const Batch& batch, int32_t row, const types::LogicalType& type,
                               size_t* slot, std::string* out) const {
  const Column& column = batch.column(*slot);
  if (column.IsNull(row)) {
    out->append("null");
    *slot += SlotCount(type);
    return;
  }
  ++*slot;
  switch (type.id()) {
    case types::TypeId::kRow: {
      out->push_back('{');
      bool first = true;
      for (const types::RowField& field : type.fields()) {
        if (options_.ignore_null_fields && batch.column(*slot).IsNull(row)) {
          *slot += SlotCount(field.type);
          continue;
        }
        if (!first) out->push_back(',');
        first = false;
        JsonFormat::AppendString(field.name, out);
        out->push_back(':');
        AppendValue(batch, row, field.type, slot, out);
      }
      out->push_back('}');
      return;
    }
    case types::TypeId::kDouble: AppendDouble(column.values<double>()[row], type, out); return;
    case types::TypeId::kArray:
    case types::TypeId::kMap:
    case types::TypeId::kMultiset:
      if (!expr::AppendCollectionJson(column.values<StringRef>()[row].view(),
                                      expr::TypeDescriptor(type), out)) {
        out->append("null");
      }
      return;
    case types::TypeId::kVarchar:
      JsonFormat::AppendString(column.values<StringRef>()[row].view(), out);
      return;
    case types::TypeId::kBinary:  // a base64 string (Flink's JSON format)
      JsonFormat::AppendString(expr::EncodeBase64(column.values<StringRef>()[row].view()), out);
      return;
    case types::TypeId::kTimestamp: {
      std::string text = expr::FormatTimestamp(column.values<int64_t>()[row]);
      if (options_.timestamp_standard == TimestampStandard::kIso8601) {
        size_t space = text.find(' ');
        if (space != std::string::npos) text[space] = 'T';
      }
      if (type.IsTimestampLtz()) text.push_back('Z');  // an instant, in UTC (Flink's form)
      JsonFormat::AppendString(text, out);
      return;
    }
    case types::TypeId::kInterval:
    case types::TypeId::kDate:
    case types::TypeId::kTime: {
      std::string text;
      CsvFormat::AppendValue(column, row, &text);
      JsonFormat::AppendString(text, out);
      return;
    }
    default:
      // BOOLEAN (true/false), INT, BIGINT and DECIMAL (with its scale) are JSON as written.
      CsvFormat::AppendValue(column, row, out);
      return;
  }
}

}  // namespace sluice::runtime::connectors::formats
