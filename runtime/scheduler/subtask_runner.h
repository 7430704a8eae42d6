#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/expr/current_watermark.h"
#include "runtime/operators/operator.h"
#include "runtime/scheduler/checkpoint_coordinator.h"
#include "runtime/scheduler/inbox.h"
#include "runtime/scheduler/output_router.h"

namespace sluice::runtime::scheduler {

class Job;

/// One subtask of a vertex (a chain of forward-connected operators) scheduled as TBB tasks:
/// each run drains a bounded number of messages (or polls its source), then yields. It is
/// scheduled again when input arrives or when a full downstream inbox drains; it never waits.
///
/// Processing-time timers: each operator gets a ProcessingTimeService (NextOperatorTimers)
/// whose registrations go to the job's TimerService; when one is due, the timer thread only
/// sets `timers_due_` and schedules this subtask, whose next run calls OnProcessingTime.
/// A source that polls nothing is polled again after a short timer instead of spinning, and
/// after `idle_timeout` ms without a record it tells downstream it is idle (kIdle) until its
/// next record (kActive). Idle and ended input channels do not hold the watermark back; when
/// every open input channel is idle, this subtask reports itself idle downstream too.
///
/// Checkpoints: a source subtask asked for a barrier (RequestBarrier) emits it at the start of
/// its next run, after taking its snapshot. Any other subtask aligns: once the barrier came on
/// a channel, that channel's later messages are held back until every open channel has sent
/// it (an ended channel counts as aligned); then it takes its snapshot, forwards the barrier
/// and replays what it held, in order. A subtask that finishes while a checkpoint is in flight
/// acknowledges it with its final state (its inputs ended before their barriers). At a
/// stop-with-savepoint barrier a subtask stops after forwarding it: sources poll no more and
/// nothing after the barrier is processed, so the savepoint is the job's last word.
class SubtaskRunner {
 public:
  struct InputShape {
    int32_t channels = 1;  // upstream subtasks feeding this input
  };

  SubtaskRunner(Job* job, int32_t runner_index, int32_t subtask_index, int32_t max_parallelism,
                std::vector<InputShape> inputs);

  /// `metrics` (the source node's, shared by its subtasks) counts the rows it emits.
  void SetSource(std::unique_ptr<operators::SourceOperator> source, const std::string& uid,
                 operators::OperatorMetrics* metrics = nullptr) {
    source_ = std::move(source);
    source_uid_ = uid;
    source_metrics_ = metrics;
  }
  /// The keyed state of this subtask's operators: its sticky I/O status fails the job, and
  /// checkpoints capture it when `stateful`.
  void SetStateBackend(state::StateBackend* backend, bool stateful) {
    state_backend_ = backend;
    stateful_ = stateful;
  }
  /// Appends an operator to the chain; `metrics` (its node's) counts the rows it receives and
  /// emits (sources count what they read, sinks what they write, themselves).
  void AddOperator(std::unique_ptr<operators::Operator> op, const std::string& uid,
                   operators::OperatorMetrics* metrics = nullptr);
  /// The processing-time service of the operator that AddOperator will add next.
  operators::ProcessingTimeService* NextOperatorTimers();
  /// Milliseconds without a record after which this source subtask declares itself idle.
  void SetIdleTimeout(int64_t millis) { idle_timeout_ = millis; }
  /// The job runs in shadow (operators::ShadowControl): the source follows its holds, and a
  /// source held back is never idle (time waits for it, as it did in the running version).
  void SetShadow(operators::ShadowControl* shadow) { shadow_ = shadow; }
  OutputRouter& router() { return router_; }
  Inbox& inbox() { return inbox_; }
  /// Links the chain's operators to each other and to the router; call once before running.
  void Wire();

  /// Makes sure a task will run this subtask (no-op when one is already pending).
  void Schedule();
  /// The body of one task.
  void Run();
  bool finished() const { return finished_.load(); }
  bool is_source() const { return source_ != nullptr; }
  /// The source's UID and its splits' positions (SourceOperator::Positions); none when this
  /// runner holds no source. Only once Run has returned (nothing reads the source then).
  std::pair<std::string, std::vector<std::string>> SourcePositions() const {
    if (source_ == nullptr) return {};
    return {source_uid_, source_->Positions()};
  }
  /// This subtask's counters so far; any thread.
  SubtaskMetrics Metrics();
  /// Called on the timer thread when a registered time is due: schedules a run that fires it.
  void WakeForTimers();

  // Checkpoints (see the class comment).
  /// Asks this source subtask to snapshot and emit the barrier of `checkpoint` at its next run.
  void RequestBarrier(int64_t checkpoint);
  /// Claims the acknowledgement of `checkpoint`: true for the first caller only (the subtask
  /// at its barrier or when it finishes, or the coordinator for a finished subtask).
  bool ClaimAck(int64_t checkpoint);
  /// This subtask's part of checkpoint `checkpoint`: the sinks pre-commit, the source tells its
  /// position, the keyed state is captured. On the subtask's own task, or once it finished.
  SubtaskSnapshot TakeSnapshot(int64_t checkpoint);
  /// Tells the operators that checkpoint `checkpoint` is complete: at the next run, or at
  /// once when the subtask has finished.
  void NotifyCheckpointComplete(int64_t checkpoint);
  /// Whether this subtask passed a stop-with-savepoint barrier: it then handles nothing but
  /// completion notifications (a source polls no more, timers do not fire).
  bool stopped() const { return stopped_.load(); }
  /// The stop-with-savepoint failed: processes again what it held back.
  void ResumeAfterFailedStop();

 private:
  /// Forwards the emissions of operator i to operator i + 1.
  /// Forwards the emissions of operator i to operator i + 1, counting them as rows out of
  /// i and rows in of i + 1 (either counter may be absent).
  class Link : public operators::Output {
   public:
    Link(operators::Operator* next, operators::Output* next_output,
         operators::OperatorMetrics* from, operators::OperatorMetrics* to)
        : next_(next), next_output_(next_output), from_(from), to_(to) {}
    base::Status EmitBatch(operators::BatchPtr batch) override {
      Count(from_, to_, batch->row_count());
      expr::WatermarkScope scope(watermark_);
      return next_->ProcessBatch(0, std::move(batch), next_output_);
    }
    base::Status EmitWatermark(int64_t watermark) override {
      watermark_ = watermark;
      expr::WatermarkScope scope(watermark);
      return next_->ProcessWatermark(watermark, next_output_);
    }

    static void Count(operators::OperatorMetrics* from, operators::OperatorMetrics* to,
                      int64_t rows) {
      if (from != nullptr) from->rows_out.fetch_add(rows, std::memory_order_relaxed);
      if (to != nullptr) to->rows_in.fetch_add(rows, std::memory_order_relaxed);
    }

   private:
    operators::Operator* next_;
    operators::Output* next_output_;
    operators::OperatorMetrics* from_;
    operators::OperatorMetrics* to_;
    /// The last watermark forwarded to `next_` (its CURRENT_WATERMARK).
    int64_t watermark_ = operators::kMinWatermark;
  };

  /// The last operator's emissions on their way to the router, counted as its rows out.
  class TailOutput : public operators::Output {
   public:
    TailOutput(operators::Output* router, operators::OperatorMetrics* metrics)
        : router_(router), metrics_(metrics) {}
    base::Status EmitBatch(operators::BatchPtr batch) override {
      Link::Count(metrics_, nullptr, batch->row_count());
      return router_->EmitBatch(std::move(batch));
    }
    base::Status EmitWatermark(int64_t watermark) override {
      return router_->EmitWatermark(watermark);
    }

   private:
    operators::Output* router_;
    operators::OperatorMetrics* metrics_;
  };

  /// One operator's registered times; fired by FireTimers on this subtask's task.
  class OperatorTimers : public operators::ProcessingTimeService {
   public:
    explicit OperatorTimers(SubtaskRunner* runner) : runner_(runner) {}
    int64_t CurrentTimeMillis() const override;
    void RegisterTimer(int64_t time) override;
    std::set<int64_t> times;

   private:
    SubtaskRunner* runner_;
  };

  /// Remembers what a source's Poll emitted, to tell an empty poll from a productive one.
  class SourceOutput : public operators::Output {
   public:
    SourceOutput(operators::Output* next, std::atomic<int64_t>* rows,
                 operators::OperatorMetrics* metrics)
        : next_(next), rows_(rows), metrics_(metrics) {}
    base::Status EmitBatch(operators::BatchPtr batch) override {
      emitted_records |= batch->row_count() > 0;
      rows_->fetch_add(batch->row_count(), std::memory_order_relaxed);
      Link::Count(metrics_, nullptr, batch->row_count());
      return next_->EmitBatch(std::move(batch));
    }
    base::Status EmitWatermark(int64_t watermark) override {
      return next_->EmitWatermark(watermark);
    }
    bool emitted_records = false;

   private:
    operators::Output* next_;
    std::atomic<int64_t>* rows_;
    operators::OperatorMetrics* metrics_;
  };

  void AddTimer(int64_t time);
  base::Status FireTimers();
  /// Emits a requested barrier (sources) and delivers completion notifications.
  base::Status HandleCheckpointRequests();
  base::Status DeliverNotifications();
  /// Takes the snapshot and acknowledges `checkpoint` unless that was done already.
  void Acknowledge(int64_t checkpoint);
  base::Status HandleBarrier(const Message& message);
  /// Counts channel (input, channel) as aligned; when all are, acknowledges and forwards.
  base::Status ChannelAligned(int32_t input, int32_t channel);
  /// The next message: a held one first, then the inbox (false when there is none).
  bool NextMessage(Message* message);
  base::Status PollSource(bool* made_progress);
  /// In shadow: applies the holds when they changed and reports whether the source is at them.
  base::Status FollowShadowHolds();
  /// Recomputes the minimum watermark over active channels and this subtask's idle status.
  base::Status CombineWatermarks();
  base::Status Step(bool* made_progress);
  base::Status Handle(Message message);
  base::Status FinishChain();
  bool HasWork();
  /// Where operator `operator_index` of the chain emits: the next link or the router.
  operators::Output* OutputOf(size_t operator_index);

  Job* job_;
  int32_t runner_index_;
  int32_t subtask_index_;
  std::unique_ptr<operators::SourceOperator> source_;
  std::string source_uid_;
  state::StateBackend* state_backend_ = nullptr;
  bool stateful_ = false;
  std::vector<std::unique_ptr<operators::Operator>> operators_;
  std::vector<std::string> operator_uids_;
  std::vector<std::unique_ptr<Link>> links_;
  std::unique_ptr<Link> source_link_;
  std::unique_ptr<SourceOutput> source_output_;
  std::vector<std::unique_ptr<OperatorTimers>> operator_timers_;  // per operator, or null
  OutputRouter router_;
  Inbox inbox_;
  std::vector<std::vector<int64_t>> channel_watermarks_;
  std::vector<std::vector<bool>> channel_ended_;
  std::vector<std::vector<bool>> channel_idle_;
  bool idle_ = false;  // what this subtask last told downstream
  int32_t open_channels_ = 0;
  int64_t combined_watermark_ = operators::kMinWatermark;
  int64_t idle_timeout_ = 0;
  operators::ShadowControl* shadow_ = nullptr;
  int64_t shadow_version_ = -1;  // the holds the source follows
  bool shadow_released_ = false;
  int64_t last_record_time_ = 0;  // a source's wall clock at its last record (0: not polled)
  // A source polled nothing; a timer resumes it. Atomic: HasWork may read it after the flag
  // `scheduled_` is cleared, when a timer-woken run may already be writing it.
  std::atomic<bool> poll_paused_{false};
  std::atomic<bool> timers_due_{false};
  std::atomic<bool> scheduled_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> stopped_{false};  // see stopped()
  std::atomic<int64_t> rows_in_{0};
  operators::OperatorMetrics* source_metrics_ = nullptr;
  std::vector<operators::OperatorMetrics*> operator_metrics_;  // one per operators_ entry
  std::unique_ptr<TailOutput> tail_output_;
  std::atomic<int64_t> backpressure_since_{0};  // wall clock when it found no room, or 0
  std::atomic<int64_t> backpressured_millis_{0};

  // Checkpoints.
  std::atomic<int64_t> barrier_request_{0};       // a source's barrier to emit
  std::atomic<int64_t> notification_request_{0};  // the latest completed checkpoint to deliver
  std::mutex checkpoint_mutex_;  // guards acked_/notified_ and the operators once finished
  int64_t acked_ = 0;            // the latest checkpoint acknowledged
  int64_t notified_ = 0;         // the latest completion delivered to the operators
  int64_t aligning_ = 0;         // the checkpoint whose barriers are being aligned, or 0
  int32_t unaligned_channels_ = 0;
  int64_t alignment_started_ = 0;  // when the first barrier of `aligning_` arrived
  int64_t alignment_millis_ = 0;   // how long the last alignment took (for its snapshot)
  std::vector<std::vector<bool>> channel_blocked_;
  std::deque<Message> held_;  // messages of blocked channels, replayed after alignment
};

}  // namespace sluice::runtime::scheduler
