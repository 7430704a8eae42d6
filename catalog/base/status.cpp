#include "catalog/base/status.h"

namespace sluice::base {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return ok() ? kEmpty : diagnostics_->front().message;
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
