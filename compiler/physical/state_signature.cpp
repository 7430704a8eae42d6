#include "compiler/physical/state_signature.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::compiler::physical {

using runtime::plan::OperatorKind;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;
using runtime::plan::SignatureComponent;
using runtime::plan::SignatureField;
using runtime::plan::StateSignature;

namespace {

const char* AggregateName(runtime::plan::AggregateKind kind) {
  if (kind == runtime::plan::AggregateKind::kCountStar) return "COUNT";
  return runtime::operators::aggregate::AggregateFunctionName(kind);
}

std::string At(const std::vector<std::string>& lineage, int32_t slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= lineage.size()) return "?";
  return lineage[slot];
}

std::string CallText(const runtime::plan::AggregateCall& call,
                     const std::vector<std::string>& input) {
  std::string out = AggregateName(call.kind);
  out += "(";
  if (call.distinct) out += "DISTINCT ";
  out += call.argument_slot >= 0 ? At(input, call.argument_slot) : "*";
  if (call.kind == runtime::plan::AggregateKind::kListAgg) out += ", '" + call.separator + "'";
  if (call.kind == runtime::plan::AggregateKind::kLag) {
    out += fmt::format(", {}, {}", call.offset,
                       call.default_slot >= 0 ? At(input, call.default_slot) : "NULL");
  }
  out += ")";
  if (call.filter_slot >= 0) out += " FILTER (WHERE " + At(input, call.filter_slot) + ")";
  // MIN, MAX and DISTINCT over a retracting input keep every value: another state layout.
  if (call.retractable) out += " (retractable)";
  return out;
}

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

std::string OverText(const runtime::plan::OverAggregateSpec& spec,
                     const std::vector<std::string>& input) {
  std::vector<std::string> partition;
  for (int32_t slot : spec.partition_slots) partition.push_back(At(input, slot));
  std::string frame = spec.unit == runtime::plan::OverFrameUnit::kRows ? "ROWS " : "RANGE ";
  if (spec.preceding < 0) {
    frame += "UNBOUNDED";
  } else {
    frame += fmt::format("{}{}", spec.preceding,
                         spec.unit == runtime::plan::OverFrameUnit::kRange ? " ms" : "");
  }
  // Over an updating input the operator keeps its rows sorted (another state layout).
  return fmt::format("PARTITION BY [{}] ORDER BY {} {} PRECEDING{}", Join(partition, ", "),
                     At(input, spec.order_slot), frame,
                     spec.changelog ? " (over an updating input)" : "");
}

// A MATCH_RECOGNIZE expression with its accessors named by the input's lineage.
std::string MatchExpressionText(const runtime::plan::MatchRecognizeSpec& spec,
                                const runtime::plan::MatchExpression& expression,
                                const std::vector<std::string>& input) {
  if (expression.expression == nullptr) return "TRUE";
  static const char* kNames[] = {"LAST",      "FIRST", "PREV", "SUM",           "COUNT",
                                 "AVG",       "MIN",   "MAX",  "MATCH_ROWTIME", "MATCH_PROCTIME",
                                 "CLASSIFIER"};
  std::vector<std::string> names;
  for (const auto& accessor : expression.accessors) {
    std::string variable =
        accessor.variable >= 0 && static_cast<size_t>(accessor.variable) < spec.variables.size()
            ? spec.variables[accessor.variable] + "."
            : "";
    std::string column = accessor.slot < 0 ? "*" : At(input, accessor.slot);
    const auto derived = static_cast<size_t>(accessor.slot) - input.size();
    if (accessor.slot >= 0 && static_cast<size_t>(accessor.slot) >= input.size() &&
        derived < spec.row_expressions.size() && spec.row_expressions[derived] != nullptr) {
      column = spec.row_expressions[derived]->ToString(&input);
    }
    names.push_back(fmt::format("{}({}{}, {})", kNames[static_cast<int>(accessor.kind)], variable,
                                column, accessor.offset));
  }
  return expression.expression->ToString(&names);
}

std::string Hash(const std::vector<SignatureComponent>& components) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a 64
  auto mix = [&](const std::string& text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;
    hash *= 1099511628211ull;
  };
  for (const auto& component : components) {
    mix(component.name);
    mix(component.evolvable ? "e" : "x");
    for (const auto& field : component.fields) {
      mix(field.name);
      mix(field.type);
    }
  }
  return fmt::format("{:016x}", hash);
}

constexpr size_t kMaxLineage = 400;

}  // namespace

std::string WindowSignature(const runtime::plan::WindowSpec& window, const std::string& time) {
  static const char* kKinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
  std::string out = fmt::format("{}({}", kKinds[static_cast<int>(window.kind)],
                                window.processing_time ? "PROCTIME()" : time);
  if (window.kind == runtime::plan::WindowKind::kSession) {
    out += fmt::format(", gap {} ms", window.gap);
  } else {
    if (window.step > 0) out += fmt::format(", step {} ms", window.step);
    out += fmt::format(", size {} ms", window.size);
  }
  if (window.offset != 0) out += fmt::format(", offset {} ms", window.offset);
  // Windows laid out on another zone's clock hold other rows: a changed zone changes state.
  if (!window.time_zone.empty()) out += fmt::format(", time zone {}", window.time_zone);
  return out + ")";
}

const PlanNode* Lineage::InputNode(int32_t node, int32_t input) const {
  for (const auto* edge : plan_.InputsOf(node)) {
    if (edge->target_input == input) return &plan_.nodes[edge->source_node];
  }
  return nullptr;
}

const std::vector<std::string>& Lineage::OfInput(int32_t node, int32_t input) {
  static const std::vector<std::string> kNone;
  const PlanNode* source = InputNode(node, input);
  return source == nullptr ? kNone : Of(source->id);
}

const std::vector<std::string>& Lineage::Of(int32_t node) {
  auto found = cache_.find(node);
  if (found != cache_.end()) return found->second;
  std::vector<std::string> lineage = Compute(plan_.nodes[node]);
  size_t slots = types::FlattenSchema(plan_.nodes[node].output_schema).size();
  lineage.resize(std::max(slots, lineage.size()), "?");
  // Expressions over expressions can grow without bound: keep a prefix and a hash of the rest.
  for (std::string& text : lineage) {
    if (text.size() <= kMaxLineage) continue;
    size_t cut = kMaxLineage / 2;  // not inside a UTF-8 sequence: the plan JSON must stay valid
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "…#" + Hash({SignatureComponent{text, false, {}}});
  }
  return cache_[node] = std::move(lineage);
}

std::vector<std::string> Lineage::Compute(const PlanNode& node) {
  std::vector<std::string> out;
  auto paths = types::FlattenSchema(node.output_schema);
  switch (node.kind) {
    case OperatorKind::kSource: {
      // Computed columns by name too: they belong to the table (and unused ones are pruned).
      const std::string table = node.table ? node.table->name : node.uid;
      for (const auto& slot : paths) out.push_back(table + "." + slot.path);
      return out;
    }
    case OperatorKind::kCalc:
    case OperatorKind::kSink: {
      const auto& input = OfInput(node.id, 0);
      if (!node.chain) return input;
      for (const auto& projection : node.chain->projections) {
        out.push_back(projection->ToString(&input));
      }
      return out;
    }
    case OperatorKind::kUnion: {
      auto inputs = plan_.InputsOf(node.id);
      for (size_t slot = 0; slot < paths.size(); ++slot) {
        std::vector<std::string> parts;
        for (const auto* edge : inputs) parts.push_back(At(Of(edge->source_node), slot));
        out.push_back("UNION(" + Join(parts, " | ") + ")");
      }
      return out;
    }
    case OperatorKind::kSetOperation: {
      const char* name = node.set_operation->kind == runtime::plan::SetOperationKind::kIntersect
                             ? "INTERSECT"
                             : "EXCEPT";
      const auto& left = OfInput(node.id, 0);
      const auto& right = OfInput(node.id, 1);
      for (size_t slot = 0; slot < paths.size(); ++slot) {
        out.push_back(fmt::format("{}({} | {})", name, At(left, static_cast<int32_t>(slot)),
                                  At(right, static_cast<int32_t>(slot))));
      }
      return out;
    }
    case OperatorKind::kWindowAggregate:
    case OperatorKind::kGroupAggregate: {
      const auto& input = OfInput(node.id, 0);
      const auto& spec = *node.aggregate;
      for (int32_t key : spec.key_slots) out.push_back(At(input, key));
      if (spec.window) {
        std::string window = WindowSignature(*spec.window, At(input, spec.window->time_slot));
        for (const char* column : {"window_start", "window_end", "window_time"}) {
          out.push_back(std::string(column) + "(" + window + ")");
        }
      }
      for (const auto& call : spec.calls) out.push_back(CallText(call, input));
      return out;
    }
    case OperatorKind::kJoin:
    case OperatorKind::kIntervalJoin:
    case OperatorKind::kWindowJoin:
    case OperatorKind::kTemporalJoin: {
      // A semi or anti join outputs its left rows only.
      bool left_only = node.join && (node.join->type == runtime::plan::JoinType::kSemi ||
                                     node.join->type == runtime::plan::JoinType::kAnti);
      for (int32_t side = 0; side < (left_only ? 1 : 2); ++side) {
        const auto& input = OfInput(node.id, side);
        out.insert(out.end(), input.begin(), input.end());
        if (!node.window_join) continue;
        int32_t time =
            side == 0 ? node.window_join->left_time_slot : node.window_join->right_time_slot;
        std::string window = WindowSignature(node.window_join->window, At(input, time));
        for (const char* column : {"window_start", "window_end", "window_time"}) {
          out.push_back(std::string(column) + "(" + window + ")");
        }
      }
      return out;
    }
    case OperatorKind::kWindowRank:
    case OperatorKind::kTopN: {
      out = OfInput(node.id, 0);
      if (node.top_n->emit_row_number) out.push_back("ROW_NUMBER()");
      return out;
    }
    case OperatorKind::kChangelogNormalize:
    case OperatorKind::kTimeSort: return OfInput(node.id, 0);
    case OperatorKind::kWindowTableFunction: {
      out = OfInput(node.id, 0);
      const auto& window = *node.window_table_function;
      std::string text = WindowSignature(window, At(out, window.time_slot));
      for (const char* column : {"window_start", "window_end", "window_time"}) {
        out.push_back(std::string(column) + "(" + text + ")");
      }
      return out;
    }
    case OperatorKind::kMatchRecognize: {
      const auto& input = OfInput(node.id, 0);
      const auto& spec = *node.match_recognize;
      for (int32_t slot : spec.partition_slots) out.push_back(At(input, slot));
      for (size_t i = out.size(); i < paths.size(); ++i) {
        out.push_back("MATCH_RECOGNIZE " + spec.pattern + " MEASURE " + paths[i].path);
      }
      return out;
    }
    case OperatorKind::kOverAggregate: {
      const auto& input = OfInput(node.id, 0);
      out = input;
      std::string over = OverText(*node.over_aggregate, input);
      for (const auto& call : node.over_aggregate->calls) {
        out.push_back(CallText(call, input) + " OVER (" + over + ")");
      }
      return out;
    }
    case OperatorKind::kUnnest: {
      // The elements' lineage is the collection's, unnested.
      out = OfInput(node.id, 0);
      if (!node.unnest) return out;
      std::string collection = At(out, node.unnest->collection_slot);
      out.push_back("UNNEST(" + collection + ")");
      if (node.unnest->collection_type.id() == types::TypeId::kMap) {
        out.back() = "UNNEST(" + collection + ").key";
        out.push_back("UNNEST(" + collection + ").value");
      }
      if (node.unnest->ordinality) out.push_back("ORDINALITY(" + collection + ")");
      return out;
    }
    case OperatorKind::kExpand: {
      // The copies of the grouping columns keep their lineage; the id names the columns whose
      // absence it encodes (not the sets: adding a set leaves the other sets' groups as they
      // are, which UpstreamGroupingSets reports).
      out = OfInput(node.id, 0);
      if (!node.expand) return out;
      std::vector<std::string> columns;
      for (int32_t slot : node.expand->grouping_slots) columns.push_back(At(out, slot));
      out.insert(out.end(), columns.begin(), columns.end());
      out.push_back("GROUPING_ID(" + Join(columns, ", ") + ")");
      return out;
    }
    case OperatorKind::kLookupJoin: {
      out = OfInput(node.id, 0);
      const std::string table = node.lookup_join->table.name;
      for (size_t i = out.size(); i < paths.size(); ++i) {
        out.push_back(table + "." + paths[i].path);
      }
      return out;
    }
  }
  return out;
}

void Lineage::ForEachUpstreamStep(int32_t node, const std::function<void(const PlanNode&)>& visit) {
  std::vector<int32_t> pending;
  for (const auto* edge : plan_.InputsOf(node)) pending.push_back(edge->source_node);
  while (!pending.empty()) {
    const PlanNode& current = plan_.nodes[pending.back()];
    pending.pop_back();
    if (current.kind != OperatorKind::kCalc && current.kind != OperatorKind::kUnion &&
        current.kind != OperatorKind::kLookupJoin && current.kind != OperatorKind::kExpand &&
        current.kind != OperatorKind::kUnnest) {
      continue;  // a source or another stateful operator: its own check covers it
    }
    visit(current);
    for (const auto* edge : plan_.InputsOf(current.id)) pending.push_back(edge->source_node);
  }
}

std::vector<std::string> Lineage::UpstreamFilters(int32_t node) {
  std::vector<std::string> filters;
  ForEachUpstreamStep(node, [&](const PlanNode& current) {
    if (current.kind != OperatorKind::kCalc || !current.chain) return;
    const auto& input = OfInput(current.id, 0);
    std::function<void(const runtime::plan::ExprPtr&)> add =
        [&](const runtime::plan::ExprPtr& filter) {
          if (filter->kind == runtime::plan::ExprKind::kCall &&
              filter->function == functions::FunctionId::kAnd) {
            for (const auto& argument : filter->arguments) add(argument);
          } else {
            filters.push_back(filter->ToString(&input));
          }
        };
    if (current.chain->filter) add(current.chain->filter);
    if (current.filter_as_last_projection && !current.chain->projections.empty()) {
      add(current.chain->projections.back());
    }
  });
  std::sort(filters.begin(), filters.end());
  filters.erase(std::unique(filters.begin(), filters.end()), filters.end());
  return filters;
}

std::vector<std::string> Lineage::UpstreamGroupingSets(int32_t node) {
  std::vector<std::string> sets;
  ForEachUpstreamStep(node, [&](const PlanNode& current) {
    if (current.kind != OperatorKind::kExpand || !current.expand) return;
    sets.push_back(runtime::plan::GroupingSetsText(*current.expand, OfInput(current.id, 0)));
  });
  std::sort(sets.begin(), sets.end());
  return sets;
}

namespace {

/// A slot type as state holds it. A DECIMAL above precision 18 is marked: its values are 16
/// bytes, and before 128-bit decimals the same type was kept as 8, so such state is not reused.
std::string StateTypeText(const types::LogicalType& type) {
  std::string text = type.ToString();
  if (type.IsWideDecimal()) text += " as 128-bit";
  return text;
}

SignatureComponent Fields(const std::string& name, bool evolvable,
                          const std::vector<std::string>& lineage,
                          const std::vector<types::LogicalType>& types,
                          const std::vector<int32_t>& slots) {
  SignatureComponent component{name, evolvable, {}};
  for (int32_t slot : slots) {
    std::string type =
        slot >= 0 && static_cast<size_t>(slot) < types.size() ? StateTypeText(types[slot]) : "";
    component.fields.push_back({At(lineage, slot), type});
  }
  return component;
}

std::vector<int32_t> AllSlots(size_t count) {
  std::vector<int32_t> slots;
  for (size_t i = 0; i < count; ++i) slots.push_back(static_cast<int32_t>(i));
  return slots;
}

SignatureComponent Single(const std::string& name, const std::string& value) {
  return SignatureComponent{name, false, {SignatureField{value, ""}}};
}

std::vector<types::LogicalType> SlotTypes(const PlanGraph& plan, int32_t node, int32_t input) {
  std::vector<types::LogicalType> types;
  for (const auto* edge : plan.InputsOf(node)) {
    if (edge->target_input != input) continue;
    for (const auto& slot : types::FlattenSchema(plan.nodes[edge->source_node].output_schema)) {
      types.push_back(slot.type);
    }
  }
  return types;
}

SignatureComponent Accumulators(const std::vector<runtime::plan::AggregateCall>& calls,
                                const std::vector<std::string>& input,
                                const std::vector<types::LogicalType>& types) {
  SignatureComponent component{"accumulators", true, {}};
  for (const auto& call : calls) {
    std::string type = call.result_type.ToString();
    // DISTINCT and retractable calls keep the argument values themselves: their type is
    // part of the state even when the result type is not (COUNT(DISTINCT x) is a BIGINT).
    bool keeps_values = call.distinct || call.retractable ||
                        call.kind == runtime::plan::AggregateKind::kFirstValue ||
                        call.kind == runtime::plan::AggregateKind::kLastValue ||
                        call.kind == runtime::plan::AggregateKind::kListAgg ||
                        call.kind == runtime::plan::AggregateKind::kCollect ||
                        call.kind == runtime::plan::AggregateKind::kArrayAgg ||
                        call.kind == runtime::plan::AggregateKind::kLag;
    // MIN/MAX over a DECIMAL above precision 18 keep their 16-byte extreme even when they
    // are not retractable (another layout than the 8-byte extreme of a narrower DECIMAL).
    if (call.argument_type.IsWideDecimal() && (call.kind == runtime::plan::AggregateKind::kMin ||
                                               call.kind == runtime::plan::AggregateKind::kMax)) {
      keeps_values = true;
    }
    if (keeps_values && call.argument_slot >= 0 &&
        static_cast<size_t>(call.argument_slot) < types.size()) {
      type += " keeping " + StateTypeText(types[call.argument_slot]) + " values";
    }
    component.fields.push_back({CallText(call, input), type});
  }
  return component;
}

}  // namespace

std::optional<StateSignature> SignatureOf(const PlanGraph& plan, int32_t id, Lineage* lineage) {
  const PlanNode& node = plan.nodes[id];
  std::vector<SignatureComponent> components;
  switch (node.kind) {
    case OperatorKind::kSource:
    case OperatorKind::kSink: {
      std::string connector = "?";
      if (node.table && node.table->options.count("connector")) {
        connector = node.table->options.at("connector");
      }
      components.push_back(Single("connector", connector));
      break;
    }
    case OperatorKind::kWindowAggregate:
    case OperatorKind::kGroupAggregate: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      const auto& spec = *node.aggregate;
      components.push_back(Fields("key", false, input, types, spec.key_slots));
      if (spec.window) {
        components.push_back(
            Single("window", WindowSignature(*spec.window, At(input, spec.window->time_slot))));
      }
      components.push_back(Accumulators(spec.calls, input, types));
      break;
    }
    case OperatorKind::kJoin:
    case OperatorKind::kIntervalJoin:
    case OperatorKind::kWindowJoin:
    case OperatorKind::kTemporalJoin: {
      const auto& left = lineage->OfInput(id, 0);
      const auto& right = lineage->OfInput(id, 1);
      auto left_types = SlotTypes(plan, id, 0);
      auto right_types = SlotTypes(plan, id, 1);
      const auto& spec = *node.join;
      components.push_back(Single("join type", runtime::plan::JoinTypeName(spec.type)));
      components.push_back(Fields("left.key", false, left, left_types, spec.left_key_slots));
      components.push_back(Fields("right.key", false, right, right_types, spec.right_key_slots));
      if (node.interval_join) {
        const auto& bounds = *node.interval_join;
        components.push_back(
            Single("interval",
                   fmt::format("{} BETWEEN {} + {} ms AND {} + {} ms",
                               At(right, bounds.right_time_slot), At(left, bounds.left_time_slot),
                               bounds.lower, At(left, bounds.left_time_slot), bounds.upper)));
      }
      if (node.temporal_join) {
        // Versions are kept by the right time, left rows by the left time.
        components.push_back(Single(
            "temporal", fmt::format("{} AS OF {}", At(right, node.temporal_join->right_time_slot),
                                    At(left, node.temporal_join->left_time_slot))));
      }
      if (node.window_join) {
        components.push_back(Single(
            "window",
            WindowSignature(node.window_join->window, At(left, node.window_join->left_time_slot)) +
                " = " +
                WindowSignature(node.window_join->window,
                                At(right, node.window_join->right_time_slot))));
      }
      if (node.kind == OperatorKind::kJoin) {
        // With a TTL every kept row carries the time it was last touched: another layout.
        components.push_back(Single(
            "row expiry", spec.state_ttl > 0 ? "rows carry their last-touched time" : "none"));
      }
      components.push_back(
          Fields("left.values", true, left, left_types, AllSlots(left_types.size())));
      components.push_back(
          Fields("right.values", true, right, right_types, AllSlots(right_types.size())));
      break;
    }
    case OperatorKind::kWindowRank:
    case OperatorKind::kTopN: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      const auto& spec = *node.top_n;
      components.push_back(Fields("partition", false, input, types, spec.partition_slots));
      SignatureComponent order{"order", false, {}};
      for (const auto& key : spec.sort) {
        order.fields.push_back(
            {At(input, key.slot) + (key.ascending ? " ASC" : " DESC") +
                 (key.nulls_first ? " NULLS FIRST" : " NULLS LAST"),
             key.slot < static_cast<int32_t>(types.size()) ? StateTypeText(types[key.slot]) : ""});
      }
      components.push_back(order);
      components.push_back(Single("limit", std::to_string(spec.limit)));
      static const char* kFunctions[] = {"ROW_NUMBER", "RANK", "DENSE_RANK"};
      components.push_back(
          Single("rank function", std::string(kFunctions[static_cast<int>(spec.function)]) +
                                      (spec.keep_first_only ? " (keep first row)" : "")));
      if (node.kind == OperatorKind::kWindowRank) {
        // Rows buffered per window: no migration converts them (yet).
        components.push_back(Single("window end", At(input, spec.window_end_slot)));
        components.push_back(Fields("values", false, input, types, AllSlots(types.size())));
        break;
      }
      components.push_back(Fields("values", true, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kChangelogNormalize: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      components.push_back(Fields("key", false, input, types, node.normalize->key_slots));
      components.push_back(Fields("values", true, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kOverAggregate: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      const auto& spec = *node.over_aggregate;
      components.push_back(Fields("partition", false, input, types, spec.partition_slots));
      components.push_back(Single(
          "order and frame", OverText(spec, input).substr(OverText(spec, input).find("ORDER BY"))));
      components.push_back(Accumulators(spec.calls, input, types));
      components.push_back(Fields("values", true, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kMatchRecognize: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      const auto& spec = *node.match_recognize;
      components.push_back(Fields("partition", false, input, types, spec.partition_slots));
      std::string order = fmt::format("{} ({})", At(input, spec.order_slot),
                                      spec.event_time ? "event time" : "processing time");
      for (const auto& key : spec.order_keys) {
        order += fmt::format(", {} {}{}", At(input, key.slot), key.ascending ? "ASC" : "DESC",
                             key.nulls_first ? " NULLS FIRST" : " NULLS LAST");
      }
      // Rows waiting for the watermark carry their sort key: another order is another layout.
      components.push_back(Single("order", order));
      // Partial matches hold states of the pattern's program and rows its DEFINEs accepted:
      // another pattern or condition cannot continue them.
      std::string pattern = "PATTERN " + spec.pattern + " DEFINE ";
      for (size_t i = 0; i < spec.variables.size(); ++i) {
        pattern += (i ? ", " : "") + spec.variables[i] + " AS " +
                   MatchExpressionText(spec, spec.defines.at(i), input);
      }
      components.push_back(Single("pattern", pattern));
      components.push_back(Fields("rows", false, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kTimeSort: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      // Buffered rows carry their sort key by the keys after the time: another order (or
      // another time attribute, or the other kind of time) is another layout, and the rows
      // are kept whole, so a changed input is another state too (as MATCH_RECOGNIZE's rows).
      components.push_back(Single("order", runtime::plan::TimeSortText(*node.time_sort, input)));
      components.push_back(Fields("rows", false, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kSetOperation: {
      const auto& input = lineage->OfInput(id, 0);
      auto types = SlotTypes(plan, id, 0);
      const auto& spec = *node.set_operation;
      components.push_back(
          Single("operation",
                 std::string(spec.kind == runtime::plan::SetOperationKind::kIntersect ? "INTERSECT"
                                                                                      : "EXCEPT") +
                     (spec.all ? " ALL" : "")));
      // The row is the key: any change to its columns is another state.
      components.push_back(Fields("row key", false, input, types, AllSlots(types.size())));
      break;
    }
    case OperatorKind::kCalc:
    case OperatorKind::kUnion:
    case OperatorKind::kWindowTableFunction:
    case OperatorKind::kExpand:
    case OperatorKind::kUnnest:
    case OperatorKind::kLookupJoin: return std::nullopt;
  }
  StateSignature signature;
  signature.components = std::move(components);
  signature.hash = Hash(signature.components);
  return signature;
}

void ComputeStateSignatures(PlanGraph* plan) {
  Lineage lineage(*plan);
  for (auto& node : plan->nodes) node.signature = SignatureOf(*plan, node.id, &lineage);
}

}  // namespace sluice::compiler::physical
