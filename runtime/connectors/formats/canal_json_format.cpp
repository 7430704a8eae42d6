#include "runtime/connectors/formats/canal_json_format.h"

#include <re2/re2.h>

#include <utility>

#include "runtime/connectors/formats/decoded_rows.h"

namespace sluice::runtime::connectors::formats {

namespace {

base::Status EventError(const std::string& what) {
  return base::Status::Error(base::ErrorCode::kData, what);
}

/// Reads `key` of `root` as an array of objects (`data`, `old`).
base::Result<const JsonNode*> RowArray(const JsonNode& root, const char* key) {
  const JsonNode* array = FindMember(root, key);
  if (array == nullptr || !array->is_array()) {
    return EventError(std::string("expected \"") + key + "\" to be an array of rows, found " +
                      (array == nullptr ? "no such key" : JsonKindName(array->kind)));
  }
  for (size_t index = 0; index < array->members.size(); ++index) {
    const JsonNode& element = array->members[index].second;
    if (!element.is_object()) {
      return EventError(std::string("expected element ") + std::to_string(index) + " of \"" + key +
                        "\" to be an object, found " + JsonKindName(element.kind));
    }
  }
  return array;
}

base::Result<std::unique_ptr<re2::RE2>> ReadPattern(const FormatOptionReader& reader,
                                                    const std::string& key) {
  auto text = reader.GetString(key);
  if (!text) return std::unique_ptr<re2::RE2>();
  auto pattern = std::make_unique<re2::RE2>(*text, re2::RE2::Quiet);
  if (!pattern->ok()) {
    return reader.InvalidValue(key, "not a regular expression: " + pattern->error());
  }
  return pattern;
}

}  // namespace

std::vector<std::string> CanalJsonFormat::OptionKeys() {
  return {"ignore-parse-errors",
          "timestamp-format.standard",
          "database.include",
          "table.include",
          "map-null-key.mode",
          "map-null-key.literal",
          "encode.decimal-as-plain-number"};
}

base::Result<std::unique_ptr<Format>> CanalJsonFormat::Create(const FormatFields& fields,
                                                              const FormatOptions& options,
                                                              const std::string& prefix) {
  FormatOptionReader reader("canal-json", options, prefix);
  SLUICE_RETURN_IF_ERROR(reader.CheckKnown(OptionKeys()));
  SLUICE_ASSIGN_OR_RETURN(JsonCodecOptions codec_options, ReadJsonCodecOptions(reader));
  SLUICE_ASSIGN_OR_RETURN(auto database_include, ReadPattern(reader, "database.include"));
  SLUICE_ASSIGN_OR_RETURN(auto table_include, ReadPattern(reader, "table.include"));
  return std::unique_ptr<Format>(new CanalJsonFormat(
      fields, codec_options, std::move(database_include), std::move(table_include)));
}

CanalJsonFormat::CanalJsonFormat(const FormatFields& fields, JsonCodecOptions options,
                                 std::unique_ptr<re2::RE2> database_include,
                                 std::unique_ptr<re2::RE2> table_include)
    : codec_(fields, options),
      database_include_(std::move(database_include)),
      table_include_(std::move(table_include)) {}

CanalJsonFormat::~CanalJsonFormat() = default;

base::Status CanalJsonFormat::Decode(std::optional<std::string_view> record, Batch* batch) const {
  if (!record || record->empty()) return base::Status::Ok();
  base::Status status = DecodeEvent(*record, batch);
  if (status.ok() || NeedsEmptyBatch(status) || !codec_.options().ignore_parse_errors) {
    return status;
  }
  skipped_records_.fetch_add(1, std::memory_order_relaxed);
  return base::Status::Ok();
}

bool CanalJsonFormat::Included(const JsonNode& root) const {
  for (auto [pattern, key] :
       {std::pair{database_include_.get(), "database"}, std::pair{table_include_.get(), "table"}}) {
    if (pattern == nullptr) continue;
    const JsonNode* name = FindMember(root, key);
    if (name == nullptr || !name->is_string() || !re2::RE2::FullMatch(name->text, *pattern)) {
      return false;
    }
  }
  return true;
}

base::Status CanalJsonFormat::DecodeEvent(std::string_view record, Batch* batch) const {
  JsonNode root;
  SLUICE_RETURN_IF_ERROR(ParseJson(record, &root));
  if (!root.is_object()) {
    return EventError(std::string("expected a JSON object, found ") + JsonKindName(root.kind));
  }
  if (!Included(root)) return base::Status::Ok();
  const JsonNode* is_ddl = FindMember(root, "isDdl");
  if (is_ddl != nullptr && is_ddl->kind == JsonNode::Kind::kBoolean && is_ddl->boolean) {
    return base::Status::Ok();  // a schema change: no rows
  }
  const JsonNode* type = FindMember(root, "type");
  if (type == nullptr || !type->is_string()) {
    return EventError(std::string("expected \"type\" to be a string, found ") +
                      (type == nullptr ? "no such key" : JsonKindName(type->kind)));
  }
  const std::string& kind = type->text;
  if (kind == "CREATE") return base::Status::Ok();  // DDL
  if (kind != "INSERT" && kind != "UPDATE" && kind != "DELETE") {
    return EventError("unknown \"type\" value \"" + kind +
                      "\" (expected INSERT, UPDATE or DELETE)");
  }
  SLUICE_ASSIGN_OR_RETURN(const JsonNode* data, RowArray(root, "data"));
  const auto& rows = data->members;
  const int32_t first = batch->row_count();

  if (kind != "UPDATE") {
    const auto count = static_cast<int64_t>(rows.size());
    if (!HasRoomFor(*batch, count)) {
      return NoRoomFor(*batch, count, "a canal-json " + kind + " event");
    }
    const RowKind row_kind = kind == "INSERT" ? RowKind::kInsert : RowKind::kDelete;
    for (size_t index = 0; index < rows.size(); ++index) {
      const int32_t row = first + static_cast<int32_t>(index);
      SLUICE_RETURN_IF_ERROR(codec_.ReadObject(rows[index].second, batch, row));
      SetRowKind(batch, row, row_kind);
    }
    batch->set_row_count(first + static_cast<int32_t>(rows.size()));
    return base::Status::Ok();
  }

  SLUICE_ASSIGN_OR_RETURN(const JsonNode* old, RowArray(root, "old"));
  if (old->members.size() != rows.size()) {
    return EventError("an UPDATE event has " + std::to_string(rows.size()) + " \"data\" rows but " +
                      std::to_string(old->members.size()) + " \"old\" ones");
  }
  const auto count = 2 * static_cast<int64_t>(rows.size());  // a -U and a +U each
  if (!HasRoomFor(*batch, count)) {
    return NoRoomFor(
        *batch, count,
        "a canal-json UPDATE event of " + std::to_string(rows.size()) + " updated rows");
  }
  for (size_t index = 0; index < rows.size(); ++index) {
    const int32_t before = first + 2 * static_cast<int32_t>(index);
    const int32_t after = before + 1;
    SLUICE_RETURN_IF_ERROR(codec_.ReadObject(rows[index].second, batch, after));
    // `old` holds the changed fields only: the others were as they are now.
    const JsonNode& changed = old->members[index].second;
    for (size_t field = 0; field < codec_.field_count(); ++field) {
      const JsonNode* value = codec_.FindField(changed, field);
      if (value == nullptr) {
        codec_.CopyField(field, batch, after, before);
      } else {
        SLUICE_RETURN_IF_ERROR(codec_.ReadField(field, value, batch, before));
      }
    }
    SetRowKind(batch, before, RowKind::kUpdateBefore);
    SetRowKind(batch, after, RowKind::kUpdateAfter);
  }
  batch->set_row_count(first + 2 * static_cast<int32_t>(rows.size()));
  return base::Status::Ok();
}

base::Status CanalJsonFormat::Encode(const Batch& batch, int32_t row, std::string* out) const {
  const RowKind kind = batch.row_kind(row);
  out->append("{\"data\":[");
  codec_.AppendObject(batch, row, out);
  out->append(kind == RowKind::kInsert || kind == RowKind::kUpdateAfter ? "],\"type\":\"INSERT\"}"
                                                                        : "],\"type\":\"DELETE\"}");
  return base::Status::Ok();
}

}  // namespace sluice::runtime::connectors::formats
