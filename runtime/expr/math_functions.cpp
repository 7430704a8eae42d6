// The math functions of functions.def (SEMANTICS.md, "Math"): java.lang.Math's results on
// DOUBLE, as Flink computes them.

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "runtime/expr/kernel_abi.h"

namespace {

uint8_t Unary(const SluiceUdfValue* arguments, SluiceUdfValue* out, double (*function)(double)) {
  out->real = function(arguments[0].real);
  return 1;
}

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator;
}

}  // namespace

extern "C" {

#define SLUICE_MATH_UNARY(helper, expression)                                    \
  uint8_t helper(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t, \
                 SluiceUdfValue* out) {                                          \
    return Unary(arguments, out, [](double x) -> double { return expression; }); \
  }

SLUICE_MATH_UNARY(sluice_math_sqrt, std::sqrt(x))
SLUICE_MATH_UNARY(sluice_math_exp, std::exp(x))
SLUICE_MATH_UNARY(sluice_math_ln, std::log(x))
SLUICE_MATH_UNARY(sluice_math_log10, std::log10(x))
// Flink: Math.log(x) / Math.log(2)
SLUICE_MATH_UNARY(sluice_math_log2, std::log(x) / std::log(2.0))
SLUICE_MATH_UNARY(sluice_math_sin, std::sin(x))
SLUICE_MATH_UNARY(sluice_math_cos, std::cos(x))
SLUICE_MATH_UNARY(sluice_math_tan, std::tan(x))
SLUICE_MATH_UNARY(sluice_math_cot, 1.0 / std::tan(x))
SLUICE_MATH_UNARY(sluice_math_asin, std::asin(x))
SLUICE_MATH_UNARY(sluice_math_acos, std::acos(x))
SLUICE_MATH_UNARY(sluice_math_atan, std::atan(x))
SLUICE_MATH_UNARY(sluice_math_sinh, std::sinh(x))
SLUICE_MATH_UNARY(sluice_math_cosh, std::cosh(x))
SLUICE_MATH_UNARY(sluice_math_tanh, std::tanh(x))
// Math.toDegrees / Math.toRadians multiply by these constants.
SLUICE_MATH_UNARY(sluice_math_degrees, x * 57.29577951308232)
SLUICE_MATH_UNARY(sluice_math_radians, x * 0.017453292519943295)

#undef SLUICE_MATH_UNARY

uint8_t sluice_math_log(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                        SluiceUdfValue* out) {
  // LOG(x) is LN(x); LOG(base, x) is ln(x) / ln(base).
  out->real = count == 1 ? std::log(arguments[0].real)
                         : std::log(arguments[1].real) / std::log(arguments[0].real);
  return 1;
}

uint8_t sluice_math_power(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  out->real = std::pow(arguments[0].real, arguments[1].real);
  return 1;
}

uint8_t sluice_math_atan2(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  out->real = std::atan2(arguments[0].real, arguments[1].real);
  return 1;
}

uint8_t sluice_math_pi(SluiceKernelContext*, const SluiceUdfValue*, int32_t, SluiceUdfValue* out) {
  out->real = 3.141592653589793;
  return 1;
}

uint8_t sluice_math_e(SluiceKernelContext*, const SluiceUdfValue*, int32_t, SluiceUdfValue* out) {
  out->real = 2.718281828459045;
  return 1;
}

uint8_t sluice_math_rand(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                         SluiceUdfValue* out) {
  out->real = std::uniform_real_distribution<double>(0.0, 1.0)(Generator());
  return 1;
}

uint8_t sluice_math_rand_integer(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                 SluiceUdfValue* out) {
  int64_t bound = static_cast<int32_t>(arguments[0].integer);
  if (bound <= 0) return 0;  // Java's Random.nextInt throws; Sluice returns NULL
  out->integer = std::uniform_int_distribution<int64_t>(0, bound - 1)(Generator());
  return 1;
}

}  // extern "C"

// ---- ROUND, TRUNCATE, FLOOR, CEIL ----------------------------------------------------------

namespace {

using Int128 = __int128;

Int128 PowerOfTen(int32_t exponent) {
  Int128 result = 1;
  for (int32_t i = 0; i < exponent; ++i) result *= 10;
  return result;
}

/// Divides `value` by `factor` (> 0), rounding by `mode` (a SluiceRounding).
Int128 DivideRounded(Int128 value, Int128 factor, int32_t mode) {
  Int128 quotient = value / factor, remainder = value % factor;
  if (remainder == 0) return quotient;
  int sign = value < 0 ? -1 : 1;
  switch (static_cast<SluiceRounding>(mode)) {
    case SluiceRounding::kHalfUp:
      if ((remainder < 0 ? -remainder : remainder) * 2 >= factor) quotient += sign;
      break;
    case SluiceRounding::kDown: break;
    case SluiceRounding::kFloor:
      if (remainder < 0) quotient -= 1;
      break;
    case SluiceRounding::kCeiling:
      if (remainder > 0) quotient += 1;
      break;
  }
  return quotient;
}

}  // namespace

extern "C" {

int64_t sluice_round_integer(int64_t value, int32_t digits, int32_t mode) {
  if (digits >= 0) return value;
  if (digits < -19) return 0;
  Int128 factor = PowerOfTen(-digits);
  // Wraps past the type's range, as Java's intValue()/longValue() of the rounded BigDecimal.
  return static_cast<int64_t>(DivideRounded(value, factor, mode) * factor);
}

double sluice_round_double(double value, int32_t digits, int32_t mode) {
  if (!std::isfinite(value)) return value;
  auto rounding = static_cast<SluiceRounding>(mode);
  if (digits == 0 && rounding == SluiceRounding::kFloor) return std::floor(value);
  if (digits == 0 && rounding == SluiceRounding::kCeiling) return std::ceil(value);
  // Flink rounds BigDecimal.valueOf(value): the shortest decimal that reads back as `value`.
  char text[64];
  auto written = std::to_chars(text, text + sizeof(text), value, std::chars_format::scientific);
  std::string formatted(text, written.ptr);
  bool negative = formatted[0] == '-';
  size_t exponent_at = formatted.find('e');
  int exponent = std::atoi(formatted.c_str() + exponent_at + 1);
  std::string mantissa;
  for (size_t i = negative ? 1 : 0; i < exponent_at; ++i) {
    if (formatted[i] != '.') mantissa += formatted[i];
  }
  // value = 0.mantissa * 10^(exponent + 1); keep the digits before position `keep`.
  int64_t keep = static_cast<int64_t>(exponent) + 1 + digits;
  if (keep >= static_cast<int64_t>(mantissa.size())) return value;
  if (keep < 0) return 0.0;
  bool up = rounding == SluiceRounding::kHalfUp && mantissa[static_cast<size_t>(keep)] >= '5';
  std::string kept = mantissa.substr(0, static_cast<size_t>(keep));
  if (up) {
    int64_t i = static_cast<int64_t>(kept.size()) - 1;
    while (i >= 0 && kept[static_cast<size_t>(i)] == '9') kept[static_cast<size_t>(i--)] = '0';
    if (i >= 0) {
      ++kept[static_cast<size_t>(i)];
    } else {
      kept.insert(kept.begin(), '1');
      ++exponent;
      ++keep;
    }
  }
  if (kept.find_first_not_of('0') == std::string::npos) return 0.0;  // BigDecimal has no -0
  std::string result = (negative ? "-0." : "0.") + kept + "e" + std::to_string(exponent + 1);
  return std::strtod(result.c_str(), nullptr);
}

uint8_t sluice_round_decimal(Int128 unscaled, int32_t scale, int32_t digits, int32_t mode,
                             int32_t precision, Int128* out) {
  Int128 result = unscaled;
  if (digits < scale) {
    int32_t drop = scale - digits;
    if (drop > 38) {
      // A place above any DECIMAL(38) value: it rounds to 0 unless FLOOR/CEIL move it a whole
      // unit of that place, which no result type holds.
      bool moved = (mode == static_cast<int32_t>(SluiceRounding::kFloor) && unscaled < 0) ||
                   (mode == static_cast<int32_t>(SluiceRounding::kCeiling) && unscaled > 0);
      if (moved) return 0;
      *out = 0;
      return 1;
    }
    result = DivideRounded(unscaled, PowerOfTen(drop), mode);
    if (digits < 0) {
      Int128 magnitude = result < 0 ? -result : result;
      if (result != 0 && (-digits > 38 || magnitude >= PowerOfTen(38 + digits))) return 0;
      result *= PowerOfTen(-digits);  // the result's scale is 0
    }
  }
  if (precision < 1 || precision > 38) return 0;
  if ((result < 0 ? -result : result) >= PowerOfTen(precision)) return 0;
  *out = result;
  return 1;
}

double sluice_sign_double(double value) {
  // Math.signum: NaN and signed zeros stay as they are.
  if (value > 0) return 1.0;
  if (value < 0) return -1.0;
  return value;
}

}  // extern "C"
