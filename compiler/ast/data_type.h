#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/source_span.h"
#include "compiler/ast/identifier.h"

namespace sluice::ast {

/// A unit of an interval literal, an interval type or EXTRACT. Plural spellings (`SECONDS`) map
/// to the singular unit.
enum class TimeUnit {
  kYear,
  kQuarter,
  kMonth,
  kWeek,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
  // EXTRACT's derived fields only (Calcite's TimeUnit)
  kDayOfWeek,
  kDayOfYear,
  kIsoDayOfWeek,
  kIsoYear,
  kDecade,
  kCentury,
  kMillennium,
  kEpoch,
  kMicrosecond,
  kNanosecond,
};

const char* TimeUnitName(TimeUnit unit);

/// The qualifier of `INTERVAL '1' DAY(2) TO SECOND(3)`: a start unit, an optional end unit, and
/// precisions (-1 when not written).
struct IntervalQualifier {
  TimeUnit start = TimeUnit::kSecond;
  int32_t start_precision = -1;
  std::optional<TimeUnit> end;
  int32_t end_precision = -1;
  base::SourceSpan span;

  std::string ToString() const;
};

struct DataTypeField;

/// A type as written; the binder maps it to a types::LogicalType.
/// `name` is upper-cased: INT, INTEGER, VARCHAR, STRING, DECIMAL, DOUBLE (also for DOUBLE
/// PRECISION), TIMESTAMP, TIMESTAMP_LTZ, ROW, INTERVAL, ARRAY, MAP, ...
struct DataType {
  std::string name;
  std::vector<int64_t> parameters;            // VARCHAR(10) → {10}; DECIMAL(23, 3) → {23, 3}
  std::vector<DataTypeField> fields;          // ROW<a INT, b VARCHAR> and ROW(a INT, ...)
  std::vector<DataType> type_arguments;       // ARRAY<INT>, MAP<VARCHAR, BIGINT>
  std::optional<IntervalQualifier> interval;  // INTERVAL DAY TO SECOND
  bool not_null = false;
  base::SourceSpan span;

  std::string ToString() const;
};

/// One named field of a ROW type.
struct DataTypeField {
  Identifier name;
  DataType type;
  std::string comment;
};

}  // namespace sluice::ast
