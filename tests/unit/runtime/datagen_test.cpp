#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/datagen_connector.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors {
namespace {

using types::LogicalType;

TableDescriptor DatagenTable(std::vector<types::RowField> columns,
                             std::map<std::string, std::string> options) {
  TableDescriptor table;
  table.name = "gen";
  table.schema.columns = std::move(columns);
  options["connector"] = "datagen";
  table.options = std::move(options);
  return table;
}

std::vector<LogicalType> SlotTypes(const TableDescriptor& table) {
  std::vector<LogicalType> types;
  for (const types::Slot& slot : types::FlattenSchema(table.schema)) types.push_back(slot.type);
  return types;
}

// Reads all subtasks to the end, as "value|value|..." rows (NULL as N), in read order.
std::vector<std::string> ReadAll(const TableDescriptor& table, int32_t parallelism) {
  std::vector<std::string> rows;
  for (int32_t index = 0; index < parallelism; ++index) {
    auto reader =
        DatagenConnectorInstance().CreateReader(table, SubtaskInfo{index, parallelism, "job"});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return rows;
    while (true) {
      Batch batch(SlotTypes(table));
      if (!*(*reader)->Next(&batch)) break;
      for (int32_t row = 0; row < batch.row_count(); ++row) {
        std::string text;
        for (size_t slot = 0; slot < batch.column_count(); ++slot) {
          const Column& column = batch.column(slot);
          if (column.IsNull(row)) {
            text += "N";
          } else {
            switch (column.type().id()) {
              case types::TypeId::kBoolean: text += column.data()[row] ? "true" : "false"; break;
              case types::TypeId::kInt:
                text += std::to_string(column.values<int32_t>()[row]);
                break;
              case types::TypeId::kDouble:
                text += std::to_string(column.values<double>()[row]);
                break;
              case types::TypeId::kVarchar:
                text += std::string(column.values<StringRef>()[row].view());
                break;
              case types::TypeId::kArray:
              case types::TypeId::kMap:
              case types::TypeId::kMultiset:
                EXPECT_TRUE(expr::AppendCollectionText(column.values<StringRef>()[row].view(),
                                                       expr::TypeDescriptor(column.type()), &text));
                break;
              default: text += std::to_string(column.values<int64_t>()[row]); break;
            }
          }
          text += "|";
        }
        rows.push_back(text);
      }
    }
  }
  return rows;
}

TEST(DatagenTest, CollectionsHaveLengthElementsFromTheirPartsOptions) {
  TableDescriptor table =
      DatagenTable({{"a", LogicalType::Array(LogicalType::Int())},
                    {"m", LogicalType::Map(LogicalType::Varchar(), LogicalType::Bigint())},
                    {"s", LogicalType::Multiset(LogicalType::Boolean())}},
                   {{"number-of-rows", "50"},
                    {"seed", "7"},
                    {"fields.a.length", "2"},
                    {"fields.a.element.min", "5"},
                    {"fields.a.element.max", "6"},
                    {"fields.m.length", "1"},
                    {"fields.m.key.length", "2"},
                    {"fields.m.value.min", "-1"},
                    {"fields.m.value.max", "-1"}});
  std::vector<std::string> rows = ReadAll(table, 1);
  ASSERT_EQ(rows.size(), 50u);
  std::set<std::string> arrays;
  for (const std::string& row : rows) {
    // [x, y]|{kk=-1}|{true=n, false=m}| with x, y in 5..6 and a MULTISET of 3 booleans.
    size_t bar = row.find('|');
    std::string array = row.substr(0, bar);
    EXPECT_TRUE(array == "[5, 5]" || array == "[5, 6]" || array == "[6, 5]" || array == "[6, 6]")
        << row;
    arrays.insert(array);
    std::string map = row.substr(bar + 1, row.find('|', bar + 1) - bar - 1);
    EXPECT_EQ(map.size(), std::string("{kk=-1}").size()) << row;
    EXPECT_EQ(map.substr(map.size() - 4), "=-1}") << row;
    EXPECT_NE(row.find("|{"), std::string::npos);
  }
  EXPECT_EQ(arrays.size(), 4u);        // every combination shows up in 50 rows
  EXPECT_EQ(ReadAll(table, 1), rows);  // seeded: the same rows again
}

TEST(DatagenTest, SequencesAreSplitDisjointlyAndEndTheSource) {
  TableDescriptor table =
      DatagenTable({{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}},
                   {{"fields.id.kind", "sequence"},
                    {"fields.id.start", "10"},
                    {"fields.id.end", "2509"},
                    {"fields.name.kind", "sequence"},
                    {"fields.name.start", "1"},
                    {"fields.name.end", "1000000"},
                    {"rows-per-second", "0"}});
  for (int32_t parallelism : {1, 2, 3}) {
    std::vector<std::string> rows = ReadAll(table, parallelism);
    ASSERT_EQ(rows.size(), 2500u) << parallelism;
    std::set<int64_t> ids;
    for (const std::string& row : rows) {
      int64_t id = std::stoll(row.substr(0, row.find('|')));
      EXPECT_EQ(row.substr(row.find('|') + 1), std::to_string(id - 9) + "|");
      ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 2500u);
    EXPECT_EQ(*ids.begin(), 10);
    EXPECT_EQ(*ids.rbegin(), 2509);
  }
}

TEST(DatagenTest, RandomValuesStayInRangeAndFollowTheSeed) {
  TableDescriptor table = DatagenTable({{"flag", LogicalType::Boolean()},
                                        {"small", LogicalType::Int()},
                                        {"big", LogicalType::Bigint()},
                                        {"ratio", LogicalType::Double()},
                                        {"amount", LogicalType::Decimal(10, 2)},
                                        {"label", LogicalType::Varchar()},
                                        {"ts", LogicalType::Timestamp()}},
                                       {{"number-of-rows", "3000"},
                                        {"rows-per-second", "0"},
                                        {"seed", "5"},
                                        {"fields.small.min", "-3"},
                                        {"fields.small.max", "3"},
                                        {"fields.big.min", "1000000000000"},
                                        {"fields.big.max", "1000000000010"},
                                        {"fields.ratio.min", "0.5"},
                                        {"fields.ratio.max", "1.5"},
                                        {"fields.amount.min", "1.25"},
                                        {"fields.amount.max", "2"},
                                        {"fields.label.length", "7"},
                                        {"fields.label.null-rate", "0.25"}});
  auto reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->IsBounded());
  std::set<int32_t> smalls;
  int64_t trues = 0, nulls = 0, rows = 0;
  while (true) {
    Batch batch(SlotTypes(table));
    if (!*(*reader)->Next(&batch)) break;
    for (int32_t row = 0; row < batch.row_count(); ++row, ++rows) {
      trues += batch.column(0).data()[row];
      int32_t small = batch.column(1).values<int32_t>()[row];
      EXPECT_GE(small, -3);
      EXPECT_LE(small, 3);
      smalls.insert(small);
      int64_t big = batch.column(2).values<int64_t>()[row];
      EXPECT_GE(big, 1000000000000);
      EXPECT_LE(big, 1000000000010);
      double ratio = batch.column(3).values<double>()[row];
      EXPECT_GE(ratio, 0.5);
      EXPECT_LE(ratio, 1.5);
      int64_t amount = batch.column(4).values<int64_t>()[row];  // scaled by 100
      EXPECT_GE(amount, 125);
      EXPECT_LE(amount, 200);
      if (batch.column(5).IsNull(row)) {
        ++nulls;
        EXPECT_EQ(batch.column(5).values<StringRef>()[row].length, 0u);
      } else {
        std::string label(batch.column(5).values<StringRef>()[row].view());
        EXPECT_EQ(label.size(), 7u);
        EXPECT_EQ(label.find_first_not_of("0123456789abcdef"), std::string::npos);
      }
      // Seeded: 2024-01-01 plus one row per 1 ms when unlimited.
      EXPECT_EQ(batch.column(6).values<int64_t>()[row], 1704067200000 + rows);
    }
  }
  EXPECT_EQ(rows, 3000);
  EXPECT_EQ(smalls.size(), 7u);
  EXPECT_NEAR(trues / 3000.0, 0.5, 0.05);
  EXPECT_NEAR(nulls / 3000.0, 0.25, 0.04);

  // Same seed, same rows, whatever the parallelism; another seed, other rows.
  std::vector<std::string> once = ReadAll(table, 1), again = ReadAll(table, 3);
  std::vector<std::string> sorted_once = once;
  std::sort(sorted_once.begin(), sorted_once.end());
  std::sort(again.begin(), again.end());
  EXPECT_EQ(sorted_once, again);
  table.options["seed"] = "6";
  EXPECT_NE(ReadAll(table, 1), once);
}

// A DECIMAL wider than 18 digits (an __int128 column) gets values of at most 18 digits by
// default (Flink's DECIMAL(32, 2) columns run as declared), not an error about unset options.
TEST(DatagenTest, WideDecimalsDrawOverTheirWholeRange) {
  // Flink's default bounds are the type's: a DECIMAL(32, 2) draws 32-digit unscaled values, a
  // DECIMAL(38, 30) too (no option needed past scale 18), 'min'/'max' narrow at the scale.
  TableDescriptor table = DatagenTable({{"price", LogicalType::Decimal(32, 2)},
                                        {"ratio", LogicalType::Decimal(38, 30)},
                                        {"lon", LogicalType::Decimal(38, 18)}},
                                       {{"number-of-rows", "500"},
                                        {"seed", "3"},
                                        {"fields.lon.min", "116.40"},
                                        {"fields.lon.max", "116.41"}});
  auto reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto power_of_ten = [](int32_t exponent) {
    __int128 value = 1;
    for (int32_t i = 0; i < exponent; ++i) value *= 10;
    return value;
  };
  const __int128 largest[] = {power_of_ten(32) - 1, power_of_ten(38) - 1};
  int64_t rows = 0;
  int64_t long_values[2] = {0, 0};  // with the range's leading digit place in use
  int64_t negative[2] = {0, 0};
  const __int128 lon_low = 11640 * power_of_ten(16), lon_high = 11641 * power_of_ten(16);
  while (true) {
    Batch batch(SlotTypes(table));
    if (!*(*reader)->Next(&batch)) break;
    for (int32_t row = 0; row < batch.row_count(); ++row, ++rows) {
      for (size_t column = 0; column < 2; ++column) {
        ASSERT_FALSE(batch.column(column).IsNull(row));
        __int128 unscaled = batch.column(column).DecimalAt(row);
        EXPECT_TRUE(unscaled <= largest[column] && unscaled >= -largest[column]);
        if (unscaled >= largest[column] / 10 || unscaled <= -largest[column] / 10) {
          ++long_values[column];
        }
        if (unscaled < 0) ++negative[column];
      }
      __int128 lon = batch.column(2).DecimalAt(row);
      EXPECT_TRUE(lon >= lon_low && lon <= lon_high);
    }
  }
  EXPECT_EQ(rows, 500);
  for (size_t column = 0; column < 2; ++column) {
    EXPECT_GT(long_values[column], 420);  // about 90% of uniform draws
    EXPECT_GT(negative[column], 180);     // about half
    EXPECT_LT(negative[column], 320);
  }
}

TEST(DatagenTest, WideDecimalBoundsOutsideTheTypeNameTheOption) {
  TableDescriptor table = DatagenTable({{"price", LogicalType::Decimal(30, 2)}},
                                       {{"number-of-rows", "5"}, {"fields.price.min", "-1e29"}});
  auto reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("'fields.price.min' lies outside DECIMAL(30, 2)"),
            std::string::npos)
      << reader.status().ToString();
  table = DatagenTable({{"price", LogicalType::Decimal(30, 2)}},
                       {{"fields.price.min", "5"}, {"fields.price.max", "4"}});
  reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("fields.price.max"), std::string::npos);
}

TEST(DatagenTest, UnseededTimestampsAreNowAndRowsAreUnboundedByDefault) {
  TableDescriptor table =
      DatagenTable({{"ts", LogicalType::Timestamp()}}, {{"rows-per-second", "0"}});
  auto reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->IsBounded());
  Batch batch(SlotTypes(table));
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  ASSERT_TRUE(*(*reader)->Next(&batch));
  EXPECT_EQ(batch.row_count(), kBatchCapacity);
  EXPECT_NEAR(static_cast<double>(batch.column(0).values<int64_t>()[0]), static_cast<double>(now),
              5000);
}

TEST(DatagenTest, RowsPerSecondLimitsTheRate) {
  TableDescriptor table = DatagenTable({{"id", LogicalType::Int()}},
                                       {{"rows-per-second", "1000"}, {"number-of-rows", "300"}});
  auto reader = DatagenConnectorInstance().CreateReader(table, SubtaskInfo{});
  ASSERT_TRUE(reader.ok());
  auto start = std::chrono::steady_clock::now();
  int64_t rows = 0;
  while (true) {
    Batch batch(SlotTypes(table));
    if (!*(*reader)->Next(&batch)) break;
    if (batch.row_count() == 0) {  // not due yet: the reader never sleeps itself
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    EXPECT_EQ(batch.row_count(), 100);  // a tenth of a second per batch
    rows += batch.row_count();
  }
  EXPECT_EQ(rows, 300);
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.19);
}

std::string ErrorOf(std::vector<types::RowField> columns,
                    std::map<std::string, std::string> options) {
  base::Status status = DatagenConnectorInstance().Validate(
      DatagenTable(std::move(columns), std::move(options)), true);
  EXPECT_EQ(status.code(), base::ErrorCode::kOption);
  return status.message();
}

TEST(DatagenTest, RejectsBadOptions) {
  std::vector<types::RowField> id = {{"id", LogicalType::Bigint()}};
  EXPECT_EQ(ErrorOf(id, {{"rows-per-secnd", "5"}}),
            "unknown option 'rows-per-secnd' for table 'gen' (connector 'datagen'); did you mean "
            "'rows-per-second'?");
  EXPECT_EQ(ErrorOf(id, {{"fields.idd.min", "5"}}),
            "unknown option 'fields.idd.min' for table 'gen' (connector 'datagen'); did you mean "
            "'fields.id.min'?");
  EXPECT_EQ(
      ErrorOf(id, {{"number-of-rows", "many"}}),
      "invalid value 'many' for option 'number-of-rows' of table 'gen': expected a whole number");
  EXPECT_EQ(
      ErrorOf(id, {{"fields.id.kind", "zigzag"}}),
      "invalid value 'zigzag' for option 'fields.id.kind' of table 'gen': expected 'random' or "
      "'sequence'");
  EXPECT_EQ(ErrorOf(id, {{"fields.id.kind", "sequence"}, {"fields.id.start", "1"}}),
            "table 'gen': a sequence needs both 'fields.id.start' and 'fields.id.end'");
  EXPECT_EQ(ErrorOf(id, {{"fields.id.min", "9"}, {"fields.id.max", "2"}}),
            "invalid value '2' for option 'fields.id.max' of table 'gen': must not be less than "
            "'fields.id.min'");
  EXPECT_NE(ErrorOf({{"i", LogicalType::Int()}}, {{"fields.i.max", "3000000000"}})
                .find("must be at most"),
            std::string::npos);
  EXPECT_NE(ErrorOf(id, {{"fields.id.length", "3"}}).find("applies to VARCHAR"), std::string::npos);
  EXPECT_NE(
      ErrorOf({{"ts", LogicalType::Timestamp()}},
              {{"fields.ts.kind", "sequence"}, {"fields.ts.start", "1"}, {"fields.ts.end", "2"}})
          .find("a sequence needs an INT, BIGINT, DOUBLE or VARCHAR column"),
      std::string::npos);
  EXPECT_EQ(ErrorOf({{"i", LogicalType::Interval()}}, {}),
            "table 'gen': datagen cannot generate column 'i' of type INTERVAL "
            "(supported: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL, VARCHAR, BYTES, TIMESTAMP, DATE, "
            "TIME and ARRAY, MAP, MULTISET, ROW of them)");
  // A ROW's own min/max are refused, naming where they belong: on its fields.
  EXPECT_EQ(
      ErrorOf({{"r", LogicalType::Row({{"x", LogicalType::Int()}})}}, {{"fields.r.max", "3"}}),
      "invalid value '3' for option 'fields.r.max' of table 'gen': 'max' does not apply to "
      "a ROW; set it on its fields, 'fields.r.<field>.max'");
  // A collection's own min/max are refused, naming where they belong.
  EXPECT_NE(ErrorOf({{"a", LogicalType::Array(LogicalType::Int())}}, {{"fields.a.max", "3"}})
                .find("set it on 'fields.a.element.max'"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf({{"a", LogicalType::Array(LogicalType::Int())}}, {{"fields.a.element.bogus", "3"}})
          .find("fields.a.element.bogus"),
      std::string::npos);
  EXPECT_EQ(DatagenConnectorInstance().Validate(DatagenTable(id, {}), false).code(),
            base::ErrorCode::kOption);
  // Column names in option keys match case-insensitively.
  EXPECT_TRUE(
      DatagenConnectorInstance()
          .Validate(DatagenTable({{"userId", LogicalType::Bigint()}}, {{"fields.userId.min", "1"}}),
                    true)
          .ok());
}

}  // namespace
}  // namespace sluice::runtime::connectors
