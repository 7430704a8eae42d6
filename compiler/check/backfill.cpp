#include "compiler/check/backfill.h"

#include "runtime/scheduler/backfill.h"

namespace sluice::compiler::check {

std::optional<std::string> BackfillFrom(const runtime::plan::PlanGraph& new_plan,
                                        const std::string& uid,
                                        const std::set<std::string>* sources_with_positions) {
  auto sources = runtime::scheduler::BackfillSources(new_plan, uid);
  if (!sources.ok() || sources->empty()) return std::nullopt;
  for (const runtime::plan::PlanNode* source : *sources) {
    if (sources_with_positions && !sources_with_positions->count(source->uid)) {
      return std::nullopt;
    }
  }
  std::string text = "could be backfilled from the history of ";
  for (size_t index = 0; index < sources->size(); ++index) {
    const runtime::plan::PlanNode& source = *(*sources)[index];
    if (index > 0) text += index + 1 == sources->size() ? " and " : ", ";
    auto connector = source.table->options.find("connector");
    text += "'" + source.table->name + "' (" +
            (connector == source.table->options.end() ? std::string("?") : connector->second) + ")";
  }
  return text;
}

}  // namespace sluice::compiler::check
