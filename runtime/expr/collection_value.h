#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/types/logical_type.h"

namespace sluice::runtime::expr {

// One ARRAY, MAP or MULTISET value is a byte string, stored in a batch as a VARCHAR is (a
// StringRef into the arena), in state and in keys as its bytes:
//
//   u32 count (little-endian): the elements of an ARRAY, the entries of a MAP or MULTISET
//   then the items: an ARRAY's elements; a MAP's key and value per entry; a MULTISET's element
//   and its count (BIGINT) per entry
//   item = u8 tag, then by tag: 0 NULL (nothing), 1 an int64 (BOOLEAN, INT, BIGINT, DECIMAL's
//   unscaled value, TIMESTAMP, INTERVAL, DATE, TIME), 2 a double, 3 u32 length + bytes
//   (VARCHAR, a nested collection's encoding, or a ROW element: its fields as the items of
//   a collection, the count being the number of fields)
//
// Equal values have equal bytes (a MAP keeps one entry per key, in the order first put), so
// grouping, joining and comparing with `=` work on the bytes. Every reader checks the bounds:
// a truncated or foreign value reads as malformed, never past its end.

enum class ItemTag : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kBytes = 3 };

/// One element, key or value of a collection.
struct Item {
  ItemTag tag = ItemTag::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string_view bytes;

  bool operator==(const Item& other) const;
};

/// Decodes `encoded` into its items, `items_per_entry` per element or entry (1 for ARRAY, 2 for
/// MAP and MULTISET); false when malformed.
bool DecodeCollection(std::string_view encoded, int items_per_entry, std::vector<Item>* items);

/// Builds an encoded collection.
class CollectionWriter {
 public:
  void Add(const Item& item);
  /// The encoding of the items added, `count` being the number of elements or entries.
  std::string Finish(uint32_t count) const;
  /// The items added, without the count in front.
  const std::string& items() const { return items_; }

 private:
  std::string items_;
};

/// Builds a MULTISET: each distinct item with its count, in the order first added.
class MultisetBuilder {
 public:
  /// Counts `item` (copied).
  void Add(const Item& item);
  /// The MULTISET's encoding.
  std::string Finish() const;

 private:
  std::vector<std::pair<std::string, int64_t>> entries_;  // an item's encoding, its count
};

/// A collection's encoding as lower-case hexadecimal (for text that must stay valid UTF-8:
/// JSON plans, inline VALUES rows), and back; DecodeHex is false for malformed text.
std::string EncodeHex(std::string_view bytes);
bool DecodeHex(std::string_view hex, std::string* bytes);

/// The item kind a value of `type` is written as.
ItemTag TagOf(const types::LogicalType& type);

/// Reads the text form of a scalar of `type` (not a collection) as an item (`12`, `1.5`,
/// `2024-01-01 10:00:00`, `true`); a VARCHAR item views `text`, and so does a BYTES item, whose
/// text the caller has decoded to its bytes already. False when it does not parse.
bool ParseItem(std::string_view text, const types::LogicalType& type, Item* out);

/// A compact text naming a type, for helpers that need the element types at run time
/// (rendering text and JSON): `A` + element for ARRAY, `M` + key + value, `S` + element for
/// MULTISET, `R<n>;` and per field `<length>:<name><type>` for a ROW, and one letter per
/// scalar type (`n<scale>;` for DECIMAL).
std::string TypeDescriptor(const types::LogicalType& type);

/// The descriptors of a ROW descriptor's fields, in order; false when `descriptor` is not a
/// well-formed ROW descriptor.
bool RowFieldDescriptors(std::string_view descriptor, std::vector<std::string_view>* fields);

/// Appends the text form of an encoded collection of the type `descriptor` names, as Flink
/// casts it to STRING: `[1, 2, NULL]`, `{a=1, b=2}`; false when malformed.
bool AppendCollectionText(std::string_view encoded, std::string_view descriptor, std::string* out);

/// Appends the JSON form: an array for ARRAY, an object for MAP and MULTISET (keys as text);
/// false when malformed.
bool AppendCollectionJson(std::string_view encoded, std::string_view descriptor, std::string* out);

}  // namespace sluice::runtime::expr
