#include "runtime/expr/value_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace sluice::runtime::expr {
namespace {

TEST(ValueFormat, FormatsTimestamps) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00.000");
  EXPECT_EQ(FormatTimestamp(1'704'067'200'000), "2024-01-01 00:00:00.000");
  EXPECT_EQ(FormatTimestamp(1'709'208'000'123), "2024-02-29 12:00:00.123");  // leap day
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31 23:59:59.999");
  EXPECT_EQ(FormatTimestamp(-86'400'000), "1969-12-31 00:00:00.000");
  EXPECT_EQ(FormatTimestamp(951'782'400'000), "2000-02-29 00:00:00.000");  // 400-year leap
  EXPECT_EQ(FormatTimestamp(-2'208'988'800'000), "1900-01-01 00:00:00.000");
  EXPECT_EQ(FormatTimestamp(-62'135'596'800'000), "0001-01-01 00:00:00.000");
  EXPECT_EQ(FormatTimestamp(253'402'300'799'999), "9999-12-31 23:59:59.999");
}

TEST(ValueFormat, FormatsTimestampExtremesWithoutOverflow) {
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<int64_t>::max()), "292278994-08-17 07:12:55.807");
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<int64_t>::min()), "-292275055-05-16 16:47:04.192");
}

TEST(ValueFormat, ParsesTimestamps) {
  EXPECT_EQ(ParseTimestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00.1"), 100);
  EXPECT_EQ(ParseTimestamp("1970-01-01 00:00:00.12"), 120);
  EXPECT_EQ(ParseTimestamp("1969-12-31 23:59:59.999"), -1);
  EXPECT_EQ(ParseTimestamp("2024-02-29 12:00:00.123"), 1'709'208'000'123);
  EXPECT_EQ(ParseTimestamp("2000-02-29 00:00:00"), 951'782'400'000);
  EXPECT_EQ(ParseTimestamp("2023-02-29 00:00:00"), std::nullopt);  // not a leap year
  EXPECT_EQ(ParseTimestamp("1900-02-29 00:00:00"), std::nullopt);  // century, not leap
  EXPECT_EQ(ParseTimestamp("2024-13-01 00:00:00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-04-31 00:00:00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01 24:00:00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:60:00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:00:60"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:00:00."), std::nullopt);
  // Flink's DateTimeUtils.parseTimestampData: up to nine fraction digits (past the
  // milliseconds dropped), a date alone, one-digit fields.
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:00:00.1234"), 1'704'067'200'123);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:00:00.123456789"), 1'704'067'200'123);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00:00:00.1234567890"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01"), 1'704'067'200'000);
  EXPECT_EQ(ParseTimestamp("2024-1-1 1:2"), 1'704'070'920'000);
  EXPECT_EQ(ParseTimestamp("2024-01-01 00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("24-01-01"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2024-01-01x00:00:00"), std::nullopt);
  EXPECT_EQ(ParseTimestamp(" 2024-01-01 00:00:00"), std::nullopt);  // only casts trim
  EXPECT_EQ(ParseTimestamp("2024-1-01 00:00:00"), 1'704'067'200'000);
  EXPECT_EQ(ParseTimestamp(""), std::nullopt);
}

TEST(ValueFormat, TimestampsRoundTrip) {
  for (int64_t millis :
       {int64_t{0}, int64_t{-1}, int64_t{-999}, int64_t{-1000}, int64_t{-1001},
        int64_t{1'709'208'000'123}, int64_t{-62'135'596'800'000}, int64_t{253'402'300'799'999},
        int64_t{-11'644'473'600'001}, int64_t{4'107'542'400'000}}) {
    std::string text = FormatTimestamp(millis);
    EXPECT_EQ(ParseTimestamp(text), millis) << text;
  }
  // Every day over eight years around 1970, at an odd time of day.
  for (int64_t day = -1461; day < 1461; ++day) {
    int64_t millis = day * 86'400'000 + 45'296'789;
    ASSERT_EQ(ParseTimestamp(FormatTimestamp(millis)), millis) << FormatTimestamp(millis);
  }
}

// Java's Double.toString (Flink's text of a DOUBLE): shortest round-trip digits, plain with a
// decimal for 10^-3 <= |x| < 10^7, else d.dddE<n>.
TEST(ValueFormat, FormatsDoublesAsJava) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(1e20), "1.0E20");
  EXPECT_EQ(FormatDouble(1.5e20), "1.5E20");
  EXPECT_EQ(FormatDouble(1.0), "1.0");
  EXPECT_EQ(FormatDouble(-2.5), "-2.5");
  EXPECT_EQ(FormatDouble(0.0), "0.0");
  EXPECT_EQ(FormatDouble(-0.0), "-0.0");
  EXPECT_EQ(FormatDouble(INFINITY), "Infinity");
  EXPECT_EQ(FormatDouble(-INFINITY), "-Infinity");
  EXPECT_EQ(FormatDouble(NAN), "NaN");
  EXPECT_EQ(FormatDouble(-NAN), "NaN");  // the NaN's sign is not shown
  EXPECT_EQ(FormatDouble(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatDouble(5e-324), "4.9E-324");
  EXPECT_EQ(FormatDouble(0.001), "0.001");
  EXPECT_EQ(FormatDouble(0.0001), "1.0E-4");
  EXPECT_EQ(FormatDouble(1234567.0), "1234567.0");
  EXPECT_EQ(FormatDouble(9999999.0), "9999999.0");
  EXPECT_EQ(FormatDouble(10000000.0), "1.0E7");
  EXPECT_EQ(FormatDouble(12345678.9), "1.23456789E7");
  EXPECT_EQ(FormatDouble(123.456), "123.456");
  EXPECT_EQ(FormatDouble(-1.7976931348623157e308), "-1.7976931348623157E308");
  // Every double reads back from its text.
  for (double value : {0.1, 1e-5, 123.456, 1e300, 3.3554432e7, -7.0e-3}) {
    EXPECT_EQ(std::strtod(FormatDouble(value).c_str(), nullptr), value) << value;
  }
}

TEST(ValueFormat, FormatsDecimals) {
  EXPECT_EQ(FormatDecimal(-150, 2), "-1.50");
  EXPECT_EQ(FormatDecimal(150, 2), "1.50");
  EXPECT_EQ(FormatDecimal(0, 2), "0.00");
  EXPECT_EQ(FormatDecimal(7, 0), "7");
  EXPECT_EQ(FormatDecimal(-7, 4), "-0.0007");
  EXPECT_EQ(FormatDecimal(std::numeric_limits<int64_t>::max(), 18), "9.223372036854775807");
  EXPECT_EQ(FormatDecimal(std::numeric_limits<int64_t>::min(), 0), "-9223372036854775808");
  EXPECT_EQ(FormatDecimal(12, 20), "0.00000000000000000012");
}

TEST(ValueFormat, FormatsIntervals) {
  EXPECT_EQ(FormatInterval(0), "+0 00:00:00.000");
  EXPECT_EQ(FormatInterval(5'000), "+0 00:00:05.000");
  EXPECT_EQ(FormatInterval(90'061'001), "+1 01:01:01.001");
  EXPECT_EQ(FormatInterval(-1), "-0 00:00:00.001");
  EXPECT_EQ(FormatInterval(std::numeric_limits<int64_t>::min()), "-106751991167 07:12:55.808");
}

}  // namespace
}  // namespace sluice::runtime::expr
