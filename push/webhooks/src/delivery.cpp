#include "fleetwatch/webhooks/delivery.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

namespace fleetwatch::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// HMAC-SHA256 of `message` with `key`: 32 bytes.
std::string hmac_sha256(std::string_view key, std::string_view message) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string signature_header(std::string_view secret, std::string_view body) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256=";
    for (const char c : hmac_sha256(secret, body)) {
        const auto b = static_cast<unsigned char>(c);
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}

bool dingtalk_signs(std::string_view format, std::string_view secret) {
    return format == "dingtalk" && secret.starts_with("SEC");
}

std::string dingtalk_sign_query(std::string_view secret, std::int64_t timestamp_ms) {
    const std::string timestamp = std::to_string(timestamp_ms);
    const std::string mac = hmac_sha256(secret, timestamp + "\n" + std::string(secret));
    std::string b64(4 * ((mac.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(mac.data()),
                                  static_cast<int>(mac.size()));
    b64.resize(static_cast<std::size_t>(std::max(n, 0)));
    std::string sign;  // URL-encoded: base64's '+', '/' and '='
    for (const char c : b64) {
        if (c == '+') sign += "%2B";
        else if (c == '/') sign += "%2F";
        else if (c == '=') sign += "%3D";
        else sign += c;
    }
    return "timestamp=" + timestamp + "&sign=" + sign;
}

std::chrono::milliseconds retry_delay(const RetryPolicy& p, int attempts_made, double jitter) {
    const int n = std::clamp(attempts_made, 1, 40);
    const double base = static_cast<double>(p.base.count());
    const double raw = std::min(base * std::pow(2.0, n - 1), static_cast<double>(p.cap.count()));
    const double factor = 0.8 + 0.4 * std::clamp(jitter, 0.0, 0.999999);
    return std::chrono::milliseconds{static_cast<std::int64_t>(raw * factor)};
}

std::optional<Url> parse_url(std::string_view text) {
    if (text.size() > 2048) return std::nullopt;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '#') return std::nullopt;
    }
    Url url;
    std::string_view rest;
    if (text.starts_with("http://")) {
        rest = text.substr(7);
        url.port = 80;
    } else if (text.starts_with("https://")) {
        rest = text.substr(8);
        url.https = true;
        url.port = 443;
    } else {
        return std::nullopt;
    }
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (url.target.front() == '?') url.target.insert(0, "/");
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1) return std::nullopt;
        url.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
        if (url.host.empty() || url.host.find_first_of(":[]") != std::string::npos) {
            return std::nullopt;
        }
    }
    if (!port.empty()) {
        if (port.size() > 5) return std::nullopt;
        unsigned value = 0;
        for (const char c : port) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return std::nullopt;
        url.port = static_cast<std::uint16_t>(value);
    }
    return url;
}

namespace {

constexpr std::size_t kMaxAnswerBody = 64 * 1024;

// One request/response on `Stream` (beast::tcp_stream or beast::ssl_stream of one), as a chain
// of completion handlers on a private io_context; `finish` records the outcome once.
template <class Stream>
class Exchange {
  public:
    Exchange(asio::io_context& io, Stream& stream, const Url& url,
             http::request<http::string_body>& request, PostResult& out)
        : io_(io), stream_(stream), resolver_(io), url_(url), request_(request), out_(out) {
        parser_.body_limit(kMaxAnswerBody);
    }

    void start() {
        resolver_.async_resolve(url_.host, std::to_string(url_.port),
                                [this](beast::error_code ec, tcp::resolver::results_type r) {
                                    if (ec) return finish("resolve", ec);
                                    connect(r);
                                });
    }
    // Gives up: closes everything (the pending operations complete with operation_aborted,
    // which no longer counts as the outcome).
    void cancel() {
        done_ = true;
        resolver_.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }
    bool done() const { return done_; }

  private:
    void connect(const tcp::resolver::results_type& endpoints) {
        beast::get_lowest_layer(stream_).async_connect(
            endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return finish("connect", ec);
                handshake();
            });
    }

    void handshake() {
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            write();
        } else {
            stream_.async_handshake(asio::ssl::stream_base::client, [this](beast::error_code ec) {
                if (ec) return finish("tls handshake", ec);
                write();
            });
        }
    }

    void write() {
        http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
            if (ec) return finish("write", ec);
            http::async_read(stream_, buffer_, parser_, [this](beast::error_code ec2, std::size_t) {
                if (ec2 && !(ec2 == http::error::body_limit && parser_.is_header_done())) {
                    return finish("read", ec2);
                }
                out_.status = parser_.get().result_int();
                out_.body = parser_.get().body();
                finish("", {});
            });
        });
    }

    void finish(std::string_view step, beast::error_code ec) {
        if (done_) return;
        done_ = true;
        if (ec) out_.error = std::string(step) + ": " + ec.message();
        io_.stop();
    }

    asio::io_context& io_;
    Stream& stream_;
    tcp::resolver resolver_;
    const Url& url_;
    http::request<http::string_body>& request_;
    PostResult& out_;
    beast::flat_buffer buffer_;
    http::response_parser<http::string_body> parser_;
    bool done_ = false;
};

template <class Stream>
void run(asio::io_context& io, Stream& stream, const Url& url,
         http::request<http::string_body>& request, std::chrono::milliseconds timeout,
         const std::atomic<bool>& abandon, PostResult& out) {
    Exchange<Stream> exchange(io, stream, url, request, out);
    exchange.start();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exchange.done()) {
        io.run_for(std::chrono::milliseconds{50});
        if (exchange.done()) break;
        const bool late = std::chrono::steady_clock::now() >= deadline;
        if (late || abandon.load()) {
            out.abandoned = !late;
            out.error = late ? "timed out after " + std::to_string(timeout.count()) + " ms"
                             : "abandoned at shutdown";
            exchange.cancel();
            io.restart();
            io.poll();  // let the aborted handlers run while their objects live
            out.status.reset();
            out.body.clear();
            return;
        }
        io.restart();
    }
}

}  // namespace

PostResult post(const Url& url, const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& body, std::chrono::milliseconds timeout,
                const std::atomic<bool>& abandon) {
    PostResult out;
    http::request<http::string_body> request{http::verb::post, url.target, 11};
    const bool default_port = url.port == (url.https ? 443 : 80);
    const std::string host =
        (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host);
    request.set(http::field::host, default_port ? host : host + ":" + std::to_string(url.port));
    request.set(http::field::user_agent, "fleetwatch-webhooks/1");
    request.set(http::field::content_type, "application/json; charset=utf-8");
    request.set(http::field::connection, "close");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();

    asio::io_context io;
    try {
        if (!url.https) {
            beast::tcp_stream stream(io);
            run(io, stream, url, request, timeout, abandon, out);
            return out;
        }
        asio::ssl::context tls(asio::ssl::context::tls_client);
        tls.set_default_verify_paths();
        tls.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(io, tls);
        stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
        // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
        if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())) != 1) {
            out.error = "tls: cannot set the server name " + url.host;
            return out;
        }
        run(io, stream, url, request, timeout, abandon, out);
    } catch (const std::exception& e) {  // TLS context set-up (no CA store ...)
        out.error = std::string("tls: ") + e.what();
    }
    return out;
}

namespace {

// The group robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a failure.
std::optional<std::string> robot_error(std::string_view format, const std::string& answer) {
    if (format == "json") return std::nullopt;
    const auto j = nlohmann::json::parse(answer, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    const auto code = j.find("errcode");
    if (code == j.end() || !code->is_number_integer() || code->get<long long>() == 0) {
        return std::nullopt;
    }
    std::string msg = j.value("errmsg", std::string{});
    if (msg.size() > 200) msg.resize(200);
    return "errcode " + std::to_string(code->get<long long>()) + ": " + msg;
}

}  // namespace

SendResult send(const std::string& url, std::string_view format, std::string_view secret,
                const std::string& body, const std::string& delivery_id, std::string_view event,
                int attempt, std::chrono::milliseconds timeout, const std::atomic<bool>& abandon) {
    SendResult out;
    const auto target = parse_url(url);
    if (!target) {
        out.error = "the url cannot be used";
        return out;
    }
    const std::vector<std::pair<std::string, std::string>> headers{
        {"X-Fleetwatch-Signature", signature_header(secret, body)},
        {"X-Fleetwatch-Delivery", delivery_id},
        {"X-Fleetwatch-Event", std::string(event)},
        {"X-Fleetwatch-Attempt", std::to_string(attempt)}};
    Url to = *target;
    if (dingtalk_signs(format, secret)) {
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        to.target += (to.target.find('?') == std::string::npos ? "?" : "&") +
                     dingtalk_sign_query(secret, now_ms);
    }
    PostResult p = post(to, headers, body, timeout, abandon);
    out.abandoned = p.abandoned;
    out.status = p.status;
    out.answer = std::move(p.body);
    if (!p.status) {
        out.error = std::move(p.error);
    } else if (*p.status < 200 || *p.status >= 300) {
        out.error = "HTTP " + std::to_string(*p.status);
    } else if (auto err = robot_error(format, out.answer)) {
        out.error = std::move(*err);
    } else {
        out.delivered = true;
    }
    return out;
}

}  // namespace fleetwatch::webhooks
