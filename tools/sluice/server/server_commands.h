#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::cli {

/// Where the client commands find the server: `--server URL` (else $SLUICE_SERVER, else
/// http://127.0.0.1:8081) and `--token-file FILE` (else $SLUICE_TOKEN).
struct ClientOptions {
  std::string server;
  std::string token_file;
};

/// `sluice serve` and the client commands `submit`, `jobs`, `job`, `stop`, `cancel`, `upgrade`
/// (README "sluice serve"); `sluice savepoint trigger` is added by savepoint_command.cpp.
struct ServerCommands {
  CLI::App* serve = nullptr;
  CLI::App* submit = nullptr;
  CLI::App* jobs = nullptr;
  CLI::App* job = nullptr;
  CLI::App* stop = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* upgrade = nullptr;

  // serve
  std::string listen = "127.0.0.1:8081";
  std::string state_directory;
  std::string serve_token_file;
  std::vector<std::string> allowed_paths;
  bool allow_udf = false;
  std::string checkpoint_interval = "10 s";
  std::string on_shutdown = "savepoint";
  std::string jit = "adaptive";
  int threads = 0;

  // client
  ClientOptions client;
  std::string file;
  std::vector<std::string> settings;
  int parallelism = 0;
  std::string from;
  bool allow_dropped_state = false;
  std::string job_id;
  bool json = false;
  bool savepoint = false;
  std::string directory;
  bool dry_run = false;
  std::string mode;  // upgrade: auto (empty), simple or shadow
};

/// Adds the commands to `app`.
std::unique_ptr<ServerCommands> AddServerCommands(CLI::App* app);
/// Runs the one parsed (false when none of them was); `*exit_code` gets its exit code.
bool RunServerCommands(const ServerCommands& commands, int* exit_code);

/// Adds `--server` and `--token-file` to a client command.
void AddClientOptions(CLI::App* command, ClientOptions* options);
/// `sluice savepoint trigger ID [--directory DIR]`: prints the savepoint's path.
int RunTriggerSavepoint(const ClientOptions& options, const std::string& job_id,
                        const std::string& directory);

/// `sluice check NEW.pipe --job ID`: the verdicts of restoring a server's running job's latest
/// checkpoint into NEW (exit 0 compatible, 1 not, 2 error), as `sluice check` prints them.
int RunRemoteCheck(const ClientOptions& options, const std::string& new_file,
                   const std::string& job_id, const std::string& format);

}  // namespace sluice::cli
