// Checks Nexmark queries (examples/nexmark/*.pipe, as written) against SQLite computing the
// same queries over the same generated events: an oracle that shares no query code with
// Sluice. Each query runs at parallelism 1 and 2 with the JIT, and at parallelism 1 with the
// interpreter, and once more with the state in RocksDB; updating results are compared after
// applying their changelog.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/codegen/jit_accumulator_compiler.h"
#include "compiler/codegen/jit_chain_compiler.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/connectors/collect_connector.h"
#include "runtime/connectors/kafka/kafka_client.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"
#include "runtime/scheduler/job.h"
#include "tests/kafka/mock_cluster.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using runtime::connectors::nexmark::NexmarkConfig;
using runtime::connectors::nexmark::NexmarkEventType;
using runtime::connectors::nexmark::NexmarkGenerator;

constexpr int64_t kEvents = 40000;
// Event time runs at 1,000 events/s here (the examples use 10 M/s), so 40,000 events span
// 40 s, the windowed queries see many windows, and no two events share a millisecond (which
// would make "latest" and "first" rankings depend on arrival order).
constexpr const char* kRate = "1000";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  size_t position = text->find(from);
  ASSERT_NE(position, std::string::npos) << "missing '" << from << "'";
  for (; position != std::string::npos; position = text->find(from, position + to.size())) {
    text->replace(position, from.size(), to);
  }
}

class Oracle {
 public:
  Oracle() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE person (id INTEGER, name TEXT, email_address TEXT, credit_card TEXT, "
        "city TEXT, state TEXT, date_time INTEGER, extra TEXT)");
    Exec(
        "CREATE TABLE auction (id INTEGER, item_name TEXT, description TEXT, initial_bid "
        "INTEGER, reserve INTEGER, date_time INTEGER, expires INTEGER, seller INTEGER, "
        "category INTEGER, extra TEXT)");
    Exec(
        "CREATE TABLE bid (auction INTEGER, bidder INTEGER, price INTEGER, channel TEXT, "
        "url TEXT, date_time INTEGER, extra TEXT, event_number INTEGER)");
    RegisterFunctions();
    NexmarkConfig config;
    config.events_num = kEvents;
    config.first_event_rate = std::stod(kRate);
    NexmarkGenerator generator(config);
    sqlite3_stmt* person = Prepare("INSERT INTO person VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt* auction = Prepare("INSERT INTO auction VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt* bid = Prepare("INSERT INTO bid VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    Exec("BEGIN");
    for (int64_t n = 0; n < kEvents; ++n) {
      auto event = generator.GenerateEvent(n);
      switch (event.type) {
        case NexmarkEventType::kPerson: {
          const auto& p = event.person;
          Bind(person, {p.id}, {p.name, p.email_address, p.credit_card, p.city, p.state},
               {p.date_time}, {p.extra});
          break;
        }
        case NexmarkEventType::kAuction: {
          const auto& a = event.auction;
          Bind(auction, {a.id}, {a.item_name, a.description},
               {a.initial_bid, a.reserve, a.date_time, a.expires, a.seller, a.category}, {a.extra});
          break;
        }
        case NexmarkEventType::kBid: {
          const auto& b = event.bid;
          sqlite3_bind_int64(bid, 8, n);  // arrival order, to break ranking ties as Sluice does
          Bind(bid, {b.auction, b.bidder, b.price}, {b.channel, b.url}, {b.date_time}, {b.extra});
          break;
        }
      }
    }
    Exec("COMMIT");
    for (sqlite3_stmt* statement : {person, auction, bid}) sqlite3_finalize(statement);
    // q13's side input, as the suite's SideInputGenerator writes it: 'i,i' for i in [0, 10000).
    Exec("CREATE TABLE side_input (key INTEGER, value TEXT)");
    Exec(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) "
        "INSERT INTO side_input SELECT i, CAST(i AS TEXT) FROM n");
  }
  ~Oracle() { sqlite3_close(db_); }

  /// Runs a query; each row's columns as text joined by ", " (NULL as <NULL>), sorted.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* statement = Prepare(sql);
    while (sqlite3_step(statement) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        const unsigned char* text = sqlite3_column_text(statement, i);
        row += (i ? ", " : "") + std::string(text ? reinterpret_cast<const char*>(text) : "<NULL>");
      }
      rows.push_back(row);
    }
    sqlite3_finalize(statement);
    std::sort(rows.begin(), rows.end());
    return rows;
  }

 private:
  // REGEXP_EXTRACT and SPLIT_INDEX for SQLite, written here with std::regex and plain string
  // search, so they share no code with Sluice's RE2-based functions.
  void RegisterFunctions() {
    auto regexp_extract = [](sqlite3_context* context, int count, sqlite3_value** values) {
      if (sqlite3_value_type(values[0]) == SQLITE_NULL) return sqlite3_result_null(context);
      std::string text = reinterpret_cast<const char*>(sqlite3_value_text(values[0]));
      std::regex pattern(reinterpret_cast<const char*>(sqlite3_value_text(values[1])));
      int group = count > 2 ? sqlite3_value_int(values[2]) : 0;
      std::smatch match;
      if (!std::regex_search(text, match, pattern) || group >= static_cast<int>(match.size()) ||
          !match[group].matched) {
        return sqlite3_result_null(context);
      }
      std::string result = match[group].str();
      sqlite3_result_text(context, result.c_str(), -1, SQLITE_TRANSIENT);
    };
    auto split_index = [](sqlite3_context* context, int, sqlite3_value** values) {
      if (sqlite3_value_type(values[0]) == SQLITE_NULL) return sqlite3_result_null(context);
      std::string text = reinterpret_cast<const char*>(sqlite3_value_text(values[0]));
      std::string delimiter = reinterpret_cast<const char*>(sqlite3_value_text(values[1]));
      int index = sqlite3_value_int(values[2]);
      std::vector<std::string> parts;
      size_t start = 0;
      for (size_t found; (found = text.find(delimiter, start)) != std::string::npos;
           start = found + delimiter.size()) {
        parts.push_back(text.substr(start, found - start));
      }
      parts.push_back(text.substr(start));
      if (index < 0 || index >= static_cast<int>(parts.size())) {
        return sqlite3_result_null(context);
      }
      sqlite3_result_text(context, parts[index].c_str(), -1, SQLITE_TRANSIENT);
    };
    sqlite3_create_function(db_, "REGEXP_EXTRACT", 3, SQLITE_UTF8, nullptr, regexp_extract, nullptr,
                            nullptr);
    sqlite3_create_function(db_, "SPLIT_INDEX", 3, SQLITE_UTF8, nullptr, split_index, nullptr,
                            nullptr);
  }

  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << "\n"
        << sql;
    return statement;
  }
  // Binds integers and texts in the order the four groups list them, then inserts.
  void Bind(sqlite3_stmt* statement, std::vector<int64_t> first, std::vector<std::string> second,
            std::vector<int64_t> third, std::vector<std::string> fourth) {
    int index = 1;
    for (int64_t value : first) sqlite3_bind_int64(statement, index++, value);
    for (const auto& value : second) {
      sqlite3_bind_text(statement, index++, value.c_str(), -1, SQLITE_TRANSIENT);
    }
    for (int64_t value : third) sqlite3_bind_int64(statement, index++, value);
    for (const auto& value : fourth) {
      sqlite3_bind_text(statement, index++, value.c_str(), -1, SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_reset(statement);
  }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << "\n"
        << sql;
    sqlite3_free(error);
  }
  sqlite3* db_ = nullptr;
};

// Exact text forms: timestamps as 'YYYY-MM-DD HH:MM:SS.mmm', q1's price as an exact decimal
// with three places (price * 0.908 = price * 908 / 1000 exactly, as integers).
std::string Ts(const std::string& millis) {
  return "(strftime('%Y-%m-%d %H:%M:%S', (" + millis +
         ") / 1000, 'unixepoch') || '.' || "
         "printf('%03d', (" +
         millis + ") % 1000))";
}

std::string Day(const std::string& millis) {
  return "strftime('%Y-%m-%d', (" + millis + ") / 1000, 'unixepoch')";
}

// q15 and q16's counts: all bids and three price ranks, of bids, bidders and auctions.
const std::string kRankedCounts = [] {
  std::string out;
  const char* ranks[] = {"", " FILTER (WHERE price < 10000)",
                         " FILTER (WHERE price >= 10000 AND price < 1000000)",
                         " FILTER (WHERE price >= 1000000)"};
  for (const char* what : {"*", "DISTINCT bidder", "DISTINCT auction"}) {
    for (const char* rank : ranks) {
      out += (out.empty() ? "" : ", ") + std::string("COUNT(") + what + ")" + rank;
    }
  }
  return out;
}();

struct OracleCase {
  std::string name;
  std::string file;  // examples/nexmark/<file>, or tests/oracle/queries/<file> after the DDL
  std::string sql;   // the same query, in SQLite over person, auction, bid
  /// The result depends on arrival order (ranking ties broken by arrival, as in Flink), which
  /// is deterministic only at parallelism 1.
  bool arrival_order_sensitive = false;
};

void PrintTo(const OracleCase& oracle_case, std::ostream* out) {
  *out << oracle_case.name;
}

std::vector<OracleCase> Cases() {
  const std::string hop_windows =
      "SELECT b.auction, (b.date_time / 2000) * 2000 - k * 2000 AS ws FROM bid b, "
      "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
      "SELECT 4)";
  // SQLite has no GROUPING SETS: each is the UNION ALL of one GROUP BY per set, with the
  // columns a set lacks NULL and GROUPING_ID written out.
  const std::string kinds =
      "WITH k AS (SELECT CASE WHEN channel LIKE 'channel-%' THEN 'other' ELSE channel END AS "
      "kind, NULLIF(bidder % 5, 0) AS bucket, auction, price, date_time, "
      "(date_time / 10000) * 10000 AS ws FROM bid) ";
  const std::string best =
      "a AS (SELECT kind, auction % 3 AS bucket, auction % 2 AS parity, MAX(price) AS best "
      "FROM k GROUP BY kind, auction) ";
  const std::string window = Ts("ws") + ", " + Ts("ws + 10000");
  return {
      {"grouping_sets_cube", "grouping_sets_cube.pipe",
       kinds + "SELECT kind, bucket, COUNT(*), SUM(price), 0, 0 FROM k GROUP BY kind, bucket "
               "UNION ALL SELECT kind, NULL, COUNT(*), SUM(price), 1, 1 FROM k GROUP BY kind "
               "UNION ALL SELECT NULL, bucket, COUNT(*), SUM(price), 0, 2 FROM k GROUP BY bucket "
               "UNION ALL SELECT NULL, NULL, COUNT(*), SUM(price), 1, 3 FROM k"},
      {"grouping_sets_mixed", "grouping_sets_mixed.pipe",
       kinds + ", " + best +
           "SELECT kind, bucket, parity, COUNT(*), MAX(best) FROM a GROUP BY kind, bucket, "
           "parity HAVING COUNT(*) > 20 "
           "UNION ALL SELECT kind, bucket, NULL, COUNT(*), MAX(best) FROM a GROUP BY kind, "
           "bucket HAVING COUNT(*) > 20 "
           "UNION ALL SELECT kind, NULL, NULL, COUNT(*), MAX(best) FROM a GROUP BY kind "
           "HAVING COUNT(*) > 20"},
      {"grouping_sets_window", "grouping_sets_window.pipe",
       kinds + "SELECT " + window +
           ", kind, bucket, COUNT(*), MAX(price), 0 FROM k GROUP BY ws, kind, bucket "
           "UNION ALL SELECT " +
           window +
           ", kind, NULL, COUNT(*), MAX(price), 1 FROM k GROUP BY ws, kind "
           "UNION ALL SELECT " +
           window + ", NULL, NULL, COUNT(*), MAX(price), 3 FROM k GROUP BY ws"},
      {"q0", "q0.pipe", "SELECT auction, bidder, price, " + Ts("date_time") + ", extra FROM bid"},
      {"q1", "q1.pipe",
       "SELECT auction, bidder, printf('%d.%03d', price * 908 / 1000, price * 908 % 1000), " +
           Ts("date_time") + ", extra FROM bid"},
      {"q2", "q2.pipe", "SELECT auction, price FROM bid WHERE auction % 123 = 0"},
      {"q2_pipe", "q2_pipe.pipe", "SELECT auction, price FROM bid WHERE auction % 123 = 0"},
      {"q3", "q3.pipe",
       "SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id "
       "WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')"},
      {"q4", "q4.pipe",
       "SELECT category, SUM(final) / COUNT(final) FROM (SELECT MAX(B.price) AS final, "
       "A.category FROM auction A, bid B WHERE A.id = B.auction AND B.date_time BETWEEN "
       "A.date_time AND A.expires GROUP BY A.id, A.category) GROUP BY category"},
      {"q5", "q5.pipe",
       "WITH w AS (" + hop_windows +
           "), c AS (SELECT auction, ws, COUNT(*) AS num FROM w "
           "GROUP BY auction, ws), m AS (SELECT ws, MAX(num) AS maxn FROM c GROUP BY ws) "
           "SELECT c.auction, c.num FROM c JOIN m ON c.ws = m.ws AND c.num >= m.maxn"},
      {"q7", "q7.pipe",
       "SELECT B.auction, B.price, B.bidder, " + Ts("B.date_time") +
           ", B.extra FROM bid B "
           "JOIN (SELECT MAX(price) AS maxprice, (date_time / 10000) * 10000 + 10000 AS we FROM "
           "bid "
           "GROUP BY date_time / 10000) B1 ON B.price = B1.maxprice "
           "WHERE B.date_time BETWEEN B1.we - 10000 AND B1.we"},
      {"q8", "q8.pipe",
       "SELECT P.id, P.name, " + Ts("P.ws") +
           " FROM (SELECT DISTINCT id, name, "
           "(date_time / 10000) * 10000 AS ws FROM person) P JOIN (SELECT DISTINCT seller, "
           "(date_time / 10000) * 10000 AS ws FROM auction) A ON P.id = A.seller AND P.ws = A.ws"},
      {"q13", "q13.pipe",
       "SELECT B.auction, B.bidder, B.price, " + Ts("B.date_time") +
           ", S.value FROM bid B JOIN side_input S ON B.auction % 10000 = S.key"},
      {"q20", "q20.pipe",
       "SELECT B.auction, B.bidder, B.price, B.channel, B.url, " + Ts("B.date_time") +
           ", B.extra, A.item_name, A.description, A.initial_bid, A.reserve, " + Ts("A.date_time") +
           ", " + Ts("A.expires") +
           ", A.seller, A.category, A.extra FROM bid B JOIN auction A ON B.auction = A.id "
           "WHERE A.category = 10"},
      {"q9", "q9.pipe",
       "SELECT id, item_name, description, initial_bid, reserve, " + Ts("a_time") + ", " +
           Ts("expires") + ", seller, category, a_extra, auction, bidder, price, " + Ts("b_time") +
           ", b_extra FROM (SELECT A.id, A.item_name, A.description, "
           "A.initial_bid, A.reserve, A.date_time AS a_time, A.expires, A.seller, A.category, "
           "A.extra AS a_extra, B.auction, B.bidder, B.price, B.date_time AS b_time, B.extra AS "
           "b_extra, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time, "
           "B.event_number) AS rn FROM auction A JOIN bid B ON A.id = B.auction AND B.date_time "
           "BETWEEN A.date_time AND A.expires) WHERE rn <= 1"},
      {"q11", "q11.pipe",
       "WITH o AS (SELECT bidder, date_time AS t, LAG(date_time) OVER (PARTITION BY bidder "
       "ORDER BY date_time) AS prev FROM bid), s AS (SELECT bidder, t, SUM(CASE WHEN prev IS "
       "NULL OR t - prev > 10000 THEN 1 ELSE 0 END) OVER (PARTITION BY bidder ORDER BY t ROWS "
       "UNBOUNDED PRECEDING) AS sid FROM o) SELECT bidder, COUNT(*), " +
           Ts("MIN(t)") + ", " + Ts("MAX(t) + 10000") + " FROM s GROUP BY bidder, sid"},
      {"q18", "q18.pipe",
       "SELECT auction, bidder, price, channel, url, " + Ts("date_time") +
           ", extra FROM "
           "(SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC, "
           "event_number) AS rn FROM bid) WHERE rn <= 1"},
      {"q19", "q19.pipe",
       "SELECT auction, bidder, price, channel, url, " + Ts("date_time") +
           ", extra, rn FROM "
           "(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, event_number) "
           "AS rn FROM bid) WHERE rn <= 10",
       /*arrival_order_sensitive=*/true},
      {"q6", "q6.pipe",
       "WITH w AS (SELECT seller, price, date_time FROM (SELECT A.seller, B.price, B.date_time, "
       "ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC, B.date_time, "
       "B.event_number) AS rn FROM auction A JOIN bid B ON A.id = B.auction AND B.date_time "
       "BETWEEN A.date_time AND A.expires) WHERE rn = 1) SELECT seller, SUM(price) OVER x / "
       "COUNT(price) OVER x FROM w WINDOW x AS (PARTITION BY seller ORDER BY date_time ROWS "
       "BETWEEN 10 PRECEDING AND CURRENT ROW)"},
      {"over_rows", "over_rows.pipe",
       "SELECT bidder, price, " + Ts("date_time") +
           ", SUM(price) OVER x / COUNT(price) OVER x, MAX(price) OVER x FROM bid WINDOW x AS "
           "(PARTITION BY bidder ORDER BY date_time ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)"},
      // A self-join, not a window: SQLite 3.40's min() over a bounded frame that never drops
      // a row of its partition returns wrong values.
      {"over_range", "over_range.pipe",
       "SELECT b.auction, b.price, " + Ts("b.date_time") +
           ", COUNT(*), SUM(f.price), MIN(f.price) FROM bid b JOIN bid f ON f.auction = "
           "b.auction AND f.date_time BETWEEN b.date_time - 10000 AND b.date_time GROUP BY "
           "b.event_number"},
      {"q15", "q15.pipe",
       "SELECT " + Day("date_time") + ", " + kRankedCounts + " FROM bid GROUP BY " +
           Day("date_time")},
      {"q16", "q16.pipe",
       "SELECT channel, " + Day("date_time") +
           ", MAX(strftime('%H:%M', date_time / 1000, "
           "'unixepoch')), " +
           kRankedCounts + " FROM bid GROUP BY channel, " + Day("date_time")},
      {"q17", "q17.pipe",
       "SELECT auction, " + Day("date_time") +
           ", COUNT(*), "
           "COUNT(*) FILTER (WHERE price < 10000), "
           "COUNT(*) FILTER (WHERE price >= 10000 AND price < 1000000), "
           "COUNT(*) FILTER (WHERE price >= 1000000), MIN(price), MAX(price), "
           "SUM(price) / COUNT(price), SUM(price) FROM bid GROUP BY auction, " +
           Day("date_time")},
      {"q21", "q21.pipe",
       "SELECT auction, bidder, price, channel, CASE WHEN lower(channel) = 'apple' THEN '0' "
       "WHEN lower(channel) = 'google' THEN '1' WHEN lower(channel) = 'facebook' THEN '2' "
       "WHEN lower(channel) = 'baidu' THEN '3' ELSE REGEXP_EXTRACT(url, "
       "'(&|^)channel_id=([^&]*)', 2) END FROM bid WHERE REGEXP_EXTRACT(url, "
       "'(&|^)channel_id=([^&]*)', 2) IS NOT NULL OR lower(channel) IN ('apple', 'google', "
       "'facebook', 'baidu')"},
      {"q22", "q22.pipe",
       "SELECT auction, bidder, price, channel, SPLIT_INDEX(url, '/', 3), "
       "SPLIT_INDEX(url, '/', 4), SPLIT_INDEX(url, '/', 5) FROM bid"},
      {"cumulate", "cumulate.pipe",
       "SELECT auction, " + Ts("ws") + ", " + Ts("we") +
           ", COUNT(*), MAX(price) FROM "
           "(SELECT b.auction, b.price, (b.date_time / 10000) * 10000 AS ws, "
           "(b.date_time / 10000) * 10000 + k * 2000 AS we, b.date_time AS t FROM bid b, "
           "(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
           "SELECT 5)) WHERE t < we GROUP BY auction, ws, we"},
      {"interval_join", "interval_join.pipe",
       "SELECT B.auction, B.bidder, B.price, " + Ts("B.date_time") + ", A.seller, " +
           Ts("A.date_time") +
           " FROM bid B JOIN auction A ON B.auction = A.id AND B.date_time BETWEEN A.date_time "
           "AND A.date_time + 10000"},
      // The version valid at a bid's time: the latest auction of its slot at or before it,
      // looked up independently. Every auction is a version of the deduplicated view from its
      // own time, whatever order the auctions arrive in.
      {"temporal_join", "temporal_join.pipe",
       "SELECT B.auction, B.bidder, B.price, " + Ts("B.date_time") +
           ", A.id, A.seller FROM bid B LEFT JOIN auction A ON A.id = (SELECT A2.id FROM "
           "auction A2 WHERE A2.id % 50 = B.auction % 50 AND A2.date_time <= B.date_time ORDER "
           "BY A2.date_time DESC LIMIT 1)"},
      {"window_join", "window_join.pipe",
       "SELECT P.id, P.name, A.id, " + Ts("(P.date_time / 10000) * 10000") + ", " +
           Ts("(P.date_time / 10000) * 10000 + 10000") +
           " FROM person P JOIN auction A ON P.id = A.seller AND P.date_time / 10000 = "
           "A.date_time / 10000"},
      // Scalar subqueries: correlated ones decorrelated into aggregations by seller (LEFT
      // joins; COUNT is 0 without auctions), an uncorrelated one in WHERE.
      {"scalar_subquery", "scalar_subquery.pipe",
       "SELECT P.id, P.name, (SELECT COUNT(*) FROM auction A WHERE A.seller = P.id), "
       "(SELECT COALESCE(MAX(reserve), 0) FROM auction A WHERE A.seller = P.id) FROM person P "
       "WHERE P.id % 10 < (SELECT MAX(category) FROM auction) - 5"},
      {"lateral_subquery", "lateral_subquery.pipe",
       "SELECT A.id, A.seller, (SELECT COUNT(*) FROM bid B WHERE B.auction = A.id), "
       "(SELECT COALESCE(MAX(price), 0) FROM bid B WHERE B.auction = A.id) FROM auction A"},
      {"session", "session.pipe",
       "WITH o AS (SELECT bidder, date_time AS t, LAG(date_time) OVER (PARTITION BY bidder "
       "ORDER BY date_time) AS prev FROM bid), s AS (SELECT bidder, t, SUM(CASE WHEN prev IS "
       "NULL OR t - prev > 1000 THEN 1 ELSE 0 END) OVER (PARTITION BY bidder ORDER BY t ROWS "
       "UNBOUNDED PRECEDING) AS sid FROM o) SELECT bidder, " +
           Ts("MIN(t)") + ", " + Ts("MAX(t) + 1000") + ", COUNT(*) FROM s GROUP BY bidder, sid"},
  };
}

/// The script of a case with a bounded source at kRate and its sink replaced by a collect
/// sink named `collect_name`.
std::string Script(const OracleCase& oracle_case, const std::string& collect_name) {
  fs::path examples = fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark";
  std::string text;
  if (fs::exists(examples / oracle_case.file)) {
    text = ReadFile(examples / oracle_case.file);
  } else {
    // The shared DDL and views of q0, then the extra query.
    std::string ddl = ReadFile(examples / "q0.pipe");
    ddl = ddl.substr(0, ddl.find("\n-- ----"));
    text = ddl + "\n" +
           ReadFile(fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "tests" / "oracle" / "queries" /
                    oracle_case.file);
  }
  ReplaceAll(&text, "'events.num' = '1000000'", fmt::format("'events.num' = '{}'", kEvents));
  ReplaceAll(&text, "'first-event.rate' = '10000000'",
             fmt::format("'first-event.rate' = '{}'", kRate));
  ReplaceAll(&text, "'next-event.rate' = '10000000'",
             fmt::format("'next-event.rate' = '{}'", kRate));
  ReplaceAll(&text, "'connector' = 'blackhole'",
             "'connector' = 'collect', 'collect.name' = '" + collect_name + "'");
  return text;
}

/// The case's script reading the generator's events from Kafka topic `topic` (bounded at the
/// end the fill left) instead of the nexmark connector: the same DDL, computed `dateTime` and
/// watermark, only the connector swapped.
std::string KafkaScript(const OracleCase& oracle_case, const std::string& collect_name,
                        const std::string& bootstrap, const std::string& topic) {
  std::string text = Script(oracle_case, collect_name);
  const std::string from = "'connector' = 'nexmark',";
  size_t start = text.find(from);
  size_t end = text.find("'bid.proportion' = '46'", start);
  EXPECT_NE(start, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  if (start == std::string::npos || end == std::string::npos) return text;
  text.replace(start, end + std::string("'bid.proportion' = '46'").size() - start,
               "'connector' = 'kafka', 'topic' = '" + topic +
                   "', 'properties.bootstrap.servers' = '" + bootstrap +
                   "', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset', "
                   "'scan.bounded.mode' = 'latest-offset'");
  return text;
}

/// Runs the case and returns the final rows (the changelog applied), sorted; `script` replaces
/// the case's own (Script) when not empty.
std::vector<std::string> RunSluice(const OracleCase& oracle_case, bool jit, int32_t parallelism,
                                   const std::string& backend = "memory",
                                   const std::string& kafka_bootstrap = "",
                                   const std::string& kafka_topic = "") {
  std::string collect_name =
      fmt::format("oracle-{}-{}-{}-{}{}", oracle_case.name, jit ? "jit" : "interpreter",
                  parallelism, backend, kafka_topic.empty() ? "" : "-" + kafka_topic);
  compiler::CompileOptions options;
  // The script's own path: q13 reads its side input relative to it.
  options.file_name =
      (fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / oracle_case.file).string();
  options.overrides["parallelism.default"] = std::to_string(parallelism);
  options.overrides["state.backend.type"] = backend;
  auto compiled = compiler::CompileScript(
      kafka_topic.empty() ? Script(oracle_case, collect_name)
                          : KafkaScript(oracle_case, collect_name, kafka_bootstrap, kafka_topic),
      options);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  if (!compiled.ok()) return {};
  std::mutex mutex;
  std::vector<std::string> changelog;
  runtime::connectors::CollectConnector::Register(collect_name,
                                                  [&](int32_t, const std::string& row) {
                                                    std::lock_guard<std::mutex> lock(mutex);
                                                    changelog.push_back(row);
                                                  });
  std::unique_ptr<runtime::expr::ChainCompiler> chain_compiler;
  std::unique_ptr<runtime::operators::aggregate::AccumulatorCompiler> accumulator_compiler;
  if (jit) {
    chain_compiler = std::move(compiler::codegen::MakeJitChainCompiler()).value();
    accumulator_compiler = std::move(compiler::codegen::MakeJitAccumulatorCompiler()).value();
  }
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = chain_compiler.get();
  job_options.accumulator_compiler = accumulator_compiler.get();
  auto job = runtime::scheduler::Job::Create(compiled->plan, job_options);
  EXPECT_TRUE(job.ok()) << job.status().ToString();
  base::Status status = job.ok() ? (*job)->Run() : job.status();
  EXPECT_TRUE(status.ok()) << status.ToString();
  runtime::connectors::CollectConnector::Unregister(collect_name);

  // Apply the changelog: +I/+U add a row, -U/-D take one out.
  std::multiset<std::string> rows;
  for (const std::string& entry : changelog) {
    std::string kind = entry.substr(0, 2);
    std::string row = entry.substr(3, entry.size() - 4);
    if (kind == "+I" || kind == "+U") {
      rows.insert(row);
    } else {
      auto found = rows.find(row);
      EXPECT_NE(found, rows.end()) << "retraction of a row that is not there: " << entry;
      if (found != rows.end()) rows.erase(found);
    }
  }
  return std::vector<std::string>(rows.begin(), rows.end());
}

void ExpectRows(const std::vector<std::string>& actual, const std::vector<std::string>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i], expected[i]) << "first difference at sorted row " << i;
  }
}

class NexmarkOracleTest : public testing::TestWithParam<OracleCase> {
 protected:
  static Oracle& oracle() {
    static Oracle instance;
    return instance;
  }
};

TEST_P(NexmarkOracleTest, MatchesSqlite) {
  const OracleCase& oracle_case = GetParam();
  std::vector<std::string> expected = oracle().Rows(oracle_case.sql);
  ASSERT_FALSE(expected.empty());
  for (int32_t parallelism : {1, 2}) {
    if (parallelism > 1 && oracle_case.arrival_order_sensitive) continue;
    for (bool jit : {true, false}) {
      // Stateful queries run once with the interpreter: the JIT is covered by the others.
      if (!jit && parallelism == 2) continue;
      SCOPED_TRACE(fmt::format("{} parallelism {} jit {}", oracle_case.name, parallelism, jit));
      ExpectRows(RunSluice(oracle_case, jit, parallelism), expected);
    }
  }
  // Once more with the state in RocksDB, at the highest parallelism the case allows.
  int32_t parallelism = oracle_case.arrival_order_sensitive ? 1 : 2;
  SCOPED_TRACE(fmt::format("{} parallelism {} rocksdb", oracle_case.name, parallelism));
  ExpectRows(RunSluice(oracle_case, true, parallelism, "rocksdb"), expected);
}

INSTANTIATE_TEST_SUITE_P(Queries, NexmarkOracleTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<OracleCase>& info) {
                           return info.param.name;
                         });

/// A librdkafka mock cluster (a child process) whose topics hold the generator's kEvents
/// events as JSON, written by a Sluice job from the nexmark connector: `nexmark4` over four
/// partitions, `nexmark1` in one (for the queries whose result depends on arrival order).
class KafkaTopics {
 public:
  KafkaTopics() : cluster_({1, {{"nexmark4", 4}, {"nexmark1", 1}}}) {
    if (!cluster_.ok()) return;
    for (const std::string topic : {"nexmark4", "nexmark1"}) {
      std::string q0 =
          ReadFile(fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / "q0.pipe");
      std::string ddl = q0.substr(0, q0.find("\n-- ----"));
      ReplaceAll(&ddl, "'events.num' = '1000000'", fmt::format("'events.num' = '{}'", kEvents));
      ReplaceAll(&ddl, "'first-event.rate' = '10000000'",
                 fmt::format("'first-event.rate' = '{}'", kRate));
      ReplaceAll(&ddl, "'next-event.rate' = '10000000'",
                 fmt::format("'next-event.rate' = '{}'", kRate));
      // The topic's table: the generator's physical columns, in JSON.
      std::string table = ddl.substr(ddl.find("CREATE TABLE datagen"));
      table = table.substr(0, table.find("`dateTime` AS"));
      ReplaceAll(&table, "CREATE TABLE datagen", "CREATE TABLE topic");
      table = table.substr(0, table.find_last_of(',')) +
              ") WITH ('connector' = 'kafka', 'topic' = '" + topic +
              "', 'properties.bootstrap.servers' = '" + cluster_.bootstrap_servers() +
              // Compressed: the mock keeps only about 5 MB of each partition's log.
              "', 'format' = 'json', 'properties.compression.type' = 'zstd');\n";
      std::string script = ddl + "\n" + table +
                           "INSERT INTO topic SELECT event_type, person, auction, bid FROM "
                           "datagen;\n";
      compiler::CompileOptions options;
      auto compiled = compiler::CompileScript(script, options);
      EXPECT_TRUE(compiled.ok()) << compiled.status().ToString() << "\n" << script;
      if (!compiled.ok()) return;
      auto job = runtime::scheduler::Job::Create(compiled->plan, {});
      base::Status status = job.ok() ? (*job)->Run() : job.status();
      EXPECT_TRUE(status.ok()) << status.ToString();
      if (!status.ok()) return;
      // Every event is there, none dropped by the mock's retention.
      runtime::connectors::kafka::ClientConfig config;
      config.properties["bootstrap.servers"] = cluster_.bootstrap_servers();
      auto consumer = runtime::connectors::kafka::RdKafkaClients().NewConsumer(config);
      EXPECT_TRUE(consumer.ok());
      if (!consumer.ok()) return;
      auto partitions = (*consumer)->Partitions(topic);
      EXPECT_TRUE(partitions.ok());
      if (!partitions.ok()) return;
      int64_t stored = 0;
      for (int32_t partition : *partitions) {
        auto offsets = (*consumer)->WatermarkOffsets({topic, partition});
        EXPECT_TRUE(offsets.ok());
        if (!offsets.ok()) return;
        EXPECT_EQ(offsets->first, 0) << topic << " partition " << partition;
        stored += offsets->second - offsets->first;
      }
      EXPECT_EQ(stored, kEvents) << topic;
      if (stored != kEvents) return;
    }
    filled_ = true;
  }
  bool filled() const { return filled_; }
  const std::string& bootstrap_servers() const { return cluster_.bootstrap_servers(); }

 private:
  testing_support::MockCluster cluster_;
  bool filled_ = false;
};

/// Nexmark q0–q9 read from Kafka give the oracle's rows: at parallelism 1 and 2 over four
/// partitions (each its own split and watermark), and over one partition where arrival order
/// matters.
class NexmarkOverKafkaTest : public NexmarkOracleTest {
 protected:
  static KafkaTopics& topics() {
    static KafkaTopics instance;
    return instance;
  }
};

TEST_P(NexmarkOverKafkaTest, MatchesSqlite) {
  const OracleCase& oracle_case = GetParam();
  ASSERT_TRUE(topics().filled());
  std::vector<std::string> expected = oracle().Rows(oracle_case.sql);
  ASSERT_FALSE(expected.empty());
  const std::string topic = oracle_case.arrival_order_sensitive ? "nexmark1" : "nexmark4";
  for (int32_t parallelism : {1, 2}) {
    if (parallelism > 1 && oracle_case.arrival_order_sensitive) continue;
    SCOPED_TRACE(fmt::format("{} over {} at parallelism {}", oracle_case.name, topic, parallelism));
    ExpectRows(
        RunSluice(oracle_case, true, parallelism, "memory", topics().bootstrap_servers(), topic),
        expected);
  }
}

std::vector<OracleCase> KafkaCases() {
  std::vector<OracleCase> cases;
  for (const OracleCase& oracle_case : Cases()) {
    const std::string& name = oracle_case.name;
    if (name.size() == 2 && name[0] == 'q' && name[1] >= '0' && name[1] <= '9') {
      cases.push_back(oracle_case);  // q0–q9
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Queries, NexmarkOverKafkaTest, testing::ValuesIn(KafkaCases()),
                         [](const testing::TestParamInfo<OracleCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sluice
