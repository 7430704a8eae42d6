#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/window_clock.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Window Top-N and window deduplication (Flink's WindowRank / WindowDeduplicate): ranks the
/// rows of each partition of an insert-only input whose partition includes a window's
/// window_start and window_end (PlanNode::top_n, `window_end_slot`), once per window, when
/// the watermark passes window_end - 1. Then it emits, insert-only, the rows whose ROW_NUMBER,
/// RANK or DENSE_RANK is at most `limit` in rank order (ties by arrival: an earlier row ranks
/// first), each followed by its rank when `emit_row_number` is set, and frees the window.
///
/// State table "rows": key = RowCodec-encoded partition slots, namespace = the window end
/// (8 bytes big-endian), value = the window's rows of that partition in arrival order, each a
/// 4-byte little-endian length and the FullRowCodec-encoded row. A row whose window has fired
/// already is dropped and counted in `late_records_dropped`; a row with a NULL window_end is
/// dropped uncounted. Watermarks are forwarded after the windows they fire.
///
/// Restore (what is state, what is rebuilt at Open): the buffered rows ("rows") and the
/// watermark (table "watermark", see WatermarkState) are state. `Open` rebuilds the pending
/// window ends from the namespaces stored in the owned key groups.
class WindowRankOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Ranks and frees every window whose end - 1 <= `watermark`, in end order, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  base::Status FireWindow(int64_t window_end, class RowWriter* writer);

  const plan::PlanNode* node_ = nullptr;
  plan::TopNSpec spec_;
  WindowClock clock_;  // the clock of the windows ranked
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  std::vector<types::LogicalType> input_types_;
  std::vector<types::LogicalType> output_types_;
  std::unique_ptr<state::RowCodec> key_codec_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  state::StateTable* table_ = nullptr;
  int64_t watermark_ = kMinWatermark;
  std::set<int64_t> pending_window_ends_;
  WatermarkState watermark_state_;
};

}  // namespace sluice::runtime::operators
