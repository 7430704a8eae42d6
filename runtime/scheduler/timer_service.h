#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace sluice::runtime::scheduler {

/// The processing-time timers of one job: one thread that sleeps on a condition variable until
/// the earliest registered wall-clock time, then runs that timer's wake-up callback. A
/// callback only *schedules* work (SubtaskRunner::WakeForTimers spawns the subtask's own TBB
/// task, which then calls Operator::OnProcessingTime); operator state is never touched from
/// this thread and no TBB worker is held while waiting.
///
/// Stop drops every pending timer and wakes whoever waits; the job calls it when it fails or
/// is cancelled (so no more timers fire) and Shutdown when it ends.
class TimerService {
 public:
  TimerService() = default;
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  /// The wall clock: milliseconds since the epoch, UTC.
  static int64_t NowMillis();

  /// Runs `wake` on the timer thread once NowMillis() >= `time` (starting the thread on first
  /// use). Ignored after Shutdown.
  void Add(int64_t time, std::function<void()> wake);
  /// Drops the pending timers, ignores later ones and wakes the thread and WaitForFiring;
  /// idempotent, callable from any thread (a callback under way still completes).
  void Stop();
  /// Stop, then waits for the thread to exit. Not from a callback.
  void Shutdown();
  /// Timers whose callbacks have returned so far.
  uint64_t fired() const;
  /// Blocks until more than `seen` timers have fired (true) or nothing is pending, or Shutdown
  /// ran (false when nothing fired since `seen`).
  bool WaitForFiring(uint64_t seen);

 private:
  void Loop();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<int64_t, std::function<void()>> pending_;
  uint64_t fired_ = 0;
  bool in_callback_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::runtime::scheduler
