#pragma once

// Internal to runtime/operators/match_recognize_*.cpp: the in-memory form of one key's state.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/batch/batch.h"
#include "runtime/operators/match_recognize_operator.h"

namespace sluice::runtime::operators {

struct MatchRecognizeOperator::Thread {
  uint64_t first_row = 0;
  int64_t first_time = 0;
  int32_t pc = 0;
  std::vector<int32_t> variables;  // of rows first_row, first_row + 1, …
};

/// One key's partial matches and the rows they hold, decoded for a run of rows.
struct MatchRecognizeOperator::Partition {
  uint64_t next_row = 0;
  uint64_t first_row = 0;  // the number of rows[0]
  std::vector<int64_t> times;
  std::vector<std::string> encoded;
  std::vector<std::unique_ptr<Batch>> chunks;  // the rows decoded, kBatchCapacity per chunk
  std::vector<Thread> threads;                 // partial matches, by first row
  std::vector<Thread> completed;  // complete matches waiting for earlier partial ones, by first row

  std::pair<const Column*, int32_t> Cell(uint64_t row, int32_t slot) const {
    const size_t index = row - first_row;
    const Batch& chunk = *chunks[index / kBatchCapacity];
    return {&chunk.column(slot), static_cast<int32_t>(index % kBatchCapacity)};
  }
  int64_t TimeOf(uint64_t row) const { return times[row - first_row]; }
};

}  // namespace sluice::runtime::operators
