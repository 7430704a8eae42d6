#include "compiler/physical/job_compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "catalog/base/suggest.h"
#include "catalog/functions/function_registry.h"
#include "compiler/binder/binder.h"
#include "compiler/check/compat_check.h"
#include "compiler/optimizer/optimizer.h"
#include "compiler/parser/parser.h"
#include "compiler/physical/physical_planner.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/time_zone.h"
#include "runtime/scheduler/restart_strategy.h"
#include "runtime/state/snapshot.h"

namespace sluice::compiler {

using runtime::plan::Expr;
using runtime::plan::ExprPtr;

const std::map<std::string, std::string>& KnownOptions() {
  static const std::map<std::string, std::string> kOptions = {
      {"parallelism.default", "subtasks per operator (default 1)"},
      {"pipeline.name", "the job name (default: the file name without .pipe)"},
      {"pipeline.max-parallelism", "key groups for keyed state (default 128)"},
      {"table.exec.state.ttl", "how long idle join state is kept, e.g. '1 h' (default: forever)"},
      {"table.optimizer.prune-state-columns",
       "true (default): joins, Top-Ns, OVER and group aggregations keep only the columns "
       "read after them | false: their input rows whole, as before the rule existed"},
      {"table.exec.join.free-state-by-watermark",
       "true (default): a regular join of insert-only inputs whose condition bounds one side's "
       "event time by the other side's columns (b.t BETWEEN a.t AND a.expires) frees each kept "
       "row once the watermark shows no row still to come can match it | false: keeps every "
       "row, as Flink's regular join"},
      {"table.exec.source.idle-timeout",
       "after how long without records a source split stops holding back watermarks, e.g. "
       "'5 s' (default 0: never)"},
      {"execution.checkpointing.interval",
       "take a checkpoint this often, e.g. '10 s' (default 0: no checkpoints); sinks that can "
       "become exactly-once"},
      {"state.backend.type", "where keyed state lives: memory (default) | rocksdb"},
      {"state.backend.rocksdb.localdir",
       "the rocksdb backend's working directory (default: <tmp>/sluice)"},
      {"state.checkpoints.dir",
       "where checkpoints go: <dir>/<job>/chk-<n> (default: <tmp>/sluice/checkpoints)"},
      {"state.checkpoints.num-retained", "completed checkpoints kept (default 3)"},
      {"state.savepoints.dir",
       "where savepoints go (SIGUSR1 takes one; SIGTERM/SIGINT stop the job with one)"},
      {"state.savepoints.format", "canonical (default, portable) | native (rocksdb files)"},
      {"state.backend.local-recovery",
       "true: keep a local copy of the latest checkpoint's state, so a restart in the same "
       "process needs not read the checkpoint (default false)"},
      {"restart-strategy.type",
       "what a failed job does: none (default) | fixed-delay | exponential-delay | "
       "failure-rate; it restarts from its latest completed checkpoint"},
      {"restart-strategy.fixed-delay.attempts", "restarts before failing for good (default 1)"},
      {"restart-strategy.fixed-delay.delay", "wait before a restart (default 1 s)"},
      {"restart-strategy.exponential-delay.initial-backoff", "first wait (default 1 s)"},
      {"restart-strategy.exponential-delay.max-backoff", "longest wait (default 1 min)"},
      {"restart-strategy.exponential-delay.backoff-multiplier", "wait growth (default 1.5)"},
      {"restart-strategy.exponential-delay.reset-backoff-threshold",
       "a run this long starts the backoff afresh (default 1 h)"},
      {"restart-strategy.exponential-delay.attempts-before-reset-backoff",
       "restarts before failing for good (default: unlimited)"},
      {"restart-strategy.failure-rate.max-failures-per-interval",
       "failures allowed per interval (default 1)"},
      {"restart-strategy.failure-rate.failure-rate-interval", "the interval (default 1 min)"},
      {"restart-strategy.failure-rate.delay", "wait before a restart (default 1 s)"},
      {"table.local-time-zone",
       "the session time zone: how TIMESTAMP_LTZ values read as wall times (casts, text, "
       "EXTRACT, windows), e.g. 'Asia/Shanghai', '+08:00' (default UTC; 'default': the "
       "machine's zone)"},
      {"sql-client.execution.result-mode",
       "table | changelog: how `sluice repl` shows an updating SELECT"},
  };
  return kOptions;
}

namespace {

constexpr const char* kLocalTimeZone = "table.local-time-zone";
constexpr const char* kPruneStateColumns = "table.optimizer.prune-state-columns";

std::string Stem(const std::string& file_name) {
  std::string base = file_name.substr(file_name.find_last_of('/') + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

class ScriptCompiler {
 public:
  ScriptCompiler(const std::string& text, const CompileOptions& options)
      : text_(text), options_(options), binder_(&catalog_) {}

  base::Result<CompiledScript> Run() {
    if (auto zone = options_.overrides.find(kLocalTimeZone); zone != options_.overrides.end()) {
      if (!ApplyLocalTimeZone(zone->second, {})) return base::Status::FromDiagnostics(errors());
      zone_overridden_ = true;
    }
    parser::ParseResult parsed = parser::ParseScript(text_);
    if (!parsed.errors.empty()) return base::Status::FromDiagnostics(std::move(parsed.errors));
    statements_ = std::move(parsed.statements);
    for (const auto& statement : statements_) {
      if (statement->Is<ast::QueryStatement>()) ++bare_selects_;
    }
    for (const auto& statement : statements_) CompileStatement(*statement, /*explain=*/false);
    if (!errors().empty()) return base::Status::FromDiagnostics(errors());

    std::map<std::string, std::string> job_options = set_options_;
    for (const auto& [key, value] : options_.overrides) job_options[key] = value;
    physical::PhysicalOptions physical_options;
    physical_options.options = job_options;
    physical_options.job_name = job_options.count("pipeline.name") ? job_options["pipeline.name"]
                                                                   : Stem(options_.file_name);
    if (physical_options.job_name.empty()) physical_options.job_name = "sluice-job";
    if (!ReadInt(job_options, "parallelism.default", 1, 1024, &physical_options.parallelism) ||
        !ReadInt(job_options, "pipeline.max-parallelism", 1, 32768,
                 &physical_options.max_parallelism)) {
      return base::Status::FromDiagnostics(errors());
    }
    int32_t retained = 0;
    if (!ReadChoice(job_options, "state.backend.type", {"memory", "hashmap", "rocksdb"}) ||
        !ReadChoice(job_options, "state.savepoints.format", {"canonical", "native"}) ||
        !ReadChoice(job_options, "state.backend.local-recovery", {"true", "false"}) ||
        !ReadChoice(job_options, kPruneStateColumns, {"true", "false"}) ||
        !ReadChoice(job_options, "table.exec.join.free-state-by-watermark", {"true", "false"}) ||
        !ReadInt(job_options, "state.checkpoints.num-retained", 1, 1000, &retained)) {
      return base::Status::FromDiagnostics(errors());
    }
    if (auto strategy = runtime::scheduler::RestartStrategy::FromOptions(job_options);
        !strategy.ok()) {
      // The option at fault is the error's subject; the strategy's type when it names none.
      std::string key = strategy.status().subject().empty() ? "restart-strategy.type"
                                                            : strategy.status().subject();
      Error(base::ErrorCode::kOption, strategy.status().message(),
            set_spans_.count(key) ? set_spans_[key] : base::SourceSpan{});
      return base::Status::FromDiagnostics(errors());
    }
    if (physical_options.parallelism > physical_options.max_parallelism) {
      return base::Status::Error(base::ErrorCode::kOption,
                                 "parallelism.default exceeds pipeline.max-parallelism");
    }
    if (auto prune = job_options.find(kPruneStateColumns); prune != job_options.end()) {
      rule_options_.prune_state_columns = prune->second == "true";
    }
    for (auto& insert : inserts_) OptimizeInsert(&insert);
    SLUICE_ASSIGN_OR_RETURN(result_.plan, physical::PlanJob(inserts_, physical_options, spans_));
    for (auto& explain : explains_) {
      // EXPLAIN shows the plan the statement would run: optimized like an INSERT.
      auto rules = optimizer::DefaultRules(rule_options_);
      optimizer::Optimize(explain.root, rules);
      SLUICE_ASSIGN_OR_RETURN(auto plan, physical::PlanJob({explain}, physical_options, spans_));
      result_.explains.push_back("== Optimized logical plan ==\n" + explain.root->ToString() +
                                 "\n" + physical::ExplainText(plan));
    }
    for (const ast::ExplainUpgradeStatement* upgrade : upgrades_) ExplainUpgrade(*upgrade);
    if (!errors().empty()) return base::Status::FromDiagnostics(errors());
    return std::move(result_);
  }

 private:
  std::vector<base::Diagnostic>& errors() { return binder_.diagnostics(); }

  void Error(base::ErrorCode code, std::string message, base::SourceSpan span) {
    binder_.Error(code, std::move(message), span);
  }

  /// Sets the binder's session time zone from a `table.local-time-zone` value (an override
  /// given on the command line wins over the script's SET); false after reporting a zone that
  /// does not exist.
  bool ApplyLocalTimeZone(const std::string& value, base::SourceSpan span) {
    auto zone = runtime::expr::SessionTimeZoneId(value);
    if (!zone) {
      Error(base::ErrorCode::kOption,
            fmt::format("invalid value '{}' for '{}': no such time zone (expected a region "
                        "such as 'America/Los_Angeles', 'UTC', an offset such as '+08:00' or "
                        "'GMT-8', or 'default')",
                        value, kLocalTimeZone),
            span);
      return false;
    }
    if (!zone_overridden_) binder_.SetLocalTimeZone(*zone);
    return true;
  }

  bool ReadInt(const std::map<std::string, std::string>& options, const std::string& key,
               int32_t minimum, int32_t maximum, int32_t* out) {
    auto found = options.find(key);
    if (found == options.end()) return true;
    char* end = nullptr;
    long value = std::strtol(found->second.c_str(), &end, 10);
    if (found->second.empty() || *end != '\0' || value < minimum || value > maximum) {
      Error(base::ErrorCode::kOption,
            fmt::format("invalid value '{}' for '{}': expected a whole number from {} to {}",
                        found->second, key, minimum, maximum),
            set_spans_.count(key) ? set_spans_[key] : base::SourceSpan{});
      return false;
    }
    *out = static_cast<int32_t>(value);
    return true;
  }

  /// EXPLAIN UPGRADE FROM 'dir': the compatibility report of this job against the snapshot,
  /// of this job or another (operators are matched by UID; a note says so).
  void ExplainUpgrade(const ast::ExplainUpgradeStatement& upgrade) {
    auto snapshot = runtime::state::ReadSnapshot(upgrade.directory);
    if (!snapshot.ok()) {
      Error(base::ErrorCode::kOption, snapshot.status().message(), upgrade.directory_span);
      return;
    }
    std::string note;
    if (snapshot->metadata.job_name != result_.plan.job_name) {
      note = fmt::format(
          "note: the snapshot '{}' is of job '{}'; restoring into '{}' by "
          "operator UID\n",
          upgrade.directory, snapshot->metadata.job_name, result_.plan.job_name);
    }
    auto report = check::CheckCompatibility(*snapshot, result_.plan);
    result_.explains.push_back("== Upgrade from " + upgrade.directory + " ==\n" + note +
                               check::ReportText(report));
  }

  bool ReadChoice(const std::map<std::string, std::string>& options, const std::string& key,
                  const std::vector<std::string>& choices) {
    auto found = options.find(key);
    if (found == options.end()) return true;
    if (std::find(choices.begin(), choices.end(), found->second) != choices.end()) return true;
    std::string listed;
    for (const std::string& choice : choices) listed += (listed.empty() ? "" : " | ") + choice;
    Error(base::ErrorCode::kOption,
          fmt::format("invalid value '{}' for '{}': expected {}", found->second, key, listed),
          set_spans_.count(key) ? set_spans_[key] : base::SourceSpan{});
    return false;
  }

  void OptimizeInsert(logical::InsertPlan* insert) {
    auto rules = optimizer::DefaultRules(rule_options_);
    for (const std::string& rule : optimizer::Optimize(insert->root, rules)) {
      if (std::find(result_.rules_fired.begin(), result_.rules_fired.end(), rule) ==
          result_.rules_fired.end()) {
        result_.rules_fired.push_back(rule);
      }
    }
    result_.logical_plan += insert->root->ToString();
  }

  void CompileStatement(const ast::Statement& statement, bool explain) {
    switch (statement.kind()) {
      case ast::StatementKind::kCreateTable: {
        const auto& create = statement.Cast<ast::CreateTableStatement>();
        if (create.as_query) {
          CompileCreateTableAs(create, explain);
          return;
        }
        auto table = binder_.BindCreateTable(create);
        if (!table) return;
        ResolveRelativePath(&*table);
        const std::string& name = create.name.Last().name;
        physical::TableSpans spans{create.name.span, table->option_spans};
        if (!catalog_.AddTable(name, *table)) {
          if (!create.if_not_exists) {
            Error(base::ErrorCode::kBind, "table or view '" + name + "' already exists",
                  create.name.span);
          }
          return;
        }
        spans_[name] = spans;
        return;
      }
      case ast::StatementKind::kCreateView: {
        const auto& create = statement.Cast<ast::CreateViewStatement>();
        binder::CatalogView view{create.name.Last().name, create.query.get(), create.columns,
                                 create.name.span};
        // Bind once now so errors in a view are reported even when no query uses it.
        size_t before = errors().size();
        auto bound = binder_.BindQuery(*create.query);
        if (!bound || errors().size() > before) return;
        if (!create.columns.empty() && create.columns.size() != bound->scope.columns.size()) {
          Error(base::ErrorCode::kBind,
                fmt::format("view '{}' names {} columns but its query has {}", view.name,
                            create.columns.size(), bound->scope.columns.size()),
                create.name.span);
          return;
        }
        if (!catalog_.AddView(view.name, view) && !create.if_not_exists) {
          Error(base::ErrorCode::kBind, "table or view '" + view.name + "' already exists",
                create.name.span);
        }
        return;
      }
      case ast::StatementKind::kSet: {
        const auto& set = statement.Cast<ast::SetStatement>();
        if (!set.key || !set.value) {
          Error(base::ErrorCode::kPlan, "SET without a key lists options in the REPL only",
                statement.span);
          return;
        }
        // Flink's older spelling, still in most published examples (deprecated since 1.17).
        const std::string key = *set.key == "state.backend" ? "state.backend.type" : *set.key;
        if (!KnownOptions().count(key)) {
          std::vector<std::string> known;
          for (const auto& [key, description] : KnownOptions()) known.push_back(key);
          std::string suggestion = base::ClosestName(*set.key, known);
          result_.warnings.push_back(
              fmt::format("{}:{}:{}: warning: option '{}' is not used by Sluice and is ignored{}",
                          options_.file_name, set.key_span.line, set.key_span.column, *set.key,
                          suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        }
        if (key == kLocalTimeZone && !ApplyLocalTimeZone(*set.value, set.value_span)) return;
        set_options_[key] = *set.value;
        set_spans_[key] = set.value_span;
        return;
      }
      case ast::StatementKind::kReset: {
        const auto& reset = statement.Cast<ast::ResetStatement>();
        if (reset.key) {
          set_options_.erase(*reset.key);
        } else {
          set_options_.clear();
        }
        if (!zone_overridden_ && !set_options_.count(kLocalTimeZone)) {
          binder_.SetLocalTimeZone("UTC");
        }
        return;
      }
      case ast::StatementKind::kInsert:
        CompileInsert(statement.Cast<ast::InsertStatement>(), explain);
        return;
      case ast::StatementKind::kExplainUpgrade:
        upgrades_.push_back(&statement.Cast<ast::ExplainUpgradeStatement>());
        return;
      case ast::StatementKind::kExplain: {
        const auto& inner = *statement.Cast<ast::ExplainStatement>().statement;
        if (!inner.Is<ast::InsertStatement>() &&
            !(inner.Is<ast::QueryStatement>() &&
              (options_.collect_selects || options_.print_selects))) {
          Error(base::ErrorCode::kPlan, "EXPLAIN takes an INSERT INTO statement", inner.span);
          return;
        }
        CompileStatement(inner, /*explain=*/true);
        return;
      }
      case ast::StatementKind::kQuery:
        if (options_.collect_selects || options_.print_selects) {
          CompileSelect(statement.Cast<ast::QueryStatement>(), explain);
          return;
        }
        Error(base::ErrorCode::kPlan,
              "a SELECT needs a destination in a job: write INSERT INTO <table> SELECT ...",
              statement.span);
        return;
      case ast::StatementKind::kCreateFunction:
        CompileCreateFunction(statement.Cast<ast::CreateFunctionStatement>());
        return;
      case ast::StatementKind::kDrop: CompileDrop(statement.Cast<ast::DropStatement>()); return;
      case ast::StatementKind::kCreateCatalog: {
        const auto& create = statement.Cast<ast::CreateCatalogStatement>();
        if (create.catalog) {
          Error(base::ErrorCode::kPlan,
                "CREATE CATALOG is not supported: a script's tables, views and functions live in "
                "its one catalog, default_catalog",
                statement.span);
          return;
        }
        // Databases are names only: every table of the script is in one namespace.
        const std::string name = create.name.Last().name;
        if (!databases_.insert(Lower(name)).second && !create.if_not_exists) {
          Error(base::ErrorCode::kBind, "database '" + name + "' already exists", create.name.span);
        }
        return;
      }
      case ast::StatementKind::kUse: {
        const auto& use = statement.Cast<ast::UseStatement>();
        const std::string name = use.name.Last().name;
        if (use.catalog ? Lower(name) != "default_catalog" : !databases_.count(Lower(name))) {
          Error(base::ErrorCode::kBind,
                use.catalog ? fmt::format("catalog '{}' does not exist: a script has one "
                                          "catalog, default_catalog",
                                          name)
                            : fmt::format("database '{}' does not exist (CREATE DATABASE it "
                                          "first; default_database exists)",
                                          name),
                use.name.span);
        } else if (!use.catalog) {
          binder_.SetCurrentDatabase(name);
        }
        return;
      }
      case ast::StatementKind::kShow:
      case ast::StatementKind::kDescribe:
      case ast::StatementKind::kStopJob:
        Error(base::ErrorCode::kPlan, "this statement only works in `sluice repl`", statement.span);
        return;
    }
  }

  /// `DROP {TABLE | VIEW | FUNCTION} [IF EXISTS] name`: the script's later statements no longer
  /// see it (jobs already planned keep what they read).
  void CompileDrop(const ast::DropStatement& drop) {
    const std::string& name = drop.name.Last().name;
    bool removed = false;
    const char* what = "table";
    switch (drop.object) {
      case ast::DropStatement::Object::kTable:
        removed = catalog_.RemoveTable(name);
        if (removed) spans_.erase(name);
        break;
      case ast::DropStatement::Object::kView:
        what = "view";
        removed = catalog_.RemoveView(name);
        break;
      case ast::DropStatement::Object::kFunction:
        what = "function";
        removed = catalog_.RemoveFunction(name);
        break;
    }
    if (!removed && !drop.if_exists) {
      Error(base::ErrorCode::kBind, fmt::format("{} '{}' does not exist", what, name),
            drop.name.span);
    }
  }

  static std::string Lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  /// `CREATE FUNCTION name AS 'library.so:symbol' [LANGUAGE C]` (udf/README.md).
  void CompileCreateFunction(const ast::CreateFunctionStatement& create) {
    const ast::Identifier& name = create.name.Last();
    if (create.language && Upper(create.language->name) != "C") {
      Error(base::ErrorCode::kPlan,
            fmt::format("LANGUAGE {} is not supported: functions are loaded from shared "
                        "libraries with the C ABI of udf/sluice_udf.h (LANGUAGE C)",
                        create.language->name),
            create.language->span);
      return;
    }
    if (IsBuiltinFunctionName(Upper(name.name))) {
      Error(base::ErrorCode::kBind,
            fmt::format("'{}' is a built-in function; a user-defined function cannot replace it",
                        name.name),
            name.span);
      return;
    }
    if (catalog_.FindFunction(name.name) != nullptr) {
      if (!create.if_not_exists) {
        Error(base::ErrorCode::kBind, fmt::format("function '{}' already exists", name.name),
              name.span);
      }
      return;
    }
    size_t colon = create.implementation.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == create.implementation.size()) {
      Error(base::ErrorCode::kPlan,
            fmt::format("expected 'library.so:symbol' (a shared library and the descriptor "
                        "function it exports, udf/README.md), got '{}'",
                        create.implementation),
            create.implementation_span);
      return;
    }
    if (!options_.allow_user_functions) {
      // Loading a library runs its code in this process (a server's): refused before any
      // file is looked at.
      Error(base::ErrorCode::kPlan,
            fmt::format("CREATE FUNCTION {} would load the shared library '{}' into this "
                        "process, and user functions are not allowed here (sluice serve: "
                        "start it with --allow-udf)",
                        name.name, create.implementation.substr(0, colon)),
            create.implementation_span);
      return;
    }
    std::string library = create.implementation.substr(0, colon);
    std::string symbol = create.implementation.substr(colon + 1);
    std::string resolved = ResolveLibrary(library);
    if (resolved.empty()) {
      Error(base::ErrorCode::kBind,
            fmt::format("library '{}' not found (looked next to the script, in SLUICE_UDF_PATH "
                        "and next to the sluice executable)",
                        library),
            create.implementation_span);
      return;
    }
    auto function = runtime::expr::LoadUserFunction(name.name, resolved, symbol);
    if (!function.ok()) {
      Error(base::ErrorCode::kBind,
            fmt::format("cannot use '{}' as function {}: {}", create.implementation, name.name,
                        function.status().message()),
            create.implementation_span);
      return;
    }
    catalog_.AddFunction(name.name, std::move(function).value());
  }

  /// A filesystem table's relative 'path' is relative to the script's directory (as a UDF
  /// library's), so that a script and its data files can be run from any directory.
  void ResolveRelativePath(binder::CatalogTable* table) const {
    auto& options = table->scan->descriptor.options;
    auto connector = options.find("connector");
    auto path = options.find("path");
    if (connector == options.end() || connector->second != "filesystem" || path == options.end() ||
        path->second.empty() || path->second.front() == '/' ||
        path->second.rfind("file:", 0) == 0) {
      return;
    }
    std::filesystem::path directory = std::filesystem::path(options_.file_name).parent_path();
    if (!directory.empty()) path->second = (directory / path->second).lexically_normal().string();
  }

  /// The absolute path of a UDF library: `library` itself when absolute, else the first that
  /// exists of: next to the script, under each directory of SLUICE_UDF_PATH (':'-separated),
  /// next to the running executable, and in its ../lib. "" when none exists.
  std::string ResolveLibrary(const std::string& library) const {
    namespace fs = std::filesystem;
    fs::path path(library);
    std::vector<fs::path> candidates;
    if (path.is_absolute()) {
      candidates.push_back(path);
    } else {
      candidates.push_back(fs::path(options_.file_name).parent_path() / path);
      if (const char* search = std::getenv("SLUICE_UDF_PATH")) {
        std::string directories = search;
        size_t start = 0;
        while (start <= directories.size()) {
          size_t end = directories.find(':', start);
          if (end == std::string::npos) end = directories.size();
          if (end > start) {
            candidates.push_back(fs::path(directories.substr(start, end - start)) / path);
          }
          start = end + 1;
        }
      }
      std::error_code error;
      fs::path executable = fs::read_symlink("/proc/self/exe", error);
      if (!error) {
        candidates.push_back(executable.parent_path() / path);
        candidates.push_back(executable.parent_path().parent_path() / "lib" / path);
      }
    }
    for (const fs::path& candidate : candidates) {
      std::error_code error;
      if (fs::is_regular_file(candidate, error)) {
        return fs::absolute(candidate, error).lexically_normal().string();
      }
    }
    return "";
  }

  static std::string Upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  }

  /// Names the binder resolves before user functions or treats specially: scalar built-ins,
  /// aggregates and window functions.
  static bool IsBuiltinFunctionName(const std::string& upper) {
    static const char* kSpecial[] = {
        "COUNT",      "SUM",      "MIN",         "MAX",           "AVG",         "FIRST_VALUE",
        "LAST_VALUE", "LISTAGG",  "COLLECT",     "ARRAY_AGG",     "STDDEV_POP",  "STDDEV_SAMP",
        "STDDEV",     "VAR_POP",  "VAR_SAMP",    "VARIANCE",      "BOOL_AND",    "BOOL_OR",
        "LAG",        "LEAD",     "ROW_NUMBER",  "RANK",          "DENSE_RANK",  "TUMBLE",
        "HOP",        "CUMULATE", "SESSION",     "TUMBLE_START",  "TUMBLE_END",  "TUMBLE_ROWTIME",
        "HOP_START",  "HOP_END",  "HOP_ROWTIME", "SESSION_START", "SESSION_END", "SESSION_ROWTIME",
        "PROCTIME",   "CONCAT"};
    for (const char* name : kSpecial) {
      if (upper == name) return true;
    }
    return functions::IsScalarFunction(upper);
  }

  void CompileInsert(const ast::InsertStatement& insert, bool explain) {
    const ast::Identifier& name = insert.target.Last();
    binder::CatalogTable* table = catalog_.FindTable(name.name);
    if (table == nullptr) {
      std::string suggestion = base::ClosestName(name.name, catalog_.TableNames());
      Error(base::ErrorCode::kBind,
            fmt::format("table not found: '{}'{}", name.name,
                        suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
            name.span);
      return;
    }
    if (insert.overwrite) {
      Error(base::ErrorCode::kPlan, "INSERT OVERWRITE is not supported on streams", insert.span);
      return;
    }
    InsertInto(name, table, *insert.query, insert.columns, insert.hints, insert.span, explain);
  }

  /// `INSERT INTO table [(columns)] [hints] query`, also the insert of a CREATE TABLE … AS.
  void InsertInto(const ast::Identifier& name, binder::CatalogTable* table, const ast::Query& query,
                  const std::vector<ast::Identifier>& columns, const std::vector<ast::Hint>& hints,
                  base::SourceSpan span, bool explain) {
    if (!binder_.CheckInsertTarget(*table, columns)) return;
    auto& descriptor = table->scan->descriptor;
    bool values_table =
        descriptor.options.count("connector") && descriptor.options.at("connector") == "values";
    // INSERT INTO t VALUES fills a values table; into any other table the rows are a query
    // (a bounded source of them).
    if (const auto* values = query.As<ast::ValuesQuery>(); values && values_table) {
      if (!columns.empty()) {
        Error(base::ErrorCode::kPlan,
              "a 'values' table is filled with whole rows: leave out the column list",
              columns.front().span);
        return;
      }
      AddValuesRows(*values, table);
      return;
    }
    if (values_table) {
      Error(base::ErrorCode::kPlan,
            "a 'values' table is filled with INSERT INTO " + name.name + " VALUES (...)",
            query.span);
      return;
    }
    std::optional<binder::BoundRelation> bound;
    if (const auto* values = query.As<ast::ValuesQuery>();
        values != nullptr && values->with.empty() && values->order_by.empty() && !values->limit &&
        columns.empty()) {
      const types::Schema written = logical::WrittenSchema(descriptor);
      bound = binder_.BindValues(*values, &written);
    } else {
      bound = binder_.BindQuery(query);
    }
    // SELECT * of a window TVF: its rows, with their windows.
    if (bound) bound = binder_.MaterializeWindow(std::move(*bound));
    if (bound && !columns.empty()) {
      bound = binder_.PlaceInsertColumns(std::move(*bound), logical::WrittenSchema(descriptor),
                                         columns, query.span);
    }
    if (!bound) return;
    AddSink(name, *table, bound->node, hints, span, explain);
  }

  /// The sink node that writes `input` into `table`.
  void AddSink(const ast::Identifier& name, const binder::CatalogTable& table,
               logical::LogicalNodePtr input, const std::vector<ast::Hint>& hints,
               base::SourceSpan span, bool explain) {
    spans_[name.name].use = name.span;
    auto sink = std::make_shared<logical::LogicalNode>();
    sink->kind = logical::LogicalKind::kSink;
    sink->table = table.scan;
    if (!hints.empty()) {
      // INSERT INTO t /*+ OPTIONS(...) */: this INSERT writes t with those options.
      sink->table = binder_.HintedTable(table.scan, hints);
      if (sink->table == nullptr) return;
    }
    const auto& options = sink->table->descriptor.options;
    auto connector = options.find("connector");
    auto collect_name = options.find("collect.name");
    if (options_.collect_selects && !explain && connector != options.end() &&
        connector->second == "collect" && collect_name != options.end() &&
        std::find(result_.collect_names.begin(), result_.collect_names.end(),
                  collect_name->second) == result_.collect_names.end()) {
      // The caller collects what a job writes into a collect table, as a SELECT's rows.
      result_.collect_names.push_back(collect_name->second);
    }
    sink->schema = table.scan->descriptor.schema;
    sink->span = span;
    sink->inputs.push_back(std::move(input));
    (explain ? explains_ : inserts_).push_back(logical::InsertPlan{name.name, sink});
  }

  /// `CREATE TABLE t [(PRIMARY KEY …, WATERMARK …)] [PARTITIONED BY …] WITH (…) AS query`,
  /// Flink's CTAS: t's columns are the query's, and the query's rows go into t as an
  /// `INSERT INTO t query` sends them. With IF NOT EXISTS and an existing t, the rows go into
  /// that t, as in Flink (whose CTAS creates the table, ignoring an existing one, then inserts).
  void CompileCreateTableAs(const ast::CreateTableStatement& create, bool explain) {
    const ast::Identifier& name = create.name.Last();
    const bool exists =
        catalog_.FindTable(name.name) != nullptr || catalog_.FindView(name.name) != nullptr;
    if (exists && !create.if_not_exists) {
      Error(base::ErrorCode::kBind, "table or view '" + name.name + "' already exists",
            create.name.span);
      return;
    }
    if (exists) {
      binder::CatalogTable* table = catalog_.FindTable(name.name);
      if (table == nullptr) {
        Error(base::ErrorCode::kBind,
              "'" + name.name + "' is a view; CREATE TABLE IF NOT EXISTS … AS cannot write it",
              create.name.span);
        return;
      }
      InsertInto(name, table, *create.as_query, {}, {}, create.span, explain);
      return;
    }
    auto bound = binder_.BindQuery(*create.as_query);
    // SELECT * of a window TVF: its rows, with their windows.
    if (bound) bound = binder_.MaterializeWindow(std::move(*bound));
    if (!bound) return;
    const types::Schema schema = bound->scope.ToSchema();
    auto table = binder_.BindCreateTable(create, &schema);
    if (!table) return;
    ResolveRelativePath(&*table);
    const auto& options = table->scan->descriptor.options;
    if (options.count("connector") && options.at("connector") == "values") {
      Error(base::ErrorCode::kPlan,
            "CREATE TABLE … AS query cannot write a 'values' table (its rows are those INSERT "
            "INTO " +
                name.name + " VALUES gives it); use a sink connector",
            create.name.span);
      return;
    }
    physical::TableSpans spans{create.name.span, table->option_spans};
    catalog_.AddTable(name.name, *table);
    spans_[name.name] = spans;
    binder::CatalogTable* added = catalog_.FindTable(name.name);
    if (!binder_.CheckInsertTarget(*added, {})) return;
    AddSink(name, *added, bound->node, {}, create.span, explain);
  }

  void CompileSelect(const ast::QueryStatement& select, bool explain) {
    auto bound = binder_.BindQuery(*select.query);
    // SELECT * of a window TVF: its rows, with their windows.
    if (bound) bound = binder_.MaterializeWindow(std::move(*bound));
    if (!bound) return;
    size_t number = options_.collect_selects ? result_.collect_names.size() + 1 : ++selects_;
    std::string name = fmt::format("select_{}", number);
    std::string collect_name = options_.collect_prefix + fmt::format("select-{}", number);
    auto table = std::make_shared<logical::ScanTable>();
    table->descriptor.name = name;
    table->descriptor.schema = bound->scope.ToSchema();
    if (options_.collect_selects) {
      table->descriptor.options = {{"connector", "collect"}, {"collect.name", collect_name}};
    } else {
      // `sluice run`: the result on stdout, one print sink per SELECT.
      table->descriptor.options = {{"connector", "print"}};
      if (bare_selects_ > 1) {
        table->descriptor.options["print-identifier"] = fmt::format("select-{}", number);
      }
    }
    table->full_schema = table->descriptor.schema;
    spans_[name].use = select.span;
    auto sink = std::make_shared<logical::LogicalNode>();
    sink->kind = logical::LogicalKind::kSink;
    sink->table = table;
    sink->schema = table->descriptor.schema;
    sink->span = select.span;
    sink->inputs.push_back(bound->node);
    if (!explain && options_.collect_selects) result_.collect_names.push_back(collect_name);
    (explain ? explains_ : inserts_).push_back(logical::InsertPlan{name, sink});
  }

  void AddValuesRows(const ast::ValuesQuery& values, binder::CatalogTable* table) {
    auto& descriptor = table->scan->descriptor;
    const auto& columns = descriptor.schema.columns;
    for (const auto& row : values.rows) {
      if (row.size() != columns.size()) {
        Error(base::ErrorCode::kBind,
              fmt::format("a row of {} values for table '{}' with {} columns", row.size(),
                          descriptor.name, columns.size()),
              row.empty() ? values.span : row.front()->span);
        continue;
      }
      std::vector<std::optional<std::string>> fields;
      for (size_t i = 0; i < row.size(); ++i) {
        ExprPtr bound = binder_.BindExpression(*row[i], binder::Scope{});
        if (bound == nullptr) break;
        const types::LogicalType& want = columns[i].type;
        if (want.id() == types::TypeId::kRow) {
          // A ROW column takes a row of as many fields, each assigned as a column is; the
          // connector reads its element bytes (hexadecimal, below).
          if (!binder::RowCastable(bound->type, want, binder::RowCast::kAssignment) ||
              (bound->type.id() == types::TypeId::kRow && !binder::IsSlotRow(bound))) {
            Error(base::ErrorCode::kBind,
                  fmt::format("column '{}' is {}, but the value is {}", columns[i].name,
                              want.ToString(), bound->type.ToString()),
                  row[i]->span);
            break;
          }
          if (binder::RowHoldsWideDecimal(want)) {
            Error(base::ErrorCode::kPlan,
                  fmt::format("values table column '{}': a ROW with a DECIMAL field of precision "
                              "above 18 is not supported yet",
                              columns[i].name),
                  row[i]->span);
            break;
          }
          auto value = optimizer::EvaluateConstant(binder::EncodeRow(binder_.CastTo(bound, want)));
          if (!value.ok()) {
            Error(base::ErrorCode::kBind, "not a constant: " + value.status().message(),
                  row[i]->span);
            break;
          }
          fields.push_back(value->is_null ? std::nullopt
                                          : std::optional(runtime::expr::EncodeHex(value->text)));
          continue;
        }
        if (bound->type.id() != types::TypeId::kNull && bound->type != want &&
            !(bound->type.IsNumeric() && want.IsNumeric()) &&
            !types::IsImplicitlyCastable(bound->type, want)) {
          Error(base::ErrorCode::kBind,
                fmt::format("column '{}' is {}, but the value is {}", columns[i].name,
                            want.ToString(), bound->type.ToString()),
                row[i]->span);
          break;
        }
        // A TIMESTAMP_LTZ column takes its instant's UTC text, as the values connector reads it;
        // a BYTES column its bytes and an ARRAY, MAP or MULTISET column its encoding, in
        // hexadecimal below (as bind_values.cpp writes them).
        const bool encoded = want.id() == types::TypeId::kBinary || want.IsCollection();
        ExprPtr text =
            encoded ? binder_.CastTo(bound, want)
            : want.IsTimestampLtz()
                ? runtime::plan::Expr::Cast(binder_.CastTo(bound, want),
                                            types::LogicalType::Varchar())
                : binder_.CastTo(binder_.CastTo(bound, want), types::LogicalType::Varchar());
        auto value = optimizer::EvaluateConstant(text);
        if (!value.ok()) {
          Error(base::ErrorCode::kBind, "not a constant: " + value.status().message(),
                row[i]->span);
          break;
        }
        if (value->is_null) {
          fields.push_back(std::nullopt);
        } else {
          fields.push_back(encoded ? runtime::expr::EncodeHex(value->text) : value->text);
        }
      }
      if (fields.size() == columns.size()) descriptor.inline_rows.push_back(std::move(fields));
    }
  }

  const std::string& text_;
  const CompileOptions& options_;
  binder::Catalog catalog_;
  binder::Binder binder_;
  bool zone_overridden_ = false;         // table.local-time-zone given as an override
  optimizer::RuleOptions rule_options_;  // from the job's options (SET and overrides)
  std::vector<ast::StatementPtr> statements_;
  std::vector<logical::InsertPlan> inserts_;
  std::vector<logical::InsertPlan> explains_;
  std::vector<const ast::ExplainUpgradeStatement*> upgrades_;  // borrowed from statements_
  std::map<std::string, physical::TableSpans> spans_;
  /// CREATE DATABASE names (lower case); default_database always exists.
  std::set<std::string> databases_{"default_database"};
  std::map<std::string, std::string> set_options_;
  std::map<std::string, base::SourceSpan> set_spans_;
  CompiledScript result_;
  size_t bare_selects_ = 0;  // the script's bare SELECT statements (print_selects)
  size_t selects_ = 0;       // those compiled so far
};

}  // namespace

base::Result<CompiledScript> CompileScript(const std::string& text, const CompileOptions& options) {
  ScriptCompiler compiler(text, options);
  return compiler.Run();
}

}  // namespace sluice::compiler
