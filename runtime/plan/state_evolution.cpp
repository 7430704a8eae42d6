#include "runtime/plan/state_evolution.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace sluice::runtime::plan {

namespace {

/// `DECIMAL(10, 2)` → {10, 2}; `VARCHAR(5)` → {5, 0}; `BIGINT` → nullopt.
std::optional<std::pair<int, int>> Parameters(const std::string& type) {
  size_t open = type.find('(');
  if (open == std::string::npos) return std::nullopt;
  int first = 0, second = 0;
  if (std::sscanf(type.c_str() + open, "(%d, %d)", &first, &second) >= 1) {
    return std::pair{first, second};
  }
  return std::nullopt;
}

std::string BaseType(const std::string& type) {
  return type.substr(0, type.find('('));
}

std::string FieldsText(const SignatureComponent& component) {
  std::string out = "[";
  for (size_t i = 0; i < component.fields.size(); ++i) {
    out += (i ? ", " : "") + component.fields[i].name;
  }
  return out + "]";
}

const SignatureComponent* Find(const StateSignature& signature, const std::string& name) {
  for (const auto& component : signature.components) {
    if (component.name == name) return &component;
  }
  return nullptr;
}

base::Status PlanError(std::string message) {
  return base::Status::Error(base::ErrorCode::kPlan, std::move(message));
}

}  // namespace

bool TypeWidens(const std::string& from, const std::string& to) {
  if (from == to) return true;
  std::string a = BaseType(from), b = BaseType(to);
  if (a == "INT" && (b == "BIGINT" || b == "DOUBLE")) return true;
  if (a == "BIGINT" && b == "DOUBLE") return true;
  auto p = Parameters(from), q = Parameters(to);
  if (a == "VARCHAR" && b == "VARCHAR") return !q || (p && q->first >= p->first);
  if (a == "DECIMAL" && b == "DECIMAL" && p && q) {
    return q->second >= p->second && q->first - q->second >= p->first - p->second;
  }
  return false;
}

base::Result<FieldEvolution> MatchFields(const SignatureComponent& before,
                                         const SignatureComponent& after) {
  FieldEvolution evolution;
  std::vector<bool> used(before.fields.size(), false);
  std::vector<int32_t> positions;
  for (const SignatureField& field : after.fields) {
    int32_t match = -1;
    for (size_t i = 0; i < before.fields.size() && match < 0; ++i) {
      if (!used[i] && before.fields[i].name == field.name) match = static_cast<int32_t>(i);
    }
    evolution.origins.push_back(match);
    evolution.widened.push_back(false);
    if (match < 0) continue;
    used[match] = true;
    positions.push_back(match);
    const std::string& old_type = before.fields[match].type;
    if (old_type == field.type) continue;
    if (!TypeWidens(old_type, field.type)) {
      return PlanError(
          fmt::format("{} changed type from {} to {}, which cannot hold the old values", field.name,
                      old_type, field.type));
    }
    evolution.widened.back() = true;
  }
  for (size_t i = 0; i < before.fields.size(); ++i) {
    if (!used[i]) evolution.removed.push_back(static_cast<int32_t>(i));
  }
  evolution.reordered = !std::is_sorted(positions.begin(), positions.end());
  return evolution;
}

base::Result<std::map<std::string, FieldEvolution>> EvolveSignature(const StateSignature& before,
                                                                    const StateSignature& after) {
  std::map<std::string, FieldEvolution> evolutions;
  for (const auto& component : after.components) {
    if (!Find(before, component.name)) {
      return PlanError(fmt::format("the state gains a {}", component.name));
    }
  }
  for (const auto& old_component : before.components) {
    const SignatureComponent* new_component = Find(after, old_component.name);
    if (new_component == nullptr) {
      return PlanError(fmt::format("the state no longer has a {}", old_component.name));
    }
    if (!old_component.evolvable || !new_component->evolvable) {
      if (old_component == *new_component) continue;
      return PlanError(fmt::format("{} changed: {} -> {}", old_component.name,
                                   FieldsText(old_component), FieldsText(*new_component)));
    }
    SLUICE_ASSIGN_OR_RETURN(evolutions[old_component.name],
                            MatchFields(old_component, *new_component));
  }
  return evolutions;
}

}  // namespace sluice::runtime::plan
