#include "tools/sluice/repl/session.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>

#include "catalog/types/schema.h"
#include "compiler/codegen/engine_services.h"
#include "compiler/parser/parser.h"
#include "runtime/connectors/collect_connector.h"
#include "tools/sluice/repl/query_rewrite.h"

namespace sluice::repl {

namespace {

using runtime::connectors::CollectConnector;
using runtime::scheduler::Job;

constexpr const char* kResultModeKey = "sql-client.execution.result-mode";

int32_t CountLines(const std::string& text) {
  return static_cast<int32_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

Session::Session(SessionOptions options)
    : options_(std::move(options)), session_text_(SessionPrelude()) {}

Session::~Session() {
  StopAllJobs();
}

std::string Session::Option(const std::string& key) const {
  auto overridden = options_.overrides.find(key);
  if (overridden != options_.overrides.end()) return overridden->second;
  auto found = set_options_.find(key);
  return found == set_options_.end() ? "" : found->second;
}

runtime::scheduler::EngineServices* Session::Services() {
  if (services_) return services_.get();
  auto created =
      compiler::codegen::MakeEngineServices(options_.use_jit, 0, options_.jit_in_background);
  if (!created.ok()) {
    std::fprintf(stderr, "warning: %s; expressions are interpreted\n",
                 created.status().message().c_str());
    created = compiler::codegen::MakeEngineServices(/*jit=*/false);
  }
  if (created.ok()) services_ = std::move(created).value();
  return services_.get();
}

void Session::Error(const std::string& message, base::SourceSpan span,
                    const StatementSource& source) const {
  base::Diagnostic diagnostic{base::ErrorCode::kPlan, message, span, {}};
  ReportDiagnostics({diagnostic}, 0, 0, Insertion{}, source);
}

void Session::ReportDiagnostics(const std::vector<base::Diagnostic>& diagnostics,
                                int32_t prefix_size, int32_t prefix_lines, const Insertion& rewrite,
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
    const std::string& text, const Insertion& rewrite, const StatementSource& source,
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
    case ast::StatementKind::kDrop: {
      const auto& drop = statement.Cast<ast::DropStatement>();
      const std::string& name = drop.name.Last().name;
      auto same = [&](const std::string& other) { return types::IdentifierEquals(other, name); };
      if (drop.object == ast::DropStatement::Object::kFunction) {
        functions_.erase(std::remove_if(functions_.begin(), functions_.end(), same),
                         functions_.end());
      } else {
        relations_.erase(std::remove_if(relations_.begin(), relations_.end(),
                                        [&](const auto& relation) { return same(relation.first); }),
                         relations_.end());
      }
      break;
    }
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
    ReportDiagnostics(parsed.errors, 0, 0, Insertion{}, source);
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
    case ast::StatementKind::kCreateTable:
      // The session's text is compiled again with each statement, which would insert the
      // query's rows again.
      if (statement.Cast<ast::CreateTableStatement>().as_query) {
        Error(
            "CREATE TABLE … AS query runs in .pipe files; in the REPL, CREATE TABLE the "
            "table, then INSERT INTO it",
            statement.span, source);
        return false;
      }
      break;
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
  auto compiled = Compile(text, Insertion{}, source, {});
  if (!compiled.ok()) return false;
  ReportWarnings(*compiled);
  switch (statement.kind()) {
    case ast::StatementKind::kExplain:
    case ast::StatementKind::kExplainUpgrade:
      for (const std::string& explain : compiled->explains) std::fputs(explain.c_str(), stdout);
      std::fflush(stdout);
      return true;
    case ast::StatementKind::kInsert:
      if (!compiled->plan.nodes.empty()) {
        return StartInsertJob(statement.Cast<ast::InsertStatement>(), *compiled);
      }
      Accept(statement, text, *compiled);  // INSERT INTO <values table> VALUES: fills it
      std::puts("INSERT");
      return true;
    default: {
      Accept(statement, text, *compiled);
      // psql-style acknowledgements.
      const char* tag = statement.Is<ast::CreateTableStatement>()      ? "CREATE TABLE"
                        : statement.Is<ast::CreateViewStatement>()     ? "CREATE VIEW"
                        : statement.Is<ast::CreateFunctionStatement>() ? "CREATE FUNCTION"
                        : statement.Is<ast::SetStatement>()            ? "SET"
                        : statement.Is<ast::DropStatement>()           ? "DROP"
                        : statement.Is<ast::UseStatement>()            ? "USE"
                        : statement.Is<ast::CreateCatalogStatement>()  ? "CREATE DATABASE"
                                                                       : "RESET";
      std::puts(tag);
      return true;
    }
  }
}

bool Session::RunSelect(const ast::QueryStatement& select, const StatementSource& source) {
  std::string text = source.statement.text;
  int64_t limit = TakeClientLimit(*select.query, &text);
  Insertion rewrite = AddOneRowFrom(*select.query, &text);
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
  Screen screen;
  screen.redraw = options_.interactive;
  struct winsize size {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
    screen.rows = size.ws_row;
    screen.columns = size.ws_col;
  }
  auto view = MakeResultView(mode, std::move(columns), stdout, screen);

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
  job_options.services = Services();
  auto job = Job::Create(plan, job_options);
  CollectConnector::Unregister(collect_name);  // the writers hold their callback
  if (!job.ok()) {
    std::fprintf(stderr, "error: %s\n", job.status().message().c_str());
    return false;
  }
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
                             const compiler::CompiledScript& compiled) {
  std::string name = Option("pipeline.name");
  if (name.empty()) name = insert.target.Last().name;
  return jobs_.Start(name, compiled.plan, Services());
}

bool Session::StopJob(const ast::StopJobStatement& stop, const StatementSource& source) {
  if (stop.drain) {
    Error(fmt::format("WITH DRAIN is not supported; STOP JOB '{}' WITH SAVEPOINT keeps the "
                      "windows open so that a restored job continues them",
                      stop.job_name),
          stop.span, source);
    return false;
  }
  std::optional<std::string> error = jobs_.Stop(stop.job_name, stop.with_savepoint);
  if (error) Error(*error, stop.span, source);
  return !error;
}

}  // namespace sluice::repl
