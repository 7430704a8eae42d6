#pragma once

#include <cstdint>

namespace sluice::base {

/// Locates a piece of query text: 1-based line and column, 0-based byte offset and length.
struct SourceSpan {
  int32_t line = 0;
  int32_t column = 0;
  int32_t offset = -1;
  int32_t length = 0;

  bool IsKnown() const { return offset >= 0; }
};

}  // namespace sluice::base
