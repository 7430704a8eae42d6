#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/inbox.h"

namespace sluice::runtime::scheduler {

class SubtaskRunner;

/// Sends what the last operator of a subtask's chain emits to the downstream subtasks,
/// following each out-edge's exchange kind.
class OutputRouter : public operators::Output {
 public:
  /// Routes one out-edge. `targets` are all subtasks of the downstream vertex.
  struct Route {
    plan::ExchangeKind exchange = plan::ExchangeKind::kForward;
    std::vector<int32_t> hash_slots;
    int32_t target_input = 0;
    std::vector<SubtaskRunner*> targets;
  };

  OutputRouter(int32_t subtask_index, int32_t max_parallelism)
      : subtask_index_(subtask_index), max_parallelism_(max_parallelism) {}

  void AddRoute(Route route) { routes_.push_back(std::move(route)); }

  base::Status EmitBatch(operators::BatchPtr batch) override;
  base::Status EmitWatermark(int64_t watermark) override;
  /// Tells every connected subtask that this one has ended.
  void EmitEnd();
  /// Tells every connected subtask that this one is idle (emits nothing for a while, so its
  /// watermark must not hold theirs back) or active again.
  void EmitIdleStatus(bool idle);
  /// Sends the barrier of checkpoint `checkpoint` to every connected subtask (control
  /// messages ignore the inbox bound).
  void EmitBarrier(int64_t checkpoint);
  /// True when every connected inbox has room; otherwise registers `waiter` with a full one.
  bool HasRoomOrWait(SubtaskRunner* waiter);
  /// Rows sent downstream so far, and the last watermark sent (any thread reads them).
  int64_t rows_out() const { return rows_out_.load(std::memory_order_relaxed); }
  int64_t watermark() const { return watermark_.load(std::memory_order_relaxed); }

 private:
  /// The subtasks of `route` this subtask sends control messages to.
  std::vector<SubtaskRunner*> Connected(const Route& route) const;
  int32_t ChannelAt(const Route& route) const;
  void SendControl(Message::Kind kind, int64_t checkpoint = 0);
  void Send(SubtaskRunner* target, const Route& route, operators::BatchPtr batch);
  void SendHashed(const Route& route, const operators::BatchPtr& batch);

  int32_t subtask_index_;
  int32_t max_parallelism_;
  std::vector<Route> routes_;
  uint32_t round_robin_ = 0;
  std::atomic<int64_t> rows_out_{0};
  std::atomic<int64_t> watermark_{operators::kMinWatermark};
};

}  // namespace sluice::runtime::scheduler
