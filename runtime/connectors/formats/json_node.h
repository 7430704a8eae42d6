#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/base/status.h"

namespace sluice::runtime::connectors::formats {

/// One parsed JSON value. Numbers keep the text they were written with, so that a DECIMAL is
/// read exactly rather than through a double.
struct JsonNode {
  enum class Kind { kNull, kBoolean, kInteger, kNumber, kString, kObject, kArray };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;                                       // a number as written, a string's value
  std::vector<std::pair<std::string, JsonNode>> members;  // an object's members, an array's items

  bool is_null() const { return kind == Kind::kNull; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_string() const { return kind == Kind::kString; }
};

/// Parses one JSON text into `root` (iteratively: no recursion on depth). A malformed text is
/// a kData error "invalid JSON: …".
base::Status ParseJson(std::string_view text, JsonNode* root);

/// Names a kind for errors: "an object", "a number", "null".
const char* JsonKindName(JsonNode::Kind kind);

/// Finds an object's member by the name of a column: the last occurrence wins, as in most
/// JSON readers, and an exact match beats a case-insensitive one (SQL names are
/// case-insensitive, JSON keys are not). Null when absent.
const JsonNode* FindColumnMember(const JsonNode& object, const std::string& name);

/// Finds an object's member by its exact key (an envelope's `"op"`, `"payload"`); null when
/// absent.
const JsonNode* FindMember(const JsonNode& object, std::string_view key);

}  // namespace sluice::runtime::connectors::formats
