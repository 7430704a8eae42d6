#include "compiler/physical/physical_planner.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <cctype>
#include <cstdlib>
#include <functional>

#include "catalog/base/duration.h"
#include "compiler/optimizer/optimizer.h"
#include "compiler/physical/plan_expand.h"
#include "compiler/physical/plan_join.h"
#include "compiler/physical/plan_lookup_join.h"
#include "compiler/physical/plan_match_recognize.h"
#include "compiler/physical/plan_over.h"
#include "compiler/physical/plan_set_operation.h"
#include "compiler/physical/plan_temporal_join.h"
#include "compiler/physical/plan_time_sort.h"
#include "compiler/physical/plan_window_rows.h"
#include "compiler/physical/state_signature.h"
#include "runtime/connectors/connector.h"
#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::compiler::physical {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::PlanEdge;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;
using types::LogicalType;
using types::TypeId;

namespace {

bool IsIdentity(const ChainSpec& chain) {
  if (chain.filter || chain.projections.size() != chain.input_types.size()) return false;
  for (size_t i = 0; i < chain.projections.size(); ++i) {
    const ExprPtr& projection = chain.projections[i];
    if (projection->kind != ExprKind::kColumn ||
        projection->column_index != static_cast<int32_t>(i)) {
      return false;
    }
  }
  return true;
}

/// Whether INSERT may write a value of type `from` into a column of type `to`.
/// Whether two types are the same but for the names of ROW fields (the same slots and bytes).
bool SameButFieldNames(const LogicalType& a, const LogicalType& b) {
  if (a.id() != b.id()) return false;
  if (a.IsCollection()) {
    return SameButFieldNames(a.element_type(), b.element_type()) &&
           (a.id() != TypeId::kMap || SameButFieldNames(a.value_type(), b.value_type()));
  }
  if (a.id() != TypeId::kRow) return a == b;
  if (a.fields().size() != b.fields().size()) return false;
  for (size_t i = 0; i < a.fields().size(); ++i) {
    if (!SameButFieldNames(a.fields()[i].type, b.fields()[i].type)) return false;
  }
  return true;
}

bool IsAssignable(const LogicalType& from, const LogicalType& to) {
  if (from == to || from.id() == TypeId::kNull) return true;
  // ARRAY[ROW(1, 'a')] into ARRAY<ROW<x INT, y STRING>>: the names are not part of the bytes.
  if (from.IsCollection() && SameButFieldNames(from, to)) return true;
  if (from.id() == TypeId::kRow || to.id() == TypeId::kRow) {
    // Field by field, names ignored (Flink's INSERT of ROW(1, 'a') into ROW<a INT, b STRING>).
    if (from.id() != to.id() || from.fields().size() != to.fields().size()) return false;
    for (size_t i = 0; i < from.fields().size(); ++i) {
      if (!IsAssignable(from.fields()[i].type, to.fields()[i].type)) return false;
    }
    return true;
  }
  if (from.IsNumeric() && to.IsNumeric()) return true;  // assignment casts between numbers
  return types::IsImplicitlyCastable(from, to);
}

/// The slots of a ROW `have` starting at `slot`, as the sink's ROW `want`: its validity
/// retyped, fields cast where their types differ.
void AppendRowAssignment(const LogicalType& have, const LogicalType& want, int32_t* slot,
                         std::vector<ExprPtr>* out) {
  ExprPtr validity = Expr::Column((*slot)++, have);
  if (have != want) {
    validity = Expr::Call(
        functions::FunctionId::kRow, want,
        {Expr::Call(functions::FunctionId::kIsNotNull, LogicalType::Boolean(), {validity})});
  }
  out->push_back(validity);
  for (size_t i = 0; i < want.fields().size(); ++i) {
    const LogicalType& from = have.fields()[i].type;
    const LogicalType& to = want.fields()[i].type;
    if (to.id() == TypeId::kRow) {
      AppendRowAssignment(from, to, slot, out);
      continue;
    }
    ExprPtr value = Expr::Column((*slot)++, from);
    out->push_back(from == to || SameButFieldNames(from, to) ? value : Expr::Cast(value, to));
  }
}

std::vector<std::string> SlotNames(const types::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(schema)) names.push_back(slot.path);
  return names;
}

/// Points a connector's error at the option it is about (Status::subject), or at the table's
/// use.
base::Status Locate(const base::Status& status, const TableSpans* spans) {
  if (status.ok() || spans == nullptr) return status;
  base::SourceSpan span = spans->use;
  if (auto option = spans->options.find(status.subject()); option != spans->options.end()) {
    span = option->second;
  }
  return base::Status::Error(status.code(), status.message(), span).WithSubject(status.subject());
}

/// Rejects PARTITIONED BY on a table whose connector cannot partition (all but filesystem).
base::Status CheckPartitioning(const runtime::connectors::Connector& connector,
                               const runtime::connectors::TableDescriptor& table,
                               const TableSpans* spans) {
  if (table.partition_keys.empty() || connector.name() == "filesystem") return base::Status::Ok();
  return Locate(base::Status::Error(base::ErrorCode::kOption,
                                    fmt::format("table '{}' is PARTITIONED BY, but 'connector' = "
                                                "'{}' cannot write partitions; only 'filesystem' "
                                                "can",
                                                table.name, connector.name()))
                    .WithSubject("connector"),
                spans);
}

class Planner {
 public:
  Planner(const PhysicalOptions& options, const std::map<std::string, TableSpans>& spans)
      : options_(options), spans_(spans) {
    plan_.job_name = options.job_name;
    plan_.max_parallelism = options.max_parallelism;
    plan_.options = options.options;
  }

  /// Reads Sluice's job options that change plans ('table.exec.state.ttl',
  /// 'table.exec.source.idle-timeout', 'table.exec.join.free-state-by-watermark').
  base::Status ReadOptions() {
    SLUICE_RETURN_IF_ERROR(ReadDuration("table.exec.state.ttl", &state_ttl_));
    auto free_state = options_.options.find("table.exec.join.free-state-by-watermark");
    free_join_state_ = free_state == options_.options.end() || free_state->second == "true";
    int64_t checkpoint_interval = 0;  // read by the runtime; checked here
    SLUICE_RETURN_IF_ERROR(ReadDuration("execution.checkpointing.interval", &checkpoint_interval));
    return ReadDuration("table.exec.source.idle-timeout", &source_idle_timeout_);
  }

  /// Sets `*millis` from duration option `name` when it is set.
  base::Status ReadDuration(const std::string& name, int64_t* millis) {
    auto option = options_.options.find(name);
    if (option == options_.options.end()) return base::Status::Ok();
    auto parsed = base::ParseDurationMillis(option->second);
    if (!parsed) {
      return base::Status::Error(base::ErrorCode::kOption,
                                 fmt::format("invalid value '{}' for '{}': "
                                             "expected a duration such as '1 h', '30 min', "
                                             "'90 s' or '500 ms'",
                                             option->second, name));
    }
    *millis = *parsed;
    return base::Status::Ok();
  }

  base::Status PlanInsert(const logical::InsertPlan& insert) {
    const LogicalNode& sink = *insert.root;
    query_ = insert.target;
    const auto& sink_table = sink.table->descriptor;
    const TableSpans* sink_spans = FindSpans(sink_table.name);
    const LogicalNode& top = *sink.inputs[0];

    // Casts from the query's columns to the sink's declared column types. The query gives
    // every column but the VIRTUAL metadata ones, which are NULL in the sink's batches.
    const types::Schema& query_schema = top.schema;
    const types::Schema written = logical::WrittenSchema(sink_table);
    if (query_schema.columns.size() != written.columns.size()) {
      std::string read_only;
      for (const auto& column : sink_table.schema.columns) {
        if (!logical::IsVirtualColumn(sink_table, column.name)) continue;
        read_only += (read_only.empty() ? "" : ", ") + column.name;
      }
      return base::Status::Error(
          base::ErrorCode::kBind,
          fmt::format("INSERT INTO {} expects {} columns {} but the query produces {} {}{}",
                      sink_table.name, written.columns.size(), written.ToString(),
                      query_schema.columns.size(), query_schema.ToString(),
                      read_only.empty() ? ""
                                        : " (VIRTUAL metadata columns are read-only and not "
                                          "written: " +
                                              read_only + ")"),
          sink_spans ? sink_spans->use : base::SourceSpan{});
    }
    std::vector<LogicalType> query_types = logical::SlotTypes(query_schema);
    std::vector<ExprPtr> casts;
    int32_t slot = 0;
    size_t query_column = 0;
    for (size_t i = 0; i < sink_table.schema.columns.size(); ++i) {
      const LogicalType& want = sink_table.schema.columns[i].type;
      const std::vector<types::Slot> column_slots =
          types::FlattenSchema(types::Schema{{sink_table.schema.columns[i]}});
      if (logical::IsVirtualColumn(sink_table, sink_table.schema.columns[i].name)) {
        for (const types::Slot& null_slot : column_slots) {
          casts.push_back(Expr::Literal(runtime::plan::Value::Null(null_slot.type)));
        }
        continue;
      }
      const int32_t count = static_cast<int32_t>(column_slots.size());
      const LogicalType& have = query_schema.columns[query_column++].type;
      if (!IsAssignable(have, want)) {
        return base::Status::Error(
            base::ErrorCode::kBind,
            fmt::format("INSERT INTO {}: column '{}' is {}, but the query gives {} for it",
                        sink_table.name, sink_table.schema.columns[i].name, want.ToString(),
                        have.ToString()),
            sink_spans ? sink_spans->use : base::SourceSpan{});
      }
      if (want.id() == TypeId::kRow && have.id() == TypeId::kRow) {
        AppendRowAssignment(have, want, &slot, &casts);
        continue;
      }
      if (want.id() == TypeId::kRow) {
        for (int32_t k = 0; k < count; ++k) {
          casts.push_back(Expr::Column(slot + k, query_types[slot + k]));
        }
        slot += count;
        continue;
      }
      ExprPtr value = Expr::Column(slot++, have);
      if (have != want && !SameButFieldNames(have, want)) value = Expr::Cast(value, want);
      casts.push_back(value);
    }
    SLUICE_ASSIGN_OR_RETURN(Planned upstream, PlanChain(top, &casts, sink_table.schema));
    if (upstream.mode == runtime::plan::ChangelogMode::kUpdating) updating_sink_ = true;
    return PlanSink(sink, upstream);
  }

  PlanGraph Finish() { return std::move(plan_); }

 private:
  struct Planned {
    int32_t node = -1;
    types::Schema schema;
    runtime::plan::ChangelogMode mode = runtime::plan::ChangelogMode::kInsertOnly;
    /// Where each slot of the logical node's output is in the physical node's output, when
    /// they differ (a join appends computed key columns); empty means the same.
    std::vector<int32_t> slot_map;
  };

  int32_t AddNode(PlanNode node) {
    node.id = static_cast<int32_t>(plan_.nodes.size());
    plan_.nodes.push_back(std::move(node));
    return plan_.nodes.back().id;
  }

  /// `<query>/<kind><n>`: n counts operators of that kind in this query, from the sources.
  std::string DerivedUid(const std::string& kind) {
    int32_t ordinal = ++ordinals_[query_ + "\n" + kind];
    if (kind == "calc" && ordinal == 1) return query_ + "/calc";
    return fmt::format("{}/{}{}", query_, kind, ordinal);
  }

  /// A pinned UID (`/*+ UID('x') */`) or the derived one. A pinned operator still takes its
  /// ordinal, so pinning one operator never renames another.
  std::string UidFor(const std::string& hint, const std::string& kind) {
    std::string derived = DerivedUid(kind);
    return hint.empty() ? derived : hint;
  }

  /// A pinned UID must name one operator only (two `/*+ UID('x') */` hints in one job).
  base::Status CheckUniqueUid(const std::string& uid, base::SourceSpan span) const {
    for (const PlanNode& existing : plan_.nodes) {
      if (existing.uid == uid) {
        return base::Status::Error(base::ErrorCode::kPlan,
                                   "two stateful operators would share the UID '" + uid +
                                       "'; pin different UIDs with /*+ UID('...') */",
                                   span);
      }
    }
    return base::Status::Ok();
  }

  /// Plans `top` and the filters and projections below it down to the first other node, as
  /// one fused Calc over that node. `final_projections` (over `top`'s slots) are applied last.
  base::Result<Planned> PlanChain(const LogicalNode& top,
                                  const std::vector<ExprPtr>* final_projections,
                                  const types::Schema& final_schema) {
    std::vector<const LogicalNode*> chain;
    const LogicalNode* current = &top;
    while (current->kind == LogicalKind::kFilter || current->kind == LogicalKind::kProject) {
      chain.push_back(current);
      current = current->inputs[0].get();
    }
    Planned below;
    switch (current->kind) {
      case LogicalKind::kScan: {
        SLUICE_ASSIGN_OR_RETURN(int32_t source, SourceFor(*current));
        // A changelog source (a CDC format such as 'debezium-json') is an updating stream.
        below = Planned{source, current->schema, plan_.nodes[source].changelog_mode, {}};
        break;
      }
      case LogicalKind::kAggregate: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanAggregate(*current));
        break;
      }
      case LogicalKind::kUnion: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanUnion(*current));
        break;
      }
      case LogicalKind::kJoin: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanJoin(*current));
        break;
      }
      case LogicalKind::kTopN: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanTopN(*current));
        break;
      }
      case LogicalKind::kLookupJoin: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanLookupJoin(*current));
        break;
      }
      case LogicalKind::kOver: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanOverAggregate(*current));
        break;
      }
      case LogicalKind::kSetOperation: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanSetOperation(*current));
        break;
      }
      case LogicalKind::kWindowTableFunction: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanWindowTableFunction(*current));
        break;
      }
      case LogicalKind::kExpand: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanExpand(*current));
        break;
      }
      case LogicalKind::kUnnest: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanUnnest(*current));
        break;
      }
      case LogicalKind::kMatchRecognize: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanMatchRecognize(*current));
        break;
      }
      case LogicalKind::kTimeSort: {
        SLUICE_ASSIGN_OR_RETURN(below, PlanTimeSort(*current));
        break;
      }
      default:
        return base::Status::Error(
            base::ErrorCode::kPlan,
            std::string("cannot plan a ") + logical::LogicalKindName(current->kind) + " node here");
    }

    // Fuse bottom-up into one chain over `below`'s slots.
    ChainSpec fused;
    fused.input_types = logical::SlotTypes(below.schema);
    std::vector<ExprPtr> projections;
    size_t logical_slots =
        below.slot_map.empty() ? fused.input_types.size() : below.slot_map.size();
    for (size_t i = 0; i < logical_slots; ++i) {
      int32_t slot = below.slot_map.empty() ? static_cast<int32_t>(i) : below.slot_map[i];
      projections.push_back(Expr::Column(slot, fused.input_types[slot]));
    }
    for (auto node = chain.rbegin(); node != chain.rend(); ++node) {
      if ((*node)->kind == LogicalKind::kFilter) {
        ExprPtr predicate = optimizer::Substitute((*node)->predicate, projections);
        fused.filter = fused.filter ? Expr::Call(functions::FunctionId::kAnd,
                                                 LogicalType::Boolean(), {fused.filter, predicate})
                                    : predicate;
      } else {
        std::vector<ExprPtr> next;
        for (const ExprPtr& projection : (*node)->projections) {
          next.push_back(optimizer::Substitute(projection, projections));
        }
        projections = std::move(next);
      }
    }
    types::Schema schema = top.schema;
    if (chain.empty() && !below.slot_map.empty() && final_projections == nullptr) {
      schema = current->schema;  // a Calc drops the join's extra key columns
    }
    if (final_projections != nullptr) {
      std::vector<ExprPtr> next;
      for (const ExprPtr& projection : *final_projections) {
        next.push_back(optimizer::Substitute(projection, projections));
      }
      projections = std::move(next);
      schema = final_schema;
    }
    fused.projections = std::move(projections);
    DropUnusedRowNumber(below, &fused);
    if (IsIdentity(fused)) return Planned{below.node, schema, below.mode, {}};

    PlanNode calc;
    calc.uid = DerivedUid("calc");
    calc.kind = runtime::plan::OperatorKind::kCalc;
    calc.parallelism = plan_.nodes[below.node].parallelism;
    calc.output_schema = schema;
    calc.changelog_mode = below.mode;
    calc.description = DescribeChain(fused, SlotNames(below.schema), SlotNames(schema));
    if (below.mode == runtime::plan::ChangelogMode::kUpdating && fused.filter) {
      // Keep row kinds attached: filter after projecting (CalcOperator).
      fused.projections.push_back(fused.filter);
      fused.filter = nullptr;
      calc.filter_as_last_projection = true;
    }
    calc.chain = fused;
    int32_t id = AddNode(std::move(calc));
    plan_.edges.push_back(PlanEdge{below.node, id, 0, runtime::plan::ExchangeKind::kForward, {}});
    return Planned{id, schema, below.mode, {}};
  }

  base::Result<Planned> PlanAggregate(const LogicalNode& aggregate) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*aggregate.inputs[0], nullptr, {}));
    runtime::plan::AggregateSpec spec = *aggregate.aggregate;
    bool updating_input = input.mode == runtime::plan::ChangelogMode::kUpdating;
    if (spec.window && updating_input) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 "a window aggregation needs an insert-only input, but its input "
                                 "is an updating result (from an unbounded aggregation)",
                                 aggregate.span);
    }
    for (auto& call : spec.calls) call.retractable = updating_input;
    PlanNode node;
    std::string kind = spec.window ? "window-aggregate" : "group-aggregate";
    node.uid = UidFor(aggregate.uid_hint, kind);
    for (const PlanNode& existing : plan_.nodes) {
      if (existing.uid == node.uid) {
        return base::Status::Error(base::ErrorCode::kPlan,
                                   "two stateful operators would share the UID '" + node.uid +
                                       "'; pin different UIDs with /*+ UID('...') */",
                                   aggregate.span);
      }
    }
    node.kind = spec.window ? runtime::plan::OperatorKind::kWindowAggregate
                            : runtime::plan::OperatorKind::kGroupAggregate;
    node.parallelism = options_.parallelism;
    node.output_schema = aggregate.schema;
    // Without aggregate calls (SELECT DISTINCT, UNION, GROUP BY keys only) a group's row never
    // changes once emitted: over an insert-only input only its first row emits (+I).
    const bool insert_only = spec.window || (spec.calls.empty() && !updating_input);
    node.changelog_mode = insert_only ? runtime::plan::ChangelogMode::kInsertOnly
                                      : runtime::plan::ChangelogMode::kUpdating;
    runtime::plan::StateSpec state;
    bool session = spec.window && spec.window->kind == runtime::plan::WindowKind::kSession;
    state.name = !spec.window ? "groups" : session ? "sessions" : "slices";
    std::vector<std::string> input_names = SlotNames(input.schema);
    auto input_types = logical::SlotTypes(input.schema);
    for (int32_t key : spec.key_slots) {
      state.key_schema.columns.push_back({input_names[key], input_types[key]});
    }
    state.state_namespace = spec.window && !session ? runtime::plan::StateNamespace::kWindow
                                                    : runtime::plan::StateNamespace::kNone;
    size_t first_call = aggregate.schema.columns.size() - spec.calls.size();
    for (size_t i = 0; i < spec.calls.size(); ++i) {
      state.value_schema.columns.push_back(aggregate.schema.columns[first_call + i]);
    }
    node.state.push_back(state);
    if (spec.window) node.state.push_back(runtime::plan::WatermarkStateSpec());
    node.aggregate = spec;
    node.description = DescribeAggregate(spec, input_names);
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(
        PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kHash, spec.key_slots});
    return Planned{id, aggregate.schema, plan_.nodes[id].changelog_mode, {}};
  }

  /// Plans `side` for a join on `keys` (over its slots): keys that are not plain columns are
  /// computed into extra columns after its own. Appends the key slots to `key_slots` and counts
  /// the extra columns in `extras`.
  base::Result<Planned> PlanWithKeyColumns(const LogicalNode& side,
                                           const std::vector<ExprPtr>& keys, base::SourceSpan span,
                                           std::vector<int32_t>* key_slots, int32_t* extras) {
    auto types = logical::SlotTypes(side.schema);
    std::vector<ExprPtr> projections;
    for (size_t i = 0; i < types.size(); ++i) {
      projections.push_back(Expr::Column(static_cast<int32_t>(i), types[i]));
    }
    types::Schema schema = side.schema;
    for (const ExprPtr& key : keys) {
      if (key->type.id() == TypeId::kRow) {
        return base::Status::Error(base::ErrorCode::kPlan, "cannot join on a ROW", span);
      }
      if (key->kind == ExprKind::kColumn) {
        key_slots->push_back(key->column_index);
        continue;
      }
      key_slots->push_back(static_cast<int32_t>(projections.size()));
      projections.push_back(key);
      schema.columns.push_back({fmt::format("$key{}", *extras), key->type});
      ++*extras;
    }
    return PlanChain(side, *extras > 0 ? &projections : nullptr, schema);
  }

  base::Result<Planned> PlanJoin(const LogicalNode& join) {
    const LogicalNode& left = *join.inputs[0];
    const LogicalNode& right = *join.inputs[1];
    // A window join's sides also have their window columns, computed by the join itself.
    const bool window_join = join.window_join.has_value();
    const int32_t window_columns = window_join ? 3 : 0;
    const int32_t left_inputs = static_cast<int32_t>(left.SlotCount());
    const int32_t right_inputs = static_cast<int32_t>(right.SlotCount());
    const int32_t left_slots = left_inputs + window_columns;
    const int32_t right_slots = right_inputs + window_columns;
    auto left_types = logical::SlotTypes(left.schema);
    auto right_types = logical::SlotTypes(right.schema);
    std::optional<logical::IntervalBounds> interval = IntervalJoinBounds(join);

    // Equalities between one expression of each side become the join keys (never over a
    // window join's window columns, which do not exist before it).
    std::vector<ExprPtr> conjuncts;
    if (interval) {
      conjuncts = interval->other_conjuncts;
    } else {
      logical::ConjunctsOf(join.predicate, &conjuncts);
    }
    auto side_of = [&](const ExprPtr& expression) {
      int32_t minimum = INT32_MAX, maximum = -1;
      bool window_column = false;
      std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& node) {
        if (node->kind == ExprKind::kColumn) {
          minimum = std::min(minimum, node->column_index);
          maximum = std::max(maximum, node->column_index);
          int32_t index = node->column_index;
          window_column |=
              (index >= left_inputs && index < left_slots) || index >= left_slots + right_inputs;
        }
        for (const auto& argument : node->arguments) visit(argument);
      };
      visit(expression);
      if (window_column) return 3;
      if (maximum < 0) return 0;            // constant
      if (maximum < left_slots) return 1;   // left only
      if (minimum >= left_slots) return 2;  // right only
      return 3;                             // both
    };
    std::vector<ExprPtr> left_keys, right_keys, residual;
    for (const ExprPtr& conjunct : conjuncts) {
      bool equality =
          conjunct->kind == ExprKind::kCall && conjunct->function == functions::FunctionId::kEqual;
      if (equality) {
        int a = side_of(conjunct->arguments[0]);
        int b = side_of(conjunct->arguments[1]);
        if ((a == 1 && b == 2) || (a == 2 && b == 1)) {
          const ExprPtr& l = a == 1 ? conjunct->arguments[0] : conjunct->arguments[1];
          const ExprPtr& r = a == 1 ? conjunct->arguments[1] : conjunct->arguments[0];
          left_keys.push_back(l);
          right_keys.push_back(logical::ShiftColumns(r, -left_slots));
          continue;
        }
      }
      // A window join joins per window: equal windows need no residual.
      if (window_join && equality && IsWindowPairing(*conjunct, left_inputs, right_inputs))
        continue;
      residual.push_back(conjunct);
    }
    // A join without keys (a CROSS JOIN, `ON a.x < b.y`, NOT IN's null-aware condition, an
    // uncorrelated EXISTS or scalar subquery) runs in one key group, as Flink's does: every
    // row in one subtask, each compared with every kept row of the other side.
    const bool semi_anti = join.join_type == runtime::plan::JoinType::kSemi ||
                           join.join_type == runtime::plan::JoinType::kAnti;
    if (left_keys.empty() && window_join && !semi_anti && !join.single_right_row) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 "this window join has no equality condition between its two "
                                 "sides besides the windows (e.g. ON a.id = b.id)",
                                 join.span);
    }
    // Keys are hashed and compared by their encoding: DECIMALs of two types (compared by value
    // in SQL) are cast to their common type first.
    for (size_t i = 0; i < left_keys.size(); ++i) {
      types::LogicalType common;
      if (left_keys[i]->type != right_keys[i]->type &&
          left_keys[i]->type.id() == types::TypeId::kDecimal &&
          types::CommonSupertype(left_keys[i]->type, right_keys[i]->type, &common)) {
        if (left_keys[i]->type != common) left_keys[i] = Expr::Cast(left_keys[i], common);
        if (right_keys[i]->type != common) right_keys[i] = Expr::Cast(right_keys[i], common);
      }
    }
    std::vector<int32_t> left_key_slots, right_key_slots;
    int32_t left_extras = 0, right_extras = 0;
    SLUICE_ASSIGN_OR_RETURN(
        Planned planned_left,
        PlanWithKeyColumns(left, left_keys, join.span, &left_key_slots, &left_extras));
    SLUICE_ASSIGN_OR_RETURN(
        Planned planned_right,
        PlanWithKeyColumns(right, right_keys, join.span, &right_key_slots, &right_extras));

    // Logical slot → physical slot of the join's output (each side's extra key columns come
    // after its input's columns, before its window columns).
    std::vector<int32_t> slot_map;
    for (int32_t i = 0; i < left_slots; ++i)
      slot_map.push_back(i < left_inputs ? i : i + left_extras);
    const int32_t right_offset = left_slots + left_extras;
    for (int32_t i = 0; i < right_slots; ++i) {
      slot_map.push_back(right_offset + (i < right_inputs ? i : i + right_extras));
    }
    bool remapped = left_extras > 0 || right_extras > 0;
    // The residual reads joined rows; a semi or anti join outputs the left rows only.
    std::vector<int32_t> output_slot_map = slot_map;
    if (semi_anti) {
      output_slot_map.resize(left_slots);
      remapped = left_extras > 0;
    }

    runtime::plan::JoinSpec spec;
    spec.type = join.join_type;
    spec.left_key_slots = left_key_slots;
    spec.right_key_slots = right_key_slots;
    spec.single_right_row = join.single_right_row;
    std::vector<LogicalType> all_types = left_types;
    for (int32_t i = 0; i < window_columns; ++i) all_types.push_back(LogicalType::Timestamp());
    all_types.insert(all_types.end(), right_types.begin(), right_types.end());
    for (int32_t i = 0; i < window_columns; ++i) all_types.push_back(LogicalType::Timestamp());
    if (!residual.empty()) {
      ExprPtr condition = residual.front();
      for (size_t i = 1; i < residual.size(); ++i) {
        condition = Expr::Call(functions::FunctionId::kAnd, LogicalType::Boolean(),
                               {condition, residual[i]});
      }
      std::vector<ExprPtr> mapping;
      for (size_t i = 0; i < slot_map.size(); ++i) {
        mapping.push_back(Expr::Column(slot_map[i], all_types[i]));
      }
      spec.residual = optimizer::Substitute(condition, mapping);
    }
    if (!interval && !window_join) {
      spec.state_ttl = state_ttl_;
      spec.left_window_end_slot = join.left_window_end_slot;
      spec.right_window_end_slot = join.right_window_end_slot;
      if (free_join_state_ && !join.temporal_join && join.left_window_end_slot < 0) {
        logical::RowExpiries expiries = JoinRowExpiries(join);
        spec.left_expiry = std::move(expiries.left);
        spec.right_expiry = std::move(expiries.right);
      }
    }

    PlanNode node;
    const char* kind_name = interval ? "interval-join" : window_join ? "window-join" : "join";
    if (!join.temporal_join) node.uid = UidFor(join.uid_hint, kind_name);
    node.kind = interval      ? runtime::plan::OperatorKind::kIntervalJoin
                : window_join ? runtime::plan::OperatorKind::kWindowJoin
                              : runtime::plan::OperatorKind::kJoin;
    node.parallelism = options_.parallelism;
    for (const Planned* side : {&planned_left, &planned_right}) {
      if (semi_anti && side == &planned_right) break;
      for (const auto& column : side->schema.columns) node.output_schema.columns.push_back(column);
      if (!window_join) continue;
      for (const auto& column : WindowJoinColumns()) node.output_schema.columns.push_back(column);
    }
    // Interval and window joins emit each joined (or NULL-padded) row once, never retracting;
    // inner and semi joins of insert-only inputs only ever add rows.
    bool insert_only = interval || window_join ||
                       ((join.join_type == runtime::plan::JoinType::kInner ||
                         join.join_type == runtime::plan::JoinType::kSemi) &&
                        planned_left.mode == runtime::plan::ChangelogMode::kInsertOnly &&
                        planned_right.mode == runtime::plan::ChangelogMode::kInsertOnly);
    if (window_join && (planned_left.mode == runtime::plan::ChangelogMode::kUpdating ||
                        planned_right.mode == runtime::plan::ChangelogMode::kUpdating)) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 "a window join needs insert-only inputs, but an input is an "
                                 "updating result (from an unbounded aggregation)",
                                 join.span);
    }
    node.changelog_mode = insert_only ? runtime::plan::ChangelogMode::kInsertOnly
                                      : runtime::plan::ChangelogMode::kUpdating;
    auto left_names = SlotNames(planned_left.schema);
    auto right_names = SlotNames(planned_right.schema);
    for (const auto& [name, side, keys] : {std::tuple{"left", &planned_left, &left_key_slots},
                                           std::tuple{"right", &planned_right, &right_key_slots}}) {
      runtime::plan::StateSpec state;
      state.name = name;
      auto names = SlotNames(side->schema);
      auto types = logical::SlotTypes(side->schema);
      for (int32_t key : *keys) state.key_schema.columns.push_back({names[key], types[key]});
      state.value_schema = side->schema;
      // Window joins keep rows per window, interval joins per event time; regular joins per
      // row (the namespace is the row itself).
      if (window_join) state.state_namespace = runtime::plan::StateNamespace::kWindow;
      if (interval) state.state_namespace = runtime::plan::StateNamespace::kTime;
      if (!interval && !window_join) state.ttl_millis = state_ttl_;
      node.state.push_back(state);
    }
    if (interval || window_join) node.state.push_back(runtime::plan::WatermarkStateSpec());
    std::string description = std::string(runtime::plan::JoinTypeName(join.join_type)) + " ";
    if (window_join) description += DescribeWindow(join.window_join->window) + " ";
    description += "ON ";
    for (size_t i = 0; i < left_key_slots.size(); ++i) {
      description += (i ? " AND " : "") + left_names[left_key_slots[i]] + " = " +
                     right_names[right_key_slots[i]];
    }
    if (left_key_slots.empty()) description += spec.residual ? "" : "TRUE";
    if (interval) {
      description += " AND " + DescribeIntervalBounds(interval->spec, left_names, right_names);
    }
    if (spec.residual) {
      auto names = left_names;
      if (window_join) {
        for (const auto& column : WindowJoinColumns()) names.push_back(column.name);
      }
      names.insert(names.end(), right_names.begin(), right_names.end());
      if (window_join) {
        for (const auto& column : WindowJoinColumns()) names.push_back(column.name);
      }
      description += (left_key_slots.empty() ? "" : " AND ") + spec.residual->ToString(&names);
    }
    if (left_key_slots.empty()) description += " (no keys: one key group)";
    if (spec.single_right_row) description += " (scalar subquery: at most one right row)";
    if (spec.left_window_end_slot >= 0) description += " (state freed as windows end)";
    if (!spec.left_expiry.empty() || !spec.right_expiry.empty()) {
      std::string freed;
      if (!spec.left_expiry.empty())
        freed = "left rows at " + DescribeRowExpiry(spec.left_expiry, left_names);
      if (!spec.right_expiry.empty()) {
        freed += (freed.empty() ? "" : "; ") + std::string("right rows at ") +
                 DescribeRowExpiry(spec.right_expiry, right_names);
      }
      description += " (state freed by the watermark: " + freed + ")";
    }
    node.description = description;
    node.join = spec;
    if (interval) node.interval_join = interval->spec;
    if (window_join) node.window_join = join.window_join;
    if (join.temporal_join) {
      SLUICE_RETURN_IF_ERROR(
          MakeTemporalJoin(join, planned_left.mode, left_names, right_names, &node));
      node.uid = UidFor(join.uid_hint, "temporal-join");
    }
    for (const PlanNode& existing : plan_.nodes) {
      if (existing.uid == node.uid) {
        return base::Status::Error(base::ErrorCode::kPlan,
                                   "two stateful operators would share the UID '" + node.uid + "'",
                                   join.span);
      }
    }
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(
        PlanEdge{planned_left.node, id, 0, runtime::plan::ExchangeKind::kHash, left_key_slots});
    plan_.edges.push_back(
        PlanEdge{planned_right.node, id, 1, runtime::plan::ExchangeKind::kHash, right_key_slots});
    Planned result{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
    if (remapped) result.slot_map = output_slot_map;
    return result;
  }

  /// A lookup join reads its table in the operator: no source node, no exchange, no state.
  base::Result<Planned> PlanLookupJoin(const LogicalNode& join) {
    const auto& table = join.table->descriptor;
    const TableSpans* spans = FindSpans(table.name);
    const runtime::connectors::Connector* connector = FindConnector(table, spans);
    if (connector == nullptr) return last_error_;
    SLUICE_RETURN_IF_ERROR(CheckPartitioning(*connector, table, spans));
    SLUICE_RETURN_IF_ERROR(Locate(connector->Validate(table, /*as_source=*/true), spans));
    std::vector<int32_t> key_slots;
    int32_t extras = 0;
    SLUICE_ASSIGN_OR_RETURN(Planned input,
                            PlanWithKeyColumns(*join.inputs[0], join.lookup->input_keys, join.span,
                                               &key_slots, &extras));
    std::vector<int32_t> slot_map;
    SLUICE_ASSIGN_OR_RETURN(PlanNode node,
                            MakeLookupJoinNode(join, input.schema, key_slots, extras, &slot_map));
    node.uid = UidFor(join.uid_hint, "lookup-join");
    node.parallelism = plan_.nodes[input.node].parallelism;
    node.changelog_mode = input.mode;  // row kinds pass through
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kForward, {}});
    Planned result{id, plan_.nodes[id].output_schema, input.mode, {}};
    if (extras > 0) result.slot_map = slot_map;
    return result;
  }

  /// `L.window_start = R.window_start` (or window_end, window_time) of a window join: the same
  /// window column of both sides, which follow each side's `left_inputs` / `right_inputs` slots.
  static bool IsWindowPairing(const runtime::plan::Expr& equality, int32_t left_inputs,
                              int32_t right_inputs) {
    const ExprPtr& a = equality.arguments[0];
    const ExprPtr& b = equality.arguments[1];
    if (a->kind != ExprKind::kColumn || b->kind != ExprKind::kColumn) return false;
    int32_t low = std::min(a->column_index, b->column_index) - left_inputs;
    int32_t high = std::max(a->column_index, b->column_index) - (left_inputs + 3 + right_inputs);
    return low >= 0 && low < 3 && low == high;
  }

  base::Result<Planned> PlanTopN(const LogicalNode& top_n) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*top_n.inputs[0], nullptr, {}));
    runtime::plan::TopNSpec spec = *top_n.top_n;
    if (spec.limit == 0) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          "ROW_NUMBER() OVER (...) needs a filter on its result, such as WHERE rn <= 10 "
          "(Top-N) or WHERE rn = 1 (deduplication); numbering every row of an unbounded stream "
          "is not supported",
          top_n.span);
    }
    bool insert_only = input.mode == runtime::plan::ChangelogMode::kInsertOnly;
    // Window Top-N: partitioned by an event-time window's start and end, over an insert-only
    // input, each window is ranked once when it ends.
    spec.window_end_slot = insert_only ? WindowEndPartitionSlot(top_n, &spec.window_time_zone) : -1;
    const bool window_rank = spec.window_end_slot >= 0;
    // The first rows of a partition never change over an insert-only input when they are the
    // first by an ascending time attribute (limit 1: Flink's keep-first dedup) or the first
    // to arrive (no sort keys: a LIMIT without ORDER BY).
    spec.keep_first_only =
        !window_rank && insert_only && spec.function == runtime::plan::RankFunction::kRowNumber &&
        ((spec.limit == 1 && top_n.sorted_by_time_attribute) || spec.sort.empty());
    PlanNode node;
    node.uid = UidFor(top_n.uid_hint, window_rank ? "window-rank" : "top-n");
    SLUICE_RETURN_IF_ERROR(CheckUniqueUid(node.uid, top_n.span));
    node.kind =
        window_rank ? runtime::plan::OperatorKind::kWindowRank : runtime::plan::OperatorKind::kTopN;
    node.parallelism = options_.parallelism;
    node.output_schema = input.schema;
    if (spec.emit_row_number)
      node.output_schema.columns.push_back({"row_number", LogicalType::Bigint()});
    node.changelog_mode = spec.keep_first_only || window_rank
                              ? runtime::plan::ChangelogMode::kInsertOnly
                              : runtime::plan::ChangelogMode::kUpdating;
    auto names = SlotNames(input.schema);
    auto types = logical::SlotTypes(input.schema);
    runtime::plan::StateSpec state;
    state.name = window_rank ? "rows" : "ranks";
    if (window_rank) state.state_namespace = runtime::plan::StateNamespace::kWindow;
    for (int32_t slot : spec.partition_slots) {
      state.key_schema.columns.push_back({names[slot], types[slot]});
    }
    state.value_schema = input.schema;
    node.state.push_back(state);
    std::string description = "PARTITION BY [";
    for (size_t i = 0; i < spec.partition_slots.size(); ++i) {
      description += (i ? ", " : "") + names[spec.partition_slots[i]];
    }
    description += "] ORDER BY [";
    for (size_t i = 0; i < spec.sort.size(); ++i) {
      description +=
          (i ? ", " : "") + names[spec.sort[i].slot] + (spec.sort[i].ascending ? " ASC" : " DESC");
    }
    description += fmt::format("] LIMIT {}", spec.limit);
    if (spec.keep_first_only) description += " (keep first)";
    if (window_rank) {
      description += " per window ending at " + names[spec.window_end_slot];
      node.state.push_back(runtime::plan::WatermarkStateSpec());
    }
    node.description = description;
    node.top_n = spec;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(
        PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kHash, spec.partition_slots});
    return Planned{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
  }

  base::Result<Planned> PlanOverAggregate(const LogicalNode& over) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*over.inputs[0], nullptr, {}));
    SLUICE_ASSIGN_OR_RETURN(PlanNode node, PlanOverAggregateNode(over, input.schema, input.mode));
    node.uid = UidFor(over.uid_hint, "over-aggregate");
    SLUICE_RETURN_IF_ERROR(CheckUniqueUid(node.uid, over.span));
    node.parallelism = options_.parallelism;
    std::vector<int32_t> keys = node.over_aggregate->partition_slots;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kHash, keys});
    return Planned{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
  }

  base::Result<Planned> PlanMatchRecognize(const LogicalNode& match) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*match.inputs[0], nullptr, {}));
    SLUICE_ASSIGN_OR_RETURN(PlanNode node, PlanMatchRecognizeNode(match, input.schema, input.mode));
    node.uid = UidFor(match.uid_hint, "match-recognize");
    SLUICE_RETURN_IF_ERROR(CheckUniqueUid(node.uid, match.span));
    node.parallelism = options_.parallelism;
    std::vector<int32_t> keys = node.match_recognize->partition_slots;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kHash, keys});
    return Planned{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
  }

  base::Result<Planned> PlanTimeSort(const LogicalNode& sort) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*sort.inputs[0], nullptr, {}));
    SLUICE_ASSIGN_OR_RETURN(PlanNode node, PlanTimeSortNode(sort, input.schema, input.mode));
    node.uid = UidFor(sort.uid_hint, "sort");
    SLUICE_RETURN_IF_ERROR(CheckUniqueUid(node.uid, sort.span));
    node.parallelism = options_.parallelism;
    // Keyless: one key group, hence one subtask, holds every row (Flink's singleton sort).
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kHash, {}});
    return Planned{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
  }

  base::Result<Planned> PlanSetOperation(const LogicalNode& set_operation) {
    SLUICE_ASSIGN_OR_RETURN(Planned left, PlanChain(*set_operation.inputs[0], nullptr, {}));
    SLUICE_ASSIGN_OR_RETURN(Planned right, PlanChain(*set_operation.inputs[1], nullptr, {}));
    SLUICE_ASSIGN_OR_RETURN(
        PlanNode node, PlanSetOperationNode(set_operation, left.schema, left.mode, right.mode));
    node.uid = UidFor(set_operation.uid_hint, "set-operation");
    SLUICE_RETURN_IF_ERROR(CheckUniqueUid(node.uid, set_operation.span));
    node.parallelism = options_.parallelism;
    std::vector<int32_t> slots;
    for (size_t i = 0; i < set_operation.SlotCount(); ++i) slots.push_back(static_cast<int32_t>(i));
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{left.node, id, 0, runtime::plan::ExchangeKind::kHash, slots});
    plan_.edges.push_back(PlanEdge{right.node, id, 1, runtime::plan::ExchangeKind::kHash, slots});
    return Planned{id, plan_.nodes[id].output_schema, plan_.nodes[id].changelog_mode, {}};
  }

  /// A window TVF's rows: a stateless operator chained to its input.
  base::Result<Planned> PlanWindowTableFunction(const LogicalNode& function) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*function.inputs[0], nullptr, {}));
    PlanNode node = PlanWindowTableFunctionNode(function, input.schema, input.mode);
    node.uid = DerivedUid("window-table-function");
    node.parallelism = plan_.nodes[input.node].parallelism;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kForward, {}});
    return Planned{id, plan_.nodes[id].output_schema, input.mode, {}};
  }

  /// The Expand of GROUPING SETS: a stateless operator chained to its input.
  base::Result<Planned> PlanExpand(const LogicalNode& expand) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*expand.inputs[0], nullptr, {}));
    PlanNode node = PlanExpandNode(expand, input.schema, input.mode);
    node.uid = DerivedUid("expand");
    node.parallelism = plan_.nodes[input.node].parallelism;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kForward, {}});
    return Planned{id, plan_.nodes[id].output_schema, input.mode, {}};
  }

  base::Result<Planned> PlanUnnest(const LogicalNode& unnest) {
    SLUICE_ASSIGN_OR_RETURN(Planned input, PlanChain(*unnest.inputs[0], nullptr, {}));
    PlanNode node;
    node.kind = runtime::plan::OperatorKind::kUnnest;
    node.output_schema = unnest.schema;
    node.changelog_mode = input.mode;
    node.unnest = unnest.unnest;
    std::vector<std::string> names;
    for (const auto& slot : types::FlattenSchema(input.schema)) names.push_back(slot.path);
    node.description = fmt::format("UNNEST({}){}{}", names[unnest.unnest->collection_slot],
                                   unnest.unnest->ordinality ? " WITH ORDINALITY" : "",
                                   unnest.unnest->outer ? ", outer" : "");
    node.uid = DerivedUid("unnest");
    node.parallelism = plan_.nodes[input.node].parallelism;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(PlanEdge{input.node, id, 0, runtime::plan::ExchangeKind::kForward, {}});
    return Planned{id, plan_.nodes[id].output_schema, input.mode, {}};
  }

  /// A Top-N whose row number nothing reads does not compute it: re-emitting every shifted
  /// row's number is the expensive part of a ranking.
  void DropUnusedRowNumber(const Planned& below, ChainSpec* fused) {
    PlanNode& node = plan_.nodes[below.node];
    if ((node.kind != runtime::plan::OperatorKind::kTopN &&
         node.kind != runtime::plan::OperatorKind::kWindowRank) ||
        !node.top_n->emit_row_number) {
      return;
    }
    const int32_t rank_slot = static_cast<int32_t>(fused->input_types.size()) - 1;
    bool used = false;
    std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& expression) {
      if (expression->kind == ExprKind::kColumn && expression->column_index == rank_slot) {
        used = true;
      }
      for (const auto& argument : expression->arguments) visit(argument);
    };
    if (fused->filter) visit(fused->filter);
    for (const ExprPtr& projection : fused->projections) visit(projection);
    if (used) return;
    node.top_n->emit_row_number = false;
    node.output_schema.columns.pop_back();
    fused->input_types.pop_back();
  }

  base::Result<Planned> PlanUnion(const LogicalNode& union_node) {
    std::vector<Planned> inputs;
    for (const auto& input : union_node.inputs) {
      SLUICE_ASSIGN_OR_RETURN(Planned planned, PlanChain(*input, nullptr, {}));
      inputs.push_back(planned);
    }
    PlanNode node;
    node.uid = DerivedUid("union");
    node.kind = runtime::plan::OperatorKind::kUnion;
    node.parallelism = options_.parallelism;
    node.output_schema = union_node.schema;
    node.description = fmt::format("UNION ALL of {} inputs", inputs.size());
    for (const Planned& input : inputs) {
      if (input.mode == runtime::plan::ChangelogMode::kUpdating) {
        node.changelog_mode = runtime::plan::ChangelogMode::kUpdating;
      }
    }
    int32_t id = AddNode(std::move(node));
    for (size_t i = 0; i < inputs.size(); ++i) {
      bool same = plan_.nodes[inputs[i].node].parallelism == options_.parallelism;
      plan_.edges.push_back(PlanEdge{
          inputs[i].node,
          id,
          static_cast<int32_t>(i),
          same ? runtime::plan::ExchangeKind::kForward : runtime::plan::ExchangeKind::kRebalance,
          {}});
    }
    return Planned{id, union_node.schema, plan_.nodes[id].changelog_mode, {}};
  }

  base::Status PlanSink(const LogicalNode& sink, const Planned& upstream_planned) {
    int32_t upstream = upstream_planned.node;
    const auto& sink_table = sink.table->descriptor;
    const TableSpans* sink_spans = FindSpans(sink_table.name);
    // 'sink.parallelism' is Sluice's, not the connector's.
    runtime::connectors::TableDescriptor sink_descriptor = sink_table;
    int32_t sink_parallelism = options_.parallelism;
    if (auto found = sink_descriptor.options.find("sink.parallelism");
        found != sink_descriptor.options.end()) {
      char* end = nullptr;
      long value = std::strtol(found->second.c_str(), &end, 10);
      if (found->second.empty() || *end != '\0' || value < 1 || value > 1024) {
        return Locate(base::Status::Error(base::ErrorCode::kOption,
                                          fmt::format("invalid value '{}' for option "
                                                      "'sink.parallelism' of table '{}': expected "
                                                      "a whole number from 1 to 1024",
                                                      found->second, sink_table.name))
                          .WithSubject("sink.parallelism"),
                      sink_spans);
      }
      sink_parallelism = static_cast<int32_t>(value);
      sink_descriptor.options.erase(found);
    }
    const runtime::connectors::Connector* connector = FindConnector(sink_descriptor, sink_spans);
    if (connector == nullptr) return last_error_;
    if (!connector->SupportsSink()) {
      return Locate(
          base::Status::Error(base::ErrorCode::kOption, "connector '" + connector->name() +
                                                            "' cannot be written (table '" +
                                                            sink_table.name + "')"),
          sink_spans);
    }
    SLUICE_RETURN_IF_ERROR(CheckPartitioning(*connector, sink_descriptor, sink_spans));
    SLUICE_RETURN_IF_ERROR(
        Locate(connector->Validate(sink_descriptor, /*as_source=*/false), sink_spans));
    if (upstream_planned.mode == runtime::plan::ChangelogMode::kUpdating &&
        !connector->AcceptsUpdates(sink_descriptor)) {
      std::string format = sink_descriptor.options.count("format")
                               ? ", 'format' = '" + sink_descriptor.options.at("format") + "'"
                               : "";
      return base::Status::Error(
          base::ErrorCode::kPlan,
          fmt::format("table '{}' ('connector' = '{}'{}) only takes inserts, but this query "
                      "produces an updating result (-U/+U/-D rows, from an unbounded GROUP BY); "
                      "write it to a sink that takes updates, such as 'format' = "
                      "'changelog-json', 'print' or 'blackhole'",
                      sink_table.name, connector->name(), format),
          sink_spans ? sink_spans->use : base::SourceSpan{});
    }
    for (const PlanNode& node : plan_.nodes) {
      if (node.uid == "sink/" + sink_table.name) {
        if (node.table->options != sink_descriptor.options ||
            node.parallelism != sink_parallelism) {
          return base::Status::Error(
              base::ErrorCode::kPlan,
              fmt::format("the INSERTs into table '{}' write it with different options (an "
                          "OPTIONS hint on one of them): one sink takes one set of options",
                          sink_table.name),
              sink_spans ? sink_spans->use : base::SourceSpan{});
        }
        return AddSinkInput(node.id, upstream_planned);
      }
    }
    PlanNode sink_node;
    sink_node.uid = "sink/" + sink_table.name;
    sink_node.kind = runtime::plan::OperatorKind::kSink;
    sink_node.parallelism = sink_parallelism;
    sink_node.output_schema = sink_table.schema;
    sink_node.changelog_mode = upstream_planned.mode;
    sink_node.table = sink_descriptor;
    sink_node.description = sink_table.name + " (" + sink_table.options.at("connector") + ")";
    runtime::plan::ExchangeKind exchange = sink_parallelism == plan_.nodes[upstream].parallelism
                                               ? runtime::plan::ExchangeKind::kForward
                                               : runtime::plan::ExchangeKind::kRebalance;
    std::vector<int32_t> key_slots;
    if (exchange == runtime::plan::ExchangeKind::kRebalance &&
        upstream_planned.mode == runtime::plan::ChangelogMode::kUpdating) {
      // A key's changes must reach one sink subtask in order (an upsert sink writes the
      // last one as the key's row): hash by the PRIMARY KEY, as Flink's keyed sink shuffle.
      key_slots = SinkKeySlots(sink_table.schema, sink_descriptor.primary_key,
                               plan_.nodes[upstream].output_schema);
      if (!key_slots.empty()) exchange = runtime::plan::ExchangeKind::kHash;
    }
    int32_t sink_id = AddNode(std::move(sink_node));
    plan_.edges.push_back(PlanEdge{upstream, sink_id, 0, exchange, key_slots});
    return base::Status::Ok();
  }

  /// How rows of `upstream` reach a sink: forward at its parallelism, else rebalanced — or, for
  /// an updating input, hashed by the sink's PRIMARY KEY so that a key's changes stay in order.
  std::pair<runtime::plan::ExchangeKind, std::vector<int32_t>> SinkExchange(
      const PlanNode& sink, int32_t upstream, runtime::plan::ChangelogMode mode) const {
    if (sink.parallelism == plan_.nodes[upstream].parallelism) {
      return {runtime::plan::ExchangeKind::kForward, {}};
    }
    if (mode == runtime::plan::ChangelogMode::kUpdating) {
      std::vector<int32_t> key_slots = SinkKeySlots(sink.output_schema, sink.table->primary_key,
                                                    plan_.nodes[upstream].output_schema);
      if (!key_slots.empty()) return {runtime::plan::ExchangeKind::kHash, key_slots};
    }
    return {runtime::plan::ExchangeKind::kRebalance, {}};
  }

  /// A second (third, …) INSERT into a table already written by this job: Flink writes the
  /// results of both into it. The sink gets a UNION ALL of its inputs (a stateless
  /// `union/<table>` at the sink's parallelism, each input reaching it as it would reach the
  /// sink), so its UID, state and transactions stay those of one sink.
  base::Status AddSinkInput(int32_t sink, const Planned& upstream_planned) {
    int32_t upstream = upstream_planned.node;
    const std::string union_uid = "union/" + plan_.nodes[sink].table->name;
    int32_t union_id = -1;
    for (const PlanNode& node : plan_.nodes) {
      if (node.uid == union_uid) union_id = node.id;
    }
    if (union_id < 0) {
      PlanNode node;
      node.uid = union_uid;
      node.kind = runtime::plan::OperatorKind::kUnion;
      node.parallelism = plan_.nodes[sink].parallelism;
      node.output_schema = plan_.nodes[sink].output_schema;
      node.changelog_mode = plan_.nodes[sink].changelog_mode;
      union_id = AddNode(std::move(node));
      for (PlanEdge& edge : plan_.edges) {
        // The first INSERT's input now reaches the union as it reached the sink.
        if (edge.target_node == sink) edge.target_node = union_id;
      }
      plan_.edges.push_back(PlanEdge{union_id, sink, 0, runtime::plan::ExchangeKind::kForward, {}});
    }
    // Edges point from earlier to later nodes: the union, then the sink, go after the new
    // input's nodes.
    MoveToEnd(union_id, {&union_id, &sink, &upstream});
    MoveToEnd(sink, {&union_id, &sink, &upstream});
    int32_t inputs = 0;
    for (const PlanEdge& edge : plan_.edges) inputs += edge.target_node == union_id ? 1 : 0;
    if (upstream_planned.mode == runtime::plan::ChangelogMode::kUpdating) {
      plan_.nodes[union_id].changelog_mode = runtime::plan::ChangelogMode::kUpdating;
      plan_.nodes[sink].changelog_mode = runtime::plan::ChangelogMode::kUpdating;
    }
    auto [exchange, key_slots] = SinkExchange(plan_.nodes[sink], upstream, upstream_planned.mode);
    plan_.edges.push_back(PlanEdge{upstream, union_id, inputs, exchange, std::move(key_slots)});
    if (plan_.nodes[sink].changelog_mode == runtime::plan::ChangelogMode::kUpdating) {
      // An updating sink (an upsert table) takes every key's rows in order at one subtask:
      // each input, insert-only ones too, reaches the union hashed by the PRIMARY KEY when the
      // parallelism changes.
      for (PlanEdge& edge : plan_.edges) {
        if (edge.target_node != union_id) continue;
        auto [keyed, slots] = SinkExchange(plan_.nodes[sink], edge.source_node,
                                           runtime::plan::ChangelogMode::kUpdating);
        edge.exchange = keyed;
        edge.hash_slots = std::move(slots);
      }
    }
    plan_.nodes[union_id].description = fmt::format("UNION ALL of the {} INSERTs into {}",
                                                    inputs + 1, plan_.nodes[sink].table->name);
    return base::Status::Ok();
  }

  /// Moves node `id` to the end of the plan, renumbering the nodes after it, the edges, the
  /// planner's maps and the ids `tracked` points to.
  void MoveToEnd(int32_t id, std::vector<int32_t*> tracked) {
    const int32_t last = static_cast<int32_t>(plan_.nodes.size()) - 1;
    if (id == last) return;
    auto renumber = [&](int32_t value) {
      if (value == id) return last;
      return value > id ? value - 1 : value;
    };
    PlanNode moved = std::move(plan_.nodes[id]);
    plan_.nodes.erase(plan_.nodes.begin() + id);
    plan_.nodes.push_back(std::move(moved));
    for (size_t i = 0; i < plan_.nodes.size(); ++i) plan_.nodes[i].id = static_cast<int32_t>(i);
    for (PlanEdge& edge : plan_.edges) {
      edge.source_node = renumber(edge.source_node);
      edge.target_node = renumber(edge.target_node);
    }
    for (auto* map : {&sources_, &normalized_}) {
      for (auto& [name, node] : *map) node = renumber(node);
    }
    for (int32_t* value : tracked) *value = renumber(*value);
  }

  /// The upstream slots of a sink's PRIMARY KEY columns (the upstream writes the sink's
  /// columns in order); empty without a key or when a key column is not a scalar one.
  static std::vector<int32_t> SinkKeySlots(const types::Schema& sink,
                                           const std::vector<std::string>& primary_key,
                                           const types::Schema& upstream) {
    std::vector<int32_t> slots;
    auto first_slots = types::FirstSlots(upstream);
    for (const std::string& column : primary_key) {
      auto index = sink.Find(column);
      if (!index || *index >= upstream.columns.size() ||
          upstream.columns[*index].type.id() == types::TypeId::kRow) {
        return {};
      }
      slots.push_back(static_cast<int32_t>(first_slots[*index]));
    }
    return slots;
  }

  const TableSpans* FindSpans(const std::string& table) const {
    auto found = spans_.find(table);
    return found == spans_.end() ? nullptr : &found->second;
  }

  const runtime::connectors::Connector* FindConnector(
      const runtime::connectors::TableDescriptor& table, const TableSpans* spans) {
    const std::string& name = table.options.at("connector");
    const runtime::connectors::Connector* connector = runtime::connectors::FindConnector(name);
    if (connector == nullptr) {
      std::string known;
      for (const std::string& candidate : runtime::connectors::ConnectorNames()) {
        known += (known.empty() ? "" : ", ") + candidate;
      }
      last_error_ = Locate(base::Status::Error(base::ErrorCode::kOption,
                                               fmt::format("unknown connector '{}' (table '{}'); "
                                                           "known connectors: {}",
                                                           name, table.name, known))
                               .WithSubject("connector"),
                           spans);
    }
    return connector;
  }

  /// The node a scan of `scan`'s table reads: its source, or the source's normalization when
  /// the connector produces upserts (one per table, shared by every query that reads it).
  base::Result<int32_t> SourceFor(const LogicalNode& scan) {
    SLUICE_ASSIGN_OR_RETURN(int32_t source, TableSourceFor(scan));
    auto normalized = normalized_.find(SourceKey(scan));
    return normalized == normalized_.end() ? source : normalized->second;
  }

  /// The table a scan reads as the planner names its source: the table's name, or for a scan
  /// with an OPTIONS hint (a source of its own) the name and a hash of the hinted options.
  static std::string SourceKey(const LogicalNode& scan) {
    const std::string& name = scan.table->descriptor.name;
    const std::string& options = scan.table->hinted_options;
    if (options.empty()) return name;
    return fmt::format("{}+options-{:016x}", name, XXH3_64bits(options.data(), options.size()));
  }

  base::Result<int32_t> TableSourceFor(const LogicalNode& scan) {
    const std::string& name = scan.table->descriptor.name;
    const std::string key = SourceKey(scan);
    auto found = sources_.find(key);
    if (found != sources_.end()) {
      PlanNode& node = plan_.nodes[found->second];
      // Two INSERTs pruned different computed columns: compute the union of what they need.
      if (scan.table->computed_columns && node.computed_columns) {
        auto& mine = node.computed_columns->projections;
        const auto& theirs = scan.table->computed_columns->projections;
        for (size_t i = 0; i < mine.size(); ++i) {
          if (mine[i]->kind == ExprKind::kLiteral && mine[i]->literal.is_null) mine[i] = theirs[i];
        }
      }
      return found->second;
    }
    const TableSpans* spans = FindSpans(name);
    const auto& descriptor = scan.table->descriptor;
    const runtime::connectors::Connector* connector = FindConnector(descriptor, spans);
    if (connector == nullptr) return last_error_;
    if (!connector->SupportsSource()) {
      return Locate(base::Status::Error(base::ErrorCode::kOption,
                                        "connector '" + connector->name() +
                                            "' cannot be read (table '" + name + "')"),
                    spans);
    }
    SLUICE_RETURN_IF_ERROR(CheckPartitioning(*connector, descriptor, spans));
    SLUICE_RETURN_IF_ERROR(Locate(connector->Validate(descriptor, /*as_source=*/true), spans));
    PlanNode node;
    node.id = static_cast<int32_t>(plan_.nodes.size());
    node.uid = "source/" + key;
    node.kind = runtime::plan::OperatorKind::kSource;
    node.parallelism = options_.parallelism;
    node.output_schema = scan.table->full_schema;
    node.table = descriptor;
    if (connector->ProducesUpdates(descriptor)) {
      node.changelog_mode = runtime::plan::ChangelogMode::kUpdating;
    }
    node.computed_columns = scan.table->computed_columns;
    node.watermark = scan.table->watermark;
    node.idle_timeout = source_idle_timeout_;
    // FLIP-296: a table's own `scan.watermark.idle-timeout` overrides the job's (the connector
    // checked its value).
    if (auto idle = descriptor.options.find("scan.watermark.idle-timeout");
        idle != descriptor.options.end()) {
      node.idle_timeout = base::ParseDurationMillis(idle->second).value_or(node.idle_timeout);
    }
    node.description = name + " (" + descriptor.options.at("connector") + ")";
    if (!scan.table->hinted_options.empty()) {
      node.description += " /*+ OPTIONS(" + scan.table->hinted_options + ") */";
    }
    if (node.watermark) {
      auto names = SlotNames(node.output_schema);
      node.description += ", watermark " + names[node.watermark->rowtime_slot] + " AS " +
                          node.watermark->expression->ToString(&names);
    }
    plan_.nodes.push_back(node);
    sources_[key] = node.id;
    if (connector->ProducesUpserts(descriptor)) {
      SLUICE_ASSIGN_OR_RETURN(normalized_[key], AddNormalize(node.id, spans));
    }
    return node.id;
  }

  /// An upsert source's ChangelogNormalize (Flink's name): keyed by the PRIMARY KEY, it keeps
  /// each key's last row so that updates retract the previous row and deletes carry it.
  base::Result<int32_t> AddNormalize(int32_t source, const TableSpans* spans) {
    const runtime::connectors::TableDescriptor descriptor = *plan_.nodes[source].table;
    const types::Schema schema = plan_.nodes[source].output_schema;
    auto first_slots = types::FirstSlots(schema);
    auto types = logical::SlotTypes(schema);
    runtime::plan::ChangelogNormalizeSpec spec;
    runtime::plan::StateSpec state;
    state.name = "rows";
    for (const std::string& column : descriptor.primary_key) {
      auto index = schema.Find(column);
      if (!index || schema.columns[*index].type.id() == types::TypeId::kRow) {
        return Locate(base::Status::Error(base::ErrorCode::kPlan,
                                          "table '" + descriptor.name + "': PRIMARY KEY column '" +
                                              column + "' must be a scalar column of the table"),
                      spans);
      }
      int32_t slot = static_cast<int32_t>(first_slots[*index]);
      spec.key_slots.push_back(slot);
      state.key_schema.columns.push_back({column, types[slot]});
    }
    if (spec.key_slots.empty()) {
      return Locate(base::Status::Error(
                        base::ErrorCode::kPlan,
                        "table '" + descriptor.name + "' produces upserts and needs a PRIMARY KEY"),
                    spans);
    }
    state.value_schema = schema;
    PlanNode node;
    node.uid = plan_.nodes[source].uid + "/normalize";
    node.kind = runtime::plan::OperatorKind::kChangelogNormalize;
    node.parallelism = options_.parallelism;
    node.output_schema = schema;
    node.changelog_mode = runtime::plan::ChangelogMode::kUpdating;
    node.state.push_back(state);
    std::string keys;
    for (const std::string& column : descriptor.primary_key) {
      keys += (keys.empty() ? "" : ", ") + column;
    }
    node.description = "upsert key [" + keys + "] (changelog normalize)";
    node.normalize = spec;
    int32_t id = AddNode(std::move(node));
    plan_.edges.push_back(
        PlanEdge{source, id, 0, runtime::plan::ExchangeKind::kHash, spec.key_slots});
    return id;
  }

  static std::string DescribeAggregate(const runtime::plan::AggregateSpec& spec,
                                       const std::vector<std::string>& input) {
    static const char* kWindows[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    std::string out;
    if (spec.window) {
      const auto& window = *spec.window;
      out += fmt::format("{}({}", kWindows[static_cast<int>(window.kind)], input[window.time_slot]);
      if (window.kind == runtime::plan::WindowKind::kSession) {
        out += fmt::format(", gap {} ms", window.gap);
      } else {
        if (window.step > 0) out += fmt::format(", step {} ms", window.step);
        out += fmt::format(", size {} ms", window.size);
      }
      if (window.offset != 0) out += fmt::format(", offset {} ms", window.offset);
      if (window.processing_time) out += ", processing time";
      out += ") ";
    }
    out += "GROUP BY [";
    for (size_t i = 0; i < spec.key_slots.size(); ++i) {
      out += (i ? ", " : "") + input[spec.key_slots[i]];
    }
    out += "] ";
    for (size_t i = 0; i < spec.calls.size(); ++i) {
      const auto& call = spec.calls[i];
      out += (i ? ", " : "") +
             std::string(runtime::operators::aggregate::AggregateFunctionName(call.kind));
      if (call.argument_slot >= 0) {
        out +=
            "(" + std::string(call.distinct ? "DISTINCT " : "") + input[call.argument_slot] + ")";
      }
      if (call.filter_slot >= 0) out += " FILTER (WHERE " + input[call.filter_slot] + ")";
    }
    return out;
  }

  static std::string DescribeChain(const ChainSpec& chain, const std::vector<std::string>& input,
                                   const std::vector<std::string>& output) {
    std::string out;
    if (chain.filter) out += "WHERE " + chain.filter->ToString(&input) + " ";
    out += "SELECT ";
    for (size_t i = 0; i < chain.projections.size(); ++i) {
      if (i > 0) out += ", ";
      std::string text = chain.projections[i]->ToString(&input);
      out += text;
      if (i < output.size() && text != output[i]) out += " AS " + output[i];
    }
    return out;
  }

  const PhysicalOptions& options_;
  const std::map<std::string, TableSpans>& spans_;
  PlanGraph plan_;
  std::map<std::string, int32_t> sources_;
  std::map<std::string, int32_t> normalized_;  // table -> its upsert normalization
  base::Status last_error_;
  std::string query_;
  std::map<std::string, int32_t> ordinals_;
  int64_t state_ttl_ = 0;
  /// 'table.exec.join.free-state-by-watermark' (default true): regular joins free the rows
  /// their condition bounds by time (JoinRowExpiries).
  bool free_join_state_ = true;
  int64_t source_idle_timeout_ = 0;
  bool updating_sink_ = false;
};

}  // namespace

base::Result<PlanGraph> PlanJob(const std::vector<logical::InsertPlan>& inserts,
                                const PhysicalOptions& options,
                                const std::map<std::string, TableSpans>& spans) {
  Planner planner(options, spans);
  SLUICE_RETURN_IF_ERROR(planner.ReadOptions());
  std::vector<base::Diagnostic> errors;
  for (const logical::InsertPlan& insert : inserts) {
    base::Status status = planner.PlanInsert(insert);
    for (const auto& diagnostic : status.diagnostics()) errors.push_back(diagnostic);
  }
  if (!errors.empty()) return base::Status::FromDiagnostics(std::move(errors));
  PlanGraph plan = planner.Finish();
  // Sources were added when first read, so sinks of earlier INSERTs may precede later
  // sources; the runtime wants edges to point forward, so order sources first.
  std::vector<int32_t> order;
  for (const PlanNode& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSource) order.push_back(node.id);
  }
  for (const PlanNode& node : plan.nodes) {
    if (node.kind != runtime::plan::OperatorKind::kSource) order.push_back(node.id);
  }
  std::vector<int32_t> new_id(plan.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<int32_t>(i);
  std::vector<PlanNode> nodes;
  for (int32_t old : order) {
    nodes.push_back(plan.nodes[old]);
    nodes.back().id = new_id[old];
  }
  plan.nodes = std::move(nodes);
  for (PlanEdge& edge : plan.edges) {
    edge.source_node = new_id[edge.source_node];
    edge.target_node = new_id[edge.target_node];
  }
  ComputeStateSignatures(&plan);
  return plan;
}

std::string ExplainText(const PlanGraph& plan) {
  std::string out = fmt::format("== Physical plan: job '{}' ==\n", plan.job_name);
  std::function<void(int32_t, int)> render = [&](int32_t id, int depth) {
    const PlanNode& node = plan.nodes[id];
    out +=
        fmt::format("{}{} [{}, parallelism {}] {}\n", std::string(depth * 2, ' '), node.uid,
                    runtime::plan::OperatorKindName(node.kind), node.parallelism, node.description);
    for (const PlanEdge* edge : plan.InputsOf(id)) {
      if (edge->exchange != runtime::plan::ExchangeKind::kForward) {
        out += fmt::format("{}  <- {}\n", std::string(depth * 2, ' '),
                           runtime::plan::ExchangeKindName(edge->exchange));
      }
      render(edge->source_node, depth + 1);
    }
  };
  for (const PlanNode& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink) render(node.id, 0);
  }
  return out;
}

std::string ExplainDot(const PlanGraph& plan) {
  auto escape = [](std::string text) {
    std::string out;
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "digraph \"" + escape(plan.job_name) + "\" {\n  rankdir=LR;\n";
  for (const PlanNode& node : plan.nodes) {
    out += fmt::format("  n{} [shape=box, label=\"{}\\n{}\\nparallelism {}\"];\n", node.id,
                       escape(node.uid), escape(node.description), node.parallelism);
  }
  for (const PlanEdge& edge : plan.edges) {
    out += fmt::format("  n{} -> n{} [label=\"{}\"];\n", edge.source_node, edge.target_node,
                       runtime::plan::ExchangeKindName(edge.exchange));
  }
  return out + "}\n";
}

}  // namespace sluice::compiler::physical
