#include "tools/sluice/server/http_client.h"

#include <fmt/format.h>
#include <httplib.h>

namespace sluice::server {

HttpReply HttpRequest(const std::string& server, const std::string& method, const std::string& path,
                      const std::string& body, const std::string& token, int timeout_seconds) {
  HttpReply reply;
  httplib::Client client(server);
  if (!client.is_valid()) {
    reply.error = fmt::format("'{}' is not a server URL (http://HOST:PORT)", server);
    return reply;
  }
  client.set_connection_timeout(5);
  client.set_read_timeout(timeout_seconds);
  client.set_write_timeout(30);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result result = method == "POST"
                               ? client.Post(path.c_str(), headers, body, "application/json")
                               : client.Get(path.c_str(), headers);
  if (!result) {
    reply.error = fmt::format("cannot reach the server at {}: {}", server,
                              httplib::to_string(result.error()));
    return reply;
  }
  reply.status = result->status;
  reply.body = result->body;
  return reply;
}

}  // namespace sluice::server
