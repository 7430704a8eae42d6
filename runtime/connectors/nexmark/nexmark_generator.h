#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"
#include "runtime/connectors/nexmark/nexmark_config.h"

namespace sluice::runtime::connectors::nexmark {

/// Which sub-record an event carries; the value of the `event_type` column.
enum class NexmarkEventType : int32_t { kPerson = 0, kAuction = 1, kBid = 2 };

struct NexmarkPerson {
  int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  int64_t date_time = 0;  // epoch ms
  std::string extra;
  bool operator==(const NexmarkPerson&) const = default;
};

struct NexmarkAuction {
  int64_t id = 0;
  std::string item_name;
  std::string description;
  int64_t initial_bid = 0;
  int64_t reserve = 0;
  int64_t date_time = 0;  // epoch ms
  int64_t expires = 0;    // epoch ms
  int64_t seller = 0;
  int64_t category = 0;
  std::string extra;
  bool operator==(const NexmarkAuction&) const = default;
};

struct NexmarkBid {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::string url;
  int64_t date_time = 0;  // epoch ms
  std::string extra;
  bool operator==(const NexmarkBid&) const = default;
};

/// One generated event, row by row; only the sub-record named by `type` is meaningful.
struct NexmarkEvent {
  int64_t event_number = 0;
  NexmarkEventType type = NexmarkEventType::kPerson;
  NexmarkPerson person;
  NexmarkAuction auction;
  NexmarkBid bid;
  bool operator==(const NexmarkEvent&) const = default;
};

/// Returns the source's physical schema, Flink's DDL: `event_type INT`, then the `person`,
/// `auction` and `bid` ROW columns.
types::Schema NexmarkSchema();

/// Number of flattened slots of NexmarkSchema() (3 ROW slots + 25 fields + event_type).
inline constexpr size_t kNexmarkSlotCount = 29;

/// Generates Nexmark events as a pure function of (seed, event number) over one global id
/// and time line (Beam-compatible: event 0 is person 1000, base time 2015-07-15). Thread-safe:
/// all methods are const; the pools built from the seed are immutable.
class NexmarkGenerator {
 public:
  explicit NexmarkGenerator(const NexmarkConfig& config);

  const NexmarkConfig& config() const { return config_; }

  /// Returns the kind of the event with this number (1 : 3 : 46 per 50 by default).
  NexmarkEventType EventType(int64_t event_number) const;
  /// Returns the event time of an event: base + n * interEventDelayUs / 1000 ms.
  int64_t TimestampForEvent(int64_t event_number) const;
  /// The id (from 0) of the person being generated at this event, or of the latest one.
  int64_t LastBase0PersonId(int64_t event_id) const;
  /// The id (from 0) of the auction being generated at this event, or of the latest one.
  int64_t LastBase0AuctionId(int64_t event_id) const;

  /// Generates one event as plain C++ values, for tests and oracles.
  NexmarkEvent GenerateEvent(int64_t event_number) const;

  /// Writes events [first_event_number, first_event_number + count) to rows 0..count-1 of
  /// `batch`, which has the kNexmarkSlotCount slot columns of NexmarkSchema(); sets the row
  /// count. Strings go to the batch arena, except constants (names, cities, states, hot
  /// channels), which are views of static storage. The unused ROWs are NULL with zeroed values.
  void FillBatch(int64_t first_event_number, int32_t count, Batch* batch) const;

 private:
  struct RawEvent;
  template <typename Output>
  void Generate(int64_t event_number, RawEvent* event, Output* output) const;
  template <typename Random>
  int64_t NextBase0PersonId(int64_t event_id, Random* random) const;
  template <typename Random>
  int64_t NextBase0AuctionId(int64_t event_id, Random* random) const;
  template <typename Random>
  std::string_view NextExtra(int64_t current_size, int64_t average_size, Random* random) const;

  NexmarkConfig config_;
  double inter_event_delay_us_;
  uint64_t event_key_;      // per-event RNG streams derive from this and the number
  std::string extra_pool_;  // 1 MiB of nextExactString characters (Flink's shortcut)
  std::array<std::string, 4> hot_urls_;
  std::vector<std::string> cached_channels_;  // CHANNEL_URL_CACHE, 10000 entries
  std::vector<std::string> cached_urls_;
};

}  // namespace sluice::runtime::connectors::nexmark
