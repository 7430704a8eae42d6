// Drives `sluice repl` as a user would: in a real pseudo-terminal (forkpty) for the interactive
// session, and with a script on standard input for the plain mode. Every wait is for output,
// with a generous timeout; nothing asserts how long anything takes.

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_directory.h"

namespace {

namespace fs = std::filesystem;

constexpr int kTimeoutSeconds = 120;

/// `sluice repl` on the far side of a pseudo-terminal.
class PtyRepl {
 public:
  explicit PtyRepl(const std::string& history_file) {
    struct winsize size {};
    size.ws_row = 40;
    size.ws_col = 160;
    pid_ = forkpty(&fd_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      setenv("SLUICE_HISTORY", history_file.c_str(), 1);
      setenv("TERM", "xterm", 1);
      execl(SLUICE_BINARY, "sluice", "repl", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~PtyRepl() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  bool started() const { return pid_ > 0 && fd_ >= 0; }

  void Send(const std::string& keys) {
    size_t written = 0;
    while (written < keys.size()) {
      ssize_t n = write(fd_, keys.data() + written, keys.size() - written);
      if (n <= 0) return;
      written += static_cast<size_t>(n);
    }
  }

  /// Types `keys` at the prompt once the line editor reads them (see WaitForLineEditor).
  void Type(const std::string& keys) {
    EXPECT_TRUE(WaitForLineEditor()) << output_;
    Send(keys);
  }

  /// Reads until `needle` shows up after the previous match; the text read up to and including
  /// it is returned in `*seen` (when given). False on timeout or when the REPL ended.
  bool WaitFor(const std::string& needle, std::string* seen = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
    while (true) {
      size_t found = output_.find(needle, mark_);
      if (found != std::string::npos) {
        if (seen != nullptr) *seen = output_.substr(mark_, found + needle.size() - mark_);
        mark_ = found + needle.size();
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      struct pollfd poll_fd {
        fd_, POLLIN, 0
      };
      if (poll(&poll_fd, 1, 200) <= 0) continue;
      char buffer[4096];
      ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n <= 0) return false;  // the REPL ended
      output_.append(buffer, static_cast<size_t>(n));
    }
  }

  /// Waits until the line editor has put the terminal in raw mode. libedit prints the prompt
  /// before it switches, and a Ctrl-D typed in between is taken by the cooked terminal.
  bool WaitForLineEditor() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
      struct termios mode {};
      if (tcgetattr(fd_, &mode) == 0 && (mode.c_lflag & ICANON) == 0) return true;
      struct pollfd poll_fd {
        fd_, POLLIN, 0
      };
      if (poll(&poll_fd, 1, 20) > 0) {
        char buffer[4096];
        ssize_t n = read(fd_, buffer, sizeof buffer);
        if (n > 0) output_.append(buffer, static_cast<size_t>(n));
      }
    }
    return false;
  }

  /// Waits for the REPL to end; its exit status, or -1 on timeout.
  int WaitForExit() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
      char buffer[4096];
      struct pollfd poll_fd {
        fd_, POLLIN, 0
      };
      if (poll(&poll_fd, 1, 100) > 0) {
        ssize_t n = read(fd_, buffer, sizeof buffer);
        if (n > 0) output_.append(buffer, static_cast<size_t>(n));
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }

  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t mark_ = 0;
};

/// Lines of `text` (escape sequences of the line editor included) that end with '\n'.
int CountLinesStartingWith(const std::string& text, const std::string& prefix) {
  int count = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    if (text.compare(start, prefix.size(), prefix) == 0) ++count;
    start = end + 1;
  }
  return count;
}

class ReplTest : public sluice::testing_support::ScratchDirectoryTest {
 protected:
  ReplTest() : ScratchDirectoryTest("sluice-repl-") {}

  std::string history() const { return (directory_ / "history").string(); }
};

// An unbounded datagen stream with event time: one row per millisecond of event time.
const char* kClicksLines[] = {
    "CREATE TABLE clicks (\r",
    "  user_id INT,\r",
    "  ts TIMESTAMP(3),\r",
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND\r",
    ") WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'seed' = '7',\r",
    "       'fields.user_id.min' = '1', 'fields.user_id.max' = '3');\r",
};

void CreateClicks(PtyRepl* repl) {
  for (size_t i = 0; i + 1 < std::size(kClicksLines); ++i) {
    repl->Type(kClicksLines[i]);
    ASSERT_TRUE(repl->WaitFor("     -> ")) << repl->output();  // the continuation prompt
  }
  repl->Type(kClicksLines[std::size(kClicksLines) - 1]);
  ASSERT_TRUE(repl->WaitFor("CREATE TABLE\r\n")) << repl->output();
  ASSERT_TRUE(repl->WaitFor("sluice> ")) << repl->output();
}

TEST_F(ReplTest, InteractiveSessionInAPseudoTerminal) {
  PtyRepl repl(history());
  ASSERT_TRUE(repl.started());
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();

  // Multi-line DDL: a continuation prompt until the statement's ';'.
  CreateClicks(&repl);

  // A bounded query: LIMIT 5 shows five rows under a header, then the prompt comes back.
  repl.Type("SELECT user_id, ts FROM clicks LIMIT 5;\r");
  std::string rows;
  ASSERT_TRUE(repl.WaitFor("(5 rows)", &rows)) << repl.output();
  EXPECT_NE(rows.find(" user_id |           ts"), std::string::npos) << rows;
  EXPECT_NE(rows.find("---------+-------------------------"), std::string::npos) << rows;
  EXPECT_EQ(CountLinesStartingWith(rows.substr(rows.find("---------+")), "       "), 5) << rows;
  EXPECT_NE(rows.find("| 2024-01-01 00:00:00.000"), std::string::npos) << rows;
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();

  // An unknown column: an error with a caret under it, and the session goes on.
  repl.Type("SELECT user_id, nope FROM clicks;\r");
  std::string error;
  ASSERT_TRUE(repl.WaitFor("sluice> ", &error)) << repl.output();
  EXPECT_NE(error.find("error: column not found: 'nope'"), std::string::npos) << error;
  EXPECT_NE(error.find("  SELECT user_id, nope FROM clicks;\r\n"
                       "                  ^~~~"),
            std::string::npos)
      << error;

  // A windowed query never ends on an unbounded stream: Ctrl-C cancels it.
  repl.Type(
      "SELECT window_start, COUNT(*) AS clicks FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), "
      "INTERVAL '1' SECOND)) GROUP BY window_start, window_end;\r");
  ASSERT_TRUE(repl.WaitFor("2024-01-01 00:00:00.000 |   2000")) << repl.output();
  repl.Send("\x03");  // the query runs: the terminal is not the line editor's now
  ASSERT_TRUE(repl.WaitFor("query cancelled")) << repl.output();
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();

  // The session still answers, and still knows the table (tab completes its name).
  repl.Type("SELECT 1 + 1;\r");
  std::string answer;
  ASSERT_TRUE(repl.WaitFor("(1 row)", &answer)) << repl.output();
  EXPECT_NE(answer.find("--------\r\n      2\r\n"), std::string::npos) << answer;
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();
  repl.Type("DESCRIBE cli\t;\r");
  std::string described;
  ASSERT_TRUE(repl.WaitFor("(2 rows)", &described)) << repl.output();
  EXPECT_NE(described.find(" user_id | INT"), std::string::npos) << described;
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();

  // Ctrl-C at the prompt drops the line and never ends the REPL.
  // (Once the line editor has echoed the text, so it waits in read(): a Ctrl-C that lands
  // while it is still taking typed-ahead keys is only seen at the next key; see the note.)
  repl.Type("SELECT half a statement");
  ASSERT_TRUE(repl.WaitFor("SELECT half a statement")) << repl.output();
  repl.Send("\x03");
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();

  repl.Type("\\q\r");
  EXPECT_EQ(repl.WaitForExit(), 0) << repl.output();
}

TEST_F(ReplTest, HistoryPersistsAcrossSessions) {
  {
    PtyRepl first(history());
    ASSERT_TRUE(first.WaitFor("sluice> ")) << first.output();
    first.Type("SELECT 40 + 2;\r");
    ASSERT_TRUE(first.WaitFor("(1 row)")) << first.output();
    ASSERT_TRUE(first.WaitFor("sluice> ")) << first.output();
    first.Type("\x04");  // Ctrl-D quits too
    EXPECT_EQ(first.WaitForExit(), 0) << first.output();
  }
  PtyRepl second(history());
  ASSERT_TRUE(second.WaitFor("sluice> ")) << second.output();
  second.Type("\x1b[A\r");  // Up: the last statement of the previous session
  std::string answer;
  ASSERT_TRUE(second.WaitFor("(1 row)", &answer)) << second.output();
  EXPECT_NE(answer.find("     42\r\n"), std::string::npos) << answer;
  second.Type("\\q\r");
  EXPECT_EQ(second.WaitForExit(), 0) << second.output();
}

TEST_F(ReplTest, UpdatingQueryAndBackgroundJobs) {
  PtyRepl repl(history());
  ASSERT_TRUE(repl.WaitFor("sluice> ")) << repl.output();
  repl.Type(
      "CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'values');\r"
      "INSERT INTO bids VALUES (1, 10), (2, 20), (1, 30);\r");
  ASSERT_TRUE(repl.WaitFor("INSERT\r\n")) << repl.output();
  // An updating result ends as its final table ...
  repl.Type("SELECT auction, SUM(price) AS total FROM bids GROUP BY auction;\r");
  std::string table;
  ASSERT_TRUE(repl.WaitFor("changes)", &table)) << repl.output();
  std::string final_table = table.substr(table.rfind(" auction | total"));
  EXPECT_NE(final_table.find("       1 |    40\r\n       2 |    20\r\n(2 rows, 4 changes)"),
            std::string::npos)
      << table;
  // ... or as its changelog.
  repl.Type("SET 'sql-client.execution.result-mode' = 'changelog';\r");
  ASSERT_TRUE(repl.WaitFor("SET\r\n")) << repl.output();
  repl.Type("SELECT auction, SUM(price) AS total FROM bids GROUP BY auction;\r");
  std::string changelog;
  ASSERT_TRUE(repl.WaitFor("(4 changes)", &changelog)) << repl.output();
  EXPECT_NE(changelog.find(" -U |       1 |    10\r\n +U |       1 |    40\r\n"), std::string::npos)
      << changelog;

  // INSERT INTO starts a background job; SHOW JOBS lists it, STOP JOB stops it.
  repl.Type(
      "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = "
      "'100');\r"
      "CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');\r"
      "INSERT INTO sink SELECT n FROM numbers;\r");
  ASSERT_TRUE(repl.WaitFor("job 'sink' started")) << repl.output();
  repl.Type("SHOW JOBS;\r");
  std::string jobs;
  ASSERT_TRUE(repl.WaitFor("(1 row)", &jobs)) << repl.output();
  EXPECT_NE(jobs.find(" sink | RUNNING"), std::string::npos) << jobs;
  // Without a savepoint directory the job keeps running.
  repl.Type("STOP JOB 'sink' WITH SAVEPOINT;\r");
  ASSERT_TRUE(
      repl.WaitFor("it keeps running): no savepoint directory: set "
                   "'state.savepoints.dir'"))
      << repl.output();
  repl.Type("STOP JOB 'sink';\r");
  ASSERT_TRUE(repl.WaitFor("job 'sink' stopped")) << repl.output();
  repl.Type("SHOW JOBS;\r");
  ASSERT_TRUE(repl.WaitFor(" sink | STOPPED")) << repl.output();
  // With one, STOP JOB … WITH SAVEPOINT writes it first and says where.
  repl.Type("SET 'state.savepoints.dir' = '" + (directory_ / "savepoints").string() + "';\r");
  ASSERT_TRUE(repl.WaitFor("SET\r\n")) << repl.output();
  repl.Type("INSERT INTO sink SELECT n FROM numbers;\r");
  ASSERT_TRUE(repl.WaitFor("job 'sink-2' started")) << repl.output();
  repl.Type("STOP JOB 'sink-2' WITH SAVEPOINT;\r");
  ASSERT_TRUE(repl.WaitFor("job 'sink-2' stopped")) << repl.output();
  EXPECT_NE(repl.output().find("savepoint written: " + (directory_ / "savepoints").string()),
            std::string::npos)
      << repl.output();
  repl.Type("\\q\r");
  EXPECT_EQ(repl.WaitForExit(), 0) << repl.output();
}

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

Outcome RunWithInput(const std::string& input_file) {
  std::string command = std::string(SLUICE_BINARY) + " repl < " + input_file + " 2>&1";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) outcome.output.append(buffer, read);
  int status = pclose(pipe);
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

TEST_F(ReplTest, ReadsAScriptFromStandardInput) {
  fs::path script = directory_ / "script.pipe";
  std::ofstream(script) << R"(CREATE TABLE bids (auction BIGINT, price BIGINT)
  WITH ('connector' = 'values');
INSERT INTO bids VALUES (1, 10), (2, 20);
SELECT auction, price * 2 AS doubled FROM bids; SELECT 1 + 1;
SHOW TABLES;
)";
  Outcome ok = RunWithInput(script.string());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output,
            "CREATE TABLE\n"
            "INSERT\n"
            " auction | doubled\n"
            "---------+---------\n"
            "       1 |      20\n"
            "       2 |      40\n"
            "(2 rows)\n"
            " EXPR$0\n"
            "--------\n"
            "      2\n"
            "(1 row)\n"
            " name | kind\n"
            "------+-------\n"
            " bids | table\n"
            "(1 row)\n");

  // An error is reported where it is, the statements after it still run, and the exit
  // status says something failed.
  fs::path broken = directory_ / "broken.pipe";
  std::ofstream(broken) << R"(CREATE TABLE bids (auction BIGINT) WITH ('connector' = 'values');
SELECT
  auctoin FROM bids;
SELECT 3;
)";
  Outcome failed = RunWithInput(broken.string());
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_EQ(failed.output,
            "CREATE TABLE\n"
            "error: column not found: 'auctoin' (did you mean 'auction'?)\n"
            "    auctoin FROM bids;\n"
            "    ^~~~~~~\n"
            " EXPR$0\n"
            "--------\n"
            "      3\n"
            "(1 row)\n");
}

TEST_F(ReplTest, RefusesCreateTableAsWithTheWayAround) {
  // The session compiles its statements again with each new one, which would insert a CTAS's
  // rows again: the REPL says so, and the table is not created.
  fs::path script = directory_ / "ctas.pipe";
  std::ofstream(script) << R"(CREATE TABLE t (x INT) WITH ('connector' = 'values');
CREATE TABLE copy WITH ('connector' = 'blackhole') AS SELECT x FROM t;
SHOW TABLES;
)";
  Outcome outcome = RunWithInput(script.string());
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("error: CREATE TABLE … AS query runs in .pipe files; in the REPL, "
                                "CREATE TABLE the table, then INSERT INTO it"),
            std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find(" t    | table\n(1 row)\n"), std::string::npos) << outcome.output;
}

TEST_F(ReplTest, SplitsStatementsOnlyAtSemicolonsOutsideQuotesAndComments) {
  fs::path script = directory_ / "script.pipe";
  std::ofstream(script) << R"(CREATE TABLE t (x INT) WITH ('connector' = 'values'); -- a; comment
INSERT INTO t VALUES (1);
/* a ; block
   comment */ SELECT 'a;b' AS `semi;colon`, x FROM t; SELECT x + 1 AS y
FROM t
;
EXPLAIN SELECT x FROM t;
SELECT x AS last FROM t)";
  Outcome outcome = RunWithInput(script.string());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find(" semi;colon | x\n"
                                "------------+---\n"
                                " a;b        | 1\n"
                                "(1 row)\n"
                                " y\n"
                                "---\n"
                                " 2\n"
                                "(1 row)\n"
                                "== Optimized logical plan ==\n"),
            std::string::npos)
      << outcome.output;
  // The last statement needs no ';' at the end of the input.
  EXPECT_NE(outcome.output.find(" last\n------\n    1\n(1 row)\n"), std::string::npos)
      << outcome.output;
}

TEST_F(ReplTest, RunsAFileWithBackslashI) {
  fs::path file = directory_ / "tables.pipe";
  std::ofstream(file) << "CREATE TABLE t (x INT) WITH ('connector' = 'values');\n"
                         "INSERT INTO t VALUES (7);\n"
                         "SELECT y FROM t;\n";
  fs::path script = directory_ / "script.pipe";
  std::ofstream(script) << "\\i " << file.string() << "\nSELECT x FROM t;\n\\help\n";
  Outcome outcome = RunWithInput(script.string());
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  // Errors in the file name the file, line and column.
  EXPECT_NE(outcome.output.find(file.string() + ":3:8: error: column not found: 'y'"),
            std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find(" x\n---\n 7\n(1 row)\n"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\\timing"), std::string::npos) << outcome.output;
}

}  // namespace
