#include "runtime/state/row_codec.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "catalog/base/check.h"

namespace sluice::runtime::state {

namespace {

using types::TypeId;

constexpr uint8_t kNullMarker = 0;
constexpr uint8_t kValueMarker = 1;
// The one NaN every NaN is encoded as (Java's Double.NaN bit pattern).
constexpr uint64_t kCanonicalNaNBits = 0x7ff8000000000000ULL;

base::Status Truncated(size_t slot) {
  return base::Status::Error(base::ErrorCode::kData,
                             "state row is truncated or corrupt at slot " + std::to_string(slot));
}

template <typename T>
void AppendLittleEndian(T value, std::string* out) {
  // Every supported host is little-endian; the static_assert keeps that assumption visible.
  static_assert(std::endian::native == std::endian::little);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

void AppendVarint(uint32_t value, std::string* out) {
  char bytes[5];
  size_t size = 0;
  while (value >= 0x80) {
    bytes[size++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[size++] = static_cast<char>(value);
  out->append(bytes, size);
}

/// Reads one LEB128 varint of at most 5 bytes; false when truncated or overlong.
bool ReadVarint(std::string_view bytes, size_t* position, uint32_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*position >= bytes.size()) return false;
    uint8_t byte = static_cast<uint8_t>(bytes[(*position)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (result > UINT32_MAX) return false;
      *value = static_cast<uint32_t>(result);
      return true;
    }
  }
  return false;
}

}  // namespace

RowCodec::RowCodec(std::vector<types::LogicalType> types) : types_(std::move(types)) {
  for (const auto& type : types_) {
    SLUICE_CHECK(type.id() != TypeId::kRow, "RowCodec cannot encode ROW slots");
  }
}

void RowCodec::Encode(const Batch& batch, const std::vector<int32_t>& slots, int32_t row,
                      std::string* out) const {
  SLUICE_CHECK(slots.size() == types_.size(), "RowCodec got {} slots for {} types", slots.size(),
               types_.size());
  for (size_t index = 0; index < types_.size(); ++index) {
    const Column& column = batch.column(static_cast<size_t>(slots[index]));
    TypeId id = types_[index].id();
    if (column.IsNull(row) || id == TypeId::kNull) {
      out->push_back(static_cast<char>(kNullMarker));
      continue;
    }
    out->push_back(static_cast<char>(kValueMarker));
    switch (id) {
      case TypeId::kBoolean: out->push_back(column.values<uint8_t>()[row] != 0 ? 1 : 0); break;
      case TypeId::kInt:
      case TypeId::kDate:
      case TypeId::kTime: AppendLittleEndian(column.values<int32_t>()[row], out); break;
      case TypeId::kBigint:
      case TypeId::kTimestamp:
      case TypeId::kInterval: AppendLittleEndian(column.values<int64_t>()[row], out); break;
      case TypeId::kDecimal:
        // 8 bytes up to precision 18 (as before 128-bit decimals), 16 above.
        if (types_[index].IsWideDecimal()) {
          AppendLittleEndian(column.DecimalAt(row), out);
        } else {
          AppendLittleEndian(column.values<int64_t>()[row], out);
        }
        break;
      case TypeId::kDouble: {
        double value = column.values<double>()[row];
        uint64_t bits;
        if (std::isnan(value)) {
          bits = kCanonicalNaNBits;
        } else {
          if (value == 0.0) value = 0.0;  // -0.0 equals 0.0, so it must encode the same
          std::memcpy(&bits, &value, sizeof(bits));
        }
        AppendLittleEndian(bits, out);
        break;
      }
      case TypeId::kArray:
      case TypeId::kMap:
      case TypeId::kBinary:
      case TypeId::kMultiset:
      case TypeId::kVarchar: {
        std::string_view text = column.values<StringRef>()[row].view();
        AppendVarint(static_cast<uint32_t>(text.size()), out);
        out->append(text.data(), text.size());
        break;
      }
      case TypeId::kNull:
      case TypeId::kRow: break;
    }
  }
}

base::Status RowCodec::Decode(std::string_view bytes, Batch* out, int32_t row,
                              size_t first_column) const {
  SLUICE_CHECK(first_column + types_.size() <= out->column_count(),
               "RowCodec decodes {} columns from {} into a batch of {}", types_.size(),
               first_column, out->column_count());
  size_t position = 0;
  for (size_t index = 0; index < types_.size(); ++index) {
    Column& column = out->column(first_column + index);
    TypeId id = types_[index].id();
    SLUICE_CHECK(column.type().PhysicalWidth() == types_[index].PhysicalWidth(),
                 "RowCodec decodes {} into a {} column", types_[index].ToString(),
                 column.type().ToString());
    if (position >= bytes.size()) return Truncated(index);
    uint8_t marker = static_cast<uint8_t>(bytes[position++]);
    if (marker == kNullMarker) {
      column.validity()[row] = 0;
      int32_t width = column.type().PhysicalWidth();
      if (width > 0) std::memset(column.data() + static_cast<size_t>(row) * width, 0, width);
      continue;
    }
    if (marker != kValueMarker || id == TypeId::kNull) return Truncated(index);
    size_t width = 0;
    switch (id) {
      case TypeId::kBoolean: width = 1; break;
      case TypeId::kInt:
      case TypeId::kDate:
      case TypeId::kTime: width = 4; break;
      case TypeId::kBigint:
      case TypeId::kTimestamp:
      case TypeId::kInterval:
      case TypeId::kDouble: width = 8; break;
      case TypeId::kDecimal: width = types_[index].IsWideDecimal() ? 16 : 8; break;
      case TypeId::kArray:
      case TypeId::kMap:
      case TypeId::kBinary:
      case TypeId::kMultiset:
      case TypeId::kVarchar: {
        uint32_t length = 0;
        if (!ReadVarint(bytes, &position, &length) || length > bytes.size() - position) {
          return Truncated(index);
        }
        column.values<StringRef>()[row] = out->arena().Copy(bytes.substr(position, length));
        position += length;
        column.validity()[row] = 1;
        continue;
      }
      case TypeId::kNull:
      case TypeId::kRow: return Truncated(index);
    }
    if (width > bytes.size() - position) return Truncated(index);
    if (id == TypeId::kBoolean && static_cast<uint8_t>(bytes[position]) > 1) {
      return Truncated(index);
    }
    std::memcpy(column.data() + static_cast<size_t>(row) * width, bytes.data() + position, width);
    position += width;
    column.validity()[row] = 1;
  }
  if (position != bytes.size()) {
    return base::Status::Error(
        base::ErrorCode::kData,
        "state row has " + std::to_string(bytes.size() - position) + " unexpected trailing bytes");
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::state
