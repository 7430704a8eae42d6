#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/formats/format.h"

namespace sluice::runtime::connectors::formats {

/// How the JSON formats write TIMESTAMP values (both forms are read): Flink's
/// `timestamp-format.standard`.
enum class TimestampStandard {
  kSql,      // `2024-01-02 03:04:05.678` (the default)
  kIso8601,  // `2024-01-02T03:04:05.678`
};

/// Reads a format's options (the prefix stripped) with typed getters whose errors name the
/// option as the table spells it (`value.json.ignore-parse-errors`), so that a connector only
/// has to say which table they are about.
class FormatOptionReader {
 public:
  FormatOptionReader(std::string format, const FormatOptions& options, std::string prefix);

  /// Fails on the first option not in `known` ("did you mean ...?").
  base::Status CheckKnown(const std::vector<std::string>& known) const;

  bool Has(const std::string& key) const { return options_.count(key) > 0; }
  std::optional<std::string> GetString(const std::string& key) const;
  /// Parses `true` or `false` (any case); `fallback` when absent.
  base::Result<bool> GetBool(const std::string& key, bool fallback) const;
  /// Parses `SQL` or `ISO-8601` (any case); `SQL` when absent.
  base::Result<TimestampStandard> GetTimestampStandard(const std::string& key) const;

  /// Builds "invalid value 'x' for option '<prefix>key': why", its subject the option.
  base::Status InvalidValue(const std::string& key, const std::string& why) const;
  /// Builds an error about option `key` that is not about its value alone.
  base::Status OptionError(const std::string& key, const std::string& why) const;
  /// The option as the table spells it: `json.ignore-parse-errors`.
  std::string Spelled(const std::string& key) const { return prefix_ + key; }
  const std::string& format() const { return format_; }

 private:
  std::string format_;
  const FormatOptions& options_;
  std::string prefix_;
};

}  // namespace sluice::runtime::connectors::formats
