#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include "fmt/format.h"
#include "runtime/connectors/kafka/kafka_client.h"

// The librdkafka implementation of kafka_client.h, on librdkafka's C API. The only file of the
// runtime that includes librdkafka's headers.

namespace sluice::runtime::connectors::kafka {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
// A list passed to rd_kafka_assign and never destroyed makes rd_kafka_destroy hang for ever
// (reference/kafka.md §2.3): every list lives in a PartitionList.
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};

using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

PartitionList NewPartitionList(size_t size) {
  return PartitionList(rd_kafka_topic_partition_list_new(static_cast<int>(size)));
}

int ClampMs(int64_t milliseconds) {
  return static_cast<int>(std::clamp<int64_t>(milliseconds, 0, INT_MAX));
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return ClampMs(left.count());
}

bool IsFencedCode(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

// Errors that mean "no broker answered" rather than "a broker said no".
bool IsUnreachableCode(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
         code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__RESOLVE;
}

// The names librdkafka's internal topics have; ListTopics leaves them out.
bool IsInternalTopic(const std::string& topic) {
  return topic == "__consumer_offsets" || topic == "__transaction_state";
}

/// Records what librdkafka's callbacks report for one handle (logs come from its internal
/// threads, the rest from the thread that polls): the last error text, to name the cause when
/// a call fails; since when no broker has been reachable; a producer's first delivery error
/// since the last Flush.
class HandleEvents {
 public:
  void OnError(rd_kafka_resp_err_t code, const std::string& reason) {
    std::lock_guard lock(mutex_);
    last_error_ = reason;
    if (IsUnreachableCode(code) && !down_since_) down_since_ = Clock::now();
  }
  void OnLog(const std::string& line) {
    std::lock_guard lock(mutex_);
    last_error_ = line;
  }
  void OnReachable() {
    std::lock_guard lock(mutex_);
    down_since_.reset();
  }
  std::optional<Clock::time_point> DownSince() const {
    std::lock_guard lock(mutex_);
    return down_since_;
  }
  std::string LastError() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }
  void OnDeliveryFailure(const rd_kafka_message_t& message) {
    std::lock_guard lock(mutex_);
    if (first_delivery_error_) return;
    first_delivery_error_ = fmt::format("Kafka producer could not write a record to {}/{}: {}",
                                        rd_kafka_topic_name(message.rkt), message.partition,
                                        rd_kafka_err2str(message.err));
  }
  std::optional<std::string> TakeDeliveryError() {
    std::lock_guard lock(mutex_);
    return std::exchange(first_delivery_error_, std::nullopt);
  }

 private:
  mutable std::mutex mutex_;
  std::string last_error_;
  std::optional<Clock::time_point> down_since_;
  std::optional<std::string> first_delivery_error_;
};

void OnError(rd_kafka_t* handle, int code, const char* reason, void* opaque) {
  static_cast<HandleEvents*>(opaque)->OnError(static_cast<rd_kafka_resp_err_t>(code), reason);
}

void OnDelivery(rd_kafka_t* handle, const rd_kafka_message_t* message, void* opaque) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    static_cast<HandleEvents*>(opaque)->OnDeliveryFailure(*message);
  }
}

// The runtime prints nothing (STYLE.md): error-level lines are kept to explain a failure, the
// rest dropped, unless the user asked for librdkafka's `debug` output.
void OnLogQuiet(const rd_kafka_t* handle, int level, const char* facility, const char* line) {
  if (level > 3) return;  // syslog levels: 0 emergency … 3 error
  auto* events = static_cast<HandleEvents*>(rd_kafka_opaque(handle));
  if (events == nullptr) return;
  std::string_view text = line;
  size_t thread_end = text.find("]: ");  // "[thrd:127.0.0.1:1/bootstrap]: " says nothing new
  if (text.rfind("[thrd:", 0) == 0 && thread_end != std::string_view::npos) {
    text.remove_prefix(thread_end + 3);
  }
  events->OnLog(std::string(text));
}
void OnLogPrint(const rd_kafka_t* handle, int level, const char* facility, const char* line) {
  OnLogQuiet(handle, level, facility, line);
  rd_kafka_log_print(handle, level, facility, line);
}

std::string BootstrapServers(const ClientConfig& config) {
  auto servers = config.properties.find("bootstrap.servers");
  return servers == config.properties.end() ? "" : servers->second;
}

/// One librdkafka handle with what every client needs: metadata, errors that name the brokers.
class RdKafkaHandle {
 public:
  RdKafkaHandle(const ClientConfig& config, std::unique_ptr<HandleEvents> events)
      : events_(std::move(events)),
        bootstrap_servers_(BootstrapServers(config)),
        timeout_ms_(ClampMs(config.timeout_ms)) {}

  rd_kafka_t* handle() const { return handle_.get(); }
  void set_handle(HandlePtr handle) { handle_ = std::move(handle); }

  /// Every topic's metadata (never a request for one topic: brokers that create topics on
  /// demand, the mock among them, would create a missing one).
  Result<MetadataPtr> AllTopics() {
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t code = rd_kafka_metadata(handle(), 1, nullptr, &metadata, timeout_ms_);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return Failure("metadata request", code);
    events_->OnReachable();
    return MetadataPtr(metadata);
  }

  Result<std::vector<std::string>> ListTopics() {
    SLUICE_ASSIGN_OR_RETURN(MetadataPtr metadata, AllTopics());
    std::vector<std::string> topics;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& topic = metadata->topics[i];
      if (topic.err == RD_KAFKA_RESP_ERR_NO_ERROR && !IsInternalTopic(topic.topic)) {
        topics.emplace_back(topic.topic);
      }
    }
    std::sort(topics.begin(), topics.end());
    return topics;
  }

  /// The partitions of `topic` from `metadata`; nullopt when the topic is not there.
  Result<std::optional<std::vector<int32_t>>> PartitionsIn(const rd_kafka_metadata_t& metadata,
                                                           const std::string& topic) {
    for (int i = 0; i < metadata.topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& entry = metadata.topics[i];
      if (topic != entry.topic) continue;
      if (entry.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return {std::nullopt};
      if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::Error(ErrorCode::kRuntime,
                             fmt::format("Kafka topic '{}' on {} is not available: {}", topic,
                                         bootstrap_servers_, rd_kafka_err2str(entry.err)));
      }
      std::vector<int32_t> partitions;
      for (int p = 0; p < entry.partition_cnt; ++p) partitions.push_back(entry.partitions[p].id);
      std::sort(partitions.begin(), partitions.end());
      return {std::move(partitions)};
    }
    return {std::nullopt};
  }

  Status MissingTopic(const std::string& topic) const {
    return Status::Error(ErrorCode::kRuntime, fmt::format("Kafka topic '{}' does not exist on {}",
                                                          topic, bootstrap_servers_));
  }

  /// A kRuntime error for `what` failing with `code`, naming the brokers and the last error
  /// librdkafka reported (the connection failure behind a timeout, typically).
  Status Failure(const std::string& what, rd_kafka_resp_err_t code) const {
    std::string message = IsUnreachableCode(code)
                              ? fmt::format("Kafka {} to {} got no answer within {} ms ({})", what,
                                            bootstrap_servers_, timeout_ms_, rd_kafka_err2str(code))
                              : fmt::format("Kafka {} to {} failed: {}", what, bootstrap_servers_,
                                            rd_kafka_err2str(code));
    return Status::Error(ErrorCode::kRuntime, WithCause(message));
  }

  std::string WithCause(std::string message) const {
    std::string cause = events_->LastError();
    if (!cause.empty()) message += "; last broker error: " + cause;
    return message;
  }

  HandleEvents& events() { return *events_; }
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  int timeout_ms() const { return timeout_ms_; }

 private:
  std::unique_ptr<HandleEvents> events_;  // the callbacks' opaque: outlives the handle
  HandlePtr handle_;
  std::string bootstrap_servers_;
  int timeout_ms_;
};

/// Sets one property; a user's bad one is a kOption error with librdkafka's text, which names
/// the property.
Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char error[512] = "";
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    return Status::Error(ErrorCode::kOption,
                         fmt::format("invalid Kafka client property: {}", error))
        .WithSubject(key);
  }
  return Status::Ok();
}

/// Builds a configuration: `defaults`, then the user's properties, then `forced`; with the
/// callbacks every handle has (errors into `events`, logs kept quiet).
Result<ConfPtr> BuildConf(const ClientConfig& config,
                          const std::vector<std::pair<std::string, std::string>>& defaults,
                          const std::vector<std::pair<std::string, std::string>>& forced,
                          HandleEvents* events) {
  if (BootstrapServers(config).empty()) {
    return Status::Error(ErrorCode::kOption, "a Kafka client needs bootstrap.servers")
        .WithSubject("bootstrap.servers");
  }
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [key, value] : defaults) {
    SLUICE_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  }
  for (const auto& [key, value] : config.properties) {
    SLUICE_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  }
  for (const auto& [key, value] : forced) {
    SLUICE_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  }
  rd_kafka_conf_set_opaque(conf.get(), events);
  rd_kafka_conf_set_error_cb(conf.get(), OnError);
  rd_kafka_conf_set_log_cb(conf.get(),
                           config.properties.count("debug") != 0 ? OnLogPrint : OnLogQuiet);
  return conf;
}

Result<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf) {
  char error[512] = "";
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (handle == nullptr) {  // the configuration stays ours
    return Status::Error(ErrorCode::kOption,
                         fmt::format("cannot create a Kafka client: {}", error));
  }
  conf.release();  // owned by the handle now
  return HandlePtr(handle);
}

std::optional<std::string> Bytes(const void* data, size_t size) {
  if (data == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(data), size);
}

ConsumedRecord ToRecord(const rd_kafka_message_t& message) {
  ConsumedRecord record;
  record.partition = {rd_kafka_topic_name(message.rkt), message.partition};
  record.offset = message.offset;
  record.key = Bytes(message.key, message.key_len);
  record.value = Bytes(message.payload, message.len);
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  int64_t timestamp = rd_kafka_message_timestamp(&message, &type);
  switch (type) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME: record.timestamp_type = TimestampType::kCreateTime; break;
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME:
      record.timestamp_type = TimestampType::kLogAppendTime;
      break;
    case RD_KAFKA_TIMESTAMP_NOT_AVAILABLE: break;
  }
  record.timestamp = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : timestamp;
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers.push_back(Header{name, Bytes(value, size)});
    }
  }
  return record;
}

std::string RandomHex() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

class RdKafkaConsumer final : public Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> Create(ClientConfig config) {
    auto events = std::make_unique<HandleEvents>();
    HandleEvents* callbacks = events.get();
    auto group = config.properties.find("group.id");
    if (group != config.properties.end() && group->second.empty()) {
      config.properties.erase(group);  // an empty group.id is none
    }
    bool has_group = config.properties.count("group.id") != 0;
    // librdkafka wants a group.id for a consumer handle even when it never joins the group.
    std::vector<std::pair<std::string, std::string>> defaults;
    if (!has_group) defaults.emplace_back("group.id", "sluice-unnamed-" + RandomHex());
    // Closing the consumer waits up to the session timeout (45 s by default) for commits its
    // unreachable coordinator never answered; an assign-only consumer has no session
    // otherwise, so the client's timeout bounds it.
    defaults.emplace_back(
        "session.timeout.ms",
        std::to_string(std::clamp(config.timeout_ms, int64_t{1}, int64_t{3600000})));
    // Offsets are the job's state, committed for monitoring only (Flink's model); Poll reports
    // the ends of partitions from end events.
    std::vector<std::pair<std::string, std::string>> forced = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"}};
    SLUICE_ASSIGN_OR_RETURN(ConfPtr conf, BuildConf(config, defaults, forced, callbacks));
    // Commits are for monitoring: a failed one is not an error (Flink only counts them).
    rd_kafka_conf_set_offset_commit_cb(conf.get(), [](rd_kafka_t*, rd_kafka_resp_err_t,
                                                      rd_kafka_topic_partition_list_t*, void*) {});
    auto consumer =
        std::unique_ptr<RdKafkaConsumer>(new RdKafkaConsumer(config, std::move(events), has_group));
    SLUICE_ASSIGN_OR_RETURN(HandlePtr handle, NewHandle(RD_KAFKA_CONSUMER, std::move(conf)));
    // Errors and logs reach the callbacks through Poll.
    rd_kafka_poll_set_consumer(handle.get());
    consumer->client_.set_handle(std::move(handle));
    return std::unique_ptr<Consumer>(std::move(consumer));
  }

  ~RdKafkaConsumer() override {
    if (client_.handle() != nullptr) rd_kafka_consumer_close(client_.handle());
  }

  Result<std::vector<std::string>> ListTopics() override { return client_.ListTopics(); }

  Result<std::vector<int32_t>> Partitions(const std::string& topic) override {
    SLUICE_ASSIGN_OR_RETURN(MetadataPtr metadata, client_.AllTopics());
    SLUICE_ASSIGN_OR_RETURN(std::optional<std::vector<int32_t>> partitions,
                            client_.PartitionsIn(*metadata, topic));
    if (!partitions) return client_.MissingTopic(topic);
    return std::move(*partitions);
  }

  Result<std::pair<int64_t, int64_t>> WatermarkOffsets(const TopicPartition& partition) override {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t code =
        rd_kafka_query_watermark_offsets(client_.handle(), partition.topic.c_str(),
                                         partition.partition, &low, &high, client_.timeout_ms());
    if (code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return MissingPartition(partition);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return client_.Failure("watermark offsets request for " + partition.ToString(), code);
    }
    return std::make_pair(low, high);
  }

  Result<int64_t> OffsetForTimestamp(const TopicPartition& partition, int64_t timestamp) override {
    PartitionList list = NewPartitionList(1);
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
        ->offset = timestamp;
    std::string what = "offset-for-timestamp request for " + partition.ToString();
    rd_kafka_resp_err_t code =
        rd_kafka_offsets_for_times(client_.handle(), list.get(), client_.timeout_ms());
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) code = list->elems[0].err;
    if (code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return MissingPartition(partition);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return client_.Failure(what, code);
    int64_t offset = list->elems[0].offset;
    if (offset >= 0) return offset;
    // -1: no record at or after the timestamp (also all the mock ever answers).
    SLUICE_ASSIGN_OR_RETURN(auto watermarks, WatermarkOffsets(partition));
    return watermarks.second;
  }

  Result<std::optional<int64_t>> CommittedOffset(const TopicPartition& partition) override {
    SLUICE_RETURN_IF_ERROR(NeedGroup("reading committed offsets"));
    PartitionList list = NewPartitionList(1);
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition);
    rd_kafka_resp_err_t code =
        rd_kafka_committed(client_.handle(), list.get(), client_.timeout_ms());
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) code = list->elems[0].err;
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return client_.Failure("committed offset request for " + partition.ToString(), code);
    }
    int64_t offset = list->elems[0].offset;
    if (offset < 0) return {std::nullopt};  // RD_KAFKA_OFFSET_INVALID: nothing committed
    return {offset};
  }

  Status Assign(const std::vector<std::pair<TopicPartition, int64_t>>& partitions) override {
    SLUICE_RETURN_IF_ERROR(CheckExist(partitions));
    PartitionList list = NewPartitionList(partitions.size());
    for (const auto& [partition, offset] : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
          ->offset = offset;
    }
    rd_kafka_resp_err_t code = rd_kafka_assign(client_.handle(), list.get());
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Error(ErrorCode::kRuntime,
                           fmt::format("Kafka consumer of {}: cannot assign partitions: {}",
                                       client_.bootstrap_servers(), rd_kafka_err2str(code)));
    }
    return Status::Ok();
  }

  Status Poll(int32_t max_records, int32_t wait_ms, std::vector<ConsumedRecord>* records,
              std::vector<std::pair<TopicPartition, int64_t>>* ends) override {
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::max(wait_ms, 0));
    int32_t appended = 0;
    bool any_event = false;  // after the first record or end, only what is already there
    while (appended < max_records) {
      MessagePtr message(
          rd_kafka_consumer_poll(client_.handle(), any_event ? 0 : RemainingMs(deadline)));
      if (message == nullptr) {
        if (any_event || Clock::now() >= deadline) break;
        continue;
      }
      any_event = true;
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        client_.events().OnReachable();
        // The offset of an end event is the fetch position: past transaction markers.
        if (ends != nullptr) {
          ends->emplace_back(TopicPartition{rd_kafka_topic_name(message->rkt), message->partition},
                             message->offset);
        }
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string where =
            message->rkt != nullptr
                ? fmt::format(" on {}/{}", rd_kafka_topic_name(message->rkt), message->partition)
                : "";
        return Status::Error(
            ErrorCode::kRuntime,
            fmt::format("Kafka consumer of {} failed{}: {}", client_.bootstrap_servers(), where,
                        rd_kafka_message_errstr(message.get())));
      }
      client_.events().OnReachable();
      records->push_back(ToRecord(*message));
      ++appended;
    }
    if (any_event) return Status::Ok();
    return CheckReachable();
  }

  Status CommitOffsets(const std::vector<std::pair<TopicPartition, int64_t>>& offsets) override {
    SLUICE_RETURN_IF_ERROR(NeedGroup("committing offsets"));
    if (offsets.empty()) return Status::Ok();
    PartitionList list = NewPartitionList(offsets.size());
    for (const auto& [partition, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
          ->offset = offset;
    }
    rd_kafka_resp_err_t code = rd_kafka_commit(client_.handle(), list.get(), /*async=*/1);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return client_.Failure("offset commit", code);
    return Status::Ok();
  }

 private:
  RdKafkaConsumer(const ClientConfig& config, std::unique_ptr<HandleEvents> events, bool has_group)
      : client_(config, std::move(events)), has_group_(has_group) {}

  Status NeedGroup(const std::string& what) const {
    if (has_group_) return Status::Ok();
    return Status::Error(ErrorCode::kOption,
                         fmt::format("{} needs a Kafka consumer group: set group.id", what))
        .WithSubject("group.id");
  }

  Status MissingPartition(const TopicPartition& partition) const {
    return Status::Error(ErrorCode::kRuntime,
                         fmt::format("Kafka partition {} does not exist on {}",
                                     partition.ToString(), client_.bootstrap_servers()));
  }

  // librdkafka waits quietly for a partition that does not exist (and the mock creates the
  // topics assigned): better a clear error at once.
  Status CheckExist(const std::vector<std::pair<TopicPartition, int64_t>>& partitions) {
    if (partitions.empty()) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(MetadataPtr metadata, client_.AllTopics());
    std::map<std::string, std::vector<int32_t>> known;
    for (const auto& [partition, offset] : partitions) {
      auto found = known.find(partition.topic);
      if (found == known.end()) {
        SLUICE_ASSIGN_OR_RETURN(std::optional<std::vector<int32_t>> ids,
                                client_.PartitionsIn(*metadata, partition.topic));
        if (!ids) return client_.MissingTopic(partition.topic);
        found = known.emplace(partition.topic, std::move(*ids)).first;
      }
      if (!std::binary_search(found->second.begin(), found->second.end(), partition.partition)) {
        return MissingPartition(partition);
      }
    }
    return Status::Ok();
  }

  // librdkafka reconnects for ever and a fetch only goes quiet: no broker reachable for longer
  // than the timeout (the error callback said so and a metadata request confirms it now) fails
  // the Poll.
  Status CheckReachable() {
    std::optional<Clock::time_point> down_since = client_.events().DownSince();
    if (!down_since ||
        Clock::now() - *down_since < std::chrono::milliseconds(client_.timeout_ms())) {
      return Status::Ok();
    }
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t code = rd_kafka_metadata(client_.handle(), 0, nullptr, &metadata,
                                                 std::min(client_.timeout_ms(), 1000));
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      client_.events().OnReachable();
      return Status::Ok();
    }
    return Status::Error(
        ErrorCode::kRuntime,
        client_.WithCause(fmt::format("Kafka brokers {} unreachable for more than {} ms",
                                      client_.bootstrap_servers(), client_.timeout_ms())));
  }

  RdKafkaHandle client_;
  bool has_group_;
};

class RdKafkaProducer final : public Producer {
 public:
  static Result<std::unique_ptr<Producer>> Create(const ClientConfig& config,
                                                  const std::string& transactional_id) {
    auto producer = std::unique_ptr<RdKafkaProducer>(new RdKafkaProducer(config));
    std::vector<std::pair<std::string, std::string>> forced;
    if (!transactional_id.empty()) forced.emplace_back("transactional.id", transactional_id);
    SLUICE_ASSIGN_OR_RETURN(ConfPtr conf,
                            BuildConf(config, {}, forced, &producer->client_.events()));
    rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
    SLUICE_ASSIGN_OR_RETURN(HandlePtr handle, NewHandle(RD_KAFKA_PRODUCER, std::move(conf)));
    producer->client_.set_handle(std::move(handle));
    return std::unique_ptr<Producer>(std::move(producer));
  }

  // Not flushed: what is still queued is dropped, and an open transaction stays open on the
  // brokers until the next producer with the transactional id, or the transaction timeout,
  // aborts it (what a killed process leaves).
  ~RdKafkaProducer() override = default;

  Result<int32_t> PartitionCount(const std::string& topic) override {
    SLUICE_ASSIGN_OR_RETURN(MetadataPtr metadata, client_.AllTopics());
    SLUICE_ASSIGN_OR_RETURN(std::optional<std::vector<int32_t>> partitions,
                            client_.PartitionsIn(*metadata, topic));
    if (partitions) return static_cast<int32_t>(partitions->size());
    // Not there: ask for this topic alone, which creates it on brokers that do so on demand.
    TopicPtr handle(rd_kafka_topic_new(client_.handle(), topic.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t code =
        rd_kafka_metadata(client_.handle(), 0, handle.get(), &raw, client_.timeout_ms());
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return client_.Failure("metadata request", code);
    MetadataPtr one(raw);
    SLUICE_ASSIGN_OR_RETURN(partitions, client_.PartitionsIn(*one, topic));
    if (!partitions || partitions->empty()) return client_.MissingTopic(topic);
    return static_cast<int32_t>(partitions->size());
  }

  Status Produce(const ProducedRecord& record) override {
    std::vector<rd_kafka_vu_t> fields;
    auto add = [&fields](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
      fields.emplace_back();
      fields.back().vtype = type;
      return fields.back();
    };
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = record.topic.c_str();
    add(RD_KAFKA_VTYPE_PARTITION).u.i32 =
        record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition;
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    if (record.key) {
      rd_kafka_vu_t& key = add(RD_KAFKA_VTYPE_KEY);
      key.u.mem.ptr = const_cast<char*>(record.key->data());
      key.u.mem.size = record.key->size();
    }
    if (record.value) {
      rd_kafka_vu_t& value = add(RD_KAFKA_VTYPE_VALUE);
      value.u.mem.ptr = const_cast<char*>(record.value->data());
      value.u.mem.size = record.value->size();
    }
    add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = record.timestamp;
    rd_kafka_headers_t* headers = nullptr;
    if (!record.headers.empty()) {
      headers = rd_kafka_headers_new(record.headers.size());
      for (const Header& header : record.headers) {
        rd_kafka_header_add(headers, header.key.data(), static_cast<ssize_t>(header.key.size()),
                            header.value ? header.value->data() : nullptr,
                            header.value ? static_cast<ssize_t>(header.value->size()) : 0);
      }
      add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers;
    }
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(client_.timeout_ms());
    while (true) {
      ErrorPtr error(rd_kafka_produceva(client_.handle(), fields.data(), fields.size()));
      if (error == nullptr) break;  // the headers belong to the queued message now
      if (rd_kafka_error_code(error.get()) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
          Clock::now() < deadline) {
        rd_kafka_poll(client_.handle(), 10);  // serves delivery reports, which frees the queue
        continue;
      }
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      return TransactionError("produce to topic '" + record.topic + "'", error.get());
    }
    rd_kafka_poll(client_.handle(), 0);
    return Status::Ok();
  }

  Status Flush() override {
    rd_kafka_resp_err_t code = rd_kafka_flush(client_.handle(), client_.timeout_ms());
    if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) {
      return Status::Error(
          ErrorCode::kRuntime,
          client_.WithCause(fmt::format("Kafka producer: {} records not acknowledged by {} within "
                                        "{} ms",
                                        rd_kafka_outq_len(client_.handle()),
                                        client_.bootstrap_servers(), client_.timeout_ms())));
    }
    return TakeDeliveryError();
  }

  Status InitTransactions() override {
    return Transactional("init transactions", [this](int timeout_ms) {
      return rd_kafka_init_transactions(client_.handle(), timeout_ms);
    });
  }
  Status BeginTransaction() override {
    return Transactional("begin transaction",
                         [this](int) { return rd_kafka_begin_transaction(client_.handle()); });
  }
  Status CommitTransaction() override {
    Status status = Transactional("commit transaction", [this](int timeout_ms) {
      return rd_kafka_commit_transaction(client_.handle(), timeout_ms);
    });
    // The commit flushed: its delivery errors made it fail (abortable) or there were none.
    Status delivery = TakeDeliveryError();
    return status.ok() ? delivery : status;
  }
  Status AbortTransaction() override {
    Status status = Transactional("abort transaction", [this](int timeout_ms) {
      return rd_kafka_abort_transaction(client_.handle(), timeout_ms);
    });
    TakeDeliveryError().ok();  // the aborted records' failures no longer matter
    return status;
  }

 private:
  explicit RdKafkaProducer(const ClientConfig& config)
      : client_(config, std::make_unique<HandleEvents>()) {}

  Status TakeDeliveryError() {
    std::optional<std::string> error = client_.events().TakeDeliveryError();
    if (!error) return Status::Ok();
    return Status::Error(ErrorCode::kRuntime, *error);
  }

  /// Runs a transactional call, again while it fails retriably and time is left.
  template <typename Call>
  Status Transactional(const std::string& what, Call call) {
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(client_.timeout_ms());
    while (true) {
      ErrorPtr error(call(std::max(RemainingMs(deadline), 1)));
      if (error == nullptr) return Status::Ok();
      if (rd_kafka_error_is_retriable(error.get()) && !rd_kafka_error_is_fatal(error.get()) &&
          Clock::now() + std::chrono::milliseconds(100) < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      return TransactionError(what, error.get());
    }
  }

  Status TransactionError(const std::string& what, const rd_kafka_error_t* error) {
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    std::string text = rd_kafka_error_string(error);
    if (code == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_error_is_fatal(error)) {
      char fatal[512] = "";
      rd_kafka_resp_err_t original = rd_kafka_fatal_error(client_.handle(), fatal, sizeof fatal);
      if (original != RD_KAFKA_RESP_ERR_NO_ERROR) {
        code = original;
        text = fatal;
      }
    }
    if (IsFencedCode(code)) {
      return Status::Error(
          ErrorCode::kRuntime,
          fmt::format("Kafka producer fenced on {}: {} failed: {} (another producer initialised "
                      "the same transactional id, or the brokers aborted the transaction after "
                      "transaction.timeout.ms)",
                      client_.bootstrap_servers(), what, text));
    }
    if (IsUnreachableCode(code)) return client_.Failure(what, code);
    std::string kind = rd_kafka_error_txn_requires_abort(error)
                           ? " (the transaction must be aborted)"
                       : rd_kafka_error_is_fatal(error) ? " (fatal: the producer is unusable)"
                                                        : "";
    return Status::Error(ErrorCode::kRuntime,
                         client_.WithCause(fmt::format("Kafka {} on {} failed: {}{}", what,
                                                       client_.bootstrap_servers(), text, kind)));
  }

  RdKafkaHandle client_;
};

class RdKafkaFactory final : public ClientFactory {
 public:
  Result<std::unique_ptr<Consumer>> NewConsumer(const ClientConfig& config) override {
    return RdKafkaConsumer::Create(config);
  }
  Result<std::unique_ptr<Producer>> NewProducer(const ClientConfig& config,
                                                const std::string& transactional_id) override {
    return RdKafkaProducer::Create(config, transactional_id);
  }
};

}  // namespace

ClientFactory& RdKafkaClients() {
  static RdKafkaFactory factory;
  return factory;
}

}  // namespace sluice::runtime::connectors::kafka
