#include "runtime/operators/aggregate/value_counts.h"

namespace sluice::runtime::operators::aggregate {

namespace {

constexpr size_t kFixedEntrySize = 16;

int64_t LoadInt64(const char* bytes) {
  int64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

void StoreInt64(char* bytes, int64_t value) {
  std::memcpy(bytes, &value, sizeof(value));
}

uint32_t LoadLength(const std::string& accumulator, size_t section) {
  uint32_t length;
  std::memcpy(&length, accumulator.data() + section, sizeof(length));
  return length;
}

void StoreLength(std::string* accumulator, size_t section, size_t length) {
  uint32_t value = static_cast<uint32_t>(length);
  std::memcpy(accumulator->data() + section, &value, sizeof(value));
}

bool ReadVarint(std::string_view bytes, size_t* position, uint32_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*position >= bytes.size()) return false;
    uint8_t byte = static_cast<uint8_t>(bytes[(*position)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (result > UINT32_MAX) return false;
      *value = static_cast<uint32_t>(result);
      return true;
    }
  }
  return false;
}

void AppendVarint(uint32_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

int Compare(const ValueKey& left, const ValueKey& right, bool strings) {
  if (strings) return left.text.compare(right.text);  // bytewise, shorter first
  return left.fixed < right.fixed ? -1 : (left.fixed > right.fixed ? 1 : 0);
}

}  // namespace

bool ValueCounts::Next(std::string_view payload, size_t* position, ValueKey* key,
                       int64_t* count) const {
  if (*position >= payload.size()) return false;
  if (!strings_) {
    if (payload.size() - *position < kFixedEntrySize) return false;
    key->fixed = LoadInt64(payload.data() + *position);
    *count = LoadInt64(payload.data() + *position + 8);
    *position += kFixedEntrySize;
    return true;
  }
  uint32_t length = 0;
  if (!ReadVarint(payload, position, &length)) return false;
  if (payload.size() - *position < static_cast<size_t>(length) + 8) return false;
  key->text = payload.substr(*position, length);
  *count = LoadInt64(payload.data() + *position + length);
  *position += length + 8;
  return true;
}

void ValueCounts::AppendEntry(const ValueKey& key, int64_t count, bool strings, std::string* out) {
  char bytes[8];
  if (strings) {
    AppendVarint(static_cast<uint32_t>(key.text.size()), out);
    out->append(key.text.data(), key.text.size());
  } else {
    StoreInt64(bytes, key.fixed);
    out->append(bytes, 8);
  }
  StoreInt64(bytes, count);
  out->append(bytes, 8);
}

bool ValueCounts::Valid(std::string_view payload) const {
  if (!strings_) return payload.size() % kFixedEntrySize == 0;
  size_t position = 0;
  ValueKey key;
  int64_t count = 0;
  while (position < payload.size()) {
    if (!Next(payload, &position, &key, &count)) return false;
  }
  return true;
}

bool ValueCounts::Add(std::string* accumulator, size_t section, const ValueKey& key,
                      int64_t delta) const {
  if (accumulator->size() < section + 4) return false;
  size_t length = LoadLength(*accumulator, section);
  size_t begin = section + 4;
  if (accumulator->size() - begin < length) return false;

  size_t position = 0;  // within the payload: where the key is, or where it belongs
  bool found = false;
  size_t entry_size = 0;
  int64_t count = 0;
  if (!strings_) {
    if (length % kFixedEntrySize != 0) return false;
    size_t low = 0;
    size_t high = length / kFixedEntrySize;
    const char* entries = accumulator->data() + begin;
    while (low < high) {
      size_t middle = (low + high) / 2;
      if (LoadInt64(entries + middle * kFixedEntrySize) < key.fixed) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    position = low * kFixedEntrySize;
    if (position < length && LoadInt64(entries + position) == key.fixed) {
      found = true;
      entry_size = kFixedEntrySize;
      count = LoadInt64(entries + position + 8);
    }
  } else {
    std::string_view payload(accumulator->data() + begin, length);
    while (position < length) {
      size_t next = position;
      ValueKey entry;
      int64_t entry_count = 0;
      if (!Next(payload, &next, &entry, &entry_count)) return false;
      int order = entry.text.compare(key.text);
      if (order >= 0) {
        if (order == 0) {
          found = true;
          entry_size = next - position;
          count = entry_count;
        }
        break;
      }
      position = next;
    }
  }

  if (found) {
    count += delta;
    if (count > 0) {
      StoreInt64(accumulator->data() + begin + position + entry_size - 8, count);
    } else {
      accumulator->erase(begin + position, entry_size);
      StoreLength(accumulator, section, length - entry_size);
    }
    return true;
  }
  if (delta <= 0) return true;  // retracting a value never added: nothing to take out
  char entry[16];
  size_t inserted;
  if (!strings_) {
    StoreInt64(entry, key.fixed);
    StoreInt64(entry + 8, delta);
    accumulator->insert(begin + position, entry, kFixedEntrySize);
    inserted = kFixedEntrySize;
  } else {
    std::string encoded;
    AppendEntry(key, delta, true, &encoded);
    accumulator->insert(begin + position, encoded);
    inserted = encoded.size();
  }
  StoreLength(accumulator, section, length + inserted);
  return true;
}

void ValueCounts::Merge(std::string_view left, std::string_view right, std::string* out) const {
  size_t left_position = 0;
  size_t right_position = 0;
  ValueKey left_key;
  ValueKey right_key;
  int64_t left_count = 0;
  int64_t right_count = 0;
  bool has_left = Next(left, &left_position, &left_key, &left_count);
  bool has_right = Next(right, &right_position, &right_key, &right_count);
  while (has_left || has_right) {
    int order = !has_left ? 1 : (!has_right ? -1 : Compare(left_key, right_key, strings_));
    if (order < 0) {
      AppendEntry(left_key, left_count, strings_, out);
      has_left = Next(left, &left_position, &left_key, &left_count);
    } else if (order > 0) {
      AppendEntry(right_key, right_count, strings_, out);
      has_right = Next(right, &right_position, &right_key, &right_count);
    } else {
      AppendEntry(left_key, left_count + right_count, strings_, out);
      has_left = Next(left, &left_position, &left_key, &left_count);
      has_right = Next(right, &right_position, &right_key, &right_count);
    }
  }
}

int64_t ValueCounts::Size(std::string_view payload) const {
  if (!strings_) return static_cast<int64_t>(payload.size() / kFixedEntrySize);
  int64_t size = 0;
  ForEach(payload, [&size](const ValueKey&, int64_t) { ++size; });
  return size;
}

bool ValueCounts::Extreme(std::string_view payload, bool smallest, ValueKey* key) const {
  if (payload.empty()) return false;
  if (!strings_) {
    size_t position = smallest ? 0 : payload.size() - kFixedEntrySize;
    key->fixed = LoadInt64(payload.data() + position);
    return true;
  }
  size_t position = 0;
  int64_t count = 0;
  if (!Next(payload, &position, key, &count)) return false;
  if (smallest) return true;
  while (Next(payload, &position, key, &count)) {
  }
  return true;
}

}  // namespace sluice::runtime::operators::aggregate
