// The helpers of the collection functions (ARRAY, MAP and MULTISET values; their encoding is
// runtime/expr/collection_value.h). The binder types every call (compiler/binder/
// bind_collections.cpp) and passes element types as descriptor literals where a helper needs
// to tell how an element is held (SluiceUdfValue's `integer`, `real` or `data`).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/batch/batch.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/helper_values.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/regex_split.h"

using sluice::runtime::expr::TextOf;

namespace {

using sluice::runtime::expr::CollectionWriter;
using sluice::runtime::expr::DecodeCollection;
using sluice::runtime::expr::Item;
using sluice::runtime::expr::ItemTag;

/// How a value of the type `descriptor` names is held in a SluiceUdfValue.
ItemTag TagOfDescriptor(std::string_view descriptor) {
  if (descriptor.empty()) return ItemTag::kBytes;
  switch (descriptor[0]) {
    case 'd':
    case 'f': return ItemTag::kReal;
    case 's':
    case 'A':
    case 'M':
    case 'S':
    case 'R': return ItemTag::kBytes;
    default: return ItemTag::kInteger;
  }
}

Item ItemOf(const SluiceUdfValue& value, ItemTag tag) {
  Item item;
  if (value.is_null != 0) return item;
  item.tag = tag;
  switch (tag) {
    case ItemTag::kInteger: item.integer = value.integer; break;
    case ItemTag::kReal: item.real = value.real; break;
    case ItemTag::kBytes: item.bytes = TextOf(value); break;
    case ItemTag::kNull: break;
  }
  return item;
}

/// Writes `item` as the result; 0 (NULL) for a NULL item.
uint8_t StoreItem(const Item& item, SluiceUdfValue* out) {
  switch (item.tag) {
    case ItemTag::kNull: return 0;
    case ItemTag::kInteger: out->integer = item.integer; return 1;
    case ItemTag::kReal: out->real = item.real; return 1;
    case ItemTag::kBytes:
      out->data = item.bytes.data();
      out->length = static_cast<uint32_t>(item.bytes.size());
      return 1;
  }
  return 0;
}

uint8_t StoreBytes(SluiceKernelContext* context, const std::string& bytes, SluiceUdfValue* out) {
  char* target = context->arena->Allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(target, bytes.data(), bytes.size());
  out->data = target;
  out->length = static_cast<uint32_t>(bytes.size());
  return 1;
}

uint8_t StoreItems(SluiceKernelContext* context, const std::vector<Item>& items, uint32_t count,
                   SluiceUdfValue* out) {
  CollectionWriter writer;
  for (const Item& item : items) writer.Add(item);
  return StoreBytes(context, writer.Finish(count), out);
}

uint8_t Malformed(SluiceKernelContext* context) {
  context->error = "a malformed collection value (not written by Sluice, or damaged)";
  return 0;
}

/// Decodes an ARRAY argument; false (and the context's error) when malformed.
bool ReadArray(SluiceKernelContext* context, const SluiceUdfValue& value,
               std::vector<Item>* items) {
  if (DecodeCollection(TextOf(value), 1, items)) return true;
  Malformed(context);
  return false;
}

bool ReadEntries(SluiceKernelContext* context, const SluiceUdfValue& value,
                 std::vector<Item>* items) {
  if (DecodeCollection(TextOf(value), 2, items)) return true;
  Malformed(context);
  return false;
}

/// Orders two non-NULL items of one type (numbers by value, strings bytewise).
bool ItemLess(const Item& a, const Item& b) {
  switch (a.tag) {
    case ItemTag::kInteger: return a.integer < b.integer;
    case ItemTag::kReal: return a.real < b.real;
    default: return a.bytes < b.bytes;
  }
}

/// Orders items of one type for ARRAY_SORT, a total order (std::sort needs one): numbers by
/// value with -0.0 before 0.0 and NaN after every other double (Java's Double.compare),
/// strings bytewise; NULLs are placed by the caller.
bool ItemSortsBefore(const Item& a, const Item& b) {
  switch (a.tag) {
    case ItemTag::kInteger: return a.integer < b.integer;
    case ItemTag::kReal: {
      if (std::isnan(a.real) || std::isnan(b.real)) return !std::isnan(a.real);
      if (a.real == b.real) return std::signbit(a.real) && !std::signbit(b.real);
      return a.real < b.real;
    }
    default: return a.bytes < b.bytes;
  }
}

/// A hash consistent with Item's ==: all NaNs alike, -0.0 as 0.0.
struct ItemHash {
  size_t operator()(const Item& item) const {
    switch (item.tag) {
      case ItemTag::kNull: return 0x9e3779b9;
      case ItemTag::kInteger: return std::hash<int64_t>{}(item.integer);
      case ItemTag::kReal:
        if (std::isnan(item.real)) return 0x7ff8;
        return std::hash<double>{}(item.real == 0 ? 0.0 : item.real);
      case ItemTag::kBytes: return std::hash<std::string_view>{}(item.bytes);
    }
    return 0;
  }
};
using ItemSet = std::unordered_set<Item, ItemHash>;

/// Puts key → value into a map's items (one entry per key: a later value replaces the first).
void PutEntry(std::vector<Item>* entries, const Item& key, const Item& value) {
  for (size_t i = 0; i < entries->size(); i += 2) {
    if ((*entries)[i] == key) {
      (*entries)[i + 1] = value;
      return;
    }
  }
  entries->push_back(key);
  entries->push_back(value);
}

}  // namespace

// ARRAY[e1, ...]: arguments[0] the element descriptor.
uint8_t sluice_collection_array(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                int32_t count, SluiceUdfValue* out) {
  ItemTag tag = TagOfDescriptor(TextOf(arguments[0]));
  CollectionWriter writer;
  for (int32_t i = 1; i < count; ++i) writer.Add(ItemOf(arguments[i], tag));
  return StoreBytes(context, writer.Finish(static_cast<uint32_t>(count - 1)), out);
}

// MAP[k1, v1, ...]: arguments[0] and [1] the key and value descriptors.
uint8_t sluice_collection_map(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t count, SluiceUdfValue* out) {
  ItemTag key_tag = TagOfDescriptor(TextOf(arguments[0]));
  ItemTag value_tag = TagOfDescriptor(TextOf(arguments[1]));
  std::vector<Item> entries;
  for (int32_t i = 2; i + 1 < count; i += 2) {
    PutEntry(&entries, ItemOf(arguments[i], key_tag), ItemOf(arguments[i + 1], value_tag));
  }
  return StoreItems(context, entries, static_cast<uint32_t>(entries.size() / 2), out);
}

// array[index] (1-based): NULL past either end.
uint8_t sluice_collection_element_at(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                     int32_t, SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  int64_t index = arguments[2].integer;
  if (index < 1 || index > static_cast<int64_t>(items.size())) return 0;
  return StoreItem(items[static_cast<size_t>(index - 1)], out);
}

// map[key]: arguments[0] the key descriptor, [1] the map, [2] the key.
uint8_t sluice_collection_map_get(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                  int32_t, SluiceUdfValue* out) {
  std::vector<Item> entries;
  if (!ReadEntries(context, arguments[1], &entries)) return 0;
  Item key = ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0])));
  for (size_t i = 0; i < entries.size(); i += 2) {
    if (entries[i] == key) return StoreItem(entries[i + 1], out);
  }
  return 0;
}

// Field `arguments[2]` (0-based) of the encoded ROW element `arguments[1]`; arguments[0] the
// field's descriptor.
uint8_t sluice_collection_row_field(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                    int32_t, SluiceUdfValue* out) {
  std::vector<Item> fields;
  if (!ReadArray(context, arguments[1], &fields)) return 0;
  int64_t index = arguments[2].integer;
  if (index < 0 || index >= static_cast<int64_t>(fields.size())) return Malformed(context);
  return StoreItem(fields[static_cast<size_t>(index)], out);
}

// $ROW_ENCODE(row_descriptor, present, field, ...): the fields as the items of a ROW element;
// NULL when `present` is not TRUE.
uint8_t sluice_row_encode(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                          int32_t count, SluiceUdfValue* out) {
  if (arguments[1].is_null != 0 || arguments[1].integer == 0) return 0;
  std::vector<std::string_view> fields;
  if (!sluice::runtime::expr::RowFieldDescriptors(TextOf(arguments[0]), &fields) ||
      fields.size() != static_cast<size_t>(count - 2)) {
    context->error = "$ROW_ENCODE: the row descriptor does not match the fields";
    return 0;
  }
  CollectionWriter writer;
  for (int32_t i = 2; i < count; ++i) {
    writer.Add(ItemOf(arguments[i], TagOfDescriptor(fields[static_cast<size_t>(i - 2)])));
  }
  return StoreBytes(context, writer.Finish(static_cast<uint32_t>(count - 2)), out);
}

// CARDINALITY(collection): the elements of an ARRAY, the entries of a MAP or MULTISET.
uint8_t sluice_collection_cardinality(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                      int32_t, SluiceUdfValue* out) {
  std::string_view encoded = TextOf(arguments[0]);
  if (encoded.size() < 4) return Malformed(context);
  uint32_t count = 0;
  for (int i = 0; i < 4; ++i) {
    count |= static_cast<uint32_t>(static_cast<uint8_t>(encoded[i])) << (8 * i);
  }
  out->integer = count;
  return 1;
}

// CAST(collection AS VARCHAR): arguments[0] the collection's type descriptor.
uint8_t sluice_collection_to_string(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                    int32_t, SluiceUdfValue* out) {
  std::string text;
  if (!sluice::runtime::expr::AppendCollectionText(TextOf(arguments[1]), TextOf(arguments[0]),
                                                   &text)) {
    return Malformed(context);
  }
  return StoreBytes(context, text, out);
}

// A collection as JSON (JSON_OBJECT's and JSON_ARRAY's values): arguments[0] its descriptor.
uint8_t sluice_collection_to_json(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                  int32_t, SluiceUdfValue* out) {
  std::string text;
  if (!sluice::runtime::expr::AppendCollectionJson(TextOf(arguments[1]), TextOf(arguments[0]),
                                                   &text)) {
    return Malformed(context);
  }
  return StoreBytes(context, text, out);
}

// ELEMENT(array): its one element, NULL when empty; an error for more than one.
uint8_t sluice_array_element(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  if (items.empty()) return 0;
  if (items.size() > 1) {
    context->error = "ELEMENT: the array has more than one element";
    return 0;
  }
  return StoreItem(items[0], out);
}

// ARRAY_CONTAINS(array, needle): a NULL needle looks for a NULL element.
uint8_t sluice_array_contains(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t, SluiceUdfValue* out) {
  if (arguments[1].is_null != 0) return 0;
  std::vector<Item> items;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  Item needle = ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0])));
  out->integer = std::find(items.begin(), items.end(), needle) != items.end() ? 1 : 0;
  return 1;
}

// ARRAY_POSITION(array, needle): the 1-based position of the first equal element, 0 if none.
uint8_t sluice_array_position(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t, SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  Item needle = ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0])));
  auto found = std::find(items.begin(), items.end(), needle);
  out->integer = found == items.end() ? 0 : (found - items.begin()) + 1;
  return 1;
}

// ARRAY_DISTINCT(array): the first of each equal element, in order (one NULL kept).
uint8_t sluice_array_distinct(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t, SluiceUdfValue* out) {
  std::vector<Item> items, kept;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  for (const Item& item : items) {
    if (std::find(kept.begin(), kept.end(), item) == kept.end()) kept.push_back(item);
  }
  return StoreItems(context, kept, static_cast<uint32_t>(kept.size()), out);
}

uint8_t sluice_array_reverse(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  std::reverse(items.begin(), items.end());
  return StoreItems(context, items, static_cast<uint32_t>(items.size()), out);
}

// ARRAY_REMOVE(array, needle): without every element equal to the needle (NULL removes NULLs).
uint8_t sluice_array_remove(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  if (arguments[1].is_null != 0) return 0;
  std::vector<Item> items, kept;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  Item needle = ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0])));
  for (const Item& item : items) {
    if (!(item == needle)) kept.push_back(item);
  }
  return StoreItems(context, kept, static_cast<uint32_t>(kept.size()), out);
}

// ARRAY_APPEND(array, element) / ARRAY_PREPEND(array, element); a NULL element is added.
uint8_t sluice_array_append(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  if (arguments[1].is_null != 0) return 0;
  std::vector<Item> items;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  items.push_back(ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0]))));
  return StoreItems(context, items, static_cast<uint32_t>(items.size()), out);
}

uint8_t sluice_array_prepend(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  if (arguments[1].is_null != 0) return 0;
  std::vector<Item> items;
  if (!ReadArray(context, arguments[1], &items)) return 0;
  items.insert(items.begin(), ItemOf(arguments[2], TagOfDescriptor(TextOf(arguments[0]))));
  return StoreItems(context, items, static_cast<uint32_t>(items.size()), out);
}

// ARRAY_CONCAT(a1, a2, ...): NULL when any is NULL.
uint8_t sluice_array_concat(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                            int32_t count, SluiceUdfValue* out) {
  std::vector<Item> all, items;
  for (int32_t i = 0; i < count; ++i) {
    if (!ReadArray(context, arguments[i], &items)) return 0;
    all.insert(all.end(), items.begin(), items.end());
  }
  return StoreItems(context, all, static_cast<uint32_t>(all.size()), out);
}

// ARRAY_JOIN(array<VARCHAR>, delimiter [, null_replacement]): NULL elements are skipped unless
// a replacement is given; NULL when the array or the delimiter is NULL.
uint8_t sluice_array_join(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                          int32_t count, SluiceUdfValue* out) {
  if (arguments[0].is_null != 0 || arguments[1].is_null != 0) return 0;
  bool replace = count > 2 && arguments[2].is_null == 0;
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  std::string text;
  bool first = true;
  for (const Item& item : items) {
    if (item.tag == ItemTag::kNull && !replace) continue;
    if (!first) text.append(TextOf(arguments[1]));
    first = false;
    text.append(item.tag == ItemTag::kNull ? TextOf(arguments[2]) : item.bytes);
  }
  return StoreBytes(context, text, out);
}

// ARRAY_MAX(array) / ARRAY_MIN(array): over the non-NULL elements; NULL when there are none.
uint8_t sluice_array_max(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                         SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  const Item* best = nullptr;
  for (const Item& item : items) {
    if (item.tag != ItemTag::kNull && (best == nullptr || ItemLess(*best, item))) best = &item;
  }
  return best == nullptr ? 0 : StoreItem(*best, out);
}

uint8_t sluice_array_min(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                         SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  const Item* best = nullptr;
  for (const Item& item : items) {
    if (item.tag != ItemTag::kNull && (best == nullptr || ItemLess(item, *best))) best = &item;
  }
  return best == nullptr ? 0 : StoreItem(*best, out);
}

// MAP_KEYS(map) / MAP_VALUES(map): arrays in the map's order.
uint8_t sluice_map_keys(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                        SluiceUdfValue* out) {
  std::vector<Item> entries, keys;
  if (!ReadEntries(context, arguments[0], &entries)) return 0;
  for (size_t i = 0; i < entries.size(); i += 2) keys.push_back(entries[i]);
  return StoreItems(context, keys, static_cast<uint32_t>(keys.size()), out);
}

uint8_t sluice_map_values(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  std::vector<Item> entries, values;
  if (!ReadEntries(context, arguments[0], &entries)) return 0;
  for (size_t i = 0; i + 1 < entries.size(); i += 2) values.push_back(entries[i + 1]);
  return StoreItems(context, values, static_cast<uint32_t>(values.size()), out);
}

// MAP_FROM_ARRAYS(keys, values): an error when their lengths differ.
uint8_t sluice_map_from_arrays(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                               int32_t, SluiceUdfValue* out) {
  std::vector<Item> keys, values, entries;
  if (!ReadArray(context, arguments[0], &keys) || !ReadArray(context, arguments[1], &values)) {
    return 0;
  }
  if (keys.size() != values.size()) {
    context->error = "MAP_FROM_ARRAYS: the key and value arrays have different lengths";
    return 0;
  }
  for (size_t i = 0; i < keys.size(); ++i) PutEntry(&entries, keys[i], values[i]);
  return StoreItems(context, entries, static_cast<uint32_t>(entries.size() / 2), out);
}

// STR_TO_MAP(text [, list_delimiter [, key_value_delimiter]]): delimiters are regular
// expressions (defaults ',' and '='); a pair without the key-value delimiter maps to NULL.
uint8_t sluice_str_to_map(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                          int32_t count, SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  std::string_view list_delimiter = count > 1 ? TextOf(arguments[1]) : ",";
  std::string_view pair_delimiter = count > 2 ? TextOf(arguments[2]) : "=";
  std::vector<Item> entries;
  if (!text.empty()) {
    std::vector<std::string_view> pairs;
    if (!sluice::runtime::expr::RegexSplit(text, list_delimiter, 0, &pairs)) {
      context->error = "STR_TO_MAP: the list delimiter is not a valid regular expression";
      return 0;
    }
    for (std::string_view pair : pairs) {
      std::vector<std::string_view> parts;
      if (!sluice::runtime::expr::RegexSplit(pair, pair_delimiter, 2, &parts)) {
        context->error = "STR_TO_MAP: the key-value delimiter is not a valid regular expression";
        return 0;
      }
      Item key, value;
      key.tag = ItemTag::kBytes;
      key.bytes = parts.size() < 2 ? pair : parts[0];
      if (parts.size() >= 2) {
        value.tag = ItemTag::kBytes;
        value.bytes = parts[1];
      }
      PutEntry(&entries, key, value);
    }
  }
  return StoreItems(context, entries, static_cast<uint32_t>(entries.size() / 2), out);
}

// ARRAY_SLICE(array, start [, end]): elements start..end inclusive, 1-based; 0 is the first,
// a negative offset counts from the end; offsets past either end are clamped; empty when start
// is after end.
uint8_t sluice_array_slice(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                           int32_t count, SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  const auto length = static_cast<int64_t>(items.size());
  auto position = [&](int64_t offset) {
    if (offset == 0) return int64_t{1};
    return offset < 0 ? length + offset + 1 : offset;
  };
  int64_t start = std::max<int64_t>(position(arguments[1].integer), 1);
  int64_t end = count > 2 ? std::min(position(arguments[2].integer), length) : length;
  std::vector<Item> slice;
  for (int64_t i = start; i <= end; ++i) slice.push_back(items[static_cast<size_t>(i - 1)]);
  return StoreItems(context, slice, static_cast<uint32_t>(slice.size()), out);
}

// MAP_ENTRIES(map): an array of ROW<key, value> elements, in the map's order.
uint8_t sluice_map_entries(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  std::vector<Item> entries;
  if (!ReadEntries(context, arguments[0], &entries)) return 0;
  std::vector<std::string> rows;  // each entry's ROW encoding, kept until written
  rows.reserve(entries.size() / 2);
  for (size_t i = 0; i + 1 < entries.size(); i += 2) {
    CollectionWriter row;
    row.Add(entries[i]);
    row.Add(entries[i + 1]);
    rows.push_back(row.Finish(2));
  }
  CollectionWriter array;
  for (const std::string& row : rows) {
    Item item;
    item.tag = ItemTag::kBytes;
    item.bytes = row;
    array.Add(item);
  }
  return StoreBytes(context, array.Finish(static_cast<uint32_t>(rows.size())), out);
}

// SPLIT(s, delimiter): the pieces of `s` around each occurrence of the delimiter (a literal),
// empty pieces kept; an empty delimiter splits every character.
uint8_t sluice_split(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                     SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  std::string_view delimiter = TextOf(arguments[1]);
  std::vector<Item> pieces;
  auto piece = [&](std::string_view bytes) {
    Item item;
    item.tag = ItemTag::kBytes;
    item.bytes = bytes;
    pieces.push_back(item);
  };
  if (delimiter.empty()) {
    for (size_t i = 0; i < text.size();) {
      size_t width = 1;  // one UTF-8 character
      auto lead = static_cast<unsigned char>(text[i]);
      if (lead >= 0xF0) {
        width = 4;
      } else if (lead >= 0xE0) {
        width = 3;
      } else if (lead >= 0xC0) {
        width = 2;
      }
      width = std::min(width, text.size() - i);
      piece(text.substr(i, width));
      i += width;
    }
  } else {
    size_t start = 0;
    while (true) {
      size_t found = text.find(delimiter, start);
      if (found == std::string_view::npos) break;
      piece(text.substr(start, found - start));
      start = found + delimiter.size();
    }
    piece(text.substr(start));
  }
  return StoreItems(context, pieces, static_cast<uint32_t>(pieces.size()), out);
}

// ARRAY_SORT(array [, ascending [, nulls_first]]): ascending by default; NULLs first when
// ascending and last when descending, unless nulls_first says otherwise. NULL when any
// argument is NULL (the binder makes the call null-propagating).
uint8_t sluice_array_sort(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                          int32_t count, SluiceUdfValue* out) {
  std::vector<Item> items;
  if (!ReadArray(context, arguments[0], &items)) return 0;
  bool ascending = count > 1 ? arguments[1].integer != 0 : true;
  bool nulls_first = count > 2 ? arguments[2].integer != 0 : ascending;
  std::vector<Item> nulls, values;
  for (const Item& item : items) (item.tag == ItemTag::kNull ? nulls : values).push_back(item);
  std::stable_sort(values.begin(), values.end(), [&](const Item& a, const Item& b) {
    return ascending ? ItemSortsBefore(a, b) : ItemSortsBefore(b, a);
  });
  std::vector<Item> sorted;
  sorted.reserve(items.size());
  if (nulls_first) sorted.insert(sorted.end(), nulls.begin(), nulls.end());
  sorted.insert(sorted.end(), values.begin(), values.end());
  if (!nulls_first) sorted.insert(sorted.end(), nulls.begin(), nulls.end());
  return StoreItems(context, sorted, static_cast<uint32_t>(sorted.size()), out);
}

// ARRAY_UNION(a1, a2): the distinct elements of a1 then a2, in the order first seen (one NULL
// kept); ARRAY_EXCEPT(a1, a2) / ARRAY_INTERSECT(a1, a2): the distinct elements of a1 that are
// not / also in a2, in a1's order (set semantics, NULL equal to NULL). NULL when an array is.
uint8_t sluice_array_union(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  std::vector<Item> first, second, kept;
  if (!ReadArray(context, arguments[0], &first) || !ReadArray(context, arguments[1], &second)) {
    return 0;
  }
  ItemSet seen;
  for (const std::vector<Item>* items : {&first, &second}) {
    for (const Item& item : *items) {
      if (seen.insert(item).second) kept.push_back(item);
    }
  }
  return StoreItems(context, kept, static_cast<uint32_t>(kept.size()), out);
}

namespace {

uint8_t FilterBySecond(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                       bool keep_if_present, SluiceUdfValue* out) {
  std::vector<Item> first, second, kept;
  if (!ReadArray(context, arguments[0], &first) || !ReadArray(context, arguments[1], &second)) {
    return 0;
  }
  ItemSet present(second.begin(), second.end()), seen;
  for (const Item& item : first) {
    if ((present.count(item) != 0) == keep_if_present && seen.insert(item).second) {
      kept.push_back(item);
    }
  }
  return StoreItems(context, kept, static_cast<uint32_t>(kept.size()), out);
}

}  // namespace

uint8_t sluice_array_except(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  return FilterBySecond(context, arguments, false, out);
}

uint8_t sluice_array_intersect(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                               int32_t, SluiceUdfValue* out) {
  return FilterBySecond(context, arguments, true, out);
}

// MAP_UNION(m1, m2, ...): every entry; a key in several maps takes the value of the last one,
// at the place it was first put. NULL when any map is NULL.
uint8_t sluice_map_union(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                         int32_t count, SluiceUdfValue* out) {
  std::vector<Item> entries, map;
  std::unordered_map<Item, size_t, ItemHash> index;  // key → its position in `entries`
  for (int32_t i = 0; i < count; ++i) {
    if (!ReadEntries(context, arguments[i], &map)) return 0;
    for (size_t j = 0; j + 1 < map.size(); j += 2) {
      auto [found, inserted] = index.try_emplace(map[j], entries.size());
      if (inserted) {
        entries.push_back(map[j]);
        entries.push_back(map[j + 1]);
      } else {
        entries[found->second + 1] = map[j + 1];
      }
    }
  }
  return StoreItems(context, entries, static_cast<uint32_t>(entries.size() / 2), out);
}
