#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::runtime::operators::aggregate {

/// Maps a DOUBLE to an int64 whose signed order is Double.compare's order: -0.0 and 0.0 map
/// to one key, every NaN to one key above +Infinity (the keys of DOUBLE MIN/MAX and DISTINCT).
int64_t DoubleToKey(double value);

/// Encodes a DECIMAL(p > 18) unscaled value as 16 bytes whose bytewise order is the values'
/// order (big-endian, sign bit flipped): the key of its MIN/MAX and DISTINCT sets, which keep
/// such values the way they keep strings.
void EncodeWideKey(__int128 value, char* bytes);

/// The value EncodeWideKey encoded; 0 when `bytes` is not 16 bytes long.
__int128 DecodeWideKey(std::string_view bytes);

inline constexpr size_t kWideKeySize = 16;

/// One value of a value → count multiset: an order-preserving int64 for fixed-width types
/// (DOUBLEs mapped by DoubleToKey), or the bytes of a string.
struct ValueKey {
  int64_t fixed = 0;
  std::string_view text;
};

/// Edits the value → count multiset that one aggregate call keeps in a section of its
/// accumulator. A section is a u32 little-endian payload length and the payload. Counts of
/// live entries are always positive.
///
/// String payloads are (varint length, bytes, int64 count) entries ascending bytewise
/// (scanned); an entry whose count reaches 0 is removed.
///
/// Fixed-width payloads have two layouts, told apart by the payload length modulo 16:
/// * compact (length % 16 == 0): (int64 key, int64 count) pairs ascending by key, binary
///   searched; an entry whose count reaches 0 is removed. Small sets keep this layout.
/// * indexed (length % 16 == 8), once a set reaches kIndexThreshold entries, so that adding
///   a value does not shift the whole set (and every section after it): a 24-byte header
///   (int64 sorted, int64 tail, int64 dead), then `sorted` pairs ascending by key, where a
///   count of 0 marks a removed value (`dead` of them), then `tail` pairs ascending by key
///   holding values absent from the sorted run, then free pairs up to the payload's end. New
///   values go into the short tail; when the tail (or the dead entries) reach about
///   sqrt(sorted), both runs are merged into one sorted run, growing the capacity twofold
///   when it is full. Adding a value thus costs O(log n) plus an amortized O(sqrt n).
/// A set whose last value is removed goes back to the empty compact payload.
class ValueCounts {
 public:
  /// Sets of this many fixed-width values switch to the indexed layout.
  static constexpr int64_t kIndexThreshold = 64;

  explicit ValueCounts(bool strings) : strings_(strings) {}

  /// Adds `delta` to the count of `key` in the section whose length prefix is at
  /// `section`; removing a key that is absent changes nothing. `key.text` must not point
  /// into `accumulator`. Returns false when the section is corrupt.
  bool Add(std::string* accumulator, size_t section, const ValueKey& key, int64_t delta) const;
  /// Tells whether `payload` is a well-formed payload (every other method assumes it is).
  bool Valid(std::string_view payload) const;
  /// Appends the union of two payloads, counts added, to `out`.
  void Merge(std::string_view left, std::string_view right, std::string* out) const;
  /// The number of distinct values (O(1) for fixed-width payloads).
  int64_t Size(std::string_view payload) const;
  /// Sets `key` to the smallest (or largest) value; false when the payload is empty.
  bool Extreme(std::string_view payload, bool smallest, ValueKey* key) const;

  /// Walks a payload's live entries in ascending order.
  class Cursor {
   public:
    Cursor(const ValueCounts& counts, std::string_view payload);
    /// Reads the next entry; false at the end.
    bool Next(ValueKey* key, int64_t* count);

   private:
    bool strings_;
    std::string_view sorted_;  // strings: the whole payload
    std::string_view tail_;
    size_t sorted_position_ = 0;
    size_t tail_position_ = 0;
  };

  /// Calls `visitor(const ValueKey&, int64_t count)` for each entry in ascending order.
  template <typename Visitor>
  void ForEach(std::string_view payload, Visitor&& visitor) const {
    Cursor cursor(*this, payload);
    ValueKey key;
    int64_t count = 0;
    while (cursor.Next(&key, &count)) visitor(key, count);
  }

 private:
  /// Reads the string entry at `*position` and advances past it; false at the end or when
  /// corrupt.
  static bool NextString(std::string_view payload, size_t* position, ValueKey* key, int64_t* count);
  static void AppendEntry(const ValueKey& key, int64_t count, bool strings, std::string* out);
  /// Add for an indexed fixed-width payload of `length` bytes at `begin`.
  bool AddIndexed(std::string* accumulator, size_t section, const ValueKey& key,
                  int64_t delta) const;

  bool strings_;
};

}  // namespace sluice::runtime::operators::aggregate
