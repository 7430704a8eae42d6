// REGEXP_EXTRACT with RE2 (SEMANTICS.md): a process-wide cache compiles each distinct pattern
// once; a small per-thread cache in front of it keeps the per-row lookup lock-free.

#include <re2/re2.h>

#include <array>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"

using sluice::runtime::StringRef;

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

namespace sluice::runtime::expr::detail {

std::string CheckRegex(std::string_view pattern) {
  RE2 regex(re2::StringPiece(pattern.data(), pattern.size()), Options());
  return regex.ok() ? "" : regex.error();
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
