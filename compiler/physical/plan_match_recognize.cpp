#include "compiler/physical/plan_match_recognize.h"

#include <fmt/format.h>

namespace sluice::compiler::physical {

base::Status RequireInsertOnlyInput(const char* construct, runtime::plan::ChangelogMode input_mode,
                                    base::SourceSpan span) {
  if (input_mode != runtime::plan::ChangelogMode::kUpdating) return base::Status::Ok();
  return base::Status::Error(
      base::ErrorCode::kPlan,
      fmt::format("{} needs an insert-only input (as in Flink), but it is an "
                  "updating result (from an unbounded aggregation, a join "
                  "or a changelog source)",
                  construct),
      span);
}

base::Result<runtime::plan::PlanNode> PlanMatchRecognizeNode(
    const logical::LogicalNode& match, const types::Schema& input_schema,
    runtime::plan::ChangelogMode input_mode) {
  SLUICE_RETURN_IF_ERROR(RequireInsertOnlyInput("MATCH_RECOGNIZE", input_mode, match.span));
  const runtime::plan::MatchRecognizeSpec& spec = *match.match_recognize;
  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kMatchRecognize;
  node.output_schema = match.schema;
  node.changelog_mode = runtime::plan::ChangelogMode::kInsertOnly;
  node.match_recognize = spec;
  std::vector<std::string> names;
  std::vector<types::LogicalType> types;
  for (const auto& slot : types::FlattenSchema(input_schema)) {
    names.push_back(slot.path);
    types.push_back(slot.type);
  }
  types::Schema key_schema;
  for (int32_t slot : spec.partition_slots) {
    key_schema.columns.push_back({names.at(slot), types.at(slot)});
  }
  // "rows": event-time rows waiting for the watermark, per time; "matches": the partial
  // matches of a key and the rows they hold (match_recognize_operator.h).
  runtime::plan::StateSpec rows;
  rows.name = "rows";
  rows.key_schema = key_schema;
  rows.value_schema = input_schema;
  rows.state_namespace = runtime::plan::StateNamespace::kTime;
  if (spec.event_time) node.state.push_back(rows);
  runtime::plan::StateSpec matches;
  matches.name = "matches";
  matches.key_schema = key_schema;
  matches.value_schema = input_schema;
  node.state.push_back(matches);
  if (spec.event_time) node.state.push_back(runtime::plan::WatermarkStateSpec());
  std::string description = "PARTITION BY [";
  for (size_t i = 0; i < spec.partition_slots.size(); ++i) {
    description += (i ? ", " : "") + names.at(spec.partition_slots[i]);
  }
  description += "] ORDER BY " + names.at(spec.order_slot);
  for (const runtime::plan::SortKey& key : spec.order_keys) {
    description += ", " + names.at(key.slot) + (key.ascending ? "" : " DESC");
  }
  description += " PATTERN " + spec.pattern;
  if (spec.within_millis >= 0) description += fmt::format(" WITHIN {} ms", spec.within_millis);
  switch (spec.skip) {
    case runtime::plan::MatchSkip::kPastLastRow: description += " SKIP PAST LAST ROW"; break;
    case runtime::plan::MatchSkip::kToNextRow: description += " SKIP TO NEXT ROW"; break;
    case runtime::plan::MatchSkip::kToFirst:
      description += " SKIP TO FIRST " + spec.variables.at(spec.skip_variable);
      break;
    case runtime::plan::MatchSkip::kToLast:
      description += " SKIP TO LAST " + spec.variables.at(spec.skip_variable);
      break;
  }
  node.description = description;
  return node;
}

}  // namespace sluice::compiler::physical
