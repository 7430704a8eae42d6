#include "compiler/parser/source_text.h"

#include <algorithm>

namespace sluice::parser {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one UTF-8 sequence at `pos`; returns its length, or 0 when it is invalid (overlong,
// surrogate, out of range or truncated).
size_t DecodeOne(const std::string& text, size_t pos, char32_t* out) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  if (lead < 0x80) {
    *out = lead;
    return 1;
  }
  size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    unsigned char next = byte(pos + i);
    if ((next & 0xC0) != 0x80) return 0;
    value = (value << 6) | (next & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *out = value;
  return length;
}

}  // namespace

SourceText::SourceText(const std::string& text) : text_(text) {
  code_points_.reserve(text.size());
  byte_offsets_.reserve(text.size() + 1);
  line_starts_.push_back(0);
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t value = kReplacement;
    size_t length = DecodeOne(text, pos, &value);
    if (length == 0) {
      value = kReplacement;
      length = 1;
    }
    code_points_.push_back(value);
    byte_offsets_.push_back(static_cast<int32_t>(pos));
    if (text[pos] == '\n') line_starts_.push_back(static_cast<int32_t>(pos + 1));
    pos += length;
  }
  byte_offsets_.push_back(static_cast<int32_t>(text.size()));
}

int32_t SourceText::ByteOffset(size_t index) const {
  return byte_offsets_[std::min(index, code_points_.size())];
}

base::SourceSpan SourceText::Span(size_t start, size_t stop) const {
  int32_t begin = ByteOffset(start);
  int32_t end = stop + 1 > start ? ByteOffset(stop + 1) : begin;
  return ByteSpan(begin, end - begin);
}

base::SourceSpan SourceText::ByteSpan(int32_t offset, int32_t length) const {
  offset = std::clamp<int32_t>(offset, 0, static_cast<int32_t>(text_.size()));
  auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - 1;
  base::SourceSpan span;
  span.line = static_cast<int32_t>(line - line_starts_.begin()) + 1;
  span.column = offset - *line + 1;
  span.offset = offset;
  span.length = std::max<int32_t>(length, 0);
  return span;
}

std::string SourceText::Slice(size_t start, size_t stop) const {
  if (stop + 1 <= start) return "";
  int32_t begin = ByteOffset(start);
  return text_.substr(begin, ByteOffset(stop + 1) - begin);
}

}  // namespace sluice::parser
