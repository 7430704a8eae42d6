#include "compiler/physical/plan_temporal_join.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::compiler::physical {

base::Status MakeTemporalJoin(const logical::LogicalNode& join,
                              runtime::plan::ChangelogMode left_mode,
                              const std::vector<std::string>& left_names,
                              const std::vector<std::string>& right_names,
                              runtime::plan::PlanNode* node) {
  if (left_mode == runtime::plan::ChangelogMode::kUpdating) {
    // Flink's too: a left row is joined once, when the watermark reaches it.
    return base::Status::Error(base::ErrorCode::kPlan,
                               "an event-time temporal join (FOR SYSTEM_TIME AS OF an event-time "
                               "attribute) needs an insert-only left side, but it is an updating "
                               "result (from an unbounded aggregation or a changelog source)",
                               join.span);
  }
  const runtime::plan::TemporalJoinSpec& spec = *join.temporal_join;
  node->kind = runtime::plan::OperatorKind::kTemporalJoin;
  node->temporal_join = spec;
  // One output row per left row, once: insert-only whatever the versioned table's changes.
  node->changelog_mode = runtime::plan::ChangelogMode::kInsertOnly;
  for (runtime::plan::StateSpec& state : node->state) {
    state.state_namespace = runtime::plan::StateNamespace::kTime;
    state.ttl_millis = 0;
  }
  node->state.push_back(runtime::plan::WatermarkStateSpec());
  if (node->join) node->join->state_ttl = 0;
  // "LEFT ON currency = currency" → "LEFT FOR SYSTEM_TIME AS OF order_time (versions by
  // update_time) ON currency = currency".
  const std::string type = runtime::plan::JoinTypeName(join.join_type);
  std::string rest = node->description.substr(std::min(node->description.size(), type.size()));
  node->description =
      fmt::format("{} FOR SYSTEM_TIME AS OF {} (versions by {}){}", type,
                  left_names.at(spec.left_time_slot), right_names.at(spec.right_time_slot), rest);
  return base::Status::Ok();
}

}  // namespace sluice::compiler::physical
