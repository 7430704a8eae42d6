#include "runtime/operators/aggregate/accumulator_migration.h"

#include <fmt/format.h>

#include <cstring>

#include "runtime/operators/aggregate/value_counts.h"
#include "runtime/operators/row_migration.h"

namespace sluice::runtime::operators::aggregate {

namespace {

using plan::AggregateKind;
using types::TypeId;
using Int128 = __int128;

constexpr size_t kSectionHeaderSize = 4;

template <typename T>
T Load(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

template <typename T>
void Store(char* bytes, T value) {
  std::memcpy(bytes, &value, sizeof(T));
}

base::Status Corrupt() {
  return base::Status::Error(base::ErrorCode::kData, "aggregate state is truncated or corrupt");
}

bool SameFunction(const plan::AggregateCall& a, const plan::AggregateCall& b) {
  auto family = [](AggregateKind kind) {
    return kind == AggregateKind::kCountStar ? AggregateKind::kCount : kind;
  };
  // A FILTER (WHERE …) only decides which rows reach the accumulator, not how it is stored:
  // a call whose filter was added, removed or changed continues its old state
  // (plan::MatchFields, the policy `sluice check` states).
  return family(a.kind) == family(b.kind) && a.distinct == b.distinct &&
         a.retractable == b.retractable && a.separator == b.separator && a.offset == b.offset;
}

const char* FunctionName(AggregateKind kind) {
  return AggregateFunctionName(kind);
}

/// Whether a value → count set's keys read the same under both layouts.
bool SameKeys(const CallLayout& from, const CallLayout& to, const plan::AggregateCall& old_call,
              const plan::AggregateCall& new_call) {
  if (from.string_values != to.string_values || from.double_values != to.double_values ||
      from.decimal_values != to.decimal_values) {
    return false;
  }
  return !from.decimal_values || old_call.argument_type.scale() == new_call.argument_type.scale();
}

}  // namespace

base::Result<std::unique_ptr<AccumulatorMigration>> AccumulatorMigration::Create(
    const std::vector<plan::AggregateCall>& old_calls,
    const std::vector<plan::AggregateCall>& new_calls, const std::vector<int32_t>& origins) {
  if (origins.size() != new_calls.size()) {
    return base::Status::Error(base::ErrorCode::kPlan,
                               fmt::format("{} accumulator origins for {} aggregate calls",
                                           origins.size(), new_calls.size()));
  }
  std::unique_ptr<AccumulatorMigration> migration(new AccumulatorMigration());
  migration->old_calls_ = old_calls;
  migration->new_calls_ = new_calls;
  migration->old_layout_ = LayOutAccumulators(old_calls);
  migration->new_layout_ = LayOutAccumulators(new_calls);
  SLUICE_RETURN_IF_ERROR(migration->old_layout_.unsupported);
  SLUICE_RETURN_IF_ERROR(migration->new_layout_.unsupported);
  migration->origins_ = origins;
  bool identity = old_calls.size() == new_calls.size();
  for (size_t call = 0; call < new_calls.size(); ++call) {
    int32_t origin = origins[call];
    if (origin < 0) {
      migration->steps_.push_back(Step::kFresh);
      identity = false;
      continue;
    }
    if (static_cast<size_t>(origin) >= old_calls.size()) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          fmt::format("aggregate call {} continues call {} of {}", call, origin, old_calls.size()));
    }
    const plan::AggregateCall& old_call = old_calls[origin];
    const plan::AggregateCall& new_call = new_calls[call];
    const CallLayout& from = migration->old_layout_.calls[origin];
    const CallLayout& to = migration->new_layout_.calls[call];
    auto refuse = [&](const char* why) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          fmt::format("aggregate call {} ({} over {}) cannot continue old call {} ({} over {}): {}",
                      call, FunctionName(new_call.kind), new_call.argument_type.ToString(), origin,
                      FunctionName(old_call.kind), old_call.argument_type.ToString(), why));
    };
    if (!SameFunction(old_call, new_call)) return refuse("another function");
    if (from.kind != AccumulatorKind::kCount &&
        !CanConvertValue(old_call.argument_type, new_call.argument_type)) {
      return refuse("the argument type does not widen");
    }
    // Wide DECIMAL values are kept in another encoding than narrow ones (16-byte keys and
    // list values), and their keys at their own scale: neither converts.
    bool keeps_values =
        to.kind != AccumulatorKind::kCount && to.kind != AccumulatorKind::kSumDecimal;
    if (keeps_values && (from.wide_decimal_argument != to.wide_decimal_argument ||
                         (to.wide_decimal_argument &&
                          old_call.argument_type.scale() != new_call.argument_type.scale()))) {
      return refuse("a DECIMAL of precision above 18 keeps its values in another encoding");
    }
    Step step = Step::kCopy;
    switch (to.kind) {
      case AccumulatorKind::kCount:
      case AccumulatorKind::kSumInteger:
      case AccumulatorKind::kSumDouble:
      case AccumulatorKind::kExtremeString:
        if (from.kind == AccumulatorKind::kSumInteger && to.kind == AccumulatorKind::kSumDouble) {
          step = Step::kSumToDouble;
        } else if (from.kind != to.kind) {
          return refuse("another accumulator layout");
        }
        break;
      case AccumulatorKind::kSumDecimal:
        if (from.kind != to.kind) return refuse("another accumulator layout");
        if (old_call.argument_type.scale() != new_call.argument_type.scale()) {
          step = Step::kRescaleSum;
        }
        break;
      case AccumulatorKind::kExtremeFixed:
        if (from.kind != to.kind) return refuse("another accumulator layout");
        if (!SameKeys(from, to, old_call, new_call)) step = Step::kConvertKey;
        break;
      case AccumulatorKind::kValueCounts:
        if (from.kind != to.kind) return refuse("another accumulator layout");
        if (!SameKeys(from, to, old_call, new_call)) step = Step::kRebuild;
        break;
      case AccumulatorKind::kMomentsExact:
      case AccumulatorKind::kMomentsDouble:
      case AccumulatorKind::kBoolCounts:
        if (from.kind != to.kind) return refuse("another accumulator layout");
        // An exact moment's unscaled values change with a DECIMAL's scale.
        if (from.decimal_values &&
            old_call.argument_type.scale() != new_call.argument_type.scale()) {
          return refuse("the DECIMAL scale changed");
        }
        break;
      case AccumulatorKind::kValueList:
      case AccumulatorKind::kLag:
        // The values are stored in their own type's encoding.
        if (from.kind != to.kind || old_call.argument_type.id() != new_call.argument_type.id() ||
            old_call.argument_type.scale() != new_call.argument_type.scale()) {
          return refuse("the values are kept in another type");
        }
        break;
    }
    if (step != Step::kCopy || origin != static_cast<int32_t>(call)) identity = false;
    migration->steps_.push_back(step);
  }
  migration->identity_ = identity;
  return migration;
}

bool AccumulatorMigration::ConvertKey(size_t new_call, int64_t in, int64_t* out) const {
  const plan::AggregateCall& old_call = old_calls_[origins_[new_call]];
  const plan::AggregateCall& new_call_spec = new_calls_[new_call];
  if (new_call_spec.argument_type.id() == TypeId::kDouble &&
      old_call.argument_type.id() != TypeId::kDouble) {
    *out = DoubleToKey(static_cast<double>(in));  // integer keys are plain int64 values
    return true;
  }
  return ConvertFixedValue(old_call.argument_type, new_call_spec.argument_type, in, out);
}

base::Status AccumulatorMigration::Convert(std::string_view old_accumulator,
                                           std::string* out) const {
  // The old sections, by section index.
  std::vector<std::string_view> old_sections;
  size_t at = old_layout_.fixed_size;
  if (old_accumulator.size() < at) return Corrupt();
  for (int32_t section = 0; section < old_layout_.section_count; ++section) {
    if (old_accumulator.size() - at < kSectionHeaderSize) return Corrupt();
    uint32_t length = Load<uint32_t>(old_accumulator.data() + at);
    at += kSectionHeaderSize;
    if (old_accumulator.size() - at < length) return Corrupt();
    old_sections.push_back(old_accumulator.substr(at, length));
    at += length;
  }
  if (at != old_accumulator.size()) return Corrupt();

  std::string fixed(new_layout_.fixed_size, '\0');
  std::vector<std::string> sections(new_layout_.section_count);
  std::memcpy(fixed.data(), old_accumulator.data(), 8);  // the row count
  for (size_t call = 0; call < new_calls_.size(); ++call) {
    if (steps_[call] == Step::kFresh) continue;  // zeroes: a fresh accumulator
    const CallLayout& from = old_layout_.calls[origins_[call]];
    const CallLayout& to = new_layout_.calls[call];
    const char* old_slot = old_accumulator.data() + from.fixed_offset;
    char* slot = fixed.data() + to.fixed_offset;
    std::memcpy(slot, old_slot, FixedSlotSize(to.kind));
    std::string_view old_payload =
        from.section_index >= 0 ? old_sections[from.section_index] : std::string_view();
    if (to.section_index >= 0) sections[to.section_index] = std::string(old_payload);
    switch (steps_[call]) {
      case Step::kFresh:
      case Step::kCopy: break;
      case Step::kSumToDouble:
        Store<double>(slot, static_cast<double>(Load<int64_t>(old_slot)));
        break;
      case Step::kRescaleSum: {
        Int128 sum = Load<Int128>(old_slot);
        const auto& from_type = old_calls_[origins_[call]].argument_type;
        const auto& to_type = new_calls_[call].argument_type;
        for (int32_t scale = from_type.scale(); scale < to_type.scale(); ++scale) sum *= 10;
        Store<Int128>(slot, sum);
        break;
      }
      case Step::kConvertKey: {
        int64_t key = 0;
        if (slot[0] != 0 && !ConvertKey(call, Load<int64_t>(old_slot + 1), &key)) {
          return base::Status::Error(base::ErrorCode::kData,
                                     "a MIN/MAX value does not fit its widened type");
        }
        Store<int64_t>(slot + 1, key);
        break;
      }
      case Step::kRebuild: {
        ValueCounts counts(from.string_values);
        if (!counts.Valid(old_payload)) return Corrupt();
        std::string rebuilt(kSectionHeaderSize, '\0');
        bool fits = true;
        counts.ForEach(old_payload, [&](const ValueKey& value, int64_t count) {
          ValueKey key;
          if (!fits || !ConvertKey(call, value.fixed, &key.fixed)) {
            fits = false;
            return;
          }
          fits = ValueCounts(to.string_values).Add(&rebuilt, 0, key, count);
        });
        if (!fits) {
          return base::Status::Error(base::ErrorCode::kData,
                                     "a DISTINCT value does not fit its widened type");
        }
        sections[to.section_index] = rebuilt.substr(kSectionHeaderSize);
        break;
      }
    }
  }
  out->assign(fixed);
  for (const std::string& payload : sections) {
    char header[kSectionHeaderSize];
    Store<uint32_t>(header, static_cast<uint32_t>(payload.size()));
    out->append(header, kSectionHeaderSize);
    out->append(payload);
  }
  return base::Status::Ok();
}

namespace {

class AccumulatorValues : public RecordMigration {
 public:
  explicit AccumulatorValues(std::unique_ptr<AccumulatorMigration> accumulators)
      : accumulators_(std::move(accumulators)) {}
  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    return accumulators_->Convert(value, new_value);
  }

 private:
  std::unique_ptr<AccumulatorMigration> accumulators_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateAccumulatorValues(
    std::unique_ptr<AccumulatorMigration> accumulators) {
  return std::make_unique<AccumulatorValues>(std::move(accumulators));
}

}  // namespace sluice::runtime::operators::aggregate
