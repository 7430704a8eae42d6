#include "tools/sluice/repl/repl.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tools/sluice/repl/line_reader.h"
#include "tools/sluice/repl/session.h"
#include "tools/sluice/repl/statement_splitter.h"

namespace sluice::repl {

namespace {

constexpr const char* kPrompt = "sluice> ";
constexpr const char* kContinuationPrompt = "     -> ";

std::atomic<bool> g_interrupt{false};

void OnInterrupt(int) {
  g_interrupt.store(true);
}

/// Ctrl-C sets a flag (the running query polls it) instead of ending the process. While a
/// line is read, the read is interrupted too (`restart` false), so the REPL can drop the line.
void InstallInterruptHandler(bool restart) {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGINT, &action, nullptr);
}

std::string Trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

class Repl {
 public:
  Repl(const ReplOptions& options, bool interactive)
      : interactive_(interactive), session_(MakeSessionOptions(options, interactive)) {}

  int Run() {
    if (interactive_) {
      reader_ = LineReader::Interactive(DefaultHistoryFile(),
                                        [this](const std::string& line, const std::string& word) {
                                          return Complete(line, word);
                                        });
      std::printf(
          "Sluice 0.1.0: streaming SQL. End statements with ';'. \\help for help, "
          "\\q to quit.\n");
      std::fflush(stdout);
    } else {
      reader_ = LineReader::Plain();
    }
    std::string buffer;
    while (!quit_) {
      session_.ReportEndedJobs();
      bool fresh = IsBlank(buffer);
      g_interrupt.store(false);
      InstallInterruptHandler(/*restart=*/false);
      auto line = reader_->ReadLine(fresh ? kPrompt : kContinuationPrompt);
      InstallInterruptHandler(/*restart=*/true);
      if (interactive_ && g_interrupt.exchange(false)) {  // Ctrl-C at the prompt: drop the input
        std::putchar('\n');
        buffer.clear();
        continue;
      }
      if (!line) {
        if (interactive_) std::putchar('\n');
        if (!IsBlank(buffer)) RunText(buffer, "", /*final=*/true);  // a last statement without ';'
        break;
      }
      if (fresh && Trim(*line).rfind('\\', 0) == 0) {
        if (interactive_) reader_->AddHistory(Trim(*line));
        RunCommand(Trim(*line));
        continue;
      }
      buffer += *line + "\n";
      size_t consumed = RunText(buffer, "", /*final=*/false);
      buffer.erase(0, consumed);
      if (IsBlank(buffer)) buffer.clear();
    }
    if (!interactive_) WaitForJobs();
    session_.StopAllJobs();
    return !interactive_ && failed_ ? 1 : 0;
  }

 private:
  static SessionOptions MakeSessionOptions(const ReplOptions& options, bool interactive) {
    SessionOptions session;
    session.interactive = interactive && isatty(STDOUT_FILENO);
    session.use_jit = options.use_jit;
    session.jit_in_background = options.jit_in_background;
    session.overrides = options.overrides;
    session.interrupt = &g_interrupt;
    return session;
  }

  /// Runs the complete statements of `text` (all of it when `final`); returns how much of
  /// `text` they took.
  size_t RunText(const std::string& text, const std::string& file, bool final) {
    size_t consumed = 0;
    std::vector<SourceStatement> statements = SplitStatements(text, &consumed, final);
    for (size_t i = 0; i < statements.size(); ++i) {
      const SourceStatement& statement = statements[i];
      if (quit_) break;
      if (g_interrupt.exchange(false) && i > 0) {
        // Ctrl-C cancelled the statement before: the rest of this input is dropped.
        std::fprintf(stderr, "%zu statement%s not run\n", statements.size() - i,
                     statements.size() - i == 1 ? "" : "s");
        break;
      }
      if (interactive_ && file.empty()) {
        std::string entry = statement.text + ";";
        std::replace(entry.begin(), entry.end(), '\n', ' ');
        reader_->AddHistory(entry);
      }
      auto start = std::chrono::steady_clock::now();
      bool ok = session_.Execute(StatementSource{statement, text, file});
      std::fflush(stdout);
      failed_ |= !ok;
      if (timing_) {
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf("Time: %.3f ms\n", ms);
        std::fflush(stdout);
      }
    }
    return consumed;
  }

  void RunCommand(const std::string& line) {
    std::string command = line.substr(0, line.find_first_of(" \t"));
    std::string argument = Trim(line.substr(command.size()));
    if (command == "\\q" || command == "\\quit") {
      quit_ = true;
    } else if (command == "\\help" || command == "\\h" || command == "\\?") {
      std::fputs(HelpText(), stdout);
    } else if (command == "\\timing") {
      if (argument == "on" || argument == "off") {
        timing_ = argument == "on";
      } else if (argument.empty()) {
        timing_ = !timing_;
      } else {
        Fail("\\timing takes on or off");
        return;
      }
      std::printf("Timing is %s.\n", timing_ ? "on" : "off");
    } else if (command == "\\i" || command == "\\include") {
      if (argument.empty()) {
        Fail("\\i needs a file: \\i FILE.pipe");
        return;
      }
      std::ifstream in(argument, std::ios::binary);
      if (!in) {
        Fail(fmt::format("cannot read '{}': {}", argument, std::strerror(errno)));
        return;
      }
      std::stringstream text;
      text << in.rdbuf();
      RunText(text.str(), argument, /*final=*/true);
    } else {
      Fail(fmt::format("unknown command '{}' (\\help lists the commands)", command));
    }
    std::fflush(stdout);
  }

  void Fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    failed_ = true;
  }

  /// Without a terminal the input ends before background jobs do: let them finish, as
  /// `sluice run` would (Ctrl-C stops them).
  void WaitForJobs() {
    g_interrupt.store(false);
    bool waiting = true;
    while (waiting && !g_interrupt.load()) {
      waiting = session_.HasRunningJobs();
      if (waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    session_.ReportEndedJobs();
  }

  std::vector<std::string> Complete(const std::string& line, const std::string& word) {
    if (!word.empty() && word[0] == '\\') {
      std::vector<std::string> matches;
      for (const char* command : {"\\help", "\\i", "\\q", "\\timing"}) {
        if (std::string(command).rfind(word, 0) == 0) matches.push_back(command);
      }
      return matches;
    }
    return session_.Completions(line, word);
  }

  bool interactive_;
  Session session_;
  std::unique_ptr<LineReader> reader_;
  bool quit_ = false;
  bool failed_ = false;
  bool timing_ = false;
};

}  // namespace

const char* HelpText() {
  return R"(Statements (end each with ';'; a statement may span lines):
  CREATE TABLE / VIEW / FUNCTION ...   define the session's tables, views, functions
  SET 'key' = 'value'; SET; RESET      options (SET alone lists them)
  SELECT ...                           run a query; rows stream in as they come
                                       (LIMIT n without ORDER BY: the first n rows);
                                       an updating result is shown as its current table,
                                       or as a changelog after
                                       SET 'sql-client.execution.result-mode' = 'changelog'
  INSERT INTO t SELECT ...             start a job in the background
  SHOW JOBS; STOP JOB 'name'           list and stop background jobs
  SHOW TABLES | VIEWS | FUNCTIONS      what the session knows
  DESCRIBE t                           the columns of a table or view
  EXPLAIN SELECT ... | INSERT ...      the plan of a query
Commands:
  \i FILE      run the statements of a file
  \timing      show how long each statement takes (\timing on|off)
  \help        this text
  \q           quit (or Ctrl-D)
Ctrl-C cancels the running query and returns to the prompt. Tab completes keywords, table
and column names. History is kept in ~/.sluice_history (or $SLUICE_HISTORY).
)";
}

int RunRepl(const ReplOptions& options) {
  InstallInterruptHandler(/*restart=*/true);
  Repl repl(options, isatty(STDIN_FILENO) != 0);
  return repl.Run();
}

}  // namespace sluice::repl
