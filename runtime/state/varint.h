#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::runtime::state {

/// LEB128: seven bits per byte, low bits first, the high bit set on every byte but the last.
/// The length prefix of keys, namespaces and values in state bytes and state files.
inline void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

/// Reads a varint at `*position` and moves past it; false (value unspecified) when the bytes
/// end first or it runs longer than 64 bits.
inline bool ReadVarint(std::string_view bytes, size_t* position, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*position >= bytes.size()) return false;
    auto byte = static_cast<uint8_t>(bytes[(*position)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace sluice::runtime::state
