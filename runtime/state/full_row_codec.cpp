#include "runtime/state/full_row_codec.h"

namespace sluice::runtime::state {

FullRowCodec::FullRowCodec(const std::vector<types::LogicalType>& types) {
  for (size_t slot = 0; slot < types.size(); ++slot) {
    if (types[slot].id() == types::TypeId::kRow) {
      row_slots_.push_back(static_cast<int32_t>(slot));
    } else {
      value_slots_.push_back(static_cast<int32_t>(slot));
      value_types_.push_back(types[slot]);
    }
  }
  codec_ = std::make_unique<RowCodec>(value_types_);
}

void FullRowCodec::Encode(const Batch& batch, int32_t row, std::string* out) const {
  codec_->Encode(batch, value_slots_, row, out);
  for (int32_t slot : row_slots_) out->push_back(batch.column(slot).IsNull(row) ? 0 : 1);
}

base::Status FullRowCodec::Decode(std::string_view bytes, Batch* out, int32_t row,
                                  size_t first_column) {
  if (row_slots_.empty()) return codec_->Decode(bytes, out, row, first_column);
  if (bytes.size() < row_slots_.size()) {
    return base::Status::Error(base::ErrorCode::kData, "a stored row is truncated");
  }
  std::string_view values = bytes.substr(0, bytes.size() - row_slots_.size());
  // Decode the non-ROW slots side by side, then place them; the scratch batch is renewed
  // before its arena grows large.
  constexpr size_t kScratchArenaLimit = 1 << 20;
  if (!scratch_ || scratch_->arena().bytes_allocated() > kScratchArenaLimit) {
    scratch_ = std::make_unique<Batch>(value_types_);
  }
  SLUICE_RETURN_IF_ERROR(codec_->Decode(values, scratch_.get(), 0, 0));
  for (size_t i = 0; i < value_slots_.size(); ++i) {
    const Column& from = scratch_->column(i);
    Column& to = out->column(first_column + value_slots_[i]);
    CopyCell(from, 0, &to, row);
    if (from.type().IsStringStored() && !from.IsNull(0)) {
      to.values<StringRef>()[row] = out->arena().Copy(from.values<StringRef>()[0].view());
    }
  }
  for (size_t i = 0; i < row_slots_.size(); ++i) {
    out->column(first_column + row_slots_[i]).validity()[row] =
        bytes[values.size() + i] != 0 ? 1 : 0;
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::state
