#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base/diagnostic.h"

namespace sluice::base {

/// Reports success or one or more user-facing errors; cheap to pass when OK.
class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  static Status Error(ErrorCode code, std::string message, SourceSpan span = {}) {
    Status status;
    status.diagnostics_ = std::make_shared<std::vector<Diagnostic>>();
    status.diagnostics_->push_back(Diagnostic{code, std::move(message), span, {}});
    return status;
  }
  static Status FromDiagnostics(std::vector<Diagnostic> diagnostics) {
    Status status;
    if (!diagnostics.empty()) {
      status.diagnostics_ = std::make_shared<std::vector<Diagnostic>>(std::move(diagnostics));
    }
    return status;
  }

  /// This error with `subject` (Diagnostic::subject) set on its first diagnostic.
  Status WithSubject(std::string subject) const;

  bool ok() const { return diagnostics_ == nullptr; }
  ErrorCode code() const { return ok() ? ErrorCode::kOk : diagnostics_->front().code; }
  const std::string& message() const;
  /// The first diagnostic's subject (an option key, a job name); empty when OK or unset.
  const std::string& subject() const;
  const std::vector<Diagnostic>& diagnostics() const;
  /// Joins every message into one line; for logs and tests.
  std::string ToString() const;

 private:
  std::shared_ptr<std::vector<Diagnostic>> diagnostics_;
};

}  // namespace sluice::base

/// Returns early from the enclosing function when `expr` yields a failed Status.
#define SLUICE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::sluice::base::Status sluice_status_ = (expr);  \
    if (!sluice_status_.ok()) return sluice_status_; \
  } while (false)
