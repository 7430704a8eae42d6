#include "tests/campaign/crash_scenario.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "tests/campaign/kafka_campaign.h"
#include "tests/campaign/sluice_process.h"

namespace sluice::campaign {

namespace {

namespace fs = std::filesystem;

/// A run that has not ended this long after its signal (or its start) hangs.
constexpr std::chrono::seconds kHangLimit{120};
constexpr size_t kRowsShown = 5;
constexpr size_t kLogLinesShown = 12;
constexpr const char* kSavepointWritten = "sluice: savepoint written: ";
constexpr const char* kCrashHookFired = "test crash point";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The last `count` lines of `text`, each indented.
std::string LastLines(const std::string& text, size_t count, const std::string& indent) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string result;
  for (size_t index = lines.size() > count ? lines.size() - count : 0; index < lines.size();
       ++index) {
    result += indent + lines[index] + "\n";
  }
  return result.empty() ? indent + "(empty)\n" : result;
}

}  // namespace

std::optional<std::string> ReadSinkOutput(const CampaignSink& sink, const JobPlaces& places,
                                          CommittedOutput* output) {
  if (sink.kafka()) return ReadKafkaSink(sink, places, output);
  *output = CommittedOutput::Read(fs::path(places.output_directory) / sink.table, sink.format);
  return std::nullopt;
}

/// Lists the files under `directory` (paths relative to it) with their sizes and times.
FileListing ListFiles(const fs::path& directory) {
  FileListing files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code ignored;
    if (!it->is_regular_file(ignored)) continue;
    files[fs::relative(it->path(), directory, ignored).string()] = {it->file_size(ignored),
                                                                    it->last_write_time(ignored)};
  }
  return files;
}

namespace {

/// Whether `file` is new since `before` or was written to after it.
bool WrittenSince(const FileListing& before, const std::string& file, const FileStamp& stamp) {
  auto found = before.find(file);
  return found == before.end() || found->second.size != stamp.size ||
         found->second.modified != stamp.modified;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsHiddenPartFile(const std::string& relative_path) {
  std::string name = fs::path(relative_path).filename().string();
  auto ends_with = [&](const std::string& suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name.front() == '.' && (ends_with(".inprogress") || ends_with(".pending"));
}

/// `point` of `<point>:<n>`.
std::string CrashPointName(const std::string& crash_at) {
  return crash_at.substr(0, crash_at.find(':'));
}

/// The last lines of run `number`'s log, for a failure report.
std::string LogExcerpt(const std::string& log, int number) {
  return "  run #" + std::to_string(number) + " log (last lines):\n" +
         LastLines(log, kLogLinesShown, "    ");
}

std::string Milliseconds(std::chrono::steady_clock::duration duration) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) +
         " ms";
}

}  // namespace

/// How one run is started.
struct CrashScenario::RunSettings {
  int parallelism = 1;
  std::string backend;
  bool savepoints = false;
  bool native_savepoint = false;
  enum class Restore { kNone, kResume, kFrom } restore = Restore::kNone;
};

/// How one run ended.
struct CrashScenario::RunResult {
  int exit_code = 0;
  std::string log;
  std::string savepoint;  // written by this run
  bool hook_fired = false;
  bool signalled = false;  // the planned signal was sent (the run had not ended before)
  bool hung = false;
  std::chrono::steady_clock::duration elapsed{};
  /// PlannedRun::after_progress: when the first new output file appeared.
  std::optional<std::chrono::steady_clock::duration> progress_after;
};

CrashScenario::CrashScenario(ScenarioPlan plan, const ReferenceOutput& reference,
                             std::string binary, fs::path directory, JobPlaces places)
    : plan_(std::move(plan)),
      reference_(reference),
      binary_(std::move(binary)),
      directory_(std::move(directory)),
      output_directory_(directory_ / "output"),
      places_(std::move(places)) {
  places_.output_directory = output_directory_.string();
}

fs::path CrashScenario::CheckpointDirectory() const {
  return directory_ / ("checkpoints-" + std::to_string(incarnation_));
}

std::vector<std::string> CrashScenario::KafkaTopics() const {
  std::vector<std::string> topics;
  for (const CampaignSink& sink : plan_.job->sinks) {
    if (sink.kafka()) topics.push_back(places_.TopicOf(sink));
  }
  return topics;
}

bool CrashScenario::FilesWrittenSince(const FileListing& files_before) const {
  for (const auto& [file, stamp] : ListFiles(output_directory_)) {
    if (WrittenSince(files_before, file, stamp)) return true;
  }
  return false;
}

std::vector<std::string> CrashScenario::Arguments(const RunSettings& settings) const {
  std::vector<std::string> arguments = {
      "run",
      pipe_file_,
      "--parallelism",
      std::to_string(settings.parallelism),
      "--set",
      "state.backend.type=" + settings.backend,
      "--set",
      "state.backend.rocksdb.localdir=" + (directory_ / "rocksdb").string(),
      "--checkpoint-dir",
      CheckpointDirectory().string()};
  if (plan_.checkpoint_interval_ms > 0) {
    arguments.push_back("--set");
    arguments.push_back(
        "execution.checkpointing.interval=" + std::to_string(plan_.checkpoint_interval_ms) + " ms");
  }
  if (settings.savepoints) {
    arguments.push_back("--set");
    arguments.push_back("state.savepoints.dir=" + (directory_ / "savepoints").string());
    if (settings.native_savepoint) {
      arguments.push_back("--set");
      arguments.push_back("state.savepoints.format=native");
    }
  }
  if (settings.restore == RunSettings::Restore::kResume) arguments.push_back("--resume");
  if (settings.restore == RunSettings::Restore::kFrom) {
    arguments.push_back("--from");
    arguments.push_back(last_savepoint_);
  }
  return arguments;
}

bool CrashScenario::IncarnationHasCheckpoint() const {
  std::error_code error;
  fs::path root = CheckpointDirectory();
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().filename() == "_metadata" &&
        it->path().parent_path().filename().string().rfind("chk-", 0) == 0) {
      return true;
    }
  }
  return false;
}

CrashScenario::RunResult CrashScenario::Execute(const RunSettings& settings,
                                                const PlannedRun* planned, int number,
                                                const FileListing& files_before) {
  RunResult result;
  fs::path log = directory_ / ("run-" + std::to_string(number) + ".log");
  std::string crash_at =
      planned != nullptr && planned->action == RunAction::kCrashHook ? planned->crash_at : "";
  // The first output of a Kafka sink is a record in its topic, committed or not.
  std::unique_ptr<KafkaOutputProbe> kafka_probe;
  int64_t kafka_records_before = 0;
  if (planned != nullptr && planned->after_progress && !KafkaTopics().empty()) {
    kafka_probe = std::make_unique<KafkaOutputProbe>(places_.bootstrap_servers, KafkaTopics());
    kafka_records_before = kafka_probe->Records();
  }
  auto started = std::chrono::steady_clock::now();
  SluiceProcess process(binary_, Arguments(settings), log, crash_at);
  std::optional<int> exit_code;
  if (planned != nullptr && planned->after_progress) {
    auto deadline = started + kHangLimit;
    while (!exit_code && std::chrono::steady_clock::now() < deadline) {
      if (FilesWrittenSince(files_before)) break;
      if (kafka_probe != nullptr && kafka_records_before >= 0 &&
          kafka_probe->Records() > kafka_records_before) {
        break;
      }
      exit_code = process.WaitFor(std::chrono::milliseconds(kafka_probe ? 20 : 10));
    }
    result.progress_after = std::chrono::steady_clock::now() - started;
  }
  if (planned != nullptr && !exit_code) {
    auto delay = std::chrono::milliseconds(
        static_cast<int64_t>(planned->delay_fraction * reference_.wall_time.count()));
    exit_code = process.WaitFor(delay);
    if (!exit_code) {
      result.signalled = true;
      if (planned->action == RunAction::kStopWithSavepoint) {
        process.Signal(SIGTERM);
      } else {
        process.Signal(SIGKILL);
      }
    }
  }
  if (!exit_code) exit_code = process.WaitFor(kHangLimit);
  if (!exit_code) {
    result.hung = true;
    process.Signal(SIGKILL);
    exit_code = process.Wait();
  }
  result.elapsed = std::chrono::steady_clock::now() - started;
  result.exit_code = *exit_code;
  result.log = ReadAll(log);
  result.hook_fired = result.log.find(kCrashHookFired) != std::string::npos;
  size_t at = result.log.find(kSavepointWritten);
  if (at != std::string::npos) {
    at += std::string(kSavepointWritten).size();
    result.savepoint = result.log.substr(at, result.log.find('\n', at) - at);
  }
  return result;
}

void CrashScenario::Fail(const std::string& symptom, const std::string& details) {
  outcome_.failed = true;
  outcome_.symptom += (outcome_.symptom.empty() ? "" : "; ") + symptom;
  outcome_.details += details;
}

bool CrashScenario::CheckPartialOutput(const std::string& after) {
  for (size_t index = 0; index < plan_.job->sinks.size(); ++index) {
    const CampaignSink& sink = plan_.job->sinks[index];
    CommittedOutput output;
    if (auto error = ReadSinkOutput(sink, places_, &output)) {
      Fail(sink.table + ": its output could not be read " + after, "  " + *error + "\n");
      return false;
    }
    if (output.malformed_line_count() > 0) {
      std::string lines;
      for (const std::string& line : output.malformed_lines()) lines += "    " + line + "\n";
      Fail(sink.table + ": " + std::to_string(output.malformed_line_count()) +
               " torn or malformed lines committed " + after,
           lines);
      return false;
    }
    if (sink.format == SinkFormat::kInsertOnly) {
      OutputDifference difference = Compare(reference_.sinks[index], output);
      if (difference.extra_rows > 0) {
        Fail(sink.table + ": " + std::to_string(difference.extra_rows) +
                 " rows beyond the reference committed " + after + " (duplicates)",
             "  " + sink.table + " (committed so far vs the whole reference): " +
                 difference.Summary(kRowsShown, "    ") + "\n");
        return false;
      }
    } else {
      auto negative = output.NegativeRows();
      if (!negative.empty()) {
        std::string rows;
        for (size_t shown = 0; shown < negative.size() && shown < kRowsShown; ++shown) {
          rows += "    " + negative[shown].first + "  count " +
                  std::to_string(negative[shown].second) + "\n";
        }
        Fail(sink.table + ": " + std::to_string(negative.size()) +
                 " rows retracted more often than inserted " + after,
             rows);
        return false;
      }
    }
  }
  return true;
}

bool CrashScenario::CheckFinalOutput(const std::string& after) {
  std::string symptoms;
  std::string details;
  for (size_t index = 0; index < plan_.job->sinks.size(); ++index) {
    const CampaignSink& sink = plan_.job->sinks[index];
    CommittedOutput output;
    if (auto error = ReadSinkOutput(sink, places_, &output)) {
      if (!symptoms.empty()) symptoms += "; ";
      symptoms += sink.table + ": its output could not be read";
      details += "  " + *error + "\n";
      continue;
    }
    OutputDifference difference = Compare(reference_.sinks[index], output);
    auto negative = output.NegativeRows();
    if (difference.empty() && output.malformed_line_count() == 0) continue;
    if (!symptoms.empty()) symptoms += "; ";
    symptoms += sink.table + ": " + std::to_string(difference.missing_rows) + " rows missing, " +
                std::to_string(difference.extra_rows) + " rows extra";
    if (!negative.empty()) {
      symptoms += ", " + std::to_string(negative.size()) + " retracted more often than inserted";
    }
    if (output.malformed_line_count() > 0) {
      symptoms += ", " + std::to_string(output.malformed_line_count()) + " malformed lines";
    }
    const std::string where =
        sink.kafka() ? " in topic " + places_.TopicOf(sink) + ", " +
                           std::to_string(output.uncommitted_records()) +
                           " records of transactions without their epoch marker"
                     : " in " + std::to_string(output.visible_files()) + " files, " +
                           std::to_string(output.pending_files()) + " pending files left";
    details += "  " + sink.table + " " + after + " (reference " +
               std::to_string(reference_.sinks[index].total_rows()) + " rows, committed " +
               std::to_string(output.total_rows()) + where +
               "): " + difference.Summary(kRowsShown, "    ") + "\n";
    for (const std::string& line : output.malformed_lines()) {
      details += "    malformed: " + line + "\n";
    }
  }
  if (symptoms.empty()) return true;
  Fail(symptoms + " " + after, details);
  return false;
}

CrashScenario::RunSettings CrashScenario::SettingsFor(size_t index, const PlannedRun* planned,
                                                      std::ostringstream* line) {
  RunSettings settings;
  // Where this run starts from: the latest checkpoint of this incarnation, else the last
  // savepoint, else the beginning (--resume finds nothing then and says so).
  const bool checkpoints = plan_.checkpoint_interval_ms > 0;
  bool restoring_native = false;
  if (index == 0) {
    settings.restore = RunSettings::Restore::kNone;
  } else if (checkpoints && IncarnationHasCheckpoint()) {
    settings.restore = RunSettings::Restore::kResume;
    restoring_native = incarnation_used_rocksdb_;
  } else if (!last_savepoint_.empty()) {
    settings.restore = RunSettings::Restore::kFrom;
    restoring_native = last_savepoint_native_;
  } else {
    settings.restore = checkpoints ? RunSettings::Restore::kResume : RunSettings::Restore::kNone;
  }
  settings.parallelism = planned != nullptr ? planned->parallelism : plan_.final_parallelism;
  std::string wanted_backend = planned != nullptr ? planned->backend : plan_.final_backend;
  bool native_into_memory =
      planned != nullptr ? planned->native_into_memory : plan_.final_native_into_memory;
  settings.backend = restoring_native && !native_into_memory ? "rocksdb" : wanted_backend;
  settings.savepoints = plan_.mode == ScenarioMode::kSavepointsAndKills ||
                        plan_.mode == ScenarioMode::kSavepointsWithoutCheckpoints;
  settings.native_savepoint =
      planned != nullptr && planned->native_savepoint && settings.backend == "rocksdb";
  if (settings.backend == "rocksdb") incarnation_used_rocksdb_ = true;

  *line << "#" << index + 1 << " p" << settings.parallelism << " " << settings.backend;
  switch (settings.restore) {
    case RunSettings::Restore::kNone: *line << " from the start"; break;
    case RunSettings::Restore::kResume:
      *line << " --resume (checkpoints-" << incarnation_ << ")";
      break;
    case RunSettings::Restore::kFrom:
      *line << " --from " << fs::path(last_savepoint_).filename().string()
            << (last_savepoint_native_ ? " (native)" : "");
      break;
  }
  if (settings.backend != wanted_backend) *line << " (kept rocksdb: native state)";
  if (restoring_native && settings.backend == "memory") *line << " (native state into memory)";
  if (planned == nullptr) {
    *line << ": run to the end";
    return settings;
  }
  auto delay = static_cast<int64_t>(planned->delay_fraction * reference_.wall_time.count());
  switch (planned->action) {
    case RunAction::kKill: *line << ": SIGKILL at " << delay << " ms"; break;
    case RunAction::kCrashHook:
      ++outcome_.hooks_planned;
      ++outcome_.hooks_by_point[CrashPointName(planned->crash_at)].first;
      *line << ": crash hook " << planned->crash_at << " (else SIGKILL at " << delay << " ms)";
      break;
    case RunAction::kStopWithSavepoint:
      *line << ": SIGTERM at " << (planned->after_progress ? "first output + " : "") << delay
            << " ms" << (settings.native_savepoint ? " (native savepoint)" : "");
      break;
  }
  return settings;
}

void CrashScenario::CheckStopCommitted(const RunResult& result, const FileListing& files_before,
                                       int number) {
  // DESIGN §8: a stop with a savepoint is a synchronous final checkpoint: the sources stop at
  // its barrier and the sinks commit everything before it; its output is visible when the
  // command returns. A Kafka sink deletes an epoch's spool file once Kafka committed it: one
  // this run wrote and left breaks that.
  std::vector<std::string> spools;
  for (const auto& [file, stamp] : ListFiles(CheckpointDirectory())) {
    if (EndsWith(file, ".spool") && WrittenSince(checkpoints_before_, file, stamp)) {
      spools.push_back(file);
    }
  }
  if (!spools.empty()) {
    std::string listed;
    for (size_t index = 0; index < spools.size() && index < kRowsShown; ++index) {
      listed += "    " + spools[index] + "\n";
    }
    Fail("a stop with a savepoint left " + std::to_string(spools.size()) +
             " Kafka epochs unpublished (their spool files) after run #" + std::to_string(number),
         "  spool files written by run #" + std::to_string(number) +
             " and still there after it stopped with a savepoint (DESIGN §8):\n" + listed +
             LogExcerpt(result.log, number));
  }
  // A non-empty part file this run wrote and left hidden breaks it too.
  std::vector<std::string> hidden;
  for (const auto& [file, stamp] : ListFiles(output_directory_)) {
    if (stamp.size > 0 && IsHiddenPartFile(file) && WrittenSince(files_before, file, stamp)) {
      hidden.push_back(file);
    }
  }
  if (hidden.empty()) return;
  // A hidden file the savepoint's pending sink transactions name (as
  // "filesystem:<visible name>") holds rows from before its barrier.
  std::string metadata = ReadAll(fs::path(result.savepoint) / "_metadata");
  int named = 0;
  std::string listed;
  for (size_t index = 0; index < hidden.size(); ++index) {
    std::string name = fs::path(hidden[index]).filename().string().substr(1);
    name = name.substr(0, name.rfind('.'));
    bool in_savepoint = metadata.find("filesystem:" + name + "\"") != std::string::npos;
    named += in_savepoint ? 1 : 0;
    if (index < kRowsShown) {
      listed += "    " + hidden[index] +
                (in_savepoint ? "  (named by the savepoint's pending transactions)" : "") + "\n";
    }
  }
  // Not fatal: the scenario goes on, and the final output says whether rows were lost.
  Fail("a stop with a savepoint left " + std::to_string(hidden.size()) +
           " part files of its output hidden (" + std::to_string(named) +
           " named by the savepoint) after run #" + std::to_string(number),
       "  hidden part files written by run #" + std::to_string(number) +
           " (a stop with a savepoint commits everything before it, DESIGN §8):\n" + listed +
           LogExcerpt(result.log, number));
}

CrashScenario::Step CrashScenario::Judge(const RunSettings& settings, const PlannedRun* planned,
                                         int number, const RunResult& result,
                                         const FileListing& files_before,
                                         std::ostringstream* line) {
  const std::string after = "after run #" + std::to_string(number);
  auto record = [&](const std::string& how) {
    *line << " (" << how << ")";
    outcome_.timeline.push_back(line->str());
  };
  if (result.hung) {
    record("hung: killed after " + std::to_string(kHangLimit.count()) + " s");
    Fail("run #" + std::to_string(number) + " did not end within " +
             std::to_string(kHangLimit.count()) + " s",
         LogExcerpt(result.log, number));
    return Step::kStop;
  }
  if (result.exit_code == 128 + SIGKILL) {
    ++outcome_.kills;
    if (result.hook_fired) {
      ++outcome_.hook_kills;
      ++outcome_.hooks_by_point[CrashPointName(planned->crash_at)].second;
      record("killed by the crash hook");
    } else if (planned != nullptr && planned->action == RunAction::kCrashHook) {
      record("hook did not fire: killed at the fallback");
    } else {
      record("killed");
    }
    if (planned == nullptr) {
      Fail("run #" + std::to_string(number) + " died by SIGKILL without being killed",
           LogExcerpt(result.log, number));
      return Step::kStop;
    }
    return CheckPartialOutput(after) ? Step::kNext : Step::kStop;
  }
  if (result.exit_code == 0 && !result.savepoint.empty()) {
    ++outcome_.savepoints;
    record("stopped with savepoint " + fs::path(result.savepoint).filename().string());
    CheckStopCommitted(result, files_before, number);
    if (!CheckPartialOutput(after)) return Step::kStop;
    last_savepoint_ = result.savepoint;
    last_savepoint_native_ = settings.native_savepoint;
    ++incarnation_;
    incarnation_used_rocksdb_ = false;
    return Step::kNext;
  }
  if (result.exit_code == 0) {
    record(planned == nullptr ? "finished"
           : result.signalled ? "finished as the signal came"
                              : "finished before the signal");
    return CheckFinalOutput(after) ? Step::kFinished : Step::kStop;
  }
  const bool stopping = planned != nullptr && planned->action == RunAction::kStopWithSavepoint;
  if (stopping && result.exit_code == 128 + SIGTERM && result.signalled) {
    // Before sluice has set up its signal handling, SIGTERM ends the process as it does any
    // process: a kill, as far as the output is concerned.
    record("terminated before sluice handled signals");
    outcome_.notes.push_back("a SIGTERM before sluice handled signals terminated it");
    return CheckPartialOutput(after) ? Step::kNext : Step::kStop;
  }
  if (stopping && result.exit_code == 130) {
    size_t refused = result.log.find("error: no savepoint");
    if (refused == std::string::npos) {
      // The SIGTERM came while the job was being built: it stops without a savepoint (as
      // sluice run means it to), and the next run starts from where this one did.
      record("stopped before the job existed: no savepoint");
      outcome_.notes.push_back("a SIGTERM during job setup stopped without a savepoint");
    } else {
      // The savepoint was refused. As the job ends (its sources done, the coordinator
      // stopped for the final checkpoint) that is a race, not a fault; any other reason fails
      // the scenario, not fatally. The job is cancelled either way; the next run starts from
      // where this one did, and the output is judged as after any other stop.
      const std::string prefix = "error: no savepoint: ";
      std::string reason = result.log.substr(refused, result.log.find('\n', refused) - refused);
      record(reason);
      std::string cause = reason.substr(std::min(prefix.size(), reason.size()));
      bool job_ending = cause.find("the job ended before the savepoint") != std::string::npos ||
                        cause.find("the job is not running") != std::string::npos;
      if (job_ending) {
        outcome_.notes.push_back("a SIGTERM as the job ended took no savepoint (" + cause + ")");
      } else {
        Fail("a SIGTERM did not stop the job with a savepoint (" + cause + ") " + after,
             LogExcerpt(result.log, number));
      }
      if (plan_.checkpoint_interval_ms == 0) {
        // Without checkpoints the files of a job that reached the end of its input are
        // visible (README), so where the next run should start is unknown: not judged.
        outcome_.notes.push_back(
            "a scenario without checkpoints ended unjudged: a SIGTERM took no savepoint");
        return Step::kStop;
      }
    }
    return CheckPartialOutput(after) ? Step::kNext : Step::kStop;
  }
  record("unexpected");
  Fail("run #" + std::to_string(number) + " exited with " + std::to_string(result.exit_code),
       LogExcerpt(result.log, number));
  return Step::kStop;
}

void CrashScenario::ResumeFinishedJob(RunSettings settings, int number) {
  // The job's final checkpoint is complete: resuming restores it and adds nothing.
  settings.restore = RunSettings::Restore::kResume;
  settings.native_savepoint = false;
  RunResult again = Execute(settings, nullptr, number, ListFiles(output_directory_));
  ++outcome_.runs;
  outcome_.timeline.push_back(
      "#" + std::to_string(number) + " p" + std::to_string(settings.parallelism) + " " +
      settings.backend + " --resume of the finished job -> exit " +
      std::to_string(again.exit_code) + " after " + Milliseconds(again.elapsed));
  if (again.exit_code != 0) {
    Fail("resuming the finished job exited with " + std::to_string(again.exit_code),
         LogExcerpt(again.log, number));
    return;
  }
  CheckFinalOutput("after resuming the finished job (run #" + std::to_string(number) + ")");
}

ScenarioOutcome CrashScenario::Run() {
  fs::create_directories(directory_);
  pipe_file_ = (directory_ / (plan_.job->name + ".pipe")).string();
  std::ofstream(pipe_file_) << plan_.job->PipeText(places_);
  const size_t interrupted = plan_.interrupted_runs.size();
  for (size_t index = 0; index <= interrupted; ++index) {
    const PlannedRun* planned = index < interrupted ? &plan_.interrupted_runs[index] : nullptr;
    const int number = static_cast<int>(index) + 1;
    std::ostringstream line;
    RunSettings settings = SettingsFor(index, planned, &line);
    FileListing files_before = ListFiles(output_directory_);
    checkpoints_before_ = ListFiles(CheckpointDirectory());
    RunResult result = Execute(settings, planned, number, files_before);
    ++outcome_.runs;
    if (result.progress_after) {
      line << " (first output at " << Milliseconds(*result.progress_after) << ")";
    }
    line << " -> exit " << result.exit_code << " after " << Milliseconds(result.elapsed);
    Step step = Judge(settings, planned, number, result, files_before, &line);
    if (step == Step::kFinished && plan_.resume_after_finish) {
      ResumeFinishedJob(settings, number + 1);
    }
    if (step != Step::kNext) break;
  }
  return outcome_;
}

}  // namespace sluice::campaign
