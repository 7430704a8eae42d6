#include "tools/sluice/server/job_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "catalog/base/diagnostic.h"
#include "catalog/base/duration.h"
#include "compiler/check/compat_check.h"
#include "compiler/check/restore_gate.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/scheduler/checkpoint_coordinator.h"
#include "runtime/scheduler/job.h"
#include "runtime/scheduler/job_supervisor.h"
#include "runtime/state/snapshot.h"
#include "tools/sluice/server/prometheus_text.h"
#include "tools/sluice/server/served_job.h"
#include "tools/sluice/server/server_support.h"

namespace sluice::server {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::scheduler::JobEvent;
using runtime::scheduler::JobState;
using runtime::scheduler::JobSupervisor;
using namespace support;  // NOLINT: the server's small helpers

namespace {

constexpr size_t kEventsKept = 100;

/// A watermark in milliseconds, or null: none yet, or the end of the input (the job ended).
json Watermark(int64_t watermark) {
  if (watermark == runtime::operators::kMinWatermark ||
      watermark == runtime::operators::kMaxWatermark) {
    return nullptr;
  }
  return watermark;
}

const char* EventKindName(JobEvent::Kind kind) {
  switch (kind) {
    case JobEvent::Kind::kState: return "state";
    case JobEvent::Kind::kNote: return "note";
    case JobEvent::Kind::kReport: return "report";
    case JobEvent::Kind::kWarning: return "warning";
    case JobEvent::Kind::kCheckpoint: return "checkpoint";
    case JobEvent::Kind::kRestart: return "restart";
  }
  return "note";
}

json CheckpointJson(const runtime::scheduler::CheckpointStats& stats) {
  json item = {{"id", stats.id},
               {"kind", stats.kind == runtime::operators::BarrierKind::kHandover ? "handover"
                        : runtime::operators::IsCheckpointKind(stats.kind)       ? "checkpoint"
                                                                                 : "savepoint"},
               {"completed", stats.completed},
               {"triggered_millis", stats.triggered_millis},
               {"duration_millis", stats.duration_millis},
               {"size_bytes", stats.size_bytes},
               {"alignment_millis", stats.alignment_millis}};
  if (stats.completed) item["path"] = stats.path;
  if (!stats.failure.empty()) item["failure"] = stats.failure;
  return item;
}

}  // namespace

JobServer::JobServer(ServerOptions options) : options_(std::move(options)) {}

base::Result<std::unique_ptr<JobServer>> JobServer::Open(ServerOptions options) {
  if (options.state_directory.empty()) {
    return base::Status::Error(base::ErrorCode::kOption, "the server needs a state directory");
  }
  auto interval = base::ParseDurationMillis(options.default_checkpoint_interval);
  if (!interval) {
    return base::Status::Error(base::ErrorCode::kOption,
                               fmt::format("--checkpoint-interval: '{}' is not a duration",
                                           options.default_checkpoint_interval));
  }
  std::unique_ptr<JobServer> server(new JobServer(std::move(options)));
  std::error_code error;
  fs::path state = fs::absolute(server->options_.state_directory, error).lexically_normal();
  server->jobs_directory_ = (state / "jobs").string();
  server->data_directory_ = (state / "data").string();
  for (const std::string& directory : {server->jobs_directory_, server->data_directory_}) {
    fs::create_directories(directory, error);
    if (error) {
      return base::Status::Error(
          base::ErrorCode::kIo,
          fmt::format("cannot create the state directory '{}': {}", directory, error.message()));
    }
  }
  // One server per state directory: a second would resume the same jobs.
  const std::string lock_path = (state / "server.lock").string();
  server->lock_descriptor_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (server->lock_descriptor_ < 0) {
    return base::Status::Error(
        base::ErrorCode::kIo, fmt::format("cannot open '{}': {}", lock_path, std::strerror(errno)));
  }
  if (::flock(server->lock_descriptor_, LOCK_EX | LOCK_NB) != 0) {
    char owner[64] = {0};
    ssize_t n = ::pread(server->lock_descriptor_, owner, sizeof owner - 1, 0);
    (void)n;
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("another sluice serve uses the state directory '{}' ({})", state.string(),
                    std::string(owner).empty() ? "its lock is held" : Trimmed(owner)));
  }
  {
    std::string owner = fmt::format("pid {}\n", ::getpid());
    if (::ftruncate(server->lock_descriptor_, 0) == 0) {
      ssize_t n = ::pwrite(server->lock_descriptor_, owner.data(), owner.size(), 0);
      (void)n;
    }
  }
  server->roots_.push_back(fs::weakly_canonical(state, error).string());
  for (const std::string& allowed : server->options_.allowed_paths) {
    fs::path canonical = fs::weakly_canonical(fs::absolute(allowed, error), error);
    if (error || !fs::is_directory(canonical, error)) {
      return base::Status::Error(base::ErrorCode::kOption,
                                 fmt::format("--allow-path '{}' is not a directory", allowed));
    }
    server->roots_.push_back(canonical.string());
  }
  server->started_millis_ = NowMillis();
  SLUICE_RETURN_IF_ERROR(server->LoadRecords());
  return server;
}

JobServer::~JobServer() {
  std::vector<std::shared_ptr<ServedJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    jobs = jobs_;
  }
  for (const auto& job : jobs) {
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      job->detached = true;
    }
    if (job->supervisor) job->supervisor->Cancel();
    if (job->shadow_supervisor) job->shadow_supervisor->Cancel();
  }
  for (const auto& job : jobs) {
    if (job->thread.joinable()) job->thread.join();
    std::thread shadow;
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      shadow = std::move(job->shadow_thread);
    }
    if (shadow.joinable()) shadow.join();
  }
  if (lock_descriptor_ >= 0) ::close(lock_descriptor_);  // releases the flock
}

void JobServer::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::shared_ptr<JobServer::ServedJob> JobServer::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& job : jobs_) {
    if (job->id == id) return job;
  }
  return nullptr;
}

std::optional<ApiResponse> JobServer::CheckPath(const std::string& path,
                                                const std::string& what) const {
  std::string local = path;
  if (local.rfind("file://", 0) == 0) local = local.substr(7);
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(fs::absolute(local, error), error);
  if (!error) {
    for (const std::string& root : roots_) {
      const fs::path base(root);
      auto mismatch =
          std::mismatch(base.begin(), base.end(), canonical.begin(), canonical.end()).first;
      if (mismatch == base.end()) return std::nullopt;
    }
  }
  std::string roots;
  for (const std::string& root : roots_) roots += (roots.empty() ? "" : ", ") + root;
  return Error(403, "path",
               fmt::format("{} '{}' is outside the directories this server lets jobs use ({}); "
                           "start the server with --allow-path DIR to allow another",
                           what, path, roots));
}

std::optional<ApiResponse> JobServer::CompileJob(ServedJob* job) const {
  compiler::CompileOptions options;
  // Relative table paths resolve against the data directory, as if the file were there.
  options.file_name = (fs::path(data_directory_) / job->file_name).string();
  options.overrides = job->settings;
  if (job->parallelism > 0) {
    options.overrides["parallelism.default"] = std::to_string(job->parallelism);
  }
  options.allow_user_functions = options_.allow_user_functions;
  base::Result<compiler::CompiledScript> compiled = [&] {
    std::lock_guard<std::mutex> lock(compile_mutex_);
    return compiler::CompileScript(job->pipe, options);
  }();
  if (!compiled.ok()) return DiagnosticsError(compiled.status(), job->file_name, job->pipe);
  if (compiled->plan.nodes.empty()) {
    return Error(400, "plan",
                 fmt::format("{} has no INSERT INTO statement; nothing to run", job->file_name));
  }
  runtime::plan::PlanGraph plan = std::move(compiled->plan);
  // Every file the job touches lies where the server lets jobs go.
  for (const runtime::plan::PlanNode& node : plan.nodes) {
    if (!node.table) continue;
    auto path = node.table->options.find("path");
    if (path == node.table->options.end()) continue;
    if (auto refused = CheckPath(path->second, fmt::format("table '{}': path", node.table->name)))
      return refused;
  }
  for (const char* key : {"state.checkpoints.dir", "state.savepoints.dir"}) {
    auto directory = plan.options.find(key);
    if (directory == plan.options.end()) continue;
    if (auto refused = CheckPath(directory->second, key)) return refused;
  }
  // A job the server runs checkpoints and can be stopped with a savepoint unless it says
  // otherwise; both go under its own directory.
  if (!plan.options.count("execution.checkpointing.interval")) {
    plan.options["execution.checkpointing.interval"] = options_.default_checkpoint_interval;
  }
  if (!plan.options.count("state.savepoints.dir")) {
    plan.options["state.savepoints.dir"] = (job->directory / "savepoints").string();
  }
  job->checkpoint_directory = plan.options.count("state.checkpoints.dir")
                                  ? ""
                                  : (job->directory / job->CheckpointDirectoryName()).string();
  job->plan = std::move(plan);
  return std::nullopt;
}

void JobServer::Persist(ServedJob* job) const {
  // Called with job->mutex held.
  base::Status written = WriteAtomically(job->directory / "job.json", job->Record().dump(2));
  if (!written.ok()) Log(fmt::format("job {}: {}", job->id, written.message()));
}

ApiResponse JobServer::Submit(const json& request) {
  if (!request.is_object()) return Error(400, "request", "the body must be a JSON object");
  auto job = std::make_shared<ServedJob>();
  ApiResponse error;
  job->file_name = "job.pipe";
  if (!StringMember(request, "pipe", &job->pipe, &error) ||
      !StringMember(request, "name", &job->file_name, &error) ||
      !StringMember(request, "from", &job->from, &error) ||
      !BoolMember(request, "allow_dropped_state", &job->allow_dropped_state, &error)) {
    return error;
  }
  if (!request.contains("pipe")) return Error(400, "request", "'pipe' (the .pipe text) is missing");
  if (job->pipe.size() > options_.max_pipe_bytes) {
    return Error(413, "request",
                 fmt::format("the .pipe text has {} bytes; the limit is {}", job->pipe.size(),
                             options_.max_pipe_bytes));
  }
  if (!IsPlainFileName(job->file_name)) {
    return Error(
        400, "request",
        fmt::format("'name' must be a file name without directories, got '{}'", job->file_name));
  }
  if (auto settings = request.find("settings"); settings != request.end() && !settings->is_null()) {
    if (!settings->is_object()) {
      return Error(400, "request", "'settings' must be an object of KEY: VALUE strings");
    }
    for (auto& [key, value] : settings->items()) {
      if (!value.is_string()) {
        return Error(400, "request", fmt::format("setting '{}' must be a string", key));
      }
      job->settings[key] = value.get<std::string>();
    }
  }
  if (auto parallelism = request.find("parallelism");
      parallelism != request.end() && !parallelism->is_null()) {
    if (!parallelism->is_number_integer() || parallelism->get<int64_t>() < 1 ||
        parallelism->get<int64_t>() > 1024) {
      return Error(400, "request", "'parallelism' must be an integer from 1 to 1024");
    }
    job->parallelism = parallelism->get<int32_t>();
  }
  if (!job->from.empty()) {
    if (auto refused = CheckPath(job->from, "'from'")) return *refused;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return Error(503, "unavailable", "the server is shutting down");
    do {
      job->id = runtime::scheduler::NewJobId();
    } while (std::any_of(jobs_.begin(), jobs_.end(),
                         [&](const auto& other) { return other->id == job->id; }) ||
             fs::exists(fs::path(jobs_directory_) / job->id));
  }
  job->directory = fs::path(jobs_directory_) / job->id;
  job->submitted_millis = NowMillis();
  job->resume_from = job->from;
  if (auto refused = CompileJob(job.get())) {
    Log(fmt::format("refused a submission of {}: {}", job->file_name,
                    refused->body["error"]["message"].get<std::string>()));
    return *refused;
  }
  std::error_code fs_error;
  fs::create_directories(job->directory, fs_error);
  if (fs_error) {
    return Error(
        500, "io",
        fmt::format("cannot create '{}': {}", job->directory.string(), fs_error.message()));
  }
  base::Status written = WriteAtomically(job->directory / "job.pipe", job->pipe);
  if (!written.ok()) return Error(500, "io", written.message());
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    Persist(job.get());
  }
  if (auto refused = StartJob(job, /*resume=*/false)) {
    std::error_code ignored;
    fs::remove_all(job->directory, ignored);
    return *refused;
  }
  Log(fmt::format("job {} ({}) submitted: {}", job->id, job->plan.job_name, job->file_name));
  ApiResponse response;
  response.status = 201;
  response.body = Summary(*job);
  return response;
}

std::optional<ApiResponse> JobServer::StartJob(const std::shared_ptr<ServedJob>& job, bool resume) {
  runtime::scheduler::SupervisorOptions options;
  options.job.services = options_.services;
  options.job.checkpoint_directory = job->checkpoint_directory;
  options.job.job_id = job->RunId();
  options.gate = compiler::check::MakeRestoreGate();
  options.restore.allow_dropped_state = job->allow_dropped_state;
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    if (!job->resume_from.empty()) {
      // The submission's snapshot (no checkpoint of its own yet), or the server's savepoint.
      options.restore.from = job->resume_from;
    } else if (resume) {
      options.restore.resume = true;
    }
  }
  std::weak_ptr<ServedJob> weak = job;
  options.listener = [this, weak](const JobEvent& event) {
    if (std::shared_ptr<ServedJob> job = weak.lock()) OnJobEvent(job.get(), event);
  };
  auto supervisor = JobSupervisor::Create(job->plan, std::move(options));
  if (!supervisor.ok()) return DiagnosticsError(supervisor.status(), job->file_name, job->pipe);
  job->supervisor = std::move(supervisor).value();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::find(jobs_.begin(), jobs_.end(), job) == jobs_.end()) jobs_.push_back(job);
  }
  JobSupervisor* raw = job->supervisor.get();
  ServedJob* served = job.get();
  job->thread = std::thread([this, raw, served] { RecordOutcome(served, raw->Run()); });
  return std::nullopt;
}

void JobServer::OnJobEvent(ServedJob* job, const JobEvent& event) {
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    if (event.kind == JobEvent::Kind::kCheckpoint && event.checkpoint &&
        event.checkpoint->completed) {
      if (runtime::operators::IsCheckpointKind(event.checkpoint->kind)) {
        NoteUpgradeCheckpoint(job);
        // From now on the job resumes from its own checkpoints.
        if (!job->resume_from.empty() && !job->detached) {
          job->resume_from.clear();
          Persist(job);
        }
        return;  // in the checkpoint history; not worth an event each
      }
      job->savepoint = event.checkpoint->path;
      if (event.checkpoint->kind == runtime::operators::BarrierKind::kStopWithSavepoint) {
        // Recorded before the sinks commit what it covers: a crash from here on resumes
        // from it (its restore commits its transactions), never from an older checkpoint.
        job->resume_from = event.checkpoint->path;
      }
      Persist(job);
    }
    json item = {
        {"time_millis", NowMillis()}, {"kind", EventKindName(event.kind)}, {"text", event.text}};
    job->events.push_back(item);
    if (job->events.size() > kEventsKept) job->events.pop_front();
    if (event.kind == JobEvent::Kind::kState) {
      if (event.state == JobState::kRunning && job->started_millis == 0) {
        job->started_millis = NowMillis();
        NoteUpgradeRunning(job);
      }
      // Set with the state, so that no reader sees a terminal state without it.
      if (runtime::scheduler::IsTerminal(event.state)) job->ended_millis = NowMillis();
      if (!job->detached) {
        job->state = runtime::scheduler::JobStateName(event.state);
        Persist(job);
      }
    }
    if (event.kind == JobEvent::Kind::kRestart) {
      ++job->restarts;
      if (!job->detached) Persist(job);
    }
  }
  Log(fmt::format("job {} ({}): {}", job->id, job->plan.job_name, event.text));
}

void JobServer::RecordOutcome(ServedJob* served, const runtime::scheduler::JobOutcome& outcome) {
  {
    std::lock_guard<std::mutex> lock(served->mutex);
    if (served->ended_millis == 0) served->ended_millis = NowMillis();
    if (outcome.state == JobState::kFailed) {
      served->failure = outcome.status.message();
      if (outcome.restore_refused) {
        served->failure = base::RenderDiagnostics(outcome.status.diagnostics(), "", "");
        if (served->failure.empty()) served->failure = outcome.status.message();
      }
    }
    if (!outcome.savepoint.empty()) served->savepoint = outcome.savepoint;
    if (served->detached) return;
    served->state = runtime::scheduler::JobStateName(outcome.state);
    Persist(served);
    if (!served->failure.empty()) {  // the state itself was logged as an event
      Log(fmt::format("job {} ({}) failed: {}", served->id, served->plan.job_name,
                      served->failure));
    }
  }
}

base::Status JobServer::LoadRecords() {
  std::error_code error;
  std::vector<fs::path> directories;
  for (fs::directory_iterator it(jobs_directory_, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_directory() && runtime::scheduler::IsJobId(it->path().filename().string())) {
      directories.push_back(it->path());
    }
  }
  std::vector<std::pair<std::shared_ptr<ServedJob>, json>> loaded;
  for (const fs::path& directory : directories) {
    auto text = ReadText(directory / "job.json");
    json record = text ? json::parse(*text, nullptr, /*allow_exceptions=*/false)
                       : json(json::value_t::discarded);
    std::string pipe_file = record.is_object() ? record.value("pipe_file", std::string("job.pipe"))
                                               : std::string("job.pipe");
    if (!IsPlainFileName(pipe_file)) pipe_file = "job.pipe";
    auto pipe = ReadText(directory / pipe_file);
    if (!text || !pipe) {
      Log(fmt::format("skipping '{}': it has no job.json or {}", directory.string(), pipe_file));
      continue;
    }
    if (!record.is_object() || !record.contains("id") || !record["id"].is_string() ||
        record["id"].get<std::string>() != directory.filename().string()) {
      Log(fmt::format("skipping '{}': its job.json is not a job record",
                      (directory / "job.json").string()));
      continue;
    }
    auto job = std::make_shared<ServedJob>();
    job->id = record["id"].get<std::string>();
    job->directory = directory;
    job->pipe = *pipe;
    job->file_name = record.value("file_name", std::string("job.pipe"));
    job->parallelism = record.value("parallelism", 0);
    job->from = record.value("from", std::string());
    job->allow_dropped_state = record.value("allow_dropped_state", false);
    job->submitted_millis = record.value("submitted_millis", int64_t{0});
    job->state = record.value("state", std::string("CREATED"));
    job->resume_from = record.value("resume_from", std::string());
    job->savepoint = record.value("savepoint", std::string());
    job->failure = record.value("failure", std::string());
    job->restarts = record.value("restarts", 0);
    job->resumes = record.value("resumes", 0);
    job->ended_millis = record.value("ended_millis", int64_t{0});
    job->version = record.value("version", 1);
    job->runtime_id = record.value("runtime_id", std::string());
    if (job->runtime_id == job->id || !runtime::scheduler::IsJobId(job->runtime_id)) {
      job->runtime_id.clear();
    }
    job->pipe_file = pipe_file;
    if (record.contains("upgrades") && record["upgrades"].is_array()) {
      job->upgrades = record["upgrades"];
    }
    if (record.contains("settings") && record["settings"].is_object()) {
      for (auto& [key, value] : record["settings"].items()) {
        if (value.is_string()) job->settings[key] = value.get<std::string>();
      }
    }
    if (!IsPlainFileName(job->file_name)) job->file_name = "job.pipe";
    loaded.emplace_back(std::move(job), std::move(record));
  }
  std::sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) {
    return a.first->submitted_millis < b.first->submitted_millis;
  });
  for (auto& [job, record] : loaded) {
    // An upgrade the server went down in: finish its handover or undo it (job_upgrade.cpp).
    RecoverUpgrade(job.get());
    // A job a user was stopping when the server went down stays stopped.
    if (job->state == "STOPPING") job->state = "STOPPED";
    bool active = !runtime::scheduler::IsTerminal([&] {
      for (JobState state :
           {JobState::kCreated, JobState::kRestoring, JobState::kRunning, JobState::kRestarting,
            JobState::kStopping, JobState::kFinished, JobState::kFailed, JobState::kStopped}) {
        if (job->state == runtime::scheduler::JobStateName(state)) return state;
      }
      return JobState::kFailed;
    }());
    std::optional<ApiResponse> refused = CompileJob(job.get());
    if (refused) {
      // The same text compiled when it was submitted: the server's options changed since.
      Log(fmt::format("job {} cannot be compiled any more: {}", job->id,
                      refused->body["error"]["message"].get<std::string>()));
      if (active) {
        job->state = "FAILED";
        job->failure = refused->body["error"]["message"].get<std::string>();
        job->ended_millis = NowMillis();
        std::lock_guard<std::mutex> lock(job->mutex);
        Persist(job.get());
      }
    }
    if (!active || refused) {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(job);
      continue;
    }
    ++job->resumes;
    Log(fmt::format("job {} ({}) was {}: resuming it from {}", job->id, job->plan.job_name,
                    job->state,
                    job->resume_from.empty() ? "its latest checkpoint" : job->resume_from));
    job->state = "CREATED";
    if (auto failed = StartJob(job, /*resume=*/true)) {
      job->state = "FAILED";
      job->failure = failed->body["error"]["message"].get<std::string>();
      std::lock_guard<std::mutex> lock(job->mutex);
      Persist(job.get());
      std::lock_guard<std::mutex> jobs_lock(mutex_);
      jobs_.push_back(job);
    }
  }
  return base::Status::Ok();
}

json JobServer::Summary(const ServedJob& job) const {
  std::lock_guard<std::mutex> lock(job.mutex);
  json summary = {{"id", job.id},
                  {"name", job.plan.job_name},
                  {"file_name", job.file_name},
                  {"state", job.state},
                  {"submitted_millis", job.submitted_millis},
                  {"restarts", job.restarts},
                  {"resumes", job.resumes}};
  if (job.supervisor) {
    summary["state"] = runtime::scheduler::JobStateName(job.supervisor->state());
    if (auto progress = job.supervisor->progress()) {
      summary["rows_in"] = progress->rows_in;
      summary["rows_out"] = progress->rows_out;
      summary["watermark"] = Watermark(progress->watermark);
      summary["late_records_dropped"] = progress->late_records_dropped;
      summary["last_checkpoint"] = progress->last_checkpoint;
    }
  }
  if (job.started_millis) summary["started_millis"] = job.started_millis;
  const bool ended =
      job.supervisor ? runtime::scheduler::IsTerminal(job.supervisor->state()) : job.ended_millis;
  // A terminal state always comes with its end (the listener may be a moment behind).
  if (ended) summary["ended_millis"] = job.ended_millis ? job.ended_millis : NowMillis();
  if (!job.failure.empty()) summary["failure"] = job.failure;
  if (!job.savepoint.empty()) summary["savepoint"] = job.savepoint;
  summary["version"] = job.version;
  summary["run_id"] = job.RunId();
  if (!job.upgrades.empty()) summary["upgrades"] = job.upgrades;
  return summary;
}

ApiResponse JobServer::ListJobs() const {
  std::vector<std::shared_ptr<ServedJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs = jobs_;
  }
  json list = json::array();
  for (const auto& job : jobs) list.push_back(Summary(*job));
  ApiResponse response;
  response.body = {{"jobs", std::move(list)}};
  return response;
}

ApiResponse JobServer::DescribeJob(const std::string& id) const {
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));
  json body = Summary(*job);
  const runtime::plan::PlanGraph& plan = job->plan;
  json nodes = json::array();
  for (const runtime::plan::PlanNode& node : plan.nodes) {
    json item = {{"id", node.id},
                 {"uid", node.uid},
                 {"kind", runtime::plan::OperatorKindName(node.kind)},
                 {"parallelism", node.parallelism},
                 {"description", node.description}};
    if (node.table) {
      item["table"] = node.table->name;
      auto connector = node.table->options.find("connector");
      if (connector != node.table->options.end()) item["connector"] = connector->second;
    }
    nodes.push_back(std::move(item));
  }
  json edges = json::array();
  for (const runtime::plan::PlanEdge& edge : plan.edges) {
    edges.push_back({{"from", edge.source_node},
                     {"to", edge.target_node},
                     {"input", edge.target_input},
                     {"exchange", runtime::plan::ExchangeKindName(edge.exchange)}});
  }
  body["plan"] = {{"max_parallelism", plan.max_parallelism},
                  {"nodes", std::move(nodes)},
                  {"edges", std::move(edges)},
                  {"options", plan.options}};
  std::optional<runtime::scheduler::JobMetrics> metrics;
  if (job->supervisor) metrics = job->supervisor->metrics();
  json operators = json::array();
  json vertices = json::array();
  json history = json::array();
  std::map<std::string, int64_t> state_bytes;
  if (metrics) {
    for (const auto& stats : metrics->checkpoints) {
      history.push_back(CheckpointJson(stats));
      if (stats.completed) state_bytes = stats.state_bytes;
    }
    for (const auto& op : metrics->operators) {
      json item = {{"uid", op.uid},
                   {"kind", runtime::plan::OperatorKindName(op.kind)},
                   {"parallelism", op.parallelism},
                   {"rows_in", op.rows_in},
                   {"rows_out", op.rows_out},
                   {"watermark", Watermark(op.watermark)},
                   {"late_records_dropped", op.late_records_dropped}};
      auto bytes = state_bytes.find(op.uid);
      if (bytes != state_bytes.end()) item["state_bytes"] = bytes->second;
      operators.push_back(std::move(item));
    }
    for (const auto& vertex : metrics->vertices) {
      json subtasks = json::array();
      for (const auto& subtask : vertex.subtasks) {
        subtasks.push_back({{"subtask", subtask.subtask},
                            {"rows_in", subtask.rows_in},
                            {"rows_out", subtask.rows_out},
                            {"watermark", Watermark(subtask.watermark)},
                            {"inbox_size", subtask.inbox_size},
                            {"inbox_capacity", subtask.inbox_capacity},
                            {"backpressured_millis", subtask.backpressured_millis},
                            {"finished", subtask.finished}});
      }
      vertices.push_back({{"operators", vertex.uids},
                          {"parallelism", vertex.parallelism},
                          {"subtasks", std::move(subtasks)}});
    }
  }
  body["operators"] = std::move(operators);
  body["vertices"] = std::move(vertices);
  body["checkpoints"] = {
      {"completed", metrics ? metrics->completed_checkpoints : 0},
      {"failed", metrics ? metrics->failed_checkpoints : 0},
      {"latest", job->supervisor ? job->supervisor->LatestCheckpointDirectory() : ""},
      {"history", std::move(history)}};
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    body["events"] = json(std::vector<json>(job->events.begin(), job->events.end()));
    if (job->supervisor && !job->supervisor->last_failure().empty()) {
      body["last_failure"] = job->supervisor->last_failure();
    } else if (!job->failure.empty()) {
      body["last_failure"] = job->failure;
    }
  }
  ApiResponse response;
  response.body = std::move(body);
  return response;
}

ApiResponse JobServer::JobPipe(const std::string& id) const {
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));
  ApiResponse response;
  response.body = {{"name", job->file_name}, {"pipe", job->pipe}};
  return response;
}

ApiResponse JobServer::TriggerSavepoint(const std::string& id, const json& request) {
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));
  std::string directory;
  ApiResponse error;
  if (request.is_object() && !StringMember(request, "directory", &directory, &error)) return error;
  if (!directory.empty()) {
    if (auto refused = CheckPath(directory, "the savepoint directory")) return *refused;
  }
  if (!job->supervisor) return Error(409, "state", fmt::format("job '{}' is not running", id));
  auto path = job->supervisor->TriggerSavepoint(directory);
  if (!path.ok()) return Error(409, "savepoint", path.status().message());
  ApiResponse response;
  response.body = {{"id", id}, {"savepoint", *path}};
  return response;
}

ApiResponse JobServer::Stop(const std::string& id, const json& request) {
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));
  bool savepoint = false;
  std::string directory;
  ApiResponse error;
  if (request.is_object() && (!BoolMember(request, "savepoint", &savepoint, &error) ||
                              !StringMember(request, "directory", &directory, &error))) {
    return error;
  }
  if (!directory.empty()) {
    if (auto refused = CheckPath(directory, "the savepoint directory")) return *refused;
  }
  if (!job->supervisor || runtime::scheduler::IsTerminal(job->supervisor->state())) {
    return Error(409, "state", fmt::format("job '{}' is not running", id));
  }
  ApiResponse response;
  if (savepoint) {
    auto path = job->supervisor->StopWithSavepoint(directory);
    if (!path.ok()) return Error(409, "savepoint", path.status().message());
    response.body["savepoint"] = *path;
  } else {
    job->supervisor->Cancel();
  }
  // Answers once the job has stopped (its sinks committed what the savepoint covers).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!runtime::scheduler::IsTerminal(job->supervisor->state()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  response.body["id"] = id;
  response.body["state"] = runtime::scheduler::JobStateName(job->supervisor->state());
  return response;
}

ApiResponse JobServer::Cancel(const std::string& id) {
  std::shared_ptr<ServedJob> job = Find(id);
  if (!job) return Error(404, "not_found", fmt::format("no job '{}'", id));
  if (!job->supervisor || runtime::scheduler::IsTerminal(job->supervisor->state())) {
    return Error(409, "state", fmt::format("job '{}' is not running", id));
  }
  job->supervisor->Cancel();
  ApiResponse response;
  response.status = 202;
  response.body = {{"id", id},
                   {"state", runtime::scheduler::JobStateName(job->supervisor->state())}};
  return response;
}

ApiResponse JobServer::Check(const json& request) const {
  if (!request.is_object()) return Error(400, "request", "the body must be a JSON object");
  ServedJob candidate;
  candidate.file_name = "job.pipe";
  ApiResponse error;
  if (!StringMember(request, "pipe", &candidate.pipe, &error) ||
      !StringMember(request, "name", &candidate.file_name, &error)) {
    return error;
  }
  if (!IsPlainFileName(candidate.file_name)) {
    return Error(400, "request", "'name' must be a file name without directories");
  }
  if (candidate.pipe.size() > options_.max_pipe_bytes) {
    return Error(413, "request", "the .pipe text is too large");
  }
  if (auto settings = request.find("settings");
      settings != request.end() && settings->is_object()) {
    for (auto& [key, value] : settings->items()) {
      if (value.is_string()) candidate.settings[key] = value.get<std::string>();
    }
  }
  candidate.directory = fs::path(jobs_directory_) / "check";
  if (auto refused = CompileJob(&candidate)) return *refused;
  auto against = request.find("against");
  if (against == request.end() || !against->is_object()) {
    return Error(400, "request",
                 "'against' must be {\"job\": ID}, {\"savepoint\": DIR} or {\"pipe\": TEXT}");
  }
  std::string job_id, savepoint, old_pipe;
  if (!StringMember(*against, "job", &job_id, &error) ||
      !StringMember(*against, "savepoint", &savepoint, &error) ||
      !StringMember(*against, "pipe", &old_pipe, &error)) {
    return error;
  }
  compiler::check::CompatReport report;
  json source;
  if (!job_id.empty()) {
    std::shared_ptr<ServedJob> job = Find(job_id);
    if (!job) return Error(404, "not_found", fmt::format("no job '{}'", job_id));
    std::string latest = job->supervisor ? job->supervisor->LatestCheckpointDirectory() : "";
    if (latest.empty()) {
      // No checkpoint yet: against the running plan (what a dropped sink holds is unknown).
      report = compiler::check::CheckCompatibility(job->plan, candidate.plan);
      source = {{"job", job_id}, {"plan", "running"}};
    } else {
      savepoint = latest;
      source = {{"job", job_id}, {"checkpoint", latest}};
    }
  }
  if (!savepoint.empty()) {
    if (source.is_null()) {
      if (auto refused = CheckPath(savepoint, "the snapshot")) return *refused;
      source = {{"savepoint", savepoint}};
    }
    auto snapshot = runtime::state::ReadSnapshot(savepoint);
    if (!snapshot.ok()) return Error(400, "snapshot", snapshot.status().message());
    report = compiler::check::CheckCompatibility(*snapshot, candidate.plan);
  } else if (job_id.empty()) {
    if (old_pipe.empty()) return Error(400, "request", "'against' names nothing to check against");
    ServedJob old;
    old.file_name = candidate.file_name;
    old.pipe = old_pipe;
    old.settings = candidate.settings;
    old.directory = candidate.directory;
    if (auto refused = CompileJob(&old)) return *refused;
    report = compiler::check::CheckCompatibility(old.plan, candidate.plan);
    source = {{"pipe", "given"}};
  }
  ApiResponse response;
  response.body = json::parse(compiler::check::ReportJson(report), nullptr, false);
  response.body["against"] = source;
  response.body["text"] = compiler::check::ReportText(report);
  return response;
}

int32_t JobServer::ActiveJobs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int32_t active = 0;
  for (const auto& job : jobs_) {
    if (job->supervisor && !runtime::scheduler::IsTerminal(job->supervisor->state())) ++active;
  }
  return active;
}

void JobServer::Shutdown(bool with_savepoints) {
  std::vector<std::shared_ptr<ServedJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    jobs = jobs_;
  }
  // Every job at once: their savepoints are taken in parallel.
  std::vector<std::thread> stoppers;
  for (const auto& job : jobs) {
    if (!job->supervisor || runtime::scheduler::IsTerminal(job->supervisor->state())) continue;
    stoppers.emplace_back([this, job, with_savepoints] {
      {
        // Stopped for the server's sake: the record keeps the job running, so that the next
        // start resumes it (from the savepoint, which the listener records before the sinks
        // commit, or from the latest checkpoint).
        std::lock_guard<std::mutex> lock(job->mutex);
        job->detached = true;
      }
      if (with_savepoints) {
        auto path = job->supervisor->StopWithSavepoint();
        if (path.ok()) {
          if (job->thread.joinable()) job->thread.join();
          std::lock_guard<std::mutex> lock(job->mutex);
          job->resume_from = *path;
          job->savepoint = *path;
          Persist(job.get());
          Log(
              fmt::format("job {} ({}) stopped with savepoint {}; it resumes from there when "
                          "the server starts again",
                          job->id, job->plan.job_name, *path));
          return;
        }
        Log(
            fmt::format("job {} ({}): no savepoint ({}); it resumes from its latest checkpoint "
                        "when the server starts again",
                        job->id, job->plan.job_name, path.status().message()));
      }
      job->supervisor->Cancel();
    });
  }
  for (std::thread& stopper : stoppers) stopper.join();
  for (const auto& job : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
}

std::string JobServer::PrometheusText() const {
  std::vector<std::shared_ptr<ServedJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs = jobs_;
  }
  std::vector<JobSample> samples;
  for (const auto& job : jobs) {
    JobSample sample;
    sample.id = job->id;
    sample.name = job->plan.job_name;
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      sample.state = job->state;
      sample.restarts = job->restarts;
    }
    if (job->supervisor) {
      sample.state = runtime::scheduler::JobStateName(job->supervisor->state());
      sample.metrics = job->supervisor->metrics();
    }
    samples.push_back(std::move(sample));
  }
  return RenderPrometheus(samples, (NowMillis() - started_millis_) / 1000.0);
}

}  // namespace sluice::server
