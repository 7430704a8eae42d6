// The string, hash and encoding functions of functions.def (SEMANTICS.md, "Strings"). Strings
// are UTF-8; positions and lengths count code points, as Flink counts Java characters.

#include <locale.h>
#include <openssl/evp.h>
#include <wctype.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/expr/base64.h"
#include "runtime/expr/kernel_abi.h"

using sluice::runtime::StringRef;
using sluice::runtime::expr::DecodeBase64;
using sluice::runtime::expr::EncodeBase64;

namespace {

bool IsContinuation(char byte) {
  return (static_cast<uint8_t>(byte) & 0xC0) == 0x80;
}

/// The byte offset of code point `index` (0-based) in `data`, or `length` when it has fewer.
uint32_t OffsetOfCharacter(const char* data, uint32_t length, int64_t index) {
  uint32_t offset = 0;
  while (offset < length && index > 0) {
    ++offset;
    while (offset < length && IsContinuation(data[offset])) ++offset;
    --index;
  }
  return offset;
}

int64_t CharacterCount(const char* data, uint32_t length) {
  int64_t count = 0;
  for (uint32_t i = 0; i < length; ++i) count += IsContinuation(data[i]) ? 0 : 1;
  return count;
}

const char* DataOf(const SluiceUdfValue& value) {
  return value.data != nullptr ? value.data : "";
}

char* Allocate(SluiceKernelContext* context, size_t size) {
  return context->arena->Allocate(size);
}

void SetString(SluiceUdfValue* out, const char* data, size_t length) {
  out->data = data;
  out->length = static_cast<uint32_t>(length);
}

void StoreString(SluiceKernelContext* context, const std::string& text, SluiceUdfValue* out) {
  char* target = Allocate(context, text.size());
  if (!text.empty()) std::memcpy(target, text.data(), text.size());
  SetString(out, target, text.size());
}

void StoreString(SluiceKernelContext* context, const std::string& text, StringRef* out) {
  char* target = Allocate(context, text.size());
  if (!text.empty()) std::memcpy(target, text.data(), text.size());
  *out = StringRef{target, static_cast<uint32_t>(text.size()), 0};
}

/// Decodes the code point at the start of `data` (lenient: a bad byte is itself).
uint32_t FirstCodePoint(const char* data, uint32_t length) {
  auto byte = [&](uint32_t i) { return static_cast<uint8_t>(data[i]); };
  uint8_t lead = byte(0);
  uint32_t extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (extra == 0 || extra >= length) return lead;
  uint32_t code = lead & (0x3F >> extra);
  for (uint32_t i = 1; i <= extra; ++i) code = (code << 6) | (byte(i) & 0x3F);
  return code;
}

std::string EncodeCodePoint(uint32_t code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

/// The longest string one call of LPAD, RPAD or REPEAT builds: past it the result is NULL
/// (Flink fails past Java's 2^31 - 1 characters; a batch of 1,024 such values would exhaust
/// memory first).
constexpr uint64_t kMaxBuiltBytes = 64u << 20;

/// LPAD and RPAD as Flink's SqlFunctionUtils.lpad/rpad, in code points: the text cut to
/// `length`, or padded with repetitions of `pad` (the last one cut) on the left or right.
uint8_t Pad(SluiceKernelContext* context, const SluiceUdfValue* arguments, bool left,
            SluiceUdfValue* out) {
  const char* text = DataOf(arguments[0]);
  int64_t length = arguments[1].integer;
  const char* pad = DataOf(arguments[2]);
  if (length < 0 || arguments[2].length == 0) return 0;
  int64_t text_characters = CharacterCount(text, arguments[0].length);
  int64_t pad_characters = CharacterCount(pad, arguments[2].length);
  int64_t padding = std::max<int64_t>(length - text_characters, 0);
  if (static_cast<uint64_t>(padding) > kMaxBuiltBytes / 4) return 0;  // <= 4 bytes a character
  std::vector<uint32_t> offsets(static_cast<size_t>(pad_characters) + 1);
  for (int64_t c = 0; c <= pad_characters; ++c) {
    offsets[c] = OffsetOfCharacter(pad, arguments[2].length, c);
  }
  std::string padded;
  for (int64_t i = 0; i < padding; ++i) {
    int64_t c = i % pad_characters;
    padded.append(pad + offsets[c], offsets[c + 1] - offsets[c]);
  }
  uint32_t kept = OffsetOfCharacter(text, arguments[0].length, std::min(length, text_characters));
  std::string result = left ? padded + std::string(text, kept) : std::string(text, kept) + padded;
  StoreString(context, result, out);
  return 1;
}

std::string HexOf(const unsigned char* bytes, size_t size, const char* digits) {
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0F];
  }
  return out;
}

/// The lowercase hex digest of `in` with `digest` (OpenSSL's libcrypto).
std::string Digest(const EVP_MD* digest, const char* data, uint32_t length) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data != nullptr ? data : "", length, hash, &size, digest, nullptr);
  return HexOf(hash, size, "0123456789abcdef");
}

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Java's Character.isDigit (Unicode Nd): ASCII digits and the digit blocks of the common
/// scripts (each ten code points from the one listed).
bool IsDigitCodePoint(uint32_t code) {
  static constexpr uint32_t kZeros[] = {
      0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
      0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
      0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
      0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};
  for (uint32_t zero : kZeros) {
    if (code >= zero && code < zero + 10) return true;
  }
  return false;
}

/// Java's Character.isLetter: ASCII letters, and beyond ASCII glibc's C.UTF-8 alphabetic class
/// less the digits glibc counts there.
bool IsLetterCodePoint(uint32_t code) {
  if (code < 0x80) return IsAsciiLetter(static_cast<char>(code));
  static const locale_t kUtf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return kUtf8 != static_cast<locale_t>(0) && iswalpha_l(static_cast<wint_t>(code), kUtf8) != 0 &&
         !IsDigitCodePoint(code);
}

/// Tells whether `text` is not empty and `test` holds for each of its code points.
bool AllCodePoints(const SluiceUdfValue& text, bool (*test)(uint32_t)) {
  const char* data = DataOf(text);
  uint32_t length = text.length;
  if (length == 0) return false;
  for (uint32_t offset = 0; offset < length;) {
    uint32_t next = OffsetOfCharacter(data + offset, length - offset, 1) + offset;
    if (!test(FirstCodePoint(data + offset, next - offset))) return false;
    offset = next;
  }
  return true;
}

}  // namespace

extern "C" {

void sluice_concat_ws(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t count,
                      StringRef* out) {
  size_t size = 0;
  bool first = true;
  for (int32_t i = 1; i < count; ++i) {
    if (arguments[i].is_null != 0) continue;
    size += (first ? 0 : arguments[0].length) + arguments[i].length;
    first = false;
  }
  char* target = Allocate(context, size);
  size_t written = 0;
  first = true;
  for (int32_t i = 1; i < count; ++i) {
    if (arguments[i].is_null != 0) continue;
    if (!first && arguments[0].length > 0) {
      std::memcpy(target + written, arguments[0].data, arguments[0].length);
      written += arguments[0].length;
    }
    if (arguments[i].length > 0) {
      std::memcpy(target + written, arguments[i].data, arguments[i].length);
      written += arguments[i].length;
    }
    first = false;
  }
  *out = StringRef{target, static_cast<uint32_t>(size), 0};
}

uint8_t sluice_string_replace(SluiceKernelContext* context, const SluiceUdfValue* arguments,
                              int32_t, SluiceUdfValue* out) {
  std::string_view text(DataOf(arguments[0]), arguments[0].length);
  std::string_view search(DataOf(arguments[1]), arguments[1].length);
  std::string_view replacement(DataOf(arguments[2]), arguments[2].length);
  std::string result;
  if (search.empty()) {
    // Java's String.replace("", r) puts r before every character and at the end.
    for (uint32_t i = 0; i < text.size(); ++i) {
      if (!IsContinuation(text[i])) result += replacement;
      result += text[i];
    }
    result += replacement;
  } else {
    size_t start = 0;
    while (true) {
      size_t found = text.find(search, start);
      if (found == std::string_view::npos) break;
      result.append(text.substr(start, found - start));
      result.append(replacement);
      start = found + search.size();
    }
    result.append(text.substr(start));
  }
  StoreString(context, result, out);
  return 1;
}

uint8_t sluice_string_lpad(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  return Pad(context, arguments, true, out);
}

uint8_t sluice_string_rpad(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  return Pad(context, arguments, false, out);
}

void sluice_string_initcap(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  // Flink (Calcite's initcap): a word is a run of ASCII letters and digits; its first letter
  // becomes upper case, the others lower case. Every other character, non-ASCII ones too,
  // separates words and is kept.
  char* target = Allocate(context, in->length);
  bool word_start = true;
  for (uint32_t i = 0; i < in->length; ++i) {
    char c = in->data[i];
    bool word = IsAsciiLetter(c) || IsAsciiDigit(c);
    if (IsAsciiLetter(c)) {
      bool upper = c >= 'A' && c <= 'Z';
      if (word_start && !upper) c = static_cast<char>(c - 'a' + 'A');
      if (!word_start && upper) c = static_cast<char>(c - 'A' + 'a');
    }
    word_start = !word;
    target[i] = c;
  }
  *out = StringRef{target, in->length, 0};
}

uint8_t sluice_string_locate(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
                             SluiceUdfValue* out) {
  std::string_view needle(DataOf(arguments[0]), arguments[0].length);
  const char* text = DataOf(arguments[1]);
  uint32_t length = arguments[1].length;
  int64_t start = count >= 3 ? static_cast<int32_t>(arguments[2].integer) : 1;
  out->integer = 0;
  if (start < 1) return 1;
  uint32_t offset = OffsetOfCharacter(text, length, start - 1);
  if (start - 1 > CharacterCount(text, length)) return 1;
  size_t found = std::string_view(text, length).find(needle, offset);
  if (found != std::string_view::npos) out->integer = CharacterCount(text, found) + 1;
  return 1;
}

uint8_t sluice_string_left(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  int64_t count = static_cast<int32_t>(arguments[1].integer);
  const char* text = DataOf(arguments[0]);
  uint32_t end = count <= 0 ? 0 : OffsetOfCharacter(text, arguments[0].length, count);
  SetString(out, text, end);
  return 1;
}

uint8_t sluice_string_right(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  int64_t count = static_cast<int32_t>(arguments[1].integer);
  const char* text = DataOf(arguments[0]);
  uint32_t length = arguments[0].length;
  int64_t characters = CharacterCount(text, length);
  if (count <= 0) {
    SetString(out, text, 0);
    return 1;
  }
  uint32_t start = OffsetOfCharacter(text, length, std::max<int64_t>(characters - count, 0));
  SetString(out, text + start, length - start);
  return 1;
}

uint8_t sluice_string_repeat(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                             SluiceUdfValue* out) {
  int64_t times = static_cast<int32_t>(arguments[1].integer);
  uint32_t length = arguments[0].length;
  if (times <= 0 || length == 0) {
    SetString(out, DataOf(arguments[0]), 0);
    return 1;
  }
  // Flink fails past Java's 2^31 - 1 characters; Sluice is NULL past kMaxBuiltBytes.
  if (static_cast<uint64_t>(length) * static_cast<uint64_t>(times) > kMaxBuiltBytes) return 0;
  size_t size = static_cast<size_t>(length) * static_cast<size_t>(times);
  char* target = Allocate(context, size);
  for (int64_t i = 0; i < times; ++i) std::memcpy(target + i * length, arguments[0].data, length);
  SetString(out, target, size);
  return 1;
}

uint8_t sluice_string_ascii(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                            SluiceUdfValue* out) {
  out->integer =
      arguments[0].length == 0 ? 0 : FirstCodePoint(arguments[0].data, arguments[0].length);
  return 1;
}

uint8_t sluice_string_chr(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // Flink's SqlFunctionUtils.chr: '' below 0, else the character (chr & 0xFF) (the docs say
  // "modulus 255"; the code keeps the low 8 bits: CHR(353) is 'a').
  int64_t code = arguments[0].integer;
  if (code < 0) {
    StoreString(context, std::string(), out);
    return 1;
  }
  StoreString(context, EncodeCodePoint(static_cast<uint32_t>(code & 0xFF)), out);
  return 1;
}

void sluice_string_ltrim(SluiceKernelContext*, const StringRef* in, StringRef* out) {
  uint32_t start = 0;
  while (start < in->length && in->data[start] == ' ') ++start;
  *out = StringRef{in->data + start, in->length - start, 0};
}

void sluice_string_rtrim(SluiceKernelContext*, const StringRef* in, StringRef* out) {
  uint32_t end = in->length;
  while (end > 0 && in->data[end - 1] == ' ') --end;
  *out = StringRef{in->data, end, 0};
}

void sluice_hash_md5(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_md5(), in->data, in->length), out);
}

void sluice_hash_sha1(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_sha1(), in->data, in->length), out);
}

void sluice_hash_sha256(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_sha256(), in->data, in->length), out);
}

uint8_t sluice_hash_sha2(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                         SluiceUdfValue* out) {
  const EVP_MD* digest = nullptr;
  switch (arguments[1].integer) {
    case 224: digest = EVP_sha224(); break;
    case 256: digest = EVP_sha256(); break;
    case 384: digest = EVP_sha384(); break;
    case 512: digest = EVP_sha512(); break;
    default: return 0;  // Flink: NULL for another hash length
  }
  StoreString(context, Digest(digest, arguments[0].data, arguments[0].length), out);
  return 1;
}

void sluice_hash_sha224(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_sha224(), in->data, in->length), out);
}

void sluice_hash_sha384(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_sha384(), in->data, in->length), out);
}

void sluice_hash_sha512(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, Digest(EVP_sha512(), in->data, in->length), out);
}

void sluice_to_base64(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(context, EncodeBase64(in->view()), out);
}

uint8_t sluice_from_base64(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                           SluiceUdfValue* out) {
  std::string result;
  if (!DecodeBase64(std::string_view(DataOf(arguments[0]), arguments[0].length), &result)) {
    return 0;
  }
  StoreString(context, result, out);
  return 1;
}

void sluice_string_hex(SluiceKernelContext* context, const StringRef* in, StringRef* out) {
  StoreString(
      context,
      HexOf(reinterpret_cast<const unsigned char*>(in->data), in->length, "0123456789ABCDEF"), out);
}

uint8_t sluice_number_hex(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // Long.toHexString(n).toUpperCase(): the two's complement bits, no leading zeros.
  auto bits = static_cast<uint64_t>(arguments[0].integer);
  std::string text;
  do {
    text.insert(text.begin(), "0123456789ABCDEF"[bits & 0x0F]);
    bits >>= 4;
  } while (bits != 0);
  StoreString(context, text, out);
  return 1;
}

uint8_t sluice_number_bin(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // Long.toBinaryString(n).
  auto bits = static_cast<uint64_t>(arguments[0].integer);
  std::string text;
  do {
    text.insert(text.begin(), static_cast<char>('0' + (bits & 1)));
    bits >>= 1;
  } while (bits != 0);
  StoreString(context, text, out);
  return 1;
}

uint8_t sluice_uuid(SluiceKernelContext* context, const SluiceUdfValue*, int32_t,
                    SluiceUdfValue* out) {
  // A version 4 (random) UUID, as java.util.UUID.randomUUID().
  thread_local std::mt19937_64 generator{std::random_device{}()};
  unsigned char bytes[16];
  uint64_t high = generator(), low = generator();
  std::memcpy(bytes, &high, 8);
  std::memcpy(bytes + 8, &low, 8);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  std::string hex = HexOf(bytes, 16, "0123456789abcdef");
  std::string text = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                     hex.substr(16, 4) + "-" + hex.substr(20);
  StoreString(context, text, out);
  return 1;
}

uint8_t sluice_is_digit(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                        SluiceUdfValue* out) {
  // Flink: StringUtils.isNumeric, Java's Character.isDigit on every character.
  out->integer = AllCodePoints(arguments[0], IsDigitCodePoint) ? 1 : 0;
  return 1;
}

uint8_t sluice_is_alpha(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                        SluiceUdfValue* out) {
  // Flink: StringUtils.isAlpha, Java's Character.isLetter on every character.
  out->integer = AllCodePoints(arguments[0], IsLetterCodePoint) ? 1 : 0;
  return 1;
}

uint8_t sluice_is_decimal(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t,
                          SluiceUdfValue* out) {
  // [+-] digits [. digits] [e [+-] digits], with digits on at least one side of the point.
  std::string_view text(DataOf(arguments[0]), arguments[0].length);
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && IsAsciiDigit(text[i])) ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  bool valid = mantissa > 0;
  if (valid && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    valid = digits() > 0;
  }
  out->integer = valid && i == text.size() ? 1 : 0;
  return 1;
}

}  // extern "C"
