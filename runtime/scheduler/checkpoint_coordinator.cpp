#include "runtime/scheduler/checkpoint_coordinator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "catalog/base/crash_point.h"
#include "runtime/scheduler/job.h"
#include "runtime/state/incremental_checkpoint.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::scheduler {

namespace fs = std::filesystem;

namespace {

/// The number n of a `chk-<n>` directory name, or 0.
int64_t CheckpointNumber(const std::string& name) {
  if (name.rfind("chk-", 0) != 0 || name.size() == 4) return 0;
  int64_t number = 0;
  for (size_t i = 4; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || number > (int64_t{1} << 50)) return 0;
    number = number * 10 + (name[i] - '0');
  }
  return number;
}

bool HasMetadata(const fs::path& directory) {
  std::error_code error;
  return fs::is_regular_file(directory / "_metadata", error);
}

/// The system's temporary directory, or /tmp when $TMPDIR names none.
fs::path TemporaryDirectory() {
  std::error_code error;
  fs::path directory = fs::temp_directory_path(error);
  return error ? fs::path("/tmp") : directory;  // $TMPDIR names no directory
}

}  // namespace

std::string JobFileName(const std::string& job_name) {
  std::string name = job_name.empty() ? "job" : job_name;
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ' ') c = '_';
  }
  return name;
}

std::string CheckpointJobDirectory(const plan::PlanGraph& plan,
                                   const std::string& override_directory) {
  fs::path directory = override_directory;
  if (directory.empty()) {
    auto option = plan.options.find("state.checkpoints.dir");
    if (option != plan.options.end()) directory = option->second;
  }
  if (directory.empty()) directory = TemporaryDirectory() / "sluice" / "checkpoints";
  return (directory / JobFileName(plan.job_name)).string();
}

std::vector<std::string> CompletedCheckpoints(const std::string& job_directory) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code error;
  fs::directory_iterator end;
  for (fs::directory_iterator it(job_directory, error); !error && it != end; it.increment(error)) {
    int64_t number = CheckpointNumber(it->path().filename().string());
    if (number > 0 && HasMetadata(it->path())) found.emplace_back(number, it->path().string());
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> directories;
  for (auto& [number, directory] : found) directories.push_back(std::move(directory));
  return directories;
}

CheckpointCoordinator::CheckpointCoordinator(Job* job, CheckpointSettings settings, int32_t runners)
    : job_(job), settings_(std::move(settings)), runners_(runners) {}

CheckpointCoordinator::~CheckpointCoordinator() {
  Stop();
}

base::Status CheckpointCoordinator::Prepare() {
  if (settings_.job_directory.empty()) return base::Status::Ok();
  std::error_code error;
  fs::create_directories(settings_.job_directory, error);
  if (error) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot create the checkpoint directory '{}': {}",
                                           settings_.job_directory, error.message()));
  }
  std::vector<fs::path> incomplete;
  fs::directory_iterator end;
  for (fs::directory_iterator it(settings_.job_directory, error); !error && it != end;
       it.increment(error)) {
    int64_t number = CheckpointNumber(it->path().filename().string());
    if (number == 0) continue;
    next_id_ = std::max(next_id_, number + 1);
    // Without `_metadata` it never completed: a crashed run's leftovers.
    if (!HasMetadata(it->path())) incomplete.push_back(it->path());
  }
  if (error) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot list the checkpoint directory '{}': {}",
                                           settings_.job_directory, error.message()));
  }
  for (const fs::path& directory : incomplete) fs::remove_all(directory, error);
  return base::Status::Ok();
}

void CheckpointCoordinator::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void CheckpointCoordinator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_) {
    pending_.reset();
    in_flight_.store(0);
  }
  if (savepoint_request_ != nullptr) {
    savepoint_request_->result = base::Status::Error(
        base::ErrorCode::kRuntime, "the job ended before the savepoint was complete");
    savepoint_request_->done = true;
    savepoint_request_ = nullptr;
    changed_.notify_all();
  }
}

void CheckpointCoordinator::Acknowledge(int64_t checkpoint, SubtaskSnapshot snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_ || pending_->id != checkpoint) return;  // abandoned
  pending_->acks.push_back(std::move(snapshot));
  if (static_cast<int32_t>(pending_->acks.size()) == runners_) {
    in_flight_.store(0);
    changed_.notify_all();
  }
}

void CheckpointCoordinator::Trigger(std::unique_lock<std::mutex>& lock, Kind kind,
                                    const std::string& directory, bool native_if_rocksdb) {
  Pending pending;
  pending.id = next_id_++;
  pending.kind = kind;
  pending.native_if_rocksdb = native_if_rocksdb;
  pending.directory =
      directory.empty()
          ? (fs::path(settings_.job_directory) / fmt::format("chk-{}", pending.id)).string()
          : directory;
  pending.triggered_millis = TimerService::NowMillis();
  int64_t id = pending.id;
  pending_ = std::move(pending);
  in_flight_kind_.store(kind);
  in_flight_.store(id);
  lock.unlock();
  job_->InjectBarrier(id);
  lock.lock();
}

std::string CheckpointCoordinator::SavepointDirectoryUnder(const std::string& parent,
                                                           int64_t id) const {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  // The job id keeps two runs that stop within one second (numbering from 1 each) apart.
  return (fs::path(parent) / fmt::format("savepoint-{}-{}-{}-{}",
                                         JobFileName(job_->plan().job_name), stamp, job_->job_id(),
                                         id))
      .string();
}

void CheckpointCoordinator::Loop() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(settings_.interval_millis);
  auto next_periodic = Clock::now() + interval;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (pending_ && static_cast<int32_t>(pending_->acks.size()) == runners_) {
      Pending done = std::move(*pending_);
      pending_.reset();
      Kind kind = done.kind;
      const int64_t id = done.id;
      lock.unlock();
      base::Result<std::string> result = Complete(std::move(done));
      lock.lock();
      if (kind == Kind::kStopWithSavepoint && result.ok()) stopped_with_savepoint_ = true;
      if (savepoint_request_ != nullptr && savepoint_request_->triggered &&
          savepoint_request_->id == id) {
        savepoint_request_->result = std::move(result);
        savepoint_request_->done = true;
        savepoint_request_ = nullptr;
        changed_.notify_all();
      }
      next_periodic = std::max(next_periodic, Clock::now() + interval / 2);
      continue;
    }
    if (stopping_) return;
    if (!pending_ && savepoint_request_ != nullptr && !savepoint_request_->triggered) {
      savepoint_request_->triggered = true;
      savepoint_request_->id = next_id_;  // Trigger numbers it so
      std::string parent = savepoint_request_->parent;
      Kind kind = savepoint_request_->kind;
      Trigger(lock, kind,
              operators::IsCheckpointKind(kind) ? std::string()
                                                : SavepointDirectoryUnder(parent, next_id_),
              savepoint_request_->native_if_rocksdb);
      continue;
    }
    const bool in_shadow = shadow_ != nullptr && !shadow_->live();
    if (!pending_ && settings_.interval_millis > 0 && !stopped_with_savepoint_ && !in_shadow &&
        Clock::now() >= next_periodic) {
      next_periodic = Clock::now() + interval;
      Trigger(lock, Kind::kCheckpoint, {});
      continue;
    }
    if (settings_.interval_millis > 0 && !pending_) {
      changed_.wait_until(lock, next_periodic);
    } else {
      changed_.wait(lock);
    }
  }
}

base::Result<std::string> CheckpointCoordinator::Write(
    Pending& pending, std::map<std::string, int64_t>* state_bytes) {
  const plan::PlanGraph& plan = job_->plan();
  // Source splits by subtask, so that split k of a subtask-ordered list is subtask k's own.
  std::map<std::string, std::map<int32_t, std::vector<std::string>>> splits;
  state::SnapshotOptions options;
  options.job_id = job_->job_id();
  options.id = operators::IsCheckpointKind(pending.kind)
                   ? fmt::format("chk-{}", pending.id)
                   : fs::path(pending.directory).filename().string();
  std::vector<state::SubtaskState> subtasks;
  bool any_state = false;
  for (SubtaskSnapshot& ack : pending.acks) {
    if (!ack.status.ok()) return ack.status;
    if (ack.state) {
      any_state = true;
      for (state::SubtaskState& subtask : job_->StateOf(ack.runner, ack.state.get())) {
        subtasks.push_back(std::move(subtask));
      }
    }
    for (auto& [uid, position] : ack.source_positions) {
      splits[uid][ack.subtask].push_back(std::move(position));
    }
    for (const auto& [uid, transaction] : ack.transactions) {
      options.pending_sink_transactions[uid].push_back(transaction);
    }
  }
  for (auto& [uid, by_subtask] : splits) {
    for (auto& [subtask, positions] : by_subtask) {
      for (std::string& position : positions) options.source_offsets[uid].push_back(position);
    }
  }
  auto write = [&]() -> base::Result<state::SnapshotMetadata> {
    if (operators::IsCheckpointKind(pending.kind) && RocksDbState() && any_state) {
      // Incremental: only SST files new since the retained checkpoints are copied.
      return state::WriteIncrementalCheckpoint(
          pending.directory, (fs::path(settings_.job_directory) / "shared").string(), plan,
          subtasks, options);
    }
    const bool native =
        settings_.savepoint_format == "native" || (pending.native_if_rocksdb && RocksDbState());
    if (!operators::IsCheckpointKind(pending.kind) && native && any_state) {
      return state::WriteNativeSnapshot(pending.directory, plan, subtasks, options);
    }
    return state::WriteCanonicalSnapshot(pending.directory, plan, subtasks, options);
  };
  auto written = write();
  if (!written.ok()) return written.status();
  for (const state::StateHandle& handle : written->handles) {
    (*state_bytes)[handle.uid] += handle.bytes;
  }
  return pending.directory;
}

bool CheckpointCoordinator::RocksDbState() const {
  auto backend = job_->plan().options.find("state.backend.type");
  return backend != job_->plan().options.end() && backend->second == "rocksdb";
}

base::Result<std::string> CheckpointCoordinator::Complete(Pending pending) {
  const int64_t id = pending.id;
  const bool savepoint = !operators::IsCheckpointKind(pending.kind);
  const std::string directory = pending.directory;
  CheckpointStats stats;
  stats.id = id;
  stats.kind = pending.kind;
  stats.triggered_millis = pending.triggered_millis;
  for (const SubtaskSnapshot& ack : pending.acks) {
    stats.alignment_millis = std::max(stats.alignment_millis, ack.alignment_millis);
  }
  base::Result<std::string> written = Write(pending, &stats.state_bytes);
  // Only memory copies can become a live backend again (a rocksdb copy is read-only; a
  // rocksdb restart starts from the checkpoint's files by hard links instead).
  if (written.ok() && !savepoint && settings_.local_recovery && !RocksDbState()) {
    auto local = std::make_unique<LocalState>();
    local->checkpoint_id = fmt::format("chk-{}", id);
    for (SubtaskSnapshot& ack : pending.acks) {
      if (ack.state) local->backends[ack.runner] = std::move(ack.state);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    local_state_ = std::move(local);  // the previous copies go
  }
  pending.acks.clear();  // captured copies go (rocksdb ones remove their scratch directories)
  stats.duration_millis = TimerService::NowMillis() - stats.triggered_millis;
  if (!written.ok()) {
    std::error_code error;
    if (!HasMetadata(directory)) fs::remove_all(directory, error);
    stats.failure = written.status().message();
    failed_.fetch_add(1);
    Record(
        stats,
        fmt::format("{} {} failed: {}{}", savepoint ? "savepoint" : "checkpoint", id, stats.failure,
                    savepoint ? "" : " (the job goes on; the last completed checkpoint stays)"));
    return written.status();
  }
  stats.completed = true;
  stats.path = directory;
  stats.size_bytes = DirectorySize(directory);
  completed_.fetch_add(1);
  if (!savepoint) last_completed_.store(id);
  if (!savepoint) RemoveOldCheckpoints();
  Record(stats,
         fmt::format("{} {} complete: {}", savepoint ? "savepoint" : "checkpoint", id, directory));
  // A savepoint taken while the job goes on commits nothing: what the sinks pre-committed at
  // its barrier is committed by the next checkpoint (Commit(n) commits everything up to n).
  base::CrashPoint("after-metadata");
  if (pending.kind != Kind::kSavepoint) job_->NotifyCheckpointComplete(id, pending.kind);
  return written;
}

void CheckpointCoordinator::Record(const CheckpointStats& stats, std::string text) {
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    history_.push_back(stats);
    if (history_.size() > kHistoryLength) history_.pop_front();
  }
  if (!listener_) return;
  JobEvent event;
  event.kind = JobEvent::Kind::kCheckpoint;
  event.text = std::move(text);
  event.checkpoint = stats;
  listener_(event);
}

std::vector<CheckpointStats> CheckpointCoordinator::History() const {
  std::lock_guard<std::mutex> lock(history_mutex_);
  return {history_.begin(), history_.end()};
}

int64_t CheckpointCoordinator::DirectorySize(const std::string& directory) {
  int64_t size = 0;
  std::error_code error;
  fs::recursive_directory_iterator end;
  for (fs::recursive_directory_iterator it(directory, error); !error && it != end;
       it.increment(error)) {
    std::error_code file_error;
    if (it->is_regular_file(file_error)) {
      auto bytes = it->file_size(file_error);
      if (!file_error) size += static_cast<int64_t>(bytes);
    }
  }
  return size;
}

void CheckpointCoordinator::RemoveOldCheckpoints() {
  std::vector<std::pair<int64_t, fs::path>> completed;
  std::error_code error;
  fs::directory_iterator end;
  for (fs::directory_iterator it(settings_.job_directory, error); !error && it != end;
       it.increment(error)) {
    int64_t number = CheckpointNumber(it->path().filename().string());
    if (number > 0 && HasMetadata(it->path())) completed.emplace_back(number, it->path());
  }
  std::sort(completed.begin(), completed.end());
  size_t keep = static_cast<size_t>(std::max(settings_.retained, 1));
  for (size_t i = 0; i + keep < completed.size(); ++i) {
    // `_metadata` goes first, so a half-deleted checkpoint is never taken for a complete one.
    fs::remove(completed[i].second / "_metadata", error);
    fs::remove_all(completed[i].second, error);
  }
  // Shared SST files no retained checkpoint names (no checkpoint is being written now).
  base::Status collected = state::RemoveUnreferencedSharedFiles(settings_.job_directory);
  if (!collected.ok() && listener_) {
    JobEvent event;
    event.kind = JobEvent::Kind::kWarning;
    event.text = "shared checkpoint files were kept: " + collected.message();
    listener_(event);
  }
}

std::unique_ptr<LocalState> CheckpointCoordinator::TakeLocalState() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(local_state_);
}

base::Result<std::string> CheckpointCoordinator::TakeSavepoint(const std::string& directory,
                                                               Kind kind, bool native_if_rocksdb) {
  SavepointRequest request;
  request.kind = kind;
  request.native_if_rocksdb = native_if_rocksdb;
  request.parent = directory.empty() ? settings_.savepoint_directory : directory;
  if (operators::IsCheckpointKind(kind) && settings_.job_directory.empty()) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "a checkpoint needs 'execution.checkpointing.interval'");
  }
  if (request.parent.empty() && !operators::IsCheckpointKind(kind)) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "no savepoint directory: set 'state.savepoints.dir'");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return savepoint_request_ == nullptr || stopping_; });
  if (stopping_ || !thread_.joinable() || stopped_with_savepoint_) {
    return base::Status::Error(base::ErrorCode::kRuntime,
                               "the job is not running: no savepoint was taken");
  }
  savepoint_request_ = &request;
  changed_.notify_all();
  changed_.wait(lock, [&] { return request.done; });
  return std::move(request.result);
}

base::Status CheckpointCoordinator::FinalCheckpoint() {
  Stop();
  std::unique_lock<std::mutex> lock(mutex_);
  Trigger(lock, Kind::kCheckpoint, {});
  if (!pending_ || static_cast<int32_t>(pending_->acks.size()) != runners_) {
    pending_.reset();
    in_flight_.store(0);
    return base::Status::Error(base::ErrorCode::kInternal,
                               "the final checkpoint found a subtask still running");
  }
  Pending done = std::move(*pending_);
  pending_.reset();
  lock.unlock();
  return Complete(std::move(done)).status();
}

}  // namespace sluice::runtime::scheduler
