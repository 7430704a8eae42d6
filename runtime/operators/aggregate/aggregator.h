#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"
#include "runtime/operators/aggregate/accumulator_compiler.h"
#include "runtime/operators/aggregate/call_layout.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators::aggregate {

/// Keeps the accumulators of one group (or one window slice of one group) for a list of
/// aggregate calls, as one byte string that can live in a StateTable.
///
/// Semantics (Flink's): COUNT(*) and COUNT(x) → BIGINT, counting rows / non-NULL x;
/// SUM → the argument type for INT, BIGINT, DOUBLE (DECIMAL(p, s) → DECIMAL(38, s)), NULL
/// when no non-NULL value was summed; AVG → the argument type (integer AVG truncates toward
/// zero; DECIMAL(p, s) → DECIMAL(38, max(6, s)), rounded half up), NULL when empty; MIN/MAX → the
/// argument type (any comparable type, strings bytewise), NULL when empty; DISTINCT counts/sums
/// each value once; FILTER (WHERE f) skips rows where the filter slot is not TRUE. With
/// `retractable`, MIN, MAX and DISTINCT keep a count per value so a retraction (-U/-D) can take a
/// value out again.
///
/// Choices the contract left open:
/// * MIN/MAX ignore DISTINCT. DISTINCT keeps a value → count map whether or not the call is
///   retractable, so DISTINCT calls always accept retractions.
/// * A retraction never drives a count below zero: retracting from a call (or a group) whose
///   count is already 0, or a value that is not in a value → count map, changes nothing for
///   that call. A retraction reaching a non-retractable MIN/MAX is a planner bug: Accumulate
///   returns kInternal and leaves the accumulator unchanged.
/// * SUM/AVG over DECIMAL keep an exact int128 sum; a result that does not fit its DECIMAL(38, _)
///   is NULL (SEMANTICS.md: DECIMAL overflows to NULL). Integer SUM/AVG wrap (int64 sum;
///   SUM(INT) keeps the low 32 bits).
/// * DOUBLE MIN/MAX/DISTINCT compare as Java's Double.compare and normalize -0.0 to 0.0 and
///   every NaN to one NaN, so MIN(-0.0) is 0.0. A DOUBLE SUM/AVG that becomes NaN stores the
///   same canonical NaN: IEEE leaves a NaN's sign and payload to the order of the operands,
///   which compilers may swap, and the bytes must not depend on the code path.
/// * SUM/AVG(DISTINCT) sum the distinct values at WriteResults, in ascending value order.
/// * Merge also works for retractable accumulators (value → count maps add).
/// * Corrupt accumulator bytes give a kData Status, never an out-of-bounds read.
/// * Unsupported calls (SUM/AVG over a non-numeric type) make Accumulate, Merge and
///   WriteResults return kPlan.
///
/// Accumulator bytes (little-endian, no padding, updated in place):
///   [int64 row count][one fixed slot per call][one section per call that needs one]
/// Fixed slots: COUNT int64 count; SUM/AVG over INT/BIGINT/INTERVAL int64 wrapping sum +
/// int64 count; over DECIMAL int128 sum + int64 count; over DOUBLE double sum + int64 count;
/// MIN/MAX u8 has_value + int64 key (VARCHAR: u8 has_value only); value → count calls none.
/// Sections: u32 payload length + payload: the current VARCHAR extreme's bytes, or a
/// ValueCounts multiset (value_counts.h: sorted pairs, or for a large fixed-width set a sorted
/// run, a short sorted tail and free room, so that a new value neither shifts the set nor
/// moves the sections after it; COUNT(DISTINCT) reads the set's stored size).
/// Keys of fixed-width types are int64 (BOOLEAN 0/1, INT widened,
/// DOUBLE bits mapped so that int64 order is Double.compare order).
///
/// With UseCompiler, AccumulateRows and Merge run generated kernels for the calls whose state
/// is a fixed slot (IsFixedSlotCall) and the interpreter for the others, on the same bytes:
/// an accumulator written by either path reads the same in both.
class Aggregator {
 public:
  explicit Aggregator(std::vector<plan::AggregateCall> calls);

  /// The accumulator of an empty group.
  std::string Initial() const;
  /// Folds row `row` of `input` into `accumulator`, or takes it out when `retract` is set.
  base::Status Accumulate(std::string* accumulator, const Batch& input, int32_t row,
                          bool retract) const;
  /// Merges accumulator `other` into `accumulator` (window slices into windows): counts and
  /// sums add, extremes combine, value → count maps add (so retractable ones merge too).
  base::Status Merge(std::string* accumulator, std::string_view other) const;
  /// Writes each call's result into `out` at `row`, columns [first_column, first_column + n).
  base::Status WriteResults(std::string_view accumulator, Batch* out, int32_t row,
                            size_t first_column) const;
  /// Rows accumulated minus rows retracted: a group whose count drops to 0 is gone.
  int64_t RowCount(std::string_view accumulator) const;

  /// Compiles update and merge kernels with `compiler` (once per Aggregator) and uses them
  /// in AccumulateRows and Merge from now on. Does nothing when no call can be compiled.
  base::Status UseCompiler(AccumulatorCompiler* compiler);
  /// Tells whether UseCompiler attached kernels.
  bool compiled() const { return compiled_ != nullptr; }

  /// Folds row rows[i] of `input` into *accumulators[i] for each i < count, in order, as
  /// Accumulate would row by row (with kernels once UseCompiler attached them). Rows of one
  /// group share an accumulator. When `follow_row_kinds` is set, -U/-D rows retract;
  /// otherwise every row is accumulated. Not thread-safe: uses scratch space of this object.
  base::Status AccumulateRows(const Batch& input, const int32_t* rows, int32_t count,
                              std::string* const* accumulators, bool follow_row_kinds);
  /// The same, every row folding into `accumulator`.
  base::Status AccumulateRows(const Batch& input, const int32_t* rows, int32_t count,
                              std::string* accumulator, bool follow_row_kinds);

  const std::vector<plan::AggregateCall>& calls() const { return calls_; }

 private:
  /// AccumulateRows over accumulators[i * step].
  base::Status AccumulateRowsWith(const Batch& input, const int32_t* rows, int32_t count,
                                  std::string* const* accumulators, size_t step,
                                  bool follow_row_kinds);
  /// Accumulate without the checks; with `interpreted_only`, leaves the row count and the
  /// compiled calls to the kernels.
  base::Status AccumulateChecked(std::string* accumulator, const Batch& input, int32_t row,
                                 bool retract, bool interpreted_only) const;
  /// FIRST_VALUE, LAST_VALUE, LISTAGG: adds a value to (or takes it out of) the call's list.
  base::Status AccumulateList(std::string* accumulator, size_t call, const Column& argument,
                              int32_t row, bool retract) const;
  /// LAG: keeps the row's value (NULL too) and default.
  base::Status AccumulateLag(std::string* accumulator, size_t call, const Batch& input,
                             int32_t row) const;
  /// Writes a FIRST_VALUE, LAST_VALUE or LISTAGG result from the call's list.
  void WriteList(std::string_view payload, plan::AggregateKind kind, const std::string& separator,
                 Batch* out, Column* column, int32_t row) const;
  static base::Status Corrupt();
  static base::Status RetractedExtreme();
  /// Tells whether the batch's columns have the types the compiled calls were generated for.
  base::Status CheckCompiledColumns(const Batch& input) const;
  /// Finds the section `index` (its u32 length prefix); false when the bytes are corrupt.
  bool FindSection(std::string_view accumulator, int32_t index, size_t* position) const;
  /// Tells whether `accumulator` is well-formed, down to every section's payload.
  bool Valid(std::string_view accumulator) const;
  /// Merges valid accumulators; with `interpreted_only`, leaves the row count and the
  /// compiled calls to the merge kernel.
  base::Status MergeValid(std::string* accumulator, std::string_view other,
                          bool interpreted_only) const;
  bool Interpreted(size_t call) const { return compiled_ == nullptr || !compiled_mask_[call]; }

  std::vector<plan::AggregateCall> calls_;
  std::vector<CallLayout> layouts_;
  size_t fixed_size_ = 8;
  int32_t section_count_ = 0;
  bool has_non_retractable_extreme_ = false;
  std::string initial_;
  base::Status unsupported_;

  std::shared_ptr<CompiledAccumulators> compiled_;
  std::vector<bool> compiled_mask_;  // per call: the kernels handle it
  bool has_interpreted_calls_ = true;
  std::vector<SluiceKernelColumn> kernel_columns_;  // scratch for AccumulateRows
  std::vector<char*> kernel_accumulators_;          // scratch for AccumulateRows
};

}  // namespace sluice::runtime::operators::aggregate
