#include "compiler/physical/plan_join.h"

#include <fmt/format.h>

#include "runtime/connectors/connector.h"

namespace sluice::compiler::physical {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;

bool MayUpdate(const LogicalNode& node) {
  switch (node.kind) {
    case LogicalKind::kAggregate:
      if (!node.aggregate || !node.aggregate->window) return true;
      break;
    case LogicalKind::kTopN: return true;
    case LogicalKind::kScan: {
      // A changelog source (a CDC format such as 'debezium-json') is an updating stream.
      if (!node.table) return false;
      auto name = node.table->descriptor.options.find("connector");
      if (name == node.table->descriptor.options.end()) return false;
      const runtime::connectors::Connector* connector =
          runtime::connectors::FindConnector(name->second);
      return connector != nullptr && connector->ProducesUpdates(node.table->descriptor);
    }
    case LogicalKind::kJoin:
      // A temporal join's output is insert-only, whatever the versioned table's changes.
      if (node.temporal_join) return MayUpdate(*node.inputs[0]);
      if (node.join_type == runtime::plan::JoinType::kLeft && !node.window_join &&
          !IntervalJoinBounds(node)) {
        return true;
      }
      // FULL joins withdraw NULL-padded rows, anti joins the rows a new match excludes (a
      // window join decides each once, when its window ends).
      if (!node.window_join && (node.join_type == runtime::plan::JoinType::kFull ||
                                node.join_type == runtime::plan::JoinType::kAnti)) {
        return true;
      }
      break;
    case LogicalKind::kSetOperation:
      if (node.set_operation->kind == runtime::plan::SetOperationKind::kExcept) return true;
      break;
    default: break;
  }
  for (const auto& input : node.inputs) {
    if (MayUpdate(*input)) return true;
  }
  return false;
}

std::optional<logical::IntervalBounds> IntervalJoinBounds(const LogicalNode& join) {
  if (join.kind != LogicalKind::kJoin || join.window_join || join.temporal_join ||
      !join.predicate) {
    return std::nullopt;
  }
  if (join.join_type != runtime::plan::JoinType::kInner &&
      join.join_type != runtime::plan::JoinType::kLeft) {
    return std::nullopt;  // interval joins are INNER or LEFT
  }
  const int32_t left_slots = static_cast<int32_t>(join.inputs[0]->SlotCount());
  auto bounds = logical::FindIntervalBounds(join.predicate, left_slots, join.left_time_attributes,
                                            join.right_time_attributes);
  if (!bounds) return std::nullopt;
  if (!bounds->keyed || MayUpdate(*join.inputs[0]) || MayUpdate(*join.inputs[1]))
    return std::nullopt;
  return bounds;
}

std::vector<types::RowField> WindowJoinColumns() {
  return {{"window_start", types::LogicalType::Timestamp()},
          {"window_end", types::LogicalType::Timestamp()},
          {"window_time", types::LogicalType::Timestamp()}};
}

std::string DescribeIntervalBounds(const runtime::plan::IntervalJoinSpec& spec,
                                   const std::vector<std::string>& left_names,
                                   const std::vector<std::string>& right_names) {
  const std::string& left = left_names[spec.left_time_slot];
  auto offset = [&](int64_t millis) {
    if (millis == 0) return left;
    return fmt::format("{} {} {} ms", left, millis < 0 ? "-" : "+", millis < 0 ? -millis : millis);
  };
  return fmt::format("{} BETWEEN {} AND {}", right_names[spec.right_time_slot], offset(spec.lower),
                     offset(spec.upper));
}

std::string DescribeWindow(const runtime::plan::WindowSpec& window) {
  std::string offset = window.offset != 0 ? fmt::format(", offset {} ms", window.offset) : "";
  switch (window.kind) {
    case runtime::plan::WindowKind::kTumble:
      return fmt::format("TUMBLE({} ms{})", window.size, offset);
    case runtime::plan::WindowKind::kHop:
      return fmt::format("HOP({} ms, {} ms{})", window.step, window.size, offset);
    case runtime::plan::WindowKind::kCumulate:
      return fmt::format("CUMULATE({} ms, {} ms{})", window.step, window.size, offset);
    case runtime::plan::WindowKind::kSession: return fmt::format("SESSION({} ms)", window.gap);
  }
  return "?";
}

}  // namespace sluice::compiler::physical
