#include "fleetwatch/api/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "fleetwatch/api/router.hpp"
#include "live_impl.hpp"
#include "fleetwatch/core/host_port.hpp"

namespace fleetwatch::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// After an error response that closes the connection, unread request bytes are drained for at
// most this long (and this many bytes), so closing does not reset the connection before the
// client has read the response.
constexpr std::chrono::seconds kDrainTime{2};
constexpr std::size_t kDrainBytes = 4 * 1024 * 1024;

tcp::endpoint parse_endpoint(const std::string& text) {
    const auto hp = core::parse_host_port(text);
    if (!hp) throw std::runtime_error("bad address '" + text + "' (HOST:PORT or [V6]:PORT)");
    boost::system::error_code aec;
    const auto address = net::ip::make_address(hp->host, aec);
    if (aec) throw std::runtime_error("bad IP address in '" + text + "'");
    return {address, hp->port};
}

bool is_parse_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

// ---- shared state: options, router, the open sessions ------------------------------------------

class Session;

struct HttpServer::Shared {
    HttpServerOptions options;
    const Router& router;
    std::shared_ptr<spdlog::logger> log;
    std::mutex mutex;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
    bool stopping = false;

    Shared(HttpServerOptions o, const Router& r) : options(std::move(o)), router(r) {
        log = options.logger;
        if (!log) log = spdlog::get("api");
        if (!log) log = spdlog::default_logger();
    }
};

// ---- one connection -----------------------------------------------------------------------------

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Shared> shared)
        : stream_(std::move(socket)), shared_(std::move(shared)) {
        beast::error_code ec;
        const auto ep = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_ = ep.address().to_string();
    }
    ~Session() {
        std::lock_guard lock(shared_->mutex);
        shared_->sessions.erase(this);
    }

    void run() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&Session::do_read, shared_from_this()));
    }

    // From any thread.
    void close_soon() {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
            self->stream_.close();
        });
    }

  private:
    void do_read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
        parser_->body_limit(shared_->options.max_body_bytes);
        stream_.expires_after(shared_->options.request_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == net::error::operation_aborted) {
            return do_close();
        }
        if (ec == beast::error::timeout) {
            shared_->log->debug("http {}: request not complete within {} s; closed", remote_,
                                shared_->options.request_timeout.count());
            return do_close();
        }
        if (ec == http::error::header_limit) {
            return reply_and_close(
                error_response(431, "headers_too_large",
                               "request headers exceed " +
                                   std::to_string(shared_->options.max_header_bytes) + " bytes"),
                "-", "-");
        }
        if (ec == http::error::body_limit) {
            const auto& h = parser_->get();
            return reply_and_close(
                error_response(413, "body_too_large",
                               "the request body exceeds " +
                                   std::to_string(shared_->options.max_body_bytes) + " bytes"),
                std::string(h.method_string()), strip_query(h.target()));
        }
        if (ec && is_parse_error(ec)) {
            return reply_and_close(
                error_response(400, "bad_request", "malformed HTTP request: " + ec.message()), "-",
                "-");
        }
        if (ec) return do_close();  // the peer went away
        handle(parser_->release());
    }

    static std::string strip_query(beast::string_view target) {
        const auto q = target.find('?');
        return std::string(target.substr(0, q));
    }

    void handle(http::request<http::string_body>&& msg) {
        const auto started = std::chrono::steady_clock::now();
        const bool live_upgrade = shared_->options.live != nullptr &&
                                  beast::websocket::is_upgrade(msg) &&
                                  strip_query(msg.target()) == kLivePath;
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.remote_address = remote_;
        req.body = std::move(msg.body());
        for (const auto& field : msg) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = std::string(field.value());
        }
        Response res;
        if (!split_target(req.target, req.path, req.query)) {
            res = error_response(400, "bad_request", "malformed percent-encoding in the URL");
        } else {
            // The one exception barrier per request.
            try {
                if (live_upgrade) {
                    auto admitted = shared_->options.live->impl().admit(req);
                    if (auto* ticket = std::get_if<LiveTicket>(&admitted)) {
                        return hand_over_to_live(std::move(msg), std::move(*ticket), started);
                    }
                    res = std::move(std::get<Response>(admitted));
                } else {
                    res = shared_->router.dispatch(req);
                }
            } catch (const std::exception& e) {
                shared_->log->error("http {} {}: handler failed: {}", req.method,
                                    strip_query(msg.target()), e.what());
                res = error_response(500, "internal_error",
                                     "the server failed to handle this request; it was logged");
            } catch (...) {
                shared_->log->error("http {} {}: handler failed", req.method,
                                    strip_query(msg.target()));
                res = error_response(500, "internal_error",
                                     "the server failed to handle this request; it was logged");
            }
        }
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
        const std::string user = req.principal ? req.principal->username : "-";
        send(std::move(res), msg.version(), msg.keep_alive(), req.method, strip_query(msg.target()),
             user, micros);
    }

    // The WebSocket session owns the socket from here; this session ends with this handler.
    void hand_over_to_live(http::request<http::string_body>&& msg, LiveTicket ticket,
                           std::chrono::steady_clock::time_point started) {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
        shared_->log->info("http {} {} 101 0 {}us {} {}", std::string(msg.method_string()),
                           strip_query(msg.target()), micros, ticket.who.username, remote_);
        shared_->options.live->impl().accept(stream_.release_socket(), std::move(msg),
                                             std::move(ticket), remote_);
    }

    void reply_and_close(Response res, const std::string& method, const std::string& path) {
        send(std::move(res), 11, false, method, path, "-", 0);
    }

    void send(Response res, unsigned version, bool keep_alive, const std::string& method,
              const std::string& path, const std::string& user, long long micros) {
        response_ = {};
        response_.version(version);
        response_.result(static_cast<http::status>(res.status));
        response_.set(http::field::server, "fleetwatch");
        response_.set(http::field::content_type, res.content_type);
        response_.set(http::field::cache_control, "no-store");
        for (auto& [name, value] : res.headers) response_.set(name, value);
        response_.body() = std::move(res.body);
        response_.keep_alive(keep_alive);
        response_.prepare_payload();
        close_after_ = !keep_alive;
        shared_->log->info("http {} {} {} {} {}us {} {}", method, path, res.status,
                           response_.body().size(), micros, user, remote_);
        stream_.expires_after(shared_->options.request_timeout);
        http::async_write(stream_, response_,
                          beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return do_close();
        if (close_after_) return do_drain_and_close();
        do_read();
    }

    // Half-closes, then reads (and discards) what the client still sends, until it closes, for
    // a bounded time: a close with unread bytes would reset the connection and could destroy
    // the response before the client read it.
    void do_drain_and_close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return do_close();
        drained_ = 0;
        stream_.expires_after(kDrainTime);
        do_drain();
    }
    void do_drain() {
        drain_buffer_.resize(16 * 1024);
        stream_.async_read_some(net::buffer(drain_buffer_),
                                beast::bind_front_handler(&Session::on_drain, shared_from_this()));
    }
    void on_drain(beast::error_code ec, std::size_t n) {
        drained_ += n;
        if (ec || drained_ > kDrainBytes) return do_close();
        do_drain();
    }

    void do_close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<HttpServer::Shared> shared_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    std::string remote_ = "?";
    bool close_after_ = false;
    std::vector<char> drain_buffer_;
    std::size_t drained_ = 0;
};

// ---- the acceptor -------------------------------------------------------------------------------

class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(net::io_context& io, std::shared_ptr<Shared> shared)
        : io_(io), acceptor_(net::make_strand(io)), shared_(std::move(shared)) {}

    std::uint16_t open(const tcp::endpoint& ep) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen(net::socket_base::max_listen_connections);
        return acceptor_.local_endpoint().port();
    }
    void run() {
        net::dispatch(acceptor_.get_executor(),
                      beast::bind_front_handler(&Listener::do_accept, shared_from_this()));
    }
    void stop() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->acceptor_.close(ec);
            self->retry_.cancel();
        });
    }

  private:
    void do_accept() {
        acceptor_.async_accept(net::make_strand(io_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }
    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
            auto session = std::make_shared<Session>(std::move(socket), shared_);
            {
                std::lock_guard lock(shared_->mutex);
                if (shared_->stopping) return;
                shared_->sessions.emplace(session.get(), session);
            }
            session->run();
        } else {
            // E.g. out of file descriptors: retry shortly rather than spin (and flood the log).
            shared_->log->warn("http: accept failed: {}; retrying in 100 ms", ec.message());
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
                if (!wait_ec) self->do_accept();
            });
            return;
        }
        do_accept();
    }

    net::io_context& io_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_{acceptor_.get_executor()};
    std::shared_ptr<Shared> shared_;
};

// ---- HttpServer ---------------------------------------------------------------------------------

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, const Router& router)
    : shared_(std::make_shared<Shared>(std::move(options), router)), io_(io) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    const tcp::endpoint ep = parse_endpoint(shared_->options.listen);
    listener_ = std::make_shared<Listener>(io_, shared_);
    try {
        port_ = listener_->open(ep);
    } catch (const boost::system::system_error& e) {
        listener_.reset();
        throw std::runtime_error(e.what());
    }
    listener_->run();
    shared_->log->info("http: REST API on {}:{}", ep.address().to_string(), port_);
}

void HttpServer::stop() {
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(shared_->mutex);
        if (shared_->stopping) return;
        shared_->stopping = true;
        for (auto& [ptr, weak] : shared_->sessions) {
            if (auto s = weak.lock()) open.push_back(std::move(s));
        }
    }
    if (listener_) listener_->stop();
    for (auto& s : open) s->close_soon();
}

std::uint16_t HttpServer::port() const noexcept { return port_; }

}  // namespace fleetwatch::api
