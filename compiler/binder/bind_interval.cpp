// Interval literals: a single unit (`INTERVAL '90' SECOND`), day-time ranges (`INTERVAL
// '1 10:30:00.5' DAY TO SECOND`, Calcite's formats) as milliseconds, and year-month intervals
// (`INTERVAL '1' MONTH`, `INTERVAL '2-3' YEAR TO MONTH`), which Sluice takes where Flink's
// queries use them: added to or subtracted from a DATE or TIMESTAMP (calendar months, through
// TIMESTAMPADD(MONTH, …)).

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

namespace {

bool IsYearMonthUnit(ast::TimeUnit unit) {
  return unit == ast::TimeUnit::kYear || unit == ast::TimeUnit::kQuarter ||
         unit == ast::TimeUnit::kMonth;
}

int64_t UnitMillis(ast::TimeUnit unit) {
  switch (unit) {
    case ast::TimeUnit::kWeek: return 7LL * 24 * 3600 * 1000;
    case ast::TimeUnit::kDay: return 24LL * 3600 * 1000;
    case ast::TimeUnit::kHour: return 3600LL * 1000;
    case ast::TimeUnit::kMinute: return 60LL * 1000;
    case ast::TimeUnit::kSecond: return 1000;
    case ast::TimeUnit::kMillisecond: return 1;
    default: return 0;
  }
}

/// A leading sign of the quoted text: true for '-', and `text` loses it.
bool TakeSign(std::string_view* text) {
  while (!text->empty() && text->front() == ' ') text->remove_prefix(1);
  while (!text->empty() && text->back() == ' ') text->remove_suffix(1);
  if (!text->empty() && (text->front() == '-' || text->front() == '+')) {
    bool negative = text->front() == '-';
    text->remove_prefix(1);
    return negative;
  }
  return false;
}

std::optional<int64_t> Whole(std::string_view digits) {
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

/// Calcite's day-time range formats: DAY TO HOUR 'd h', DAY TO MINUTE 'd h:m', DAY TO SECOND
/// 'd h:m:s[.f]', HOUR TO MINUTE 'h:m', HOUR TO SECOND 'h:m:s[.f]', MINUTE TO SECOND 'm:s[.f]';
/// the fields after the first within their unit's range. Milliseconds, or nullopt.
std::optional<int64_t> DayTimeRange(std::string_view text, ast::TimeUnit start, ast::TimeUnit end) {
  static const ast::TimeUnit kUnits[] = {ast::TimeUnit::kDay, ast::TimeUnit::kHour,
                                         ast::TimeUnit::kMinute, ast::TimeUnit::kSecond};
  static const int64_t kLimits[] = {0, 24, 60, 60};
  int first = -1, last = -1;
  for (int i = 0; i < 4; ++i) {
    if (kUnits[i] == start) first = i;
    if (kUnits[i] == end) last = i;
  }
  if (first < 0 || last <= first) return std::nullopt;
  int64_t total = 0;
  for (int i = first; i <= last; ++i) {
    char separator = i == 0 ? ' ' : ':';
    std::string_view field = text;
    if (i < last) {
      size_t at = text.find(separator);
      if (at == std::string_view::npos) return std::nullopt;
      field = text.substr(0, at);
      text.remove_prefix(at + 1);
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    int64_t fraction_millis = 0;
    if (i == last && kUnits[i] == ast::TimeUnit::kSecond) {
      size_t point = field.find('.');
      if (point != std::string_view::npos) {
        std::string_view digits = field.substr(point + 1);
        if (digits.empty() || digits.size() > 9) return std::nullopt;
        auto fraction = Whole(digits);
        if (!fraction) return std::nullopt;
        fraction_millis = static_cast<int64_t>(
            std::llround(static_cast<double>(*fraction) /
                         std::pow(10.0, static_cast<double>(digits.size())) * 1000.0));
        field = field.substr(0, point);
      }
    }
    auto value = Whole(field);
    if (!value || (i > first && *value >= kLimits[i])) return std::nullopt;
    total += *value * UnitMillis(kUnits[i]) + fraction_millis;
  }
  return total;
}

}  // namespace

std::optional<int64_t> Binder::YearMonthLiteralMonths(const ast::Expression& expression) {
  if (!expression.Is<ast::LiteralExpression>()) return std::nullopt;
  const auto& literal = expression.Cast<ast::LiteralExpression>();
  if (literal.literal_kind != ast::LiteralKind::kInterval ||
      !IsYearMonthUnit(literal.interval.start)) {
    return std::nullopt;
  }
  std::string_view text = literal.value;
  bool negative = TakeSign(&text) != literal.negative_interval;
  std::optional<int64_t> months;
  const ast::TimeUnit start = literal.interval.start;
  if (literal.interval.end.has_value()) {
    // YEAR TO MONTH: 'y-m', the months below 12.
    size_t dash = text.find('-');
    if (start == ast::TimeUnit::kYear && *literal.interval.end == ast::TimeUnit::kMonth &&
        dash != std::string_view::npos) {
      auto years = Whole(text.substr(0, dash));
      auto rest = Whole(text.substr(dash + 1));
      if (years && rest && *rest < 12) months = *years * 12 + *rest;
    }
  } else if (auto amount = Whole(text)) {
    months = *amount * (start == ast::TimeUnit::kYear      ? 12
                        : start == ast::TimeUnit::kQuarter ? 3
                                                           : 1);
  }
  if (!months) {
    Error(base::ErrorCode::kBind,
          fmt::format("invalid interval '{}' {} (a year-month interval is a whole number of "
                      "years or months, or 'years-months' for YEAR TO MONTH)",
                      literal.value, literal.interval.ToString()),
          literal.span);
    return std::nullopt;
  }
  return negative ? -*months : *months;
}

ExprPtr Binder::BindYearMonthArithmetic(const ast::BinaryExpression& binary, const Scope& scope) {
  const bool right_interval = YearMonthLiteral(*binary.right);
  const ast::Expression& interval = right_interval ? *binary.right : *binary.left;
  const ast::Expression& moved = right_interval ? *binary.left : *binary.right;
  if (!right_interval && binary.op != ast::BinaryOperator::kAdd) {
    Error(base::ErrorCode::kBind,
          "a year-month interval cannot be subtracted from: write DATE/TIMESTAMP - INTERVAL",
          binary.span);
    return nullptr;
  }
  auto months = YearMonthLiteralMonths(interval);
  if (!months) return nullptr;
  ExprPtr value = BindExpression(moved, scope);
  if (value == nullptr) return nullptr;
  const TypeId id = value->type.id();
  // A TIME has no months: Flink's TIME ± a year-month interval is the TIME itself.
  if (id == TypeId::kTime) return value;
  if (id != TypeId::kDate && id != TypeId::kTimestamp && id != TypeId::kNull &&
      !value->type.IsTimestampLtz()) {
    Error(base::ErrorCode::kBind,
          fmt::format("a year-month interval can be added to or subtracted from a DATE, a "
                      "TIMESTAMP or a TIME, not {}",
                      value->type.ToString()),
          binary.span);
    return nullptr;
  }
  int64_t signed_months = binary.op == ast::BinaryOperator::kSubtract ? -*months : *months;
  if (signed_months < INT32_MIN || signed_months > INT32_MAX) {
    Error(base::ErrorCode::kBind, "interval out of range", interval.span);
    return nullptr;
  }
  return KeepDateOfTimestampAdd(
      BindCall("TIMESTAMPADD",
               {Expr::Literal(Value::Varchar("MONTH")),
                Expr::Literal(Value::Int(static_cast<int32_t>(signed_months))), value},
               binary.span));
}

ExprPtr Binder::KeepDateOfTimestampAdd(ExprPtr call) {
  if (call == nullptr || call->kind != runtime::plan::ExprKind::kCall ||
      call->function != functions::FunctionId::kTimestampAdd || call->arguments.size() != 3 ||
      call->arguments[0]->kind != runtime::plan::ExprKind::kLiteral) {
    return call;
  }
  // The registry has cast the DATE to a TIMESTAMP.
  const ExprPtr& moved = call->arguments[2];
  const bool of_date =
      moved->type.id() == TypeId::kDate ||
      (moved->kind == runtime::plan::ExprKind::kCast && moved->arguments.size() == 1 &&
       moved->arguments[0]->type.id() == TypeId::kDate);
  if (!of_date) return call;
  const std::string& unit = call->arguments[0]->literal.text;
  if (unit != "DAY" && unit != "WEEK" && unit != "MONTH" && unit != "QUARTER" && unit != "YEAR") {
    return call;
  }
  return CastTo(std::move(call), LogicalType::Date());
}

bool Binder::YearMonthLiteral(const ast::Expression& expression) {
  if (!expression.Is<ast::LiteralExpression>()) return false;
  const auto& literal = expression.Cast<ast::LiteralExpression>();
  return literal.literal_kind == ast::LiteralKind::kInterval &&
         IsYearMonthUnit(literal.interval.start);
}

ExprPtr Binder::BindIntervalLiteral(const ast::LiteralExpression& literal) {
  const ast::IntervalQualifier& qualifier = literal.interval;
  if (IsYearMonthUnit(qualifier.start)) {
    Error(base::ErrorCode::kBind,
          fmt::format("a year-month interval ({}) is supported only added to or subtracted from "
                      "a DATE or TIMESTAMP (ts + INTERVAL '1' MONTH); elsewhere use DAY, HOUR, "
                      "MINUTE, SECOND or MILLISECOND",
                      qualifier.ToString()),
          literal.span);
    return nullptr;
  }
  std::string_view text = literal.value;
  bool negative = TakeSign(&text) != literal.negative_interval;
  int64_t millis = 0;
  if (qualifier.end.has_value()) {
    auto range = DayTimeRange(text, qualifier.start, *qualifier.end);
    if (!range) {
      Error(base::ErrorCode::kBind,
            fmt::format("invalid interval '{}' {} (Calcite's formats: DAY TO HOUR 'd h', DAY TO "
                        "MINUTE 'd h:m', DAY TO SECOND 'd h:m:s.fff', HOUR TO MINUTE 'h:m', HOUR "
                        "TO SECOND 'h:m:s.fff', MINUTE TO SECOND 'm:s.fff')",
                        literal.value, qualifier.ToString()),
            literal.span);
      return nullptr;
    }
    millis = *range;
  } else {
    std::string number(text);
    char* end = nullptr;
    double amount = std::strtod(number.c_str(), &end);
    if (number.empty() || end == number.c_str() || *end != '\0') {
      Error(base::ErrorCode::kBind, "invalid interval value '" + literal.value + "'", literal.span);
      return nullptr;
    }
    auto unit = static_cast<double>(UnitMillis(qualifier.start));
    millis = static_cast<int64_t>(amount * unit + 0.5);
  }
  return Expr::Literal(Value::Interval(negative ? -millis : millis));
}

}  // namespace sluice::compiler::binder
