#include "runtime/expr/value_format.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace sluice::runtime::expr {

// Buffer-writing forms shared with scalar_helpers.cpp, so casts to VARCHAR allocate nothing but
// their arena bytes. Each returns the number of characters written.
namespace detail {

inline constexpr int64_t kMillisPerDay = 86'400'000;

int WriteTimestamp(int64_t millis, char* buffer);                  // buffer >= 48
int WriteDouble(double value, char* buffer);                       // buffer >= 40
int WriteFloat(float value, char* buffer);                         // buffer >= 40
int WriteDecimal(__int128 unscaled, int32_t scale, char* buffer);  // buffer >= 96
int WriteInterval(int64_t millis, char* buffer);                   // buffer >= 48
bool ParseTimestamp(const char* text, size_t length, int64_t* out);
int WriteDate(int32_t days, char* buffer);    // buffer >= 16
int WriteTime(int32_t millis, char* buffer);  // buffer >= 16
bool ParseDate(const char* text, size_t length, int32_t* out);
bool ParseTime(const char* text, size_t length, int32_t* out);

namespace {

int64_t FloorDivide(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
  return quotient;
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  int64_t era = FloorDivide(year, 400);
  int64_t year_of_era = year - era * 400;
  int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

void CivilFromDays(int64_t days, int64_t* year, int64_t* month, int64_t* day) {
  days += 719468;
  int64_t era = FloorDivide(days, 146097);
  int64_t day_of_era = days - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t shifted_month = (5 * day_of_year + 2) / 153;
  *day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  *month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  *year = year_of_era + era * 400 + (*month <= 2);
}

bool IsLeapYear(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int DaysInMonth(int64_t year, int64_t month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool ReadDigits(const char* text, size_t count, int64_t* out) {
  int64_t value = 0;
  for (size_t i = 0; i < count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

// Reads 1..`most` digits at `*text` (advancing it); false when there is none.
bool ReadNumber(const char** text, const char* end, int most, int64_t* out) {
  int64_t value = 0;
  int count = 0;
  while (*text < end && count < most && **text >= '0' && **text <= '9') {
    value = value * 10 + (**text - '0');
    ++*text;
    ++count;
  }
  *out = value;
  return count > 0;
}

void TrimBlanks(const char** begin, const char** end) {
  while (*begin < *end && (**begin == ' ' || **begin == '\t')) ++*begin;
  while (*end > *begin && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) --*end;
}

}  // namespace

int WriteDate(int32_t days, char* buffer) {
  int64_t year, month, day;
  CivilFromDays(days, &year, &month, &day);
  char* end = buffer;
  if (year < 0) {
    end = fmt::format_to(end, "-{:04d}", -year);
  } else {
    end = fmt::format_to(end, "{:04d}", year);
  }
  end = fmt::format_to(end, "-{:02d}-{:02d}", month, day);
  return static_cast<int>(end - buffer);
}

int WriteTime(int32_t millis, char* buffer) {
  int64_t value = millis;
  if (value < 0 || value >= kMillisPerDay)
    value = ((value % kMillisPerDay) + kMillisPerDay) % kMillisPerDay;
  int64_t seconds = value / 1000;
  char* end = fmt::format_to(buffer, "{:02d}:{:02d}:{:02d}", seconds / 3600, seconds / 60 % 60,
                             seconds % 60);
  if (value % 1000 != 0) end = fmt::format_to(end, ".{:03d}", value % 1000);
  return static_cast<int>(end - buffer);
}

bool ParseDate(const char* text, size_t length, int32_t* out) {
  const char* begin = text;
  const char* end = text + length;
  TrimBlanks(&begin, &end);
  // A timestamp's text reads as its date, as Flink's DateTimeUtils.parseDate.
  for (const char* space = begin; space < end; ++space) {
    if (*space == ' ') {
      end = space;
      break;
    }
  }
  int64_t year, month, day;
  if (!ReadNumber(&begin, end, 4, &year) || begin == end || *begin++ != '-' ||
      !ReadNumber(&begin, end, 2, &month) || begin == end || *begin++ != '-' ||
      !ReadNumber(&begin, end, 2, &day) || begin != end) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
  *out = static_cast<int32_t>(DaysFromCivil(year, month, day));
  return true;
}

bool ParseTime(const char* text, size_t length, int32_t* out) {
  const char* begin = text;
  const char* end = text + length;
  TrimBlanks(&begin, &end);
  int64_t hour, minute, second = 0, fraction = 0;
  if (!ReadNumber(&begin, end, 2, &hour) || begin == end || *begin++ != ':' ||
      !ReadNumber(&begin, end, 2, &minute)) {
    return false;
  }
  if (begin != end) {
    if (*begin++ != ':' || !ReadNumber(&begin, end, 2, &second)) return false;
    if (begin != end) {
      if (*begin++ != '.') return false;
      const char* digits = begin;
      if (!ReadNumber(&begin, end, 9, &fraction) || begin != end) return false;
      int64_t count = begin - digits;
      for (; count > 3; --count) fraction /= 10;
      for (; count < 3; ++count) fraction *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  *out = static_cast<int32_t>(((hour * 60 + minute) * 60 + second) * 1000 + fraction);
  return true;
}

int WriteTimestamp(int64_t millis, char* buffer) {
  // Truncate, then adjust: `days * kMillisPerDay` would overflow near INT64_MIN.
  int64_t days = millis / kMillisPerDay;
  int64_t millis_of_day = millis % kMillisPerDay;
  if (millis_of_day < 0) {
    millis_of_day += kMillisPerDay;
    --days;
  }
  int64_t year, month, day;
  CivilFromDays(days, &year, &month, &day);
  int64_t seconds_of_day = millis_of_day / 1000;
  char* end = buffer;
  if (year < 0) {
    end = fmt::format_to(end, "-{:04d}", -year);
  } else {
    end = fmt::format_to(end, "{:04d}", year);
  }
  end = fmt::format_to(end, "-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:03d}", month, day,
                       seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60,
                       millis_of_day % 1000);
  return static_cast<int>(end - buffer);
}

namespace {

// Java's Double.toString (Float.toString for a float), as Flink writes a DOUBLE (a FLOAT) (CAST to
// STRING, print, JSON, CSV): the shortest digits that read back to the value, in plain notation
// with at least one digit after the point for 10^-3 <= |value| < 10^7 (`5.0`, `0.001`), else as
// `d.dddE<n>`
// (`1.0E7`, `1.5E-4`); `NaN` (whatever its sign bits: 0/0 gives -nan on x86), `Infinity`.
template <typename Real>
int WriteReal(Real value, char* buffer) {
  char* out = buffer;
  auto put = [&](const char* text) {
    while (*text != '\0') *out++ = *text++;
  };
  if (std::isnan(value)) {
    put("NaN");
    return static_cast<int>(out - buffer);
  }
  if (std::signbit(value)) *out++ = '-';
  if (std::isinf(value)) {
    put("Infinity");
    return static_cast<int>(out - buffer);
  }
  if (value == 0) {
    put("0.0");
    return static_cast<int>(out - buffer);
  }
  // The shortest round-trip digits and the decimal exponent: `d[.ddd]e<sign><exp>`.
  char scientific[32];
  auto result = std::to_chars(scientific, scientific + sizeof(scientific), std::fabs(value),
                              std::chars_format::scientific);
  char digits[24];
  int count = 0;
  const char* p = scientific;
  for (; p < result.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[count++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), result.ptr, exponent);
  if (count == 1 && (exponent < -3 || exponent >= 7)) {
    // `d.dE<n>` needs two digits: Java takes the two closest to the exact value (4.9E-324 for
    // the smallest double, whose shortest text is 5e-324).
    result = std::to_chars(scientific, scientific + sizeof(scientific), std::fabs(value),
                           std::chars_format::scientific, 1);
    count = 0;
    for (p = scientific; p < result.ptr && *p != 'e'; ++p) {
      if (*p != '.') digits[count++] = *p;
    }
    std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), result.ptr, exponent);
    while (count > 1 && digits[count - 1] == '0') --count;
  }
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) {
      put("0.");
      for (int i = -1; i > exponent; --i) *out++ = '0';
      for (int i = 0; i < count; ++i) *out++ = digits[i];
    } else {
      for (int i = 0; i <= exponent; ++i) *out++ = i < count ? digits[i] : '0';
      *out++ = '.';
      if (count > exponent + 1) {
        for (int i = exponent + 1; i < count; ++i) *out++ = digits[i];
      } else {
        *out++ = '0';
      }
    }
  } else {
    *out++ = digits[0];
    *out++ = '.';
    if (count > 1) {
      for (int i = 1; i < count; ++i) *out++ = digits[i];
    } else {
      *out++ = '0';
    }
    *out++ = 'E';
    out = std::to_chars(out, out + 8, exponent).ptr;
  }
  return static_cast<int>(out - buffer);
}

}  // namespace

int WriteDouble(double value, char* buffer) {
  return WriteReal(value, buffer);
}

int WriteFloat(float value, char* buffer) {
  return WriteReal(value, buffer);
}

int WriteDecimal(__int128 unscaled, int32_t scale, char* buffer) {
  if (scale < 0) scale = 0;
  if (scale > 40) scale = 40;
  using UInt128 = unsigned __int128;
  UInt128 magnitude =
      unscaled < 0 ? 0 - static_cast<UInt128>(unscaled) : static_cast<UInt128>(unscaled);
  char digits[48];
  int digit_count = 0;
  do {
    digits[digit_count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  char* out = buffer;
  if (unscaled < 0) *out++ = '-';
  // Integral part: the digits above `scale`, or a single 0.
  int integral_digits = digit_count - scale;
  if (integral_digits <= 0) {
    *out++ = '0';
  } else {
    for (int i = digit_count - 1; i >= scale; --i) *out++ = digits[i];
  }
  if (scale > 0) {
    *out++ = '.';
    for (int i = scale - 1; i >= 0; --i) *out++ = i < digit_count ? digits[i] : '0';
  }
  return static_cast<int>(out - buffer);
}

int WriteInterval(int64_t millis, char* buffer) {
  uint64_t magnitude =
      millis < 0 ? 0 - static_cast<uint64_t>(millis) : static_cast<uint64_t>(millis);
  uint64_t days = magnitude / kMillisPerDay;
  uint64_t rest = magnitude % kMillisPerDay;
  uint64_t seconds = rest / 1000;
  char* end = fmt::format_to(buffer, "{}{} {:02d}:{:02d}:{:02d}.{:03d}", millis < 0 ? '-' : '+',
                             days, seconds / 3600, seconds / 60 % 60, seconds % 60, rest % 1000);
  return static_cast<int>(end - buffer);
}

bool ParseTimestamp(const char* text, size_t length, int64_t* out) {
  // Flink's DateTimeUtils.parseTimestampData: `YYYY-M-D`, then optionally ` ` or `T` and
  // `H:M[:S[.f{1,9}]]` (one or two digits each; digits past the milliseconds are dropped).
  size_t at = 0;
  // Reads from one to `most` digits.
  auto digits = [&](size_t most, int64_t* value) {
    size_t count = 0;
    *value = 0;
    while (at < length && count < most && text[at] >= '0' && text[at] <= '9') {
      *value = *value * 10 + (text[at++] - '0');
      ++count;
    }
    return count > 0;
  };
  auto expect = [&](char c) { return at < length && text[at++] == c; };
  int64_t year, month, day, hour = 0, minute = 0, second = 0, fraction = 0;
  if (!digits(4, &year) || at != 4 || !expect('-') || !digits(2, &month) || !expect('-') ||
      !digits(2, &day)) {
    return false;
  }
  if (at < length) {
    if (text[at] != ' ' && text[at] != 'T') return false;
    ++at;
    if (!digits(2, &hour) || !expect(':') || !digits(2, &minute)) return false;
    if (at < length) {
      if (!expect(':') || !digits(2, &second)) return false;
      if (at < length) {
        if (!expect('.')) return false;
        size_t first = at;
        int64_t ignored;
        if (!digits(9, &ignored) || at != length) return false;
        for (size_t i = 0; i < 3; ++i) {
          fraction = fraction * 10 + (first + i < length ? text[first + i] - '0' : 0);
        }
      }
    }
  }
  if (at != length || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  int64_t days = DaysFromCivil(year, month, day);
  *out = days * kMillisPerDay + ((hour * 60 + minute) * 60 + second) * 1000 + fraction;
  return true;
}

}  // namespace detail

std::string FormatTimestamp(int64_t millis) {
  char buffer[48];
  return std::string(buffer, detail::WriteTimestamp(millis, buffer));
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  int64_t millis;
  if (!detail::ParseTimestamp(text.data(), text.size(), &millis)) return std::nullopt;
  return millis;
}

std::string FormatDate(int32_t days) {
  char buffer[16];
  return std::string(buffer, detail::WriteDate(days, buffer));
}

std::optional<int32_t> ParseDate(std::string_view text) {
  int32_t days;
  if (!detail::ParseDate(text.data(), text.size(), &days)) return std::nullopt;
  return days;
}

std::string FormatTime(int32_t millis) {
  char buffer[16];
  return std::string(buffer, detail::WriteTime(millis, buffer));
}

std::optional<int32_t> ParseTime(std::string_view text) {
  int32_t millis;
  if (!detail::ParseTime(text.data(), text.size(), &millis)) return std::nullopt;
  return millis;
}

std::string FormatDouble(double value) {
  char buffer[40];
  return std::string(buffer, detail::WriteDouble(value, buffer));
}

std::string FormatFloat(double value) {
  char buffer[40];
  return std::string(buffer, detail::WriteFloat(static_cast<float>(value), buffer));
}

std::string FormatReal(double value, const types::LogicalType& type) {
  return type.IsFloat() ? FormatFloat(value) : FormatDouble(value);
}

std::string FormatDecimal(__int128 unscaled, int32_t scale) {
  char buffer[96];
  return std::string(buffer, detail::WriteDecimal(unscaled, scale, buffer));
}

std::string FormatInterval(int64_t millis) {
  char buffer[48];
  return std::string(buffer, detail::WriteInterval(millis, buffer));
}

}  // namespace sluice::runtime::expr
