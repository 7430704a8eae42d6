#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/source_span.h"
#include "catalog/types/schema.h"
#include "runtime/connectors/connector.h"
#include "runtime/plan/expr.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::logical {

enum class LogicalKind {
  kScan,       // reads a catalog table: physical columns, computed columns, watermark
  kFilter,     // keeps rows whose predicate is TRUE
  kProject,    // computes one expression per output slot
  kSink,       // writes into a catalog table
  kAggregate,  // GROUP BY (optionally over a window TVF's windows)
  kUnion,      // UNION ALL of inputs with equal schemas
  kJoin,       // inputs[0] JOIN inputs[1] ON predicate (over left slots, then right slots)
  kTopN,       // ROW_NUMBER() OVER (...) ranking; output = input columns + the row number
  // inputs[0] JOIN `table` FOR SYSTEM_TIME AS OF a proctime; output = input + table columns
  kLookupJoin,
  kOver,          // aggregate calls OVER (...); output = input columns + one per call
  kSetOperation,  // inputs[0] INTERSECT / EXCEPT [ALL] inputs[1], of equal schemas
  // a window TVF's rows: input columns + window_start, window_end, window_time, per window
  kWindowTableFunction,
  // GROUPING SETS: input columns + a copy of each grouping column + the set's id, per set
  kExpand,
  // CROSS / LEFT JOIN UNNEST(collection): input columns + the element columns, per element
  kUnnest,
  // MATCH_RECOGNIZE: the partition columns + the measures, one row per match
  kMatchRecognize,
  // ORDER BY an ascending time attribute (then other keys): the input rows, in that order
  kTimeSort,
};

const char* LogicalKindName(LogicalKind kind);

/// What a scan reads; shared by every scan of the same table.
struct ScanTable {
  runtime::connectors::TableDescriptor descriptor;  // physical schema + options
  types::Schema full_schema;                        // physical and computed columns, as declared
  std::optional<runtime::plan::ChainSpec> computed_columns;  // physical slots → full slots
  std::optional<runtime::plan::WatermarkSpec> watermark;     // over full slots
  /// A scan with a `/*+ OPTIONS('k' = 'v', …) */` table hint reads a copy of its table whose
  /// options the hint overrides (Flink's dynamic table options): the overridden options as
  /// `'k' = 'v', …` sorted by key (quotes doubled), which makes it a source of its own. Empty
  /// otherwise.
  std::string hinted_options;
};

/// A lookup join's ON condition as the binder splits it.
struct LookupCondition {
  std::vector<runtime::plan::ExprPtr> input_keys;  // over the input's slots
  std::vector<runtime::plan::ExprPtr> table_keys;  // over the table's full slots; same types
  runtime::plan::ExprPtr table_filter;  // conditions on the table alone (full slots); may be null
  /// The rest, over the input's slots then the table's full slots; may be null.
  runtime::plan::ExprPtr residual;
};

struct LogicalNode;
using LogicalNodePtr = std::shared_ptr<LogicalNode>;

/// A node of the logical plan. Expressions refer to the flattened slots of the input's
/// schema; `schema` is this node's output (its flattened slots are the physical layout).
struct LogicalNode {
  LogicalKind kind = LogicalKind::kProject;
  types::Schema schema;
  std::vector<LogicalNodePtr> inputs;
  base::SourceSpan span;

  // kScan and kSink; kLookupJoin: the lookup table
  std::shared_ptr<const ScanTable> table;
  // kLookupJoin (and join_type)
  std::optional<LookupCondition> lookup;
  // kFilter, and kJoin's ON condition (null: a cross join)
  runtime::plan::ExprPtr predicate;
  // kJoin (kSemi / kAnti: the output is the left input's columns, with its window columns for
  // a window join; the predicate reads the left slots, then the right ones; kRight: window
  // joins only)
  runtime::plan::JoinType join_type = runtime::plan::JoinType::kInner;
  // kSetOperation
  std::optional<runtime::plan::SetOperationSpec> set_operation;
  // kWindowTableFunction: time_slot refers to the input
  std::optional<runtime::plan::WindowSpec> window;
  /// kJoin equating both sides' window_end (left slot, right slot within the right input), so
  /// state can be dropped when windows end; -1 when the condition has no such equality.
  int32_t left_window_end_slot = -1;
  int32_t right_window_end_slot = -1;
  /// kJoin (LEFT) of a scalar subquery: at most one right row per key (one in all without
  /// keys), or the job fails (see JoinSpec::single_right_row).
  bool single_right_row = false;
  /// kJoin: the event-time attribute slots of each side (within that side's input): bounds
  /// between them in the condition make an interval join (see FindIntervalBounds).
  std::vector<int32_t> left_time_attributes;
  std::vector<int32_t> right_time_attributes;
  /// kJoin of two window TVFs (a window join): the inputs are the TVFs' inputs, and the
  /// node's schema (and predicate) have each side's window_start, window_end, window_time
  /// after that side's columns.
  std::optional<runtime::plan::WindowJoinSpec> window_join;
  // kExpand: grouping slots refer to the input
  std::optional<runtime::plan::ExpandSpec> expand;
  // kUnnest: the collection slot refers to the input
  std::optional<runtime::plan::UnnestSpec> unnest;
  /// kJoin of a stream with a versioned table FOR SYSTEM_TIME AS OF an event-time attribute
  /// (an event-time temporal join, INNER or LEFT): each side's time slot within its input.
  std::optional<runtime::plan::TemporalJoinSpec> temporal_join;
  /// kMatchRecognize: slots refer to the input.
  std::optional<runtime::plan::MatchRecognizeSpec> match_recognize;
  /// kTimeSort: slots refer to the input.
  std::optional<runtime::plan::TimeSortSpec> time_sort;
  // kTopN: limit 0 until a filter on the row number (WHERE rn <= N) sets it
  std::optional<runtime::plan::TopNSpec> top_n;
  /// kTopN ordered by one ascending processing-time attribute (a candidate for keep-first
  /// dedup);
  /// kOver ordered by an event-time attribute (event-time OVER).
  bool sorted_by_time_attribute = false;
  // kOver: partition, order and argument slots refer to the input
  std::optional<runtime::plan::OverAggregateSpec> over_aggregate;
  // kProject: one per output slot
  std::vector<runtime::plan::ExprPtr> projections;
  // kAggregate: keys, calls and window refer to input slots; output columns are the keys,
  // then window_start, window_end, window_time for a window, then one per call.
  std::optional<runtime::plan::AggregateSpec> aggregate;
  /// A UID('name') hint on the query block, pinning the stateful operator's UID.
  std::string uid_hint;

  /// Number of flattened slots of `schema`.
  size_t SlotCount() const;
  /// Renders the subtree, one node per line, indented by depth.
  std::string ToString(int depth = 0) const;
};

/// One `INSERT INTO` of the job: its target (which names the query for UIDs) and its plan.
struct InsertPlan {
  std::string target;   // the sink table's name
  LogicalNodePtr root;  // a kSink
};

/// Returns `expression` with every column reference moved by `delta` slots (from one side of
/// a join to the joined row, or back).
runtime::plan::ExprPtr ShiftColumns(const runtime::plan::ExprPtr& expression, int32_t delta);

/// A window_start, window_end or window_time column and the windows it belongs to.
struct WindowColumn {
  enum class Property { kStart, kEnd, kTime };
  Property property = Property::kStart;
  runtime::plan::WindowSpec window;
};

/// Which window column slot `slot` of `node`'s output is, when it is one that a window TVF's
/// rows, a window aggregation or a window join computed, passed on unchanged by projections,
/// filters, rankings and OVER aggregations; nullopt otherwise.
std::optional<WindowColumn> TraceWindowColumn(const LogicalNode& node, int32_t slot);

/// Returns the types of a schema's flattened slots.
std::vector<types::LogicalType> SlotTypes(const types::Schema& schema);

/// Tells whether `column` of `table` is a VIRTUAL (read-only) metadata column.
bool IsVirtualColumn(const runtime::connectors::TableDescriptor& table, const std::string& column);
/// The columns an INSERT gives `table`, in declared order: all but its VIRTUAL metadata
/// columns, whose slots the sink's batches have NULL in.
types::Schema WrittenSchema(const runtime::connectors::TableDescriptor& table);

}  // namespace sluice::compiler::logical
