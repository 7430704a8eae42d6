#include "runtime/expr/interpreter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/expr/helper_table.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/user_function.h"

namespace sluice::runtime::expr {

namespace {

using base::ErrorCode;
using base::Result;
using base::Status;
using functions::FunctionId;
using plan::Expr;
using plan::ExprKind;
using types::LogicalType;
using types::TypeId;
using Int128 = __int128;

/// One expression evaluated over every row of a batch: either a view of an input column or
/// buffers it owns. Move-only, because the views point into the owned buffers.
struct Vector {
  LogicalType type;
  const uint8_t* data = nullptr;
  const uint8_t* validity = nullptr;
  std::vector<uint64_t> owned_data;
  std::vector<uint8_t> owned_validity;

  Vector() = default;
  Vector(Vector&&) = default;
  Vector& operator=(Vector&&) = default;
  Vector(const Vector&) = delete;
  Vector& operator=(const Vector&) = delete;

  template <typename T>
  const T* values() const {
    return reinterpret_cast<const T*>(data);
  }
  template <typename T>
  T* mutable_values() {
    return reinterpret_cast<T*>(owned_data.data());
  }
  uint8_t* mutable_validity() { return owned_validity.data(); }
};

/// Returns zeroed buffers (all rows NULL, zero values) for `rows` values of `type`.
Vector Allocate(const LogicalType& type, int32_t rows) {
  Vector vector;
  vector.type = type;
  size_t bytes = static_cast<size_t>(type.PhysicalWidth()) * static_cast<size_t>(rows);
  vector.owned_data.assign(bytes / 8 + 1, 0);
  vector.owned_validity.assign(static_cast<size_t>(rows) + 1, 0);
  vector.data = reinterpret_cast<const uint8_t*>(vector.owned_data.data());
  vector.validity = vector.owned_validity.data();
  return vector;
}

struct Context {
  const Batch& input;
  int32_t rows;
  SluiceKernelContext kernel;
  /// The rows generated code would evaluate the current node on (null: all): those a filter
  /// kept, and inside CASE and COALESCE the rows that reach the branch. Only user-defined
  /// functions, which may fail or have effects, look at it; other nodes compute every row.
  const uint8_t* active = nullptr;
};

/// Restores Context::active when a scope that narrowed it ends.
class ActiveRows {
 public:
  explicit ActiveRows(Context& context) : context_(context), saved_(context.active) {
    rows_.assign(static_cast<size_t>(context.rows) + 1, 1);
    if (saved_ != nullptr) std::memcpy(rows_.data(), saved_, static_cast<size_t>(context.rows));
  }
  ~ActiveRows() { context_.active = saved_; }
  ActiveRows(const ActiveRows&) = delete;
  ActiveRows& operator=(const ActiveRows&) = delete;

  /// Makes the remaining rows the active ones.
  void Use() { context_.active = rows_.data(); }
  /// Removes the rows where `remove(row)` holds.
  template <typename Fn>
  void RemoveIf(Fn remove) {
    for (int32_t row = 0; row < context_.rows; ++row) {
      if (remove(row)) rows_[static_cast<size_t>(row)] = 0;
    }
  }
  const uint8_t* rows() const { return rows_.data(); }

 private:
  Context& context_;
  const uint8_t* saved_;
  std::vector<uint8_t> rows_;
};

Status Malformed(const Expr& expr, std::string_view reason) {
  return Status::Error(ErrorCode::kInternal,
                       fmt::format("malformed expression {}: {}", expr.ToString(), reason));
}

bool IsValidType(const LogicalType& type) {
  if (type.id() != TypeId::kDecimal) return true;
  return type.precision() >= 1 && type.precision() <= 38 && type.scale() >= 0 &&
         type.scale() <= type.precision();
}

// ---- element-wise loops ---------------------------------------------------------------------

/// Reads row `row` of `vector` as a T. A DECIMAL is read as an Int128 (`Int128`) whatever its
/// precision: a DECIMAL(p <= 18) column holds int64s, a wider one __int128s.
template <typename T>
T Load(const Vector& vector, int32_t row) {
  if constexpr (std::is_same_v<T, Int128>) {
    if (!vector.type.IsWideDecimal()) return vector.values<int64_t>()[row];
    Int128 value;
    std::memcpy(&value, vector.data + static_cast<size_t>(row) * sizeof(Int128), sizeof(value));
    return value;
  } else {
    return vector.values<T>()[row];
  }
}

/// Writes a T into row `row` of `out`; an Int128 into a DECIMAL column of either width (the
/// value has at most the column's precision, so it fits).
template <typename T>
void StoreAt(Vector* out, int32_t row, const T& value) {
  if constexpr (std::is_same_v<T, Int128>) {
    if (!out->type.IsWideDecimal()) {
      out->mutable_values<int64_t>()[row] = static_cast<int64_t>(value);
      return;
    }
    std::memcpy(reinterpret_cast<uint8_t*>(out->owned_data.data()) +
                    static_cast<size_t>(row) * sizeof(Int128),
                &value, sizeof(value));
  } else {
    out->mutable_values<T>()[row] = value;
  }
}

/// Applies `fn(in, &out) -> bool valid` to every non-NULL row; NULL in, NULL out.
template <typename In, typename Out, typename Fn>
void MapUnary(const Vector& a, int32_t rows, Vector* out, Fn fn) {
  uint8_t* validity = out->mutable_validity();
  for (int32_t row = 0; row < rows; ++row) {
    if (a.validity[row] == 0) continue;
    Out value{};
    bool valid = fn(Load<In>(a, row), &value);
    validity[row] = valid ? 1 : 0;
    StoreAt<Out>(out, row, valid ? value : Out{});
  }
}

/// MapBinary over operands of two physical types.
template <typename Left, typename Right, typename Out, typename Fn>
void MapBinaryMixedTyped(const Vector& a, const Vector& b, int32_t rows, Vector* out, Fn fn) {
  uint8_t* validity = out->mutable_validity();
  for (int32_t row = 0; row < rows; ++row) {
    if ((a.validity[row] & b.validity[row]) == 0) continue;
    Out value{};
    bool valid = fn(Load<Left>(a, row), Load<Right>(b, row), &value);
    validity[row] = valid ? 1 : 0;
    StoreAt<Out>(out, row, valid ? value : Out{});
  }
}

/// Applies `fn(left, right, &out) -> bool valid` where both are non-NULL; otherwise NULL.
template <typename In, typename Out, typename Fn>
void MapBinary(const Vector& a, const Vector& b, int32_t rows, Vector* out, Fn fn) {
  MapBinaryMixedTyped<In, In, Out>(a, b, rows, out, fn);
}

template <typename T>
T WrapAdd(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <typename T>
T WrapSubtract(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
}
template <typename T>
T WrapMultiply(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}
template <typename T>
T WrapNegate(T a) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U{0} - static_cast<U>(a));
}

// ---- arithmetic -----------------------------------------------------------------------------

template <typename T>
void IntegerArithmetic(FunctionId function, const Vector& a, const Vector& b, int32_t rows,
                       Vector* out) {
  switch (function) {
    case FunctionId::kAdd:
      MapBinary<T, T>(a, b, rows, out, [](T x, T y, T* r) {
        *r = WrapAdd(x, y);
        return true;
      });
      break;
    case FunctionId::kSubtract:
      MapBinary<T, T>(a, b, rows, out, [](T x, T y, T* r) {
        *r = WrapSubtract(x, y);
        return true;
      });
      break;
    case FunctionId::kMultiply:
      MapBinary<T, T>(a, b, rows, out, [](T x, T y, T* r) {
        *r = WrapMultiply(x, y);
        return true;
      });
      break;
    case FunctionId::kDivide:
      MapBinary<T, T>(a, b, rows, out, [](T x, T y, T* r) {
        if (y == 0) return false;
        *r = y == -1 ? WrapNegate(x) : static_cast<T>(x / y);
        return true;
      });
      break;
    default:  // kModulo
      MapBinary<T, T>(a, b, rows, out, [](T x, T y, T* r) {
        if (y == 0) return false;
        *r = y == -1 ? T{0} : static_cast<T>(x % y);
        return true;
      });
      break;
  }
}

void DoubleArithmetic(FunctionId function, const Vector& a, const Vector& b, int32_t rows,
                      Vector* out) {
  switch (function) {
    case FunctionId::kAdd:
      MapBinary<double, double>(a, b, rows, out, [](double x, double y, double* r) {
        *r = x + y;
        return true;
      });
      break;
    case FunctionId::kSubtract:
      MapBinary<double, double>(a, b, rows, out, [](double x, double y, double* r) {
        *r = x - y;
        return true;
      });
      break;
    case FunctionId::kMultiply:
      MapBinary<double, double>(a, b, rows, out, [](double x, double y, double* r) {
        *r = x * y;
        return true;
      });
      break;
    case FunctionId::kDivide:
      MapBinary<double, double>(a, b, rows, out, [](double x, double y, double* r) {
        *r = x / y;
        return true;
      });
      break;
    default:  // kModulo
      MapBinary<double, double>(a, b, rows, out, [](double x, double y, double* r) {
        if (y == 0.0) return false;
        *r = std::fmod(x, y);
        return true;
      });
      break;
  }
}

Result<Vector> Arithmetic(const Expr& expr, const Vector& a, const Vector& b, int32_t rows) {
  FunctionId function = expr.function;
  TypeId left = a.type.id(), right = b.type.id(), result = expr.type.id();
  Vector out = Allocate(expr.type, rows);
  bool additive = function == FunctionId::kAdd || function == FunctionId::kSubtract;
  if (a.type == b.type && a.type == expr.type &&
      (left == TypeId::kInt || left == TypeId::kBigint || left == TypeId::kDouble)) {
    if (left == TypeId::kInt) IntegerArithmetic<int32_t>(function, a, b, rows, &out);
    if (left == TypeId::kBigint) IntegerArithmetic<int64_t>(function, a, b, rows, &out);
    if (left == TypeId::kDouble) DoubleArithmetic(function, a, b, rows, &out);
    return out;
  }
  if (left == TypeId::kDecimal && right == TypeId::kDecimal && result == TypeId::kDecimal) {
    using DecimalFunction =
        uint8_t (*)(Int128, int32_t, Int128, int32_t, int32_t, int32_t, Int128*);
    DecimalFunction decimal_function = nullptr;
    switch (function) {
      case FunctionId::kAdd: decimal_function = sluice_decimal_add; break;
      case FunctionId::kSubtract: decimal_function = sluice_decimal_subtract; break;
      case FunctionId::kMultiply: decimal_function = sluice_decimal_multiply; break;
      case FunctionId::kDivide: decimal_function = sluice_decimal_divide; break;
      case FunctionId::kModulo: decimal_function = sluice_decimal_modulo; break;
      default: return Malformed(expr, "not a DECIMAL operation");
    }
    int32_t left_scale = a.type.scale(), right_scale = b.type.scale();
    int32_t precision = expr.type.precision(), scale = expr.type.scale();
    MapBinary<Int128, Int128>(a, b, rows, &out, [&](Int128 x, Int128 y, Int128* r) {
      return decimal_function(x, left_scale, y, right_scale, precision, scale, r) != 0;
    });
    return out;
  }
  // TIMESTAMP ± INTERVAL, INTERVAL + TIMESTAMP and INTERVAL ± INTERVAL add milliseconds;
  // INTERVAL * BIGINT and BIGINT * INTERVAL multiply them (wrapping).
  const bool moves =
      additive &&
      ((left == TypeId::kTimestamp && right == TypeId::kInterval && result == TypeId::kTimestamp) ||
       (function == FunctionId::kAdd && left == TypeId::kInterval && right == TypeId::kTimestamp &&
        result == TypeId::kTimestamp) ||
       (left == TypeId::kInterval && right == TypeId::kInterval && result == TypeId::kInterval));
  const bool scales = function == FunctionId::kMultiply && result == TypeId::kInterval &&
                      ((left == TypeId::kInterval && right == TypeId::kBigint) ||
                       (left == TypeId::kBigint && right == TypeId::kInterval));
  const bool temporal = moves || scales;
  if (!temporal) {
    return Malformed(
        expr, fmt::format("no {} over {} and {} giving {}", functions::FunctionName(function),
                          a.type.ToString(), b.type.ToString(), expr.type.ToString()));
  }
  IntegerArithmetic<int64_t>(function, a, b, rows, &out);
  return out;
}

Result<Vector> NegateOrAbs(const Expr& expr, const Vector& a, int32_t rows) {
  if (a.type != expr.type) return Malformed(expr, "result type differs from the operand's");
  bool negate = expr.function == FunctionId::kNegate;
  Vector out = Allocate(expr.type, rows);
  auto integer = [&](auto tag) {
    using T = decltype(tag);
    MapUnary<T, T>(a, rows, &out, [negate](T x, T* r) {
      *r = (negate || x < 0) ? WrapNegate(x) : x;
      return true;
    });
  };
  switch (a.type.id()) {
    case TypeId::kInt: integer(int32_t{}); break;
    case TypeId::kBigint:
    case TypeId::kInterval: integer(int64_t{}); break;
    case TypeId::kDecimal:
      // A DECIMAL's negation has its digits, so it never overflows.
      MapUnary<Int128, Int128>(a, rows, &out, [negate](Int128 x, Int128* r) {
        *r = (negate || x < 0) ? -x : x;
        return true;
      });
      break;
    case TypeId::kDouble:
      MapUnary<double, double>(a, rows, &out, [negate](double x, double* r) {
        *r = negate ? -x : std::fabs(x);
        return true;
      });
      break;
    default: return Malformed(expr, "operand is not numeric");
  }
  return out;
}

// ---- comparison -----------------------------------------------------------------------------

/// Orders doubles as SEMANTICS.md says: NaN equals NaN and is above everything; -0.0 == 0.0.
int CompareDouble(double x, double y) {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x == y) return 0;
  bool x_nan = std::isnan(x), y_nan = std::isnan(y);
  if (x_nan == y_nan) return 0;
  return x_nan ? 1 : -1;
}

template <typename T>
int CompareValues(const T& x, const T& y) {
  if constexpr (std::is_same_v<T, double>) {
    return CompareDouble(x, y);
  } else if constexpr (std::is_same_v<T, StringRef>) {
    return sluice_string_compare(&x, &y);
  } else {
    return x < y ? -1 : (x > y ? 1 : 0);
  }
}

bool Holds(FunctionId function, int order) {
  switch (function) {
    case FunctionId::kEqual: return order == 0;
    case FunctionId::kNotEqual: return order != 0;
    case FunctionId::kLess: return order < 0;
    case FunctionId::kLessEqual: return order <= 0;
    case FunctionId::kGreater: return order > 0;
    default: return order >= 0;  // kGreaterEqual
  }
}

template <typename T>
void CompareTyped(FunctionId function, const Vector& a, const Vector& b, int32_t rows,
                  Vector* out) {
  MapBinary<T, uint8_t>(a, b, rows, out, [function](const T& x, const T& y, uint8_t* r) {
    *r = Holds(function, CompareValues(x, y)) ? 1 : 0;
    return true;
  });
}

/// Whether two operand types compare directly: equal types, or two DECIMALs (by value).
bool SameComparableType(const LogicalType& left, const LogicalType& right) {
  if (left.id() == TypeId::kDecimal && right.id() == TypeId::kDecimal) return true;
  return left == right;
}

/// Orders row `row` of two DECIMAL vectors by value, whatever their scales.
int CompareDecimals(const Vector& a, const Vector& b, int32_t row) {
  return sluice_decimal_compare(Load<Int128>(a, row), a.type.scale(), Load<Int128>(b, row),
                                b.type.scale());
}

Result<Vector> Compare(const Expr& expr, const Vector& a, const Vector& b, int32_t rows) {
  if (expr.type.id() != TypeId::kBoolean) return Malformed(expr, "comparison is not BOOLEAN");
  if (!SameComparableType(a.type, b.type)) {
    return Malformed(expr,
                     fmt::format("compares {} with {}", a.type.ToString(), b.type.ToString()));
  }
  Vector out = Allocate(expr.type, rows);
  FunctionId function = expr.function;
  switch (a.type.id()) {
    case TypeId::kBoolean: CompareTyped<uint8_t>(function, a, b, rows, &out); break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: CompareTyped<int32_t>(function, a, b, rows, &out); break;
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kInterval: CompareTyped<int64_t>(function, a, b, rows, &out); break;
    case TypeId::kDecimal: {
      uint8_t* validity = out.mutable_validity();
      for (int32_t row = 0; row < rows; ++row) {
        if ((a.validity[row] & b.validity[row]) == 0) continue;
        validity[row] = 1;
        out.mutable_values<uint8_t>()[row] = Holds(function, CompareDecimals(a, b, row)) ? 1 : 0;
      }
      break;
    }
    case TypeId::kDouble: CompareTyped<double>(function, a, b, rows, &out); break;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset: CompareTyped<StringRef>(function, a, b, rows, &out); break;
    default: return Malformed(expr, "type is not comparable");
  }
  return out;
}

// ---- logic ----------------------------------------------------------------------------------

bool IsTrue(const Vector& vector, int32_t row) {
  return vector.validity[row] != 0 && vector.values<uint8_t>()[row] != 0;
}
bool IsFalse(const Vector& vector, int32_t row) {
  return vector.validity[row] != 0 && vector.values<uint8_t>()[row] == 0;
}

/// AND / OR with Kleene logic: a dominant value (FALSE for AND, TRUE for OR) wins over NULL.
Vector AndOr(const Expr& expr, const std::vector<Vector>& arguments, int32_t rows) {
  bool is_and = expr.function == FunctionId::kAnd;
  Vector out = Allocate(expr.type, rows);
  uint8_t* values = out.mutable_values<uint8_t>();
  uint8_t* validity = out.mutable_validity();
  for (int32_t row = 0; row < rows; ++row) {
    bool dominant = false, unknown = false;
    for (const Vector& argument : arguments) {
      if (argument.validity[row] == 0) {
        unknown = true;
      } else if ((argument.values<uint8_t>()[row] != 0) != is_and) {
        dominant = true;
      }
    }
    if (dominant) {
      validity[row] = 1;
      values[row] = is_and ? 0 : 1;
    } else if (!unknown) {
      validity[row] = 1;
      values[row] = is_and ? 1 : 0;
    }
  }
  return out;
}

Vector NullTest(const Expr& expr, const Vector& a, int32_t rows) {
  Vector out = Allocate(expr.type, rows);
  uint8_t* values = out.mutable_values<uint8_t>();
  uint8_t* validity = out.mutable_validity();
  for (int32_t row = 0; row < rows; ++row) {
    bool result = false;
    switch (expr.function) {
      case FunctionId::kIsNull: result = a.validity[row] == 0; break;
      case FunctionId::kIsNotNull: result = a.validity[row] != 0; break;
      case FunctionId::kIsTrue: result = IsTrue(a, row); break;
      default: result = IsFalse(a, row); break;  // kIsFalse
    }
    validity[row] = 1;
    values[row] = result ? 1 : 0;
  }
  return out;
}

// ---- strings --------------------------------------------------------------------------------

Result<Vector> StringFunction(const Expr& expr, const std::vector<Vector>& arguments,
                              Context& context) {
  int32_t rows = context.rows;
  SluiceKernelContext* kernel = &context.kernel;
  for (size_t i = 0; i < arguments.size(); ++i) {
    bool position = expr.function == FunctionId::kSubstring && i > 0;
    TypeId id = arguments[i].type.id();
    if (position ? !(id == TypeId::kInt || id == TypeId::kBigint) : id != TypeId::kVarchar) {
      return Malformed(expr,
                       fmt::format("argument {} has type {}", i + 1, arguments[i].type.ToString()));
    }
  }
  auto expect = [&](size_t minimum, size_t maximum, TypeId result) -> Status {
    if (arguments.size() < minimum || arguments.size() > maximum) {
      return Malformed(expr, "wrong number of arguments");
    }
    if (expr.type.id() != result) return Malformed(expr, "wrong result type");
    return Status::Ok();
  };
  const Vector& a = arguments[0];
  switch (expr.function) {
    case FunctionId::kConcat: {
      SLUICE_RETURN_IF_ERROR(expect(2, SIZE_MAX, TypeId::kVarchar));
      Vector out = Allocate(expr.type, rows);
      MapBinary<StringRef, StringRef>(a, arguments[1], rows, &out,
                                      [kernel](StringRef x, StringRef y, StringRef* r) {
                                        sluice_string_concat(kernel, &x, &y, r);
                                        return true;
                                      });
      for (size_t i = 2; i < arguments.size(); ++i) {
        Vector next = Allocate(expr.type, rows);
        MapBinary<StringRef, StringRef>(out, arguments[i], rows, &next,
                                        [kernel](StringRef x, StringRef y, StringRef* r) {
                                          sluice_string_concat(kernel, &x, &y, r);
                                          return true;
                                        });
        out = std::move(next);
      }
      return out;
    }
    case FunctionId::kTrim: {
      SLUICE_RETURN_IF_ERROR(expect(1, 1, TypeId::kVarchar));
      Vector out = Allocate(expr.type, rows);
      MapUnary<StringRef, StringRef>(a, rows, &out, [](StringRef x, StringRef* r) {
        sluice_string_trim(&x, r);
        return true;
      });
      return out;
    }
    case FunctionId::kCharLength: {
      if (arguments.size() != 1) return Malformed(expr, "wrong number of arguments");
      Vector out = Allocate(expr.type, rows);
      if (expr.type.id() == TypeId::kInt) {
        MapUnary<StringRef, int32_t>(a, rows, &out, [](StringRef x, int32_t* r) {
          *r = sluice_string_char_length(&x);
          return true;
        });
      } else if (expr.type.id() == TypeId::kBigint) {
        MapUnary<StringRef, int64_t>(a, rows, &out, [](StringRef x, int64_t* r) {
          *r = sluice_string_char_length(&x);
          return true;
        });
      } else {
        return Malformed(expr, "wrong result type");
      }
      return out;
    }
    case FunctionId::kSubstring: {
      SLUICE_RETURN_IF_ERROR(expect(2, 3, TypeId::kVarchar));
      auto position = [](const Vector& vector, int32_t row) -> int64_t {
        return vector.type.id() == TypeId::kInt ? vector.values<int32_t>()[row]
                                                : vector.values<int64_t>()[row];
      };
      Vector out = Allocate(expr.type, rows);
      StringRef* values = out.mutable_values<StringRef>();
      uint8_t* validity = out.mutable_validity();
      const StringRef* text = a.values<StringRef>();
      for (int32_t row = 0; row < rows; ++row) {
        if (a.validity[row] == 0 || arguments[1].validity[row] == 0) continue;
        int64_t length = -1;
        if (arguments.size() == 3) {
          if (arguments[2].validity[row] == 0) continue;
          length = position(arguments[2], row);
          if (length < 0) continue;  // a negative length is NULL, not "to the end"
        }
        sluice_string_substring(&text[row], position(arguments[1], row), length, &values[row]);
        validity[row] = 1;
      }
      return out;
    }
    default: {  // kLike
      SLUICE_RETURN_IF_ERROR(expect(2, 2, TypeId::kBoolean));
      Vector out = Allocate(expr.type, rows);
      MapBinary<StringRef, uint8_t>(a, arguments[1], rows, &out,
                                    [](StringRef x, StringRef y, uint8_t* r) {
                                      *r = sluice_string_like(&x, &y);
                                      return true;
                                    });
      return out;
    }
  }
}

// ---- date-time ------------------------------------------------------------------------------

/// Checks argument types and the result type of a function with a fixed signature.
Status ExpectSignature(const Expr& expr, const std::vector<Vector>& arguments,
                       std::initializer_list<TypeId> types, size_t optional, TypeId result) {
  if (arguments.size() > types.size() || arguments.size() + optional < types.size()) {
    return Malformed(expr, "wrong number of arguments");
  }
  size_t i = 0;
  for (TypeId id : types) {
    if (i >= arguments.size()) break;
    TypeId actual = arguments[i].type.id();
    bool integer = id == TypeId::kBigint && actual == TypeId::kInt;
    if (actual != id && !integer) {
      return Malformed(expr,
                       fmt::format("argument {} has type {}", i + 1, arguments[i].type.ToString()));
    }
    ++i;
  }
  if (expr.type.id() != result) return Malformed(expr, "wrong result type");
  return Status::Ok();
}

/// Reads an INT or BIGINT argument as int64.
int64_t IntegerAt(const Vector& vector, int32_t row) {
  return vector.type.id() == TypeId::kInt ? vector.values<int32_t>()[row]
                                          : vector.values<int64_t>()[row];
}

bool AllValid(const std::vector<Vector>& arguments, int32_t row) {
  for (const Vector& argument : arguments) {
    if (argument.validity[row] == 0) return false;
  }
  return true;
}

SluiceTimeField TimeFieldOf(FunctionId function) {
  switch (function) {
    case FunctionId::kYear: return SluiceTimeField::kYear;
    case FunctionId::kMonth: return SluiceTimeField::kMonth;
    case FunctionId::kDayOfMonth: return SluiceTimeField::kDay;
    case FunctionId::kHour: return SluiceTimeField::kHour;
    case FunctionId::kMinute: return SluiceTimeField::kMinute;
    case FunctionId::kSecond: return SluiceTimeField::kSecond;
    default: return SluiceTimeField::kMillisecond;  // kMillisecond
  }
}

Result<Vector> DateTimeFunction(const Expr& expr, const std::vector<Vector>& arguments,
                                Context& context) {
  int32_t rows = context.rows;
  SluiceKernelContext* kernel = &context.kernel;
  Vector out = Allocate(expr.type, rows);
  switch (expr.function) {
    case FunctionId::kDateFormat: {
      SLUICE_RETURN_IF_ERROR(ExpectSignature(
          expr, arguments, {TypeId::kTimestamp, TypeId::kVarchar}, 0, TypeId::kVarchar));
      MapBinaryMixedTyped<int64_t, StringRef, StringRef>(
          arguments[0], arguments[1], rows, &out,
          [kernel](int64_t millis, StringRef pattern, StringRef* r) {
            return sluice_timestamp_format(kernel, millis, &pattern, r) != 0;
          });
      return out;
    }
    default: {  // the calendar fields
      SLUICE_RETURN_IF_ERROR(
          ExpectSignature(expr, arguments, {TypeId::kTimestamp}, 0, TypeId::kBigint));
      auto field = static_cast<int32_t>(TimeFieldOf(expr.function));
      MapUnary<int64_t, int64_t>(arguments[0], rows, &out, [field](int64_t millis, int64_t* r) {
        *r = sluice_timestamp_extract(millis, field);
        return true;
      });
      return out;
    }
  }
}

// ---- helper functions (functions.def) -------------------------------------------------------

Result<Vector> ValueHelperFunction(const Expr& expr, const std::vector<Vector>& arguments,
                                   Context& context, ValueHelper function);

/// Evaluates a function that is one helper call per row, by the helper's shape.
Result<Vector> HelperFunction(const Expr& expr, const std::vector<Vector>& arguments,
                              Context& context) {
  int32_t rows = context.rows;
  SluiceKernelContext* kernel = &context.kernel;
  void* helper = HelperAddressOf(expr.function);
  if (helper == nullptr) return Malformed(expr, "no helper");
  if (functions::IsValueShape(functions::HelperShapeOf(expr.function))) {
    return ValueHelperFunction(expr, arguments, context, reinterpret_cast<ValueHelper>(helper));
  }
  Vector out = Allocate(expr.type, rows);
  switch (functions::HelperShapeOf(expr.function)) {
    case functions::HelperShape::kStringToString: {
      SLUICE_RETURN_IF_ERROR(
          ExpectSignature(expr, arguments, {TypeId::kVarchar}, 0, TypeId::kVarchar));
      auto function = reinterpret_cast<StringToStringHelper>(helper);
      MapUnary<StringRef, StringRef>(arguments[0], rows, &out,
                                     [kernel, function](StringRef x, StringRef* r) {
                                       function(kernel, &x, r);
                                       return true;
                                     });
      return out;
    }
    case functions::HelperShape::kStringStringIndexToString: {
      size_t optional = 3 - static_cast<size_t>(functions::HelperMinArgumentsOf(expr.function));
      SLUICE_RETURN_IF_ERROR(ExpectSignature(expr, arguments,
                                             {TypeId::kVarchar, TypeId::kVarchar, TypeId::kBigint},
                                             optional, TypeId::kVarchar));
      auto function = reinterpret_cast<StringStringIndexToStringHelper>(helper);
      const StringRef* text = arguments[0].values<StringRef>();
      const StringRef* second = arguments[1].values<StringRef>();
      StringRef* values = out.mutable_values<StringRef>();
      uint8_t* validity = out.mutable_validity();
      for (int32_t row = 0; row < rows; ++row) {
        if (!AllValid(arguments, row)) continue;
        int64_t index = arguments.size() == 3 ? IntegerAt(arguments[2], row) : 0;
        uint8_t valid = function(&text[row], &second[row], index, &values[row]);
        validity[row] = valid;
        if (valid == 0) values[row] = StringRef{};
      }
      return out;
    }
    default: break;  // kNone; the value shapes, handled above
  }
  return Malformed(expr, "not a helper function");
}

// ---- conditional ----------------------------------------------------------------------------

/// Copies row `row` of `from` into `to` (same physical type), or leaves it NULL.
void CopyRow(const Vector& from, int32_t row, int32_t width, Vector* to) {
  if (from.validity[row] == 0) return;
  to->mutable_validity()[row] = 1;
  if (width > 0) {
    std::memcpy(
        reinterpret_cast<uint8_t*>(to->owned_data.data()) + static_cast<size_t>(row) * width,
        from.data + static_cast<size_t>(row) * width, static_cast<size_t>(width));
  }
}

Result<Vector> Coalesce(const Expr& expr, const std::vector<Vector>& arguments, int32_t rows) {
  if (arguments.empty()) return Malformed(expr, "COALESCE needs arguments");
  for (const Vector& argument : arguments) {
    if (argument.type != expr.type) return Malformed(expr, "argument type differs from result");
  }
  Vector out = Allocate(expr.type, rows);
  int32_t width = expr.type.PhysicalWidth();
  for (int32_t row = 0; row < rows; ++row) {
    for (const Vector& argument : arguments) {
      if (argument.validity[row] != 0) {
        CopyRow(argument, row, width, &out);
        break;
      }
    }
  }
  return out;
}

Result<Vector> NullIf(const Expr& expr, const std::vector<Vector>& arguments, int32_t rows) {
  if (arguments.size() != 2) return Malformed(expr, "NULLIF needs two arguments");
  if (arguments[0].type != expr.type) return Malformed(expr, "result type differs from operand");
  // NULLIF(a, b) = CASE WHEN a = b THEN NULL ELSE a END, with `=` as the comparison defines it.
  Expr equal = *plan::Expr::Call(FunctionId::kEqual, LogicalType::Boolean(), {});
  SLUICE_ASSIGN_OR_RETURN(Vector equals, Compare(equal, arguments[0], arguments[1], rows));
  Vector out = Allocate(expr.type, rows);
  int32_t width = expr.type.PhysicalWidth();
  for (int32_t row = 0; row < rows; ++row) {
    if (!IsTrue(equals, row)) CopyRow(arguments[0], row, width, &out);
  }
  return out;
}

/// GREATEST / LEAST: NULL when any operand is NULL, else the largest (smallest) by the order of
/// the comparison operators.
Result<Vector> GreatestLeast(const Expr& expr, const std::vector<Vector>& arguments, int32_t rows) {
  if (arguments.empty()) return Malformed(expr, "needs arguments");
  for (const Vector& argument : arguments) {
    if (!SameComparableType(argument.type, expr.type)) {
      return Malformed(expr, "argument type differs from result");
    }
  }
  bool greatest = expr.function == FunctionId::kGreatest;
  Vector out = Allocate(expr.type, rows);
  int32_t width = expr.type.PhysicalWidth();
  auto pick = [&](auto tag) {
    using T = decltype(tag);
    for (int32_t row = 0; row < rows; ++row) {
      if (!AllValid(arguments, row)) continue;
      size_t best = 0;
      for (size_t i = 1; i < arguments.size(); ++i) {
        int order = 0;
        if constexpr (std::is_same_v<T, Int128>) {
          order = CompareDecimals(arguments[i], arguments[best], row);
        } else {
          order = CompareValues(arguments[i].values<T>()[row], arguments[best].values<T>()[row]);
        }
        if (greatest ? order > 0 : order < 0) best = i;
      }
      CopyRow(arguments[best], row, width, &out);
    }
  };
  switch (expr.type.id()) {
    case TypeId::kBoolean: pick(uint8_t{}); break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: pick(int32_t{}); break;
    case TypeId::kBigint:
    case TypeId::kTimestamp: pick(int64_t{}); break;
    case TypeId::kDecimal:
      for (const Vector& argument : arguments) {
        if (argument.type != expr.type) return Malformed(expr, "argument type differs from result");
      }
      pick(Int128{});
      break;
    case TypeId::kDouble: pick(double{}); break;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset: pick(StringRef{}); break;
    default: return Malformed(expr, "type is not comparable");
  }
  return out;
}

SluiceRounding RoundingOf(FunctionId function) {
  switch (function) {
    case FunctionId::kTruncate: return SluiceRounding::kDown;
    case FunctionId::kFloor: return SluiceRounding::kFloor;
    case FunctionId::kCeil: return SluiceRounding::kCeiling;
    default: return SluiceRounding::kHalfUp;  // kRound
  }
}

/// ROUND, TRUNCATE, FLOOR, CEIL and SIGN, over INT, BIGINT, DOUBLE or DECIMAL.
Result<Vector> Rounding(const Expr& expr, const std::vector<Vector>& arguments, int32_t rows) {
  if (arguments.empty() || arguments.size() > 2)
    return Malformed(expr, "needs one or two arguments");
  const Vector& a = arguments[0];
  bool has_digits = arguments.size() == 2;
  if (has_digits && arguments[1].type.id() != TypeId::kInt) {
    return Malformed(expr, "digits are not INT");
  }
  TypeId type = a.type.id();
  if (type != expr.type.id() || (type != TypeId::kDecimal && a.type != expr.type)) {
    return Malformed(expr, "result type differs from the operand's");
  }
  bool sign = expr.function == FunctionId::kSign;
  auto mode = static_cast<int32_t>(RoundingOf(expr.function));
  Vector out = Allocate(expr.type, rows);
  uint8_t* validity = out.mutable_validity();
  for (int32_t row = 0; row < rows; ++row) {
    if (a.validity[row] == 0 || (has_digits && arguments[1].validity[row] == 0)) continue;
    int32_t digits = has_digits ? arguments[1].values<int32_t>()[row] : 0;
    validity[row] = 1;
    switch (type) {
      case TypeId::kInt: {
        int32_t x = a.values<int32_t>()[row];
        out.mutable_values<int32_t>()[row] =
            sign ? (x > 0) - (x < 0) : static_cast<int32_t>(sluice_round_integer(x, digits, mode));
        break;
      }
      case TypeId::kBigint: {
        int64_t x = a.values<int64_t>()[row];
        out.mutable_values<int64_t>()[row] =
            sign ? (x > 0) - (x < 0) : sluice_round_integer(x, digits, mode);
        break;
      }
      case TypeId::kDouble: {
        double x = a.values<double>()[row];
        out.mutable_values<double>()[row] =
            sign ? sluice_sign_double(x) : sluice_round_double(x, digits, mode);
        break;
      }
      case TypeId::kDecimal: {
        Int128 x = Load<Int128>(a, row);
        int32_t scale = a.type.scale();
        if (sign) {
          if (expr.type.scale() != scale) return Malformed(expr, "SIGN changes the scale");
          Int128 one = 1;
          for (int32_t i = 0; i < scale; ++i) one *= 10;
          StoreAt<Int128>(&out, row, x > 0 ? one : (x < 0 ? -one : 0));
          break;
        }
        if (std::max(std::min(digits, scale), 0) != expr.type.scale()) {
          return Malformed(expr, "the digits do not give the result's scale");
        }
        Int128 result = 0;
        validity[row] =
            sluice_round_decimal(x, scale, digits, mode, expr.type.precision(), &result);
        StoreAt<Int128>(&out, row, result);
        break;
      }
      default: return Malformed(expr, "operand is not numeric");
    }
  }
  return out;
}

// ---- user-defined functions -----------------------------------------------------------------

/// Writes `value` (normalized as sluice_call_udf does) into row `row` of `out`, of out's type.
void StoreValue(const SluiceUdfValue& value, int32_t row, Vector* out) {
  out->mutable_validity()[row] = 1;
  switch (out->type.id()) {
    case TypeId::kBoolean: out->mutable_values<uint8_t>()[row] = value.integer != 0; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime:
      out->mutable_values<int32_t>()[row] = static_cast<int32_t>(value.integer);
      break;
    case TypeId::kDouble: out->mutable_values<double>()[row] = value.real; break;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
      out->mutable_values<StringRef>()[row] = StringRef{value.data, value.length, 0};
      break;
    default: out->mutable_values<int64_t>()[row] = value.integer; break;
  }
}

/// Reads row `row` of `vector` as a UDF argument.
SluiceUdfValue UdfArgument(const Vector& vector, int32_t row) {
  SluiceUdfValue value{};
  if (vector.validity[row] == 0) {
    value.is_null = 1;
    return value;
  }
  switch (vector.type.id()) {
    case TypeId::kBoolean: value.integer = vector.values<uint8_t>()[row] != 0; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: value.integer = vector.values<int32_t>()[row]; break;
    case TypeId::kDouble: value.real = vector.values<double>()[row]; break;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset: {
      const StringRef& text = vector.values<StringRef>()[row];
      value.data = text.data;
      value.length = text.length;
      break;
    }
    default: value.integer = vector.values<int64_t>()[row]; break;  // BIGINT, TIMESTAMP
  }
  return value;
}

/// Calls a CREATE FUNCTION function once per active row through sluice_call_udf, as generated
/// code does; a failing call fails the chain with the function's message.
Result<Vector> UserCall(const Expr& expr, std::vector<Vector>& arguments, Context& context) {
  const UserFunction* function = expr.user_function.get();
  if (function == nullptr) return Malformed(expr, "a user-defined call without its function");
  if (!function->linked()) return Malformed(expr, "a user-defined function that is not linked");
  if (arguments.size() != function->argument_types.size()) {
    return Malformed(expr, "wrong number of arguments");
  }
  if (expr.type != function->return_type) return Malformed(expr, "wrong result type");
  int32_t rows = context.rows;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i].type.id() == TypeId::kNull) {
      arguments[i] = Allocate(function->argument_types[i], rows);
    } else if (arguments[i].type != function->argument_types[i]) {
      return Malformed(expr,
                       fmt::format("argument {} has type {}", i + 1, arguments[i].type.ToString()));
    }
  }
  Vector out = Allocate(expr.type, rows);
  std::vector<SluiceUdfValue> values(arguments.size());
  bool null_on_null_input = function->null_on_null_input();
  for (int32_t row = 0; row < rows; ++row) {
    if (context.active != nullptr && context.active[row] == 0) continue;
    bool any_null = false;
    for (size_t i = 0; i < arguments.size(); ++i) {
      values[i] = UdfArgument(arguments[i], row);
      any_null |= values[i].is_null != 0;
    }
    if (any_null && null_on_null_input) continue;
    SluiceUdfValue result;
    uint8_t valid = sluice_call_udf(&context.kernel, function, values.data(), &result);
    if (context.kernel.error != nullptr) {
      return Status::Error(ErrorCode::kRuntime, context.kernel.error);
    }
    if (valid == 0) continue;
    StoreValue(result, row, &out);
  }
  return out;
}

/// Evaluates a value-shaped helper function (functions::IsValueShape): one call per row whose
/// arguments are all non-NULL, as generated code makes it.
Result<Vector> ValueHelperFunction(const Expr& expr, const std::vector<Vector>& arguments,
                                   Context& context, ValueHelper function) {
  auto is_value_type = [](TypeId id) {
    return id == TypeId::kBoolean || id == TypeId::kInt || id == TypeId::kBigint ||
           id == TypeId::kDouble || id == TypeId::kVarchar || id == TypeId::kTimestamp ||
           id == TypeId::kDate || id == TypeId::kTime || id == TypeId::kArray ||
           id == TypeId::kMap || id == TypeId::kMultiset || id == TypeId::kDecimal ||
           id == TypeId::kInterval || id == TypeId::kBinary;
  };
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (!is_value_type(arguments[i].type.id())) {
      return Malformed(expr,
                       fmt::format("argument {} has type {}", i + 1, arguments[i].type.ToString()));
    }
  }
  if (!is_value_type(expr.type.id())) return Malformed(expr, "wrong result type");
  int32_t rows = context.rows;
  Vector out = Allocate(expr.type, rows);
  std::vector<SluiceUdfValue> values(arguments.size() + 1);
  auto count = static_cast<int32_t>(arguments.size());
  // A nullable shape sees NULL arguments (is_null set); the others are skipped for them.
  bool nullable =
      functions::HelperShapeOf(expr.function) == functions::HelperShape::kValueTypedNullable;
  for (int32_t row = 0; row < rows; ++row) {
    if (context.active != nullptr && context.active[row] == 0) continue;
    if (!nullable && !AllValid(arguments, row)) continue;
    for (size_t i = 0; i < arguments.size(); ++i) values[i] = UdfArgument(arguments[i], row);
    SluiceUdfValue result{};
    if (function(&context.kernel, values.data(), count, &result) == 0) {
      if (context.kernel.error != nullptr) {
        return Status::Error(ErrorCode::kRuntime, context.kernel.error);
      }
      continue;
    }
    StoreValue(result, row, &out);
  }
  return out;
}

// ---- casts ----------------------------------------------------------------------------------

Result<Vector> CastToVarchar(const Expr& expr, const Vector& in, Context& context) {
  int32_t rows = context.rows;
  SluiceKernelContext* kernel = &context.kernel;
  Vector out = Allocate(expr.type, rows);
  StringRef* values = out.mutable_values<StringRef>();
  uint8_t* validity = out.mutable_validity();
  int32_t scale = in.type.scale();
  for (int32_t row = 0; row < rows; ++row) {
    if (in.validity[row] == 0) continue;
    validity[row] = 1;
    switch (in.type.id()) {
      case TypeId::kBoolean:
        sluice_cast_boolean_to_string(kernel, in.values<uint8_t>()[row] != 0, &values[row]);
        break;
      case TypeId::kInt:
        sluice_cast_bigint_to_string(kernel, in.values<int32_t>()[row], &values[row]);
        break;
      case TypeId::kBigint:
        sluice_cast_bigint_to_string(kernel, in.values<int64_t>()[row], &values[row]);
        break;
      case TypeId::kDouble:
        if (in.type.IsFloat()) {
          sluice_cast_float_to_string(kernel, in.values<double>()[row], &values[row]);
        } else {
          sluice_cast_double_to_string(kernel, in.values<double>()[row], &values[row]);
        }
        break;
      case TypeId::kDecimal:
        sluice_cast_decimal_to_string(kernel, Load<Int128>(in, row), scale, &values[row]);
        break;
      case TypeId::kTimestamp:
        sluice_cast_timestamp_to_string(kernel, in.values<int64_t>()[row], &values[row]);
        break;
      case TypeId::kInterval:
        sluice_cast_interval_to_string(kernel, in.values<int64_t>()[row], &values[row]);
        break;
      case TypeId::kDate:
        sluice_cast_date_to_string(kernel, in.values<int32_t>()[row], &values[row]);
        break;
      case TypeId::kTime:
        sluice_cast_time_to_string(kernel, in.values<int32_t>()[row], &values[row]);
        break;
      default: return Malformed(expr, "no cast to VARCHAR");
    }
  }
  return out;
}

Result<Vector> CastFromVarchar(const Expr& expr, const Vector& in, int32_t rows) {
  Vector out = Allocate(expr.type, rows);
  int32_t precision = expr.type.precision(), scale = expr.type.scale();
  switch (expr.type.id()) {
    case TypeId::kBoolean:
      MapUnary<StringRef, uint8_t>(in, rows, &out, [](StringRef x, uint8_t* r) {
        return sluice_cast_string_to_boolean(&x, r) != 0;
      });
      break;
    case TypeId::kInt:
      MapUnary<StringRef, int32_t>(in, rows, &out, [](StringRef x, int32_t* r) {
        return sluice_cast_string_to_int(&x, r) != 0;
      });
      break;
    case TypeId::kBigint:
      MapUnary<StringRef, int64_t>(in, rows, &out, [](StringRef x, int64_t* r) {
        return sluice_cast_string_to_bigint(&x, r) != 0;
      });
      break;
    case TypeId::kDouble:
      MapUnary<StringRef, double>(in, rows, &out, [](StringRef x, double* r) {
        return sluice_cast_string_to_double(&x, r) != 0;
      });
      break;
    case TypeId::kDecimal:
      MapUnary<StringRef, Int128>(in, rows, &out, [precision, scale](StringRef x, Int128* r) {
        return sluice_cast_string_to_decimal(&x, precision, scale, r) != 0;
      });
      break;
    case TypeId::kTimestamp:
      MapUnary<StringRef, int64_t>(in, rows, &out, [](StringRef x, int64_t* r) {
        return sluice_cast_string_to_timestamp(&x, r) != 0;
      });
      break;
    case TypeId::kInterval:
      MapUnary<StringRef, int64_t>(in, rows, &out, [](StringRef x, int64_t* r) {
        return sluice_cast_string_to_interval(&x, r) != 0;
      });
      break;
    case TypeId::kDate:
      MapUnary<StringRef, int32_t>(in, rows, &out, [](StringRef x, int32_t* r) {
        return sluice_cast_string_to_date(&x, r) != 0;
      });
      break;
    case TypeId::kTime:
      MapUnary<StringRef, int32_t>(in, rows, &out, [](StringRef x, int32_t* r) {
        return sluice_cast_string_to_time(&x, r) != 0;
      });
      break;
    default: return Malformed(expr, "no cast from VARCHAR");
  }
  return out;
}

/// Casts between numbers, BOOLEAN and TIMESTAMP (everything but strings).
Result<Vector> CastScalar(const Expr& expr, const Vector& in, int32_t rows) {
  TypeId from = in.type.id(), to = expr.type.id();
  int32_t from_scale = in.type.scale();
  int32_t precision = expr.type.precision(), scale = expr.type.scale();
  Vector out = Allocate(expr.type, rows);
  bool from_integer = from == TypeId::kInt || from == TypeId::kBigint;
  auto from_integers = [&](auto target_tag, auto fn) {
    using Out = decltype(target_tag);
    if (from == TypeId::kInt) {
      MapUnary<int32_t, Out>(in, rows, &out, [&](int32_t x, Out* r) { return fn(int64_t{x}, r); });
    } else {
      MapUnary<int64_t, Out>(in, rows, &out, fn);
    }
  };
  if (from_integer && to == TypeId::kInt) {
    from_integers(int32_t{}, [](int64_t x, int32_t* r) {
      *r = static_cast<int32_t>(x);  // BIGINT → INT keeps the low 32 bits
      return true;
    });
  } else if (from_integer && to == TypeId::kBigint) {
    from_integers(int64_t{}, [](int64_t x, int64_t* r) {
      *r = x;
      return true;
    });
  } else if (from_integer && to == TypeId::kDouble) {
    from_integers(double{}, [](int64_t x, double* r) {
      *r = static_cast<double>(x);
      return true;
    });
  } else if (from_integer && to == TypeId::kDecimal) {
    from_integers(Int128{}, [precision, scale](int64_t x, Int128* r) {
      return sluice_cast_bigint_to_decimal(x, precision, scale, r) != 0;
    });
  } else if (from_integer && to == TypeId::kBoolean) {
    from_integers(uint8_t{}, [](int64_t x, uint8_t* r) {
      *r = x != 0;
      return true;
    });
  } else if (from == TypeId::kBigint && to == TypeId::kTimestamp) {
    MapUnary<int64_t, int64_t>(in, rows, &out, [](int64_t x, int64_t* r) {
      *r = x;
      return true;
    });
  } else if (from == TypeId::kTimestamp && to == TypeId::kBigint) {
    MapUnary<int64_t, int64_t>(in, rows, &out, [](int64_t x, int64_t* r) {
      *r = x;
      return true;
    });
  } else if (from == TypeId::kDate && to == TypeId::kTimestamp) {
    MapUnary<int32_t, int64_t>(in, rows, &out, [](int32_t x, int64_t* r) {
      *r = sluice_date_to_timestamp(x);
      return true;
    });
  } else if (from == TypeId::kTime && to == TypeId::kTimestamp) {
    MapUnary<int32_t, int64_t>(in, rows, &out, [](int32_t x, int64_t* r) {
      *r = x;  // on 1970-01-01
      return true;
    });
  } else if (from == TypeId::kTimestamp && to == TypeId::kDate) {
    MapUnary<int64_t, int32_t>(in, rows, &out, [](int64_t x, int32_t* r) {
      *r = sluice_timestamp_to_date(x);
      return true;
    });
  } else if (from == TypeId::kTimestamp && to == TypeId::kTime) {
    MapUnary<int64_t, int32_t>(in, rows, &out, [](int64_t x, int32_t* r) {
      *r = sluice_timestamp_to_time(x);
      return true;
    });
  } else if (from == TypeId::kBoolean && (to == TypeId::kInt || to == TypeId::kBigint)) {
    if (to == TypeId::kInt) {
      MapUnary<uint8_t, int32_t>(in, rows, &out, [](uint8_t x, int32_t* r) {
        *r = x != 0;
        return true;
      });
    } else {
      MapUnary<uint8_t, int64_t>(in, rows, &out, [](uint8_t x, int64_t* r) {
        *r = x != 0;
        return true;
      });
    }
  } else if (from == TypeId::kDouble && to == TypeId::kInt) {
    MapUnary<double, int32_t>(
        in, rows, &out, [](double x, int32_t* r) { return sluice_cast_double_to_int(x, r) != 0; });
  } else if (from == TypeId::kDouble && to == TypeId::kBigint) {
    MapUnary<double, int64_t>(in, rows, &out, [](double x, int64_t* r) {
      return sluice_cast_double_to_bigint(x, r) != 0;
    });
  } else if (from == TypeId::kDouble && to == TypeId::kDecimal) {
    MapUnary<double, Int128>(in, rows, &out, [precision, scale](double x, Int128* r) {
      return sluice_cast_double_to_decimal(x, precision, scale, r) != 0;
    });
  } else if (from == TypeId::kDecimal && to == TypeId::kDecimal) {
    MapUnary<Int128, Int128>(in, rows, &out, [=](Int128 x, Int128* r) {
      return sluice_cast_decimal_to_decimal(x, from_scale, precision, scale, r) != 0;
    });
  } else if (from == TypeId::kDecimal && to == TypeId::kBigint) {
    MapUnary<Int128, int64_t>(in, rows, &out, [from_scale](Int128 x, int64_t* r) {
      return sluice_cast_decimal_to_bigint(x, from_scale, r) != 0;
    });
  } else if (from == TypeId::kDecimal && to == TypeId::kInt) {
    MapUnary<Int128, int32_t>(in, rows, &out, [from_scale](Int128 x, int32_t* r) {
      int64_t integral;
      if (sluice_cast_decimal_to_bigint(x, from_scale, &integral) == 0) return false;
      *r = static_cast<int32_t>(integral);  // wraps, as BIGINT → INT does
      return true;
    });
  } else if (from == TypeId::kDecimal && to == TypeId::kDouble) {
    MapUnary<Int128, double>(in, rows, &out, [from_scale](Int128 x, double* r) {
      *r = sluice_cast_decimal_to_double(x, from_scale);
      return true;
    });
  } else {
    return Malformed(
        expr, fmt::format("no cast from {} to {}", in.type.ToString(), expr.type.ToString()));
  }
  return out;
}

Result<Vector> Evaluate(const Expr& expr, Context& context);

Result<Vector> CastVector(const Expr& expr, Vector in, Context& context);

/// A cast from or to TINYINT, SMALLINT or FLOAT: the cast between the types whose storage they
/// share, then narrowed as Java's primitive casts narrow (the low 8 or 16 bits, the nearest
/// float); text that reads as a number out of a TINYINT's or SMALLINT's range is no value.
Result<Vector> CastNarrow(const Expr& expr, Vector in, Context& context) {
  if (expr.type.id() == TypeId::kVarchar) return CastToVarchar(expr, in, context);  // FLOAT's
  const bool from_text = in.type.id() == TypeId::kVarchar;
  Vector wide;
  if (in.type.Widened() == expr.type.Widened()) {
    wide = std::move(in);
  } else {
    Expr wide_cast = expr;
    wide_cast.type = expr.type.Widened();
    in.type = in.type.Widened();
    SLUICE_ASSIGN_OR_RETURN(wide, CastVector(wide_cast, std::move(in), context));
  }
  if (!expr.type.IsNarrowNumeric()) {
    wide.type = expr.type;  // a widening: the stored values are the wide type's
    return wide;
  }
  const int32_t rows = context.rows;
  Vector out = Allocate(expr.type, rows);
  if (expr.type.IsFloat()) {
    MapUnary<double, double>(wide, rows, &out, [](double x, double* r) {
      *r = static_cast<double>(static_cast<float>(x));
      return true;
    });
    return out;
  }
  const bool tiny = expr.type.IsTinyint();
  MapUnary<int32_t, int32_t>(wide, rows, &out, [tiny, from_text](int32_t x, int32_t* r) {
    *r = tiny ? int32_t{static_cast<int8_t>(x)} : int32_t{static_cast<int16_t>(x)};
    return !from_text || *r == x;
  });
  return out;
}

Result<Vector> EvaluateCast(const Expr& expr, Context& context) {
  if (expr.arguments.size() != 1 || !expr.arguments[0]) {
    return Malformed(expr, "CAST needs one operand");
  }
  SLUICE_ASSIGN_OR_RETURN(Vector in, Evaluate(*expr.arguments[0], context));
  return CastVector(expr, std::move(in), context);
}

Result<Vector> CastVector(const Expr& expr, Vector in, Context& context) {
  if (!types::IsExplicitlyCastable(in.type, expr.type)) {
    return Malformed(
        expr, fmt::format("no cast from {} to {}", in.type.ToString(), expr.type.ToString()));
  }
  if (in.type == expr.type) return in;
  if ((in.type.IsNarrowNumeric() || expr.type.IsNarrowNumeric()) && in.type.id() != TypeId::kNull) {
    return CastNarrow(expr, std::move(in), context);
  }
  if (in.type.id() == TypeId::kTimestamp && expr.type.id() == TypeId::kTimestamp) {
    in.type = expr.type;  // TIMESTAMP ↔ TIMESTAMP_LTZ keeps the stored value
    return in;
  }
  if (in.type.id() == TypeId::kNull || expr.type.id() == TypeId::kNull) {
    return Allocate(expr.type, context.rows);
  }
  if (in.type.id() == TypeId::kVarchar && expr.type.id() == TypeId::kBinary) {
    in.type = expr.type;  // a string's UTF-8 bytes (Flink's StringToBinaryCastRule)
    return in;
  }
  if (in.type.id() == TypeId::kBinary && expr.type.id() == TypeId::kVarchar) {
    Vector out = Allocate(expr.type, context.rows);
    MapUnary<StringRef, StringRef>(in, context.rows, &out, [](StringRef x, StringRef* r) {
      return sluice_cast_binary_to_string(&x, r) != 0;
    });
    return out;
  }
  if (expr.type.id() == TypeId::kVarchar) return CastToVarchar(expr, in, context);
  if (in.type.id() == TypeId::kVarchar) return CastFromVarchar(expr, in, context.rows);
  return CastScalar(expr, in, context.rows);
}

// ---- nodes ----------------------------------------------------------------------------------

Result<Vector> EvaluateLiteral(const Expr& expr, Context& context) {
  const plan::Value& value = expr.literal;
  if (value.type != expr.type) return Malformed(expr, "literal type differs from the node's");
  int32_t rows = context.rows;
  Vector out = Allocate(expr.type, rows);
  if (value.is_null) return out;
  auto fill = [&](auto constant) {
    using T = decltype(constant);
    T* values = out.mutable_values<T>();
    for (int32_t row = 0; row < rows; ++row) values[row] = constant;
  };
  switch (expr.type.id()) {
    case TypeId::kBoolean: fill(static_cast<uint8_t>(value.integer != 0)); break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: fill(static_cast<int32_t>(value.integer)); break;
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kInterval: fill(value.integer); break;
    case TypeId::kDecimal:
      for (int32_t row = 0; row < rows; ++row) StoreAt<Int128>(&out, row, value.Unscaled());
      break;
    case TypeId::kDouble: fill(value.real); break;
    // One copy per batch in the output arena, so results never point into the plan.
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset: fill(context.kernel.arena->Copy(value.text)); break;
    default: return Malformed(expr, "no literal of this type");
  }
  std::memset(out.mutable_validity(), 1, static_cast<size_t>(rows));
  return out;
}

Result<Vector> EvaluateColumn(const Expr& expr, Context& context) {
  if (expr.column_index < 0 ||
      static_cast<size_t>(expr.column_index) >= context.input.column_count()) {
    return Malformed(expr, "column index out of range");
  }
  const Column& column = context.input.column(static_cast<size_t>(expr.column_index));
  if (column.type() != expr.type) {
    return Malformed(expr, fmt::format("column has type {}", column.type().ToString()));
  }
  Vector view;
  view.type = expr.type;
  view.data = column.data();
  view.validity = column.validity();
  return view;
}

Result<Vector> EvaluateCase(const Expr& expr, Context& context) {
  size_t count = expr.arguments.size();
  if (count % 2 == 0) return Malformed(expr, "CASE needs WHEN/THEN pairs and an ELSE");
  std::vector<Vector> arguments;
  arguments.reserve(count);
  // As generated code: a condition is evaluated on the rows no earlier WHEN took, a result
  // on the rows that chose it (this matters only to user-defined functions).
  ActiveRows undecided(context);
  std::vector<uint8_t> chosen;
  for (size_t i = 0; i < count; ++i) {
    if (!expr.arguments[i]) return Malformed(expr, "missing CASE operand");
    bool is_condition = i % 2 == 0 && i + 1 < count;
    if (is_condition || i + 1 == count) {
      undecided.Use();
    } else {
      context.active = chosen.data();
    }
    SLUICE_ASSIGN_OR_RETURN(Vector argument, Evaluate(*expr.arguments[i], context));
    if (argument.type.id() == TypeId::kNull) {
      argument = Allocate(is_condition ? LogicalType::Boolean() : expr.type, context.rows);
    }
    if (is_condition ? argument.type.id() != TypeId::kBoolean : argument.type != expr.type) {
      return Malformed(expr,
                       fmt::format("CASE operand {} has type {}", i + 1, argument.type.ToString()));
    }
    if (is_condition) {
      chosen.assign(undecided.rows(), undecided.rows() + context.rows + 1);
      for (int32_t row = 0; row < context.rows; ++row) {
        if (!IsTrue(argument, row)) chosen[static_cast<size_t>(row)] = 0;
      }
      undecided.RemoveIf([&](int32_t row) { return IsTrue(argument, row); });
    }
    arguments.push_back(std::move(argument));
  }
  int32_t rows = context.rows;
  int32_t width = expr.type.PhysicalWidth();
  Vector out = Allocate(expr.type, rows);
  for (int32_t row = 0; row < rows; ++row) {
    size_t chosen = count - 1;
    for (size_t i = 0; i + 1 < count; i += 2) {
      if (IsTrue(arguments[i], row)) {
        chosen = i + 1;
        break;
      }
    }
    CopyRow(arguments[chosen], row, width, &out);
  }
  return out;
}

/// The type a NULL-typed argument of a non-strict function stands for.
LogicalType PlaceholderType(const Expr& expr, const std::vector<Vector>& arguments) {
  switch (expr.function) {
    case FunctionId::kAnd:
    case FunctionId::kOr:
    case FunctionId::kIsTrue:
    case FunctionId::kIsFalse: return LogicalType::Boolean();
    case FunctionId::kIsNull:
    case FunctionId::kIsNotNull: return LogicalType::Null();
    case FunctionId::kNullIf:
      return arguments[0].type.id() == TypeId::kNull ? expr.type : arguments[0].type;
    default: return expr.type;  // kCoalesce
  }
}

Result<Vector> EvaluateCall(const Expr& expr, Context& context) {
  std::vector<Vector> arguments;
  arguments.reserve(expr.arguments.size());
  // As generated code, COALESCE evaluates an argument only on rows where all before it are
  // NULL (this matters only to user-defined functions).
  std::optional<ActiveRows> pending;
  if (expr.function == FunctionId::kCoalesce) pending.emplace(context);
  for (const plan::ExprPtr& argument : expr.arguments) {
    if (!argument) return Malformed(expr, "missing argument");
    if (pending) {
      if (!arguments.empty()) {
        const Vector& previous = arguments.back();
        pending->RemoveIf([&](int32_t row) { return previous.validity[row] != 0; });
      }
      pending->Use();
    }
    SLUICE_ASSIGN_OR_RETURN(Vector value, Evaluate(*argument, context));
    arguments.push_back(std::move(value));
  }
  if (expr.function == FunctionId::kUserDefined) return UserCall(expr, arguments, context);
  int32_t rows = context.rows;
  // A NULL-typed argument (a bare NULL literal the binder left untyped) is a NULL of whatever
  // type the function expects: strict functions return NULL, the others see an all-NULL column.
  for (Vector& argument : arguments) {
    if (argument.type.id() != TypeId::kNull) continue;
    if (functions::IsNullPropagating(expr.function)) return Allocate(expr.type, rows);
    argument = Allocate(PlaceholderType(expr, arguments), rows);
  }
  if (functions::HelperShapeOf(expr.function) != functions::HelperShape::kNone) {
    return HelperFunction(expr, arguments, context);
  }
  auto arity = [&](size_t count) { return arguments.size() == count; };
  auto boolean_result = [&]() { return expr.type.id() == TypeId::kBoolean; };
  switch (expr.function) {
    case FunctionId::kAdd:
    case FunctionId::kSubtract:
    case FunctionId::kMultiply:
    case FunctionId::kDivide:
    case FunctionId::kModulo:
      if (!arity(2)) return Malformed(expr, "needs two arguments");
      return Arithmetic(expr, arguments[0], arguments[1], rows);
    case FunctionId::kNegate:
    case FunctionId::kAbs:
      if (!arity(1)) return Malformed(expr, "needs one argument");
      return NegateOrAbs(expr, arguments[0], rows);
    case FunctionId::kEqual:
    case FunctionId::kNotEqual:
    case FunctionId::kLess:
    case FunctionId::kLessEqual:
    case FunctionId::kGreater:
    case FunctionId::kGreaterEqual:
      if (!arity(2)) return Malformed(expr, "needs two arguments");
      return Compare(expr, arguments[0], arguments[1], rows);
    case FunctionId::kAnd:
    case FunctionId::kOr:
    case FunctionId::kNot:
    case FunctionId::kIsTrue:
    case FunctionId::kIsFalse: {
      bool unary = expr.function != FunctionId::kAnd && expr.function != FunctionId::kOr;
      if (unary ? !arity(1) : arguments.size() < 2) {
        return Malformed(expr, "wrong number of arguments");
      }
      if (!boolean_result()) return Malformed(expr, "result is not BOOLEAN");
      for (const Vector& argument : arguments) {
        if (argument.type.id() != TypeId::kBoolean) {
          return Malformed(expr, "operand is not BOOLEAN");
        }
      }
      if (expr.function == FunctionId::kNot) {
        Vector out = Allocate(expr.type, rows);
        MapUnary<uint8_t, uint8_t>(arguments[0], rows, &out, [](uint8_t x, uint8_t* r) {
          *r = x == 0;
          return true;
        });
        return out;
      }
      if (unary) return NullTest(expr, arguments[0], rows);
      return AndOr(expr, arguments, rows);
    }
    case FunctionId::kIsNull:
    case FunctionId::kIsNotNull:
      if (!arity(1)) return Malformed(expr, "needs one argument");
      if (!boolean_result()) return Malformed(expr, "result is not BOOLEAN");
      return NullTest(expr, arguments[0], rows);
    case FunctionId::kConcat:
    case FunctionId::kCharLength:
    case FunctionId::kSubstring:
    case FunctionId::kTrim:
    case FunctionId::kLike:
      if (arguments.empty()) return Malformed(expr, "needs arguments");
      return StringFunction(expr, arguments, context);
    case FunctionId::kRow: {
      // A ROW slot: validity only, valid where the first argument is TRUE.
      if (arguments.empty() || expr.type.id() != TypeId::kRow ||
          arguments[0].type.id() != TypeId::kBoolean) {
        return Malformed(expr, "ROW takes a BOOLEAN first and gives a ROW");
      }
      Vector out = Allocate(expr.type, rows);
      for (int32_t row = 0; row < rows; ++row) {
        out.mutable_validity()[row] = IsTrue(arguments[0], row) ? 1 : 0;
      }
      return out;
    }
    case FunctionId::kCoalesce: return Coalesce(expr, arguments, rows);
    case FunctionId::kGreatest:
    case FunctionId::kLeast: return GreatestLeast(expr, arguments, rows);
    case FunctionId::kConcatWs: {
      if (arguments.size() < 2 || expr.type.id() != TypeId::kVarchar) {
        return Malformed(expr, "CONCAT_WS needs a separator and strings, giving VARCHAR");
      }
      for (const Vector& argument : arguments) {
        if (argument.type.id() != TypeId::kVarchar)
          return Malformed(expr, "operand is not VARCHAR");
      }
      Vector out = Allocate(expr.type, rows);
      std::vector<SluiceUdfValue> values(arguments.size());
      for (int32_t row = 0; row < rows; ++row) {
        if (arguments[0].validity[row] == 0) continue;
        for (size_t i = 0; i < arguments.size(); ++i) values[i] = UdfArgument(arguments[i], row);
        sluice_concat_ws(&context.kernel, values.data(), static_cast<int32_t>(values.size()),
                         &out.mutable_values<StringRef>()[row]);
        out.mutable_validity()[row] = 1;
      }
      return out;
    }
    case FunctionId::kRound:
    case FunctionId::kTruncate:
    case FunctionId::kFloor:
    case FunctionId::kCeil:
    case FunctionId::kSign: return Rounding(expr, arguments, rows);
    case FunctionId::kNullIf: return NullIf(expr, arguments, rows);
    case FunctionId::kDateFormat:
    case FunctionId::kYear:
    case FunctionId::kMonth:
    case FunctionId::kDayOfMonth:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kSecond:
    case FunctionId::kMillisecond: return DateTimeFunction(expr, arguments, context);
    case FunctionId::kProctime: {
      if (!arguments.empty() || expr.type.id() != TypeId::kTimestamp) {
        return Malformed(expr, "PROCTIME() takes no arguments and returns TIMESTAMP");
      }
      // One reading per batch: the rows of a batch arrive together.
      Vector out = Allocate(expr.type, rows);
      int64_t now = sluice_current_millis();
      auto* values = reinterpret_cast<int64_t*>(out.owned_data.data());
      for (int32_t row = 0; row < rows; ++row) {
        values[row] = now;
        out.owned_validity[row] = 1;
      }
      return out;
    }
    case FunctionId::kUserDefined: break;  // handled above
    default: break;                        // the helper functions, handled above by their shape
  }
  return Malformed(expr, "unknown function");
}

Result<Vector> Evaluate(const Expr& expr, Context& context) {
  if (!IsValidType(expr.type)) return Malformed(expr, "invalid DECIMAL precision or scale");
  switch (expr.kind) {
    case ExprKind::kColumn: return EvaluateColumn(expr, context);
    case ExprKind::kLiteral: return EvaluateLiteral(expr, context);
    case ExprKind::kCall: return EvaluateCall(expr, context);
    case ExprKind::kCast: return EvaluateCast(expr, context);
    case ExprKind::kCase: return EvaluateCase(expr, context);
  }
  return Malformed(expr, "unknown expression kind");
}

}  // namespace

Status EvaluateChain(const plan::ChainSpec& spec, const Batch& input, Batch* output) {
  if (output->column_count() != spec.projections.size()) {
    return Status::Error(ErrorCode::kInternal,
                         fmt::format("chain output has {} columns for {} projections",
                                     output->column_count(), spec.projections.size()));
  }
  for (size_t i = 0; i < spec.projections.size(); ++i) {
    if (!spec.projections[i] || spec.projections[i]->type != output->column(i).type()) {
      return Status::Error(ErrorCode::kInternal,
                           fmt::format("chain output column {} does not match its projection", i));
    }
  }
  Context context{input, input.row_count(), SluiceKernelContext{&output->arena()}};
  int32_t rows = context.rows;

  std::vector<int32_t> selected;
  selected.reserve(static_cast<size_t>(rows));
  if (spec.filter) {
    SLUICE_ASSIGN_OR_RETURN(Vector filter, Evaluate(*spec.filter, context));
    if (filter.type.id() != TypeId::kBoolean)
      return Malformed(*spec.filter, "filter is not BOOLEAN");
    for (int32_t row = 0; row < rows; ++row) {
      if (IsTrue(filter, row)) selected.push_back(row);
    }
  } else {
    for (int32_t row = 0; row < rows; ++row) selected.push_back(row);
  }

  // Generated code computes projections only for the rows the filter kept.
  std::vector<uint8_t> kept;
  if (spec.filter) {
    kept.assign(static_cast<size_t>(rows) + 1, 0);
    for (int32_t row : selected) kept[static_cast<size_t>(row)] = 1;
    context.active = kept.data();
  }
  std::vector<Vector> results;
  results.reserve(spec.projections.size());
  bool has_strings = false;
  for (const plan::ExprPtr& projection : spec.projections) {
    SLUICE_ASSIGN_OR_RETURN(Vector result, Evaluate(*projection, context));
    has_strings |= result.type.IsStringStored();
    results.push_back(std::move(result));
  }

  for (size_t i = 0; i < results.size(); ++i) {
    Column& column = output->column(i);
    const Vector& result = results[i];
    size_t width = static_cast<size_t>(result.type.PhysicalWidth());
    for (size_t k = 0; k < selected.size(); ++k) {
      size_t row = static_cast<size_t>(selected[k]);
      bool valid = result.validity[row] != 0;
      column.validity()[k] = valid ? 1 : 0;
      if (width == 0) continue;
      if (valid) {
        std::memcpy(column.data() + k * width, result.data + row * width, width);
      } else {
        std::memset(column.data() + k * width, 0, width);
      }
    }
  }
  output->set_row_count(static_cast<int32_t>(selected.size()));
  // Pass-through, TRIM, SUBSTRING and some helper results (REGEXP_EXTRACT, SPLIT_INDEX) point
  // into the input's strings.
  if (has_strings) output->RetainArenasOf(input);
  return Status::Ok();
}

}  // namespace sluice::runtime::expr
