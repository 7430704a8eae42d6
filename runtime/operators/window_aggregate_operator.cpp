#include "runtime/operators/window_aggregate_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "runtime/operators/operator_state.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

using Wide = __int128;

constexpr Wide kMinTime = std::numeric_limits<int64_t>::min();
constexpr Wide kMaxTime = std::numeric_limits<int64_t>::max();

Wide FloorMod(Wide value, Wide divisor) {
  Wide remainder = value % divisor;
  return remainder < 0 ? remainder + divisor : remainder;
}

void AppendBigEndian(int64_t value, std::string* out) {
  auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(bits >> shift));
}

int64_t ReadBigEndian(std::string_view bytes) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<int64_t>(bits);
}

std::string SliceNamespace(int64_t slice_end) {
  std::string ns;
  AppendBigEndian(slice_end, &ns);
  return ns;
}

/// One session of one key: [start, end) and its accumulator.
struct Session {
  int64_t start;
  int64_t end;
  std::string accumulator;
};

/// The "sessions" value of one key: per session, start and end (8 bytes big-endian each), the
/// accumulator's length (4 bytes big-endian) and the accumulator; ordered by start.
std::string EncodeSessions(const std::vector<Session>& sessions) {
  std::string out;
  for (const Session& session : sessions) {
    AppendBigEndian(session.start, &out);
    AppendBigEndian(session.end, &out);
    auto length = static_cast<uint32_t>(session.accumulator.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(length >> shift));
    out.append(session.accumulator);
  }
  return out;
}

base::Result<std::vector<Session>> DecodeSessions(std::string_view bytes) {
  constexpr size_t kHeader = 20;
  std::vector<Session> sessions;
  while (!bytes.empty()) {
    uint32_t length = 0;
    if (bytes.size() >= kHeader) {
      for (size_t i = 16; i < kHeader; ++i) length = (length << 8) | static_cast<uint8_t>(bytes[i]);
    }
    if (bytes.size() < kHeader || bytes.size() - kHeader < length) {
      return base::Status::Error(base::ErrorCode::kData, "a stored session list is truncated");
    }
    sessions.push_back({ReadBigEndian(bytes.substr(0, 8)), ReadBigEndian(bytes.substr(8, 8)),
                        std::string(bytes.substr(kHeader, length))});
    bytes.remove_prefix(kHeader + length);
  }
  return sessions;
}

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "window aggregate '" + node.uid + "' is malformed: " + problem);
}

}  // namespace

base::Status WindowAggregateOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  metrics_ = context.metrics;
  max_parallelism_ = context.max_parallelism;
  if (!node_->aggregate || !node_->aggregate->window) return Malformed(*node_, "no window");
  const plan::AggregateSpec& spec = *node_->aggregate;
  window_ = *spec.window;
  clock_ = WindowClock(window_.time_zone);
  key_slots_ = spec.key_slots;
  if (window_.time_slot < 0) return Malformed(*node_, "no time column");
  if (window_.processing_time) {
    if (window_.kind == plan::WindowKind::kSession) {
      return Malformed(*node_, "SESSION windows cannot use processing time");
    }
    processing_time_ = context.processing_time;
    if (processing_time_ == nullptr) return Malformed(*node_, "no processing-time service");
  }
  switch (window_.kind) {
    case plan::WindowKind::kTumble:
      if (window_.size <= 0) return Malformed(*node_, "the window size must be positive");
      slice_size_ = window_.size;
      // A tumbling window is a hopping window whose slide is its size.
      window_.step = window_.size;
      break;
    case plan::WindowKind::kHop:
    case plan::WindowKind::kCumulate:
      if (window_.size <= 0 || window_.step <= 0 || window_.size % window_.step != 0) {
        return Malformed(*node_, fmt::format("the window size {} must be a positive multiple of "
                                             "the step {}",
                                             window_.size, window_.step));
      }
      slice_size_ = window_.step;
      break;
    case plan::WindowKind::kSession:
      if (window_.gap <= 0) return Malformed(*node_, "the session gap must be positive");
      break;
  }

  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  if (output_types_.size() != key_slots_.size() + 3 + spec.calls.size()) {
    return Malformed(
        *node_, fmt::format("{} output slots for {} keys and {} aggregates", output_types_.size(),
                            key_slots_.size(), spec.calls.size()));
  }
  for (const plan::AggregateCall& call : spec.calls) {
    // LAG reads its default's slot and is planned only OVER a window.
    if (call.kind == plan::AggregateKind::kLag) return Malformed(*node_, "LAG outside OVER");
  }
  std::vector<types::LogicalType> key_types(output_types_.begin(),
                                            output_types_.begin() + key_slots_.size());
  key_codec_ = std::make_unique<state::RowCodec>(std::move(key_types));
  aggregator_ = std::make_unique<aggregate::Aggregator>(spec.calls);
  SLUICE_RETURN_IF_ERROR(aggregator_->UseCompiler(context.accumulator_compiler));
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  const char* table_name = window_.kind == plan::WindowKind::kSession ? "sessions" : "slices";
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, table_name));
  SLUICE_ASSIGN_OR_RETURN(current_watermark_, watermark_state_.Open(context));
  return RebuildFromState(context);
}

base::Status WindowAggregateOperator::RebuildFromState(const OperatorContext& context) {
  if (window_.kind == plan::WindowKind::kSession) {
    std::vector<std::tuple<int32_t, std::string, std::string>> entries;
    ForEachOwnedEntry(context, *table_,
                      [&](int32_t key_group, std::string_view key, std::string_view,
                          std::string_view value) { entries.emplace_back(key_group, key, value); });
    for (const auto& [key_group, key, value] : entries) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<Session> sessions, DecodeSessions(value));
      for (const Session& session : sessions) {
        session_timers_.insert({session.end, key, key_group, session.start});
      }
    }
    return base::Status::Ok();
  }
  std::set<int64_t> slice_ends;
  ForEachOwnedEntry(context, *table_,
                    [&](int32_t, std::string_view, std::string_view ns, std::string_view) {
                      if (ns.size() == 8) slice_ends.insert(ReadBigEndian(ns));
                    });
  for (int64_t slice_end : slice_ends) {
    int64_t last = LastWindowEndOf(slice_end);
    slices_[slice_end] = last;
    // Windows at or behind the watermark have fired already (the slice is still needed by a
    // later one); only the others are pending.
    for (int64_t window_end = slice_end; window_end <= last; window_end += window_.step) {
      if (window_end - 1 > current_watermark_) pending_window_ends_.insert(window_end);
    }
  }
  if (processing_time_ != nullptr) RegisterWindowTimers();
  return base::Status::Ok();
}

int32_t WindowAggregateOperator::KeyGroup(const Batch& batch, int32_t row) const {
  return scheduler::KeyGroupOfRow(batch, key_slots_, row, max_parallelism_);
}

bool WindowAggregateOperator::SliceEndOf(int64_t time, int64_t* slice_end) const {
  Wide start = time - FloorMod(Wide{time} - window_.offset, slice_size_);
  Wide end = start + slice_size_;
  // The slice's windows start at most `size` before its end and end at most `size` after it;
  // every window bound must fit.
  if (end - window_.size < kMinTime || end + window_.size > kMaxTime) return false;
  *slice_end = static_cast<int64_t>(end);
  return true;
}

int64_t WindowAggregateOperator::LastWindowEndOf(int64_t slice_end) const {
  if (window_.kind == plan::WindowKind::kCumulate) return WindowStartOf(slice_end) + window_.size;
  return slice_end + window_.size - window_.step;
}

int64_t WindowAggregateOperator::WindowStartOf(int64_t window_end) const {
  if (window_.kind == plan::WindowKind::kCumulate) {
    // Every cumulating window of one cycle starts where the cycle starts.
    Wide last = Wide{window_end} - 1;
    return static_cast<int64_t>(last - FloorMod(last - window_.offset, window_.size));
  }
  return window_end - window_.size;
}

base::Status WindowAggregateOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (batch->row_count() == 0) return base::Status::Ok();
  if (static_cast<size_t>(window_.time_slot) >= batch->column_count() ||
      batch->column(window_.time_slot).type().id() != types::TypeId::kTimestamp) {
    return Malformed(*node_, fmt::format("input slot {} is not a TIMESTAMP", window_.time_slot));
  }
  if (window_.kind == plan::WindowKind::kSession) return AccumulateSessions(*batch);
  return AccumulateSlices(*batch);
}

base::Status WindowAggregateOperator::AccumulateSlices(const Batch& batch) {
  // Accumulate the batch into local copies of the touched slices, then store each once.
  struct Touched {
    int32_t key_group;
    std::string key;
    int64_t slice_end;
    std::string accumulator;
  };
  std::vector<Touched> touched;
  std::unordered_map<std::string, size_t> index;
  std::vector<int32_t> rows;        // the rows to fold in, in order
  std::vector<size_t> destination;  // per row, its entry in `touched`
  const Column& times = batch.column(window_.time_slot);
  // Processing time: the whole batch belongs to the clock's current windows, never to one
  // that has already fired.
  int64_t now = 0;
  if (processing_time_ != nullptr) {
    now = clock_.ToWall(processing_time_->CurrentTimeMillis());
    if (current_watermark_ < kMaxWatermark) now = std::max(now, current_watermark_ + 1);
  }
  int64_t late = 0;
  std::string key;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    if (processing_time_ == nullptr && times.IsNull(row)) continue;
    int64_t time = processing_time_ != nullptr ? now : clock_.ToWall(times.values<int64_t>()[row]);
    int64_t slice_end = 0;
    if (!SliceEndOf(time, &slice_end)) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("window aggregate '{}': event time {} is out of range", node_->uid, time));
    }
    if (slice_end - 1 <= current_watermark_ ||
        (processing_time_ == nullptr && watermark_state_.AnyAhead(current_watermark_) &&
         slice_end - 1 <=
             watermark_state_.KeyGroupWatermark(KeyGroup(batch, row), current_watermark_))) {
      ++late;
      continue;
    }
    key.clear();
    key_codec_->Encode(batch, key_slots_, row, &key);
    std::string composite = SliceNamespace(slice_end) + key;
    auto [found, inserted] = index.try_emplace(std::move(composite), touched.size());
    if (inserted) {
      Touched entry{KeyGroup(batch, row), key, slice_end, {}};
      if (!table_->Get(entry.key_group, entry.key, SliceNamespace(slice_end), &entry.accumulator)) {
        entry.accumulator = aggregator_->Initial();
      }
      touched.push_back(std::move(entry));
    }
    rows.push_back(row);
    destination.push_back(found->second);
  }
  // Fold the whole batch in at once (one kernel call with the JIT); `touched` no longer moves.
  std::vector<std::string*> accumulators;
  accumulators.reserve(rows.size());
  for (size_t entry : destination) accumulators.push_back(&touched[entry].accumulator);
  SLUICE_RETURN_IF_ERROR(aggregator_->AccumulateRows(
      batch, rows.data(), static_cast<int32_t>(rows.size()), accumulators.data(),
      /*follow_row_kinds=*/false));
  for (const Touched& entry : touched) {
    table_->Put(entry.key_group, entry.key, SliceNamespace(entry.slice_end), entry.accumulator);
    auto [slice, inserted] = slices_.try_emplace(entry.slice_end, 0);
    if (!inserted) continue;
    slice->second = LastWindowEndOf(entry.slice_end);
    for (int64_t window_end = entry.slice_end; window_end <= slice->second;
         window_end += window_.step) {
      pending_window_ends_.insert(window_end);
    }
  }
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  if (processing_time_ != nullptr) RegisterWindowTimers();
  return base::Status::Ok();
}

void WindowAggregateOperator::RegisterWindowTimers() {
  for (auto end = pending_window_ends_.upper_bound(last_registered_window_end_);
       end != pending_window_ends_.end(); ++end) {
    processing_time_->RegisterTimer(*end - 1);
    last_registered_window_end_ = *end;
  }
}

base::Status WindowAggregateOperator::AccumulateSessions(const Batch& batch) {
  const Column& times = batch.column(window_.time_slot);
  int64_t late = 0;
  std::string key;
  std::string stored;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    if (times.IsNull(row)) continue;
    int64_t time = clock_.ToWall(times.values<int64_t>()[row]);
    if (Wide{time} + window_.gap > kMaxTime) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("window aggregate '{}': event time {} is out of range", node_->uid, time));
    }
    key.clear();
    key_codec_->Encode(batch, key_slots_, row, &key);
    int32_t key_group = KeyGroup(batch, row);
    std::vector<Session> sessions;
    if (table_->Get(key_group, key, {}, &stored)) {
      SLUICE_ASSIGN_OR_RETURN(sessions, DecodeSessions(stored));
    }
    // A key's sessions never overlap or touch, so one pass finds every session the new window
    // [time, time + gap) joins (Flink's TimeWindow::intersects: touching windows merge too).
    Session merged{time, time + window_.gap, {}};
    std::vector<Session> kept;
    std::vector<Session> joined;  // ordered by start, as `sessions` is
    for (Session& session : sessions) {
      bool joins = session.start <= time + window_.gap && session.end >= time;
      if (joins) {
        merged.start = std::min(merged.start, session.start);
        merged.end = std::max(merged.end, session.end);
      }
      (joins ? joined : kept).push_back(std::move(session));
    }
    if (merged.end - 1 <= watermark_state_.KeyGroupWatermark(key_group, current_watermark_)) {
      ++late;
      continue;
    }
    merged.accumulator = joined.empty() ? aggregator_->Initial() : joined[0].accumulator;
    for (size_t i = 1; i < joined.size(); ++i) {
      SLUICE_RETURN_IF_ERROR(aggregator_->Merge(&merged.accumulator, joined[i].accumulator));
    }
    SLUICE_RETURN_IF_ERROR(aggregator_->AccumulateRows(batch, &row, 1, &merged.accumulator,
                                                       /*follow_row_kinds=*/false));
    for (const Session& session : joined) {
      session_timers_.erase({session.end, key, key_group, session.start});
    }
    session_timers_.insert({merged.end, key, key_group, merged.start});
    auto position = std::find_if(kept.begin(), kept.end(), [&](const Session& session) {
      return session.start > merged.start;
    });
    kept.insert(position, std::move(merged));
    table_->Put(key_group, key, {}, EncodeSessions(kept));
  }
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status WindowAggregateOperator::ProcessWatermark(int64_t watermark, Output* out) {
  if (processing_time_ != nullptr) {
    // Event time does not fire processing-time windows, except that a bounded input's end
    // fires them all (Flink may drop them; we do not lose data).
    if (watermark == kMaxWatermark) SLUICE_RETURN_IF_ERROR(FireProcessingTime(kMaxWatermark, out));
    return out->EmitWatermark(watermark);
  }
  // Windows work on their clock's wall times; the watermark passed on stays an instant.
  const int64_t wall = clock_.WatermarkToWall(watermark);
  if (wall <= current_watermark_) {
    return clock_.identity() ? base::Status::Ok() : out->EmitWatermark(watermark);
  }
  current_watermark_ = wall;
  watermark_state_.Store(wall);
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  if (window_.kind == plan::WindowKind::kSession) {
    SLUICE_RETURN_IF_ERROR(FireSessions(&writer));
  } else {
    SLUICE_RETURN_IF_ERROR(FireSlicedWindows(&writer));
  }
  SLUICE_RETURN_IF_ERROR(writer.Flush());
  return out->EmitWatermark(watermark);
}

base::Status WindowAggregateOperator::OnProcessingTime(int64_t now, Output* out) {
  if (processing_time_ == nullptr) return base::Status::Ok();
  return FireProcessingTime(clock_.WatermarkToWall(now), out);
}

base::Status WindowAggregateOperator::Finish(Output* out) {
  if (processing_time_ == nullptr) return base::Status::Ok();
  return FireProcessingTime(kMaxWatermark, out);
}

base::Status WindowAggregateOperator::FireProcessingTime(int64_t time, Output* out) {
  if (time <= current_watermark_) return base::Status::Ok();
  current_watermark_ = time;
  watermark_state_.Store(time);
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  SLUICE_RETURN_IF_ERROR(FireSlicedWindows(&writer));
  return writer.Flush();
}

base::Status WindowAggregateOperator::FireSlicedWindows(RowWriter* writer) {
  while (!pending_window_ends_.empty() && *pending_window_ends_.begin() - 1 <= current_watermark_) {
    int64_t window_end = *pending_window_ends_.begin();
    pending_window_ends_.erase(pending_window_ends_.begin());
    int64_t window_start = WindowStartOf(window_end);
    // The window's slices' entries, sorted by key (the output's order) and, per key, in slice
    // order (the order they merge in): one vector, no node per key.
    struct SliceEntry {
      std::string key;
      std::string accumulator;
    };
    std::vector<SliceEntry> entries;
    for (auto slice = slices_.upper_bound(window_start);
         slice != slices_.end() && slice->first <= window_end; ++slice) {
      table_->ForEachInNamespace(
          SliceNamespace(slice->first),
          [&](int32_t key_group, std::string_view key, std::string_view, std::string_view value) {
            // After a restore that merged key groups: this key group's window fired before.
            if (processing_time_ == nullptr &&
                window_end - 1 <= watermark_state_.RestoredWatermark(key_group)) {
              return;
            }
            entries.push_back({std::string(key), std::string(value)});
          });
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const SliceEntry& a, const SliceEntry& b) { return a.key < b.key; });
    for (size_t first = 0; first < entries.size();) {
      size_t end = first + 1;
      std::string& accumulator = entries[first].accumulator;
      for (; end < entries.size() && entries[end].key == entries[first].key; ++end) {
        SLUICE_RETURN_IF_ERROR(aggregator_->Merge(&accumulator, entries[end].accumulator));
      }
      SLUICE_RETURN_IF_ERROR(
          WriteRow(writer, entries[first].key, window_start, window_end, accumulator));
      first = end;
    }
    // Slices are freed in end order: a later slice is never needed by fewer windows.
    while (!slices_.empty() && slices_.begin()->second <= window_end) {
      table_->DeleteNamespace(SliceNamespace(slices_.begin()->first));
      slices_.erase(slices_.begin());
    }
  }
  return base::Status::Ok();
}

base::Status WindowAggregateOperator::FireSessions(RowWriter* writer) {
  std::string stored;
  while (!session_timers_.empty() &&
         std::get<0>(*session_timers_.begin()) - 1 <= current_watermark_) {
    auto [end, key, key_group, start] = *session_timers_.begin();
    session_timers_.erase(session_timers_.begin());
    if (!table_->Get(key_group, key, {}, &stored)) continue;
    SLUICE_ASSIGN_OR_RETURN(std::vector<Session> sessions, DecodeSessions(stored));
    auto fired = std::find_if(sessions.begin(), sessions.end(), [&](const Session& session) {
      return session.start == start && session.end == end;
    });
    if (fired == sessions.end()) continue;
    SLUICE_RETURN_IF_ERROR(WriteRow(writer, key, start, end, fired->accumulator));
    sessions.erase(fired);
    if (sessions.empty()) {
      table_->Delete(key_group, key, {});
    } else {
      table_->Put(key_group, key, {}, EncodeSessions(sessions));
    }
  }
  return base::Status::Ok();
}

base::Status WindowAggregateOperator::WriteRow(RowWriter* writer, std::string_view key,
                                               int64_t window_start, int64_t window_end,
                                               std::string_view accumulator) {
  SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow());
  auto [batch, row] = target;
  SLUICE_RETURN_IF_ERROR(key_codec_->Decode(key, batch, row, 0));
  size_t column = key_slots_.size();
  for (int64_t value : {window_start, window_end, clock_.ToInstant(window_end) - 1}) {
    batch->column(column).values<int64_t>()[row] = value;
    batch->column(column).validity()[row] = 1;
    ++column;
  }
  return aggregator_->WriteResults(accumulator, batch, row, column);
}

namespace {

class SessionMigration : public RecordMigration {
 public:
  SessionMigration(std::unique_ptr<aggregate::AccumulatorMigration> accumulators,
                   std::vector<plan::AggregateCall> new_calls, int64_t gap_change)
      : accumulators_(std::move(accumulators)),
        aggregator_(std::move(new_calls)),
        gap_change_(gap_change) {}
  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    SLUICE_ASSIGN_OR_RETURN(std::vector<Session> sessions, DecodeSessions(value));
    std::vector<Session> merged;
    for (Session& session : sessions) {
      if (!accumulators_->identity()) {
        std::string converted;
        SLUICE_RETURN_IF_ERROR(accumulators_->Convert(session.accumulator, &converted));
        session.accumulator = std::move(converted);
      }
      // end = last row + gap; the new end stays past the start (the gap is positive).
      session.end = std::max(session.end + gap_change_, session.start + 1);
    }
    std::sort(sessions.begin(), sessions.end(),
              [](const Session& a, const Session& b) { return a.start < b.start; });
    for (Session& session : sessions) {
      // Overlapping or touching sessions are one, as AccumulateSessions joins them.
      if (!merged.empty() && session.start <= merged.back().end) {
        Session& into = merged.back();
        into.end = std::max(into.end, session.end);
        SLUICE_RETURN_IF_ERROR(aggregator_.Merge(&into.accumulator, session.accumulator));
        continue;
      }
      merged.push_back(std::move(session));
    }
    *new_value = EncodeSessions(merged);
    return base::Status::Ok();
  }

 private:
  std::unique_ptr<aggregate::AccumulatorMigration> accumulators_;
  aggregate::Aggregator aggregator_;
  int64_t gap_change_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateSessions(
    std::unique_ptr<aggregate::AccumulatorMigration> accumulators,
    std::vector<plan::AggregateCall> new_calls, int64_t gap_change) {
  return std::make_unique<SessionMigration>(std::move(accumulators), std::move(new_calls),
                                            gap_change);
}

}  // namespace sluice::runtime::operators
