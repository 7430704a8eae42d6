#include "tools/sluice/server/server_commands.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/codegen/engine_services.h"
#include "tools/sluice/server/http_client.h"
#include "tools/sluice/server/http_front.h"
#include "tools/sluice/server/job_server.h"

namespace sluice::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr const char* kDefaultServer = "http://127.0.0.1:8081";

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

/// The token in `file` (surrounding white space removed); false after saying why not.
bool ReadToken(const std::string& file, std::string* token) {
  auto text = ReadFile(file);
  if (!text) {
    std::fprintf(stderr, "sluice: error: cannot read the token file '%s': %s\n", file.c_str(),
                 std::strerror(errno));
    return false;
  }
  *token = Trim(*text);
  if (token->empty()) {
    std::fprintf(stderr, "sluice: error: the token file '%s' is empty\n", file.c_str());
    return false;
  }
  return true;
}

std::string FormatMillis(int64_t millis) {
  if (millis <= 0) return "-";
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return std::string(text) + " UTC";
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 10 * 1024) return fmt::format("{} B", bytes);
  if (bytes < 10 * 1024 * 1024) return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} MiB", bytes / (1024 * 1024));
}

// ---- the server ---------------------------------------------------------------------------

/// Splits `HOST:PORT` (`[::1]:8081` for IPv6); false after saying why not.
bool ParseListen(const std::string& listen, std::string* host, int32_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    std::fprintf(stderr, "sluice: error: --listen expects HOST:PORT, got '%s'\n", listen.c_str());
    return false;
  }
  *host = listen.substr(0, colon);
  std::string digits = listen.substr(colon + 1);
  char* end = nullptr;
  long value = std::strtol(digits.c_str(), &end, 10);
  if (*end != '\0' || value < 0 || value > 65535) {
    std::fprintf(stderr, "sluice: error: --listen: '%s' is not a port\n", digits.c_str());
    return false;
  }
  *port = static_cast<int32_t>(value);
  return true;
}

std::string DefaultStateDirectory() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    return (fs::path(state) / "sluice" / "server").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".local" / "state" / "sluice" / "server").string();
  }
  return "sluice-server-state";
}

int RunServe(const ServerCommands& commands) {
  // Signals are taken by sigwait below: blocked before any thread starts, so every thread
  // inherits the mask and none of them dies of SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::HttpOptions http;
  if (!ParseListen(commands.listen, &http.host, &http.port)) return kExitUsage;
  if (!commands.serve_token_file.empty() && !ReadToken(commands.serve_token_file, &http.token)) {
    return kExitUsage;
  }
  if (!server::IsLoopback(http.host) && http.token.empty()) {
    std::fprintf(stderr,
                 "sluice: error: --listen %s: a server reachable from other machines needs a "
                 "bearer token (--token-file FILE); without one it listens on loopback only\n",
                 commands.listen.c_str());
    return kExitUsage;
  }
  std::mutex log_mutex;
  auto log = [&log_mutex](const std::string& line) {
    auto now = std::chrono::system_clock::now();
    int64_t millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::lock_guard<std::mutex> lock(log_mutex);
    std::fprintf(stderr, "%s.%03dZ %s\n", stamp, static_cast<int>(millis % 1000), line.c_str());
    std::fflush(stderr);
  };
  http.log = log;

  auto services = compiler::codegen::MakeEngineServices(commands.jit != "off", commands.threads,
                                                        commands.jit == "adaptive");
  if (!services.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", services.status().message().c_str());
    return kExitFailed;
  }
  server::ServerOptions options;
  options.state_directory =
      commands.state_directory.empty() ? DefaultStateDirectory() : commands.state_directory;
  options.allowed_paths = commands.allowed_paths;
  options.allow_user_functions = commands.allow_udf;
  options.default_checkpoint_interval = commands.checkpoint_interval;
  options.services = services->get();
  options.log = log;
  auto server = server::JobServer::Open(options);
  if (!server.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", server.status().message().c_str());
    return kExitUsage;
  }
  auto front = server::HttpFront::Start(server->get(), http);
  if (!front.ok()) {
    std::fprintf(stderr, "sluice: error: %s\n", front.status().message().c_str());
    (*server)->Shutdown(/*with_savepoints=*/false);
    return kExitUsage;
  }
  std::string host = http.host.find(':') != std::string::npos && http.host.front() != '['
                         ? "[" + http.host + "]"
                         : http.host;
  log(fmt::format("sluice serve: listening on http://{}:{} (state in {}; {} job(s) running)", host,
                  (*front)->port(), fs::absolute(options.state_directory).string(),
                  (*server)->ActiveJobs()));

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGUSR1) continue;  // savepoints are asked for per job, over the API
    break;
  }
  bool with_savepoints = commands.on_shutdown == "savepoint";
  log(fmt::format("sluice serve: shutting down; stopping {} job(s) {}", (*server)->ActiveJobs(),
                  with_savepoints ? "with savepoints" : "(they resume from their checkpoints)"));
  (*server)->Shutdown(with_savepoints);
  (*front)->Stop();
  log("sluice serve: stopped");
  return kExitOk;
}

// ---- the client ---------------------------------------------------------------------------

/// A client's view of one call: the reply's JSON, or the exit code after saying what failed.
struct Call {
  int exit_code = kExitOk;
  json body;
  int status = 0;
};

Call Request(const ClientOptions& options, const std::string& method, const std::string& path,
             const json& body = nullptr, int timeout_seconds = 60) {
  Call call;
  std::string server = options.server;
  if (server.empty()) {
    const char* environment = std::getenv("SLUICE_SERVER");
    server = environment && *environment ? environment : kDefaultServer;
  }
  std::string token;
  if (!options.token_file.empty()) {
    if (!ReadToken(options.token_file, &token)) {
      call.exit_code = kExitUsage;
      return call;
    }
  } else if (const char* environment = std::getenv("SLUICE_TOKEN")) {
    token = Trim(environment);
  }
  server::HttpReply reply = server::HttpRequest(
      server, method, path, body.is_null() ? std::string() : body.dump(), token, timeout_seconds);
  call.status = reply.status;
  if (reply.status == 0) {
    std::fprintf(stderr, "sluice: error: %s\n", reply.error.c_str());
    call.exit_code = kExitFailed;
    return call;
  }
  call.body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (call.body.is_discarded()) {
    std::fprintf(stderr,
                 "sluice: error: the server at %s answered %d with something else than "
                 "JSON\n",
                 server.c_str(), reply.status);
    call.exit_code = kExitFailed;
    return call;
  }
  if (reply.status >= 400) {
    const json& error = call.body.contains("error") ? call.body["error"] : json::object();
    std::string rendered = error.value("rendered", "");
    if (!rendered.empty()) {
      std::fputs(rendered.c_str(), stderr);
      size_t count = error.contains("diagnostics") ? error["diagnostics"].size() : 0;
      if (count > 1) std::fprintf(stderr, "%zu errors\n", count);
    } else {
      std::fprintf(
          stderr, "sluice: error: %s\n",
          error.value("message", "the server answered " + std::to_string(reply.status)).c_str());
    }
    // A request the server refused as wrong is a usage error; one it could not carry out
    // (a conflict with the job's state, a failure of its own) a failure.
    call.exit_code = reply.status == 409 || reply.status >= 500 ? kExitFailed : kExitUsage;
  }
  return call;
}

/// The `--set KEY=VALUE` options as a JSON object; false (after saying why) on a malformed one.
bool SettingsOf(const ServerCommands& commands, json* settings) {
  *settings = json::object();
  for (const std::string& setting : commands.settings) {
    size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::fprintf(stderr, "sluice: error: --set expects KEY=VALUE, got '%s'\n", setting.c_str());
      return false;
    }
    (*settings)[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  return true;
}

int RunSubmit(const ServerCommands& commands) {
  auto text = ReadFile(commands.file);
  if (!text) {
    std::fprintf(stderr, "sluice: error: cannot read '%s': %s\n", commands.file.c_str(),
                 std::strerror(errno));
    return kExitUsage;
  }
  json body = {{"pipe", *text}, {"name", fs::path(commands.file).filename().string()}};
  json settings;
  if (!SettingsOf(commands, &settings)) return kExitUsage;
  body["settings"] = settings;
  if (commands.parallelism > 0) body["parallelism"] = commands.parallelism;
  if (!commands.from.empty()) {
    body["from"] = fs::absolute(commands.from).lexically_normal().string();
  }
  if (commands.allow_dropped_state) body["allow_dropped_state"] = true;
  Call call = Request(commands.client, "POST", "/v1/jobs", body);
  if (call.exit_code != kExitOk) return call.exit_code;
  std::fprintf(stderr, "submitted job %s (%s)\n", call.body.value("id", "").c_str(),
               call.body.value("name", "").c_str());
  std::printf("%s\n", call.body.value("id", "").c_str());
  return kExitOk;
}

std::string Cell(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

int RunJobs(const ServerCommands& commands) {
  Call call = Request(commands.client, "GET", "/v1/jobs");
  if (call.exit_code != kExitOk) return call.exit_code;
  if (commands.json) {
    std::printf("%s\n", call.body.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-10s %-24s %-11s %8s %12s %12s  %s\n", "ID", "NAME", "STATE", "RESTARTS", "ROWS IN",
              "ROWS OUT", "SUBMITTED");
  for (const json& job : call.body.value("jobs", json::array())) {
    std::printf("%-10s %-24s %-11s %8s %12s %12s  %s\n", job.value("id", "").c_str(),
                job.value("name", "").c_str(), job.value("state", "").c_str(),
                Cell(job.value("restarts", json())).c_str(),
                Cell(job.value("rows_in", json())).c_str(),
                Cell(job.value("rows_out", json())).c_str(),
                FormatMillis(job.value("submitted_millis", int64_t{0})).c_str());
  }
  return kExitOk;
}

int RunJob(const ServerCommands& commands) {
  Call call = Request(commands.client, "GET", "/v1/jobs/" + commands.job_id);
  if (call.exit_code != kExitOk) return call.exit_code;
  const json& job = call.body;
  if (commands.json) {
    std::printf("%s\n", job.dump(2).c_str());
    return kExitOk;
  }
  std::printf("job %s (%s, %s): %s\n", job.value("id", "").c_str(), job.value("name", "").c_str(),
              job.value("file_name", "").c_str(), job.value("state", "").c_str());
  std::printf("submitted %s, restarts %s\n",
              FormatMillis(job.value("submitted_millis", int64_t{0})).c_str(),
              Cell(job.value("restarts", json())).c_str());
  if (job.contains("last_failure")) {
    std::printf("last failure: %s\n", job["last_failure"].get<std::string>().c_str());
  }
  if (job.contains("savepoint")) {
    std::printf("latest savepoint: %s\n", job["savepoint"].get<std::string>().c_str());
  }
  std::printf("\n%-40s %-16s %4s %12s %12s %8s  %s\n", "OPERATOR", "KIND", "PAR", "ROWS IN",
              "ROWS OUT", "LATE", "STATE");
  for (const json& op : job.value("operators", json::array())) {
    std::printf(
        "%-40s %-16s %4s %12s %12s %8s  %s\n", op.value("uid", "").c_str(),
        op.value("kind", "").c_str(), Cell(op.value("parallelism", json())).c_str(),
        Cell(op.value("rows_in", json())).c_str(), Cell(op.value("rows_out", json())).c_str(),
        Cell(op.value("late_records_dropped", json())).c_str(),
        op.contains("state_bytes") ? FormatBytes(op["state_bytes"].get<int64_t>()).c_str() : "-");
  }
  const json checkpoints = job.value("checkpoints", json::object());
  std::printf("\ncheckpoints: %s completed, %s failed; latest %s\n",
              Cell(checkpoints.value("completed", json())).c_str(),
              Cell(checkpoints.value("failed", json())).c_str(),
              Cell(checkpoints.value("latest", json())).c_str());
  json history = checkpoints.value("history", json::array());
  size_t first = history.size() > 5 ? history.size() - 5 : 0;
  for (size_t i = first; i < history.size(); ++i) {
    const json& stats = history[i];
    std::printf(
        "  %-10s %4s  %s  %6s ms  %10s  alignment %s ms%s\n", stats.value("kind", "").c_str(),
        Cell(stats.value("id", json())).c_str(),
        stats.value("completed", false) ? "completed" : "FAILED   ",
        Cell(stats.value("duration_millis", json())).c_str(),
        FormatBytes(stats.value("size_bytes", int64_t{0})).c_str(),
        Cell(stats.value("alignment_millis", json())).c_str(),
        stats.contains("failure") ? (": " + stats["failure"].get<std::string>()).c_str() : "");
  }
  return kExitOk;
}

int RunStop(const ServerCommands& commands) {
  json body = {{"savepoint", commands.savepoint}};
  if (!commands.directory.empty()) {
    body["directory"] = fs::absolute(commands.directory).lexically_normal().string();
  }
  Call call = Request(commands.client, "POST", "/v1/jobs/" + commands.job_id + "/stop", body,
                      /*timeout_seconds=*/600);
  if (call.exit_code != kExitOk) return call.exit_code;
  if (call.body.contains("savepoint")) {
    std::fprintf(stderr, "job %s stopped with a savepoint\n", commands.job_id.c_str());
    std::printf("%s\n", call.body["savepoint"].get<std::string>().c_str());
  } else {
    std::fprintf(stderr, "job %s is %s\n", commands.job_id.c_str(),
                 call.body.value("state", "").c_str());
  }
  return kExitOk;
}

/// `sluice upgrade ID NEW.pipe`: the check's table, then what became of the upgrade.
int RunUpgrade(const ServerCommands& commands) {
  auto text = ReadFile(commands.file);
  if (!text) {
    std::fprintf(stderr, "sluice: error: cannot read '%s': %s\n", commands.file.c_str(),
                 std::strerror(errno));
    return kExitUsage;
  }
  json body = {{"pipe", *text}, {"name", fs::path(commands.file).filename().string()}};
  if (!commands.settings.empty()) {
    json settings;
    if (!SettingsOf(commands, &settings)) return kExitUsage;
    body["settings"] = settings;
  }
  if (commands.parallelism > 0) body["parallelism"] = commands.parallelism;
  if (commands.dry_run) body["dry_run"] = true;
  if (commands.allow_dropped_state) body["allow_dropped_state"] = true;
  if (!commands.mode.empty()) body["mode"] = commands.mode;
  Call call = Request(commands.client, "POST", "/v1/jobs/" + commands.job_id + "/upgrade", body,
                      /*timeout_seconds=*/1800);
  // A refusal carries the check's table too.
  const json& check =
      call.body.is_object() && call.body.contains("check") ? call.body["check"] : json();
  if (check.is_object() && check.contains("text")) {
    std::fputs(check["text"].get<std::string>().c_str(), stdout);
  }
  if (call.exit_code != kExitOk) return call.exit_code;
  if (commands.dry_run) {
    std::fprintf(stderr, "dry run: job %s would %s to version %s (%s)\n", commands.job_id.c_str(),
                 call.body.value("would", "").c_str(),
                 Cell(call.body.value("to_version", json())).c_str(),
                 call.body.value("mode", "simple") == "shadow"
                     ? "the new version catching up in shadow first"
                     : "the simple handover");
    return call.body.value("would", "") == "upgrade" ? kExitOk : kExitFailed;
  }
  const json upgrade = call.body.value("upgrade", json::object());
  std::fprintf(stderr,
               "job %s upgraded from version %s to %s: the old version stopped at savepoint "
               "%s; the new one runs\n",
               commands.job_id.c_str(), Cell(upgrade.value("from_version", json())).c_str(),
               Cell(upgrade.value("to_version", json())).c_str(),
               upgrade.value("savepoint", "").c_str());
  if (upgrade.value("mode", "") == "shadow" && upgrade.contains("handover_checkpoint")) {
    std::fprintf(stderr,
                 "it caught up in shadow in %s ms (%s rows discarded) and took over at its "
                 "handover checkpoint %s\n",
                 Cell(upgrade.value("catch_up_millis", json())).c_str(),
                 Cell(upgrade.value("rows_discarded", json())).c_str(),
                 upgrade.value("handover_checkpoint", "").c_str());
  } else if (upgrade.contains("shadow_fallback")) {
    std::fprintf(stderr, "(the catch-up in shadow gave way to the simple handover: %s)\n",
                 upgrade.value("shadow_fallback", "").c_str());
  }
  return kExitOk;
}

int RunCancel(const ServerCommands& commands) {
  Call call = Request(commands.client, "POST", "/v1/jobs/" + commands.job_id + "/cancel");
  if (call.exit_code != kExitOk) return call.exit_code;
  std::fprintf(stderr, "job %s is %s\n", commands.job_id.c_str(),
               call.body.value("state", "").c_str());
  return kExitOk;
}

}  // namespace

void AddClientOptions(CLI::App* command, ClientOptions* options) {
  command->add_option("--server", options->server,
                      "the server's URL (default $SLUICE_SERVER, else http://127.0.0.1:8081)");
  command->add_option("--token-file", options->token_file,
                      "a file holding the server's bearer token (default $SLUICE_TOKEN)");
}

int RunTriggerSavepoint(const ClientOptions& options, const std::string& job_id,
                        const std::string& directory) {
  json body = json::object();
  if (!directory.empty()) body["directory"] = fs::absolute(directory).lexically_normal().string();
  Call call = Request(options, "POST", "/v1/jobs/" + job_id + "/savepoints", body,
                      /*timeout_seconds=*/600);
  if (call.exit_code != kExitOk) return call.exit_code;
  std::printf("%s\n", call.body.value("savepoint", "").c_str());
  return kExitOk;
}

int RunRemoteCheck(const ClientOptions& options, const std::string& new_file,
                   const std::string& job_id, const std::string& format) {
  auto text = ReadFile(new_file);
  if (!text) {
    std::fprintf(stderr, "sluice: error: cannot read '%s': %s\n", new_file.c_str(),
                 std::strerror(errno));
    return kExitUsage;
  }
  json body = {{"pipe", *text},
               {"name", fs::path(new_file).filename().string()},
               {"against", {{"job", job_id}}}};
  Call call = Request(options, "POST", "/v1/check", body);
  if (call.exit_code != kExitOk) return call.exit_code == kExitFailed ? kExitUsage : call.exit_code;
  const json& against = call.body.value("against", json::object());
  if (against.contains("checkpoint")) {
    std::fprintf(stderr, "sluice: checking against job %s's checkpoint %s\n", job_id.c_str(),
                 against["checkpoint"].get<std::string>().c_str());
  } else {
    std::fprintf(stderr,
                 "sluice: job %s has no completed checkpoint yet; checking against its plan\n",
                 job_id.c_str());
  }
  if (format == "json") {
    json report = call.body;
    report.erase("text");
    report.erase("against");
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::fputs(call.body.value("text", "").c_str(), stdout);
  }
  return call.body.value("compatible", false) ? kExitOk : kExitFailed;
}

std::unique_ptr<ServerCommands> AddServerCommands(CLI::App* app) {
  auto commands = std::make_unique<ServerCommands>();
  ServerCommands* c = commands.get();

  c->serve = app->add_subcommand(
      "serve", "Run a job server: an HTTP API, a web page and Prometheus /metrics");
  c->serve->add_option("--listen", c->listen, "HOST:PORT to listen on (default 127.0.0.1:8081)");
  c->serve->add_option("--state-dir", c->state_directory,
                       "where the server keeps its jobs (default ~/.local/state/sluice/server)");
  c->serve->add_option("--token-file", c->serve_token_file,
                       "require this bearer token on every request (needed off loopback)");
  c->serve->add_option("--allow-path", c->allowed_paths,
                       "a directory submitted jobs may read and write (repeatable; the state "
                       "directory always)");
  c->serve->add_flag("--allow-udf", c->allow_udf,
                     "let submitted jobs load shared libraries with CREATE FUNCTION");
  c->serve->add_option("--checkpoint-interval", c->checkpoint_interval,
                       "execution.checkpointing.interval of jobs that set none (default 10 s)");
  c->serve
      ->add_option("--on-shutdown", c->on_shutdown,
                   "on SIGTERM: stop jobs with savepoints, or leave them to resume from "
                   "their checkpoints")
      ->check(CLI::IsMember({"savepoint", "checkpoint"}));
  c->serve
      ->add_option("--jit", c->jit,
                   "compile expressions with LLVM: adaptive (default: start interpreted, switch to "
                   "compiled code when LLVM has it), on (wait for it) or off")
      ->check(CLI::IsMember({"adaptive", "on", "off"}));
  c->serve
      ->add_option("--threads", c->threads, "worker threads shared by all jobs (default: cores)")
      ->check(CLI::Range(1, 1024));

  c->submit = app->add_subcommand("submit", "Submit a .pipe file to a server; prints the job id");
  c->submit->add_option("FILE", c->file, "the .pipe file")->required();
  c->submit->add_option("--set", c->settings, "override a SET option: KEY=VALUE (repeatable)");
  c->submit->add_option("--parallelism,-p", c->parallelism, "subtasks per operator")
      ->check(CLI::Range(1, 1024));
  c->submit->add_option("--from", c->from, "restore from a savepoint or checkpoint directory");
  c->submit->add_flag("--allow-dropped-state", c->allow_dropped_state,
                      "restore even when some old state has no operator in the new job");
  AddClientOptions(c->submit, &c->client);

  c->jobs = app->add_subcommand("jobs", "List a server's jobs");
  c->jobs->add_flag("--json", c->json, "print the API's JSON");
  AddClientOptions(c->jobs, &c->client);

  c->job = app->add_subcommand("job", "Show one job of a server: state, operators, checkpoints");
  c->job->add_option("ID", c->job_id, "the job id")->required();
  c->job->add_flag("--json", c->json, "print the API's JSON");
  AddClientOptions(c->job, &c->client);

  c->stop = app->add_subcommand(
      "stop", "Stop a job of a server (with --savepoint: its sinks commit up to one first)");
  c->stop->add_option("ID", c->job_id, "the job id")->required();
  c->stop->add_flag("--savepoint", c->savepoint, "stop with a savepoint; prints its path");
  c->stop->add_option("--directory", c->directory,
                      "where the savepoint goes (default: the job's state.savepoints.dir)");
  AddClientOptions(c->stop, &c->client);

  c->upgrade = app->add_subcommand(
      "upgrade",
      "Replace the text a server's job runs: check, stop it with a savepoint, start the new "
      "version from it (exactly once; the old version runs again if the new one cannot start)");
  c->upgrade->add_option("ID", c->job_id, "the job id")->required();
  c->upgrade->add_option("NEW", c->file, "the new .pipe file")->required();
  c->upgrade->add_flag("--dry-run", c->dry_run,
                       "only print the check's verdicts (exit 0 when the upgrade would go ahead)");
  c->upgrade
      ->add_option(
          "--mode", c->mode,
          "auto (default): shadow when the job can catch up and holds 32 MB of state or more; "
          "simple: stop, then start the new version from the savepoint; shadow: the new "
          "version catches up beside the old one first")
      ->check(CLI::IsMember({"auto", "simple", "shadow"}));
  c->upgrade->add_flag("--allow-dropped-state", c->allow_dropped_state,
                       "upgrade even when some old state has no operator in the new version");
  c->upgrade->add_option("--set", c->settings,
                         "the new version's SET overrides: KEY=VALUE (repeatable; default: the "
                         "running version's)");
  c->upgrade->add_option("--parallelism,-p", c->parallelism, "the new version's parallelism")
      ->check(CLI::Range(1, 1024));
  AddClientOptions(c->upgrade, &c->client);

  c->cancel =
      app->add_subcommand("cancel", "Cancel a job of a server at once, without a savepoint");
  c->cancel->add_option("ID", c->job_id, "the job id")->required();
  AddClientOptions(c->cancel, &c->client);
  return commands;
}

bool RunServerCommands(const ServerCommands& commands, int* exit_code) {
  if (commands.serve->parsed()) {
    *exit_code = RunServe(commands);
  } else if (commands.submit->parsed()) {
    *exit_code = RunSubmit(commands);
  } else if (commands.jobs->parsed()) {
    *exit_code = RunJobs(commands);
  } else if (commands.job->parsed()) {
    *exit_code = RunJob(commands);
  } else if (commands.stop->parsed()) {
    *exit_code = RunStop(commands);
  } else if (commands.cancel->parsed()) {
    *exit_code = RunCancel(commands);
  } else if (commands.upgrade->parsed()) {
    *exit_code = RunUpgrade(commands);
  } else {
    return false;
  }
  return true;
}

}  // namespace sluice::cli
