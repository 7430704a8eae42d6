#include "runtime/connectors/kafka/kafka_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/connectors/kafka/kafka_sink.h"
#include "runtime/connectors/kafka/kafka_source.h"

namespace sluice::runtime::connectors::kafka {
namespace {

TableDescriptor Table(std::map<std::string, std::string> options) {
  TableDescriptor table;
  table.name = "orders";
  table.schema.columns = {{"id", types::LogicalType::Bigint()},
                          {"name", types::LogicalType::Varchar()},
                          {"price", types::LogicalType::Double()}};
  options.emplace("connector", "kafka");
  options.emplace("properties.bootstrap.servers", "127.0.0.1:9092");
  table.options = std::move(options);
  return table;
}

std::string ErrorOf(const TableDescriptor& table, bool as_source = true, bool upsert = false) {
  auto settings = ParseKafkaSettings(table, upsert, as_source);
  return settings.ok() ? std::string("OK") : settings.status().message();
}

TEST(KafkaOptionsTest, FlinkDefaults) {
  auto settings = ParseKafkaSettings(
      Table({{"topic", "a; b"}, {"format", "json"}, {"properties.group.id", "g"}}), false, true);
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(settings->startup_mode, StartupMode::kGroupOffsets);
  EXPECT_EQ(settings->bounded_mode, BoundedMode::kUnbounded);
  EXPECT_EQ(settings->discovery_interval_ms, 5 * 60 * 1000);
  EXPECT_EQ(settings->delivery, DeliveryGuarantee::kAtLeastOnce);
  EXPECT_EQ(settings->value.columns, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(settings->value.option_prefix, "json.");
  // As the Java consumer Flink uses: read_uncommitted unless the table says otherwise.
  EXPECT_EQ(ConsumerConfig(*settings).properties.at("isolation.level"), "read_uncommitted");
  EXPECT_EQ(ProducerConfig(*settings).properties.at("partitioner"), "murmur2_random");
}

TEST(KafkaOptionsTest, RulesFlinkValidatesAreErrorsNamingTheOption) {
  EXPECT_NE(ErrorOf(Table({{"format", "json"}})).find("either 'topic' or 'topic-pattern'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"topic-pattern", "a.*"}, {"format", "json"}}))
                .find("shouldn't be set together"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Table({{"topic", "a"}, {"format", "json"}, {"sink.delivery-guarantee", "exactly-once"}}),
          false)
          .find("'sink.transactional-id-prefix' must be specified"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"format", "json"}, {"key.format", "json"}}), false)
                .find("requires the declaration of one or more of key fields"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"},
                           {"format", "json"},
                           {"key.format", "json"},
                           {"key.fields", "id"},
                           {"key.fields-prefix", "k_"}}),
                    false)
                .find("requires 'value.fields-include' = 'EXCEPT_KEY'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"},
                           {"format", "json"},
                           {"key.format", "json"},
                           {"key.fields", "id"},
                           {"sink.partitioner", "round-robin"}}),
                    false)
                .find("'round-robin' partitioner only works"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Table({{"topic", "a"}, {"format", "json"}, {"scan.startup.mode", "specific-offsets"}}))
          .find("'scan.startup.specific-offsets' is required"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"format", "json"}}))
                .find("'properties.group.id' is required"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Table({{"topic", "a"}, {"format", "json"}, {"scan.startup.mode", "earliest-ofset"}}))
          .find("did you mean 'earliest-offset'"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"},
                           {"format", "json"},
                           {"scan.startup.mode", "earliest-offset"},
                           {"scan.bounded.mode", "latest_offset"}}))
                .find("did you mean 'latest-offset'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"fromat", "json"}})).find("did you mean 'format'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a;b"}, {"format", "json"}}), false)
                .find("a sink writes exactly one topic"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"format", "json"}}), true, true)
                .find("'upsert-kafka' takes 'key.format' and 'value.format'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Table({{"topic", "a"}, {"key.format", "json"}, {"value.format", "json"}}),
                    false, true)
                .find("require to define a PRIMARY KEY"),
            std::string::npos);
}

TEST(KafkaOptionsTest, ClientPropertiesAreCheckedAgainstLibrdkafka) {
  // A Java-only key says what to write instead.
  std::string java = ErrorOf(Table({{"topic", "a"},
                                    {"format", "json"},
                                    {"scan.startup.mode", "earliest-offset"},
                                    {"properties.sasl.jaas.config", "x"}}));
  EXPECT_NE(java.find("Kafka's Java client"), std::string::npos) << java;
  EXPECT_NE(java.find("sasl.username"), std::string::npos) << java;
  // An unknown key and a bad value get librdkafka's own words.
  std::string unknown = ErrorOf(Table({{"topic", "a"},
                                       {"format", "json"},
                                       {"scan.startup.mode", "earliest-offset"},
                                       {"properties.no.such.thing", "1"}}));
  EXPECT_NE(unknown.find("properties.no.such.thing"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("librdkafka"), std::string::npos) << unknown;
  auto fine = ParseKafkaSettings(Table({{"topic", "a"},
                                        {"format", "json"},
                                        {"scan.startup.mode", "earliest-offset"},
                                        {"properties.socket.timeout.ms", "1500"},
                                        {"properties.enable.auto.commit", "true"}}),
                                 false, true);
  ASSERT_TRUE(fine.ok()) << fine.status().message();
  EXPECT_EQ(fine->timeout_ms, 1500);
  EXPECT_EQ(fine->client_properties.count("enable.auto.commit"), 0u);  // Flink decides it
}

TEST(KafkaOptionsTest, KeyAndValueColumns) {
  auto settings = ParseKafkaSettings(Table({{"topic", "a"},
                                            {"key.format", "json"},
                                            {"value.format", "json"},
                                            {"key.fields", "id"},
                                            {"value.fields-include", "EXCEPT_KEY"},
                                            {"scan.startup.mode", "earliest-offset"}}),
                                     false, true);
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->key.columns, (std::vector<size_t>{0}));
  EXPECT_EQ(settings->value.columns, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(settings->value.option_prefix, "value.json.");
  EXPECT_EQ(settings->key.option_prefix, "key.json.");

  TableDescriptor prefixed = Table({{"topic", "a"},
                                    {"key.format", "json"},
                                    {"value.format", "json"},
                                    {"key.fields", "k_id"},
                                    {"key.fields-prefix", "k_"},
                                    {"value.fields-include", "EXCEPT_KEY"},
                                    {"scan.startup.mode", "earliest-offset"}});
  prefixed.schema.columns[0].name = "k_id";
  auto with_prefix = ParseKafkaSettings(prefixed, false, true);
  ASSERT_TRUE(with_prefix.ok()) << with_prefix.status().message();
  EXPECT_EQ(with_prefix->key.field_names, (std::vector<std::string>{"id"}));

  TableDescriptor upsert =
      Table({{"topic", "a"}, {"key.format", "json"}, {"value.format", "json"}});
  upsert.primary_key = {"id"};
  auto upserting = ParseKafkaSettings(upsert, true, false);
  ASSERT_TRUE(upserting.ok()) << upserting.status().message();
  EXPECT_EQ(upserting->key.columns, (std::vector<size_t>{0}));
  EXPECT_EQ(upserting->startup_mode, StartupMode::kEarliest);
}

TEST(KafkaOptionsTest, SpecificOffsets) {
  auto settings = ParseKafkaSettings(
      Table({{"topic", "a"},
             {"format", "json"},
             {"scan.startup.mode", "specific-offsets"},
             {"scan.startup.specific-offsets", "partition:0,offset:42;partition:1,offset:300"}}),
      false, true);
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->startup_offsets, (std::map<int32_t, int64_t>{{0, 42}, {1, 300}}));
  EXPECT_NE(ErrorOf(Table({{"topic", "a"},
                           {"format", "json"},
                           {"scan.startup.mode", "specific-offsets"},
                           {"scan.startup.specific-offsets", "0:42"}}))
                .find("expected 'partition:<n>,offset:<offset>'"),
            std::string::npos);
}

TEST(KafkaOptionsTest, PartitionsAreDealtByFlinksRule) {
  // Java's String.hashCode, including characters beyond the BMP (two UTF-16 units).
  EXPECT_EQ(JavaStringHash("hello"), 99162322);
  EXPECT_EQ(JavaStringHash("orders"), -1008770331);
  EXPECT_EQ(JavaStringHash("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 16752006);  // é€😀
  // ((hash * 31) & 0x7FFFFFFF) % n, then round-robin over the partitions (computed with
  // Flink's KafkaSourceEnumerator.getSplitOwner by hand).
  std::vector<int32_t> owners;
  for (int32_t partition = 0; partition < 4; ++partition) {
    owners.push_back(PartitionOwner({"orders", partition}, 3));
  }
  EXPECT_EQ(owners, (std::vector<int32_t>{0, 1, 2, 0}));
  owners.clear();
  for (int32_t partition = 0; partition < 4; ++partition) {
    owners.push_back(PartitionOwner({"hello", partition}, 3));
  }
  EXPECT_EQ(owners, (std::vector<int32_t>{2, 0, 1, 2}));
  EXPECT_EQ(KafkaSourceReader::SplitName({"a.b-c", 7}), "kafka a.b-c/7");
  auto parsed = KafkaSourceReader::ParseSplitName("kafka a.b-c/7");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->topic, "a.b-c");
  EXPECT_EQ(parsed->partition, 7);
  EXPECT_FALSE(KafkaSourceReader::ParseSplitName("values 0/1").has_value());
  EXPECT_FALSE(KafkaSourceReader::ParseSplitName("kafka a/-1").has_value());
}

TEST(KafkaSpoolTest, RoundTripsAndRefusesDamage) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sluice-spool-test-" + std::to_string(::getpid())))
          .string() +
      "/epoch.spool";
  std::vector<ProducedRecord> records(3);
  records[0] = {"t", -1, std::string("k"), std::string("v"), 5, {{"h", std::string("x")}}};
  records[1] = {"t", 2, std::nullopt, std::string(""), 0, {}};
  records[2] = {"u", 0, std::string("k2"), std::nullopt, 7, {{"n", std::nullopt}}};
  ASSERT_TRUE(WriteSpool(path, records).ok());
  auto read = ReadSpool(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0].key, std::optional<std::string>("k"));
  EXPECT_EQ((*read)[0].headers.at(0).value, std::optional<std::string>("x"));
  EXPECT_EQ((*read)[1].partition, 2);
  EXPECT_EQ((*read)[1].key, std::nullopt);
  EXPECT_EQ((*read)[2].value, std::nullopt);
  EXPECT_EQ((*read)[2].headers.at(0).value, std::nullopt);

  // A flipped byte and a truncated file are errors naming the file, never fewer records.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x20;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
  auto damaged = ReadSpool(path);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find(path), std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 3);
  EXPECT_FALSE(ReadSpool(path).ok());
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace sluice::runtime::connectors::kafka
