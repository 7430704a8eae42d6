#include "runtime/connectors/option_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace sluice::runtime::connectors {

namespace {

std::string Lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t EditDistance(const std::string& left, const std::string& right) {
  std::vector<size_t> previous(right.size() + 1), current(right.size() + 1);
  for (size_t j = 0; j <= right.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= left.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= right.size(); ++j) {
      size_t substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[right.size()];
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool ParseDigits(const std::string& text, size_t position, size_t count, int64_t* out) {
  if (position + count > text.size()) return false;
  int64_t value = 0;
  for (size_t i = position; i < position + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

}  // namespace

OptionReader::OptionReader(const TableDescriptor& table) : table_(table) {}

bool OptionReader::Has(const std::string& key) const { return table_.options.count(key) > 0; }

std::optional<std::string> OptionReader::GetString(const std::string& key) const {
  auto found = table_.options.find(key);
  if (found == table_.options.end()) return std::nullopt;
  return found->second;
}

base::Result<int64_t> OptionReader::GetInt(const std::string& key, int64_t fallback,
                                           int64_t minimum, int64_t maximum) const {
  auto text = GetString(key);
  if (!text) return fallback;
  int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [pointer, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || pointer != end || text->empty()) {
    return InvalidValue(key, "expected a whole number");
  }
  if (value < minimum) {
    return InvalidValue(key, minimum == 0 ? "must not be negative"
                                          : "must be at least " + std::to_string(minimum));
  }
  if (value > maximum) return InvalidValue(key, "must be at most " + std::to_string(maximum));
  return value;
}

base::Result<double> OptionReader::GetDouble(const std::string& key, double fallback,
                                             double minimum) const {
  auto text = GetString(key);
  if (!text) return fallback;
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(value)) {
    return InvalidValue(key, "expected a number");
  }
  if (value < minimum) {
    return InvalidValue(key, minimum == 0 ? "must not be negative"
                                          : "must be at least " + std::to_string(minimum));
  }
  return value;
}

base::Result<bool> OptionReader::GetBool(const std::string& key, bool fallback) const {
  auto text = GetString(key);
  if (!text) return fallback;
  std::string lower = Lower(*text);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return InvalidValue(key, "expected 'true' or 'false'");
}

base::Status OptionReader::CheckKnown(const std::vector<std::string>& known) const {
  for (const auto& [key, value] : table_.options) {
    if (key == "connector") continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown option '" + key + "' for table '" + table_.name +
                          "' (connector '" + table_.options.at("connector") + "')";
    std::string suggestion = ClosestName(key, known);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    return base::Status::Error(base::ErrorCode::kOption, message);
  }
  return base::Status::Ok();
}

base::Status OptionReader::InvalidValue(const std::string& key, const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption,
                             "invalid value '" + GetString(key).value_or("") + "' for option '" +
                                 key + "' of table '" + table_.name + "': " + why);
}

base::Status OptionReader::TableError(const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption,
                             "table '" + table_.name + "': " + why);
}

std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  const std::string lower = Lower(name);
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(lower, Lower(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // A typo changes a few characters; past a third of the name it is another word.
  size_t limit = std::max<size_t>(2, name.size() / 3);
  return best_distance <= limit ? best : "";
}

std::optional<int64_t> ParseTimestampOrEpochMillis(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t millis = 0;
  const char* end = text.data() + text.size();
  auto [pointer, error] = std::from_chars(text.data(), end, millis);
  if (error == std::errc() && pointer == end) return millis;

  // YYYY-MM-DD[ |T]HH:MM:SS[.f{1,3}]
  int64_t year, month, day, hour, minute, second;
  if (!ParseDigits(text, 0, 4, &year) || text.size() < 19 || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &month) || text[7] != '-' || !ParseDigits(text, 8, 2, &day) ||
      (text[10] != ' ' && text[10] != 'T') || !ParseDigits(text, 11, 2, &hour) ||
      text[13] != ':' || !ParseDigits(text, 14, 2, &minute) || text[16] != ':' ||
      !ParseDigits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  int64_t fraction = 0;
  if (text.size() > 19) {
    size_t digits = text.size() - 20;
    if (text[19] != '.' || digits < 1 || digits > 3 || !ParseDigits(text, 20, digits, &fraction)) {
      return std::nullopt;
    }
    for (size_t i = digits; i < 3; ++i) fraction *= 10;
  }
  int64_t days = DaysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + fraction;
}

}  // namespace sluice::runtime::connectors
