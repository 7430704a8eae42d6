#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace sluice::runtime::scheduler {

class TimerService;

/// One thread that runs the processing-time timers of every job of a process (shared through
/// EngineServices; a job without one makes its own). It sleeps on a condition variable until
/// the earliest registered wall-clock time, then runs that timer's wake-up callback. A
/// callback only *schedules* work (SubtaskRunner::WakeForTimers spawns the subtask's own TBB
/// task, which then calls Operator::OnProcessingTime); operator state is never touched from
/// this thread and no TBB worker is held while waiting.
class TimerThread {
 public:
  TimerThread() = default;
  ~TimerThread();
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  /// Timers registered now and not yet fired, over every owner (for tests and metrics).
  size_t pending() const;

 private:
  friend class TimerService;
  /// Runs `wake` for `owner` once NowMillis() >= `time` (starting the thread on first use).
  void Add(int64_t time, TimerService* owner, std::function<void()> wake);
  /// Drops the pending timers of `owner` and returns how many; with `wait`, also waits until
  /// a callback of `owner` under way has returned (never from that callback).
  size_t Remove(TimerService* owner, bool wait);
  void Loop();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<int64_t, std::pair<TimerService*, std::function<void()>>> pending_;
  TimerService* in_callback_ = nullptr;  // whose callback runs now
  bool stopping_ = false;
  std::thread thread_;
};

/// The processing-time timers of one job, run by a TimerThread: its own, or one shared by the
/// jobs of the process.
///
/// Stop drops every pending timer and wakes whoever waits; the job calls it when it fails or
/// is cancelled (so no more timers fire) and Shutdown when it ends.
class TimerService {
 public:
  /// Timers run on `shared` (which must outlive this service), or on a thread of its own when
  /// null.
  explicit TimerService(TimerThread* shared = nullptr);
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  /// The wall clock: milliseconds since the epoch, UTC.
  static int64_t NowMillis();

  /// Runs `wake` on the timer thread once NowMillis() >= `time`. Ignored after Stop.
  void Add(int64_t time, std::function<void()> wake);
  /// Drops the pending timers, ignores later ones and wakes WaitForFiring; idempotent,
  /// callable from any thread (a callback under way still completes).
  void Stop();
  /// Stop, then waits for a callback under way to return. Not from a callback.
  void Shutdown();
  /// Timers whose callbacks have returned so far.
  uint64_t fired() const;
  /// Blocks until more than `seen` timers have fired (true) or nothing is pending, or Stop
  /// ran (false when nothing fired since `seen`).
  bool WaitForFiring(uint64_t seen);

 private:
  friend class TimerThread;
  /// Called by the thread: runs `wake`, then counts it as fired.
  void Fire(std::function<void()>& wake);

  std::unique_ptr<TimerThread> own_thread_;  // when not shared
  TimerThread* thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t pending_ = 0;  // added, neither fired nor dropped (a callback under way counts)
  uint64_t fired_ = 0;
  bool stopping_ = false;
};

}  // namespace sluice::runtime::scheduler
