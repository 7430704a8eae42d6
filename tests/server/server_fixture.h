#pragma once

// The fixture and jobs the tests of `sluice serve` share (server_test.cpp, upgrade_test.cpp):
// a server on the scratch directory's state, jobs whose committed output is known.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/scratch_directory.h"
#include "tests/server/server_process.h"

namespace sluice::server_test {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_support::Curl;
using testing_support::CurlReply;
using testing_support::RunProcess;
using testing_support::ServerProcess;

inline std::string SourceDirectory() {
  const char* directory = std::getenv("SLUICE_SOURCE_DIR");
  return directory ? directory : SLUICE_SOURCE_DIR_DEFAULT;
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The committed lines of a filesystem table (hidden in-progress and pending files are not
/// output), sorted; `hidden` counts the files left hidden.
inline std::vector<std::string> Committed(const fs::path& directory, size_t* hidden = nullptr) {
  std::vector<std::string> lines;
  if (hidden) *hidden = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    if (it->path().filename().string()[0] == '.') {
      if (hidden) ++*hidden;
      continue;
    }
    std::ifstream in(it->path());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// A sequence 1..rows at `rate` rows/s, filtered and projected, into `out` (insert-only).
inline std::string SequenceJob(const fs::path& out, int64_t rows, int64_t rate) {
  return "CREATE TABLE src (a BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '" +
         std::to_string(rows) + "', 'rows-per-second' = '" + std::to_string(rate) +
         "', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '" +
         std::to_string(rows) +
         "');\n"
         "CREATE TABLE out (a BIGINT, b BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
         out.string() +
         "', 'format' = 'json');\n"
         "INSERT INTO out SELECT a, a * 2 AS b FROM src WHERE MOD(a, 7) <> 0;\n";
}

inline std::vector<std::string> SequenceExpected(int64_t rows) {
  std::vector<std::string> lines;
  for (int64_t a = 1; a <= rows; ++a) {
    if (a % 7 != 0)
      lines.push_back("{\"a\":" + std::to_string(a) + ",\"b\":" + std::to_string(2 * a) + "}");
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// Version 2 of SequenceJob: another projection and one more filter.
inline std::string SequenceJobV2(const fs::path& out, int64_t rows, int64_t rate) {
  std::string pipe = SequenceJob(out, rows, rate);
  const std::string from = "a * 2 AS b FROM src WHERE MOD(a, 7) <> 0";
  pipe.replace(pipe.find(from), from.size(),
               "a * 3 AS b FROM src WHERE MOD(a, 7) <> 0 AND MOD(a, 5) <> 0");
  return pipe;
}

/// Checks that `committed` (the lines of a sink) holds version 1's rows (b = 2a) for a <= some cut
/// and version 2's (b = 3a, multiples of 5 filtered out) after it, each exactly once; returns the
/// cut (`rows` when no row of version 2 is there: the upgrade did not happen).
inline int64_t CheckSequenceCut(const std::vector<std::string>& committed, int64_t rows) {
  std::map<int64_t, int64_t> written;
  for (const std::string& line : committed) {
    json row = json::parse(line, nullptr, false);
    EXPECT_FALSE(row.is_discarded()) << line;
    if (row.is_discarded()) continue;
    int64_t a = row["a"].get<int64_t>();
    EXPECT_EQ(written.count(a), 0u) << "row a=" << a << " written twice";
    written[a] = row["b"].get<int64_t>();
  }
  int64_t cut = 0;
  for (const auto& [a, b] : written) {
    if (b == 2 * a) cut = std::max(cut, a);
  }
  bool upgraded = false;
  for (const auto& [a, b] : written) upgraded = upgraded || b == 3 * a;
  if (!upgraded) cut = rows;
  int64_t wrong = 0;
  for (int64_t a = 1; a <= rows; ++a) {
    std::optional<int64_t> expected;
    if (a % 7 != 0) {
      if (a <= cut) {
        expected = 2 * a;
      } else if (a % 5 != 0) {
        expected = 3 * a;
      }
    }
    auto found = written.find(a);
    std::optional<int64_t> actual;
    if (found != written.end()) actual = found->second;
    if (actual != expected && ++wrong <= 5) {
      ADD_FAILURE() << "a=" << a << " (cut " << cut << "): written "
                    << (actual ? std::to_string(*actual) : "nothing") << ", expected "
                    << (expected ? std::to_string(*expected) : "nothing");
    }
  }
  EXPECT_EQ(wrong, 0);
  return cut;
}

inline int64_t CheckSequenceCut(const fs::path& out, int64_t rows) {
  return CheckSequenceCut(Committed(out), rows);
}

/// Nexmark bids (`events` of them, `rate_limit` events/s of wall clock; 0 = as fast as
/// possible) counted per auction in 2-second tumbling windows of event time, into `out`.
inline std::string WindowJob(const fs::path& out, int64_t events, int64_t rate_limit) {
  std::string q7 = ReadFile(fs::path(SourceDirectory()) / "examples/nexmark/q7.pipe");
  std::string ddl = q7.substr(0, q7.find("-- ------", q7.find("CREATE VIEW bid")));
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = ddl.find(from);
    if (at != std::string::npos) ddl.replace(at, from.size(), to);
  };
  replace("'first-event.rate' = '10000000'", "'first-event.rate' = '1000'");
  replace("'next-event.rate' = '10000000'", "'next-event.rate' = '1000'");
  replace("'events.num' = '1000000'", "'events.num' = '" + std::to_string(events) +
                                          "', 'rate-limit' = '" + std::to_string(rate_limit) + "'");
  return ddl +
         "CREATE TABLE out (auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, top BIGINT) "
         "WITH ('connector' = 'filesystem', 'path' = '" +
         out.string() +
         "', 'format' = 'json');\n"
         "INSERT INTO out SELECT auction, window_end, COUNT(*) AS bids, MAX(price) AS top\n"
         "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))\n"
         "GROUP BY auction, window_start, window_end;\n";
}

class ServerTest : public testing_support::ScratchDirectoryTest {
 protected:
  ServerTest() : ScratchDirectoryTest("sluice-server-") {}
  // The server goes before its directory does (it may be writing a record).
  void TearDown() override {
    server_.Kill();
    ScratchDirectoryTest::TearDown();
  }

  /// Starts (or restarts) the server on the scratch directory's state.
  void StartServer(const std::vector<std::string>& extra = {},
                   const std::vector<std::string>& environment = {}) {
    std::vector<std::string> arguments = {"--allow-path", directory_.string(),
                                          "--checkpoint-interval", "300ms"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(SLUICE_BINARY, (directory_ / "state").string(),
                              (directory_ / "server.log").string(), arguments, environment))
        << server_.Log();
  }

  /// POST /v1/jobs; returns the job id (or fails the test).
  std::string Submit(const std::string& pipe, const std::string& name, int parallelism = 1) {
    json request = {{"pipe", pipe}, {"name", name}, {"parallelism", parallelism}};
    CurlReply reply = Curl("POST", server_.Url() + "/v1/jobs", request.dump());
    EXPECT_EQ(reply.status, 201) << reply.body;
    json body = reply.Json();
    if (body.is_discarded() || !body.contains("id")) return "";
    return body["id"].get<std::string>();
  }

  json Job(const std::string& id) { return Curl("GET", server_.Url() + "/v1/jobs/" + id).Json(); }

  /// Runs the sluice binary with `arguments` against this server; exit code, stdout, stderr.
  int Client(const std::vector<std::string>& arguments, std::string* out, std::string* err) {
    std::vector<std::string> argv = {SLUICE_BINARY};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return RunProcess(argv, out, err, {"SLUICE_SERVER=" + server_.Url()});
  }

  ServerProcess server_;
};

}  // namespace sluice::server_test
