#include <cstring>

#include "runtime/operators/match_recognize_operator.h"
#include "runtime/operators/match_recognize_partition.h"

namespace sluice::runtime::operators {

using plan::MatchAccessorKind;
using types::TypeId;

namespace {

void SetNull(Column* column, int32_t row) {
  const int32_t width = column->type().PhysicalWidth();
  column->validity()[row] = 0;
  if (width > 0) std::memset(column->data() + static_cast<size_t>(row) * width, 0, width);
}

// A fixed-width numeric value of a column as int64 or double.
bool IsFloating(TypeId id) {
  return id == TypeId::kDouble;
}
int64_t IntegerAt(const Column& column, int32_t row) {
  if (column.type().PhysicalWidth() == 4) return column.values<int32_t>()[row];
  return column.values<int64_t>()[row];
}
double DoubleAt(const Column& column, int32_t row) {
  return column.values<double>()[row];
}

void SetInteger(Column* column, int32_t row, int64_t value) {
  column->validity()[row] = 1;
  if (column->type().PhysicalWidth() == 4) {
    column->values<int32_t>()[row] = static_cast<int32_t>(value);
  } else {
    column->values<int64_t>()[row] = value;
  }
}

void SetDouble(Column* column, int32_t row, double value) {
  column->validity()[row] = 1;
  column->values<double>()[row] = value;
}

}  // namespace

void MatchRecognizeOperator::FillAccessors(const std::vector<plan::MatchAccessor>& accessors,
                                           const Partition& partition, uint64_t first_row,
                                           const std::vector<int32_t>& variables, Batch* batch,
                                           int32_t row, bool copy_strings) const {
  const size_t count = variables.size();
  for (size_t index = 0; index < accessors.size(); ++index) {
    const plan::MatchAccessor& accessor = accessors[index];
    Column* target = &batch->column(index);
    auto of_variable = [&](size_t i) {
      return accessor.variable < 0 || variables[i] == accessor.variable;
    };
    auto copy = [&](uint64_t source_row) {
      auto [column, source] = partition.Cell(source_row, accessor.slot);
      CopyCell(*column, source, target, row);
    };
    switch (accessor.kind) {
      case MatchAccessorKind::kLast:
      case MatchAccessorKind::kFirst: {
        const bool last = accessor.kind == MatchAccessorKind::kLast;
        int64_t seen = 0;
        bool found = false;
        for (size_t step = 0; step < count && !found; ++step) {
          const size_t i = last ? count - 1 - step : step;
          if (!of_variable(i)) continue;
          if (seen++ == accessor.offset) {
            copy(first_row + i);
            found = true;
          }
        }
        if (!found) SetNull(target, row);
        break;
      }
      case MatchAccessorKind::kPrevious: {
        bool found = false;
        for (size_t step = 0; step < count && !found; ++step) {
          const size_t i = count - 1 - step;
          if (!of_variable(i)) continue;
          found = true;
          if (static_cast<int64_t>(i) >= accessor.offset) {
            copy(first_row + i - static_cast<size_t>(accessor.offset));
          } else {
            SetNull(target, row);
          }
        }
        if (!found) SetNull(target, row);
        break;
      }
      case MatchAccessorKind::kCount: {
        int64_t total = 0;
        for (size_t i = 0; i < count; ++i) {
          if (!of_variable(i)) continue;
          if (accessor.slot >= 0) {
            auto [column, source] = partition.Cell(first_row + i, accessor.slot);
            if (column->IsNull(source)) continue;
          }
          ++total;
        }
        SetInteger(target, row, total);
        break;
      }
      case MatchAccessorKind::kSum:
      case MatchAccessorKind::kAverage:
      case MatchAccessorKind::kMin:
      case MatchAccessorKind::kMax: {
        const bool floating = IsFloating(accessor.type.id());
        int64_t integer_total = 0;
        double double_total = 0;
        int64_t values = 0;
        int64_t extreme_row = -1;
        double extreme_double = 0;
        int64_t extreme_integer = 0;
        // MIN/MAX of a DECIMAL compare unscaled values, 128-bit ones above precision 18.
        const bool decimal = accessor.type.id() == TypeId::kDecimal;
        __int128 extreme_decimal = 0;
        for (size_t i = 0; i < count; ++i) {
          if (!of_variable(i)) continue;
          auto [column, source] = partition.Cell(first_row + i, accessor.slot);
          if (column->IsNull(source)) continue;
          ++values;
          const bool is_min = accessor.kind == MatchAccessorKind::kMin;
          if (decimal) {
            __int128 value = column->DecimalAt(source);
            if (extreme_row < 0 || (is_min ? value < extreme_decimal : value > extreme_decimal)) {
              extreme_row = static_cast<int64_t>(first_row + i);
              extreme_decimal = value;
            }
          } else if (floating) {
            double value = DoubleAt(*column, source);
            double_total += value;
            if (extreme_row < 0 || (is_min ? value < extreme_double : value > extreme_double)) {
              extreme_row = static_cast<int64_t>(first_row + i);
              extreme_double = value;
            }
          } else {
            int64_t value = IntegerAt(*column, source);
            // Wraps on overflow, as Flink's (Java's) long arithmetic.
            integer_total = static_cast<int64_t>(static_cast<uint64_t>(integer_total) +
                                                 static_cast<uint64_t>(value));
            if (extreme_row < 0 || (is_min ? value < extreme_integer : value > extreme_integer)) {
              extreme_row = static_cast<int64_t>(first_row + i);
              extreme_integer = value;
            }
          }
        }
        if (values == 0) {
          SetNull(target, row);
        } else if (accessor.kind == MatchAccessorKind::kMin ||
                   accessor.kind == MatchAccessorKind::kMax) {
          copy(static_cast<uint64_t>(extreme_row));
        } else if (accessor.kind == MatchAccessorKind::kSum) {
          floating ? SetDouble(target, row, double_total) : SetInteger(target, row, integer_total);
        } else {
          // AVG of an integer column is an integer (Flink's), truncated toward zero.
          floating ? SetDouble(target, row, double_total / static_cast<double>(values))
                   : SetInteger(target, row, integer_total / values);
        }
        break;
      }
      case MatchAccessorKind::kMatchRowtime:
        target->validity()[row] = 1;
        target->values<int64_t>()[row] = partition.TimeOf(first_row + count - 1);
        break;
      case MatchAccessorKind::kClassifier: {
        // An emitted row owns its copy; a DEFINE's reused batch points at the spec's name
        // (its arena would grow with every row).
        const std::string& name = spec_.variables[variables[count - 1]];
        target->validity()[row] = 1;
        target->values<StringRef>()[row] =
            copy_strings ? batch->arena().Copy(name)
                         : StringRef{name.data(), static_cast<uint32_t>(name.size()), 0};
        break;
      }
      case MatchAccessorKind::kMatchProctime: SetNull(target, row); break;
    }
  }
}

}  // namespace sluice::runtime::operators
