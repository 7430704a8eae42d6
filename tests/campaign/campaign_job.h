#pragma once

// The jobs of the crash campaign: short, rate-limited, deterministic `.pipe` files whose
// committed output after any number of crashes must equal an uninterrupted run's.

#include <string>
#include <vector>

#include "tests/campaign/committed_output.h"

namespace sluice::campaign {

/// One sink of a job: its table name and how its lines (records) read. A filesystem sink
/// writes the directory `@OUTPUT@/<table>`; a Kafka sink (exactly-once, records tagged with
/// their transaction: 'sink.exactly-once.tag-records') writes `topic`.
struct CampaignSink {
  std::string table;
  SinkFormat format;
  /// A Kafka sink's topic, with `@RUN@` standing for the run's name (JobPlaces::run_name);
  /// empty for a filesystem sink.
  std::string topic = {};

  bool kafka() const { return !topic.empty(); }
};

/// Where one run of a job reads and writes: the values of the placeholders of its text.
struct JobPlaces {
  /// `@OUTPUT@`: the directory the filesystem sinks write under.
  std::string output_directory;
  /// `@BOOTSTRAP@`: the campaign's Kafka cluster (empty: none).
  std::string bootstrap_servers = {};
  /// `@RUN@`: a name no other run of the campaign has (letters, digits, '-', '.'), so that
  /// every scenario (and every reference run) has its own sink topics and transactional ids.
  std::string run_name = {};

  /// `text` with the placeholders replaced.
  std::string Substitute(const std::string& text) const;
  /// The topic a Kafka sink of this run writes.
  std::string TopicOf(const CampaignSink& sink) const { return Substitute(sink.topic); }
};

/// A job of the campaign. Its text names every sink's directory as `@OUTPUT@/<table>`; every
/// source is seeded, so the rows (and their event times) never depend on the parallelism,
/// the backend or the moments of the crashes.
struct CampaignJob {
  std::string name;
  /// The ctest case that runs it (windows, aggregates, joins, several_sources, kafka).
  std::string family;
  std::string text;
  std::vector<CampaignSink> sinks;
  /// Whether it reads or writes the campaign's Kafka cluster (its text names `@BOOTSTRAP@`):
  /// the test starts one and fills the source topic (kafka_campaign.h) before it runs.
  bool kafka = false;
  /// Crash hooks of the job's own connectors (`SLUICE_TEST_CRASH_AT` points), planned besides
  /// the engine's (scenario_plan.cpp).
  std::vector<std::string> crash_points = {};

  /// The `.pipe` text of a run writing to `places`.
  std::string PipeText(const JobPlaces& places) const;
};

/// Every job of the campaign.
const std::vector<CampaignJob>& CampaignJobs();

/// The jobs of `family`, in a fixed order.
std::vector<const CampaignJob*> JobsOfFamily(const std::string& family);

}  // namespace sluice::campaign
