// REGEXP_EXTRACT with RE2 (SEMANTICS.md): a process-wide cache compiles each distinct pattern
// once; a small per-thread cache in front of it keeps the per-row lookup lock-free.

#include <re2/re2.h>

#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/helper_values.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"
#include "runtime/expr/regex_split.h"

using sluice::runtime::StringRef;

using sluice::runtime::expr::TextOf;

namespace {

/// Patterns beyond this many are compiled per call instead of cached, so data-dependent
/// patterns cannot grow the cache without bound.
constexpr size_t kMaxCachedPatterns = 4096;

RE2::Options Options() {
  RE2::Options options;  // UTF-8, leftmost-first like java.util.regex
  options.set_log_errors(false);
  return options;
}

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

/// Compiled patterns by text, never evicted (an RE2 is immutable and thread-safe to match).
class RegexCache {
 public:
  /// Returns the compiled `pattern` (check ok()), or null when the cache is full.
  const RE2* Find(std::string_view pattern) {
    {
      std::shared_lock lock(mutex_);
      auto found = entries_.find(pattern);
      if (found != entries_.end()) return found->second.get();
      if (entries_.size() >= kMaxCachedPatterns) return nullptr;
    }
    auto compiled =
        std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), Options());
    std::unique_lock lock(mutex_);
    auto [entry, inserted] = entries_.try_emplace(std::string(pattern), std::move(compiled));
    return entry->second.get();
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<RE2>, TransparentHash, std::equal_to<>> entries_;
};

RegexCache& Cache() {
  static RegexCache* cache = new RegexCache();  // never destroyed: kernels may run at exit
  return *cache;
}

/// The last few patterns this thread used; a chain rarely has more than a couple.
struct RecentPattern {
  std::string text;
  const RE2* regex = nullptr;
};
constexpr size_t kRecentPatterns = 4;
thread_local std::array<RecentPattern, kRecentPatterns> recent_patterns;
thread_local size_t next_recent_pattern = 0;

const RE2* Lookup(std::string_view pattern) {
  for (const RecentPattern& recent : recent_patterns) {
    if (recent.regex != nullptr && recent.text == pattern) return recent.regex;
  }
  const RE2* regex = Cache().Find(pattern);
  if (regex == nullptr) return nullptr;
  RecentPattern& slot = recent_patterns[next_recent_pattern];
  next_recent_pattern = (next_recent_pattern + 1) % kRecentPatterns;
  slot.text.assign(pattern.data(), pattern.size());
  slot.regex = regex;
  return regex;
}

uint8_t Extract(const RE2& regex, const StringRef* text, int64_t group, StringRef* out) {
  if (!regex.ok() || group < 0 || group > regex.NumberOfCapturingGroups()) return 0;
  // A non-null base, so an empty match in an empty string is told apart from a group that
  // did not take part (whose StringPiece has a null data pointer).
  const char* base = text->data != nullptr ? text->data : "";
  re2::StringPiece input(base, text->length);
  int count = static_cast<int>(group) + 1;
  constexpr int kOnStack = 16;
  std::array<re2::StringPiece, kOnStack> on_stack;
  std::vector<re2::StringPiece> on_heap;
  re2::StringPiece* matches = on_stack.data();
  if (count > kOnStack) {
    on_heap.resize(static_cast<size_t>(count));  // only for patterns with 16+ groups
    matches = on_heap.data();
  }
  if (!regex.Match(input, 0, input.size(), RE2::UNANCHORED, matches, count)) return 0;
  const re2::StringPiece& match = matches[group];
  if (match.data() == nullptr) return 0;
  *out = StringRef{match.data(), static_cast<uint32_t>(match.size()), 0};
  return 1;
}

}  // namespace

namespace sluice::runtime::expr {

bool RegexSplit(std::string_view text, std::string_view pattern, size_t limit,
                std::vector<std::string_view>* pieces) {
  pieces->clear();
  const RE2* regex = Lookup(pattern);
  std::unique_ptr<RE2> uncached;
  if (regex == nullptr) {  // the cache is full
    uncached = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), Options());
    regex = uncached.get();
  }
  if (!regex->ok()) return false;
  const char* base = text.data() != nullptr ? text.data() : "";
  re2::StringPiece input(base, text.size());
  size_t piece_start = 0, search = 0;
  while (search <= text.size() && (limit == 0 || pieces->size() + 1 < limit)) {
    re2::StringPiece match;
    if (!regex->Match(input, search, input.size(), RE2::UNANCHORED, &match, 1)) break;
    auto match_start = static_cast<size_t>(match.data() - base);
    size_t match_end = match_start + match.size();
    if (match.empty()) {
      if (match_start >= text.size()) break;
      if (match_start == 0) {  // no leading empty piece for a zero-width match at the start
        search = 1;
        continue;
      }
    }
    pieces->push_back(text.substr(piece_start, match_start - piece_start));
    piece_start = match_end;
    search = match.empty() ? match_end + 1 : match_end;
  }
  pieces->push_back(text.substr(piece_start));
  if (limit == 0) {
    while (pieces->size() > 1 && pieces->back().empty()) pieces->pop_back();
    if (pieces->size() == 1 && pieces->back().empty() && !text.empty()) pieces->clear();
  }
  return true;
}

}  // namespace sluice::runtime::expr

namespace sluice::runtime::expr::detail {

std::string CheckRegex(std::string_view pattern) {
  RE2 regex(re2::StringPiece(pattern.data(), pattern.size()), Options());
  return regex.ok() ? "" : regex.error();
}

std::optional<std::string> SimilarToRegex(std::string_view pattern, std::string_view escape) {
  // Calcite's Like.sqlToRegexSimilar: % and _ are .* and ., the regular-expression operators
  // | * + ? {m,n} ( ) and bracket expressions keep their meaning, everything else (. $ \ ^
  // outside brackets) is literal; the escape character makes the next character literal.
  if (escape.size() > 1) return std::nullopt;
  std::string out = "(?s)";
  int bracket_depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (!escape.empty() && c == escape.front()) {
      if (i + 1 >= pattern.size()) return std::nullopt;  // an escape at the end
      out += RE2::QuoteMeta(re2::StringPiece(&pattern[++i], 1));
      continue;
    }
    if (bracket_depth > 0) {
      if (c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
        // [:ALPHA:] and the other character classes: RE2 spells them in lower case.
        size_t end = pattern.find(":]", i + 2);
        if (end == std::string_view::npos) return std::nullopt;
        std::string name(pattern.substr(i + 2, end - i - 2));
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out += "[:" + name + ":]";
        i = end + 1;
        continue;
      }
      if (c == ']') --bracket_depth;
      if (c == '\\') {
        out += "\\\\";
      } else {
        out += c;
      }
      continue;
    }
    switch (c) {
      case '%': out += ".*"; break;
      case '_': out += "."; break;
      case '[':
        ++bracket_depth;
        out += c;
        break;
      case '|':
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case '(':
      case ')': out += c; break;
      default: out += RE2::QuoteMeta(re2::StringPiece(&pattern[i], 1)); break;
    }
  }
  if (bracket_depth != 0) return std::nullopt;
  return out;
}

}  // namespace sluice::runtime::expr::detail

extern "C" {

uint8_t sluice_regexp_extract(const StringRef* text, const StringRef* pattern, int64_t group,
                              StringRef* out) {
  std::string_view pattern_text(pattern->data != nullptr ? pattern->data : "", pattern->length);
  const RE2* regex = Lookup(pattern_text);
  if (regex != nullptr) return Extract(*regex, text, group, out);
  RE2 uncached(re2::StringPiece(pattern_text.data(), pattern_text.size()), Options());
  return Extract(uncached, text, group, out);
}

}  // extern "C"

namespace {

/// Calls `use(const RE2&)` with the compiled `pattern` (cached when the cache has room).
template <typename Fn>
uint8_t WithRegex(const char* data, uint32_t length, Fn use) {
  std::string_view pattern_text(data != nullptr ? data : "", length);
  const RE2* regex = Lookup(pattern_text);
  if (regex != nullptr) return use(*regex);
  RE2 uncached(re2::StringPiece(pattern_text.data(), pattern_text.size()), Options());
  return use(uncached);
}

/// Turns a java.util.regex replacement ($n groups, \x a literal x) into RE2's (\n groups, \\ a
/// backslash); false when it names a group the pattern lacks or ends in a lone '\' or '$'.
bool RewriteReplacement(std::string_view java, int groups, std::string* out) {
  out->clear();
  for (size_t i = 0; i < java.size(); ++i) {
    char c = java[i];
    if (c == '\\') {
      if (i + 1 >= java.size()) return false;
      char next = java[++i];
      if (next == '\\') {
        *out += "\\\\";
      } else {
        *out += next;
      }
    } else if (c == '$') {
      if (i + 1 >= java.size() || java[i + 1] < '0' || java[i + 1] > '9') return false;
      int group = java[++i] - '0';
      // Java takes more digits while the group number stays valid.
      while (i + 1 < java.size() && java[i + 1] >= '0' && java[i + 1] <= '9' &&
             group * 10 + (java[i + 1] - '0') <= groups) {
        group = group * 10 + (java[++i] - '0');
      }
      if (group > groups) return false;
      // RE2 knows \0..\9 only.
      if (group > 9) return false;
      *out += '\\';
      *out += static_cast<char>('0' + group);
    } else {
      *out += c;
    }
  }
  return true;
}

}  // namespace

extern "C" {

uint8_t sluice_similar(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                       SluiceUdfValue* out) {
  const SluiceUdfValue& text = arguments[0];
  std::string_view escape;
  if (count >= 3) escape = std::string_view(arguments[2].data, arguments[2].length);
  std::optional<std::string> regex_text = sluice::runtime::expr::detail::SimilarToRegex(
      std::string_view(arguments[1].data != nullptr ? arguments[1].data : "", arguments[1].length),
      escape);
  if (!regex_text) return 0;  // the binder refuses a literal pattern that is not valid
  return WithRegex(regex_text->data(), static_cast<uint32_t>(regex_text->size()),
                   [&](const RE2& regex) -> uint8_t {
                     if (!regex.ok()) return 0;
                     re2::StringPiece input(text.data != nullptr ? text.data : "", text.length);
                     out->integer = RE2::FullMatch(input, regex) ? 1 : 0;
                     return 1;
                   });
}

uint8_t sluice_regexp(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                      SluiceUdfValue* out) {
  // Flink's SqlFunctionUtils.regExp: FALSE for an empty or invalid pattern.
  const SluiceUdfValue& text = arguments[0];
  out->integer = 0;
  if (arguments[1].length == 0) return 1;
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    re2::StringPiece input(text.data != nullptr ? text.data : "", text.length);
    out->integer = regex.ok() && RE2::PartialMatch(input, regex) ? 1 : 0;
    return 1;
  });
}

uint8_t sluice_regexp_replace(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t, SluiceUdfValue* out) {
  const SluiceUdfValue& text = arguments[0];
  const SluiceUdfValue& replacement = arguments[2];
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    if (!regex.ok()) return 0;
    std::string rewrite;
    if (!RewriteReplacement(std::string_view(replacement.data != nullptr ? replacement.data : "",
                                             replacement.length),
                            regex.NumberOfCapturingGroups(), &rewrite)) {
      return 0;
    }
    std::string result(text.data != nullptr ? text.data : "", text.length);
    RE2::GlobalReplace(&result, regex, rewrite);
    char* target = context->arena->Allocate(result.size());
    if (!result.empty()) std::memcpy(target, result.data(), result.size());
    out->data = target;
    out->length = static_cast<uint32_t>(result.size());
    return 1;
  });
}

}  // extern "C"

namespace {

/// The byte just past the UTF-8 character at `at` (continuation bytes of invalid text are
/// skipped as part of it), so that empty matches advance by whole characters.
size_t NextCharacter(std::string_view text, size_t at) {
  ++at;
  while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  return at;
}

/// The characters (UTF-8 lead bytes) in text[0, end).
int64_t CharactersBefore(std::string_view text, size_t end) {
  int64_t characters = 0;
  for (size_t i = 0; i < end; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++characters;
  }
  return characters;
}

/// The first match of `regex` in text[from, end); false when there is none.
bool FindFrom(const RE2& regex, std::string_view text, size_t from, re2::StringPiece* match) {
  const char* base = text.data() != nullptr ? text.data() : "";
  re2::StringPiece input(base, text.size());
  return regex.Match(input, from, input.size(), RE2::UNANCHORED, match, 1);
}

}  // namespace

extern "C" {

uint8_t sluice_regexp_count(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  // java.util.regex's Matcher.find loop: matches do not overlap; after an empty match the
  // search goes on one character further.
  std::string_view text = TextOf(arguments[0]);
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    if (!regex.ok()) return 0;
    int64_t count = 0;
    size_t from = 0;
    re2::StringPiece match;
    while (from <= text.size() && FindFrom(regex, text, from, &match)) {
      ++count;
      size_t end = static_cast<size_t>(match.data() - text.data()) + match.size();
      from = match.empty() ? NextCharacter(text, end) : end;
    }
    out->integer = count;
    return 1;
  });
}

uint8_t sluice_regexp_instr(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    if (!regex.ok()) return 0;
    re2::StringPiece match;
    out->integer = 0;
    if (FindFrom(regex, text, 0, &match)) {
      auto start = static_cast<size_t>(match.data() - text.data());
      out->integer = CharactersBefore(text, start) + 1;
    }
    return 1;
  });
}

uint8_t sluice_regexp_substr(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  std::string_view text = TextOf(arguments[0]);
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    if (!regex.ok()) return 0;
    re2::StringPiece match;
    if (!FindFrom(regex, text, 0, &match)) return 0;
    out->data = match.data();  // a view into the argument
    out->length = static_cast<uint32_t>(match.size());
    return 1;
  });
}

}  // extern "C"

extern "C" {

uint8_t sluice_regexp_extract_all(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                                  int32_t count, SluiceUdfValue* out) {
  // Flink's RegexpExtractAllFunction: group `group` of each match of the find loop, a NULL
  // element for a group that did not take part; NULL for an invalid regex or group.
  using sluice::runtime::expr::Item;
  using sluice::runtime::expr::ItemTag;
  std::string_view text = TextOf(arguments[0]);
  int64_t group = count > 2 ? arguments[2].integer : 1;
  return WithRegex(arguments[1].data, arguments[1].length, [&](const RE2& regex) -> uint8_t {
    if (!regex.ok() || group < 0 || group > regex.NumberOfCapturingGroups()) return 0;
    const int submatches = static_cast<int>(group) + 1;
    std::vector<re2::StringPiece> matches(static_cast<size_t>(submatches));
    re2::StringPiece input(text.data(), text.size());
    sluice::runtime::expr::CollectionWriter writer;
    uint32_t elements = 0;
    size_t from = 0;
    while (from <= text.size() &&
           regex.Match(input, from, input.size(), RE2::UNANCHORED, matches.data(), submatches)) {
      Item item;
      const re2::StringPiece& extracted = matches[static_cast<size_t>(group)];
      if (extracted.data() != nullptr) {
        item.tag = ItemTag::kBytes;
        item.bytes = std::string_view(extracted.data(), extracted.size());
      }
      writer.Add(item);
      ++elements;
      size_t end = static_cast<size_t>(matches[0].data() - text.data()) + matches[0].size();
      from = matches[0].empty() ? NextCharacter(text, end) : end;
    }
    std::string encoded = writer.Finish(elements);
    char* target = context->arena->Allocate(encoded.size());
    std::memcpy(target, encoded.data(), encoded.size());
    out->data = target;
    out->length = static_cast<uint32_t>(encoded.size());
    return 1;
  });
}

}  // extern "C"
