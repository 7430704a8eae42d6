#include "runtime/connectors/kafka/fake_kafka.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include "fmt/format.h"

namespace sluice::runtime::connectors::kafka {

using base::ErrorCode;
using base::Result;
using base::Status;

namespace {

/// One partition's log. No retention: an entry's offset is its index.
struct PartitionLog {
  std::vector<FakeLogEntry> entries;
  /// The first offset of each open transaction that wrote here, by transactional id.
  std::map<std::string, int64_t> open_first_offset;

  int64_t End() const { return static_cast<int64_t>(entries.size()); }
  int64_t LastStable() const {
    int64_t stable = End();
    for (const auto& [id, offset] : open_first_offset) stable = std::min(stable, offset);
    return stable;
  }
};

/// The cluster's view of one transactional id.
struct Transaction {
  int64_t epoch = 0;          // bumped by InitTransactions and by a timeout abort
  std::string fenced_reason;  // why it was bumped last: what fenced the older producers
  bool open = false;
  int64_t started_ms = 0;
  int64_t timeout_ms = 60000;
  std::set<TopicPartition> partitions;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Kafka's murmur2 (Java's Utils.murmur2, librdkafka's rd_murmur2).
uint32_t Murmur2(const std::string& data) {
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  auto length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ length;
  auto byte = [&data](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k = byte(4 * i) | byte(4 * i + 1) << 8 | byte(4 * i + 2) << 16 | byte(4 * i + 3) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  size_t tail = 4 * blocks;
  switch (length % 4) {
    case 3: h ^= byte(tail + 2) << 16; [[fallthrough]];
    case 2: h ^= byte(tail + 1) << 8; [[fallthrough]];
    case 1: h ^= byte(tail); h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

std::string Property(const ClientConfig& config, const std::string& key,
                     const std::string& fallback = "") {
  auto found = config.properties.find(key);
  return found == config.properties.end() ? fallback : found->second;
}

}  // namespace

struct FakeKafkaState {
  mutable std::mutex mutex;
  std::condition_variable readable;  // notified when records become readable or markers land
  FakeKafkaOptions options;
  std::map<std::string, std::vector<PartitionLog>> topics;
  std::map<std::string, Transaction> transactions;
  std::map<std::pair<std::string, TopicPartition>, int64_t> group_offsets;
  std::optional<int64_t> stopped_clock_ms;
  bool down = false;
  std::deque<FakeFault> faults;

  int64_t Now() const { return stopped_clock_ms ? *stopped_clock_ms : WallMs(); }

  PartitionLog* Find(const TopicPartition& partition) {
    auto topic = topics.find(partition.topic);
    if (topic == topics.end() || partition.partition < 0 ||
        partition.partition >= static_cast<int32_t>(topic->second.size())) {
      return nullptr;
    }
    return &topic->second[partition.partition];
  }
  const PartitionLog* Find(const TopicPartition& partition) const {
    return const_cast<FakeKafkaState*>(this)->Find(partition);
  }

  /// Takes one strike of the first fault for `operation` that applies to the caller.
  std::optional<FakeFault> TakeFault(FakeOperation operation, const std::string& transactional_id) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->operation != operation) continue;
      if (!it->transactional_id.empty() && it->transactional_id != transactional_id) continue;
      FakeFault fault = *it;
      if (--it->count <= 0) faults.erase(it);
      return fault;
    }
    return std::nullopt;
  }

  /// Ends `id`'s open transaction: its records become committed or aborted, and each of its
  /// partitions gets a marker, which takes an offset.
  void EndTransaction(const std::string& id, Transaction& transaction, bool commit) {
    FakeRecordState outcome = commit ? FakeRecordState::kCommitted : FakeRecordState::kAborted;
    for (const TopicPartition& partition : transaction.partitions) {
      PartitionLog* log = Find(partition);
      auto first = log->open_first_offset.find(id);
      for (int64_t offset = first->second; offset < log->End(); ++offset) {
        FakeLogEntry& entry = log->entries[offset];
        if (!entry.marker && entry.transactional_id == id &&
            entry.state == FakeRecordState::kOpen) {
          entry.state = outcome;
        }
      }
      log->open_first_offset.erase(first);
      FakeLogEntry marker;
      marker.record.partition = partition;
      marker.record.offset = log->End();
      marker.record.timestamp = Now();
      marker.marker = true;
      marker.state = outcome;
      marker.transactional_id = id;
      log->entries.push_back(std::move(marker));
    }
    transaction.open = false;
    transaction.partitions.clear();
    readable.notify_all();
  }

  /// Aborts every transaction open longer than its timeout, fencing its producer (the broker's
  /// transaction coordinator does this on its own schedule; the fake at every call).
  void ExpireTransactions() {
    int64_t now = Now();
    for (auto& [id, transaction] : transactions) {
      if (!transaction.open || now - transaction.started_ms <= transaction.timeout_ms) continue;
      EndTransaction(id, transaction, /*commit=*/false);
      ++transaction.epoch;
      transaction.fenced_reason =
          fmt::format("the brokers aborted its transaction after transaction.timeout.ms ({} ms)",
                      transaction.timeout_ms);
    }
  }

  /// Reads from `*position` up to `limit`, skipping markers and, when `read_committed`,
  /// aborted records; advances `*position` past what it skipped or returned.
  void Read(const PartitionLog& log, int64_t* position, int64_t limit, bool read_committed,
            size_t max_records, std::vector<ConsumedRecord>* records) const {
    while (*position < limit && records->size() < max_records) {
      const FakeLogEntry& entry = log.entries[*position];
      ++*position;
      if (entry.marker) continue;
      if (read_committed && entry.state != FakeRecordState::kCommitted) continue;
      records->push_back(entry.record);
    }
  }
};

namespace {

Status Unreachable(const std::string& bootstrap_servers, const std::string& why) {
  return Status::Error(ErrorCode::kRuntime,
                       fmt::format("Kafka brokers {} unreachable ({})", bootstrap_servers, why));
}

Status FaultError(const FakeFault& fault) {
  return Status::Error(ErrorCode::kRuntime, fault.message);
}

/// What every fake client has: its cluster (null when no cluster has its name), locked.
class FakeClient {
 public:
  FakeClient(std::shared_ptr<FakeKafkaState> state, std::string bootstrap_servers)
      : state_(std::move(state)), bootstrap_servers_(std::move(bootstrap_servers)) {}

  /// Locks the cluster and runs its timeouts; an error when it cannot be reached.
  Result<std::unique_lock<std::mutex>> Connect() const {
    if (state_ == nullptr) {
      return Unreachable(bootstrap_servers_, "no fake Kafka cluster has that name");
    }
    std::unique_lock lock(state_->mutex);
    state_->ExpireTransactions();
    if (state_->down) return Unreachable(bootstrap_servers_, "the fake cluster is down");
    return lock;
  }

  Status MissingTopic(const std::string& topic) const {
    return Status::Error(ErrorCode::kRuntime, fmt::format("Kafka topic '{}' does not exist on {}",
                                                          topic, bootstrap_servers_));
  }
  Status MissingPartition(const TopicPartition& partition) const {
    return Status::Error(ErrorCode::kRuntime,
                         fmt::format("Kafka partition {} does not exist on {}",
                                     partition.ToString(), bootstrap_servers_));
  }

 protected:
  std::shared_ptr<FakeKafkaState> state_;
  std::string bootstrap_servers_;
};

class FakeConsumer final : public Consumer, private FakeClient {
 public:
  FakeConsumer(std::shared_ptr<FakeKafkaState> state, std::string bootstrap_servers,
               std::string group, bool read_committed, std::string offset_reset)
      : FakeClient(std::move(state), std::move(bootstrap_servers)),
        group_(std::move(group)),
        read_committed_(read_committed),
        offset_reset_(std::move(offset_reset)) {}

  Result<std::vector<std::string>> ListTopics() override {
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kMetadata, "")) return FaultError(*fault);
    std::vector<std::string> topics;
    for (const auto& [topic, partitions] : state_->topics) topics.push_back(topic);
    return topics;
  }

  Result<std::vector<int32_t>> Partitions(const std::string& topic) override {
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kMetadata, "")) return FaultError(*fault);
    auto found = state_->topics.find(topic);
    if (found == state_->topics.end()) return MissingTopic(topic);
    std::vector<int32_t> partitions(found->second.size());
    for (size_t i = 0; i < partitions.size(); ++i) partitions[i] = static_cast<int32_t>(i);
    return partitions;
  }

  Result<std::pair<int64_t, int64_t>> WatermarkOffsets(const TopicPartition& partition) override {
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kOffsets, "")) return FaultError(*fault);
    const PartitionLog* log = state_->Find(partition);
    if (log == nullptr) return MissingPartition(partition);
    return std::make_pair(int64_t{0}, High(*log));
  }

  Result<int64_t> OffsetForTimestamp(const TopicPartition& partition, int64_t timestamp) override {
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kOffsets, "")) return FaultError(*fault);
    const PartitionLog* log = state_->Find(partition);
    if (log == nullptr) return MissingPartition(partition);
    // As Kafka's time index: over every record, aborted ones too, below the high watermark.
    int64_t high = High(*log);
    for (int64_t offset = 0; offset < high; ++offset) {
      const FakeLogEntry& entry = log->entries[offset];
      if (!entry.marker && entry.record.timestamp >= timestamp) return offset;
    }
    return high;
  }

  Result<std::optional<int64_t>> CommittedOffset(const TopicPartition& partition) override {
    SLUICE_RETURN_IF_ERROR(NeedGroup("reading committed offsets"));
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kOffsets, "")) return FaultError(*fault);
    auto found = state_->group_offsets.find({group_, partition});
    if (found == state_->group_offsets.end()) return {std::nullopt};
    return {found->second};
  }

  Status Assign(const std::vector<std::pair<TopicPartition, int64_t>>& partitions) override {
    if (!partitions.empty()) {  // as the librdkafka client, which asks for metadata
      SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
      if (auto fault = state_->TakeFault(FakeOperation::kAssign, "")) return FaultError(*fault);
      for (const auto& [partition, offset] : partitions) {
        if (state_->topics.count(partition.topic) == 0) return MissingTopic(partition.topic);
        if (state_->Find(partition) == nullptr) return MissingPartition(partition);
      }
    }
    assignment_.clear();
    for (const auto& [partition, offset] : partitions) {
      assignment_.push_back(Assigned{partition, offset, std::nullopt});
    }
    next_partition_ = 0;
    return Status::Ok();
  }

  Status Poll(int32_t max_records, int32_t wait_ms, std::vector<ConsumedRecord>* records,
              std::vector<std::pair<TopicPartition, int64_t>>* ends) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    if (auto fault = state_->TakeFault(FakeOperation::kPoll, "")) return FaultError(*fault);
    while (true) {
      size_t before = records->size();
      size_t ends_before = ends != nullptr ? ends->size() : 0;
      SLUICE_RETURN_IF_ERROR(
          ReadAssigned(static_cast<size_t>(std::max(max_records, 0)), records, ends));
      bool any = records->size() > before || (ends != nullptr && ends->size() > ends_before);
      if (any || assignment_.empty() ||
          state_->readable.wait_until(lock, deadline) == std::cv_status::timeout) {
        return Status::Ok();
      }
      state_->ExpireTransactions();
      if (state_->down) return Unreachable(bootstrap_servers_, "the fake cluster is down");
    }
  }

  Status CommitOffsets(const std::vector<std::pair<TopicPartition, int64_t>>& offsets) override {
    SLUICE_RETURN_IF_ERROR(NeedGroup("committing offsets"));
    // Asynchronous in librdkafka: an unreachable cluster or a fault loses the commit silently.
    auto lock = Connect();
    if (!lock.ok() || state_->TakeFault(FakeOperation::kCommitOffsets, "")) return Status::Ok();
    for (const auto& [partition, offset] : offsets) {
      state_->group_offsets[{group_, partition}] = offset;
    }
    return Status::Ok();
  }

 private:
  struct Assigned {
    TopicPartition partition;
    int64_t position;                     // may be kOffsetBeginning / kOffsetEnd until resolved
    std::optional<int64_t> reported_end;  // the end offset Poll reported last
  };

  Status NeedGroup(const std::string& what) const {
    if (!group_.empty()) return Status::Ok();
    return Status::Error(ErrorCode::kOption,
                         fmt::format("{} needs a Kafka consumer group: set group.id", what))
        .WithSubject("group.id");
  }

  // librdkafka's high watermark for this consumer: the last stable offset for read_committed.
  int64_t High(const PartitionLog& log) const {
    return read_committed_ ? log.LastStable() : log.End();
  }

  // Reads the assigned partitions round-robin, starting one further each call.
  Status ReadAssigned(size_t max_records, std::vector<ConsumedRecord>* records,
                      std::vector<std::pair<TopicPartition, int64_t>>* ends) {
    for (size_t i = 0; i < assignment_.size() && records->size() < max_records; ++i) {
      Assigned& assigned = assignment_[(next_partition_ + i) % assignment_.size()];
      const PartitionLog* log = state_->Find(assigned.partition);
      if (log == nullptr) return MissingPartition(assigned.partition);
      SLUICE_RETURN_IF_ERROR(Resolve(*log, &assigned));
      int64_t high = High(*log);
      state_->Read(*log, &assigned.position, high, read_committed_, max_records, records);
      if (assigned.position >= high && assigned.reported_end != assigned.position) {
        assigned.reported_end = assigned.position;
        if (ends != nullptr) ends->emplace_back(assigned.partition, assigned.position);
      }
    }
    if (!assignment_.empty()) next_partition_ = (next_partition_ + 1) % assignment_.size();
    return Status::Ok();
  }

  // Turns a logical or out-of-range position into a real one, as `auto.offset.reset` says.
  Status Resolve(const PartitionLog& log, Assigned* assigned) const {
    int64_t& position = assigned->position;
    if (position == kOffsetBeginning) position = 0;
    if (position == kOffsetEnd) position = High(log);
    if (position >= 0 && position <= log.End()) return Status::Ok();
    if (offset_reset_ == "error") {
      return Status::Error(
          ErrorCode::kRuntime,
          fmt::format("Kafka consumer of {}: offset {} is out of range on {} (auto.offset.reset "
                      "is error)",
                      bootstrap_servers_, position, assigned->partition.ToString()));
    }
    bool earliest =
        offset_reset_ == "smallest" || offset_reset_ == "earliest" || offset_reset_ == "beginning";
    position = earliest ? 0 : High(log);
    return Status::Ok();
  }

  std::string group_;
  bool read_committed_;
  std::string offset_reset_;
  std::vector<Assigned> assignment_;
  size_t next_partition_ = 0;
};

class FakeProducer final : public Producer, private FakeClient {
 public:
  FakeProducer(std::shared_ptr<FakeKafkaState> state, std::string bootstrap_servers,
               std::string transactional_id, int64_t transaction_timeout_ms)
      : FakeClient(std::move(state), std::move(bootstrap_servers)),
        transactional_id_(std::move(transactional_id)),
        transaction_timeout_ms_(transaction_timeout_ms) {}

  // Leaves an open transaction open, as a killed process does.
  ~FakeProducer() override = default;

  Result<int32_t> PartitionCount(const std::string& topic) override {
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    SLUICE_RETURN_IF_ERROR(CheckFenced());
    if (auto fault = Fault(FakeOperation::kMetadata)) return FaultError(*fault);
    std::vector<PartitionLog>* partitions = Topic(topic);
    if (partitions == nullptr) return MissingTopic(topic);
    return static_cast<int32_t>(partitions->size());
  }

  Status Produce(const ProducedRecord& record) override {
    if (state_ == nullptr) {
      Delivered(Unreachable(bootstrap_servers_, "no fake Kafka cluster has that name"));
      return Status::Ok();
    }
    std::unique_lock lock(state_->mutex);
    state_->ExpireTransactions();
    SLUICE_RETURN_IF_ERROR(CheckFenced());
    if (!transactional_id_.empty() && !in_transaction_) {
      return Status::Error(ErrorCode::kRuntime,
                           fmt::format("Kafka producer '{}' on {}: produce outside a transaction",
                                       transactional_id_, bootstrap_servers_));
    }
    std::optional<FakeFault> fault = Fault(FakeOperation::kProduce);
    if (fault && fault->timing == FaultTiming::kBefore) return FaultError(*fault);
    // Delivery problems surface at the next Flush, as librdkafka's delivery reports do.
    if (state_->down) {
      Delivered(Unreachable(bootstrap_servers_, "the fake cluster is down"));
    } else if (std::vector<PartitionLog>* partitions = Topic(record.topic)) {
      int32_t partition = ChoosePartition(record, static_cast<int32_t>(partitions->size()));
      if (partition >= static_cast<int32_t>(partitions->size())) {
        Delivered(MissingPartition({record.topic, partition}));
      } else if (auto delivery = Fault(FakeOperation::kDelivery)) {
        Delivered(FaultError(*delivery));
      } else {
        Append({record.topic, partition}, record);
      }
    } else {
      Delivered(MissingTopic(record.topic));
    }
    return fault ? FaultError(*fault) : Status::Ok();
  }

  Status Flush() override {
    if (state_ != nullptr) {
      std::unique_lock lock(state_->mutex);
      state_->ExpireTransactions();
      SLUICE_RETURN_IF_ERROR(CheckFenced());
      std::optional<FakeFault> fault = Fault(FakeOperation::kFlush);
      if (fault && fault->timing == FaultTiming::kBefore) return FaultError(*fault);
      if (fault) {
        delivery_error_ = Status::Ok();
        return FaultError(*fault);
      }
    }
    return std::exchange(delivery_error_, Status::Ok());
  }

  Status InitTransactions() override {
    SLUICE_RETURN_IF_ERROR(NeedTransactionalId("InitTransactions"));
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    SLUICE_RETURN_IF_ERROR(CheckFenced());
    if (epoch_ >= 0) return WrongState("InitTransactions was already called");
    std::optional<FakeFault> fault = Fault(FakeOperation::kInitTransactions);
    if (fault && fault->timing == FaultTiming::kBefore) return FaultError(*fault);
    if (transaction_timeout_ms_ > state_->options.max_transaction_timeout_ms) {
      fenced_ = Status::Error(
          ErrorCode::kRuntime,
          fmt::format("Kafka producer '{}' on {}: transaction.timeout.ms ({} ms) is larger than "
                      "the brokers' transaction.max.timeout.ms ({} ms) "
                      "(INVALID_TRANSACTION_TIMEOUT)",
                      transactional_id_, bootstrap_servers_, transaction_timeout_ms_,
                      state_->options.max_transaction_timeout_ms));
      return *fenced_;
    }
    Transaction& transaction = state_->transactions[transactional_id_];
    if (transaction.open) {
      state_->EndTransaction(transactional_id_, transaction, /*commit=*/false);
    }
    ++transaction.epoch;
    transaction.fenced_reason =
        fmt::format("another producer initialised transactional id '{}'", transactional_id_);
    transaction.timeout_ms = transaction_timeout_ms_;
    epoch_ = transaction.epoch;
    return fault ? FaultError(*fault) : Status::Ok();
  }

  Status BeginTransaction() override {
    SLUICE_RETURN_IF_ERROR(NeedTransactionalId("BeginTransaction"));
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    SLUICE_RETURN_IF_ERROR(CheckFenced());
    if (epoch_ < 0) return WrongState("BeginTransaction before InitTransactions");
    if (in_transaction_) return WrongState("BeginTransaction inside a transaction");
    std::optional<FakeFault> fault = Fault(FakeOperation::kBeginTransaction);
    if (fault && fault->timing == FaultTiming::kBefore) return FaultError(*fault);
    in_transaction_ = true;
    return fault ? FaultError(*fault) : Status::Ok();
  }

  Status CommitTransaction() override { return EndTransaction(/*commit=*/true); }
  Status AbortTransaction() override { return EndTransaction(/*commit=*/false); }

 private:
  std::optional<FakeFault> Fault(FakeOperation operation) {
    return state_->TakeFault(operation, transactional_id_);
  }

  void Delivered(const Status& error) {
    if (delivery_error_.ok()) delivery_error_ = error;
  }

  Status NeedTransactionalId(const std::string& call) const {
    if (!transactional_id_.empty()) return Status::Ok();
    return Status::Error(
        ErrorCode::kRuntime,
        fmt::format("Kafka producer on {}: {} needs a transactional id", call, bootstrap_servers_));
  }

  Status WrongState(const std::string& what) const {
    return Status::Error(
        ErrorCode::kRuntime,
        fmt::format("Kafka producer '{}' on {}: {}", transactional_id_, bootstrap_servers_, what));
  }

  // Called with the cluster locked: a producer whose epoch is no longer its id's was fenced,
  // for good.
  Status CheckFenced() {
    if (fenced_) return *fenced_;
    if (transactional_id_.empty() || epoch_ < 0) return Status::Ok();
    const Transaction& transaction = state_->transactions.at(transactional_id_);
    if (transaction.epoch == epoch_) return Status::Ok();
    fenced_ =
        Status::Error(ErrorCode::kRuntime,
                      fmt::format("Kafka producer '{}' on {} was fenced: {}", transactional_id_,
                                  bootstrap_servers_, transaction.fenced_reason));
    in_transaction_ = false;
    return *fenced_;
  }

  std::vector<PartitionLog>* Topic(const std::string& topic) {
    auto found = state_->topics.find(topic);
    if (found != state_->topics.end()) return &found->second;
    if (!state_->options.auto_create_topics) return nullptr;
    auto& partitions = state_->topics[topic];
    partitions.resize(static_cast<size_t>(std::max(state_->options.default_partitions, 1)));
    return &partitions;
  }

  int32_t ChoosePartition(const ProducedRecord& record, int32_t partitions) {
    if (record.partition >= 0) return record.partition;
    if (record.key) return static_cast<int32_t>((Murmur2(*record.key) & 0x7fffffff) % partitions);
    return static_cast<int32_t>(next_round_robin_++ % partitions);
  }

  void Append(const TopicPartition& partition, const ProducedRecord& produced) {
    PartitionLog& log = *state_->Find(partition);
    FakeLogEntry entry;
    entry.record.partition = partition;
    entry.record.offset = log.End();
    entry.record.key = produced.key;
    entry.record.value = produced.value;
    entry.record.timestamp = produced.timestamp != 0 ? produced.timestamp : state_->Now();
    entry.record.timestamp_type = TimestampType::kCreateTime;
    entry.record.headers = produced.headers;
    if (!transactional_id_.empty()) {
      Transaction& transaction = state_->transactions[transactional_id_];
      if (!transaction.open) {  // the broker's clock starts at the first write
        transaction.open = true;
        transaction.started_ms = state_->Now();
      }
      transaction.partitions.insert(partition);
      log.open_first_offset.try_emplace(transactional_id_, entry.record.offset);
      entry.state = FakeRecordState::kOpen;
      entry.transactional_id = transactional_id_;
    }
    log.entries.push_back(std::move(entry));
    state_->readable.notify_all();
  }

  Status EndTransaction(bool commit) {
    const char* call = commit ? "CommitTransaction" : "AbortTransaction";
    SLUICE_RETURN_IF_ERROR(NeedTransactionalId(call));
    SLUICE_ASSIGN_OR_RETURN(auto lock, Connect());
    SLUICE_RETURN_IF_ERROR(CheckFenced());
    if (!in_transaction_) return WrongState(fmt::format("{} outside a transaction", call));
    std::optional<FakeFault> fault =
        Fault(commit ? FakeOperation::kCommitTransaction : FakeOperation::kAbortTransaction);
    if (fault && fault->timing == FaultTiming::kBefore) return FaultError(*fault);
    if (commit && !delivery_error_.ok()) {
      // librdkafka: a failed delivery makes the transaction abortable.
      return Status::Error(ErrorCode::kRuntime,
                           fmt::format("{} (the transaction must be aborted)",
                                       std::exchange(delivery_error_, Status::Ok()).message()));
    }
    delivery_error_ = Status::Ok();
    Transaction& transaction = state_->transactions.at(transactional_id_);
    if (transaction.open) state_->EndTransaction(transactional_id_, transaction, commit);
    // After a lost response the caller does not know the outcome: it may retry (a no-op now).
    if (fault) return FaultError(*fault);
    in_transaction_ = false;
    return Status::Ok();
  }

  std::string transactional_id_;
  int64_t transaction_timeout_ms_;
  int64_t epoch_ = -1;  // -1 until InitTransactions
  bool in_transaction_ = false;
  std::optional<Status> fenced_;  // set once: every later call fails with it
  Status delivery_error_;         // the first since the last Flush
  uint32_t next_round_robin_ = 0;
};

Result<int64_t> ParseMs(const ClientConfig& config, const std::string& key, int64_t fallback) {
  std::string text = Property(config, key);
  if (text.empty()) return fallback;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return Status::Error(ErrorCode::kOption,
                         fmt::format("invalid Kafka client property: Invalid value \"{}\" for "
                                     "configuration property \"{}\"",
                                     text, key))
        .WithSubject(key);
  }
  return value;
}

Status CheckOneOf(const ClientConfig& config, const std::string& key,
                  const std::vector<std::string>& values) {
  std::string value = Property(config, key);
  if (value.empty() || std::find(values.begin(), values.end(), value) != values.end()) {
    return Status::Ok();
  }
  return Status::Error(ErrorCode::kOption,
                       fmt::format("invalid Kafka client property: Invalid value \"{}\" for "
                                   "configuration property \"{}\"",
                                   value, key))
      .WithSubject(key);
}

}  // namespace

FakeKafka::FakeKafka(FakeKafkaOptions options) : state_(std::make_shared<FakeKafkaState>()) {
  state_->options = options;
}

FakeKafka::~FakeKafka() = default;

void FakeKafka::CreateTopic(const std::string& topic, int32_t partitions) {
  std::lock_guard lock(state_->mutex);
  auto& logs = state_->topics[topic];
  if (logs.empty()) logs.resize(static_cast<size_t>(std::max(partitions, 1)));
}

void FakeKafka::SetClock(int64_t now_ms) {
  std::lock_guard lock(state_->mutex);
  state_->stopped_clock_ms = now_ms;
}

void FakeKafka::AdvanceClock(int64_t milliseconds) {
  std::lock_guard lock(state_->mutex);
  state_->stopped_clock_ms = state_->Now() + milliseconds;
  state_->ExpireTransactions();
}

int64_t FakeKafka::NowMs() const {
  std::lock_guard lock(state_->mutex);
  return state_->Now();
}

void FakeKafka::SetDown(bool down) {
  std::lock_guard lock(state_->mutex);
  state_->down = down;
  state_->readable.notify_all();
}

void FakeKafka::InjectFault(const FakeFault& fault) {
  std::lock_guard lock(state_->mutex);
  if (fault.count > 0) state_->faults.push_back(fault);
}

void FakeKafka::ClearFaults() {
  std::lock_guard lock(state_->mutex);
  state_->faults.clear();
}

std::vector<FakeLogEntry> FakeKafka::Log(const TopicPartition& partition) const {
  std::lock_guard lock(state_->mutex);
  state_->ExpireTransactions();
  const PartitionLog* log = state_->Find(partition);
  return log == nullptr ? std::vector<FakeLogEntry>{} : log->entries;
}

std::vector<ConsumedRecord> FakeKafka::ReadCommitted(const TopicPartition& partition) const {
  std::lock_guard lock(state_->mutex);
  state_->ExpireTransactions();
  std::vector<ConsumedRecord> records;
  const PartitionLog* log = state_->Find(partition);
  if (log == nullptr) return records;
  int64_t position = 0;
  state_->Read(*log, &position, log->LastStable(), /*read_committed=*/true, SIZE_MAX, &records);
  return records;
}

int64_t FakeKafka::LastStableOffset(const TopicPartition& partition) const {
  std::lock_guard lock(state_->mutex);
  state_->ExpireTransactions();
  const PartitionLog* log = state_->Find(partition);
  return log == nullptr ? 0 : log->LastStable();
}

bool FakeKafka::HasOpenTransaction(const std::string& transactional_id) const {
  std::lock_guard lock(state_->mutex);
  state_->ExpireTransactions();
  auto found = state_->transactions.find(transactional_id);
  return found != state_->transactions.end() && found->second.open;
}

std::optional<int64_t> FakeKafka::GroupOffset(const std::string& group,
                                              const TopicPartition& partition) const {
  std::lock_guard lock(state_->mutex);
  auto found = state_->group_offsets.find({group, partition});
  if (found == state_->group_offsets.end()) return std::nullopt;
  return found->second;
}

FakeKafka& FakeKafkaClients::AddCluster(const std::string& bootstrap_servers,
                                        FakeKafkaOptions options) {
  SLUICE_CHECK(clusters_.count(bootstrap_servers) == 0, "a fake Kafka cluster named {} exists",
               bootstrap_servers);
  auto& cluster = clusters_[bootstrap_servers];
  cluster = std::make_unique<FakeKafka>(options);
  return *cluster;
}

FakeKafka* FakeKafkaClients::Cluster(const std::string& bootstrap_servers) const {
  auto found = clusters_.find(bootstrap_servers);
  return found == clusters_.end() ? nullptr : found->second.get();
}

std::shared_ptr<FakeKafkaState> FakeKafkaClients::Find(const ClientConfig& config) const {
  std::string servers = Property(config, "bootstrap.servers");
  size_t start = 0;
  while (start <= servers.size()) {
    size_t comma = std::min(servers.find(',', start), servers.size());
    if (FakeKafka* cluster = Cluster(servers.substr(start, comma - start))) return cluster->state_;
    start = comma + 1;
  }
  return nullptr;
}

Result<std::unique_ptr<Consumer>> FakeKafkaClients::NewConsumer(const ClientConfig& config) {
  std::string servers = Property(config, "bootstrap.servers");
  if (servers.empty()) {
    return Status::Error(ErrorCode::kOption, "a Kafka client needs bootstrap.servers")
        .WithSubject("bootstrap.servers");
  }
  SLUICE_RETURN_IF_ERROR(
      CheckOneOf(config, "isolation.level", {"read_committed", "read_uncommitted"}));
  SLUICE_RETURN_IF_ERROR(
      CheckOneOf(config, "auto.offset.reset",
                 {"smallest", "earliest", "beginning", "largest", "latest", "end", "error"}));
  std::shared_ptr<FakeKafkaState> cluster = Find(config);
  bool read_committed = Property(config, "isolation.level", "read_committed") == "read_committed";
  if (cluster != nullptr && !cluster->options.read_committed) read_committed = false;
  return std::unique_ptr<Consumer>(std::make_unique<FakeConsumer>(
      std::move(cluster), servers, Property(config, "group.id"), read_committed,
      Property(config, "auto.offset.reset", "largest")));
}

Result<std::unique_ptr<Producer>> FakeKafkaClients::NewProducer(
    const ClientConfig& config, const std::string& transactional_id) {
  std::string servers = Property(config, "bootstrap.servers");
  if (servers.empty()) {
    return Status::Error(ErrorCode::kOption, "a Kafka client needs bootstrap.servers")
        .WithSubject("bootstrap.servers");
  }
  SLUICE_ASSIGN_OR_RETURN(int64_t timeout_ms, ParseMs(config, "transaction.timeout.ms", 60000));
  return std::unique_ptr<Producer>(
      std::make_unique<FakeProducer>(Find(config), servers, transactional_id, timeout_ms));
}

}  // namespace sluice::runtime::connectors::kafka
