// sluice-kafka-mock as other processes see it: its command line, its bootstrap file, its exit on
// SIGTERM, and kcat (an unrelated client) writing to it while the librdkafka client reads.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/connectors/kafka/kafka_client.h"
#include "tests/kafka/mock_cluster.h"
#include "tests/unit/kafka/kafka_test_util.h"

namespace sluice::runtime::connectors::kafka {
namespace {

using sluice::testing_support::MockCluster;
using testing::Config;
using testing::PollUntil;

/// Runs `command` with sh; returns its exit status and what it printed on stdout.
std::pair<int, std::string> Shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  size_t got = 0;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

bool HaveKcat() {
  return Shell("command -v kcat >/dev/null 2>&1").first == 0;
}

std::filesystem::path TemporaryDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sluice-kafka-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  return made == nullptr ? std::filesystem::path() : std::filesystem::path(made);
}

TEST(MockToolTest, PrintsItsBootstrapServersAndStopsWhenStdinCloses) {
  MockCluster cluster({.brokers = 3, .topics = {}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  // One loopback listener per broker.
  std::string servers = cluster.bootstrap_servers();
  EXPECT_EQ(std::count(servers.begin(), servers.end(), ','), 2) << servers;
  EXPECT_EQ(servers.rfind("127.0.0.1:", 0), 0u) << servers;
  EXPECT_EQ(cluster.Stop(), 0);
}

// Starts the tool with --bootstrap-file (as the CTest fixture does), checks the cluster it
// announces, stops it with `stop_signal` and returns its exit status.
int RunWithBootstrapFile(int stop_signal) {
  std::filesystem::path directory = TemporaryDirectory();
  EXPECT_FALSE(directory.empty());
  std::filesystem::path file = directory / "bootstrap";
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    signal(SIGINT, SIG_IGN);  // as a shell starts a background job
    execl(SLUICE_KAFKA_MOCK_BINARY, SLUICE_KAFKA_MOCK_BINARY, "--topic", "t:2", "--bootstrap-file",
          file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string servers;
  std::ifstream(file) >> servers;
  EXPECT_EQ(servers.rfind("127.0.0.1:", 0), 0u) << servers;
  if (!servers.empty()) {
    auto consumer = RdKafkaClients().NewConsumer(Config(servers));
    EXPECT_TRUE(consumer.ok());
    auto partitions = (*consumer)->Partitions("t");
    EXPECT_TRUE(partitions.ok()) << partitions.status().ToString();
    if (partitions.ok()) {
      EXPECT_EQ(partitions->size(), 2u);
    }
  }
  kill(pid, stop_signal);
  int status = 0;
  waitpid(pid, &status, 0);
  std::filesystem::remove_all(directory);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(MockToolTest, WritesTheBootstrapFileAndExitsCleanlyOnSigtermOrSigint) {
  EXPECT_EQ(RunWithBootstrapFile(SIGTERM), 0);
  EXPECT_EQ(RunWithBootstrapFile(SIGINT), 0);
}

TEST(MockToolTest, RefusesBadArguments) {
  std::string binary = SLUICE_KAFKA_MOCK_BINARY;
  EXPECT_EQ(Shell(binary + " --topic nopartitions 2>/dev/null").first, 2);
  EXPECT_EQ(Shell(binary + " --brokers 0 2>/dev/null").first, 2);
  EXPECT_EQ(Shell(binary + " --what 2>/dev/null").first, 2);
}

TEST(MockToolTest, KcatWritesWhatTheClientReads) {
  if (!HaveKcat()) GTEST_SKIP() << "kcat is not on PATH (scripts/install-deps installs it)";
  MockCluster cluster({.brokers = 1, .topics = {{"from-kcat", 2}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  std::string servers = cluster.bootstrap_servers();

  auto [listed, metadata] = Shell("kcat -L -m 10 -b " + servers + " -t from-kcat");
  ASSERT_EQ(listed, 0) << metadata;
  EXPECT_NE(metadata.find("topic \"from-kcat\" with 2 partitions"), std::string::npos) << metadata;

  // Keys after ':', a header each.
  auto [produced, ignored] = Shell("printf 'k1:one\\nk2:two\\n' | kcat -P -m 10 -b " + servers +
                                   " -t from-kcat -p 1 -K: -H source=kcat");
  ASSERT_EQ(produced, 0);

  auto consumer = RdKafkaClients().NewConsumer(Config(servers));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Assign({{{"from-kcat", 1}, kOffsetBeginning}}).ok());
  std::vector<ConsumedRecord> records = PollUntil(**consumer, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "k1");
  EXPECT_EQ(records[0].value, "one");
  EXPECT_EQ(records[1].key, "k2");
  EXPECT_EQ(records[1].value, "two");
  ASSERT_EQ(records[0].headers.size(), 1u);
  EXPECT_EQ(records[0].headers[0].key, "source");
  EXPECT_EQ(records[0].headers[0].value, "kcat");

  // And the other way: what the client writes, kcat reads.
  auto producer = RdKafkaClients().NewProducer(Config(servers), "");
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->Produce(testing::Record("from-kcat", 0, "from-sluice")).ok());
  ASSERT_TRUE((*producer)->Flush().ok());
  auto [consumed, text] =
      Shell("kcat -C -q -e -m 10 -b " + servers + " -t from-kcat -p 0 -o beginning -f '%s@%o\\n'");
  ASSERT_EQ(consumed, 0);
  EXPECT_EQ(text, "from-sluice@0\n");
}

}  // namespace
}  // namespace sluice::runtime::connectors::kafka
