#include "runtime/expr/collection_value.h"

#include <cmath>
#include <cstring>

#include "runtime/batch/batch.h"
#include "runtime/expr/base64.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::expr {

using types::LogicalType;
using types::TypeId;

namespace {

constexpr size_t kCountBytes = 4;

bool ReadU32(std::string_view in, size_t* position, uint32_t* out) {
  if (in.size() - *position < 4) return false;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<uint32_t>(static_cast<uint8_t>(in[*position + i])) << (8 * i);
  }
  *out = value;
  *position += 4;
  return true;
}

void WriteU32(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void WriteU64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

bool ReadU64(std::string_view in, size_t* position, uint64_t* out) {
  if (in.size() - *position < 8) return false;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(in[*position + i])) << (8 * i);
  }
  *out = value;
  *position += 8;
  return true;
}

bool ReadItem(std::string_view in, size_t* position, Item* item) {
  if (*position >= in.size()) return false;
  auto tag = static_cast<uint8_t>(in[(*position)++]);
  *item = Item{};
  switch (tag) {
    case 0: item->tag = ItemTag::kNull; return true;
    case 1: {
      uint64_t bits = 0;
      if (!ReadU64(in, position, &bits)) return false;
      item->tag = ItemTag::kInteger;
      item->integer = static_cast<int64_t>(bits);
      return true;
    }
    case 2: {
      uint64_t bits = 0;
      if (!ReadU64(in, position, &bits)) return false;
      item->tag = ItemTag::kReal;
      std::memcpy(&item->real, &bits, sizeof bits);
      return true;
    }
    case 3: {
      uint32_t length = 0;
      if (!ReadU32(in, position, &length)) return false;
      if (in.size() - *position < length) return false;
      item->tag = ItemTag::kBytes;
      item->bytes = in.substr(*position, length);
      *position += length;
      return true;
    }
    default: return false;
  }
}

// ---- descriptors ----------------------------------------------------------------------------

/// Reads one type from `descriptor` at `*position`; the scalar letter or collection letter.
struct DescribedType {
  char letter = 's';
  int32_t scale = 0;
  std::string_view element;  // ARRAY, MULTISET; a MAP's key
  std::string_view value;    // a MAP's value
  std::vector<std::pair<std::string_view, std::string_view>> fields;  // a ROW's: name, type
};

/// Reads decimal digits at `*position` up to `end_char`; false when there are none or no end.
bool ReadNumber(std::string_view text, size_t* position, char end_char, size_t* out) {
  size_t value = 0, digits = 0;
  while (*position < text.size() && text[*position] >= '0' && text[*position] <= '9') {
    value = value * 10 + static_cast<size_t>(text[*position] - '0');
    if (++digits > 6) return false;
    ++*position;
  }
  if (digits == 0 || *position >= text.size() || text[*position] != end_char) return false;
  ++*position;
  *out = value;
  return true;
}

/// The length of the descriptor of one type starting at `position`, 0 when malformed.
size_t DescriptorLength(std::string_view descriptor, size_t position, int depth = 0) {
  if (position >= descriptor.size() || depth > 64) return 0;
  char letter = descriptor[position];
  switch (letter) {
    case 'A':
    case 'S': {
      size_t element = DescriptorLength(descriptor, position + 1, depth + 1);
      return element == 0 ? 0 : 1 + element;
    }
    case 'M': {
      size_t key = DescriptorLength(descriptor, position + 1, depth + 1);
      if (key == 0) return 0;
      size_t value = DescriptorLength(descriptor, position + 1 + key, depth + 1);
      return value == 0 ? 0 : 1 + key + value;
    }
    case 'n': {
      size_t end = descriptor.find(';', position);
      return end == std::string_view::npos ? 0 : end - position + 1;
    }
    case 'R': {
      // R<fields>; then per field <name length>:<name><type>
      size_t at = position + 1, count = 0;
      if (!ReadNumber(descriptor, &at, ';', &count)) return 0;
      for (size_t i = 0; i < count; ++i) {
        size_t name = 0;
        if (!ReadNumber(descriptor, &at, ':', &name) || descriptor.size() - at < name) return 0;
        at += name;
        size_t field = DescriptorLength(descriptor, at, depth + 1);
        if (field == 0) return 0;
        at += field;
      }
      return at - position;
    }
    default: return 1;
  }
}

bool Describe(std::string_view descriptor, DescribedType* out) {
  size_t length = DescriptorLength(descriptor, 0);
  if (length == 0) return false;
  out->letter = descriptor[0];
  if (out->letter == 'A' || out->letter == 'S') {
    out->element = descriptor.substr(1, length - 1);
  } else if (out->letter == 'M') {
    size_t key = DescriptorLength(descriptor, 1);
    out->element = descriptor.substr(1, key);
    out->value = descriptor.substr(1 + key, length - 1 - key);
  } else if (out->letter == 'R') {
    size_t at = 1, count = 0;
    ReadNumber(descriptor, &at, ';', &count);
    for (size_t i = 0; i < count; ++i) {
      size_t name = 0;
      ReadNumber(descriptor, &at, ':', &name);
      std::string_view field_name = descriptor.substr(at, name);
      at += name;
      size_t field = DescriptorLength(descriptor, at);
      out->fields.emplace_back(field_name, descriptor.substr(at, field));
      at += field;
    }
  } else if (out->letter == 'n') {
    out->scale = 0;
    for (size_t i = 1; i + 1 < length; ++i) out->scale = out->scale * 10 + (descriptor[i] - '0');
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xF]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

/// Appends one scalar item as text (JSON when `json`); false when malformed.
bool AppendItem(const Item& item, std::string_view descriptor, bool json, std::string* out) {
  if (item.tag == ItemTag::kNull) {
    out->append(json ? "null" : "NULL");
    return true;
  }
  DescribedType type;
  if (!Describe(descriptor, &type)) return false;
  std::string text;
  bool quoted = false;
  switch (type.letter) {
    case 'A':
    case 'M':
    case 'S':
      if (item.tag != ItemTag::kBytes) return false;
      return json ? AppendCollectionJson(item.bytes, descriptor, out)
                  : AppendCollectionText(item.bytes, descriptor, out);
    case 'R': {
      // A ROW element: its fields' items; `(1, a)` as text (Flink's cast), an object in JSON.
      if (item.tag != ItemTag::kBytes) return false;
      std::vector<Item> fields;
      if (!DecodeCollection(item.bytes, 1, &fields) || fields.size() != type.fields.size()) {
        return false;
      }
      out->push_back(json ? '{' : '(');
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out->append(json ? "," : ", ");
        if (json) {
          AppendJsonString(type.fields[i].first, out);
          out->push_back(':');
        }
        if (!AppendItem(fields[i], type.fields[i].second, json, out)) return false;
      }
      out->push_back(json ? '}' : ')');
      return true;
    }
    case 's':
      if (item.tag != ItemTag::kBytes) return false;
      text = std::string(item.bytes);
      quoted = true;
      break;
    case 'b':
      // BYTES: base64 in JSON (Flink's JSON format), x'0a0b' as text (Flink's printed form).
      if (item.tag != ItemTag::kBytes) return false;
      if (json) {
        text = EncodeBase64(item.bytes);
        quoted = true;
      } else {
        text = "x'" + EncodeHex(item.bytes) + "'";
      }
      break;
    case 'd':
    case 'f':
      if (item.tag != ItemTag::kReal) return false;
      if (json && !std::isfinite(item.real)) {
        text = std::isnan(item.real) ? "NaN" : (item.real > 0 ? "Infinity" : "-Infinity");
        quoted = true;
      } else {
        text = type.letter == 'f' ? FormatFloat(item.real) : FormatDouble(item.real);
      }
      break;
    default: {
      if (item.tag != ItemTag::kInteger) return false;
      int64_t v = item.integer;
      switch (type.letter) {
        case 'Z': text = v != 0 ? "true" : "false"; break;
        case 'n': text = FormatDecimal(v, type.scale); break;
        case 'p': text = FormatTimestamp(v), quoted = true; break;
        case 'v': text = FormatInterval(v), quoted = true; break;
        case 'D': text = FormatDate(static_cast<int32_t>(v)), quoted = true; break;
        case 't': text = FormatTime(static_cast<int32_t>(v)), quoted = true; break;
        default: text = std::to_string(v); break;
      }
    }
  }
  if (json && quoted) {
    AppendJsonString(text, out);
  } else {
    out->append(text);
  }
  return true;
}

bool AppendCollection(std::string_view encoded, std::string_view descriptor, bool json,
                      std::string* out) {
  DescribedType type;
  if (!Describe(descriptor, &type)) return false;
  if (type.letter == 'R') {  // a ROW value's bytes, as a ROW element's
    Item row;
    row.tag = ItemTag::kBytes;
    row.bytes = encoded;
    return AppendItem(row, descriptor, json, out);
  }
  std::vector<Item> items;
  if (!DecodeCollection(encoded, type.letter == 'A' ? 1 : 2, &items)) return false;
  if (type.letter == 'A') {
    out->push_back('[');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out->append(json ? "," : ", ");
      if (!AppendItem(items[i], type.element, json, out)) return false;
    }
    out->push_back(']');
    return true;
  }
  if (type.letter != 'M' && type.letter != 'S') return false;
  if (items.size() % 2 != 0) return false;
  std::string_view value_descriptor = type.letter == 'M' ? type.value : std::string_view("l");
  out->push_back('{');
  for (size_t i = 0; i < items.size(); i += 2) {
    if (i > 0) out->append(json ? "," : ", ");
    if (json) {
      // A JSON object's keys are strings: a key's text form, quoted.
      std::string key;
      if (items[i].tag == ItemTag::kBytes && type.element == "s") {
        key = std::string(items[i].bytes);
      } else if (!AppendItem(items[i], type.element, false, &key)) {
        return false;
      }
      AppendJsonString(key, out);
      out->push_back(':');
    } else {
      if (!AppendItem(items[i], type.element, false, out)) return false;
      out->push_back('=');
    }
    if (!AppendItem(items[i + 1], value_descriptor, json, out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool Item::operator==(const Item& other) const {
  if (tag != other.tag) return false;
  switch (tag) {
    case ItemTag::kNull: return true;
    case ItemTag::kInteger: return integer == other.integer;
    case ItemTag::kReal: return real == other.real || (std::isnan(real) && std::isnan(other.real));
    case ItemTag::kBytes: return bytes == other.bytes;
  }
  return false;
}

bool DecodeCollection(std::string_view encoded, int items_per_entry, std::vector<Item>* items) {
  items->clear();
  size_t position = 0;
  uint32_t count = 0;
  if (!ReadU32(encoded, &position, &count)) return false;
  // Each item takes at least one byte: a count past the bytes left is malformed (and would
  // otherwise reserve memory a corrupt value asks for).
  uint64_t wanted = count;
  if (wanted > encoded.size()) return false;
  items->reserve(count);
  while (position < encoded.size()) {
    Item item;
    if (!ReadItem(encoded, &position, &item)) return false;
    items->push_back(item);
  }
  return items->size() == static_cast<uint64_t>(count) * items_per_entry;
}

void CollectionWriter::Add(const Item& item) {
  items_.push_back(static_cast<char>(item.tag));
  switch (item.tag) {
    case ItemTag::kNull: break;
    case ItemTag::kInteger: WriteU64(static_cast<uint64_t>(item.integer), &items_); break;
    case ItemTag::kReal: {
      uint64_t bits = 0;
      double real = item.real == 0 ? 0.0 : item.real;  // -0.0 and 0.0 are one value
      std::memcpy(&bits, &real, sizeof bits);
      WriteU64(bits, &items_);
      break;
    }
    case ItemTag::kBytes:
      WriteU32(static_cast<uint32_t>(item.bytes.size()), &items_);
      items_.append(item.bytes);
      break;
  }
}

std::string CollectionWriter::Finish(uint32_t count) const {
  std::string out;
  out.reserve(kCountBytes + items_.size());
  WriteU32(count, &out);
  out.append(items_);
  return out;
}

void MultisetBuilder::Add(const Item& item) {
  CollectionWriter one;
  one.Add(item);
  const std::string& encoded = one.items();
  for (auto& [known, count] : entries_) {
    if (known == encoded) {
      ++count;
      return;
    }
  }
  entries_.emplace_back(encoded, 1);
}

std::string MultisetBuilder::Finish() const {
  std::string out;
  WriteU32(static_cast<uint32_t>(entries_.size()), &out);
  for (const auto& [encoded, count] : entries_) {
    out.append(encoded);
    out.push_back(static_cast<char>(ItemTag::kInteger));
    WriteU64(static_cast<uint64_t>(count), &out);
  }
  return out;
}

std::string EncodeHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xF]);
  }
  return hex;
}

bool DecodeHex(std::string_view hex, std::string* bytes) {
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (hex.size() % 2 != 0) return false;
  bytes->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = digit(hex[i]), low = digit(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes->push_back(static_cast<char>(high * 16 + low));
  }
  return true;
}

ItemTag TagOf(const LogicalType& type) {
  if (type.id() == TypeId::kDouble) return ItemTag::kReal;
  if (type.IsStringStored() || type.id() == TypeId::kRow) return ItemTag::kBytes;
  return ItemTag::kInteger;
}

bool ParseItem(std::string_view text, const LogicalType& type, Item* out) {
  StringRef in{text.data(), static_cast<uint32_t>(text.size()), 0};
  *out = Item{};
  out->tag = TagOf(type);
  uint8_t valid = 0;
  switch (type.id()) {
    case TypeId::kVarchar: out->bytes = text; return true;
    case TypeId::kBinary: out->bytes = text; return true;  // already the bytes
    case TypeId::kBoolean: {
      uint8_t value = 0;
      valid = sluice_cast_string_to_boolean(&in, &value);
      out->integer = value;
      break;
    }
    case TypeId::kInt: {
      int32_t value = 0;
      valid = sluice_cast_string_to_int(&in, &value);
      out->integer = value;
      break;
    }
    case TypeId::kBigint: valid = sluice_cast_string_to_bigint(&in, &out->integer); break;
    case TypeId::kDouble: valid = sluice_cast_string_to_double(&in, &out->real); break;
    case TypeId::kDecimal: {
      // Collections hold DECIMAL(p <= 18) only (the binder refuses wider elements).
      __int128 value = 0;
      valid = !type.IsWideDecimal() &&
              sluice_cast_string_to_decimal(&in, type.precision(), type.scale(), &value) != 0;
      out->integer = static_cast<int64_t>(value);
      break;
    }
    case TypeId::kTimestamp: valid = sluice_cast_string_to_timestamp(&in, &out->integer); break;
    case TypeId::kInterval: valid = sluice_cast_string_to_interval(&in, &out->integer); break;
    case TypeId::kDate: {
      int32_t value = 0;
      valid = sluice_cast_string_to_date(&in, &value);
      out->integer = value;
      break;
    }
    case TypeId::kTime: {
      int32_t value = 0;
      valid = sluice_cast_string_to_time(&in, &value);
      out->integer = value;
      break;
    }
    default: return false;
  }
  return valid != 0;
}

bool RowFieldDescriptors(std::string_view descriptor, std::vector<std::string_view>* fields) {
  DescribedType described;
  if (!Describe(descriptor, &described) || described.letter != 'R') return false;
  fields->clear();
  for (const auto& field : described.fields) fields->push_back(field.second);
  return true;
}

std::string TypeDescriptor(const LogicalType& type) {
  switch (type.id()) {
    case TypeId::kArray: return "A" + TypeDescriptor(type.element_type());
    case TypeId::kMultiset: return "S" + TypeDescriptor(type.element_type());
    case TypeId::kMap:
      return "M" + TypeDescriptor(type.element_type()) + TypeDescriptor(type.value_type());
    case TypeId::kBoolean: return "Z";
    case TypeId::kInt: return "i";
    case TypeId::kBigint: return "l";
    case TypeId::kDouble: return type.IsFloat() ? "f" : "d";
    case TypeId::kDecimal: return "n" + std::to_string(type.scale()) + ";";
    case TypeId::kTimestamp: return "p";
    case TypeId::kInterval: return "v";
    case TypeId::kDate: return "D";
    case TypeId::kTime: return "t";
    case TypeId::kBinary: return "b";
    case TypeId::kRow: {
      std::string out = "R" + std::to_string(type.fields().size()) + ";";
      for (const types::RowField& field : type.fields()) {
        out += std::to_string(field.name.size()) + ":" + field.name + TypeDescriptor(field.type);
      }
      return out;
    }
    case TypeId::kVarchar:
    case TypeId::kNull: return "s";
  }
  return "s";
}

bool AppendCollectionText(std::string_view encoded, std::string_view descriptor, std::string* out) {
  return AppendCollection(encoded, descriptor, false, out);
}

bool AppendCollectionJson(std::string_view encoded, std::string_view descriptor, std::string* out) {
  return AppendCollection(encoded, descriptor, true, out);
}

}  // namespace sluice::runtime::expr
