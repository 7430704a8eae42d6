#include "tools/sluice/server/server_support.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "catalog/base/diagnostic.h"

namespace sluice::server::support {

namespace fs = std::filesystem;
using nlohmann::json;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// An error body: `{"error": {"code", "message"}}`.
ApiResponse Error(int status, const std::string& code, const std::string& message) {
  ApiResponse response;
  response.status = status;
  response.body = {{"error", {{"code", code}, {"message", message}}}};
  return response;
}

/// The HTTP status of an error the compiler or runtime returned: the request's fault (400)
/// unless the environment failed.
int StatusOf(base::ErrorCode code) {
  switch (code) {
    case base::ErrorCode::kInternal: return 500;
    case base::ErrorCode::kIncompatible: return 409;
    default: return 400;
  }
}

/// An error body with the diagnostics `sluice run` prints: each with its line and column, and
/// the whole rendered as the CLI renders it (`file:line:col: error: …`, the line, a caret).
ApiResponse DiagnosticsError(const base::Status& status, const std::string& file_name,
                             const std::string& text) {
  ApiResponse response =
      Error(StatusOf(status.code()), base::ErrorCodeName(status.code()), status.message());
  json diagnostics = json::array();
  for (const base::Diagnostic& diagnostic : status.diagnostics()) {
    json item = {{"code", base::ErrorCodeName(diagnostic.code)}, {"message", diagnostic.message}};
    if (diagnostic.span.IsKnown()) {
      item["line"] = diagnostic.span.line;
      item["column"] = diagnostic.span.column;
      item["length"] = diagnostic.span.length;
    }
    if (!diagnostic.subject.empty()) item["subject"] = diagnostic.subject;
    diagnostics.push_back(std::move(item));
  }
  response.body["error"]["diagnostics"] = std::move(diagnostics);
  response.body["error"]["rendered"] =
      base::RenderDiagnostics(status.diagnostics(), file_name, text);
  return response;
}

/// Writes `text` to `path` through a temporary file and a rename, synced: a crash leaves the
/// old file or the new one.
base::Status WriteAtomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("cannot write '{}': {}", temporary.string(), std::strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(descriptor, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(descriptor);
      return base::Status::Error(
          base::ErrorCode::kIo,
          fmt::format("cannot write '{}': {}", temporary.string(), std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  ::fsync(descriptor);
  ::close(descriptor);
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    return base::Status::Error(
        base::ErrorCode::kIo, fmt::format("cannot write '{}': {}", path.string(), error.message()));
  }
  int directory = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    ::fsync(directory);
    ::close(directory);
  }
  return base::Status::Ok();
}

std::optional<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Reads a string member of a request body; false (with `error`) when present and not a
/// string.
bool StringMember(const json& body, const char* key, std::string* out, ApiResponse* error) {
  auto found = body.find(key);
  if (found == body.end() || found->is_null()) return true;
  if (!found->is_string()) {
    *error = Error(400, "request", fmt::format("'{}' must be a string", key));
    return false;
  }
  *out = found->get<std::string>();
  return true;
}

bool BoolMember(const json& body, const char* key, bool* out, ApiResponse* error) {
  auto found = body.find(key);
  if (found == body.end() || found->is_null()) return true;
  if (!found->is_boolean()) {
    *error = Error(400, "request", fmt::format("'{}' must be true or false", key));
    return false;
  }
  *out = found->get<bool>();
  return true;
}

/// `text` without trailing white space.
std::string Trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

/// Whether `name` is a plain file name a submission may use ("orders.pipe").
bool IsPlainFileName(const std::string& name) {
  if (name.empty() || name.size() > 200 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace sluice::server::support
