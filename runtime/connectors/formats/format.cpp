#include "runtime/connectors/formats/format.h"

#include "catalog/base/suggest.h"
#include "runtime/connectors/formats/canal_json_format.h"
#include "runtime/connectors/formats/changelog_json_format.h"
#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/formats/debezium_json_format.h"
#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/json_format.h"
#include "runtime/connectors/formats/raw_format.h"

namespace sluice::runtime::connectors::formats {

std::vector<std::string> FormatNames() {
  return {"json", "csv", "raw", "changelog-json", "debezium-json", "canal-json"};
}

std::vector<std::string> FormatOptionKeys(const std::string& format) {
  if (format == "json") return JsonFormat::OptionKeys();
  if (format == "csv") return CsvFormat::OptionKeys();
  if (format == "raw") return RawFormat::OptionKeys();
  if (format == "changelog-json") return ChangelogJsonFormat::OptionKeys();
  if (format == "debezium-json") return DebeziumJsonFormat::OptionKeys();
  if (format == "canal-json") return CanalJsonFormat::OptionKeys();
  return {};
}

base::Result<std::unique_ptr<Format>> CreateFormat(const std::string& format,
                                                   const FormatFields& fields,
                                                   const FormatOptions& options,
                                                   const std::string& prefix) {
  FieldSlots(fields);  // checks the fields against the table schema (a bug when they differ)
  if (format == "json") return JsonFormat::Create(fields, options, prefix);
  if (format == "csv") {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<CsvFormat> csv,
                            CsvFormat::Create(fields, options, prefix));
    return std::unique_ptr<Format>(std::move(csv));
  }
  if (format == "raw") return RawFormat::Create(fields, options, prefix);
  if (format == "changelog-json") return ChangelogJsonFormat::Create(fields, options, prefix);
  if (format == "debezium-json") return DebeziumJsonFormat::Create(fields, options, prefix);
  if (format == "canal-json") return CanalJsonFormat::Create(fields, options, prefix);
  std::string names;
  for (const std::string& name : FormatNames()) names += (names.empty() ? "'" : ", '") + name + "'";
  std::string message = "unknown format '" + format + "'; expected one of " + names;
  std::string suggestion = base::ClosestName(format, FormatNames());
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  return base::Status::Error(base::ErrorCode::kOption, message);
}

}  // namespace sluice::runtime::connectors::formats
