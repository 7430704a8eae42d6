#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "catalog/base/result.h"
#include "tools/sluice/server/job_server.h"

namespace sluice::server {

/// How the HTTP front end listens.
struct HttpOptions {
  std::string host = "127.0.0.1";
  int32_t port = 8081;  // 0: any free port (HttpFront::port tells which)
  /// Required on every request as `Authorization: Bearer TOKEN` (or `?token=TOKEN`, for the
  /// page in a browser) when not empty. A non-loopback host needs one.
  std::string token;
  size_t max_body_bytes = 2 << 20;  // larger request bodies get 413
  std::function<void(const std::string&)> log;
};

/// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

/// The HTTP API, the page and `/metrics` of `sluice serve` over cpp-httplib (the only user of
/// the HTTP library besides the client, http_client.cpp). Routes are in the README and in
/// `/v1/openapi.json`.
class HttpFront {
 public:
  /// Binds (refusing a non-loopback host without a token) and starts serving on a thread.
  static base::Result<std::unique_ptr<HttpFront>> Start(JobServer* server, HttpOptions options);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  int32_t port() const;
  /// Stops accepting requests and waits for the ones under way.
  void Stop();

 private:
  struct Impl;
  explicit HttpFront(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::server
