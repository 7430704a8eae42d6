#include "compiler/check/compat_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "compiler/check/backfill.h"
#include "compiler/physical/state_signature.h"
#include "runtime/plan/state_evolution.h"

namespace sluice::compiler::check {

using runtime::plan::OperatorKind;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;
using runtime::plan::SignatureComponent;
using runtime::plan::SignatureField;
using runtime::plan::StateSignature;

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kRestored: return "restored";
    case Verdict::kMigrated: return "migrated";
    case Verdict::kNew: return "new";
    case Verdict::kDropped: return "dropped";
    case Verdict::kIncompatible: return "incompatible";
  }
  return "?";
}

namespace {

struct Signed {
  const PlanNode* node = nullptr;
  StateSignature signature;
};

/// The stateful nodes of a plan (sources, sinks and operators with a signature), by UID.
std::map<std::string, Signed> Stateful(const PlanGraph& plan, physical::Lineage* lineage) {
  std::map<std::string, Signed> out;
  for (const PlanNode& node : plan.nodes) {
    std::optional<StateSignature> signature =
        node.signature ? node.signature : physical::SignatureOf(plan, node.id, lineage);
    if (signature) out[node.uid] = Signed{&node, *signature};
  }
  return out;
}

std::string FieldsText(const SignatureComponent& component) {
  std::string out = "[";
  for (size_t i = 0; i < component.fields.size(); ++i) {
    out += (i ? ", " : "") + component.fields[i].name;
    if (!component.fields[i].type.empty() && component.name.find("key") != std::string::npos) {
      out += " " + component.fields[i].type;
    }
  }
  return out + "]";
}

/// What a newly added field of `node`'s state holds after the restore (what the runtime's
/// migration gives it: runtime/operators/operator_restore.h).
std::string StartsWith(const PlanNode& node, const SignatureComponent& component,
                       const SignatureField& field) {
  if (component.name != "accumulators") {
    return fmt::format("{} added: rows kept before the restore have NULL for it", field.name);
  }
  if (node.over_aggregate && node.over_aggregate->preceding >= 0) {
    // A bounded frame keeps its rows: the new call is folded from them at the restore.
    return fmt::format("{} added: computed from the rows its frame holds at the restore on",
                       field.name);
  }
  bool count = field.name.rfind("COUNT(", 0) == 0;
  return fmt::format("{} added: starts {} from the restore point", field.name,
                     count ? "at 0" : "empty (NULL until a row arrives)");
}

const char* Describe(const std::string& component) {
  static const std::map<std::string, const char*> kNames = {
      {"key", "group key"},
      {"left.key", "left join key"},
      {"right.key", "right join key"},
      {"partition", "partition key"},
      {"connector", "connector"},
      {"join type", "join type"},
      {"window", "window"},
      {"interval", "interval bounds"},
      {"temporal", "temporal join times (versions AS OF)"},
      {"pattern", "pattern and DEFINE conditions"},
      {"rows", "kept rows"},
      {"order", "sort order"},
      {"limit", "N"},
      {"rank function", "rank function"},
      {"order and frame", "order and frame"},
      {"accumulators", "accumulators"},
      {"values", "kept row"},
      {"left.values", "kept left row"},
      {"right.values", "kept right row"},
      {"row expiry", "state TTL on or off (table.exec.state.ttl)"}};
  auto found = kNames.find(component);
  return found == kNames.end() ? component.c_str() : found->second;
}

const SignatureComponent* Find(const StateSignature& signature, const std::string& name) {
  for (const auto& component : signature.components) {
    if (component.name == name) return &component;
  }
  return nullptr;
}

/// `window_end(TUMBLE(…, size 10000 ms))` and `window_end(TUMBLE(…, size 20000 ms))`: the same
/// column of two different windows.
bool SameWindowColumn(const std::string& before, const std::string& after) {
  for (const char* column : {"window_start(", "window_end(", "window_time("}) {
    if (before.rfind(column, 0) == 0 && after.rfind(column, 0) == 0) return before != after;
  }
  return false;
}

/// Compares one evolvable component (by runtime::plan::MatchFields, the rule the runtime
/// migrates state by); appends what changed to `changes`, and returns false (with `why`) when
/// a field changed type in a way that cannot be carried.
bool CompareEvolvable(const PlanNode& node, const SignatureComponent& before,
                      const SignatureComponent& after, std::vector<std::string>* changes,
                      std::vector<std::string>* warnings, std::string* why) {
  auto matched = runtime::plan::MatchFields(before, after);
  if (!matched.ok()) {
    *why = matched.status().message();
    return false;
  }
  const runtime::plan::FieldEvolution& evolution = *matched;
  std::set<int32_t> explained;  // removed old fields said together with their new one
  for (size_t i = 0; i < after.fields.size(); ++i) {
    const SignatureField& field = after.fields[i];
    int32_t origin = evolution.origins[i];
    if (origin < 0) {
      // An old field of the same value that it could not continue: say why, once.
      std::string base = runtime::plan::BaseFieldName(field.name);
      auto same = std::find_if(evolution.removed.begin(), evolution.removed.end(), [&](int32_t r) {
        return runtime::plan::BaseFieldName(before.fields[r].name) == base ||
               SameWindowColumn(before.fields[r].name, field.name);
      });
      if (same == evolution.removed.end()) {
        changes->push_back(StartsWith(node, after, field));
        continue;
      }
      const SignatureField& old_field = before.fields[*same];
      explained.insert(*same);
      if (SameWindowColumn(old_field.name, field.name)) {
        changes->push_back(fmt::format(
            "{} replaces {}: the rows kept before the restore come from the old windows; any "
            "output row made from one of them has NULL for this column, and a condition on it "
            "does not hold for them",
            field.name, old_field.name));
      } else {
        std::string starts = StartsWith(node, after, field);
        starts = starts.substr(starts.find(": ") + 2);  // "X added: starts …" → "starts …"
        changes->push_back(fmt::format("{} cannot continue {} ({} does not fit in {}): it {}",
                                       field.name, old_field.name, old_field.type, field.type,
                                       starts));
      }
      continue;
    }
    const SignatureField& old_field = before.fields[origin];
    std::string widened = evolution.widened[i]
                              ? fmt::format(" widened from {} to {}: the old values are converted",
                                            old_field.type, field.type)
                              : "";
    if (!evolution.renamed[i]) {
      if (!widened.empty()) changes->push_back(field.name + widened);
      continue;
    }
    std::string old_filter = runtime::plan::FilterClause(old_field.name);
    std::string new_filter = runtime::plan::FilterClause(field.name);
    if (old_filter != new_filter) {
      // One policy for "the rows it counts changed", as for a WHERE changed upstream: the
      // value so far is carried, with a warning.
      changes->push_back(fmt::format("{} continues {}{}", field.name, old_field.name,
                                     widened.empty() ? ": its value so far is carried" : widened));
      warnings->push_back(fmt::format(
          "the rows {} counts changed ({}): its value carries what it counted before the "
          "restore under the old {}",
          runtime::plan::BaseFieldName(field.name),
          old_filter.empty()   ? new_filter + " added"
          : new_filter.empty() ? old_filter + " removed"
                               : old_filter + " -> " + new_filter,
          old_filter.empty() ? "rule (every row)" : "predicate"));
    } else {
      changes->push_back(fmt::format("{} continues {} (a lossless CAST){}", field.name,
                                     old_field.name,
                                     widened.empty() ? ": the old values are kept" : widened));
    }
  }
  for (int32_t removed : evolution.removed) {
    if (explained.count(removed)) continue;
    changes->push_back(
        fmt::format("{} removed: its state is discarded", before.fields[removed].name));
  }
  if (evolution.reordered) {
    changes->push_back(std::string(Describe(after.name)) + " columns reordered");
  }
  return true;
}

std::string Afresh(const std::string& uid) {
  return fmt::format(
      "start afresh: give the new operator another UID with /*+ UID('…') */ and run with "
      "--allow-dropped-state to discard '{}'",
      uid);
}

std::string FixFor(const std::string& component, const std::string& uid) {
  if (uid.size() > 10 && uid.compare(uid.size() - 10, 10, "/normalize") == 0) {
    // An upsert source's normalization takes its UID from the source: nothing to pin.
    return "keep the old PRIMARY KEY, or run the new job without restoring (an upsert table is "
           "read from its earliest offset, so a fresh run rebuilds every key's row)";
  }
  return fmt::format("keep the old {}, or {}", Describe(component), Afresh(uid));
}

void Compare(const Signed& before, const Signed& after, OperatorVerdict* verdict) {
  if (before.node->kind != after.node->kind) {
    verdict->verdict = Verdict::kIncompatible;
    verdict->reason = fmt::format("the UID named a {} and now names a {}",
                                  runtime::plan::OperatorKindName(before.node->kind),
                                  runtime::plan::OperatorKindName(after.node->kind));
    verdict->fix = FixFor("operator", verdict->uid);
    return;
  }
  if (before.signature.hash == after.signature.hash) return;  // restored
  // Both join keys swapped: the sides changed places.
  const auto *left_before = Find(before.signature, "left.key"),
             *right_before = Find(before.signature, "right.key");
  const auto *left_after = Find(after.signature, "left.key"),
             *right_after = Find(after.signature, "right.key");
  if (left_before && right_before && left_after && right_after &&
      left_before->fields != left_after->fields && left_before->fields == right_after->fields &&
      right_before->fields == left_after->fields) {
    verdict->verdict = Verdict::kIncompatible;
    verdict->reason = "join sides swapped: the left state holds the other input's rows";
    verdict->fix = "put the inputs back in the old order (" + FieldsText(*left_before) +
                   " on the left), or " + Afresh(verdict->uid);
    return;
  }
  std::vector<std::string> changes;
  std::vector<std::string> restored_notes;  // changes that leave the state as it is
  std::vector<std::string> warnings;
  std::vector<std::string> names;
  for (const auto& component : before.signature.components) names.push_back(component.name);
  for (const auto& component : after.signature.components) {
    if (!Find(before.signature, component.name)) names.push_back(component.name);
  }
  for (const std::string& name : names) {
    const SignatureComponent* old_component = Find(before.signature, name);
    const SignatureComponent* new_component = Find(after.signature, name);
    if (old_component == nullptr || new_component == nullptr) {
      verdict->verdict = Verdict::kIncompatible;
      verdict->reason = fmt::format("the state {} a {}", old_component ? "no longer has" : "gains",
                                    Describe(name));
      verdict->fix = FixFor(name, verdict->uid);
      return;
    }
    if (*old_component == *new_component) continue;
    if (!old_component->evolvable || !new_component->evolvable) {
      // The rule the restore follows (runtime::plan::EvolveState).
      auto carried =
          runtime::plan::CarryChange(*old_component, *new_component, *before.node, *after.node);
      if (carried) {
        (carried->migrated ? changes : restored_notes).push_back(carried->reason);
        if (!carried->warning.empty()) warnings.push_back(carried->warning);
        continue;
      }
      verdict->verdict = Verdict::kIncompatible;
      verdict->reason = fmt::format("{} changed: {} -> {}", Describe(name),
                                    FieldsText(*old_component), FieldsText(*new_component));
      verdict->fix = FixFor(name, verdict->uid);
      return;
    }
    std::string why;
    if (!CompareEvolvable(*after.node, *old_component, *new_component, &changes, &warnings, &why)) {
      verdict->verdict = Verdict::kIncompatible;
      verdict->reason = why;
      verdict->fix = "keep the old type (CAST to it), or " + Afresh(verdict->uid);
      return;
    }
  }
  verdict->warnings.insert(verdict->warnings.end(), warnings.begin(), warnings.end());
  if (!changes.empty()) verdict->verdict = Verdict::kMigrated;
  changes.insert(changes.end(), restored_notes.begin(), restored_notes.end());
  std::string reason;
  for (size_t i = 0; i < changes.size(); ++i) reason += (i ? "; " : "") + changes[i];
  verdict->reason = reason;
}

bool Windowed(OperatorKind kind) {
  return kind == OperatorKind::kWindowAggregate || kind == OperatorKind::kWindowJoin;
}

std::string NewReason(const PlanNode& node) {
  switch (node.kind) {
    case OperatorKind::kSource: return "no old offsets: reads from the table's configured start";
    case OperatorKind::kSink: return "no old state: starts empty";
    default:
      if (Windowed(node.kind)) {
        return "no old state: starts empty; windows open at the restore see only rows that "
               "arrive after it";
      }
      return "no old state: starts empty";
  }
}

/// Whether two VALUES cells hold the same value: the same text, or the same number written
/// by another type (`100` as a BIGINT, `100.0` as a DOUBLE).
bool SameCell(const std::optional<std::string>& left, const std::optional<std::string>& right) {
  if (left == right) return true;
  if (!left || !right || left->empty() || right->empty()) return false;
  char* left_end = nullptr;
  char* right_end = nullptr;
  const double a = std::strtod(left->c_str(), &left_end);
  const double b = std::strtod(right->c_str(), &right_end);
  return *left_end == '\0' && *right_end == '\0' && a == b;
}

bool SameRows(const std::vector<std::vector<std::optional<std::string>>>& left,
              const std::vector<std::vector<std::optional<std::string>>>& right) {
  if (left.size() != right.size()) return false;
  for (size_t row = 0; row < left.size(); ++row) {
    if (left[row].size() != right[row].size()) return false;
    for (size_t cell = 0; cell < left[row].size(); ++cell) {
      if (!SameCell(left[row][cell], right[row][cell])) return false;
    }
  }
  return true;
}

std::vector<std::string> OptionChanges(const PlanNode& before, const PlanNode& after) {
  std::vector<std::string> keys;
  if (!before.table || !after.table) return keys;
  const auto& old_options = before.table->options;
  const auto& new_options = after.table->options;
  for (const auto& [key, value] : new_options) {
    auto found = old_options.find(key);
    if (found == old_options.end() || found->second != value) keys.push_back("'" + key + "'");
  }
  for (const auto& [key, value] : old_options) {
    if (!new_options.count(key)) keys.push_back("'" + key + "'");
  }
  if (!SameRows(before.table->inline_rows, after.table->inline_rows)) {
    keys.push_back("its VALUES rows");
  }
  return keys;
}

std::string JoinText(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

/// What a Kafka source's restored offsets mean under its new options: offsets are kept per
/// topic-partition, so another topic list drops or adds partitions, and the startup mode only
/// decides where a fresh start begins.
std::vector<std::string> KafkaSourceChanges(const PlanNode& before, const PlanNode& after) {
  std::vector<std::string> notes;
  if (!before.table || !after.table) return notes;
  auto option = [](const PlanNode& node, const std::string& key) {
    auto found = node.table->options.find(key);
    return found == node.table->options.end() ? std::string() : found->second;
  };
  auto connector = option(after, "connector");
  if (connector != "kafka" && connector != "upsert-kafka") return notes;
  if (option(before, "connector") != connector) return notes;
  auto topics = [&](const PlanNode& node) {
    std::set<std::string> names;
    std::string list = option(node, "topic");
    size_t start = 0;
    while (start <= list.size() && !list.empty()) {
      size_t end = list.find(';', start);
      if (end == std::string::npos) end = list.size();
      std::string name = list.substr(start, end - start);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) names.insert(name);
      start = end + 1;
    }
    return names;
  };
  std::set<std::string> old_topics = topics(before);
  std::set<std::string> new_topics = topics(after);
  std::vector<std::string> dropped, added;
  std::set_difference(old_topics.begin(), old_topics.end(), new_topics.begin(), new_topics.end(),
                      std::back_inserter(dropped));
  std::set_difference(new_topics.begin(), new_topics.end(), old_topics.begin(), old_topics.end(),
                      std::back_inserter(added));
  auto quoted = [](const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
    return out;
  };
  if (!dropped.empty()) {
    notes.push_back(
        fmt::format("restored offsets belong to other topics: the offsets of {} "
                    "(no longer read) are dropped",
                    quoted(dropped)));
  }
  if (!added.empty()) {
    notes.push_back(
        fmt::format("{} {} new: its partitions start from their earliest offset "
                    "('scan.startup.mode' applies only to a fresh start)",
                    quoted(added), added.size() == 1 ? "is" : "are"));
  }
  if (option(before, "topic-pattern") != option(after, "topic-pattern")) {
    notes.push_back(
        "'topic-pattern' changed: restored offsets of topics it no longer matches "
        "are dropped; partitions of newly matched topics start from their earliest "
        "offset");
  }
  if (option(before, "scan.startup.mode") != option(after, "scan.startup.mode") ||
      option(before, "scan.startup.specific-offsets") !=
          option(after, "scan.startup.specific-offsets") ||
      option(before, "scan.startup.timestamp-millis") !=
          option(after, "scan.startup.timestamp-millis")) {
    notes.push_back(
        "the startup mode changed: it applies only to a fresh start; the restored "
        "partitions continue from their offsets");
  }
  if (option(before, "properties.bootstrap.servers") !=
      option(after, "properties.bootstrap.servers")) {
    notes.push_back(
        "'properties.bootstrap.servers' changed: the restored offsets are positions "
        "in the old cluster's partitions, continued in the new cluster's");
  }
  return notes;
}

}  // namespace

bool Widens(const std::string& from, const std::string& to) {
  return runtime::plan::TypeWidens(from, to);
}

SnapshotContents ContentsOf(const runtime::state::SnapshotMetadata& metadata) {
  SnapshotContents contents;
  for (const auto& [uid, transactions] : metadata.pending_sink_transactions) {
    if (!transactions.empty()) contents.sinks_with_pending_output.insert(uid);
  }
  for (const auto& [uid, positions] : metadata.source_offsets) {
    if (!positions.empty()) contents.sources_with_positions.insert(uid);
  }
  return contents;
}

CompatReport CheckCompatibility(const runtime::state::Snapshot& snapshot, const PlanGraph& new_plan,
                                const std::set<std::string>& backfilled) {
  return CheckCompatibility(snapshot.metadata.plan, new_plan, ContentsOf(snapshot.metadata),
                            backfilled);
}

CompatReport CheckCompatibility(const PlanGraph& old_plan, const PlanGraph& new_plan,
                                const std::optional<SnapshotContents>& contents,
                                const std::set<std::string>& backfilled) {
  physical::Lineage old_lineage(old_plan), new_lineage(new_plan);
  std::map<std::string, Signed> before = Stateful(old_plan, &old_lineage);
  std::map<std::string, Signed> after = Stateful(new_plan, &new_lineage);
  CompatReport report;
  std::map<std::string, size_t> new_index;  // UID → index in report.operators
  for (const PlanNode& node : new_plan.nodes) {
    auto mine = after.find(node.uid);
    if (mine == after.end()) continue;
    OperatorVerdict verdict;
    verdict.uid = node.uid;
    verdict.kind = runtime::plan::OperatorKindName(node.kind);
    auto theirs = before.find(node.uid);
    if (theirs == before.end()) {
      verdict.verdict = Verdict::kNew;
      verdict.reason = NewReason(node);
    } else {
      Compare(theirs->second, mine->second, &verdict);
      const PlanNode& old_node = *theirs->second.node;
      bool kept_state =
          verdict.verdict == Verdict::kRestored || verdict.verdict == Verdict::kMigrated;
      if (kept_state && !node.state.empty() &&
          old_plan.max_parallelism != new_plan.max_parallelism) {
        // The restore deals every key into its key group under the new max parallelism
        // (operators::RestoreOperatorState); Flink cannot change it at all.
        std::string rebucketed = fmt::format(
            "pipeline.max-parallelism {} -> {}: its keys are dealt into the new key groups "
            "while restoring (each subtask reads all of this state once)",
            old_plan.max_parallelism, new_plan.max_parallelism);
        verdict.reason =
            verdict.verdict == Verdict::kRestored ? rebucketed : verdict.reason + "; " + rebucketed;
        verdict.verdict = Verdict::kMigrated;
      }
      bool connector = node.kind == OperatorKind::kSource || node.kind == OperatorKind::kSink;
      if (connector && old_node.kind == node.kind) {
        auto changed = OptionChanges(old_node, node);
        if (node.kind == OperatorKind::kSource) {
          for (std::string& note : KafkaSourceChanges(old_node, node)) {
            verdict.warnings.push_back(std::move(note));
          }
        }
        if (!changed.empty()) {
          verdict.warnings.push_back(fmt::format(
              "the {}'s connector options changed ({}): restored {} may not fit the "
              "new setting",
              node.kind == OperatorKind::kSource ? "source" : "sink", JoinText(changed, ", "),
              node.kind == OperatorKind::kSource ? "offsets" : "pending output"));
        }
      }
      bool kept = verdict.verdict == Verdict::kRestored || verdict.verdict == Verdict::kMigrated;
      // A sink's state is its pending output, which no predicate built: a filter changed
      // before it (a WHERE of a stateless query, a HAVING) changes only what it writes next.
      if (kept && node.kind != OperatorKind::kSource && node.kind != OperatorKind::kSink) {
        auto old_filters = old_lineage.UpstreamFilters(old_node.id);
        auto new_filters = new_lineage.UpstreamFilters(node.id);
        if (old_filters != new_filters) {
          std::vector<std::string> added, removed;
          std::set_difference(new_filters.begin(), new_filters.end(), old_filters.begin(),
                              old_filters.end(), std::back_inserter(added));
          std::set_difference(old_filters.begin(), old_filters.end(), new_filters.begin(),
                              new_filters.end(), std::back_inserter(removed));
          std::string change;
          if (!added.empty()) change += "added " + JoinText(added, " AND ");
          if (!removed.empty()) {
            change += (change.empty() ? "" : "; ") + ("removed " + JoinText(removed, " AND "));
          }
          verdict.warnings.push_back("a filter upstream changed (" + change +
                                     "): state was built under the old predicate");
        }
        // Grouping ids encode the absent columns, not a set's position: the groups of the sets
        // both queries list keep their state, whatever sets come and go.
        auto old_sets = old_lineage.UpstreamGroupingSets(old_node.id);
        auto new_sets = new_lineage.UpstreamGroupingSets(node.id);
        if (old_sets != new_sets) {
          verdict.warnings.push_back(
              fmt::format("the grouping sets changed ({} -> {}): the groups of the sets both "
                          "list keep their state, an added set's groups start empty (they "
                          "count rows from now on)",
                          JoinText(old_sets, "; "), JoinText(new_sets, "; ")));
        }
      }
    }
    new_index[node.uid] = report.operators.size();
    report.operators.push_back(std::move(verdict));
  }
  // An incompatible UID whose old state now matches another operator: the ordinals shifted
  // (a stateful operator was added before it in the same query).
  for (size_t index = 0; index < report.operators.size(); ++index) {
    if (report.operators[index].verdict != Verdict::kIncompatible) continue;
    OperatorVerdict& verdict = report.operators[index];
    const Signed& old_state = before.at(verdict.uid);
    for (const PlanNode& candidate : new_plan.nodes) {
      auto mine = after.find(candidate.uid);
      if (mine == after.end() || candidate.uid == verdict.uid ||
          candidate.kind != old_state.node->kind ||
          mine->second.signature.hash != old_state.signature.hash) {
        continue;
      }
      verdict.warnings.push_back(fmt::format(
          "the old state of '{}' matches '{}' (same state signature): the operators likely "
          "shifted",
          verdict.uid, candidate.uid));
      verdict.fix = fmt::format(
          "pin the old UID on the operator now called '{}' with /*+ UID('{}') */ (and give "
          "this one its own UID)",
          candidate.uid, verdict.uid);
      auto& moved = report.operators[new_index[candidate.uid]];
      if (moved.verdict == Verdict::kNew) {
        moved.warnings.push_back(fmt::format(
            "likely the operator that was '{}' (same state signature): pin the old UID with "
            "/*+ UID('{}') */ to keep its state",
            verdict.uid, verdict.uid));
      }
      break;
    }
  }
  for (const PlanNode& node : old_plan.nodes) {
    auto theirs = before.find(node.uid);
    if (theirs == before.end() || after.count(node.uid)) continue;
    OperatorVerdict verdict;
    verdict.uid = node.uid;
    verdict.kind = runtime::plan::OperatorKindName(node.kind);
    verdict.verdict = Verdict::kDropped;
    verdict.reason = "old state with no operator of this UID in the new job";
    verdict.fix = fmt::format("run with --allow-dropped-state to discard '{}'", node.uid);
    if (node.kind == OperatorKind::kSink) {
      // A sink's state is its pending output: pre-committed, committed by the next checkpoint.
      if (!contents) {
        verdict.reason +=
            "; its pending output is lost unless the old job was stopped with a savepoint";
        verdict.fix = fmt::format(
            "check against the old job's savepoint (`--against DIR`): a sink without pending "
            "output drops nothing; or run with --allow-dropped-state to discard '{}'",
            node.uid);
      } else if (contents->sinks_with_pending_output.count(node.uid) == 0) {
        verdict.holds_nothing = true;
        verdict.reason += "; the snapshot holds no pending output for it: nothing is lost";
        verdict.fix.clear();
      } else {
        verdict.reason += "; the snapshot holds pending output for it, which is lost";
        verdict.fix = fmt::format(
            "restore from a snapshot taken after its output was committed (stop the old job "
            "with a savepoint), or run with --allow-dropped-state to discard '{}'",
            node.uid);
      }
    }
    // The same state under another UID: most likely the operator moved (a renamed sink, an
    // operator added before it).
    if (node.kind != OperatorKind::kSource && node.kind != OperatorKind::kSink) {
      for (const PlanNode& candidate : new_plan.nodes) {
        auto mine = after.find(candidate.uid);
        if (mine == after.end() || before.count(candidate.uid)) continue;
        if (candidate.kind != node.kind ||
            mine->second.signature.hash != theirs->second.signature.hash) {
          continue;
        }
        verdict.warnings.push_back(
            fmt::format("likely moved to '{}' (same state signature)", candidate.uid));
        verdict.fix = fmt::format(
            "pin the old UID on the moved operator with /*+ UID('{}') */, or run with "
            "--allow-dropped-state to discard it",
            node.uid);
        auto& moved = report.operators[new_index[candidate.uid]];
        moved.warnings.push_back(fmt::format(
            "likely the operator that was '{}' (same state signature): pin the old UID with "
            "/*+ UID('{}') */ to keep its state",
            node.uid, node.uid));
        break;
      }
    }
    report.operators.push_back(std::move(verdict));
  }
  // Backfill: computed from the sources' history instead of the old state (or nothing).
  for (OperatorVerdict& verdict : report.operators) {
    auto node = std::find_if(new_plan.nodes.begin(), new_plan.nodes.end(),
                             [&](const PlanNode& n) { return n.uid == verdict.uid; });
    if (verdict.verdict == Verdict::kDropped || node == new_plan.nodes.end() ||
        node->kind == OperatorKind::kSource || node->kind == OperatorKind::kSink) {
      continue;
    }
    bool starts_empty = verdict.verdict == Verdict::kNew ||
                        verdict.verdict == Verdict::kIncompatible ||
                        (verdict.verdict == Verdict::kMigrated &&
                         (verdict.reason.find(" added: ") != std::string::npos ||
                          verdict.reason.find("it starts") != std::string::npos));
    const std::set<std::string>* positions = contents ? &contents->sources_with_positions : nullptr;
    std::optional<std::string> from = BackfillFrom(new_plan, verdict.uid, positions);
    if (backfilled.count(verdict.uid) && !from) {
      // The run refuses it (runtime::scheduler::ReplayPlan): say so where the verdict is.
      verdict.warnings.push_back(
          "--backfill cannot rebuild it: a source upstream cannot replay its history up to "
          "the snapshot (another connector, or no positions in the snapshot)");
      continue;
    }
    if (backfilled.count(verdict.uid)) {
      std::string was = verdict.verdict == Verdict::kRestored ? "" : verdict.reason;
      verdict.reason = fmt::format(
          "backfilled: computed {} up to the snapshot's positions, not taken from the old "
          "state{}",
          from->substr(from->find("from ")), was.empty() ? "" : " (which says: " + was + ")");
      if (verdict.verdict != Verdict::kNew) verdict.verdict = Verdict::kMigrated;
      verdict.fix.clear();
      verdict.warnings.clear();
      continue;
    }
    if (starts_empty && from) {
      verdict.backfill = fmt::format("{}: run with --backfill {}", *from, verdict.uid);
    }
  }
  for (const auto& verdict : report.operators) {
    if ((verdict.verdict == Verdict::kDropped && !verdict.holds_nothing) ||
        verdict.verdict == Verdict::kIncompatible) {
      report.compatible = false;
    }
  }
  return report;
}

std::string ReportText(const CompatReport& report) {
  size_t uid_width = 3, kind_width = 4;
  for (const auto& op : report.operators) {
    uid_width = std::max(uid_width, op.uid.size());
    kind_width = std::max(kind_width, op.kind.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<12}  {}\n", "UID", uid_width, "KIND",
                                kind_width, "VERDICT", "REASON");
  int dropped = 0, incompatible = 0, warnings = 0;
  for (const auto& op : report.operators) {
    out += fmt::format("{:<{}}  {:<{}}  {:<12}  {}", op.uid, uid_width, op.kind, kind_width,
                       VerdictName(op.verdict), op.reason);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
    std::string indent(uid_width + 2, ' ');
    for (const auto& warning : op.warnings) out += indent + "warning: " + warning + "\n";
    if (!op.fix.empty()) out += indent + "fix: " + op.fix + "\n";
    if (!op.backfill.empty()) out += indent + "backfill: " + op.backfill + "\n";
    dropped += op.verdict == Verdict::kDropped && !op.holds_nothing;
    incompatible += op.verdict == Verdict::kIncompatible;
    warnings += static_cast<int>(op.warnings.size());
  }
  if (report.compatible) {
    out += fmt::format("compatible: the new job can restore the old state ({} warning{})\n",
                       warnings, warnings == 1 ? "" : "s");
  } else {
    out += fmt::format("NOT compatible: {} incompatible, {} dropped\n", incompatible, dropped);
  }
  return out;
}

std::string ReportJson(const CompatReport& report) {
  nlohmann::ordered_json operators = nlohmann::ordered_json::array();
  for (const auto& op : report.operators) {
    operators.push_back({{"uid", op.uid},
                         {"kind", op.kind},
                         {"verdict", VerdictName(op.verdict)},
                         {"reason", op.reason},
                         {"fix", op.fix},
                         {"warnings", op.warnings},
                         {"backfill", op.backfill}});
  }
  nlohmann::ordered_json out = {{"compatible", report.compatible}, {"operators", operators}};
  return out.dump(2) + "\n";
}

}  // namespace sluice::compiler::check
