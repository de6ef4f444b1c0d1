// The HTTP/1.1 server (Boost.Beast) of the REST API.
//
// Runs on an io_context the caller owns and runs (app::Service gives it its own, with
// `http.threads` threads, so slow database calls in handlers never delay terminals). One
// session per connection, on its own strand, in the do_x/on_x style of ingest's sessions:
// read one request (header limit -> 431, body limit -> 413, both then closing; a request not
// complete within the request timeout closes the connection), dispatch it through the Router
// inside one exception barrier (a handler that throws is a 500 with API.md's error shape and
// the connection stays usable), write the response, and read the next one when keep-alive.
// Requests on one connection are answered in order, one at a time (pipelining works; nothing
// is queued beyond the read buffer).
//
// A WebSocket upgrade of /api/v1/live goes to `live` (api/live.hpp) instead of the router, when
// one is set; without it that path is an ordinary route.
//
// Every response is logged on the `api` logger: method, path (never the query: it may carry
// ?token=), status, body bytes, microseconds in the handler, user ("-" when none).
//
// Thread-safety: start()/stop()/port() from one thread; the router must outlive the
// io_context's handlers (destroy the io_context, or let its threads finish, first).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace fleetwatch::api {

class LiveStream;
class Router;

struct HttpServerOptions {
    std::string listen = "0.0.0.0:8080";  // host:port or [v6]:port; port 0 = any (tests)
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::seconds request_timeout{30};  // whole request, including keep-alive idle
    std::shared_ptr<spdlog::logger> logger;    // nullptr: spdlog's "api" logger (or default)
    LiveStream* live = nullptr;  // must outlive the io_context's handlers; nullptr: none
};

class HttpServer {
  public:
    HttpServer(boost::asio::io_context& io, HttpServerOptions options, const Router& router);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting. Throws std::runtime_error (bad address, port in use).
    void start();
    // Stops accepting and closes every connection (asynchronously, on their strands).
    // Idempotent.
    void stop();
    std::uint16_t port() const noexcept;  // after start()

    struct Shared;  // implementation detail (src/server.cpp), shared with the sessions

  private:
    class Listener;
    std::shared_ptr<Shared> shared_;
    std::shared_ptr<Listener> listener_;
    boost::asio::io_context& io_;
    std::uint16_t port_ = 0;
};

}  // namespace fleetwatch::api
