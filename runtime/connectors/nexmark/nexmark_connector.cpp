#include "runtime/connectors/nexmark/nexmark_connector.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "runtime/connectors/builtin_connectors.h"

namespace sluice::runtime::connectors::nexmark {

namespace {

bool SameType(const types::LogicalType& declared, const types::LogicalType& expected) {
  if (declared.id() != expected.id()) return false;
  if (declared.id() != types::TypeId::kRow) return true;
  if (declared.fields().size() != expected.fields().size()) return false;
  for (size_t i = 0; i < declared.fields().size(); ++i) {
    if (!types::IdentifierEquals(declared.fields()[i].name, expected.fields()[i].name) ||
        !SameType(declared.fields()[i].type, expected.fields()[i].type)) {
      return false;
    }
  }
  return true;
}

}  // namespace

base::Status ValidateNexmarkSchema(const TableDescriptor& table) {
  const types::Schema expected = NexmarkSchema();
  bool matches = table.schema.columns.size() == expected.columns.size();
  for (size_t i = 0; matches && i < expected.columns.size(); ++i) {
    matches = types::IdentifierEquals(table.schema.columns[i].name, expected.columns[i].name) &&
              SameType(table.schema.columns[i].type, expected.columns[i].type);
  }
  if (matches) return base::Status::Ok();
  return base::Status::Error(
      base::ErrorCode::kOption,
      "table '" + table.name + "' (connector 'nexmark') must declare the Nexmark columns " +
          expected.ToString() + " (computed columns and a watermark may follow), but declares " +
          table.schema.ToString());
}

int32_t NexmarkBlockSize(const NexmarkConfig& config, int32_t parallelism) {
  if (config.rate_limit <= 0) return kBatchCapacity;
  const double per_subtask_per_tenth = config.rate_limit / parallelism / 10;
  return static_cast<int32_t>(
      std::clamp<double>(std::floor(per_subtask_per_tenth), 1, kBatchCapacity));
}

base::Status NexmarkConnector::Validate(const TableDescriptor& table, bool as_source) const {
  if (!as_source) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        "table '" + table.name + "': connector 'nexmark' is a source and cannot be written");
  }
  SLUICE_RETURN_IF_ERROR(NexmarkConfig::FromOptions(table).status());
  return ValidateNexmarkSchema(table);
}

base::Result<std::unique_ptr<SourceReader>> NexmarkConnector::CreateReader(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_RETURN_IF_ERROR(ValidateNexmarkSchema(table));
  SLUICE_ASSIGN_OR_RETURN(NexmarkConfig config, NexmarkConfig::FromOptions(table));
  auto generator = std::make_shared<const NexmarkGenerator>(config);
  return std::unique_ptr<SourceReader>(new NexmarkReader(std::move(generator), subtask));
}

NexmarkReader::NexmarkReader(std::shared_ptr<const NexmarkGenerator> generator,
                             const SubtaskInfo& subtask)
    : generator_(std::move(generator)),
      subtask_(subtask),
      parallelism_(std::max(subtask.parallelism, 1)),
      block_size_(NexmarkBlockSize(generator_->config(), parallelism_)),
      next_block_(subtask.index) {}

std::string NexmarkReader::Position() const {
  return EncodeSourcePosition("nexmark", subtask_, {{"block", std::to_string(next_block_)}});
}

base::Status NexmarkReader::Seek(const std::string& position) {
  SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "nexmark", subtask_));
  SLUICE_ASSIGN_OR_RETURN(int64_t block, PositionField(fields, "block"));
  if (block % parallelism_ != subtask_.index % parallelism_) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a nexmark position's block " + std::to_string(block) +
                                   " is not one of subtask " + std::to_string(subtask_.index));
  }
  next_block_ = block;
  events_emitted_ = 0;  // a rate limit counts again from the first poll after the seek
  started_.reset();
  return base::Status::Ok();
}

base::Status NexmarkReader::StopAt(const std::string& position) {
  SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "nexmark", subtask_));
  SLUICE_ASSIGN_OR_RETURN(int64_t block, PositionField(fields, "block"));
  if (block % parallelism_ != subtask_.index % parallelism_ || block < next_block_) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a nexmark position's block " + std::to_string(block) +
                                   " is not ahead of subtask " + std::to_string(subtask_.index));
  }
  stop_block_ = block;
  return base::Status::Ok();
}

void NexmarkReader::ClearStop() {
  stop_block_.reset();
  events_emitted_ = 0;  // a rate limit counts again from the next poll
  started_.reset();
}

base::Result<bool> NexmarkReader::Next(Batch* batch) {
  if (stop_block_ && next_block_ >= *stop_block_) {
    batch->set_row_count(0);
    return true;  // held at the stop: nothing more to read
  }
  const int64_t first = next_block_ * block_size_;
  const int64_t limit = generator_->config().events_num;
  int64_t count = block_size_;
  if (limit > 0) count = std::min<int64_t>(count, limit - first);
  if (count <= 0) {
    batch->set_row_count(0);
    return false;
  }
  const double rate_limit = generator_->config().rate_limit;
  if (rate_limit > 0 && !stop_block_) {
    // Each subtask keeps its share of the rate. Until the batch is due there is nothing to
    // read: an empty batch, so the scheduler polls again later (no thread sleeps here).
    auto now = std::chrono::steady_clock::now();
    if (events_emitted_ == 0 && !started_) started_ = now;
    const double due_seconds = events_emitted_ / (rate_limit / parallelism_);
    if (now < *started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(due_seconds))) {
      batch->set_row_count(0);
      return true;
    }
  }
  generator_->FillBatch(first, static_cast<int32_t>(count), batch);
  events_emitted_ += count;
  next_block_ += parallelism_;
  return true;
}

}  // namespace sluice::runtime::connectors::nexmark

namespace sluice::runtime::connectors {

const Connector& NexmarkConnectorInstance() {
  static const nexmark::NexmarkConnector kInstance;
  return kInstance;
}

}  // namespace sluice::runtime::connectors
