#include "runtime/operators/operator_restore.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/operators/aggregate/accumulator_migration.h"
#include "runtime/operators/changelog_normalize_operator.h"
#include "runtime/operators/interval_join_operator.h"
#include "runtime/operators/join_operator.h"
#include "runtime/operators/over_aggregate_operator.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/operators/top_n_operator.h"
#include "runtime/operators/window_aggregate_operator.h"
#include "runtime/operators/window_join_operator.h"
#include "runtime/plan/state_evolution.h"
#include "runtime/scheduler/key_group.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

namespace {

using plan::OperatorKind;
using Evolutions = std::optional<plan::StateEvolution>;

using types::SlotTypes;

std::string TypesText(const std::vector<types::LogicalType>& types) {
  std::string out = "[";
  for (size_t i = 0; i < types.size(); ++i) out += (i ? ", " : "") + types[i].ToString();
  return out + "]";
}

/// The error of a restore that `node` cannot take, saying `what` differs.
base::Status RefuseRestore(const plan::PlanNode& node, const std::string& what) {
  return base::Status::Error(
      base::ErrorCode::kPlan,
      fmt::format("cannot restore the state of '{}' ({}) from the snapshot: {}", node.uid,
                  plan::OperatorKindName(node.kind), what));
}

/// What restoring one table of `node` takes, given the old node that wrote it.
class Planner {
 public:
  Planner(const plan::PlanNode& old_node, const plan::PlanNode& node, Evolutions evolutions)
      : old_(old_node), new_(node), evolutions_(std::move(evolutions)) {}

  /// The migration of table `spec` (written as `old_spec`); null when the bytes load as they
  /// are. An error says what differs.
  base::Result<std::unique_ptr<RecordMigration>> Plan(const plan::StateSpec& old_spec,
                                                      const plan::StateSpec& spec) {
    auto old_keys = SlotTypes(old_spec.key_schema);
    auto new_keys = SlotTypes(spec.key_schema);
    if (!(old_keys == new_keys)) {
      return Refuse(fmt::format("the key of state '{}' changed from {} to {}", spec.name,
                                TypesText(old_keys), TypesText(new_keys)));
    }
    if (old_spec.state_namespace != spec.state_namespace) {
      return Refuse(fmt::format("the namespace of state '{}' changed", spec.name));
    }
    if (spec.name == plan::kWatermarkStateName) return Unchanged(old_spec, spec);
    switch (new_.kind) {
      case OperatorKind::kGroupAggregate:
      case OperatorKind::kWindowAggregate: return PlanAggregate(spec);
      case OperatorKind::kJoin:
      case OperatorKind::kIntervalJoin:
      case OperatorKind::kWindowJoin:
      case OperatorKind::kTemporalJoin: return PlanJoin(old_spec, spec);
      case OperatorKind::kTopN: return PlanTopN();
      case OperatorKind::kOverAggregate: return PlanOver(spec);
      case OperatorKind::kChangelogNormalize: return PlanNormalize();
      default: return Unchanged(old_spec, spec);
    }
  }

  base::Status Refuse(const std::string& what) const { return RefuseRestore(new_, what); }

 private:
  /// A table whose layout is all in its StateSpec: equal value types or nothing.
  base::Result<std::unique_ptr<RecordMigration>> Unchanged(const plan::StateSpec& old_spec,
                                                           const plan::StateSpec& spec) const {
    auto old_values = SlotTypes(old_spec.value_schema);
    auto new_values = SlotTypes(spec.value_schema);
    if (!(old_values == new_values)) {
      return Refuse(fmt::format("the value of state '{}' changed from {} to {}", spec.name,
                                TypesText(old_values), TypesText(new_values)));
    }
    return std::unique_ptr<RecordMigration>();
  }

  /// Per new field of component `name`, the old field it continues. Without signatures only
  /// an unchanged field list (`old_count` == `new_count`, in place) can be carried.
  base::Result<std::vector<int32_t>> Origins(const std::string& name, size_t old_count,
                                             size_t new_count) const {
    std::vector<int32_t> origins;
    if (evolutions_) {
      auto found = evolutions_->fields.find(name);
      if (found != evolutions_->fields.end()) return found->second.origins;
    }
    if (old_count != new_count) {
      return Refuse(
          fmt::format("the {} changed ({} fields, now {}) and a plan has no state "
                      "signature to match them by",
                      name, old_count, new_count));
    }
    for (size_t i = 0; i < new_count; ++i) origins.push_back(static_cast<int32_t>(i));
    return origins;
  }

  base::Result<std::unique_ptr<RecordMigration>> PlanAggregate(const plan::StateSpec& spec) {
    if (!old_.aggregate || !new_.aggregate) return Refuse("no aggregation in a plan");
    const auto& old_calls = old_.aggregate->calls;
    const auto& new_calls = new_.aggregate->calls;
    SLUICE_ASSIGN_OR_RETURN(auto origins,
                            Origins("accumulators", old_calls.size(), new_calls.size()));
    auto accumulators = aggregate::AccumulatorMigration::Create(old_calls, new_calls, origins);
    if (!accumulators.ok()) return Refuse(accumulators.status().message());
    if (spec.name == "sessions") {
      // Another SESSION gap (plan::CarryChange allowed it): every session ends at its last
      // row + the new gap, and sessions that now overlap merge.
      int64_t old_gap = old_.aggregate->window ? old_.aggregate->window->gap : 0;
      int64_t new_gap = new_.aggregate->window ? new_.aggregate->window->gap : 0;
      if ((*accumulators)->identity() && old_gap == new_gap) {
        return std::unique_ptr<RecordMigration>();
      }
      return MigrateSessions(std::move(*accumulators), new_calls, new_gap - old_gap);
    }
    if ((*accumulators)->identity()) return std::unique_ptr<RecordMigration>();
    return aggregate::MigrateAccumulatorValues(std::move(*accumulators));
  }

  base::Result<std::unique_ptr<RowMigration>> Rows(const std::string& component,
                                                   std::vector<types::LogicalType> old_types,
                                                   std::vector<types::LogicalType> new_types) {
    SLUICE_ASSIGN_OR_RETURN(auto origins, Origins(component, old_types.size(), new_types.size()));
    auto rows = RowMigration::Create(std::move(old_types), std::move(new_types), origins);
    if (!rows.ok()) return Refuse(fmt::format("{}: {}", component, rows.status().message()));
    return std::move(*rows);
  }

  base::Result<std::unique_ptr<RecordMigration>> PlanJoin(const plan::StateSpec& old_spec,
                                                          const plan::StateSpec& spec) {
    if (!old_.join || !new_.join) return Refuse("no join in a plan");
    SLUICE_ASSIGN_OR_RETURN(auto rows, Rows(spec.name + ".values", SlotTypes(old_spec.value_schema),
                                            SlotTypes(spec.value_schema)));
    switch (new_.kind) {
      case OperatorKind::kIntervalJoin:
      case OperatorKind::kTemporalJoin:  // the same value layout (temporal_join_operator.h)
        if (rows->identity()) return std::unique_ptr<RecordMigration>();
        return MigrateIntervalJoinRows(std::move(rows));
      case OperatorKind::kWindowJoin:
        if (rows->identity()) return std::unique_ptr<RecordMigration>();
        return MigrateWindowJoinRows(std::move(rows));
      default: break;
    }
    int64_t old_ttl = old_.join->state_ttl, new_ttl = new_.join->state_ttl;
    if (rows->identity() && (old_ttl > 0) == (new_ttl > 0)) {
      return std::unique_ptr<RecordMigration>();
    }
    // Outer sides keep association counts (JoinOperator): the left side of all but an inner
    // join, the right side of a FULL join.
    const plan::JoinType type = new_.join->type;
    bool outer = (spec.name == "left" && type != plan::JoinType::kInner) ||
                 (spec.name == "right" && type == plan::JoinType::kFull);
    return MigrateJoinRows(std::move(rows), outer, old_ttl, new_ttl);
  }

  /// A Top-N keeps its input rows: its output without the row number.
  static std::vector<types::LogicalType> TopNRowTypes(const plan::PlanNode& node) {
    auto types = SlotTypes(node.output_schema);
    if (node.top_n && node.top_n->emit_row_number && !types.empty()) types.pop_back();
    return types;
  }

  base::Result<std::unique_ptr<RecordMigration>> PlanTopN() {
    if (!old_.top_n || !new_.top_n) return Refuse("no Top-N in a plan");
    SLUICE_ASSIGN_OR_RETURN(auto rows, Rows("values", TopNRowTypes(old_), TopNRowTypes(new_)));
    if (rows->identity()) return std::unique_ptr<RecordMigration>();
    return MigrateTopNRows(std::move(rows));
  }

  /// A changelog normalization keeps each key's last input row: its output as it is.
  base::Result<std::unique_ptr<RecordMigration>> PlanNormalize() {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, Rows("values", SlotTypes(old_.output_schema), SlotTypes(new_.output_schema)));
    if (rows->identity()) return std::unique_ptr<RecordMigration>();
    return MigrateNormalizedRows(std::move(rows));
  }

  base::Result<std::unique_ptr<RecordMigration>> PlanOver(const plan::StateSpec& spec) {
    if (!old_.over_aggregate || !new_.over_aggregate) {
      return Refuse("no OVER aggregation in a plan");
    }
    const auto& old_calls = old_.over_aggregate->calls;
    const auto& new_calls = new_.over_aggregate->calls;
    SLUICE_ASSIGN_OR_RETURN(auto origins,
                            Origins("accumulators", old_calls.size(), new_calls.size()));
    auto accumulators = aggregate::AccumulatorMigration::Create(old_calls, new_calls, origins);
    if (!accumulators.ok()) return Refuse(accumulators.status().message());
    // It keeps its input rows: its output without the calls' columns.
    auto old_rows = SlotTypes(old_.output_schema);
    auto new_rows = SlotTypes(new_.output_schema);
    old_rows.resize(old_rows.size() - std::min(old_rows.size(), old_calls.size()));
    new_rows.resize(new_rows.size() - std::min(new_rows.size(), new_calls.size()));
    SLUICE_ASSIGN_OR_RETURN(auto rows, Rows("values", old_rows, new_rows));
    if ((*accumulators)->identity() && rows->identity()) {
      return std::unique_ptr<RecordMigration>();
    }
    auto migration = MigrateOverAggregateState(spec.name, *new_.over_aggregate, new_rows,
                                               std::move(rows), std::move(*accumulators));
    if (!migration.ok()) return Refuse(migration.status().message());
    return std::move(*migration);
  }

  const plan::PlanNode& old_;
  const plan::PlanNode& new_;
  Evolutions evolutions_;
};

const plan::PlanNode* FindNode(const plan::PlanGraph& plan, const std::string& uid) {
  for (const plan::PlanNode& node : plan.nodes) {
    if (node.uid == uid) return &node;
  }
  return nullptr;
}

const plan::StateSpec* FindSpec(const plan::PlanNode& node, const std::string& name) {
  for (const plan::StateSpec& spec : node.state) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool HasState(const state::Snapshot& snapshot, const std::string& uid) {
  for (const state::StateHandle& handle : snapshot.metadata.handles) {
    if (handle.uid == uid) return true;
  }
  return false;
}

/// One record of a table being dealt into other key groups.
struct Rebucketed {
  int32_t key_group;
  std::string key;
  std::string ns;
  std::string value;
};

/// Reads every record `records` gives (of every old key group), puts each into its key group
/// under `max_parallelism` — computed from the key itself, as the exchange computes it from
/// the row (scheduler::HashKey over the decoded key columns) — and passes those in
/// [first, last] on to `sink` in key-group order. Holds the subtask's share in memory. The
/// watermark table (one entry per key group, empty key) gets, in each key group, the lowest
/// watermark any old key group had: no window that is still open anywhere is taken for fired.
base::Status Rebucket(const state::SortedRecords& records, const state::RecordSink& sink,
                      const plan::StateSpec& spec, int32_t old_max_parallelism,
                      int32_t max_parallelism, int32_t first, int32_t last) {
  std::vector<Rebucketed> kept;
  if (spec.name == plan::kWatermarkStateName) {
    // Values: the watermark as 8 bytes big-endian (WatermarkState). An old key group without
    // an entry never saw one: then no new key group has one either.
    std::optional<int64_t> lowest;
    std::string lowest_value;
    int32_t entries = 0;
    SLUICE_RETURN_IF_ERROR(records(
        [&](int32_t, std::string_view, std::string_view, std::string_view value) -> base::Status {
          if (value.size() != 8) return base::Status::Ok();
          uint64_t bits = 0;
          for (char byte : value) bits = (bits << 8) | static_cast<uint8_t>(byte);
          auto watermark = static_cast<int64_t>(bits);
          ++entries;
          if (!lowest || watermark < *lowest) {
            lowest = watermark;
            lowest_value = std::string(value);
          }
          return base::Status::Ok();
        }));
    if (!lowest || entries < old_max_parallelism) return base::Status::Ok();
    for (int32_t group = first; group <= last; ++group) {
      SLUICE_RETURN_IF_ERROR(sink(group, "", "", lowest_value));
    }
    return base::Status::Ok();
  }
  std::vector<types::LogicalType> key_types = SlotTypes(spec.key_schema);
  state::RowCodec codec(key_types);
  std::vector<int32_t> slots;
  for (size_t i = 0; i < key_types.size(); ++i) slots.push_back(static_cast<int32_t>(i));
  std::unique_ptr<Batch> scratch;
  int32_t decoded = 0;
  SLUICE_RETURN_IF_ERROR(records([&](int32_t, std::string_view key, std::string_view ns,
                                     std::string_view value) -> base::Status {
    if (!scratch || ++decoded % 4096 == 0) {  // a fresh arena now and then
      scratch = std::make_unique<Batch>(key_types);
      scratch->set_row_count(1);
    }
    SLUICE_RETURN_IF_ERROR(codec.Decode(key, scratch.get(), 0, 0));
    int32_t group = scheduler::KeyGroupOf(scheduler::HashKey(*scratch, slots, 0), max_parallelism);
    if (group >= first && group <= last) {
      kept.push_back({group, std::string(key), std::string(ns), std::string(value)});
    }
    return base::Status::Ok();
  }));
  std::stable_sort(kept.begin(), kept.end(), [](const Rebucketed& a, const Rebucketed& b) {
    return a.key_group < b.key_group;
  });
  for (const Rebucketed& record : kept) {
    SLUICE_RETURN_IF_ERROR(sink(record.key_group, record.key, record.ns, record.value));
  }
  return base::Status::Ok();
}

}  // namespace

base::Status RestoreOperatorState(const state::Snapshot& snapshot, const plan::PlanNode& node,
                                  state::StateBackend* backend, int32_t first, int32_t last,
                                  int32_t max_parallelism) {
  const int32_t old_max_parallelism = snapshot.metadata.plan.max_parallelism;
  const bool rebucket = max_parallelism > 0 && max_parallelism != old_max_parallelism;
  const plan::PlanNode* old_node = FindNode(snapshot.metadata.plan, node.uid);
  if (old_node == nullptr) {
    if (!HasState(snapshot, node.uid)) return base::Status::Ok();  // new: starts empty
    return base::Status::Error(
        base::ErrorCode::kData,
        fmt::format("the snapshot holds state of '{}' but its plan has no such operator to "
                    "tell its layout",
                    node.uid));
  }
  if (old_node->kind != node.kind) {
    return RefuseRestore(node, fmt::format("the UID named a {} that wrote the state",
                                           plan::OperatorKindName(old_node->kind)));
  }
  Evolutions evolutions;
  if (old_node->signature && node.signature) {
    auto evolved = plan::EvolveState(*old_node, *old_node->signature, node, *node.signature);
    if (!evolved.ok()) return RefuseRestore(node, evolved.status().message());
    evolutions = std::move(*evolved);
  }
  Planner planner(*old_node, node, std::move(evolutions));
  // Plan every table before loading any, so a refusal leaves the backend untouched.
  std::vector<std::unique_ptr<RecordMigration>> migrations;
  for (const plan::StateSpec& spec : node.state) {
    const plan::StateSpec* old_spec = FindSpec(*old_node, spec.name);
    if (old_spec == nullptr) {
      migrations.push_back(nullptr);  // the snapshot has none: starts empty
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(auto migration, planner.Plan(*old_spec, spec));
    migrations.push_back(std::move(migration));
  }
  for (size_t i = 0; i < node.state.size(); ++i) {
    const plan::StateSpec& spec = node.state[i];
    if (FindSpec(*old_node, spec.name) == nullptr) continue;
    RecordMigration* migration = migrations[i].get();
    state::RecordRewriter rewrite;
    if (migration != nullptr) {
      rewrite = [migration](const state::SortedRecords& records, const state::RecordSink& sink) {
        return MigrateRecords(records, sink, migration);
      };
    }
    base::Status status;
    if (rebucket) {
      // Another pipeline.max-parallelism: every old key group may hold keys of this range.
      auto rebucketed = [&](const state::SortedRecords& records,
                            const state::RecordSink& sink) -> base::Status {
        state::SortedRecords migrated = records;
        if (rewrite) {
          migrated = [&](const state::RecordSink& inner) { return rewrite(records, inner); };
        }
        return Rebucket(migrated, sink, spec, old_max_parallelism, max_parallelism, first, last);
      };
      status = state::RestoreInto(snapshot, node.uid, spec.name, backend, 0,
                                  old_max_parallelism - 1, rebucketed);
    } else {
      status = state::RestoreInto(snapshot, node.uid, spec.name, backend, first, last, rewrite);
    }
    if (!status.ok()) {
      return base::Status::Error(status.code(), fmt::format("restoring state '{}' of '{}': {}",
                                                            spec.name, node.uid, status.message()));
    }
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
