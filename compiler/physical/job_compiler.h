#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {

/// How to compile a script.
struct CompileOptions {
  /// Shown in errors and used as the default job name (its stem).
  std::string file_name;
  /// `--set KEY=VALUE` and other CLI flags; they win over `SET` statements in the file.
  std::map<std::string, std::string> overrides;
  /// Run bare SELECT statements too, each into a `collect` sink named `collect_prefix` +
  /// `select-<n>` (n from 1), for the golden-test runner and the REPL. Off for `sluice run`,
  /// where a SELECT without INSERT INTO is an error.
  bool collect_selects = false;
  std::string collect_prefix;
  /// Run bare SELECT statements into a `print` sink (their changelog on stdout, as Flink's SQL
  /// client shows a query's result), for `sluice run`; with several SELECTs each line carries
  /// the print identifier `select-<n>`. Ignored with collect_selects. Off in `sluice serve`,
  /// where a SELECT without INSERT INTO is an error.
  bool print_selects = false;
  /// Whether CREATE FUNCTION may load a shared library into this process (off in `sluice
  /// serve` unless --allow-udf: a submitted job must not run code of its choosing there).
  bool allow_user_functions = true;
};

/// The result of compiling a `.pipe` file: the job (every INSERT of the file) and what the
/// file asked to see.
struct CompiledScript {
  runtime::plan::PlanGraph plan;
  /// The output of each EXPLAIN statement, in order.
  std::vector<std::string> explains;
  /// Non-fatal remarks (e.g. an unknown SET key that is ignored).
  std::vector<std::string> warnings;
  /// The optimized logical plan of each INSERT, and the rewrite rules that fired.
  std::string logical_plan;
  std::vector<std::string> rules_fired;
  /// The `collect.name` of each bare SELECT's sink, in order (with collect_selects).
  std::vector<std::string> collect_names;
};

/// Parses, binds, optimizes and plans a whole script. On failure the Status carries every
/// error found (with spans into `text`), ready for base::RenderDiagnostics.
base::Result<CompiledScript> CompileScript(const std::string& text, const CompileOptions& options);

/// The `SET` keys Sluice reads, with a one-line description each (for --help and checks).
const std::map<std::string, std::string>& KnownOptions();

}  // namespace sluice::compiler
