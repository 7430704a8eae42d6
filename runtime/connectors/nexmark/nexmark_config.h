#pragma once

#include <cstdint>

#include "catalog/base/result.h"
#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors::nexmark {

/// Configures the Nexmark generator. Option names are Flink's (`'events.num'`, ...); fields
/// below them are fixed Beam/Flink constants that no option changes.
struct NexmarkConfig {
  /// 'events.num': events in the whole source; 0 = unbounded. Default 0.
  int64_t events_num = 0;
  /// 'first-event.rate': events per second of event time over the whole source. Default 10000.
  double first_event_rate = 10000;
  /// 'person.proportion', 'auction.proportion', 'bid.proportion'. Defaults 1, 3, 46.
  int64_t person_proportion = 1;
  int64_t auction_proportion = 3;
  int64_t bid_proportion = 46;
  /// 'seed': every event is a pure function of (seed, event number). Default 0.
  uint64_t seed = 0;
  /// 'base-time': event time of event 0, epoch ms. Default 2015-07-15 00:00:00 UTC (Beam).
  int64_t base_time_ms = 1436918400000;
  /// 'rate-limit': wall-clock events per second across all subtasks; 0 = as fast as possible.
  double rate_limit = 0;

  int64_t hot_auction_ratio = 2;
  int64_t hot_sellers_ratio = 4;
  int64_t hot_bidders_ratio = 4;
  int64_t num_in_flight_auctions = 100;
  int64_t num_active_people = 1000;
  int64_t avg_person_byte_size = 200;
  int64_t avg_auction_byte_size = 500;
  int64_t avg_bid_byte_size = 100;

  int64_t total_proportion() const {
    return person_proportion + auction_proportion + bid_proportion;
  }
  /// Microseconds of event time between consecutive events (one global generator).
  double inter_event_delay_us() const { return 1e6 / first_event_rate; }

  /// Parses and checks a table's options; errors name the option, its value and the table.
  static base::Result<NexmarkConfig> FromOptions(const TableDescriptor& table);
};

}  // namespace sluice::runtime::connectors::nexmark
