#pragma once

#include <optional>
#include <utility>

#include "catalog/base/check.h"
#include "catalog/base/status.h"

namespace sluice::base {

/// Holds either a value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    SLUICE_CHECK(!status_.ok(), "a Result built from a Status needs an error");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    SLUICE_CHECK(ok(), "value() on a failed Result: {}", status_.ToString());
    return *value_;
  }
  const T& value() const& {
    SLUICE_CHECK(ok(), "value() on a failed Result: {}", status_.ToString());
    return *value_;
  }
  T&& value() && {
    SLUICE_CHECK(ok(), "value() on a failed Result: {}", status_.ToString());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace sluice::base

#define SLUICE_CONCAT_INNER(a, b) a##b
#define SLUICE_CONCAT(a, b) SLUICE_CONCAT_INNER(a, b)

/// Declares `lhs` from a Result expression, returning its Status from the enclosing function on
/// error.
#define SLUICE_ASSIGN_OR_RETURN(lhs, expr) \
  SLUICE_ASSIGN_OR_RETURN_IMPL(SLUICE_CONCAT(sluice_result_, __LINE__), lhs, expr)
#define SLUICE_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
