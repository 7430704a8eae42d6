#include "runtime/expr/base64.h"

#include <cstdint>

namespace sluice::runtime::expr {

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string EncodeBase64(std::string_view bytes) {
  std::string result;
  result.reserve((bytes.size() + 2) / 3 * 4);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t length = bytes.size();
  for (size_t i = 0; i < length; i += 3) {
    uint32_t chunk = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < length) chunk |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < length) chunk |= data[i + 2];
    result += kBase64[(chunk >> 18) & 0x3F];
    result += kBase64[(chunk >> 12) & 0x3F];
    result += i + 1 < length ? kBase64[(chunk >> 6) & 0x3F] : '=';
    result += i + 2 < length ? kBase64[chunk & 0x3F] : '=';
  }
  return result;
}

bool DecodeBase64(std::string_view text, std::string* bytes) {
  if (!text.empty() && text.back() == '=') {
    size_t padding = 0;
    while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
    if (padding > 2 || text.size() % 4 != 0) return false;
    text.remove_suffix(padding);
  }
  if (text.size() % 4 == 1) return false;
  bytes->clear();
  bytes->reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = Base64Value(c);
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace sluice::runtime::expr
