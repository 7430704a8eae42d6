#pragma once

#include <optional>
#include <set>
#include <string>

#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::check {

/// Says whether operator `uid` of `new_plan` could be backfilled (`sluice run --from …
/// --backfill UID`): its state computed from its sources' history instead of starting empty.
/// Returns a short text naming the sources, e.g. "could be backfilled from the history of
/// 'bids' (values)", or nullopt when it cannot (no such stateful operator, or an upstream
/// source that cannot replay its history). The rule is the runtime's
/// (runtime::scheduler::BackfillSources).
/// With `sources_with_positions` (the sources a snapshot has positions for), a source it
/// lacks makes the operator not backfillable from that snapshot (the replay has no cut).
std::optional<std::string> BackfillFrom(
    const runtime::plan::PlanGraph& new_plan, const std::string& uid,
    const std::set<std::string>* sources_with_positions = nullptr);

}  // namespace sluice::compiler::check
