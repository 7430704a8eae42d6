#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"
#include "runtime/expr/value_format.h"

extern "C" uint8_t sluice_cast_string_to_interval(const sluice::runtime::StringRef* in,
                                                  int64_t* out);

namespace sluice::runtime::expr {
namespace {

StringRef Ref(const std::string& text) {
  return StringRef{text.data(), static_cast<uint32_t>(text.size()), 0};
}

class ScalarHelpersTest : public ::testing::Test {
 protected:
  std::string Upper(const std::string& text) {
    StringRef in = Ref(text), out;
    sluice_string_upper(&context_, &in, &out);
    return std::string(out.view());
  }
  std::string Lower(const std::string& text) {
    StringRef in = Ref(text), out;
    sluice_string_lower(&context_, &in, &out);
    return std::string(out.view());
  }
  std::string Reverse(const std::string& text) {
    StringRef in = Ref(text), out;
    sluice_string_reverse(&context_, &in, &out);
    return std::string(out.view());
  }
  std::string Concat(const std::string& left, const std::string& right) {
    StringRef a = Ref(left), b = Ref(right), out;
    sluice_string_concat(&context_, &a, &b, &out);
    return std::string(out.view());
  }
  std::string DoubleText(double value) {
    StringRef out;
    sluice_cast_double_to_string(&context_, value, &out);
    return std::string(out.view());
  }
  std::string BigintText(int64_t value) {
    StringRef out;
    sluice_cast_bigint_to_string(&context_, value, &out);
    return std::string(out.view());
  }
  std::string DecimalText(int64_t unscaled, int32_t scale) {
    StringRef out;
    sluice_cast_decimal_to_string(&context_, unscaled, scale, &out);
    return std::string(out.view());
  }
  std::string BooleanText(uint8_t value) {
    StringRef out;
    sluice_cast_boolean_to_string(&context_, value, &out);
    return std::string(out.view());
  }

  Arena arena_;
  SluiceKernelContext context_{&arena_};
};

std::string Substring(const std::string& text, int64_t start, int64_t length) {
  StringRef in = Ref(text), out;
  sluice_string_substring(&in, start, length, &out);
  return std::string(out.view());
}

bool Like(const std::string& text, const std::string& pattern) {
  StringRef a = Ref(text), b = Ref(pattern);
  return sluice_string_like(&a, &b) != 0;
}

int32_t CharLength(const std::string& text) {
  StringRef in = Ref(text);
  return sluice_string_char_length(&in);
}

int32_t Compare(const std::string& left, const std::string& right) {
  StringRef a = Ref(left), b = Ref(right);
  return sluice_string_compare(&a, &b);
}

TEST_F(ScalarHelpersTest, CaseMappingFollowsJava) {
  // Every letter by Unicode's mapping (Java's toUpperCase/toLowerCase), ß as SS.
  EXPECT_EQ(Upper("abc Éé xyz1"), "ABC ÉÉ XYZ1");
  EXPECT_EQ(Lower("ABC Éé XYZ1"), "abc éé xyz1");
  EXPECT_EQ(Upper("straße"), "STRASSE");
  EXPECT_EQ(Upper("ɐ"), "Ɐ");  // two bytes to three
  EXPECT_EQ(Upper(std::string("a\xff"
                              "b")),
            std::string("A\xff"
                        "B"));  // malformed kept
  EXPECT_EQ(Upper(""), "");
}

TEST_F(ScalarHelpersTest, ReverseKeepsEachUtf8CharacterWhole) {
  EXPECT_EQ(Reverse("hello world"), "dlrow olleh");
  EXPECT_EQ(Reverse(""), "");
  EXPECT_EQ(Reverse("Straße日本"), "本日eßartS");
  EXPECT_EQ(Reverse("ab😀c"), "c😀ba");
  // A stray continuation byte joins the character before it, as in CHAR_LENGTH.
  EXPECT_EQ(Reverse(std::string("a\x80") + "b"), "ba\x80");
}

TEST_F(ScalarHelpersTest, ConcatJoinsBytes) {
  EXPECT_EQ(Concat("ab", "cd"), "abcd");
  EXPECT_EQ(Concat("", ""), "");
  EXPECT_EQ(Concat("ü", ""), "ü");
}

TEST(ScalarHelpers, CompareIsBytewiseThenShorterFirst) {
  EXPECT_EQ(Compare("abc", "abc"), 0);
  EXPECT_EQ(Compare("ab", "abc"), -1);
  EXPECT_EQ(Compare("abc", "ab"), 1);
  EXPECT_EQ(Compare("", ""), 0);
  EXPECT_EQ(Compare("", "a"), -1);
  EXPECT_EQ(Compare("B", "a"), -1);
  // Bytes compare unsigned: é (0xC3 0xA9) sorts after z.
  EXPECT_EQ(Compare("é", "z"), 1);
  std::string xy = "xy", xy_copy = "xy", xz = "xz";
  StringRef a = Ref(xy), b = Ref(xy_copy), c = Ref(xz);
  EXPECT_EQ(sluice_string_equal(&a, &b), 1);
  EXPECT_EQ(sluice_string_equal(&a, &c), 0);
}

TEST(ScalarHelpers, CharLengthCountsCodePoints) {
  EXPECT_EQ(CharLength(""), 0);
  EXPECT_EQ(CharLength("abc"), 3);
  EXPECT_EQ(CharLength("héllo"), 5);   // é is 2 bytes
  EXPECT_EQ(CharLength("日本語"), 3);  // 3 bytes each
  EXPECT_EQ(CharLength("a😀b"), 3);     // 4-byte code point
}

TEST(ScalarHelpers, SubstringIsOneBasedInCodePoints) {
  EXPECT_EQ(Substring("abcdef", 2, 3), "bcd");
  EXPECT_EQ(Substring("abcdef", 1, -1), "abcdef");
  EXPECT_EQ(Substring("abcdef", 4, -1), "def");
  // Flink's substringSQL: 0 is the first character, a negative start counts from the end, a
  // start before the first character gives ''.
  EXPECT_EQ(Substring("abc", 0, 2), "ab");
  EXPECT_EQ(Substring("abc", -1, 3), "c");
  EXPECT_EQ(Substring("abc", -3, -1), "abc");
  EXPECT_EQ(Substring("a日本c", -3, 2), "日本");
  EXPECT_EQ(Substring("abc", -5, 3), "");
  EXPECT_EQ(Substring("abc", -5, -1), "");
  EXPECT_EQ(Substring("abc", 4, 1), "");
  EXPECT_EQ(Substring("abc", 3, 100), "c");
  EXPECT_EQ(Substring("abc", 2, 0), "");
  EXPECT_EQ(Substring("", 1, 1), "");
  EXPECT_EQ(Substring("héllo", 2, 2), "él");
  EXPECT_EQ(Substring("日本語", 3, 1), "語");
  EXPECT_EQ(Substring("abc", INT64_MAX, INT64_MAX), "");
  EXPECT_EQ(Substring("abc", 2, INT64_MAX), "bc");
  EXPECT_EQ(Substring("abc", INT64_MIN, INT64_MAX), "");
}

TEST(ScalarHelpers, TrimRemovesAsciiSpacesOnly) {
  std::string text = "  a b \t ";
  StringRef in = Ref(text), out;
  sluice_string_trim(&in, &out);
  EXPECT_EQ(out.view(), "a b \t");
  std::string blank = "   ";
  in = Ref(blank);
  sluice_string_trim(&in, &out);
  EXPECT_EQ(out.length, 0u);
}

TEST(ScalarHelpers, LikeMatchesWholeString) {
  EXPECT_TRUE(Like("abc", "abc"));
  EXPECT_FALSE(Like("abcd", "abc"));
  EXPECT_TRUE(Like("abc", "a%"));
  EXPECT_TRUE(Like("abc", "%c"));
  EXPECT_TRUE(Like("abc", "%b%"));
  EXPECT_FALSE(Like("abc", "%d%"));
  EXPECT_TRUE(Like("abc", "a_c"));
  EXPECT_FALSE(Like("ac", "a_c"));
  EXPECT_TRUE(Like("", "%"));
  EXPECT_TRUE(Like("", ""));
  EXPECT_FALSE(Like("", "_"));
  EXPECT_FALSE(Like("a", ""));
  EXPECT_TRUE(Like("aaa", "%%a"));
  EXPECT_TRUE(Like("mississippi", "%iss%ppi"));
  EXPECT_FALSE(Like("mississippi", "%iss%ppj"));
  EXPECT_TRUE(Like("é", "_"));  // `_` is one code point, not one byte
  EXPECT_FALSE(Like("é", "__"));
  EXPECT_TRUE(Like("xéy", "x_y"));
  EXPECT_TRUE(Like("日本語", "%語"));
  EXPECT_TRUE(Like("a%b", "a%b"));   // no escape character: `%` is always a wildcard
  EXPECT_FALSE(Like("ABC", "abc"));  // case-sensitive
}

/// CAST(BYTES AS VARCHAR): the bytes when they are UTF-8, nullopt (NULL) otherwise.
std::optional<std::string> BinaryToString(const std::string& bytes) {
  StringRef in = Ref(bytes), out;
  if (sluice_cast_binary_to_string(&in, &out) == 0) return std::nullopt;
  return std::string(out.view());
}

TEST(ScalarHelpers, BinaryToStringTakesWellFormedUtf8Only) {
  EXPECT_EQ(BinaryToString(""), "");
  EXPECT_EQ(BinaryToString("h\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
            "h\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  EXPECT_EQ(BinaryToString(std::string("a\0b", 3)), std::string("a\0b", 3));
  for (const char* bad : {"\xff", "\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf0\x9f\x98", "a\xc3("}) {
    EXPECT_EQ(BinaryToString(bad), std::nullopt) << bad;
  }
}

/// ENCODE / DECODE through their value-shaped helpers; nullopt when the helper fails.
std::optional<std::string> Charset(bool encode, const std::string& input,
                                   const std::string& charset) {
  Arena arena;
  SluiceKernelContext context{&arena};
  SluiceUdfValue arguments[2] = {};
  arguments[0].data = input.data();
  arguments[0].length = static_cast<uint32_t>(input.size());
  arguments[1].data = charset.data();
  arguments[1].length = static_cast<uint32_t>(charset.size());
  SluiceUdfValue out{};
  uint8_t valid = encode ? sluice_encode(&context, arguments, 2, &out)
                         : sluice_decode(&context, arguments, 2, &out);
  if (valid == 0) return std::nullopt;
  return std::string(out.data, out.length);
}

TEST(ScalarHelpers, EncodeAndDecodeAsJavaStrings) {
  const std::string text = "h\xc3\xa9\xf0\x9f\x98\x80";  // hé😀
  EXPECT_EQ(Charset(true, text, "UTF-16BE"), std::string("\0h\0\xe9\xd8\x3d\xde\x00", 8));
  EXPECT_EQ(Charset(true, text, "utf-16le"), std::string("h\0\xe9\0\x3d\xd8\x00\xde", 8));
  EXPECT_EQ(Charset(true, text, "UTF-16"), std::string("\xfe\xff\0h\0\xe9\xd8\x3d\xde\x00", 10));
  EXPECT_EQ(Charset(true, text, "US-ASCII"), "h??");
  EXPECT_EQ(Charset(true, text, "ISO-8859-1"), "h\xe9?");
  EXPECT_EQ(Charset(true, text, "UTF-8"), text);
  for (const char* charset : {"UTF-8", "UTF-16BE", "UTF-16LE", "UTF-16"}) {
    EXPECT_EQ(Charset(false, *Charset(true, text, charset), charset), text) << charset;
  }
  EXPECT_EQ(Charset(false, std::string("\xff\xfeh\0", 4), "UTF-16"), "h");  // a little-endian mark
  EXPECT_EQ(Charset(false, "h\xff", "US-ASCII"), "h\xef\xbf\xbd");          // U+FFFD
  EXPECT_EQ(Charset(false, "h\xe9", "ISO-8859-1"), "h\xc3\xa9");
  // One U+FFFD per maximal ill-formed part: a truncated 3-byte sequence, then a stray byte.
  EXPECT_EQ(Charset(false,
                    "\xe6\x97"
                    "a\x80",
                    "UTF-8"),
            "\xef\xbf\xbd"
            "a\xef\xbf\xbd");
  EXPECT_EQ(Charset(false, std::string("\0h\xd8", 3), "UTF-16BE"),
            "h\xef\xbf\xbd");  // an odd last byte
  EXPECT_EQ(Charset(true, text, "EBCDIC"), std::nullopt);
  EXPECT_EQ(Charset(false, text, "UTF-32"), std::nullopt);
}

TEST(ScalarHelpers, StringToIntegers) {
  int32_t i = 0;
  int64_t b = 0;
  auto to_int = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_int(&r, &i);
  };
  auto to_bigint = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_bigint(&r, &b);
  };
  EXPECT_EQ(to_int("42"), 1);
  EXPECT_EQ(i, 42);
  EXPECT_EQ(to_int("  -17 "), 1);
  EXPECT_EQ(i, -17);
  EXPECT_EQ(to_int("+5"), 1);
  EXPECT_EQ(i, 5);
  EXPECT_EQ(to_int("2147483647"), 1);
  EXPECT_EQ(i, INT32_MAX);
  EXPECT_EQ(to_int("-2147483648"), 1);
  EXPECT_EQ(i, INT32_MIN);
  EXPECT_EQ(to_int("2147483648"), 0);
  EXPECT_EQ(to_int("-2147483649"), 0);
  EXPECT_EQ(to_int(""), 0);
  EXPECT_EQ(to_int("   "), 0);
  EXPECT_EQ(to_int("-"), 0);
  // A fraction of digits is dropped (Flink's BinaryStringDataUtil.toLong), others refused.
  EXPECT_EQ(to_int("1.5"), 1);
  EXPECT_EQ(i, 1);
  EXPECT_EQ(to_int("-7.99"), 1);
  EXPECT_EQ(i, -7);
  EXPECT_EQ(to_int("1.5x"), 0);
  EXPECT_EQ(to_int("."), 0);
  EXPECT_EQ(to_int("12a"), 0);
  EXPECT_EQ(to_int("1 2"), 0);
  EXPECT_EQ(to_int("\t1"), 0);
  EXPECT_EQ(to_bigint("9223372036854775807"), 1);
  EXPECT_EQ(b, INT64_MAX);
  EXPECT_EQ(to_bigint("-9223372036854775808"), 1);
  EXPECT_EQ(b, INT64_MIN);
  EXPECT_EQ(to_bigint("9223372036854775808"), 0);
  EXPECT_EQ(to_bigint("-9223372036854775809"), 0);
  EXPECT_EQ(to_bigint("000000000000000000000000012"), 1);
  EXPECT_EQ(b, 12);
}

TEST(ScalarHelpers, StringToDoubleAndBoolean) {
  double d = 0;
  auto to_double = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_double(&r, &d);
  };
  EXPECT_EQ(to_double(" 1.5 "), 1);
  EXPECT_EQ(d, 1.5);
  EXPECT_EQ(to_double("-1e3"), 1);
  EXPECT_EQ(d, -1000.0);
  EXPECT_EQ(to_double(".5"), 1);
  EXPECT_EQ(d, 0.5);
  EXPECT_EQ(to_double("inf"), 1);
  EXPECT_TRUE(std::isinf(d) && d > 0);
  EXPECT_EQ(to_double("nan"), 1);
  EXPECT_TRUE(std::isnan(d));
  EXPECT_EQ(to_double(""), 0);
  EXPECT_EQ(to_double("1.5x"), 0);
  EXPECT_EQ(to_double("abc"), 0);
  EXPECT_EQ(to_double("\n1"), 0);
  uint8_t flag = 7;
  auto to_boolean = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_boolean(&r, &flag);
  };
  EXPECT_EQ(to_boolean("TRUE"), 1);
  EXPECT_EQ(flag, 1);
  EXPECT_EQ(to_boolean(" fAlSe "), 1);
  EXPECT_EQ(flag, 0);
  // Flink's BinaryStringDataUtil.toBoolean words.
  EXPECT_EQ(to_boolean("1"), 1);
  EXPECT_EQ(flag, 1);
  EXPECT_EQ(to_boolean("yes"), 1);
  EXPECT_EQ(flag, 1);
  EXPECT_EQ(to_boolean("N"), 1);
  EXPECT_EQ(flag, 0);
  EXPECT_EQ(to_boolean("2"), 0);
  EXPECT_EQ(to_boolean("truex"), 0);
}

TEST(ScalarHelpers, StringToTimestampAndInterval) {
  int64_t millis = 0;
  auto to_timestamp = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_timestamp(&r, &millis);
  };
  EXPECT_EQ(to_timestamp(" 1970-01-01 00:00:01.5 "), 1);
  EXPECT_EQ(millis, 1500);
  EXPECT_EQ(to_timestamp("1969-12-31T23:59:59.999"), 1);
  EXPECT_EQ(millis, -1);
  EXPECT_EQ(to_timestamp("2024-02-30 00:00:00"), 0);
  EXPECT_EQ(to_timestamp("not a time"), 0);
  auto to_interval = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_interval(&r, &millis);
  };
  EXPECT_EQ(to_interval("+1 01:01:01.001"), 1);
  EXPECT_EQ(millis, 90'061'001);
  EXPECT_EQ(to_interval("-0 00:00:00.5"), 1);
  EXPECT_EQ(millis, -500);
  EXPECT_EQ(to_interval("3 00:00:00"), 1);
  EXPECT_EQ(millis, 3 * 86'400'000LL);
  EXPECT_EQ(to_interval("1 24:00:00"), 0);
  EXPECT_EQ(to_interval("01:00:00"), 0);
  EXPECT_EQ(to_interval("+106751991167 07:12:55.807"), 1);
  EXPECT_EQ(millis, INT64_MAX);
  EXPECT_EQ(to_interval("+106751991167 07:12:55.808"), 0);
}

TEST(ScalarHelpers, StringToDateAndTime) {
  int32_t value = 0;
  auto to_date = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_date(&r, &value);
  };
  EXPECT_EQ(to_date("1970-01-01"), 1);
  EXPECT_EQ(value, 0);
  EXPECT_EQ(to_date(" 1969-12-31 "), 1);
  EXPECT_EQ(value, -1);
  EXPECT_EQ(to_date("2024-3-1"), 1);  // one-digit month and day, as Flink's parser
  EXPECT_EQ(value, 19783);
  EXPECT_EQ(to_date("0001-01-01"), 1);
  EXPECT_EQ(value, -719162);
  EXPECT_EQ(to_date("2024-02-29"), 1);
  EXPECT_EQ(to_date("2023-02-29"), 0);
  EXPECT_EQ(to_date("2024-13-01"), 0);
  EXPECT_EQ(to_date("2024-01-01 23:59:59.999"), 1);  // a timestamp's text: its date (Flink's)
  EXPECT_EQ(value, 19723);
  EXPECT_EQ(to_date("2024-01-01T00:00:00"), 0);
  EXPECT_EQ(to_date("2024/01/01"), 0);
  EXPECT_EQ(to_date(""), 0);
  EXPECT_EQ(to_date("-"), 0);
  auto to_time = [&](const std::string& s) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_time(&r, &value);
  };
  EXPECT_EQ(to_time("00:00"), 1);
  EXPECT_EQ(value, 0);
  EXPECT_EQ(to_time("23:59:59.999"), 1);
  EXPECT_EQ(value, 86'399'999);
  EXPECT_EQ(to_time(" 1:02:03.4 "), 1);
  EXPECT_EQ(value, 3'723'400);
  EXPECT_EQ(to_time("12:00:00.123456789"), 1);  // past the milliseconds: dropped
  EXPECT_EQ(value, 43'200'123);
  EXPECT_EQ(to_time("24:00:00"), 0);
  EXPECT_EQ(to_time("12:60"), 0);
  EXPECT_EQ(to_time("12"), 0);
  EXPECT_EQ(to_time("12:00:00."), 0);
  EXPECT_EQ(to_time("12:00:00.1234567890"), 0);
}

TEST(ScalarHelpers, DateAndTimeOfATimestampSplitAtMidnight) {
  EXPECT_EQ(sluice_timestamp_to_date(0), 0);
  EXPECT_EQ(sluice_timestamp_to_date(-1), -1);
  EXPECT_EQ(sluice_timestamp_to_time(-1), 86'399'999);
  EXPECT_EQ(sluice_timestamp_to_date(86'400'000), 1);
  EXPECT_EQ(sluice_timestamp_to_time(86'400'001), 1);
  EXPECT_EQ(sluice_date_to_timestamp(-1), -86'400'000);
  EXPECT_EQ(sluice::runtime::expr::FormatDate(-719162), "0001-01-01");
  EXPECT_EQ(sluice::runtime::expr::FormatTime(3'723'400), "01:02:03.400");
  EXPECT_EQ(sluice::runtime::expr::FormatTime(3'723'000), "01:02:03");
}

TEST(ScalarHelpers, StringToDecimalRoundsHalfAwayFromZero) {
  __int128 unscaled = 0;
  auto to_decimal = [&](const std::string& s, int32_t precision, int32_t scale) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_decimal(&r, precision, scale, &unscaled);
  };
  EXPECT_EQ(to_decimal("1.5", 5, 2), 1);
  EXPECT_TRUE(unscaled == 150);
  EXPECT_EQ(to_decimal("-1.005", 5, 2), 1);
  EXPECT_TRUE(unscaled == -101);
  EXPECT_EQ(to_decimal("1.004", 5, 2), 1);
  EXPECT_TRUE(unscaled == 100);
  EXPECT_EQ(to_decimal("0.5", 3, 0), 1);
  EXPECT_TRUE(unscaled == 1);
  EXPECT_EQ(to_decimal("-0.5", 3, 0), 1);
  EXPECT_TRUE(unscaled == -1);
  EXPECT_EQ(to_decimal("999.995", 5, 2), 0);  // rounds to 1000.00: 6 digits
  EXPECT_EQ(to_decimal("999.994", 5, 2), 1);
  EXPECT_TRUE(unscaled == 99999);
  EXPECT_EQ(to_decimal("1e2", 5, 2), 1);
  EXPECT_TRUE(unscaled == 10000);
  EXPECT_EQ(to_decimal("12", 2, 0), 1);
  EXPECT_EQ(to_decimal("123", 2, 0), 0);
  EXPECT_EQ(to_decimal(".", 5, 2), 0);
  EXPECT_EQ(to_decimal("", 5, 2), 0);
  EXPECT_EQ(to_decimal("1.2.3", 5, 2), 0);
  EXPECT_EQ(to_decimal("99999999999999999999", 38, 0), 1);  // beyond int64: 20 digits fit 38
  EXPECT_EQ(to_decimal("99999999999999999999", 19, 0), 0);
  EXPECT_EQ(to_decimal("9223372036854775807", 38, 0), 1);
  EXPECT_TRUE(unscaled == INT64_MAX);
  // 38 digits, past int64; 39 do not fit.
  EXPECT_EQ(to_decimal("-1234567890123456789012345678.01234567895", 38, 10), 1);
  EXPECT_EQ(sluice::runtime::expr::FormatDecimal(unscaled, 10),
            "-1234567890123456789012345678.0123456790");
  EXPECT_EQ(to_decimal("99999999999999999999999999999", 38, 10), 0);
}

TEST(ScalarHelpers, DecimalArithmeticIsExactAndRoundsHalfUp) {
  auto parse = [](const std::string& text, int32_t scale) {
    __int128 unscaled = 0;
    StringRef r = Ref(text);
    EXPECT_EQ(sluice_cast_string_to_decimal(&r, 38, scale, &unscaled), 1) << text;
    return unscaled;
  };
  auto text = [](__int128 unscaled, int32_t scale) {
    return sluice::runtime::expr::FormatDecimal(unscaled, scale);
  };
  __int128 out = 0;
  // DECIMAL(10, 2) * DECIMAL(10, 2) → DECIMAL(20, 4).
  EXPECT_EQ(sluice_decimal_multiply(1234567891, 2, 1234567891, 2, 20, 4, &out), 1);
  EXPECT_EQ(text(out, 4), "152415787748818.7881");
  // A product past 128 bits rounded to 6 places: 10^19.5-ish squared.
  __int128 big = parse("1234567890123456789012345678.0123456789", 10);
  EXPECT_EQ(sluice_decimal_multiply(big, 10, parse("0.000000001", 10), 10, 38, 6, &out), 1);
  EXPECT_EQ(text(out, 6), "1234567890123456789.012346");
  EXPECT_EQ(sluice_decimal_multiply(big, 10, big, 10, 38, 6, &out), 0);  // overflow: NULL
  // 1 / 3 at scale 13, and 2 / 3 rounding half up; by zero NULL.
  EXPECT_EQ(sluice_decimal_divide(100, 2, 3, 0, 21, 13, &out), 1);
  EXPECT_EQ(text(out, 13), "0.3333333333333");
  EXPECT_EQ(sluice_decimal_divide(-200, 2, 3, 0, 21, 13, &out), 1);
  EXPECT_EQ(text(out, 13), "-0.6666666666667");
  EXPECT_EQ(sluice_decimal_divide(1, 0, 0, 0, 21, 13, &out), 0);
  // + and - across scales; 38 nines + 1 overflows.
  EXPECT_EQ(sluice_decimal_add(big, 10, 1234567891, 2, 38, 9, &out), 1);
  EXPECT_EQ(text(out, 9), "1234567890123456789024691356.922345679");
  __int128 nines = parse("99999999999999999999999999999999999999", 0);
  EXPECT_EQ(sluice_decimal_add(nines, 0, 1, 0, 38, 0, &out), 0);
  EXPECT_EQ(sluice_decimal_subtract(nines, 0, 1, 0, 38, 0, &out), 1);
  // MOD has the dividend's sign.
  EXPECT_EQ(sluice_decimal_modulo(-750, 2, 200, 2, 10, 2, &out), 1);
  EXPECT_EQ(text(out, 2), "-1.50");
  // Comparison by value across scales, beyond 64 bits.
  EXPECT_EQ(sluice_decimal_compare(150, 2, 15, 1), 0);
  EXPECT_EQ(sluice_decimal_compare(nines, 0, big, 10), 1);
  EXPECT_EQ(sluice_decimal_compare(-nines, 0, -big, 10), -1);
}

TEST(ScalarHelpers, NumericToDecimal) {
  __int128 unscaled = 0;
  int64_t integral = 0;
  EXPECT_EQ(sluice_cast_bigint_to_decimal(-12, 4, 2, &unscaled), 1);
  EXPECT_TRUE(unscaled == -1200);
  EXPECT_EQ(sluice_cast_bigint_to_decimal(100, 4, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_bigint_to_decimal(INT64_MAX, 38, 1, &unscaled), 1);  // 20 digits fit
  EXPECT_EQ(sluice_cast_double_to_decimal(1.005, 5, 2, &unscaled), 1);
  EXPECT_TRUE(unscaled == 101);  // rounds the shortest text 1.005, not the binary 1.00499...
  EXPECT_EQ(sluice_cast_double_to_decimal(-2.5, 5, 0, &unscaled), 1);
  EXPECT_TRUE(unscaled == -3);
  EXPECT_EQ(sluice_cast_double_to_decimal(1e20, 38, 0, &unscaled), 1);  // 21 digits fit 38
  EXPECT_EQ(sluice::runtime::expr::FormatDecimal(unscaled, 0), "100000000000000000000");
  // Past 10^38 unscaled, in digits or in the shift, without overflowing 128 bits on the way.
  EXPECT_EQ(sluice_cast_double_to_decimal(5e37, 38, 1, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(1.2345678901234567e37, 38, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(9e17, 18, 0, &unscaled), 1);
  EXPECT_TRUE(unscaled == 900'000'000'000'000'000);
  EXPECT_EQ(sluice_cast_double_to_decimal(1.5e-7, 10, 7, &unscaled), 1);
  EXPECT_TRUE(unscaled == 2);
  EXPECT_EQ(sluice_cast_double_to_decimal(NAN, 10, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(INFINITY, 10, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_decimal_to_decimal(12345, 3, 5, 1, &unscaled), 1);
  EXPECT_TRUE(unscaled == 123);  // 12.345 → 12.3
  EXPECT_EQ(sluice_cast_decimal_to_decimal(-12350, 3, 5, 1, &unscaled), 1);
  EXPECT_TRUE(unscaled == -124);                                            // -12.350 → -12.4
  EXPECT_EQ(sluice_cast_decimal_to_decimal(12345, 3, 5, 4, &unscaled), 0);  // 12.3450 is 6 digits
  EXPECT_EQ(sluice_cast_decimal_to_bigint(-1999, 3, &integral), 1);
  EXPECT_EQ(integral, -1);
  EXPECT_EQ(sluice_cast_decimal_to_bigint(INT64_MIN, 0, &integral), 1);
  EXPECT_EQ(integral, INT64_MIN);
  // Past BIGINT: the low 64 bits (Java's BigDecimal.longValue()).
  EXPECT_EQ(sluice_cast_decimal_to_bigint(static_cast<__int128>(1) << 64 | 5, 0, &integral), 1);
  EXPECT_EQ(integral, 5);
}

TEST(ScalarHelpers, DoubleToIntegers) {
  int32_t i = 0;
  int64_t b = 0;
  EXPECT_EQ(sluice_cast_double_to_int(-2.9, &i), 1);
  EXPECT_EQ(i, -2);
  EXPECT_EQ(sluice_cast_double_to_int(2147483647.9, &i), 1);
  EXPECT_EQ(i, INT32_MAX);
  EXPECT_EQ(sluice_cast_double_to_int(2147483648.0, &i), 0);
  EXPECT_EQ(sluice_cast_double_to_int(-2147483648.9, &i), 1);
  EXPECT_EQ(i, INT32_MIN);
  EXPECT_EQ(sluice_cast_double_to_int(NAN, &i), 0);
  EXPECT_EQ(sluice_cast_double_to_int(-INFINITY, &i), 0);
  EXPECT_EQ(sluice_cast_double_to_bigint(9223372036854775808.0, &b), 0);
  EXPECT_EQ(sluice_cast_double_to_bigint(-9223372036854775808.0, &b), 1);
  EXPECT_EQ(b, INT64_MIN);
  EXPECT_EQ(sluice_cast_double_to_bigint(-0.0, &b), 1);
  EXPECT_EQ(b, 0);
}

TEST_F(ScalarHelpersTest, ValuesToText) {
  EXPECT_EQ(BigintText(0), "0");
  EXPECT_EQ(BigintText(INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(1e20), "1.0E20");
  EXPECT_EQ(DoubleText(1.0), "1.0");
  EXPECT_EQ(DoubleText(-0.0), "-0.0");
  EXPECT_EQ(DoubleText(-INFINITY), "-Infinity");
  EXPECT_EQ(DoubleText(-NAN), "NaN");
  EXPECT_EQ(DecimalText(-150, 2), "-1.50");
  EXPECT_EQ(DecimalText(5, 3), "0.005");
  EXPECT_EQ(DecimalText(-5, 3), "-0.005");
  EXPECT_EQ(DecimalText(42, 0), "42");
  EXPECT_EQ(DecimalText(INT64_MIN, 2), "-92233720368547758.08");
  EXPECT_EQ(BooleanText(1), "TRUE");
  EXPECT_EQ(BooleanText(0), "FALSE");
  StringRef out;
  sluice_cast_timestamp_to_string(&context_, 0, &out);
  EXPECT_EQ(out.view(), "1970-01-01 00:00:00.000");
  sluice_cast_interval_to_string(&context_, -90'061'001, &out);
  EXPECT_EQ(out.view(), "-1 01:01:01.001");
}

// ---- date-time ------------------------------------------------------------------------------

constexpr int64_t kLeapDayMillis = 1709210096789;  // 2024-02-29 12:34:56.789 UTC

/// DATE_FORMAT through the helper; "<NULL>" when the helper returns NULL.
std::string DateFormat(int64_t millis, const std::string& pattern) {
  Arena arena;
  SluiceKernelContext context{&arena};
  StringRef in = Ref(pattern), out;
  if (sluice_timestamp_format(&context, millis, &in, &out) == 0) return "<NULL>";
  return std::string(out.view());
}

int64_t Field(int64_t millis, SluiceTimeField field) {
  return sluice_timestamp_extract(millis, static_cast<int32_t>(field));
}

TEST(ScalarHelpers, DateFormatWritesTheNexmarkPatterns) {
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyy-MM-dd"), "2024-02-29");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "HH:mm"), "12:34");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyy-MM-dd HH:mm:ss"), "2024-02-29 12:34:56");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyy-MM-dd HH:mm:ss.SSS"), "2024-02-29 12:34:56.789");
  EXPECT_EQ(DateFormat(1436918400213, "yyyy-MM-dd HH:mm"), "2015-07-15 00:00");
}

TEST(ScalarHelpers, DateFormatLettersCountsAndQuotes) {
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yy/M/d H:m:s"), "24/2/29 12:34:56");
  EXPECT_EQ(DateFormat(5, "y M d H m s S SS SSS SSSSSS"), "1970 1 1 0 0 0 0 00 005 005000");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyyMMdd'T'HHmm"), "20240229T1234");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "'day' dd 'of' MM"), "day 29 of 02");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "HH 'o''clock' ''"), "12 o'clock '");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "dd.MM.yyyy – é"), "29.02.2024 – é");
  EXPECT_EQ(DateFormat(kLeapDayMillis, ""), "");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyyyy"), "002024");
  // Java's text, 12-hour, week, quarter and zone letters (the zone is UTC).
  EXPECT_EQ(DateFormat(kLeapDayMillis, "EEE EEEE MMM MMMM"), "Thu Thursday Feb February");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "h:mm a K k D"), "12:34 PM 0 12 60");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "Y w e Q QQQ QQQQ G"), "2024 9 5 1 Q1 1st quarter AD");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "z zzzz Z X xxx VV"),
            "UTC Coordinated Universal Time +0000 Z +00:00 UTC");
}

TEST(ScalarHelpers, DateFormatBeforeTheEpochAndFarYears) {
  EXPECT_EQ(DateFormat(-1, "yyyy-MM-dd HH:mm:ss.SSS"), "1969-12-31 23:59:59.999");
  EXPECT_EQ(DateFormat(-62135596800000, "yyyy-MM-dd yy"), "0001-01-01 01");
  // One day before 0001-01-01 is year 0 (proleptic, as CAST to VARCHAR writes it).
  EXPECT_EQ(DateFormat(-62135596800000 - 86'400'000, "yyyy-MM-dd yy"), "0000-12-31 00");
  EXPECT_EQ(DateFormat(-62167219200000 - 86'400'000, "yyyy-MM-dd yy"), "-0001-12-31 99");
  EXPECT_EQ(DateFormat(INT64_MAX, "yyyy-MM-dd HH:mm:ss.SSS"), "292278994-08-17 07:12:55.807");
  EXPECT_EQ(DateFormat(INT64_MIN, "yyyy-MM-dd HH:mm:ss.SSS"), "-292275055-05-16 16:47:04.192");
}

TEST(ScalarHelpers, DateFormatRejectsUnsupportedPatternsWithNull) {
  EXPECT_EQ(DateFormat(kLeapDayMillis, "yyyy-WW"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "EEEEEE"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "MMMMMM"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "aa"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "ddd"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "'open"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "[yyyy]"), "<NULL>");
  EXPECT_EQ(DateFormat(kLeapDayMillis, "SSSSSSSSSS"), "<NULL>");
}

TEST(ScalarHelpers, DateFormatLongPatternsAreMeasuredFirst) {
  std::string pattern, expected;
  for (int i = 0; i < 40; ++i) {
    pattern += "yyyy-MM-dd ";
    expected += "2024-02-29 ";
  }
  EXPECT_EQ(DateFormat(kLeapDayMillis, pattern), expected);
  EXPECT_EQ(DateFormat(kLeapDayMillis, pattern + "W"), "<NULL>");
}

TEST(ScalarHelpers, ExtractReadsUtcCalendarFields) {
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kYear), 2024);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kMonth), 2);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kDay), 29);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kHour), 12);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kMinute), 34);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kSecond), 56);
  EXPECT_EQ(Field(kLeapDayMillis, SluiceTimeField::kMillisecond), 56789);
  // Before the epoch the fields count forward from midnight, not toward zero.
  EXPECT_EQ(Field(-1, SluiceTimeField::kYear), 1969);
  EXPECT_EQ(Field(-1, SluiceTimeField::kDay), 31);
  EXPECT_EQ(Field(-1, SluiceTimeField::kHour), 23);
  EXPECT_EQ(Field(-1, SluiceTimeField::kSecond), 59);
  EXPECT_EQ(Field(-1, SluiceTimeField::kMillisecond), 59999);
  EXPECT_EQ(Field(INT64_MIN, SluiceTimeField::kYear), -292275055);
}

// ---- REGEXP_EXTRACT, SPLIT_INDEX ------------------------------------------------------------

std::string RegexpExtract(const std::string& text, const std::string& pattern, int64_t group) {
  StringRef a = Ref(text), b = Ref(pattern), out;
  if (sluice_regexp_extract(&a, &b, group, &out) == 0) return "<NULL>";
  return std::string(out.view());
}

std::string SplitIndex(const std::string& text, const std::string& delimiter, int64_t index) {
  StringRef a = Ref(text), b = Ref(delimiter), out;
  if (sluice_string_split_index(&a, &b, index, &out) == 0) return "<NULL>";
  return std::string(out.view());
}

TEST(ScalarHelpers, RegexpExtractReturnsAGroupOfTheFirstMatch) {
  const std::string kChannel = "(&|^)channel_id=([^&]*)";
  EXPECT_EQ(RegexpExtract("https://x.com/a?q=1&channel_id=42&z=3", kChannel, 2), "42");
  EXPECT_EQ(RegexpExtract("channel_id=7", kChannel, 2), "7");
  EXPECT_EQ(RegexpExtract("channel_id=7", kChannel, 1), "");  // ^ matched: an empty group
  EXPECT_EQ(RegexpExtract("a=1&channel_id=", kChannel, 2), "");
  EXPECT_EQ(RegexpExtract("https://x.com/a?q=1", kChannel, 2), "<NULL>");  // no match
  EXPECT_EQ(RegexpExtract("foo123bar456", "[0-9]+", 0), "123");
  EXPECT_EQ(RegexpExtract("foo123bar", "(o+)(\\d+)", 2), "123");
  EXPECT_EQ(RegexpExtract("héllo", "h(.)l", 1), "é");  // UTF-8 aware
  EXPECT_EQ(RegexpExtract("", "^$", 0), "");
  EXPECT_EQ(RegexpExtract("", "x*", 0), "");
}

TEST(ScalarHelpers, RegexpExtractIsNullForBadGroupsAndPatterns) {
  EXPECT_EQ(RegexpExtract("abc", "(b)", 2), "<NULL>");    // no group 2
  EXPECT_EQ(RegexpExtract("abc", "(b)", -1), "<NULL>");   // negative group
  EXPECT_EQ(RegexpExtract("ac", "a(b)?c", 1), "<NULL>");  // group did not take part
  EXPECT_EQ(RegexpExtract("abc", "(b", 0), "<NULL>");     // invalid pattern
  EXPECT_EQ(RegexpExtract("aa", "(a)\\1", 0), "<NULL>");  // RE2 has no backreferences
  // Many groups use a heap array for the submatches.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "(.)";
  EXPECT_EQ(RegexpExtract("abcdefghijklmnopqrstuvwxyz", many, 20), "t");
}

TEST(ScalarHelpers, RegexpExtractCacheIsThreadSafe) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 2000; ++i) {
        // Distinct patterns per iteration fill the per-thread slots and the shared cache.
        std::string pattern = "k" + std::to_string((i + t) % 9) + "=(\\d+)";
        std::string text = "x&k" + std::to_string((i + t) % 9) + "=" + std::to_string(i);
        if (RegexpExtract(text, pattern, 1) != std::to_string(i)) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ScalarHelpers, SplitIndexIsZeroBasedOverWholeDelimiters) {
  const std::string kUrl = "https://www.nexmark.com/abc/def/ghi/item.htm?query=1";
  EXPECT_EQ(SplitIndex(kUrl, "/", 0), "https:");
  EXPECT_EQ(SplitIndex(kUrl, "/", 1), "");
  EXPECT_EQ(SplitIndex(kUrl, "/", 3), "abc");
  EXPECT_EQ(SplitIndex(kUrl, "/", 4), "def");
  EXPECT_EQ(SplitIndex(kUrl, "/", 5), "ghi");
  EXPECT_EQ(SplitIndex(kUrl, "/", 6), "item.htm?query=1");
  EXPECT_EQ(SplitIndex(kUrl, "/", 7), "<NULL>");
  EXPECT_EQ(SplitIndex(kUrl, "/", -1), "<NULL>");
  EXPECT_EQ(SplitIndex("a::b::", "::", 1), "b");
  EXPECT_EQ(SplitIndex("a::b::", "::", 2), "");  // trailing empty token kept
  EXPECT_EQ(SplitIndex(",a", ",", 0), "");
  EXPECT_EQ(SplitIndex("abc", ",", 0), "abc");
  EXPECT_EQ(SplitIndex("abc", ",", 1), "<NULL>");
  EXPECT_EQ(SplitIndex("", ",", 0), "<NULL>");  // '' has no tokens (as Flink)
  EXPECT_EQ(SplitIndex("abc", "", 0), "abc");
  EXPECT_EQ(SplitIndex("abc", "", 1), "<NULL>");
  EXPECT_EQ(SplitIndex("日本,語", ",", 1), "語");
}

TEST(LiteralArguments, ReportsPatternsThatCanOnlyGiveNull) {
  using functions::FunctionId;
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kDateFormat, 1, "yyyy-MM-dd HH:mm:ss.SSS"), "");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kDateFormat, 1, "yyyy-QQ"), "");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kDateFormat, 1, "yyyy-WW"),
            "invalid DATE_FORMAT pattern 'yyyy-WW': unsupported pattern letter 'W' (supported: "
            "G u y Y Q q M L w D d E e c a h K k H m s S A n z V Z X x and 'quoted text')");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kFromUnixtime, 1, "aa"),
            "invalid FROM_UNIXTIME pattern 'aa': too many pattern letters 'a' (at most 1)");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpReplace, 1, "(ab"),
            "invalid regular expression '(ab': missing ): (ab");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kDateFormat, 1, "HHH"),
            "invalid DATE_FORMAT pattern 'HHH': too many pattern letters 'H' (at most 2)");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kDateFormat, 1, "'x"),
            "invalid DATE_FORMAT pattern ''x': unterminated quoted text");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpExtract, 1, "(&|^)channel_id=([^&]*)"), "");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpExtract, 1, "(ab"),
            "invalid regular expression '(ab': missing ): (ab");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpCount, 1, "(ab"),
            "invalid regular expression '(ab': missing ): (ab");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpSubstr, 1, "[0-9]+"), "");
  // Only the pattern arguments are checked.
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kRegexpExtract, 0, "(ab"), "");
  EXPECT_EQ(CheckLiteralArgument(FunctionId::kUpper, 0, "(ab"), "");
}

// ---- the value-shaped helpers (functions.def) -------------------------------------------

/// Calls a value-shaped helper on `arguments`; nullopt when it returns NULL.
class ValueHelperTest : public ::testing::Test {
 protected:
  static SluiceUdfValue Text(const std::string& text) {
    SluiceUdfValue value{};
    value.data = text.data();
    value.length = static_cast<uint32_t>(text.size());
    return value;
  }
  static SluiceUdfValue Integer(int64_t integer) {
    SluiceUdfValue value{};
    value.integer = integer;
    return value;
  }
  static SluiceUdfValue Real(double real) {
    SluiceUdfValue value{};
    value.real = real;
    return value;
  }
  using Helper = uint8_t (*)(SluiceKernelContext*, const SluiceUdfValue*, int32_t, SluiceUdfValue*);
  std::optional<SluiceUdfValue> Call(Helper helper, std::vector<SluiceUdfValue> arguments) {
    SluiceUdfValue out{};
    if (helper(&context_, arguments.data(), static_cast<int32_t>(arguments.size()), &out) == 0) {
      return std::nullopt;
    }
    return out;
  }
  std::optional<std::string> CallText(Helper helper, std::vector<SluiceUdfValue> arguments) {
    auto out = Call(helper, std::move(arguments));
    if (!out) return std::nullopt;
    return std::string(out->data, out->length);
  }

  Arena arena_;
  SluiceKernelContext context_{&arena_};
};

constexpr int64_t kLeapDay = 1709210730250;  // 2024-02-29 12:45:30.250 UTC, a Thursday

TEST_F(ValueHelperTest, TimestampAddClampsTheDayOfTheMonth) {
  std::string month = "MONTH", year = "year", fortnight = "FORTNIGHT";
  // 2024-02-29 + 1 year = 2025-02-28; + 12 months too; an unknown unit is NULL.
  EXPECT_EQ(Call(sluice_timestamp_add, {Text(year), Integer(1), Integer(kLeapDay)})->integer,
            Call(sluice_timestamp_add, {Text(month), Integer(12), Integer(kLeapDay)})->integer);
  EXPECT_EQ(Call(sluice_timestamp_add, {Text(month), Integer(12), Integer(kLeapDay)})->integer,
            kLeapDay + 365LL * 86'400'000);
  EXPECT_FALSE(Call(sluice_timestamp_add, {Text(fortnight), Integer(1), Integer(kLeapDay)}));
  // Overflow is NULL, not a wrapped timestamp.
  std::string day = "DAY";
  EXPECT_FALSE(Call(sluice_timestamp_add, {Text(day), Integer(INT64_MAX / 1000), Integer(0)}));
}

TEST_F(ValueHelperTest, JsonExistsOnErrorGivesTheClauseResultOnlyOnErrors) {
  std::string document = R"({"a": true, "n": null})", broken = "{bad";
  std::string strict_miss = "strict $.b", lax_miss = "lax $.b", member = "$.a", null = "$.n";
  std::string on_true = "T", on_unknown = "U", on_error = "E";
  auto exists = [&](const std::string& text, const std::string& path, const std::string& on) {
    return Call(sluice_json_exists_on_error, {Text(text), Text(path), Text(on)});
  };
  EXPECT_EQ(exists(document, strict_miss, on_true)->integer, 1);  // an error: the clause's
  EXPECT_FALSE(exists(document, strict_miss, on_unknown));        // UNKNOWN is NULL
  EXPECT_EQ(exists(broken, member, on_true)->integer, 1);
  EXPECT_EQ(exists(document, lax_miss, on_true)->integer, 0);  // no error: FALSE
  EXPECT_EQ(exists(document, null, on_true)->integer, 0);      // JSON null does not exist
  EXPECT_EQ(exists(document, member, on_unknown)->integer, 1);
  EXPECT_EQ(context_.error, nullptr);
  EXPECT_FALSE(exists(document, strict_miss, on_error));  // ERROR fails the evaluation
  ASSERT_NE(context_.error, nullptr);
  EXPECT_EQ(std::string(context_.error),
            "JSON_EXISTS: an error at path 'strict $.b' (ERROR ON ERROR)");
}

TEST_F(ValueHelperTest, JsonQueryArrayGivesTheElementsAsText) {
  std::string document = R"({"a": ["x", 1, 1.5, true, null, {"k": [1, 2]}], "o": {"k": 1}})";
  std::string elements = "$.a", object = "$.o", plain = "WNN", empty_on_error = "WNA";
  auto out = Call(sluice_json_query_array, {Text(document), Text(elements), Text(plain)});
  ASSERT_TRUE(out);
  std::vector<Item> items;
  ASSERT_TRUE(DecodeCollection(std::string_view(out->data, out->length), 1, &items));
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0].bytes, "x");
  EXPECT_EQ(items[1].bytes, "1");
  EXPECT_EQ(items[2].bytes, "1.5");  // Java's Double.toString
  EXPECT_EQ(items[3].bytes, "true");
  EXPECT_EQ(items[4].tag, ItemTag::kNull);
  EXPECT_EQ(items[5].bytes, R"({"k":[1,2]})");
  // An object is an error: NULL ON ERROR, or the EMPTY ARRAY the clause asks for.
  EXPECT_FALSE(Call(sluice_json_query_array, {Text(document), Text(object), Text(plain)}));
  out = Call(sluice_json_query_array, {Text(document), Text(object), Text(empty_on_error)});
  ASSERT_TRUE(out);
  ASSERT_TRUE(DecodeCollection(std::string_view(out->data, out->length), 1, &items));
  EXPECT_TRUE(items.empty());
}

TEST_F(ValueHelperTest, TimestampDiffTruncatesTowardZero) {
  std::string day = "DAY", month = "MONTH";
  EXPECT_EQ(Call(sluice_timestamp_diff, {Text(day), Integer(0), Integer(-86'399'999)})->integer, 0);
  EXPECT_EQ(Call(sluice_timestamp_diff, {Text(day), Integer(0), Integer(-86'400'000)})->integer,
            -1);
  // 2024-01-31 to 2024-02-29 is a whole month (the day is clamped, as Calcite), less a
  // millisecond is not; to 2024-03-31 two months.
  int64_t january_31 = 1706659200000, february_29 = 1709164800000, march_31 = 1711843200000;
  EXPECT_EQ(Call(sluice_timestamp_diff, {Text(month), Integer(january_31), Integer(february_29)})
                ->integer,
            1);
  EXPECT_EQ(
      Call(sluice_timestamp_diff, {Text(month), Integer(january_31 + 1), Integer(february_29)})
          ->integer,
      0);
  EXPECT_EQ(
      Call(sluice_timestamp_diff, {Text(month), Integer(january_31), Integer(march_31)})->integer,
      2);
  EXPECT_EQ(
      Call(sluice_timestamp_diff, {Text(month), Integer(march_31), Integer(january_31)})->integer,
      -2);
}

TEST_F(ValueHelperTest, CalendarFields) {
  EXPECT_EQ(Call(sluice_day_of_week, {Integer(kLeapDay)})->integer, 5);  // Thursday, Sunday = 1
  EXPECT_EQ(Call(sluice_day_of_year, {Integer(kLeapDay)})->integer, 60);
  EXPECT_EQ(Call(sluice_week_of_year, {Integer(kLeapDay)})->integer, 9);
  EXPECT_EQ(Call(sluice_quarter, {Integer(kLeapDay)})->integer, 1);
  EXPECT_EQ(Call(sluice_week_of_year, {Integer(-1)})->integer, 1);  // 1969-12-31: 1970's week 1
  // The extremes of TIMESTAMP: no intermediate overflows (the sanitizer build checks).
  for (int64_t extreme : {INT64_MIN, INT64_MIN + 1, INT64_MAX}) {
    for (auto* field :
         {sluice_day_of_week, sluice_day_of_year, sluice_week_of_year, sluice_quarter}) {
      auto value = Call(field, {Integer(extreme)});
      ASSERT_TRUE(value);
      EXPECT_GE(value->integer, 1);
      EXPECT_LE(value->integer, 366);
    }
  }
}

TEST_F(ValueHelperTest, ParsesAndFormatsUnixTimes) {
  std::string text = "2024-02-29 12:45:30", pattern = "dd/MM/yyyy HH:mm",
              custom = "29/02/2024 12:45";
  EXPECT_EQ(Call(sluice_unix_timestamp, {Text(text)})->integer, kLeapDay / 1000);
  EXPECT_EQ(Call(sluice_unix_timestamp, {Text(custom), Text(pattern)})->integer,
            (kLeapDay - 30'250) / 1000);
  std::string bad = "2024-02-30 00:00:00";
  EXPECT_EQ(Call(sluice_unix_timestamp, {Text(bad)})->integer, INT64_MIN);
  EXPECT_FALSE(Call(sluice_to_timestamp, {Text(bad)}));
  EXPECT_EQ(CallText(sluice_from_unixtime, {Integer(kLeapDay / 1000)}), "2024-02-29 12:45:30");
  std::string offset = "2024-02-29 20:45 +0800", with_zone = "yyyy-MM-dd HH:mm X";
  EXPECT_EQ(Call(sluice_to_timestamp, {Text(offset), Text(with_zone)})->integer, kLeapDay - 30'250);
}

TEST_F(ValueHelperTest, StringFunctionsCountCodePoints) {
  std::string text = "Straße日本", pad = "日", empty;
  EXPECT_EQ(CallText(sluice_string_lpad, {Text(text), Integer(10), Text(pad)}), "日日Straße日本");
  EXPECT_EQ(CallText(sluice_string_rpad, {Text(text), Integer(5), Text(pad)}), "Straß");
  EXPECT_FALSE(CallText(sluice_string_lpad, {Text(text), Integer(3), Text(empty)}));
  EXPECT_EQ(CallText(sluice_string_left, {Text(text), Integer(5)}), "Straß");
  EXPECT_EQ(CallText(sluice_string_right, {Text(text), Integer(3)}), "e日本");
  std::string needle = "本";
  EXPECT_EQ(Call(sluice_string_locate, {Text(needle), Text(text)})->integer, 8);
  EXPECT_EQ(Call(sluice_string_ascii, {Text(pad)})->integer, 0x65E5);
  EXPECT_EQ(CallText(sluice_string_chr, {Integer(0x41 + 256)}), "A");  // the low 8 bits
  EXPECT_EQ(CallText(sluice_string_chr, {Integer(-1)}), "");
}

TEST_F(ValueHelperTest, RegexpReplaceUsesJavaReplacements) {
  std::string text = "a-b c-d", pattern = "(\\w)-(\\w)", swap = "$2-$1", dollar = "\\$",
              missing = "$3";
  EXPECT_EQ(CallText(sluice_regexp_replace, {Text(text), Text(pattern), Text(swap)}), "b-a d-c");
  EXPECT_EQ(CallText(sluice_regexp_replace, {Text(text), Text(pattern), Text(dollar)}), "$ $");
  EXPECT_FALSE(CallText(sluice_regexp_replace, {Text(text), Text(pattern), Text(missing)}));
}

TEST_F(ValueHelperTest, RegexpCountInstrAndSubstrFindMatchesLikeJava) {
  std::string players = "Steven Jones and Stephen Smith are the best players",
              lamb = "Mary had a little lamb", steven = "Ste(v|ph)en", empty = "", star = "x*",
              japanese = "日本語の本", hon = "本", bad = "(ab", any = ".";
  std::string invalid = std::string("a\xFF\xFE") + "b";  // not UTF-8
  auto count = [&](const std::string& text, const std::string& pattern) -> std::optional<int64_t> {
    auto out = Call(sluice_regexp_count, {Text(text), Text(pattern)});
    return out ? std::optional<int64_t>(out->integer) : std::nullopt;
  };
  auto instr = [&](const std::string& text, const std::string& pattern) -> std::optional<int64_t> {
    auto out = Call(sluice_regexp_instr, {Text(text), Text(pattern)});
    return out ? std::optional<int64_t>(out->integer) : std::nullopt;
  };
  // Flink's documented examples.
  EXPECT_EQ(count(players, steven), 2);
  EXPECT_EQ(count(lamb, steven), 0);
  EXPECT_EQ(instr(players, steven), 1);
  EXPECT_EQ(instr(lamb, steven), 0);
  EXPECT_EQ(CallText(sluice_regexp_substr, {Text(players), Text(steven)}), "Steven");
  EXPECT_FALSE(CallText(sluice_regexp_substr, {Text(lamb), Text(steven)}));
  // Empty matches: one per character boundary, as java.util.regex's find loop.
  EXPECT_EQ(count("abc", star), 4);
  EXPECT_EQ(count(japanese, empty), 6);
  EXPECT_EQ(count(empty, empty), 1);
  EXPECT_EQ(CallText(sluice_regexp_substr, {Text(lamb), Text(star)}), "");
  // Positions count characters, not bytes.
  EXPECT_EQ(instr(japanese, hon), 2);
  EXPECT_EQ(count(japanese, hon), 2);
  // An invalid pattern is NULL (a literal one is refused by the binder).
  EXPECT_FALSE(count(players, bad));
  EXPECT_FALSE(instr(players, bad));
  EXPECT_FALSE(CallText(sluice_regexp_substr, {Text(players), Text(bad)}));
  // Invalid UTF-8 neither crashes nor loops.
  EXPECT_EQ(count(invalid, empty), 5);
  EXPECT_EQ(instr(invalid, "b"), 4);
  EXPECT_TRUE(count(invalid, any).has_value());
}

TEST_F(ValueHelperTest, HashesAndBase64) {
  std::string abc = "abc", bad = "a$==";
  StringRef in = Ref(abc), out;
  sluice_hash_md5(&context_, &in, &out);
  EXPECT_EQ(out.view(), "900150983cd24fb0d6963f7d28e17f72");
  sluice_to_base64(&context_, &in, &out);
  EXPECT_EQ(out.view(), "YWJj");
  std::string encoded(out.view());
  EXPECT_EQ(CallText(sluice_from_base64, {Text(encoded)}), "abc");
  EXPECT_FALSE(CallText(sluice_from_base64, {Text(bad)}));
  EXPECT_FALSE(CallText(sluice_hash_sha2, {Text(abc), Integer(100)}));
}

TEST(Rounding, DoublesRoundTheirShortestDecimal) {
  auto half_up = static_cast<int32_t>(SluiceRounding::kHalfUp);
  auto down = static_cast<int32_t>(SluiceRounding::kDown);
  EXPECT_EQ(sluice_round_double(2.675, 2, half_up), 2.68);  // BigDecimal.valueOf(2.675)
  EXPECT_EQ(sluice_round_double(-2.5, 0, half_up), -3.0);
  EXPECT_EQ(sluice_round_double(9.995, 2, half_up), 10.0);
  EXPECT_EQ(sluice_round_double(1234.5, -2, half_up), 1200.0);
  EXPECT_EQ(sluice_round_double(-0.4, 0, half_up), 0.0);
  EXPECT_FALSE(std::signbit(sluice_round_double(-0.4, 0, half_up)));
  EXPECT_EQ(sluice_round_double(2.679, 2, down), 2.67);
  EXPECT_TRUE(std::isnan(sluice_round_double(std::nan(""), 2, half_up)));
  EXPECT_EQ(sluice_round_integer(15, -1, half_up), 20);
  EXPECT_EQ(sluice_round_integer(-15, -1, half_up), -20);
  EXPECT_EQ(sluice_round_integer(-19, -1, down), -10);
  __int128 out = 0;
  // 123.455 (scale 3) to 2 digits: 123.46 at scale 2; 999.999 needs a fourth integer digit.
  EXPECT_EQ(sluice_round_decimal(123455, 3, 2, half_up, 5, &out), 1);
  EXPECT_TRUE(out == 12346);
  EXPECT_EQ(sluice_round_decimal(999999, 3, 2, half_up, 5, &out), 0);
  EXPECT_EQ(sluice_round_decimal(-1250, 2, -1, half_up, 18, &out), 1);
  EXPECT_TRUE(out == -10);
}

}  // namespace
}  // namespace sluice::runtime::expr
