#include "tools/sluice/repl/line_reader.h"

// libedit's readline compatibility layer (pkg-config libedit).
#include <editline/readline.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace sluice::repl {

namespace {

/// libedit calls plain C functions; the completer of the one interactive reader lives here.
Completer* g_completer = nullptr;
std::vector<std::string> g_matches;

char* NextMatch(const char* word, int state) {
  static size_t next = 0;
  if (state == 0) {
    next = 0;
    g_matches = (*g_completer)(std::string(rl_line_buffer, rl_point), word);
  }
  if (next >= g_matches.size()) return nullptr;
  return strdup(g_matches[next++].c_str());
}

char** Complete(const char* word, int start, int end) {
  rl_attempted_completion_over = 1;  // never fall back to completing file names
  if (g_completer == nullptr) return nullptr;
  return rl_completion_matches(word, NextMatch);
}

class EditLineReader final : public LineReader {
 public:
  EditLineReader(std::string history_file, Completer completer)
      : history_file_(std::move(history_file)), completer_(std::move(completer)) {
    g_completer = &completer_;
    rl_readline_name = const_cast<char*>("sluice");
    rl_attempted_completion_function = Complete;
    rl_completer_word_break_characters = const_cast<char*>(" \t\n(),;.=<>+-*/|'\"");
    // The REPL's own SIGINT handler sees Ctrl-C (libedit's would leave the terminal cooked);
    // readline then returns null with the flag set, and the REPL drops the line (psql does).
    rl_catch_signals = 0;
    using_history();
    if (!history_file_.empty()) read_history(history_file_.c_str());
  }
  ~EditLineReader() override { g_completer = nullptr; }

  std::optional<std::string> ReadLine(const std::string& prompt) override {
    char* line = readline(prompt.c_str());
    if (line == nullptr) return std::nullopt;
    std::string text(line);
    std::free(line);
    return text;
  }

  void AddHistory(const std::string& entry) override {
    add_history(entry.c_str());
    if (!history_file_.empty()) write_history(history_file_.c_str());
  }

 private:
  std::string history_file_;
  Completer completer_;
};

class PlainReader final : public LineReader {
 public:
  std::optional<std::string> ReadLine(const std::string& prompt) override {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  void AddHistory(const std::string& entry) override {}
};

}  // namespace

std::unique_ptr<LineReader> LineReader::Interactive(const std::string& history_file,
                                                    Completer completer) {
  return std::make_unique<EditLineReader>(history_file, std::move(completer));
}

std::unique_ptr<LineReader> LineReader::Plain() {
  return std::make_unique<PlainReader>();
}

std::string DefaultHistoryFile() {
  if (const char* path = std::getenv("SLUICE_HISTORY")) return path;
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.sluice_history";
  return "";
}

}  // namespace sluice::repl
