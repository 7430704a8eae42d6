#include "runtime/scheduler/job.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include "catalog/base/crash_point.h"
#include "catalog/base/duration.h"
#include "runtime/connectors/connector.h"
#include "runtime/expr/time_zone.h"
#include "runtime/expr/user_function.h"
#include "runtime/expr/value_format.h"
#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator_factory.h"
#include "runtime/operators/operator_restore.h"
#include "runtime/scheduler/subtask_runner.h"
#include "runtime/state/incremental_checkpoint.h"
#include "runtime/state/rocksdb_state_backend.h"

namespace sluice::runtime::scheduler {

namespace {

/// Compiles each distinct chain once per job, however many subtasks run it. Keyed by what the
/// chain computes, not by where its spec lives: operators build some specs on the stack
/// (a source's watermark chain), and another spec at a reused address is another chain.
/// With `background` (JobOptions::compile_in_background) chains compile on one thread of
/// the job, in the order operators ask for them, while their evaluators interpret.
class CachingChainCompiler : public operators::BackgroundChainCompiler {
 public:
  CachingChainCompiler(expr::ChainCompiler* inner, bool background)
      : inner_(inner), background_(background) {}
  ~CachingChainCompiler() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
    for (Queued& queued : queue_) {
      queued.promise.set_value(base::Status::Error(base::ErrorCode::kRuntime,
                                                   "the job ended before its chain was compiled"));
    }
  }

  base::Result<std::shared_ptr<expr::CompiledChain>> Compile(const plan::ChainSpec& spec) override {
    if (background_) return CompileInBackground(spec).get();
    std::string key = plan::ChainFingerprint(spec);
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = compiled_.find(key);
    if (found != compiled_.end()) return found->second;
    SLUICE_ASSIGN_OR_RETURN(auto compiled, inner_->Compile(spec));
    compiled_[std::move(key)] = compiled;
    return compiled;
  }

  Future CompileInBackground(const plan::ChainSpec& spec) override {
    std::string key = plan::ChainFingerprint(spec);
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = pending_.find(key);
    if (found != pending_.end()) return found->second;
    Queued queued{spec, {}};
    Future future = queued.promise.get_future().share();
    pending_.emplace(std::move(key), future);
    queue_.push_back(std::move(queued));
    if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
    changed_.notify_all();
    return future;
  }

 private:
  struct Queued {
    plan::ChainSpec spec;  // a copy: the operator's may live on its stack
    std::promise<base::Result<std::shared_ptr<expr::CompiledChain>>> promise;
  };

  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      Queued queued = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      queued.promise.set_value(inner_->Compile(queued.spec));
      lock.lock();
    }
  }

  expr::ChainCompiler* inner_;
  const bool background_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<expr::CompiledChain>> compiled_;
  std::map<std::string, Future> pending_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

Job::~Job() {
  if (coordinator_) coordinator_->Stop();
  if (timers_) timers_->Shutdown();
  if (arena_) arena_->execute([this] { group_.wait(); });
  runners_.clear();
  state_backends_.clear();  // RocksDB instances remove their directories
  if (!state_directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(state_directory_, ignored);
  }
  if (lock_descriptor_ >= 0) ::close(lock_descriptor_);  // releases the flock
}

/// A new job id: 8 random hex digits.
std::string NewJobId() {
  std::random_device random;
  return fmt::format("{:08x}", static_cast<uint32_t>(random()));
}

/// Whether `text` has the form of a job id: 1 to 32 lower-case hex digits.
bool IsJobId(const std::string& text) {
  if (text.empty() || text.size() > 32) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

base::Status Job::LockJobDirectory() {
  const std::string& directory = checkpoint_settings_.job_directory;
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("cannot create the checkpoint directory '{}': {}", directory, error.message()));
  }
  const std::string path = (std::filesystem::path(directory) / ".lock").string();
  int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  }
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
    int error_number = errno;
    char owner[256] = {};
    ssize_t read = ::pread(descriptor, owner, sizeof owner - 1, 0);
    ::close(descriptor);
    std::string who = read > 0 ? std::string(owner, static_cast<size_t>(read)) : std::string();
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    if (error_number != EWOULDBLOCK) {
      return base::Status::Error(base::ErrorCode::kIo, fmt::format("cannot lock '{}': {}", path,
                                                                   std::strerror(error_number)));
    }
    return base::Status::Error(
        base::ErrorCode::kRuntime,
        fmt::format("job '{}' is already running: its checkpoint directory '{}' is locked by "
                    "{}; stop that run first, or give this one another 'pipeline.name' or "
                    "--checkpoint-dir",
                    plan_.job_name, directory, who.empty() ? "another process" : who));
  }
  std::string owner = fmt::format("pid {} (job id {})\n", ::getpid(), job_id_);
  if (::ftruncate(descriptor, 0) != 0 ||
      ::pwrite(descriptor, owner.data(), owner.size(), 0) != static_cast<ssize_t>(owner.size())) {
    // The lock holds without the note; only the message of a second run is poorer.
  }
  lock_descriptor_ = descriptor;
  return base::Status::Ok();
}

std::string Job::LatestCheckpointDirectory() const {
  int64_t latest = coordinator_ ? coordinator_->last_completed() : 0;
  if (latest == 0) return {};
  return (std::filesystem::path(checkpoint_settings_.job_directory) / fmt::format("chk-{}", latest))
      .string();
}

base::Result<std::unique_ptr<state::StateBackend>> Job::MakeStateBackend(size_t runner,
                                                                         NativeRestore* restore) {
  auto option = [&](const char* key, const char* fallback) {
    auto found = plan_.options.find(key);
    return found == plan_.options.end() ? std::string(fallback) : found->second;
  };
  std::string type = option("state.backend.type", "memory");
  if (type == "memory" || type == "hashmap") return state::MakeMemoryStateBackend();
  if (type != "rocksdb") {
    return base::Status::Error(
        base::ErrorCode::kOption,
        fmt::format("state.backend.type '{}' is not a state backend (memory | rocksdb)", type));
  }
  if (state_directory_.empty()) {
    // One working directory per job run: <localdir>/<job>-<pid>-<counter>.
    static std::atomic<int> counter{0};
    std::filesystem::path local = option("state.backend.rocksdb.localdir", "");
    if (local.empty()) {
      std::error_code error;
      local = std::filesystem::temp_directory_path(error);
      if (error) local = "/tmp";  // $TMPDIR names no directory
      local /= "sluice";
    }
    std::string job = JobFileName(plan_.job_name);
    state_directory_ =
        (local / fmt::format("{}-{}-{}", job, ::getpid(), counter.fetch_add(1))).string();
  }
  state::RocksDbBackendOptions options;
  options.directory =
      (std::filesystem::path(state_directory_) / fmt::format("subtask-{}", runner)).string();
  if (restore != nullptr && options_.restore_from != nullptr && !restore->nodes.empty() &&
      options_.restore_from->metadata.format == "native" &&
      options_.restore_from->metadata.plan.max_parallelism == plan_.max_parallelism) {
    // Same key groups, same layout: the checkpoint's files become the working directory.
    SLUICE_ASSIGN_OR_RETURN(
        auto native, state::RestoreRocksDbBackendNatively(*options_.restore_from, restore->nodes,
                                                          restore->first, restore->last, options));
    if (native != nullptr) {
      base::CrashPoint("during-restore");
      restore->restored = true;
      return native;
    }
  }
  return state::MakeRocksDbStateBackend(options);
}

base::Result<std::unique_ptr<Job>> Job::Create(const plan::PlanGraph& plan,
                                               const JobOptions& options) {
  auto job = std::unique_ptr<Job>(new Job());
  job->timers_ = std::make_unique<TimerService>(
      options.services != nullptr ? &options.services->timers() : nullptr);
  SLUICE_RETURN_IF_ERROR(job->Build(plan, options));
  return job;
}

base::Status Job::Build(const plan::PlanGraph& plan, const JobOptions& options) {
  plan_ = plan;
  options_ = options;
  if (options_.shadow) options_.shadow->NewAttempt();
  // A job id read from a snapshot is kept only when it has the form this version gives them.
  job_id_ = IsJobId(options.job_id) ? options.job_id : NewJobId();
  // A plan read from JSON names its user functions; they load now, when the job is built, so
  // every chain compiled is the plan's own (CachingChainCompiler keys on its address).
  SLUICE_RETURN_IF_ERROR(expr::LinkUserFunctions(&plan_));
  SLUICE_RETURN_IF_ERROR(ReadCheckpointSettings());
  std::string local_time_zone = "UTC";
  if (auto zone = plan_.options.find("table.local-time-zone"); zone != plan_.options.end()) {
    auto resolved = expr::SessionTimeZoneId(zone->second);
    if (!resolved) {
      return base::Status::Error(base::ErrorCode::kOption, "no such time zone '" + zone->second +
                                                               "' for 'table.local-time-zone'");
    }
    local_time_zone = *resolved;
  }
  // Before anything touches the job directory or a sink recovers: one run per job at a time.
  if (checkpoint_settings_.interval_millis > 0) SLUICE_RETURN_IF_ERROR(LockJobDirectory());
  expr::ChainCompiler* chain_compiler = options.chain_compiler;
  operators::aggregate::AccumulatorCompiler* accumulator_compiler = options.accumulator_compiler;
  if (options.services != nullptr && chain_compiler == nullptr && accumulator_compiler == nullptr) {
    chain_compiler = options.services->chain_compiler();
    accumulator_compiler = options.services->accumulator_compiler();
  }
  const bool background = options.compile_in_background ||
                          (options.services != nullptr && options.chain_compiler == nullptr &&
                           options.services->compile_in_background());
  if (chain_compiler != nullptr) {
    compiler_cache_ = std::make_unique<CachingChainCompiler>(chain_compiler, background);
  }
  if (accumulator_compiler != nullptr) {
    accumulator_cache_ =
        std::make_unique<operators::aggregate::CachingAccumulatorCompiler>(accumulator_compiler);
  }
  const int32_t node_count = static_cast<int32_t>(plan_.nodes.size());
  for (int32_t i = 0; i < node_count; ++i) {
    metrics_.push_back(std::make_unique<operators::OperatorMetrics>());
    if (plan_.nodes[i].parallelism < 1) {
      return base::Status::Error(base::ErrorCode::kData,
                                 fmt::format("plan node '{}' has parallelism {}",
                                             plan_.nodes[i].uid, plan_.nodes[i].parallelism));
    }
  }

  // A node joins its upstream's vertex when it is that node's only consumer over a forward
  // edge at equal parallelism and has no other input.
  std::vector<int32_t> vertex_of(node_count, -1);
  auto chains_onto_upstream = [&](int32_t node) -> int32_t {
    auto inputs = plan_.InputsOf(node);
    if (inputs.size() != 1 || inputs[0]->exchange != plan::ExchangeKind::kForward) return -1;
    int32_t upstream = inputs[0]->source_node;
    if (plan_.OutputsOf(upstream).size() != 1) return -1;
    if (plan_.nodes[upstream].parallelism != plan_.nodes[node].parallelism) return -1;
    return upstream;
  };
  // Nodes are listed sources first and edges point forward, so one pass in order suffices.
  for (int32_t node = 0; node < node_count; ++node) {
    for (const plan::PlanEdge* edge : plan_.InputsOf(node)) {
      if (edge->source_node >= node) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "plan edges must point from earlier to later nodes");
      }
    }
    int32_t upstream = chains_onto_upstream(node);
    if (upstream >= 0) {
      vertex_of[node] = vertex_of[upstream];
      vertices_[vertex_of[node]].push_back(node);
    } else {
      vertex_of[node] = static_cast<int32_t>(vertices_.size());
      vertices_.push_back({node});
    }
  }

  // Create the runners, then their routes (which need every runner to exist).
  std::vector<size_t> first_runner(vertices_.size());
  for (size_t vertex = 0; vertex < vertices_.size(); ++vertex) {
    const plan::PlanNode& head = plan_.nodes[vertices_[vertex].front()];
    std::vector<SubtaskRunner::InputShape> inputs;
    if (head.kind != plan::OperatorKind::kSource) {
      auto edges = plan_.InputsOf(head.id);
      int32_t input_count = 0;
      for (const plan::PlanEdge* edge : edges)
        input_count = std::max(input_count, edge->target_input + 1);
      inputs.resize(input_count);
      for (const plan::PlanEdge* edge : edges) {
        inputs[edge->target_input].channels = edge->exchange == plan::ExchangeKind::kForward
                                                  ? 1
                                                  : plan_.nodes[edge->source_node].parallelism;
      }
      if (input_count == 0) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "plan node '" + head.uid + "' has no input");
      }
    }
    first_runner[vertex] = runners_.size();
    for (int32_t subtask = 0; subtask < head.parallelism; ++subtask) {
      const auto runner_index = static_cast<int32_t>(runners_.size());
      auto runner = std::make_unique<SubtaskRunner>(this, runner_index, subtask,
                                                    plan_.max_parallelism, inputs);
      bool stateful = false;
      for (int32_t node_id : vertices_[vertex]) stateful |= !plan_.nodes[node_id].state.empty();
      std::unique_ptr<state::StateBackend> local = AdoptLocalCopy(runner_index);
      bool restored_natively = false;
      const bool local_copy = local != nullptr;
      if (local_copy) {
        state_backends_.push_back(std::move(local));
      } else {
        NativeRestore native;
        bool backfilled = false;
        for (int32_t node_id : vertices_[vertex]) {
          if (!plan_.nodes[node_id].state.empty()) native.nodes.push_back(&plan_.nodes[node_id]);
          backfilled |= IsBackfilled(plan_.nodes[node_id]);
        }
        // A backfilled operator's state comes from another snapshot: load every table of the
        // runner one by one (RestoreState) rather than start it from the native files.
        if (backfilled) native.nodes.clear();
        std::tie(native.first, native.last) =
            state::KeyGroupRangeOf(subtask, head.parallelism, plan_.max_parallelism);
        SLUICE_ASSIGN_OR_RETURN(auto backend, MakeStateBackend(runners_.size(), &native));
        state_backends_.push_back(std::move(backend));
        restored_natively = native.restored;
      }
      state::StateBackend* state_backend = state_backends_.back().get();
      runner->SetStateBackend(state_backend, stateful);
      for (int32_t node_id : vertices_[vertex]) {
        const plan::PlanNode& node = plan_.nodes[node_id];
        operators::OperatorContext context;
        context.node = &node;
        context.subtask = {subtask, node.parallelism, plan_.job_name, job_id_};
        context.subtask.local_time_zone = local_time_zone;
        if (checkpoint_settings_.interval_millis > 0) {
          context.subtask.spool_directory =
              (std::filesystem::path(checkpoint_settings_.job_directory) / "spool" / node.uid)
                  .string();
        }
        context.max_parallelism = plan_.max_parallelism;
        context.chain_compiler = compiler_cache_.get();
        context.accumulator_compiler = accumulator_cache_.get();
        context.metrics = metrics_[node_id].get();
        context.state_backend = state_backend;
        context.checkpointing = checkpoint_settings_.interval_millis > 0;
        context.shadow = options_.shadow.get();
        SLUICE_RETURN_IF_ERROR(
            RestoreState(node, subtask, local_copy || restored_natively ? nullptr : state_backend,
                         &context));  // a local copy or a native checkpoint holds the state
        if (node.kind == plan::OperatorKind::kSource) {
          SLUICE_RETURN_IF_ERROR(OpenSource(node, context, runner.get()));
        } else {
          context.processing_time = runner->NextOperatorTimers();
          SLUICE_ASSIGN_OR_RETURN(auto op, operators::CreateOperator(node));
          SLUICE_RETURN_IF_ERROR(op->Open(context));
          runner->AddOperator(std::move(op), node.uid, context.metrics);
        }
      }
      runners_.push_back(std::move(runner));
      vertex_of_runner_.push_back(static_cast<int32_t>(vertex));
      subtask_of_runner_.push_back(subtask);
    }
  }
  for (size_t vertex = 0; vertex < vertices_.size(); ++vertex) {
    int32_t tail = vertices_[vertex].back();
    for (const plan::PlanEdge* edge : plan_.OutputsOf(tail)) {
      size_t target_vertex = vertex_of[edge->target_node];
      OutputRouter::Route route;
      route.exchange = edge->exchange;
      route.hash_slots = edge->hash_slots;
      route.target_input = edge->target_input;
      int32_t target_parallelism = plan_.nodes[edge->target_node].parallelism;
      for (int32_t subtask = 0; subtask < target_parallelism; ++subtask) {
        route.targets.push_back(runners_[first_runner[target_vertex] + subtask].get());
      }
      if (edge->exchange == plan::ExchangeKind::kForward &&
          target_parallelism != plan_.nodes[tail].parallelism) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "a forward edge connects nodes of different parallelism");
      }
      for (int32_t subtask = 0; subtask < plan_.nodes[tail].parallelism; ++subtask) {
        runners_[first_runner[vertex] + subtask]->router().AddRoute(route);
      }
    }
  }
  for (auto& runner : runners_) runner->Wire();
  int32_t threads = options.threads > 0           ? options.threads
                    : options.services != nullptr ? options.services->threads()
                                                  : tbb::this_task_arena::max_concurrency();
  arena_ = std::make_unique<tbb::task_arena>(threads);
  coordinator_ = std::make_unique<CheckpointCoordinator>(this, checkpoint_settings_,
                                                         static_cast<int32_t>(runners_.size()));
  coordinator_->set_listener(options.listener);
  coordinator_->set_shadow(options_.shadow.get());
  if (checkpoint_settings_.interval_millis > 0) SLUICE_RETURN_IF_ERROR(coordinator_->Prepare());
  return base::Status::Ok();
}

base::Status Job::ReadCheckpointSettings() {
  auto option = [&](const char* key) {
    auto found = plan_.options.find(key);
    return found == plan_.options.end() ? std::string() : found->second;
  };
  CheckpointSettings& settings = checkpoint_settings_;
  if (std::string interval = option("execution.checkpointing.interval"); !interval.empty()) {
    auto millis = base::ParseDurationMillis(interval);
    if (!millis) {
      return base::Status::Error(
          base::ErrorCode::kOption,
          fmt::format("invalid value '{}' for 'execution.checkpointing.interval'", interval));
    }
    settings.interval_millis = *millis;
  }
  settings.job_directory = CheckpointJobDirectory(plan_, options_.checkpoint_directory);
  if (std::string retained = option("state.checkpoints.num-retained"); !retained.empty()) {
    settings.retained = std::max(1, std::atoi(retained.c_str()));
  }
  settings.savepoint_directory = option("state.savepoints.dir");
  settings.local_recovery = option("state.backend.local-recovery") == "true";
  if (std::string format = option("state.savepoints.format"); !format.empty()) {
    settings.savepoint_format = format;
  }
  return base::Status::Ok();
}

base::Status Job::RestoreState(const plan::PlanNode& node, int32_t subtask,
                               state::StateBackend* backend, operators::OperatorContext* context) {
  const state::Snapshot* snapshot = options_.restore_from;
  if (snapshot == nullptr) return base::Status::Ok();
  context->restoring = true;
  if (!node.state.empty() && backend != nullptr) {
    auto [first, last] = state::KeyGroupRangeOf(subtask, node.parallelism, plan_.max_parallelism);
    // A backfilled operator's state is the replay's (written by this very plan's operators).
    const state::Snapshot* own = IsBackfilled(node) ? options_.backfill_from : snapshot;
    // Under another pipeline.max-parallelism the keys are dealt into the new key groups.
    SLUICE_RETURN_IF_ERROR(
        operators::RestoreOperatorState(*own, node, backend, first, last, plan_.max_parallelism));
    SLUICE_RETURN_IF_ERROR(backend->status());
    base::CrashPoint("during-restore");
  }
  auto transactions = snapshot->metadata.pending_sink_transactions.find(node.uid);
  if (transactions != snapshot->metadata.pending_sink_transactions.end()) {
    context->restored_transactions = transactions->second;
  }
  return base::Status::Ok();
}

bool Job::IsBackfilled(const plan::PlanNode& node) const {
  return options_.restore_from != nullptr && options_.backfill_from != nullptr &&
         options_.backfill_uids.count(node.uid) > 0;
}

base::Status Job::OpenSource(const plan::PlanNode& node, const operators::OperatorContext& context,
                             SubtaskRunner* runner) {
  SLUICE_ASSIGN_OR_RETURN(auto source, options_.source_factory
                                           ? options_.source_factory(node)
                                           : operators::CreateSourceOperator(node));
  SLUICE_RETURN_IF_ERROR(source->Open(context));
  if (options_.restore_from != nullptr) {
    // Split k of the snapshot goes to subtask k mod parallelism: at the same parallelism each
    // subtask gets its own split back; at another, the old splits are dealt out.
    const auto& offsets = options_.restore_from->metadata.source_offsets;
    auto found = offsets.find(node.uid);
    if (found != offsets.end()) {
      // A connector whose readers read several splits deals each split to the subtask that
      // would claim it (Connector::SplitOwner; the position is `watermark=…` then the split's).
      const connectors::Connector* connector = nullptr;
      if (auto name = node.table->options.find("connector"); name != node.table->options.end()) {
        connector = connectors::FindConnector(name->second);
      }
      std::vector<std::string> mine;
      for (size_t split = 0; split < found->second.size(); ++split) {
        const std::string& position = found->second[split];
        std::optional<int32_t> owner;
        if (connector != nullptr) {
          std::string reader_position = position.substr(position.find('\n') + 1);
          owner = connector->SplitOwner(
              *node.table, reader_position.substr(0, reader_position.find('\n')), node.parallelism);
        }
        if (owner.value_or(static_cast<int32_t>(split % node.parallelism)) ==
            context.subtask.index) {
          mine.push_back(position);
        }
      }
      base::Status restored = source->Restore(mine);
      if (!restored.ok()) {
        return base::Status::Error(
            restored.code(), fmt::format("source '{}' subtask {}: cannot continue from the "
                                         "snapshot's offsets: {}",
                                         node.uid, context.subtask.index, restored.message()));
      }
    }
  }
  runner->SetSource(std::move(source), node.uid, context.metrics);
  runner->SetIdleTimeout(node.idle_timeout);
  if (options_.shadow) {
    runner->SetShadow(options_.shadow.get());
    options_.shadow->ExpectSource(node.uid, context.subtask.index);
  }
  return base::Status::Ok();
}

std::unique_ptr<state::StateBackend> Job::AdoptLocalCopy(int32_t runner) {
  LocalState* local = options_.local_state.get();
  if (local == nullptr || options_.restore_from == nullptr ||
      options_.restore_from->metadata.id != local->checkpoint_id) {
    return nullptr;
  }
  auto found = local->backends.find(runner);
  // Intact: the copy had no I/O failure (a memory copy always is).
  if (found == local->backends.end() || !found->second->status().ok()) return nullptr;
  ++locally_recovered_;
  return std::move(found->second);
}

void Job::WakeSoon(SubtaskRunner* runner) {
  timers_->Add(TimerService::NowMillis(), [this, runner] { ScheduleFromTimer(runner); });
}

std::string Job::CaptureDirectory(int32_t runner, int64_t checkpoint) const {
  if (state_directory_.empty()) return {};
  return (std::filesystem::path(state_directory_) /
          fmt::format("capture-{}-{}", runner, checkpoint))
      .string();
}

void Job::InjectBarrier(int64_t checkpoint) {
  for (auto& runner : runners_) {
    if (runner->finished()) {
      if (runner->ClaimAck(checkpoint)) {
        coordinator_->Acknowledge(checkpoint, runner->TakeSnapshot(checkpoint));
      }
    } else if (runner->is_source()) {
      runner->RequestBarrier(checkpoint);
    }
  }
}

void Job::NotifyCheckpointComplete(int64_t checkpoint, operators::BarrierKind kind) {
  if (kind == operators::BarrierKind::kStopWithSavepoint) {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_checkpoint_ = checkpoint;
    stop_notifications_ = runners_.size();
  }
  for (auto& runner : runners_) runner->NotifyCheckpointComplete(checkpoint);
}

void Job::NotificationDelivered(int64_t checkpoint) {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stop_state_ != StopState::kStopping || stop_checkpoint_ == 0 ||
      checkpoint < stop_checkpoint_ || stop_notifications_ == 0) {
    return;
  }
  if (--stop_notifications_ == 0) {
    stop_state_ = StopState::kStopped;
    stop_changed_.notify_all();
  }
}

base::Result<std::string> Job::TakeSavepoint(const std::string& directory, bool native_if_rocksdb) {
  return coordinator_->TakeSavepoint(directory, operators::BarrierKind::kSavepoint,
                                     native_if_rocksdb);
}

base::Result<std::string> Job::TakeCheckpoint() {
  return coordinator_->TakeSavepoint({}, operators::BarrierKind::kCheckpoint);
}

base::Result<std::string> Job::TakeHandoverCheckpoint() {
  if (!options_.shadow || options_.shadow->live()) {
    return base::Status::Error(base::ErrorCode::kRuntime, "the job does not run in shadow");
  }
  SLUICE_ASSIGN_OR_RETURN(std::string path,
                          coordinator_->TakeSavepoint({}, operators::BarrierKind::kHandover));
  options_.shadow->SetLive();
  return path;
}

base::Result<std::string> Job::StopWithSavepoint(const std::string& directory,
                                                 bool native_if_rocksdb) {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (stop_state_ != StopState::kNone) {
      return base::Status::Error(base::ErrorCode::kRuntime, "the job is already stopping");
    }
    stop_state_ = StopState::kStopping;
    stop_checkpoint_ = 0;
  }
  auto path = coordinator_->TakeSavepoint(directory, operators::BarrierKind::kStopWithSavepoint,
                                          native_if_rocksdb);
  if (!path.ok()) {
    // Wake the stopped subtasks first (their wake-ups are timers), so that Run, once it sees
    // the stop is over, never takes an idle moment between the two for a stall.
    for (auto& runner : runners_) runner->ResumeAfterFailedStop();
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      stop_state_ = StopState::kNone;
      stop_changed_.notify_all();
    }
    return path.status();
  }
  // The sinks commit on their own tasks; the savepoint is the stop's once all of them have.
  std::unique_lock<std::mutex> lock(stop_mutex_);
  stop_changed_.wait(lock, [&] { return stop_state_ == StopState::kStopped || failed(); });
  if (stop_state_ == StopState::kStopped) {
    // Committed: the savepoint no longer holds output waiting for a commit. Should this fail,
    // the savepoint still restores exactly-once (its restore commits them again, idempotently).
    (void)state::ForgetCommittedTransactions(*path);
    return path;
  }
  {
    std::lock_guard<std::mutex> failure_lock(failure_mutex_);
    return base::Status::Error(
        failure_.code(),
        fmt::format("the savepoint '{}' was written but the job failed before its sinks "
                    "committed ({}): restoring from it commits their output",
                    *path, failure_.message()));
  }
  return path;
}

bool Job::stopped_with_savepoint() const {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  return stop_state_ == StopState::kStopped;
}

std::vector<state::SubtaskState> Job::StateOf(int32_t runner, state::StateBackend* backend) const {
  std::vector<state::SubtaskState> states;
  const auto& vertex = vertices_[vertex_of_runner_[runner]];
  int32_t subtask = subtask_of_runner_[runner];
  int32_t parallelism = plan_.nodes[vertex.front()].parallelism;
  for (int32_t node_id : vertex) {
    const plan::PlanNode& node = plan_.nodes[node_id];
    if (node.state.empty()) continue;
    auto [first, last] = state::KeyGroupRangeOf(subtask, parallelism, plan_.max_parallelism);
    states.push_back({node.uid, subtask, backend, first, last});
  }
  return states;
}

void Job::Spawn(SubtaskRunner* runner) {
  group_.run([runner] { runner->Run(); });
}

void Job::ScheduleFromTimer(SubtaskRunner* runner) {
  if (failed()) return;
  // Spawning joins the arena so the task runs on its workers and the task group tracks it.
  arena_->execute([runner] { runner->Schedule(); });
}

void Job::Fail(const base::Status& status) {
  {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    if (!failed_.load()) {
      failure_ = status;
      failed_.store(true, std::memory_order_release);
    }
  }
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_changed_.notify_all();
  }
  // No more timers; wakes Run if it waits for one.
  timers_->Stop();
}

bool Job::AllFinished() const {
  for (const auto& runner : runners_) {
    if (!runner->finished()) return false;
  }
  return true;
}

void Job::Cancel() {
  Fail(base::Status::Error(base::ErrorCode::kRuntime, "the job was cancelled"));
}

JobProgress Job::progress() const {
  JobProgress progress;
  int64_t sink_watermark = operators::kMaxWatermark;
  bool any_sink = false;
  for (const plan::PlanNode& node : plan_.nodes) {
    const operators::OperatorMetrics& metrics = *metrics_[node.id];
    if (node.kind == plan::OperatorKind::kSource) progress.rows_in += metrics.rows_in.load();
    progress.late_records_dropped += metrics.late_records_dropped.load();
    if (node.kind == plan::OperatorKind::kSink) {
      progress.rows_out += metrics.rows_out.load();
      sink_watermark = std::min(sink_watermark, metrics.watermark.load());
      any_sink = true;
    }
  }
  progress.watermark = any_sink ? sink_watermark : operators::kMinWatermark;
  progress.last_checkpoint = coordinator_->last_completed();
  return progress;
}

std::vector<state::SubtaskState> Job::StateOfSubtasks() const {
  std::vector<state::SubtaskState> states;
  for (size_t runner = 0; runner < runners_.size(); ++runner) {
    for (state::SubtaskState& subtask :
         StateOf(static_cast<int32_t>(runner), state_backends_[runner].get())) {
      states.push_back(std::move(subtask));
    }
  }
  return states;
}

std::map<std::string, std::vector<std::string>> Job::SourcePositions() const {
  std::map<std::string, std::map<int32_t, std::vector<std::string>>> by_subtask;
  for (size_t runner = 0; runner < runners_.size(); ++runner) {
    auto [uid, positions] = runners_[runner]->SourcePositions();
    if (uid.empty()) continue;
    auto& mine = by_subtask[uid][subtask_of_runner_[runner]];
    mine.insert(mine.end(), positions.begin(), positions.end());
  }
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [uid, subtasks] : by_subtask) {
    for (auto& [subtask, positions] : subtasks) {
      out[uid].insert(out[uid].end(), positions.begin(), positions.end());
    }
  }
  return out;
}

std::string Job::DescribeVertices() const {
  std::string out;
  for (const auto& vertex : vertices_) {
    if (!out.empty()) out += "; ";
    for (size_t i = 0; i < vertex.size(); ++i) {
      if (i > 0) out += " -> ";
      out += plan_.nodes[vertex[i]].uid;
    }
    out += fmt::format(" (x{})", plan_.nodes[vertex.front()].parallelism);
  }
  return out;
}

JobMetrics Job::Metrics() const {
  JobMetrics metrics;
  for (const plan::PlanNode& node : plan_.nodes) {
    const operators::OperatorMetrics& counters = *metrics_[node.id];
    OperatorMetricsValues values;
    values.uid = node.uid;
    values.kind = node.kind;
    values.parallelism = node.parallelism;
    values.rows_in = counters.rows_in.load();
    values.rows_out = counters.rows_out.load();
    values.watermark = counters.watermark.load();
    values.late_records_dropped = counters.late_records_dropped.load();
    metrics.operators.push_back(std::move(values));
  }
  size_t runner = 0;
  for (const auto& vertex : vertices_) {
    VertexMetrics values;
    for (int32_t node : vertex) values.uids.push_back(plan_.nodes[node].uid);
    values.parallelism = plan_.nodes[vertex.front()].parallelism;
    for (int32_t subtask = 0; subtask < values.parallelism && runner < runners_.size();
         ++subtask, ++runner) {
      values.subtasks.push_back(runners_[runner]->Metrics());
    }
    metrics.vertices.push_back(std::move(values));
  }
  metrics.checkpoints = coordinator_->History();
  metrics.completed_checkpoints = coordinator_->completed();
  metrics.failed_checkpoints = coordinator_->failed();
  return metrics;
}

base::Status Job::Run() {
  coordinator_->Start();
  arena_->execute([this] {
    for (auto& runner : runners_) {
      if (runner->is_source()) runner->Schedule();
    }
  });
  for (;;) {
    uint64_t fired = timers_->fired();
    arena_->execute([this] { group_.wait(); });
    if (failed() || AllFinished() || stopped_with_savepoint()) break;
    {
      // Stopping with a savepoint: the stopped subtasks wait for the coordinator, which
      // schedules them (through the timer thread) to commit; wake up for that or a failure.
      std::unique_lock<std::mutex> lock(stop_mutex_);
      if (stop_state_ == StopState::kStopping) {
        stop_changed_.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
    }
    // No task is running: only a processing-time timer can make progress now. Wait for one to
    // fire (its task is then in the group); none pending means the job stalled.
    if (!timers_->WaitForFiring(fired)) {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      if (stop_state_ == StopState::kNone) break;
    }
  }
  if (!failed() && AllFinished() && !stopped_with_savepoint() &&
      checkpoint_settings_.interval_millis > 0) {
    // The sinks commit what they wrote since the last checkpoint.
    base::Status final_checkpoint = coordinator_->FinalCheckpoint();
    if (!final_checkpoint.ok()) {
      Fail(base::Status::Error(
          final_checkpoint.code(),
          fmt::format("the final checkpoint failed: {}; exactly-once output written since the "
                      "last completed checkpoint is not committed: run again with --resume once "
                      "the cause is fixed",
                      final_checkpoint.message())));
    }
  }
  coordinator_->Stop();
  timers_->Shutdown();
  arena_->execute([this] { group_.wait(); });
  done_.store(true);
  if (failed()) {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    return failure_;
  }
  if (!AllFinished() && !stopped_with_savepoint()) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "the job stalled: a subtask is neither finished nor runnable");
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::scheduler
