#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/scheduler/inbox.h"
#include "runtime/scheduler/output_router.h"

namespace sluice::runtime::scheduler {

class Job;

/// One subtask of a vertex (a chain of forward-connected operators) scheduled as TBB tasks:
/// each run drains a bounded number of messages (or polls its source), then yields. It is
/// scheduled again when input arrives or when a full downstream inbox drains; it never waits.
class SubtaskRunner {
 public:
  struct InputShape {
    int32_t channels = 1;  // upstream subtasks feeding this input
  };

  SubtaskRunner(Job* job, int32_t subtask_index, int32_t max_parallelism,
                std::vector<InputShape> inputs);

  void SetSource(std::unique_ptr<operators::SourceOperator> source) { source_ = std::move(source); }
  /// The keyed state of this subtask's operators: its sticky I/O status fails the job.
  void SetStateBackend(const state::StateBackend* backend) { state_backend_ = backend; }
  void AddOperator(std::unique_ptr<operators::Operator> op);
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

 private:
  /// Forwards the emissions of operator i to operator i + 1.
  class Link : public operators::Output {
   public:
    Link(operators::Operator* next, operators::Output* next_output)
        : next_(next), next_output_(next_output) {}
    base::Status EmitBatch(operators::BatchPtr batch) override {
      return next_->ProcessBatch(0, std::move(batch), next_output_);
    }
    base::Status EmitWatermark(int64_t watermark) override {
      return next_->ProcessWatermark(watermark, next_output_);
    }

   private:
    operators::Operator* next_;
    operators::Output* next_output_;
  };

  base::Status Step(bool* made_progress);
  base::Status Handle(Message message);
  base::Status FinishChain();
  bool HasWork();
  /// Where operator `operator_index` of the chain emits: the next link or the router.
  operators::Output* OutputOf(size_t operator_index);

  Job* job_;
  int32_t subtask_index_;
  std::unique_ptr<operators::SourceOperator> source_;
  const state::StateBackend* state_backend_ = nullptr;
  std::vector<std::unique_ptr<operators::Operator>> operators_;
  std::vector<std::unique_ptr<Link>> links_;
  std::unique_ptr<Link> source_link_;
  OutputRouter router_;
  Inbox inbox_;
  std::vector<std::vector<int64_t>> channel_watermarks_;
  std::vector<std::vector<bool>> channel_ended_;
  int32_t open_channels_ = 0;
  int64_t combined_watermark_ = operators::kMinWatermark;
  std::atomic<bool> scheduled_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace sluice::runtime::scheduler
