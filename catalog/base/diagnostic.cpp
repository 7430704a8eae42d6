#include "catalog/base/diagnostic.h"

#include <algorithm>

namespace sluice::base {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kSyntax: return "syntax";
    case ErrorCode::kBind: return "bind";
    case ErrorCode::kPlan: return "plan";
    case ErrorCode::kOption: return "option";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kData: return "data";
    case ErrorCode::kRuntime: return "runtime";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kWrongJob: return "wrong job";
    case ErrorCode::kIncompatible: return "incompatible";
  }
  return "unknown";
}

namespace {

std::string LineAt(const std::string& text, int32_t offset) {
  if (offset < 0 || offset > static_cast<int32_t>(text.size())) return {};
  size_t begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = (begin == std::string::npos || offset == 0) ? 0 : begin + 1;
  if (offset > 0 && text[offset - 1] == '\n') begin = offset;
  size_t end = text.find('\n', offset);
  if (end == std::string::npos) end = text.size();
  return text.substr(begin, end - begin);
}

}  // namespace

std::string RenderDiagnostics(const std::vector<Diagnostic>& diagnostics,
                              const std::string& file_name, const std::string& source_text) {
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) {
    if (!file_name.empty()) out += file_name + ":";
    if (diagnostic.span.IsKnown()) {
      out +=
          std::to_string(diagnostic.span.line) + ":" + std::to_string(diagnostic.span.column) + ":";
    }
    if (!out.empty() && out.back() == ':') out += " ";
    out += "error: " + diagnostic.message + "\n";
    if (!diagnostic.span.IsKnown()) continue;
    std::string line = LineAt(source_text, diagnostic.span.offset);
    // Tabs would misalign the caret; show them as single spaces.
    std::replace(line.begin(), line.end(), '\t', ' ');
    out += "  " + line + "\n";
    int32_t column = std::max(diagnostic.span.column, 1);
    int32_t room = static_cast<int32_t>(line.size()) - (column - 1);
    int32_t length = std::clamp(diagnostic.span.length, 1, std::max(room, 1));
    out += "  " + std::string(column - 1, ' ') + "^" + std::string(length - 1, '~') + "\n";
  }
  return out;
}

}  // namespace sluice::base
