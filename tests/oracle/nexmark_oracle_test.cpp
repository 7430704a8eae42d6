// Checks Nexmark q0-q2 (examples/nexmark/*.pipe, as written) against SQLite computing the
// same queries over the same generated events: an oracle that shares no query code with
// Sluice. Each query runs with the JIT and the interpreter, at parallelism 1 and 2.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/codegen/jit_chain_compiler.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"
#include "runtime/scheduler/job.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using runtime::connectors::nexmark::NexmarkConfig;
using runtime::connectors::nexmark::NexmarkEventType;
using runtime::connectors::nexmark::NexmarkGenerator;

constexpr int64_t kEvents = 40000;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void Replace(std::string* text, const std::string& from, const std::string& to) {
  size_t position = text->find(from);
  ASSERT_NE(position, std::string::npos) << "missing '" << from << "'";
  text->replace(position, from.size(), to);
}

/// Splits one RFC 4180 line into fields.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::string JoinFields(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "|" : "") + fields[i];
  return out;
}

class Oracle {
 public:
  Oracle() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE bid (auction INTEGER, bidder INTEGER, price INTEGER, channel TEXT, "
        "url TEXT, date_time INTEGER, extra TEXT)");
    NexmarkConfig config;
    config.events_num = kEvents;
    config.first_event_rate = 10000000;  // as in examples/nexmark
    NexmarkGenerator generator(config);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO bid VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &insert, nullptr);
    Exec("BEGIN");
    for (int64_t n = 0; n < kEvents; ++n) {
      auto event = generator.GenerateEvent(n);
      if (event.type != NexmarkEventType::kBid) continue;
      const auto& bid = event.bid;
      sqlite3_bind_int64(insert, 1, bid.auction);
      sqlite3_bind_int64(insert, 2, bid.bidder);
      sqlite3_bind_int64(insert, 3, bid.price);
      sqlite3_bind_text(insert, 4, bid.channel.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 5, bid.url.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 6, bid.date_time);
      sqlite3_bind_text(insert, 7, bid.extra.c_str(), -1, SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    }
    Exec("COMMIT");
    sqlite3_finalize(insert);
  }
  ~Oracle() { sqlite3_close(db_); }

  /// Runs a query; each row's columns as text joined by '|', sorted.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    while (sqlite3_step(statement) == SQLITE_ROW) {
      std::vector<std::string> fields;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        const unsigned char* text = sqlite3_column_text(statement, i);
        fields.push_back(text ? reinterpret_cast<const char*>(text) : "");
      }
      rows.push_back(JoinFields(fields));
    }
    sqlite3_finalize(statement);
    std::sort(rows.begin(), rows.end());
    return rows;
  }

 private:
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
  }
  sqlite3* db_ = nullptr;
};

// Exact text forms: timestamps as 'YYYY-MM-DD HH:MM:SS.mmm', q1's price as an exact decimal
// with three places (price * 0.908 = price * 908 / 1000 exactly, as integers).
const char* kTimestamp =
    "strftime('%Y-%m-%d %H:%M:%S', date_time / 1000, 'unixepoch') || '.' || "
    "printf('%03d', date_time % 1000)";

std::string OracleSql(const std::string& query) {
  std::string ts = kTimestamp;
  if (query == "q0") return "SELECT auction, bidder, price, " + ts + ", extra FROM bid";
  if (query == "q1") {
    return "SELECT auction, bidder, printf('%d.%03d', price * 908 / 1000, price * 908 % 1000), " +
           ts + ", extra FROM bid";
  }
  return "SELECT auction, price FROM bid WHERE auction % 123 = 0";
}

/// Runs examples/nexmark/<file> with a bounded source and a CSV sink; returns sorted rows.
std::vector<std::string> RunSluice(const std::string& file, bool jit, int32_t parallelism) {
  std::string text = ReadFile(fs::path(SLUICE_SOURCE_DIR_DEFAULT) / "examples" / "nexmark" / file);
  fs::path output = fs::temp_directory_path() /
                    fmt::format("sluice-oracle-{}-{}-{}-{}", getpid(), file, jit, parallelism);
  fs::remove_all(output);
  Replace(&text, "'events.num' = '1000000'", fmt::format("'events.num' = '{}'", kEvents));
  Replace(&text, "'connector' = 'blackhole'",
          "'connector' = 'filesystem', 'path' = '" + output.string() + "', 'format' = 'csv'");
  compiler::CompileOptions options;
  options.file_name = file;
  options.overrides["parallelism.default"] = std::to_string(parallelism);
  auto compiled = compiler::CompileScript(text, options);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  if (!compiled.ok()) return {};
  std::unique_ptr<runtime::expr::ChainCompiler> chain_compiler;
  if (jit) chain_compiler = std::move(compiler::codegen::MakeJitChainCompiler()).value();
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = chain_compiler.get();
  auto job = runtime::scheduler::Job::Create(compiled->plan, job_options);
  EXPECT_TRUE(job.ok()) << job.status().ToString();
  if (!job.ok()) return {};
  base::Status status = (*job)->Run();
  EXPECT_TRUE(status.ok()) << status.ToString();

  std::vector<std::string> rows;
  for (const auto& entry : fs::directory_iterator(output)) {
    std::string name = entry.path().filename().string();
    EXPECT_NE(name[0], '.') << "an in-progress file is left: " << name;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) rows.push_back(JoinFields(SplitCsv(line)));
  }
  fs::remove_all(output);
  std::sort(rows.begin(), rows.end());
  return rows;
}

class NexmarkOracleTest : public testing::TestWithParam<std::string> {
 protected:
  static Oracle& oracle() {
    static Oracle instance;
    return instance;
  }
};

TEST_P(NexmarkOracleTest, MatchesSqlite) {
  std::string file = GetParam();
  std::string query = file.substr(0, 2);
  std::vector<std::string> expected = oracle().Rows(OracleSql(query));
  ASSERT_FALSE(expected.empty());
  for (int32_t parallelism : {1, 2}) {
    for (bool jit : {true, false}) {
      SCOPED_TRACE(fmt::format("{} parallelism {} jit {}", file, parallelism, jit));
      std::vector<std::string> actual = RunSluice(file, jit, parallelism);
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t i = 0; i < actual.size(); ++i) {
        ASSERT_EQ(actual[i], expected[i]) << "first difference at sorted row " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Queries, NexmarkOracleTest,
                         testing::Values("q0.pipe", "q1.pipe", "q2.pipe", "q2_pipe.pipe"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           return name;
                         });

}  // namespace
}  // namespace sluice
