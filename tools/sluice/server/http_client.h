#pragma once

#include <string>

namespace sluice::server {

/// One HTTP exchange of the client commands; `status` 0 when no answer came (`error` says
/// why: refused connection, timeout, bad URL).
struct HttpReply {
  int status = 0;
  std::string body;
  std::string error;
};

/// Sends `method` (GET or POST) `path` to `server` ("http://127.0.0.1:8081"), with a JSON
/// `body` for POST and `Authorization: Bearer token` when a token is given.
HttpReply HttpRequest(const std::string& server, const std::string& method, const std::string& path,
                      const std::string& body, const std::string& token, int timeout_seconds);

}  // namespace sluice::server
