#include "runtime/connectors/nexmark/nexmark_config.h"

#include <string>
#include <vector>

#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors::nexmark {

namespace {

const std::vector<std::string>& KnownOptions() {
  static const std::vector<std::string> kKnown = {
      "events.num",
      "first-event.rate",
      "next-event.rate",
      "person.proportion",
      "auction.proportion",
      "bid.proportion",
      "seed",
      "base-time",
      "rate-limit",
      // Accepted for Flink DDL compatibility and ignored: Sluice never stops early, always
      // emits as fast as 'rate-limit' allows, and has no keep-alive events.
      "keep-alive",
      "stop-at",
      "max-emit-speed",
  };
  return kKnown;
}

}  // namespace

base::Result<NexmarkConfig> NexmarkConfig::FromOptions(const TableDescriptor& table) {
  OptionReader options(table);
  SLUICE_RETURN_IF_ERROR(options.CheckKnown(KnownOptions()));

  NexmarkConfig config;
  SLUICE_ASSIGN_OR_RETURN(config.events_num, options.GetInt("events.num", 0, 0));
  SLUICE_ASSIGN_OR_RETURN(config.first_event_rate, options.GetDouble("first-event.rate", 10000, 0));
  if (config.first_event_rate <= 0) {
    return options.InvalidValue("first-event.rate", "must be greater than 0");
  }
  SLUICE_ASSIGN_OR_RETURN(double next_rate,
                          options.GetDouble("next-event.rate", config.first_event_rate, 0));
  if (next_rate != config.first_event_rate) {
    return options.InvalidValue(
        "next-event.rate",
        "rate shapes are not supported: 'next-event.rate' must equal 'first-event.rate' (" +
            options.GetString("first-event.rate").value_or("10000") + ")");
  }
  SLUICE_ASSIGN_OR_RETURN(config.person_proportion,
                          options.GetInt("person.proportion", 1, 1, 1000000));
  SLUICE_ASSIGN_OR_RETURN(config.auction_proportion,
                          options.GetInt("auction.proportion", 3, 1, 1000000));
  SLUICE_ASSIGN_OR_RETURN(config.bid_proportion, options.GetInt("bid.proportion", 46, 0, 1000000));
  SLUICE_ASSIGN_OR_RETURN(int64_t seed, options.GetInt("seed", 0));
  config.seed = static_cast<uint64_t>(seed);
  if (auto base_time = options.GetString("base-time")) {
    auto millis = ParseTimestampOrEpochMillis(*base_time);
    if (!millis) {
      return options.InvalidValue("base-time",
                                  "expected 'YYYY-MM-DD HH:MM:SS' (UTC) or epoch milliseconds");
    }
    config.base_time_ms = *millis;
  }
  SLUICE_ASSIGN_OR_RETURN(config.rate_limit, options.GetDouble("rate-limit", 0, 0));
  SLUICE_ASSIGN_OR_RETURN(bool ignored, options.GetBool("max-emit-speed", true));
  (void)ignored;
  return config;
}

}  // namespace sluice::runtime::connectors::nexmark
