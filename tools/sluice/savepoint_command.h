#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "tools/sluice/server/server_commands.h"

namespace sluice::cli {

/// `sluice savepoint inspect DIR [--format text|json]` and
/// `sluice savepoint read DIR --uid UID [--state NAME]` (README, "Savepoints") and
/// `sluice savepoint trigger ID` (a job on a server).
struct SavepointCommand {
  CLI::App* command = nullptr;
  CLI::App* inspect = nullptr;
  CLI::App* read = nullptr;
  CLI::App* trigger = nullptr;
  std::string job_id;
  ClientOptions client;
  std::string directory;
  std::string format = "text";
  std::string uid;
  std::string state;

  bool parsed() const { return command->parsed(); }
};

/// Adds the `savepoint` subcommand and its own subcommands to `app`.
std::unique_ptr<SavepointCommand> AddSavepointCommand(CLI::App* app);

/// Runs the parsed subcommand; returns the exit code (2 for any error, named on stderr).
int RunSavepointCommand(const SavepointCommand& command);

/// `sluice run --savepoint-at-end DIR [--savepoint-format canonical|native]` (hidden debugging
/// flags until jobs take savepoints): writes a savepoint of the state `job` holds after Run
/// (native needs `state.backend.type = 'rocksdb'`). Returns the exit code.
base::Status WriteSavepointAtEnd(const runtime::scheduler::Job& job,
                                 const runtime::plan::PlanGraph& plan, const std::string& directory,
                                 const std::string& format);

}  // namespace sluice::cli
