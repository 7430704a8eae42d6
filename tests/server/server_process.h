#pragma once

// Test support for `sluice serve`: starts the real binary on a free loopback port, talks to it
// with curl (a client apart from the server's own HTTP library), and stops what it started.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing_support {

/// The path of `name` on PATH, or empty.
inline std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream directories(path ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    std::filesystem::path candidate = std::filesystem::path(directory) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

/// The last `characters` of a file (a log, for a failure message).
inline std::string Tail(const std::filesystem::path& path, size_t characters = 3000) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > characters ? text.substr(text.size() - characters) : text;
}

/// Runs `argv` (argv[0] a path), waits for it and returns its exit code; its standard output
/// goes to `*out` and its standard error to `*err` when given.
inline int RunProcess(const std::vector<std::string>& argv, std::string* out = nullptr,
                      std::string* err = nullptr,
                      const std::vector<std::string>& environment = {}) {
  char out_name[] = "/tmp/sluice-test-out-XXXXXX";
  char err_name[] = "/tmp/sluice-test-err-XXXXXX";
  int out_fd = mkstemp(out_name);
  int err_fd = mkstemp(err_name);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const std::string& variable : environment) putenv(const_cast<char*>(variable.c_str()));
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto slurp = [](const char* name) {
    std::ifstream in(name);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  if (out) *out = slurp(out_name);
  if (err) *err = slurp(err_name);
  close(out_fd);
  close(err_fd);
  unlink(out_name);
  unlink(err_name);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// One HTTP exchange through curl: the status (0 when curl got no answer) and the body.
struct CurlReply {
  int status = 0;
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

/// `method` `url` with an optional JSON body (a file, so any size goes) and extra headers.
inline CurlReply Curl(const std::string& method, const std::string& url,
                      const std::string& body = "", const std::vector<std::string>& headers = {}) {
  std::vector<std::string> argv = {"curl",           "-s", "-S",   "-o",         "-",  "-w",
                                   "\n%{http_code}", "-X", method, "--max-time", "120"};
  std::string body_file;
  if (!body.empty() || method == "POST") {
    char name[] = "/tmp/sluice-test-body-XXXXXX";
    int fd = mkstemp(name);
    ssize_t written = write(fd, body.data(), body.size());
    (void)written;
    close(fd);
    body_file = name;
    argv.push_back("-H");
    argv.push_back("Content-Type: application/json");
    argv.push_back("--data-binary");
    argv.push_back("@" + body_file);
  }
  for (const std::string& header : headers) {
    argv.push_back("-H");
    argv.push_back(header);
  }
  argv.push_back(url);
  std::string out;
  RunProcess(argv, &out);
  if (!body_file.empty()) unlink(body_file.c_str());
  CurlReply reply;
  size_t newline = out.rfind('\n');
  if (newline == std::string::npos) return reply;
  reply.status = std::atoi(out.c_str() + newline + 1);
  reply.body = out.substr(0, newline);
  return reply;
}

/// A `sluice serve` process on a free loopback port, killed (SIGKILL) when destroyed unless
/// stopped before.
class ServerProcess {
 public:
  /// Starts `sluice serve --listen 127.0.0.1:0 --state-dir STATE` plus `extra` arguments and
  /// waits for its "listening on" line; its log goes to `log_file`.
  /// `environment` adds NAME=VALUE variables to the server's environment.
  bool Start(const std::string& binary, const std::string& state_directory,
             const std::string& log_file, const std::vector<std::string>& extra = {},
             const std::vector<std::string>& environment = {}) {
    log_file_ = log_file;
    const size_t log_offset = Log().size();
    std::vector<std::string> argv = {binary,        "serve",       "--listen",
                                     "127.0.0.1:0", "--state-dir", state_directory};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      for (const std::string& variable : environment) putenv(const_cast<char*>(variable.c_str()));
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      // This start's line: the log may hold an earlier run's before `log_offset`.
      std::string log = Log();
      std::string fresh = log.size() > log_offset ? log.substr(log_offset) : "";
      std::smatch match;
      if (std::regex_search(fresh, match, listening)) {
        port_ = std::stoi(match[1]);
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  ~ServerProcess() { Kill(); }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Waits (up to `seconds`) for the server to exit by itself (a test crash point); true if
  /// it did.
  bool AwaitExit(int seconds = 120) { return pid_ <= 0 || WaitForExit(seconds).has_value(); }

  /// SIGTERM and wait (up to `seconds`); the exit code, or -1 when it had to be killed.
  int Terminate(int seconds = 120) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    if (std::optional<int> code = WaitForExit(seconds)) return *code;
    Kill();
    return -1;
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Log() const {
    std::ifstream in(log_file_);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  /// Polls GET /v1/jobs/ID until `predicate` holds of its JSON (up to `seconds`).
  template <typename Predicate>
  bool WaitForJob(const std::string& id, Predicate predicate, int seconds = 120) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      CurlReply reply = Curl("GET", Url() + "/v1/jobs/" + id);
      if (reply.status == 200) {
        nlohmann::json job = reply.Json();
        if (!job.is_discarded() && predicate(job)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  /// Waits up to `seconds` for the process to end; its exit code (128 + signal when killed).
  std::optional<int> WaitForExit(int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_file_;
};

}  // namespace sluice::testing_support
