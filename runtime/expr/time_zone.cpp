#include "runtime/expr/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace sluice::runtime::expr {

namespace {

constexpr int64_t kMillisPerDay = 86400000;
constexpr int64_t kMillisPerHour = 3600000;
constexpr size_t kMaxTzifBytes = 1 << 20;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int64_t YearOfDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;
  const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  return year_of_era + era * 400 + (month <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t DaysInMonth(int64_t year, int64_t month) {
  return DaysFromCivil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) -
         DaysFromCivil(year, month, 1);
}

/// Local milliseconds of a rule's change in `year`.
int64_t ChangeInYear(int64_t year, const TimeZone::Rule::Change& change) {
  const int64_t first = DaysFromCivil(year, change.month, 1);
  const int64_t weekday_of_first = ((first % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  int64_t day = 1 + (change.weekday - weekday_of_first + 7) % 7 + 7 * (change.week - 1);
  while (day > DaysInMonth(year, change.month)) day -= 7;
  return (first + day - 1) * kMillisPerDay + change.time;
}

int64_t RuleOffset(const TimeZone::Rule& rule, int64_t utc) {
  if (!rule.daylight_offset) return rule.standard_offset;
  const int64_t year = YearOfDays(FloorDiv(utc + rule.standard_offset, kMillisPerDay));
  const int64_t start = ChangeInYear(year, rule.start) - rule.standard_offset;
  const int64_t end = ChangeInYear(year, rule.end) - *rule.daylight_offset;
  const bool daylight = start < end ? (utc >= start && utc < end) : (utc < end || utc >= start);
  return daylight ? *rule.daylight_offset : rule.standard_offset;
}

/// Reads `[+-]h[h[h]][:mm[:ss]]`, `[+-]hhmm[ss]` into milliseconds, hours at most
/// `max_hours`; false when it is not one.
bool ParseOffset(std::string_view text, bool sign_required, int64_t max_hours, int64_t* out) {
  int64_t sign = 1;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  } else if (sign_required) {
    return false;
  }
  if (text.empty()) return false;
  for (char c : text) {
    if (c != ':' && (c < '0' || c > '9')) return false;
  }
  int64_t parts[3] = {0, 0, 0};
  auto number = [](std::string_view digits) {
    int64_t value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
  };
  if (text.find(':') != std::string_view::npos) {
    size_t field = 0;
    while (true) {
      size_t colon = text.find(':');
      std::string_view digits = text.substr(0, colon);
      if (digits.empty() || digits.size() > (field == 0 ? 3 : 2) || field > 2) return false;
      parts[field++] = number(digits);
      if (colon == std::string_view::npos) break;
      text.remove_prefix(colon + 1);
    }
  } else if (text.size() <= 3) {
    parts[0] = number(text);
  } else if (text.size() == 4 || text.size() == 6) {
    parts[0] = number(text.substr(0, 2));
    parts[1] = number(text.substr(2, 2));
    if (text.size() == 6) parts[2] = number(text.substr(4, 2));
  } else {
    return false;
  }
  if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) return false;
  *out = sign * ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000;
  return true;
}

uint32_t ReadU32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int64_t ReadI64(const unsigned char* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | p[i];
  return static_cast<int64_t>(value);
}

struct Counts {
  uint32_t isut, isstd, leap, time, type, chars;
};

bool ReadHeader(std::string_view data, size_t at, Counts* counts) {
  if (data.size() < at + 44 || data.compare(at, 4, "TZif") != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at + 20);
  *counts = {ReadU32(p),      ReadU32(p + 4),  ReadU32(p + 8),
             ReadU32(p + 12), ReadU32(p + 16), ReadU32(p + 20)};
  return counts->type > 0 && counts->type <= 256 && counts->time <= 100000 &&
         counts->chars <= 100000 && counts->leap <= 100000 && counts->isut <= 256 &&
         counts->isstd <= 256;
}

/// Java's three-letter zone IDs (ZoneId.SHORT_IDS), which Flink's TimeZone.getTimeZone takes.
std::string_view ShortId(std::string_view id) {
  static const std::map<std::string_view, std::string_view> kShortIds = {
      {"ACT", "Australia/Darwin"},
      {"AET", "Australia/Sydney"},
      {"AGT", "America/Argentina/Buenos_Aires"},
      {"ART", "Africa/Cairo"},
      {"AST", "America/Anchorage"},
      {"BET", "America/Sao_Paulo"},
      {"BST", "Asia/Dhaka"},
      {"CAT", "Africa/Harare"},
      {"CNT", "America/St_Johns"},
      {"CST", "America/Chicago"},
      {"CTT", "Asia/Shanghai"},
      {"EAT", "Africa/Addis_Ababa"},
      {"ECT", "Europe/Paris"},
      {"EST", "-05:00"},
      {"HST", "-10:00"},
      {"IET", "America/Indiana/Indianapolis"},
      {"IST", "Asia/Kolkata"},
      {"JST", "Asia/Tokyo"},
      {"MIT", "Pacific/Apia"},
      {"MST", "-07:00"},
      {"NET", "Asia/Yerevan"},
      {"NST", "Pacific/Auckland"},
      {"PLT", "Asia/Karachi"},
      {"PNT", "America/Phoenix"},
      {"PRT", "America/Puerto_Rico"},
      {"PST", "America/Los_Angeles"},
      {"SST", "Pacific/Guadalcanal"},
      {"VST", "Asia/Ho_Chi_Minh"},
  };
  auto found = kShortIds.find(id);
  return found == kShortIds.end() ? id : found->second;
}

bool IsSafeZonePath(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '/' || id.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '/';
  });
}

}  // namespace

std::optional<TimeZone::Rule> TimeZone::ParseRule(std::string_view text) {
  auto read_name = [&text]() -> bool {
    if (!text.empty() && text.front() == '<') {
      size_t end = text.find('>');
      if (end == std::string_view::npos) return false;
      text.remove_prefix(end + 1);
      return true;
    }
    size_t length = 0;
    while (length < text.size() && ((text[length] >= 'A' && text[length] <= 'Z') ||
                                    (text[length] >= 'a' && text[length] <= 'z'))) {
      ++length;
    }
    if (length < 3) return false;
    text.remove_prefix(length);
    return true;
  };
  auto read_offset = [&text](int64_t* out) -> bool {
    size_t length = 0;
    while (length < text.size() &&
           (text[length] == '+' || text[length] == '-' || text[length] == ':' ||
            (text[length] >= '0' && text[length] <= '9'))) {
      ++length;
    }
    if (!ParseOffset(text.substr(0, length), false, 167, out)) return false;
    text.remove_prefix(length);
    return true;
  };
  auto read_change = [&](Rule::Change* change) -> bool {
    if (text.empty() || text.front() != ',') return false;
    text.remove_prefix(1);
    if (text.empty() || text.front() != 'M') return false;  // the Jn and n forms: not here
    text.remove_prefix(1);
    int values[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
      size_t length = 0;
      while (length < text.size() && text[length] >= '0' && text[length] <= '9') {
        if (++length > 2) return false;  // before it can overflow
        values[i] = values[i] * 10 + (text[length - 1] - '0');
      }
      if (length == 0) return false;
      text.remove_prefix(length);
      if (i < 2) {
        if (text.empty() || text.front() != '.') return false;
        text.remove_prefix(1);
      }
    }
    if (values[0] < 1 || values[0] > 12 || values[1] < 1 || values[1] > 5 || values[2] > 6) {
      return false;
    }
    *change = {values[0], values[1], values[2], 2 * kMillisPerHour};
    if (!text.empty() && text.front() == '/') {
      text.remove_prefix(1);
      int64_t time = 0;
      if (!read_offset(&time)) return false;
      change->time = time;  // local time of day; may be negative or past 24:00 (TZif v3)
    }
    return true;
  };
  Rule rule;
  int64_t offset = 0;
  if (!read_name() || !read_offset(&offset)) return std::nullopt;
  rule.standard_offset = -offset;  // POSIX offsets are west of UTC
  if (text.empty()) return rule;
  if (!read_name()) return std::nullopt;
  int64_t daylight = rule.standard_offset + kMillisPerHour;
  if (!text.empty() && text.front() != ',') {
    if (!read_offset(&offset)) return std::nullopt;
    daylight = -offset;
  }
  rule.daylight_offset = daylight;
  if (!read_change(&rule.start) || !read_change(&rule.end) || !text.empty()) return std::nullopt;
  return rule;
}

bool TimeZone::ParseTzif(std::string_view data) {
  Counts v1;
  if (!ReadHeader(data, 0, &v1) || data.size() < 5 || data[4] < '2') return false;
  const size_t v1_size = size_t{v1.time} * 5 + size_t{v1.type} * 6 + v1.chars +
                         size_t{v1.leap} * 8 + v1.isstd + v1.isut;
  const size_t at = 44 + v1_size;
  Counts counts;
  if (!ReadHeader(data, at, &counts)) return false;
  const size_t body = at + 44;
  const size_t types_at = body + size_t{counts.time} * 9;
  const size_t end = types_at + size_t{counts.type} * 6 + counts.chars + size_t{counts.leap} * 12 +
                     counts.isstd + counts.isut;
  if (data.size() < end) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::vector<int64_t> type_offsets(counts.type);
  for (uint32_t i = 0; i < counts.type; ++i) {
    type_offsets[i] = static_cast<int32_t>(ReadU32(bytes + types_at + i * 6)) * int64_t{1000};
  }
  offsets_.push_back(type_offsets[0]);
  for (uint32_t i = 0; i < counts.time; ++i) {
    int64_t seconds = ReadI64(bytes + body + size_t{i} * 8);
    uint8_t type = bytes[body + size_t{counts.time} * 8 + i];
    if (type >= counts.type) return false;
    // Seconds from TZif's "big bang" marker (-2^59) and beyond fit milliseconds only if clipped.
    seconds = std::clamp<int64_t>(seconds, -(int64_t{1} << 42), int64_t{1} << 42);
    if (!transitions_.empty() && seconds * 1000 < transitions_.back()) return false;
    transitions_.push_back(seconds * 1000);
    offsets_.push_back(type_offsets[type]);
  }
  // The footer: "\n<POSIX TZ>\n".
  std::string_view footer = data.substr(end);
  if (footer.size() >= 2 && footer.front() == '\n') {
    size_t close = footer.find('\n', 1);
    if (close != std::string_view::npos) rule_ = ParseRule(footer.substr(1, close - 1));
  }
  return true;
}

bool TimeZone::IsUtc() const {
  return transitions_.empty() && !rule_.has_value() && offsets_.size() == 1 && offsets_[0] == 0;
}

std::optional<std::string> SessionTimeZoneId(std::string_view option) {
  if (option != "default") {
    if (TimeZone::Find(option) == nullptr) return std::nullopt;
    return std::string(option);
  }
  std::vector<std::string> candidates;
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    candidates.emplace_back(tz[0] == ':' ? tz + 1 : tz);
  }
  if (std::ifstream file("/etc/timezone"); file) {
    std::string line;
    std::getline(file, line);
    candidates.push_back(line);
  }
  std::error_code error;
  std::string target = std::filesystem::read_symlink("/etc/localtime", error).string();
  if (!error) {
    size_t at = target.find("zoneinfo/");
    if (at != std::string::npos) candidates.push_back(target.substr(at + 9));
  }
  for (const std::string& candidate : candidates) {
    if (!candidate.empty() && TimeZone::Find(candidate) != nullptr) return candidate;
  }
  return std::string("UTC");
}

std::shared_ptr<const TimeZone> TimeZone::Find(std::string_view requested) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = cache->find(requested);
    if (found != cache->end()) return found->second;
  }
  auto zone = std::make_shared<TimeZone>();
  zone->id_ = std::string(requested);
  std::string_view id = ShortId(requested);
  bool known = false;
  int64_t fixed = 0;
  for (std::string_view prefix : {"UTC", "GMT", "UT", ""}) {
    if (id.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = id.substr(prefix.size());
    if (rest.empty() && !prefix.empty()) {
      known = true;  // UTC, GMT, UT
      break;
    }
    if (ParseOffset(rest, /*sign_required=*/true, 18, &fixed)) {
      known = true;
      break;
    }
  }
  if (id == "Z") known = true;
  if (known) {
    zone->offsets_.push_back(fixed);
  } else if (IsSafeZonePath(id)) {
    const char* directory = std::getenv("TZDIR");
    std::string path = std::string(directory != nullptr ? directory : "/usr/share/zoneinfo") + "/" +
                       std::string(id);
    std::ifstream file(path, std::ios::binary);
    if (file) {
      std::string data(kMaxTzifBytes + 1, '\0');
      file.read(data.data(), static_cast<std::streamsize>(data.size()));
      data.resize(static_cast<size_t>(file.gcount()));
      known = data.size() <= kMaxTzifBytes && zone->ParseTzif(data);
    }
  }
  std::shared_ptr<const TimeZone> result = known ? zone : nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (cache->size() < 1024) cache->emplace(std::string(requested), result);
  return result;
}

int64_t TimeZone::OffsetAt(int64_t utc_millis) const {
  size_t index =
      static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), utc_millis) -
                          transitions_.begin());
  if (index == transitions_.size() && rule_) {
    // Past about 285,000 years the rule's dates would overflow: such instants take the offset
    // of that year (every int64 has an offset).
    constexpr int64_t kRuleLimit = int64_t{1} << 53;
    return RuleOffset(*rule_, std::clamp(utc_millis, -kRuleLimit, kRuleLimit));
  }
  return offsets_[index];
}

int64_t TimeZone::ToUtc(int64_t local_millis) const {
  // At most one transition within a day of a local time: the offsets a day before and after
  // are the candidates. The earlier offset wins an overlap and also places a time in a gap.
  const int64_t before = OffsetAt(local_millis - kMillisPerDay);
  const int64_t after = OffsetAt(local_millis + kMillisPerDay);
  if (OffsetAt(local_millis - before) == before) return local_millis - before;
  if (OffsetAt(local_millis - after) == after) return local_millis - after;
  return local_millis - before;
}

}  // namespace sluice::runtime::expr
