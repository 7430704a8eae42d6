#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::state {

/// Encodes every slot of a row, ROW slots included: RowCodec has no ROW slots (they carry only
/// validity), so their validity bytes follow the other slots' encoding. Equal rows give equal
/// bytes. Used for rows kept whole in state (join sides, Top-N entries).
class FullRowCodec {
 public:
  explicit FullRowCodec(const std::vector<types::LogicalType>& types);

  void Encode(const Batch& batch, int32_t row, std::string* out) const;
  /// Decodes one row into columns [first_column, first_column + slots) of `out` at `row`;
  /// strings are copied into `out`'s arena. An error (never an abort) on damaged bytes.
  base::Status Decode(std::string_view bytes, Batch* out, int32_t row, size_t first_column);

 private:
  std::vector<int32_t> value_slots_;
  std::vector<int32_t> row_slots_;
  std::vector<types::LogicalType> value_types_;
  std::unique_ptr<RowCodec> codec_;
  std::unique_ptr<Batch> scratch_;
};

}  // namespace sluice::runtime::state
