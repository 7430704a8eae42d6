#include "runtime/batch/batch.h"

#include <algorithm>
#include <cstdlib>

namespace sluice::runtime {

char* Arena::Allocate(size_t size) {
  if (chunks_.empty() || chunk_used_ + size > chunk_size_) {
    chunk_size_ = std::max<size_t>(size, 64 * 1024);
    chunks_.push_back(std::make_unique<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* out = chunks_.back().get() + chunk_used_;
  chunk_used_ += size;
  bytes_allocated_ += size;
  return out;
}

StringRef Arena::Copy(std::string_view text) {
  char* target = Allocate(text.size());
  if (!text.empty()) std::memcpy(target, text.data(), text.size());
  return StringRef{target, static_cast<uint32_t>(text.size()), 0};
}

void Column::FreeDeleter::operator()(uint8_t* pointer) const {
  std::free(pointer);
}

namespace {

uint8_t* AllocateZeroed(size_t bytes) {
  size_t rounded = std::max<size_t>((bytes + 63) / 64 * 64, 64);
  auto* pointer = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  std::memset(pointer, 0, rounded);
  return pointer;
}

}  // namespace

Column::Column(types::LogicalType type) : type_(std::move(type)) {
  data_.reset(AllocateZeroed(static_cast<size_t>(type_.PhysicalWidth()) * kBatchCapacity));
  validity_.reset(AllocateZeroed(kBatchCapacity));
}

void CopyCell(const Column& from, int32_t from_row, Column* to, int32_t to_row) {
  to->validity()[to_row] = from.validity()[from_row];
  int32_t width = from.type().PhysicalWidth();
  if (width > 0) {
    std::memcpy(to->data() + static_cast<size_t>(to_row) * width,
                from.data() + static_cast<size_t>(from_row) * width, width);
  }
}

const char* RowKindName(RowKind kind) {
  switch (kind) {
    case RowKind::kInsert: return "+I";
    case RowKind::kUpdateBefore: return "-U";
    case RowKind::kUpdateAfter: return "+U";
    case RowKind::kDelete: return "-D";
  }
  return "?";
}

Batch::Batch(const std::vector<types::LogicalType>& slot_types) {
  columns_.reserve(slot_types.size());
  for (const auto& type : slot_types) columns_.push_back(std::make_unique<Column>(type));
}

void Batch::RetainArenasOf(const Batch& other) {
  // Appending many slices of one batch must not retain its arenas once per slice.
  auto retain = [this](const std::shared_ptr<Arena>& arena) {
    if (arena == arena_) return;
    for (const auto& held : retained_arenas_) {
      if (held == arena) return;
    }
    retained_arenas_.push_back(arena);
  };
  retain(other.arena_);
  for (const auto& arena : other.retained_arenas_) retain(arena);
}

void Batch::AppendRows(const Batch& source, const int32_t* rows, int32_t count) {
  for (size_t column_index = 0; column_index < columns_.size(); ++column_index) {
    const Column& from = source.column(column_index);
    Column& to = *columns_[column_index];
    int32_t width = from.type().PhysicalWidth();
    for (int32_t i = 0; i < count; ++i) {
      int32_t row = rows[i];
      to.validity()[row_count_ + i] = from.validity()[row];
      if (width > 0) {
        std::memcpy(to.data() + static_cast<size_t>(row_count_ + i) * width,
                    from.data() + static_cast<size_t>(row) * width, width);
      }
    }
  }
  if (source.has_row_kinds()) {
    uint8_t* kinds = EnableRowKinds();
    for (int32_t i = 0; i < count; ++i) kinds[row_count_ + i] = source.row_kinds_[rows[i]];
  }
  row_count_ += count;
  RetainArenasOf(source);
}

uint8_t* Batch::EnableRowKinds() {
  if (row_kinds_.empty()) row_kinds_.assign(kBatchCapacity, 0);
  return row_kinds_.data();
}

}  // namespace sluice::runtime
