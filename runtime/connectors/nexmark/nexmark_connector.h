#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"

namespace sluice::runtime::connectors::nexmark {

/// `'connector' = 'nexmark'`: a source of Nexmark events with Flink's DDL.
class NexmarkConnector : public Connector {
 public:
  std::string name() const override { return "nexmark"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return false; }
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
  /// Events are a pure function of (seed, event number).
  bool CanReplay(const TableDescriptor&) const override { return true; }
};

/// Checks that a table declares exactly NexmarkSchema() (names case-insensitively).
base::Status ValidateNexmarkSchema(const TableDescriptor& table);

/// Returns how many consecutive event numbers a subtask takes at a time: a full batch, or
/// less under a low 'rate-limit' so that a subtask emits about ten batches a second.
int32_t NexmarkBlockSize(const NexmarkConfig& config, int32_t parallelism);

/// Reads one subtask's share: blocks b = index, index + parallelism, ... of NexmarkBlockSize()
/// event numbers each, one block per batch, so all subtasks' event time advances together.
class NexmarkReader : public SourceReader {
 public:
  NexmarkReader(std::shared_ptr<const NexmarkGenerator> generator, const SubtaskInfo& subtask);
  base::Result<bool> Next(Batch* batch) override;
  bool IsBounded() const override { return generator_->config().events_num > 0; }
  /// Position: the next block of events this subtask generates (events are a function of
  /// their number, so that is all a restored reader needs).
  bool SupportsPosition() const override { return true; }
  std::string Position() const override;
  base::Status Seek(const std::string& position) override;
  base::Status StopAt(const std::string& position) override;
  bool AtStop() const override { return stop_block_ && next_block_ >= *stop_block_; }
  void ClearStop() override;

 private:
  std::shared_ptr<const NexmarkGenerator> generator_;
  SubtaskInfo subtask_;
  int32_t parallelism_;
  int32_t block_size_;
  int64_t next_block_;                 // index of the next block this subtask emits
  std::optional<int64_t> stop_block_;  // StopAt: the first block not to emit
  int64_t events_emitted_ = 0;
  std::optional<std::chrono::steady_clock::time_point> started_;  // set by the first poll
};

}  // namespace sluice::runtime::connectors::nexmark
