#include "runtime/operators/aggregate/aggregator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/operators/aggregate/decimal_sum.h"
#include "runtime/operators/aggregate/moments.h"
#include "runtime/operators/aggregate/slot_bytes.h"
#include "runtime/operators/aggregate/value_counts.h"
#include "runtime/operators/aggregate/value_list.h"

namespace sluice::runtime::operators::aggregate {

namespace {

using plan::AggregateKind;
using types::TypeId;
using Int128 = __int128;

constexpr size_t kRowCountSize = 8;
constexpr size_t kSectionHeaderSize = 4;

double KeyToDouble(int64_t key) {
  auto bits = static_cast<uint64_t>(key ^ ((key >> 63) & std::numeric_limits<int64_t>::max()));
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Reads a non-NULL fixed-width argument as an integer (BOOLEAN 0/1, INT widened).
int64_t LoadInteger(const Column& column, int32_t row, TypeId type) {
  switch (type) {
    case TypeId::kBoolean: return column.values<uint8_t>()[row] != 0 ? 1 : 0;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: return column.values<int32_t>()[row];
    case TypeId::kNull: return 0;
    default: return column.values<int64_t>()[row];
  }
}

// A wide DECIMAL's key is EncodeWideKey's bytes, written to `wide_bytes`, which `key.text`
// then views.
ValueKey LoadKey(const Column& column, int32_t row, const CallLayout& layout,
                 char (&wide_bytes)[kWideKeySize]) {
  ValueKey key;
  if (layout.wide_decimal_argument) {
    EncodeWideKey(column.DecimalAt(row), wide_bytes);
    key.text = std::string_view(wide_bytes, kWideKeySize);
  } else if (layout.string_values) {
    key.text = column.values<StringRef>()[row].view();
  } else if (layout.double_values) {
    key.fixed = DoubleToKey(column.values<double>()[row]);
  } else {
    key.fixed = LoadInteger(column, row, layout.argument_type);
  }
  return key;
}

void WriteNull(Column* column, int32_t row) {
  column->validity()[row] = 0;
  int32_t width = column->type().PhysicalWidth();
  if (width > 0) std::memset(column->data() + static_cast<size_t>(row) * width, 0, width);
}

void WriteInteger(Column* column, int32_t row, int64_t value) {
  switch (column->type().id()) {
    case TypeId::kBoolean: column->values<uint8_t>()[row] = value != 0 ? 1 : 0; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime:
      column->values<int32_t>()[row] = static_cast<int32_t>(static_cast<uint32_t>(value));
      break;
    case TypeId::kDouble: column->values<double>()[row] = static_cast<double>(value); break;
    case TypeId::kDecimal: column->SetDecimal(row, value); break;
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kInterval: column->values<int64_t>()[row] = value; break;
    case TypeId::kNull:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar:
    case TypeId::kRow: WriteNull(column, row); return;
  }
  column->validity()[row] = 1;
}

void WriteDouble(Column* column, int32_t row, double value) {
  if (column->type().id() == TypeId::kDouble) {
    column->values<double>()[row] = value;
    column->validity()[row] = 1;
    return;
  }
  // Only reachable with a result type the planner would not choose; convert as a CAST does.
  if (std::isnan(value) || value < -9.2233720368547758e18 || value >= 9.2233720368547758e18) {
    WriteNull(column, row);
    return;
  }
  WriteInteger(column, row, static_cast<int64_t>(value));
}

void WriteString(Batch* out, Column* column, int32_t row, std::string_view value) {
  if (!column->type().IsStringStored()) {
    WriteNull(column, row);
    return;
  }
  column->values<StringRef>()[row] = out->arena().Copy(value);
  column->validity()[row] = 1;
}

// Writes a wide DECIMAL key (EncodeWideKey's bytes); NULL when the column is no DECIMAL.
void WriteWideKey(Column* column, int32_t row, std::string_view bytes) {
  if (column->type().id() != TypeId::kDecimal || bytes.size() != kWideKeySize) {
    WriteNull(column, row);
    return;
  }
  column->SetDecimal(row, DecodeWideKey(bytes));
  column->validity()[row] = 1;
}

void WriteKey(Batch* out, Column* column, int32_t row, const ValueKey& key,
              const CallLayout& layout) {
  if (layout.wide_decimal_argument) {
    WriteWideKey(column, row, key.text);
  } else if (layout.string_values) {
    WriteString(out, column, row, key.text);
  } else if (layout.double_values) {
    WriteDouble(column, row, KeyToDouble(key.fixed));
  } else {
    WriteInteger(column, row, key.fixed);
  }
}

/// Writes a SUM of unscaled values at `scale`, or their AVG over `count` rows (rounded half
/// up), in the column's DECIMAL type; NULL when it does not fit (Flink's overflow).
void WriteDecimal(Column* column, int32_t row, Int128 sum, int32_t scale, int64_t count = 1) {
  const types::LogicalType& type = column->type();
  Int128 result = 0;
  if (type.id() != TypeId::kDecimal ||
      sluice_decimal_divide(sum, scale, count, 0, type.precision(), type.scale(), &result) == 0) {
    WriteNull(column, row);
    return;
  }
  column->SetDecimal(row, result);
  column->validity()[row] = 1;
}

// Writes a ValueList value (see value_list.h) of the column's type; NULL when absent.
void WriteListValue(Batch* out, Column* column, int32_t row, bool present, std::string_view value) {
  if (!present) {
    WriteNull(column, row);
  } else if (column->type().IsStringStored()) {
    WriteString(out, column, row, value);
  } else if (column->type().id() == TypeId::kDecimal) {
    // 8 bytes for DECIMAL(p <= 18), 16 above: a state written before a widening reads on.
    column->SetDecimal(row, ValueList::DecimalValue(value));
    column->validity()[row] = 1;
  } else if (column->type().id() == TypeId::kDouble) {
    int64_t bits = ValueList::FixedValue(value);
    double number;
    std::memcpy(&number, &bits, sizeof(number));
    WriteDouble(column, row, number);
  } else {
    WriteInteger(column, row, ValueList::FixedValue(value));
  }
}

// Replaces the payload of the section whose length prefix is at `section`.
void ReplacePayload(std::string* accumulator, size_t section, std::string_view payload) {
  uint32_t length = Load<uint32_t>(accumulator->data() + section);
  accumulator->replace(section + kSectionHeaderSize, length, payload.data(), payload.size());
  Store<uint32_t>(accumulator->data() + section, static_cast<uint32_t>(payload.size()));
}

int64_t WrappingAdd(int64_t left, int64_t right) {
  return static_cast<int64_t>(static_cast<uint64_t>(left) + static_cast<uint64_t>(right));
}

int64_t WrappingSubtract(int64_t left, int64_t right) {
  return static_cast<int64_t>(static_cast<uint64_t>(left) - static_cast<uint64_t>(right));
}

}  // namespace

base::Status Aggregator::Corrupt() {
  return base::Status::Error(base::ErrorCode::kData, "aggregate state is truncated or corrupt");
}

base::Status Aggregator::RetractedExtreme() {
  return base::Status::Error(base::ErrorCode::kInternal,
                             "a retraction reached a MIN/MAX that was not planned as retractable");
}

Aggregator::Aggregator(std::vector<plan::AggregateCall> calls) : calls_(std::move(calls)) {
  AccumulatorLayout layout = LayOutAccumulators(calls_);
  layouts_ = std::move(layout.calls);
  fixed_size_ = layout.fixed_size;
  section_count_ = layout.section_count;
  has_non_retractable_extreme_ = layout.has_non_retractable_extreme;
  unsupported_ = std::move(layout.unsupported);
  initial_.assign(fixed_size_ + kSectionHeaderSize * section_count_, '\0');
}

std::string Aggregator::Initial() const {
  return initial_;
}

int64_t Aggregator::RowCount(std::string_view accumulator) const {
  if (accumulator.size() < kRowCountSize) return 0;
  return Load<int64_t>(accumulator.data());
}

bool Aggregator::FindSection(std::string_view accumulator, int32_t index, size_t* position) const {
  size_t at = fixed_size_;
  for (int32_t current = 0;; ++current) {
    if (accumulator.size() < at || accumulator.size() - at < kSectionHeaderSize) return false;
    uint32_t length = Load<uint32_t>(accumulator.data() + at);
    if (accumulator.size() - at - kSectionHeaderSize < length) return false;
    if (current == index) {
      *position = at;
      return true;
    }
    at += kSectionHeaderSize + length;
  }
}

bool Aggregator::Valid(std::string_view accumulator) const {
  if (accumulator.size() < fixed_size_) return false;
  size_t at = fixed_size_;
  for (const CallLayout& layout : layouts_) {
    if (layout.section_index < 0) continue;
    if (accumulator.size() - at < kSectionHeaderSize) return false;
    uint32_t length = Load<uint32_t>(accumulator.data() + at);
    at += kSectionHeaderSize;
    if (accumulator.size() - at < length) return false;
    if (layout.kind == AccumulatorKind::kValueCounts &&
        !ValueCounts(layout.string_values).Valid(accumulator.substr(at, length))) {
      return false;
    }
    if ((layout.kind == AccumulatorKind::kValueList || layout.kind == AccumulatorKind::kLag) &&
        !ValueList::Valid(accumulator.substr(at, length))) {
      return false;
    }
    at += length;
  }
  return at == accumulator.size();
}

base::Status Aggregator::Accumulate(std::string* accumulator, const Batch& input, int32_t row,
                                    bool retract) const {
  if (!unsupported_.ok()) return unsupported_;
  if (accumulator->size() < fixed_size_) return Corrupt();
  if (retract && has_non_retractable_extreme_) return RetractedExtreme();
  return AccumulateChecked(accumulator, input, row, retract, /*interpreted_only=*/false);
}

base::Status Aggregator::AccumulateChecked(std::string* accumulator, const Batch& input,
                                           int32_t row, bool retract, bool interpreted_only) const {
  int64_t delta = retract ? -1 : 1;
  if (!interpreted_only) {
    int64_t rows = Load<int64_t>(accumulator->data());
    if (!retract || rows > 0) Store<int64_t>(accumulator->data(), rows + delta);
  }

  for (size_t call = 0; call < layouts_.size(); ++call) {
    const CallLayout& layout = layouts_[call];
    if (interpreted_only && !Interpreted(call)) continue;
    if (layout.kind == AccumulatorKind::kLag) {
      // LAG sees every row, NULLs too, and ignores the rows that leave a bounded frame.
      if (retract) continue;
      SLUICE_RETURN_IF_ERROR(AccumulateLag(accumulator, call, input, row));
      continue;
    }
    if (layout.filter_slot >= 0) {
      const Column& filter = input.column(static_cast<size_t>(layout.filter_slot));
      if (filter.IsNull(row) || filter.values<uint8_t>()[row] == 0) continue;
    }
    const Column* argument = nullptr;
    if (layout.argument_slot >= 0) {
      argument = &input.column(static_cast<size_t>(layout.argument_slot));
      if (argument->IsNull(row)) continue;
    }
    // Re-read after every call: a section edit may reallocate the string.
    char* slot = accumulator->data() + layout.fixed_offset;
    switch (layout.kind) {
      case AccumulatorKind::kCount: {
        int64_t count = Load<int64_t>(slot);
        if (retract && count <= 0) break;
        Store<int64_t>(slot, count + delta);
        break;
      }
      case AccumulatorKind::kSumInteger: {
        int64_t count = Load<int64_t>(slot + 8);
        if (retract && count <= 0) break;
        int64_t value = LoadInteger(*argument, row, layout.argument_type);
        int64_t sum = Load<int64_t>(slot);
        Store<int64_t>(slot, retract ? WrappingSubtract(sum, value) : WrappingAdd(sum, value));
        Store<int64_t>(slot + 8, count + delta);
        break;
      }
      case AccumulatorKind::kSumDecimal: {
        int64_t count = Load<int64_t>(slot + 16);
        if (retract && count <= 0) break;
        Int128 value = argument->DecimalAt(row);
        Int128 sum = Load<Int128>(slot);
        Store<Int128>(slot, AddToDecimalSum(sum, value, retract));
        Store<int64_t>(slot + 16, count + delta);
        break;
      }
      case AccumulatorKind::kSumDouble: {
        int64_t count = Load<int64_t>(slot + 8);
        if (retract && count <= 0) break;
        double value = argument->values<double>()[row];
        double sum = Load<double>(slot);
        Store<double>(slot, CanonicalNaN(retract ? sum - value : sum + value));
        Store<int64_t>(slot + 8, count + delta);
        break;
      }
      case AccumulatorKind::kExtremeFixed: {
        char wide_bytes[kWideKeySize];
        int64_t key = LoadKey(*argument, row, layout, wide_bytes).fixed;
        bool has_value = slot[0] != 0;
        int64_t current = Load<int64_t>(slot + 1);
        if (!has_value || (layout.is_min ? key < current : key > current)) {
          slot[0] = 1;
          Store<int64_t>(slot + 1, key);
        }
        break;
      }
      case AccumulatorKind::kExtremeString: {
        char wide_bytes[kWideKeySize];
        std::string_view value = LoadKey(*argument, row, layout, wide_bytes).text;
        size_t section = 0;
        if (!FindSection(*accumulator, layout.section_index, &section)) return Corrupt();
        uint32_t length = Load<uint32_t>(accumulator->data() + section);
        std::string_view current(accumulator->data() + section + kSectionHeaderSize, length);
        bool has_value = slot[0] != 0;
        int order = has_value ? value.compare(current) : 0;
        if (!has_value || (layout.is_min ? order < 0 : order > 0)) {
          slot[0] = 1;
          accumulator->replace(section + kSectionHeaderSize, length, value.data(), value.size());
          Store<uint32_t>(accumulator->data() + section, static_cast<uint32_t>(value.size()));
        }
        break;
      }
      case AccumulatorKind::kValueCounts: {
        size_t section = 0;
        if (!FindSection(*accumulator, layout.section_index, &section)) return Corrupt();
        char wide_bytes[kWideKeySize];
        if (!ValueCounts(layout.string_values)
                 .Add(accumulator, section, LoadKey(*argument, row, layout, wide_bytes), delta)) {
          return Corrupt();
        }
        break;
      }
      case AccumulatorKind::kMomentsExact:
        moments::AddExact(slot, LoadInteger(*argument, row, layout.argument_type), retract);
        break;
      case AccumulatorKind::kMomentsDouble:
        moments::AddDouble(slot, argument->values<double>()[row], retract);
        break;
      case AccumulatorKind::kBoolCounts: {
        char* count_slot = slot + (argument->values<uint8_t>()[row] != 0 ? 0 : 8);
        int64_t count = Load<int64_t>(count_slot);
        if (retract && count <= 0) break;
        Store<int64_t>(count_slot, count + delta);
        break;
      }
      case AccumulatorKind::kValueList:
        SLUICE_RETURN_IF_ERROR(AccumulateList(accumulator, call, *argument, row, retract));
        break;
      case AccumulatorKind::kLag: break;  // above
    }
  }
  return base::Status::Ok();
}

base::Status Aggregator::AccumulateList(std::string* accumulator, size_t call,
                                        const Column& argument, int32_t row, bool retract) const {
  const CallLayout& layout = layouts_[call];
  size_t section = 0;
  if (!FindSection(*accumulator, layout.section_index, &section)) return Corrupt();
  uint32_t length = Load<uint32_t>(accumulator->data() + section);
  std::string_view payload(accumulator->data() + section + kSectionHeaderSize, length);
  std::string entry;
  ValueList::AppendEntry(argument, row, &entry);
  AggregateKind kind = calls_[call].kind;
  if (!layout.retractable && !KeepsEveryValue(kind)) {
    // Insert-only FIRST_VALUE keeps its first value, LAST_VALUE its latest.
    if (retract) return RetractedExtreme();
    if (kind == AggregateKind::kLastValue || payload.empty()) {
      ReplacePayload(accumulator, section, entry);
    }
    return base::Status::Ok();
  }
  if (!retract) {
    accumulator->insert(section + kSectionHeaderSize + length, entry);
    Store<uint32_t>(accumulator->data() + section, static_cast<uint32_t>(length + entry.size()));
    return base::Status::Ok();
  }
  // A retraction takes out the oldest equal value (as Java's List.remove); an absent one
  // changes nothing.
  size_t position = 0;
  std::string_view current, value;
  bool present = false;
  while (position < payload.size()) {
    size_t start = position;
    if (!ValueList::Next(payload, &position, &current, &value, &present)) return Corrupt();
    if (current == entry) {
      accumulator->erase(section + kSectionHeaderSize + start, current.size());
      Store<uint32_t>(accumulator->data() + section, static_cast<uint32_t>(length - entry.size()));
      break;
    }
  }
  return base::Status::Ok();
}

base::Status Aggregator::AccumulateLag(std::string* accumulator, size_t call, const Batch& input,
                                       int32_t row) const {
  const CallLayout& layout = layouts_[call];
  size_t section = 0;
  if (!FindSection(*accumulator, layout.section_index, &section)) return Corrupt();
  uint32_t length = Load<uint32_t>(accumulator->data() + section);
  std::string_view payload(accumulator->data() + section + kSectionHeaderSize, length);
  // Payload: the latest row's default, then the last offset + 1 values, oldest first.
  std::string rebuilt;
  if (layout.default_slot >= 0) {
    ValueList::AppendEntry(input.column(static_cast<size_t>(layout.default_slot)), row, &rebuilt);
  } else {
    ValueList::AppendNull(&rebuilt);
  }
  size_t position = 0;
  std::string_view entry, value;
  bool present = false;
  if (!payload.empty() && !ValueList::Next(payload, &position, &entry, &value, &present)) {
    return Corrupt();
  }
  std::string_view values = payload.substr(position);
  if (ValueList::Size(values) > calls_[call].offset) {
    size_t first = 0;
    if (!ValueList::Next(values, &first, &entry, &value, &present)) return Corrupt();
    values.remove_prefix(first);
  }
  rebuilt.append(values);
  ValueList::AppendEntry(input.column(static_cast<size_t>(layout.argument_slot)), row, &rebuilt);
  ReplacePayload(accumulator, section, rebuilt);
  return base::Status::Ok();
}

base::Status Aggregator::Merge(std::string* accumulator, std::string_view other) const {
  if (!unsupported_.ok()) return unsupported_;
  // `other` may view `accumulator` itself; the edits below must not change what it reads.
  std::string other_copy;
  if (other.data() >= accumulator->data() &&
      other.data() < accumulator->data() + accumulator->size()) {
    other_copy.assign(other);
    other = other_copy;
  }
  if (!Valid(*accumulator) || !Valid(other)) return Corrupt();
  if (compiled_ == nullptr) return MergeValid(accumulator, other, /*interpreted_only=*/false);
  compiled_->merge()(accumulator->data(), other.data());
  if (!has_interpreted_calls_) return base::Status::Ok();
  return MergeValid(accumulator, other, /*interpreted_only=*/true);
}

base::Status Aggregator::MergeValid(std::string* accumulator, std::string_view other,
                                    bool interpreted_only) const {
  // Sections first, while the extreme flags still say what each side holds.
  std::string sections;
  if (section_count_ > 0) {
    size_t left_at = fixed_size_;
    size_t right_at = fixed_size_;
    for (const CallLayout& layout : layouts_) {
      if (layout.section_index < 0) continue;
      uint32_t left_length = Load<uint32_t>(accumulator->data() + left_at);
      uint32_t right_length = Load<uint32_t>(other.data() + right_at);
      std::string_view left(accumulator->data() + left_at + kSectionHeaderSize, left_length);
      std::string_view right(other.data() + right_at + kSectionHeaderSize, right_length);
      left_at += kSectionHeaderSize + left_length;
      right_at += kSectionHeaderSize + right_length;
      size_t header = sections.size();
      sections.append(kSectionHeaderSize, '\0');
      if (layout.kind == AccumulatorKind::kExtremeString) {
        bool left_has = accumulator->data()[layout.fixed_offset] != 0;
        bool right_has = other[layout.fixed_offset] != 0;
        bool take_right =
            right_has &&
            (!left_has || (layout.is_min ? right.compare(left) < 0 : right.compare(left) > 0));
        sections.append(take_right ? right : left);
      } else if (layout.kind == AccumulatorKind::kValueList && !layout.retractable &&
                 !KeepsEveryValue(calls_[&layout - layouts_.data()].kind)) {
        // Slices merge in time order: FIRST_VALUE keeps the earlier one, LAST_VALUE the later.
        bool first = calls_[&layout - layouts_.data()].kind == AggregateKind::kFirstValue;
        sections.append(first ? (left.empty() ? right : left) : (right.empty() ? left : right));
      } else if (layout.kind == AccumulatorKind::kValueList) {
        sections.append(left);
        sections.append(right);
      } else if (layout.kind == AccumulatorKind::kLag) {
        sections.append(right.empty() ? left : right);
      } else {
        ValueCounts(layout.string_values).Merge(left, right, &sections);
      }
      Store<uint32_t>(sections.data() + header,
                      static_cast<uint32_t>(sections.size() - header - kSectionHeaderSize));
    }
  }

  char* base = accumulator->data();
  if (!interpreted_only) {
    Store<int64_t>(base, WrappingAdd(Load<int64_t>(base), Load<int64_t>(other.data())));
  }
  for (size_t call = 0; call < layouts_.size(); ++call) {
    const CallLayout& layout = layouts_[call];
    if (interpreted_only && !Interpreted(call)) continue;
    char* slot = base + layout.fixed_offset;
    const char* right = other.data() + layout.fixed_offset;
    switch (layout.kind) {
      case AccumulatorKind::kCount:
        Store<int64_t>(slot, WrappingAdd(Load<int64_t>(slot), Load<int64_t>(right)));
        break;
      case AccumulatorKind::kSumInteger:
        Store<int64_t>(slot, WrappingAdd(Load<int64_t>(slot), Load<int64_t>(right)));
        Store<int64_t>(slot + 8, WrappingAdd(Load<int64_t>(slot + 8), Load<int64_t>(right + 8)));
        break;
      case AccumulatorKind::kSumDecimal:
        Store<Int128>(slot, AddToDecimalSum(Load<Int128>(slot), Load<Int128>(right)));
        Store<int64_t>(slot + 16, WrappingAdd(Load<int64_t>(slot + 16), Load<int64_t>(right + 16)));
        break;
      case AccumulatorKind::kSumDouble:
        Store<double>(slot, CanonicalNaN(Load<double>(slot) + Load<double>(right)));
        Store<int64_t>(slot + 8, WrappingAdd(Load<int64_t>(slot + 8), Load<int64_t>(right + 8)));
        break;
      case AccumulatorKind::kExtremeFixed: {
        if (right[0] == 0) break;
        int64_t key = Load<int64_t>(right + 1);
        int64_t current = Load<int64_t>(slot + 1);
        if (slot[0] == 0 || (layout.is_min ? key < current : key > current)) {
          slot[0] = 1;
          Store<int64_t>(slot + 1, key);
        }
        break;
      }
      case AccumulatorKind::kExtremeString:
        if (right[0] != 0) slot[0] = 1;
        break;
      case AccumulatorKind::kMomentsExact: moments::MergeExact(slot, right); break;
      case AccumulatorKind::kMomentsDouble: moments::MergeDouble(slot, right); break;
      case AccumulatorKind::kBoolCounts:
        Store<int64_t>(slot, WrappingAdd(Load<int64_t>(slot), Load<int64_t>(right)));
        Store<int64_t>(slot + 8, WrappingAdd(Load<int64_t>(slot + 8), Load<int64_t>(right + 8)));
        break;
      case AccumulatorKind::kValueCounts:
      case AccumulatorKind::kValueList:
      case AccumulatorKind::kLag: break;
    }
  }
  if (section_count_ > 0) {
    accumulator->resize(fixed_size_);
    accumulator->append(sections);
  }
  return base::Status::Ok();
}

base::Status Aggregator::WriteResults(std::string_view accumulator, Batch* out, int32_t row,
                                      size_t first_column) const {
  if (!unsupported_.ok()) return unsupported_;
  if (!Valid(accumulator)) return Corrupt();
  size_t section = fixed_size_;
  for (size_t index = 0; index < layouts_.size(); ++index) {
    const CallLayout& layout = layouts_[index];
    AggregateKind kind = calls_[index].kind;
    Column* column = &out->column(first_column + index);
    const char* slot = accumulator.data() + layout.fixed_offset;
    std::string_view payload;
    if (layout.section_index >= 0) {
      uint32_t length = Load<uint32_t>(accumulator.data() + section);
      payload = accumulator.substr(section + kSectionHeaderSize, length);
      section += kSectionHeaderSize + length;
    }
    switch (layout.kind) {
      case AccumulatorKind::kCount: WriteInteger(column, row, Load<int64_t>(slot)); break;
      case AccumulatorKind::kSumInteger: {
        int64_t count = Load<int64_t>(slot + 8);
        int64_t sum = Load<int64_t>(slot);
        if (count <= 0) {
          WriteNull(column, row);
        } else {
          WriteInteger(column, row, kind == AggregateKind::kAvg ? sum / count : sum);
        }
        break;
      }
      case AccumulatorKind::kSumDecimal: {
        int64_t count = Load<int64_t>(slot + 16);
        Int128 sum = Load<Int128>(slot);
        // An overflowed sum is NULL for SUM and AVG alike (divided by the count it could fit).
        if (count <= 0 || sum == kOverflowedSum) {
          WriteNull(column, row);
        } else {
          WriteDecimal(column, row, sum, calls_[index].argument_type.scale(),
                       kind == AggregateKind::kAvg ? count : 1);
        }
        break;
      }
      case AccumulatorKind::kSumDouble: {
        int64_t count = Load<int64_t>(slot + 8);
        double sum = Load<double>(slot);
        if (count <= 0) {
          WriteNull(column, row);
        } else {
          WriteDouble(column, row,
                      kind == AggregateKind::kAvg ? sum / static_cast<double>(count) : sum);
        }
        break;
      }
      case AccumulatorKind::kExtremeFixed: {
        if (slot[0] == 0) {
          WriteNull(column, row);
        } else {
          ValueKey key;
          key.fixed = Load<int64_t>(slot + 1);
          WriteKey(out, column, row, key, layout);
        }
        break;
      }
      case AccumulatorKind::kExtremeString:
        if (slot[0] == 0) {
          WriteNull(column, row);
        } else if (layout.wide_decimal_argument) {
          WriteWideKey(column, row, payload);
        } else {
          WriteString(out, column, row, payload);
        }
        break;
      case AccumulatorKind::kMomentsDouble: {
        auto result = moments::DoubleResult(slot, kind);
        if (result) {
          WriteDouble(column, row, *result);
        } else {
          WriteNull(column, row);
        }
        break;
      }
      case AccumulatorKind::kMomentsExact: {
        std::optional<int64_t> result;
        if (layout.decimal_values) {
          result = moments::DecimalResult(slot, kind, calls_[index].argument_type.scale(),
                                          column->type().scale());
        } else {
          result = moments::IntegerResult(slot, kind);
        }
        if (result) {
          WriteInteger(column, row, *result);
        } else {
          WriteNull(column, row);
        }
        break;
      }
      case AccumulatorKind::kBoolCounts: {
        int64_t trues = Load<int64_t>(slot);
        int64_t falses = Load<int64_t>(slot + 8);
        if (trues <= 0 && falses <= 0) {
          WriteNull(column, row);
        } else if (kind == AggregateKind::kBoolAnd) {
          WriteInteger(column, row, falses > 0 ? 0 : 1);
        } else {
          WriteInteger(column, row, trues > 0 ? 1 : 0);
        }
        break;
      }
      case AccumulatorKind::kValueList:
        WriteList(payload, kind, calls_[index].separator, out, column, row);
        break;
      case AccumulatorKind::kLag: {
        size_t position = 0;
        std::string_view entry, value, fallback;
        bool present = false, fallback_present = false;
        if (!ValueList::Next(payload, &position, &entry, &fallback, &fallback_present)) {
          WriteNull(column, row);
          break;
        }
        std::string_view values = payload.substr(position);
        position = 0;
        if (ValueList::Size(values) > calls_[index].offset &&
            ValueList::Next(values, &position, &entry, &value, &present)) {
          WriteListValue(out, column, row, present, value);
        } else {
          WriteListValue(out, column, row, fallback_present, fallback);
        }
        break;
      }
      case AccumulatorKind::kValueCounts: {
        ValueCounts counts(layout.string_values);
        if (kind == AggregateKind::kCount) {
          WriteInteger(column, row, counts.Size(payload));
          break;
        }
        ValueKey key;
        if (!counts.Extreme(payload, true, &key)) {
          WriteNull(column, row);  // no values: MIN, MAX, SUM and AVG are NULL
          break;
        }
        if (kind == AggregateKind::kMin || kind == AggregateKind::kMax) {
          if (kind == AggregateKind::kMax) counts.Extreme(payload, false, &key);
          WriteKey(out, column, row, key, layout);
          break;
        }
        int64_t distinct = 0;
        if (layout.double_values) {
          double sum = 0.0;
          counts.ForEach(payload, [&](const ValueKey& value, int64_t) {
            sum += KeyToDouble(value.fixed);
            ++distinct;
          });
          WriteDouble(column, row,
                      kind == AggregateKind::kAvg ? sum / static_cast<double>(distinct) : sum);
        } else if (layout.decimal_values) {
          // 38-digit values can pass 128 bits on the way (negatives come first) while the
          // total fits: count the wraps; a total of any wrap lies past 2^127, outside 38 digits.
          Int128 sum = 0;
          int64_t wraps = 0;
          counts.ForEach(payload, [&](const ValueKey& value, int64_t) {
            Int128 term = layout.wide_decimal_argument ? DecodeWideKey(value.text) : value.fixed;
            if (__builtin_add_overflow(sum, term, &sum)) wraps += term > 0 ? 1 : -1;
            ++distinct;
          });
          if (wraps != 0) {
            WriteNull(column, row);
          } else {
            WriteDecimal(column, row, sum, calls_[index].argument_type.scale(),
                         kind == AggregateKind::kAvg ? distinct : 1);
          }
        } else {
          int64_t sum = 0;
          counts.ForEach(payload, [&](const ValueKey& value, int64_t) {
            sum = WrappingAdd(sum, value.fixed);
            ++distinct;
          });
          WriteInteger(column, row, kind == AggregateKind::kAvg ? sum / distinct : sum);
        }
        break;
      }
    }
  }
  return base::Status::Ok();
}

namespace {

/// A kept value (ValueList's bytes) as a collection element of type `element`.
expr::Item CollectionItem(const types::LogicalType& element, std::string_view value) {
  expr::Item item;
  item.tag = expr::TagOf(element);
  if (item.tag == expr::ItemTag::kBytes) {
    item.bytes = value;
    return item;
  }
  int64_t fixed = ValueList::FixedValue(value);
  if (item.tag == expr::ItemTag::kReal) {
    std::memcpy(&item.real, &fixed, sizeof fixed);
  } else {
    item.integer = fixed;
  }
  return item;
}

}  // namespace

void Aggregator::WriteList(std::string_view payload, plan::AggregateKind kind,
                           const std::string& separator, Batch* out, Column* column,
                           int32_t row) const {
  size_t position = 0;
  std::string_view entry, value;
  bool present = false;
  if (kind == AggregateKind::kCollect) {
    // A MULTISET of the non-NULL values: each distinct value with its count, in the order
    // first seen (runtime/expr/collection_value.h); empty when every value was NULL.
    const types::LogicalType& element = column->type().element_type();
    expr::MultisetBuilder multiset;
    while (ValueList::Next(payload, &position, &entry, &value, &present)) {
      if (present) multiset.Add(CollectionItem(element, value));
    }
    WriteString(out, column, row, multiset.Finish());
    return;
  }
  if (kind == AggregateKind::kArrayAgg) {
    // An ARRAY of every value, NULLs too (Flink's RESPECT NULLS default), in arrival order;
    // NULL when there is none.
    const types::LogicalType& element = column->type().element_type();
    expr::CollectionWriter array;
    uint32_t count = 0;
    while (ValueList::Next(payload, &position, &entry, &value, &present)) {
      array.Add(present ? CollectionItem(element, value) : expr::Item{});
      ++count;
    }
    if (count == 0) {
      WriteNull(column, row);
    } else {
      WriteString(out, column, row, array.Finish(count));
    }
    return;
  }
  if (kind == AggregateKind::kListAgg) {
    std::string joined;
    bool any = false;
    while (ValueList::Next(payload, &position, &entry, &value, &present)) {
      if (!present) continue;
      if (any) joined += separator;
      joined.append(value);
      any = true;
    }
    if (any) {
      WriteString(out, column, row, joined);
    } else {
      WriteNull(column, row);
    }
    return;
  }
  std::string_view chosen;
  bool found = false;
  while (ValueList::Next(payload, &position, &entry, &value, &present)) {
    chosen = value;
    found = true;
    if (kind == AggregateKind::kFirstValue) break;
  }
  WriteListValue(out, column, row, found, chosen);
}

}  // namespace sluice::runtime::operators::aggregate
