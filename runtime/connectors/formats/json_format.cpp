#include "runtime/connectors/formats/json_format.h"

#include "runtime/connectors/formats/decoded_rows.h"
#include "runtime/connectors/formats/field_slots.h"

namespace sluice::runtime::connectors::formats {

namespace {

// Returns the length of the valid UTF-8 sequence starting at `text[position]`, or 0.
size_t Utf8SequenceLength(std::string_view text, size_t position) {
  auto byte = [&](size_t offset) -> unsigned {
    return position + offset < text.size() ? static_cast<unsigned char>(text[position + offset])
                                           : 0u;
  };
  auto continuation = [&](size_t offset) { return (byte(offset) & 0xC0u) == 0x80u; };
  unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    unsigned second = byte(1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
    if (lead == 0xED && second > 0x9F) return 0;  // UTF-16 surrogates
    return continuation(1) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    unsigned second = byte(1);
    if (lead == 0xF0 && second < 0x90) return 0;  // overlong
    if (lead == 0xF4 && second > 0x8F) return 0;  // past U+10FFFF
    return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::vector<std::string> JsonFormat::OptionKeys() {
  return {"fail-on-missing-field",     "ignore-parse-errors",
          "timestamp-format.standard", "map-null-key.mode",
          "map-null-key.literal",      "encode.decimal-as-plain-number",
          "encode.ignore-null-fields", "decode.json-parser.enabled"};
}

base::Result<std::unique_ptr<Format>> JsonFormat::Create(const FormatFields& fields,
                                                         const FormatOptions& options,
                                                         const std::string& prefix) {
  FormatOptionReader reader("json", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  SLUICE_ASSIGN_OR_RETURN(JsonCodecOptions codec_options, ReadJsonCodecOptions(reader));
  return std::unique_ptr<Format>(new JsonFormat(fields, codec_options));
}

JsonFormat::JsonFormat(const types::Schema& schema) : JsonFormat(AllColumns(schema), {}) {}

JsonFormat::JsonFormat(const FormatFields& fields, JsonCodecOptions options)
    : codec_(fields, options) {}

base::Status JsonFormat::Decode(std::optional<std::string_view> record, Batch* batch) const {
  if (!record) return base::Status::Ok();  // a null message: nothing to read
  if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a json record");
  const int32_t row = batch->row_count();
  JsonNode root;
  base::Status status = ParseJson(*record, &root);
  if (status.ok() && !root.is_object()) {
    status =
        base::Status::Error(base::ErrorCode::kData, std::string("expected a JSON object, found ") +
                                                        JsonKindName(root.kind));
  }
  if (status.ok()) status = codec_.ReadObject(root, batch, row);
  if (!status.ok()) {
    if (!codec_.options().ignore_parse_errors) return status;
    skipped_records_.fetch_add(1, std::memory_order_relaxed);
    return base::Status::Ok();
  }
  SetRowKind(batch, row, RowKind::kInsert);
  batch->set_row_count(row + 1);
  return base::Status::Ok();
}

base::Status JsonFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  RowKind kind = batch.row_kind(row);
  if (kind != RowKind::kInsert && kind != RowKind::kUpdateAfter) {
    return base::Status::Error(base::ErrorCode::kPlan,
                               std::string("format 'json' cannot write a ") + RowKindName(kind) +
                                   " row: it holds inserts only");
  }
  codec_.AppendObject(batch, row, out);
  return base::Status::Ok();
}

void JsonFormat::AppendString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t position = 0;
  while (position < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[position]);
    if (c >= 0x80) {
      size_t length = Utf8SequenceLength(text, position);
      if (length == 0) {
        out->append("\\ufffd");
        ++position;
      } else {
        out->append(text.substr(position, length));
        position += length;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++position;
  }
  out->push_back('"');
}

}  // namespace sluice::runtime::connectors::formats
