// JSON_VALUE, JSON_QUERY and JSON_EXISTS (runtime/expr/SEMANTICS.md, "JSON"): a SQL/JSON path
// over a VARCHAR holding JSON, with Flink's default behaviours (NULL ON EMPTY, NULL ON ERROR,
// FALSE ON ERROR, WITHOUT ARRAY WRAPPER). Value-shaped helpers (kernel_abi.h).

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/helper_values.h"
#include "runtime/expr/kernel_abi.h"

using sluice::runtime::StringRef;
using sluice::runtime::expr::CollectionWriter;
using sluice::runtime::expr::Item;
using sluice::runtime::expr::ItemTag;
using sluice::runtime::expr::StoreText;
using sluice::runtime::expr::TextOf;

namespace {

// Members keep their order (as Jackson, which Flink uses, writes them back).
using Json = nlohmann::ordered_json;

struct PathStep {
  enum class Kind { kMember, kIndex, kAnyMember, kAnyIndex };
  Kind kind = Kind::kMember;
  std::string member;
  int64_t index = 0;
};

struct JsonPath {
  bool strict = false;
  bool wildcard = false;  // a step may give several items
  std::vector<PathStep> steps;
};

bool StartsWithWord(std::string_view text, std::string_view word) {
  if (text.size() <= word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return std::isspace(static_cast<unsigned char>(text[word.size()])) != 0;
}

/// Parses `[lax|strict] $(.name|.*|['name']|["name"]|[n]|[*])*` (a `.` before a bracket is
/// allowed: `$.["a.b"]`, as Jayway's JsonPath, which Flink uses); false for anything else.
bool ParsePath(std::string_view text, JsonPath* path) {
  auto skip_space = [&] {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
  };
  skip_space();
  if (StartsWithWord(text, "strict")) {
    path->strict = true;
    text.remove_prefix(6);
  } else if (StartsWithWord(text, "lax")) {
    text.remove_prefix(3);
  }
  skip_space();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.front() != '$') return false;
  text.remove_prefix(1);
  while (!text.empty()) {
    PathStep step;
    if (text.front() == '.') {
      text.remove_prefix(1);
      if (!text.empty() && text.front() == '[') continue;  // `.[...]` is `[...]`
      if (!text.empty() && text.front() == '*') {
        text.remove_prefix(1);
        step.kind = PathStep::Kind::kAnyMember;
        path->wildcard = true;
      } else {
        size_t length = 0;
        while (length < text.size() && text[length] != '.' && text[length] != '[' &&
               !std::isspace(static_cast<unsigned char>(text[length]))) {
          ++length;
        }
        if (length == 0) return false;
        step.member = std::string(text.substr(0, length));
        text.remove_prefix(length);
      }
    } else if (text.front() == '[') {
      text.remove_prefix(1);
      if (text.empty()) return false;
      if (text.front() == '*') {
        text.remove_prefix(1);
        step.kind = PathStep::Kind::kAnyIndex;
        path->wildcard = true;
      } else if (text.front() == '\'' || text.front() == '"') {
        const char quote = text.front();
        text.remove_prefix(1);
        size_t end = text.find(quote);
        if (end == std::string_view::npos) return false;
        step.member = std::string(text.substr(0, end));
        text.remove_prefix(end + 1);
      } else {
        size_t length = 0;
        int64_t index = 0;
        while (length < text.size() && std::isdigit(static_cast<unsigned char>(text[length]))) {
          if (index > (INT64_MAX - 9) / 10) return false;
          index = index * 10 + (text[length] - '0');
          ++length;
        }
        if (length == 0) return false;
        text.remove_prefix(length);
        step.kind = PathStep::Kind::kIndex;
        step.index = index;
      }
      if (text.empty() || text.front() != ']') return false;
      text.remove_prefix(1);
    } else {
      return false;
    }
    path->steps.push_back(std::move(step));
  }
  return true;
}

enum class Outcome { kItems, kEmpty, kError };

/// The items `path` selects in `document`: none (empty: lax mode, a missing member or index),
/// or an error (strict mode, the same).
Outcome Evaluate(const Json& document, const JsonPath& path, std::vector<const Json*>* items) {
  std::vector<const Json*> current = {&document};
  for (const PathStep& step : path.steps) {
    std::vector<const Json*> next;
    for (const Json* item : current) {
      switch (step.kind) {
        case PathStep::Kind::kMember: {
          if (item->is_object()) {
            auto found = item->find(step.member);
            if (found != item->end()) {
              next.push_back(&*found);
              continue;
            }
          }
          if (path.strict) return Outcome::kError;
          break;
        }
        case PathStep::Kind::kIndex:
          if (item->is_array() && step.index < static_cast<int64_t>(item->size())) {
            next.push_back(&(*item)[static_cast<size_t>(step.index)]);
            continue;
          }
          if (path.strict) return Outcome::kError;
          break;
        case PathStep::Kind::kAnyMember:
          if (item->is_object()) {
            for (const auto& member : item->items()) next.push_back(&member.value());
            continue;
          }
          if (path.strict) return Outcome::kError;
          break;
        case PathStep::Kind::kAnyIndex:
          if (item->is_array()) {
            for (const Json& element : *item) next.push_back(&element);
            continue;
          }
          if (path.strict) return Outcome::kError;
          break;
      }
    }
    current = std::move(next);
  }
  *items = std::move(current);
  return items->empty() ? Outcome::kEmpty : Outcome::kItems;
}

/// Deeper documents are errors: nlohmann's copy and dump recurse once per level, so a hostile
/// `[[[[…` record must not reach them (the JSON format's reader has the same bound).
constexpr int kMaxNesting = 512;

/// Whether the arrays and objects of `text` nest at most kMaxNesting deep (strings skipped).
bool NestingWithinLimit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

/// Parses the document and the path of a call; false (the call's error result) when either is
/// not valid.
bool Prepare(const SluiceUdfValue* arguments, Json* document, JsonPath* path) {
  std::string_view text = TextOf(arguments[0]);
  if (!NestingWithinLimit(text)) return false;
  *document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document->is_discarded()) return false;
  return ParsePath(TextOf(arguments[1]), path);
}

/// `text` as a JSON string literal, as Jackson writes one (invalid UTF-8 replaced by U+FFFD).
std::string QuoteJson(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

/// Fails the evaluation with `message` (the first error of a batch is kept); returns 0.
uint8_t Raise(SluiceKernelContext* context, std::string_view message) {
  if (context->error == nullptr) {
    char* copy = context->arena->Allocate(message.size() + 1);
    if (!message.empty()) std::memcpy(copy, message.data(), message.size());
    copy[message.size()] = '\0';
    context->error = copy;
  }
  return 0;
}

/// The value JSON_QUERY returns before it is rendered (Calcite's JsonFunctions.jsonQuery, as
/// Flink's): the wrapper (`clauses[0]`) first, then a missing value, JSON null or (lax) a scalar
/// is EMPTY, and a strict scalar, a document or path that is not valid, or a strict path that
/// misses is an ERROR. nullopt with `*failure` ("EMPTY" or "ERROR") when a clause decides.
std::optional<Json> QueriedValue(const SluiceUdfValue* arguments, std::string_view clauses,
                                 const char** failure) {
  Json document;
  JsonPath path;
  std::vector<const Json*> items;
  auto fail = [&](const char* what) {
    *failure = what;
    return std::nullopt;
  };
  if (!Prepare(arguments, &document, &path)) return fail("ERROR");
  switch (Evaluate(document, path, &items)) {
    case Outcome::kError: return fail("ERROR");
    case Outcome::kEmpty: return fail("EMPTY");
    case Outcome::kItems: break;
  }
  Json value;
  if (path.wildcard) {
    value = Json::array();  // the items of a wildcard path are a list: an array
    for (const Json* item : items) value.push_back(*item);
  } else {
    if (items.front()->is_null()) return fail("EMPTY");
    value = *items.front();
  }
  if (clauses[0] == 'U' || (clauses[0] == 'C' && !value.is_array())) {
    Json wrapped = Json::array();
    wrapped.push_back(std::move(value));
    value = std::move(wrapped);
  }
  if (!value.is_array() && !value.is_object()) return fail(path.strict ? "ERROR" : "EMPTY");
  return value;
}

}  // namespace

extern "C" {

uint8_t sluice_json_value(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  Json document;
  JsonPath path;
  if (!Prepare(arguments, &document, &path)) return 0;  // NULL ON ERROR
  std::vector<const Json*> items;
  if (Evaluate(document, path, &items) != Outcome::kItems) return 0;  // NULL ON EMPTY / ERROR
  // A scalar: several items (a wildcard), an object or an array are errors, JSON null is NULL.
  if (path.wildcard || items.size() != 1) return 0;
  const Json& item = *items.front();
  if (item.is_null() || item.is_object() || item.is_array()) return 0;
  StoreText(context, item.is_string() ? item.get_ref<const std::string&>() : item.dump(), out);
  return 1;
}

uint8_t sluice_json_value_outcome(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                  SluiceUdfValue* out) {
  enum : int64_t { kScalar = 0, kEmpty = 1, kError = 2 };
  Json document;
  JsonPath path;
  std::vector<const Json*> items;
  if (!Prepare(arguments, &document, &path)) {
    out->integer = kError;
    return 1;
  }
  switch (Evaluate(document, path, &items)) {
    case Outcome::kError: out->integer = kError; return 1;
    case Outcome::kEmpty: out->integer = kEmpty; return 1;
    case Outcome::kItems: break;
  }
  // Calcite: a null value is empty in either mode; a value that is not a scalar (several items
  // are a list) is empty in lax mode and an error in strict mode.
  const bool scalar = !path.wildcard && items.size() == 1 && !items.front()->is_object() &&
                      !items.front()->is_array();
  if (!path.wildcard && items.size() == 1 && items.front()->is_null()) {
    out->integer = kEmpty;
  } else if (!scalar) {
    out->integer = path.strict ? kError : kEmpty;
  } else {
    out->integer = kScalar;
  }
  return 1;
}

uint8_t sluice_raise_error(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue*) {
  return Raise(context, TextOf(arguments[0]));
}

uint8_t sluice_json_query(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  Json document;
  JsonPath path;
  if (!Prepare(arguments, &document, &path)) return 0;  // NULL ON ERROR
  std::vector<const Json*> items;
  if (Evaluate(document, path, &items) != Outcome::kItems) return 0;  // NULL ON EMPTY / ERROR
  if (path.wildcard) {
    // The items of a wildcard path as one array (what the SQL/JSON sequence serializes to).
    Json array = Json::array();
    for (const Json* item : items) array.push_back(*item);
    StoreText(context, array.dump(), out);
    return 1;
  }
  const Json& item = *items.front();
  // WITHOUT ARRAY WRAPPER: a scalar is an error, so NULL.
  if (!item.is_object() && !item.is_array()) return 0;
  StoreText(context, item.dump(), out);
  return 1;
}

uint8_t sluice_json_query_clauses(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                  int32_t, SluiceUdfValue* out) {
  std::string_view clauses = TextOf(arguments[2]);
  if (clauses.size() != 3) return 0;
  auto behave = [&](char behavior, const char* what) -> uint8_t {
    switch (behavior) {
      case 'A': StoreText(context, "[]", out); return 1;
      case 'O': StoreText(context, "{}", out); return 1;
      case 'E': {
        std::string message = "JSON_QUERY: ";
        message += std::string_view(what) == "EMPTY" ? "no array or object" : "an error";
        message += " at path '" + std::string(TextOf(arguments[1])) + "' (ERROR ON " + what + ")";
        return Raise(context, message);
      }
      default: return 0;
    }
  };
  const char* failure = nullptr;
  std::optional<Json> queried = QueriedValue(arguments, clauses, &failure);
  if (!queried)
    return behave(std::string_view(failure) == "EMPTY" ? clauses[1] : clauses[2], failure);
  Json& value = *queried;
  StoreText(context, value.dump(), out);
  return 1;
}

uint8_t sluice_json_query_array(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                int32_t, SluiceUdfValue* out) {
  std::string_view clauses = TextOf(arguments[2]);
  if (clauses.size() != 3) return 0;
  auto behave = [&](char behavior, const char* what) -> uint8_t {
    switch (behavior) {
      case 'A': {
        const std::string empty = CollectionWriter().Finish(0);
        StoreText(context, empty, out);
        return 1;
      }
      case 'E': {
        std::string message = "JSON_QUERY: ";
        message += std::string_view(what) == "EMPTY" ? "no array" : "an error";
        message += " at path '" + std::string(TextOf(arguments[1])) + "' (ERROR ON " + what + ")";
        return Raise(context, message);
      }
      default: return 0;
    }
  };
  const char* failure = nullptr;
  std::optional<Json> queried = QueriedValue(arguments, clauses, &failure);
  if (!queried)
    return behave(std::string_view(failure) == "EMPTY" ? clauses[1] : clauses[2], failure);
  Json& value = *queried;
  // Flink casts the value to a list: an object is an ERROR.
  if (!value.is_array()) return behave(clauses[2], "ERROR");
  CollectionWriter writer;
  std::vector<std::string> texts;  // the items view them
  texts.reserve(value.size());
  for (const Json& element : value) {
    if (element.is_string()) {
      texts.push_back(element.get_ref<const std::string&>());
    } else if (element.is_number_float()) {
      StringRef text;
      sluice_cast_double_to_string(context, element.get<double>(), &text);
      texts.emplace_back(text.view());
    } else {
      texts.push_back(element.dump());  // integers, booleans, objects and arrays
    }
  }
  size_t next = 0;
  for (const Json& element : value) {
    Item item;
    if (!element.is_null()) {
      item.tag = ItemTag::kBytes;
      item.bytes = texts[next];
    }
    ++next;
    writer.Add(item);
  }
  StoreText(context, writer.Finish(static_cast<uint32_t>(value.size())), out);
  return 1;
}

uint8_t sluice_json_exists_on_error(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                    int32_t, SluiceUdfValue* out) {
  Json document;
  JsonPath path;
  std::vector<const Json*> items;
  const bool error =
      !Prepare(arguments, &document, &path) || Evaluate(document, path, &items) == Outcome::kError;
  if (!error) {
    out->integer = !items.empty() && (path.wildcard || !items.front()->is_null()) ? 1 : 0;
    return 1;
  }
  std::string_view behavior = TextOf(arguments[2]);
  if (behavior == "T") {
    out->integer = 1;
    return 1;
  }
  if (behavior == "E") {
    return Raise(context, "JSON_EXISTS: an error at path '" + std::string(TextOf(arguments[1])) +
                              "' (ERROR ON ERROR)");
  }
  if (behavior == "F") {
    out->integer = 0;
    return 1;
  }
  return 0;  // UNKNOWN ON ERROR
}

uint8_t sluice_json_exists(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  Json document;
  JsonPath path;
  std::vector<const Json*> items;
  // FALSE ON ERROR: a document or path that is not valid, a strict path that misses. A member
  // whose value is JSON null does not exist (Calcite's jsonExists: the value is not null).
  bool exists = Prepare(arguments, &document, &path) &&
                Evaluate(document, path, &items) == Outcome::kItems &&
                (path.wildcard || !items.front()->is_null());
  out->integer = exists ? 1 : 0;
  return 1;
}

uint8_t sluice_json_quote(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  StoreText(context, QuoteJson(TextOf(arguments[0])), out);
  return 1;
}

uint8_t sluice_json_unquote(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    Json literal = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!literal.is_discarded() && literal.is_string()) {
      StoreText(context, literal.get_ref<const std::string&>(), out);
      return 1;
    }
  }
  *out = arguments[0];  // not a JSON string literal: unchanged
  return 1;
}

uint8_t sluice_json_object_put(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                               int32_t, SluiceUdfValue* out) {
  std::string_view object = TextOf(arguments[0]);
  std::string_view value = TextOf(arguments[2]);
  if (object.size() < 2 || object.front() != '{' || object.back() != '}') return 0;
  if (value.empty()) {  // an absent NULL
    *out = arguments[0];
    return 1;
  }
  std::string text(object.substr(0, object.size() - 1));
  if (object.size() > 2) text += ',';
  text += QuoteJson(TextOf(arguments[1]));
  text += ':';
  text += value;
  text += '}';
  StoreText(context, text, out);
  return 1;
}

uint8_t sluice_json_array_append(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                 int32_t, SluiceUdfValue* out) {
  std::string_view array = TextOf(arguments[0]);
  std::string_view value = TextOf(arguments[1]);
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') return 0;
  if (value.empty()) {  // an absent NULL
    *out = arguments[0];
    return 1;
  }
  std::string text(array.substr(0, array.size() - 1));
  if (array.size() > 2) text += ',';
  text += value;
  text += ']';
  StoreText(context, text, out);
  return 1;
}

uint8_t sluice_is_json(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                       SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  std::string_view kind = TextOf(arguments[1]);
  bool valid = false;
  if (NestingWithinLimit(text)) {
    Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!document.is_discarded()) {
      valid = kind == "OBJECT"   ? document.is_object()
              : kind == "ARRAY"  ? document.is_array()
              : kind == "SCALAR" ? !document.is_object() && !document.is_array()
                                 : kind == "VALUE";
    }
  }
  out->integer = valid ? 1 : 0;
  return 1;
}

}  // extern "C"
