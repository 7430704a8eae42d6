#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/batch/batch.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators {

/// Appends the sort keys of row `row` in an order-preserving byte form: memcmp order of two
/// results is the rows' order by `keys` (NULLS FIRST/LAST and DESC included); equal bytes
/// mean a tie. Each key is prefix-free, so concatenated keys compare key by key.
void AppendSortKey(const Batch& batch, int32_t row, const std::vector<plan::SortKey>& keys,
                   std::string* out);

}  // namespace sluice::runtime::operators
