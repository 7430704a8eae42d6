// ENCODE(string, charset) and DECODE(bytes, charset): text ↔ BYTES in the six character sets
// Flink names, with java.lang.String's behaviour (String.getBytes, new String(bytes, charset)).
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/expr/kernel_abi.h"

namespace {

enum class Charset { kUsAscii, kIso88591, kUtf8, kUtf16Be, kUtf16Le, kUtf16 };

#define SLUICE_SUPPORTED_CHARSETS \
  "(supported: 'US-ASCII', 'ISO-8859-1', 'UTF-8', 'UTF-16BE', 'UTF-16LE', 'UTF-16')"
constexpr char kEncodeUnsupported[] =
    "ENCODE: an unsupported character set " SLUICE_SUPPORTED_CHARSETS;
constexpr char kDecodeUnsupported[] =
    "DECODE: an unsupported character set " SLUICE_SUPPORTED_CHARSETS;
#undef SLUICE_SUPPORTED_CHARSETS

bool CharsetOf(const SluiceUdfValue& name, Charset* out) {
  std::string upper(name.data != nullptr ? name.data : "", name.length);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper == "US-ASCII")
    *out = Charset::kUsAscii;
  else if (upper == "ISO-8859-1")
    *out = Charset::kIso88591;
  else if (upper == "UTF-8")
    *out = Charset::kUtf8;
  else if (upper == "UTF-16BE")
    *out = Charset::kUtf16Be;
  else if (upper == "UTF-16LE")
    *out = Charset::kUtf16Le;
  else if (upper == "UTF-16")
    *out = Charset::kUtf16;
  else
    return false;
  return true;
}

constexpr uint32_t kReplacement = 0xFFFD;

/// Reads one code point of UTF-8 at `bytes[*i]`: a maximal ill-formed part (Unicode's
/// recommended practice, as Java's decoder) becomes one U+FFFD.
uint32_t NextUtf8(std::string_view bytes, size_t* i) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(bytes[at]); };
  unsigned char lead = byte(*i);
  ++*i;
  if (lead < 0x80) return lead;
  size_t extra;
  uint32_t code_point;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2, code_point = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3, code_point = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return kReplacement;
  }
  for (size_t k = 0; k < extra; ++k) {
    if (*i >= bytes.size()) return kReplacement;
    unsigned char next = byte(*i);
    bool fits = k == 0 ? next >= low && next <= high : (next & 0xC0) == 0x80;
    if (!fits) return kReplacement;
    code_point = (code_point << 6) | (next & 0x3F);
    ++*i;
  }
  return code_point;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

void AppendUnit(uint16_t unit, bool big_endian, std::string* out) {
  char high = static_cast<char>(unit >> 8), low = static_cast<char>(unit & 0xFF);
  out->push_back(big_endian ? high : low);
  out->push_back(big_endian ? low : high);
}

std::string Encode(std::string_view text, Charset charset) {
  std::string out;
  if (charset == Charset::kUtf8) {
    for (size_t i = 0; i < text.size();) AppendUtf8(NextUtf8(text, &i), &out);
    return out;
  }
  // Java's UTF-16 encoder writes a big-endian byte-order mark first.
  if (charset == Charset::kUtf16) AppendUnit(0xFEFF, true, &out);
  for (size_t i = 0; i < text.size();) {
    uint32_t code_point = NextUtf8(text, &i);
    switch (charset) {
      case Charset::kUsAscii:
      case Charset::kIso88591: {
        uint32_t limit = charset == Charset::kUsAscii ? 0x80 : 0x100;
        // An unmappable character is '?' (String.getBytes' replacement).
        out.push_back(code_point < limit ? static_cast<char>(code_point) : '?');
        break;
      }
      default: {
        bool big_endian = charset != Charset::kUtf16Le;
        if (code_point >= 0x10000) {
          code_point -= 0x10000;
          AppendUnit(static_cast<uint16_t>(0xD800 + (code_point >> 10)), big_endian, &out);
          AppendUnit(static_cast<uint16_t>(0xDC00 + (code_point & 0x3FF)), big_endian, &out);
        } else {
          AppendUnit(static_cast<uint16_t>(code_point), big_endian, &out);
        }
        break;
      }
    }
  }
  return out;
}

std::string Decode(std::string_view bytes, Charset charset) {
  std::string out;
  switch (charset) {
    case Charset::kUtf8:
      for (size_t i = 0; i < bytes.size();) AppendUtf8(NextUtf8(bytes, &i), &out);
      return out;
    case Charset::kUsAscii:
    case Charset::kIso88591:
      for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        AppendUtf8(charset == Charset::kUsAscii && byte >= 0x80 ? kReplacement : byte, &out);
      }
      return out;
    default: break;
  }
  bool big_endian = charset != Charset::kUtf16Le;
  size_t i = 0;
  if (charset == Charset::kUtf16 && bytes.size() >= 2) {
    // A byte-order mark picks the order and is dropped; without one, big-endian.
    auto first = static_cast<unsigned char>(bytes[0]),
         second = static_cast<unsigned char>(bytes[1]);
    if (first == 0xFE && second == 0xFF) i = 2;
    if (first == 0xFF && second == 0xFE) i = 2, big_endian = false;
  }
  auto unit_at = [&](size_t at) {
    auto a = static_cast<unsigned char>(bytes[at]), b = static_cast<unsigned char>(bytes[at + 1]);
    return static_cast<uint16_t>(big_endian ? (a << 8) | b : (b << 8) | a);
  };
  while (i + 1 < bytes.size()) {
    uint16_t unit = unit_at(i);
    i += 2;
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < bytes.size()) {
      uint16_t next = unit_at(i);
      if (next >= 0xDC00 && next <= 0xDFFF) {
        i += 2;
        AppendUtf8(0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) + (next - 0xDC00),
                   &out);
        continue;
      }
    }
    AppendUtf8(unit >= 0xD800 && unit <= 0xDFFF ? kReplacement : unit, &out);
  }
  if (i < bytes.size()) AppendUtf8(kReplacement, &out);  // an odd last byte
  return out;
}

void Store(SluiceKernelContext* context, const std::string& bytes, SluiceUdfValue* out) {
  char* target = context->arena->Allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(target, bytes.data(), bytes.size());
  out->data = target;
  out->length = static_cast<uint32_t>(bytes.size());
}

std::string_view View(const SluiceUdfValue& value) {
  return {value.data != nullptr ? value.data : "", value.length};
}

}  // namespace

uint8_t sluice_encode(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                      SluiceUdfValue* out) {
  Charset charset;
  if (!CharsetOf(arguments[1], &charset)) {
    context->error = kEncodeUnsupported;
    return 0;
  }
  Store(context, Encode(View(arguments[0]), charset), out);
  return 1;
}

uint8_t sluice_decode(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                      SluiceUdfValue* out) {
  Charset charset;
  if (!CharsetOf(arguments[1], &charset)) {
    context->error = kDecodeUnsupported;
    return 0;
  }
  Store(context, Decode(View(arguments[0]), charset), out);
  return 1;
}
