#pragma once

// One scenario of the crash campaign: a job run with checkpoints and/or savepoints, killed,
// crashed through the engine's test hooks and stopped at random moments, resumed or restored
// (sometimes at another parallelism or backend) until a last run finishes, then its committed
// output compared with an uninterrupted run's.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/campaign/campaign_job.h"
#include "tests/campaign/committed_output.h"
#include "tests/campaign/scenario_plan.h"

namespace sluice::campaign {

/// The committed output of an uninterrupted run of a job, one per sink, and its wall time.
struct ReferenceOutput {
  std::vector<CommittedOutput> sinks;
  std::chrono::milliseconds wall_time{0};
};

/// What a scenario did and found.
struct ScenarioOutcome {
  int runs = 0;
  int kills = 0;       // runs that ended by SIGKILL (timed or hook)
  int hook_kills = 0;  // of which the engine's crash hook killed
  int hooks_planned = 0;
  /// Per crash point (`before-metadata`, …): runs that set it, and runs it killed.
  std::map<std::string, std::pair<int, int>> hooks_by_point;
  int savepoints = 0;  // runs stopped with a savepoint
  std::vector<std::string> timeline;
  bool failed = false;
  /// One line: what went wrong (e.g. "union_out: 0 rows missing, 10 rows extra").
  std::string symptom;
  /// Row differences, log excerpts.
  std::string details;
  /// Notes that are not failures (a SIGTERM before the job existed, a hook that never fired).
  std::vector<std::string> notes;
};

/// The size and modification time of a file.
struct FileStamp {
  uintmax_t size = 0;
  std::filesystem::file_time_type modified;
};
/// Files under a directory by relative path.
using FileListing = std::map<std::string, FileStamp>;
FileListing ListFiles(const std::filesystem::path& directory);

/// Reads what `sink` of a run writing to `places` committed into `output`: a filesystem
/// sink's visible files, a Kafka sink's committed records. Returns what went wrong (a topic
/// that cannot be read), nullopt when nothing did.
std::optional<std::string> ReadSinkOutput(const CampaignSink& sink, const JobPlaces& places,
                                          CommittedOutput* output);

/// Runs one planned scenario in `directory` (created, left for the caller to remove).
class CrashScenario {
 public:
  /// `places` gives the Kafka cluster and the scenario's run name (its sink topics); the
  /// output directory is `directory`/output.
  CrashScenario(ScenarioPlan plan, const ReferenceOutput& reference, std::string binary,
                std::filesystem::path directory, JobPlaces places);
  ScenarioOutcome Run();

 private:
  struct RunSettings;
  struct RunResult;
  /// What follows a run: the next run, the end of the scenario (after a failure), or the
  /// end of a job that finished and whose output matched.
  enum class Step { kNext, kStop, kFinished };

  /// How run `index` starts (restore, parallelism, backend), described on `line`.
  RunSettings SettingsFor(size_t index, const PlannedRun* planned, std::ostringstream* line);
  /// Starts a run, signals it as planned (`planned` null: lets it finish) and waits for it;
  /// `files_before` is the output before it (a SIGTERM may wait for the first file written).
  RunResult Execute(const RunSettings& settings, const PlannedRun* planned, int number,
                    const FileListing& files_before);
  /// Records how a run ended on `line` and in the outcome, and checks the output.
  Step Judge(const RunSettings& settings, const PlannedRun* planned, int number,
             const RunResult& result, const FileListing& files_before, std::ostringstream* line);
  /// After a stop with a savepoint: no part file of its output may stay hidden, and no Kafka
  /// sink may have left an epoch unpublished (its spool file still there).
  void CheckStopCommitted(const RunResult& result, const FileListing& files_before, int number);
  /// Whether a file of the output is new or was written to since `files_before`.
  bool FilesWrittenSince(const FileListing& files_before) const;
  /// The Kafka sinks' topics of this scenario.
  std::vector<std::string> KafkaTopics() const;
  std::filesystem::path CheckpointDirectory() const;
  /// `--resume` of a job that finished: it must exit 0 and add nothing.
  void ResumeFinishedJob(RunSettings settings, int number);
  std::vector<std::string> Arguments(const RunSettings& settings) const;
  bool IncarnationHasCheckpoint() const;
  /// Checks what any moment may show: no torn lines, no row beyond the reference in an
  /// insert-only sink, no retraction without its row in a changelog. Returns false (and fills
  /// the outcome) on a violation.
  bool CheckPartialOutput(const std::string& after);
  bool CheckFinalOutput(const std::string& after);
  void Fail(const std::string& symptom, const std::string& details);

  ScenarioPlan plan_;
  const ReferenceOutput& reference_;
  std::string binary_;
  std::filesystem::path directory_;
  std::filesystem::path output_directory_;
  JobPlaces places_;
  /// The checkpoint directory before the current run (its spool files, for a stop).
  FileListing checkpoints_before_;
  std::string pipe_file_;
  ScenarioOutcome outcome_;
  // Restore bookkeeping: checkpoints go to checkpoints-<incarnation>; a new incarnation
  // starts with every restore from a savepoint, so --resume never reaches behind it.
  int incarnation_ = 0;
  bool incarnation_used_rocksdb_ = false;
  std::string last_savepoint_;
  bool last_savepoint_native_ = false;
};

}  // namespace sluice::campaign
