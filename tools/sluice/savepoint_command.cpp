// `sluice savepoint inspect|read`: what a savepoint holds, and its state as JSON lines.

#include "tools/sluice/savepoint_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "runtime/batch/batch.h"
#include "runtime/connectors/formats/json_format.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/row_codec.h"
#include "runtime/state/snapshot.h"
#include "runtime/state/state_file.h"

namespace sluice::cli {

namespace {

using runtime::state::Snapshot;
using runtime::state::StateHandle;
using Json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

int Fail(const std::string& message) {
  std::fprintf(stderr, "sluice: error: %s\n", message.c_str());
  return kExitUsage;
}

std::string FormatTime(int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return fmt::format("{}.{:03d} UTC", text, static_cast<int>(millis % 1000));
}

const char* NamespaceName(runtime::plan::StateNamespace ns) {
  switch (ns) {
    case runtime::plan::StateNamespace::kNone: return "none";
    case runtime::plan::StateNamespace::kWindow: return "window";
    case runtime::plan::StateNamespace::kTime: return "time";
  }
  return "?";
}

/// The handles of (uid, state), in key-group order.
std::vector<const StateHandle*> HandlesOf(const Snapshot& snapshot, const std::string& uid,
                                          const std::string& state) {
  std::vector<const StateHandle*> handles;
  for (const StateHandle& handle : snapshot.metadata.handles) {
    if (handle.uid == uid && handle.state_name == state) handles.push_back(&handle);
  }
  std::sort(handles.begin(), handles.end(), [](const StateHandle* a, const StateHandle* b) {
    return a->first_key_group < b->first_key_group;
  });
  return handles;
}

// ---- inspect ---------------------------------------------------------------------------------

Json InspectJson(const Snapshot& snapshot) {
  const auto& metadata = snapshot.metadata;
  Json json = {{"directory", snapshot.directory},
               {"job", metadata.job_name},
               {"format", metadata.format},
               {"format_version", metadata.format_version},
               {"id", metadata.id},
               {"created", FormatTime(metadata.created_millis)},
               {"engine_version", metadata.engine_version},
               {"max_parallelism", metadata.plan.max_parallelism}};
  Json operators = Json::array();
  for (const auto& node : metadata.plan.nodes) {
    if (node.state.empty()) continue;
    Json states = Json::array();
    for (const auto& spec : node.state) {
      Json ranges = Json::array();
      int64_t entries = 0, bytes = 0;
      std::string signature = runtime::state::StateSignature(node, spec);
      for (const StateHandle* handle : HandlesOf(snapshot, node.uid, spec.name)) {
        ranges.push_back({{"first_key_group", handle->first_key_group},
                          {"last_key_group", handle->last_key_group},
                          {"entries", handle->entries},
                          {"bytes", handle->bytes},
                          {"file", handle->file}});
        entries += handle->entries;
        bytes += handle->bytes;
        signature = handle->signature;
      }
      states.push_back({{"name", spec.name},
                        {"signature", signature},
                        {"key", spec.key_schema.ToString()},
                        {"namespace", NamespaceName(spec.state_namespace)},
                        {"value", spec.value_schema.ToString()},
                        {"entries", entries},
                        {"bytes", bytes},
                        {"key_groups", ranges}});
    }
    operators.push_back({{"uid", node.uid},
                         {"kind", runtime::plan::OperatorKindName(node.kind)},
                         {"parallelism", node.parallelism},
                         {"states", states}});
  }
  json["operators"] = operators;
  return json;
}

void PrintInspectText(const Json& json) {
  std::printf("savepoint %s\n", json["directory"].get<std::string>().c_str());
  std::printf("  job:             %s\n", json["job"].get<std::string>().c_str());
  std::printf("  format:          %s (format version %d)\n",
              json["format"].get<std::string>().c_str(), json["format_version"].get<int>());
  std::printf("  id:              %s\n", json["id"].get<std::string>().c_str());
  std::printf("  created:         %s\n", json["created"].get<std::string>().c_str());
  std::printf("  engine version:  %s\n", json["engine_version"].get<std::string>().c_str());
  std::printf("  max parallelism: %d\n", json["max_parallelism"].get<int>());
  if (json["operators"].empty()) std::printf("no stateful operators\n");
  for (const Json& op : json["operators"]) {
    std::printf("operator %s (%s, parallelism %d)\n", op["uid"].get<std::string>().c_str(),
                op["kind"].get<std::string>().c_str(), op["parallelism"].get<int>());
    for (const Json& state : op["states"]) {
      std::printf("  state %s  signature %s  %lld entries, %lld bytes\n",
                  state["name"].get<std::string>().c_str(),
                  state["signature"].get<std::string>().c_str(),
                  static_cast<long long>(state["entries"].get<int64_t>()),
                  static_cast<long long>(state["bytes"].get<int64_t>()));
      std::printf("    key %s  namespace %s  value %s\n", state["key"].get<std::string>().c_str(),
                  state["namespace"].get<std::string>().c_str(),
                  state["value"].get<std::string>().c_str());
      for (const Json& range : state["key_groups"]) {
        std::printf("    key groups %d-%d: %lld entries, %lld bytes  %s\n",
                    range["first_key_group"].get<int>(), range["last_key_group"].get<int>(),
                    static_cast<long long>(range["entries"].get<int64_t>()),
                    static_cast<long long>(range["bytes"].get<int64_t>()),
                    range["file"].get<std::string>().c_str());
      }
    }
  }
}

// ---- read ------------------------------------------------------------------------------------

std::string Hex(std::string_view bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
  return out;
}

/// Decodes RowCodec bytes of `schema` as a JSON object; {"hex": …} when they do not decode.
class RowDecoder {
 public:
  explicit RowDecoder(const types::Schema& schema) : format_(schema) {
    for (const types::Slot& slot : types::FlattenSchema(schema)) {
      if (slot.type.id() == types::TypeId::kRow) decodable_ = false;
      types_.push_back(slot.type);
    }
  }

  std::string Decode(std::string_view bytes) const {
    if (decodable_) {
      runtime::Batch batch(types_);
      runtime::state::RowCodec codec(types_);
      if (codec.Decode(bytes, &batch, 0, 0).ok()) {
        batch.set_row_count(1);
        std::string out;
        if (format_.Encode(batch, 0, &out).ok()) return out;
      }
    }
    return fmt::format("{{\"hex\":\"{}\"}}", Hex(bytes));
  }

 private:
  runtime::connectors::formats::JsonFormat format_;
  std::vector<types::LogicalType> types_;
  bool decodable_ = true;
};

std::string NamespaceJson(runtime::plan::StateNamespace kind, std::string_view ns) {
  if (ns.empty() && kind == runtime::plan::StateNamespace::kNone) return "null";
  if (ns.size() == 8 && kind != runtime::plan::StateNamespace::kNone) {
    uint64_t bits = 0;
    for (char c : ns) bits = bits << 8 | static_cast<uint8_t>(c);  // big-endian
    return std::to_string(static_cast<int64_t>(bits));
  }
  return fmt::format("{{\"hex\":\"{}\"}}", Hex(ns));
}

int Read(const Snapshot& snapshot, const std::string& uid, const std::string& state_name) {
  const auto& plan = snapshot.metadata.plan;
  auto node = std::find_if(plan.nodes.begin(), plan.nodes.end(),
                           [&](const auto& candidate) { return candidate.uid == uid; });
  if (node == plan.nodes.end()) {
    std::string uids;
    for (const auto& candidate : plan.nodes) {
      if (!candidate.state.empty()) uids += (uids.empty() ? "" : ", ") + candidate.uid;
    }
    return Fail(fmt::format("savepoint '{}' has no operator with UID '{}' (stateful UIDs: {})",
                            snapshot.directory, uid, uids.empty() ? "none" : uids));
  }
  bool found = state_name.empty();
  for (const auto& spec : node->state) {
    if (!state_name.empty() && spec.name != state_name) continue;
    found = true;
    RowDecoder keys(spec.key_schema);
    RowDecoder values(spec.value_schema);
    for (const StateHandle* handle : HandlesOf(snapshot, uid, spec.name)) {
      std::string path = snapshot.directory + "/" + handle->file;
      std::string line;
      auto print = [&](int32_t key_group, std::string_view key, std::string_view ns,
                       std::string_view value) {
        line = "{\"state\":";
        runtime::connectors::formats::JsonFormat::AppendString(spec.name, &line);
        line += fmt::format(",\"key_group\":{},\"key\":{},\"namespace\":{},\"value\":{}}}\n",
                            key_group, keys.Decode(key), NamespaceJson(spec.state_namespace, ns),
                            values.Decode(value));
        std::fputs(line.c_str(), stdout);
        return base::Status::Ok();
      };
      base::Status status;
      if (snapshot.metadata.format == "native") {
        status = runtime::state::ReadRocksDbCheckpoint(
            path, uid, spec.name, handle->first_key_group, handle->last_key_group, print);
      } else {
        auto reader = runtime::state::StateFileReader::Open(path);
        if (!reader.ok()) return Fail(reader.status().message());
        status = reader->Read(handle->first_key_group, handle->last_key_group, print);
      }
      if (!status.ok()) return Fail(status.message());
    }
  }
  if (!found) {
    std::string names;
    for (const auto& spec : node->state) names += (names.empty() ? "" : ", ") + spec.name;
    return Fail(fmt::format("operator '{}' of savepoint '{}' has no state '{}' (states: {})", uid,
                            snapshot.directory, state_name, names.empty() ? "none" : names));
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<SavepointCommand> AddSavepointCommand(CLI::App* app) {
  auto command = std::make_unique<SavepointCommand>();
  command->command =
      app->add_subcommand("savepoint", "Inspect and read savepoints; trigger one on a server");
  command->command->require_subcommand(1);
  command->inspect = command->command->add_subcommand(
      "inspect", "List a savepoint's operators, UIDs, state signatures, key groups and sizes");
  command->inspect->add_option("DIR", command->directory, "the savepoint directory")->required();
  command->inspect->add_option("--format", command->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->read = command->command->add_subcommand(
      "read", "Print one operator's state as JSON lines (key group, key, namespace, value)");
  command->read->add_option("DIR", command->directory, "the savepoint directory")->required();
  command->read->add_option("--uid", command->uid, "the operator's UID")->required();
  command->read->add_option("--state", command->state, "only this state of the operator");
  command->trigger = command->command->add_subcommand(
      "trigger", "Take a savepoint of a job running on a server (it goes on); prints its path");
  command->trigger->add_option("ID", command->job_id, "the job id")->required();
  command->trigger->add_option("--directory", command->directory,
                               "where it goes (default: the job's state.savepoints.dir)");
  AddClientOptions(command->trigger, &command->client);
  return command;
}

int RunSavepointCommand(const SavepointCommand& command) {
  if (command.trigger->parsed()) {
    return RunTriggerSavepoint(command.client, command.job_id, command.directory);
  }
  auto snapshot = runtime::state::ReadSnapshot(command.directory);
  if (!snapshot.ok()) return Fail(snapshot.status().message());
  if (command.inspect->parsed()) {
    Json json = InspectJson(*snapshot);
    if (command.format == "json") {
      std::printf("%s\n", json.dump(2).c_str());
    } else {
      PrintInspectText(json);
    }
    return kExitOk;
  }
  std::fflush(stdout);
  int code = Read(*snapshot, command.uid, command.state);
  std::fflush(stdout);
  return code;
}

base::Status WriteSavepointAtEnd(const runtime::scheduler::Job& job,
                                 const runtime::plan::PlanGraph& plan, const std::string& directory,
                                 const std::string& format) {
  // With the sources' final positions, as a savepoint taken there would have them: a run
  // restored from it does not read the sources again, and a backfill replays up to them.
  runtime::state::SnapshotOptions options;
  options.source_offsets = job.SourcePositions();
  auto written =
      format == "native"
          ? runtime::state::WriteNativeSnapshot(directory, plan, job.StateOfSubtasks(), options)
          : runtime::state::WriteCanonicalSnapshot(directory, plan, job.StateOfSubtasks(), options);
  if (!written.ok()) {
    return base::Status::Error(written.status().code(),
                               "cannot write the savepoint: " + written.status().message());
  }
  return base::Status::Ok();
}

}  // namespace sluice::cli
