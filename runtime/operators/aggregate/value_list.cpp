#include "runtime/operators/aggregate/value_list.h"

#include <cstring>

#include "runtime/state/varint.h"

namespace sluice::runtime::operators::aggregate {

using types::TypeId;

void ValueList::AppendEntry(const Column& column, int32_t row, std::string* out) {
  if (column.IsNull(row)) {
    AppendNull(out);
    return;
  }
  out->push_back(1);
  if (column.type().IsStringStored()) {
    std::string_view text = column.values<StringRef>()[row].view();
    state::AppendVarint(text.size(), out);
    out->append(text);
    return;
  }
  if (column.type().IsWideDecimal()) {
    __int128 wide = column.DecimalAt(row);
    state::AppendVarint(sizeof(wide), out);
    char bytes[sizeof(wide)];
    std::memcpy(bytes, &wide, sizeof(wide));
    out->append(bytes, sizeof(wide));
    return;
  }
  int64_t value = 0;
  switch (column.type().id()) {
    case TypeId::kBoolean: value = column.values<uint8_t>()[row] != 0 ? 1 : 0; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: value = column.values<int32_t>()[row]; break;
    case TypeId::kDouble: std::memcpy(&value, &column.values<double>()[row], 8); break;
    case TypeId::kNull:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar:
    case TypeId::kRow: break;
    default: value = column.values<int64_t>()[row]; break;
  }
  state::AppendVarint(8, out);
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out->append(bytes, 8);
}

void ValueList::AppendNull(std::string* out) {
  out->push_back(0);
}

bool ValueList::Next(std::string_view payload, size_t* position, std::string_view* entry,
                     std::string_view* value, bool* present) {
  size_t start = *position;
  if (start >= payload.size()) return false;
  char flag = payload[start];
  if (flag != 0 && flag != 1) return false;
  size_t at = start + 1;
  *present = flag == 1;
  *value = {};
  if (*present) {
    uint64_t length = 0;
    if (!state::ReadVarint(payload, &at, &length) || length > payload.size() - at) return false;
    *value = payload.substr(at, length);
    at += length;
  }
  *entry = payload.substr(start, at - start);
  *position = at;
  return true;
}

bool ValueList::Valid(std::string_view payload) {
  size_t position = 0;
  std::string_view entry, value;
  bool present = false;
  while (position < payload.size()) {
    if (!Next(payload, &position, &entry, &value, &present)) return false;
  }
  return true;
}

int64_t ValueList::Size(std::string_view payload) {
  size_t position = 0;
  std::string_view entry, value;
  bool present = false;
  int64_t size = 0;
  while (Next(payload, &position, &entry, &value, &present)) ++size;
  return size;
}

int64_t ValueList::FixedValue(std::string_view value) {
  int64_t result = 0;
  if (value.size() == 8) std::memcpy(&result, value.data(), 8);
  return result;
}

__int128 ValueList::DecimalValue(std::string_view value) {
  __int128 result = 0;
  if (value.size() == sizeof(result)) {
    std::memcpy(&result, value.data(), sizeof(result));
  } else {
    result = FixedValue(value);
  }
  return result;
}

}  // namespace sluice::runtime::operators::aggregate
