#include "runtime/scheduler/backfill.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "runtime/connectors/replay_connector.h"
#include "runtime/operators/operator_factory.h"

namespace sluice::runtime::scheduler {

namespace {

/// The reader position inside a source operator's position (`watermark=…` or `finished`,
/// then the reader's own; see operators::TableSourceOperator).
std::string ReaderPart(const std::string& position) {
  size_t end = position.find('\n');
  return end == std::string::npos ? std::string() : position.substr(end + 1);
}

bool IsFinishedSplit(const std::string& position) {
  return position.rfind("finished\n", 0) == 0;
}

const plan::PlanNode* FindNode(const plan::PlanGraph& plan, const std::string& uid) {
  for (const plan::PlanNode& node : plan.nodes) {
    if (node.uid == uid) return &node;
  }
  return nullptr;
}

/// `uids`' nodes and every node upstream of them, by id.
std::set<int32_t> UpstreamClosure(const plan::PlanGraph& plan, const std::vector<int32_t>& ids) {
  std::set<int32_t> kept;
  std::vector<int32_t> pending = ids;
  while (!pending.empty()) {
    int32_t id = pending.back();
    pending.pop_back();
    if (!kept.insert(id).second) continue;
    for (const plan::PlanEdge* edge : plan.InputsOf(id)) pending.push_back(edge->source_node);
  }
  return kept;
}

base::Status OptionError(const std::string& message) {
  return base::Status::Error(base::ErrorCode::kOption, "--backfill: " + message);
}

/// What the sources of a replay tell the driver: how many source subtasks are at their
/// snapshot's positions.
struct ReplayProgress {
  std::atomic<int32_t> reached{0};
};

/// A source subtask of a replay: the table's own source operator (reading through the replay
/// connector, so it stops at the snapshot's positions), which says once it got there.
class ReplaySourceOperator final : public operators::SourceOperator {
 public:
  ReplaySourceOperator(std::unique_ptr<operators::SourceOperator> inner,
                       std::map<std::string, std::vector<std::string>> expected,
                       ReplayProgress* progress)
      : inner_(std::move(inner)), expected_(std::move(expected)), progress_(progress) {}

  base::Status Open(const operators::OperatorContext& context) override {
    uid_ = context.node->uid;
    auto found = expected_.find(connectors::SplitKey(context.subtask));
    if (found != expected_.end()) {
      for (const std::string& position : found->second) target_.push_back(ReaderPart(position));
    }
    std::sort(target_.begin(), target_.end());
    split_ = connectors::SplitKey(context.subtask);
    return inner_->Open(context);
  }

  base::Result<bool> Poll(operators::Output* out) override {
    SLUICE_ASSIGN_OR_RETURN(bool more, inner_->Poll(out));
    if (!reached_) {
      std::vector<std::string> now;
      for (const std::string& position : inner_->Positions()) now.push_back(ReaderPart(position));
      std::sort(now.begin(), now.end());
      if (now == target_) {
        reached_ = true;
        progress_->reached.fetch_add(1);
      } else if (!more) {
        return base::Status::Error(
            base::ErrorCode::kData,
            fmt::format("source '{}' split {}: its history ended before the snapshot's position "
                        "(did its input change since the snapshot?)",
                        uid_, split_));
      }
    }
    return more;
  }

  std::string Position() const override { return inner_->Position(); }
  base::Status Seek(const std::string& position) override { return inner_->Seek(position); }
  std::vector<std::string> Positions() const override { return inner_->Positions(); }
  base::Status Restore(const std::vector<std::string>& positions) override {
    return inner_->Restore(positions);
  }

 private:
  std::unique_ptr<operators::SourceOperator> inner_;
  std::map<std::string, std::vector<std::string>> expected_;  // by split key
  ReplayProgress* progress_;
  std::string uid_;
  std::string split_;
  std::vector<std::string> target_;  // reader positions, sorted
  bool reached_ = false;
};

}  // namespace

std::vector<std::string> SplitBackfillUids(const std::string& text) {
  std::vector<std::string> uids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    size_t first = item.find_first_not_of(" \t");
    size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) {
      item = item.substr(first, last - first + 1);
      if (std::find(uids.begin(), uids.end(), item) == uids.end()) uids.push_back(item);
    }
    start = end + 1;
  }
  return uids;
}

base::Result<std::vector<const plan::PlanNode*>> BackfillSources(const plan::PlanGraph& plan,
                                                                 const std::string& uid) {
  const plan::PlanNode* node = FindNode(plan, uid);
  if (node == nullptr) {
    std::string stateful;
    for (const plan::PlanNode& candidate : plan.nodes) {
      if (candidate.state.empty() || candidate.kind == plan::OperatorKind::kSource ||
          candidate.kind == plan::OperatorKind::kSink) {
        continue;
      }
      stateful += (stateful.empty() ? "" : ", ") + ("'" + candidate.uid + "'");
    }
    return OptionError(fmt::format("no operator '{}' in the job (its stateful operators: {})", uid,
                                   stateful.empty() ? "none" : stateful));
  }
  if (node->state.empty() || node->kind == plan::OperatorKind::kSource ||
      node->kind == plan::OperatorKind::kSink) {
    return OptionError(
        fmt::format("operator '{}' ({}) holds no state to backfill: only stateful "
                    "operators (aggregates, joins, Top-N, OVER) can be",
                    uid, plan::OperatorKindName(node->kind)));
  }
  std::vector<const plan::PlanNode*> sources;
  for (int32_t id : UpstreamClosure(plan, {node->id})) {
    const plan::PlanNode& upstream = plan.nodes[id];
    // Processing-time windows depend on when a row is read, not on the row: a replay cannot
    // compute what the old job had.
    bool processing_time = (upstream.aggregate && upstream.aggregate->window &&
                            upstream.aggregate->window->processing_time) ||
                           (upstream.window_join && upstream.window_join->window.processing_time);
    if (processing_time) {
      return OptionError(fmt::format(
          "cannot backfill '{}': '{}' uses processing-time windows, which a replay of the "
          "history cannot reproduce",
          uid, upstream.uid));
    }
    if (upstream.kind != plan::OperatorKind::kSource) continue;
    if (!upstream.table) {
      return OptionError(
          fmt::format("cannot backfill '{}': its source '{}' names no table", uid, upstream.uid));
    }
    auto name = upstream.table->options.find("connector");
    std::string connector_name = name == upstream.table->options.end() ? "" : name->second;
    const connectors::Connector* connector = connectors::FindConnector(connector_name);
    if (connector == nullptr || !connector->CanReplay(*upstream.table)) {
      return OptionError(fmt::format(
          "cannot backfill '{}': its source '{}' (connector '{}') cannot replay its history up to "
          "a snapshot's position (values, filesystem, nexmark and datagen can)",
          uid, upstream.uid, connector_name));
    }
    sources.push_back(&upstream);
  }
  return sources;
}

base::Result<plan::PlanGraph> ReplayPlan(const plan::PlanGraph& plan,
                                         const state::Snapshot& snapshot,
                                         const std::vector<std::string>& uids) {
  if (uids.empty()) return OptionError("no operator named");
  std::vector<int32_t> ids;
  for (const std::string& uid : uids) {
    SLUICE_RETURN_IF_ERROR(BackfillSources(plan, uid).status());
    ids.push_back(FindNode(plan, uid)->id);
  }
  std::set<int32_t> kept = UpstreamClosure(plan, ids);
  // The sources stop where the snapshot's splits were; they all ran at one parallelism.
  int32_t parallelism = 0;
  std::map<int32_t, std::map<std::string, std::string>> stops;  // per source node id
  for (int32_t id : kept) {
    const plan::PlanNode& node = plan.nodes[id];
    if (node.kind != plan::OperatorKind::kSource) continue;
    auto offsets = snapshot.metadata.source_offsets.find(node.uid);
    if (offsets == snapshot.metadata.source_offsets.end() || offsets->second.empty()) {
      return OptionError(fmt::format(
          "the snapshot has no positions for source '{}' (added since, or it cannot tell where "
          "it was): its history cannot be replayed up to the snapshot",
          node.uid));
    }
    for (const std::string& position : offsets->second) {
      std::string reader = ReaderPart(position);
      auto split = connectors::SplitOfPosition(reader);
      if (!split.ok()) {
        return OptionError(fmt::format("source '{}': {}", node.uid, split.status().message()));
      }
      if (parallelism == 0) parallelism = split->parallelism;
      if (split->parallelism != parallelism) {
        return OptionError(fmt::format(
            "the snapshot's source splits were read at parallelism {} and {}: a replay needs "
            "one",
            parallelism, split->parallelism));
      }
      stops[id][connectors::SplitKey(*split)] = IsFinishedSplit(position) ? "" : reader;
    }
  }
  plan::PlanGraph replay;
  replay.job_name = plan.job_name;
  replay.max_parallelism = plan.max_parallelism;
  replay.options = plan.options;
  for (const char* key : {"execution.checkpointing.interval", "state.backend.local-recovery",
                          "state.savepoints.dir"}) {
    replay.options.erase(key);
  }
  replay.options["state.savepoints.format"] = "canonical";
  std::map<int32_t, int32_t> new_id;
  for (int32_t id : kept) {  // in plan order: sources first, edges forward
    plan::PlanNode node = plan.nodes[id];
    node.id = static_cast<int32_t>(replay.nodes.size());
    node.parallelism = std::max(parallelism, 1);
    if (node.kind == plan::OperatorKind::kSource) {
      node.table = connectors::ReplayTable(*node.table, stops[id]);
      node.idle_timeout = 0;  // a held split is not idle: time waits for it, as it did
    }
    new_id[id] = node.id;
    replay.nodes.push_back(std::move(node));
  }
  for (const plan::PlanEdge& edge : plan.edges) {
    if (!kept.count(edge.source_node) || !kept.count(edge.target_node)) continue;
    plan::PlanEdge copy = edge;
    copy.source_node = new_id[edge.source_node];
    copy.target_node = new_id[edge.target_node];
    replay.edges.push_back(std::move(copy));
  }
  return replay;
}

base::Result<ReplayResult> RunReplay(const plan::PlanGraph& replay, const state::Snapshot& snapshot,
                                     const std::vector<std::string>& uids, JobOptions options,
                                     const std::string& directory,
                                     const std::function<bool()>& cancelled) {
  // Per source UID and split, the snapshot's positions; a subtask of the replay has the
  // splits of its own index (one each: the replay runs at the splits' parallelism).
  std::map<std::string, std::map<std::string, std::vector<std::string>>> expected;
  int32_t source_subtasks = 0;
  bool all_finished = true;
  for (const plan::PlanNode& node : replay.nodes) {
    if (node.kind != plan::OperatorKind::kSource) continue;
    source_subtasks += node.parallelism;
    for (const std::string& position : snapshot.metadata.source_offsets.at(node.uid)) {
      auto split = connectors::SplitOfPosition(ReaderPart(position));
      if (!split.ok()) return split.status();
      expected[node.uid][connectors::SplitKey(*split)].push_back(position);
      all_finished &= IsFinishedSplit(position);
    }
  }
  ReplayProgress progress;
  options.restore_from = nullptr;
  options.backfill_from = nullptr;
  options.backfill_uids.clear();
  options.local_state = nullptr;
  options.job_id.clear();
  options.listener = nullptr;
  options.checkpoint_directory.clear();
  auto factory = options.source_factory;
  options.source_factory =
      [&](const plan::PlanNode& node) -> base::Result<std::unique_ptr<operators::SourceOperator>> {
    SLUICE_ASSIGN_OR_RETURN(auto inner,
                            factory ? factory(node) : operators::CreateSourceOperator(node));
    return std::unique_ptr<operators::SourceOperator>(
        new ReplaySourceOperator(std::move(inner), expected[node.uid], &progress));
  };
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Job> job, Job::Create(replay, options));
  base::Status run_status;
  std::thread runner([&] { run_status = job->Run(); });
  std::string savepoint;
  base::Status failure;
  // Wait until every source subtask is at its position (or the job ends), then stop it there.
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (job->failed()) break;
    if (cancelled && cancelled()) {
      job->Cancel();
      failure = base::Status::Error(base::ErrorCode::kRuntime, "the backfill was cancelled");
      break;
    }
    if (progress.reached.load() < source_subtasks) continue;
    if (all_finished) break;  // the job ends by itself: every split had ended
    auto stopped = job->StopWithSavepoint(directory);
    if (!stopped.ok()) {
      failure = stopped.status();
      job->Cancel();
    } else {
      savepoint = *stopped;
    }
    break;
  }
  runner.join();
  if (!failure.ok()) return failure;
  if (!run_status.ok()) {
    return base::Status::Error(
        run_status.code(), "the replay of the sources' history failed: " + run_status.message());
  }
  if (all_finished) {
    // Every split had ended before the snapshot: the replay ended the same way.
    savepoint = (std::filesystem::path(directory) / "replay").string();
    state::SnapshotOptions snapshot_options;
    snapshot_options.source_offsets = snapshot.metadata.source_offsets;
    SLUICE_RETURN_IF_ERROR(
        state::WriteCanonicalSnapshot(savepoint, replay, job->StateOfSubtasks(), snapshot_options)
            .status());
  }
  SLUICE_ASSIGN_OR_RETURN(state::Snapshot replayed, state::ReadSnapshot(savepoint));
  // Exactly the snapshot's cut: the same positions and watermarks, split by split.
  for (const plan::PlanNode& node : replay.nodes) {
    if (node.kind != plan::OperatorKind::kSource) continue;
    std::vector<std::string> want = snapshot.metadata.source_offsets.at(node.uid);
    auto found = replayed.metadata.source_offsets.find(node.uid);
    std::vector<std::string> got = found == replayed.metadata.source_offsets.end()
                                       ? std::vector<std::string>()
                                       : found->second;
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("the replay of source '{}' did not stop at the snapshot's positions "
                      "(snapshot: {}; replay: {}): its history is not what the snapshot read",
                      node.uid, fmt::join(want, " | "), fmt::join(got, " | ")));
    }
  }
  ReplayResult result;
  result.snapshot = std::move(replayed);
  JobMetrics metrics = job->Metrics();
  for (const std::string& uid : uids) {
    int64_t rows = 0;
    const plan::PlanNode* node = FindNode(replay, uid);
    for (int32_t id : UpstreamClosure(replay, {node->id})) {
      if (replay.nodes[id].kind != plan::OperatorKind::kSource) continue;
      for (const OperatorMetricsValues& values : metrics.operators) {
        if (values.uid == replay.nodes[id].uid) rows += values.rows_in;
      }
    }
    result.rows.emplace_back(uid, rows);
  }
  return result;
}

}  // namespace sluice::runtime::scheduler
