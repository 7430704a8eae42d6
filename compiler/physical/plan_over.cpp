#include "compiler/physical/plan_over.h"

#include <fmt/format.h>

#include "runtime/operators/aggregate/call_layout.h"

namespace sluice::compiler::physical {

using runtime::plan::ChangelogMode;
using runtime::plan::OverFrameUnit;

namespace {

std::string DescribeFrame(const runtime::plan::OverAggregateSpec& spec) {
  bool rows = spec.unit == OverFrameUnit::kRows;
  std::string start;
  if (spec.preceding < 0) {
    start = "UNBOUNDED PRECEDING";
  } else if (spec.preceding == 0) {
    start = "CURRENT ROW";
  } else {
    start = rows ? fmt::format("{} PRECEDING", spec.preceding)
                 : fmt::format("{} ms PRECEDING", spec.preceding);
  }
  return fmt::format("{} BETWEEN {} AND CURRENT ROW", rows ? "ROWS" : "RANGE", start);
}

}  // namespace

base::Result<runtime::plan::PlanNode> PlanOverAggregateNode(const logical::LogicalNode& over,
                                                            const types::Schema& input_schema,
                                                            ChangelogMode input_mode) {
  runtime::plan::OverAggregateSpec spec = *over.over_aggregate;
  if (input_mode == ChangelogMode::kUpdating) {
    if (spec.unit != OverFrameUnit::kRows || spec.preceding < 0) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          "an OVER aggregation over an updating input (a GROUP BY, join or Top-N result) needs a "
          "ROWS BETWEEN n PRECEDING AND CURRENT ROW frame",
          over.span);
    }
    for (const auto& call : spec.calls) {
      if (call.kind == runtime::plan::AggregateKind::kLag) {
        return base::Status::Error(
            base::ErrorCode::kPlan,
            "LAG over an updating input (a GROUP BY, join or Top-N result) is not supported: "
            "an OVER aggregation over an updating input sees only the rows of its frame",
            over.span);
      }
    }
    spec.changelog = true;
  } else if (!over.sorted_by_time_attribute) {
    return base::Status::Error(base::ErrorCode::kPlan,
                               "OVER windows on a stream must be ordered by a time attribute (a "
                               "column with a WATERMARK, or a PROCTIME() column)",
                               over.span);
  }
  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kOverAggregate;
  node.output_schema = input_schema;
  const auto& columns = over.schema.columns;
  for (size_t i = columns.size() - spec.calls.size(); i < columns.size(); ++i) {
    node.output_schema.columns.push_back(
        {fmt::format("over{}", i - (columns.size() - spec.calls.size())), columns[i].type});
  }
  node.changelog_mode = spec.changelog ? ChangelogMode::kUpdating : ChangelogMode::kInsertOnly;
  std::vector<std::string> names;
  std::vector<types::LogicalType> types;
  for (const auto& slot : types::FlattenSchema(input_schema)) {
    names.push_back(slot.path);
    types.push_back(slot.type);
  }
  types::Schema key_schema;
  for (int32_t slot : spec.partition_slots)
    key_schema.columns.push_back({names[slot], types[slot]});
  for (const char* name : spec.changelog ? std::vector<const char*>{"sorted"}
                                         : std::vector<const char*>{"pending", "frame"}) {
    runtime::plan::StateSpec state;
    state.name = name;
    state.key_schema = key_schema;
    state.value_schema = input_schema;
    node.state.push_back(state);
  }
  if (!spec.changelog) node.state.push_back(runtime::plan::WatermarkStateSpec());
  std::string description = "PARTITION BY [";
  for (size_t i = 0; i < spec.partition_slots.size(); ++i) {
    description += (i ? ", " : "") + names[spec.partition_slots[i]];
  }
  description += "] ORDER BY " + names[spec.order_slot] + " " + DescribeFrame(spec) + ": ";
  for (size_t i = 0; i < spec.calls.size(); ++i) {
    const auto& call = spec.calls[i];
    description += (i ? ", " : "") +
                   std::string(runtime::operators::aggregate::AggregateFunctionName(call.kind));
    if (call.argument_slot >= 0) description += "(" + names[call.argument_slot] + ")";
  }
  if (spec.changelog) description += " (changelog input)";
  if (spec.processing_time && !spec.changelog) description += " (processing time)";
  node.description = description;
  node.over_aggregate = spec;
  return node;
}

}  // namespace sluice::compiler::physical
