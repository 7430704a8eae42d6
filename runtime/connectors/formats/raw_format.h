#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/formats/format.h"

namespace sluice::runtime::connectors::formats {

/// `'format' = 'raw'`: a record's bytes as they are, as the one VARCHAR (STRING) field. A
/// null record (a Kafka tombstone) decodes into a row whose value is NULL, and a NULL value
/// encodes as a null record (EncodesAsNull; a file holds an empty line for it, which reads
/// back as ''). Numeric raw types are not supported.
///
/// Options: `charset` (`UTF-8`, the only one supported: the bytes are not converted) and
/// `endianness` (`big-endian` or `little-endian`; checked, it only matters for numeric
/// types).
class RawFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  static base::Result<std::unique_ptr<Format>> Create(const FormatFields& fields,
                                                      const FormatOptions& options,
                                                      const std::string& prefix);

  explicit RawFormat(size_t slot) : slot_(slot) {}

  std::string name() const override { return "raw"; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  bool EncodesAsNull(const Batch& batch, int32_t row) const override {
    return batch.column(slot_).IsNull(row);
  }

 private:
  size_t slot_;  // the field's slot in the batches
};

}  // namespace sluice::runtime::connectors::formats
