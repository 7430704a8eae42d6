#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/diagnostic.h"
#include "catalog/functions/function_registry.h"
#include "compiler/ast/statement.h"
#include "compiler/binder/catalog.h"
#include "compiler/logical/logical_plan.h"

namespace sluice::compiler::binder {

/// Which column of a window TVF's output a scope column is.
enum class WindowProperty : uint8_t { kNone, kStart, kEnd, kTime };

/// One column visible to expressions: who qualifies it (a table alias), its name, its type
/// and its first slot in the input batch.
struct ScopeColumn {
  ScopeColumn() = default;
  ScopeColumn(std::string qualifier_in, std::string name_in, types::LogicalType type_in,
              int32_t slot_in)
      : qualifier(std::move(qualifier_in)),
        name(std::move(name_in)),
        type(std::move(type_in)),
        slot(slot_in) {}

  std::string qualifier;
  std::string name;
  types::LogicalType type;
  int32_t slot = 0;
  /// An event-time attribute: the WATERMARK FOR column of a table, passed through unchanged.
  bool time_attribute = false;
  /// A processing-time attribute: a PROCTIME() column (a select item or a computed column),
  /// passed through unchanged.
  bool processing_time = false;
  WindowProperty window_property = WindowProperty::kNone;
  /// A column of an enclosing query, seen by a correlated subquery's WHERE: an unqualified name
  /// the subquery's own columns have too resolves to theirs (SQL's innermost scope first).
  bool outer = false;
  /// For a window_start/window_end column of a window aggregation's output: that window, so a
  /// later GROUP BY on both columns can stay a window aggregation (Flink's cascading windows).
  std::optional<runtime::plan::WindowSpec> window_origin;
};

/// The aggregate function an upper-case name calls (STDDEV is STDDEV_SAMP, VARIANCE is
/// VAR_SAMP), or nullopt; LAG, an OVER-only function, is not one.
std::optional<runtime::plan::AggregateKind> AggregateKindOf(const std::string& upper);

/// Flink's return type of aggregate `kind` over `argument` (GROUP BY and OVER alike), or
/// nullopt when it does not apply.
std::optional<types::LogicalType> AggregateResultType(runtime::plan::AggregateKind kind,
                                                      const types::LogicalType& argument);
/// Whether aggregate `kind` over a TINYINT, SMALLINT or FLOAT is computed over the type whose
/// storage it shares and its result narrowed back (SUM, AVG, STDDEV, VAR: Flink's result is the
/// argument's type, and a TINYINT sum wraps as Java's byte arithmetic does).
bool ComputedWide(runtime::plan::AggregateKind kind);
/// Why AggregateResultType refuses a DECIMAL of precision above 18 (appended to the error).
extern const char* const kWideDecimalAggregates;

/// The unit keyword of TIMESTAMPADD and TIMESTAMPDIFF (parsed as a column name), upper case;
/// nullopt when `argument` is not one.
std::optional<std::string> TimeUnitArgument(const ast::Expression& argument);

/// Tells whether `upper` names a JSON function the binder composes (JSON_OBJECT, JSON_ARRAY,
/// JSON_STRING, and IS JSON's `$IS_JSON`).
bool IsJsonFunctionName(const std::string& upper);
/// Whether `upper` names a function over ARRAY, MAP or MULTISET values (bind_collections.cpp).
bool IsCollectionFunctionName(const std::string& upper);
/// Whether a call of `upper` with `count` arguments is written as another function's call
/// (bind_composed_functions.cpp: TRIM of given characters, BTRIM, INSTR).
bool IsComposedStringCall(const std::string& upper, size_t count);

/// Tells whether `expression` is a PROCTIME() call (its column becomes a processing-time
/// attribute).
bool IsProctimeCall(const runtime::plan::Expr& expression);

/// The columns an expression may refer to, in output order.
struct Scope {
  std::vector<ScopeColumn> columns;

  /// Builds the scope of a schema: every column qualified by `qualifier`.
  static Scope FromSchema(const types::Schema& schema, const std::string& qualifier);
  types::Schema ToSchema() const;
};

/// A window TVF whose windows are assigned by the aggregation that groups by them: its
/// window_start/window_end/window_time columns have slots past the input's own.
struct PendingWindow {
  runtime::plan::WindowSpec spec;  // time_slot refers to the input
  int32_t input_slots = 0;
  base::SourceSpan span;
};

/// An output of an aggregation: an expression of the select list or a pipe AGGREGATE, and
/// its alias (null when none). Borrows from the AST.
struct OutputItem {
  const ast::Expression* expression = nullptr;
  const ast::Identifier* alias = nullptr;
  base::SourceSpan span;
};

/// The grouping sets of a GROUP BY (bind_grouping_sets.cpp). Borrows from the AST.
struct GroupingSets {
  /// What to bind as keys: the plain GROUP BY items, then each expression the sets name.
  std::vector<const ast::Expression*> keys;
  /// Per set, the expressions it groups by besides the plain items (which every set has).
  /// Empty unless the GROUP BY lists two or more sets: one set is a plain GROUP BY.
  std::vector<std::vector<const ast::Expression*>> sets;
  base::SourceSpan span;  // the first GROUPING SETS, ROLLUP or CUBE item
};

/// One bound GROUP BY key: its expression and its slot in the aggregation's pre-projection.
struct BoundGroupingKey {
  const ast::Expression* expression = nullptr;
  int32_t pre_slot = 0;
};

/// How the keys of an aggregation over grouping sets are laid out.
struct GroupingLayout {
  /// The Expand: its grouping slots are the pre-projection slots of the distinct keys (in
  /// `BoundGroupingKey` order, duplicates of a slot dropped).
  runtime::plan::ExpandSpec expand;
  std::vector<int32_t> key_pre_slots;  // per distinct key
  std::vector<bool> in_every_set;      // per distinct key: GROUPING() of it is always 0
};

/// Visits `expression` and all of its descendants, parents first (bind_aggregate.cpp).
void VisitExpressionTree(const ast::Expression& expression,
                         const std::function<void(const ast::Expression&)>& visit);

struct MatchScope;

/// A bound query: its logical plan and the scope its output exposes.
struct BoundRelation {
  logical::LogicalNodePtr node;
  Scope scope;
  std::optional<PendingWindow> window;
};

/// Appends the AND-ed parts of `expression` (itself when it is no AND) to `conjuncts`
/// (bind_subquery.cpp).
void SplitConjuncts(const ast::Expression& expression,
                    std::vector<const ast::Expression*>* conjuncts);

/// Whether `expression` holds a scalar subquery `(SELECT …)` (bind_subquery.cpp).
bool ContainsScalarSubquery(const ast::Expression& expression);

/// A type descriptor (runtime/expr/collection_value.h) as the VARCHAR literal the collection
/// and row helpers take (bind_collections.cpp).
runtime::plan::ExprPtr TypeDescriptorLiteral(const types::LogicalType& type);

/// Whether a join's ON condition is the literal TRUE, the one a correlate (UNNEST, LATERAL
/// TABLE, a LATERAL subquery) takes (bind_unnest.cpp).
bool IsOnTrue(const ast::Expression* condition);

/// The type of a window's window_time column: a TIMESTAMP_LTZ when the window is over one
/// (its spec names a time zone), else a TIMESTAMP. window_start and window_end are TIMESTAMPs,
/// wall times of the window's clock (Flink's types).
types::LogicalType WindowTimeType(const runtime::plan::WindowSpec& spec);

/// Resolves names and types of the AST against a catalog, producing logical plans and bound
/// expressions. Errors are collected (several per statement where independent) rather than
/// returned one at a time; a failed bind returns nullopt / nullptr.
class Binder {
 public:
  explicit Binder(Catalog* catalog) : catalog_(catalog) {}

  std::optional<BoundRelation> BindQuery(const ast::Query& query);
  runtime::plan::ExprPtr BindExpression(const ast::Expression& expression, const Scope& scope);
  std::optional<types::LogicalType> BindDataType(const ast::DataType& type);

  /// Binds CREATE TABLE into a catalog entry (options unvalidated: a connector checks them
  /// when the table is used as a source or a sink). For CREATE TABLE … AS query,
  /// `query_schema` is the bound query's: the table's columns (bind_create_table_as.cpp).
  std::optional<CatalogTable> BindCreateTable(const ast::CreateTableStatement& statement,
                                              const types::Schema* query_schema = nullptr);

  /// Checks that an INSERT may write `table`: every non-VIRTUAL metadata column takes a key
  /// its connector writes, and the INSERT's column list (`columns`, maybe empty) names no
  /// VIRTUAL one. False after reporting why not.
  bool CheckInsertTarget(const CatalogTable& table, const std::vector<ast::Identifier>& columns);
  /// `INSERT INTO t (c1, c2) query`: the query's columns placed at those of `written` (the
  /// columns an INSERT writes) that the list names, in order, every other column NULL (as in
  /// Flink); nullopt (errors reported) for an unknown or repeated name or a count mismatch.
  std::optional<BoundRelation> PlaceInsertColumns(BoundRelation query, const types::Schema& written,
                                                  const std::vector<ast::Identifier>& columns,
                                                  base::SourceSpan span);

  /// Turns a window TVF whose rows are selected (not aggregated, not window-joined) into a
  /// WindowTableFunction node: its rows, once per window, with window_start, window_end and
  /// window_time (a time attribute, as the TVF's time column stays). Returns `relation`
  /// unchanged when it has no pending window; nullopt after an error (SESSION windows).
  std::optional<BoundRelation> MaterializeWindow(BoundRelation relation);

  /// Binds `VALUES (…), (…)` as a bounded table of literal rows (bind_values.cpp); each column
  /// has the common type of its values, or with `column_types` (INSERT INTO t VALUES: t's
  /// written columns) the type of that column when the values are assignable to it.
  std::optional<BoundRelation> BindValues(const ast::ValuesQuery& values,
                                          const types::Schema* column_types = nullptr);

  /// The table a scan (or an INSERT) with table hints reads (writes): `table` with the options
  /// of its OPTIONS hints; null (reported) for a hint that is not OPTIONS or is malformed.
  std::shared_ptr<logical::ScanTable> HintedTable(const std::shared_ptr<logical::ScanTable>& table,
                                                  const std::vector<ast::Hint>& hints);

  /// Adds `expression` cast to `type` (a no-op when it has that type already). Between a
  /// TIMESTAMP_LTZ and a wall-time type (TIMESTAMP, DATE, TIME, VARCHAR) the value goes
  /// through the session time zone.
  runtime::plan::ExprPtr CastTo(runtime::plan::ExprPtr expression,
                                const types::LogicalType& type) const;

  /// The session time zone (`table.local-time-zone`, a zone TimeZone::Find knows; "UTC"
  /// until set): how a TIMESTAMP_LTZ reads as a wall time.
  void SetLocalTimeZone(std::string zone) { local_time_zone_ = std::move(zone); }
  /// The database `USE db` picked (what CURRENT_DATABASE() gives).
  void SetCurrentDatabase(std::string name) { current_database_ = std::move(name); }
  const std::string& local_time_zone() const { return local_time_zone_; }
  /// `instant` (a TIMESTAMP_LTZ) as a wall time in the session zone, and back.
  runtime::plan::ExprPtr LtzToWallTime(runtime::plan::ExprPtr instant) const;
  runtime::plan::ExprPtr WallTimeToLtz(runtime::plan::ExprPtr wall_time) const;
  /// The call of a resolved function, with Flink's session-time-zone rules: the clock
  /// functions give instants (CURRENT_TIMESTAMP, NOW) or the zone's wall time (LOCALTIMESTAMP,
  /// CURRENT_DATE, …); a TIMESTAMP_LTZ argument, converted to a wall time for the function, is
  /// converted back where Flink's result is a TIMESTAMP_LTZ (FLOOR, CEIL, TIMESTAMPADD).
  /// `types`: the arguments' types before their casts.
  runtime::plan::ExprPtr WithSessionTimeZone(const functions::ResolvedFunction& resolved,
                                             const std::vector<types::LogicalType>& types,
                                             std::vector<runtime::plan::ExprPtr> arguments) const;

  std::vector<base::Diagnostic>& diagnostics() { return diagnostics_; }
  void Error(base::ErrorCode code, std::string message, base::SourceSpan span);

 private:
  /// Checks the metadata columns of a table being created against what its connector offers
  /// (the key, and its type); an unknown connector is left to the planner.
  void CheckMetadataColumns(const TableDefinition& definition,
                            const runtime::connectors::TableDescriptor& descriptor);
  /// Adds to `definition` (the CREATE TABLE's own elements) those of the table it is LIKE,
  /// with Flink's merging strategies (bind_create_table_like.cpp). False after reporting why
  /// not.
  bool MergeLikeSource(const ast::LikeClause& like, TableDefinition* definition);
  /// CREATE TABLE … AS query: checks what may be declared before AS and adds the query's
  /// columns to `definition` (bind_create_table_as.cpp). False after reporting why not.
  /// COUNT(DISTINCT a, b, …)'s one argument: the combination's bytes, NULL when any of
  /// a, b, … is NULL (bind_aggregate.cpp).
  runtime::plan::ExprPtr BindDistinctCombination(const ast::FunctionCallExpression& call,
                                                 const Scope& scope);
  bool AddQueryColumns(const ast::CreateTableStatement& statement, const types::Schema& schema,
                       TableDefinition* definition);

  // Queries
  std::optional<BoundRelation> BindSelect(const ast::SelectQuery& select);
  std::optional<BoundRelation> BindPipe(const ast::PipeQuery& pipe);
  std::optional<BoundRelation> BindPipeOperator(const ast::PipeOperator& op, BoundRelation input);
  std::optional<BoundRelation> BindTableRef(const ast::TableRef& ref);
  std::optional<BoundRelation> BindNamedTable(const ast::BaseTableRef& ref);
  std::optional<BoundRelation> BindFilter(BoundRelation input, const ast::Expression& condition,
                                          const char* clause);
  /// Projects select items (stars expanded) over `input`.
  std::optional<BoundRelation> BindSelectItems(BoundRelation input,
                                               const std::vector<ast::SelectItem>& items,
                                               const std::vector<const ast::Expression*>& hidden);
  std::optional<BoundRelation> BindSelectItems(BoundRelation input,
                                               const std::vector<ast::SelectItem>& items);
  /// Makes a Project node from named expressions (ROW-typed column references expand to
  /// every slot of the ROW).
  std::optional<BoundRelation> MakeProject(BoundRelation input, std::vector<std::string> names,
                                           std::vector<runtime::plan::ExprPtr> expressions,
                                           std::vector<base::SourceSpan> spans);
  // Set operations (bind_set_operation.cpp)
  /// Binds `left UNION|INTERSECT|EXCEPT [ALL|DISTINCT] right`.
  std::optional<BoundRelation> BindSetOperation(const ast::SetOperationQuery& query);
  /// Keeps one row of each set of equal rows of `input` (SELECT DISTINCT, UNION): an unbounded
  /// GROUP BY every column without aggregate calls, which retracts a row when its last copy
  /// is retracted.
  std::optional<BoundRelation> MakeDistinct(BoundRelation input, const std::string& uid_hint,
                                            base::SourceSpan span);
  /// `left INTERSECT|EXCEPT [ALL] right`, casting columns to common types.
  std::optional<BoundRelation> MakeSetOperation(BoundRelation left, BoundRelation right,
                                                ast::SetOperation operation, bool all,
                                                base::SourceSpan span);
  /// Casts every input to the columns' common types (named after the first input's), checking
  /// that they have as many columns; `operation` names the query in errors ("UNION ALL").
  /// Returns the common scope, or nullopt after reporting why not.
  std::optional<Scope> CastToCommonTypes(std::vector<BoundRelation>* inputs,
                                         const std::string& operation, base::SourceSpan span);
  // Subqueries in WHERE (bind_subquery.cpp)
  /// Binds a WHERE condition over `input`: its top-level conjuncts `x [NOT] IN (SELECT …)` and
  /// `[NOT] EXISTS (SELECT …)` become semi / anti joins with their subqueries, the others a
  /// filter.
  std::optional<BoundRelation> BindWhere(BoundRelation input, const ast::Expression& condition);
  /// Joins `input` with `query` as a semi join (`IN`, `EXISTS`) or an anti join (`NOT IN`,
  /// `NOT EXISTS`); `in_value` is the IN's left operand (null for EXISTS). A subquery
  /// `SELECT … FROM … WHERE …` may refer to `input`'s columns in its WHERE (correlation).
  std::optional<BoundRelation> BindSubqueryJoin(BoundRelation input, const ast::Query& query,
                                                const ast::Expression* in_value, bool negated,
                                                base::SourceSpan span);

  // Scalar and LATERAL subqueries (bind_scalar_subquery.cpp)
  /// Makes the outer query's scope visible to a subquery's binding (BindColumnRef refuses its
  /// names but where DecorrelateWhere reads them) until it goes.
  struct CorrelationGuard {
    CorrelationGuard(Binder* binder_in, const Scope* outer, const char* construct);
    ~CorrelationGuard();
    Binder* binder;
    const Scope* saved_outer;
    const char* saved_construct;
    const Scope* saved_pre_aggregation;
    const Scope* saved_correlation_pre_aggregation;
  };
  /// A subquery's FROM filtered by the conditions of its WHERE on itself, and the keys its
  /// other conditions, `inner = outer` equalities, correlate it with the outer query by.
  struct CorrelatedInput {
    BoundRelation inner;
    std::vector<runtime::plan::ExprPtr> outer_keys;  // over the outer query's slots
    std::vector<const ast::Expression*> inner_keys;  // over `inner`'s scope
  };
  /// Binds the FROM and WHERE of `select` (a subquery of `outer`, under a CorrelationGuard);
  /// refuses, naming `construct`, a condition on both that is not such an equality.
  std::optional<CorrelatedInput> DecorrelateWhere(const BoundRelation& outer,
                                                  const ast::SelectQuery& select,
                                                  const char* construct);
  /// Joins `input` with each scalar subquery among `roots` (not yet replaced), whose values the
  /// expressions then read through replacements_; lists them in `replaced`. The scope is
  /// `input`'s (the joined columns are hidden), without time attributes.
  std::optional<BoundRelation> BindScalarSubqueries(
      BoundRelation input, const std::vector<const ast::Expression*>& roots,
      std::vector<const ast::Expression*>* replaced);
  /// `left, LATERAL (SELECT … FROM … WHERE inner = left…) AS t (…)` (and CROSS JOIN / [INNER |
  /// LEFT] JOIN … ON TRUE): joins each row of `left` with the subquery's rows for it, decorrelated
  /// into a join on the correlation keys (an aggregate subquery: a LEFT join with its
  /// aggregation grouped by them, one row per left row).
  std::optional<BoundRelation> BindLateral(BoundRelation left, const ast::SubqueryRef& ref,
                                           ast::JoinType type, const ast::Expression* condition,
                                           base::SourceSpan span);
  /// Filters `input` by WHERE conjuncts that contain scalar subqueries, joined first and
  /// projected away after.
  std::optional<BoundRelation> BindScalarFilter(
      BoundRelation input, const std::vector<const ast::Expression*>& conjuncts);
  /// LEFT-joins `input` with the rows of `subquery` (at most one per key, or the job fails):
  /// uncorrelated, all rows meet its one row; correlated by `inner = outer` conjuncts of its
  /// WHERE, each row meets the subquery's row of its key (an aggregate grouped by the inner
  /// keys). Sets `value` to the subquery's value over the joined slots.
  std::optional<BoundRelation> BindScalarSubquery(BoundRelation input,
                                                  const ast::SubqueryExpression& subquery,
                                                  runtime::plan::ExprPtr* value);

  std::optional<BoundRelation> BindJoin(BoundRelation left, BoundRelation right, ast::JoinType type,
                                        const ast::Expression* condition,
                                        const std::vector<ast::Identifier>& using_columns,
                                        base::SourceSpan span);
  // Lookup joins (bind_lookup_join.cpp)
  /// `ref` when it is `t FOR SYSTEM_TIME AS OF …` (the lookup table of a join), else null.
  static const ast::BaseTableRef* LookupTableOf(const ast::TableRef& ref);
  /// Binds `left JOIN t FOR SYSTEM_TIME AS OF left.p_time AS T ON …`: a processing-time
  /// lookup join of the stream `left` with the bounded table t; AS OF an event-time attribute,
  /// an event-time temporal join (BindTemporalJoin).
  /// A bounded relation of one row without visible columns: what a SELECT without FROM and
  /// FROM UNNEST(...) read.
  std::optional<BoundRelation> BindSingleRow(base::SourceSpan span);
  /// `left CROSS JOIN UNNEST(c) AS t(x)`, `left, UNNEST(c)`, `left LEFT JOIN UNNEST(c) ON TRUE`
  /// (bind_unnest.cpp).
  std::optional<BoundRelation> BindUnnest(BoundRelation left, const ast::TableFunctionRef& ref,
                                          ast::JoinType type, const ast::Expression* condition,
                                          base::SourceSpan span);
  /// Whether `ref` calls a user-defined table function (`TABLE(f(...))`, LATERAL or not).
  bool IsTableFunctionCall(const ast::TableFunctionRef& ref) const;
  /// `left [CROSS | LEFT] JOIN LATERAL TABLE(f(...)) [AS t (a, b)] [ON TRUE]` (and the comma
  /// form) of a user-defined table function: its rows per left row (bind_unnest.cpp).
  std::optional<BoundRelation> BindLateralTable(BoundRelation left,
                                                const ast::TableFunctionRef& ref,
                                                ast::JoinType type,
                                                const ast::Expression* condition,
                                                base::SourceSpan span);
  /// The Unnest node of `collection` (bound over `left`'s scope) joined to `left`: its element
  /// columns named by `ref`'s aliases, LEFT-joined when `outer`.
  std::optional<BoundRelation> UnnestCollection(BoundRelation left,
                                                runtime::plan::ExprPtr collection,
                                                const ast::TableFunctionRef& ref, bool outer,
                                                base::SourceSpan argument_span,
                                                base::SourceSpan span);
  std::optional<BoundRelation> BindLookupJoin(BoundRelation left, const ast::BaseTableRef& ref,
                                              ast::JoinType type, const ast::Expression* condition,
                                              const std::vector<ast::Identifier>& using_columns,
                                              base::SourceSpan span);
  /// Checks that `as_of` is a processing-time attribute of `left` (reports why not).
  bool CheckProcessingTime(const ast::Expression& as_of, const Scope& left);
  /// The catalog table a lookup join reads, checked to be bounded; null after an error.
  const CatalogTable* FindLookupTable(const ast::BaseTableRef& ref);
  // MATCH_RECOGNIZE (bind_match_recognize.cpp)
  /// Binds `input MATCH_RECOGNIZE (…)`: output = the partition columns, then the measures.
  std::optional<BoundRelation> BindMatchRecognize(const ast::MatchRecognizeRef& ref);
  /// Binds a DEFINE condition or a measure over the accessors it adds to `scope`.
  runtime::plan::ExprPtr BindMatchExpression(const MatchScope& scope,
                                             const ast::Expression& expression);
  /// Binds PREV/FIRST/LAST, an aggregate, MATCH_ROWTIME, MATCH_PROCTIME or CLASSIFIER.
  runtime::plan::ExprPtr BindMatchCall(const MatchScope& scope,
                                       const ast::FunctionCallExpression& call,
                                       const std::string& name);
  /// Resolves `col` or `v.col` into `accessor` (variable, slot, type); false after an error.
  bool ResolveMatchColumn(const MatchScope& scope, const ast::Expression& expression,
                          runtime::plan::MatchAccessor* accessor);
  /// Resolves the argument of FIRST/LAST/PREV or an aggregate: a column, or an expression
  /// over the columns of one variable (a row expression of the spec); false after an error.
  bool ResolveMatchArgument(const MatchScope& scope, const ast::Expression& expression,
                            runtime::plan::MatchAccessor* accessor);
  static std::optional<int32_t> MatchVariable(const MatchScope& scope, const std::string& name);
  /// The slot of `accessor` in the scope's accessor row (added when new).
  static runtime::plan::ExprPtr AddMatchAccessor(const MatchScope& scope,
                                                 runtime::plan::MatchAccessor accessor);
  // Event-time temporal joins (bind_temporal_join.cpp)
  /// Where a versioned table keeps its key and its versions' time: slots of its output.
  struct VersionedTable {
    std::vector<int32_t> key_slots;
    std::vector<std::string> key_names;
    int32_t time_slot = -1;
    /// For a deduplicating view: the view over its Top-N's input, every row a version.
    logical::LogicalNodePtr versions;
  };
  /// The key and time of `right` (named `name`) as a versioned table: a table with a PRIMARY
  /// KEY and a WATERMARK, or a view keeping each key's latest row by an event-time attribute;
  /// nullopt after reporting why it is not one.
  std::optional<VersionedTable> FindVersionedTable(const BoundRelation& right,
                                                   const std::string& name, base::SourceSpan span);
  /// Binds `left JOIN v FOR SYSTEM_TIME AS OF left.rowtime AS V ON …` (the event-time attribute
  /// at `left_time_slot`): each left row joins the version of v valid at its time.
  std::optional<BoundRelation> BindTemporalJoin(BoundRelation left, const ast::BaseTableRef& ref,
                                                int32_t left_time_slot, ast::JoinType type,
                                                const ast::Expression* condition,
                                                base::SourceSpan span);
  /// Joins two window TVFs per window (bind_window_join.cpp): both must have the same window,
  /// and the condition must equate their window_start and window_end.
  std::optional<BoundRelation> BindWindowJoin(BoundRelation left, BoundRelation right,
                                              ast::JoinType type, const ast::Expression* condition,
                                              base::SourceSpan span);
  /// False (with an error) unless both sides are window TVFs of the same window, not SESSION.
  bool CheckWindowJoinSides(const BoundRelation& left, const BoundRelation& right);
  /// Whether both sides are window TVFs and `predicate` (over their slots as MakeWindowJoin
  /// reads them) equates their window_start and window_end.
  bool PairsJoinedWindows(const BoundRelation& left, const BoundRelation& right,
                          const runtime::plan::ExprPtr& predicate);
  /// The window join of `left` and `right` (checked by CheckWindowJoinSides) on `predicate`,
  /// over both sides' slots, window columns included (left's input slots + 3, then right's):
  /// INNER, LEFT, RIGHT, FULL, or a SEMI or ANTI join whose output is the left side's.
  std::optional<BoundRelation> MakeWindowJoin(BoundRelation left, BoundRelation right,
                                              runtime::plan::JoinType type,
                                              runtime::plan::ExprPtr predicate,
                                              base::SourceSpan span);
  /// UNION ALL of bound inputs, casting columns to common types.
  std::optional<BoundRelation> MakeUnion(std::vector<BoundRelation> inputs, base::SourceSpan span);

  // Windows and aggregation (bind_aggregate.cpp)
  /// Binds TUMBLE/HOP/CUMULATE/SESSION over `input` (null: the call names its TABLE argument).
  std::optional<BoundRelation> BindWindowFunction(const ast::FunctionCallExpression& call,
                                                  std::optional<BoundRelation> input);
  /// Binds GROUP BY `keys` with the aggregate calls found in `outputs` and `having`; returns the
  /// relation after the aggregation, HAVING and the projection of `outputs`.
  std::optional<BoundRelation> BindAggregation(BoundRelation input,
                                               const std::vector<const ast::Expression*>& keys,
                                               const std::vector<OutputItem>& outputs,
                                               const ast::Expression* having,
                                               const std::string& uid_hint, base::SourceSpan span);
  // Grouping sets (bind_grouping_sets.cpp)
  /// Expands the GROUPING SETS, ROLLUP and CUBE items of a GROUP BY into its sets (their cross
  /// product); nullopt after reporting too many sets or a misplaced ROLLUP/CUBE.
  std::optional<GroupingSets> ExpandGroupingSets(const std::vector<const ast::Expression*>& items);
  /// Lays out the keys of an aggregation over `sets` (at least two), given every bound key;
  /// nullopt after reporting a set expression that is not a key (window_start, window_end).
  std::optional<GroupingLayout> LayOutGroupingSets(const GroupingSets& sets,
                                                   const std::vector<BoundGroupingKey>& keys);
  /// Makes the Expand node of `layout` over the pre-projection `input`.
  static logical::LogicalNodePtr MakeExpand(logical::LogicalNodePtr input,
                                            const GroupingLayout& layout, base::SourceSpan span);
  /// Adds to `replacements` each GROUPING(…) / GROUPING_ID(…) call among `roots`, over the
  /// aggregation's output: 0s without grouping sets (`layout` null), else read from the set's
  /// id in output slot `id_slot`. Arguments must be keys (`key_pre_slots` of `pre`, bound over
  /// `scope`). False after reporting an error.
  bool BindGroupingCalls(const std::vector<const ast::Expression*>& roots, const Scope& scope,
                         const std::vector<runtime::plan::ExprPtr>& pre,
                         const std::vector<int32_t>& key_pre_slots, const GroupingLayout* layout,
                         int32_t id_slot,
                         std::map<const ast::Expression*, runtime::plan::ExprPtr>* replacements);
  /// The name of a UID('name') hint among `hints`, or "" (a malformed one is reported).
  std::string UidHint(const std::vector<ast::Hint>& hints);
  /// Adds the scalar subqueries of `expression` that no replacement (an aggregate call, a key)
  /// covers to `subqueries`.
  void CollectScalarSubqueries(const ast::Expression& expression,
                               std::vector<const ast::Expression*>* subqueries);
  std::optional<BoundRelation> BindAggregationOutputs(BoundRelation input,
                                                      const std::vector<OutputItem>& outputs);
  /// Binds a table or view by name, its columns qualified by `qualifier`.
  std::optional<BoundRelation> BindTableName(const ast::QualifiedName& name,
                                             const std::string& qualifier, base::SourceSpan span,
                                             const std::vector<ast::Hint>* hints = nullptr);
  /// Ranks `input` by a ROW_NUMBER() / RANK() / DENSE_RANK() OVER (PARTITION BY … ORDER BY …)
  /// call: a TopN node whose output is the input's columns, then the rank (the limit comes
  /// from a later filter).
  std::optional<BoundRelation> BindRowNumber(BoundRelation input,
                                             const ast::FunctionCallExpression& call,
                                             const ast::WindowSpecification& over,
                                             runtime::plan::RankFunction function);
  /// Keeps the first `limit` rows by `order_by` after skipping `offset` of them (the pipe's and
  /// the query's ORDER BY … LIMIT … OFFSET; `limit` and `offset` may be null).
  std::optional<BoundRelation> BindOrderByLimit(BoundRelation input,
                                                const std::vector<ast::OrderItem>& order_by,
                                                const ast::Expression* limit,
                                                const ast::Expression* offset,
                                                base::SourceSpan span);
  /// Sorts a stream by an ascending time attribute, then other keys, without a LIMIT (Flink's
  /// temporal sort): a TimeSort node, or `input` itself for a processing-time attribute alone.
  std::optional<BoundRelation> BindTimeSort(BoundRelation input,
                                            const std::vector<ast::OrderItem>& order_by,
                                            base::SourceSpan span);
  /// Puts a TopN node of `spec` over `ranked` (BindRanking's result), with its row number
  /// column when `spec.emit_row_number`.
  void AddTopN(BoundRelation* ranked, const runtime::plan::TopNSpec& spec, bool by_time,
               base::SourceSpan span) const;
  /// Projects `sorted` (whose slots start with those of `scope`) back to `scope`'s columns,
  /// dropping the sort keys BindRanking computed.
  std::optional<BoundRelation> DropComputedSortKeys(BoundRelation sorted, const Scope& scope,
                                                    base::SourceSpan span);
  /// Binds sort keys and partition keys over `input`, adding a projection for keys that are
  /// not plain columns; fills `spec` and returns the (possibly projected) input.
  std::optional<BoundRelation> BindRanking(BoundRelation input,
                                           const std::vector<const ast::Expression*>& partition,
                                           const std::vector<ast::OrderItem>& order_by,
                                           runtime::plan::TopNSpec* spec, bool* by_time);
  /// Binds a legacy group window key, `TUMBLE(ts, size)`, `HOP(ts, slide, size)` or
  /// `SESSION(ts, gap)`; its time_slot refers to `scope`.
  std::optional<runtime::plan::WindowSpec> BindLegacyWindow(const ast::FunctionCallExpression& call,
                                                            const Scope& scope);
  /// Tells whether an expression contains an aggregate function call.
  static bool ContainsAggregate(const ast::Expression& expression);
  /// The (last parts of the) column names `expression` refers to, subqueries' included; sets
  /// `*qualified` when one of them is qualified (`t.c`).
  static std::vector<std::string> ReferencedColumnNames(const ast::Expression& expression,
                                                        bool* qualified = nullptr);
  /// The ORDER BY items of `select` that read what its select list does not give (a column
  /// not selected, an aggregate): Calcite binds them against the FROM clause and sorts by
  /// them as hidden select items, dropped after the sort.
  static std::vector<const ast::Expression*> HiddenOrderItems(const ast::SelectQuery& select);
  /// Collects the calls with OVER in `expression` (parents first).
  static void FindOverCalls(const ast::Expression& expression,
                            std::vector<const ast::FunctionCallExpression*>* calls);

  // OVER (bind_over.cpp)
  /// Binds the window function calls (ROW_NUMBER/RANK/DENSE_RANK, or aggregates OVER one
  /// window) among `items` below them; each call becomes a column through `replacements_`,
  /// listed in `replaced` so the caller can drop them after binding the items.
  std::optional<BoundRelation> BindWindowCalls(BoundRelation input,
                                               const std::vector<ast::SelectItem>& items,
                                               std::vector<const ast::Expression*>* replaced);
  /// Binds aggregate calls OVER one window: an OverAggregate node whose output is the input's
  /// columns, then one per call.
  std::optional<BoundRelation> BindOverAggregates(
      BoundRelation input, const std::vector<const ast::FunctionCallExpression*>& calls,
      const ast::WindowSpecification& over, std::vector<const ast::Expression*>* replaced);
  /// The window a call is OVER: its own, or the named window of the SELECT being bound
  /// (null, after reporting an error, when there is no such window).
  const ast::WindowSpecification* WindowOf(const ast::FunctionCallExpression& call);
  /// Binds an OVER frame into `spec` (unit and preceding); false after reporting an error.
  bool BindOverFrame(const ast::WindowSpecification& over, runtime::plan::OverAggregateSpec* spec);

  // Expressions
  runtime::plan::ExprPtr BindLiteral(const ast::LiteralExpression& literal);
  /// An exact numeric literal with a point (1.5): a DECIMAL typed as Calcite types it.
  runtime::plan::ExprPtr BindDecimalLiteral(const ast::LiteralExpression& literal);
  /// INTERVAL literals (bind_interval.cpp): one day-time unit or a day-time range, as
  /// milliseconds; a year-month one is refused here (it is taken by BindYearMonthArithmetic).
  runtime::plan::ExprPtr BindIntervalLiteral(const ast::LiteralExpression& literal);
  /// Whether `expression` is a year-month INTERVAL literal (YEAR, QUARTER, MONTH, YEAR TO MONTH).
  static bool YearMonthLiteral(const ast::Expression& expression);
  /// The signed months of a year-month INTERVAL literal; nullopt (and an error) when not valid.
  std::optional<int64_t> YearMonthLiteralMonths(const ast::Expression& expression);
  /// `x ± INTERVAL '1' MONTH` (also `INTERVAL … + x`): TIMESTAMPADD(MONTH, ±n, x) over a DATE,
  /// TIMESTAMP or TIMESTAMP_LTZ.
  runtime::plan::ExprPtr BindYearMonthArithmetic(const ast::BinaryExpression& binary,
                                                 const Scope& scope);
  /// TIMESTAMPADD of whole days, weeks, months, quarters or years to a DATE is a DATE
  /// (Calcite's deduceType); `call` (a bound TIMESTAMPADD) cast back to DATE where so.
  runtime::plan::ExprPtr KeepDateOfTimestampAdd(runtime::plan::ExprPtr call);
  runtime::plan::ExprPtr BindColumnRef(const ast::ColumnRefExpression& ref, const Scope& scope);
  runtime::plan::ExprPtr BindCall(const std::string& name,
                                  std::vector<runtime::plan::ExprPtr> arguments,
                                  base::SourceSpan span);
  /// JSON_OBJECT, JSON_ARRAY, JSON_STRING and IS JSON over bound arguments
  /// (bind_composed_functions.cpp).
  runtime::plan::ExprPtr BindJsonFunction(const ast::FunctionCallExpression& call,
                                          std::vector<runtime::plan::ExprPtr> arguments,
                                          const std::string& upper);
  /// A value as JSON text (NULL stays NULL); `written` is its expression as written (a JSON
  /// constructor's value is JSON already).
  runtime::plan::ExprPtr JsonText(runtime::plan::ExprPtr value, const ast::Expression& written);
  /// The constructors ARRAY[...] and MAP[...] and the functions over collections (CARDINALITY,
  /// ARRAY_CONTAINS, MAP_KEYS, STR_TO_MAP, ...), typed here (bind_collections.cpp).
  runtime::plan::ExprPtr BindCollectionFunction(const ast::FunctionCallExpression& call,
                                                std::vector<runtime::plan::ExprPtr> arguments,
                                                const std::string& upper);
  /// `array[index]` and `map[key]`. With `row_out`, an element that is a ROW is allowed: its
  /// encoding comes back as a VARCHAR-typed call and its type in `*row_out`.
  runtime::plan::ExprPtr BindSubscript(const ast::SubscriptExpression& subscript,
                                       const Scope& scope, types::LogicalType* row_out = nullptr);
  /// ROW(e1, ...): a row with fields EXPR$0, EXPR$1, ... (Flink's names) (bind_row.cpp).
  runtime::plan::ExprPtr BindRowConstructor(const ast::FunctionCallExpression& call,
                                            std::vector<runtime::plan::ExprPtr> arguments);
  /// `left = right`, `left <> right` of two rows: equal when every field is (NULL fields equal).
  runtime::plan::ExprPtr CompareRows(const std::string& name, runtime::plan::ExprPtr left,
                                     runtime::plan::ExprPtr right, base::SourceSpan span);
  /// A row cast to the ROW `type` field by field (a NULL to a NULL row).
  runtime::plan::ExprPtr CastRow(runtime::plan::ExprPtr expression,
                                 const types::LogicalType& type) const;
  /// `array[i].field`, `map[k].field`: a field of a ROW element.
  runtime::plan::ExprPtr BindFieldAccess(const ast::FieldAccessExpression& access,
                                         const Scope& scope);
  /// OVERLAY(s PLACING r FROM start [FOR length]) as SUBSTRINGs around r.
  runtime::plan::ExprPtr BindOverlay(const ast::FunctionCallExpression& call,
                                     std::vector<runtime::plan::ExprPtr> arguments);
  /// TRIM/LTRIM/RTRIM(s, characters), BTRIM(s [, characters]), INSTR(s, sub) as the calls
  /// they are (IsComposedStringCall).
  runtime::plan::ExprPtr BindComposedStringCall(const ast::FunctionCallExpression& call,
                                                std::vector<runtime::plan::ExprPtr> arguments,
                                                const std::string& upper);
  /// JSON_QUERY with a RETURNING, wrapper or ON EMPTY / ON ERROR clause ($JSON_QUERY).
  /// JSON_EXISTS(s, path {TRUE | FALSE | UNKNOWN | ERROR} ON ERROR).
  runtime::plan::ExprPtr BindJsonExistsOnError(const ast::FunctionCallExpression& call,
                                               std::vector<runtime::plan::ExprPtr> arguments);
  runtime::plan::ExprPtr BindJsonQueryClauses(const ast::FunctionCallExpression& call,
                                              std::vector<runtime::plan::ExprPtr> arguments);
  /// JSON_VALUE's RETURNING type and ON EMPTY / ON ERROR clauses applied to its value.
  runtime::plan::ExprPtr BindJsonValueClauses(const ast::FunctionCallExpression& call,
                                              runtime::plan::ExprPtr value, const Scope& scope);
  runtime::plan::ExprPtr BindFunctionCall(const ast::FunctionCallExpression& call,
                                          const Scope& scope);
  runtime::plan::ExprPtr BindCase(const ast::CaseExpression& expression, const Scope& scope);
  runtime::plan::ExprPtr BindCast(const ast::CastExpression& expression, const Scope& scope);
  /// EXTRACT(unit FROM ts): the calendar field's function, or Calcite's derived fields (DOW,
  /// DOY, ISODOW, ISOYEAR, DECADE, CENTURY, MILLENNIUM, EPOCH) composed from them.
  runtime::plan::ExprPtr BindExtract(const ast::ExtractExpression& extract, const Scope& scope);
  /// `value LIKE pattern ESCAPE e` (literal pattern and escape) as the equivalent SIMILAR TO.
  runtime::plan::ExprPtr BindLikeEscape(const ast::LikeExpression& like,
                                        runtime::plan::ExprPtr value,
                                        runtime::plan::ExprPtr pattern, const Scope& scope);
  /// Binds a predicate and checks it is BOOLEAN.
  runtime::plan::ExprPtr BindPredicate(const ast::Expression& expression, const Scope& scope,
                                       const char* clause);
  /// Derives an output column name for a select item without an alias (Flink: EXPR$n).
  static std::string DefaultName(const ast::Expression& expression, size_t position);

  Catalog* catalog_;
  std::string local_time_zone_ = "UTC";
  std::string current_database_ = "default_database";
  bool lateral_table_call_ = false;  // binding LATERAL TABLE(f(...)): f may be a table function
  std::vector<base::Diagnostic> diagnostics_;
  /// CTEs of the queries being bound, innermost last.
  std::vector<std::map<std::string, const ast::CommonTableExpression*>> ctes_;
  /// How many queries enclose the one being bound (a pipe's input counts as its pipe): an
  /// ORDER BY without LIMIT of a nested query is dropped (BindQuery).
  int32_t query_depth_ = 0;
  /// Views being expanded, to report a view that refers to itself.
  std::vector<std::string> expanding_views_;
  /// While binding after an aggregation: AST nodes (aggregate calls, grouped expressions)
  /// that stand for a column of the aggregation's output.
  std::map<const ast::Expression*, runtime::plan::ExprPtr> replacements_;
  /// The next BindSelect's hidden ORDER BY items (HiddenOrderItems), appended to its select
  /// list as columns $order0, $order1, …; taken (and cleared) by that BindSelect.
  std::vector<const ast::Expression*> hidden_order_items_;
  /// Their aliases, which OutputItems borrow.
  std::deque<ast::Identifier> hidden_order_aliases_;
  /// While binding after an aggregation: the scope before it, to explain a missing column.
  const Scope* pre_aggregation_scope_ = nullptr;
  /// While binding a scalar subquery: the outer query's scope, whose names the subquery may
  /// use in `inner = outer` conditions of its WHERE only (a reference elsewhere is refused).
  const Scope* correlation_scope_ = nullptr;
  /// What the subquery is, for messages: "scalar subquery", "LATERAL subquery".
  const char* correlation_construct_ = "subquery";
  /// While binding a scalar subquery over an aggregation: the outer query's scope before its
  /// aggregation, to explain an outer column that is not a grouping key.
  const Scope* correlation_pre_aggregation_scope_ = nullptr;
  /// While binding a SELECT's items: its WINDOW clause (`OVER name`).
  const std::vector<ast::NamedWindow>* named_windows_ = nullptr;
  /// While binding a SELECT's items: its UID('name') hint, for its OVER or Top-N operator.
  std::string window_uid_hint_;
  /// While binding the WHERE of an aggregating SELECT: a pending window TVF stays pending (its
  /// window columns cannot be filtered on).
  bool filtering_before_aggregation_ = false;
};

/// Counts the slots a value of `type` takes in a batch (1, plus its fields' slots for ROW).
int32_t SlotCount(const types::LogicalType& type);

// ROW values in expressions (bind_row.cpp): a ROW-typed expression is a ROW column or a call
// ROW(present, field, ...) of the row's type.

/// ROW(present, field, ...): a row of `type`, NULL unless `present` (BOOLEAN) is TRUE.
runtime::plan::ExprPtr RowValue(runtime::plan::ExprPtr present, const types::LogicalType& type,
                                std::vector<runtime::plan::ExprPtr> fields);
/// A NULL row of `type` (its fields NULL too).
runtime::plan::ExprPtr NullRow(const types::LogicalType& type);
/// A ROW column as ROW(column IS NOT NULL, field columns...); a ROW call unchanged.
runtime::plan::ExprPtr AsRowValue(const runtime::plan::ExprPtr& row);
/// Whether `row` is a ROW column or a ROW(...) call (RowSlots and EncodeRow take it).
bool IsSlotRow(const runtime::plan::ExprPtr& row);
/// The expressions of the slots `row` takes in a batch: its validity, then its fields'.
std::vector<runtime::plan::ExprPtr> RowSlots(const runtime::plan::ExprPtr& row);
/// Whether a ROW of `type` has a DECIMAL above precision 18 among its fields (at any depth),
/// which a ROW element's bytes do not hold yet.
bool RowHoldsWideDecimal(const types::LogicalType& type);
/// `row` as the bytes of a ROW element of a collection (VARCHAR-typed; NULL for a NULL row).
runtime::plan::ExprPtr EncodeRow(const runtime::plan::ExprPtr& row);
/// The ROW of `type` whose element bytes `encoding` holds (NULL bytes: a NULL row).
runtime::plan::ExprPtr DecodeRow(const runtime::plan::ExprPtr& encoding,
                                 const types::LogicalType& type);
/// How a value converts: implicitly, on assignment (INSERT: also between numbers), by CAST.
enum class RowCast { kImplicit, kAssignment, kExplicit };
/// Whether `from` converts to `to`, rows field by field (same number of fields, names ignored).
bool RowCastable(const types::LogicalType& from, const types::LogicalType& to, RowCast kind);
/// CommonSupertype, also of two rows with as many fields (field by field, the left's names).
bool CommonValueType(const types::LogicalType& left, const types::LogicalType& right,
                     types::LogicalType* out);

}  // namespace sluice::compiler::binder
