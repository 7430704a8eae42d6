#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// Reads a table's `WITH` options with typed getters whose errors name the option, the value
/// and the table, and rejects options the connector does not know ("did you mean ...?").
class OptionReader {
 public:
  explicit OptionReader(const TableDescriptor& table);

  bool Has(const std::string& key) const;
  /// Returns the raw text of an option, or nullopt when it is absent.
  std::optional<std::string> GetString(const std::string& key) const;
  /// Parses a whole number in [minimum, maximum]; `fallback` when absent.
  base::Result<int64_t> GetInt(const std::string& key, int64_t fallback,
                               int64_t minimum = INT64_MIN, int64_t maximum = INT64_MAX) const;
  /// Parses a finite number >= minimum; `fallback` when absent.
  base::Result<double> GetDouble(const std::string& key, double fallback, double minimum) const;
  /// Parses `true` or `false` (any case); `fallback` when absent.
  base::Result<bool> GetBool(const std::string& key, bool fallback) const;

  /// Fails on the first option not in `known` (`connector` is always known).
  base::Status CheckKnown(const std::vector<std::string>& known) const;
  /// The same, where also every key that starts with one of `prefixes` is known (Kafka's
  /// `properties.*`, a format's `json.*`).
  base::Status CheckKnown(const std::vector<std::string>& known,
                          const std::vector<std::string>& prefixes) const;

  /// Builds the error for a bad value: "invalid value 'x' for option 'k' of table 't': why".
  /// Errors about one option carry its key as their subject (Status::subject), which the
  /// compiler uses to point at the option in the script.
  base::Status InvalidValue(const std::string& key, const std::string& why) const;
  /// Builds an error about option `key` that is not about its value ("table 't': why").
  base::Status OptionError(const std::string& key, const std::string& why) const;
  /// Builds an error about the table as a whole ("table 't': why").
  base::Status TableError(const std::string& why) const;

  const TableDescriptor& table() const { return table_; }

 private:
  const TableDescriptor& table_;
};

/// Parses `YYYY-MM-DD HH:MM:SS[.mmm]` (or with `T`) as UTC, or a whole number of epoch
/// milliseconds; nullopt when the text is neither.
std::optional<int64_t> ParseTimestampOrEpochMillis(const std::string& text);

}  // namespace sluice::runtime::connectors
