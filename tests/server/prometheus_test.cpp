// The real Prometheus scraping `sluice serve`'s /metrics: a rate-limited job's rows-in rate, as
// Prometheus' own query API computes it from its scrapes, matches the job's configured rate,
// and promtool accepts the exposition.
// Needs `prometheus` and `promtool` (Debian: apt-get install prometheus); without them it fails.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/scratch_directory.h"
#include "tests/server/server_process.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_support::Curl;
using testing_support::CurlReply;
using testing_support::FindOnPath;
using testing_support::RunProcess;
using testing_support::ServerProcess;
using testing_support::Tail;

using Clock = std::chrono::steady_clock;

constexpr int64_t kRowsPerSecond = 2000;

/// A loopback port nobody listens on right now (the kernel's pick for port 0).
int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

/// Percent-encodes a URL query value (PromQL is full of braces, quotes and brackets).
std::string UrlEncode(const std::string& text) {
  std::string encoded;
  for (unsigned char character : text) {
    if (isalnum(character) || character == '-' || character == '_' || character == '.' ||
        character == '~') {
      encoded += static_cast<char>(character);
    } else {
      char escape[4];
      std::snprintf(escape, sizeof(escape), "%%%02X", character);
      encoded += escape;
    }
  }
  return encoded;
}

/// A `prometheus` process on 127.0.0.1, stopped (SIGTERM, then SIGKILL) when destroyed.
class PrometheusProcess {
 public:
  ~PrometheusProcess() { Stop(); }

  /// Starts `binary` with `config` and its database in `tsdb` on a free loopback port and
  /// waits until /-/ready answers 200; false (with the log in `log_file`) when it does not.
  bool Start(const std::string& binary, const fs::path& config, const fs::path& tsdb,
             const fs::path& log_file) {
    // Another process may take the port between our probe and Prometheus' bind: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      std::vector<std::string> argv = {binary, "--config.file=" + config.string(),
                                       "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                       "--storage.tsdb.path=" + tsdb.string(), "--log.level=warn"};
      pid_ = fork();
      if (pid_ == 0) {
        FILE* log = std::fopen(log_file.c_str(), "a");
        if (log) {
          dup2(fileno(log), 1);
          dup2(fileno(log), 2);
        }
        std::vector<char*> args;
        for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
      }
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      while (Clock::now() < deadline) {
        if (Curl("GET", Url() + "/-/ready").status == 200) return true;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      Stop();
    }
    return false;
  }

  /// SIGTERM, up to 10 s for its clean shutdown, then SIGKILL; always reaps it.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Runs an instant PromQL query; the result vector, or nullopt when the API said no.
  std::optional<json> Query(const std::string& promql) const {
    CurlReply reply = Curl("GET", Url() + "/api/v1/query?query=" + UrlEncode(promql));
    json body = reply.Json();
    if (reply.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
      return std::nullopt;
    }
    return body["data"]["result"];
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

/// The value of a one-sample query result, or nullopt when it has no sample (yet).
std::optional<double> SingleValue(const std::optional<json>& result) {
  if (!result || !result->is_array() || result->size() != 1) return std::nullopt;
  return std::stod((*result)[0]["value"][1].get<std::string>());
}

/// Prometheus' configuration: scrape `target` (HOST:PORT) every second.
std::string ScrapeConfig(const std::string& target) {
  return "global:\n"
         "  scrape_interval: 1s\n"
         "  evaluation_interval: 1s\n"
         "scrape_configs:\n"
         "  - job_name: sluice\n"
         "    scrape_interval: 1s\n"
         "    scrape_timeout: 1s\n"
         "    static_configs:\n"
         "      - targets: ['" +
         target + "']\n";
}

class PrometheusTest : public testing_support::ScratchDirectoryTest {
 protected:
  PrometheusTest() : ScratchDirectoryTest("sluice-prometheus-") {}
  // Both processes go before the directory they write into.
  void TearDown() override {
    prometheus_.Stop();
    server_.Kill();
    ScratchDirectoryTest::TearDown();
  }

  /// Polls `promql` until it has one sample for which `accept` holds (up to `seconds`); the
  /// last value seen, so that a failure can say what Prometheus had.
  template <typename Accept>
  std::optional<double> WaitForValue(const std::string& promql, Accept accept, int seconds = 60) {
    std::optional<double> value;
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      value = SingleValue(prometheus_.Query(promql));
      if (value && accept(*value)) return value;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return value;
  }

  ServerProcess server_;
  PrometheusProcess prometheus_;
};

TEST_F(PrometheusTest, ScrapesRowRatesOfARateLimitedJob) {
  const std::string prometheus = FindOnPath("prometheus");
  ASSERT_FALSE(prometheus.empty())
      << "prometheus is not on PATH: apt-get install prometheus (this test needs the real one)";

  ASSERT_TRUE(server_.Start(SLUICE_BINARY, (directory_ / "state").string(),
                            (directory_ / "server.log").string(), {"--checkpoint-interval", "1s"}))
      << server_.Log();

  const std::string target = "127.0.0.1:" + std::to_string(server_.port());
  const std::string config = Write("prometheus.yml", ScrapeConfig(target));
  const fs::path tsdb = directory_ / "tsdb";
  ASSERT_TRUE(prometheus_.Start(prometheus, config, tsdb, directory_ / "prometheus.log"))
      << Tail(directory_ / "prometheus.log");

  // Two subtasks share the rate; bounded to 120 s of rows so that nothing runs on forever.
  const std::string rate = std::to_string(kRowsPerSecond);
  const std::string rows = std::to_string(kRowsPerSecond * 120);
  const std::string pipe =
      "CREATE TABLE src (a BIGINT, b VARCHAR) WITH ('connector' = 'datagen',\n"
      "  'rows-per-second' = '" +
      rate + "', 'number-of-rows' = '" + rows +
      "');\n"
      "CREATE TABLE out (a BIGINT, b VARCHAR) WITH ('connector' = 'blackhole');\n"
      "INSERT INTO out SELECT a, b FROM src;\n";
  json request = {{"pipe", pipe}, {"name", "metered.pipe"}, {"parallelism", 2}};
  CurlReply submitted = Curl("POST", server_.Url() + "/v1/jobs", request.dump());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = submitted.Json().value("id", "");
  ASSERT_FALSE(id.empty()) << submitted.body;

  // Prometheus needs two scrapes inside the window for a rate; the source starts at its rate.
  auto sane = [](double rate) {
    return rate > kRowsPerSecond / 2.0 && rate < kRowsPerSecond * 1.5;
  };
  const std::string selector = "{job_id=\"" + id + "\"}";
  std::optional<double> rows_in = WaitForValue(
      "rate(sluice_operator_rows_in_total{job_id=\"" + id + "\",kind=\"source\"}[5s])", sane);
  ASSERT_TRUE(rows_in && sane(*rows_in))
      << "rate of rows in: " << (rows_in ? std::to_string(*rows_in) : "no sample")
      << " (expected about " << kRowsPerSecond << "/s)\n"
      << Tail(directory_ / "prometheus.log") << Tail(directory_ / "server.log");

  // The same rate from the sink and from the sum of the two source subtasks.
  std::optional<double> rows_out = WaitForValue(
      "rate(sluice_operator_rows_out_total{job_id=\"" + id + "\",kind=\"sink\"}[5s])", sane);
  EXPECT_TRUE(rows_out && sane(*rows_out)) << (rows_out ? *rows_out : -1.0);
  std::optional<json> per_subtask = prometheus_.Query(
      "rate(sluice_subtask_rows_in_total{job_id=\"" + id + "\",vertex=\"source/src\"}[5s])");
  ASSERT_TRUE(per_subtask.has_value());
  EXPECT_EQ(per_subtask->size(), 2u) << per_subtask->dump();
  std::optional<double> subtask_sum = WaitForValue(
      "sum(rate(sluice_subtask_rows_in_total{job_id=\"" + id + "\",vertex=\"source/src\"}[5s]))",
      sane);
  EXPECT_TRUE(subtask_sum && sane(*subtask_sum)) << (subtask_sum ? *subtask_sum : -1.0);

  // Labels that a dashboard selects on, and checkpoints counted as they complete.
  std::optional<double> running =
      WaitForValue("sluice_job_info{job_id=\"" + id + "\",job_name=\"metered\",state=\"RUNNING\"}",
                   [](double value) { return value == 1; });
  EXPECT_EQ(running, 1.0);
  std::optional<double> checkpoints =
      WaitForValue("increase(sluice_job_checkpoints_completed_total" + selector + "[10s])",
                   [](double value) { return value > 0; });
  EXPECT_TRUE(checkpoints && *checkpoints > 0) << (checkpoints ? *checkpoints : -1.0);

  // Prometheus' view of the target: up, scraped without error.
  CurlReply targets = Curl("GET", prometheus_.Url() + "/api/v1/targets");
  ASSERT_EQ(targets.status, 200) << targets.body;
  json active = targets.Json()["data"]["activeTargets"];
  ASSERT_EQ(active.size(), 1u) << targets.body;
  EXPECT_EQ(active[0]["health"], "up") << targets.body;
  EXPECT_EQ(active[0]["lastError"], "") << targets.body;
  EXPECT_EQ(active[0]["labels"]["instance"], target) << targets.body;
  EXPECT_EQ(SingleValue(prometheus_.Query("up{job=\"sluice\"}")), 1.0);

  // Prometheus' own linter on the exposition: names, units, counter suffixes, HELP and TYPE.
  CurlReply metrics = Curl("GET", server_.Url() + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string metrics_file = Write("metrics.txt", metrics.body);
  std::string lint_out;
  std::string lint_err;
  EXPECT_EQ(RunProcess({"sh", "-c", "exec promtool check metrics < '" + metrics_file + "'"},
                       &lint_out, &lint_err),
            0)
      << lint_out << lint_err;

  // Nothing of this test's Prometheus outlives it.
  prometheus_.Stop();
  EXPECT_EQ(RunProcess({"pgrep", "-f", tsdb.string()}), 1) << "a prometheus process is left";
}

}  // namespace
}  // namespace sluice
