#include "runtime/connectors/json_format.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "runtime/connectors/csv_format.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors {

namespace {

/// One parsed JSON value. Numbers keep the text they were written with, so that a DECIMAL is
/// read exactly rather than through a double.
struct JsonNode {
  enum class Kind { kNull, kBoolean, kInteger, kNumber, kString, kObject, kArray };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;                                       // a number as written, a string's value
  std::vector<std::pair<std::string, JsonNode>> members;  // an object's members, an array's items
};

const char* KindName(JsonNode::Kind kind) {
  switch (kind) {
    case JsonNode::Kind::kNull: return "null";
    case JsonNode::Kind::kBoolean: return "a boolean";
    case JsonNode::Kind::kInteger:
    case JsonNode::Kind::kNumber: return "a number";
    case JsonNode::Kind::kString: return "a string";
    case JsonNode::Kind::kObject: return "an object";
    case JsonNode::Kind::kArray: return "an array";
  }
  return "?";
}

/// Builds a JsonNode tree from nlohmann's SAX events, iteratively (no recursion on depth).
class TreeBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  JsonNode& root() { return root_; }
  const std::string& error() const { return error_; }

  bool null() override { return Add(JsonNode::Kind::kNull) != nullptr; }
  bool boolean(bool value) override {
    Add(JsonNode::Kind::kBoolean)->boolean = value;
    return true;
  }
  bool number_integer(number_integer_t value) override {
    Add(JsonNode::Kind::kInteger)->text = std::to_string(value);
    return true;
  }
  bool number_unsigned(number_unsigned_t value) override {
    Add(JsonNode::Kind::kInteger)->text = std::to_string(value);
    return true;
  }
  bool number_float(number_float_t value, const string_t& text) override {
    Add(JsonNode::Kind::kNumber)->text = text;
    return true;
  }
  bool string(string_t& value) override {
    Add(JsonNode::Kind::kString)->text = std::move(value);
    return true;
  }
  bool binary(binary_t& value) override { return false; }
  bool start_object(std::size_t) override {
    stack_.push_back(Add(JsonNode::Kind::kObject));
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    stack_.push_back(Add(JsonNode::Kind::kArray));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool key(string_t& value) override {
    key_ = std::move(value);
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest reads well.
    std::string message = error.what();
    size_t bracket = message.find("] ");
    error_ = bracket == std::string::npos ? message : message.substr(bracket + 2);
    return false;
  }

 private:
  // Children are only appended to the innermost open container, so the pointers held in
  // stack_ (to containers further out) stay valid while their vectors do not grow.
  JsonNode* Add(JsonNode::Kind kind) {
    JsonNode* node = &root_;
    if (!stack_.empty()) {
      auto& members = stack_.back()->members;
      members.emplace_back(std::move(key_), JsonNode{});
      key_.clear();
      node = &members.back().second;
    }
    node->kind = kind;
    return node;
  }

  JsonNode root_;
  std::vector<JsonNode*> stack_;
  std::string key_;
  std::string error_;
};

size_t SlotCount(const types::LogicalType& type) {
  if (type.id() != types::TypeId::kRow) return 1;
  size_t count = 1;
  for (const types::RowField& field : type.fields()) count += SlotCount(field.type);
  return count;
}

const JsonNode* FindMember(const JsonNode& object, const std::string& name) {
  // The last occurrence wins, as in most JSON readers; an exact match beats a case-insensitive
  // one, since SQL names are case-insensitive but JSON keys are not.
  const JsonNode* found = nullptr;
  for (const auto& [key, value] : object.members) {
    if (key == name) found = &value;
  }
  if (found != nullptr) return found;
  for (const auto& [key, value] : object.members) {
    if (types::IdentifierEquals(key, name)) found = &value;
  }
  return found;
}

void SetSubtreeNull(const types::LogicalType& type, size_t slot, Batch* batch, int32_t row) {
  for (size_t i = 0; i < SlotCount(type); ++i) CsvFormat::SetNull(&batch->column(slot + i), row);
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
  return DataError(path,
                   std::string("expected ") + type.ToString() + ", found " + KindName(node.kind));
}

base::Status AssignValue(const JsonNode* node, const types::LogicalType& type, size_t slot,
                         Batch* batch, int32_t row, const std::string& path) {
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) {
    SetSubtreeNull(type, slot, batch, row);
    return base::Status::Ok();
  }
  if (type.id() != types::TypeId::kRow) return AssignLeaf(*node, slot, batch, row, path);
  if (node->kind != JsonNode::Kind::kObject) {
    return DataError(path, std::string("expected an object, found ") + KindName(node->kind));
  }
  batch->column(slot).validity()[row] = 1;
  size_t field_slot = slot + 1;
  for (const types::RowField& field : type.fields()) {
    SLUICE_RETURN_IF_ERROR(AssignValue(FindMember(*node, field.name), field.type, field_slot, batch,
                                       row, path + "." + field.name));
    field_slot += SlotCount(field.type);
  }
  return base::Status::Ok();
}

void AppendDouble(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (value == 0 && std::signbit(value)) {
    out->append("-0.0");  // "-0" would read back as the integer 0 and lose its sign
  } else {
    out->append(expr::FormatDouble(value));
  }
}

void AppendJsonValue(const Batch& batch, int32_t row, const types::LogicalType& type, size_t* slot,
                     std::string* out) {
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
        if (!first) out->push_back(',');
        first = false;
        JsonFormat::AppendString(field.name, out);
        out->push_back(':');
        AppendJsonValue(batch, row, field.type, slot, out);
      }
      out->push_back('}');
      return;
    }
    case types::TypeId::kDouble: AppendDouble(column.values<double>()[row], out); return;
    case types::TypeId::kVarchar:
      JsonFormat::AppendString(column.values<StringRef>()[row].view(), out);
      return;
    case types::TypeId::kTimestamp:
    case types::TypeId::kInterval: {
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

// Returns the length of the valid UTF-8 sequence starting at `text[position]`, or 0.
size_t Utf8SequenceLength(std::string_view text, size_t position) {
  auto byte = [&](size_t offset) -> unsigned {
    return position + offset < text.size() ? static_cast<unsigned char>(text[position + offset])
                                           : 0u;
  };
  auto continuation = [&](size_t offset) { return (byte(offset) & 0xC0u) == 0x80u; };
  unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    unsigned second = byte(1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
    if (lead == 0xED && second > 0x9F) return 0;  // UTF-16 surrogates
    return continuation(1) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    unsigned second = byte(1);
    if (lead == 0xF0 && second < 0x90) return 0;  // overlong
    if (lead == 0xF4 && second > 0x8F) return 0;  // past U+10FFFF
    return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

JsonFormat::JsonFormat(types::Schema schema) : schema_(std::move(schema)) {
  size_t slot = 0;
  for (const types::RowField& column : schema_.columns) {
    first_slots_.push_back(slot);
    slot += SlotCount(column.type);
  }
}

void JsonFormat::AppendRecord(const Batch& batch, int32_t row, bool with_row_kind,
                              std::string* out) const {
  out->push_back('{');
  bool first = true;
  if (with_row_kind) {
    out->append("\"op\":\"");
    out->append(RowKindName(batch.row_kind(row)));
    out->push_back('"');
    first = false;
  }
  size_t slot = 0;
  for (const types::RowField& column : schema_.columns) {
    if (!first) out->push_back(',');
    first = false;
    AppendString(column.name, out);
    out->push_back(':');
    AppendJsonValue(batch, row, column.type, &slot, out);
  }
  out->append("}\n");
}

base::Status JsonFormat::ParseRecord(std::string_view line, Batch* batch, int32_t row) const {
  TreeBuilder builder;
  if (!nlohmann::json::sax_parse(line.begin(), line.end(), &builder)) {
    return base::Status::Error(base::ErrorCode::kData, "invalid JSON: " + builder.error());
  }
  const JsonNode& root = builder.root();
  if (root.kind != JsonNode::Kind::kObject) {
    return base::Status::Error(base::ErrorCode::kData,
                               std::string("expected a JSON object, found ") + KindName(root.kind));
  }
  for (size_t index = 0; index < schema_.columns.size(); ++index) {
    const types::RowField& column = schema_.columns[index];
    SLUICE_RETURN_IF_ERROR(AssignValue(FindMember(root, column.name), column.type,
                                       first_slots_[index], batch, row, column.name));
  }
  return base::Status::Ok();
}

void JsonFormat::AppendString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t position = 0;
  while (position < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[position]);
    if (c >= 0x80) {
      size_t length = Utf8SequenceLength(text, position);
      if (length == 0) {
        out->append("\\ufffd");
        ++position;
      } else {
        out->append(text.substr(position, length));
        position += length;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++position;
  }
  out->push_back('"');
}

}  // namespace sluice::runtime::connectors
