// The `sluice` command line: run and explain .pipe files, and the REPL (DESIGN §10).

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "catalog/base/diagnostic.h"
#include "compiler/codegen/engine_services.h"
#include "compiler/physical/job_compiler.h"
#include "compiler/physical/physical_planner.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "tools/sluice/check_command.h"
#include "tools/sluice/repl/repl.h"
#include "tools/sluice/run_command.h"
#include "tools/sluice/savepoint_command.h"
#include "tools/sluice/server/server_commands.h"

namespace {

using sluice::base::Status;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

struct CommonOptions {
  std::string file;
  std::vector<std::string> settings;  // KEY=VALUE
  std::string savepoint_at_end;       // run: a savepoint of the final state (debugging)
  std::string savepoint_format = "canonical";
};

/// Reads the whole file, or explains why not.
bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "sluice: error: cannot read '%s': %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return true;
}

/// Adds `--set KEY=VALUE` flags to `overrides`; false (after saying why) on a malformed one.
bool AddSettings(const std::vector<std::string>& settings,
                 std::map<std::string, std::string>* overrides) {
  for (const std::string& setting : settings) {
    size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::fprintf(stderr, "sluice: error: --set expects KEY=VALUE, got '%s'\n", setting.c_str());
      return false;
    }
    (*overrides)[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  return true;
}

/// Compiles the file with CLI overrides; prints errors and returns nullopt on failure.
std::optional<sluice::compiler::CompiledScript> Compile(
    const CommonOptions& common, std::map<std::string, std::string> overrides) {
  std::string text;
  if (!ReadFile(common.file, &text)) return std::nullopt;
  if (!AddSettings(common.settings, &overrides)) return std::nullopt;
  sluice::compiler::CompileOptions options;
  options.file_name = common.file;
  options.overrides = std::move(overrides);
  options.print_selects = true;
  auto compiled = sluice::compiler::CompileScript(text, options);
  if (!compiled.ok()) {
    std::fputs(
        sluice::base::RenderDiagnostics(compiled.status().diagnostics(), common.file, text).c_str(),
        stderr);
    size_t count = compiled.status().diagnostics().size();
    if (count > 1) std::fprintf(stderr, "%zu errors\n", count);
    return std::nullopt;
  }
  for (const std::string& warning : compiled->warnings)
    std::fprintf(stderr, "%s\n", warning.c_str());
  return std::move(compiled).value();
}

int Run(const CommonOptions& common, int parallelism, const std::string& jit,
        const sluice::cli::RunJobFlags& run_flags) {
  std::map<std::string, std::string> overrides;
  if (parallelism > 0) overrides["parallelism.default"] = std::to_string(parallelism);
  auto compiled = Compile(common, overrides);
  if (!compiled) return kExitUsage;
  for (const std::string& explain : compiled->explains) std::fputs(explain.c_str(), stdout);
  std::fflush(stdout);
  if (compiled->plan.nodes.empty()) {
    if (compiled->explains.empty()) {
      std::fprintf(stderr, "sluice: %s has no INSERT INTO statement; nothing to run\n",
                   common.file.c_str());
    }
    return kExitOk;
  }

  auto services = sluice::compiler::codegen::MakeEngineServices(jit != "off", 0, jit == "adaptive");
  if (!services.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", services.status().message().c_str());
    return kExitFailed;
  }
  sluice::runtime::scheduler::JobOptions job_options;
  job_options.services = services->get();
  sluice::cli::RunJobFlags flags = run_flags;
  flags.savepoint_at_end = common.savepoint_at_end;
  flags.savepoint_format = common.savepoint_format;
  return sluice::cli::RunJob(compiled->plan, job_options, flags);
}

int Explain(const CommonOptions& common, const std::string& format) {
  auto compiled = Compile(common, {});
  if (!compiled) return kExitUsage;
  if (format == "json") {
    std::printf("%s\n", sluice::runtime::plan::PlanToJson(compiled->plan).c_str());
  } else if (format == "dot") {
    std::fputs(sluice::compiler::physical::ExplainDot(compiled->plan).c_str(), stdout);
  } else {
    std::string rules;
    for (const std::string& rule : compiled->rules_fired)
      rules += (rules.empty() ? "" : ", ") + rule;
    std::printf("== Optimized logical plan ==\n%s\nRewrite rules applied: %s\n\n%s",
                compiled->logical_plan.c_str(), rules.empty() ? "none" : rules.c_str(),
                sluice::compiler::physical::ExplainText(compiled->plan).c_str());
    // The script's own EXPLAIN statements (EXPLAIN UPGRADE FROM reports among them).
    for (const std::string& explain : compiled->explains) std::printf("\n%s", explain.c_str());
  }
  return kExitOk;
}

/// The last resort for an exception that escapes a runtime thread (std::terminate): says
/// what it was before the process aborts, instead of a bare "terminate called".
[[noreturn]] void OnTerminate() {
  std::exception_ptr current = std::current_exception();
  try {
    if (current) std::rethrow_exception(current);
    std::fputs("sluice: internal error: the process terminated\n", stderr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sluice: internal error: uncaught exception: %s\n", error.what());
  } catch (...) {
    std::fputs("sluice: internal error: uncaught exception of an unknown type\n", stderr);
  }
  std::abort();
}

int Main(int argc, char** argv) {
  // SIGUSR1 asks a running job for a savepoint; one that comes while the job is still being
  // compiled waits (blocked) for `run`'s signal thread instead of ending the process.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
  CLI::App app{
      "Sluice: a streaming SQL job compiler and executor.\n"
      "Write a .pipe file of SQL, run it, change it."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice 0.1.0");

  CommonOptions run_options;
  int parallelism = 0;
  std::string jit = "adaptive";
  auto* run = app.add_subcommand("run", "Compile and run a .pipe file until its sources end");
  run->add_option("FILE", run_options.file, "the .pipe file")->required();
  run->add_option("--parallelism,-p", parallelism, "subtasks per operator (parallelism.default)")
      ->check(CLI::Range(1, 1024));
  run->add_option("--jit", jit,
                  "compile expressions with LLVM: adaptive (default: start interpreted, switch to "
                  "compiled code when LLVM has it), on (wait for it) or off")
      ->check(CLI::IsMember({"adaptive", "on", "off"}));
  run->add_option("--set", run_options.settings, "override a SET option: KEY=VALUE (repeatable)");
  sluice::cli::RunJobFlags restore;
  run->add_option("--from", restore.restore.from,
                  "restore from a savepoint or checkpoint directory (after `sluice check`'s test)");
  run->add_flag("--resume", restore.restore.resume,
                "continue from the latest completed checkpoint of this job");
  run->add_flag("--allow-dropped-state", restore.restore.allow_dropped_state,
                "restore even when some old state has no operator in the new job (it is "
                "discarded)");
  run->add_option("--backfill", restore.backfill,
                  "with --from: compute the state of these stateful operators (UID,UID...) "
                  "from the sources' history up to the snapshot instead of starting it empty");
  run->add_option("--checkpoint-dir", restore.checkpoint_directory,
                  "where checkpoints go (state.checkpoints.dir): DIR/<job>/chk-<n>");
  run->add_option("--savepoint-at-end", run_options.savepoint_at_end,
                  "debugging: write a canonical savepoint of the final state into DIR")
      ->group("");  // hidden until jobs take savepoints themselves
  run->add_option("--savepoint-format", run_options.savepoint_format, "canonical or native")
      ->check(CLI::IsMember({"canonical", "native"}))
      ->group("");

  CommonOptions explain_options;
  std::string format = "text";
  auto* explain = app.add_subcommand("explain", "Print the plan of a .pipe file");
  explain->add_option("FILE", explain_options.file, "the .pipe file")->required();
  explain->add_option("--format", format, "text, json (the PlanGraph) or dot")
      ->check(CLI::IsMember({"text", "json", "dot"}));
  explain->add_option("--set", explain_options.settings, "override a SET option: KEY=VALUE");

  std::string check_file, check_against, check_format = "text";
  auto* check =
      app.add_subcommand("check",
                         "Tell which state a changed job can restore, operator by operator (exit 0 "
                         "compatible, 1 not, 2 error)");
  check->add_option("NEW", check_file, "the new .pipe file")->required();
  std::string check_job;
  sluice::cli::ClientOptions check_client;
  auto* against = check->add_option("--against", check_against,
                                    "the old .pipe file, or a savepoint or checkpoint directory");
  auto* against_job = check->add_option(
      "--job", check_job, "a job on a server (--server): against its latest checkpoint");
  against->excludes(against_job);
  against_job->excludes(against);
  sluice::cli::AddClientOptions(check, &check_client);
  check->add_option("--format", check_format, "text (a table) or json")
      ->check(CLI::IsMember({"text", "json"}));
  std::string check_backfill;
  check->add_option("--backfill", check_backfill,
                    "the verdicts of `run --from … --backfill UID,UID...`: these operators "
                    "computed from the sources' history");

  int repl_parallelism = 0;
  std::string repl_jit = "adaptive";
  std::vector<std::string> repl_settings;
  auto* repl = app.add_subcommand(
      "repl", "Try statements interactively: SELECTs stream their rows to the screen");
  repl->add_option("--parallelism,-p", repl_parallelism,
                   "subtasks per operator (parallelism.default)")
      ->check(CLI::Range(1, 1024));
  repl->add_option("--jit", repl_jit,
                   "compile expressions with LLVM: adaptive (default: start interpreted, switch to "
                   "compiled code when LLVM has it), on (wait for it) or off")
      ->check(CLI::IsMember({"adaptive", "on", "off"}));
  repl->add_option("--set", repl_settings, "override a SET option: KEY=VALUE (repeatable)");

  auto savepoint = sluice::cli::AddSavepointCommand(&app);
  auto server_commands = sluice::cli::AddServerCommands(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (run->parsed()) return Run(run_options, parallelism, jit, restore);
  if (explain->parsed()) return Explain(explain_options, format);
  if (savepoint->parsed()) return sluice::cli::RunSavepointCommand(*savepoint);
  int exit_code = kExitUsage;
  if (sluice::cli::RunServerCommands(*server_commands, &exit_code)) return exit_code;
  if (check->parsed()) {
    if (!check_job.empty()) {
      return sluice::cli::RunRemoteCheck(check_client, check_file, check_job, check_format);
    }
    if (check_against.empty()) {
      std::fprintf(stderr, "sluice: error: check needs --against OLD or --job ID\n");
      return kExitUsage;
    }
    return sluice::cli::RunCheck(check_file, check_against, check_format, check_backfill);
  }
  if (repl->parsed()) {
    sluice::repl::ReplOptions options;
    options.use_jit = repl_jit != "off";
    options.jit_in_background = repl_jit == "adaptive";
    if (repl_parallelism > 0)
      options.overrides["parallelism.default"] = std::to_string(repl_parallelism);
    if (!AddSettings(repl_settings, &options.overrides)) return kExitUsage;
    return sluice::repl::RunRepl(options);
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate(OnTerminate);
  // No exception is meant to get here: user input gives error values (STYLE.md). One that does
  // is reported with its cause and a non-zero status, never as an abort.
  try {
    return Main(argc, argv);
  } catch (const std::filesystem::filesystem_error& error) {
    // Names the path at fault: almost always one the user gave.
    std::fprintf(stderr, "sluice: error: %s\n", error.what());
    return kExitUsage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sluice: internal error: %s\n", error.what());
    return kExitFailed;
  } catch (...) {
    std::fputs("sluice: internal error: an exception of an unknown type\n", stderr);
    return kExitFailed;
  }
}
