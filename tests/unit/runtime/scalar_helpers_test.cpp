#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "runtime/expr/kernel_abi.h"

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

TEST_F(ScalarHelpersTest, CaseMappingTouchesAsciiOnly) {
  EXPECT_EQ(Upper("abc Éé xyz1"), "ABC Éé XYZ1");
  EXPECT_EQ(Lower("ABC Éé XYZ1"), "abc Éé xyz1");
  EXPECT_EQ(Upper(""), "");
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
  EXPECT_EQ(Substring("abc", 0, 2), "a");  // the SQL standard's padded start
  EXPECT_EQ(Substring("abc", -1, 3), "a");
  EXPECT_EQ(Substring("abc", -5, 3), "");
  EXPECT_EQ(Substring("abc", -5, -1), "abc");
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
  EXPECT_EQ(to_int("1.5"), 0);
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
  EXPECT_EQ(to_boolean("1"), 0);
  EXPECT_EQ(to_boolean("yes"), 0);
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

TEST(ScalarHelpers, StringToDecimalRoundsHalfAwayFromZero) {
  int64_t unscaled = 0;
  auto to_decimal = [&](const std::string& s, int32_t precision, int32_t scale) {
    StringRef r = Ref(s);
    return sluice_cast_string_to_decimal(&r, precision, scale, &unscaled);
  };
  EXPECT_EQ(to_decimal("1.5", 5, 2), 1);
  EXPECT_EQ(unscaled, 150);
  EXPECT_EQ(to_decimal("-1.005", 5, 2), 1);
  EXPECT_EQ(unscaled, -101);
  EXPECT_EQ(to_decimal("1.004", 5, 2), 1);
  EXPECT_EQ(unscaled, 100);
  EXPECT_EQ(to_decimal("0.5", 3, 0), 1);
  EXPECT_EQ(unscaled, 1);
  EXPECT_EQ(to_decimal("-0.5", 3, 0), 1);
  EXPECT_EQ(unscaled, -1);
  EXPECT_EQ(to_decimal("999.995", 5, 2), 0);  // rounds to 1000.00: 6 digits
  EXPECT_EQ(to_decimal("999.994", 5, 2), 1);
  EXPECT_EQ(unscaled, 99999);
  EXPECT_EQ(to_decimal("1e2", 5, 2), 1);
  EXPECT_EQ(unscaled, 10000);
  EXPECT_EQ(to_decimal("12", 2, 0), 1);
  EXPECT_EQ(to_decimal("123", 2, 0), 0);
  EXPECT_EQ(to_decimal(".", 5, 2), 0);
  EXPECT_EQ(to_decimal("", 5, 2), 0);
  EXPECT_EQ(to_decimal("1.2.3", 5, 2), 0);
  EXPECT_EQ(to_decimal("99999999999999999999", 38, 0), 0);  // beyond int64
  EXPECT_EQ(to_decimal("9223372036854775807", 38, 0), 1);
  EXPECT_EQ(unscaled, INT64_MAX);
}

TEST(ScalarHelpers, NumericToDecimal) {
  int64_t unscaled = 0;
  EXPECT_EQ(sluice_cast_bigint_to_decimal(-12, 4, 2, &unscaled), 1);
  EXPECT_EQ(unscaled, -1200);
  EXPECT_EQ(sluice_cast_bigint_to_decimal(100, 4, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_bigint_to_decimal(INT64_MAX, 38, 1, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(1.005, 5, 2, &unscaled), 1);
  EXPECT_EQ(unscaled, 101);  // rounds the shortest text 1.005, not the binary 1.00499...
  EXPECT_EQ(sluice_cast_double_to_decimal(-2.5, 5, 0, &unscaled), 1);
  EXPECT_EQ(unscaled, -3);
  EXPECT_EQ(sluice_cast_double_to_decimal(1e20, 38, 0, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(1.5e-7, 10, 7, &unscaled), 1);
  EXPECT_EQ(unscaled, 2);
  EXPECT_EQ(sluice_cast_double_to_decimal(NAN, 10, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_double_to_decimal(INFINITY, 10, 2, &unscaled), 0);
  EXPECT_EQ(sluice_cast_decimal_to_decimal(12345, 3, 5, 1, &unscaled), 1);
  EXPECT_EQ(unscaled, 123);  // 12.345 → 12.3
  EXPECT_EQ(sluice_cast_decimal_to_decimal(-12350, 3, 5, 1, &unscaled), 1);
  EXPECT_EQ(unscaled, -124);                                                // -12.350 → -12.4
  EXPECT_EQ(sluice_cast_decimal_to_decimal(12345, 3, 5, 4, &unscaled), 0);  // 12.3450 is 6 digits
  EXPECT_EQ(sluice_cast_decimal_to_bigint(-1999, 3, &unscaled), 1);
  EXPECT_EQ(unscaled, -1);
  EXPECT_EQ(sluice_cast_decimal_to_bigint(INT64_MIN, 0, &unscaled), 1);
  EXPECT_EQ(unscaled, INT64_MIN);
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
  EXPECT_EQ(DoubleText(1e20), "1e+20");
  EXPECT_EQ(DoubleText(1.0), "1");
  EXPECT_EQ(DoubleText(-0.0), "-0");
  EXPECT_EQ(DoubleText(-INFINITY), "-inf");
  EXPECT_EQ(DoubleText(-NAN), "nan");
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

}  // namespace
}  // namespace sluice::runtime::expr
