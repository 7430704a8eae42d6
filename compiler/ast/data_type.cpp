#include "compiler/ast/data_type.h"

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

const char* TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kYear: return "YEAR";
    case TimeUnit::kQuarter: return "QUARTER";
    case TimeUnit::kMonth: return "MONTH";
    case TimeUnit::kWeek: return "WEEK";
    case TimeUnit::kDay: return "DAY";
    case TimeUnit::kHour: return "HOUR";
    case TimeUnit::kMinute: return "MINUTE";
    case TimeUnit::kSecond: return "SECOND";
    case TimeUnit::kMillisecond: return "MILLISECOND";
    case TimeUnit::kDayOfWeek: return "DOW";
    case TimeUnit::kDayOfYear: return "DOY";
    case TimeUnit::kIsoDayOfWeek: return "ISODOW";
    case TimeUnit::kIsoYear: return "ISOYEAR";
    case TimeUnit::kDecade: return "DECADE";
    case TimeUnit::kCentury: return "CENTURY";
    case TimeUnit::kMillennium: return "MILLENNIUM";
    case TimeUnit::kEpoch: return "EPOCH";
    case TimeUnit::kMicrosecond: return "MICROSECOND";
    case TimeUnit::kNanosecond: return "NANOSECOND";
  }
  return "?";
}

std::string IntervalQualifier::ToString() const {
  std::string out = TimeUnitName(start);
  if (start_precision >= 0) out += "(" + std::to_string(start_precision) + ")";
  if (end.has_value()) {
    out += std::string(" TO ") + TimeUnitName(*end);
    if (end_precision >= 0) out += "(" + std::to_string(end_precision) + ")";
  }
  return out;
}

std::string DataType::ToString() const {
  std::string out = name;
  if (!fields.empty() || name == "ROW") {
    out += "<";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ", ";
      out += fields[i].name.ToString() + " " + fields[i].type.ToString();
    }
    out += ">";
  }
  if (!type_arguments.empty()) {
    out += "<";
    for (size_t i = 0; i < type_arguments.size(); ++i) {
      if (i > 0) out += ", ";
      out += type_arguments[i].ToString();
    }
    out += ">";
  }
  if (!parameters.empty()) {
    out += "(";
    for (size_t i = 0; i < parameters.size(); ++i) {
      if (i > 0) out += ", ";
      out += std::to_string(parameters[i]);
    }
    out += ")";
  }
  if (interval.has_value()) out += " " + interval->ToString();
  if (not_null) out += " NOT NULL";
  return out;
}

}  // namespace sluice::ast
