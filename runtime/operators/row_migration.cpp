#include "runtime/operators/row_migration.h"

#include <fmt/format.h>

#include <cstring>

#include "runtime/expr/kernel_abi.h"

namespace sluice::runtime::operators {

namespace {

using types::LogicalType;
using types::TypeId;

bool IsInteger(TypeId id) {
  return id == TypeId::kInt || id == TypeId::kBigint;
}

}  // namespace

bool CanConvertValue(const LogicalType& from, const LogicalType& to) {
  if (from.id() == TypeId::kDecimal && to.id() == TypeId::kDecimal) {
    return to.scale() >= from.scale();
  }
  if (from.id() == to.id()) return from.id() != TypeId::kTimestamp || from == to;
  if (from.id() == TypeId::kInt && to.id() == TypeId::kBigint) return true;
  return IsInteger(from.id()) && to.id() == TypeId::kDouble;
}

bool ConvertFixedValue(const LogicalType& from, const LogicalType& to, int64_t in, int64_t* out) {
  if (from.id() == TypeId::kDecimal && to.id() == TypeId::kDecimal) {
    int64_t value = in;
    for (int32_t scale = from.scale(); scale < to.scale(); ++scale) {
      if (__builtin_mul_overflow(value, int64_t{10}, &value)) return false;
    }
    *out = value;
    return true;
  }
  if (to.id() == TypeId::kDouble && from.id() != TypeId::kDouble) {
    double real = static_cast<double>(in);
    std::memcpy(out, &real, sizeof(real));
    return true;
  }
  *out = in;
  return true;
}

base::Result<std::unique_ptr<RowMigration>> RowMigration::Create(std::vector<LogicalType> old_types,
                                                                 std::vector<LogicalType> new_types,
                                                                 std::vector<int32_t> origins) {
  if (origins.size() != new_types.size()) {
    return base::Status::Error(
        base::ErrorCode::kPlan,
        fmt::format("{} field origins for a row of {} slots", origins.size(), new_types.size()));
  }
  std::unique_ptr<RowMigration> migration(new RowMigration());
  std::vector<bool> kept(old_types.size(), false);
  bool identity = old_types.size() == new_types.size();
  for (size_t slot = 0; slot < new_types.size(); ++slot) {
    int32_t origin = origins[slot];
    if (origin < 0) {
      identity = false;
      continue;
    }
    if (static_cast<size_t>(origin) >= old_types.size() || kept[origin]) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          fmt::format("slot {} continues old slot {} of {}", slot, origin, old_types.size()));
    }
    kept[origin] = true;
    const LogicalType& from = old_types[origin];
    const LogicalType& to = new_types[slot];
    bool row = from.id() == TypeId::kRow || to.id() == TypeId::kRow;
    if (row ? from.id() != to.id() : !CanConvertValue(from, to)) {
      return base::Status::Error(
          base::ErrorCode::kPlan,
          fmt::format("a kept column of type {} cannot become {}", from.ToString(), to.ToString()));
    }
    if (origin != static_cast<int32_t>(slot) || !(from == to)) identity = false;
    if (from.id() == TypeId::kBigint && to.id() == TypeId::kDouble) migration->may_collide_ = true;
  }
  for (bool was_kept : kept) migration->may_collide_ = migration->may_collide_ || !was_kept;
  migration->identity_ = identity;
  migration->old_codec_ = std::make_unique<state::FullRowCodec>(old_types);
  migration->new_codec_ = std::make_unique<state::FullRowCodec>(new_types);
  migration->old_types_ = std::move(old_types);
  migration->new_types_ = std::move(new_types);
  migration->origins_ = std::move(origins);
  return migration;
}

base::Status RowMigration::Convert(std::string_view old_row, std::string* out) {
  // Fresh one-row batches before their arenas (strings) grow large.
  constexpr size_t kArenaLimit = 1 << 20;
  if (!old_row_ || old_row_->arena().bytes_allocated() > kArenaLimit) {
    old_row_ = std::make_unique<Batch>(old_types_);
    old_row_->set_row_count(1);
    new_row_ = std::make_unique<Batch>(new_types_);
    new_row_->set_row_count(1);
  }
  SLUICE_RETURN_IF_ERROR(old_codec_->Decode(old_row, old_row_.get(), 0, 0));
  for (size_t slot = 0; slot < new_types_.size(); ++slot) {
    Column& to = new_row_->column(slot);
    int32_t origin = origins_[slot];
    if (origin < 0 || old_row_->column(origin).IsNull(0)) {
      to.validity()[0] = 0;
      int32_t width = to.type().PhysicalWidth();
      if (width > 0) std::memset(to.data(), 0, width);
      continue;
    }
    const Column& from = old_row_->column(origin);
    TypeId from_id = from.type().id();
    TypeId to_id = to.type().id();
    if (to_id == TypeId::kRow) {  // a ROW slot carries only its validity
      to.validity()[0] = 1;
      continue;
    }
    if (from_id == to_id && !(from_id == TypeId::kDecimal && !(from.type() == to.type()))) {
      CopyCell(from, 0, &to, 0);
      continue;
    }
    if (from_id == TypeId::kDecimal && to_id == TypeId::kDecimal) {
      // Rescaled exactly (the scale only grows); NULL-free: a value that does not fit fails.
      __int128 converted = 0;
      if (sluice_cast_decimal_to_decimal(from.DecimalAt(0), from.type().scale(),
                                         to.type().precision(), to.type().scale(),
                                         &converted) == 0) {
        return base::Status::Error(base::ErrorCode::kData,
                                   fmt::format("a kept {} value does not fit {}",
                                               from.type().ToString(), to.type().ToString()));
      }
      to.SetDecimal(0, converted);
      to.validity()[0] = 1;
      continue;
    }
    int64_t value = from_id == TypeId::kInt ? from.values<int32_t>()[0] : from.values<int64_t>()[0];
    int64_t converted = 0;
    if (!ConvertFixedValue(from.type(), to.type(), value, &converted)) {
      return base::Status::Error(base::ErrorCode::kData,
                                 fmt::format("a kept {} value does not fit {}",
                                             from.type().ToString(), to.type().ToString()));
    }
    std::memcpy(to.data(), &converted, sizeof(converted));
    to.validity()[0] = 1;
  }
  new_codec_->Encode(*new_row_, 0, out);
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
