// The encoding of ARRAY, MAP and MULTISET values (runtime/expr/collection_value.h), the
// collection helpers (runtime/expr/collection_functions.cpp) and Java's String.split as
// RegexSplit reproduces it (STR_TO_MAP).

#include "runtime/expr/collection_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "runtime/batch/batch.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/regex_split.h"

namespace sluice::runtime::expr {
namespace {

using types::LogicalType;

Item Integer(int64_t value) {
  Item item;
  item.tag = ItemTag::kInteger;
  item.integer = value;
  return item;
}

Item Bytes(std::string_view bytes) {
  Item item;
  item.tag = ItemTag::kBytes;
  item.bytes = bytes;
  return item;
}

std::string Encode(const std::vector<Item>& items, uint32_t count) {
  CollectionWriter writer;
  for (const Item& item : items) writer.Add(item);
  return writer.Finish(count);
}

TEST(CollectionValue, RoundTripsEveryItemKind) {
  Item real;
  real.tag = ItemTag::kReal;
  real.real = -2.5;
  std::string encoded = Encode({Integer(-7), real, Item{}, Bytes("héllo")}, 4);
  std::vector<Item> items;
  ASSERT_TRUE(DecodeCollection(encoded, 1, &items));
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].integer, -7);
  EXPECT_EQ(items[1].real, -2.5);
  EXPECT_EQ(items[2].tag, ItemTag::kNull);
  EXPECT_EQ(items[3].bytes, "héllo");
  // A MAP's entries are two items each: four items are two entries, not four.
  EXPECT_TRUE(DecodeCollection(Encode({Bytes("k"), Integer(1)}, 1), 2, &items));
  EXPECT_FALSE(DecodeCollection(encoded, 2, &items));
}

TEST(CollectionValue, MalformedBytesAreRefusedNotRead) {
  std::string good = Encode({Bytes("abc"), Integer(1)}, 2);
  std::vector<Item> items;
  // Every truncation is malformed.
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(DecodeCollection(good.substr(0, length), 1, &items)) << length;
  }
  // An unknown tag, a string length past the end, a count the bytes cannot hold.
  std::string bad_tag = good;
  bad_tag[4] = 9;
  EXPECT_FALSE(DecodeCollection(bad_tag, 1, &items));
  std::string long_string = good;
  long_string[5] = static_cast<char>(0xff);
  EXPECT_FALSE(DecodeCollection(long_string, 1, &items));
  std::string huge_count = good;
  huge_count[3] = static_cast<char>(0x7f);
  EXPECT_FALSE(DecodeCollection(huge_count, 1, &items));
  std::string text;
  EXPECT_FALSE(AppendCollectionText(bad_tag, "As", &text));
  EXPECT_FALSE(AppendCollectionText(good, "", &text));
}

TEST(CollectionValue, EqualValuesHaveEqualBytes) {
  Item zero, negative_zero;
  zero.tag = negative_zero.tag = ItemTag::kReal;
  zero.real = 0.0;
  negative_zero.real = -0.0;
  EXPECT_EQ(Encode({zero}, 1), Encode({negative_zero}, 1));
}

TEST(CollectionValue, TextAndJsonForms) {
  LogicalType array = LogicalType::Array(LogicalType::Date());
  std::string dates = Encode({Integer(19724), Item{}}, 2);  // 2024-01-02
  std::string text, json;
  ASSERT_TRUE(AppendCollectionText(dates, TypeDescriptor(array), &text));
  EXPECT_EQ(text, "[2024-01-02, NULL]");
  ASSERT_TRUE(AppendCollectionJson(dates, TypeDescriptor(array), &json));
  EXPECT_EQ(json, "[\"2024-01-02\",null]");
  LogicalType map = LogicalType::Map(LogicalType::Varchar(), LogicalType::Decimal(5, 2));
  std::string entries = Encode({Bytes("a\"b"), Integer(150)}, 1);
  text.clear();
  json.clear();
  ASSERT_TRUE(AppendCollectionText(entries, TypeDescriptor(map), &text));
  EXPECT_EQ(text, "{a\"b=1.50}");
  ASSERT_TRUE(AppendCollectionJson(entries, TypeDescriptor(map), &json));
  EXPECT_EQ(json, "{\"a\\\"b\":1.50}");
  // Nested: an array of arrays.
  LogicalType nested = LogicalType::Array(LogicalType::Array(LogicalType::Bigint()));
  std::string inner = Encode({Integer(1), Integer(2)}, 2);
  std::string outer = Encode({Bytes(inner), Item{}}, 2);
  text.clear();
  ASSERT_TRUE(AppendCollectionText(outer, TypeDescriptor(nested), &text));
  EXPECT_EQ(text, "[[1, 2], NULL]");
}

TEST(CollectionValue, ParseItemReadsScalarText) {
  Item item;
  ASSERT_TRUE(ParseItem("2024-01-02 03:04:05", LogicalType::Timestamp(), &item));
  EXPECT_EQ(item.integer, 1704164645000);
  ASSERT_TRUE(ParseItem("12.345", LogicalType::Decimal(10, 2), &item));
  EXPECT_EQ(item.integer, 1235);
  EXPECT_FALSE(ParseItem("x", LogicalType::Int(), &item));
  EXPECT_FALSE(ParseItem("99999999999", LogicalType::Int(), &item));
}

std::vector<std::string> Split(std::string_view text, std::string_view pattern, size_t limit) {
  std::vector<std::string_view> pieces;
  EXPECT_TRUE(RegexSplit(text, pattern, limit, &pieces));
  return {pieces.begin(), pieces.end()};
}

TEST(RegexSplit, FollowsJavaStringSplit) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Split("a,b,,c,,", ",", 0), (V{"a", "b", "", "c"}));  // trailing empties dropped
  EXPECT_EQ(Split("a=b=c", "=", 2), (V{"a", "b=c"}));
  EXPECT_EQ(Split("a=", "=", 2), (V{"a", ""}));  // kept with a limit
  EXPECT_EQ(Split("abc", ",", 0), (V{"abc"}));
  EXPECT_EQ(Split(",a", ",", 0), (V{"", "a"}));
  EXPECT_EQ(Split("a1b22c", "[0-9]+", 0), (V{"a", "b", "c"}));
  EXPECT_EQ(Split("abc", "", 0), (V{"a", "b", "c"}));  // zero-width: no leading empty piece
  std::vector<std::string_view> pieces;
  EXPECT_FALSE(RegexSplit("a", "(", 0, &pieces));
}

class CollectionHelperTest : public ::testing::Test {
 protected:
  static SluiceUdfValue Value(const std::string& bytes) {
    SluiceUdfValue value{};
    value.data = bytes.data();
    value.length = static_cast<uint32_t>(bytes.size());
    return value;
  }
  static SluiceUdfValue IntegerValue(int64_t integer) {
    SluiceUdfValue value{};
    value.integer = integer;
    return value;
  }
  Arena arena_;
  SluiceKernelContext context_{&arena_};
};

TEST_F(CollectionHelperTest, ElementOfMoreThanOneIsAnError) {
  std::string two = Encode({Integer(1), Integer(2)}, 2);
  std::vector<SluiceUdfValue> arguments{Value(two)};
  SluiceUdfValue out{};
  EXPECT_EQ(sluice_array_element(&context_, arguments.data(), 1, &out), 0);
  ASSERT_NE(context_.error, nullptr);
  EXPECT_STREQ(context_.error, "ELEMENT: the array has more than one element");
}

TEST_F(CollectionHelperTest, MalformedValuesFailWithAnError) {
  std::string garbage = "\x05\x00\x00\x00\x09";
  std::string descriptor = "l";
  std::vector<SluiceUdfValue> arguments{Value(descriptor), Value(garbage), IntegerValue(1)};
  SluiceUdfValue out{};
  EXPECT_EQ(sluice_collection_element_at(&context_, arguments.data(), 3, &out), 0);
  ASSERT_NE(context_.error, nullptr);
}

TEST_F(CollectionHelperTest, MapFromArraysOfDifferentLengthsIsAnError) {
  std::string one = Encode({Integer(1)}, 1), two = Encode({Integer(1), Integer(2)}, 2);
  std::vector<SluiceUdfValue> arguments{Value(one), Value(two)};
  SluiceUdfValue out{};
  EXPECT_EQ(sluice_map_from_arrays(&context_, arguments.data(), 2, &out), 0);
  ASSERT_NE(context_.error, nullptr);
}

Item Real(double value) {
  Item item;
  item.tag = ItemTag::kReal;
  item.real = value;
  return item;
}

TEST_F(CollectionHelperTest, ArraySortOrdersDoublesLikeJavaAndPlacesNulls) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string array =
      Encode({Real(nan), Real(1.5), Item{}, Real(0.0), Real(-0.0), Real(-2), Real(nan)}, 7);
  auto sort = [&](std::vector<SluiceUdfValue> arguments) {
    SluiceUdfValue out{};
    EXPECT_EQ(sluice_array_sort(&context_, arguments.data(), static_cast<int32_t>(arguments.size()),
                                &out),
              1);
    std::vector<Item> items;
    EXPECT_TRUE(DecodeCollection(std::string_view(out.data, out.length), 1, &items));
    std::string text;
    for (const Item& item : items) {
      text += item.tag == ItemTag::kNull ? "NULL"
              : std::isnan(item.real)    ? "NaN"
              : std::signbit(item.real) && item.real == 0
                  ? "-0"
                  : std::to_string(static_cast<int>(item.real * 10));
      text += ' ';
    }
    return text;
  };
  // NaN after everything (a total order: no crash); -0.0 is held as 0.0.
  EXPECT_EQ(sort({Value(array)}), "NULL -20 0 0 15 NaN NaN ");
  EXPECT_EQ(sort({Value(array), IntegerValue(0)}), "NaN NaN 15 0 0 -20 NULL ");
  EXPECT_EQ(sort({Value(array), IntegerValue(0), IntegerValue(1)}), "NULL NaN NaN 15 0 0 -20 ");
  EXPECT_EQ(sort({Value(array), IntegerValue(1), IntegerValue(0)}), "-20 0 0 15 NaN NaN NULL ");
}

TEST_F(CollectionHelperTest, SetFunctionsAreLinearOnLargeArrays) {
  std::vector<Item> many, evens;
  for (int64_t i = 0; i < 200000; ++i) many.push_back(Integer(i % 100000));
  for (int64_t i = 0; i < 100000; i += 2) evens.push_back(Integer(i));
  std::string first = Encode(many, static_cast<uint32_t>(many.size()));
  std::string second = Encode(evens, static_cast<uint32_t>(evens.size()));
  std::vector<SluiceUdfValue> arguments{Value(first), Value(second)};
  SluiceUdfValue out{};
  std::vector<Item> items;
  ASSERT_EQ(sluice_array_except(&context_, arguments.data(), 2, &out), 1);
  ASSERT_TRUE(DecodeCollection(std::string_view(out.data, out.length), 1, &items));
  ASSERT_EQ(items.size(), 50000u);  // the odd numbers, once each
  EXPECT_EQ(items[0].integer, 1);
  ASSERT_EQ(sluice_array_intersect(&context_, arguments.data(), 2, &out), 1);
  ASSERT_TRUE(DecodeCollection(std::string_view(out.data, out.length), 1, &items));
  EXPECT_EQ(items.size(), 50000u);
  ASSERT_EQ(sluice_array_union(&context_, arguments.data(), 2, &out), 1);
  ASSERT_TRUE(DecodeCollection(std::string_view(out.data, out.length), 1, &items));
  EXPECT_EQ(items.size(), 100000u);
}

TEST_F(CollectionHelperTest, RegexpExtractAllRefusesBadGroupsAndSurvivesInvalidUtf8) {
  std::string text = "a1b22", pattern = "([a-z])(\\d+)", empty = "()";
  std::string invalid = std::string("a\xFF\xFE") + "b";
  auto extract = [&](const std::string& in, const std::string& regex,
                     int64_t group) -> std::optional<std::vector<std::string>> {
    std::vector<SluiceUdfValue> arguments{Value(in), Value(regex), IntegerValue(group)};
    SluiceUdfValue out{};
    if (sluice_regexp_extract_all(&context_, arguments.data(), 3, &out) == 0) return std::nullopt;
    std::vector<Item> items;
    EXPECT_TRUE(DecodeCollection(std::string_view(out.data, out.length), 1, &items));
    std::vector<std::string> texts;
    for (const Item& item : items) texts.emplace_back(item.bytes);
    return texts;
  };
  EXPECT_EQ(extract(text, pattern, 2), (std::vector<std::string>{"1", "22"}));
  EXPECT_EQ(extract(text, pattern, 0), (std::vector<std::string>{"a1", "b22"}));
  // A huge or negative group is NULL (nothing is allocated for it).
  EXPECT_FALSE(extract(text, pattern, int64_t{1} << 40));
  EXPECT_FALSE(extract(text, pattern, -1));
  // Empty matches at each character boundary; stray bytes count as characters.
  EXPECT_EQ(extract(invalid, empty, 1)->size(), 5u);
}

}  // namespace
}  // namespace sluice::runtime::expr
