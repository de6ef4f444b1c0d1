#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <thread>

namespace fleetwatch::api::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpReply::error_code() const {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("error")) return "";
    return j["error"].value("code", "");
}

struct HttpClient::Impl {
    net::io_context io;
    tcp::socket socket{io};
    beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
    impl_->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
}

HttpClient::~HttpClient() {
    beast::error_code ec;
    impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
}

HttpReply HttpClient::read_reply() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(impl_->socket, impl_->buffer, parser);
    auto res = parser.release();
    HttpReply r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    r.keep_alive = res.keep_alive();
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
    }
    return r;
}

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const std::string& body, const std::string& token,
                              std::map<std::string, std::string> headers) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(impl_->socket, req);
    return read_reply();
}

void HttpClient::send_raw(const std::string& bytes) {
    net::write(impl_->socket, net::buffer(bytes));
}

bool HttpClient::closed_by_server(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    impl_->socket.non_blocking(true);
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        beast::error_code ec;
        const auto n = impl_->socket.read_some(net::buffer(&c, 1), ec);
        if (ec == net::error::would_block) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        impl_->socket.non_blocking(false);
        return ec == net::error::eof || ec == net::error::connection_reset || (!ec && n == 0);
    }
    impl_->socket.non_blocking(false);
    return false;
}

}  // namespace fleetwatch::api::testing
