#include "runtime/expr/time_zone.h"

#include <gtest/gtest.h>

namespace sluice::runtime::expr {
namespace {

constexpr int64_t kHour = 3600 * 1000;

TEST(TimeZoneTest, ParsesPosixRulesOfTheMForm) {
  auto rule = TimeZone::ParseRule("PST8PDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->standard_offset, -8 * kHour);
  ASSERT_TRUE(rule->daylight_offset.has_value());
  EXPECT_EQ(*rule->daylight_offset, -7 * kHour);
  EXPECT_EQ(rule->start.month, 3);
  EXPECT_EQ(rule->start.week, 2);
  EXPECT_EQ(rule->end.month, 11);
  EXPECT_EQ(rule->end.time, 2 * kHour);

  auto southern = TimeZone::ParseRule("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(southern.has_value());
  EXPECT_EQ(southern->standard_offset, 10 * kHour);
  EXPECT_EQ(southern->end.time, 3 * kHour);

  auto quoted = TimeZone::ParseRule("<+0330>-3:30");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_EQ(quoted->standard_offset, 3 * kHour + 30 * 60 * 1000);
  EXPECT_FALSE(quoted->daylight_offset.has_value());

  EXPECT_FALSE(TimeZone::ParseRule("").has_value());
  EXPECT_FALSE(TimeZone::ParseRule("EST5EDT,J60,J300").has_value());  // not the M form
  EXPECT_FALSE(TimeZone::ParseRule("EST5EDT,M13.1.0,M11.1.0").has_value());
}

TEST(TimeZoneTest, FindsRegionsOffsetsAndShortIdsButNoPathOutsideTheDatabase) {
  EXPECT_NE(TimeZone::Find("America/Los_Angeles"), nullptr);
  EXPECT_NE(TimeZone::Find("UTC"), nullptr);
  EXPECT_NE(TimeZone::Find("GMT-8"), nullptr);
  EXPECT_NE(TimeZone::Find("+05:30"), nullptr);
  EXPECT_NE(TimeZone::Find("PST"), nullptr);
  EXPECT_EQ(TimeZone::Find("Mars/Olympus"), nullptr);
  EXPECT_EQ(TimeZone::Find("../../etc/passwd"), nullptr);
  EXPECT_EQ(TimeZone::Find("/etc/passwd"), nullptr);
  EXPECT_EQ(TimeZone::Find("GMT+19"), nullptr);
  EXPECT_EQ(TimeZone::Find(""), nullptr);
  EXPECT_EQ(TimeZone::Find("GMT+5")->OffsetAt(0), 5 * kHour);
  EXPECT_EQ(TimeZone::Find("UTC-0330")->OffsetAt(0), -(3 * kHour + 30 * 60 * 1000));
}

TEST(TimeZoneTest, PlacesLocalTimesInGapsAndOverlapsAsJavaTime) {
  auto zone = TimeZone::Find("America/Los_Angeles");
  ASSERT_NE(zone, nullptr);
  // 2024-03-10 02:30 local does not exist: 03:30 PDT, 10:30 UTC.
  const int64_t gap_local = 1710037800000;  // 2024-03-10 02:30 as if UTC
  EXPECT_EQ(zone->ToUtc(gap_local), gap_local + 8 * kHour);
  // 2024-11-03 01:30 local happens twice: the earlier, PDT.
  const int64_t overlap_local = 1730597400000;  // 2024-11-03 01:30 as if UTC
  EXPECT_EQ(zone->ToUtc(overlap_local), overlap_local + 7 * kHour);
  // Round trips away from transitions, before 1970 and past 2037 (the footer rule).
  for (int64_t local : {int64_t{-86400000} * 365 * 30, int64_t{1718000000000},
                        int64_t{2540000000000}, int64_t{2555000000000}}) {
    int64_t utc = zone->ToUtc(local);
    EXPECT_EQ(utc + zone->OffsetAt(utc), local);
  }
  EXPECT_EQ(zone->OffsetAt(2540000000000), -7 * kHour);  // 2050-06-28: PDT by the rule
  EXPECT_EQ(zone->OffsetAt(2524608000000), -8 * kHour);  // 2050-01-01: PST
}

// Every int64 instant has an offset (windows and casts of TIMESTAMP_LTZ values ask for any),
// without overflowing the rule's date arithmetic far past the zone's last transition.
TEST(TimeZoneTest, EveryInstantHasAnOffset) {
  auto zone = TimeZone::Find("America/Los_Angeles");
  ASSERT_NE(zone, nullptr);
  for (int64_t instant :
       {INT64_MIN, INT64_MIN + 1, int64_t{-1} << 60, int64_t{1} << 60, INT64_MAX - 1, INT64_MAX}) {
    const int64_t offset = zone->OffsetAt(instant);
    EXPECT_LE(offset < 0 ? -offset : offset, 18 * kHour) << instant;
  }
}

}  // namespace
}  // namespace sluice::runtime::expr
