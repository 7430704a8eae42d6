#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/logical_type.h"
#include "runtime/batch/batch.h"
#include "runtime/state/full_row_codec.h"

namespace sluice::runtime::operators {

/// Converts rows kept whole in state (FullRowCodec bytes: join sides, Top-N entries) from an
/// old row layout to a new one: a slot that continues an old slot keeps its value (INT →
/// BIGINT, INT/BIGINT → DOUBLE and DECIMAL scale widenings converted, VARCHAR unchanged), a
/// new slot is NULL, an old slot nobody continues is dropped.
class RowMigration {
 public:
  /// `origins[i]`: the old slot new slot i continues, or -1. Fails (kPlan) when a continued
  /// slot's type cannot hold the old values.
  static base::Result<std::unique_ptr<RowMigration>> Create(
      std::vector<types::LogicalType> old_types, std::vector<types::LogicalType> new_types,
      std::vector<int32_t> origins);

  /// The bytes are the same before and after (same slots, same types).
  bool identity() const { return identity_; }
  /// Whether two different old rows can become one (a slot dropped, or BIGINT → DOUBLE).
  bool may_collide() const { return may_collide_; }

  /// Decodes `old_row` with the old layout and appends the new row's bytes to `out`.
  base::Status Convert(std::string_view old_row, std::string* out);

 private:
  RowMigration() = default;

  std::vector<types::LogicalType> old_types_;
  std::vector<types::LogicalType> new_types_;
  std::vector<int32_t> origins_;
  bool identity_ = false;
  bool may_collide_ = false;
  std::unique_ptr<state::FullRowCodec> old_codec_;
  std::unique_ptr<state::FullRowCodec> new_codec_;
  std::unique_ptr<Batch> old_row_;
  std::unique_ptr<Batch> new_row_;
};

/// Whether a value of `from` converts into `to` without loss (what RowMigration and the
/// accumulator migration carry): equal types, INT → BIGINT, INT/BIGINT → DOUBLE, DECIMAL to
/// a scale at least as large, VARCHAR to VARCHAR.
bool CanConvertValue(const types::LogicalType& from, const types::LogicalType& to);

/// Converts one fixed-width value's int64 or double bits (`Column` storage) from `from` to
/// `to` (CanConvertValue must hold): INT widens, integers become doubles, DECIMALs rescale.
/// False when a rescaled DECIMAL overflows.
bool ConvertFixedValue(const types::LogicalType& from, const types::LogicalType& to, int64_t in,
                       int64_t* out);

}  // namespace sluice::runtime::operators
