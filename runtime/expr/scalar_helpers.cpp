// The one implementation of every non-trivial scalar operation (SEMANTICS.md). Generated code
// calls these by name; the interpreter calls them directly, so both paths agree by construction.

#include <locale.h>
#include <wctype.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "runtime/expr/kernel_abi.h"

namespace sluice::runtime::expr::detail {
int WriteTimestamp(int64_t millis, char* buffer);
int WriteDouble(double value, char* buffer);
int WriteFloat(float value, char* buffer);
int WriteDecimal(__int128 unscaled, int32_t scale, char* buffer);
int WriteInterval(int64_t millis, char* buffer);
bool ParseTimestamp(const char* text, size_t length, int64_t* out);
int WriteDate(int32_t days, char* buffer);
int WriteTime(int32_t millis, char* buffer);
bool ParseDate(const char* text, size_t length, int32_t* out);
bool ParseTime(const char* text, size_t length, int32_t* out);
}  // namespace sluice::runtime::expr::detail

using sluice::runtime::StringRef;
namespace detail = sluice::runtime::expr::detail;

namespace {

using Int128 = __int128;

bool IsContinuation(char byte) {
  return (static_cast<uint8_t>(byte) & 0xC0) == 0x80;
}

/// Returns the offset after the character that starts at `offset` (UTF-8, lenient).
uint32_t NextCharacter(const char* data, uint32_t length, uint32_t offset) {
  ++offset;
  while (offset < length && IsContinuation(data[offset])) ++offset;
  return offset;
}

void StoreCopy(SluiceKernelContext* context, const char* text, int length, StringRef* out) {
  char* target = context->arena->Allocate(static_cast<size_t>(length));
  if (length > 0) std::memcpy(target, text, static_cast<size_t>(length));
  *out = StringRef{target, static_cast<uint32_t>(length), 0};
}

/// Trims ASCII spaces, the form every cast from VARCHAR parses.
void TrimSpaces(const StringRef* in, const char** begin, const char** end) {
  *begin = in->data;
  *end = in->data + in->length;
  while (*begin < *end && **begin == ' ') ++*begin;
  while (*end > *begin && (*end)[-1] == ' ') --*end;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

/// Parses `[+-]digits` into a value within [minimum, maximum]; false when invalid.
bool ParseInteger(const StringRef* in, int64_t minimum, int64_t maximum, int64_t* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  bool negative = false;
  if (begin < end && (*begin == '+' || *begin == '-')) {
    negative = *begin == '-';
    ++begin;
  }
  if (begin == end) return false;
  uint64_t limit = negative ? 0 - static_cast<uint64_t>(minimum) : static_cast<uint64_t>(maximum);
  uint64_t value = 0;
  const char* p = begin;
  for (; p < end && *p != '.'; ++p) {
    if (!IsDigit(*p)) return false;
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (value > (limit - digit) / 10) return false;
    value = value * 10 + digit;
  }
  // A fraction is dropped, as Flink's BinaryStringDataUtil.toLong drops it ('1.9' is 1), once
  // it is checked to be digits.
  if (p < end) {
    if (end - begin == 1) return false;  // a lone '.'
    for (++p; p < end; ++p) {
      if (!IsDigit(*p)) return false;
    }
  }
  *out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

constexpr int kMaxPow10 = 38;

Int128 Pow10(int exponent) {
  static const auto kTable = [] {
    struct Table {
      Int128 values[kMaxPow10 + 1];
    } table{};
    table.values[0] = 1;
    for (int i = 1; i <= kMaxPow10; ++i) table.values[i] = table.values[i - 1] * 10;
    return table;
  }();
  return kTable.values[exponent];
}

/// Stores `value` as DECIMAL(precision, _) when it has at most `precision` digits.
uint8_t StoreDecimal(Int128 value, int32_t precision, Int128* out) {
  Int128 magnitude = value < 0 ? -value : value;
  if (precision < 1 || precision > kMaxPow10 || magnitude >= Pow10(precision)) return 0;
  *out = value;
  return 1;
}

/// Converts decimal text `[+-]digits[.digits][(e|E)[+-]digits]` to DECIMAL(precision, scale),
/// rounding half away from zero. Two passes over the text, no buffer.
uint8_t ParseDecimal(const char* begin, const char* end, int32_t precision, int32_t scale,
                     Int128* out) {
  if (scale < 0 || scale > kMaxPow10) return 0;
  bool negative = false;
  if (begin < end && (*begin == '+' || *begin == '-')) {
    negative = *begin == '-';
    ++begin;
  }
  // First pass: find the mantissa's digits and the exponent.
  const char* mantissa_end = begin;
  int64_t digit_count = 0;
  int64_t fraction_digits = 0;
  bool seen_point = false;
  for (; mantissa_end < end; ++mantissa_end) {
    char c = *mantissa_end;
    if (IsDigit(c)) {
      ++digit_count;
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digit_count == 0) return 0;
  int64_t exponent = 0;
  if (mantissa_end < end) {
    if (*mantissa_end != 'e' && *mantissa_end != 'E') return 0;
    const char* p = mantissa_end + 1;
    bool exponent_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exponent_negative = *p == '-';
      ++p;
    }
    if (p == end) return 0;
    for (; p < end; ++p) {
      if (!IsDigit(*p)) return 0;
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (*p - '0');
    }
    if (exponent_negative) exponent = -exponent;
  }
  // The unscaled result is the mantissa's digits times 10^shift; a negative shift drops the
  // last -shift digits, rounding on the first dropped one.
  int64_t shift = exponent - fraction_digits + scale;
  int64_t kept_digits = digit_count + (shift < 0 ? shift : 0);
  Int128 value = 0;
  int64_t index = 0;
  bool round_up = false;
  for (const char* p = begin; p < mantissa_end; ++p) {
    if (!IsDigit(*p)) continue;
    if (index < kept_digits) {
      // Beyond 10^38 nothing can fit; stop before the 128-bit value overflows (10^37 * 10
      // reaches 10^38, and 10^39 would not fit in 127 bits).
      if (value >= Pow10(kMaxPow10 - 1)) return 0;
      value = value * 10 + (*p - '0');
    } else if (index == kept_digits) {
      round_up = *p >= '5';
    }
    ++index;
  }
  if (round_up) ++value;
  if (shift > 0) {
    if (value != 0) {
      if (shift > kMaxPow10) return 0;
      for (int64_t i = 0; i < shift; ++i) {
        if (value >= Pow10(kMaxPow10 - 1)) return 0;  // checked before it can overflow
        value *= 10;
      }
    }
  }
  return StoreDecimal(negative ? -value : value, precision, out);
}

}  // namespace

extern "C" {

char* sluice_arena_allocate(SluiceKernelContext* context, int64_t size) {
  return context->arena->Allocate(static_cast<size_t>(size));
}

int32_t sluice_string_compare(const StringRef* left, const StringRef* right) {
  uint32_t common = left->length < right->length ? left->length : right->length;
  int result = common == 0 ? 0 : std::memcmp(left->data, right->data, common);
  if (result != 0) return result < 0 ? -1 : 1;
  if (left->length == right->length) return 0;
  return left->length < right->length ? -1 : 1;
}

uint8_t sluice_string_equal(const StringRef* left, const StringRef* right) {
  return left->length == right->length &&
         (left->length == 0 || std::memcmp(left->data, right->data, left->length) == 0);
}

void sluice_string_concat(SluiceKernelContext* context, const StringRef* left,
                          const StringRef* right, StringRef* out) {
  uint32_t length = left->length + right->length;
  char* target = context->arena->Allocate(length);
  if (left->length > 0) std::memcpy(target, left->data, left->length);
  if (right->length > 0) std::memcpy(target + left->length, right->data, right->length);
  *out = StringRef{target, length, 0};
}

namespace {

/// The C.UTF-8 locale's character classes and case mappings (Unicode's simple ones), or null
/// where the C library has none (then only ASCII letters change case).
locale_t Utf8Locale() {
  static const locale_t kLocale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return kLocale;
}

/// Reads the UTF-8 character at `text[*at]` (advancing `*at`); a malformed byte reads as
/// itself with `*valid` false.
uint32_t ReadUtf8(const char* text, uint32_t length, uint32_t* at, bool* valid) {
  const auto lead = static_cast<unsigned char>(text[*at]);
  uint32_t extra = lead >= 0xF0 && lead <= 0xF4 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC2 ? 1 : 0;
  *valid = lead < 0x80 || extra > 0;
  if (lead < 0x80 || extra == 0 || length - *at <= extra) {
    *valid = lead < 0x80;
    ++*at;
    return lead;
  }
  uint32_t code_point = lead & (0x3F >> extra);
  for (uint32_t k = 1; k <= extra; ++k) {
    const auto byte = static_cast<unsigned char>(text[*at + k]);
    if ((byte & 0xC0) != 0x80) {
      *valid = false;
      ++*at;
      return lead;
    }
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  *at += extra + 1;
  return code_point;
}

char* WriteUtf8(uint32_t code_point, char* out) {
  if (code_point < 0x80) {
    *out++ = static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    *out++ = static_cast<char>(0xC0 | (code_point >> 6));
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (code_point >> 12));
    *out++ = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (code_point >> 18));
    *out++ = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return out;
}

/// UPPER and LOWER as Java's String.toUpperCase/toLowerCase, which Flink's are: every letter
/// (not only ASCII) by Unicode's case mapping, `ß` upper-cased as `SS` (Java's special
/// casing); malformed bytes are kept.
void ChangeCase(SluiceKernelContext* context, const StringRef* in, StringRef* out, bool upper) {
  bool ascii = true;
  for (uint32_t i = 0; i < in->length && ascii; ++i) ascii = (in->data[i] & 0x80) == 0;
  const locale_t locale = Utf8Locale();
  if (ascii || locale == static_cast<locale_t>(0)) {
    char* target = context->arena->Allocate(in->length);
    for (uint32_t i = 0; i < in->length; ++i) {
      char c = in->data[i];
      if (upper) {
        target[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
      } else {
        target[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      }
    }
    *out = StringRef{target, in->length, 0};
    return;
  }
  // A character's other case takes at most 3 bytes more than its own 1 (ASCII maps to ASCII).
  char* target = context->arena->Allocate(in->length * 2 + 4);
  char* end = target;
  for (uint32_t at = 0; at < in->length;) {
    bool valid = true;
    uint32_t code_point = ReadUtf8(in->data, in->length, &at, &valid);
    if (!valid) {
      *end++ = static_cast<char>(code_point);
      continue;
    }
    if (upper && code_point == 0xDF) {  // ß
      *end++ = 'S';
      *end++ = 'S';
      continue;
    }
    auto mapped =
        static_cast<uint32_t>(upper ? towupper_l(static_cast<wint_t>(code_point), locale)
                                    : towlower_l(static_cast<wint_t>(code_point), locale));
    end = WriteUtf8(mapped, end);
  }
  *out = StringRef{target, static_cast<uint32_t>(end - target), 0};
}

}  // namespace

void sluice_string_upper(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  ChangeCase(context, in, out, /*upper=*/true);
}

void sluice_string_lower(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  ChangeCase(context, in, out, /*upper=*/false);
}

int32_t sluice_string_char_length(const StringRef* in) {
  int32_t count = 0;
  for (uint32_t i = 0; i < in->length; ++i) count += !IsContinuation(in->data[i]);
  return count;
}

void sluice_string_substring(const StringRef* in, int64_t start, int64_t length, StringRef* out) {
  // Flink's substringSQL: `length` characters (to the end when negative: none given) from
  // 1-based position `start`; a negative start counts from the end (-1 is the last
  // character), 0 is the first; a start past either end gives ''.
  *out = StringRef{in->data, 0, 0};
  if (start < 0) {
    int64_t characters = 0;
    for (uint32_t offset = 0; offset < in->length; ++characters) {
      offset = NextCharacter(in->data, in->length, offset);
    }
    start += characters + 1;
    if (start < 1) return;
  }
  int64_t first = start < 1 ? 1 : start;
  int64_t end = INT64_MAX;
  if (length >= 0) end = first > INT64_MAX - length ? INT64_MAX : first + length;
  if (end <= first) return;
  uint32_t offset = 0;
  for (int64_t position = 1; position < first; ++position) {
    if (offset >= in->length) return;
    offset = NextCharacter(in->data, in->length, offset);
  }
  if (offset >= in->length) return;
  uint32_t stop = offset;
  for (int64_t count = end - first; count > 0 && stop < in->length; --count) {
    stop = NextCharacter(in->data, in->length, stop);
  }
  *out = StringRef{in->data + offset, stop - offset, 0};
}

// REVERSE (Flink: "the reversed string"): Java reverses UTF-16 code units but keeps surrogate
// pairs together, which is reversing code points; a UTF-8 character's bytes stay in order.
void sluice_string_reverse(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  char* target = context->arena->Allocate(in->length);
  uint32_t offset = 0;
  while (offset < in->length) {
    uint32_t next = NextCharacter(in->data, in->length, offset);
    std::memcpy(target + (in->length - next), in->data + offset, next - offset);
    offset = next;
  }
  *out = StringRef{target, in->length, 0};
}

void sluice_string_trim(const StringRef* in, StringRef* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  *out = StringRef{begin, static_cast<uint32_t>(end - begin), 0};
}

uint8_t sluice_string_like(const StringRef* text, const StringRef* pattern) {
  // Greedy matching that backtracks only to the last '%': linear in practice, no allocation.
  const char* t = text->data;
  const char* p = pattern->data;
  uint32_t text_length = text->length;
  uint32_t pattern_length = pattern->length;
  uint32_t ti = 0, pi = 0;
  uint32_t star_pattern = UINT32_MAX, star_text = 0;
  while (ti < text_length) {
    if (pi < pattern_length && p[pi] == '%') {
      star_pattern = ++pi;
      star_text = ti;
    } else if (pi < pattern_length && p[pi] == '_') {
      ++pi;
      ti = NextCharacter(t, text_length, ti);
    } else if (pi < pattern_length && p[pi] == t[ti]) {
      ++pi;
      ++ti;
    } else if (star_pattern != UINT32_MAX) {
      pi = star_pattern;
      star_text = NextCharacter(t, text_length, star_text);
      ti = star_text;
    } else {
      return 0;
    }
  }
  while (pi < pattern_length && p[pi] == '%') ++pi;
  return pi == pattern_length;
}

uint8_t sluice_string_split_index(const StringRef* text, const StringRef* delimiter, int64_t index,
                                  StringRef* out) {
  // Flink splits with commons-lang's splitByWholeSeparatorPreserveAllTokens: every occurrence
  // of the whole delimiter separates tokens (empty ones included), and '' has no tokens.
  if (index < 0 || text->length == 0) return 0;
  std::string_view rest(text->data, text->length);
  std::string_view separator(delimiter->data != nullptr ? delimiter->data : "", delimiter->length);
  if (separator.empty()) {
    if (index != 0) return 0;
    *out = *text;
    return 1;
  }
  for (int64_t token = 0;; ++token) {
    size_t end = rest.find(separator);
    if (token == index) {
      size_t length = end == std::string_view::npos ? rest.size() : end;
      *out = StringRef{rest.data(), static_cast<uint32_t>(length), 0};
      return 1;
    }
    if (end == std::string_view::npos) return 0;
    rest.remove_prefix(end + separator.size());
  }
}

uint8_t sluice_cast_binary_to_string(const StringRef* in, StringRef* out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(in->data);
  uint32_t length = in->length;
  for (uint32_t i = 0; i < length;) {
    unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    uint32_t extra;
    uint32_t code_point;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return 0;  // a continuation byte, an overlong two-byte lead (C0, C1) or past F4
    }
    if (length - i <= extra) return 0;
    for (uint32_t k = 1; k <= extra; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return 0;
      code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
    }
    bool overlong = (extra == 2 && code_point < 0x800) || (extra == 3 && code_point < 0x10000);
    bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF) return 0;
    i += extra + 1;
  }
  *out = *in;
  return 1;
}

uint8_t sluice_cast_string_to_int(const StringRef* in, int32_t* out) {
  int64_t value;
  if (!ParseInteger(in, INT32_MIN, INT32_MAX, &value)) return 0;
  *out = static_cast<int32_t>(value);
  return 1;
}

uint8_t sluice_cast_string_to_bigint(const StringRef* in, int64_t* out) {
  return ParseInteger(in, INT64_MIN, INT64_MAX, out) ? 1 : 0;
}

uint8_t sluice_cast_string_to_double(const StringRef* in, double* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  size_t length = static_cast<size_t>(end - begin);
  // strtod would skip other leading whitespace (tabs, newlines); only spaces are allowed.
  if (length == 0 || (*begin != '+' && *begin != '-' && *begin != '.' && !IsDigit(*begin) &&
                      !((*begin | 0x20) >= 'a' && (*begin | 0x20) <= 'z'))) {
    return 0;
  }
  char buffer[128];
  if (length >= sizeof(buffer)) {
    // Long numbers are rare; they are parsed from a heap copy.
    std::string copy(begin, length);
    char* parse_end;
    double value = std::strtod(copy.c_str(), &parse_end);
    if (parse_end != copy.c_str() + length) return 0;
    *out = value;
    return 1;
  }
  std::memcpy(buffer, begin, length);
  buffer[length] = '\0';
  char* parse_end;
  double value = std::strtod(buffer, &parse_end);
  if (parse_end != buffer + length) return 0;
  *out = value;
  return 1;
}

uint8_t sluice_cast_string_to_boolean(const StringRef* in, uint8_t* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  auto equals = [&](const char* word, size_t length) {
    if (static_cast<size_t>(end - begin) != length) return false;
    for (size_t i = 0; i < length; ++i) {
      if ((begin[i] | 0x20) != word[i]) return false;
    }
    return true;
  };
  // Flink's BinaryStringDataUtil.toBoolean: t, true, y, yes, 1 and f, false, n, no, 0.
  for (const char* word : {"t", "true", "y", "yes", "1"}) {
    if (equals(word, std::strlen(word))) {
      *out = 1;
      return 1;
    }
  }
  for (const char* word : {"f", "false", "n", "no", "0"}) {
    if (equals(word, std::strlen(word))) {
      *out = 0;
      return 1;
    }
  }
  return 0;
}

uint8_t sluice_cast_string_to_timestamp(const StringRef* in, int64_t* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  return detail::ParseTimestamp(begin, static_cast<size_t>(end - begin), out) ? 1 : 0;
}

/// Parses `[+-]D HH:MM:SS[.f{1,3}]`, the form FormatInterval writes; not in kernel_abi.h yet.
uint8_t sluice_cast_string_to_interval(const StringRef* in, int64_t* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  bool negative = false;
  if (begin < end && (*begin == '+' || *begin == '-')) {
    negative = *begin == '-';
    ++begin;
  }
  uint64_t days = 0;
  const char* p = begin;
  for (; p < end && IsDigit(*p); ++p) {
    if (days > 200'000'000'000ULL) return 0;
    days = days * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p == begin || end - p < 9 || *p != ' ') return 0;
  ++p;
  auto two_digits = [](const char* q) { return (q[0] - '0') * 10 + (q[1] - '0'); };
  if (!IsDigit(p[0]) || !IsDigit(p[1]) || p[2] != ':' || !IsDigit(p[3]) || !IsDigit(p[4]) ||
      p[5] != ':' || !IsDigit(p[6]) || !IsDigit(p[7])) {
    return 0;
  }
  uint64_t hours = two_digits(p), minutes = two_digits(p + 3), seconds = two_digits(p + 6);
  if (hours > 23 || minutes > 59 || seconds > 59) return 0;
  p += 8;
  uint64_t fraction = 0;
  if (p < end) {
    if (*p != '.' || end - p < 2 || end - p > 4) return 0;
    int fraction_digits = 0;
    for (++p; p < end; ++p, ++fraction_digits) {
      if (!IsDigit(*p)) return 0;
      fraction = fraction * 10 + static_cast<uint64_t>(*p - '0');
    }
    for (; fraction_digits < 3; ++fraction_digits) fraction *= 10;
  }
  Int128 magnitude = static_cast<Int128>(days) * 86'400'000 +
                     ((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction;
  Int128 value = negative ? -magnitude : magnitude;
  if (value > INT64_MAX || value < INT64_MIN) return 0;
  *out = static_cast<int64_t>(value);
  return 1;
}

uint8_t sluice_cast_string_to_decimal(const StringRef* in, int32_t precision, int32_t scale,
                                      Int128* out) {
  const char* begin;
  const char* end;
  TrimSpaces(in, &begin, &end);
  return ParseDecimal(begin, end, precision, scale, out);
}

void sluice_cast_bigint_to_string(SluiceKernelContext* context, int64_t value, StringRef* out) {
  char buffer[24];
  int length = detail::WriteDecimal(value, 0, buffer);
  StoreCopy(context, buffer, length, out);
}

void sluice_cast_double_to_string(SluiceKernelContext* context, double value, StringRef* out) {
  char buffer[40];
  StoreCopy(context, buffer, detail::WriteDouble(value, buffer), out);
}

void sluice_cast_float_to_string(SluiceKernelContext* context, double value, StringRef* out) {
  char buffer[40];
  StoreCopy(context, buffer, detail::WriteFloat(static_cast<float>(value), buffer), out);
}

void sluice_cast_boolean_to_string(SluiceKernelContext* context, uint8_t value, StringRef* out) {
  if (value != 0) {
    StoreCopy(context, "TRUE", 4, out);
  } else {
    StoreCopy(context, "FALSE", 5, out);
  }
}

void sluice_cast_timestamp_to_string(SluiceKernelContext* context, int64_t millis, StringRef* out) {
  char buffer[48];
  StoreCopy(context, buffer, detail::WriteTimestamp(millis, buffer), out);
}

void sluice_cast_date_to_string(SluiceKernelContext* context, int32_t days, StringRef* out) {
  char buffer[16];
  StoreCopy(context, buffer, detail::WriteDate(days, buffer), out);
}

void sluice_cast_time_to_string(SluiceKernelContext* context, int32_t millis, StringRef* out) {
  char buffer[16];
  StoreCopy(context, buffer, detail::WriteTime(millis, buffer), out);
}

uint8_t sluice_cast_string_to_date(const StringRef* in, int32_t* out) {
  return detail::ParseDate(in->data, in->length, out) ? 1 : 0;
}

uint8_t sluice_cast_string_to_time(const StringRef* in, int32_t* out) {
  return detail::ParseTime(in->data, in->length, out) ? 1 : 0;
}

void sluice_cast_decimal_to_string(SluiceKernelContext* context, Int128 unscaled, int32_t scale,
                                   StringRef* out) {
  char buffer[96];
  StoreCopy(context, buffer, detail::WriteDecimal(unscaled, scale, buffer), out);
}

void sluice_cast_interval_to_string(SluiceKernelContext* context, int64_t millis, StringRef* out) {
  char buffer[48];
  StoreCopy(context, buffer, detail::WriteInterval(millis, buffer), out);
}

uint8_t sluice_cast_double_to_int(double value, int32_t* out) {
  double truncated = std::trunc(value);
  // NaN fails both comparisons.
  if (!(truncated >= -2147483648.0 && truncated <= 2147483647.0)) return 0;
  *out = static_cast<int32_t>(truncated);
  return 1;
}

uint8_t sluice_cast_double_to_bigint(double value, int64_t* out) {
  double truncated = std::trunc(value);
  if (!(truncated >= -9223372036854775808.0 && truncated < 9223372036854775808.0)) return 0;
  *out = static_cast<int64_t>(truncated);
  return 1;
}

uint8_t sluice_cast_double_to_decimal(double value, int32_t precision, int32_t scale, Int128* out) {
  // Rounds the shortest decimal text of the double (as Java's BigDecimal.valueOf), so 1.005
  // becomes 1.01 at scale 2 although the binary value lies just below 1.005.
  if (!std::isfinite(value)) return 0;
  char buffer[40];
  int length = detail::WriteDouble(value, buffer);
  return ParseDecimal(buffer, buffer + length, precision, scale, out);
}

uint8_t sluice_cast_bigint_to_decimal(int64_t value, int32_t precision, int32_t scale,
                                      Int128* out) {
  if (scale < 0 || scale > kMaxPow10) return 0;
  Int128 scaled = static_cast<Int128>(value);
  if (value != 0) {
    // |value| < 2^63 < 10^19, so a scale beyond 19 overflows 10^38 anyway.
    if (scale > 19) return 0;
    scaled *= Pow10(scale);
  }
  return StoreDecimal(scaled, precision, out);
}

uint8_t sluice_cast_decimal_to_bigint(Int128 unscaled, int32_t scale, int64_t* out) {
  if (scale < 0 || scale > kMaxPow10) return 0;
  // Past BIGINT the low 64 bits, as Java's BigDecimal.longValue() (Flink's castToIntegral).
  Int128 integral = unscaled / Pow10(scale);
  *out = static_cast<int64_t>(static_cast<uint64_t>(static_cast<unsigned __int128>(integral)));
  return 1;
}

double sluice_cast_decimal_to_double(Int128 unscaled, int32_t scale) {
  static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                       1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                       1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
                                       1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38};
  if (scale < 0 || scale > 38) return 0.0;
  return static_cast<double>(unscaled) / kPowers[scale];
}

}  // extern "C"
