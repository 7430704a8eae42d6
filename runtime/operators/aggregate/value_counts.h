#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::runtime::operators::aggregate {

/// One value of a value → count multiset: an order-preserving int64 for fixed-width types
/// (DOUBLEs mapped by DoubleToKey), or the bytes of a string.
struct ValueKey {
  int64_t fixed = 0;
  std::string_view text;
};

/// Edits the sorted value → count multiset that one aggregate call keeps in a section of its
/// accumulator. A section is a u32 little-endian payload length and the payload; fixed-width
/// payloads are (int64 key, int64 count) pairs ascending by key (binary searched), string
/// payloads are (varint length, bytes, int64 count) entries ascending bytewise (scanned).
/// Counts are always positive: an entry whose count reaches 0 is removed.
class ValueCounts {
 public:
  explicit ValueCounts(bool strings) : strings_(strings) {}

  /// Adds `delta` to the count of `key` in the section whose length prefix is at
  /// `section`; removing a key that is absent changes nothing. `key.text` must not point
  /// into `accumulator`. Returns false when the section is corrupt.
  bool Add(std::string* accumulator, size_t section, const ValueKey& key, int64_t delta) const;
  /// Tells whether `payload` is a well-formed payload (every other method assumes it is).
  bool Valid(std::string_view payload) const;
  /// Appends the union of two payloads, counts added, to `out`.
  void Merge(std::string_view left, std::string_view right, std::string* out) const;
  int64_t Size(std::string_view payload) const;
  /// Sets `key` to the smallest (or largest) value; false when the payload is empty.
  bool Extreme(std::string_view payload, bool smallest, ValueKey* key) const;

  /// Calls `visitor(const ValueKey&, int64_t count)` for each entry in ascending order.
  template <typename Visitor>
  void ForEach(std::string_view payload, Visitor&& visitor) const {
    size_t position = 0;
    ValueKey key;
    int64_t count = 0;
    while (Next(payload, &position, &key, &count)) visitor(key, count);
  }

 private:
  /// Reads the entry at `*position` and advances past it; false at the end or when corrupt.
  bool Next(std::string_view payload, size_t* position, ValueKey* key, int64_t* count) const;
  static void AppendEntry(const ValueKey& key, int64_t count, bool strings, std::string* out);

  bool strings_;
};

}  // namespace sluice::runtime::operators::aggregate
