#include "runtime/connectors/kafka/kafka_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "catalog/base/duration.h"
#include "catalog/base/suggest.h"
#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors::kafka {

namespace {

constexpr const char* kTopic = "topic";
constexpr const char* kTopicPattern = "topic-pattern";
constexpr const char* kBootstrap = "properties.bootstrap.servers";
constexpr const char* kGroupId = "properties.group.id";
constexpr const char* kFormat = "format";
constexpr const char* kKeyFormat = "key.format";
constexpr const char* kValueFormat = "value.format";
constexpr const char* kKeyFields = "key.fields";
constexpr const char* kKeyFieldsPrefix = "key.fields-prefix";
constexpr const char* kValueFieldsInclude = "value.fields-include";
constexpr const char* kStartupMode = "scan.startup.mode";
constexpr const char* kStartupOffsets = "scan.startup.specific-offsets";
constexpr const char* kStartupTimestamp = "scan.startup.timestamp-millis";
constexpr const char* kBoundedMode = "scan.bounded.mode";
constexpr const char* kBoundedOffsets = "scan.bounded.specific-offsets";
constexpr const char* kBoundedTimestamp = "scan.bounded.timestamp-millis";
constexpr const char* kDiscovery = "scan.topic-partition-discovery.interval";
constexpr const char* kPartitioner = "sink.partitioner";
constexpr const char* kDelivery = "sink.delivery-guarantee";
constexpr const char* kSemantic = "sink.semantic";  // Flink's deprecated spelling
constexpr const char* kTransactionalIdPrefix = "sink.transactional-id-prefix";
constexpr const char* kSinkParallelism = "sink.parallelism";  // read by the planner
constexpr const char* kBufferRows = "sink.buffer-flush.max-rows";
constexpr const char* kBufferInterval = "sink.buffer-flush.interval";
constexpr const char* kWatermarkIdle = "scan.watermark.idle-timeout";  // read by the planner
constexpr const char* kTagRecords = "sink.exactly-once.tag-records";   // Sluice's, for tests

/// Java client properties librdkafka does not have, with what to write instead.
struct JavaOnlyProperty {
  const char* key;
  const char* instead;
};
constexpr JavaOnlyProperty kJavaOnly[] = {
    {"key.deserializer", "records are decoded by 'key.format'"},
    {"value.deserializer", "records are decoded by 'format' / 'value.format'"},
    {"key.serializer", "records are encoded by 'key.format'"},
    {"value.serializer", "records are encoded by 'format' / 'value.format'"},
    {"sasl.jaas.config", "use 'properties.sasl.username' and 'properties.sasl.password'"},
    {"ssl.truststore.location", "use 'properties.ssl.ca.location' (a PEM file)"},
    {"ssl.truststore.password", "use 'properties.ssl.ca.location' (a PEM file)"},
    {"ssl.truststore.type", "use 'properties.ssl.ca.location' (a PEM file)"},
    {"ssl.keystore.type", "use 'properties.ssl.keystore.location' (PKCS#12)"},
    {"default.api.timeout.ms", "use 'properties.socket.timeout.ms'"},
    {"max.poll.records", "Sluice polls in batches of its own size"},
    {"buffer.memory", "use 'properties.queue.buffering.max.kbytes'"},
    {"max.block.ms", "use 'properties.socket.timeout.ms'"},
    {"partitioner.class", "use 'sink.partitioner'"},
    {"interceptor.classes", "Java classes cannot be loaded"},
    {"metric.reporters", "Sluice exports metrics on /metrics"},
    {"client.dns.lookup", "librdkafka resolves with the system resolver"},
    {"key.deserializer.encoding", "records are decoded by 'key.format'"},
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> SplitList(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) {
      part.erase(part.begin());
    }
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) part.pop_back();
    if (!part.empty()) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

bool ParseInt64(const std::string& text, int64_t* value) {
  auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && last == text.data() + text.size();
}

/// Reads `partition:0,offset:42;partition:1,offset:300`.
base::Status ParseSpecificOffsets(const OptionReader& options, const std::string& key,
                                  std::map<int32_t, int64_t>* offsets) {
  const std::string text = *options.GetString(key);
  const std::string expected =
      "expected 'partition:<n>,offset:<offset>' entries separated by ';', e.g. "
      "'partition:0,offset:42;partition:1,offset:300'";
  for (const std::string& entry : SplitList(text, ';')) {
    std::vector<std::string> parts = SplitList(entry, ',');
    if (parts.size() != 2 || parts[0].rfind("partition:", 0) != 0 ||
        parts[1].rfind("offset:", 0) != 0) {
      return options.InvalidValue(key, expected);
    }
    int64_t partition = 0;
    int64_t offset = 0;
    if (!ParseInt64(parts[0].substr(10), &partition) || partition < 0 || partition > INT32_MAX ||
        !ParseInt64(parts[1].substr(7), &offset) || offset < 0) {
      return options.InvalidValue(key, expected);
    }
    if (!offsets->emplace(static_cast<int32_t>(partition), offset).second) {
      return options.InvalidValue(key,
                                  "partition " + std::to_string(partition) + " is listed twice");
    }
  }
  if (offsets->empty()) return options.InvalidValue(key, expected);
  return base::Status::Ok();
}

template <typename Mode>
base::Result<Mode> ParseMode(const OptionReader& options, const std::string& key,
                             const std::vector<std::pair<std::string, Mode>>& modes,
                             Mode fallback) {
  auto text = options.GetString(key);
  if (!text) return fallback;
  std::vector<std::string> names;
  for (const auto& [name, mode] : modes) {
    if (Lower(*text) == name) return mode;
    names.push_back(name);
  }
  std::string why = "expected one of";
  for (size_t i = 0; i < names.size(); ++i) why += (i == 0 ? " '" : ", '") + names[i] + "'";
  std::string suggestion = base::ClosestName(Lower(*text), names);
  if (!suggestion.empty()) why += "; did you mean '" + suggestion + "'?";
  return options.InvalidValue(key, why);
}

/// Reads the formats and the columns of the key and the value.
base::Status ParseRecordSides(const OptionReader& options, const TableDescriptor& table,
                              bool upsert, KafkaSettings* settings) {
  const bool has_format = options.Has(kFormat);
  const bool has_value_format = options.Has(kValueFormat);
  if (has_format && has_value_format) {
    return options.OptionError(kFormat, "table '" + table.name +
                                            "': set 'format' or 'value.format', not both "
                                            "('format' is a synonym of 'value.format')");
  }
  if (upsert && has_format) {
    return options.OptionError(kFormat, "table '" + table.name +
                                            "': 'upsert-kafka' takes 'key.format' and "
                                            "'value.format', not 'format'");
  }
  if (!has_format && !has_value_format) {
    return options.TableError(upsert ? "'upsert-kafka' requires option 'value.format'"
                                     : "option 'format' (or 'value.format') is required for "
                                       "connector 'kafka'");
  }
  settings->value.format = Lower(*options.GetString(has_format ? kFormat : kValueFormat));
  settings->value.option_prefix = (has_format ? "" : "value.") + settings->value.format + ".";
  if (auto key_format = options.GetString(kKeyFormat)) {
    settings->key.format = Lower(*key_format);
    settings->key.option_prefix = "key." + settings->key.format + ".";
  } else if (upsert) {
    return options.TableError("'upsert-kafka' requires option 'key.format'");
  }
  for (RecordSide* side : {&settings->key, &settings->value}) {
    if (side->format.empty()) continue;
    std::vector<std::string> names = formats::FormatNames();
    if (std::find(names.begin(), names.end(), side->format) == names.end()) {
      const char* key = side == &settings->key ? kKeyFormat : has_format ? kFormat : kValueFormat;
      std::string why = "unknown format";
      std::string suggestion = base::ClosestName(side->format, names);
      if (!suggestion.empty()) why += "; did you mean '" + suggestion + "'?";
      return options.InvalidValue(key, why);
    }
    for (const auto& [key, value] : table.options) {
      if (key.size() > side->option_prefix.size() &&
          key.compare(0, side->option_prefix.size(), side->option_prefix) == 0) {
        side->options[key.substr(side->option_prefix.size())] = value;
      }
    }
  }

  // Physical columns: every column that is not metadata.
  std::vector<size_t> physical;
  for (size_t column = 0; column < table.schema.columns.size(); ++column) {
    bool metadata = false;
    for (const MetadataColumn& meta : table.metadata_columns) {
      metadata =
          metadata || types::IdentifierEquals(meta.column, table.schema.columns[column].name);
    }
    if (metadata) {
      settings->metadata_columns.push_back(column);
    } else {
      physical.push_back(column);
    }
  }

  // The key: `key.fields` (kafka) or the PRIMARY KEY (upsert-kafka).
  std::vector<std::string> key_fields;
  if (upsert) {
    if (table.primary_key.empty()) {
      return options.TableError("'upsert-kafka' tables require to define a PRIMARY KEY constraint");
    }
    if (options.Has(kKeyFields)) {
      return options.OptionError(kKeyFields, "table '" + table.name +
                                                 "': 'upsert-kafka' takes its key from the "
                                                 "PRIMARY KEY; remove 'key.fields'");
    }
    key_fields = table.primary_key;
  } else if (auto text = options.GetString(kKeyFields)) {
    key_fields = SplitList(*text, ';');
    if (key_fields.empty()) return options.InvalidValue(kKeyFields, "no column named");
    if (settings->key.format.empty()) {
      return options.OptionError(kKeyFields, "table '" + table.name +
                                                 "': 'key.fields' needs a 'key.format' to write "
                                                 "the key with");
    }
  } else if (!settings->key.format.empty()) {
    return options.OptionError(kKeyFormat,
                               "table '" + table.name +
                                   "': a key format 'key.format' requires the declaration of one "
                                   "or more of key fields using 'key.fields'");
  }
  const std::string prefix = options.GetString(kKeyFieldsPrefix).value_or("");
  std::string include = Lower(options.GetString(kValueFieldsInclude).value_or("all"));
  if (include == "except_key") include = "except-key";
  if (include != "all" && include != "except-key") {
    return options.InvalidValue(kValueFieldsInclude, "expected 'ALL' or 'EXCEPT_KEY'");
  }
  const bool except_key = include == "except-key";
  if (!prefix.empty() && !except_key) {
    return options.OptionError(
        kKeyFieldsPrefix, "table '" + table.name +
                              "': 'key.fields-prefix' requires 'value.fields-include' = "
                              "'EXCEPT_KEY' (the prefixed key columns cannot be in the value)");
  }
  std::vector<size_t> key_columns;
  for (const std::string& name : key_fields) {
    auto column = table.schema.Find(name);
    if (!column || std::find(physical.begin(), physical.end(), *column) == physical.end()) {
      std::vector<std::string> names;
      for (size_t index : physical) names.push_back(table.schema.columns[index].name);
      std::string why = "table '" + table.name + "': key column '" + name +
                        "' is not a physical column of the table";
      std::string suggestion = base::ClosestName(name, names);
      if (!suggestion.empty()) why += "; did you mean '" + suggestion + "'?";
      return options.OptionError(upsert ? kKeyFormat : kKeyFields, why);
    }
    const std::string& column_name = table.schema.columns[*column].name;
    if (!prefix.empty() && column_name.rfind(prefix, 0) != 0) {
      return options.OptionError(kKeyFieldsPrefix, "table '" + table.name + "': key column '" +
                                                       column_name +
                                                       "' does not start with the "
                                                       "prefix '" +
                                                       prefix + "'");
    }
    key_columns.push_back(*column);
    settings->key.columns.push_back(*column);
    settings->key.field_names.push_back(column_name.substr(prefix.size()));
  }
  for (size_t column : physical) {
    if (except_key &&
        std::find(key_columns.begin(), key_columns.end(), column) != key_columns.end()) {
      continue;
    }
    settings->value.columns.push_back(column);
    settings->value.field_names.push_back(table.schema.columns[column].name);
  }
  if (settings->value.columns.empty() && settings->value.format != "raw") {
    return options.TableError("the value of table '" + table.name +
                              "' has no column ('value.fields-include' = 'EXCEPT_KEY' left none)");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<KafkaSettings> ParseKafkaSettings(const TableDescriptor& table, bool upsert,
                                               bool as_source) {
  OptionReader options(table);
  std::vector<std::string> known = {kTopic,
                                    kTopicPattern,
                                    kBootstrap,
                                    kGroupId,
                                    kFormat,
                                    kKeyFormat,
                                    kValueFormat,
                                    kKeyFields,
                                    kKeyFieldsPrefix,
                                    kValueFieldsInclude,
                                    kStartupMode,
                                    kStartupOffsets,
                                    kStartupTimestamp,
                                    kBoundedMode,
                                    kBoundedOffsets,
                                    kBoundedTimestamp,
                                    kDiscovery,
                                    kPartitioner,
                                    kDelivery,
                                    kSemantic,
                                    kTransactionalIdPrefix,
                                    kSinkParallelism,
                                    kBufferRows,
                                    kBufferInterval,
                                    kWatermarkIdle,
                                    kTagRecords};
  // Format options (`json.*`, `value.json.*`, `key.csv.*`) are checked by their format.
  std::vector<std::string> prefixes = {"properties."};
  for (const std::string& format : formats::FormatNames()) {
    for (const char* side : {"", "key.", "value."}) prefixes.push_back(side + format + ".");
  }
  SLUICE_RETURN_IF_ERROR(options.CheckKnown(known, prefixes));

  KafkaSettings settings;
  settings.upsert = upsert;
  const char* connector = upsert ? "upsert-kafka" : "kafka";

  // Topics.
  if (auto topic = options.GetString(kTopic)) {
    settings.topics = SplitList(*topic, ';');
    if (settings.topics.empty()) return options.InvalidValue(kTopic, "no topic named");
  }
  if (auto pattern = options.GetString(kTopicPattern)) {
    if (pattern->empty()) return options.InvalidValue(kTopicPattern, "the pattern is empty");
    settings.topic_pattern = *pattern;
  }
  if (!settings.topics.empty() && settings.topic_pattern) {
    return options.OptionError(
        kTopicPattern,
        "table '" + table.name + "': option 'topic' and 'topic-pattern' shouldn't be set together");
  }
  if (settings.topics.empty() && !settings.topic_pattern) {
    return options.TableError(std::string("either 'topic' or 'topic-pattern' must be set for "
                                          "connector '") +
                              connector + "'");
  }
  for (const std::string& topic : settings.topics) {
    for (char c : topic) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
        return options.InvalidValue(kTopic, "topic '" + topic +
                                                "' has a character Kafka does not allow (letters, "
                                                "digits, '.', '_' and '-' only)");
      }
    }
  }
  if (!as_source) {
    if (settings.topic_pattern) {
      return options.OptionError(kTopicPattern, "table '" + table.name +
                                                    "': a sink writes to 'topic', not to a "
                                                    "'topic-pattern'");
    }
    if (settings.topics.size() != 1) {
      return options.InvalidValue(kTopic, "a sink writes exactly one topic");
    }
  }

  // Client properties.
  auto bootstrap = options.GetString(kBootstrap);
  if (!bootstrap || bootstrap->empty()) {
    return options.TableError(std::string("option 'properties.bootstrap.servers' is required for "
                                          "connector '") +
                              connector + "'");
  }
  settings.bootstrap_servers = *bootstrap;
  if (auto group = options.GetString(kGroupId)) settings.group_id = *group;
  for (const auto& [key, value] : table.options) {
    if (key.rfind("properties.", 0) != 0) continue;
    const std::string property = key.substr(11);
    for (const JavaOnlyProperty& java : kJavaOnly) {
      if (property == java.key) {
        return options.OptionError(key, "table '" + table.name + "': '" + property +
                                            "' is a property of Kafka's Java client, which "
                                            "Sluice does not use (it runs librdkafka): " +
                                            java.instead);
      }
    }
    base::Status checked = CheckClientProperty(property, value);
    if (!checked.ok()) {
      return options.InvalidValue(key, "librdkafka: " + checked.message());
    }
    // Flink decides these itself: offsets are committed on checkpoints, never automatically.
    if (property == "enable.auto.commit" || property == "auto.commit.interval.ms") continue;
    settings.client_properties[property] = value;
  }
  if (auto socket = settings.client_properties.find("socket.timeout.ms");
      socket != settings.client_properties.end()) {
    int64_t millis = 0;
    if (ParseInt64(socket->second, &millis) && millis > 0) settings.timeout_ms = millis;
  }

  // Startup and end.
  SLUICE_ASSIGN_OR_RETURN(
      settings.startup_mode,
      ParseMode<StartupMode>(options, kStartupMode,
                             {{"earliest-offset", StartupMode::kEarliest},
                              {"latest-offset", StartupMode::kLatest},
                              {"group-offsets", StartupMode::kGroupOffsets},
                              {"timestamp", StartupMode::kTimestamp},
                              {"specific-offsets", StartupMode::kSpecificOffsets}},
                             StartupMode::kGroupOffsets));
  if (upsert) settings.startup_mode = StartupMode::kEarliest;  // as Flink: keep the table whole
  if (settings.startup_mode == StartupMode::kSpecificOffsets) {
    if (!options.Has(kStartupOffsets)) {
      return options.OptionError(kStartupOffsets,
                                 "table '" + table.name +
                                     "': 'scan.startup.specific-offsets' is required in "
                                     "'specific-offsets' startup mode but missing");
    }
    SLUICE_RETURN_IF_ERROR(
        ParseSpecificOffsets(options, kStartupOffsets, &settings.startup_offsets));
  }
  if (settings.startup_mode == StartupMode::kTimestamp) {
    if (!options.Has(kStartupTimestamp)) {
      return options.OptionError(kStartupTimestamp,
                                 "table '" + table.name +
                                     "': 'scan.startup.timestamp-millis' is required in "
                                     "'timestamp' startup mode but missing");
    }
    SLUICE_ASSIGN_OR_RETURN(settings.startup_timestamp, options.GetInt(kStartupTimestamp, 0, 0));
  }
  if (settings.startup_mode == StartupMode::kGroupOffsets && as_source && !settings.group_id &&
      !upsert) {
    return options.OptionError(kGroupId,
                               "table '" + table.name +
                                   "': 'properties.group.id' is required in 'group-offsets' "
                                   "startup mode (the default of 'scan.startup.mode'); set it, or "
                                   "set 'scan.startup.mode' to 'earliest-offset' or "
                                   "'latest-offset'");
  }
  SLUICE_ASSIGN_OR_RETURN(
      settings.bounded_mode,
      ParseMode<BoundedMode>(options, kBoundedMode,
                             {{"unbounded", BoundedMode::kUnbounded},
                              {"latest-offset", BoundedMode::kLatest},
                              {"group-offsets", BoundedMode::kGroupOffsets},
                              {"timestamp", BoundedMode::kTimestamp},
                              {"specific-offsets", BoundedMode::kSpecificOffsets}},
                             BoundedMode::kUnbounded));
  if (settings.bounded_mode == BoundedMode::kSpecificOffsets) {
    if (!options.Has(kBoundedOffsets)) {
      return options.OptionError(kBoundedOffsets,
                                 "table '" + table.name +
                                     "': 'scan.bounded.specific-offsets' is required in "
                                     "'specific-offsets' bounded mode but missing");
    }
    SLUICE_RETURN_IF_ERROR(
        ParseSpecificOffsets(options, kBoundedOffsets, &settings.bounded_offsets));
  }
  if (settings.bounded_mode == BoundedMode::kTimestamp) {
    if (!options.Has(kBoundedTimestamp)) {
      return options.OptionError(kBoundedTimestamp,
                                 "table '" + table.name +
                                     "': 'scan.bounded.timestamp-millis' is required in "
                                     "'timestamp' bounded mode but missing");
    }
    SLUICE_ASSIGN_OR_RETURN(settings.bounded_timestamp, options.GetInt(kBoundedTimestamp, 0, 0));
  }
  if (settings.bounded_mode == BoundedMode::kGroupOffsets && !settings.group_id) {
    return options.OptionError(kGroupId, "table '" + table.name +
                                             "': 'properties.group.id' is required in "
                                             "'group-offsets' bounded mode");
  }
  if (auto interval = options.GetString(kDiscovery)) {
    std::optional<int64_t> millis = base::ParseDurationMillis(*interval);
    if (!millis) {
      return options.InvalidValue(kDiscovery,
                                  "expected a duration such as '5 min' or '10 s' "
                                  "(0 turns discovery off)");
    }
    settings.discovery_interval_ms = std::max<int64_t>(*millis, 0);
  }
  if (settings.bounded_mode != BoundedMode::kUnbounded) settings.discovery_interval_ms = 0;

  SLUICE_RETURN_IF_ERROR(ParseRecordSides(options, table, upsert, &settings));

  // The sink.
  SLUICE_ASSIGN_OR_RETURN(settings.partitioner, ParseMode<SinkPartitioner>(
                                                    options, kPartitioner,
                                                    {{"default", SinkPartitioner::kDefault},
                                                     {"fixed", SinkPartitioner::kFixed},
                                                     {"round-robin", SinkPartitioner::kRoundRobin}},
                                                    SinkPartitioner::kDefault));
  if (settings.partitioner == SinkPartitioner::kRoundRobin && !settings.key.columns.empty()) {
    return options.OptionError(kPartitioner,
                               "table '" + table.name +
                                   "': currently 'round-robin' partitioner only works when "
                                   "option 'key.fields' is not specified");
  }
  const char* delivery_key = options.Has(kDelivery) ? kDelivery : kSemantic;
  if (options.Has(kDelivery) && options.Has(kSemantic)) {
    return options.OptionError(kSemantic, "table '" + table.name +
                                              "': 'sink.semantic' is the deprecated spelling of "
                                              "'sink.delivery-guarantee'; set only the latter");
  }
  if (auto text = options.GetString(delivery_key)) {
    std::string value = Lower(*text);
    std::replace(value.begin(), value.end(), '_', '-');
    if (value == "none") {
      settings.delivery = DeliveryGuarantee::kNone;
    } else if (value == "at-least-once") {
      settings.delivery = DeliveryGuarantee::kAtLeastOnce;
    } else if (value == "exactly-once") {
      settings.delivery = DeliveryGuarantee::kExactlyOnce;
    } else {
      return options.InvalidValue(delivery_key,
                                  "expected 'none', 'at-least-once' or 'exactly-once'");
    }
  }
  if (auto prefix = options.GetString(kTransactionalIdPrefix)) {
    if (prefix->empty()) return options.InvalidValue(kTransactionalIdPrefix, "the prefix is empty");
    settings.transactional_id_prefix = *prefix;
  }
  if (settings.delivery == DeliveryGuarantee::kExactlyOnce &&
      settings.transactional_id_prefix.empty()) {
    return options.OptionError(kTransactionalIdPrefix,
                               "table '" + table.name +
                                   "': 'sink.transactional-id-prefix' must be specified when "
                                   "using 'sink.delivery-guarantee' = 'exactly-once'");
  }
  SLUICE_ASSIGN_OR_RETURN(settings.tag_records, options.GetBool(kTagRecords, false));
  SLUICE_ASSIGN_OR_RETURN(int64_t buffer_rows, options.GetInt(kBufferRows, 0, 0));
  int64_t buffer_interval = 0;
  if (auto interval = options.GetString(kBufferInterval)) {
    std::optional<int64_t> millis = base::ParseDurationMillis(*interval);
    if (!millis || *millis < 0) {
      return options.InvalidValue(kBufferInterval, "expected a duration such as '1 s'");
    }
    buffer_interval = *millis;
  }
  if ((buffer_rows > 0) != (buffer_interval > 0)) {
    return options.TableError(
        "'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' "
        "must be set to be greater than zero together to enable sink "
        "buffer flushing");
  }
  if (auto idle = options.GetString(kWatermarkIdle)) {
    std::optional<int64_t> millis = base::ParseDurationMillis(*idle);
    if (!millis || *millis < 0) {
      return options.InvalidValue(kWatermarkIdle, "expected a duration such as '30 s'");
    }
  }
  return settings;
}

base::Result<std::unique_ptr<formats::Format>> CreateSideFormat(const TableDescriptor& table,
                                                                const RecordSide& side) {
  formats::FormatFields fields;
  fields.table_schema = table.schema;
  fields.columns = side.columns;
  for (size_t i = 0; i < side.columns.size(); ++i) {
    fields.fields.columns.push_back(
        types::RowField{side.field_names[i], table.schema.columns[side.columns[i]].type});
  }
  return formats::CreateFormat(side.format, fields, side.options, side.option_prefix);
}

bool IsChangelogFormat(const std::string& format) {
  return format == "debezium-json" || format == "canal-json" || format == "changelog-json";
}

ClientConfig ConsumerConfig(const KafkaSettings& settings) {
  ClientConfig config;
  config.properties = settings.client_properties;
  config.properties["bootstrap.servers"] = settings.bootstrap_servers;
  if (settings.group_id) config.properties["group.id"] = *settings.group_id;
  // As Flink (the Java consumer's default): records of open and aborted transactions are read
  // unless the table asks for `properties.isolation.level` = 'read_committed'.
  config.properties.emplace("isolation.level", "read_uncommitted");
  config.timeout_ms = settings.timeout_ms;
  return config;
}

ClientConfig ProducerConfig(const KafkaSettings& settings) {
  ClientConfig config;
  config.properties = settings.client_properties;
  config.properties.erase("group.id");
  config.properties.erase("isolation.level");
  config.properties.erase("auto.offset.reset");
  config.properties["bootstrap.servers"] = settings.bootstrap_servers;
  // Java's default partitioner for keyed records (murmur2); librdkafka's own default differs.
  config.properties.emplace("partitioner", "murmur2_random");
  config.timeout_ms = settings.timeout_ms;
  return config;
}

std::vector<MetadataKey> KafkaMetadataKeys() {
  return {
      {"topic", types::LogicalType::Varchar(), false},
      {"partition", types::LogicalType::Int(), false},
      // Flink's: the record's headers, readable and writable, a header's value as BYTES.
      {"headers",
       types::LogicalType::Map(types::LogicalType::Varchar(), types::LogicalType::Binary()), true},
      {"offset", types::LogicalType::Bigint(), false},
      {"timestamp", types::LogicalType::TimestampLtz(), true},
      {"timestamp-type", types::LogicalType::Varchar(), false}};
}

int32_t JavaStringHash(const std::string& text) {
  // Decode UTF-8 into UTF-16 code units, as Java strings hold them.
  uint32_t hash = 0;
  auto add = [&hash](uint32_t unit) { hash = hash * 31 + unit; };
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    uint32_t code = byte;
    size_t length = 1;
    if (byte >= 0xF0 && i + 3 < text.size() + 0) {
      code = ((byte & 0x07u) << 18) | ((text[i + 1] & 0x3Fu) << 12) | ((text[i + 2] & 0x3Fu) << 6) |
             (text[i + 3] & 0x3Fu);
      length = 4;
    } else if (byte >= 0xE0 && i + 2 < text.size()) {
      code = ((byte & 0x0Fu) << 12) | ((text[i + 1] & 0x3Fu) << 6) | (text[i + 2] & 0x3Fu);
      length = 3;
    } else if (byte >= 0xC0 && i + 1 < text.size()) {
      code = ((byte & 0x1Fu) << 6) | (text[i + 1] & 0x3Fu);
      length = 2;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      add(0xD800 + (code >> 10));
      add(0xDC00 + (code & 0x3FF));
    } else {
      add(code);
    }
    i += length;
  }
  return static_cast<int32_t>(hash);
}

int32_t PartitionOwner(const TopicPartition& partition, int32_t parallelism) {
  const int64_t start =
      (static_cast<int64_t>(static_cast<uint32_t>(JavaStringHash(partition.topic) * 31u) &
                            0x7FFFFFFFu)) %
      parallelism;
  return static_cast<int32_t>((start + partition.partition) % parallelism);
}

}  // namespace sluice::runtime::connectors::kafka
