// More string functions of functions.def (SEMANTICS.md, "Strings"): TRIM of given characters,
// STARTSWITH / ENDSWITH, TRANSLATE, PARSE_URL, URL_ENCODE / URL_DECODE. Strings are UTF-8;
// characters are code points, as Flink's are Java characters (outside the BMP: one here, two
// there).

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/expr/helper_values.h"
#include "runtime/expr/kernel_abi.h"

using sluice::runtime::expr::StoreText;
using sluice::runtime::expr::TextOf;

namespace {

/// The UTF-8 sequences of `text`, one per code point (a stray byte is one on its own).
std::vector<std::string_view> Characters(std::string_view text) {
  std::vector<std::string_view> characters;
  size_t i = 0;
  while (i < text.size()) {
    size_t next = i + 1;
    while (next < text.size() && (static_cast<uint8_t>(text[next]) & 0xC0) == 0x80) ++next;
    characters.push_back(text.substr(i, next - i));
    i = next;
  }
  return characters;
}

bool Contains(const std::vector<std::string_view>& set, std::string_view character) {
  for (std::string_view member : set) {
    if (member == character) return true;
  }
  return false;
}

/// java.net.URL's parts of an absolute URL `protocol://authority/path?query#ref` (also
/// `protocol:path` without an authority); nullopt when java.net.URL would throw
/// MalformedURLException (no protocol, or one it has no handler for).
struct Url {
  std::string protocol;
  std::optional<std::string> authority;
  std::optional<std::string> user_info;
  std::string host;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> ref;
};

std::optional<Url> ParseUrl(std::string_view text) {
  // java.net.URL trims spaces (and control characters) at both ends.
  while (!text.empty() && static_cast<uint8_t>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<uint8_t>(text.back()) <= ' ') text.remove_suffix(1);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  Url url;
  for (size_t i = 0; i < colon; ++i) {
    char c = text[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!letter && !(i > 0 && other)) return std::nullopt;
    url.protocol += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  // The protocols a JVM has handlers for.
  static const char* const kKnown[] = {"http", "https", "ftp", "file", "jar", "mailto", "jrt"};
  bool known = false;
  for (const char* protocol : kKnown) known = known || url.protocol == protocol;
  if (!known) return std::nullopt;
  std::string_view rest = text.substr(colon + 1);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    url.ref = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    url.authority = std::string(authority);
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      url.user_info = std::string(authority.substr(0, at));
      authority = authority.substr(at + 1);
    }
    if (!authority.empty() && authority.front() == '[') {
      size_t close = authority.find(']');
      if (close == std::string_view::npos) return std::nullopt;
      url.host = std::string(authority.substr(0, close + 1));
    } else {
      url.host = std::string(authority.substr(0, authority.find(':')));
    }
  }
  size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    url.query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  url.path = std::string(rest);
  return url;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

extern "C" {

uint8_t sluice_string_trim_characters(SluiceKernelContext*, const SluiceUdfValue* arguments,
                                      int32_t, SluiceUdfValue* out) {
  // Flink's BinaryStringDataUtil.trim(str, leading, trailing, trimStr): every character of
  // `characters` is trimmed, in any order and number.
  std::string_view text = TextOf(arguments[0]);
  int64_t mode = arguments[1].integer;  // 0 both, 1 leading, 2 trailing
  std::vector<std::string_view> set = Characters(TextOf(arguments[2]));
  std::vector<std::string_view> characters = Characters(text);
  size_t first = 0;
  size_t last = characters.size();
  if (mode != 2) {
    while (first < last && Contains(set, characters[first])) ++first;
  }
  if (mode != 1) {
    while (last > first && Contains(set, characters[last - 1])) --last;
  }
  if (first == last) {
    out->data = text.data();
    out->length = 0;
    return 1;
  }
  const char* begin = characters[first].data();
  const char* end = characters[last - 1].data() + characters[last - 1].size();
  out->data = begin;
  out->length = static_cast<uint32_t>(end - begin);
  return 1;
}

uint8_t sluice_string_starts_with(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                  SluiceUdfValue* out) {
  out->integer = TextOf(arguments[0]).substr(0, arguments[1].length) == TextOf(arguments[1]);
  return 1;
}

uint8_t sluice_string_ends_with(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                                SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  std::string_view end = TextOf(arguments[1]);
  out->integer = text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
  return 1;
}

uint8_t sluice_string_translate(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                int32_t, SluiceUdfValue* out) {
  // Flink's TRANSLATE(expr, fromStr, toStr): each character of `from` becomes the character
  // of `to` at its position, or is removed when `to` is shorter; the first occurrence of a
  // character in `from` counts.
  std::vector<std::string_view> from = Characters(TextOf(arguments[1]));
  std::vector<std::string_view> to = Characters(TextOf(arguments[2]));
  std::string result;
  for (std::string_view character : Characters(TextOf(arguments[0]))) {
    size_t i = 0;
    while (i < from.size() && from[i] != character) ++i;
    if (i == from.size()) {
      result += character;
    } else if (i < to.size()) {
      result += to[i];
    }
  }
  StoreText(context, result, out);
  return 1;
}

uint8_t sluice_parse_url(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                         int32_t count, SluiceUdfValue* out) {
  // Flink's SqlFunctionUtils.parseUrl over java.net.URL: NULL for a URL it cannot parse, an
  // unknown part, or a part the URL does not have.
  std::optional<Url> url = ParseUrl(TextOf(arguments[0]));
  if (!url) return 0;
  std::string_view part = TextOf(arguments[1]);
  std::optional<std::string> value;
  if (part == "HOST") {
    value = url->host;
  } else if (part == "PATH") {
    value = url->path;
  } else if (part == "QUERY") {
    value = url->query;
  } else if (part == "REF") {
    value = url->ref;
  } else if (part == "PROTOCOL") {
    value = url->protocol;
  } else if (part == "FILE") {
    value = url->query ? url->path + "?" + *url->query : url->path;
  } else if (part == "AUTHORITY") {
    value = url->authority;
  } else if (part == "USERINFO") {
    value = url->user_info;
  }
  if (!value) return 0;
  if (count >= 3) {
    // PARSE_URL(url, 'QUERY', key): the value of the first `key=` parameter (Flink's regex
    // `(&|^)key=([^&]*)`); only for the QUERY part.
    if (part != "QUERY") return 0;
    std::string_view query = *value;
    std::string key = std::string(TextOf(arguments[2])) + "=";
    size_t start = 0;
    while (start <= query.size()) {
      size_t end = query.find('&', start);
      std::string_view parameter =
          query.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (parameter.substr(0, key.size()) == key) {
        StoreText(context, parameter.substr(key.size()), out);
        return 1;
      }
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return 0;
  }
  StoreText(context, *value, out);
  return 1;
}

uint8_t sluice_url_encode(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // java.net.URLEncoder.encode(s, UTF-8), which Flink's URL_ENCODE calls: letters, digits and
  // `.-*_` stay, a space is `+`, every other byte is `%XX` (upper-case hex).
  static const char kHex[] = "0123456789ABCDEF";
  std::string result;
  for (char c : TextOf(arguments[0])) {
    auto byte = static_cast<uint8_t>(c);
    bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '*' || c == '_';
    if (kept) {
      result += c;
    } else if (c == ' ') {
      result += '+';
    } else {
      result += '%';
      result += kHex[byte >> 4];
      result += kHex[byte & 0xF];
    }
  }
  StoreText(context, result, out);
  return 1;
}

uint8_t sluice_url_decode(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // java.net.URLDecoder.decode(s, UTF-8): `+` is a space, `%XX` a byte; a malformed escape
  // throws, which Flink's URL_DECODE turns into NULL.
  std::string_view text = TextOf(arguments[0]);
  std::string result;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      result += ' ';
    } else if (text[i] == '%') {
      int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) return 0;
      result += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      result += text[i];
    }
  }
  StoreText(context, result, out);
  return 1;
}

}  // extern "C"
