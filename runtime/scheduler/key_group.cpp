#include "runtime/scheduler/key_group.h"

#include <xxhash.h>

namespace sluice::runtime::scheduler {

uint64_t HashKey(const Batch& batch, const std::vector<int32_t>& key_slots, int32_t row) {
  uint64_t hash = 0x5eed5eed5eed5eedULL;
  for (int32_t slot : key_slots) {
    const Column& column = batch.column(slot);
    if (column.IsNull(row)) {
      hash = XXH3_64bits_withSeed("\0null", 5, hash);
      continue;
    }
    if (column.type().IsStringStored()) {
      const StringRef& text = column.values<StringRef>()[row];
      hash = XXH3_64bits_withSeed(text.data, text.length, hash);
    } else {
      int32_t width = column.type().PhysicalWidth();
      hash = XXH3_64bits_withSeed(column.data() + static_cast<size_t>(row) * width, width, hash);
    }
  }
  return hash;
}

}  // namespace sluice::runtime::scheduler
