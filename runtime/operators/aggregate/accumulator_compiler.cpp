#include "runtime/operators/aggregate/accumulator_compiler.h"

#include <fmt/format.h>

namespace sluice::runtime::operators::aggregate {

namespace {

/// Everything about the calls that generated code depends on, as a cache key.
std::string CacheKey(const std::vector<plan::AggregateCall>& calls) {
  std::string key;
  for (const plan::AggregateCall& call : calls) {
    key += fmt::format("{},{},{},{},{},{},{};", static_cast<int>(call.kind), call.argument_slot,
                       call.argument_type.ToString(), call.result_type.ToString(), call.distinct,
                       call.filter_slot, call.retractable);
  }
  return key;
}

}  // namespace

base::Result<std::shared_ptr<CompiledAccumulators>> CachingAccumulatorCompiler::Compile(
    const std::vector<plan::AggregateCall>& calls) {
  std::string key = CacheKey(calls);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = cache_.find(key);
  if (found != cache_.end()) return found->second;
  SLUICE_ASSIGN_OR_RETURN(auto compiled, inner_->Compile(calls));
  cache_[key] = compiled;
  return compiled;
}

}  // namespace sluice::runtime::operators::aggregate
