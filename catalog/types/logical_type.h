#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::types {

/// Identifies a SQL type. Physical width in a batch: 1 byte (BOOLEAN), 4 (INT), 8 (BIGINT,
/// DOUBLE, TIMESTAMP, INTERVAL, DECIMAL(p <= 18) as a scaled int64), 16 (VARCHAR as a StringRef,
/// DECIMAL(19 <= p <= 38) as a scaled __int128).
enum class TypeId : uint8_t {
  kNull,  // the type of a bare NULL literal before coercion
  kBoolean,
  kInt,  // INT; also TINYINT and SMALLINT (LogicalType::Tinyint/Smallint), stored as int32
  kBigint,
  kDouble,   // DOUBLE; also FLOAT (LogicalType::Float), stored as a double that a float holds
  kDecimal,  // precision 1..38, scale 0..precision; the value scaled by 10^scale, stored as an
             // int64 up to precision 18 and as an __int128 above (IsWideDecimal)
  kVarchar,
  kTimestamp,  // TIMESTAMP(3): int64 milliseconds since the epoch, UTC; also TIMESTAMP_LTZ(3)
  kInterval,   // INTERVAL DAY TO SECOND: int64 milliseconds
  kRow,
  kDate,  // DATE: int32 days since 1970-01-01 (proleptic Gregorian), as Flink's internal form
  kTime,  // TIME(0..3): int32 milliseconds of the day, as Flink's internal form
  // The collections: one value is an encoded byte string (runtime/expr/collection_value.h),
  // stored like a VARCHAR (16 bytes, a StringRef into the batch's arena).
  kArray,     // ARRAY<T>
  kMap,       // MAP<K, V>
  kMultiset,  // MULTISET<T>: each distinct element with its count, as Flink's MAP<T, INT>
  // BYTES, VARBINARY(n), BINARY(n): a byte string, stored like a VARCHAR (a StringRef into the
  // batch's arena); the declared length is not kept, as CHAR(n)/VARCHAR(n)'s is not.
  kBinary,
};

struct RowField;

/// Describes a SQL type; ROW carries named fields. Every type is nullable in Sluice's data model.
class LogicalType {
 public:
  LogicalType() = default;
  explicit LogicalType(TypeId id) : id_(id) {}

  static LogicalType Null() { return LogicalType(TypeId::kNull); }
  static LogicalType Boolean() { return LogicalType(TypeId::kBoolean); }
  static LogicalType Int() { return LogicalType(TypeId::kInt); }
  static LogicalType Bigint() { return LogicalType(TypeId::kBigint); }
  static LogicalType Double() { return LogicalType(TypeId::kDouble); }
  /// TINYINT, SMALLINT and FLOAT keep their family's storage (an int32, a double) and differ
  /// in their values' range: every value of one is in range (a float for FLOAT), since a cast
  /// to it narrows as Java's primitive casts do (wraps, rounds to float) and arithmetic over
  /// them is computed in the wide type and cast back (runtime/expr/SEMANTICS.md "Narrow
  /// numeric types").
  static LogicalType Tinyint() { return Narrow(TypeId::kInt, Width::kTiny); }
  static LogicalType Smallint() { return Narrow(TypeId::kInt, Width::kSmall); }
  static LogicalType Float() { return Narrow(TypeId::kDouble, Width::kSingle); }
  static LogicalType Varchar() { return LogicalType(TypeId::kVarchar); }
  static LogicalType Binary() { return LogicalType(TypeId::kBinary); }
  static LogicalType Timestamp() { return LogicalType(TypeId::kTimestamp); }
  /// TIMESTAMP_LTZ(3): an instant, stored as a TIMESTAMP (milliseconds since the epoch, UTC)
  /// is, so that every physical path treats the two alike; it differs where a wall time is
  /// read or written (casts, text, EXTRACT, windows), which use the session time zone
  /// (`table.local-time-zone`; runtime/expr/SEMANTICS.md "Time zones").
  static LogicalType TimestampLtz() {
    LogicalType type(TypeId::kTimestamp);
    type.local_time_zone_ = true;
    return type;
  }
  static LogicalType Interval() { return LogicalType(TypeId::kInterval); }
  static LogicalType Date() { return LogicalType(TypeId::kDate); }
  static LogicalType Time() { return LogicalType(TypeId::kTime); }
  static LogicalType Decimal(int32_t precision, int32_t scale);
  static LogicalType Row(std::vector<RowField> fields);
  static LogicalType Array(LogicalType element);
  static LogicalType Map(LogicalType key, LogicalType value);
  static LogicalType Multiset(LogicalType element);

  TypeId id() const { return id_; }
  int32_t precision() const { return precision_; }
  int32_t scale() const { return scale_; }
  const std::vector<RowField>& fields() const;
  /// The element type of an ARRAY or MULTISET, the key type of a MAP.
  const LogicalType& element_type() const;
  /// The value type of a MAP.
  const LogicalType& value_type() const;

  bool IsCollection() const {
    return id_ == TypeId::kArray || id_ == TypeId::kMap || id_ == TypeId::kMultiset;
  }
  /// Whether a value is stored as a StringRef in a batch column (VARCHAR, BYTES and the
  /// collections).
  bool IsStringStored() const {
    return id_ == TypeId::kVarchar || id_ == TypeId::kBinary || IsCollection();
  }

  bool IsNumeric() const;
  /// Whether this is a TIMESTAMP_LTZ (an instant shown in the session time zone).
  bool IsTimestampLtz() const { return local_time_zone_; }
  bool IsInteger() const { return id_ == TypeId::kInt || id_ == TypeId::kBigint; }
  bool IsTinyint() const { return width_ == Width::kTiny; }
  bool IsSmallint() const { return width_ == Width::kSmall; }
  bool IsFloat() const { return width_ == Width::kSingle; }
  /// Whether this is TINYINT, SMALLINT or FLOAT: a narrower type stored as INT or DOUBLE is.
  bool IsNarrowNumeric() const { return width_ != Width::kFull; }
  /// The type whose storage this one shares: INT for TINYINT and SMALLINT, DOUBLE for FLOAT,
  /// this type itself otherwise.
  LogicalType Widened() const {
    LogicalType wide = *this;
    wide.width_ = Width::kFull;
    return wide;
  }
  /// Whether this is a DECIMAL of precision above 18, stored as an __int128 (16 bytes).
  bool IsWideDecimal() const { return id_ == TypeId::kDecimal && precision_ > kMaxNarrowDecimal; }
  /// The widest DECIMAL precision stored as an int64.
  static constexpr int32_t kMaxNarrowDecimal = 18;
  /// The widest DECIMAL precision (Flink's DecimalType.MAX_PRECISION).
  static constexpr int32_t kMaxDecimalPrecision = 38;
  /// Whether a value is stored as an int32 in a batch column (INT, DATE, TIME).
  bool IsInt32Stored() const {
    return id_ == TypeId::kInt || id_ == TypeId::kDate || id_ == TypeId::kTime;
  }
  /// Returns the byte width of one value in a batch column (0 for ROW, which has no data).
  int32_t PhysicalWidth() const;
  /// Renders the type as SQL: `BIGINT`, `DECIMAL(23, 3)`, `ROW<id BIGINT, ...>`.
  std::string ToString() const;

  bool operator==(const LogicalType& other) const;
  bool operator!=(const LogicalType& other) const { return !(*this == other); }

 private:
  enum class Width : uint8_t { kFull, kTiny, kSmall, kSingle };
  static LogicalType Narrow(TypeId id, Width width) {
    LogicalType type(id);
    type.width_ = width;
    return type;
  }

  TypeId id_ = TypeId::kNull;
  Width width_ = Width::kFull;  // TINYINT, SMALLINT (kInt), FLOAT (kDouble)
  int32_t precision_ = 0;
  int32_t scale_ = 0;
  bool local_time_zone_ = false;  // a TIMESTAMP_LTZ
  std::shared_ptr<const std::vector<RowField>> fields_;
  std::shared_ptr<const std::vector<LogicalType>> elements_;  // a collection's element types
};

/// Names one field of a ROW type or one column of a schema.
struct RowField {
  std::string name;
  LogicalType type;
};

/// Finds the common type two operands are widened to for arithmetic and comparison, or
/// returns false when there is none (e.g. VARCHAR and BIGINT).
bool CommonSupertype(const LogicalType& left, const LogicalType& right, LogicalType* out);

/// The DECIMAL an exact numeric operand counts as in DECIMAL arithmetic (Flink's): INT is
/// DECIMAL(10, 0), SMALLINT DECIMAL(5, 0), TINYINT DECIMAL(3, 0), BIGINT DECIMAL(19, 0), a
/// DECIMAL itself; false for any other type.
bool DecimalOperandType(const LogicalType& type, LogicalType* out);

/// Flink's LogicalTypeMerging.adjustPrecisionScale: a DECIMAL(precision, scale) whose precision
/// exceeds 38 keeps its integer digits and gives up scale down to min(scale, 6).
LogicalType AdjustedDecimal(int32_t precision, int32_t scale);

/// The result type of `left op right` over two DECIMALs (Flink's LogicalTypeMerging): `op` is
/// '+', '-', '*', '/' or '%'.
LogicalType DecimalArithmeticType(char op, const LogicalType& left, const LogicalType& right);

/// Tells whether `from` converts to `to` implicitly (widening only: INT → BIGINT → DOUBLE).
bool IsImplicitlyCastable(const LogicalType& from, const LogicalType& to);

/// Tells whether an explicit CAST from `from` to `to` is defined.
bool IsExplicitlyCastable(const LogicalType& from, const LogicalType& to);

}  // namespace sluice::types
