#include "compiler/logical/logical_plan.h"

#include <fmt/format.h>

#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::compiler::logical {

const char* LogicalKindName(LogicalKind kind) {
  switch (kind) {
    case LogicalKind::kScan: return "Scan";
    case LogicalKind::kFilter: return "Filter";
    case LogicalKind::kProject: return "Project";
    case LogicalKind::kSink: return "Sink";
    case LogicalKind::kAggregate: return "Aggregate";
    case LogicalKind::kUnion: return "Union";
    case LogicalKind::kJoin: return "Join";
    case LogicalKind::kTopN: return "TopN";
    case LogicalKind::kLookupJoin: return "LookupJoin";
    case LogicalKind::kOver: return "OverAggregate";
    case LogicalKind::kSetOperation: return "SetOperation";
    case LogicalKind::kWindowTableFunction: return "WindowTableFunction";
    case LogicalKind::kExpand: return "Expand";
    case LogicalKind::kUnnest: return "Unnest";
    case LogicalKind::kMatchRecognize: return "MatchRecognize";
    case LogicalKind::kTimeSort: return "TimeSort";
  }
  return "?";
}

runtime::plan::ExprPtr ShiftColumns(const runtime::plan::ExprPtr& expression, int32_t delta) {
  if (expression->kind == runtime::plan::ExprKind::kColumn) {
    return runtime::plan::Expr::Column(expression->column_index + delta, expression->type);
  }
  if (expression->arguments.empty()) return expression;
  auto copy = std::make_shared<runtime::plan::Expr>(*expression);
  for (auto& argument : copy->arguments) argument = ShiftColumns(argument, delta);
  return copy;
}

std::optional<WindowColumn> TraceWindowColumn(const LogicalNode& node, int32_t slot) {
  auto window_column = [](int32_t offset,
                          const runtime::plan::WindowSpec& window) -> std::optional<WindowColumn> {
    if (offset < 0 || offset > 2) return std::nullopt;
    return WindowColumn{static_cast<WindowColumn::Property>(offset), window};
  };
  switch (node.kind) {
    case LogicalKind::kProject: {
      if (slot < 0 || static_cast<size_t>(slot) >= node.projections.size()) return std::nullopt;
      const auto& projection = node.projections[slot];
      if (projection->kind != runtime::plan::ExprKind::kColumn) return std::nullopt;
      return TraceWindowColumn(*node.inputs[0], projection->column_index);
    }
    case LogicalKind::kFilter: return TraceWindowColumn(*node.inputs[0], slot);
    case LogicalKind::kTopN:
    case LogicalKind::kOver:
      if (static_cast<size_t>(slot) >= node.inputs[0]->SlotCount()) return std::nullopt;
      return TraceWindowColumn(*node.inputs[0], slot);
    case LogicalKind::kWindowTableFunction:
      return window_column(slot - static_cast<int32_t>(node.inputs[0]->SlotCount()), *node.window);
    case LogicalKind::kAggregate:
      if (!node.aggregate->window) return std::nullopt;
      return window_column(slot - static_cast<int32_t>(node.aggregate->key_slots.size()),
                           *node.aggregate->window);
    case LogicalKind::kJoin: {
      if (!node.window_join) return std::nullopt;
      const auto left = static_cast<int32_t>(node.inputs[0]->SlotCount());
      const auto right = static_cast<int32_t>(node.inputs[1]->SlotCount());
      if (slot >= left && slot < left + 3)
        return window_column(slot - left, node.window_join->window);
      return window_column(slot - (left + 3 + right), node.window_join->window);
    }
    default: return std::nullopt;
  }
}

std::vector<types::LogicalType> SlotTypes(const types::Schema& schema) {
  return types::SlotTypes(schema);
}

bool IsVirtualColumn(const runtime::connectors::TableDescriptor& table, const std::string& column) {
  for (const runtime::connectors::MetadataColumn& metadata : table.metadata_columns) {
    if (metadata.is_virtual && metadata.column == column) return true;
  }
  return false;
}

types::Schema WrittenSchema(const runtime::connectors::TableDescriptor& table) {
  types::Schema written;
  for (const types::RowField& column : table.schema.columns) {
    if (!IsVirtualColumn(table, column.name)) written.columns.push_back(column);
  }
  return written;
}

size_t LogicalNode::SlotCount() const {
  return types::FlattenSchema(schema).size();
}

namespace {

std::vector<std::string> SlotNames(const types::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(schema)) names.push_back(slot.path);
  return names;
}

}  // namespace

std::string LogicalNode::ToString(int depth) const {
  std::string out(depth * 2, ' ');
  out += LogicalKindName(kind);
  std::vector<std::string> input_names =
      inputs.empty() ? std::vector<std::string>{} : SlotNames(inputs[0]->schema);
  switch (kind) {
    case LogicalKind::kScan:
    case LogicalKind::kSink: out += "(" + table->descriptor.name + ")"; break;
    case LogicalKind::kFilter: out += "(" + predicate->ToString(&input_names) + ")"; break;
    case LogicalKind::kAggregate: {
      const auto& spec = *aggregate;
      out += "(";
      if (spec.window) {
        static const char* kWindowNames[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
        out +=
            fmt::format("{}({}, size {} ms, step {} ms, gap {} ms{}), ",
                        kWindowNames[static_cast<int>(spec.window->kind)],
                        input_names[spec.window->time_slot], spec.window->size, spec.window->step,
                        spec.window->gap, spec.window->processing_time ? ", processing time" : "");
      }
      out += "keys [";
      for (size_t i = 0; i < spec.key_slots.size(); ++i) {
        out += (i > 0 ? ", " : "") + input_names[spec.key_slots[i]];
      }
      out += "], calls [";
      for (size_t i = 0; i < spec.calls.size(); ++i) {
        const auto& call = spec.calls[i];
        out += (i > 0 ? ", " : "") +
               std::string(runtime::operators::aggregate::AggregateFunctionName(call.kind));
        if (call.argument_slot >= 0) {
          out += "(" + std::string(call.distinct ? "DISTINCT " : "") +
                 input_names[call.argument_slot] + ")";
        }
        if (call.filter_slot >= 0) out += " FILTER " + input_names[call.filter_slot];
      }
      out += "])";
      if (!uid_hint.empty()) out += " UID '" + uid_hint + "'";
      break;
    }
    case LogicalKind::kUnion: break;
    case LogicalKind::kUnnest:
      out += fmt::format("({}{}{})", unnest->outer ? "LEFT, " : "",
                         input_names[unnest->collection_slot],
                         unnest->ordinality ? " WITH ORDINALITY" : "");
      break;
    case LogicalKind::kMatchRecognize: {
      out += "(PARTITION BY [";
      for (size_t i = 0; i < match_recognize->partition_slots.size(); ++i) {
        out += (i > 0 ? ", " : "") + input_names[match_recognize->partition_slots[i]];
      }
      out += "] ORDER BY " + input_names[match_recognize->order_slot] + " PATTERN " +
             match_recognize->pattern + ")";
      break;
    }
    case LogicalKind::kTimeSort:
      out += "(" + runtime::plan::TimeSortText(*time_sort, input_names) + ")";
      break;
    case LogicalKind::kExpand:
      out += "(" + runtime::plan::GroupingSetsText(*expand, input_names) + ")";
      break;
    case LogicalKind::kWindowTableFunction: {
      static const char* kWindowNames[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
      out += fmt::format("({}({}, size {} ms, step {} ms{}))",
                         kWindowNames[static_cast<int>(window->kind)],
                         input_names[window->time_slot], window->size, window->step,
                         window->processing_time ? ", processing time" : "");
      break;
    }
    case LogicalKind::kSetOperation:
      out += std::string("(") +
             (set_operation->kind == runtime::plan::SetOperationKind::kIntersect ? "INTERSECT"
                                                                                 : "EXCEPT") +
             (set_operation->all ? " ALL" : "") + ")";
      break;
    case LogicalKind::kTopN: {
      out += "(PARTITION BY [";
      for (size_t i = 0; i < top_n->partition_slots.size(); ++i) {
        out += (i ? ", " : "") + input_names[top_n->partition_slots[i]];
      }
      out += "] ORDER BY [";
      for (size_t i = 0; i < top_n->sort.size(); ++i) {
        out += (i ? ", " : "") + input_names[top_n->sort[i].slot] +
               (top_n->sort[i].ascending ? " ASC" : " DESC");
      }
      out += fmt::format("] LIMIT {})", top_n->limit);
      break;
    }
    case LogicalKind::kOver: {
      const auto& over = *over_aggregate;
      out += "(PARTITION BY [";
      for (size_t i = 0; i < over.partition_slots.size(); ++i) {
        out += (i ? ", " : "") + input_names[over.partition_slots[i]];
      }
      out += "] ORDER BY " + input_names[over.order_slot] +
             (over.unit == runtime::plan::OverFrameUnit::kRows ? " ROWS " : " RANGE ") +
             std::to_string(over.preceding) + ", " + std::to_string(over.calls.size()) + " calls)";
      break;
    }
    case LogicalKind::kJoin: {
      std::vector<std::string> names = input_names;
      auto right = SlotNames(inputs[1]->schema);
      names.insert(names.end(), right.begin(), right.end());
      out += std::string("(") + runtime::plan::JoinTypeName(join_type);
      if (predicate) out += " ON " + predicate->ToString(&names);
      out += ")";
      break;
    }
    case LogicalKind::kLookupJoin: {
      auto table_names = SlotNames(table->full_schema);
      out += join_type == runtime::plan::JoinType::kLeft ? "(LEFT " : "(INNER ";
      out += table->descriptor.name + " ON ";
      for (size_t i = 0; i < lookup->input_keys.size(); ++i) {
        out += (i > 0 ? " AND " : "") + lookup->input_keys[i]->ToString(&input_names) + " = " +
               lookup->table_keys[i]->ToString(&table_names);
      }
      out += ")";
      break;
    }
    case LogicalKind::kProject: {
      out += "(";
      auto output_names = SlotNames(schema);
      for (size_t i = 0; i < projections.size(); ++i) {
        if (i > 0) out += ", ";
        out += projections[i]->ToString(&input_names);
        if (i < output_names.size() && projections[i]->kind != runtime::plan::ExprKind::kColumn) {
          out += " AS " + output_names[i];
        }
      }
      out += ")";
      break;
    }
  }
  out += "\n";
  for (const auto& input : inputs) out += input->ToString(depth + 1);
  return out;
}

}  // namespace sluice::compiler::logical
