#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/base/diagnostic.h"
#include "catalog/base/result.h"
#include "compiler/ast/statement.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/expr/chain_compiler.h"
#include "runtime/scheduler/job.h"
#include "tools/sluice/repl/job_list.h"
#include "tools/sluice/repl/query_rewrite.h"
#include "tools/sluice/repl/result_view.h"
#include "tools/sluice/repl/statement_splitter.h"

namespace sluice::repl {

/// How the REPL was started.
struct SessionOptions {
  bool interactive = false;       // a terminal: redraw updating tables in place
  bool use_jit = true;            // --jit
  bool jit_in_background = true;  // --jit=adaptive
  /// --set KEY=VALUE and --parallelism: they win over SET statements, as for `sluice run`.
  std::map<std::string, std::string> overrides;
  /// Set (from a signal handler) to cancel the running query; the caller clears it before
  /// each statement.
  std::atomic<bool>* interrupt = nullptr;
};

/// Where a statement came from, for error messages: the text it was cut from and its file
/// ("" for typed input).
struct StatementSource {
  const SourceStatement& statement;
  const std::string& text;
  const std::string& file;
};

/// A REPL session: the accepted DDL, views, functions and SET statements (the context every
/// new statement is compiled in), the running background jobs, and how results are shown.
///
/// Each statement is compiled as the session text followed by the statement, so it sees the
/// tables and options defined before; its errors are reported relative to the statement
/// itself. A statement that fails leaves the session as it was.
class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();

  /// Runs one statement. Returns false (after printing the error) when it failed.
  bool Execute(const StatementSource& source);

  /// Tab completion candidates for `word`: keywords, table and view names, column names.
  std::vector<std::string> Completions(const std::string& line, const std::string& word);

  /// Prints a line for each background job that ended since the last call.
  void ReportEndedJobs() { jobs_.ReportEnded(); }
  /// Stops the background jobs still running (when the REPL ends).
  void StopAllJobs() { jobs_.StopAll(); }
  bool HasRunningJobs() const { return jobs_.HasRunning(); }

 private:
  base::Result<compiler::CompiledScript> Compile(const std::string& text, const Insertion& rewrite,
                                                 const StatementSource& source,
                                                 std::map<std::string, std::string> overrides);
  void ReportDiagnostics(const std::vector<base::Diagnostic>& diagnostics, int32_t prefix_size,
                         int32_t prefix_lines, const Insertion& rewrite,
                         const StatementSource& source) const;
  void ReportWarnings(const compiler::CompiledScript& compiled) const;
  void Accept(const ast::Statement& statement, const std::string& text,
              const compiler::CompiledScript& compiled);

  bool RunSelect(const ast::QueryStatement& select, const StatementSource& source);
  bool RunJob(const runtime::plan::PlanGraph& plan, const std::string& collect_name,
              int64_t client_limit);
  bool StartInsertJob(const ast::InsertStatement& insert, const compiler::CompiledScript& compiled);
  bool Show(const ast::ShowStatement& show);
  bool Describe(const ast::DescribeStatement& describe, const StatementSource& source);
  bool StopJob(const ast::StopJobStatement& stop, const StatementSource& source);
  bool ListOptions() const;
  /// The columns of a table or view (by compiling `SELECT * FROM name`), or nullopt.
  std::optional<types::Schema> SchemaOf(const std::string& name);
  /// The session's engine services (the JIT with --jit=on; made on first use, interpreted
  /// with a warning when the JIT cannot start).
  runtime::scheduler::EngineServices* Services();
  void Error(const std::string& message, base::SourceSpan span,
             const StatementSource& source) const;
  std::string Option(const std::string& key) const;

  SessionOptions options_;
  std::string session_text_;      // prelude + accepted statements, each ended by ";\n"
  int32_t session_warnings_ = 0;  // warnings the session text alone produces
  std::vector<std::pair<std::string, bool>> relations_;  // accepted tables and views (is_view)
  std::vector<std::string> functions_;                   // CREATE FUNCTION names
  std::map<std::string, std::string> set_options_;       // accepted SET statements
  int64_t version_ = 0;                                  // bumped when the session changes
  int64_t columns_version_ = -1;
  std::vector<std::string> column_names_;  // of every relation, for completion
  int64_t query_count_ = 0;
  std::unique_ptr<runtime::scheduler::EngineServices> services_;  // outlives the jobs
  JobList jobs_;  // declared last: its jobs stop before the rest goes
};

}  // namespace sluice::repl
