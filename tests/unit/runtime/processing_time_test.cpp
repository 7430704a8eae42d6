// Processing time: the job's timer service, processing-time windows (with a hand-driven clock,
// and through the scheduler with the wall clock), and idle source splits. No test asserts a
// duration: each waits for a condition with a generous deadline.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/connectors/collect_connector.h"
#include "runtime/operators/window_aggregate_operator.h"
#include "runtime/scheduler/job.h"
#include "runtime/scheduler/timer_service.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::WindowKind;
using scheduler::TimerService;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

constexpr auto kPatience = std::chrono::seconds(60);

/// A flag that one thread raises and another waits for.
class Signal {
 public:
  void Raise() {
    std::lock_guard<std::mutex> lock(mutex_);
    raised_ = true;
    changed_.notify_all();
  }
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return raised_; });
  }
  bool raised() {
    std::lock_guard<std::mutex> lock(mutex_);
    return raised_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool raised_ = false;
};

// ---- the timer service ----------------------------------------------------------------------

TEST(TimerServiceTest, ACallbackFiresOnceItsTimeHasComeWithNothingElseHappening) {
  TimerService timers;
  Signal fired;
  int64_t due = TimerService::NowMillis() + 30;
  int64_t fired_at = 0;
  timers.Add(due, [&] {
    fired_at = TimerService::NowMillis();
    fired.Raise();
  });
  ASSERT_TRUE(fired.WaitFor(kPatience));
  EXPECT_GE(fired_at, due) << "a timer never fires early";
  EXPECT_TRUE(timers.WaitForFiring(0));
  EXPECT_EQ(timers.fired(), 1u);
}

TEST(TimerServiceTest, TimersFireInTimeOrderWhateverOrderTheyWereAddedIn) {
  TimerService timers;
  std::mutex mutex;
  std::vector<int> order;
  Signal last;
  int64_t now = TimerService::NowMillis();
  for (int index : {3, 1, 2}) {
    timers.Add(now + 20 * index, [&, index] {
      std::lock_guard<std::mutex> lock(mutex);
      order.push_back(index);
      if (order.size() == 3) last.Raise();
    });
  }
  ASSERT_TRUE(last.WaitFor(kPatience));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerServiceTest, StopDropsPendingTimersAndWakesWaiters) {
  TimerService timers;
  std::atomic<bool> fired{false};
  timers.Add(TimerService::NowMillis() + 200, [&] { fired = true; });
  auto waiter = std::async(std::launch::async, [&] { return timers.WaitForFiring(0); });
  timers.Stop();
  ASSERT_EQ(waiter.wait_for(kPatience), std::future_status::ready);
  EXPECT_FALSE(waiter.get()) << "nothing fired";
  timers.Add(TimerService::NowMillis(), [&] { fired = true; });  // ignored once stopped
  std::this_thread::sleep_for(std::chrono::milliseconds(400));   // past the dropped timer
  EXPECT_FALSE(fired.load());
}

// ---- processing-time windows on a hand-driven clock -----------------------------------------

/// A clock the test sets; records the timers an operator registers.
class ManualClock : public ProcessingTimeService {
 public:
  int64_t CurrentTimeMillis() const override { return now; }
  void RegisterTimer(int64_t time) override { timers.insert(time); }
  int64_t now = 0;
  std::set<int64_t> timers;
};

// Input: (user VARCHAR, amount BIGINT, p TIMESTAMP(3)).
const std::vector<LogicalType> kInputTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                              LogicalType::Timestamp()};

/// The same aggregate with slot 2 as a processing-time attribute.
plan::PlanNode ProcessingTimeWindowNode(plan::WindowSpec window) {
  window.processing_time = true;
  return testing::UserWindowAggregateNode(window);
}

plan::WindowSpec Tumble(int64_t size) {
  plan::WindowSpec window;
  window.kind = WindowKind::kTumble;
  window.size = size;
  return window;
}

class ProcessingTimeWindowTest : public ::testing::Test {
 protected:
  void Start(plan::WindowSpec window) {
    harness_.node = ProcessingTimeWindowNode(window);
    OperatorContext context = harness_.Context();
    context.processing_time = &clock_;
    base::Status status = operator_.Open(context);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  void Add(const std::vector<std::vector<Cell>>& rows) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kInputTypes, rows), &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows FireAt(int64_t now) {
    clock_.now = now;
    base::Status status = operator_.OnProcessingTime(now, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  ManualClock clock_;
  OperatorHarness harness_;
  WindowAggregateOperator operator_;
  CollectingOutput out_;
};

TEST_F(ProcessingTimeWindowTest, RowsLandInTheClocksWindowAndFireWhenTheClockPassesItsEnd) {
  Start(Tumble(10));
  clock_.now = 3;
  // The rows' own time values (even NULL) do not matter: the clock does.
  Add({{"a", 1, 500}, {"b", 2, nullptr}, {"a", 3, -7}});
  EXPECT_EQ(clock_.timers, (std::set<int64_t>{9})) << "a timer at the window's end - 1";
  clock_.now = 12;
  Add({{"a", 4, 1}});
  EXPECT_EQ(clock_.timers, (std::set<int64_t>{9, 19}));
  // Event time does not fire processing-time windows; the watermark is forwarded.
  ASSERT_TRUE(operator_.ProcessWatermark(1000, &out_).ok());
  EXPECT_EQ(out_.TakeRows(), Rows{});
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{1000}));

  EXPECT_EQ(FireAt(8), Rows{}) << "window [0, 10) is open until the clock reaches 9";
  EXPECT_EQ(FireAt(12), (Rows{"+I[a, 0, 10, 9, 2, 4]", "+I[b, 0, 10, 9, 1, 2]"}));
  EXPECT_EQ(harness_.EntryCount("slices"), 1) << "the fired window's state is freed";
  EXPECT_EQ(FireAt(19), (Rows{"+I[a, 10, 20, 19, 1, 4]"}));
  EXPECT_EQ(harness_.EntryCount("slices"), 0);
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 0);
}

TEST_F(ProcessingTimeWindowTest, NothingIsLateEvenWhenTheClockGoesBack) {
  Start(Tumble(10));
  clock_.now = 5;
  Add({{"a", 1, 0}});
  EXPECT_EQ(FireAt(15), (Rows{"+I[a, 0, 10, 9, 1, 1]"}));
  clock_.now = 4;  // behind a window that has fired: the row goes to the current one
  Add({{"a", 2, 0}});
  EXPECT_EQ(clock_.timers, (std::set<int64_t>{9, 19}));
  EXPECT_EQ(FireAt(19), (Rows{"+I[a, 10, 20, 19, 1, 2]"}));
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 0);
}

TEST_F(ProcessingTimeWindowTest, TheEndOfABoundedInputFiresEveryOpenWindow) {
  plan::WindowSpec hop = Tumble(30);
  hop.kind = WindowKind::kHop;
  hop.step = 10;
  Start(hop);
  clock_.now = 25;
  Add({{"a", 1, 0}, {"b", 5, 0}});
  EXPECT_EQ(FireAt(29), (Rows{"+I[a, 0, 30, 29, 1, 1]", "+I[b, 0, 30, 29, 1, 5]"}));
  ASSERT_TRUE(operator_.ProcessWatermark(kMaxWatermark, &out_).ok());
  EXPECT_EQ(out_.TakeRows(), (Rows{"+I[a, 10, 40, 39, 1, 1]", "+I[b, 10, 40, 39, 1, 5]",
                                   "+I[a, 20, 50, 49, 1, 1]", "+I[b, 20, 50, 49, 1, 5]"}));
  ASSERT_TRUE(operator_.Finish(&out_).ok());
  EXPECT_EQ(out_.TakeRows(), Rows{}) << "each window fires once";
  EXPECT_EQ(harness_.EntryCount("slices"), 0);
}

TEST_F(ProcessingTimeWindowTest, SessionWindowsOnProcessingTimeAreRejected) {
  plan::WindowSpec session;
  session.kind = WindowKind::kSession;
  session.gap = 10;
  harness_.node = ProcessingTimeWindowNode(session);
  OperatorContext context = harness_.Context();
  context.processing_time = &clock_;
  base::Status status = operator_.Open(context);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("SESSION"), std::string::npos) << status.message();
}

// ---- through the scheduler ------------------------------------------------------------------

/// What a scripted source split emits, and when it may end.
struct SplitScript {
  std::vector<BatchPtr> batches;    // emitted first, one per poll
  std::vector<int64_t> watermarks;  // after each batch
  /// After the script: a row ("z", 1, 1000) about every 10 ms, as a live split does.
  bool keep_ticking = false;
};

/// Shared by the splits of one scripted source: the test releases them to end.
struct SourceControl {
  std::atomic<bool> released{false};
  std::vector<SplitScript> splits;  // per subtask
};

/// Emits its split's script, then polls nothing (staying open, as an unbounded source with no
/// new data) until released; then emits the final watermark and ends.
class ScriptedSource : public SourceOperator {
 public:
  explicit ScriptedSource(SourceControl* control) : control_(control) {}
  base::Status Open(const OperatorContext& context) override {
    script_ = &control_->splits[context.subtask.index];
    return base::Status::Ok();
  }
  base::Result<bool> Poll(Output* out) override {
    if (next_ < script_->batches.size()) {
      SLUICE_RETURN_IF_ERROR(out->EmitBatch(script_->batches[next_]));
      SLUICE_RETURN_IF_ERROR(out->EmitWatermark(script_->watermarks[next_]));
      ++next_;
      return true;
    }
    if (!control_->released.load()) {
      int64_t now = scheduler::TimerService::NowMillis();
      if (script_->keep_ticking && now - last_tick_ >= 10) {
        last_tick_ = now;
        SLUICE_RETURN_IF_ERROR(out->EmitBatch(MakeBatch(kInputTypes, {{"z", 1, 1000}})));
      }
      return true;
    }
    SLUICE_RETURN_IF_ERROR(out->EmitWatermark(kMaxWatermark));
    return false;
  }

 private:
  SourceControl* control_;
  const SplitScript* script_ = nullptr;
  size_t next_ = 0;
  int64_t last_tick_ = 0;
};

/// scripted(user, amount, ts) -hash(user)-> window aggregate -forward-> collect.
plan::PlanGraph ScriptedWindowJob(int32_t source_parallelism, plan::WindowSpec window,
                                  bool processing_time, int64_t idle_timeout) {
  types::Schema input{{{"user", LogicalType::Varchar()},
                       {"amount", LogicalType::Bigint()},
                       {"ts", LogicalType::Timestamp()}}};
  plan::PlanGraph plan;
  plan.job_name = "processing-time-test";
  plan::PlanNode source;
  source.id = 0;
  source.uid = "source/scripted";
  source.kind = plan::OperatorKind::kSource;
  source.parallelism = source_parallelism;
  source.output_schema = input;
  source.idle_timeout = idle_timeout;
  plan::PlanNode aggregate = ProcessingTimeWindowNode(window);
  aggregate.aggregate->window->processing_time = processing_time;
  aggregate.id = 1;
  plan::PlanNode sink;
  sink.id = 2;
  sink.uid = "sink/out";
  sink.kind = plan::OperatorKind::kSink;
  sink.output_schema = aggregate.output_schema;
  sink.table = connectors::TableDescriptor{
      "out",
      aggregate.output_schema,
      {{"connector", "collect"}, {"collect.name", "processing-time-test"}},
      {}};
  plan.nodes = {source, aggregate, sink};
  plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{1, 2, 0, plan::ExchangeKind::kForward, {}}};
  return plan;
}

/// Runs a scripted job on its own thread, collecting the sink's rows.
class ScriptedJobRun {
 public:
  ScriptedJobRun(const plan::PlanGraph& plan, SourceControl* control) {
    connectors::CollectConnector::Register("processing-time-test",
                                           [this](int32_t, const std::string& row) {
                                             std::lock_guard<std::mutex> lock(mutex_);
                                             rows_.push_back(row);
                                             changed_.notify_all();
                                           });
    scheduler::JobOptions options;
    options.threads = 2;
    options.source_factory = [control](const plan::PlanNode&) {
      return base::Result<std::unique_ptr<SourceOperator>>(
          std::unique_ptr<SourceOperator>(new ScriptedSource(control)));
    };
    auto job = scheduler::Job::Create(plan, options);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    if (!job.ok()) return;
    job_ = std::move(*job);
    status_ = std::async(std::launch::async, [this] { return job_->Run(); });
  }
  ~ScriptedJobRun() {
    if (status_.valid()) status_.wait();
    connectors::CollectConnector::Unregister("processing-time-test");
  }

  /// Waits until the sink has received `count` rows; false on timeout.
  bool WaitForRows(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return rows_.size() >= count; });
  }
  Rows rows() {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_;
  }
  /// Waits for the job to end; its status (an error on timeout).
  base::Status Finish() {
    if (!status_.valid()) return base::Status::Error(base::ErrorCode::kInternal, "not started");
    if (status_.wait_for(kPatience) != std::future_status::ready) {
      return base::Status::Error(base::ErrorCode::kInternal, "the job did not end");
    }
    return status_.get();
  }
  scheduler::Job* job() { return job_.get(); }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Rows rows_;
  std::unique_ptr<scheduler::Job> job_;
  std::future<base::Status> status_;
};

TEST(ProcessingTimeJobTest, AWindowFiresOnTheWallClockWhileItsInputIsSilent) {
  SourceControl control;
  control.splits.resize(1);
  control.splits[0].batches = {MakeBatch(kInputTypes, {{"a", 1, 0}, {"a", 2, 0}, {"b", 4, 0}})};
  control.splits[0].watermarks = {kMinWatermark + 1};
  ScriptedJobRun run(ScriptedWindowJob(1, Tumble(50), /*processing_time=*/true, 0), &control);
  // The source stays open with nothing to say; only the timer can fire the window.
  ASSERT_TRUE(run.WaitForRows(2)) << "the processing-time window never fired";
  EXPECT_FALSE(control.released.load());
  control.released = true;
  base::Status status = run.Finish();
  ASSERT_TRUE(status.ok()) << status.ToString();
  Rows rows = run.rows();
  ASSERT_EQ(rows.size(), 2u);
  std::sort(rows.begin(), rows.end());
  // +I[user, start, end, time, count, sum]; the window bounds are wall-clock times.
  EXPECT_EQ(rows[0].rfind("+I[a, ", 0), 0u) << rows[0];
  EXPECT_NE(rows[0].find(", 2, 3]"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find(", 1, 4]"), std::string::npos) << rows[1];
}

TEST(ProcessingTimeJobTest, CancellingAJobWaitingForATimerEndsIt) {
  SourceControl control;
  control.splits.resize(1);
  control.splits[0].batches = {MakeBatch(kInputTypes, {{"a", 1, 0}})};
  control.splits[0].watermarks = {kMinWatermark + 1};
  // An hour-long window: its timer is far away when the job is cancelled.
  ScriptedJobRun run(ScriptedWindowJob(1, Tumble(3600 * 1000), /*processing_time=*/true, 0),
                     &control);
  ASSERT_NE(run.job(), nullptr);
  // Give the row time to reach the window, so the job is most likely waiting on its timer.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  run.job()->Cancel();
  base::Status status = run.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cancelled"), std::string::npos) << status.message();
  EXPECT_EQ(run.rows(), Rows{}) << "a cancelled job fires no more windows";
}

// ---- idle source splits ---------------------------------------------------------------------

/// Two splits: split 0 sends rows of window [0, 10), then a watermark past its end, then keeps
/// sending rows of window [1000, 1010); split 1 sends nothing. Both stay open until released.
/// The window is event-time.
void IdleSplitControl(SourceControl* control) {
  control->splits.resize(2);
  control->splits[0].batches = {MakeBatch(kInputTypes, {{"a", 1, 1}, {"a", 2, 5}})};
  control->splits[0].watermarks = {100};
  control->splits[0].keep_ticking = true;
}

/// Window [0, 10) of user a, as the collect sink renders it.
const char* const kFirstWindow =
    "+I[a, 1970-01-01 00:00:00.000, 1970-01-01 00:00:00.010, 1970-01-01 00:00:00.009, 2, 3]";

/// The rows of user `user`.
Rows RowsOf(const Rows& rows, const std::string& user) {
  Rows found;
  for (const std::string& row : rows) {
    if (row.rfind("+I[" + user + ",", 0) == 0) found.push_back(row);
  }
  return found;
}

TEST(IdleSplitTest, AnIdleSplitNoLongerHoldsBackTheWatermarkOfTheOthers) {
  SourceControl control;
  IdleSplitControl(&control);
  ScriptedJobRun run(
      ScriptedWindowJob(2, Tumble(10), /*processing_time=*/false, /*idle_timeout=*/50), &control);
  ASSERT_TRUE(run.WaitForRows(1)) << "the window never fired while split 1 was idle";
  EXPECT_FALSE(control.released.load());
  EXPECT_EQ(run.rows(), (Rows{kFirstWindow}));
  control.released = true;
  base::Status status = run.Finish();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(RowsOf(run.rows(), "a"), (Rows{kFirstWindow}));
  EXPECT_EQ(RowsOf(run.rows(), "z").size(), 1u) << "window [1000, 1010) fires at the end";
}

TEST(IdleSplitTest, WithoutTheTimeoutASilentSplitHoldsTheWindowUntilTheEnd) {
  SourceControl control;
  IdleSplitControl(&control);
  ScriptedJobRun run(
      ScriptedWindowJob(2, Tumble(10), /*processing_time=*/false, /*idle_timeout=*/0), &control);
  // Many times the idle timeout of the test above; the window must not fire meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(run.rows(), Rows{}) << "split 1's watermark should still hold the window";
  control.released = true;
  base::Status status = run.Finish();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(RowsOf(run.rows(), "a"), (Rows{kFirstWindow}));
}

}  // namespace
}  // namespace sluice::runtime::operators
