// DATE_FORMAT and the calendar fields of a TIMESTAMP (SEMANTICS.md, "Date and time"): the
// helpers both the interpreter and generated code call, and the bind-time pattern check.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/expr/current_watermark.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"
#include "runtime/expr/time_zone.h"

namespace sluice::runtime::expr::detail {
bool ParseTimestamp(const char* text, size_t length, int64_t* out);
bool ParseDate(const char* text, size_t length, int32_t* out);
}  // namespace sluice::runtime::expr::detail

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
/// The calendar date of `days` since 1970-01-01 at `millis_of_day` (0 .. one day).
CivilTime CivilOfDay(int64_t days, int64_t millis_of_day) {
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

CivilTime ToCivil(int64_t millis) {
  // Truncate, then adjust: `days * kMillisPerDay` would overflow near INT64_MIN.
  int64_t days = millis / kMillisPerDay;
  int64_t millis_of_day = millis % kMillisPerDay;
  if (millis_of_day < 0) {
    millis_of_day += kMillisPerDay;
    --days;
  }
  return CivilOfDay(days, millis_of_day);
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  int64_t era = FloorDivide(year, 400);
  int64_t year_of_era = year - era * 400;
  int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int64_t ToMillis(const CivilTime& time) {
  return DaysFromCivil(time.year, time.month, time.day) * kMillisPerDay +
         ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.millisecond;
}

bool IsLeapYear(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int64_t DaysInMonth(int64_t year, int64_t month) {
  static constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

int64_t DaysOf(int64_t millis) {
  return FloorDivide(millis, kMillisPerDay);
}

/// 1 (Sunday) to 7 (Saturday), as Flink's DAYOFWEEK; 1970-01-01 was a Thursday.
/// 1 = Sunday .. 7 = Saturday, of `days` since 1970-01-01 (a Thursday).
int64_t DayOfWeekOfDays(int64_t days) {
  int64_t index = (days + 4) % 7;  // 0 = Sunday
  if (index < 0) index += 7;
  return index + 1;
}

int64_t DayOfWeek(int64_t millis) {
  return DayOfWeekOfDays(DaysOf(millis));
}

int64_t DayOfYear(const CivilTime& time) {
  return DaysFromCivil(time.year, time.month, time.day) - DaysFromCivil(time.year, 1, 1) + 1;
}

/// The ISO-8601 week (weeks start on Monday; week 1 holds the year's first Thursday) and its
/// week-based year.
void IsoWeek(int64_t millis, int64_t* week, int64_t* week_year) {
  int64_t days = DaysOf(millis);
  int64_t iso_day = (DayOfWeek(millis) + 5) % 7 + 1;  // 1 = Monday .. 7 = Sunday
  int64_t thursday = days - iso_day + 4;
  CivilTime civil = CivilOfDay(thursday, 0);  // days: `thursday * kMillisPerDay` may overflow
  *week_year = civil.year;
  *week = (thursday - DaysFromCivil(civil.year, 1, 1)) / 7 + 1;
}

/// The week of Java's US locale ('w' of DateTimeFormatter): weeks start on Sunday and week 1
/// holds January 1st, so the last days of December may be in week 1 of the next year.
void UsWeek(int64_t millis, int64_t* week, int64_t* week_year) {
  int64_t days = DaysOf(millis);
  int64_t sunday = days - (DayOfWeek(millis) - 1);  // the week's first day
  CivilTime last = CivilOfDay(sunday + 6, 0);
  if (DaysFromCivil(last.year, 1, 1) > sunday) {  // the week holds a January 1st
    *week = 1;
    *week_year = last.year;
    return;
  }
  CivilTime civil = ToCivil(millis);
  int64_t first = DaysFromCivil(civil.year, 1, 1);
  int64_t first_sunday = first - (DayOfWeekOfDays(first) - 1);
  *week = (sunday - first_sunday) / 7 + 1;
  *week_year = civil.year;
}

/// Adds `months` calendar months, keeping the time of day and clamping the day to the
/// month's last (Jan 31 + 1 month = Feb 28 or 29), as Flink's TIMESTAMPADD. False when the
/// result is not an int64 of milliseconds.
bool AddMonths(int64_t millis, int64_t months, int64_t* out) {
  CivilTime time = ToCivil(millis);
  // |months| is at most about 3.5e9 for results in range; larger would overflow below.
  if (months > 12'000'000'000LL || months < -12'000'000'000LL) return false;
  int64_t total = time.year * 12 + (time.month - 1) + months;
  time.year = FloorDivide(total, 12);
  time.month = total - time.year * 12 + 1;
  time.day = std::min(time.day, DaysInMonth(time.year, time.month));
  __int128 result =
      static_cast<__int128>(DaysFromCivil(time.year, time.month, time.day)) * kMillisPerDay +
      ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.millisecond;
  if (result > INT64_MAX || result < INT64_MIN) return false;
  *out = static_cast<int64_t>(result);
  return true;
}

/// AddMonths for arguments known to stay in range.
int64_t AddMonths(int64_t millis, int64_t months) {
  int64_t result = 0;
  AddMonths(millis, months, &result);
  return result;
}

const char* const kMonthNames[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};
const char* const kDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};

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
int FormatPattern(const char* pattern, uint32_t pattern_length, int64_t millis, char* out,
                  std::string* problem) {
  CivilTime time = ToCivil(millis);
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
    auto text = [&](const char* value, size_t size) {
      for (size_t k = 0; k < size; ++k) {
        if (out != nullptr) out[length] = value[k];
        ++length;
      }
    };
    auto name = [&](const char* full) {
      // 1-3 letters: the short form; 4: the full name; 5: the first letter.
      size_t size = std::strlen(full);
      text(full, count == 4 ? size : (count == 5 ? 1 : std::min<size_t>(3, size)));
    };
    auto padded = [&](int64_t value, uint32_t most) {
      if (count > most) {
        return fail("too many pattern letters '", c,
                    most == 2 ? "' (at most 2)" : (most == 3 ? "' (at most 3)" : "' (at most 9)"));
      }
      if (value < 0) {
        text("-", 1);
        value = -value;
      }
      length = AppendNumber(out, length, static_cast<uint64_t>(value), static_cast<int>(count));
      return 0;
    };
    auto year = [&](int64_t value) {
      if (count > 9) return fail("too many pattern letters '", c, "' (at most 9)");
      if (count == 2) {
        int64_t two_digits = value % 100;
        if (two_digits < 0) two_digits += 100;
        length = AppendNumber(out, length, static_cast<uint64_t>(two_digits), 2);
        return 0;
      }
      return padded(value, 9);
    };
    int64_t week = 0, week_year = 0;
    if (c == 'w' || c == 'Y') UsWeek(millis, &week, &week_year);
    int64_t quarter = (time.month - 1) / 3 + 1;
    int result = 0;
    switch (c) {
      case 'y':
      case 'u': result = year(time.year); break;
      case 'Y': result = year(week_year); break;
      case 'M':
      case 'L':
        if (count >= 3) {
          if (count > 5) return fail("too many pattern letters '", c, "' (at most 5)");
          name(kMonthNames[time.month - 1]);
        } else {
          result = padded(time.month, 2);
        }
        break;
      case 'd': result = padded(time.day, 2); break;
      case 'D': result = padded(DayOfYear(time), 3); break;
      case 'H': result = padded(time.hour, 2); break;
      case 'k': result = padded(time.hour == 0 ? 24 : time.hour, 2); break;
      case 'K': result = padded(time.hour % 12, 2); break;
      case 'h': result = padded(time.hour % 12 == 0 ? 12 : time.hour % 12, 2); break;
      case 'm': result = padded(time.minute, 2); break;
      case 's': result = padded(time.second, 2); break;
      case 'S': {
        // Fraction of the second, truncated to `count` digits (Java's DateTimeFormatter).
        if (count > 9) return fail("too many pattern letters 'S' (at most 9)");
        char fraction[9] = {'0', '0', '0', '0', '0', '0', '0', '0', '0'};
        fraction[0] = static_cast<char>('0' + time.millisecond / 100);
        fraction[1] = static_cast<char>('0' + time.millisecond / 10 % 10);
        fraction[2] = static_cast<char>('0' + time.millisecond % 10);
        text(fraction, count);
        break;
      }
      case 'n': result = padded(time.millisecond * 1'000'000, 9); break;
      case 'A':
        result = padded(
            ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.millisecond, 9);
        break;
      case 'E':
        if (count > 5) return fail("too many pattern letters 'E' (at most 5)");
        name(kDayNames[DayOfWeek(millis) - 1]);
        break;
      case 'e':
      case 'c':
        if (count >= 3) {
          if (count > 5) return fail("too many pattern letters '", c, "' (at most 5)");
          name(kDayNames[DayOfWeek(millis) - 1]);
        } else {
          result = padded(DayOfWeek(millis), c == 'c' ? 1 : 2);  // US: Sunday is 1
        }
        break;
      case 'a':
        if (count > 1) return fail("too many pattern letters 'a' (at most 1)");
        text(time.hour < 12 ? "AM" : "PM", 2);
        break;
      case 'Q':
      case 'q':
        if (count == 3) {
          text("Q", 1);
          length = AppendNumber(out, length, static_cast<uint64_t>(quarter), 1);
        } else if (count == 4) {
          static const char* const kQuarters[] = {"1st quarter", "2nd quarter", "3rd quarter",
                                                  "4th quarter"};
          text(kQuarters[quarter - 1], 11);
        } else {
          result = padded(quarter, 2);
        }
        break;
      case 'w': result = padded(week, 2); break;
      case 'G':
        if (count > 5) return fail("too many pattern letters 'G' (at most 5)");
        if (count == 4) {
          text(time.year > 0 ? "Anno Domini" : "Before Christ", time.year > 0 ? 11 : 13);
        } else {
          text(time.year > 0 ? "AD" : "BC", count == 5 ? 1 : 2);
        }
        break;
      // The session time zone is UTC (table.local-time-zone is not supported).
      case 'z':
        if (count > 4) return fail("too many pattern letters 'z' (at most 4)");
        if (count == 4) {
          text("Coordinated Universal Time", 26);
        } else {
          text("UTC", 3);
        }
        break;
      case 'V':
        if (count != 2) return fail("pattern letter 'V' must be 'VV'");
        text("UTC", 3);
        break;
      case 'Z':
        if (count > 5) return fail("too many pattern letters 'Z' (at most 5)");
        if (count == 4) {
          text("GMT", 3);
        } else if (count == 5) {
          text("Z", 1);
        } else {
          text("+0000", 5);
        }
        break;
      case 'X':
        if (count > 5) return fail("too many pattern letters 'X' (at most 5)");
        text("Z", 1);
        break;
      case 'x':
        if (count > 5) return fail("too many pattern letters 'x' (at most 5)");
        if (count == 1) {
          text("+00", 3);
        } else if (count == 2 || count == 4) {
          text("+0000", 5);
        } else {
          text("+00:00", 6);
        }
        break;
      default:
        return fail("unsupported pattern letter '", c,
                    "' (supported: G u y Y Q q M L w D d E e c a h K k H m s S A n z V Z X x "
                    "and 'quoted text')");
    }
    if (result < 0) return -1;
  }
  return length;
}

}  // namespace

namespace sluice::runtime::expr::detail {

std::string CheckDateFormatPattern(std::string_view pattern) {
  std::string problem;
  int length =
      FormatPattern(pattern.data(), static_cast<uint32_t>(pattern.size()), 0, nullptr, &problem);
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
  // Short patterns (all of Nexmark's) format on the stack and copy the exact length; longer
  // ones are measured first so the arena receives exactly the result.
  char buffer[512];
  if (static_cast<uint64_t>(pattern->length) * kMaxFieldWidth <= sizeof(buffer)) {
    int length = FormatPattern(pattern->data, pattern->length, millis, buffer, nullptr);
    if (length < 0) return 0;
    char* target = context->arena->Allocate(static_cast<size_t>(length));
    if (length > 0) std::memcpy(target, buffer, static_cast<size_t>(length));
    *out = StringRef{target, static_cast<uint32_t>(length), 0};
    return 1;
  }
  int length = FormatPattern(pattern->data, pattern->length, millis, nullptr, nullptr);
  if (length < 0) return 0;
  char* target = context->arena->Allocate(static_cast<size_t>(length));
  FormatPattern(pattern->data, pattern->length, millis, target, nullptr);
  *out = StringRef{target, static_cast<uint32_t>(length), 0};
  return 1;
}

}  // extern "C"

// ---- the value-shaped date-time functions (functions.def) ------------------------------------

namespace {

constexpr char kDefaultPattern[] = "yyyy-MM-dd HH:mm:ss";

enum class Unit { kMillisecond, kSecond, kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };

bool EqualsIgnoreCase(const char* data, uint32_t length, const char* word) {
  size_t size = std::strlen(word);
  if (length != size) return false;
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  return true;
}

bool ParseUnit(const char* data, uint32_t length, Unit* out) {
  static const std::pair<const char*, Unit> kUnits[] = {{"MILLISECOND", Unit::kMillisecond},
                                                        {"SECOND", Unit::kSecond},
                                                        {"MINUTE", Unit::kMinute},
                                                        {"HOUR", Unit::kHour},
                                                        {"DAY", Unit::kDay},
                                                        {"WEEK", Unit::kWeek},
                                                        {"MONTH", Unit::kMonth},
                                                        {"QUARTER", Unit::kQuarter},
                                                        {"YEAR", Unit::kYear}};
  for (const auto& [name, unit] : kUnits) {
    if (EqualsIgnoreCase(data, length, name)) {
      *out = unit;
      return true;
    }
  }
  return false;
}

int64_t MillisOf(Unit unit) {
  switch (unit) {
    case Unit::kMillisecond: return 1;
    case Unit::kSecond: return 1000;
    case Unit::kMinute: return 60'000;
    case Unit::kHour: return 3'600'000;
    case Unit::kDay: return kMillisPerDay;
    case Unit::kWeek: return 7 * kMillisPerDay;
    default: return 0;  // months
  }
}

int64_t MonthsOf(Unit unit) {
  return unit == Unit::kYear ? 12 : (unit == Unit::kQuarter ? 3 : 1);
}

/// Whole calendar months from `early` to `late` (late >= early): the most m with
/// AddMonths(early, m) <= late.
int64_t MonthsBetween(int64_t early, int64_t late) {
  CivilTime from = ToCivil(early), to = ToCivil(late);
  int64_t months = (to.year - from.year) * 12 + (to.month - from.month);
  while (months > 0 && AddMonths(early, months) > late) --months;
  return months;
}

/// Reads 1..`most` digits (exactly `exact` when it is not 0) at `*position`.
bool ReadNumber(const char* text, uint32_t length, uint32_t* position, uint32_t exact,
                uint32_t most, int64_t* out) {
  uint32_t start = *position, limit = exact != 0 ? exact : most;
  int64_t value = 0;
  while (*position < length && *position - start < limit && text[*position] >= '0' &&
         text[*position] <= '9') {
    value = value * 10 + (text[*position] - '0');
    ++*position;
  }
  uint32_t read = *position - start;
  if (read == 0 || (exact != 0 && read != exact)) return false;
  *out = value;
  return true;
}

/// Parses `text` with a DateTimeFormatter-style pattern (y u M d H k h K a m s S D, quoted
/// text, literals; X/x/Z read a +hh[mm] or Z offset). Missing fields default to 1970-01-01
/// 00:00:00. False when the text does not match the whole pattern.
bool ParseWithPattern(const char* text, uint32_t length, const char* pattern,
                      uint32_t pattern_length, int64_t* out) {
  CivilTime time;
  int64_t offset_minutes = 0, day_of_year = 0;
  bool pm = false, twelve_hour = false;
  uint32_t position = 0, i = 0;
  while (i < pattern_length) {
    char c = pattern[i];
    if (c == '\'') {
      ++i;
      while (i < pattern_length) {
        if (pattern[i] == '\'') {
          if (i + 1 < pattern_length && pattern[i + 1] == '\'') {
            if (position >= length || text[position] != '\'') return false;
            ++position;
            i += 2;
            continue;
          }
          break;
        }
        if (position >= length || text[position] != pattern[i]) return false;
        ++position;
        ++i;
      }
      ++i;
      continue;
    }
    if (!IsAsciiLetter(c)) {
      if (position >= length || text[position] != c) return false;
      ++position;
      ++i;
      continue;
    }
    uint32_t count = 1;
    while (i + count < pattern_length && pattern[i + count] == c) ++count;
    i += count;
    // A field followed directly by another numeric field reads exactly `count` digits.
    bool adjacent = i < pattern_length && IsAsciiLetter(pattern[i]);
    uint32_t exact = count >= 2 || adjacent ? count : 0;
    int64_t value = 0;
    switch (c) {
      case 'y':
      case 'u': {
        bool negative = position < length && text[position] == '-';
        if (negative) ++position;
        if (!ReadNumber(text, length, &position, count == 2 || adjacent ? count : 0, 9, &value)) {
          return false;
        }
        if (count == 2) value += 2000;  // Java's base year for 'yy'
        time.year = negative ? -value : value;
        break;
      }
      case 'M':
        if (count >= 3) {
          bool found = false;
          for (int64_t month = 0; month < 12 && !found; ++month) {
            size_t size = count == 3 ? 3 : std::strlen(kMonthNames[month]);
            if (position + size <= length &&
                std::strncmp(text + position, kMonthNames[month], size) == 0) {
              time.month = month + 1;
              position += static_cast<uint32_t>(size);
              found = true;
            }
          }
          if (!found) return false;
          break;
        }
        if (!ReadNumber(text, length, &position, exact, 2, &time.month)) return false;
        break;
      case 'd':
        if (!ReadNumber(text, length, &position, exact, 2, &time.day)) return false;
        break;
      case 'D':
        if (!ReadNumber(text, length, &position, exact, 3, &day_of_year)) return false;
        break;
      case 'H':
      case 'k':
        if (!ReadNumber(text, length, &position, exact, 2, &time.hour)) return false;
        if (c == 'k' && time.hour == 24) time.hour = 0;
        break;
      case 'h':
      case 'K':
        if (!ReadNumber(text, length, &position, exact, 2, &time.hour)) return false;
        twelve_hour = true;
        if (time.hour == 12) time.hour = 0;
        break;
      case 'a':
        if (position + 2 > length) return false;
        if (EqualsIgnoreCase(text + position, 2, "PM")) {
          pm = true;
        } else if (!EqualsIgnoreCase(text + position, 2, "AM")) {
          return false;
        }
        position += 2;
        break;
      case 'm':
        if (!ReadNumber(text, length, &position, exact, 2, &time.minute)) return false;
        break;
      case 's':
        if (!ReadNumber(text, length, &position, exact, 2, &time.second)) return false;
        break;
      case 'S': {
        uint32_t start = position;
        if (!ReadNumber(text, length, &position, count, count, &value)) return false;
        uint32_t digits = position - start;
        // Milliseconds: scale to 3 digits, truncating finer ones.
        for (uint32_t k = digits; k < 3; ++k) value *= 10;
        for (uint32_t k = 3; k < digits; ++k) value /= 10;
        time.millisecond = value;
        break;
      }
      case 'X':
      case 'x':
      case 'Z': {
        if (position < length && text[position] == 'Z' && c != 'x') {
          ++position;
          break;
        }
        if (position >= length || (text[position] != '+' && text[position] != '-')) return false;
        int64_t sign = text[position] == '-' ? -1 : 1;
        ++position;
        int64_t hours = 0, minutes = 0;
        if (!ReadNumber(text, length, &position, 2, 2, &hours)) return false;
        if (position < length && text[position] == ':') ++position;
        if (position < length && text[position] >= '0' && text[position] <= '9' &&
            !ReadNumber(text, length, &position, 2, 2, &minutes)) {
          return false;
        }
        offset_minutes = sign * (hours * 60 + minutes);
        break;
      }
      default: return false;  // a letter parsing does not support
    }
  }
  if (position != length) return false;
  if (twelve_hour && pm) time.hour += 12;
  if (day_of_year > 0) {
    time.month = 1;
    time.day = 1;
  }
  if (time.month < 1 || time.month > 12 || time.day < 1 ||
      time.day > DaysInMonth(time.year, time.month) || time.hour > 23 || time.minute > 59 ||
      time.second > 59) {
    return false;
  }
  int64_t millis = ToMillis(time);
  if (day_of_year > 0) millis += (day_of_year - 1) * kMillisPerDay;
  *out = millis - offset_minutes * 60'000;
  return true;
}

/// TO_TIMESTAMP and UNIX_TIMESTAMP: the default format also takes a fraction of a second and
/// a 'T', as Flink's lenient default parser.
bool ParseTimestampArgument(const SluiceUdfValue* arguments, int32_t count, int64_t* out) {
  const SluiceUdfValue& text = arguments[0];
  if (count >= 2) {
    return ParseWithPattern(text.data, text.length, arguments[1].data, arguments[1].length, out);
  }
  if (sluice::runtime::expr::detail::ParseTimestamp(text.data, text.length, out)) return true;
  return ParseWithPattern(text.data, text.length, "yyyy-MM-dd", 10, out);
}

bool StoreFormatted(SluiceKernelContext* context, int64_t millis, const char* pattern,
                    uint32_t pattern_length, SluiceUdfValue* out) {
  StringRef pattern_ref{pattern, pattern_length, 0};
  StringRef result;
  if (sluice_timestamp_format(context, millis, &pattern_ref, &result) == 0) return false;
  out->data = result.data;
  out->length = result.length;
  return true;
}

}  // namespace

extern "C" {

uint8_t sluice_current_timestamp(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                                 SluiceUdfValue* out) {
  out->integer = sluice_current_millis();
  return 1;
}

uint8_t sluice_unix_timestamp(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                              SluiceUdfValue* out) {
  int64_t millis = 0;
  if (count == 0) {
    millis = sluice_current_millis();
  } else if (!ParseTimestampArgument(arguments, count, &millis)) {
    out->integer = INT64_MIN;  // Flink's result for text that does not parse
    return 1;
  }
  out->integer = FloorDivide(millis, 1000);
  return 1;
}

uint8_t sluice_from_unixtime(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                             int32_t count, SluiceUdfValue* out) {
  int64_t seconds = arguments[0].integer;
  if (seconds > INT64_MAX / 1000 || seconds < INT64_MIN / 1000) return 0;
  if (count >= 2) {
    return StoreFormatted(context, seconds * 1000, arguments[1].data, arguments[1].length, out);
  }
  return StoreFormatted(context, seconds * 1000, kDefaultPattern, sizeof(kDefaultPattern) - 1, out);
}

uint8_t sluice_to_timestamp(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                            SluiceUdfValue* out) {
  return ParseTimestampArgument(arguments, count, &out->integer) ? 1 : 0;
}

uint8_t sluice_convert_tz(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // Flink's DateTimeUtils.convertTz: the text read as 'yyyy-MM-dd HH:mm:ss' on the first
  // zone's clock, written in that format on the second's.
  using sluice::runtime::expr::TimeZone;
  auto from = TimeZone::Find(std::string_view(arguments[1].data, arguments[1].length));
  auto to = TimeZone::Find(std::string_view(arguments[2].data, arguments[2].length));
  if (from == nullptr || to == nullptr) return 0;  // a literal unknown zone: a compile error
  int64_t local = 0;
  if (!ParseTimestampArgument(arguments, 1, &local)) return 0;
  constexpr int64_t kLimit = int64_t{1} << 50;  // far past year 9999, away from overflow
  if (local < -kLimit || local > kLimit) return 0;
  const int64_t utc = from->ToUtc(local);
  return StoreFormatted(context, utc + to->OffsetAt(utc), kDefaultPattern,
                        sizeof(kDefaultPattern) - 1, out)
             ? 1
             : 0;
}

uint8_t sluice_ltz_to_timestamp(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                SluiceUdfValue* out) {
  using sluice::runtime::expr::TimeZone;
  auto zone = TimeZone::Find(std::string_view(arguments[1].data, arguments[1].length));
  if (zone == nullptr) return 0;  // the binder passes the checked session zone
  const int64_t offset = zone->OffsetAt(arguments[0].integer);
  if (__builtin_add_overflow(arguments[0].integer, offset, &out->integer)) return 0;
  return 1;
}

uint8_t sluice_timestamp_to_ltz(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                SluiceUdfValue* out) {
  using sluice::runtime::expr::TimeZone;
  auto zone = TimeZone::Find(std::string_view(arguments[1].data, arguments[1].length));
  if (zone == nullptr) return 0;
  constexpr int64_t kLimit = int64_t{1} << 60;  // far past any date, away from overflow
  if (arguments[0].integer < -kLimit || arguments[0].integer > kLimit) return 0;
  out->integer = zone->ToUtc(arguments[0].integer);
  return 1;
}

uint8_t sluice_current_watermark(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                                 SluiceUdfValue* out) {
  // No watermark yet, or the end-of-input watermark (past any TIMESTAMP): NULL.
  constexpr int64_t kMaxMillis = 253402300799999;  // 9999-12-31 23:59:59.999
  int64_t watermark = sluice::runtime::expr::CurrentWatermark();
  if (watermark == std::numeric_limits<int64_t>::min() || watermark > kMaxMillis) return 0;
  out->integer = watermark;
  return 1;
}

uint8_t sluice_to_timestamp_ltz(SluiceKernelContext*, const SluiceUdfValue* arguments,
                                int32_t count, SluiceUdfValue* out) {
  // Flink's DateTimeUtils.toTimestampData: seconds or milliseconds since the epoch, truncated
  // toward zero to milliseconds; NULL outside 0001-01-01 .. 9999-12-31 (and for NaN).
  constexpr double kMinMillis = -62135596800000.0;
  constexpr double kMaxMillis = 253402300799999.0;
  const double epoch = arguments[0].real;
  const int64_t precision = count >= 2 ? arguments[1].integer : 3;
  double millis;
  if (precision == 0) {
    if (!(epoch >= kMinMillis / 1000 && epoch <= (kMaxMillis - 999) / 1000)) return 0;
    millis = epoch * 1000;
  } else if (precision == 3) {
    millis = epoch;
  } else {
    return 0;  // the binder refuses a constant precision other than 0 or 3
  }
  if (!(millis >= kMinMillis && millis <= kMaxMillis)) return 0;
  out->integer = static_cast<int64_t>(millis);
  return 1;
}

uint8_t sluice_current_date(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                            SluiceUdfValue* out) {
  out->integer = sluice_timestamp_to_date(sluice_current_millis());
  return 1;
}

uint8_t sluice_current_time(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                            SluiceUdfValue* out) {
  out->integer = sluice_timestamp_to_time(sluice_current_millis());
  return 1;
}

uint8_t sluice_to_date(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                       SluiceUdfValue* out) {
  const SluiceUdfValue& text = arguments[0];
  int64_t millis = 0;
  if (count >= 2) {
    if (!ParseWithPattern(text.data, text.length, arguments[1].data, arguments[1].length,
                          &millis)) {
      return 0;
    }
    out->integer = sluice_timestamp_to_date(millis);
    return 1;
  }
  int32_t days;
  if (!sluice::runtime::expr::detail::ParseDate(text.data, text.length, &days)) return 0;
  out->integer = days;
  return 1;
}

uint8_t sluice_timestamp_add(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  Unit unit;
  if (!ParseUnit(arguments[0].data, arguments[0].length, &unit)) return 0;
  int64_t amount = arguments[1].integer, millis = arguments[2].integer;
  if (MillisOf(unit) != 0) {
    int64_t step;
    if (__builtin_mul_overflow(amount, MillisOf(unit), &step) ||
        __builtin_add_overflow(millis, step, &out->integer)) {
      return 0;
    }
    return 1;
  }
  int64_t months;
  if (__builtin_mul_overflow(amount, MonthsOf(unit), &months)) return 0;
  return AddMonths(millis, months, &out->integer) ? 1 : 0;
}

uint8_t sluice_timestamp_diff(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                              SluiceUdfValue* out) {
  Unit unit;
  if (!ParseUnit(arguments[0].data, arguments[0].length, &unit)) return 0;
  int64_t from = arguments[1].integer, to = arguments[2].integer;
  int64_t difference;
  if (MillisOf(unit) != 0) {
    // Truncated toward zero, as Flink's (to - from) / unit.
    difference = (static_cast<__int128>(to) - from) / MillisOf(unit);
  } else {
    int64_t months = to >= from ? MonthsBetween(from, to) : -MonthsBetween(to, from);
    difference = months / MonthsOf(unit);
  }
  out->integer = static_cast<int32_t>(difference);  // INT, as Flink
  return 1;
}

uint8_t sluice_timestamp_floor(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                               SluiceUdfValue* out) {
  Unit unit;
  if (!ParseUnit(arguments[1].data, arguments[1].length, &unit)) return 0;
  int64_t millis = arguments[0].integer;
  // In 128 bits: near the smallest timestamp the start of its week or year is not an int64.
  __int128 result;
  if (unit == Unit::kWeek) {
    // Weeks start on Sunday, as Calcite's FLOOR(... TO WEEK).
    result = static_cast<__int128>(DaysOf(millis) - (DayOfWeek(millis) - 1)) * kMillisPerDay;
  } else if (MillisOf(unit) != 0) {
    result = static_cast<__int128>(FloorDivide(millis, MillisOf(unit))) * MillisOf(unit);
  } else {
    CivilTime time = ToCivil(millis);
    int64_t month = unit == Unit::kMonth
                        ? time.month
                        : (unit == Unit::kQuarter ? (time.month - 1) / 3 * 3 + 1 : 1);
    result = static_cast<__int128>(DaysFromCivil(time.year, month, 1)) * kMillisPerDay;
  }
  if (result < INT64_MIN) return 0;
  out->integer = static_cast<int64_t>(result);
  return 1;
}

uint8_t sluice_timestamp_ceil(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t count, SluiceUdfValue* out) {
  if (sluice_timestamp_floor(context, arguments, count, out) == 0) return 0;
  if (out->integer == arguments[0].integer) return 1;
  Unit unit;
  ParseUnit(arguments[1].data, arguments[1].length, &unit);
  if (MillisOf(unit) != 0) {
    return __builtin_add_overflow(out->integer, MillisOf(unit), &out->integer) ? 0 : 1;
  }
  return AddMonths(out->integer, MonthsOf(unit), &out->integer) ? 1 : 0;
}

uint8_t sluice_day_of_week(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  out->integer = DayOfWeek(arguments[0].integer);
  return 1;
}

uint8_t sluice_day_of_year(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  out->integer = DayOfYear(ToCivil(arguments[0].integer));
  return 1;
}

uint8_t sluice_week_of_year(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  int64_t week_year;
  IsoWeek(arguments[0].integer, &out->integer, &week_year);
  return 1;
}

uint8_t sluice_quarter(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                       SluiceUdfValue* out) {
  out->integer = (ToCivil(arguments[0].integer).month - 1) / 3 + 1;
  return 1;
}

}  // extern "C"
