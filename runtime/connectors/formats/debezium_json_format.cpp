#include "runtime/connectors/formats/debezium_json_format.h"

#include <utility>

#include "runtime/connectors/formats/decoded_rows.h"

namespace sluice::runtime::connectors::formats {

namespace {

base::Status EventError(const std::string& what) {
  return base::Status::Error(base::ErrorCode::kData, what);
}

// Flink's words: Postgres sends the old row of an UPDATE or DELETE only with REPLICA IDENTITY
// FULL, and nothing can be retracted without it.
base::Status MissingBefore(const char* operation) {
  return EventError(std::string("the \"before\" field of ") + operation +
                    " event is null; if you are using Debezium's Postgres connector, set the "
                    "table's REPLICA IDENTITY to FULL");
}

}  // namespace

std::vector<std::string> DebeziumJsonFormat::OptionKeys() {
  return {"schema-include",    "ignore-parse-errors",  "timestamp-format.standard",
          "map-null-key.mode", "map-null-key.literal", "encode.decimal-as-plain-number"};
}

base::Result<std::unique_ptr<Format>> DebeziumJsonFormat::Create(const FormatFields& fields,
                                                                 const FormatOptions& options,
                                                                 const std::string& prefix) {
  FormatOptionReader reader("debezium-json", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  SLUICE_ASSIGN_OR_RETURN(JsonCodecOptions codec_options, ReadJsonCodecOptions(reader));
  SLUICE_ASSIGN_OR_RETURN(bool schema_include, reader.GetBool("schema-include", false));
  return std::unique_ptr<Format>(new DebeziumJsonFormat(fields, codec_options, schema_include,
                                                        reader.Spelled("schema-include")));
}

DebeziumJsonFormat::DebeziumJsonFormat(const FormatFields& fields, JsonCodecOptions options,
                                       bool schema_include, std::string schema_include_option)
    : codec_(fields, options),
      schema_include_(schema_include),
      schema_include_option_(std::move(schema_include_option)) {}

base::Status DebeziumJsonFormat::Decode(std::optional<std::string_view> record,
                                        Batch* batch) const {
  if (!record || record->empty()) return base::Status::Ok();  // a tombstone
  base::Status status = DecodeEvent(*record, batch);
  if (status.ok() || NeedsEmptyBatch(status) || !codec_.options().ignore_parse_errors) {
    return status;
  }
  skipped_records_.fetch_add(1, std::memory_order_relaxed);
  return base::Status::Ok();
}

base::Status DebeziumJsonFormat::DecodeEvent(std::string_view record, Batch* batch) const {
  JsonNode root;
  SLUICE_RETURN_IF_ERROR(ParseJson(record, &root));
  if (!root.is_object()) {
    return EventError(std::string("expected a JSON object, found ") + JsonKindName(root.kind));
  }
  const JsonNode* payload = &root;
  if (schema_include_) {
    payload = FindMember(root, "payload");
    if (payload == nullptr || !payload->is_object()) {
      return EventError("expected a \"payload\" object, as '" + schema_include_option_ +
                        "' is true");
    }
  }
  const JsonNode* op = FindMember(*payload, "op");
  const JsonNode* before = FindMember(*payload, "before");
  const JsonNode* after = FindMember(*payload, "after");
  if (op == nullptr) {
    if (!schema_include_ && FindMember(root, "schema") != nullptr &&
        FindMember(root, "payload") != nullptr) {
      return EventError("the record has \"schema\" and \"payload\" keys; set '" +
                        schema_include_option_ + "' = 'true' to read it");
    }
    if (before == nullptr && after == nullptr) return base::Status::Ok();  // a heartbeat
    return EventError("the event has no \"op\"");
  }
  if (!op->is_string()) {
    return EventError(std::string("expected \"op\" to be a string, found ") +
                      JsonKindName(op->kind));
  }
  auto is_row = [](const JsonNode* node) { return node != nullptr && node->is_object(); };
  auto check_row = [](const JsonNode* node, const char* key) {
    if (node == nullptr || node->is_null() || node->is_object()) return base::Status::Ok();
    return EventError(std::string("expected \"") + key + "\" to be an object, found " +
                      JsonKindName(node->kind));
  };
  SLUICE_RETURN_IF_ERROR(check_row(before, "before"));
  SLUICE_RETURN_IF_ERROR(check_row(after, "after"));

  const int32_t row = batch->row_count();
  const std::string& kind = op->text;
  if (kind == "c" || kind == "r") {
    if (!is_row(after)) {
      return EventError("the \"after\" field of a " + std::string(kind == "c" ? "create" : "read") +
                        " event is null");
    }
    if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a debezium-json event");
    SLUICE_RETURN_IF_ERROR(codec_.ReadObject(*after, batch, row));
    SetRowKind(batch, row, RowKind::kInsert);
    batch->set_row_count(row + 1);
  } else if (kind == "u") {
    if (!is_row(before)) return MissingBefore("an UPDATE");
    if (!is_row(after)) return EventError("the \"after\" field of an UPDATE event is null");
    if (!HasRoomFor(*batch, 2)) return NoRoomFor(*batch, 2, "a debezium-json update");
    SLUICE_RETURN_IF_ERROR(codec_.ReadObject(*before, batch, row));
    SLUICE_RETURN_IF_ERROR(codec_.ReadObject(*after, batch, row + 1));
    SetRowKind(batch, row, RowKind::kUpdateBefore);
    SetRowKind(batch, row + 1, RowKind::kUpdateAfter);
    batch->set_row_count(row + 2);
  } else if (kind == "d") {
    if (!is_row(before)) return MissingBefore("a DELETE");
    if (!HasRoomFor(*batch, 1)) return NoRoomFor(*batch, 1, "a debezium-json event");
    SLUICE_RETURN_IF_ERROR(codec_.ReadObject(*before, batch, row));
    SetRowKind(batch, row, RowKind::kDelete);
    batch->set_row_count(row + 1);
  } else {
    return EventError("unknown \"op\" value \"" + kind + "\" (expected c, r, u or d)");
  }
  return base::Status::Ok();
}

base::Status DebeziumJsonFormat::CheckEncodable() const {
  if (!schema_include_) return base::Status::Ok();
  return base::Status::Error(base::ErrorCode::kOption,
                             "format 'debezium-json' cannot write records with '" +
                                 schema_include_option_ +
                                 "' = 'true' (it writes no schema); leave it out for a sink")
      .WithSubject(schema_include_option_);
}

base::Status DebeziumJsonFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  SLUICE_RETURN_IF_ERROR(CheckEncodable());
  const RowKind kind = batch.row_kind(row);
  if (kind == RowKind::kInsert || kind == RowKind::kUpdateAfter) {
    out->append("{\"before\":null,\"after\":");
    codec_.AppendObject(batch, row, out);
    out->append(",\"op\":\"c\"}");
  } else {
    out->append("{\"before\":");
    codec_.AppendObject(batch, row, out);
    out->append(",\"after\":null,\"op\":\"d\"}");
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::connectors::formats
