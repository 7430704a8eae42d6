#include "compiler/physical/plan_join.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/connectors/connector.h"
#include "runtime/operators/window_clock.h"

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

namespace {

/// Whether `slot` of `node`'s output is the window_end or window_time of an event-time window
/// aggregation or window TVF (on the UTC wall clock), passed on by projections and filters.
bool WindowTimeNeverLate(const LogicalNode& node, int32_t slot) {
  auto event_time = [](const runtime::plan::WindowSpec& window) {
    return !window.processing_time && runtime::operators::WindowClock(window.time_zone).identity();
  };
  switch (node.kind) {
    case LogicalKind::kProject: {
      if (slot < 0 || static_cast<size_t>(slot) >= node.projections.size()) return false;
      const ExprPtr& projection = node.projections[slot];
      return projection->kind == ExprKind::kColumn &&
             WindowTimeNeverLate(*node.inputs[0], projection->column_index);
    }
    case LogicalKind::kFilter: return WindowTimeNeverLate(*node.inputs[0], slot);
    case LogicalKind::kAggregate: {
      if (!node.aggregate->window || !event_time(*node.aggregate->window)) return false;
      auto offset = slot - static_cast<int32_t>(node.aggregate->key_slots.size());
      return offset == 1 || offset == 2;
    }
    case LogicalKind::kWindowTableFunction: {
      // Each row's windows end after its time; a session's are known only when it closes.
      if (!event_time(*node.window) || node.window->kind == runtime::plan::WindowKind::kSession)
        return false;
      auto offset = slot - static_cast<int32_t>(node.inputs[0]->SlotCount());
      return offset == 1 || offset == 2;
    }
    default: return false;
  }
}

std::vector<int32_t> EventTimes(const LogicalNode& side, const std::vector<int32_t>& attributes) {
  std::vector<int32_t> times = attributes;
  auto slots = static_cast<int32_t>(side.SlotCount());
  for (int32_t slot = 0; slot < slots; ++slot) {
    if (std::find(times.begin(), times.end(), slot) == times.end() &&
        WindowTimeNeverLate(side, slot)) {
      times.push_back(slot);
    }
  }
  return times;
}

}  // namespace

logical::RowExpiries JoinRowExpiries(const LogicalNode& join) {
  // INNER and LEFT joins (tested); FULL, semi and anti joins keep every row for now.
  if (join.kind != LogicalKind::kJoin || join.window_join || join.temporal_join ||
      !join.predicate ||
      (join.join_type != runtime::plan::JoinType::kInner &&
       join.join_type != runtime::plan::JoinType::kLeft) ||
      MayUpdate(*join.inputs[0]) || MayUpdate(*join.inputs[1])) {
    return {};
  }
  const auto left_slots = static_cast<int32_t>(join.inputs[0]->SlotCount());
  return logical::FindRowExpiries(join.predicate, left_slots,
                                  EventTimes(*join.inputs[0], join.left_time_attributes),
                                  EventTimes(*join.inputs[1], join.right_time_attributes));
}

std::string DescribeRowExpiry(const std::vector<runtime::plan::RowExpiry>& expiries,
                              const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < expiries.size(); ++i) {
    const auto& expiry = expiries[i];
    out += i == 0 ? "" : ", ";
    out += names[expiry.slot];
    if (expiry.offset != 0) {
      out += fmt::format(" {} {} ms", expiry.offset < 0 ? "-" : "+",
                         expiry.offset < 0 ? -expiry.offset : expiry.offset);
    }
  }
  return expiries.size() > 1 ? "the earliest of " + out : out;
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
