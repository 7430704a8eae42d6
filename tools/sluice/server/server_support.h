#pragma once

// Small helpers of the server's API (job_server.cpp, job_upgrade.cpp): error bodies, request
// members, atomic record files.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "catalog/base/status.h"
#include "tools/sluice/server/job_server.h"

namespace sluice::server::support {

/// Milliseconds since the epoch (the wall clock the records keep).
int64_t NowMillis();
/// An error body: `{"error": {"code", "message"}}`.
ApiResponse Error(int status, const std::string& code, const std::string& message);
/// The HTTP status of an error the compiler or runtime returned: the request's fault (400)
/// unless the environment failed.
int StatusOf(base::ErrorCode code);
/// An error body with the diagnostics `sluice run` prints: each with its line and column, and
/// the whole rendered as the CLI renders it (`file:line:col: error: …`, the line, a caret).
ApiResponse DiagnosticsError(const base::Status& status, const std::string& file_name,
                             const std::string& text);
/// Writes `text` to `path` through a temporary file and a rename, synced: a crash leaves the
/// old file or the new one.
base::Status WriteAtomically(const std::filesystem::path& path, const std::string& text);
std::optional<std::string> ReadText(const std::filesystem::path& path);
/// Reads a string member of a request body; false (with `error`) when present and not a
/// string.
bool StringMember(const nlohmann::json& body, const char* key, std::string* out,
                  ApiResponse* error);
/// Reads a boolean member of a request body; false (with `error`) when present and not one.
bool BoolMember(const nlohmann::json& body, const char* key, bool* out, ApiResponse* error);
/// `text` without trailing white space.
std::string Trimmed(std::string text);
/// Whether `name` is a plain file name a submission may use ("orders.pipe").
bool IsPlainFileName(const std::string& name);

}  // namespace sluice::server::support
