#include "runtime/operators/table_source_operator.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

namespace sluice::runtime::operators {

namespace {

/// The head line of the position of an exhausted split.
constexpr std::string_view kFinishedSplit = "finished\n";

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

base::Status TableSourceOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  metrics_ = context.metrics;
  const connectors::TableDescriptor& table = *node_->table;
  auto name = table.options.find("connector");
  connector_ = name == table.options.end() ? nullptr : connectors::FindConnector(name->second);
  if (connector_ == nullptr) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        name == table.options.end()
            ? "table '" + table.name + "' names no 'connector'"
            : "table '" + table.name + "': unknown connector '" + name->second + "'");
  }
  idle_timeout_ = node_->idle_timeout;
  job_name_ = context.subtask.job_name;
  job_id_ = context.subtask.job_id;
  Split own;
  SLUICE_ASSIGN_OR_RETURN(own.reader, connector_->CreateReader(table, context.subtask));
  bounded_ = own.reader->IsBounded();
  splits_.push_back(std::move(own));
  for (const auto& slot : types::FlattenSchema(table.schema)) physical_types_.push_back(slot.type);
  if (node_->computed_columns) {
    SLUICE_ASSIGN_OR_RETURN(computed_columns_, ChainEvaluator::Create(*node_->computed_columns,
                                                                      context.chain_compiler));
  }
  if (node_->watermark) {
    // The watermark expression reads the full row; evaluate it as a one-projection chain.
    plan::ChainSpec spec;
    for (const auto& column : node_->output_schema.columns) {
      for (const auto& slot : types::FlattenSchema(types::Schema{{column}})) {
        spec.input_types.push_back(slot.type);
      }
    }
    spec.projections.push_back(node_->watermark->expression);
    SLUICE_ASSIGN_OR_RETURN(watermark_, ChainEvaluator::Create(spec, context.chain_compiler));
  }
  return base::Status::Ok();
}

base::Result<int64_t> TableSourceOperator::MaxWatermark(const Batch& batch, int64_t floor) {
  SLUICE_ASSIGN_OR_RETURN(BatchPtr result, watermark_->Evaluate(batch));
  const Column& column = result->column(0);
  const int64_t* values = column.values<int64_t>();
  int64_t maximum = floor;
  for (int32_t row = 0; row < result->row_count(); ++row) {
    if (column.validity()[row] != 0) maximum = std::max(maximum, values[row]);
  }
  return maximum;
}

void TableSourceOperator::SyncClocks(Split* split) {
  const int64_t version = split->reader->splits_version();
  if (version == split->clocks_version) return;
  split->clocks_version = version;
  std::map<std::string, SplitClock> clocks;
  for (const std::string& name : split->reader->LiveSplits()) {
    auto kept = split->clocks.find(name);
    if (kept != split->clocks.end()) {
      clocks.emplace(name, kept->second);
      continue;
    }
    SplitClock clock;
    auto restored = restored_watermarks_.find(name);
    if (restored != restored_watermarks_.end()) clock.watermark = restored->second;
    clocks.emplace(name, clock);
  }
  split->clocks = std::move(clocks);
}

std::optional<int64_t> TableSourceOperator::ClockWatermark(const Split& split, int64_t now) const {
  std::optional<int64_t> minimum;
  for (const auto& [name, clock] : split.clocks) {
    // A split idle for the timeout does not hold time back (a split that never had a record
    // counts from the first poll, see Poll).
    if (idle_timeout_ > 0 && clock.last_record_millis != 0 &&
        now - clock.last_record_millis >= idle_timeout_) {
      continue;
    }
    minimum = std::min(minimum.value_or(kMaxWatermark), clock.watermark);
  }
  return minimum;
}

base::Status TableSourceOperator::EmitWatermark(Output* out) {
  if (splits_.empty()) return base::Status::Ok();
  const int64_t now = NowMillis();
  std::optional<int64_t> minimum;
  for (const Split& split : splits_) {
    if (split.reader->ReadsSeveralSplits()) {
      if (auto held = ClockWatermark(split, now)) {
        minimum = std::min(minimum.value_or(kMaxWatermark), *held);
      }
    } else {
      // A split holding its watermark to its end holds every other's back too.
      minimum = std::min(minimum.value_or(kMaxWatermark),
                         split.reader->HoldsWatermarkToTheEnd() ? kMinWatermark : split.watermark);
    }
  }
  if (!minimum || *minimum <= emitted_watermark_) return base::Status::Ok();
  emitted_watermark_ = *minimum;
  metrics_->watermark.store(*minimum, std::memory_order_relaxed);
  return out->EmitWatermark(*minimum);
}

bool TableSourceOperator::ReadsNothing() const {
  if (splits_.empty()) return false;
  for (const Split& split : splits_) {
    if (!split.reader->ReadsSeveralSplits() || !split.clocks.empty()) return false;
  }
  return true;
}

std::vector<std::string> TableSourceOperator::ClockPositions(const Split& split) const {
  std::vector<std::string> positions;
  for (std::string& position : split.reader->SplitPositions()) {
    std::string name = position.substr(0, position.find('\n'));
    int64_t watermark = kMinWatermark;
    if (auto clock = split.clocks.find(name); clock != split.clocks.end()) {
      watermark = clock->second.watermark;
    } else if (auto restored = restored_watermarks_.find(name);
               restored != restored_watermarks_.end()) {
      watermark = restored->second;
    }
    positions.push_back("watermark=" + std::to_string(watermark) + "\n" + position);
  }
  return positions;
}

std::string TableSourceOperator::PositionOf(const Split& split) const {
  // A reader of several splits has a position per split (ClockPositions), not one.
  if (!split.reader->SupportsPosition() || split.reader->ReadsSeveralSplits()) return {};
  return "watermark=" + std::to_string(split.watermark) + "\n" + split.reader->Position();
}

std::string TableSourceOperator::Position() const {
  return splits_.size() == 1 ? PositionOf(splits_.front()) : std::string();
}

std::vector<std::string> TableSourceOperator::Positions() const {
  std::vector<std::string> positions;
  for (const Split& split : splits_) {
    if (split.reader->ReadsSeveralSplits()) {
      for (std::string& position : ClockPositions(split)) positions.push_back(std::move(position));
      continue;
    }
    std::string position = PositionOf(split);
    if (position.empty()) return {};
    positions.push_back(std::move(position));
  }
  positions.insert(positions.end(), finished_splits_.begin(), finished_splits_.end());
  return positions;
}

std::vector<std::string> TableSourceOperator::SnapshotPositions(int64_t checkpoint) {
  std::vector<std::string> positions = Positions();
  bool several = false;
  for (const Split& split : splits_) several = several || split.reader->ReadsSeveralSplits();
  if (several) pending_positions_[checkpoint] = positions;
  return positions;
}

base::Status TableSourceOperator::NotifyCheckpointComplete(int64_t checkpoint) {
  auto found = pending_positions_.find(checkpoint);
  if (found == pending_positions_.end()) return base::Status::Ok();
  std::vector<std::string> reader_positions;
  for (const std::string& position : found->second) {
    if (position.compare(0, kFinishedSplit.size(), kFinishedSplit) == 0) continue;
    reader_positions.push_back(position.substr(position.find('\n') + 1));
  }
  pending_positions_.erase(pending_positions_.begin(), std::next(found));
  for (Split& split : splits_) {
    if (split.reader->ReadsSeveralSplits()) {
      SLUICE_RETURN_IF_ERROR(split.reader->OnCheckpointComplete(reader_positions));
    }
  }
  return base::Status::Ok();
}

base::Result<TableSourceOperator::Split> TableSourceOperator::OpenSplit(
    const std::string& position) const {
  size_t end = position.find('\n');
  constexpr std::string_view kPrefix = "watermark=";
  if (end == std::string::npos || position.compare(0, kPrefix.size(), kPrefix) != 0) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position");
  }
  std::string watermark = position.substr(kPrefix.size(), end - kPrefix.size());
  Split split;
  auto [last, error] =
      std::from_chars(watermark.data(), watermark.data() + watermark.size(), split.watermark);
  if (error != std::errc() || last != watermark.data() + watermark.size()) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position watermark");
  }
  std::string reader_position = position.substr(end + 1);
  SLUICE_ASSIGN_OR_RETURN(connectors::SubtaskInfo info,
                          connectors::SplitOfPosition(reader_position));
  info.job_name = job_name_;
  info.job_id = job_id_;
  SLUICE_ASSIGN_OR_RETURN(split.reader, connector_->CreateReader(*node_->table, info));
  SLUICE_RETURN_IF_ERROR(split.reader->Seek(reader_position));
  return split;
}

base::Status TableSourceOperator::Seek(const std::string& position) {
  return Restore({position});
}

base::Status TableSourceOperator::Restore(const std::vector<std::string>& positions) {
  if (splits_.size() == 1 && splits_.front().reader->ReadsSeveralSplits()) {
    // Every position is a split of this connector, dealt here by Connector::SplitOwner: the
    // reader opened for this subtask continues them all.
    std::vector<std::string> reader_positions;
    restored_watermarks_.clear();
    std::optional<int64_t> minimum;
    for (const std::string& position : positions) {
      size_t end = position.find('\n');
      constexpr std::string_view kPrefix = "watermark=";
      int64_t watermark = 0;
      const char* first = position.data() + kPrefix.size();
      const char* last = position.data() + (end == std::string::npos ? 0 : end);
      if (end == std::string::npos || position.compare(0, kPrefix.size(), kPrefix) != 0 ||
          std::from_chars(first, last, watermark).ptr != last) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "source '" + node_->uid + "': a malformed position");
      }
      std::string reader_position = position.substr(end + 1);
      restored_watermarks_[reader_position.substr(0, reader_position.find('\n'))] = watermark;
      minimum = std::min(minimum.value_or(kMaxWatermark), watermark);
      reader_positions.push_back(std::move(reader_position));
    }
    SLUICE_RETURN_IF_ERROR(splits_.front().reader->RestoreSplits(reader_positions));
    splits_.front().clocks.clear();
    splits_.front().clocks_version = -1;
    emitted_watermark_ = minimum.value_or(kMinWatermark);
    return base::Status::Ok();
  }
  std::vector<Split> splits;
  std::vector<std::string> finished;
  for (const std::string& position : positions) {
    if (position.compare(0, kFinishedSplit.size(), kFinishedSplit) == 0) {
      finished.push_back(position);  // read to its end before the snapshot: never again
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(Split split, OpenSplit(position));
    splits.push_back(std::move(split));
  }
  splits_ = std::move(splits);
  finished_splits_ = std::move(finished);
  next_split_ = 0;
  // The restored watermark: no split may fall back behind where it was.
  emitted_watermark_ = kMinWatermark;
  if (!splits_.empty()) {
    int64_t minimum = kMaxWatermark;
    for (const Split& split : splits_) minimum = std::min(minimum, split.watermark);
    emitted_watermark_ = minimum;
  }
  return base::Status::Ok();
}

base::Status TableSourceOperator::HoldAt(const std::vector<std::string>& positions) {
  // Per split (the first line of a reader's position names it): where to stop, or nothing
  // when it ended there (then it reads to its end).
  std::map<std::string, std::optional<std::string>> stops;
  for (const std::string& position : positions) {
    std::string_view text = position;
    const bool finished = text.compare(0, kFinishedSplit.size(), kFinishedSplit) == 0;
    if (finished) {
      text.remove_prefix(kFinishedSplit.size());
    } else if (size_t end = text.find('\n'); end != std::string_view::npos) {
      text.remove_prefix(end + 1);  // the watermark line
    }
    std::string reader_position(text);
    std::string split = reader_position.substr(0, reader_position.find('\n'));
    stops[split] = finished ? std::nullopt : std::optional<std::string>(reader_position);
  }
  for (Split& split : splits_) {
    connectors::SourceReader& reader = *split.reader;
    if (reader.ReadsSeveralSplits()) {
      std::vector<std::string> reader_positions;
      for (const auto& [name, stop] : stops) {
        if (stop) reader_positions.push_back(*stop);
      }
      base::Status held = reader.StopSplitsAt(reader_positions);
      if (!held.ok()) {
        return base::Status::Error(
            held.code(),
            "source '" + node_->uid + "' cannot be held at the positions asked: " + held.message());
      }
      continue;
    }
    if (!reader.SupportsPosition()) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 "source '" + node_->uid + "' cannot be held at a position");
    }
    std::string here = reader.Position();
    auto stop = stops.find(here.substr(0, here.find('\n')));
    if (stop != stops.end() && !stop->second) {
      reader.ClearStop();  // it ended there: read it to its end
      continue;
    }
    base::Status held = reader.StopAt(stop == stops.end() ? here : *stop->second);
    if (!held.ok()) {
      return base::Status::Error(
          held.code(),
          "source '" + node_->uid + "' cannot be held at the position asked: " + held.message());
    }
  }
  return base::Status::Ok();
}

void TableSourceOperator::ReleaseHold() {
  for (Split& split : splits_) split.reader->ClearStop();
}

bool TableSourceOperator::AtHold() const {
  for (const Split& split : splits_) {
    if (!split.reader->AtStop()) return false;
  }
  return true;
}

base::Result<bool> TableSourceOperator::Poll(Output* out) {
  if (finished_) return false;
  // One batch from the next split that has one; a split that is exhausted leaves the set.
  for (size_t tries = splits_.size(); tries > 0 && !splits_.empty(); --tries) {
    size_t index = next_split_ % splits_.size();
    next_split_ = index + 1;
    Split& split = splits_[index];
    auto batch = std::make_shared<Batch>(physical_types_);
    SLUICE_ASSIGN_OR_RETURN(bool more, split.reader->Next(batch.get()));
    if (split.reader->ReadsSeveralSplits()) {
      SyncClocks(&split);
      // A split that has not had a record yet starts its idleness clock at its first poll.
      const int64_t now = NowMillis();
      for (auto& [name, clock] : split.clocks) {
        if (clock.last_record_millis == 0) clock.last_record_millis = now;
      }
    }
    bool emitted = batch->row_count() > 0;
    if (emitted) {
      BatchPtr full = batch;
      if (computed_columns_) {
        SLUICE_ASSIGN_OR_RETURN(full, computed_columns_->Evaluate(*batch));
      }
      metrics_->rows_in.fetch_add(full->row_count(), std::memory_order_relaxed);
      if (split.reader->ReadsSeveralSplits()) {
        SyncClocks(&split);
        auto clock = split.clocks.find(split.reader->LastSplit());
        if (clock != split.clocks.end()) {
          clock->second.last_record_millis = NowMillis();
          if (watermark_) {
            SLUICE_ASSIGN_OR_RETURN(clock->second.watermark,
                                    MaxWatermark(*full, clock->second.watermark));
          }
        }
      } else if (watermark_) {
        SLUICE_ASSIGN_OR_RETURN(split.watermark, MaxWatermark(*full, split.watermark));
      }
      SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(full)));
    }
    SLUICE_RETURN_IF_ERROR(EmitWatermark(out));
    if (!more) {
      if (split.reader->ReadsSeveralSplits()) {
        for (std::string& position : ClockPositions(split)) {
          finished_splits_.push_back(std::move(position));  // each knows it is finished
        }
      } else if (split.reader->SupportsPosition()) {
        finished_splits_.push_back(std::string(kFinishedSplit) + split.reader->Position());
      }
      splits_.erase(splits_.begin() + static_cast<std::ptrdiff_t>(index));
      next_split_ = index;
      SLUICE_RETURN_IF_ERROR(EmitWatermark(out));  // the others may be ahead
    }
    if (emitted || !more) break;
  }
  if (!splits_.empty()) return true;
  finished_ = true;
  if (bounded_) SLUICE_RETURN_IF_ERROR(out->EmitWatermark(kMaxWatermark));
  return false;
}

}  // namespace sluice::runtime::operators
