#include "runtime/connectors/nexmark/nexmark_generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

#include "catalog/base/check.h"
#include "runtime/connectors/split_mix.h"

namespace sluice::runtime::connectors::nexmark {

namespace {

constexpr int64_t kFirstPersonId = 1000;
constexpr int64_t kFirstAuctionId = 1000;
constexpr int64_t kFirstCategoryId = 10;
constexpr int64_t kNumCategories = 5;
constexpr int64_t kPersonIdLead = 10;
constexpr int64_t kAuctionIdLead = 10;
constexpr int64_t kHotChannelCount = 4;
constexpr int64_t kChannelCacheSize = 10000;
constexpr size_t kExtraPoolSize = 1 << 20;

constexpr const char* kFirstNames[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                       "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
constexpr const char* kLastNames[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                      "Walton", "Smith",  "Jones",   "Noris"};
constexpr std::string_view kCities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                        "Portland", "Bend",        "Redmond",       "Seattle",
                                        "Kent",     "Cheyenne"};
constexpr std::string_view kStates[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::string_view kHotChannels[] = {"Google", "Facebook", "Baidu", "Apple"};

// Slots of NexmarkSchema() flattened: event_type, person ROW + 8, auction ROW + 10, bid ROW + 7.
constexpr size_t kEventType = 0;
constexpr size_t kPerson = 1;
constexpr size_t kPersonId = 2;
constexpr size_t kPersonName = 3;
constexpr size_t kPersonEmail = 4;
constexpr size_t kPersonCreditCard = 5;
constexpr size_t kPersonCity = 6;
constexpr size_t kPersonState = 7;
constexpr size_t kPersonDateTime = 8;
constexpr size_t kPersonExtra = 9;
constexpr size_t kAuction = 10;
constexpr size_t kAuctionId = 11;
constexpr size_t kAuctionItemName = 12;
constexpr size_t kAuctionDescription = 13;
constexpr size_t kAuctionInitialBid = 14;
constexpr size_t kAuctionReserve = 15;
constexpr size_t kAuctionDateTime = 16;
constexpr size_t kAuctionExpires = 17;
constexpr size_t kAuctionSeller = 18;
constexpr size_t kAuctionCategory = 19;
constexpr size_t kAuctionExtra = 20;
constexpr size_t kBid = 21;
constexpr size_t kBidAuction = 22;
constexpr size_t kBidBidder = 23;
constexpr size_t kBidPrice = 24;
constexpr size_t kBidChannel = 25;
constexpr size_t kBidUrl = 26;
constexpr size_t kBidDateTime = 27;
constexpr size_t kBidExtra = 28;
static_assert(kBidExtra + 1 == kNexmarkSlotCount);

// The 99 "First Last" names, built once; events view them without copying.
const std::vector<std::string>& FullNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const char* first : kFirstNames) {
      for (const char* last : kLastNames) names.push_back(std::string(first) + " " + last);
    }
    return names;
  }();
  return kNames;
}

// nextString(maxLength, special): 3 + uniform(max - 3) characters, each `special` with
// p = 1/13 else a-z, then trimmed of spaces at both ends. Returns the written view.
std::string_view WriteNextString(int64_t max_length, char special, SplitMix* random, char* out) {
  const int64_t length = 3 + random->Uniform(max_length - 3);
  for (int64_t i = 0; i < length; ++i) {
    // One draw yields both choices: the high part picks 1-in-13, the remainder a letter.
    unsigned __int128 product = static_cast<unsigned __int128>(random->Next()) * 13;
    uint64_t rest = static_cast<uint64_t>(product);
    if ((product >> 64) == 0) {
      out[i] = special;
    } else {
      out[i] = static_cast<char>('a' + ((static_cast<unsigned __int128>(rest) * 26) >> 64));
    }
  }
  int64_t begin = 0, end = length;
  while (begin < end && out[begin] == ' ') ++begin;
  while (end > begin && out[end - 1] == ' ') --end;
  return {out + begin, static_cast<size_t>(end - begin)};
}

int64_t NextPrice(SplitMix* random) {
  // round(10^(u * 6) * 100): log-uniform in [100, 100,000,000].
  return std::llround(std::exp(random->NextDouble() * 6 * 2.302585092994046) * 100.0);
}

// Java's Integer.reverse then Math.abs (which leaves Integer.MIN_VALUE negative).
int64_t AbsReversedBits(int32_t value) {
  uint32_t bits = static_cast<uint32_t>(value), reversed = 0;
  for (int i = 0; i < 32; ++i) reversed |= ((bits >> i) & 1u) << (31 - i);
  int32_t signed_reversed = static_cast<int32_t>(reversed);
  if (signed_reversed == INT32_MIN) return signed_reversed;
  return signed_reversed < 0 ? -static_cast<int64_t>(signed_reversed) : signed_reversed;
}

std::string BaseUrl(SplitMix* random) {
  char part[8];
  std::string url = "https://www.nexmark.com/";
  url += WriteNextString(5, '_', random, part);
  url += '/';
  url += WriteNextString(5, '_', random, part);
  url += '/';
  url += WriteNextString(5, '_', random, part);
  url += "/item.htm?query=1";
  return url;
}

// Writes strings of one event into the batch arena.
struct ArenaOutput {
  Arena* arena;
  char* Allocate(size_t size) { return arena->Allocate(size); }
};

// Writes strings of one event into a fixed buffer (GenerateEvent copies them out).
struct ScratchOutput {
  char buffer[4096];
  size_t used = 0;
  char* Allocate(size_t size) {
    SLUICE_CHECK(used + size <= sizeof(buffer), "nexmark event larger than {} bytes", used + size);
    char* out = buffer + used;
    used += size;
    return out;
  }
};

template <typename Output>
std::string_view CopyTo(Output* output, std::string_view text) {
  char* target = output->Allocate(text.size());
  std::memcpy(target, text.data(), text.size());
  return {target, text.size()};
}

StringRef ToRef(std::string_view text) {
  return StringRef{text.data(), static_cast<uint32_t>(text.size()), 0};
}

}  // namespace

struct NexmarkGenerator::RawEvent {
  NexmarkEventType type = NexmarkEventType::kPerson;
  int64_t date_time = 0;
  std::string_view extra;
  // person
  int64_t person_id = 0;
  std::string_view name, email, credit_card, city, state;
  // auction
  int64_t auction_id = 0;
  std::string_view item_name, description;
  int64_t initial_bid = 0, reserve = 0, expires = 0, seller = 0, category = 0;
  // bid
  int64_t bid_auction = 0, bidder = 0, price = 0;
  std::string_view channel, url;
};

types::Schema NexmarkSchema() {
  using types::LogicalType;
  LogicalType bigint = LogicalType::Bigint(), varchar = LogicalType::Varchar(),
              timestamp = LogicalType::Timestamp();
  types::Schema schema;
  schema.columns.push_back({"event_type", LogicalType::Int()});
  schema.columns.push_back({"person", LogicalType::Row({{"id", bigint},
                                                        {"name", varchar},
                                                        {"emailAddress", varchar},
                                                        {"creditCard", varchar},
                                                        {"city", varchar},
                                                        {"state", varchar},
                                                        {"dateTime", timestamp},
                                                        {"extra", varchar}})});
  schema.columns.push_back({"auction", LogicalType::Row({{"id", bigint},
                                                         {"itemName", varchar},
                                                         {"description", varchar},
                                                         {"initialBid", bigint},
                                                         {"reserve", bigint},
                                                         {"dateTime", timestamp},
                                                         {"expires", timestamp},
                                                         {"seller", bigint},
                                                         {"category", bigint},
                                                         {"extra", varchar}})});
  schema.columns.push_back({"bid", LogicalType::Row({{"auction", bigint},
                                                     {"bidder", bigint},
                                                     {"price", bigint},
                                                     {"channel", varchar},
                                                     {"url", varchar},
                                                     {"dateTime", timestamp},
                                                     {"extra", varchar}})});
  return schema;
}

NexmarkGenerator::NexmarkGenerator(const NexmarkConfig& config)
    : config_(config),
      inter_event_delay_us_(config.inter_event_delay_us()),
      event_key_(Mix(config.seed ^ 0x6E65786D61726B31ULL)) {
  SLUICE_CHECK(config_.person_proportion >= 1 && config_.auction_proportion >= 1 &&
                   config_.bid_proportion >= 0 && config_.first_event_rate > 0,
               "invalid nexmark config");
  // The pools are pure functions of the seed, on streams apart from the per-event ones.
  SplitMix pool_random(Mix(config.seed ^ 0x65787472612D706FULL));
  extra_pool_.resize(kExtraPoolSize);
  int32_t chunk = 0;
  for (size_t i = 0; i < kExtraPoolSize; ++i) {
    // nextExactString: a fresh 32-bit draw every 6 characters, Java's signed %, so characters
    // range over 'H'..'z' as in Beam and Flink.
    if (i % 6 == 0) chunk = static_cast<int32_t>(pool_random.Next() >> 32);
    extra_pool_[i] = static_cast<char>('a' + chunk % 26);
    chunk /= 26;
  }

  SplitMix url_random(Mix(config.seed ^ 0x75726C2D63616368ULL));
  for (std::string& url : hot_urls_) url = BaseUrl(&url_random);
  cached_channels_.reserve(kChannelCacheSize);
  cached_urls_.reserve(kChannelCacheSize);
  for (int32_t i = 0; i < kChannelCacheSize; ++i) {
    std::string url = BaseUrl(&url_random);
    if (url_random.Uniform(10) > 0) url += "&channel_id=" + std::to_string(AbsReversedBits(i));
    cached_urls_.push_back(std::move(url));
    cached_channels_.push_back("channel-" + std::to_string(i));
  }
}

NexmarkEventType NexmarkGenerator::EventType(int64_t event_number) const {
  const int64_t remainder = event_number % config_.total_proportion();
  if (remainder < config_.person_proportion) return NexmarkEventType::kPerson;
  if (remainder < config_.person_proportion + config_.auction_proportion) {
    return NexmarkEventType::kAuction;
  }
  return NexmarkEventType::kBid;
}

int64_t NexmarkGenerator::TimestampForEvent(int64_t event_number) const {
  return config_.base_time_ms +
         static_cast<int64_t>(static_cast<double>(event_number) * inter_event_delay_us_) / 1000;
}

int64_t NexmarkGenerator::LastBase0PersonId(int64_t event_id) const {
  const int64_t epoch = event_id / config_.total_proportion();
  int64_t offset = event_id % config_.total_proportion();
  if (offset >= config_.person_proportion) offset = config_.person_proportion - 1;
  return epoch * config_.person_proportion + offset;
}

int64_t NexmarkGenerator::LastBase0AuctionId(int64_t event_id) const {
  int64_t epoch = event_id / config_.total_proportion();
  int64_t offset = event_id % config_.total_proportion();
  if (offset < config_.person_proportion) {
    epoch -= 1;
    offset = config_.auction_proportion - 1;
  } else if (offset >= config_.person_proportion + config_.auction_proportion) {
    offset = config_.auction_proportion - 1;
  } else {
    offset -= config_.person_proportion;
  }
  return epoch * config_.auction_proportion + offset;
}

template <typename Random>
int64_t NexmarkGenerator::NextBase0PersonId(int64_t event_id, Random* random) const {
  const int64_t num_people = LastBase0PersonId(event_id) + 1;
  const int64_t active = std::min(num_people, config_.num_active_people);
  return num_people - active + random->Uniform(active + kPersonIdLead);
}

template <typename Random>
int64_t NexmarkGenerator::NextBase0AuctionId(int64_t event_id, Random* random) const {
  const int64_t max_auction = LastBase0AuctionId(event_id);
  const int64_t min_auction = std::max<int64_t>(max_auction - config_.num_in_flight_auctions, 0);
  return min_auction + random->Uniform(max_auction - min_auction + 1 + kAuctionIdLead);
}

template <typename Random>
std::string_view NexmarkGenerator::NextExtra(int64_t current_size, int64_t average_size,
                                             Random* random) const {
  if (current_size > average_size) return {};
  const int64_t desired = average_size - current_size;
  const int64_t delta = std::llround(static_cast<double>(desired) * 0.2);
  const int64_t size = desired - delta + (delta == 0 ? 0 : random->Uniform(2 * delta));
  const int64_t offset = random->Uniform(static_cast<int64_t>(kExtraPoolSize) - size);
  return std::string_view(extra_pool_)
      .substr(static_cast<size_t>(offset), static_cast<size_t>(size));
}

template <typename Output>
void NexmarkGenerator::Generate(int64_t event_number, RawEvent* event, Output* output) const {
  // Beam numbering: event id = event number (first id 0, one generator, in order).
  const int64_t event_id = event_number;
  SplitMix random(Mix(event_key_ ^ (static_cast<uint64_t>(event_number) * 0xD1B54A32D192ED03ULL)));
  event->type = EventType(event_id);
  event->date_time = TimestampForEvent(event_number);

  switch (event->type) {
    case NexmarkEventType::kPerson: {
      event->person_id = LastBase0PersonId(event_id) + kFirstPersonId;
      const int64_t first = random.Uniform(std::size(kFirstNames));
      const int64_t last = random.Uniform(std::size(kLastNames));
      event->name = FullNames()[first * std::size(kLastNames) + last];

      char* email = output->Allocate(6 + 1 + 4 + 4);
      std::string_view local = WriteNextString(7, ' ', &random, email);
      std::memmove(email, local.data(), local.size());
      char* cursor = email + local.size();
      *cursor++ = '@';
      std::string_view domain = WriteNextString(5, ' ', &random, cursor);
      std::memmove(cursor, domain.data(), domain.size());
      cursor += domain.size();
      std::memcpy(cursor, ".com", 4);
      event->email = {email, static_cast<size_t>(cursor + 4 - email)};

      char* card = output->Allocate(19);
      for (int group = 0; group < 4; ++group) {
        int64_t digits = random.Uniform(10000);
        char* target = card + group * 5;
        target[0] = static_cast<char>('0' + digits / 1000);
        target[1] = static_cast<char>('0' + digits / 100 % 10);
        target[2] = static_cast<char>('0' + digits / 10 % 10);
        target[3] = static_cast<char>('0' + digits % 10);
        if (group < 3) target[4] = ' ';
      }
      event->credit_card = {card, 19};
      event->city = kCities[random.Uniform(std::size(kCities))];
      event->state = kStates[random.Uniform(std::size(kStates))];
      const int64_t size = 8 + event->name.size() + event->email.size() +
                           event->credit_card.size() + event->city.size() + event->state.size();
      event->extra = CopyTo(output, NextExtra(size, config_.avg_person_byte_size, &random));
      break;
    }
    case NexmarkEventType::kAuction: {
      event->auction_id = LastBase0AuctionId(event_id) + kFirstAuctionId;
      int64_t seller;
      if (random.Uniform(config_.hot_sellers_ratio) > 0) {
        seller = (LastBase0PersonId(event_id) / 100) * 100;
      } else {
        seller = NextBase0PersonId(event_id, &random);
      }
      event->seller = seller + kFirstPersonId;
      event->category = kFirstCategoryId + random.Uniform(kNumCategories);
      event->initial_bid = NextPrice(&random);
      // nextAuctionLengthMs: uniform in [1, 2 * the event time until ~100 more auctions].
      const int64_t ahead =
          config_.num_in_flight_auctions * config_.total_proportion() / config_.auction_proportion;
      const int64_t horizon_ms = TimestampForEvent(event_number + ahead) - event->date_time;
      event->expires = event->date_time + 1 + random.Uniform(std::max<int64_t>(2 * horizon_ms, 1));
      event->item_name = WriteNextString(20, ' ', &random, output->Allocate(19));
      event->description = WriteNextString(100, ' ', &random, output->Allocate(99));
      event->reserve = event->initial_bid + NextPrice(&random);
      const int64_t size = 8 + event->item_name.size() + event->description.size() + 8 * 5;
      event->extra = CopyTo(output, NextExtra(size, config_.avg_auction_byte_size, &random));
      break;
    }
    case NexmarkEventType::kBid: {
      int64_t auction;
      if (random.Uniform(config_.hot_auction_ratio) > 0) {
        auction = (LastBase0AuctionId(event_id) / 100) * 100;
      } else {
        auction = NextBase0AuctionId(event_id, &random);
      }
      event->bid_auction = auction + kFirstAuctionId;
      int64_t bidder;
      if (random.Uniform(config_.hot_bidders_ratio) > 0) {
        bidder = (LastBase0PersonId(event_id) / 100) * 100 + 1;
      } else {
        bidder = NextBase0PersonId(event_id, &random);
      }
      // Beam adds FIRST_PERSON_ID once; Flink's generator adds it twice (generator.md §5.4).
      event->bidder = bidder + kFirstPersonId;
      event->price = NextPrice(&random);
      if (random.Uniform(2) > 0) {
        const int64_t hot = random.Uniform(kHotChannelCount);
        event->channel = kHotChannels[hot];
        event->url = CopyTo(output, hot_urls_[hot]);
      } else {
        const int64_t cached = random.Uniform(kChannelCacheSize);
        event->channel = CopyTo(output, cached_channels_[cached]);
        event->url = CopyTo(output, cached_urls_[cached]);
      }
      event->extra = CopyTo(output, NextExtra(32, config_.avg_bid_byte_size, &random));
      break;
    }
  }
}

NexmarkEvent NexmarkGenerator::GenerateEvent(int64_t event_number) const {
  ScratchOutput output;
  RawEvent raw;
  Generate(event_number, &raw, &output);
  NexmarkEvent event;
  event.event_number = event_number;
  event.type = raw.type;
  switch (raw.type) {
    case NexmarkEventType::kPerson:
      event.person = NexmarkPerson{raw.person_id,          std::string(raw.name),
                                   std::string(raw.email), std::string(raw.credit_card),
                                   std::string(raw.city),  std::string(raw.state),
                                   raw.date_time,          std::string(raw.extra)};
      break;
    case NexmarkEventType::kAuction:
      event.auction = NexmarkAuction{raw.auction_id,
                                     std::string(raw.item_name),
                                     std::string(raw.description),
                                     raw.initial_bid,
                                     raw.reserve,
                                     raw.date_time,
                                     raw.expires,
                                     raw.seller,
                                     raw.category,
                                     std::string(raw.extra)};
      break;
    case NexmarkEventType::kBid:
      event.bid = NexmarkBid{raw.bid_auction,          raw.bidder,           raw.price,
                             std::string(raw.channel), std::string(raw.url), raw.date_time,
                             std::string(raw.extra)};
      break;
  }
  return event;
}

void NexmarkGenerator::FillBatch(int64_t first_event_number, int32_t count, Batch* batch) const {
  SLUICE_CHECK(batch->column_count() == kNexmarkSlotCount,
               "a nexmark batch needs {} slot columns, got {}", kNexmarkSlotCount,
               batch->column_count());
  SLUICE_CHECK(count >= 0 && count <= kBatchCapacity, "batch row count {}", count);
  uint8_t* data[kNexmarkSlotCount];
  uint8_t* valid[kNexmarkSlotCount];
  int32_t width[kNexmarkSlotCount];
  for (size_t slot = 0; slot < kNexmarkSlotCount; ++slot) {
    Column& column = batch->column(slot);
    data[slot] = column.data();
    valid[slot] = column.validity();
    width[slot] = column.type().PhysicalWidth();
  }
  auto set_long = [&](size_t slot, int32_t row, int64_t value) {
    reinterpret_cast<int64_t*>(data[slot])[row] = value;
    valid[slot][row] = 1;
  };
  auto set_string = [&](size_t slot, int32_t row, std::string_view value) {
    reinterpret_cast<StringRef*>(data[slot])[row] = ToRef(value);
    valid[slot][row] = 1;
  };
  // Marks a ROW and its field slots [first, last] NULL with zeroed values.
  auto set_null = [&](size_t first, size_t last, int32_t row) {
    for (size_t slot = first; slot <= last; ++slot) {
      valid[slot][row] = 0;
      if (width[slot] == 8) {
        reinterpret_cast<int64_t*>(data[slot])[row] = 0;
      } else if (width[slot] == 16) {
        reinterpret_cast<StringRef*>(data[slot])[row] = StringRef{nullptr, 0, 0};
      }
    }
  };

  ArenaOutput output{&batch->arena()};
  RawEvent event;
  for (int32_t row = 0; row < count; ++row) {
    Generate(first_event_number + row, &event, &output);
    reinterpret_cast<int32_t*>(data[kEventType])[row] = static_cast<int32_t>(event.type);
    valid[kEventType][row] = 1;
    switch (event.type) {
      case NexmarkEventType::kPerson:
        valid[kPerson][row] = 1;
        set_long(kPersonId, row, event.person_id);
        set_string(kPersonName, row, event.name);
        set_string(kPersonEmail, row, event.email);
        set_string(kPersonCreditCard, row, event.credit_card);
        set_string(kPersonCity, row, event.city);
        set_string(kPersonState, row, event.state);
        set_long(kPersonDateTime, row, event.date_time);
        set_string(kPersonExtra, row, event.extra);
        set_null(kAuction, kAuctionExtra, row);
        set_null(kBid, kBidExtra, row);
        break;
      case NexmarkEventType::kAuction:
        set_null(kPerson, kPersonExtra, row);
        valid[kAuction][row] = 1;
        set_long(kAuctionId, row, event.auction_id);
        set_string(kAuctionItemName, row, event.item_name);
        set_string(kAuctionDescription, row, event.description);
        set_long(kAuctionInitialBid, row, event.initial_bid);
        set_long(kAuctionReserve, row, event.reserve);
        set_long(kAuctionDateTime, row, event.date_time);
        set_long(kAuctionExpires, row, event.expires);
        set_long(kAuctionSeller, row, event.seller);
        set_long(kAuctionCategory, row, event.category);
        set_string(kAuctionExtra, row, event.extra);
        set_null(kBid, kBidExtra, row);
        break;
      case NexmarkEventType::kBid:
        set_null(kPerson, kPersonExtra, row);
        set_null(kAuction, kAuctionExtra, row);
        valid[kBid][row] = 1;
        set_long(kBidAuction, row, event.bid_auction);
        set_long(kBidBidder, row, event.bidder);
        set_long(kBidPrice, row, event.price);
        set_string(kBidChannel, row, event.channel);
        set_string(kBidUrl, row, event.url);
        set_long(kBidDateTime, row, event.date_time);
        set_string(kBidExtra, row, event.extra);
        break;
    }
  }
  batch->set_row_count(count);
}

}  // namespace sluice::runtime::connectors::nexmark
