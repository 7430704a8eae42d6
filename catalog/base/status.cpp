#include "catalog/base/status.h"

namespace sluice::base {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return ok() ? kEmpty : diagnostics_->front().message;
}

Status Status::WithSubject(std::string subject) const {
  if (ok()) return *this;
  Status copy;
  copy.diagnostics_ = std::make_shared<std::vector<Diagnostic>>(*diagnostics_);
  copy.diagnostics_->front().subject = std::move(subject);
  return copy;
}

const std::string& Status::subject() const {
  static const std::string kEmpty;
  return ok() ? kEmpty : diagnostics_->front().subject;
}

const std::vector<Diagnostic>& Status::diagnostics() const {
  static const std::vector<Diagnostic> kNone;
  return ok() ? kNone : *diagnostics_;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out;
  for (const Diagnostic& diagnostic : *diagnostics_) {
    if (!out.empty()) out += "; ";
    out += diagnostic.message;
  }
  return out;
}

}  // namespace sluice::base
