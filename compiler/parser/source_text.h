#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/base/source_span.h"

namespace sluice::parser {

/// Holds a script as code points for the lexer and maps code-point positions back to byte
/// offsets, lines and byte columns. Invalid UTF-8 bytes become U+FFFD, one per byte, so that
/// every position still maps to the original bytes.
class SourceText {
 public:
  explicit SourceText(const std::string& text);

  const std::u32string& code_points() const { return code_points_; }
  const std::string& text() const { return text_; }
  size_t size() const { return code_points_.size(); }

  /// Returns the byte offset of code point `index` (`size()` maps to the end of the text).
  int32_t ByteOffset(size_t index) const;
  /// Returns the span of code points [start, stop] (inclusive); stop < start gives length 0.
  base::SourceSpan Span(size_t start, size_t stop) const;
  /// Returns the span of `length` bytes starting at byte `offset`.
  base::SourceSpan ByteSpan(int32_t offset, int32_t length) const;
  /// Returns the original bytes of code points [start, stop] (inclusive).
  std::string Slice(size_t start, size_t stop) const;

 private:
  std::string text_;
  std::u32string code_points_;
  std::vector<int32_t> byte_offsets_;  // size() + 1 entries
  std::vector<int32_t> line_starts_;   // byte offset of each line's first byte
};

}  // namespace sluice::parser
