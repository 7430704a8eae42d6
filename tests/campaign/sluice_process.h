#pragma once

// One `sluice` process of the crash campaign, started with posix_spawn so that several
// scenario threads can start processes at once (no allocation between fork and exec).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sluice::campaign {

/// A `sluice` process with stdout and stderr appended to a log file; killed (SIGKILL) and
/// reaped by the destructor if it is still running.
class SluiceProcess {
 public:
  /// Starts `binary arguments…` with the current environment minus any
  /// `SLUICE_TEST_CRASH_AT`, plus `SLUICE_TEST_CRASH_AT=<crash_at>` when it is not empty.
  SluiceProcess(const std::string& binary, const std::vector<std::string>& arguments,
                const std::filesystem::path& log, const std::string& crash_at = "") {
    std::vector<std::string> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      if (std::strncmp(*variable, "SLUICE_TEST_CRASH_AT=", 21) != 0) {
        environment.push_back(*variable);
      }
    }
    if (!crash_at.empty()) environment.push_back("SLUICE_TEST_CRASH_AT=" + crash_at);
    std::vector<std::string> argument_copies = {binary};
    argument_copies.insert(argument_copies.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& argument : argument_copies) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& variable : environment) envp.push_back(variable.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    int error = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error == 0) {
      pid_ = pid;
    } else {
      exit_code_ = 127;
    }
  }
  SluiceProcess(const SluiceProcess&) = delete;
  SluiceProcess& operator=(const SluiceProcess&) = delete;
  ~SluiceProcess() {
    if (!exit_code_) {
      Signal(SIGKILL);
      Wait();
    }
  }

  /// Sends `signal` unless the process has been reaped already.
  void Signal(int signal) {
    if (pid_ > 0 && !exit_code_) kill(pid_, signal);
  }

  /// The exit code (128 + the signal that ended it) once the process has ended within
  /// `timeout`; nullopt while it still runs.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (Poll()) return exit_code_;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// Waits for the end of the process and returns its exit code (128 + signal).
  int Wait() {
    while (!exit_code_) {
      int status = 0;
      pid_t waited = waitpid(pid_, &status, 0);
      if (waited == pid_) {
        Record(status);
      } else if (waited < 0 && errno != EINTR) {
        exit_code_ = 127;
      }
    }
    return *exit_code_;
  }

 private:
  bool Poll() {
    if (exit_code_) return true;
    int status = 0;
    pid_t waited = waitpid(pid_, &status, WNOHANG);
    if (waited == pid_) Record(status);
    if (waited < 0 && errno != EINTR) exit_code_ = 127;
    return exit_code_.has_value();
  }
  void Record(int status) {
    exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace sluice::campaign
