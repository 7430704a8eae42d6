#include "tools/sluice/repl/session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>

#include "catalog/base/suggest.h"
#include "catalog/functions/function_registry.h"
#include "compiler/codegen/jit_chain_compiler.h"
#include "compiler/parser/parser.h"
#include "runtime/connectors/collect_connector.h"

namespace sluice::repl {

namespace {

using Clock = std::chrono::steady_clock;
using runtime::connectors::CollectConnector;
using runtime::scheduler::Job;

/// A one-row table that `SELECT 1 + 1` (a SELECT without FROM) reads from. Hidden from SHOW.
constexpr const char* kOneRowTable = "__sluice_one_row";
const std::string kPrelude = fmt::format(
    "CREATE TABLE {0} (x INT) WITH ('connector' = 'values');\nINSERT INTO {0} VALUES (1);\n",
    kOneRowTable);

constexpr const char* kResultModeKey = "sql-client.execution.result-mode";

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoreCase(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string Quote(const std::string& name) {
  std::string quoted = "`";
  for (char c : name) quoted += c == '`' ? std::string("``") : std::string(1, c);
  return quoted + "`";
}

int32_t CountLines(const std::string& text) {
  return static_cast<int32_t>(std::count(text.begin(), text.end(), '\n'));
}

/// Blanks out `text[from, to)` with spaces, keeping every other offset and column in place.
void Blank(std::string* text, size_t from, size_t to) {
  for (size_t i = from; i < to && i < text->size(); ++i) {
    if ((*text)[i] != '\n') (*text)[i] = ' ';
  }
}

/// The start of the keyword `word` that ends right before `offset` (blanks between), or npos.
size_t KeywordBefore(const std::string& text, size_t offset, const std::string& word) {
  size_t end = offset;
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  if (end < word.size() || !EqualsIgnoreCase(text.substr(end - word.size(), word.size()), word)) {
    return std::string::npos;
  }
  return end - word.size();
}

/// A positive whole number spelled by `span` of `text`, or 0.
int64_t WholeNumberAt(const std::string& text, base::SourceSpan span) {
  if (!span.IsKnown() || span.length <= 0 || span.length > 18) return 0;
  std::string digits = text.substr(span.offset, span.length);
  if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
  return std::stoll(digits);
}

/// A client-side LIMIT: a REPL query `SELECT ... LIMIT n` (or `|> LIMIT n`) without ORDER BY
/// has no defined order on a stream, so the REPL shows the first n rows that arrive and then
/// cancels the job. The LIMIT is blanked out of `text` (offsets unchanged); returns n, or 0
/// when the query has no such LIMIT (the compiler then judges it).
int64_t TakeClientLimit(const ast::Query& query, std::string* text) {
  if (query.limit != nullptr && query.order_by.empty() && query.offset == nullptr) {
    int64_t limit = WholeNumberAt(*text, query.limit->span);
    size_t keyword = KeywordBefore(*text, query.limit->span.offset, "LIMIT");
    if (limit <= 0 || keyword == std::string::npos) return 0;
    Blank(text, keyword, query.limit->span.offset + query.limit->span.length);
    return limit;
  }
  if (query.kind() != ast::QueryKind::kPipe || query.limit != nullptr) return 0;
  const auto& pipe = query.Cast<ast::PipeQuery>();
  if (pipe.operators.empty() || pipe.operators.back()->kind() != ast::PipeOperatorKind::kLimit) {
    return 0;
  }
  if (pipe.operators.size() >= 2 &&
      pipe.operators[pipe.operators.size() - 2]->kind() == ast::PipeOperatorKind::kOrderBy) {
    return 0;
  }
  const auto& limit = pipe.operators.back()->Cast<ast::PipeLimit>();
  if (limit.offset != nullptr) return 0;
  int64_t rows = WholeNumberAt(*text, limit.limit->span);
  size_t keyword = KeywordBefore(*text, limit.limit->span.offset, "LIMIT");
  if (rows <= 0 || keyword == std::string::npos) return 0;
  size_t pipe_start = KeywordBefore(*text, keyword, "|>");
  Blank(text, pipe_start == std::string::npos ? keyword : pipe_start,
        limit.limit->span.offset + limit.limit->span.length);
  return rows;
}

std::string StatusName(bool done, bool stopped, const base::Status& status) {
  if (!done) return "RUNNING";
  if (stopped) return "STOPPED";
  return status.ok() ? "FINISHED" : "FAILED";
}

void PrintTable(std::vector<ResultColumn> columns,
                const std::vector<std::vector<std::string>>& rows) {
  TableLayout layout(std::move(columns));
  for (const auto& row : rows) layout.Fit(row);
  std::string text = layout.Header();
  for (const auto& row : rows) text += layout.Row(row);
  text += fmt::format("({} row{})\n", rows.size(), rows.size() == 1 ? "" : "s");
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

const std::vector<std::string>& Keywords() {
  static const std::vector<std::string> kKeywords = {
      "SELECT",   "FROM",      "WHERE",      "GROUP",        "BY",         "HAVING",
      "ORDER",    "LIMIT",     "INSERT",     "INTO",         "CREATE",     "TABLE",
      "VIEW",     "FUNCTION",  "WITH",       "AS",           "AND",        "OR",
      "NOT",      "NULL",      "IS",         "IN",           "BETWEEN",    "LIKE",
      "CASE",     "WHEN",      "THEN",       "ELSE",         "END",        "CAST",
      "JOIN",     "LEFT",      "RIGHT",      "FULL",         "INNER",      "OUTER",
      "ON",       "UNION",     "ALL",        "DISTINCT",     "SET",        "RESET",
      "EXPLAIN",  "SHOW",      "TABLES",     "FUNCTIONS",    "VIEWS",      "JOBS",
      "DESCRIBE", "STOP",      "JOB",        "SAVEPOINT",    "WATERMARK",  "FOR",
      "INTERVAL", "SECOND",    "MINUTE",     "HOUR",         "DAY",        "TUMBLE",
      "HOP",      "CUMULATE",  "SESSION",    "DESCRIPTOR",   "TIMESTAMP",  "BIGINT",
      "INT",      "VARCHAR",   "DOUBLE",     "BOOLEAN",      "COUNT",      "SUM",
      "MIN",      "MAX",       "AVG",        "PRIMARY",      "KEY",        "ENFORCED",
      "OVER",     "PARTITION", "ROW_NUMBER", "window_start", "window_end", "window_time"};
  return kKeywords;
}

}  // namespace

/// Text added to a statement before it is compiled (`FROM <one-row table>`), so that error
/// positions after it can be moved back.
struct Session::Rewrite {
  int32_t at = -1;  // offset in the statement where `length` characters were inserted
  int32_t length = 0;
  int32_t line = 0;  // the statement line (1-based) of `at`
};

/// A job started by INSERT INTO, running on its own thread until it ends or is stopped.
struct Session::BackgroundJob {
  std::string name;
  std::unique_ptr<Job> job;
  std::thread thread;
  Clock::time_point start;
  std::atomic<bool> done{false};
  std::atomic<bool> stopped{false};
  bool reported = false;
  base::Status status;  // valid once done
  double seconds = 0;   // valid once done
};

Session::Session(SessionOptions options) : options_(std::move(options)), session_text_(kPrelude) {}

Session::~Session() {
  StopAllJobs();
}

std::string Session::Option(const std::string& key) const {
  auto overridden = options_.overrides.find(key);
  if (overridden != options_.overrides.end()) return overridden->second;
  auto found = set_options_.find(key);
  return found == set_options_.end() ? "" : found->second;
}

runtime::expr::ChainCompiler* Session::ChainCompiler() {
  if (!options_.use_jit || jit_tried_) return chain_compiler_.get();
  jit_tried_ = true;
  auto created = compiler::codegen::MakeJitChainCompiler();
  if (!created.ok()) {
    std::fprintf(stderr, "warning: cannot start the JIT (%s); expressions are interpreted\n",
                 created.status().message().c_str());
    return nullptr;
  }
  chain_compiler_ = std::move(created).value();
  return chain_compiler_.get();
}

void Session::Error(const std::string& message, base::SourceSpan span,
                    const StatementSource& source) const {
  base::Diagnostic diagnostic{base::ErrorCode::kPlan, message, span};
  ReportDiagnostics({diagnostic}, 0, 0, Rewrite{}, source);
}

void Session::ReportDiagnostics(const std::vector<base::Diagnostic>& diagnostics,
                                int32_t prefix_size, int32_t prefix_lines, const Rewrite& rewrite,
                                const StatementSource& source) const {
  const SourceStatement& statement = source.statement;
  std::string out;
  for (base::Diagnostic diagnostic : diagnostics) {
    base::SourceSpan& span = diagnostic.span;
    if (span.IsKnown() && span.offset >= prefix_size) {
      // Statement-relative position first ...
      span.offset -= prefix_size;
      span.line -= prefix_lines;
      if (rewrite.at >= 0 && span.offset >= rewrite.at + rewrite.length) {
        span.offset -= rewrite.length;
        if (span.line == rewrite.line) span.column -= rewrite.length;
      } else if (rewrite.at >= 0 && span.offset >= rewrite.at) {
        span.offset = rewrite.at;
      }
      // ... then where the statement sits in its source.
      if (span.line == 1) span.column += statement.column - 1;
      span.line += statement.line - 1;
      span.offset += statement.offset;
    } else {
      span = base::SourceSpan{};  // in the session text: no place to show
    }
    std::string rendered = base::RenderDiagnostics({diagnostic}, source.file, source.text);
    if (source.file.empty()) {
      // Typed input: the caret shows where; `1:8:` would only repeat it.
      size_t error = rendered.find("error: ");
      if (error != std::string::npos) rendered = rendered.substr(error);
    }
    out += rendered;
  }
  std::fflush(stdout);
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void Session::ReportWarnings(const compiler::CompiledScript& compiled) const {
  for (size_t i = session_warnings_; i < compiled.warnings.size(); ++i) {
    const std::string& warning = compiled.warnings[i];
    size_t at = warning.find("warning: ");
    std::fprintf(stderr, "%s\n", (at == std::string::npos ? warning : warning.substr(at)).c_str());
  }
}

base::Result<compiler::CompiledScript> Session::Compile(
    const std::string& text, const Rewrite& rewrite, const StatementSource& source,
    std::map<std::string, std::string> overrides) {
  compiler::CompileOptions options;
  options.file_name = "repl";
  for (const auto& [key, value] : options_.overrides) overrides.emplace(key, value);
  options.overrides = std::move(overrides);
  options.collect_selects = true;
  options.collect_prefix = fmt::format("repl-{}-{}-", getpid(), ++query_count_);
  std::string script = session_text_ + text;
  auto compiled = compiler::CompileScript(script, options);
  if (!compiled.ok()) {
    const auto& diagnostics = compiled.status().diagnostics();
    if (diagnostics.empty()) {
      std::fprintf(stderr, "error: %s\n", compiled.status().message().c_str());
    } else {
      ReportDiagnostics(diagnostics, static_cast<int32_t>(session_text_.size()),
                        CountLines(session_text_), rewrite, source);
    }
  }
  return compiled;
}

void Session::Accept(const ast::Statement& statement, const std::string& text,
                     const compiler::CompiledScript& compiled) {
  session_text_ += text + ";\n";
  session_warnings_ = static_cast<int32_t>(compiled.warnings.size());
  ++version_;
  switch (statement.kind()) {
    case ast::StatementKind::kCreateTable: {
      const auto& create = statement.Cast<ast::CreateTableStatement>();
      relations_.emplace_back(create.name.Last().name, false);
      break;
    }
    case ast::StatementKind::kCreateView: {
      const auto& create = statement.Cast<ast::CreateViewStatement>();
      relations_.emplace_back(create.name.Last().name, true);
      break;
    }
    case ast::StatementKind::kCreateFunction:
      functions_.push_back(statement.Cast<ast::CreateFunctionStatement>().name.Last().name);
      break;
    case ast::StatementKind::kSet: {
      const auto& set = statement.Cast<ast::SetStatement>();
      set_options_[*set.key] = *set.value;
      break;
    }
    case ast::StatementKind::kReset: {
      const auto& reset = statement.Cast<ast::ResetStatement>();
      if (reset.key) {
        set_options_.erase(*reset.key);
      } else {
        set_options_.clear();
      }
      break;
    }
    default: break;
  }
}

bool Session::Execute(const StatementSource& source) {
  const std::string& text = source.statement.text;
  parser::ParseResult parsed = parser::ParseScript(text);
  if (!parsed.ok()) {
    ReportDiagnostics(parsed.errors, 0, 0, Rewrite{}, source);
    return false;
  }
  if (parsed.statements.size() != 1) {
    Error("the REPL runs one statement at a time; BEGIN STATEMENT SET ... END is for .pipe files",
          base::SourceSpan{1, 1, 0, static_cast<int32_t>(text.size())}, source);
    return false;
  }
  const ast::Statement& statement = *parsed.statements.front();
  switch (statement.kind()) {
    case ast::StatementKind::kQuery:
      return RunSelect(statement.Cast<ast::QueryStatement>(), source);
    case ast::StatementKind::kShow: return Show(statement.Cast<ast::ShowStatement>());
    case ast::StatementKind::kDescribe:
      return Describe(statement.Cast<ast::DescribeStatement>(), source);
    case ast::StatementKind::kStopJob:
      return StopJob(statement.Cast<ast::StopJobStatement>(), source);
    case ast::StatementKind::kSet:
      if (!statement.Cast<ast::SetStatement>().key) return ListOptions();
      if (*statement.Cast<ast::SetStatement>().key == kResultModeKey) {
        const auto& set = statement.Cast<ast::SetStatement>();
        if (*set.value != "table" && *set.value != "changelog" && *set.value != "tableau") {
          Error(fmt::format("'{}' is 'table' (an updating result is shown as its current "
                            "table) or 'changelog' (every change is shown)",
                            kResultModeKey),
                set.value_span, source);
          return false;
        }
      }
      break;
    default: break;
  }
  auto compiled = Compile(text, Rewrite{}, source, {});
  if (!compiled.ok()) return false;
  ReportWarnings(*compiled);
  switch (statement.kind()) {
    case ast::StatementKind::kExplain:
      for (const std::string& explain : compiled->explains) std::fputs(explain.c_str(), stdout);
      std::fflush(stdout);
      return true;
    case ast::StatementKind::kInsert:
      if (!compiled->plan.nodes.empty()) {
        return StartInsertJob(statement.Cast<ast::InsertStatement>(), std::move(compiled).value());
      }
      Accept(statement, text, *compiled);  // INSERT INTO <values table> VALUES: fills it
      std::puts("INSERT");
      return true;
    case ast::StatementKind::kCreateTable:
      Accept(statement, text, *compiled);
      std::puts("CREATE TABLE");
      return true;
    case ast::StatementKind::kCreateView:
      Accept(statement, text, *compiled);
      std::puts("CREATE VIEW");
      return true;
    case ast::StatementKind::kCreateFunction:
      Accept(statement, text, *compiled);
      std::puts("CREATE FUNCTION");
      return true;
    case ast::StatementKind::kSet:
      Accept(statement, text, *compiled);
      std::puts("SET");
      return true;
    case ast::StatementKind::kReset:
      Accept(statement, text, *compiled);
      std::puts("RESET");
      return true;
    default: return true;
  }
}

bool Session::RunSelect(const ast::QueryStatement& select, const StatementSource& source) {
  std::string text = source.statement.text;
  int64_t limit = TakeClientLimit(*select.query, &text);
  Rewrite rewrite;
  if (select.query->kind() == ast::QueryKind::kSelect) {
    const auto& query = select.query->Cast<ast::SelectQuery>();
    if (query.from == nullptr && !query.items.empty() && query.items.back().span.IsKnown()) {
      // A SELECT without FROM answers once, from a one-row table.
      const base::SourceSpan& last = query.items.back().span;
      std::string from = std::string(" FROM ") + kOneRowTable;
      rewrite.at = last.offset + last.length;
      rewrite.length = static_cast<int32_t>(from.size());
      rewrite.line = 1 + CountLines(text.substr(0, rewrite.at));
      text.insert(rewrite.at, from);
    }
  }
  auto compiled = Compile(text, rewrite, source, {{"pipeline.name", "repl-query"}});
  if (!compiled.ok()) return false;
  ReportWarnings(*compiled);
  if (compiled->collect_names.size() != 1) {
    Error("this query has no result to show", select.span, source);
    return false;
  }
  return RunJob(compiled->plan, compiled->collect_names.front(), limit);
}

bool Session::RunJob(const runtime::plan::PlanGraph& plan, const std::string& collect_name,
                     int64_t client_limit) {
  const runtime::plan::PlanNode* sink = nullptr;
  for (const auto& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink && node.table &&
        node.table->options.count("collect.name") &&
        node.table->options.at("collect.name") == collect_name) {
      sink = &node;
    }
  }
  if (sink == nullptr) {
    std::fprintf(stderr, "error: the query's result sink is missing from its plan\n");
    return false;
  }
  std::vector<ResultColumn> columns;
  for (const types::RowField& column : sink->table->schema.columns) {
    columns.push_back(ResultColumn{column.name, column.type.IsNumeric()});
  }
  std::string result_mode = Option(kResultModeKey);
  ResultMode mode = result_mode == "changelog" || result_mode == "tableau" ? ResultMode::kChangelog
                    : sink->changelog_mode == runtime::plan::ChangelogMode::kUpdating
                        ? ResultMode::kTable
                        : ResultMode::kStream;
  int screen_rows = 24;
  if (const char* lines = std::getenv("LINES")) screen_rows = std::max(std::atoi(lines), 8);
  auto view = MakeResultView(mode, std::move(columns), stdout, options_.interactive, screen_rows);

  struct Inbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::vector<std::pair<std::string, std::vector<std::string>>> rows;
    bool done = false;
    base::Status status;
  };
  auto inbox = std::make_shared<Inbox>();
  CollectConnector::RegisterFields(
      collect_name, [inbox](int32_t, const char* kind, std::vector<std::string> fields) {
        std::lock_guard<std::mutex> lock(inbox->mutex);
        inbox->rows.emplace_back(kind, std::move(fields));
        inbox->ready.notify_one();
      });
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = ChainCompiler();
  auto job = Job::Create(plan, job_options);
  CollectConnector::Unregister(collect_name);  // the writers hold their callback
  if (!job.ok()) {
    std::fprintf(stderr, "error: %s\n", job.status().message().c_str());
    return false;
  }
  if (options_.interrupt != nullptr) options_.interrupt->store(false);
  std::thread runner([&] {
    base::Status status = (*job)->Run();
    std::lock_guard<std::mutex> lock(inbox->mutex);
    inbox->status = status;
    inbox->done = true;
    inbox->ready.notify_one();
  });
  bool cancelled = false;
  bool limited = false;
  while (true) {
    std::vector<std::pair<std::string, std::vector<std::string>>> rows;
    bool done = false;
    {
      std::unique_lock<std::mutex> lock(inbox->mutex);
      inbox->ready.wait_for(lock, std::chrono::milliseconds(100),
                            [&] { return !inbox->rows.empty() || inbox->done; });
      rows.swap(inbox->rows);
      done = inbox->done;
    }
    for (auto& [kind, fields] : rows) {
      if (limited) break;
      view->Add(kind, std::move(fields));
      if (client_limit > 0 && view->inserted_rows() >= client_limit) {
        limited = true;
        (*job)->Cancel();
      }
    }
    if (!cancelled && !limited && options_.interrupt != nullptr && options_.interrupt->load()) {
      cancelled = true;
      (*job)->Cancel();
    }
    view->Flush(/*final=*/false);
    if (done) break;
  }
  runner.join();
  // The terminal echoed ^C where the cursor was; write over it.
  if (cancelled && options_.interactive) std::fputs("\r\x1b[K", stdout);
  view->Flush(/*final=*/true);
  if (cancelled) {
    std::fputs("query cancelled\n", stdout);
    std::fflush(stdout);
    return true;
  }
  if (!limited && !inbox->status.ok()) {
    std::fprintf(stderr, "error: the query failed: %s\n", inbox->status.ToString().c_str());
    return false;
  }
  return true;
}

bool Session::StartInsertJob(const ast::InsertStatement& insert,
                             compiler::CompiledScript compiled) {
  std::string base_name = Option("pipeline.name");
  if (base_name.empty()) base_name = insert.target.Last().name;
  std::string name = base_name;
  for (int n = 2;; ++n) {
    bool taken =
        std::any_of(jobs_.begin(), jobs_.end(), [&](const auto& job) { return job->name == name; });
    if (!taken) break;
    name = fmt::format("{}-{}", base_name, n);
  }
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = ChainCompiler();
  auto created = Job::Create(compiled.plan, job_options);
  if (!created.ok()) {
    std::fprintf(stderr, "error: %s\n", created.status().message().c_str());
    return false;
  }
  auto job = std::make_unique<BackgroundJob>();
  job->name = name;
  job->job = std::move(created).value();
  job->start = Clock::now();
  BackgroundJob* raw = job.get();
  job->thread = std::thread([raw] {
    raw->status = raw->job->Run();
    raw->seconds = std::chrono::duration<double>(Clock::now() - raw->start).count();
    raw->done.store(true);
  });
  jobs_.push_back(std::move(job));
  std::printf("job '%s' started in the background (SHOW JOBS; STOP JOB '%s')\n", name.c_str(),
              name.c_str());
  std::fflush(stdout);
  return true;
}

void Session::ReportEndedJobs() {
  for (auto& job : jobs_) {
    if (!job->done.load() || job->reported) continue;
    job->reported = true;
    if (job->stopped.load()) continue;  // STOP JOB said so already
    auto progress = job->job->progress();
    if (job->status.ok()) {
      std::printf("job '%s' finished in %.1f s: %lld rows in, %lld rows out\n", job->name.c_str(),
                  job->seconds, static_cast<long long>(progress.rows_in),
                  static_cast<long long>(progress.rows_out));
    } else {
      std::printf("job '%s' failed: %s\n", job->name.c_str(), job->status.ToString().c_str());
    }
  }
  std::fflush(stdout);
}

void Session::StopAllJobs() {
  for (auto& job : jobs_) {
    if (!job->done.load()) {
      job->stopped.store(true);
      job->job->Cancel();
    }
    if (job->thread.joinable()) job->thread.join();
  }
}

bool Session::HasRunningJobs() const {
  return std::any_of(jobs_.begin(), jobs_.end(), [](const auto& job) { return !job->done.load(); });
}

bool Session::Show(const ast::ShowStatement& show) {
  std::vector<std::vector<std::string>> rows;
  switch (show.object) {
    case ast::ShowObject::kTables:
    case ast::ShowObject::kViews:
      for (const auto& [name, is_view] : relations_) {
        if (show.object == ast::ShowObject::kViews && !is_view) continue;
        rows.push_back({name, is_view ? "view" : "table"});
      }
      PrintTable({{"name"}, {"kind"}}, rows);
      return true;
    case ast::ShowObject::kFunctions: {
      for (const std::string& name : functions_) rows.push_back({name, "user-defined"});
      for (const char* name : {"AVG", "COUNT", "FIRST_VALUE", "LAST_VALUE", "LISTAGG", "MAX", "MIN",
                               "STDDEV_POP", "STDDEV_SAMP", "SUM", "VAR_POP", "VAR_SAMP"}) {
        rows.push_back({name, "aggregate"});
      }
      for (const char* name : {"ROW_NUMBER", "RANK", "DENSE_RANK"})
        rows.push_back({name, "ranking"});
      for (const char* name : {"TUMBLE", "HOP", "CUMULATE", "SESSION"}) {
        rows.push_back({name, "window table function"});
      }
      for (const std::string& name : functions::ScalarFunctionNames()) {
        rows.push_back({name, "scalar"});
      }
      PrintTable({{"function"}, {"kind"}}, rows);
      return true;
    }
    case ast::ShowObject::kJobs:
      for (const auto& job : jobs_) {
        bool done = job->done.load();
        auto progress = job->job->progress();
        double seconds =
            done ? job->seconds : std::chrono::duration<double>(Clock::now() - job->start).count();
        rows.push_back({job->name, StatusName(done, job->stopped.load(), job->status),
                        std::to_string(progress.rows_in), std::to_string(progress.rows_out),
                        fmt::format("{:.1f} s", seconds)});
      }
      PrintTable({{"job"}, {"status"}, {"rows in", true}, {"rows out", true}, {"elapsed", true}},
                 rows);
      return true;
  }
  return true;
}

std::optional<types::Schema> Session::SchemaOf(const std::string& name) {
  compiler::CompileOptions options;
  options.file_name = "repl";
  options.collect_selects = true;
  options.collect_prefix = "repl-describe-";
  auto compiled =
      compiler::CompileScript(session_text_ + "SELECT * FROM " + Quote(name) + ";\n", options);
  if (!compiled.ok()) return std::nullopt;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink && node.table) return node.table->schema;
  }
  return std::nullopt;
}

bool Session::Describe(const ast::DescribeStatement& describe, const StatementSource& source) {
  const ast::Identifier& name = describe.name.Last();
  std::vector<std::string> names;
  const std::string* found = nullptr;
  for (const auto& relation : relations_) {
    names.push_back(relation.first);
    if (EqualsIgnoreCase(relation.first, name.name)) found = &relation.first;
  }
  if (found == nullptr) {
    std::string suggestion = base::ClosestName(name.name, names);
    Error(fmt::format("table not found: '{}'{}", name.name,
                      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
          name.span, source);
    return false;
  }
  auto schema = SchemaOf(*found);
  if (!schema) {
    Error(fmt::format("cannot read the columns of '{}'", name.name), name.span, source);
    return false;
  }
  std::vector<std::vector<std::string>> rows;
  for (const types::RowField& column : schema->columns) {
    rows.push_back({column.name, column.type.ToString()});
  }
  PrintTable({{"column"}, {"type"}}, rows);
  return true;
}

bool Session::StopJob(const ast::StopJobStatement& stop, const StatementSource& source) {
  if (stop.with_savepoint || stop.drain) {
    Error(fmt::format("savepoints are not available yet; STOP JOB '{}' (without {}) stops the "
                      "job without one",
                      stop.job_name, stop.with_savepoint ? "WITH SAVEPOINT" : "WITH DRAIN"),
          stop.span, source);
    return false;
  }
  BackgroundJob* target = nullptr;
  std::vector<std::string> running;
  for (auto& job : jobs_) {
    if (job->done.load()) continue;
    running.push_back(job->name);
    if (job->name == stop.job_name) target = job.get();
  }
  if (target == nullptr) {
    std::string suggestion = base::ClosestName(stop.job_name, running);
    Error(fmt::format("no running job named '{}'{}", stop.job_name,
                      !suggestion.empty() ? " (did you mean '" + suggestion + "'?)"
                      : running.empty()   ? " (no job is running)"
                                          : ""),
          stop.span, source);
    return false;
  }
  target->stopped.store(true);
  target->job->Cancel();
  target->thread.join();
  auto progress = target->job->progress();
  std::printf("job '%s' stopped after %.1f s: %lld rows in, %lld rows out\n", target->name.c_str(),
              target->seconds, static_cast<long long>(progress.rows_in),
              static_cast<long long>(progress.rows_out));
  std::fflush(stdout);
  return true;
}

bool Session::ListOptions() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, description] : compiler::KnownOptions()) {
    std::string value = Option(key);
    rows.push_back({key, value.empty() ? "(default)" : value, description});
  }
  for (const auto& [key, value] : set_options_) {
    if (!compiler::KnownOptions().count(key)) rows.push_back({key, value, "(not used by Sluice)"});
  }
  PrintTable({{"key"}, {"value"}, {"meaning"}}, rows);
  return true;
}

std::vector<std::string> Session::Completions(const std::string& line, const std::string& word) {
  if (columns_version_ != version_) {
    column_names_.clear();
    for (const auto& relation : relations_) {
      auto schema = SchemaOf(relation.first);
      if (!schema) continue;
      for (const auto& column : schema->columns) column_names_.push_back(column.name);
    }
    columns_version_ = version_;
  }
  bool lower = !word.empty() && std::islower(static_cast<unsigned char>(word[0]));
  std::vector<std::string> matches;
  auto offer = [&](std::string candidate, bool keyword) {
    if (!StartsWithIgnoreCase(candidate, word)) return;
    if (keyword && lower) {
      for (char& c : candidate) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (std::find(matches.begin(), matches.end(), candidate) == matches.end()) {
      matches.push_back(candidate);
    }
  };
  for (const auto& relation : relations_) offer(relation.first, false);
  for (const std::string& column : column_names_) offer(column, false);
  for (const std::string& keyword : Keywords()) offer(keyword, true);
  std::sort(matches.begin(), matches.end());
  return matches;
}

}  // namespace sluice::repl
