#include "runtime/plan/state_evolution.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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

/// Calls `visit(i, depth)` for each character of text[from, to) outside '…' literals, `depth`
/// being the parenthesis depth before it (counted from `from`); stops when it returns false.
template <typename Visit>
void Scan(const std::string& text, size_t from, size_t to, Visit visit) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = from; i < to; ++i) {
    char c = text[i];
    if (quoted || c == '\'') {
      quoted = quoted ? c != '\'' : true;
      continue;
    }
    if (!visit(i, depth)) return;
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
  }
}

/// The index of the parenthesis closing the one at `open`, skipping '…' literals; npos when
/// there is none.
size_t Closing(const std::string& text, size_t open) {
  size_t closing = std::string::npos;
  Scan(text, open, text.size(), [&](size_t i, int depth) {
    if (text[i] == ')' && depth == 1) closing = i;
    return closing == std::string::npos;
  });
  return closing;
}

bool IdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

/// `text` with every `CAST(x AS T)` replaced by `x` (nested ones too).
std::string WithoutCasts(std::string text) {
  size_t from = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    size_t at = text.find("CAST(", from);
    if (at == std::string::npos) break;
    if (at > 0 && IdentifierChar(text[at - 1])) {  // TRY_CAST, a column named …CAST
      from = at + 1;
      continue;
    }
    size_t open = at + 4, close = Closing(text, open);
    if (close == std::string::npos) break;
    // The last " AS " at the CAST's own depth.
    size_t as = std::string::npos;
    Scan(text, open + 1, close, [&](size_t i, int depth) {
      if (depth == 0 && text.compare(i, 4, " AS ") == 0) as = i;
      return true;
    });
    if (as == std::string::npos) {
      from = at + 1;
      continue;
    }
    text = text.substr(0, at) + text.substr(open + 1, as - open - 1) + text.substr(close + 1);
    from = at;
  }
  return text;
}

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Bounds(const IntervalJoinSpec& bounds) {
  return fmt::format("[{}, {}] ms", bounds.lower, bounds.upper);
}

}  // namespace

std::string FilterClause(const std::string& name) {
  size_t at = name.find(" FILTER (WHERE ");
  if (at == std::string::npos) return "";
  size_t close = Closing(name, at + 8);
  if (close == std::string::npos) return "";
  return name.substr(at + 1, close - at);
}

std::string BaseFieldName(const std::string& name) {
  std::string base = name;
  std::string filter = FilterClause(base);
  if (!filter.empty()) base = Replaced(base, " " + filter, "");
  return WithoutCasts(base);
}

bool TypeWidens(const std::string& from, const std::string& to) {
  if (from == to) return true;
  std::string a = BaseType(from), b = BaseType(to);
  // Integers widen to a wider integer (TINYINT → SMALLINT → INT → BIGINT, the same int32
  // storage up to INT) or to a DOUBLE; TINYINT and SMALLINT also to a FLOAT (which holds them
  // exactly), a FLOAT to a DOUBLE (the same storage).
  auto integer_rank = [](const std::string& type) {
    return type == "TINYINT"    ? 1
           : type == "SMALLINT" ? 2
           : type == "INT"      ? 3
           : type == "BIGINT"   ? 4
                                : 0;
  };
  if (integer_rank(a) > 0 && integer_rank(b) >= integer_rank(a)) return true;
  if (integer_rank(a) > 0 && b == "DOUBLE") return true;
  if (integer_rank(a) > 0 && integer_rank(a) <= 2 && b == "FLOAT") return true;
  if (a == "FLOAT" && b == "DOUBLE") return true;
  // The values an accumulator keeps of a DECIMAL above precision 18 (compiler/physical/
  // state_signature.cpp marks them) are 16-byte keys at their scale: they carry over only at
  // the same scale, and values kept as 8 bytes do not turn into them.
  size_t from_kept = from.find(" keeping "), to_kept = to.find(" keeping ");
  bool from_wide = from.find(" as 128-bit values") != std::string::npos;
  bool to_wide = to.find(" as 128-bit values") != std::string::npos;
  if (from_wide != to_wide) return false;
  if (from_wide) {
    auto kept_from = Parameters(from.substr(from_kept)), kept_to = Parameters(to.substr(to_kept));
    if (!kept_from || !kept_to || kept_from->second != kept_to->second) return false;
  }
  auto p = Parameters(from), q = Parameters(to);
  if (a == "VARCHAR" && b == "VARCHAR") return !q || (p && q->first >= p->first);
  if (a == "DECIMAL" && b == "DECIMAL" && p && q) {
    // A DECIMAL above precision 18 written before 128-bit decimals (no " as 128-bit" mark) was
    // kept as 8 bytes: it cannot be read as the 16 bytes such a type has now.
    bool old_narrow_encoding = p->first > 18 && from.find(" as 128-bit") == std::string::npos;
    if (old_narrow_encoding) return false;
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
  // Fields left over: the same value under a widening CAST, or a call with another FILTER.
  evolution.renamed.assign(after.fields.size(), false);
  for (size_t field = 0; field < after.fields.size(); ++field) {
    if (evolution.origins[field] >= 0) continue;
    const SignatureField& wanted = after.fields[field];
    std::string base = BaseFieldName(wanted.name);
    for (size_t i = 0; i < before.fields.size(); ++i) {
      if (used[i] || BaseFieldName(before.fields[i].name) != base ||
          !TypeWidens(before.fields[i].type, wanted.type)) {
        continue;
      }
      used[i] = true;
      evolution.origins[field] = static_cast<int32_t>(i);
      evolution.renamed[field] = true;
      evolution.widened[field] = before.fields[i].type != wanted.type;
      break;
    }
  }
  positions.clear();
  for (int32_t origin : evolution.origins) {
    if (origin >= 0) positions.push_back(origin);
  }
  for (size_t i = 0; i < before.fields.size(); ++i) {
    if (!used[i]) evolution.removed.push_back(static_cast<int32_t>(i));
  }
  evolution.reordered = !std::is_sorted(positions.begin(), positions.end());
  return evolution;
}

std::optional<CarriedChange> CarryChange(const SignatureComponent& before_component,
                                         const SignatureComponent& after_component,
                                         const PlanNode& before, const PlanNode& after) {
  if (before.kind != after.kind || before_component.name != after_component.name ||
      before_component.fields.size() != 1 || after_component.fields.size() != 1) {
    return std::nullopt;
  }
  const std::string& name = before_component.name;
  const std::string& old_text = before_component.fields[0].name;
  const std::string& new_text = after_component.fields[0].name;
  CarriedChange change;
  change.component = name;
  if (name == "row expiry" && before.kind == OperatorKind::kJoin && before.join && after.join) {
    int64_t old_ttl = before.join->state_ttl, new_ttl = after.join->state_ttl;
    if ((old_ttl > 0) == (new_ttl > 0)) return std::nullopt;
    if (new_ttl > 0) {
      change.reason = fmt::format(
          "state TTL switched on ({} ms): every kept row counts as last touched at the restore, "
          "so rows not touched again expire {} ms after it",
          new_ttl, new_ttl);
    } else {
      change.reason =
          "state TTL switched off: kept rows drop their last-touched time and are kept for good, "
          "as every row is without a TTL";
    }
    return change;
  }
  if (name == "join type" && before.kind == OperatorKind::kWindowJoin && before.join &&
      after.join) {
    // A window join buffers the same rows for every join type (NULL keys included) and finds
    // a row's matches only when its window ends: the open windows' rows serve the new type.
    change.migrated = false;
    change.reason = fmt::format(
        "join type {} -> {}: a window join keeps the same rows for every join type; the "
        "windows that end after the restore are joined as {}",
        old_text, new_text, new_text);
    return change;
  }
  if (name == "interval" && before.kind == OperatorKind::kIntervalJoin && before.interval_join &&
      after.interval_join) {
    const IntervalJoinSpec& from = *before.interval_join;
    const IntervalJoinSpec& to = *after.interval_join;
    // The same time attributes: only the numbers differ.
    std::string expected = old_text;
    std::string upper_from = fmt::format(" + {} ms", from.upper);
    if (expected.size() < upper_from.size() ||
        expected.compare(expected.size() - upper_from.size(), upper_from.size(), upper_from) != 0) {
      return std::nullopt;
    }
    expected =
        expected.substr(0, expected.size() - upper_from.size()) + fmt::format(" + {} ms", to.upper);
    expected = Replaced(expected, fmt::format(" + {} ms AND ", from.lower),
                        fmt::format(" + {} ms AND ", to.lower));
    if (expected != new_text) return std::nullopt;
    int64_t wider = std::max<int64_t>({to.upper - from.upper, from.lower - to.lower, 0});
    if (wider == 0) {
      change.migrated = false;
      change.reason = fmt::format(
          "interval bounds narrowed from {} to {}: the kept rows are a superset of what the new "
          "bounds need; they expire sooner",
          Bounds(from), Bounds(to));
      return change;
    }
    change.reason =
        fmt::format("interval bounds widened from {} to {}: the kept rows are used as they are",
                    Bounds(from), Bounds(to));
    change.warning = fmt::format(
        "rows that expired under the old bounds before the restore are gone: matches with them "
        "are missed until the watermark is {} ms past the restore point",
        wider);
    return change;
  }
  if (name == "window" && before.kind == OperatorKind::kWindowAggregate && before.aggregate &&
      after.aggregate && before.aggregate->window && after.aggregate->window) {
    const WindowSpec& from = *before.aggregate->window;
    const WindowSpec& to = *after.aggregate->window;
    if (from.kind != WindowKind::kSession || to.kind != WindowKind::kSession ||
        from.processing_time != to.processing_time || from.offset != to.offset ||
        from.gap == to.gap) {
      return std::nullopt;
    }
    std::string expected = Replaced(old_text, fmt::format(", gap {} ms", from.gap),
                                    fmt::format(", gap {} ms", to.gap));
    if (expected != new_text) return std::nullopt;
    int64_t delta = to.gap - from.gap;
    if (delta > 0) {
      change.reason = fmt::format(
          "SESSION gap {} ms -> {} ms: open sessions end {} ms later; open sessions of a key "
          "that the new gap joins are merged at the restore",
          from.gap, to.gap, delta);
      change.warning =
          "sessions that ended before the restore stay as they were written: a row within the "
          "new gap of one starts a new session";
    } else {
      change.reason = fmt::format("SESSION gap {} ms -> {} ms: open sessions end {} ms sooner",
                                  from.gap, to.gap, -delta);
      change.warning =
          "an open session is not split: rows in it that are further apart than the new gap "
          "stay in one session";
    }
    return change;
  }
  if ((name == "limit" || name == "rank function") && before.kind == OperatorKind::kWindowRank &&
      before.top_n && after.top_n) {
    // A window Top-N keeps every row of its open windows and ranks them when they end.
    change.migrated = false;
    change.reason = fmt::format(
        "{} {} -> {}: the open windows' rows are kept whole and ranked "
        "the new way when they end",
        name == "limit" ? "N" : "rank function", old_text, new_text);
    return change;
  }
  if (name == "limit" && before.kind == OperatorKind::kTopN && before.top_n && after.top_n) {
    int64_t from = before.top_n->limit, to = after.top_n->limit;
    if (from == to) return std::nullopt;
    if (before.top_n->keep_first_only && after.top_n->keep_first_only) {
      // Only a count of the rows written is kept per partition: it goes on to the new N.
      change.migrated = false;
      change.reason =
          fmt::format("N {} -> {}: each partition's count of rows written is kept; {}", from, to,
                      to > from ? "a partition writes new rows until it has written the new N"
                                : "a partition that has written the new N writes no more");
      return change;
    }
    if (before.top_n->keep_first_only || after.top_n->keep_first_only) return std::nullopt;
    if (to > from) {
      change.reason = fmt::format("N {} -> {}: the kept rows are used as they are", from, to);
      change.warning = fmt::format(
          "a partition shows at most its old top {} until new rows fill or reorder it: rows "
          "that ranked past {} before the restore were either not kept (insert-only input) or "
          "not written, and are not written now",
          from, from);
    } else {
      change.reason = fmt::format(
          "N {} -> {}: rows past rank {} are dropped as their partition is touched (an "
          "updating input keeps them for its retractions)",
          from, to, to);
      change.warning = fmt::format(
          "rows already written at ranks {} to {} are not retracted: they stay in the output",
          to + 1, from);
    }
    return change;
  }
  return std::nullopt;
}

base::Result<StateEvolution> EvolveState(const PlanNode& before, const StateSignature& before_sig,
                                         const PlanNode& after, const StateSignature& after_sig) {
  StateEvolution evolution;
  for (const auto& component : after_sig.components) {
    if (!Find(before_sig, component.name)) {
      return PlanError(fmt::format("the state gains a {}", component.name));
    }
  }
  for (const auto& old_component : before_sig.components) {
    const SignatureComponent* new_component = Find(after_sig, old_component.name);
    if (new_component == nullptr) {
      return PlanError(fmt::format("the state no longer has a {}", old_component.name));
    }
    if (!old_component.evolvable || !new_component->evolvable) {
      if (old_component == *new_component) continue;
      auto carried = CarryChange(old_component, *new_component, before, after);
      if (!carried) {
        return PlanError(fmt::format("{} changed: {} -> {}", old_component.name,
                                     FieldsText(old_component), FieldsText(*new_component)));
      }
      evolution.carried.push_back(std::move(*carried));
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(evolution.fields[old_component.name],
                            MatchFields(old_component, *new_component));
  }
  return evolution;
}

}  // namespace sluice::runtime::plan
