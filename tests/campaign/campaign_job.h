#pragma once

// The jobs of the crash campaign: short, rate-limited, deterministic `.pipe` files whose
// committed output after any number of crashes must equal an uninterrupted run's.

#include <string>
#include <vector>

#include "tests/campaign/committed_output.h"

namespace sluice::campaign {

/// One filesystem sink of a job: its table (and directory) name and how its lines read.
struct CampaignSink {
  std::string table;
  SinkFormat format;
};

/// A job of the campaign. Its text names every sink's directory as `@OUTPUT@/<table>`; every
/// source is seeded, so the rows (and their event times) never depend on the parallelism,
/// the backend or the moments of the crashes.
struct CampaignJob {
  std::string name;
  /// The ctest case that runs it (windows, aggregates, joins, several_sources).
  std::string family;
  std::string text;
  std::vector<CampaignSink> sinks;

  /// The `.pipe` text with its sinks writing under `output_directory`.
  std::string PipeText(const std::string& output_directory) const;
};

/// Every job of the campaign.
const std::vector<CampaignJob>& CampaignJobs();

/// The jobs of `family`, in a fixed order.
std::vector<const CampaignJob*> JobsOfFamily(const std::string& family);

}  // namespace sluice::campaign
