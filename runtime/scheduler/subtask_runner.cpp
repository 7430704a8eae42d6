#include "runtime/scheduler/subtask_runner.h"

#include <algorithm>

#include "runtime/scheduler/job.h"

namespace sluice::runtime::scheduler {

namespace {

// Messages (or source polls) one task handles before yielding to other subtasks.
constexpr int kStepsPerRun = 16;
// Inbox bound in messages per upstream channel.
constexpr size_t kMessagesPerChannel = 8;

size_t CapacityFor(const std::vector<SubtaskRunner::InputShape>& inputs) {
  size_t channels = 0;
  for (const auto& input : inputs) channels += input.channels;
  return std::max<size_t>(channels, 1) * kMessagesPerChannel;
}

}  // namespace

SubtaskRunner::SubtaskRunner(Job* job, int32_t subtask_index, int32_t max_parallelism,
                             std::vector<InputShape> inputs)
    : job_(job),
      subtask_index_(subtask_index),
      router_(subtask_index, max_parallelism),
      inbox_(CapacityFor(inputs)) {
  for (const InputShape& input : inputs) {
    channel_watermarks_.emplace_back(input.channels, operators::kMinWatermark);
    channel_ended_.emplace_back(input.channels, false);
    open_channels_ += input.channels;
  }
}

void SubtaskRunner::AddOperator(std::unique_ptr<operators::Operator> op) {
  operators_.push_back(std::move(op));
}

void SubtaskRunner::Wire() {
  // Link i - 1 feeds operator i; built back to front so each knows where its operator emits.
  links_.clear();
  links_.resize(operators_.empty() ? 0 : operators_.size() - 1);
  for (size_t i = operators_.size(); i-- > 1;) {
    links_[i - 1] = std::make_unique<Link>(operators_[i].get(), OutputOf(i));
  }
  if (source_ != nullptr && !operators_.empty()) {
    source_link_ = std::make_unique<Link>(operators_.front().get(), OutputOf(0));
  }
}

operators::Output* SubtaskRunner::OutputOf(size_t operator_index) {
  if (operator_index < links_.size()) return links_[operator_index].get();
  return &router_;
}

void SubtaskRunner::Schedule() {
  if (!scheduled_.exchange(true)) job_->Spawn(this);
}

bool SubtaskRunner::HasWork() {
  if (finished_.load()) return false;
  return source_ != nullptr || !inbox_.Empty();
}

void SubtaskRunner::Run() {
  bool made_progress = true;
  for (int step = 0; step < kStepsPerRun && made_progress && !finished_.load(); ++step) {
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
  // downstream inbox is full, HasRoomOrWait registers us to be scheduled once it drains.
  if (HasWork() && router_.HasRoomOrWait(this)) Schedule();
}

base::Status SubtaskRunner::Step(bool* made_progress) {
  *made_progress = false;
  if (!router_.HasRoomOrWait(this)) return base::Status::Ok();
  if (source_ != nullptr) {
    // With a source, operator 0 (if any) takes its batches; otherwise the router does.
    operators::Output* output =
        source_link_ ? static_cast<operators::Output*>(source_link_.get()) : &router_;
    SLUICE_ASSIGN_OR_RETURN(bool more, source_->Poll(output));
    *made_progress = true;
    if (!more) SLUICE_RETURN_IF_ERROR(FinishChain());
    return base::Status::Ok();
  }
  Message message;
  std::vector<SubtaskRunner*> wake;
  if (!inbox_.Pop(&message, &wake)) return base::Status::Ok();
  for (SubtaskRunner* runner : wake) runner->Schedule();
  *made_progress = true;
  return Handle(std::move(message));
}

base::Status SubtaskRunner::Handle(Message message) {
  operators::Output* output = OutputOf(0);
  switch (message.kind) {
    case Message::Kind::kBatch:
      return operators_.front()->ProcessBatch(message.input, std::move(message.batch), output);
    case Message::Kind::kWatermark:
      channel_watermarks_[message.input][message.channel] =
          std::max(channel_watermarks_[message.input][message.channel], message.watermark);
      break;
    case Message::Kind::kEnd:
      if (!channel_ended_[message.input][message.channel]) {
        channel_ended_[message.input][message.channel] = true;
        --open_channels_;
      }
      break;
  }
  // The combined watermark is the minimum over the channels that are still open; an ended
  // channel no longer holds time back.
  int64_t combined = operators::kMaxWatermark;
  bool any_open = false;
  for (size_t input = 0; input < channel_watermarks_.size(); ++input) {
    for (size_t channel = 0; channel < channel_watermarks_[input].size(); ++channel) {
      if (channel_ended_[input][channel]) continue;
      any_open = true;
      combined = std::min(combined, channel_watermarks_[input][channel]);
    }
  }
  if (any_open && combined > combined_watermark_) {
    combined_watermark_ = combined;
    SLUICE_RETURN_IF_ERROR(operators_.front()->ProcessWatermark(combined, output));
  }
  if (open_channels_ == 0) return FinishChain();
  return base::Status::Ok();
}

base::Status SubtaskRunner::FinishChain() {
  for (size_t i = 0; i < operators_.size(); ++i) {
    SLUICE_RETURN_IF_ERROR(operators_[i]->Finish(OutputOf(i)));
  }
  router_.EmitEnd();
  finished_.store(true);
  job_->SubtaskFinished();
  return base::Status::Ok();
}

}  // namespace sluice::runtime::scheduler
