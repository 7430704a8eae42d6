#pragma once

// A `sluice` process for tests that drive the binary (SLUICE_BINARY, set by CMake), and
// reading back the log it wrote.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::testing_support {

/// A `sluice` process with its output in a log file.
class Process {
 public:
  /// Starts `sluice arguments…` with stdout and stderr appended to `log`; `file_size_limit` > 0
  /// caps the size of every file it writes (RLIMIT_FSIZE: a full disk, as the process sees it).
  Process(const std::vector<std::string>& arguments, const std::filesystem::path& log,
          rlim_t file_size_limit = 0) {
    pid_ = fork();
    if (pid_ != 0) return;
    FILE* out = std::fopen(log.c_str(), "a");
    if (out == nullptr) _exit(127);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(out), STDERR_FILENO);
    if (file_size_limit > 0) {
      signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead
      rlimit limit{file_size_limit, file_size_limit};
      setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<char*> argv;
    std::string binary = SLUICE_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copies = arguments;
    for (std::string& argument : copies) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  ~Process() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }

  void Signal(int signal) { kill(pid_, signal); }
  /// The exit code, or 128 + the signal that ended it.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
  }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
};

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The non-empty lines of the committed (visible) files of a filesystem sink's directory,
/// sorted: hidden files (`.…inprogress`, `.…pending`) and `_SUCCESS` are not output.
inline std::vector<std::string> CommittedLines(const std::filesystem::path& directory) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(directory)) return lines;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.front() == '.' || name == "_SUCCESS") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace sluice::testing_support
