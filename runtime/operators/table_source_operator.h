#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Reads the splits of a table this subtask owns through its connector — its own split, or
/// after a restore at another parallelism the old splits dealt to it — computes computed
/// columns and emits a watermark after each batch: per split the maximum of the watermark
/// expression seen so far, emitted as the minimum over the splits still being read. A split
/// that is exhausted stays in every later checkpoint as finished (`finished` then the reader's
/// last position), so that a restore at any parallelism never reads it again.
class TableSourceOperator : public SourceOperator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Result<bool> Poll(Output* out) override;
  /// With one split: its watermark (so a restored split does not fall back behind it), then
  /// the reader's position; empty when the reader has none.
  std::string Position() const override;
  base::Status Seek(const std::string& position) override;
  std::vector<std::string> Positions() const override;
  std::vector<std::string> SnapshotPositions(int64_t checkpoint) override;
  base::Status NotifyCheckpointComplete(int64_t checkpoint) override;
  bool ReadsNothing() const override;
  /// Readers that can stop at positions (connectors::Connector::CanHold).
  base::Status HoldAt(const std::vector<std::string>& positions) override;
  void ReleaseHold() override;
  bool AtHold() const override;
  base::Status Restore(const std::vector<std::string>& positions) override;

 private:
  /// The watermark and idleness clock of one split of a reader of several splits.
  struct SplitClock {
    int64_t watermark = kMinWatermark;
    int64_t last_record_millis = 0;  // wall time of its last rows; 0: none yet
  };
  struct Split {
    std::unique_ptr<connectors::SourceReader> reader;
    int64_t watermark = kMinWatermark;
    // A reader of several splits (SourceReader::ReadsSeveralSplits): a clock per live split,
    // by name, synchronised with LiveSplits whenever splits_version changes.
    std::map<std::string, SplitClock> clocks;
    int64_t clocks_version = -1;
  };

  /// The maximum watermark expression over the rows of `batch` (full table slots), at least
  /// `floor`.
  base::Result<int64_t> MaxWatermark(const Batch& batch, int64_t floor);
  /// Brings a reader of several splits' clocks in line with its live splits.
  void SyncClocks(Split* split);
  /// The watermark a reader of several splits holds time at: the minimum over its live splits
  /// that are not idle; nullopt when there is none.
  std::optional<int64_t> ClockWatermark(const Split& split, int64_t now) const;
  /// The positions of a reader of several splits, each after its split's watermark line.
  std::vector<std::string> ClockPositions(const Split& split) const;
  /// Emits the minimum watermark of the live splits when it advanced.
  base::Status EmitWatermark(Output* out);
  std::string PositionOf(const Split& split) const;
  /// A reader of the split `position` names, moved there.
  base::Result<Split> OpenSplit(const std::string& position) const;

  const plan::PlanNode* node_ = nullptr;
  OperatorMetrics* metrics_ = nullptr;
  const connectors::Connector* connector_ = nullptr;
  std::string job_name_;
  std::string job_id_;
  std::vector<Split> splits_;  // the splits not yet exhausted
  // Positions of the exhausted splits, each `finished\n<reader position>`; empty when the
  // reader cannot tell its position (such a source starts over after a restore anyway).
  std::vector<std::string> finished_splits_;
  // Readers of several splits: the watermarks of restored splits until their reader reports
  // them live, and the positions of checkpoints not yet complete.
  std::map<std::string, int64_t> restored_watermarks_;
  std::map<int64_t, std::vector<std::string>> pending_positions_;
  int64_t idle_timeout_ = 0;  // table.exec.source.idle-timeout, per split
  size_t next_split_ = 0;     // polled round-robin
  bool bounded_ = true;
  std::vector<types::LogicalType> physical_types_;
  std::unique_ptr<ChainEvaluator> computed_columns_;
  std::unique_ptr<ChainEvaluator> watermark_;
  int64_t emitted_watermark_ = kMinWatermark;
  bool finished_ = false;
};

}  // namespace sluice::runtime::operators
