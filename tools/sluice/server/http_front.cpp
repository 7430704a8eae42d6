#include "tools/sluice/server/http_front.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>

#include <thread>

#include "tools/sluice/server/web_assets.h"

namespace sluice::server {

using nlohmann::json;

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) == 1) {
    return (ntohl(address.s_addr) >> 24) == 127;
  }
  return false;
}

struct HttpFront::Impl {
  JobServer* server = nullptr;
  HttpOptions options;
  httplib::Server http;
  std::thread thread;
  int32_t port = 0;

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  static void Send(httplib::Response& response, const ApiResponse& api) {
    response.status = api.status;
    response.set_content(api.body.dump(2) + "\n", "application/json");
  }

  static void SendError(httplib::Response& response, int status, const std::string& code,
                        const std::string& message) {
    ApiResponse api;
    api.status = status;
    api.body = {{"error", {{"code", code}, {"message", message}}}};
    Send(response, api);
  }

  /// The request's JSON body (an empty body is `{}`); false after answering 400.
  static bool Body(const httplib::Request& request, httplib::Response& response, json* body) {
    if (request.body.empty()) {
      *body = json::object();
      return true;
    }
    *body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body->is_discarded()) {
      SendError(response, 400, "request", "the body is not valid JSON");
      return false;
    }
    return true;
  }

  bool Authorized(const httplib::Request& request) const {
    if (options.token.empty()) return true;
    std::string header = request.get_header_value("Authorization");
    if (header == "Bearer " + options.token) return true;
    if (request.has_param("token") && request.get_param_value("token") == options.token) {
      return true;
    }
    return false;
  }

  void Routes() {
    http.set_payload_max_length(options.max_body_bytes);
    http.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          if (Authorized(request)) return httplib::Server::HandlerResponse::Unhandled;
          Log(fmt::format("401 {} {} from {}: no valid bearer token", request.method, request.path,
                          request.remote_addr));
          response.set_header("WWW-Authenticate", "Bearer");
          SendError(response, 401, "unauthorized",
                    "this server needs a bearer token (Authorization: Bearer TOKEN)");
          return httplib::Server::HandlerResponse::Handled;
        });
    http.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
      if (!response.body.empty()) return;
      if (response.status == 413) {
        SendError(response, 413, "too_large", "the request body is larger than the server takes");
      } else if (response.status == 404) {
        SendError(response, 404, "not_found",
                  fmt::format("no route {} {}", request.method, request.path));
      } else {
        SendError(response, response.status, "http", "the request was not understood");
      }
    });
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
          std::string what = "an exception of an unknown type";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& exception) {
            what = exception.what();
          } catch (...) {
          }
          SendError(response, 500, "internal", "internal error: " + what);
        });

    http.Get("/", [](const httplib::Request&, httplib::Response& response) {
      std::string_view page = IndexHtml();
      response.set_content(page.data(), page.size(), "text/html; charset=utf-8");
    });
    http.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& response) {
      std::string_view spec = OpenApiJson();
      response.set_content(spec.data(), spec.size(), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
      response.set_content(server->PrometheusText(), "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get("/v1/jobs", [this](const httplib::Request&, httplib::Response& response) {
      Send(response, server->ListJobs());
    });
    http.Post("/v1/jobs", [this](const httplib::Request& request, httplib::Response& response) {
      json body;
      if (!Body(request, response, &body)) return;
      ApiResponse api = server->Submit(body);
      if (api.status >= 400) {
        Log(fmt::format("{} POST /v1/jobs from {}: {}", api.status, request.remote_addr,
                        api.body["error"].value("message", "")));
      }
      Send(response, api);
    });
    http.Get(R"(/v1/jobs/([^/]+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               Send(response, server->DescribeJob(request.matches[1]));
             });
    http.Get(R"(/v1/jobs/([^/]+)/pipe)",
             [this](const httplib::Request& request, httplib::Response& response) {
               Send(response, server->JobPipe(request.matches[1]));
             });
    http.Post(R"(/v1/jobs/([^/]+)/savepoints)",
              [this](const httplib::Request& request, httplib::Response& response) {
                json body;
                if (!Body(request, response, &body)) return;
                Send(response, server->TriggerSavepoint(request.matches[1], body));
              });
    http.Post(R"(/v1/jobs/([^/]+)/stop)",
              [this](const httplib::Request& request, httplib::Response& response) {
                json body;
                if (!Body(request, response, &body)) return;
                Send(response, server->Stop(request.matches[1], body));
              });
    http.Post(R"(/v1/jobs/([^/]+)/upgrade)",
              [this](const httplib::Request& request, httplib::Response& response) {
                json body;
                if (!Body(request, response, &body)) return;
                Send(response, server->Upgrade(request.matches[1], body));
              });
    http.Post(R"(/v1/jobs/([^/]+)/cancel)",
              [this](const httplib::Request& request, httplib::Response& response) {
                Send(response, server->Cancel(request.matches[1]));
              });
    http.Post("/v1/check", [this](const httplib::Request& request, httplib::Response& response) {
      json body;
      if (!Body(request, response, &body)) return;
      Send(response, server->Check(body));
    });
  }
};

HttpFront::HttpFront(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpFront::~HttpFront() {
  Stop();
}

base::Result<std::unique_ptr<HttpFront>> HttpFront::Start(JobServer* server, HttpOptions options) {
  if (!IsLoopback(options.host) && options.token.empty()) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        fmt::format("--listen {}: a server reachable from other machines needs a bearer token "
                    "(--token-file FILE); without one it listens on loopback only",
                    options.host));
  }
  auto impl = std::make_unique<Impl>();
  impl->server = server;
  impl->options = std::move(options);
  impl->Routes();
  std::string host = impl->options.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (impl->options.port == 0) {
    impl->port = impl->http.bind_to_any_port(host);
    if (impl->port <= 0) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 fmt::format("cannot listen on {}: no free port", host));
    }
  } else {
    if (!impl->http.bind_to_port(host, impl->options.port)) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 fmt::format("cannot listen on {}:{} (is another server there?)",
                                             host, impl->options.port));
    }
    impl->port = impl->options.port;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<HttpFront>(new HttpFront(std::move(impl)));
}

int32_t HttpFront::port() const {
  return impl_->port;
}

void HttpFront::Stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace sluice::server
