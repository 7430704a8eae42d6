#include "runtime/operators/time_row_buffer.h"

#include <algorithm>

#include "runtime/operators/operator_state.h"

namespace sluice::runtime::operators {

namespace {

void PutLength(size_t length, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(length >> (8 * i)));
}

// Reads one length-prefixed field at `*position`; false when the value ends too early.
bool ReadField(std::string_view value, size_t* position, std::string_view* field) {
  if (value.size() - *position < 4) return false;
  size_t length = 0;
  for (int i = 0; i < 4; ++i) {
    length |= size_t{static_cast<uint8_t>(value[*position + i])} << (8 * i);
  }
  *position += 4;
  if (value.size() - *position < length) return false;
  *field = value.substr(*position, length);
  *position += length;
  return true;
}

}  // namespace

std::string TimeNamespace(int64_t time) {
  std::string ns;
  auto bits = static_cast<uint64_t>(time);
  for (int shift = 56; shift >= 0; shift -= 8) ns.push_back(static_cast<char>(bits >> shift));
  return ns;
}

int64_t ReadTimeNamespace(std::string_view bytes) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<int64_t>(bits);
}

void TimeRowBuffer::Open(const OperatorContext& context, state::StateTable* table) {
  table_ = table;
  uid_ = context.node != nullptr ? context.node->uid : "";
  due_.clear();
  ForEachOwnedEntry(
      context, *table_,
      [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view) {
        if (ns.size() != 8) return;
        due_[ReadTimeNamespace(ns)].emplace(key_group, std::string(key));
      });
}

void TimeRowBuffer::Add(int32_t key_group, std::string_view key, int64_t time,
                        std::string_view sort_key, std::string_view row) {
  std::string entry;
  PutLength(sort_key.size(), &entry);
  entry += sort_key;
  PutLength(row.size(), &entry);
  entry += row;
  const std::string ns = TimeNamespace(time);
  bool appended =
      table_->Update(key_group, key, ns, [&](std::string* stored) { *stored += entry; });
  if (!appended) {
    table_->Put(key_group, key, ns, entry);
    due_[time].emplace(key_group, std::string(key));
  }
}

base::Status TimeRowBuffer::TakeUntil(int64_t time, const RowsVisitor& visit) {
  std::map<KeyRef, std::vector<int64_t>> due_times;
  while (!due_.empty() && due_.begin()->first <= time) {
    for (const KeyRef& key : due_.begin()->second) due_times[key].push_back(due_.begin()->first);
    due_.erase(due_.begin());
  }
  std::string value;
  for (const auto& [key, key_times] : due_times) {
    std::vector<Row> rows;
    for (int64_t row_time : key_times) {
      const std::string ns = TimeNamespace(row_time);
      if (!table_->Get(key.first, key.second, ns, &value)) continue;
      table_->Delete(key.first, key.second, ns);
      const size_t first = rows.size();
      size_t position = 0;
      while (position < value.size()) {
        std::string_view sort_key, bytes;
        if (!ReadField(value, &position, &sort_key) || !ReadField(value, &position, &bytes)) {
          return base::Status::Error(base::ErrorCode::kData,
                                     "a \"rows\" value of '" + uid_ + "' is damaged");
        }
        rows.push_back(Row{row_time, std::string(bytes), std::string(sort_key)});
      }
      std::stable_sort(
          rows.begin() + static_cast<std::ptrdiff_t>(first), rows.end(),
          [](const Row& left, const Row& right) { return left.sort_key < right.sort_key; });
    }
    SLUICE_RETURN_IF_ERROR(visit(key, std::move(rows)));
  }
  return base::Status::Ok();
}

std::optional<int64_t> TimeRowBuffer::EarliestTime() const {
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first;
}

}  // namespace sluice::runtime::operators
