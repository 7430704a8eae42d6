// DECIMAL arithmetic and comparison (SEMANTICS.md "DECIMAL"): exact, on 128-bit unscaled values,
// with a 256-bit intermediate where a product or a rescaled operand needs more than 38 digits.
// Results round half up (away from zero) to the result scale and are NULL (0) when they need
// more digits than the result precision, as Flink's DecimalData.fromBigDecimal.

#include <cstdint>

#include "runtime/expr/kernel_abi.h"

namespace {

using Int128 = __int128;
using UInt128 = unsigned __int128;

/// An unsigned 256-bit integer as two 128-bit halves.
struct Wide {
  UInt128 high = 0;
  UInt128 low = 0;
};

constexpr int kMaxDigits = 76;  // 10^76 < 2^256

int Compare(const Wide& x, const Wide& y) {
  if (x.high != y.high) return x.high < y.high ? -1 : 1;
  if (x.low != y.low) return x.low < y.low ? -1 : 1;
  return 0;
}

Wide Add(const Wide& x, const Wide& y) {
  Wide sum;
  sum.low = x.low + y.low;
  sum.high = x.high + y.high + (sum.low < x.low ? 1 : 0);
  return sum;
}

Wide Subtract(const Wide& x, const Wide& y) {  // x >= y
  Wide difference;
  difference.low = x.low - y.low;
  difference.high = x.high - y.high - (x.low < y.low ? 1 : 0);
  return difference;
}

Wide Multiply(UInt128 x, UInt128 y) {
  uint64_t a[2] = {static_cast<uint64_t>(x), static_cast<uint64_t>(x >> 64)};
  uint64_t b[2] = {static_cast<uint64_t>(y), static_cast<uint64_t>(y >> 64)};
  uint64_t limbs[4] = {0, 0, 0, 0};
  for (int i = 0; i < 2; ++i) {
    UInt128 carry = 0;
    for (int j = 0; j < 2; ++j) {
      UInt128 term = static_cast<UInt128>(a[i]) * b[j] + limbs[i + j] + carry;
      limbs[i + j] = static_cast<uint64_t>(term);
      carry = term >> 64;
    }
    limbs[i + 2] = static_cast<uint64_t>(carry);
  }
  Wide product;
  product.low = (static_cast<UInt128>(limbs[1]) << 64) | limbs[0];
  product.high = (static_cast<UInt128>(limbs[3]) << 64) | limbs[2];
  return product;
}

/// x * y for a 64-bit y; the caller keeps the product below 2^256.
Wide MultiplySmall(const Wide& x, uint64_t y) {
  Wide low = Multiply(x.low, y);
  Wide high = Multiply(x.high, y);
  low.high += high.low;
  return low;
}

const Wide& Pow10(int exponent) {
  static const auto kTable = [] {
    struct Table {
      Wide values[kMaxDigits + 1];
    } table{};
    table.values[0].low = 1;
    for (int i = 1; i <= kMaxDigits; ++i) table.values[i] = MultiplySmall(table.values[i - 1], 10);
    return table;
  }();
  return kTable.values[exponent];
}

/// Long division, bit by bit: fast enough for the rare operand beyond 128 bits.
void Divide(const Wide& numerator, const Wide& divisor, Wide* quotient, Wide* remainder) {
  if (numerator.high == 0 && divisor.high == 0) {
    quotient->high = remainder->high = 0;
    quotient->low = numerator.low / divisor.low;
    remainder->low = numerator.low % divisor.low;
    return;
  }
  Wide q, r;
  for (int bit = 255; bit >= 0; --bit) {
    r.high = (r.high << 1) | (r.low >> 127);
    r.low <<= 1;
    UInt128 next = bit >= 128 ? (numerator.high >> (bit - 128)) & 1 : (numerator.low >> bit) & 1;
    r.low |= next;
    if (Compare(r, divisor) >= 0) {
      r = Subtract(r, divisor);
      if (bit >= 128) {
        q.high |= static_cast<UInt128>(1) << (bit - 128);
      } else {
        q.low |= static_cast<UInt128>(1) << bit;
      }
    }
  }
  *quotient = q;
  *remainder = r;
}

/// The number of decimal digits of `x` (0 for 0).
int Digits(const Wide& x) {
  int digits = 0;
  while (digits < kMaxDigits && Compare(x, Pow10(digits)) >= 0) ++digits;
  return Compare(x, Pow10(kMaxDigits)) >= 0 ? kMaxDigits + 1 : digits;
}

Wide Magnitude(Int128 value) {
  Wide wide;
  wide.low = value < 0 ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  return wide;
}

/// `magnitude * 10^shift`, or false when that needs more than kMaxDigits digits.
bool Upscale(const Wide& magnitude, int shift, Wide* out) {
  if (shift == 0 || (magnitude.high == 0 && magnitude.low == 0)) {
    *out = magnitude;
    return true;
  }
  if (Digits(magnitude) + shift > kMaxDigits) return false;
  *out = magnitude;
  for (int i = 0; i < shift; ++i) *out = MultiplySmall(*out, 10);
  return true;
}

/// Rounds a signed magnitude at `from_scale` half up to `scale` and stores it when it has at
/// most `precision` digits.
uint8_t Finish(bool negative, Wide magnitude, int32_t from_scale, int32_t precision, int32_t scale,
               Int128* out) {
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return 0;
  if (from_scale > scale) {
    int drop = from_scale - scale;
    if (drop > kMaxDigits) {
      magnitude = Wide{};
    } else {
      Wide quotient, remainder;
      Divide(magnitude, Pow10(drop), &quotient, &remainder);
      if (Compare(Add(remainder, remainder), Pow10(drop)) >= 0)
        quotient = Add(quotient, Wide{0, 1});
      magnitude = quotient;
    }
  } else if (from_scale < scale) {
    if (!Upscale(magnitude, scale - from_scale, &magnitude)) return 0;
  }
  if (Compare(magnitude, Pow10(precision)) >= 0) return 0;
  Int128 value = static_cast<Int128>(magnitude.low);
  *out = negative ? -value : value;
  return 1;
}

/// Brings two values to their larger scale; false when that needs more than 76 digits.
bool Align(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale, Wide* left_out,
           Wide* right_out, int32_t* scale) {
  *scale = left_scale > right_scale ? left_scale : right_scale;
  return Upscale(Magnitude(left), *scale - left_scale, left_out) &&
         Upscale(Magnitude(right), *scale - right_scale, right_out);
}

}  // namespace

extern "C" {

uint8_t sluice_decimal_add(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale,
                           int32_t precision, int32_t scale, Int128* out) {
  Wide x, y;
  int32_t common_scale;
  // Operands have at most 38 digits, so aligned ones have at most 76.
  if (!Align(left, left_scale, right, right_scale, &x, &y, &common_scale)) return 0;
  bool x_negative = left < 0, y_negative = right < 0;
  if (x_negative == y_negative)
    return Finish(x_negative, Add(x, y), common_scale, precision, scale, out);
  if (Compare(x, y) >= 0)
    return Finish(x_negative, Subtract(x, y), common_scale, precision, scale, out);
  return Finish(y_negative, Subtract(y, x), common_scale, precision, scale, out);
}

uint8_t sluice_decimal_subtract(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale,
                                int32_t precision, int32_t scale, Int128* out) {
  return sluice_decimal_add(left, left_scale, -right, right_scale, precision, scale, out);
}

uint8_t sluice_decimal_multiply(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale,
                                int32_t precision, int32_t scale, Int128* out) {
  Wide product = Multiply(Magnitude(left).low, Magnitude(right).low);
  return Finish((left < 0) != (right < 0), product, left_scale + right_scale, precision, scale,
                out);
}

uint8_t sluice_decimal_divide(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale,
                              int32_t precision, int32_t scale, Int128* out) {
  if (right == 0) return 0;  // NULL, as integer division by zero (SEMANTICS.md)
  // left / right at `scale` = left * 10^(scale + right_scale - left_scale + 1) / right, one
  // digit more than needed, then rounded half up.
  int32_t shift = scale + right_scale - left_scale + 1;
  Wide numerator = Magnitude(left), divisor = Magnitude(right);
  if (shift >= 0) {
    // right < 10^38, so a numerator of 77 digits or more gives a quotient beyond 10^38.
    if (!Upscale(numerator, shift, &numerator)) return 0;
  } else if (!Upscale(divisor, -shift, &divisor)) {
    return Finish(false, Wide{}, 0, precision, scale, out);  // the quotient rounds to 0
  }
  Wide quotient, remainder;
  Divide(numerator, divisor, &quotient, &remainder);
  return Finish((left < 0) != (right < 0), quotient, scale + 1, precision, scale, out);
}

uint8_t sluice_decimal_modulo(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale,
                              int32_t precision, int32_t scale, Int128* out) {
  if (right == 0) return 0;
  Wide x, y;
  int32_t common_scale;
  if (!Align(left, left_scale, right, right_scale, &x, &y, &common_scale)) return 0;
  Wide quotient, remainder;
  Divide(x, y, &quotient, &remainder);
  // BigDecimal.remainder: the sign of the dividend.
  return Finish(left < 0, remainder, common_scale, precision, scale, out);
}

int32_t sluice_decimal_compare(Int128 left, int32_t left_scale, Int128 right, int32_t right_scale) {
  if (left_scale == right_scale) return left < right ? -1 : (left > right ? 1 : 0);
  if ((left < 0) != (right < 0)) return left < 0 ? -1 : 1;
  Wide x, y;
  int32_t common_scale;
  if (!Align(left, left_scale, right, right_scale, &x, &y, &common_scale)) {
    // Cannot happen for scales <= 38; order by sign at least.
    return left < right ? -1 : (left > right ? 1 : 0);
  }
  int order = Compare(x, y);
  return left < 0 ? -order : order;
}

uint8_t sluice_cast_decimal_to_decimal(Int128 unscaled, int32_t from_scale, int32_t precision,
                                       int32_t scale, Int128* out) {
  if (from_scale < 0 || from_scale > 38) return 0;
  return Finish(unscaled < 0, Magnitude(unscaled), from_scale, precision, scale, out);
}

}  // extern "C"
