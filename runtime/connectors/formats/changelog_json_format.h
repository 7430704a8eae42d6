#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/formats/json_row_codec.h"

namespace sluice::runtime::connectors::formats {

/// `'format' = 'changelog-json'` (Sluice's own): a json record whose first key `"op"` holds
/// the row kind, `+I`, `-U`, `+U` or `-D`: `{"op":"-U","k":"a","total":2}`. It reads back
/// what it writes, so a file of it is an updating source. No field may be named `op`.
/// Options: `ignore-parse-errors` (false: a record without a valid `"op"`, or not JSON, is
/// skipped and counted; a value that does not convert is NULL), `timestamp-format.standard`
/// (`SQL`), `encode.ignore-null-fields` (false).
class ChangelogJsonFormat final : public Format {
 public:
  static std::vector<std::string> OptionKeys();
  static base::Result<std::unique_ptr<Format>> Create(const FormatFields& fields,
                                                      const FormatOptions& options,
                                                      const std::string& prefix);

  ChangelogJsonFormat(const FormatFields& fields, JsonCodecOptions options);

  std::string name() const override { return "changelog-json"; }
  bool IsChangelog() const override { return true; }
  base::Status Decode(std::optional<std::string_view> record, Batch* batch) const override;
  base::Status Encode(const Batch& batch, int32_t row, std::string* out) const override;
  int64_t skipped_records() const override { return skipped_records_.load(); }

 private:
  base::Status DecodeObject(std::string_view record, Batch* batch) const;

  JsonRowCodec codec_;
  mutable std::atomic<int64_t> skipped_records_{0};
};

}  // namespace sluice::runtime::connectors::formats
