#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "runtime/operators/operator.h"

namespace sluice::runtime::scheduler {

class SubtaskRunner;

/// What travels between subtasks. kIdle / kActive are a channel's watermark status: an idle
/// channel is left out of the minimum over input watermarks until it turns active again.
/// kBarrier separates what belongs before checkpoint `checkpoint` from what comes after.
struct Message {
  enum class Kind : uint8_t { kBatch, kWatermark, kEnd, kIdle, kActive, kBarrier };
  Kind kind = Kind::kBatch;
  int32_t input = 0;    // the receiving operator's input
  int32_t channel = 0;  // which upstream subtask of that input sent it
  operators::BatchPtr batch;
  int64_t watermark = 0;
  int64_t checkpoint = 0;  // kBarrier
};

/// The bounded input queue of one subtask. Producers never block: they ask for room first
/// and, when there is none, register to be scheduled again once the consumer has drained
/// some messages. The bound is soft by at most one batch per producer step.
class Inbox {
 public:
  explicit Inbox(size_t capacity) : capacity_(capacity) {}

  void Push(Message message);
  /// Pops the oldest message; when that frees room, moves the waiting producers to `wake`.
  bool Pop(Message* out, std::vector<SubtaskRunner*>* wake);
  /// Returns true when there is room; otherwise registers `waiter` and returns false.
  bool HasRoomOrWait(SubtaskRunner* waiter);
  bool Empty();
  /// Messages queued now, and the bound (for backpressure metrics).
  size_t Size();
  size_t capacity() const { return capacity_; }

 private:
  std::mutex mutex_;
  std::deque<Message> messages_;
  size_t capacity_;
  std::vector<SubtaskRunner*> waiters_;
};

}  // namespace sluice::runtime::scheduler
