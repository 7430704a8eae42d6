#include "runtime/connectors/print_connector.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/option_reader.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::connectors {

namespace {

constexpr const char* kPrintIdentifier = "print-identifier";
constexpr const char* kStandardError = "standard-error";

/// One lock for every print writer in the process, held while a whole batch is written.
std::mutex& OutputMutex() {
  static std::mutex mutex;
  return mutex;
}

// The number of slots a ROW's fields occupy after its own validity slot.
size_t FieldSlotCount(const types::LogicalType& type) {
  size_t count = 0;
  for (const types::RowField& field : type.fields()) {
    count += 1 + (field.type.id() == types::TypeId::kRow ? FieldSlotCount(field.type) : 0);
  }
  return count;
}

void AppendValue(const Batch& batch, int32_t row, const types::LogicalType& type, size_t* slot,
                 const expr::TimeZone* zone, std::string* out) {
  const Column& column = batch.column(*slot);
  ++*slot;
  if (type.id() != types::TypeId::kRow) {
    if (column.IsNull(row)) {
      out->append("<NULL>");
    } else if (type.id() == types::TypeId::kTimestamp) {
      // A TIMESTAMP_LTZ (an instant) shows as the session zone's wall time, as Flink's SQL
      // client shows it; a TIMESTAMP is a wall time already.
      int64_t value = column.values<int64_t>()[row];
      int64_t wall = value;
      if (type.IsTimestampLtz() && zone != nullptr &&
          __builtin_add_overflow(value, zone->OffsetAt(value), &wall)) {
        wall = value;
      }
      out->append(expr::FormatTimestamp(wall));
    } else if (type.id() == types::TypeId::kBinary) {
      // x'68656c6c6f', as Flink prints a binary string (BinaryToStringCastRule when printing).
      out->append("x'")
          .append(expr::EncodeHex(column.values<StringRef>()[row].view()))
          .push_back('\'');
    } else {
      formats::CsvFormat::AppendValue(column, row, out);
    }
    return;
  }
  if (column.IsNull(row)) {
    out->append("<NULL>");
    *slot += FieldSlotCount(type);
    return;
  }
  out->append("+I[");
  bool first = true;
  for (const types::RowField& field : type.fields()) {
    if (!first) out->append(", ");
    first = false;
    AppendValue(batch, row, field.type, slot, zone, out);
  }
  out->push_back(']');
}

class PrintWriter final : public SinkWriter {
 public:
  PrintWriter(const TableDescriptor& table, std::string prefix, bool standard_error,
              std::shared_ptr<const expr::TimeZone> zone)
      : schema_(table.schema),
        prefix_(std::move(prefix)),
        standard_error_(standard_error),
        zone_(std::move(zone)) {}

  base::Status Write(const Batch& batch) override {
    std::string text;
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      text.append(prefix_);
      text.append(PrintConnector::FormatRow(schema_, batch, row, zone_.get()));
      text.push_back('\n');
    }
    if (text.empty()) return base::Status::Ok();
    std::FILE* stream = standard_error_ ? stderr : stdout;
    std::lock_guard<std::mutex> lock(OutputMutex());
    if (std::fwrite(text.data(), 1, text.size(), stream) != text.size() ||
        std::fflush(stream) != 0) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 std::string("cannot write to ") +
                                     (standard_error_ ? "standard error" : "standard output") +
                                     ": " + std::strerror(errno));
    }
    return base::Status::Ok();
  }

  base::Status Finish() override { return base::Status::Ok(); }

 private:
  types::Schema schema_;
  std::string prefix_;
  bool standard_error_;
  std::shared_ptr<const expr::TimeZone> zone_;
};

}  // namespace

std::string PrintConnector::FormatRow(const types::Schema& schema, const Batch& batch, int32_t row,
                                      const expr::TimeZone* zone) {
  std::string out = RowKindName(batch.row_kind(row));
  out.push_back('[');
  size_t slot = 0;
  bool first = true;
  for (const types::RowField& column : schema.columns) {
    if (!first) out.append(", ");
    first = false;
    AppendValue(batch, row, column.type, &slot, zone, &out);
  }
  out.push_back(']');
  return out;
}

std::vector<std::string> PrintConnector::FormatFields(const types::Schema& schema,
                                                      const Batch& batch, int32_t row,
                                                      const expr::TimeZone* zone) {
  std::vector<std::string> fields;
  fields.reserve(schema.columns.size());
  size_t slot = 0;
  for (const types::RowField& column : schema.columns) {
    AppendValue(batch, row, column.type, &slot, zone, &fields.emplace_back());
  }
  return fields;
}

base::Status PrintConnector::Validate(const TableDescriptor& table, bool as_source) const {
  OptionReader options(table);
  if (as_source) {
    return options.TableError("connector 'print' can only be written, not read");
  }
  SLUICE_RETURN_IF_ERROR(options.CheckKnown({kPrintIdentifier, kStandardError}));
  return options.GetBool(kStandardError, false).status();
}

base::Result<std::unique_ptr<SinkWriter>> PrintConnector::CreateWriter(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_RETURN_IF_ERROR(Validate(table, /*as_source=*/false));
  OptionReader options(table);
  SLUICE_ASSIGN_OR_RETURN(bool standard_error, options.GetBool(kStandardError, false));
  // Flink's PrintSinkOutputWriter: identifier, then ":" and the 1-based subtask number when
  // the parallelism is above one, then "> " when anything came before.
  std::string prefix = options.GetString(kPrintIdentifier).value_or("");
  if (subtask.parallelism > 1) {
    if (!prefix.empty()) prefix += ":";
    prefix += std::to_string(subtask.index + 1);
  }
  if (!prefix.empty()) prefix += "> ";
  return std::unique_ptr<SinkWriter>(new PrintWriter(
      table, std::move(prefix), standard_error, expr::TimeZone::Find(subtask.local_time_zone)));
}

const Connector& PrintConnectorInstance() {
  static const PrintConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
