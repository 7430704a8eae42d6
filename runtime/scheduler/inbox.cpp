#include "runtime/scheduler/inbox.h"

#include <algorithm>

namespace sluice::runtime::scheduler {

void Inbox::Push(Message message) {
  std::lock_guard<std::mutex> lock(mutex_);
  messages_.push_back(std::move(message));
}

bool Inbox::Pop(Message* out, std::vector<SubtaskRunner*>* wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (messages_.empty()) return false;
  *out = std::move(messages_.front());
  messages_.pop_front();
  if (messages_.size() < capacity_ && !waiters_.empty()) {
    wake->insert(wake->end(), waiters_.begin(), waiters_.end());
    waiters_.clear();
  }
  return true;
}

bool Inbox::HasRoomOrWait(SubtaskRunner* waiter) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (messages_.size() < capacity_) return true;
  if (std::find(waiters_.begin(), waiters_.end(), waiter) == waiters_.end()) {
    waiters_.push_back(waiter);
  }
  return false;
}

size_t Inbox::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.size();
}

bool Inbox::Empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.empty();
}

}  // namespace sluice::runtime::scheduler
