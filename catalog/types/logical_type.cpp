#include "catalog/types/logical_type.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::types {

LogicalType LogicalType::Decimal(int32_t precision, int32_t scale) {
  LogicalType type(TypeId::kDecimal);
  type.precision_ = precision;
  type.scale_ = scale;
  return type;
}

LogicalType LogicalType::Row(std::vector<RowField> fields) {
  LogicalType type(TypeId::kRow);
  type.fields_ = std::make_shared<const std::vector<RowField>>(std::move(fields));
  return type;
}

LogicalType LogicalType::Array(LogicalType element) {
  LogicalType type(TypeId::kArray);
  type.elements_ =
      std::make_shared<const std::vector<LogicalType>>(std::vector<LogicalType>{element});
  return type;
}

LogicalType LogicalType::Map(LogicalType key, LogicalType value) {
  LogicalType type(TypeId::kMap);
  type.elements_ =
      std::make_shared<const std::vector<LogicalType>>(std::vector<LogicalType>{key, value});
  return type;
}

LogicalType LogicalType::Multiset(LogicalType element) {
  LogicalType type(TypeId::kMultiset);
  type.elements_ =
      std::make_shared<const std::vector<LogicalType>>(std::vector<LogicalType>{element});
  return type;
}

const std::vector<RowField>& LogicalType::fields() const {
  static const std::vector<RowField> kNone;
  return fields_ ? *fields_ : kNone;
}

const LogicalType& LogicalType::element_type() const {
  static const LogicalType kNone;
  return elements_ && !elements_->empty() ? (*elements_)[0] : kNone;
}

const LogicalType& LogicalType::value_type() const {
  static const LogicalType kNone;
  return elements_ && elements_->size() > 1 ? (*elements_)[1] : kNone;
}

bool LogicalType::IsNumeric() const {
  return id_ == TypeId::kInt || id_ == TypeId::kBigint || id_ == TypeId::kDouble ||
         id_ == TypeId::kDecimal;
}

int32_t LogicalType::PhysicalWidth() const {
  switch (id_) {
    case TypeId::kNull: return 1;
    case TypeId::kBoolean: return 1;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: return 4;
    case TypeId::kDecimal: return IsWideDecimal() ? 16 : 8;
    case TypeId::kBigint:
    case TypeId::kDouble:
    case TypeId::kTimestamp:
    case TypeId::kInterval: return 8;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kMultiset:
    case TypeId::kBinary: return 16;
    case TypeId::kRow: return 0;
  }
  return 0;
}

std::string LogicalType::ToString() const {
  switch (id_) {
    case TypeId::kNull: return "NULL";
    case TypeId::kBoolean: return "BOOLEAN";
    case TypeId::kInt: return IsTinyint() ? "TINYINT" : IsSmallint() ? "SMALLINT" : "INT";
    case TypeId::kBigint: return "BIGINT";
    case TypeId::kDouble: return IsFloat() ? "FLOAT" : "DOUBLE";
    case TypeId::kDecimal: return fmt::format("DECIMAL({}, {})", precision_, scale_);
    case TypeId::kVarchar: return "VARCHAR";
    case TypeId::kTimestamp: return local_time_zone_ ? "TIMESTAMP_LTZ(3)" : "TIMESTAMP(3)";
    case TypeId::kDate: return "DATE";
    case TypeId::kTime: return "TIME";
    case TypeId::kInterval: return "INTERVAL";
    case TypeId::kRow: {
      std::string out = "ROW<";
      for (size_t i = 0; i < fields().size(); ++i) {
        if (i > 0) out += ", ";
        out += fields()[i].name + " " + fields()[i].type.ToString();
      }
      return out + ">";
    }
    case TypeId::kArray: return "ARRAY<" + element_type().ToString() + ">";
    case TypeId::kMap:
      return "MAP<" + element_type().ToString() + ", " + value_type().ToString() + ">";
    case TypeId::kMultiset: return "MULTISET<" + element_type().ToString() + ">";
    case TypeId::kBinary: return "BYTES";
  }
  return "?";
}

bool LogicalType::operator==(const LogicalType& other) const {
  if (id_ != other.id_ || width_ != other.width_) return false;
  if (id_ == TypeId::kTimestamp) return local_time_zone_ == other.local_time_zone_;
  if (id_ == TypeId::kDecimal) return precision_ == other.precision_ && scale_ == other.scale_;
  if (IsCollection()) {
    return element_type() == other.element_type() && value_type() == other.value_type();
  }
  if (id_ != TypeId::kRow) return true;
  if (fields().size() != other.fields().size()) return false;
  for (size_t i = 0; i < fields().size(); ++i) {
    if (fields()[i].name != other.fields()[i].name || fields()[i].type != other.fields()[i].type) {
      return false;
    }
  }
  return true;
}

namespace {

// Flink's implicit widening: TINYINT → SMALLINT → INT → BIGINT → DECIMAL → FLOAT → DOUBLE.
int NumericRank(const LogicalType& type) {
  switch (type.id()) {
    case TypeId::kInt: return type.IsTinyint() ? 1 : type.IsSmallint() ? 2 : 3;
    case TypeId::kBigint: return 4;
    case TypeId::kDecimal: return 5;
    case TypeId::kDouble: return type.IsFloat() ? 6 : 7;
    default: return 0;
  }
}

}  // namespace

bool CommonSupertype(const LogicalType& left, const LogicalType& right, LogicalType* out) {
  if (left.id() == TypeId::kNull) {
    *out = right;
    return true;
  }
  if (right.id() == TypeId::kNull || left == right) {
    *out = left;
    return true;
  }
  if (left.IsNumeric() && right.IsNumeric()) {
    // DECIMAL meets DOUBLE as DOUBLE; a DECIMAL meets a DECIMAL or an integer as the DECIMAL with
    // the most integer digits and the largest scale, at most 38 digits (Flink's findCommonType).
    LogicalType left_decimal, right_decimal;
    if ((left.id() == TypeId::kDecimal || right.id() == TypeId::kDecimal) &&
        DecimalOperandType(left, &left_decimal) && DecimalOperandType(right, &right_decimal)) {
      int32_t scale = std::max(left_decimal.scale(), right_decimal.scale());
      int32_t integer_digits = std::max(left_decimal.precision() - left_decimal.scale(),
                                        right_decimal.precision() - right_decimal.scale());
      int32_t precision = std::min(LogicalType::kMaxDecimalPrecision, integer_digits + scale);
      *out = LogicalType::Decimal(precision, std::min(scale, precision));
      return true;
    }
    // A FLOAT meets a DECIMAL as a DOUBLE (Calcite's leastRestrictive, which Flink uses).
    if ((left.IsFloat() && right.id() == TypeId::kDecimal) ||
        (right.IsFloat() && left.id() == TypeId::kDecimal)) {
      *out = LogicalType::Double();
      return true;
    }
    *out = NumericRank(left) >= NumericRank(right) ? left : right;
    return true;
  }
  if (left.id() == TypeId::kTimestamp && right.id() == TypeId::kTimestamp) {
    // A TIMESTAMP meets a TIMESTAMP_LTZ as the instant of its wall time in the session zone.
    *out = left.IsTimestampLtz() ? left : right;
    return true;
  }
  if (left.id() == TypeId::kInterval && right.id() == TypeId::kInterval) {
    *out = left;
    return true;
  }
  // A DATE meets a TIMESTAMP as the TIMESTAMP of its midnight (Flink's implicit widening).
  if ((left.id() == TypeId::kDate && right.id() == TypeId::kTimestamp) ||
      (left.id() == TypeId::kTimestamp && right.id() == TypeId::kDate)) {
    *out = left.id() == TypeId::kTimestamp ? left : right;
    return true;
  }
  return false;
}

bool DecimalOperandType(const LogicalType& type, LogicalType* out) {
  switch (type.id()) {
    case TypeId::kInt:
      *out = LogicalType::Decimal(type.IsTinyint() ? 3 : type.IsSmallint() ? 5 : 10, 0);
      return true;
    case TypeId::kBigint: *out = LogicalType::Decimal(19, 0); return true;
    case TypeId::kDecimal: *out = type; return true;
    default: return false;
  }
}

LogicalType AdjustedDecimal(int32_t precision, int32_t scale) {
  constexpr int32_t kMax = LogicalType::kMaxDecimalPrecision;
  if (precision <= kMax) return LogicalType::Decimal(precision, scale);
  int32_t integer_digits = precision - scale;
  int32_t kept_scale = std::max(kMax - integer_digits, std::min(scale, 6));
  return LogicalType::Decimal(kMax, std::min(kept_scale, kMax));
}

LogicalType DecimalArithmeticType(char op, const LogicalType& left, const LogicalType& right) {
  int32_t p1 = left.precision(), s1 = left.scale();
  int32_t p2 = right.precision(), s2 = right.scale();
  switch (op) {
    case '*': return AdjustedDecimal(p1 + p2, s1 + s2);
    case '/': {
      int32_t scale = std::max(6, s1 + p2 + 1);
      return AdjustedDecimal(p1 - s1 + s2 + scale, scale);
    }
    case '%': {
      int32_t scale = std::max(s1, s2);
      return AdjustedDecimal(std::min(p1 - s1, p2 - s2) + scale, scale);
    }
    default: {  // '+', '-'
      int32_t scale = std::max(s1, s2);
      return AdjustedDecimal(std::max(p1 - s1, p2 - s2) + scale + 1, scale);
    }
  }
}

bool IsImplicitlyCastable(const LogicalType& from, const LogicalType& to) {
  if (from == to || from.id() == TypeId::kNull) return true;
  if (from.IsNumeric() && to.IsNumeric()) {
    if (to.id() == TypeId::kDecimal && from.id() == TypeId::kDouble) return false;
    return NumericRank(from) <= NumericRank(to);
  }
  if (from.id() == TypeId::kDate && to.id() == TypeId::kTimestamp) return true;
  // TIMESTAMP ↔ TIMESTAMP_LTZ through the session time zone (Flink's implicit conversion).
  if (from.id() == TypeId::kTimestamp && to.id() == TypeId::kTimestamp) return true;
  return false;
}

bool IsExplicitlyCastable(const LogicalType& from, const LogicalType& to) {
  if (IsImplicitlyCastable(from, to)) return true;
  if (from.id() == TypeId::kRow || to.id() == TypeId::kRow) return false;
  // A collection casts to VARCHAR (its text form, Flink's since 1.15) and to nothing else.
  if (from.IsCollection() || to.IsCollection()) {
    return from.IsCollection() && to.id() == TypeId::kVarchar;
  }
  if (from.IsNumeric() && to.IsNumeric()) return true;
  // BYTES casts only to and from VARCHAR (its UTF-8 bytes), as Flink's binary-string family.
  if (from.id() == TypeId::kBinary || to.id() == TypeId::kBinary) {
    return from.id() == TypeId::kVarchar || to.id() == TypeId::kVarchar;
  }
  if (from.id() == TypeId::kVarchar || to.id() == TypeId::kVarchar) return true;
  if (from.id() == TypeId::kBoolean && to.IsInteger()) return true;
  if (from.IsInteger() && to.id() == TypeId::kBoolean) return true;
  if (from.id() == TypeId::kTimestamp && to.id() == TypeId::kBigint) return true;
  if (from.id() == TypeId::kBigint && to.id() == TypeId::kTimestamp) return true;
  // DATE ↔ TIMESTAMP, TIMESTAMP → TIME (Flink's casts between date-time types).
  if (from.id() == TypeId::kTimestamp && to.id() == TypeId::kDate) return true;
  if (from.id() == TypeId::kTimestamp && to.id() == TypeId::kTime) return true;
  if (from.id() == TypeId::kTime && to.id() == TypeId::kTimestamp) return true;  // 1970-01-01
  return false;
}

}  // namespace sluice::types
