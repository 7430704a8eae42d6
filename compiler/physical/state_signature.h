#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// What every output slot of a PlanGraph's nodes is, in terms of source columns: `bid.price`,
/// `MOD(bid.auction, 123)`, `SUM(bid.price)`, `window_end(TUMBLE(bid.dateTime, 10000 ms))`.
/// Aliases, column order and stateless steps in between do not show in a lineage; what the
/// value is computed from does. Works on any PlanGraph, including one read back from JSON.
class Lineage {
 public:
  explicit Lineage(const runtime::plan::PlanGraph& plan) : plan_(plan) {}

  /// The lineage of every output slot of `node`.
  const std::vector<std::string>& Of(int32_t node);
  /// The lineage of every slot of input `input` of `node` (the output of the node feeding it).
  const std::vector<std::string>& OfInput(int32_t node, int32_t input);
  /// The filters (by lineage) of the stateless steps between `node`'s inputs and the nearest
  /// stateful operators or sources upstream, sorted; a changed one means state was built
  /// under another predicate.
  std::vector<std::string> UpstreamFilters(int32_t node);
  /// The grouping sets (by lineage: `GROUPING SETS ((bid.a), ())`) of the Expands among those
  /// same stateless steps, sorted; a changed one means the aggregation's groups are made of
  /// other sets than the state's.
  std::vector<std::string> UpstreamGroupingSets(int32_t node);

 private:
  /// Calls `visit` on each stateless step (calc, union, lookup join, expand) between `node`'s
  /// inputs and the nearest stateful operators or sources upstream.
  void ForEachUpstreamStep(int32_t node,
                           const std::function<void(const runtime::plan::PlanNode&)>& visit);
  const runtime::plan::PlanNode* InputNode(int32_t node, int32_t input) const;
  std::vector<std::string> Compute(const runtime::plan::PlanNode& node);

  const runtime::plan::PlanGraph& plan_;
  std::map<int32_t, std::vector<std::string>> cache_;
};

/// The state signature of one node (nullopt for stateless kinds: calc, union, lookup join).
std::optional<runtime::plan::StateSignature> SignatureOf(const runtime::plan::PlanGraph& plan,
                                                         int32_t node, Lineage* lineage);

/// Sets PlanNode::signature on every source, sink and stateful operator of `plan`.
void ComputeStateSignatures(runtime::plan::PlanGraph* plan);

/// A window as signature text: `TUMBLE(bid.dateTime, size 10000 ms)`.
std::string WindowSignature(const runtime::plan::WindowSpec& window, const std::string& time);

}  // namespace sluice::compiler::physical
