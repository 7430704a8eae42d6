#pragma once

// The fixture and jobs the tests of `sluice serve` share (server_test.cpp, upgrade_test.cpp):
// a server on the scratch directory's state, jobs whose committed output is known.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
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
