#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/schema.h"
#include "runtime/connectors/connector.h"
#include "runtime/plan/expr.h"

namespace sluice::runtime::plan {

/// The physical operator kinds a PlanGraph may hold.
enum class OperatorKind : uint8_t {
  kSource,  // reads a table, computes its computed columns, assigns watermarks
  kCalc,    // a fused stateless chain: filter + projections
  kSink,    // writes a table
};

enum class ExchangeKind : uint8_t { kForward, kHash, kBroadcast, kRebalance };

enum class ChangelogMode : uint8_t { kInsertOnly, kUpdating };

enum class StateNamespace : uint8_t { kNone, kWindow };

/// Describes one piece of keyed state an operator keeps (DESIGN §3).
struct StateSpec {
  std::string name;
  types::Schema key_schema;
  StateNamespace state_namespace = StateNamespace::kNone;
  types::Schema value_schema;
  int64_t ttl_millis = 0;  // 0 = no TTL
};

/// A source's event-time settings: the rowtime slot and the watermark expression over the
/// table's full slots (physical + computed), e.g. `dateTime - INTERVAL '4' SECOND`.
struct WatermarkSpec {
  int32_t rowtime_slot = -1;
  ExprPtr expression;
};

/// One physical operator. Exactly the fields of its kind are set.
struct PlanNode {
  int32_t id = 0;  // index in PlanGraph::nodes; edges refer to it
  std::string uid;
  OperatorKind kind = OperatorKind::kCalc;
  int32_t kind_version = 1;
  int32_t parallelism = 1;
  types::Schema output_schema;
  ChangelogMode changelog_mode = ChangelogMode::kInsertOnly;
  std::vector<StateSpec> state;
  /// A short human description for EXPLAIN ("bid", "WHERE MOD(auction, 123) = 0").
  std::string description;

  // kSource and kSink
  std::optional<connectors::TableDescriptor> table;
  // kSource: computes the full table row (physical + computed columns) from the physical slots
  std::optional<ChainSpec> computed_columns;
  std::optional<WatermarkSpec> watermark;
  // kCalc, and kSink when the sink needs a final cast to its declared column types
  std::optional<ChainSpec> chain;
};

/// Connects the output of `source_node` to input `target_input` of `target_node`.
struct PlanEdge {
  int32_t source_node = 0;
  int32_t target_node = 0;
  int32_t target_input = 0;
  ExchangeKind exchange = ExchangeKind::kForward;
  std::vector<int32_t> hash_slots;  // for kHash: the output slots of source_node that form the key
};

/// The serializable, versioned contract between compiler and runtime (DESIGN §3).
struct PlanGraph {
  static constexpr int32_t kFormatVersion = 1;
  std::string job_name;
  int32_t max_parallelism = 128;
  std::vector<PlanNode> nodes;
  std::vector<PlanEdge> edges;
  /// The job's effective `SET` options (after CLI overrides), for reference and restore.
  std::map<std::string, std::string> options;

  std::vector<const PlanEdge*> InputsOf(int32_t node) const;
  std::vector<const PlanEdge*> OutputsOf(int32_t node) const;
};

const char* OperatorKindName(OperatorKind kind);
const char* ExchangeKindName(ExchangeKind kind);

/// Serializes the plan as pretty JSON (stable key order, so diffs and tests are meaningful).
std::string PlanToJson(const PlanGraph& plan);
/// Reads a plan written by PlanToJson; errors name the JSON path that is wrong.
base::Result<PlanGraph> PlanFromJson(const std::string& text);

}  // namespace sluice::runtime::plan
