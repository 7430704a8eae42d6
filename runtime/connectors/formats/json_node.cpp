#include "runtime/connectors/formats/json_node.h"

#include <nlohmann/json.hpp>

#include "catalog/types/schema.h"

namespace sluice::runtime::connectors::formats {

namespace {

/// Builds a JsonNode tree from nlohmann's SAX events, iteratively (no recursion on depth).
class TreeBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit TreeBuilder(JsonNode* root) : root_(root) {}
  const std::string& error() const { return error_; }

  bool null() override { return Add(JsonNode::Kind::kNull) != nullptr; }
  bool boolean(bool value) override {
    Add(JsonNode::Kind::kBoolean)->boolean = value;
    return true;
  }
  bool number_integer(number_integer_t value) override {
    Add(JsonNode::Kind::kInteger)->text = std::to_string(value);
    return true;
  }
  bool number_unsigned(number_unsigned_t value) override {
    Add(JsonNode::Kind::kInteger)->text = std::to_string(value);
    return true;
  }
  bool number_float(number_float_t, const string_t& text) override {
    Add(JsonNode::Kind::kNumber)->text = text;
    return true;
  }
  bool string(string_t& value) override {
    Add(JsonNode::Kind::kString)->text = std::move(value);
    return true;
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    stack_.push_back(Add(JsonNode::Kind::kObject));
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    stack_.push_back(Add(JsonNode::Kind::kArray));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool key(string_t& value) override {
    key_ = std::move(value);
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest reads well.
    std::string message = error.what();
    size_t bracket = message.find("] ");
    error_ = bracket == std::string::npos ? message : message.substr(bracket + 2);
    return false;
  }

 private:
  // Children are only appended to the innermost open container, so the pointers held in
  // stack_ (to containers further out) stay valid while their vectors do not grow.
  JsonNode* Add(JsonNode::Kind kind) {
    JsonNode* node = root_;
    if (!stack_.empty()) {
      auto& members = stack_.back()->members;
      members.emplace_back(std::move(key_), JsonNode{});
      key_.clear();
      node = &members.back().second;
    }
    node->kind = kind;
    return node;
  }

  JsonNode* root_;
  std::vector<JsonNode*> stack_;
  std::string key_;
  std::string error_;
};

}  // namespace

base::Status ParseJson(std::string_view text, JsonNode* root) {
  *root = JsonNode{};
  TreeBuilder builder(root);
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &builder)) {
    return base::Status::Error(base::ErrorCode::kData, "invalid JSON: " + builder.error());
  }
  return base::Status::Ok();
}

const char* JsonKindName(JsonNode::Kind kind) {
  switch (kind) {
    case JsonNode::Kind::kNull: return "null";
    case JsonNode::Kind::kBoolean: return "a boolean";
    case JsonNode::Kind::kInteger:
    case JsonNode::Kind::kNumber: return "a number";
    case JsonNode::Kind::kString: return "a string";
    case JsonNode::Kind::kObject: return "an object";
    case JsonNode::Kind::kArray: return "an array";
  }
  return "?";
}

const JsonNode* FindColumnMember(const JsonNode& object, const std::string& name) {
  const JsonNode* found = nullptr;
  for (const auto& [key, value] : object.members) {
    if (key == name) found = &value;
  }
  if (found != nullptr) return found;
  for (const auto& [key, value] : object.members) {
    if (types::IdentifierEquals(key, name)) found = &value;
  }
  return found;
}

const JsonNode* FindMember(const JsonNode& object, std::string_view key) {
  const JsonNode* found = nullptr;
  for (const auto& [name, value] : object.members) {
    if (name == key) found = &value;
  }
  return found;
}

}  // namespace sluice::runtime::connectors::formats
