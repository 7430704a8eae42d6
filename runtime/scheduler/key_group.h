#pragma once

#include <cstdint>
#include <vector>

#include "runtime/batch/batch.h"

namespace sluice::runtime::scheduler {

/// Hashes the key slots of one row. Stable across runs, machines and versions (xxHash3 over
/// the values' bytes; strings by content; NULL as a marker), because state is stored by the
/// key group derived from it.
uint64_t HashKey(const Batch& batch, const std::vector<int32_t>& key_slots, int32_t row);

/// Maps a key hash to its key group in [0, max_parallelism).
inline int32_t KeyGroupOf(uint64_t hash, int32_t max_parallelism) {
  return static_cast<int32_t>(hash % static_cast<uint64_t>(max_parallelism));
}

/// The key group of row `row`'s key (`key_slots` of `batch`): where its keyed state lives.
inline int32_t KeyGroupOfRow(const Batch& batch, const std::vector<int32_t>& key_slots, int32_t row,
                             int32_t max_parallelism) {
  return KeyGroupOf(HashKey(batch, key_slots, row), max_parallelism);
}

/// Maps a key group to the subtask that owns it (contiguous ranges, as Flink does).
inline int32_t SubtaskOfKeyGroup(int32_t key_group, int32_t max_parallelism, int32_t parallelism) {
  return static_cast<int32_t>(static_cast<int64_t>(key_group) * parallelism / max_parallelism);
}

}  // namespace sluice::runtime::scheduler

namespace sluice::runtime::scheduler {

/// The contiguous key-group range [first, last] that `subtask` of `parallelism` owns: exactly
/// the key groups `SubtaskOfKeyGroup` maps to it (empty, first > last, when parallelism >
/// max_parallelism leaves it none).
struct KeyGroupRange {
  int32_t first = 0;
  int32_t last = -1;
};
inline KeyGroupRange KeyGroupRangeOf(int32_t subtask, int32_t max_parallelism,
                                     int32_t parallelism) {
  auto start = [&](int64_t index) {
    return static_cast<int32_t>((index * max_parallelism + parallelism - 1) / parallelism);
  };
  return {start(subtask), start(int64_t{subtask} + 1) - 1};
}

}  // namespace sluice::runtime::scheduler
