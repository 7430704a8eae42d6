// sluice-kafka-mock: a librdkafka mock cluster in its own process, for tests whose clients run
// in other processes (`sluice run`, kcat). Prints `bootstrap.servers=<list>` once listening
// (the mock binds 127.0.0.1 on ports the kernel picks), then runs until SIGTERM or SIGINT, or
// until its standard input closes with --exit-on-stdin-eof; exits 0.
//
//   sluice-kafka-mock [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file PATH]
//                     [--exit-on-stdin-eof]

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Options {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  std::string bootstrap_file;
  bool exit_on_stdin_eof = false;
};

constexpr char kUsage[] =
    "usage: sluice-kafka-mock [--brokers N] [--topic NAME:PARTITIONS]... "
    "[--bootstrap-file PATH] [--exit-on-stdin-eof]\n";

bool ParseCount(const std::string& text, int min, int max, int* out) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min || value > max) return false;
  *out = static_cast<int>(value);
  return true;
}

// Returns an error message, empty when the arguments are fine.
std::string Parse(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (argument == "--brokers") {
      const char* text = value();
      if (text == nullptr || !ParseCount(text, 1, 100, &options->brokers)) {
        return "--brokers needs a number from 1 to 100";
      }
    } else if (argument == "--topic") {
      const char* text = value();
      std::string spec = text == nullptr ? "" : text;
      size_t colon = spec.rfind(':');
      int partitions = 0;
      if (colon == std::string::npos || colon == 0 ||
          !ParseCount(spec.substr(colon + 1), 1, 10000, &partitions)) {
        return "--topic needs NAME:PARTITIONS, e.g. orders:4";
      }
      options->topics.emplace_back(spec.substr(0, colon), partitions);
    } else if (argument == "--bootstrap-file") {
      const char* text = value();
      if (text == nullptr) return "--bootstrap-file needs a path";
      options->bootstrap_file = text;
    } else if (argument == "--exit-on-stdin-eof") {
      options->exit_on_stdin_eof = true;
    } else {
      return "unknown argument: " + argument;
    }
  }
  return "";
}

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half.
bool WriteAtomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) return false;
  bool written = std::fputs(text.c_str(), file) >= 0;
  written = std::fflush(file) == 0 && written;
  written = fsync(fileno(file)) == 0 && written;
  written = std::fclose(file) == 0 && written;
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

// Blocks until SIGTERM or SIGINT arrives (both blocked since the start, read through a
// signalfd), or standard input reaches its end when `watch_stdin`.
void WaitForStop(int signal_fd, bool watch_stdin) {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  while (true) {
    if (poll(fds, watch_stdin ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (watch_stdin && fds[1].revents != 0) {
      char buffer[256];
      ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string problem = Parse(argc, argv, &options);
  if (!problem.empty()) {
    std::fprintf(stderr, "sluice-kafka-mock: %s\n%s", problem.c_str(), kUsage);
    return 2;
  }

  // Blocked before librdkafka starts its threads, which inherit the mask: the signals wait in
  // the signalfd for the main thread. A shell starts background jobs with SIGINT ignored,
  // which would discard it: the default disposition keeps it pending instead.
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::perror("sluice-kafka-mock: signalfd");
    return 1;
  }

  // The mock cluster hangs off a client handle; this producer never connects anywhere.
  char error[512] = "";
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "4", error, sizeof error) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "sluice-kafka-mock: %s\n", error);
    return 1;
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    std::fprintf(stderr, "sluice-kafka-mock: cannot create a client handle: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "sluice-kafka-mock: cannot create the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  int exit_code = 0;
  for (const auto& [topic, partitions] : options.topics) {
    rd_kafka_resp_err_t code = rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions,
                                                          std::min(options.brokers, 3));
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "sluice-kafka-mock: cannot create topic %s: %s\n", topic.c_str(),
                   rd_kafka_err2str(code));
      exit_code = 1;
    }
  }
  std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  if (exit_code == 0 && !options.bootstrap_file.empty() &&
      !WriteAtomically(options.bootstrap_file, bootstraps + "\n")) {
    std::fprintf(stderr, "sluice-kafka-mock: cannot write %s: %s\n", options.bootstrap_file.c_str(),
                 std::strerror(errno));
    exit_code = 1;
  }
  if (exit_code == 0) {
    std::printf("bootstrap.servers=%s\n", bootstraps.c_str());
    std::fflush(stdout);
    WaitForStop(signal_fd, options.exit_on_stdin_eof);
  }

  // No teardown: destroying the cluster right after it started waits out a broker thread's
  // 1 s poll, which every short test would pay; the listeners close with the process.
  std::fflush(stdout);
  _exit(exit_code);
}
