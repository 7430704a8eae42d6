#include "tests/campaign/crash_campaign.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <thread>

#include "tests/campaign/sluice_process.h"

namespace sluice::campaign {

namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kReferenceLimit{180};

std::optional<std::string> Environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

uint64_t SplitMix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

/// Scenario seeds are 32 bits: short enough to type in a replay command.
uint64_t ScenarioSeed(uint64_t master_seed, int index) {
  return SplitMix64(master_seed * 1000003ULL + static_cast<uint64_t>(index)) & 0xFFFFFFFFULL;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string ThisExecutable() {
  std::error_code error;
  fs::path path = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string("test_crash_campaign") : path.string();
}

}  // namespace

CampaignSettings CampaignSettings::FromEnvironment(const std::string& default_binary) {
  CampaignSettings settings;
  settings.binary = default_binary;
  if (auto kills = Environment("SLUICE_CAMPAIGN_KILLS")) settings.kill_target = std::stoi(*kills);
  if (auto seconds = Environment("SLUICE_CAMPAIGN_SECONDS")) settings.seconds = std::stod(*seconds);
  if (auto concurrency = Environment("SLUICE_CAMPAIGN_CONCURRENCY")) {
    settings.concurrency = std::max(1, std::stoi(*concurrency));
  }
  if (auto seed = Environment("SLUICE_CAMPAIGN_SEED")) settings.replay_seed = std::stoull(*seed);
  if (auto seed = Environment("SLUICE_CAMPAIGN_MASTER_SEED")) {
    settings.master_seed = std::stoull(*seed);
  } else {
    std::random_device device;
    settings.master_seed = device();
  }
  if (auto jobs = Environment("SLUICE_CAMPAIGN_JOBS")) {
    std::istringstream list(*jobs);
    for (std::string name; std::getline(list, name, ',');) {
      if (!name.empty()) settings.jobs.push_back(name);
    }
  }
  if (auto binary = Environment("SLUICE_CAMPAIGN_BINARY")) settings.binary = *binary;
  settings.keep_failed = Environment("SLUICE_CAMPAIGN_KEEP").value_or("0") == "1";
  settings.verbose = Environment("SLUICE_CAMPAIGN_VERBOSE").value_or("0") == "1";
  return settings;
}

std::string CampaignReport::Summary(const std::string& test_name, uint64_t master_seed) const {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1);
  text << "[campaign " << test_name << "] " << kills << " kills (" << hook_kills
       << " by crash hooks of " << hooks_planned << " planned), " << savepoints
       << " stops with a savepoint, " << scenarios << " scenarios, " << runs << " runs in "
       << seconds << " s; master seed " << master_seed << "; " << failures.size() << " failed"
       << (stopped_by_time ? " (stopped by the time budget before the kill target)" : "") << "\n";
  if (!hooks_by_point.empty()) {
    // A point that never fires is one the binary does not honour (yet), or never reaches.
    text << "[campaign " << test_name << "] crash hooks fired/set:";
    for (const auto& [point, counts] : hooks_by_point) {
      text << " " << point << " " << counts.second << "/" << counts.first;
    }
    text << "\n";
  }
  for (const auto& [note, count] : notes) {
    text << "[campaign " << test_name << "] note: " << note << " (" << count << "x)\n";
  }
  text << "CAMPAIGN-SUMMARY test=" << test_name << " kills=" << kills
       << " hook_kills=" << hook_kills << " savepoints=" << savepoints << " scenarios=" << scenarios
       << " runs=" << runs << " failures=" << failures.size() << " seconds=" << seconds
       << " master_seed=" << master_seed << " seeds=";
  for (size_t index = 0; index < seeds.size(); ++index) {
    text << (index == 0 ? "" : ",") << seeds[index];
  }
  text << "\n";
  for (const CampaignFailure& failure : failures) {
    text << "CAMPAIGN-FAILURE test=" << test_name << " job=" << failure.job
         << " seed=" << failure.seed << " symptom=\"" << failure.symptom << "\" replay=\""
         << failure.replay_command << "\"\n";
  }
  return text.str();
}

struct CrashCampaign::JobReference {
  std::once_flag once;
  ReferenceOutput output;
  std::optional<std::string> error;
};

CrashCampaign::CrashCampaign(std::string test_name, std::vector<const CampaignJob*> jobs,
                             CampaignSettings settings, std::string kafka_bootstrap_servers)
    : test_name_(std::move(test_name)),
      jobs_(std::move(jobs)),
      settings_(std::move(settings)),
      kafka_bootstrap_servers_(std::move(kafka_bootstrap_servers)) {
  std::string safe_name = test_name_;
  for (char& character : safe_name) {
    if (character == '.' || character == '/') character = '-';
  }
  directory_ = (fs::temp_directory_path() /
                ("sluice-campaign-" + std::to_string(getpid()) + "-" + safe_name))
                   .string();
  for (const CampaignJob* job : jobs_) {
    references_[job->name] = std::make_shared<JobReference>();
  }
}

CampaignReport CrashCampaign::Run() {
  started_ = std::chrono::steady_clock::now();
  std::error_code error;
  fs::remove_all(directory_, error);
  fs::create_directories(directory_);
  std::printf(
      "[campaign %s] master seed %llu, %d scenarios side by side, until %d kills or "
      "%.0f s; sluice: %s\n",
      test_name_.c_str(), static_cast<unsigned long long>(settings_.master_seed),
      settings_.concurrency, settings_.kill_target, settings_.seconds, settings_.binary.c_str());
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int worker = 0; worker < settings_.concurrency; ++worker) {
    workers.emplace_back([this] { Work(); });
  }
  for (std::thread& worker : workers) worker.join();
  std::lock_guard<std::mutex> lock(mutex_);
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  report_.stopped_by_time = !settings_.replay_seed && report_.kills < settings_.kill_target &&
                            report_.seconds >= settings_.seconds;
  if (!settings_.keep_failed || report_.failures.empty()) fs::remove_all(directory_, error);
  return report_;
}

bool CrashCampaign::ShouldStop() const {
  if (settings_.replay_seed) return next_scenario_ >= static_cast<int>(jobs_.size());
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (report_.kills >= settings_.kill_target || elapsed >= settings_.seconds) return true;
  // Every job without a reference: nothing can be judged.
  for (const CampaignJob* job : jobs_) {
    const JobReference& reference = *references_.at(job->name);
    if (!reference.error) return false;
  }
  return true;
}

void CrashCampaign::Work() {
  for (;;) {
    int index = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ShouldStop()) return;
      index = next_scenario_++;
    }
    const CampaignJob& job = *jobs_[index % jobs_.size()];
    uint64_t seed =
        settings_.replay_seed ? *settings_.replay_seed : ScenarioSeed(settings_.master_seed, index);
    std::string error;
    const ReferenceOutput* reference = Reference(job, &error);
    if (reference == nullptr) continue;
    ScenarioPlan plan = ScenarioPlan::Make(job, seed);
    const std::string run_name =
        job.name + "-" + std::to_string(seed) + "-" + std::to_string(index);
    fs::path scenario_directory = fs::path(directory_) / run_name;
    JobPlaces places;
    places.bootstrap_servers = kafka_bootstrap_servers_;
    places.run_name = run_name;  // its own sink topics and transactional ids
    auto started = std::chrono::steady_clock::now();
    CrashScenario scenario(plan, *reference, settings_.binary, scenario_directory, places);
    ScenarioOutcome outcome = scenario.Run();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    Record(job, seed, plan, outcome, seconds);
    if (!outcome.failed || !settings_.keep_failed) {
      std::error_code ignored;
      fs::remove_all(scenario_directory, ignored);
    }
  }
}

const ReferenceOutput* CrashCampaign::Reference(const CampaignJob& job, std::string* error) {
  std::shared_ptr<JobReference> reference;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reference = references_.at(job.name);
  }
  std::call_once(reference->once, [&] {
    std::optional<std::string> failed = ComputeReference(job, &reference->output);
    std::lock_guard<std::mutex> lock(mutex_);
    reference->error = failed;
    if (failed) {
      CampaignFailure failure;
      failure.job = job.name;
      failure.symptom = "no reference: " + failed->substr(0, failed->find('\n'));
      failure.replay_command = ReplayCommand(job, 0);
      failure.message = "job '" + job.name +
                        "': no reference output, its scenarios did not run:\n" + *failed +
                        "\n  replay: " + failure.replay_command;
      report_.failures.push_back(failure);
      std::printf("[campaign %s] %s FAILED: %s\n", test_name_.c_str(), job.name.c_str(),
                  failure.symptom.c_str());
    } else {
      std::printf(
          "[campaign %s] %s: reference of %lld rows in %lld ms\n", test_name_.c_str(),
          job.name.c_str(),
          [&] {
            long long rows = 0;
            for (const CommittedOutput& sink : reference->output.sinks) {
              rows += sink.total_rows();
            }
            return rows;
          }(),
          static_cast<long long>(reference->output.wall_time.count()));
    }
    std::fflush(stdout);
  });
  if (reference->error) {
    *error = *reference->error;
    return nullptr;
  }
  return &reference->output;
}

std::optional<std::string> CrashCampaign::ComputeReference(const CampaignJob& job,
                                                           ReferenceOutput* reference) {
  struct Configuration {
    int parallelism;
    const char* backend;
  };
  const Configuration configurations[] = {{1, "memory"}, {2, "rocksdb"}};
  if (job.kafka && kafka_bootstrap_servers_.empty()) {
    return "the job needs the campaign's Kafka cluster, and the test started none";
  }
  std::vector<std::vector<CommittedOutput>> outputs;
  fs::path root = fs::path(directory_) / ("reference-" + job.name);
  for (const Configuration& configuration : configurations) {
    std::string label =
        "p" + std::to_string(configuration.parallelism) + " " + configuration.backend;
    fs::path directory =
        root / ("p" + std::to_string(configuration.parallelism) + "-" + configuration.backend);
    fs::create_directories(directory);
    JobPlaces places;
    places.output_directory = (directory / "output").string();
    places.bootstrap_servers = kafka_bootstrap_servers_;
    places.run_name = "reference-" + job.name + "-p" + std::to_string(configuration.parallelism) +
                      "-" + configuration.backend;
    std::string pipe_file = (directory / (job.name + ".pipe")).string();
    std::ofstream(pipe_file) << job.PipeText(places);
    fs::path log = directory / "run.log";
    auto started = std::chrono::steady_clock::now();
    SluiceProcess process(
        settings_.binary,
        {"run", pipe_file, "--parallelism", std::to_string(configuration.parallelism), "--set",
         std::string("state.backend.type=") + configuration.backend, "--set",
         "state.backend.rocksdb.localdir=" + (directory / "rocksdb").string()},
        log);
    std::optional<int> exit_code = process.WaitFor(kReferenceLimit);
    auto elapsed = std::chrono::steady_clock::now() - started;
    std::string said = ReadAll(log);
    if (!exit_code) {
      return "the uninterrupted run (" + label + ") did not end within " +
             std::to_string(kReferenceLimit.count()) + " s";
    }
    if (*exit_code != 0) {
      return "the uninterrupted run (" + label + ") exited with " + std::to_string(*exit_code) +
             ":\n" + said;
    }
    if (said.find("late records") != std::string::npos) {
      // Rows dropped as late would make the output depend on timing.
      return "the uninterrupted run (" + label + ") dropped late records:\n" + said;
    }
    std::vector<CommittedOutput> sinks;
    for (const CampaignSink& sink : job.sinks) {
      sinks.emplace_back();
      if (auto error = ReadSinkOutput(sink, places, &sinks.back())) {
        return "the output of the uninterrupted run (" + label + ") could not be read: " + *error;
      }
      if (sinks.back().malformed_line_count() > 0) {
        return "the uninterrupted run (" + label + ") wrote malformed lines to " + sink.table +
               ": " + sinks.back().malformed_lines().front();
      }
      if (sinks.back().total_rows() == 0) {
        return "the uninterrupted run (" + label + ") wrote nothing to " + sink.table;
      }
    }
    if (outputs.empty()) {
      reference->wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
    }
    outputs.push_back(std::move(sinks));
  }
  for (size_t index = 0; index < job.sinks.size(); ++index) {
    OutputDifference difference = Compare(outputs[0][index], outputs[1][index]);
    if (!difference.empty()) {
      return "two uninterrupted runs differ (p2 rocksdb against p1 memory) in " +
             job.sinks[index].table + ": " + difference.Summary(5, "    ");
    }
  }
  reference->sinks = std::move(outputs[0]);
  std::error_code ignored;
  fs::remove_all(root, ignored);
  return std::nullopt;
}

std::string CrashCampaign::ReplayCommand(const CampaignJob& job, uint64_t seed) const {
  std::string command;
  if (!settings_.binary.empty() && settings_.binary != SLUICE_BINARY) {
    command += "SLUICE_CAMPAIGN_BINARY=" + settings_.binary + " ";
  }
  command += "SLUICE_CAMPAIGN_SEED=" + std::to_string(seed) + " SLUICE_CAMPAIGN_JOBS=" + job.name +
             " " + ThisExecutable() + " --gtest_filter=" + test_name_;
  return command;
}

void CrashCampaign::Record(const CampaignJob& job, uint64_t seed, const ScenarioPlan& plan,
                           const ScenarioOutcome& outcome, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++report_.scenarios;
  report_.runs += outcome.runs;
  report_.kills += outcome.kills;
  report_.hook_kills += outcome.hook_kills;
  report_.hooks_planned += outcome.hooks_planned;
  for (const auto& [point, counts] : outcome.hooks_by_point) {
    report_.hooks_by_point[point].first += counts.first;
    report_.hooks_by_point[point].second += counts.second;
  }
  report_.savepoints += outcome.savepoints;
  report_.seeds.push_back(seed);
  for (const std::string& note : outcome.notes) ++report_.notes[note];
  std::printf(
      "[campaign %s] %s seed %llu: %s, %d kills (%d by hooks), %d savepoints, %d runs, "
      "%.1f s\n",
      test_name_.c_str(), job.name.c_str(), static_cast<unsigned long long>(seed),
      outcome.failed ? ("FAILED: " + outcome.symptom).c_str() : "ok", outcome.kills,
      outcome.hook_kills, outcome.savepoints, outcome.runs, seconds);
  if (settings_.verbose) {
    for (const std::string& line : outcome.timeline) std::printf("    %s\n", line.c_str());
  }
  std::fflush(stdout);
  if (!outcome.failed) return;
  CampaignFailure failure;
  failure.job = job.name;
  failure.seed = seed;
  failure.symptom = outcome.symptom;
  failure.replay_command = ReplayCommand(job, seed);
  std::ostringstream message;
  message << "scenario '" << job.name << "' seed " << seed << " FAILED: " << outcome.symptom
          << "\n  replay: " << failure.replay_command << "\n  plan: " << plan.Describe()
          << "\n  kill timeline:\n";
  for (const std::string& line : outcome.timeline) message << "    " << line << "\n";
  message << outcome.details;
  if (settings_.keep_failed) {
    message << "  kept: " << (fs::path(directory_) / (job.name + "-" + std::to_string(seed)))
            << "-*\n";
  }
  failure.message = message.str();
  report_.failures.push_back(failure);
}

}  // namespace sluice::campaign
