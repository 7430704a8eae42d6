#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/operators/operator.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::operators {

/// The namespace of an event time: 8 bytes big-endian, ordered as the times are.
std::string TimeNamespace(int64_t time);
/// The time of a TimeNamespace (`bytes` holds at least 8 bytes).
int64_t ReadTimeNamespace(std::string_view bytes);

/// Holds rows in a state table until a time passes (the watermark, or a processing-time
/// tick), per key, and hands them back in time order (MATCH_RECOGNIZE's event-time rows, the
/// rows of ORDER BY a time attribute).
///
/// Table layout (one entry per key and time): key = the operator's encoded key; namespace =
/// the time, 8 bytes big-endian (ordered as the times are); value = the rows of that key and
/// time in arrival order, each a 4-byte little-endian length and its sort key (AppendSortKey
/// bytes; empty without secondary keys), then a 4-byte little-endian length and the
/// FullRowCodec-encoded row.
///
/// Restore: the table is state; which keys hold rows of which time is rebuilt at `Open` from
/// the namespaces of the owned key groups.
class TimeRowBuffer {
 public:
  using KeyRef = std::pair<int32_t, std::string>;  // (key group, encoded key)
  struct Row {
    int64_t time = 0;
    std::string bytes;     // FullRowCodec
    std::string sort_key;  // AppendSortKey by the keys after the time; may be empty
  };

  /// Uses `table` (the operator's "rows"), indexing the entries of the owned key groups.
  void Open(const OperatorContext& context, state::StateTable* table);
  /// Appends a row of `time` to `key`'s rows.
  void Add(int32_t key_group, std::string_view key, int64_t time, std::string_view sort_key,
           std::string_view row);
  using RowsVisitor = std::function<base::Status(const KeyRef& key, std::vector<Row> rows)>;
  /// Removes every row of a time <= `time` and passes them to `visit` one key at a time, in
  /// time order, rows of one time by sort key, ties in arrival order. kData error when an
  /// entry is damaged; `visit`'s first error otherwise.
  base::Status TakeUntil(int64_t time, const RowsVisitor& visit);
  /// The earliest time that holds rows, if any.
  std::optional<int64_t> EarliestTime() const;

 private:
  state::StateTable* table_ = nullptr;
  std::string uid_;                          // the operator's, for errors
  std::map<int64_t, std::set<KeyRef>> due_;  // time → the keys holding rows of that time
};

}  // namespace sluice::runtime::operators
