#pragma once

#include <string>
#include <string_view>

namespace sluice::runtime::expr {

/// Encodes bytes as java.util.Base64's basic encoder does (RFC 4648, `=` padding, no line
/// breaks): TO_BASE64, and BYTES in the JSON and CSV formats.
std::string EncodeBase64(std::string_view bytes);

/// Decodes as java.util.Base64's basic decoder: padding optional at the end, nothing else
/// besides the 64 letters allowed; false for malformed text.
bool DecodeBase64(std::string_view text, std::string* bytes);

}  // namespace sluice::runtime::expr
