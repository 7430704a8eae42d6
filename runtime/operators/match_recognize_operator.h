#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/time_row_buffer.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Finds a row pattern in each partition key's rows, as Flink's MATCH_RECOGNIZE … ONE ROW PER
/// MATCH (MatchRecognizeSpec): rows are classified in time order (event time: once the
/// watermark passes them; processing time: as they arrive) by a Pike VM over the pattern's
/// program, every row starting a new partial match. A partial match whose program reaches
/// kMatch is complete; as in Flink's NFA, complete matches are emitted earliest start first,
/// each once no partial match that started before it remains, as the partition columns and
/// the measures; its AFTER MATCH SKIP strategy then discards the partial and complete matches
/// that start before its target row (past the last row, the row after the first, or the
/// first/last row of a variable). A greedy quantifier's exit is taken only by a row its body does
/// not accept (Flink's greedy semantics); a reluctant one tries its exit first and keeps its body
/// too. WITHIN t discards partial matches whose first row is more than t older than the next row.
///
/// State tables (keys: the RowCodec-encoded partition columns):
/// * "rows" (event time only): the rows waiting for the watermark, a TimeRowBuffer (its
///   layout there), sort keys by the ORDER BY keys after the time. Rows of one time are
///   matched in sort key order, ties in arrival order.
/// * "matches": empty namespace, value = the key's partial matches and the rows they hold,
///   all little-endian: u64 next row number, i64 earliest partial-match start time, u32 row
///   count, per row {u64 number, i64 time, u32 length, FullRowCodec bytes}; then the partial
///   matches and the complete ones waiting to be emitted, each list a u32 count and per match
///   {u64 first row number, i64 first row time, i32 program counter, u32 row count, i32
///   variable per row} (its rows are consecutive from the first). The earliest start time is
///   the partial matches' (for WITHIN). A key without matches has no entry.
/// * "watermark" (event time only): see WatermarkState.
///
/// Rows behind the watermark when they arrive are late: dropped and counted in
/// `late_records_dropped`, as rows with a NULL time. The watermark is forwarded after the
/// rows it completes (MATCH_ROWTIME() stays an event-time attribute).
///
/// Restore (what is state, what is rebuilt at Open): all of the above is state. `Open` rebuilds
/// which keys have rows due at which time (TimeRowBuffer::Open), and (with WITHIN) when
/// each key's oldest partial match expires from the "matches" values, in its owned key groups.
class MatchRecognizeOperator : public Operator {
 public:
  MatchRecognizeOperator();
  ~MatchRecognizeOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Classifies the rows due at `watermark`, expires partial matches, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  using KeyRef = TimeRowBuffer::KeyRef;
  struct Partition;
  struct Thread;
  struct Candidate {
    int32_t pc = 0;  // a kVariable instruction
    int32_t variable = 0;
    std::vector<size_t> blockers;  // candidates that, when accepted, exclude this one
  };
  struct Closure {
    std::vector<Candidate> candidates;
    bool matches = false;
  };
  using NewRow = TimeRowBuffer::Row;

  void BuildClosure(int32_t pc, std::vector<size_t> blockers, std::set<int32_t>* visited,
                    Closure* closure) const;
  base::Status LoadPartition(const KeyRef& key, Partition* partition);
  /// Fills the row expressions' slots of every decoded row of `partition`.
  base::Status ComputeRowExpressions(Partition* partition);
  void SavePartition(const KeyRef& key, const Partition& partition);
  /// Runs the rows of one key through its partial matches, emitting complete matches.
  base::Status ProcessKey(const KeyRef& key, std::vector<NewRow> rows, Output* out);
  base::Status Step(Partition* partition, int64_t time, Output* out);
  /// Emits the complete matches no earlier partial match holds back, applying AFTER MATCH SKIP.
  base::Status EmitReady(Partition* partition, Output* out);
  /// Evaluates the DEFINEs of each thread's candidate variables on the newest row.
  base::Status Classify(const Partition& partition,
                        std::vector<std::vector<bool>>* accepted_by_thread);
  /// Writes accessor values for a match (its rows' variables `variables`, from row
  /// `first_row`) into `batch` at `row`; `copy_strings`: CLASSIFIER()'s text into its arena.
  void FillAccessors(const std::vector<plan::MatchAccessor>& accessors, const Partition& partition,
                     uint64_t first_row, const std::vector<int32_t>& variables, Batch* batch,
                     int32_t row, bool copy_strings) const;
  base::Status EmitMatch(const Partition& partition, const Thread& match, Output* out);
  base::Status FlushMatches(Output* out);
  /// Discards partial matches that cannot complete within WITHIN once rows are after `time`.
  void Expire(Partition* partition, int64_t time) const;

  const plan::PlanNode* node_ = nullptr;
  plan::MatchRecognizeSpec spec_;
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  std::vector<types::LogicalType> input_types_;
  std::vector<types::LogicalType> row_types_;        // the input's, then the row expressions'
  std::unique_ptr<ChainEvaluator> row_expressions_;  // null without row expressions
  std::unique_ptr<state::RowCodec> key_codec_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  TimeRowBuffer rows_;  // event time: rows waiting for the watermark
  state::StateTable* matches_table_ = nullptr;
  std::vector<Closure> closures_;                         // per instruction
  std::vector<std::unique_ptr<ChainEvaluator>> defines_;  // per variable; null: always true
  std::vector<std::unique_ptr<Batch>> define_batches_;    // per variable: its accessor rows
  std::unique_ptr<ChainEvaluator> measures_;
  std::vector<types::LogicalType> measure_input_types_;
  std::unique_ptr<Batch> pending_matches_;
  int64_t watermark_ = kMinWatermark;
  WatermarkState watermark_state_;
  /// With WITHIN: the time from which a key's oldest partial match is expired → the keys.
  std::map<int64_t, std::set<KeyRef>> expiries_;
};

}  // namespace sluice::runtime::operators
