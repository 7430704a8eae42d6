#include "runtime/operators/aggregate/value_counts.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice::runtime::operators::aggregate {

int64_t DoubleToKey(double value) {
  constexpr uint64_t kCanonicalNaNBits = 0x7ff8000000000000ULL;
  uint64_t bits;
  if (std::isnan(value)) {
    bits = kCanonicalNaNBits;
  } else {
    if (value == 0.0) value = 0.0;
    std::memcpy(&bits, &value, sizeof(bits));
  }
  auto key = static_cast<int64_t>(bits);
  return key ^ ((key >> 63) & std::numeric_limits<int64_t>::max());
}

void EncodeWideKey(__int128 value, char* bytes) {
  auto bits = static_cast<unsigned __int128>(value) ^ (static_cast<unsigned __int128>(1) << 127);
  for (size_t index = 0; index < kWideKeySize; ++index) {
    bytes[kWideKeySize - 1 - index] = static_cast<char>(static_cast<uint8_t>(bits >> (8 * index)));
  }
}

__int128 DecodeWideKey(std::string_view bytes) {
  if (bytes.size() != kWideKeySize) return 0;
  unsigned __int128 bits = 0;
  for (char byte : bytes) bits = (bits << 8) | static_cast<uint8_t>(byte);
  return static_cast<__int128>(bits ^ (static_cast<unsigned __int128>(1) << 127));
}

namespace {

constexpr size_t kFixedEntrySize = 16;
constexpr size_t kIndexHeaderSize = 24;
// The tail and the dead entries may grow to max(kMinPending, sqrt(sorted)) before a merge.
constexpr uint64_t kMinPending = 16;

int64_t LoadInt64(const char* bytes) {
  int64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

void StoreInt64(char* bytes, int64_t value) {
  std::memcpy(bytes, &value, sizeof(value));
}

// Adds two counts. Real counts stay far below 2^63; the counts of a damaged payload (read from
// a corrupt checkpoint) may be anything, and their sum saturates instead of overflowing.
int64_t AddCounts(int64_t left, int64_t right) {
  int64_t sum;
  if (!__builtin_add_overflow(left, right, &sum)) return sum;
  return left < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
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

// Replaces the payload of `length` bytes after the section's prefix, in place when the size
// does not change (then nothing after the section moves).
void StorePayload(std::string* accumulator, size_t section, size_t length,
                  std::string_view payload) {
  if (payload.size() == length) {
    if (!payload.empty()) std::memcpy(accumulator->data() + section + 4, payload.data(), length);
    return;
  }
  accumulator->replace(section + 4, length, payload.data(), payload.size());
  StoreLength(accumulator, section, payload.size());
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

bool IsIndexed(size_t payload_size) {
  return payload_size % kFixedEntrySize == kIndexHeaderSize % kFixedEntrySize;
}

/// The header of an indexed fixed-width payload.
struct Index {
  uint64_t sorted = 0;
  uint64_t tail = 0;
  uint64_t dead = 0;
  uint64_t capacity = 0;  // pairs between the header and the payload's end

  uint64_t Live() const { return sorted - dead + tail; }
};

bool ReadIndex(std::string_view payload, Index* index) {
  if (payload.size() < kIndexHeaderSize || !IsIndexed(payload.size())) return false;
  index->sorted = static_cast<uint64_t>(LoadInt64(payload.data()));
  index->tail = static_cast<uint64_t>(LoadInt64(payload.data() + 8));
  index->dead = static_cast<uint64_t>(LoadInt64(payload.data() + 16));
  index->capacity = (payload.size() - kIndexHeaderSize) / kFixedEntrySize;
  return index->sorted <= index->capacity && index->tail <= index->capacity - index->sorted &&
         index->dead <= index->sorted;
}

void WriteIndex(char* payload, const Index& index) {
  StoreInt64(payload, static_cast<int64_t>(index.sorted));
  StoreInt64(payload + 8, static_cast<int64_t>(index.tail));
  StoreInt64(payload + 16, static_cast<int64_t>(index.dead));
}

uint64_t PendingLimit(uint64_t sorted) {
  return std::max(kMinPending, static_cast<uint64_t>(std::sqrt(static_cast<double>(sorted))));
}

// The first of `count` pairs at `entries` whose key is not below `key`.
size_t LowerBound(const char* entries, size_t count, int64_t key) {
  size_t low = 0;
  size_t high = count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    if (LoadInt64(entries + middle * kFixedEntrySize) < key) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

}  // namespace

ValueCounts::Cursor::Cursor(const ValueCounts& counts, std::string_view payload)
    : strings_(counts.strings_), sorted_(payload) {
  if (strings_ || !IsIndexed(payload.size())) return;
  Index index;
  if (!ReadIndex(payload, &index)) {
    sorted_ = {};
    return;
  }
  sorted_ = payload.substr(kIndexHeaderSize, index.sorted * kFixedEntrySize);
  tail_ = payload.substr(kIndexHeaderSize + index.sorted * kFixedEntrySize,
                         index.tail * kFixedEntrySize);
}

bool ValueCounts::Cursor::Next(ValueKey* key, int64_t* count) {
  if (strings_) return NextString(sorted_, &sorted_position_, key, count);
  // Skip removed values (count 0) of the sorted run.
  while (sorted_.size() - sorted_position_ >= kFixedEntrySize &&
         LoadInt64(sorted_.data() + sorted_position_ + 8) <= 0) {
    sorted_position_ += kFixedEntrySize;
  }
  bool has_sorted = sorted_.size() - sorted_position_ >= kFixedEntrySize;
  bool has_tail = tail_.size() - tail_position_ >= kFixedEntrySize;
  if (!has_sorted && !has_tail) return false;
  int64_t sorted_key = has_sorted ? LoadInt64(sorted_.data() + sorted_position_) : 0;
  int64_t tail_key = has_tail ? LoadInt64(tail_.data() + tail_position_) : 0;
  if (has_sorted && (!has_tail || sorted_key <= tail_key)) {
    key->fixed = sorted_key;
    *count = LoadInt64(sorted_.data() + sorted_position_ + 8);
    sorted_position_ += kFixedEntrySize;
    if (has_tail && tail_key == sorted_key) {  // never written so; kept as one entry
      *count = AddCounts(*count, LoadInt64(tail_.data() + tail_position_ + 8));
      tail_position_ += kFixedEntrySize;
    }
    return true;
  }
  key->fixed = tail_key;
  *count = LoadInt64(tail_.data() + tail_position_ + 8);
  tail_position_ += kFixedEntrySize;
  return true;
}

bool ValueCounts::NextString(std::string_view payload, size_t* position, ValueKey* key,
                             int64_t* count) {
  if (*position >= payload.size()) return false;
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
  if (!strings_) {
    if (payload.size() % kFixedEntrySize == 0) return true;
    Index index;
    return ReadIndex(payload, &index);
  }
  size_t position = 0;
  ValueKey key;
  int64_t count = 0;
  while (position < payload.size()) {
    if (!NextString(payload, &position, &key, &count)) return false;
  }
  return true;
}

namespace {

// Rewrites an indexed payload (whose header `index` is already stored) as one sorted run
// without removed values, with `key` (absent from it) inserted when not null. Small sets
// go back to the compact layout; a full one doubles its capacity.
void Rebuild(const ValueCounts& counts, std::string* accumulator, size_t section,
             const Index& index, const ValueKey* key, int64_t delta) {
  size_t length = LoadLength(*accumulator, section);
  std::string_view payload(accumulator->data() + section + 4, length);
  std::string rebuilt(kIndexHeaderSize, '\0');
  rebuilt.reserve(kIndexHeaderSize + (index.Live() + 1) * kFixedEntrySize);
  char bytes[kFixedEntrySize];
  auto append = [&](int64_t value, int64_t count) {
    StoreInt64(bytes, value);
    StoreInt64(bytes + 8, count);
    rebuilt.append(bytes, kFixedEntrySize);
  };
  ValueCounts::Cursor cursor(counts, payload);
  ValueKey entry;
  int64_t count = 0;
  while (cursor.Next(&entry, &count)) {
    if (key != nullptr && key->fixed < entry.fixed) {
      append(key->fixed, delta);
      key = nullptr;
    }
    append(entry.fixed, count);
  }
  if (key != nullptr) append(key->fixed, delta);

  uint64_t live = (rebuilt.size() - kIndexHeaderSize) / kFixedEntrySize;
  if (live < static_cast<uint64_t>(ValueCounts::kIndexThreshold) / 2) {
    StorePayload(accumulator, section, length, std::string_view(rebuilt).substr(kIndexHeaderSize));
    return;
  }
  uint64_t capacity = index.capacity;
  if (live + PendingLimit(live) > capacity) capacity = 2 * live;
  Index header;
  header.sorted = live;
  WriteIndex(rebuilt.data(), header);
  rebuilt.resize(kIndexHeaderSize + capacity * kFixedEntrySize, '\0');
  StorePayload(accumulator, section, length, rebuilt);
}

// Merges the tail and `key` (absent from both runs) into the sorted run of an indexed
// payload that has room for them, in place: each pair moves at most once, by blocks, and
// nothing after the section moves. Removed values stay where they are.
void MergeTailInPlace(char* payload, Index index, const ValueKey& key, int64_t delta) {
  char* sorted = payload + kIndexHeaderSize;
  std::string pending(sorted + index.sorted * kFixedEntrySize, index.tail * kFixedEntrySize);
  size_t at = LowerBound(pending.data(), index.tail, key.fixed) * kFixedEntrySize;
  char entry[kFixedEntrySize];
  StoreInt64(entry, key.fixed);
  StoreInt64(entry + 8, delta);
  pending.insert(at, entry, kFixedEntrySize);
  size_t pending_count = pending.size() / kFixedEntrySize;
  size_t read = index.sorted;           // pairs of the sorted run not yet placed
  size_t write = read + pending_count;  // where the placed pairs begin
  for (size_t next = pending_count; next > 0; --next) {
    const char* pair = pending.data() + (next - 1) * kFixedEntrySize;
    size_t position = LowerBound(sorted, read, LoadInt64(pair));
    size_t moving = read - position;  // sorted pairs above this one
    write -= moving;
    std::memmove(sorted + write * kFixedEntrySize, sorted + position * kFixedEntrySize,
                 moving * kFixedEntrySize);
    --write;
    std::memcpy(sorted + write * kFixedEntrySize, pair, kFixedEntrySize);
    read = position;
  }
  index.sorted += pending_count;
  index.tail = 0;
  WriteIndex(payload, index);
}

// Finishes a removal from an indexed payload: stores the header, and empties the section
// when no value is left or merges the runs when enough dead entries piled up.
bool FinishRemoval(const ValueCounts& counts, std::string* accumulator, size_t section,
                   const Index& index) {
  char* payload = accumulator->data() + section + 4;
  WriteIndex(payload, index);
  if (index.Live() == 0) {
    StorePayload(accumulator, section, LoadLength(*accumulator, section), {});
  } else if (index.dead >= PendingLimit(index.sorted)) {
    Rebuild(counts, accumulator, section, index, nullptr, 0);
  }
  return true;
}

}  // namespace

bool ValueCounts::AddIndexed(std::string* accumulator, size_t section, const ValueKey& key,
                             int64_t delta) const {
  size_t length = LoadLength(*accumulator, section);
  char* payload = accumulator->data() + section + 4;
  Index index;
  if (!ReadIndex(std::string_view(payload, length), &index)) return false;

  char* sorted = payload + kIndexHeaderSize;
  size_t at = LowerBound(sorted, index.sorted, key.fixed);
  if (at < index.sorted && LoadInt64(sorted + at * kFixedEntrySize) == key.fixed) {
    char* count_at = sorted + at * kFixedEntrySize + 8;
    int64_t count = LoadInt64(count_at);
    if (count <= 0) {  // a removed value: adding revives it in place
      if (delta <= 0) return true;
      StoreInt64(count_at, delta);
      if (index.dead > 0) --index.dead;
      WriteIndex(payload, index);
      return true;
    }
    count = AddCounts(count, delta);
    if (count > 0) {
      StoreInt64(count_at, count);
      return true;
    }
    StoreInt64(count_at, 0);
    if (index.dead < index.sorted) ++index.dead;
    return FinishRemoval(*this, accumulator, section, index);
  }

  char* tail = sorted + index.sorted * kFixedEntrySize;
  size_t position = LowerBound(tail, index.tail, key.fixed);
  char* entry = tail + position * kFixedEntrySize;
  size_t after = (index.tail - position) * kFixedEntrySize;  // bytes from `entry` to the end
  if (position < index.tail && LoadInt64(entry) == key.fixed) {
    int64_t count = AddCounts(LoadInt64(entry + 8), delta);
    if (count > 0) {
      StoreInt64(entry + 8, count);
      return true;
    }
    std::memmove(entry, entry + kFixedEntrySize, after - kFixedEntrySize);
    --index.tail;
    return FinishRemoval(*this, accumulator, section, index);
  }
  if (delta <= 0) return true;  // retracting a value never added: nothing to take out
  if (index.tail < PendingLimit(index.sorted) && index.sorted + index.tail < index.capacity) {
    std::memmove(entry + kFixedEntrySize, entry, after);
    StoreInt64(entry, key.fixed);
    StoreInt64(entry + 8, delta);
    ++index.tail;
    WriteIndex(payload, index);
    return true;
  }
  if (index.sorted + index.tail < index.capacity) {
    MergeTailInPlace(payload, index, key, delta);
  } else {
    Rebuild(*this, accumulator, section, index, &key, delta);  // full: grow
  }
  return true;
}

bool ValueCounts::Add(std::string* accumulator, size_t section, const ValueKey& key,
                      int64_t delta) const {
  if (accumulator->size() < section + 4) return false;
  size_t length = LoadLength(*accumulator, section);
  size_t begin = section + 4;
  if (accumulator->size() - begin < length) return false;
  if (!strings_ && length % kFixedEntrySize != 0) {
    return AddIndexed(accumulator, section, key, delta);
  }

  size_t position = 0;  // within the payload: where the key is, or where it belongs
  bool found = false;
  size_t entry_size = 0;
  int64_t count = 0;
  if (!strings_) {
    const char* entries = accumulator->data() + begin;
    position = LowerBound(entries, length / kFixedEntrySize, key.fixed) * kFixedEntrySize;
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
      if (!NextString(payload, &next, &entry, &entry_count)) return false;
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
    count = AddCounts(count, delta);
    if (count > 0) {
      StoreInt64(accumulator->data() + begin + position + entry_size - 8, count);
    } else {
      accumulator->erase(begin + position, entry_size);
      StoreLength(accumulator, section, length - entry_size);
    }
    return true;
  }
  if (delta <= 0) return true;  // retracting a value never added: nothing to take out
  if (strings_) {
    std::string encoded;
    AppendEntry(key, delta, true, &encoded);
    accumulator->insert(begin + position, encoded);
    StoreLength(accumulator, section, length + encoded.size());
    return true;
  }
  uint64_t size = length / kFixedEntrySize;
  if (size + 1 < static_cast<uint64_t>(kIndexThreshold)) {
    char entry[kFixedEntrySize];
    StoreInt64(entry, key.fixed);
    StoreInt64(entry + 8, delta);
    accumulator->insert(begin + position, entry, kFixedEntrySize);
    StoreLength(accumulator, section, length + kFixedEntrySize);
    return true;
  }
  // The set reaches kIndexThreshold values: switch it to the indexed layout, the new value
  // in the tail, with room for as many values again.
  Index index;
  index.sorted = size;
  index.tail = 1;
  std::string indexed(kIndexHeaderSize, '\0');
  WriteIndex(indexed.data(), index);
  indexed.append(accumulator->data() + begin, length);
  char entry[kFixedEntrySize];
  StoreInt64(entry, key.fixed);
  StoreInt64(entry + 8, delta);
  indexed.append(entry, kFixedEntrySize);
  indexed.resize(kIndexHeaderSize + 2 * (size + 1) * kFixedEntrySize, '\0');
  StorePayload(accumulator, section, length, indexed);
  return true;
}

void ValueCounts::Merge(std::string_view left, std::string_view right, std::string* out) const {
  Cursor left_cursor(*this, left);
  Cursor right_cursor(*this, right);
  ValueKey left_key;
  ValueKey right_key;
  int64_t left_count = 0;
  int64_t right_count = 0;
  bool has_left = left_cursor.Next(&left_key, &left_count);
  bool has_right = right_cursor.Next(&right_key, &right_count);
  // A fixed-width union goes behind an index header when it is large enough.
  size_t header = out->size();
  if (!strings_) out->append(kIndexHeaderSize, '\0');
  size_t first = out->size();
  // Entries whose count is not positive (only a damaged payload has them) are dropped: the
  // union's header counts no removed values.
  auto append = [&](const ValueKey& key, int64_t count) {
    if (count > 0) AppendEntry(key, count, strings_, out);
  };
  while (has_left || has_right) {
    int order = !has_left ? 1 : (!has_right ? -1 : Compare(left_key, right_key, strings_));
    if (order < 0) {
      append(left_key, left_count);
      has_left = left_cursor.Next(&left_key, &left_count);
    } else if (order > 0) {
      append(right_key, right_count);
      has_right = right_cursor.Next(&right_key, &right_count);
    } else {
      append(left_key, AddCounts(left_count, right_count));
      has_left = left_cursor.Next(&left_key, &left_count);
      has_right = right_cursor.Next(&right_key, &right_count);
    }
  }
  if (strings_) return;
  uint64_t size = (out->size() - first) / kFixedEntrySize;
  if (size < static_cast<uint64_t>(kIndexThreshold)) {
    out->erase(header, kIndexHeaderSize);
    return;
  }
  Index index;
  index.sorted = size;
  WriteIndex(out->data() + header, index);
}

int64_t ValueCounts::Size(std::string_view payload) const {
  if (!strings_) {
    if (payload.size() % kFixedEntrySize == 0) {
      return static_cast<int64_t>(payload.size() / kFixedEntrySize);
    }
    Index index;
    return ReadIndex(payload, &index) ? static_cast<int64_t>(index.Live()) : 0;
  }
  int64_t size = 0;
  ForEach(payload, [&size](const ValueKey&, int64_t) { ++size; });
  return size;
}

bool ValueCounts::Extreme(std::string_view payload, bool smallest, ValueKey* key) const {
  if (payload.empty()) return false;
  if (!strings_ && payload.size() % kFixedEntrySize == 0) {
    size_t position = smallest ? 0 : payload.size() - kFixedEntrySize;
    key->fixed = LoadInt64(payload.data() + position);
    return true;
  }
  if (!strings_) {
    Index index;
    if (!ReadIndex(payload, &index)) return false;
    const char* sorted = payload.data() + kIndexHeaderSize;
    const char* tail = sorted + index.sorted * kFixedEntrySize;
    bool found = false;
    // Removed values are few (merged away past sqrt(sorted)), so the scan stays short.
    for (uint64_t step = 0; step < index.sorted; ++step) {
      uint64_t at = smallest ? step : index.sorted - 1 - step;
      if (LoadInt64(sorted + at * kFixedEntrySize + 8) > 0) {
        key->fixed = LoadInt64(sorted + at * kFixedEntrySize);
        found = true;
        break;
      }
    }
    if (index.tail > 0) {
      int64_t candidate = LoadInt64(tail + (smallest ? 0 : index.tail - 1) * kFixedEntrySize);
      if (!found || (smallest ? candidate < key->fixed : candidate > key->fixed)) {
        key->fixed = candidate;
        found = true;
      }
    }
    return found;
  }
  size_t position = 0;
  int64_t count = 0;
  if (!NextString(payload, &position, key, &count)) return false;
  if (smallest) return true;
  while (NextString(payload, &position, key, &count)) {
  }
  return true;
}

}  // namespace sluice::runtime::operators::aggregate
