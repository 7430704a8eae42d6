#pragma once

// A librdkafka mock cluster in a child process (sluice-kafka-mock, at SLUICE_KAFKA_MOCK_BINARY
// which CMake sets), for tests whose Kafka clients may run in other processes (`sluice run`,
// kcat). Header-only and free of librdkafka.
//
//   MockCluster cluster({.brokers = 3, .topics = {{"orders", 4}}});
//   ASSERT_TRUE(cluster.ok()) << cluster.error();
//   config.properties["bootstrap.servers"] = cluster.bootstrap_servers();
//
// The child exits when its standard input closes (--exit-on-stdin-eof): when the destructor
// closes it, and also when the test process dies, so no cluster outlives its test.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice::testing_support {

struct MockClusterOptions {
  int brokers = 1;
  /// Topics created at start: name and partition count.
  std::vector<std::pair<std::string, int>> topics;
};

/// Starts sluice-kafka-mock and reads its bootstrap servers; stops it when destroyed.
class MockCluster {
 public:
  explicit MockCluster(const MockClusterOptions& options = {}) {
    std::vector<std::string> arguments = {SLUICE_KAFKA_MOCK_BINARY, "--exit-on-stdin-eof",
                                          "--brokers", std::to_string(options.brokers)};
    for (const auto& [topic, partitions] : options.topics) {
      arguments.push_back("--topic");
      arguments.push_back(topic + ":" + std::to_string(partitions));
    }
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      error_ = "pipe failed";
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    if (pid_ < 0) {
      close(from_child[0]);
      error_ = "fork failed";
      return;
    }
    ReadBootstrap(from_child[0]);
    close(from_child[0]);  // the child's later output (none) would get EPIPE: it ignores SIGPIPE
  }

  ~MockCluster() { Stop(); }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  bool ok() const { return error_.empty(); }
  /// Why the cluster did not start; empty when it did.
  const std::string& error() const { return error_; }
  /// `127.0.0.1:port,…`, one per broker.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  pid_t pid() const { return pid_; }

  /// Stops the cluster (its topics are gone with it): closes its standard input, then kills it
  /// if it has not exited within 10 s. Returns its exit status (0 for a clean stop).
  int Stop() {
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
    if (pid_ <= 0 || waited_) return exit_status_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    waited_ = true;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_status_;
  }

 private:
  // Reads stdout up to the `bootstrap.servers=` line, for at most 10 s.
  void ReadBootstrap(int fd) {
    const std::string prefix = "bootstrap.servers=";
    std::string output;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      size_t line_end = output.find('\n');
      if (line_end != std::string::npos) {
        std::string line = output.substr(0, line_end);
        if (line.rfind(prefix, 0) == 0) {
          bootstrap_servers_ = line.substr(prefix.size());
          return;
        }
        output.erase(0, line_end + 1);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd entry{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&entry, 1, static_cast<int>(left.count())) == 0) {
        error_ = "sluice-kafka-mock printed no bootstrap servers within 10 s";
        return;
      }
      char buffer[512];
      ssize_t got = read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        error_ = "sluice-kafka-mock exited without printing its bootstrap servers (exit status " +
                 std::to_string(Stop()) + ")";
        return;
      }
      output.append(buffer, static_cast<size_t>(got));
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  bool waited_ = false;
  int exit_status_ = -1;
  std::string error_;
  std::string bootstrap_servers_;
};

}  // namespace sluice::testing_support
