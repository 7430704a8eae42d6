#include "runtime/scheduler/subtask_runner.h"

#include <algorithm>
#include <utility>

#include "runtime/scheduler/job.h"
#include "runtime/scheduler/timer_service.h"

namespace sluice::runtime::scheduler {

namespace {

// Messages (or source polls) one task handles before yielding to other subtasks.
constexpr int kStepsPerRun = 16;
// Inbox bound in messages per upstream channel.
constexpr size_t kMessagesPerChannel = 8;
// How long a source that polled nothing waits before it is polled again.
constexpr int64_t kEmptyPollRetryMillis = 10;

size_t CapacityFor(const std::vector<SubtaskRunner::InputShape>& inputs) {
  size_t channels = 0;
  for (const auto& input : inputs) channels += input.channels;
  return std::max<size_t>(channels, 1) * kMessagesPerChannel;
}

}  // namespace

SubtaskRunner::SubtaskRunner(Job* job, int32_t runner_index, int32_t subtask_index,
                             int32_t max_parallelism, std::vector<InputShape> inputs)
    : job_(job),
      runner_index_(runner_index),
      subtask_index_(subtask_index),
      router_(subtask_index, max_parallelism),
      inbox_(CapacityFor(inputs)) {
  for (const InputShape& input : inputs) {
    channel_watermarks_.emplace_back(input.channels, operators::kMinWatermark);
    channel_ended_.emplace_back(input.channels, false);
    channel_idle_.emplace_back(input.channels, false);
    channel_blocked_.emplace_back(input.channels, false);
    open_channels_ += input.channels;
  }
}

void SubtaskRunner::AddOperator(std::unique_ptr<operators::Operator> op, const std::string& uid,
                                operators::OperatorMetrics* metrics) {
  operators_.push_back(std::move(op));
  operator_uids_.push_back(uid);
  operator_metrics_.push_back(metrics);
}

operators::ProcessingTimeService* SubtaskRunner::NextOperatorTimers() {
  operator_timers_.resize(std::max(operator_timers_.size(), operators_.size() + 1));
  auto& timers = operator_timers_[operators_.size()];
  if (!timers) timers = std::make_unique<OperatorTimers>(this);
  return timers.get();
}

int64_t SubtaskRunner::OperatorTimers::CurrentTimeMillis() const {
  return TimerService::NowMillis();
}

void SubtaskRunner::OperatorTimers::RegisterTimer(int64_t time) {
  if (times.insert(time).second) runner_->AddTimer(time);
}

void SubtaskRunner::AddTimer(int64_t time) {
  job_->timers().Add(time, [this] { WakeForTimers(); });
}

void SubtaskRunner::WakeForTimers() {
  timers_due_.store(true);
  job_->ScheduleFromTimer(this);
}

base::Status SubtaskRunner::FireTimers() {
  poll_paused_ = false;
  int64_t now = TimerService::NowMillis();
  for (size_t i = 0; i < operator_timers_.size() && i < operators_.size(); ++i) {
    if (!operator_timers_[i]) continue;
    std::set<int64_t>& times = operator_timers_[i]->times;
    if (times.empty() || *times.begin() > now) continue;
    times.erase(times.begin(), times.upper_bound(now));
    SLUICE_RETURN_IF_ERROR(operators_[i]->OnProcessingTime(now, OutputOf(i)));
  }
  return base::Status::Ok();
}

void SubtaskRunner::Wire() {
  // Link i - 1 feeds operator i; built back to front so each knows where its operator emits.
  links_.clear();
  links_.resize(operators_.empty() ? 0 : operators_.size() - 1);
  tail_output_ = operators_.empty()
                     ? nullptr
                     : std::make_unique<TailOutput>(&router_, operator_metrics_.back());
  for (size_t i = operators_.size(); i-- > 1;) {
    links_[i - 1] = std::make_unique<Link>(operators_[i].get(), OutputOf(i),
                                           operator_metrics_[i - 1], operator_metrics_[i]);
  }
  if (source_ != nullptr && !operators_.empty()) {
    source_link_ = std::make_unique<Link>(operators_.front().get(), OutputOf(0), nullptr,
                                          operator_metrics_.front());
  }
  if (source_ != nullptr) {
    source_output_ = std::make_unique<SourceOutput>(
        source_link_ ? static_cast<operators::Output*>(source_link_.get()) : &router_, &rows_in_,
        source_metrics_);
  }
}

operators::Output* SubtaskRunner::OutputOf(size_t operator_index) {
  if (operator_index < links_.size()) return links_[operator_index].get();
  if (tail_output_ && operator_index + 1 == operators_.size()) return tail_output_.get();
  return &router_;
}

SubtaskMetrics SubtaskRunner::Metrics() {
  SubtaskMetrics metrics;
  metrics.subtask = subtask_index_;
  metrics.rows_in = rows_in_.load(std::memory_order_relaxed);
  metrics.rows_out = router_.rows_out();
  metrics.watermark = router_.watermark();
  metrics.inbox_size = static_cast<int64_t>(inbox_.Size());
  metrics.inbox_capacity = static_cast<int64_t>(inbox_.capacity());
  metrics.backpressured_millis = backpressured_millis_.load(std::memory_order_relaxed);
  if (int64_t since = backpressure_since_.load(std::memory_order_relaxed); since != 0) {
    metrics.backpressured_millis += std::max<int64_t>(0, TimerService::NowMillis() - since);
  }
  metrics.finished = finished_.load();
  return metrics;
}

void SubtaskRunner::Schedule() {
  if (!scheduled_.exchange(true)) job_->Spawn(this);
}

bool SubtaskRunner::HasWork() {
  if (finished_.load()) return false;
  if (stopped_.load()) return notification_request_.load() != 0;
  if (timers_due_.load() || barrier_request_.load() != 0 || notification_request_.load() != 0) {
    return true;
  }
  if (!held_.empty() && aligning_ == 0) return true;
  return (source_ != nullptr && !poll_paused_) || !inbox_.Empty();
}

void SubtaskRunner::Run() {
  if (!job_->failed()) {
    base::Status status = HandleCheckpointRequests();
    if (!status.ok()) job_->Fail(status);
  }
  // A stopped subtask keeps its due timers for a resume after a failed stop.
  if (!stopped_.load() && timers_due_.exchange(false) && !finished_.load() && !job_->failed()) {
    base::Status status = FireTimers();
    if (!status.ok()) job_->Fail(status);
  }
  bool made_progress = true;
  for (int step = 0; step < kStepsPerRun && made_progress && !finished_.load() && !stopped_.load();
       ++step) {
    if (job_->failed()) break;
    base::Status status = Step(&made_progress);
    // A state write that failed (a full disk) must not go unnoticed.
    if (status.ok() && state_backend_ != nullptr) status = state_backend_->status();
    if (!status.ok()) {
      job_->Fail(status);
      break;
    }
  }
  scheduled_.store(false);
  if (job_->failed() || finished_.load()) return;
  // Re-check after clearing the flag so a push that raced with this run is not lost; when a
  // downstream inbox is full, HasRoomOrWait registers us to be scheduled once it drains. A
  // requested barrier or notification needs no room (control messages ignore the bound).
  bool control = barrier_request_.load() != 0 || notification_request_.load() != 0;
  if (HasWork() && (control || router_.HasRoomOrWait(this))) Schedule();
}

base::Status SubtaskRunner::Step(bool* made_progress) {
  *made_progress = false;
  if (!router_.HasRoomOrWait(this)) {
    if (backpressure_since_.load(std::memory_order_relaxed) == 0) {
      backpressure_since_.store(TimerService::NowMillis(), std::memory_order_relaxed);
    }
    return base::Status::Ok();
  }
  if (int64_t since = backpressure_since_.exchange(0, std::memory_order_relaxed); since != 0) {
    backpressured_millis_.fetch_add(TimerService::NowMillis() - since, std::memory_order_relaxed);
  }
  if (source_ != nullptr) return poll_paused_ ? base::Status::Ok() : PollSource(made_progress);
  if (open_channels_ == 0) {
    // Every input ended while a stop-with-savepoint held this subtask, and the stop failed.
    *made_progress = true;
    SLUICE_RETURN_IF_ERROR(CombineWatermarks());
    return FinishChain();
  }
  Message message;
  if (!NextMessage(&message)) return base::Status::Ok();
  *made_progress = true;
  if (aligning_ != 0 && channel_blocked_[message.input][message.channel]) {
    held_.push_back(std::move(message));  // after this channel's barrier: wait for the others
    return base::Status::Ok();
  }
  return Handle(std::move(message));
}

bool SubtaskRunner::NextMessage(Message* message) {
  // Held messages came before anything now in the inbox; they go first once aligned.
  if (!held_.empty() && aligning_ == 0) {
    *message = std::move(held_.front());
    held_.pop_front();
    return true;
  }
  std::vector<SubtaskRunner*> wake;
  if (!inbox_.Pop(message, &wake)) return false;
  for (SubtaskRunner* runner : wake) runner->Schedule();
  return true;
}

base::Status SubtaskRunner::FollowShadowHolds() {
  if (shadow_->version() != shadow_version_) {
    operators::ShadowControl::Holds holds = shadow_->HoldsOf(source_uid_);
    shadow_version_ = holds.version;
    shadow_released_ = holds.released;
    if (holds.released) {
      source_->ReleaseHold();
    } else {
      SLUICE_RETURN_IF_ERROR(source_->HoldAt(holds.positions));
    }
  }
  if (!shadow_released_) {
    shadow_->ReportHeld(source_uid_, subtask_index_, shadow_version_, source_->AtHold());
  }
  return base::Status::Ok();
}

base::Status SubtaskRunner::PollSource(bool* made_progress) {
  if (shadow_ != nullptr) SLUICE_RETURN_IF_ERROR(FollowShadowHolds());
  // With a source, operator 0 (if any) takes its batches; otherwise the router does.
  source_output_->emitted_records = false;
  SLUICE_ASSIGN_OR_RETURN(bool more, source_->Poll(source_output_.get()));
  if (!more) {
    *made_progress = true;
    if (shadow_ != nullptr) shadow_->ReportFinished(source_uid_, subtask_index_);
    return FinishChain();
  }
  int64_t now = TimerService::NowMillis();
  if (last_record_time_ == 0) last_record_time_ = now;
  if (source_output_->emitted_records) {
    *made_progress = true;
    last_record_time_ = now;
    if (idle_) {
      idle_ = false;
      router_.EmitIdleStatus(false);
    }
    return base::Status::Ok();
  }
  // Nothing to read right now: poll again after a short timer rather than spinning.
  if (shadow_ != nullptr && !shadow_released_) last_record_time_ = now;  // held: not idle
  if (!idle_ && (source_->ReadsNothing() ||
                 (idle_timeout_ > 0 && now - last_record_time_ >= idle_timeout_))) {
    idle_ = true;
    router_.EmitIdleStatus(true);
  }
  poll_paused_ = true;
  AddTimer(now + kEmptyPollRetryMillis);
  return base::Status::Ok();
}

base::Status SubtaskRunner::Handle(Message message) {
  operators::Output* output = OutputOf(0);
  switch (message.kind) {
    case Message::Kind::kBatch:
      rows_in_.fetch_add(message.batch->row_count(), std::memory_order_relaxed);
      Link::Count(nullptr, operator_metrics_.front(), message.batch->row_count());
      {
        expr::WatermarkScope scope(combined_watermark_);
        return operators_.front()->ProcessBatch(message.input, std::move(message.batch), output);
      }
    case Message::Kind::kWatermark:
      channel_watermarks_[message.input][message.channel] =
          std::max(channel_watermarks_[message.input][message.channel], message.watermark);
      break;
    case Message::Kind::kEnd:
      if (!channel_ended_[message.input][message.channel]) {
        channel_ended_[message.input][message.channel] = true;
        --open_channels_;
        // An ended channel sends no barrier: it is aligned.
        if (aligning_ != 0) SLUICE_RETURN_IF_ERROR(ChannelAligned(message.input, message.channel));
        // Stopped at that barrier: what the end causes (a watermark, Finish) comes after the
        // savepoint, and a restore, whose finished source ends the channel again, repeats it.
        if (stopped_.load()) return base::Status::Ok();
      }
      break;
    case Message::Kind::kBarrier: return HandleBarrier(message);
    case Message::Kind::kIdle:
    case Message::Kind::kActive:
      channel_idle_[message.input][message.channel] = message.kind == Message::Kind::kIdle;
      break;
  }
  SLUICE_RETURN_IF_ERROR(CombineWatermarks());
  if (open_channels_ == 0) return FinishChain();
  return base::Status::Ok();
}

base::Status SubtaskRunner::CombineWatermarks() {
  // The combined watermark is the minimum over the channels that are open and active; an
  // ended or idle channel no longer holds time back. It never goes back: records of a channel
  // that turns active again behind it are late.
  int64_t combined = operators::kMaxWatermark;
  bool any_active = false;
  bool any_open = false;
  for (size_t input = 0; input < channel_watermarks_.size(); ++input) {
    for (size_t channel = 0; channel < channel_watermarks_[input].size(); ++channel) {
      if (channel_ended_[input][channel]) continue;
      any_open = true;
      if (channel_idle_[input][channel]) continue;
      any_active = true;
      combined = std::min(combined, channel_watermarks_[input][channel]);
    }
  }
  if (any_active && combined > combined_watermark_) {
    combined_watermark_ = combined;
    expr::WatermarkScope scope(combined);
    SLUICE_RETURN_IF_ERROR(operators_.front()->ProcessWatermark(combined, OutputOf(0)));
  }
  bool idle = any_open && !any_active;
  if (idle != idle_) {
    idle_ = idle;
    router_.EmitIdleStatus(idle);
  }
  return base::Status::Ok();
}

base::Status SubtaskRunner::FinishChain() {
  for (size_t i = 0; i < operators_.size(); ++i) {
    SLUICE_RETURN_IF_ERROR(operators_[i]->Finish(OutputOf(i)));
  }
  router_.EmitEnd();
  finished_.store(true);
  // A checkpoint in flight that this subtask has not acknowledged: its inputs ended before
  // their barriers, so its final state belongs to it (the coordinator checks `finished` after
  // publishing the checkpoint; ClaimAck makes sure only one of the two acknowledges).
  int64_t in_flight = job_->CheckpointInFlight();
  if (in_flight != 0) Acknowledge(in_flight);
  job_->SubtaskFinished();
  return base::Status::Ok();
}

void SubtaskRunner::RequestBarrier(int64_t checkpoint) {
  barrier_request_.store(checkpoint);
  job_->WakeSoon(this);
}

bool SubtaskRunner::ClaimAck(int64_t checkpoint) {
  std::lock_guard<std::mutex> lock(checkpoint_mutex_);
  if (acked_ >= checkpoint) return false;
  acked_ = checkpoint;
  return true;
}

SubtaskSnapshot SubtaskRunner::TakeSnapshot(int64_t checkpoint) {
  std::lock_guard<std::mutex> lock(checkpoint_mutex_);
  SubtaskSnapshot snapshot;
  snapshot.runner = runner_index_;
  snapshot.subtask = subtask_index_;
  snapshot.alignment_millis = std::exchange(alignment_millis_, 0);
  // Asked while this checkpoint is still in flight (the coordinator waits for this ack).
  const operators::Barrier barrier{checkpoint, job_->BarrierKindOf(checkpoint)};
  if (barrier.kind == operators::BarrierKind::kStopWithSavepoint && !finished_.load()) {
    stopped_.store(true);  // the caller still forwards the barrier; nothing after it runs
  }
  for (size_t i = 0; i < operators_.size() && snapshot.status.ok(); ++i) {
    auto transaction = operators_[i]->PrepareSnapshot(barrier);
    if (!transaction.ok()) {
      snapshot.status = transaction.status();
    } else if (!transaction->empty()) {
      snapshot.transactions.emplace_back(operator_uids_[i], std::move(transaction).value());
    }
  }
  if (source_ != nullptr) {
    for (std::string& position : source_->SnapshotPositions(checkpoint)) {
      snapshot.source_positions.emplace_back(source_uid_, std::move(position));
    }
  }
  if (stateful_ && snapshot.status.ok()) {
    auto captured = state_backend_->Capture(job_->CaptureDirectory(runner_index_, checkpoint));
    if (captured.ok()) {
      snapshot.state = std::move(captured).value();
    } else {
      snapshot.status = captured.status();
    }
  }
  return snapshot;
}

void SubtaskRunner::Acknowledge(int64_t checkpoint) {
  if (!ClaimAck(checkpoint)) return;
  job_->AcknowledgeCheckpoint(checkpoint, TakeSnapshot(checkpoint));
}

void SubtaskRunner::NotifyCheckpointComplete(int64_t checkpoint) {
  if (finished_.load()) {
    // No task runs the operators any more: deliver here (under the checkpoint mutex).
    notification_request_.store(checkpoint);
    base::Status status = DeliverNotifications();
    if (!status.ok()) job_->Fail(status);
    return;
  }
  notification_request_.store(checkpoint);
  job_->WakeSoon(this);
}

base::Status SubtaskRunner::DeliverNotifications() {
  std::lock_guard<std::mutex> lock(checkpoint_mutex_);
  int64_t checkpoint = notification_request_.exchange(0);
  if (checkpoint <= notified_) return base::Status::Ok();
  notified_ = checkpoint;
  if (source_ != nullptr) SLUICE_RETURN_IF_ERROR(source_->NotifyCheckpointComplete(checkpoint));
  for (auto& op : operators_) SLUICE_RETURN_IF_ERROR(op->NotifyCheckpointComplete(checkpoint));
  job_->NotificationDelivered(checkpoint);
  return base::Status::Ok();
}

void SubtaskRunner::ResumeAfterFailedStop() {
  if (!stopped_.exchange(false)) return;
  job_->WakeSoon(this);
}

base::Status SubtaskRunner::HandleCheckpointRequests() {
  if (notification_request_.load() != 0) SLUICE_RETURN_IF_ERROR(DeliverNotifications());
  int64_t barrier = barrier_request_.exchange(0);
  if (barrier == 0 || finished_.load()) return base::Status::Ok();
  // A source: everything it emitted so far is before the barrier.
  Acknowledge(barrier);
  router_.EmitBarrier(barrier);
  return base::Status::Ok();
}

base::Status SubtaskRunner::HandleBarrier(const Message& message) {
  if (aligning_ == 0) {
    aligning_ = message.checkpoint;
    unaligned_channels_ = open_channels_;
    alignment_started_ = TimerService::NowMillis();
  } else if (message.checkpoint != aligning_) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "the barrier of checkpoint " + std::to_string(message.checkpoint) +
                                   " arrived while aligning checkpoint " +
                                   std::to_string(aligning_));
  }
  channel_blocked_[message.input][message.channel] = true;
  return ChannelAligned(message.input, message.channel);
}

base::Status SubtaskRunner::ChannelAligned(int32_t input, int32_t channel) {
  if (--unaligned_channels_ > 0) return base::Status::Ok();
  int64_t checkpoint = aligning_;
  aligning_ = 0;
  for (auto& blocked : channel_blocked_) std::fill(blocked.begin(), blocked.end(), false);
  alignment_millis_ = TimerService::NowMillis() - alignment_started_;
  Acknowledge(checkpoint);
  router_.EmitBarrier(checkpoint);
  return base::Status::Ok();
}

}  // namespace sluice::runtime::scheduler
