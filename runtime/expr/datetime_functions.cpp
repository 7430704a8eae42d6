// DATE_FORMAT and the calendar fields of a TIMESTAMP (SEMANTICS.md, "Date and time"): the
// helpers both the interpreter and generated code call, and the bind-time pattern check.

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"

using sluice::runtime::StringRef;

namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

/// A timestamp split into its UTC calendar fields (proleptic Gregorian).
struct CivilTime {
  int64_t year = 1970;
  int64_t month = 1;
  int64_t day = 1;
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  int64_t millisecond = 0;
};

int64_t FloorDivide(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
  return quotient;
}

// Howard Hinnant's civil_from_days, as value_format.cpp's WriteTimestamp uses.
CivilTime ToCivil(int64_t millis) {
  // Truncate, then adjust: `days * kMillisPerDay` would overflow near INT64_MIN.
  int64_t days = millis / kMillisPerDay;
  int64_t millis_of_day = millis % kMillisPerDay;
  if (millis_of_day < 0) {
    millis_of_day += kMillisPerDay;
    --days;
  }
  CivilTime time;
  days += 719468;
  int64_t era = FloorDivide(days, 146097);
  int64_t day_of_era = days - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t shifted_month = (5 * day_of_year + 2) / 153;
  time.day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  time.month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  time.year = year_of_era + era * 400 + (time.month <= 2);
  int64_t seconds_of_day = millis_of_day / 1000;
  time.hour = seconds_of_day / 3600;
  time.minute = seconds_of_day / 60 % 60;
  time.second = seconds_of_day % 60;
  time.millisecond = millis_of_day % 1000;
  return time;
}

/// Writes `value` zero-padded to `width` digits at `out + length` (when `out` is not null) and
/// returns the new length.
int AppendNumber(char* out, int length, uint64_t value, int width) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int i = count; i < width; ++i) {
    if (out != nullptr) out[length] = '0';
    ++length;
  }
  while (count > 0) {
    if (out != nullptr) out[length] = digits[count - 1];
    ++length;
    --count;
  }
  return length;
}

bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// The most characters one pattern letter run of `count` letters can produce.
constexpr int kMaxFieldWidth = 24;

/// Formats `time` with `pattern` into `out` (only counts when `out` is null) and returns the
/// length, or -1 when the pattern is not supported; `problem`, when given, says why.
int FormatPattern(const char* pattern, uint32_t pattern_length, const CivilTime& time, char* out,
                  std::string* problem) {
  // Builds the message only for the bind-time check: at run time a bad pattern is just NULL.
  auto fail = [problem](const char* before, char letter = 0, const char* after = "") {
    if (problem != nullptr) {
      *problem = before;
      if (letter != 0) *problem += letter;
      *problem += after;
    }
    return -1;
  };
  int length = 0;
  uint32_t i = 0;
  while (i < pattern_length) {
    char c = pattern[i];
    if (c == '\'') {
      // 'text' is literal; '' is a quote, inside or outside quoted text.
      if (i + 1 < pattern_length && pattern[i + 1] == '\'') {
        if (out != nullptr) out[length] = '\'';
        ++length;
        i += 2;
        continue;
      }
      ++i;
      bool closed = false;
      while (i < pattern_length) {
        if (pattern[i] == '\'') {
          if (i + 1 < pattern_length && pattern[i + 1] == '\'') {
            if (out != nullptr) out[length] = '\'';
            ++length;
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        if (out != nullptr) out[length] = pattern[i];
        ++length;
        ++i;
      }
      if (!closed) return fail("unterminated quoted text");
      continue;
    }
    if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
      return fail("unsupported pattern character '", c, "'");
    }
    if (!IsAsciiLetter(c)) {
      if (out != nullptr) out[length] = c;
      ++length;
      ++i;
      continue;
    }
    uint32_t count = 1;
    while (i + count < pattern_length && pattern[i + count] == c) ++count;
    i += count;
    auto two_at_most = [&](int64_t value) {
      if (count > 2) {
        return fail("too many pattern letters '", c, "' (at most 2)");
      }
      length = AppendNumber(out, length, static_cast<uint64_t>(value), static_cast<int>(count));
      return 0;
    };
    switch (c) {
      case 'y':
        if (count > 9) return fail("too many pattern letters 'y' (at most 9)");
        if (count == 2) {
          int64_t two_digits = time.year % 100;
          if (two_digits < 0) two_digits += 100;
          length = AppendNumber(out, length, static_cast<uint64_t>(two_digits), 2);
        } else {
          // The proleptic year as CAST to VARCHAR writes it: a '-' before negative years.
          uint64_t magnitude = time.year < 0 ? 0 - static_cast<uint64_t>(time.year)
                                             : static_cast<uint64_t>(time.year);
          if (time.year < 0) {
            if (out != nullptr) out[length] = '-';
            ++length;
          }
          length = AppendNumber(out, length, magnitude, static_cast<int>(count));
        }
        break;
      case 'M':
        if (two_at_most(time.month) < 0) return -1;
        break;
      case 'd':
        if (two_at_most(time.day) < 0) return -1;
        break;
      case 'H':
        if (two_at_most(time.hour) < 0) return -1;
        break;
      case 'm':
        if (two_at_most(time.minute) < 0) return -1;
        break;
      case 's':
        if (two_at_most(time.second) < 0) return -1;
        break;
      case 'S': {
        // Fraction of the second, truncated to `count` digits (Java's DateTimeFormatter).
        if (count > 9) return fail("too many pattern letters 'S' (at most 9)");
        char fraction[9] = {'0', '0', '0', '0', '0', '0', '0', '0', '0'};
        fraction[0] = static_cast<char>('0' + time.millisecond / 100);
        fraction[1] = static_cast<char>('0' + time.millisecond / 10 % 10);
        fraction[2] = static_cast<char>('0' + time.millisecond % 10);
        for (uint32_t k = 0; k < count; ++k) {
          if (out != nullptr) out[length] = fraction[k];
          ++length;
        }
        break;
      }
      default:
        return fail("unsupported pattern letter '", c,
                    "' (supported: y M d H m s S and 'quoted text')");
    }
  }
  return length;
}

}  // namespace

namespace sluice::runtime::expr::detail {

std::string CheckDateFormatPattern(std::string_view pattern) {
  std::string problem;
  int length = FormatPattern(pattern.data(), static_cast<uint32_t>(pattern.size()), CivilTime{},
                             nullptr, &problem);
  return length < 0 ? problem : "";
}

}  // namespace sluice::runtime::expr::detail

extern "C" {

int64_t sluice_current_millis(void) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t sluice_timestamp_extract(int64_t millis, int32_t field) {
  CivilTime time = ToCivil(millis);
  switch (static_cast<SluiceTimeField>(field)) {
    case SluiceTimeField::kYear: return time.year;
    case SluiceTimeField::kMonth: return time.month;
    case SluiceTimeField::kDay: return time.day;
    case SluiceTimeField::kHour: return time.hour;
    case SluiceTimeField::kMinute: return time.minute;
    case SluiceTimeField::kSecond: return time.second;
    case SluiceTimeField::kMillisecond: return time.second * 1000 + time.millisecond;
  }
  return 0;
}

uint8_t sluice_timestamp_format(SluiceKernelContext* context, int64_t millis,
                                const StringRef* pattern, StringRef* out) {
  CivilTime time = ToCivil(millis);
  // Short patterns (all of Nexmark's) format on the stack and copy the exact length; longer
  // ones are measured first so the arena receives exactly the result.
  char buffer[512];
  if (static_cast<uint64_t>(pattern->length) * kMaxFieldWidth <= sizeof(buffer)) {
    int length = FormatPattern(pattern->data, pattern->length, time, buffer, nullptr);
    if (length < 0) return 0;
    char* target = context->arena->Allocate(static_cast<size_t>(length));
    if (length > 0) std::memcpy(target, buffer, static_cast<size_t>(length));
    *out = StringRef{target, static_cast<uint32_t>(length), 0};
    return 1;
  }
  int length = FormatPattern(pattern->data, pattern->length, time, nullptr, nullptr);
  if (length < 0) return 0;
  char* target = context->arena->Allocate(static_cast<size_t>(length));
  FormatPattern(pattern->data, pattern->length, time, target, nullptr);
  *out = StringRef{target, static_cast<uint32_t>(length), 0};
  return 1;
}

}  // extern "C"
