#include "runtime/connectors/formats/format_option_reader.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "catalog/base/suggest.h"

namespace sluice::runtime::connectors::formats {

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

FormatOptionReader::FormatOptionReader(std::string format, const FormatOptions& options,
                                       std::string prefix)
    : format_(std::move(format)), options_(options), prefix_(std::move(prefix)) {}

base::Status FormatOptionReader::CheckKnown(const std::vector<std::string>& known) const {
  for (const auto& [key, value] : options_) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown option '" + Spelled(key) + "' for format '" + format_ + "'";
    std::string suggestion = base::ClosestName(key, known);
    if (!suggestion.empty()) message += "; did you mean '" + Spelled(suggestion) + "'?";
    return base::Status::Error(base::ErrorCode::kOption, message).WithSubject(Spelled(key));
  }
  return base::Status::Ok();
}

std::optional<std::string> FormatOptionReader::GetString(const std::string& key) const {
  auto found = options_.find(key);
  if (found == options_.end()) return std::nullopt;
  return found->second;
}

base::Result<bool> FormatOptionReader::GetBool(const std::string& key, bool fallback) const {
  auto text = GetString(key);
  if (!text) return fallback;
  std::string lower = Lower(*text);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return InvalidValue(key, "expected 'true' or 'false'");
}

base::Result<TimestampStandard> FormatOptionReader::GetTimestampStandard(
    const std::string& key) const {
  auto text = GetString(key);
  if (!text) return TimestampStandard::kSql;
  std::string lower = Lower(*text);
  if (lower == "sql") return TimestampStandard::kSql;
  if (lower == "iso-8601") return TimestampStandard::kIso8601;
  return InvalidValue(key, "expected 'SQL' or 'ISO-8601'");
}

base::Status FormatOptionReader::InvalidValue(const std::string& key,
                                              const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption,
                             "invalid value '" + GetString(key).value_or("") + "' for option '" +
                                 Spelled(key) + "': " + why)
      .WithSubject(Spelled(key));
}

base::Status FormatOptionReader::OptionError(const std::string& key, const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kOption, why).WithSubject(Spelled(key));
}

}  // namespace sluice::runtime::connectors::formats
