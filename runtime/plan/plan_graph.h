#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/schema.h"
#include "runtime/connectors/connector.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::plan {

/// The physical operator kinds a PlanGraph may hold.
enum class OperatorKind : uint8_t {
  kSource,               // reads a table, computes its computed columns, assigns watermarks
  kCalc,                 // a fused stateless chain: filter + projections
  kSink,                 // writes a table
  kUnion,                // UNION ALL: forwards every input unchanged
  kWindowAggregate,      // GROUP BY keys + a window TVF's window: fires on the watermark
  kGroupAggregate,       // unbounded GROUP BY: emits a changelog
  kJoin,                 // regular (unbounded) equi-join of two inputs
  kTopN,                 // ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) … WHERE rn <= N
  kLookupJoin,           // JOIN t FOR SYSTEM_TIME AS OF proctime: probes a bounded table per row
  kIntervalJoin,         // equi-join whose rows' event times are bounded relative to each other
  kWindowJoin,           // equi-join of two window TVFs per window: fires on the watermark
  kOverAggregate,        // aggregate calls OVER (PARTITION BY … ORDER BY … ROWS|RANGE …)
  kChangelogNormalize,   // an upsert stream (no -U, deletes by key) made a full changelog
  kSetOperation,         // INTERSECT / EXCEPT [ALL] of two inputs, keyed by the whole row
  kWindowTableFunction,  // a window TVF's rows: each input row once per window, no state
  kWindowRank,           // Top-N / deduplication per window: fires on the watermark
  kExpand,               // GROUPING SETS: each input row once per grouping set, no state
  kUnnest,               // CROSS / LEFT JOIN UNNEST(collection): a row per element, no state
  kTemporalJoin,         // JOIN v FOR SYSTEM_TIME AS OF rowtime: a versioned table's versions
  kMatchRecognize,       // MATCH_RECOGNIZE: row pattern matching per partition key
  kTimeSort,             // ORDER BY an ascending time attribute: rows released in time order
};

enum class ExchangeKind : uint8_t { kForward, kHash, kBroadcast, kRebalance };

enum class ChangelogMode : uint8_t { kInsertOnly, kUpdating };

/// What a state entry's namespace holds: nothing, a window (its end), or an event time (the
/// rows of an interval join kept until the watermark passes that time).
enum class StateNamespace : uint8_t { kNone, kWindow, kTime };

/// Describes one piece of keyed state an operator keeps (DESIGN §3).
struct StateSpec {
  std::string name;
  types::Schema key_schema;
  StateNamespace state_namespace = StateNamespace::kNone;
  types::Schema value_schema;
  int64_t ttl_millis = 0;  // 0 = no TTL
};

/// The state table in which a time-driven operator (window aggregate, window and interval
/// join, event-time OVER) keeps its watermark: one entry per key group it owns (empty key and
/// namespace, the watermark as 8 bytes big-endian), so that a restore at any parallelism
/// knows which windows have fired (runtime/operators/operator_state.h: WatermarkState).
inline constexpr const char* kWatermarkStateName = "watermark";
inline StateSpec WatermarkStateSpec() {
  StateSpec spec;
  spec.name = kWatermarkStateName;
  spec.value_schema.columns.push_back({"watermark", types::LogicalType::Timestamp()});
  return spec;
}

/// An aggregate function (Flink's return types; see runtime/operators/aggregate/).
enum class AggregateKind : uint8_t {
  kCountStar,
  kCount,
  kSum,
  kMin,
  kMax,
  kAvg,
  kStddevPop,
  kStddevSamp,  // also STDDEV
  kVarPop,
  kVarSamp,  // also VARIANCE
  kBoolAnd,
  kBoolOr,
  kFirstValue,
  kLastValue,
  kListAgg,
  kLag,       // OVER only
  kCollect,   // a MULTISET of the non-NULL values
  kArrayAgg,  // an ARRAY of the values (NULLs too), in arrival order
};

/// One aggregate call of an aggregation node. Slots refer to the node's input.
struct AggregateCall {
  AggregateKind kind = AggregateKind::kCountStar;
  int32_t argument_slot = -1;  // -1 for COUNT(*)
  types::LogicalType argument_type;
  types::LogicalType result_type;
  bool distinct = false;
  int32_t filter_slot = -1;  // a BOOLEAN input slot: FILTER (WHERE ...); -1 = none
  /// The input may retract rows (-U/-D): MIN, MAX and DISTINCT keep every value they saw.
  bool retractable = false;
  /// LISTAGG: the separator (a string literal; "," when not given).
  std::string separator = ",";
  /// LAG: how many rows back (a literal >= 0), and the input slot of the value to return
  /// when there is no such row (-1: NULL).
  int64_t offset = 1;
  int32_t default_slot = -1;
};

enum class WindowKind : uint8_t { kTumble, kHop, kCumulate, kSession };

/// A window TVF's windows. Sizes in milliseconds; `time_slot` is the input's rowtime slot.
struct WindowSpec {
  WindowKind kind = WindowKind::kTumble;
  int32_t time_slot = -1;
  int64_t size = 0;    // TUMBLE size, HOP size, CUMULATE max size
  int64_t step = 0;    // HOP slide, CUMULATE step
  int64_t gap = 0;     // SESSION gap
  int64_t offset = 0;  // window alignment offset
  /// Windows of the wall clock at which the operator processes each row (a `PROCTIME()`
  /// descriptor) instead of the rows' event time; they fire when the clock passes their end,
  /// and every open one fires at the end of a bounded input. Never SESSION.
  bool processing_time = false;
  /// Empty when the time attribute is a TIMESTAMP (its values are wall times); the session
  /// time zone when it is a TIMESTAMP_LTZ, whose windows follow that zone's wall clock
  /// (operators/window_clock.h); window_time is then a TIMESTAMP_LTZ.
  std::string time_zone = {};
};

/// A (window) aggregation. Output columns: the keys (in key_slots order), then for a window
/// aggregate window_start, window_end, window_time (TIMESTAMP(3)), then one per call.
struct AggregateSpec {
  std::vector<int32_t> key_slots;  // top-level, non-ROW input slots
  std::vector<AggregateCall> calls;
  std::optional<WindowSpec> window;  // set for kWindowAggregate
};

/// kSemi and kAnti (regular and window joins) keep the left rows that have a match (semi: `IN`,
/// `EXISTS`) or none (anti: `NOT IN`, `NOT EXISTS`); their output is the left columns only.
/// kRight is a window join's only: a regular RIGHT join is planned as the LEFT join of the
/// swapped sides, while a window join keeps its sides (and their state) in place.
enum class JoinType : uint8_t { kInner, kLeft, kFull, kSemi, kAnti, kRight };

/// A regular join. Input 0 is the left side, input 1 the right side; both are hashed by
/// their key slots (no key slots: every row goes to one key group). Output columns: every left
/// column, then every right column (right columns NULL for an unmatched left row of a LEFT or
/// FULL join, left columns NULL for an unmatched right row of a FULL join); a semi or anti
/// join outputs the left columns only.
/// When a kept row of a regular join can no longer match: once the watermark reaches the
/// row's TIMESTAMP `slot` plus `offset` milliseconds. The join's condition bounds an event time
/// of the other side (a time attribute, or the window_end of a window aggregation, never behind
/// the watermark when its row arrives) by that value, so no row still to come can match. With
/// several, the earliest; a NULL one is ignored.
struct RowExpiry {
  int32_t slot = -1;
  int64_t offset = 0;
};

struct JoinSpec {
  JoinType type = JoinType::kInner;
  std::vector<int32_t> left_key_slots;
  std::vector<int32_t> right_key_slots;
  /// Non-equi conditions over the output slots (left slots, then right slots); may be null.
  ExprPtr residual;
  /// Milliseconds a row stays in state after it was last touched; 0 = forever
  /// (`table.exec.state.ttl`).
  int64_t state_ttl = 0;
  /// When the keys include both sides' window_end (a join of window aggregations' results):
  /// the slot of each side's window_end. Once the watermark passes window_end - 1 no more
  /// rows of that window can arrive, so its state is dropped. -1 = no such keys.
  int32_t left_window_end_slot = -1;
  int32_t right_window_end_slot = -1;
  /// The LEFT join of a scalar subquery: the right side may hold at most one row per key (all
  /// rows without keys), and a second one fails the job, as Flink's SINGLE_VALUE aggregate
  /// does. Its state is a regular join's.
  bool single_right_row = false;
  /// A regular join of insert-only inputs whose condition bounds one side's event time by a
  /// column of the other side's row (`b.t BETWEEN a.t AND a.expires`): when a kept row of a
  /// side can no longer match (see RowExpiry), it is freed. Empty: kept for ever.
  std::vector<RowExpiry> left_expiry;
  std::vector<RowExpiry> right_expiry;
};

/// A processing-time lookup join (`JOIN t FOR SYSTEM_TIME AS OF s.p_time`): every subtask
/// reads the bounded table `table` whole when it opens and joins each row of its one input
/// (forward-connected, any changelog mode) with the table rows of equal keys. Output columns:
/// every input column, then the first `table_output_slots` slots of the table row (NULL for
/// an unmatched input row of a LEFT join). No StateSpec: the table is re-read on restore.
struct LookupJoinSpec {
  JoinType type = JoinType::kInner;
  /// The lookup table as its connector reads it (physical columns and options).
  connectors::TableDescriptor table;
  /// Over the table's physical slots: a filter (ON conditions on the table alone) and the
  /// projections: the table's columns as the join outputs them (computed columns included),
  /// then the join keys that are not plain columns. Absent: the physical row as read.
  std::optional<ChainSpec> table_chain;
  int32_t table_output_slots = 0;
  std::vector<int32_t> left_key_slots;   // slots of the input
  std::vector<int32_t> table_key_slots;  // slots of the table row (after table_chain)
  /// Conditions over the output slots (input slots, then table slots); may be null.
  ExprPtr residual;
};

/// An interval join's time bounds (with PlanNode::join for the type, keys and residual): a left
/// row at time l matches right rows at time r with l + lower <= r <= l + upper (milliseconds,
/// inclusive: an exclusive bound as written is stored one millisecond tighter). Time slots are
/// the sides' event-time attributes, within each side's input.
struct IntervalJoinSpec {
  int32_t left_time_slot = -1;
  int32_t right_time_slot = -1;
  int64_t lower = 0;
  int64_t upper = 0;
};

/// A window join (with PlanNode::join for the type, keys and residual): both inputs' rows are
/// assigned to `window`'s windows by their time slot (`window.time_slot` is unused), joined per
/// window when it ends. Output columns: the left input's, then its window_start, window_end,
/// window_time, then the right input's and its three window columns (all NULL for the side an
/// unmatched row of a LEFT, RIGHT or FULL join lacks); a SEMI or ANTI join outputs the left
/// input's columns and its three window columns only, and may have no keys.
struct WindowJoinSpec {
  WindowSpec window;
  int32_t left_time_slot = -1;
  int32_t right_time_slot = -1;
};

/// An event-time temporal join (with PlanNode::join for the type, INNER or LEFT, the keys and
/// the residual): each row of the insert-only left input joins the version of the right
/// input's key (a versioned table: its PRIMARY KEY is among the keys) valid at the left row's
/// event time, emitted once the watermark reaches that time. Time slots are the sides' event-time
/// attributes, within each side's input. Output columns: the left input's, then the right's.
struct TemporalJoinSpec {
  int32_t left_time_slot = -1;
  int32_t right_time_slot = -1;
};

/// One ORDER BY key of a Top-N.
struct SortKey {
  int32_t slot = 0;
  bool ascending = true;
  bool nulls_first = true;  // SQL default: NULLS FIRST for ASC, NULLS LAST for DESC
};

/// How a Top-N numbers its rows (Flink's ROW_NUMBER, RANK, DENSE_RANK).
enum class RankFunction : uint8_t {
  kRowNumber,  // 1, 2, 3, …: ties ranked by arrival
  kRank,       // ties share a rank; the next distinct value skips (1, 1, 3)
  kDenseRank,  // ties share a rank; ranks count distinct sort values (1, 1, 2)
};

/// The N first rows of each partition by the sort keys (ties broken by arrival: an earlier
/// row ranks first). Output: the input columns, then the row number (BIGINT) when
/// `emit_row_number` is set. With RANK / DENSE_RANK, `limit` bounds the rank, so a
/// partition keeps every row whose rank is <= limit (more than `limit` rows with ties).
struct TopNSpec {
  std::vector<int32_t> partition_slots;
  std::vector<SortKey> sort;
  int64_t limit = 1;
  bool emit_row_number = false;
  /// Over an insert-only input, limit 1 ordered by a time attribute ascending (Flink's
  /// keep-first dedup) or any limit in arrival order (no sort keys: a LIMIT without ORDER BY):
  /// the first rows of a partition never change, so the output is insert-only.
  bool keep_first_only = false;
  /// Rows of equal sort keys rank newest first (else in arrival order): ordered by a
  /// processing-time attribute descending, where rows of one batch share their time, a row
  /// ranks above every row before it (Flink's keep-last-row deduplication replaces the row).
  bool newest_first_on_ties = false;
  RankFunction function = RankFunction::kRowNumber;
  /// kWindowRank: the input slot of the window_end the partition includes. Each window's rows
  /// are ranked once, when the watermark passes window_end - 1 (Flink's window Top-N).
  int32_t window_end_slot = -1;
  /// kWindowRank: the window's time zone (WindowSpec::time_zone): its window_end is a wall time
  /// of that zone's clock, to which the operator converts each watermark.
  std::string window_time_zone = {};
};

enum class OverFrameUnit : uint8_t { kRows, kRange };

/// Aggregate calls OVER (PARTITION BY … ORDER BY o ASC {ROWS|RANGE} BETWEEN … AND CURRENT
/// ROW). Output: the input columns, then one column per call (see OverAggregateOperator).
struct OverAggregateSpec {
  std::vector<int32_t> partition_slots;
  int32_t order_slot = -1;  // event time: the time attribute; changelog mode: any sort key
  OverFrameUnit unit = OverFrameUnit::kRange;
  /// Rows (ROWS) or milliseconds (RANGE) before the current row; -1 = UNBOUNDED PRECEDING.
  int64_t preceding = -1;
  std::vector<AggregateCall> calls;  // argument slots refer to the input
  /// The input is updating (Flink rejects this): a ROWS frame over rows kept sorted by
  /// `order_slot`, emitting a changelog of every output row whose frame changed.
  bool changelog = false;
  /// Ordered by a processing-time attribute (PROCTIME()): each row is processed as it arrives,
  /// in arrival order, with the time it was given (Flink's processing-time OVER); no row is
  /// late and nothing waits for a watermark.
  bool processing_time = false;
};
/// Turns an upsert stream (an `upsert-kafka` source: +I/+U carry a key's latest row, -D only
/// its key, no -U) into a full changelog keyed by the table's PRIMARY KEY, as Flink's
/// ChangelogNormalize: the first row of a key is +I, a later one -U(previous) +U(row), a delete
/// -D(previous), a delete of an absent key nothing. Output columns = input columns.
struct ChangelogNormalizeSpec {
  std::vector<int32_t> key_slots;  // the PRIMARY KEY's slots, top-level and scalar
};

/// What one slot of a MATCH_RECOGNIZE expression's row reads from a (partial) match.
/// "The rows of v" are the rows mapped to variable v so far (every row of the match when v is
/// -1, Flink's default variable `*`), plus the row being classified when a DEFINE of v (or of
/// any variable, for -1) is evaluated.
enum class MatchAccessorKind : uint8_t {
  kLast,           // `slot` of the `offset`-th row from the end of v's rows (v.col: offset 0)
  kFirst,          // `slot` of the `offset`-th row from the start of v's rows
  kPrevious,       // `slot` of the row `offset` rows before v's last row, within the match
  kSum,            // SUM(v.col) over v's rows (NULLs skipped; NULL when none)
  kCount,          // COUNT(v.col), or COUNT(*) of v's rows when `slot` is -1
  kAverage,        // AVG(v.col), of the column's type (integers divide as integers, Flink's)
  kMin,            // MIN(v.col)
  kMax,            // MAX(v.col)
  kMatchRowtime,   // MATCH_ROWTIME(): the event time of the last row of the match
  kMatchProctime,  // MATCH_PROCTIME(): the wall clock when the match is emitted
  kClassifier,     // CLASSIFIER(): the variable of the last row (the one being classified)
};

struct MatchAccessor {
  MatchAccessorKind kind = MatchAccessorKind::kLast;
  int32_t variable = -1;
  int32_t slot = -1;  // an input slot
  int64_t offset = 0;
  types::LogicalType type;  // the slot's type in the expression's row
};

/// An expression of a MATCH_RECOGNIZE clause: `expression` reads slot i of a row whose value i
/// is `accessors[i]`.
struct MatchExpression {
  std::vector<MatchAccessor> accessors;
  ExprPtr expression;
};

/// One instruction of a pattern's NFA program (a Pike VM; execution starts at 0).
enum class MatchInstructionKind : uint8_t {
  kVariable,  // consumes a row that `variable`'s DEFINE accepts, then goes to `next`
  kSplit,     // goes to `next` and to `alternative`, in that order of preference
  kJump,      // goes to `next`
  kMatch,     // a complete match
};

struct MatchInstruction {
  MatchInstructionKind kind = MatchInstructionKind::kMatch;
  int32_t variable = -1;
  int32_t next = -1;
  int32_t alternative = -1;
  /// kSplit of a greedy quantifier (Flink's): `alternative` may consume a row only when no
  /// path through `next` consumes it.
  bool exclusive = false;
};

enum class MatchSkip : uint8_t { kPastLastRow, kToNextRow, kToFirst, kToLast };

/// MATCH_RECOGNIZE … ONE ROW PER MATCH over an insert-only input, keyed by the partition slots
/// (see MatchRecognizeOperator). Output: the partition columns, then the measures.
struct MatchRecognizeSpec {
  std::vector<int32_t> partition_slots;
  int32_t order_slot = -1;  // the time attribute the rows are ordered by
  bool event_time = true;   // false: processing time, rows in arrival order
  /// Event time: ORDER BY keys after the time, ordering rows of equal time (ties: arrival).
  std::vector<SortKey> order_keys;
  std::vector<std::string> variables;
  std::vector<MatchInstruction> program;
  /// Per variable: its DEFINE condition (null expression: every row).
  std::vector<MatchExpression> defines;
  /// Expressions over one input row (`SUM(A.price * A.tax)`, `LAST(A.price * A.tax)`) that
  /// accessors read as extra slots: slot (input width + i) is expression i.
  std::vector<ExprPtr> row_expressions;
  /// The output row: the partition columns, then the measures.
  std::vector<ExprPtr> measures;
  std::vector<MatchAccessor> measure_accessors;
  MatchSkip skip = MatchSkip::kPastLastRow;
  int32_t skip_variable = -1;
  int64_t within_millis = -1;  // -1: no WITHIN
  std::string pattern;         // as written, normalized (EXPLAIN, state signature)
};

/// ORDER BY an ascending time attribute, then `order_keys` (Flink's temporal sort), over an
/// insert-only input, keyless (every row in one key group; see TimeSortOperator). Output: the
/// input rows unchanged, in (time, order keys) order, ties in arrival order.
struct TimeSortSpec {
  int32_t time_slot = -1;
  bool event_time = true;  // false: processing time, rows released at the next tick
  std::vector<SortKey> order_keys;
};

enum class SetOperationKind : uint8_t { kIntersect, kExcept };

/// `left INTERSECT [ALL] right` or `left EXCEPT [ALL] right` over inputs of equal slot types,
/// both hashed by every slot (rows are equal when every column is, NULLs included). For each
/// distinct row the operator counts its copies on each side, l and r, and keeps emitting the
/// row as many times as the result holds it: INTERSECT min(1, l, r) (ALL: min(l, r)), EXCEPT
/// l > 0 && r == 0 ? 1 : 0 (ALL: max(l - r, 0)). Output columns = input columns.
struct SetOperationSpec {
  SetOperationKind kind = SetOperationKind::kIntersect;
  bool all = false;
};

/// One grouping set of an Expand: which grouping columns it aggregates away, and its id.
struct ExpandSet {
  /// Bit n - 1 - i is set when grouping column i (of n) is absent, Flink's GROUPING_ID order;
  /// a set equal to k earlier ones adds k * 2^n, so every set keeps its own groups.
  int64_t id = 0;
  std::vector<int32_t> absent;  // indexes into ExpandSpec::grouping_slots, ascending
};

/// GROUPING SETS, ROLLUP and CUBE (Flink's Expand): each input row once per set, with its row
/// kind. Output columns: the input columns unchanged (aggregate arguments read them), then one
/// per grouping column (a copy of `grouping_slots[i]`, NULL in the sets without it), then the
/// set's id (BIGINT). An aggregation keyed by those copies and the id follows it.
struct ExpandSpec {
  std::vector<int32_t> grouping_slots;  // top-level, non-ROW input slots
  std::vector<ExpandSet> sets;
};

/// CROSS JOIN UNNEST(c) / LEFT JOIN UNNEST(c) ON TRUE (Flink's correlate over UNNEST): each
/// input row once per element of its collection `c` (an input slot), with its row kind. Output
/// columns: the input columns unchanged, then the element (ARRAY, MULTISET: a MULTISET's
/// element as many times as it counts) or the key and value (MAP), then with ORDINALITY the
/// element's 1-based position (INT). An outer unnest keeps a row whose collection is NULL or
/// empty, with NULL elements.
struct UnnestSpec {
  int32_t collection_slot = -1;
  types::LogicalType collection_type;
  bool outer = false;
  bool ordinality = false;
};

/// A source's event-time settings: the rowtime slot and the watermark expression over the
/// table's full slots (physical + computed), e.g. `dateTime - INTERVAL '4' SECOND`.
struct WatermarkSpec {
  int32_t rowtime_slot = -1;
  ExprPtr expression;
};

/// One item of a state signature component: what it is, by its lineage to source columns
/// (`bid.bidder`, `SUM(bid.price)`, `TUMBLE(bid.dateTime, 10000 ms)`), and its type if any.
struct SignatureField {
  std::string name;
  std::string type;  // "" when the item has no type (a window, a rank function, N)
  bool operator==(const SignatureField& other) const = default;
};

/// One part of what makes an operator's state reusable (DESIGN §4), e.g. "key", "window",
/// "accumulators", "left.key", "right.values", "partition", "order", "limit". `evolvable`
/// components may gain, lose, reorder or widen fields and still migrate (accumulators, the
/// rows a join or Top-N keeps); any change to another component makes the state unusable.
struct SignatureComponent {
  std::string name;
  bool evolvable = false;
  std::vector<SignatureField> fields;
  bool operator==(const SignatureComponent& other) const = default;
};

/// What shape a stateful operator's state has, component by component, plus a hash of all of
/// them for a quick equality test. Computed by the compiler (compiler/physical/state_signature.h)
/// and stored with the plan, so a snapshot's plan can be compared without the old query.
struct StateSignature {
  std::vector<SignatureComponent> components;
  std::string hash;  // 16 hex digits
};

/// One physical operator. Exactly the fields of its kind are set.
struct PlanNode {
  int32_t id = 0;  // index in PlanGraph::nodes; edges refer to it
  std::string uid;
  OperatorKind kind = OperatorKind::kCalc;
  int32_t kind_version = 1;
  int32_t parallelism = 1;
  types::Schema output_schema;
  ChangelogMode changelog_mode = ChangelogMode::kInsertOnly;
  std::vector<StateSpec> state;
  /// A short human description for EXPLAIN ("bid", "WHERE MOD(auction, 123) = 0").
  std::string description;

  // kSource and kSink
  std::optional<connectors::TableDescriptor> table;
  // kSource: computes the full table row (physical + computed columns) from the physical slots
  std::optional<ChainSpec> computed_columns;
  std::optional<WatermarkSpec> watermark;
  /// kSource: milliseconds without a record after which a subtask declares its split idle, so
  /// downstream watermarks stop waiting for it (`table.exec.source.idle-timeout`); 0 = never.
  int64_t idle_timeout = 0;
  // kCalc, and kSink when the sink needs a final cast to its declared column types
  std::optional<ChainSpec> chain;
  /// kCalc over an updating stream: the chain has no filter of its own; its last projection
  /// is the BOOLEAN filter, applied after evaluation so every kept row keeps its row kind.
  bool filter_as_last_projection = false;
  // kWindowAggregate and kGroupAggregate
  std::optional<AggregateSpec> aggregate;
  // kJoin, kIntervalJoin, kWindowJoin and kTemporalJoin (keys in each side's input slots; residual
  // over the output slots)
  std::optional<JoinSpec> join;
  // kIntervalJoin
  std::optional<IntervalJoinSpec> interval_join;
  // kWindowJoin
  std::optional<WindowJoinSpec> window_join;
  // kTemporalJoin
  std::optional<TemporalJoinSpec> temporal_join;
  // kMatchRecognize
  std::optional<MatchRecognizeSpec> match_recognize;
  // kTimeSort
  std::optional<TimeSortSpec> time_sort;
  // kTopN and kWindowRank
  std::optional<TopNSpec> top_n;
  // kLookupJoin
  std::optional<LookupJoinSpec> lookup_join;
  // kOverAggregate
  std::optional<OverAggregateSpec> over_aggregate;
  // kChangelogNormalize
  std::optional<ChangelogNormalizeSpec> normalize;
  // kSetOperation
  std::optional<SetOperationSpec> set_operation;
  /// kWindowTableFunction: the windows (time_slot refers to the input). Output: the input
  /// columns, then window_start, window_end, window_time (= window_end - 1 ms); one row per
  /// window of the row's time (event time, or the wall clock for a processing-time window).
  /// Rows are not held back and late rows are not dropped (Flink's WindowTableFunction); rows
  /// with a NULL event time are dropped. SESSION windows are not supported here.
  std::optional<WindowSpec> window_table_function;
  // kExpand
  std::optional<ExpandSpec> expand;
  // kUnnest
  std::optional<UnnestSpec> unnest;
  /// Sources, sinks and every operator with state: what its state holds (see StateSignature).
  std::optional<StateSignature> signature;
};

/// Connects the output of `source_node` to input `target_input` of `target_node`.
struct PlanEdge {
  int32_t source_node = 0;
  int32_t target_node = 0;
  int32_t target_input = 0;
  ExchangeKind exchange = ExchangeKind::kForward;
  std::vector<int32_t> hash_slots;  // for kHash: the output slots of source_node that form the key
};

/// The serializable, versioned contract between compiler and runtime (DESIGN §3).
struct PlanGraph {
  static constexpr int32_t kFormatVersion = 1;
  std::string job_name;
  int32_t max_parallelism = 128;
  std::vector<PlanNode> nodes;
  std::vector<PlanEdge> edges;
  /// The job's effective `SET` options (after CLI overrides), for reference and restore.
  std::map<std::string, std::string> options;

  std::vector<const PlanEdge*> InputsOf(int32_t node) const;
  std::vector<const PlanEdge*> OutputsOf(int32_t node) const;
};

const char* OperatorKindName(OperatorKind kind);
/// The SQL name of a join type: INNER, LEFT, FULL, SEMI, ANTI.
const char* JoinTypeName(JoinType type);
const char* ExchangeKindName(ExchangeKind kind);
/// Renders an Expand's sets as `GROUPING SETS ((a, b), (a), ())`, naming each input slot by
/// `input_names` (its name, or its lineage).
std::string GroupingSetsText(const ExpandSpec& spec, const std::vector<std::string>& input_names);
/// Renders a time sort as `ORDER BY ts (event time), price DESC NULLS LAST`, naming each input
/// slot by `input_names`.
std::string TimeSortText(const TimeSortSpec& spec, const std::vector<std::string>& input_names);

/// Serializes the plan as pretty JSON (stable key order, so diffs and tests are meaningful).
std::string PlanToJson(const PlanGraph& plan);
/// Reads a plan written by PlanToJson; errors name the JSON path that is wrong.
base::Result<PlanGraph> PlanFromJson(const std::string& text);

}  // namespace sluice::runtime::plan
