#include "runtime/scheduler/timer_service.h"

#include <chrono>

namespace sluice::runtime::scheduler {

TimerService::~TimerService() {
  Shutdown();
}

int64_t TimerService::NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void TimerService::Add(int64_t time, std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  bool earliest = pending_.empty() || time < pending_.begin()->first;
  pending_.emplace(time, std::move(wake));
  if (earliest) changed_.notify_all();
}

void TimerService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  changed_.notify_all();
}

void TimerService::Shutdown() {
  Stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

uint64_t TimerService::fired() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fired_;
}

bool TimerService::WaitForFiring(uint64_t seen) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock,
                [&] { return fired_ > seen || (pending_.empty() && !in_callback_) || stopping_; });
  return fired_ > seen;
}

void TimerService::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (pending_.empty()) {
      changed_.wait(lock);
      continue;
    }
    int64_t due = pending_.begin()->first;
    int64_t now = NowMillis();
    if (now < due) {
      // Re-checked on wake-up: an earlier timer may have been added, or the clock may wake us
      // a little early.
      changed_.wait_until(lock,
                          std::chrono::system_clock::time_point(std::chrono::milliseconds(due)));
      continue;
    }
    auto wake = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    // The callback schedules a task; run it unlocked so it may add timers.
    in_callback_ = true;
    lock.unlock();
    wake();
    lock.lock();
    in_callback_ = false;
    ++fired_;
    changed_.notify_all();
  }
}

}  // namespace sluice::runtime::scheduler
