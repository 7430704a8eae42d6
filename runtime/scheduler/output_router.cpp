#include "runtime/scheduler/output_router.h"

#include "runtime/scheduler/key_group.h"
#include "runtime/scheduler/subtask_runner.h"

namespace sluice::runtime::scheduler {

std::vector<SubtaskRunner*> OutputRouter::Connected(const Route& route) const {
  if (route.exchange == plan::ExchangeKind::kForward) return {route.targets[subtask_index_]};
  return route.targets;
}

int32_t OutputRouter::ChannelAt(const Route& route) const {
  return route.exchange == plan::ExchangeKind::kForward ? 0 : subtask_index_;
}

void OutputRouter::Send(SubtaskRunner* target, const Route& route, operators::BatchPtr batch) {
  Message message;
  message.kind = Message::Kind::kBatch;
  message.input = route.target_input;
  message.channel = ChannelAt(route);
  message.batch = std::move(batch);
  target->inbox().Push(std::move(message));
  target->Schedule();
}

void OutputRouter::SendHashed(const Route& route, const operators::BatchPtr& batch) {
  int32_t parallelism = static_cast<int32_t>(route.targets.size());
  std::vector<std::vector<int32_t>> rows(parallelism);
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    int32_t key_group = KeyGroupOf(HashKey(*batch, route.hash_slots, row), max_parallelism_);
    rows[SubtaskOfKeyGroup(key_group, max_parallelism_, parallelism)].push_back(row);
  }
  std::vector<types::LogicalType> types;
  for (size_t i = 0; i < batch->column_count(); ++i) types.push_back(batch->column(i).type());
  for (int32_t target = 0; target < parallelism; ++target) {
    if (rows[target].empty()) continue;
    if (static_cast<int32_t>(rows[target].size()) == batch->row_count()) {
      Send(route.targets[target], route, batch);
      continue;
    }
    auto part = std::make_shared<Batch>(types);
    part->AppendRows(*batch, rows[target].data(), static_cast<int32_t>(rows[target].size()));
    Send(route.targets[target], route, std::move(part));
  }
}

base::Status OutputRouter::EmitBatch(operators::BatchPtr batch) {
  rows_out_.fetch_add(batch->row_count(), std::memory_order_relaxed);
  for (const Route& route : routes_) {
    switch (route.exchange) {
      case plan::ExchangeKind::kForward: Send(route.targets[subtask_index_], route, batch); break;
      case plan::ExchangeKind::kRebalance:
        Send(route.targets[round_robin_++ % route.targets.size()], route, batch);
        break;
      case plan::ExchangeKind::kBroadcast:
        for (SubtaskRunner* target : route.targets) Send(target, route, batch);
        break;
      case plan::ExchangeKind::kHash: SendHashed(route, batch); break;
    }
  }
  return base::Status::Ok();
}

base::Status OutputRouter::EmitWatermark(int64_t watermark) {
  watermark_.store(watermark, std::memory_order_relaxed);
  for (const Route& route : routes_) {
    for (SubtaskRunner* target : Connected(route)) {
      Message message;
      message.kind = Message::Kind::kWatermark;
      message.input = route.target_input;
      message.channel = ChannelAt(route);
      message.watermark = watermark;
      target->inbox().Push(std::move(message));
      target->Schedule();
    }
  }
  return base::Status::Ok();
}

void OutputRouter::EmitEnd() {
  SendControl(Message::Kind::kEnd);
}

void OutputRouter::EmitIdleStatus(bool idle) {
  SendControl(idle ? Message::Kind::kIdle : Message::Kind::kActive);
}

void OutputRouter::EmitBarrier(int64_t checkpoint) {
  SendControl(Message::Kind::kBarrier, checkpoint);
}

void OutputRouter::SendControl(Message::Kind kind, int64_t checkpoint) {
  for (const Route& route : routes_) {
    for (SubtaskRunner* target : Connected(route)) {
      Message message;
      message.kind = kind;
      message.input = route.target_input;
      message.channel = ChannelAt(route);
      message.checkpoint = checkpoint;
      target->inbox().Push(std::move(message));
      target->Schedule();
    }
  }
}

bool OutputRouter::HasRoomOrWait(SubtaskRunner* waiter) {
  for (const Route& route : routes_) {
    for (SubtaskRunner* target : Connected(route)) {
      if (!target->inbox().HasRoomOrWait(waiter)) return false;
    }
  }
  return true;
}

}  // namespace sluice::runtime::scheduler
