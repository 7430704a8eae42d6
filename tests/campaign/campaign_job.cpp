#include "tests/campaign/campaign_job.h"

#include "tests/campaign/kafka_campaign.h"

namespace sluice::campaign {

namespace {

// Each job lasts about three seconds uninterrupted (its sources are rate-limited) so that a
// scenario of several kills stays short. Event times come from the row or event number
// (seeded datagen, nexmark), never from the wall clock, and every row a window, an OVER frame
// or a Top-N orders by is unique or tie-free, so the output is one multiset whatever the
// parallelism and the interleaving of subtasks.

// 12,000 bids at 4,000 rows/s: 3 s of wall clock and of event time.
constexpr const char* kBids = R"(
CREATE TABLE bids (
  id BIGINT, auction BIGINT, price BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND
) WITH ('connector' = 'datagen', 'number-of-rows' = '12000', 'rows-per-second' = '4000',
        'seed' = '7', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
        'fields.id.end' = '12000', 'fields.auction.min' = '1', 'fields.auction.max' = '40',
        'fields.price.min' = '1', 'fields.price.max' = '1000');
)";

// The Nexmark generator (DESIGN §11), 60,000 events over 3 s of event time, emitted at
// 20,000 events/s; the person, auction and bid views of the Flink suite.
constexpr const char* kNexmark = R"(
CREATE TABLE events (
  event_type INT,
  person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
    state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
  auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
    reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
    category BIGINT, extra VARCHAR>,
  bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
    `dateTime` TIMESTAMP(3), extra VARCHAR>,
  `dateTime` AS CASE WHEN event_type = 0 THEN person.`dateTime`
                     WHEN event_type = 1 THEN auction.`dateTime`
                     ELSE bid.`dateTime` END,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '0.1' SECOND
) WITH ('connector' = 'nexmark', 'events.num' = '60000', 'first-event.rate' = '20000',
        'next-event.rate' = '20000', 'rate-limit' = '20000', 'seed' = '3');
CREATE VIEW person AS
  SELECT person.id, person.name, person.city, person.state, `dateTime` FROM events
  WHERE event_type = 0;
CREATE VIEW auction AS
  SELECT auction.id, auction.seller, auction.category, `dateTime` FROM events
  WHERE event_type = 1;
CREATE VIEW bid AS
  SELECT bid.auction, bid.bidder, bid.price, `dateTime` FROM events WHERE event_type = 2;
)";

// The campaign's Kafka source (kafka_campaign.h): records `{"id":…,"k":…,"amount":…}` filled
// before the scenarios, in several partitions, each partition's record timestamps rising with
// the id; read from the start to the end it had when the job started, so a job ends. With
// librdkafka's default queued.min.messages (100,000) a consumer that has fetched the mock's
// large batches pauses its partitions for half a second at a time, and a run at parallelism
// 1 idles most of its nine seconds: a larger queue keeps the reading busy (about 2.5 s).
std::string KafkaEvents() {
  return std::string(R"(
CREATE TABLE events (
  id BIGINT, k INT, amount BIGINT,
  part INT METADATA FROM 'partition' VIRTUAL,
  off BIGINT METADATA FROM 'offset' VIRTUAL,
  ts TIMESTAMP(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '0.5' SECOND
) WITH ('connector' = 'kafka', 'topic' = ')") +
         kKafkaSourceTopic + R"(',
        'properties.bootstrap.servers' = '@BOOTSTRAP@', 'format' = 'json',
        'properties.queued.min.messages' = '1000000',
        'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
)";
}

std::string Sink(const std::string& table, const std::string& columns, const std::string& format) {
  return "CREATE TABLE " + table + " (" + columns +
         ") WITH ('connector' = 'filesystem', 'path' = '@OUTPUT@/" + table + "', 'format' = '" +
         format + "');\n";
}

std::vector<CampaignJob> MakeJobs() {
  std::vector<CampaignJob> jobs;

  // ---- windows: window aggregations fired by the watermark
  jobs.push_back({"tumble",
                  "windows",
                  std::string(kBids) +
                      Sink("tumble_out",
                           "auction BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3), "
                           "bids BIGINT, total BIGINT, top BIGINT",
                           "json") +
                      "INSERT INTO tumble_out SELECT auction, window_start, window_end, COUNT(*), "
                      "SUM(price), MAX(price) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), "
                      "INTERVAL '0.25' SECOND)) GROUP BY auction, window_start, window_end;\n",
                  {{"tumble_out", SinkFormat::kInsertOnly}}});
  // A window over a TIMESTAMP_LTZ attribute in a zone with daylight time: its windows lie on
  // the zone's clock (operators/window_clock.h), its watermark is kept as a wall time, and
  // window_time is written as a UTC instant.
  jobs.push_back(
      {"ltz_tumble",
       "windows",
       "SET 'table.local-time-zone' = 'America/Los_Angeles';\n"
       "CREATE TABLE bids (id BIGINT, auction BIGINT, price BIGINT, ts TIMESTAMP(3),\n"
       "  ts_ltz AS CAST(ts AS TIMESTAMP_LTZ(3)),\n"
       "  WATERMARK FOR ts_ltz AS ts_ltz - INTERVAL '0.1' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '12000', 'rows-per-second' = '4000',\n"
       "      'seed' = '23', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '12000', 'fields.auction.min' = '1', 'fields.auction.max' = "
       "'40',\n"
       "      'fields.price.min' = '1', 'fields.price.max' = '1000');\n" +
           Sink("ltz_out",
                "auction BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3), "
                "window_time TIMESTAMP_LTZ(3), bids BIGINT, total BIGINT",
                "json") +
           "INSERT INTO ltz_out SELECT auction, window_start, window_end, window_time, "
           "COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts_ltz), INTERVAL "
           "'0.25' SECOND)) GROUP BY auction, window_start, window_end, window_time;\n",
       {{"ltz_out", SinkFormat::kInsertOnly}}});
  jobs.push_back(
      {"hop",
       "windows",
       std::string(kBids) +
           Sink("hop_out", "auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, low BIGINT",
                "json") +
           "INSERT INTO hop_out SELECT auction, window_end, COUNT(*), MIN(price) FROM "
           "TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '0.1' SECOND, INTERVAL "
           "'0.5' SECOND)) GROUP BY auction, window_start, window_end;\n",
       {{"hop_out", SinkFormat::kInsertOnly}}});
  // 300 users clicking 3,000 times a second: one click per user every 100 ms on average, so a
  // 150 ms gap ends a session now and then.
  jobs.push_back(
      {"session",
       "windows",
       "CREATE TABLE clicks (id BIGINT, user_id BIGINT, ts TIMESTAMP(3),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '9000', 'rows-per-second' = '3000',\n"
       "      'seed' = '11', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '9000', 'fields.user_id.min' = '1', "
       "'fields.user_id.max' = '300');\n" +
           Sink("session_out",
                "user_id BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3), "
                "clicks BIGINT, first_id BIGINT, last_id BIGINT",
                "json") +
           "INSERT INTO session_out SELECT user_id, window_start, window_end, COUNT(*), MIN(id), "
           "MAX(id) FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), "
           "INTERVAL '0.15' SECOND)) GROUP BY user_id, window_start, window_end;\n",
       {{"session_out", SinkFormat::kInsertOnly}}});

  // ---- aggregates: updating results and ordered state
  jobs.push_back({"unbounded",
                  "aggregates",
                  std::string(kBids) +
                      Sink("totals_out", "auction BIGINT, bids BIGINT, total BIGINT, top BIGINT",
                           "changelog-json") +
                      "INSERT INTO totals_out SELECT auction, COUNT(*), SUM(price), MAX(price) "
                      "FROM bids GROUP BY auction;\n",
                  {{"totals_out", SinkFormat::kChangelog}}});
  // DECIMALs past 18 digits (128-bit): a grouping key, SUM / AVG accumulators, MIN / MAX
  // extremes and a COUNT(DISTINCT) set of 23-digit values, in state and in the changelog.
  jobs.push_back(
      {"wide_decimal",
       "aggregates",
       std::string(kBids) +
           Sink("wide_out",
                "k DECIMAL(38, 2), bids BIGINT, total DECIMAL(38, 4), mean DECIMAL(38, 6), "
                "low DECIMAL(38, 4), high DECIMAL(38, 4), prices BIGINT",
                "changelog-json") +
           "INSERT INTO wide_out SELECT k, COUNT(*), SUM(v), AVG(v), MIN(v), MAX(v), "
           "COUNT(DISTINCT v) FROM (SELECT "
           "CAST(auction AS DECIMAL(30, 2)) * 100000000000000000000 AS k, "
           "CAST(price AS DECIMAL(38, 4)) * 100000000000000000000 + CAST('0.5' AS DECIMAL(2, 1)) "
           "AS v "
           "FROM bids) "
           "GROUP BY k;\n",
       {{"wide_out", SinkFormat::kChangelog}}});
  // Prices are distinct (id * 7919 mod a prime larger than every id), so the top 3 per auction
  // and their row numbers are one answer whatever order the rows arrive in.
  jobs.push_back(
      {"topn",
       "aggregates",
       "CREATE TABLE offers (id BIGINT, ts TIMESTAMP(3),\n"
       "  price AS MOD(id * 7919, 100003), auction AS MOD(id * 31, 37),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '12000', 'rows-per-second' = '4000',\n"
       "      'seed' = '5', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '12000');\n" +
           Sink("topn_out", "auction BIGINT, id BIGINT, price BIGINT, rn BIGINT",
                "changelog-json") +
           "INSERT INTO topn_out SELECT auction, id, price, rn FROM (SELECT auction, id, price, "
           "ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM offers) "
           "WHERE rn <= 3;\n",
       {{"topn_out", SinkFormat::kChangelog}}});
  // SELECT DISTINCT (an insert-only aggregate without calls) and a window Top-N (fired and
  // freed by the watermark): prices are distinct, so the top 2 per window have one answer.
  jobs.push_back(
      {"distinct_window_topn",
       "aggregates",
       "CREATE TABLE offers (id BIGINT, ts TIMESTAMP(3),\n"
       "  price AS MOD(id * 7919, 100003), auction AS MOD(id * 31, 37),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '12000', 'rows-per-second' = '4000',\n"
       "      'seed' = '5', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '12000');\n" +
           Sink("distinct_out", "auction BIGINT, band BIGINT", "json") +
           Sink("window_top_out",
                "window_end TIMESTAMP(3), auction BIGINT, id BIGINT, price BIGINT, rn BIGINT",
                "json") +
           "INSERT INTO distinct_out SELECT DISTINCT auction, price / 10000 FROM offers;\n"
           "INSERT INTO window_top_out SELECT window_end, auction, id, price, rn FROM (SELECT "
           "window_end, auction, id, price, ROW_NUMBER() OVER (PARTITION BY window_start, "
           "window_end, auction ORDER BY price DESC) AS rn FROM TABLE(TUMBLE(TABLE offers, "
           "DESCRIPTOR(ts), INTERVAL '0.5' SECOND))) WHERE rn <= 2;\n",
       {{"distinct_out", SinkFormat::kInsertOnly}, {"window_top_out", SinkFormat::kInsertOnly}}});
  // 1,000 rows/s: one row per millisecond, so no two rows share an event time and a ROWS
  // frame has one answer.
  jobs.push_back(
      {"over",
       "aggregates",
       "CREATE TABLE ticks (id BIGINT, account BIGINT, amount BIGINT, ts TIMESTAMP(3),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.05' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '3000', 'rows-per-second' = '1000',\n"
       "      'seed' = '13', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '3000', 'fields.account.min' = '1', 'fields.account.max' = "
       "'20',\n"
       "      'fields.amount.min' = '1', 'fields.amount.max' = '100');\n" +
           Sink("over_out",
                "id BIGINT, account BIGINT, amount BIGINT, last5_sum BIGINT, last5_max BIGINT, "
                "last5_count BIGINT",
                "json") +
           "INSERT INTO over_out SELECT id, account, amount,\n"
           "  SUM(amount) OVER (PARTITION BY account ORDER BY ts ROWS BETWEEN 4 PRECEDING AND "
           "CURRENT ROW),\n"
           "  MAX(amount) OVER (PARTITION BY account ORDER BY ts ROWS BETWEEN 4 PRECEDING AND "
           "CURRENT ROW),\n"
           "  COUNT(*) OVER (PARTITION BY account ORDER BY ts ROWS BETWEEN 4 PRECEDING AND "
           "CURRENT ROW)\n"
           "FROM ticks;\n",
       {{"over_out", SinkFormat::kInsertOnly}}});
  // MATCH_RECOGNIZE per account: a high amount, one or more not above it, then one above it,
  // within half a second; SKIP TO NEXT ROW lets matches overlap, so partial matches of
  // several starts live in state across the restores. B and C exclude each other: one
  // answer whatever the order of equal times.
  jobs.push_back(
      {"match_recognize",
       "aggregates",
       "CREATE TABLE ticks (id BIGINT, account BIGINT, amount BIGINT, ts TIMESTAMP(3),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.05' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '3000', 'rows-per-second' = '1000',\n"
       "      'seed' = '17', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '3000', 'fields.account.min' = '1', 'fields.account.max' = "
       "'20',\n"
       "      'fields.amount.min' = '1', 'fields.amount.max' = '100');\n" +
           Sink("match_out",
                "account BIGINT, first_id BIGINT, last_id BIGINT, dips BIGINT, total BIGINT, "
                "match_time TIMESTAMP(3)",
                "json") +
           "INSERT INTO match_out SELECT * FROM ticks MATCH_RECOGNIZE (\n"
           "  PARTITION BY account ORDER BY ts\n"
           "  MEASURES A.id AS first_id, C.id AS last_id, COUNT(B.id) AS dips,\n"
           "    SUM(amount) AS total, MATCH_ROWTIME() AS match_time\n"
           "  AFTER MATCH SKIP TO NEXT ROW\n"
           "  PATTERN (A B+ C) WITHIN INTERVAL '0.5' SECOND\n"
           "  DEFINE A AS A.amount > 50, B AS B.amount <= A.amount, C AS C.amount > A.amount);\n",
       {{"match_out", SinkFormat::kInsertOnly}}});
  // ORDER BY an event-time attribute: every row waits in the sort's one key group until the
  // watermark passes it, so rows are in state across the restores; ties by amount DESC.
  jobs.push_back(
      {"time_sort",
       "aggregates",
       "CREATE TABLE ticks (id BIGINT, account BIGINT, amount BIGINT, ts TIMESTAMP(3),\n"
       "  WATERMARK FOR ts AS ts - INTERVAL '0.05' SECOND)\n"
       "WITH ('connector' = 'datagen', 'number-of-rows' = '3000', 'rows-per-second' = '1000',\n"
       "      'seed' = '19', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
       "      'fields.id.end' = '3000', 'fields.account.min' = '1', 'fields.account.max' = "
       "'20',\n"
       "      'fields.amount.min' = '1', 'fields.amount.max' = '100');\n" +
           Sink("sort_out", "id BIGINT, account BIGINT, amount BIGINT, ts TIMESTAMP(3)", "json") +
           "INSERT INTO sort_out SELECT id, account, amount, ts FROM ticks ORDER BY ts, amount "
           "DESC;\n",
       {{"sort_out", SinkFormat::kInsertOnly}}});

  // ---- joins
  // Items arrive slowly (50 over 2 s) while bids keep coming: both sides keep state.
  jobs.push_back(
      {"join",
       "joins",
       std::string(kBids) +
           "CREATE TABLE items (item BIGINT, weight BIGINT) WITH ('connector' = 'datagen',\n"
           "  'number-of-rows' = '50', 'rows-per-second' = '25', 'seed' = '3',\n"
           "  'fields.item.kind' = 'sequence', 'fields.item.start' = '1', "
           "'fields.item.end' = '50');\n" +
           Sink("join_out", "id BIGINT, auction BIGINT, price BIGINT, weight BIGINT", "json") +
           "INSERT INTO join_out SELECT b.id, b.auction, b.price, i.weight FROM bids AS b JOIN "
           "items AS i ON b.auction = i.item;\n",
       {{"join_out", SinkFormat::kInsertOnly}}});
  // IN and NOT EXISTS subqueries as semi and anti joins: the slow items side retracts anti-join
  // rows as its matches arrive.
  jobs.push_back(
      {"semi_anti_join",
       "joins",
       std::string(kBids) +
           "CREATE TABLE items (item BIGINT, weight BIGINT) WITH ('connector' = 'datagen',\n"
           "  'number-of-rows' = '50', 'rows-per-second' = '25', 'seed' = '3',\n"
           "  'fields.item.kind' = 'sequence', 'fields.item.start' = '1', "
           "'fields.item.end' = '50');\n" +
           Sink("semi_out", "id BIGINT, auction BIGINT, price BIGINT", "changelog-json") +
           Sink("anti_out", "id BIGINT, auction BIGINT", "changelog-json") +
           "INSERT INTO semi_out SELECT id, auction, price FROM bids WHERE auction IN (SELECT "
           "item FROM items WHERE MOD(weight, 2) = 0);\n"
           "INSERT INTO anti_out SELECT id, auction FROM bids AS b WHERE NOT EXISTS (SELECT "
           "i.item FROM items AS i WHERE i.item = b.auction AND i.item > 20);\n",
       {{"semi_out", SinkFormat::kChangelog}, {"anti_out", SinkFormat::kChangelog}}});
  // An event-time temporal join: each bid joins the rate of its auction's currency valid at
  // the bid's time. Rates change slowly (600 over 3 s, 40 currencies), one per 5 ms of event
  // time, so no two versions of a currency share a time and the valid one is one answer.
  jobs.push_back(
      {"temporal_join",
       "joins",
       std::string(kBids) +
           "CREATE TABLE rates (currency BIGINT, rate BIGINT, ts TIMESTAMP(3),\n"
           "  PRIMARY KEY (currency) NOT ENFORCED,\n"
           "  WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND)\n"
           "WITH ('connector' = 'datagen', 'number-of-rows' = '600', 'rows-per-second' = '200',\n"
           "      'seed' = '11', 'fields.currency.min' = '1', 'fields.currency.max' = '40',\n"
           "      'fields.rate.min' = '1', 'fields.rate.max' = '1000');\n" +
           Sink("temporal_out",
                "id BIGINT, auction BIGINT, price BIGINT, rate BIGINT, rate_time TIMESTAMP(3)",
                "json") +
           "INSERT INTO temporal_out SELECT b.id, b.auction, b.price, r.rate, r.ts FROM bids AS b "
           "LEFT JOIN rates FOR SYSTEM_TIME AS OF b.ts AS r ON b.auction = r.currency;\n",
       {{"temporal_out", SinkFormat::kInsertOnly}}});
  jobs.push_back(
      {"interval_join",
       "joins",
       std::string(kNexmark) +
           Sink("early_bids",
                "auction BIGINT, bidder BIGINT, price BIGINT, bid_time TIMESTAMP(3), seller "
                "BIGINT, auction_time TIMESTAMP(3)",
                "json") +
           "INSERT INTO early_bids SELECT B.auction, B.bidder, B.price, B.`dateTime`, A.seller, "
           "A.`dateTime` FROM bid B JOIN auction A ON B.auction = A.id AND B.`dateTime` BETWEEN "
           "A.`dateTime` AND A.`dateTime` + INTERVAL '0.5' SECOND;\n",
       {{"early_bids", SinkFormat::kInsertOnly}}});

  // Regular joins whose condition bounds one side's time by the other's (Nexmark q4's and q7's
  // shapes): kept rows are freed by the watermark while the job runs, and the rows a restore
  // brings back are freed at its first watermark.
  jobs.push_back(
      {"bounded_joins",
       "joins",
       std::string(kNexmark) +
           Sink("open_bids",
                "auction BIGINT, bidder BIGINT, price BIGINT, bid_time TIMESTAMP(3), expires "
                "TIMESTAMP(3)",
                "json") +
           Sink("top_bids", "auction BIGINT, price BIGINT, bid_time TIMESTAMP(3)", "json") +
           "CREATE VIEW open_auction AS SELECT auction.id AS id, auction.expires AS expires, "
           "`dateTime` FROM events WHERE event_type = 1;\n"
           "INSERT INTO open_bids SELECT B.auction, B.bidder, B.price, B.`dateTime`, A.expires "
           "FROM open_auction A JOIN bid B ON A.id = B.auction AND B.`dateTime` BETWEEN "
           "A.`dateTime` AND A.expires;\n"
           "INSERT INTO top_bids SELECT B.auction, B.price, B.`dateTime` FROM bid B JOIN (SELECT "
           "MAX(price) AS maxprice, window_end AS we FROM TABLE(TUMBLE(TABLE bid, "
           "DESCRIPTOR(`dateTime`), INTERVAL '0.5' SECOND)) GROUP BY window_start, window_end) W "
           "ON B.price = W.maxprice WHERE B.`dateTime` BETWEEN W.we - INTERVAL '0.5' SECOND AND "
           "W.we;\n",
       {{"open_bids", SinkFormat::kInsertOnly}, {"top_bids", SinkFormat::kInsertOnly}}});

  // ---- several sources and sinks
  // A bounded source of 10 rows that finishes at once, beside a slower one of 9,000 rows.
  jobs.push_back(
      {"union",
       "several_sources",
       "CREATE TABLE small (id BIGINT, tag VARCHAR) WITH ('connector' = 'datagen',\n"
       "  'number-of-rows' = '10', 'rows-per-second' = '1000', 'seed' = '5',\n"
       "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '10',\n"
       "  'fields.tag.length' = '6');\n"
       "CREATE TABLE big (id BIGINT, tag VARCHAR) WITH ('connector' = 'datagen',\n"
       "  'number-of-rows' = '9000', 'rows-per-second' = '3000', 'seed' = '6',\n"
       "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1001', 'fields.id.end' = "
       "'10000',\n"
       "  'fields.tag.length' = '6');\n" +
           Sink("union_out", "id BIGINT, tag VARCHAR, origin VARCHAR", "json") +
           "INSERT INTO union_out SELECT id, tag, 'small' FROM small UNION ALL SELECT id, tag, "
           "'big' FROM big;\n",
       {{"union_out", SinkFormat::kInsertOnly}}});
  // Two INSERTs into one table (Flink writes both; one sink reads their UNION ALL).
  jobs.push_back(
      {"two_inserts_one_sink",
       "several_sources",
       std::string(kBids) +
           Sink("merged_out", "id BIGINT, auction BIGINT, price BIGINT, origin VARCHAR", "json") +
           "EXECUTE STATEMENT SET BEGIN\n"
           "INSERT INTO merged_out SELECT id, auction, price, 'cheap' FROM bids WHERE "
           "price < 300;\n"
           "INSERT INTO merged_out SELECT id, auction, price * 2, 'dear' FROM bids "
           "WHERE price >= 700;\n"
           "END;\n",
       {{"merged_out", SinkFormat::kInsertOnly}}});
  // Four INSERTs in one job (a statement set): a window, an updating aggregate, a filter and
  // an aggregate over an updating aggregate (it takes retractions).
  jobs.push_back(
      {"statement_set",
       "several_sources",
       std::string(kNexmark) +
           Sink("bid_windows", "auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, top BIGINT",
                "json") +
           Sink("persons_by_state", "state VARCHAR, persons BIGINT", "changelog-json") +
           Sink("round_bids", "auction BIGINT, bidder BIGINT, price BIGINT, bid_time TIMESTAMP(3)",
                "json") +
           Sink("bidder_histogram", "bucket BIGINT, bidders BIGINT", "changelog-json") +
           "BEGIN STATEMENT SET;\n"
           "INSERT INTO bid_windows SELECT auction, window_end, COUNT(*), MAX(price) FROM "
           "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '0.5' SECOND)) GROUP BY "
           "auction, window_start, window_end;\n"
           "INSERT INTO persons_by_state SELECT state, COUNT(*) FROM person GROUP BY state;\n"
           "INSERT INTO round_bids SELECT auction, bidder, price, `dateTime` FROM bid WHERE "
           "MOD(price, 10) = 0;\n"
           "INSERT INTO bidder_histogram SELECT bids / 10, COUNT(*) FROM (SELECT bidder, "
           "COUNT(*) AS bids FROM bid GROUP BY bidder) GROUP BY bids / 10;\n"
           "END;\n",
       {{"bid_windows", SinkFormat::kInsertOnly},
        {"persons_by_state", SinkFormat::kChangelog},
        {"round_bids", SinkFormat::kInsertOnly},
        {"bidder_histogram", SinkFormat::kChangelog}}});

  // ---- kafka: the campaign's Kafka source (a librdkafka mock cluster the test starts)
  // Per key, 5-second windows of event time (the record timestamps): insert-only rows that
  // fire with the watermark, written exactly-once to a topic of the scenario's own. The mock
  // shows aborted records, so the sink tags each record with its transaction and the epoch
  // markers say which committed (tests/kafka/committed_topic.h); zstd keeps the topic small.
  jobs.push_back(
      {"kafka_to_kafka",
       "kafka",
       KafkaEvents() +
           "CREATE TABLE kafka_totals (k INT, window_start TIMESTAMP(3), window_end "
           "TIMESTAMP(3), records BIGINT, total BIGINT, top BIGINT, first_id BIGINT) WITH (\n"
           "  'connector' = 'kafka', 'topic' = 'k2k-@RUN@',\n"
           "  'properties.bootstrap.servers' = '@BOOTSTRAP@', 'format' = 'json',\n"
           "  'properties.compression.type' = 'zstd',\n"
           "  'sink.delivery-guarantee' = 'exactly-once',\n"
           "  'sink.transactional-id-prefix' = 'k2k-@RUN@',\n"
           "  'sink.exactly-once.tag-records' = 'true');\n"
           "INSERT INTO kafka_totals SELECT k, window_start, window_end, COUNT(*), SUM(amount), "
           "MAX(amount), MIN(id) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' "
           "SECOND)) GROUP BY k, window_start, window_end;\n",
       {{"kafka_totals", SinkFormat::kInsertOnly, "k2k-@RUN@"}},
       /*kafka=*/true,
       {"kafka-sink-before-marker", "kafka-sink-before-commit", "kafka-sink-after-commit"}});
  // Every 20th record with where it was read (partition, offset) into the exactly-once
  // filesystem sink: each record of the topic once, whatever the kills and rescales.
  jobs.push_back(
      {"kafka_to_files",
       "kafka",
       KafkaEvents() +
           Sink("kafka_picked",
                "id BIGINT, k INT, amount BIGINT, part INT, off BIGINT, ts TIMESTAMP(3)", "json") +
           "INSERT INTO kafka_picked SELECT id, k, amount, part, off, ts FROM events "
           "WHERE MOD(id, 20) = 0;\n",
       {{"kafka_picked", SinkFormat::kInsertOnly}},
       /*kafka=*/true});
  return jobs;
}

}  // namespace

std::string JobPlaces::Substitute(const std::string& text) const {
  std::string result = text;
  const std::pair<const char*, const std::string*> placeholders[] = {
      {"@OUTPUT@", &output_directory}, {"@BOOTSTRAP@", &bootstrap_servers}, {"@RUN@", &run_name}};
  for (const auto& [placeholder, value] : placeholders) {
    const size_t length = std::string(placeholder).size();
    for (size_t at = result.find(placeholder); at != std::string::npos;
         at = result.find(placeholder, at + value->size())) {
      result.replace(at, length, *value);
    }
  }
  return result;
}

std::string CampaignJob::PipeText(const JobPlaces& places) const {
  return places.Substitute(text);
}

const std::vector<CampaignJob>& CampaignJobs() {
  static const std::vector<CampaignJob> kJobs = MakeJobs();
  return kJobs;
}

std::vector<const CampaignJob*> JobsOfFamily(const std::string& family) {
  std::vector<const CampaignJob*> jobs;
  for (const CampaignJob& job : CampaignJobs()) {
    if (job.family == family) jobs.push_back(&job);
  }
  return jobs;
}

}  // namespace sluice::campaign
