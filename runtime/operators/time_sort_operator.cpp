#include "runtime/operators/time_sort_operator.h"

#include <fmt/format.h>

#include "runtime/operators/row_writer.h"
#include "runtime/operators/sort_key.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "ORDER BY time sort '" + node.uid + "' is malformed: " + problem);
}

// Processing time: every waiting row is under this time, so that a tick sorts them all together.
constexpr int64_t kProcessingTimeRows = 0;

}  // namespace

base::Status TimeSortOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->time_sort) return Malformed(*node_, "no time_sort spec");
  spec_ = *node_->time_sort;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  const plan::StateSpec* rows_spec = nullptr;
  for (const plan::StateSpec& state : node_->state) {
    if (state.name == "rows") rows_spec = &state;
  }
  if (rows_spec == nullptr) return Malformed(*node_, "no \"rows\" state");
  input_types_ = types::SlotTypes(rows_spec->value_schema);
  if (!(input_types_ == types::SlotTypes(node_->output_schema))) {
    return Malformed(*node_, "the output does not have the input's types");
  }
  const auto slots = static_cast<int32_t>(input_types_.size());
  if (spec_.time_slot < 0 || spec_.time_slot >= slots ||
      input_types_[spec_.time_slot].id() != types::TypeId::kTimestamp) {
    return Malformed(*node_, "the time slot is not a TIMESTAMP slot");
  }
  for (const plan::SortKey& key : spec_.order_keys) {
    if (key.slot < 0 || key.slot >= slots || input_types_[key.slot].id() == types::TypeId::kRow) {
      return Malformed(*node_, "an ORDER BY slot is out of range");
    }
  }
  row_codec_ = std::make_unique<state::FullRowCodec>(input_types_);
  SLUICE_ASSIGN_OR_RETURN(auto* rows_table, context.state_backend->GetTable(node_->uid, "rows"));
  rows_.Open(context, rows_table);
  if (spec_.event_time) {
    SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
    return base::Status::Ok();
  }
  processing_time_ = context.processing_time;
  if (processing_time_ == nullptr) return Malformed(*node_, "no processing-time service");
  // Timers are not state: rows restored waiting are emitted at the first tick.
  if (rows_.EarliestTime()) processing_time_->RegisterTimer(processing_time_->CurrentTimeMillis());
  return base::Status::Ok();
}

base::Status TimeSortOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0) return Malformed(*node_, fmt::format("no input {}", input));
  if (batch->column_count() != input_types_.size()) {
    return Malformed(*node_, fmt::format("the input has {} columns, not {}", batch->column_count(),
                                         input_types_.size()));
  }
  if (batch->row_count() == 0) return base::Status::Ok();
  // The empty key: every row is in the key group of the empty key.
  const int32_t key_group = scheduler::KeyGroupOfRow(*batch, {}, 0, max_parallelism_);
  const Column& times = batch->column(spec_.time_slot);
  int64_t late = 0;
  std::string row_bytes, sort_key;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    int64_t time = kProcessingTimeRows;
    if (spec_.event_time) {
      if (times.IsNull(row)) {
        ++late;
        continue;
      }
      time = times.values<int64_t>()[row];
      if (time <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
        ++late;
        continue;
      }
    }
    row_bytes.clear();
    row_codec_->Encode(*batch, row, &row_bytes);
    sort_key.clear();
    if (!spec_.order_keys.empty()) AppendSortKey(*batch, row, spec_.order_keys, &sort_key);
    rows_.Add(key_group, {}, time, sort_key, row_bytes);
  }
  if (!spec_.event_time) {
    // Flink's ProcTimeSortOperator: the rows are sorted at the next millisecond.
    processing_time_->RegisterTimer(processing_time_->CurrentTimeMillis() + 1);
  }
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status TimeSortOperator::EmitUntil(int64_t time, Output* out) {
  RowWriter writer(&input_types_, /*row_kinds=*/false, out);
  SLUICE_RETURN_IF_ERROR(rows_.TakeUntil(
      time, [&](const TimeRowBuffer::KeyRef&, std::vector<TimeRowBuffer::Row> rows) {
        for (const TimeRowBuffer::Row& row : rows) {
          SLUICE_ASSIGN_OR_RETURN(auto target, writer.NextRow());
          SLUICE_RETURN_IF_ERROR(row_codec_->Decode(row.bytes, target.first, target.second, 0));
        }
        return base::Status::Ok();
      }));
  return writer.Flush();
}

base::Status TimeSortOperator::ProcessWatermark(int64_t watermark, Output* out) {
  if (!spec_.event_time) return out->EmitWatermark(watermark);
  if (watermark <= watermark_) return base::Status::Ok();
  watermark_ = watermark;
  watermark_state_.Store(watermark);
  SLUICE_RETURN_IF_ERROR(EmitUntil(watermark, out));
  return out->EmitWatermark(watermark);
}

base::Status TimeSortOperator::OnProcessingTime(int64_t now, Output* out) {
  if (spec_.event_time) return base::Status::Ok();
  return EmitUntil(kMaxWatermark, out);
}

base::Status TimeSortOperator::Finish(Output* out) {
  if (spec_.event_time) return base::Status::Ok();
  return EmitUntil(kMaxWatermark, out);
}

}  // namespace sluice::runtime::operators
