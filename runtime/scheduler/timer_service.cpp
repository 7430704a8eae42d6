#include "runtime/scheduler/timer_service.h"

#include <chrono>

namespace sluice::runtime::scheduler {

TimerThread::~TimerThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t TimerThread::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

void TimerThread::Add(int64_t time, TimerService* owner, std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  bool earliest = pending_.empty() || time < pending_.begin()->first;
  pending_.emplace(time, std::make_pair(owner, std::move(wake)));
  if (earliest) changed_.notify_all();
}

size_t TimerThread::Remove(TimerService* owner, bool wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  size_t removed = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.first == owner) {
      it = pending_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  if (wait && thread_.get_id() != std::this_thread::get_id()) {
    changed_.wait(lock, [&] { return in_callback_ != owner; });
  }
  return removed;
}

void TimerThread::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (pending_.empty()) {
      changed_.wait(lock);
      continue;
    }
    int64_t due = pending_.begin()->first;
    int64_t now = TimerService::NowMillis();
    if (now < due) {
      // Re-checked on wake-up: an earlier timer may have been added, or the clock may wake us
      // a little early.
      changed_.wait_until(lock,
                          std::chrono::system_clock::time_point(std::chrono::milliseconds(due)));
      continue;
    }
    TimerService* owner = pending_.begin()->second.first;
    auto wake = std::move(pending_.begin()->second.second);
    pending_.erase(pending_.begin());
    // The callback schedules a task; run it unlocked so it may add timers. Its owner cannot
    // go away meanwhile: TimerService::Shutdown waits for in_callback_ to change.
    in_callback_ = owner;
    lock.unlock();
    owner->Fire(wake);
    lock.lock();
    in_callback_ = nullptr;
    changed_.notify_all();
  }
}

TimerService::TimerService(TimerThread* shared) : thread_(shared) {
  if (thread_ == nullptr) {
    own_thread_ = std::make_unique<TimerThread>();
    thread_ = own_thread_.get();
  }
}

TimerService::~TimerService() {
  Shutdown();
}

int64_t TimerService::NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void TimerService::Add(int64_t time, std::function<void()> wake) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    ++pending_;
  }
  thread_->Add(time, this, std::move(wake));
}

void TimerService::Stop() {
  size_t removed = thread_->Remove(this, /*wait=*/false);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_ -= std::min<uint64_t>(pending_, removed);
  }
  changed_.notify_all();
}

void TimerService::Shutdown() {
  Stop();
  // A timer added between Stop's removal and `stopping_` is dropped here.
  size_t removed = thread_->Remove(this, /*wait=*/true);
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ -= std::min<uint64_t>(pending_, removed);
}

void TimerService::Fire(std::function<void()>& wake) {
  wake();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_ > 0) --pending_;
    ++fired_;
  }
  changed_.notify_all();
}

uint64_t TimerService::fired() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fired_;
}

bool TimerService::WaitForFiring(uint64_t seen) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return fired_ > seen || pending_ == 0 || stopping_; });
  return fired_ > seen;
}

}  // namespace sluice::runtime::scheduler
