#include "runtime/operators/sort_key.h"

#include <bit>
#include <cmath>

namespace sluice::runtime::operators {

namespace {

/// Appends `bits` big-endian, every byte inverted for a descending key, so that memcmp order
/// is the key's order.
void AppendOrdered(uint64_t bits, int bytes, bool descending, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    auto byte = static_cast<uint8_t>(bits >> shift);
    out->push_back(static_cast<char>(descending ? ~byte : byte));
  }
}

}  // namespace

void AppendSortKey(const Batch& batch, int32_t row, const std::vector<plan::SortKey>& keys,
                   std::string* out) {
  // Each key: a marker byte that puts NULL first or last whatever the direction, then the value
  // in an order-preserving form (inverted when descending). Every form is prefix-free, so
  // concatenated keys compare key by key.
  constexpr char kNullFirst = 0;
  constexpr char kValue = 1;
  constexpr char kNullLast = 2;
  for (const plan::SortKey& key : keys) {
    const Column& column = batch.column(static_cast<size_t>(key.slot));
    types::TypeId id = column.type().id();
    if (column.IsNull(row) || id == types::TypeId::kNull) {
      out->push_back(key.nulls_first ? kNullFirst : kNullLast);
      continue;
    }
    out->push_back(kValue);
    bool descending = !key.ascending;
    switch (id) {
      case types::TypeId::kBoolean:
        AppendOrdered(column.values<uint8_t>()[row] != 0 ? 1 : 0, 1, descending, out);
        break;
      case types::TypeId::kInt:
      case types::TypeId::kDate:
      case types::TypeId::kTime:
        AppendOrdered(static_cast<uint32_t>(column.values<int32_t>()[row]) ^ 0x80000000u, 4,
                      descending, out);
        break;
      case types::TypeId::kDouble: {
        // Java's Double.compare, except that -0.0 equals 0.0: NaN above +Infinity.
        double value = column.values<double>()[row];
        uint64_t bits;
        if (std::isnan(value)) {
          bits = 0x7ff8000000000000ULL;
        } else {
          if (value == 0.0) value = 0.0;
          bits = std::bit_cast<uint64_t>(value);
        }
        bits = (bits & 0x8000000000000000ULL) != 0 ? ~bits : bits ^ 0x8000000000000000ULL;
        AppendOrdered(bits, 8, descending, out);
        break;
      }
      case types::TypeId::kArray:
      case types::TypeId::kMap:
      case types::TypeId::kBinary:
      case types::TypeId::kMultiset:
      case types::TypeId::kVarchar: {
        // Bytewise, shorter first: 0x00 is escaped as 00 FF and the string ends with 00 01.
        std::string_view text = column.values<StringRef>()[row].view();
        for (char byte : text) {
          AppendOrdered(static_cast<uint8_t>(byte), 1, descending, out);
          if (byte == 0) AppendOrdered(0xff, 1, descending, out);
        }
        AppendOrdered(0x0001, 2, descending, out);
        break;
      }
      case types::TypeId::kDecimal:
        if (column.type().IsWideDecimal()) {
          // High word with its sign flipped, then the low word: two's complement in order.
          auto value = static_cast<unsigned __int128>(column.DecimalAt(row));
          AppendOrdered(static_cast<uint64_t>(value >> 64) ^ 0x8000000000000000ULL, 8, descending,
                        out);
          AppendOrdered(static_cast<uint64_t>(value), 8, descending, out);
          break;
        }
        [[fallthrough]];
      default:  // BIGINT, DECIMAL (one scale per column), TIMESTAMP, INTERVAL
        AppendOrdered(static_cast<uint64_t>(column.values<int64_t>()[row]) ^ 0x8000000000000000ULL,
                      8, descending, out);
        break;
    }
  }
}

}  // namespace sluice::runtime::operators
