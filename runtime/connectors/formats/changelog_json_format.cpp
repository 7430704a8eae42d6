#include "runtime/connectors/formats/changelog_json_format.h"

#include "runtime/connectors/formats/decoded_rows.h"

namespace sluice::runtime::connectors::formats {

namespace {

constexpr const char* kOpKey = "op";

std::optional<RowKind> ParseRowKind(const std::string& text) {
  for (RowKind kind :
       {RowKind::kInsert, RowKind::kUpdateBefore, RowKind::kUpdateAfter, RowKind::kDelete}) {
    if (text == RowKindName(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> ChangelogJsonFormat::OptionKeys() {
  return {"ignore-parse-errors", "timestamp-format.standard", "encode.ignore-null-fields"};
}

base::Result<std::unique_ptr<Format>> ChangelogJsonFormat::Create(const FormatFields& fields,
                                                                  const FormatOptions& options,
                                                                  const std::string& prefix) {
  FormatOptionReader reader("changelog-json", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  SLUICE_ASSIGN_OR_RETURN(JsonCodecOptions codec_options, ReadJsonCodecOptions(reader));
  for (const types::RowField& field : fields.fields.columns) {
    if (types::IdentifierEquals(field.name, kOpKey)) {
      return base::Status::Error(base::ErrorCode::kOption,
                                 "format 'changelog-json' uses the key \"op\" for the row kind, "
                                 "so a column cannot be named '" +
                                     field.name + "'");
    }
  }
  return std::unique_ptr<Format>(new ChangelogJsonFormat(fields, codec_options));
}

ChangelogJsonFormat::ChangelogJsonFormat(const FormatFields& fields, JsonCodecOptions options)
    : codec_(fields, options) {}

base::Status ChangelogJsonFormat::Decode(std::optional<std::string_view> record,
                                         Batch* batch) const {
  if (!record) return base::Status::Ok();
  if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a changelog-json record");
  base::Status status = DecodeObject(*record, batch);
  if (status.ok() || !codec_.options().ignore_parse_errors) return status;
  skipped_records_.fetch_add(1, std::memory_order_relaxed);
  return base::Status::Ok();
}

base::Status ChangelogJsonFormat::DecodeObject(std::string_view record, Batch* batch) const {
  JsonNode root;
  SLUICE_RETURN_IF_ERROR(ParseJson(record, &root));
  if (!root.is_object()) {
    return base::Status::Error(
        base::ErrorCode::kData,
        std::string("expected a JSON object, found ") + JsonKindName(root.kind));
  }
  const JsonNode* op = FindMember(root, kOpKey);
  std::optional<RowKind> kind;
  if (op != nullptr && op->is_string()) kind = ParseRowKind(op->text);
  if (!kind) {
    std::string found = op == nullptr     ? "no \"op\" key"
                        : op->is_string() ? "\"" + op->text + "\""
                                          : JsonKindName(op->kind);
    return base::Status::Error(
        base::ErrorCode::kData,
        "expected \"op\" to be \"+I\", \"-U\", \"+U\" or \"-D\", found " + found);
  }
  const int32_t row = batch->row_count();
  SLUICE_RETURN_IF_ERROR(codec_.ReadObject(root, batch, row));
  SetRowKind(batch, row, *kind);
  batch->set_row_count(row + 1);
  return base::Status::Ok();
}

base::Status ChangelogJsonFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  out->append("{\"op\":\"");
  out->append(RowKindName(batch.row_kind(row)));
  out->push_back('"');
  bool first = false;
  codec_.AppendMembers(batch, row, &first, out);
  out->push_back('}');
  return base::Status::Ok();
}

}  // namespace sluice::runtime::connectors::formats
