#include "runtime/connectors/formats/decoded_rows.h"

#include <string>

#include "runtime/connectors/formats/format.h"

namespace sluice::runtime::connectors::formats {

namespace {

// The subject of the "decode it again into an empty batch" error: a code of its own that
// callers test with NeedsEmptyBatch, never by the message.
constexpr const char* kNeedsEmptyBatchSubject = "format: the record needs an empty batch";

}  // namespace

base::Status NoRoomFor(const Batch& batch, int64_t rows, const std::string& what) {
  if (rows > kBatchCapacity) {
    return base::Status::Error(base::ErrorCode::kData, what + " decodes into " +
                                                           std::to_string(rows) +
                                                           " rows, more than a batch holds (" +
                                                           std::to_string(kBatchCapacity) + ")");
  }
  return base::Status::Error(base::ErrorCode::kData,
                             what + " decodes into " + std::to_string(rows) +
                                 " rows, more than the batch has room for; decode it again "
                                 "into an empty batch")
      .WithSubject(kNeedsEmptyBatchSubject);
}

bool NeedsEmptyBatch(const base::Status& status) {
  return !status.ok() && status.code() == base::ErrorCode::kData &&
         status.subject() == kNeedsEmptyBatchSubject;
}

}  // namespace sluice::runtime::connectors::formats
