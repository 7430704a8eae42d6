#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "catalog/types/logical_type.h"

namespace sluice::runtime {

/// Maximum rows in one batch.
inline constexpr int32_t kBatchCapacity = 1024;

/// Views a string stored in a batch arena (or any storage the batch keeps alive). 16 bytes,
/// the layout generated code reads and writes.
struct StringRef {
  const char* data;
  uint32_t length;
  uint32_t reserved;

  std::string_view view() const { return {data, length}; }
};
static_assert(sizeof(StringRef) == 16);

/// Owns the bytes of the strings a batch refers to; grows in chunks and never moves data.
class Arena {
 public:
  /// Returns `size` bytes that stay valid as long as the arena lives.
  char* Allocate(size_t size);
  /// Copies `text` into the arena and returns a view of the copy.
  StringRef Copy(std::string_view text);
  size_t bytes_allocated() const { return bytes_allocated_; }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
  size_t bytes_allocated_ = 0;
};

/// Holds one column of a batch: fixed-width values and one validity byte per row (1 = not
/// NULL). Values of NULL rows are zeroed. Buffers are 64-byte aligned for vectorized loops.
class Column {
 public:
  explicit Column(types::LogicalType type);

  const types::LogicalType& type() const { return type_; }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  uint8_t* validity() { return validity_.get(); }
  const uint8_t* validity() const { return validity_.get(); }

  template <typename T>
  T* values() {
    return reinterpret_cast<T*>(data_.get());
  }
  template <typename T>
  const T* values() const {
    return reinterpret_cast<const T*>(data_.get());
  }

  bool IsNull(int32_t row) const { return validity_.get()[row] == 0; }

  /// Reads a DECIMAL's unscaled value: an int64 for precision <= 18, else an __int128.
  __int128 DecimalAt(int32_t row) const {
    if (!type_.IsWideDecimal()) return values<int64_t>()[row];
    __int128 value;
    std::memcpy(&value, data() + static_cast<size_t>(row) * sizeof(value), sizeof(value));
    return value;
  }
  /// Writes a DECIMAL's unscaled value, which has at most the column's precision.
  void SetDecimal(int32_t row, __int128 value) {
    if (!type_.IsWideDecimal()) {
      values<int64_t>()[row] = static_cast<int64_t>(value);
      return;
    }
    std::memcpy(data() + static_cast<size_t>(row) * sizeof(value), &value, sizeof(value));
  }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* pointer) const;
  };
  types::LogicalType type_;
  std::unique_ptr<uint8_t, FreeDeleter> data_;
  std::unique_ptr<uint8_t, FreeDeleter> validity_;
};

/// Copies one value (and its validity) between columns of the same type. Strings keep pointing
/// where they did: the caller keeps their storage alive or copies them.
void CopyCell(const Column& from, int32_t from_row, Column* to, int32_t to_row);

/// Marks a change in an updating stream (Flink's RowKind).
enum class RowKind : uint8_t { kInsert = 0, kUpdateBefore = 1, kUpdateAfter = 2, kDelete = 3 };

/// Renders a row kind as `+I`, `-U`, `+U`, `-D`.
const char* RowKindName(RowKind kind);

/// A columnar batch of up to kBatchCapacity rows: one Column per flattened schema slot, an
/// arena for strings, and a row-kind per row when the stream is updating.
class Batch {
 public:
  Batch() = default;
  /// Creates an empty batch with one column per slot type.
  explicit Batch(const std::vector<types::LogicalType>& slot_types);

  int32_t row_count() const { return row_count_; }
  void set_row_count(int32_t count) { row_count_ = count; }
  size_t column_count() const { return columns_.size(); }
  Column& column(size_t index) { return *columns_[index]; }
  const Column& column(size_t index) const { return *columns_[index]; }

  Arena& arena() { return *arena_; }
  /// Keeps another batch's arena alive, for strings that were passed through unchanged.
  void RetainArenasOf(const Batch& other);

  /// Appends the given rows of `source` (same slot types) after this batch's rows. Strings
  /// keep pointing into the source's arenas, which this batch then retains.
  void AppendRows(const Batch& source, const int32_t* rows, int32_t count);

  bool has_row_kinds() const { return !row_kinds_.empty(); }
  RowKind row_kind(int32_t row) const {
    return row_kinds_.empty() ? RowKind::kInsert : static_cast<RowKind>(row_kinds_[row]);
  }
  /// Turns on the row-kind column (all +I) so rows can carry other kinds.
  uint8_t* EnableRowKinds();
  uint8_t* row_kinds() { return row_kinds_.empty() ? nullptr : row_kinds_.data(); }

 private:
  std::vector<std::unique_ptr<Column>> columns_;
  int32_t row_count_ = 0;
  std::shared_ptr<Arena> arena_ = std::make_shared<Arena>();
  std::vector<std::shared_ptr<Arena>> retained_arenas_;
  std::vector<uint8_t> row_kinds_;
};

}  // namespace sluice::runtime
