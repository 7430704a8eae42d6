#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/kafka/kafka_options.h"
#include "runtime/connectors/kafka/kafka_sink.h"
#include "runtime/connectors/kafka/kafka_source.h"
#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors {

namespace {

using kafka::KafkaSettings;

/// `'connector' = 'kafka'` and (with `upsert`) `'connector' = 'upsert-kafka'`
/// (kafka_source.h, kafka_sink.h; options in kafka_options.h).
class KafkaConnector final : public Connector {
 public:
  explicit KafkaConnector(bool upsert) : upsert_(upsert) {}

  std::string name() const override { return upsert_ ? "upsert-kafka" : "kafka"; }
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return true; }

  base::Status Validate(const TableDescriptor& table, bool as_source) const override {
    SLUICE_ASSIGN_OR_RETURN(KafkaSettings settings,
                            kafka::ParseKafkaSettings(table, upsert_, as_source));
    // The formats check their own options (`json.ignore-parse-errors`, …).
    for (const kafka::RecordSide* side : {&settings.key, &settings.value}) {
      if (side->format.empty()) continue;
      SLUICE_ASSIGN_OR_RETURN(auto format, kafka::CreateSideFormat(table, *side));
      OptionReader options(table);
      if (side == &settings.key && format->IsChangelog()) {
        return options.InvalidValue("key.format", "a key format must be insert-only");
      }
      if (upsert_ && format->IsChangelog()) {
        return options.InvalidValue("value.format",
                                    "'upsert-kafka' needs an insert-only value format");
      }
    }
    return base::Status::Ok();
  }

  bool AcceptsUpdates(const TableDescriptor& table) const override {
    if (upsert_) return true;
    auto settings = kafka::ParseKafkaSettings(table, false, false);
    if (!settings.ok()) return false;
    return kafka::IsChangelogFormat(settings->value.format);
  }

  bool ProducesUpdates(const TableDescriptor& table) const override {
    if (upsert_) return true;
    auto settings = kafka::ParseKafkaSettings(table, false, true);
    if (!settings.ok()) return false;
    return kafka::IsChangelogFormat(settings->value.format);
  }

  /// An upsert-kafka topic is a table's history by key: the planner normalizes it.
  bool ProducesUpserts(const TableDescriptor& table) const override { return upsert_; }

  std::vector<MetadataKey> SupportedMetadata(const TableDescriptor& table) const override {
    return kafka::KafkaMetadataKeys();
  }

  /// Its readers hold each partition at an offset (KafkaSourceReader::StopSplitsAt).
  bool CanHold(const TableDescriptor& table) const override { return true; }

  std::optional<int32_t> SplitOwner(const TableDescriptor& table, const std::string& split,
                                    int32_t parallelism) const override {
    auto partition = kafka::KafkaSourceReader::ParseSplitName(split);
    if (!partition) return std::nullopt;
    return kafka::PartitionOwner(*partition, parallelism);
  }

  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override {
    SLUICE_ASSIGN_OR_RETURN(KafkaSettings settings,
                            kafka::ParseKafkaSettings(table, upsert_, /*as_source=*/true));
    SLUICE_ASSIGN_OR_RETURN(auto reader,
                            kafka::KafkaSourceReader::Create(table, subtask, std::move(settings)));
    return std::unique_ptr<SourceReader>(std::move(reader));
  }

  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override {
    SLUICE_ASSIGN_OR_RETURN(KafkaSettings settings,
                            kafka::ParseKafkaSettings(table, upsert_, /*as_source=*/false));
    SLUICE_ASSIGN_OR_RETURN(auto writer,
                            kafka::KafkaSinkWriter::Create(table, subtask, std::move(settings)));
    return std::unique_ptr<SinkWriter>(std::move(writer));
  }

 private:
  bool upsert_;
};

}  // namespace

const Connector& KafkaConnectorInstance() {
  static const KafkaConnector instance(/*upsert=*/false);
  return instance;
}

const Connector& UpsertKafkaConnectorInstance() {
  static const KafkaConnector instance(/*upsert=*/true);
  return instance;
}

}  // namespace sluice::runtime::connectors
