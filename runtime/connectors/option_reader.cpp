#include "runtime/connectors/option_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "catalog/base/suggest.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors {

namespace {

std::string Lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

OptionReader::OptionReader(const TableDescriptor& table) : table_(table) {}

bool OptionReader::Has(const std::string& key) const {
  return table_.options.count(key) > 0;
}

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
    return InvalidValue(
        key, minimum == 0 ? "must not be negative" : "must be at least " + std::to_string(minimum));
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
    return InvalidValue(
        key, minimum == 0 ? "must not be negative" : "must be at least " + std::to_string(minimum));
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
  return CheckKnown(known, {});
}

base::Status OptionReader::CheckKnown(const std::vector<std::string>& known,
                                      const std::vector<std::string>& prefixes) const {
  for (const auto& [key, value] : table_.options) {
    if (key == "connector") continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    bool prefixed = false;
    for (const std::string& prefix : prefixes) {
      prefixed =
          prefixed || (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0);
    }
    if (prefixed) continue;
    std::string message = "unknown option '" + key + "' for table '" + table_.name + "'";
    auto connector = table_.options.find("connector");
    if (connector != table_.options.end()) message += " (connector '" + connector->second + "')";
    std::string suggestion = base::ClosestName(key, known);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    return base::Status::Error(base::ErrorCode::kOption, message).WithSubject(key);
  }
  return base::Status::Ok();
}

base::Status OptionReader::InvalidValue(const std::string& key, const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption,
                             "invalid value '" + GetString(key).value_or("") + "' for option '" +
                                 key + "' of table '" + table_.name + "': " + why)
      .WithSubject(key);
}

base::Status OptionReader::OptionError(const std::string& key, const std::string& why) const {
  return TableError(why).WithSubject(key);
}

base::Status OptionReader::TableError(const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption, "table '" + table_.name + "': " + why);
}

std::optional<int64_t> ParseTimestampOrEpochMillis(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t millis = 0;
  const char* end = text.data() + text.size();
  auto [pointer, error] = std::from_chars(text.data(), end, millis);
  if (error == std::errc() && pointer == end) return millis;
  return expr::ParseTimestamp(text);
}

}  // namespace sluice::runtime::connectors
