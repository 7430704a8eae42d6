#pragma once

#include <string>
#include <vector>

#include "catalog/base/source_span.h"

namespace sluice::base {

/// Classifies a user-facing error so callers can pick an exit status or a test can match it.
enum class ErrorCode {
  kOk,
  kSyntax,        // the text does not parse
  kBind,          // names, types, functions
  kPlan,          // a valid query the planner cannot run (e.g. unsupported construct)
  kOption,        // a bad connector or job option
  kIo,            // a file or directory problem
  kData,          // a malformed record
  kRuntime,       // a job failed while running
  kInternal,      // an environment failure (LLVM, RocksDB) surfaced at a module boundary
  kWrongJob,      // a snapshot of another job than the one asked for (Diagnostic::subject: its job)
  kIncompatible,  // a restore refused: state the new job cannot take (see `sluice check`)
};

/// Names an error code for messages ("syntax", "bind", ...).
const char* ErrorCodeName(ErrorCode code);

/// Carries one user-facing error: a code, a message, where in the query text it applies, and
/// what it is about, for callers that act on it (never parse the message).
struct Diagnostic {
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  SourceSpan span;
  /// The thing at fault, when the code leaves it open: an option key for kOption, the
  /// snapshot's job name for kWrongJob; empty when the error names no such thing.
  std::string subject;
};

/// Renders diagnostics as `file:line:col: error: message`, the source line and a caret.
std::string RenderDiagnostics(const std::vector<Diagnostic>& diagnostics,
                              const std::string& file_name, const std::string& source_text);

}  // namespace sluice::base
