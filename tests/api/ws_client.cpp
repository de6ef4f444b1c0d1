#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace fleetwatch::api::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct WsClient::Impl {
    net::io_context io;
    websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buffer;
    bool open = false;
    int refused_status = 0;
    std::string refused_body;
    std::string subprotocol;
    std::optional<int> close_code;
    bool timed_out = false;
};

WsClient::WsClient(std::uint16_t port, const std::string& target, const std::string& subprotocol,
                   int receive_buffer)
    : impl_(std::make_unique<Impl>()) {
    auto& sock = beast::get_lowest_layer(impl_->ws).socket();
    sock.open(tcp::v4());
    if (receive_buffer > 0) sock.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    sock.connect({net::ip::make_address("127.0.0.1"), port});
    if (!subprotocol.empty()) {
        impl_->ws.set_option(
            websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
                req.set(http::field::sec_websocket_protocol, subprotocol);
            }));
    }
    websocket::response_type res;
    // The asynchronous handshake, because only it keeps a refusal's response (Beast 1.74).
    beast::error_code ec;
    impl_->ws.async_handshake(res, "127.0.0.1", target,
                              [&](beast::error_code e) { ec = e; });
    impl_->io.run();
    if (ec) {
        impl_->refused_status = static_cast<int>(res.result_int());
        impl_->refused_body = res.body();
        return;
    }
    impl_->open = true;
    impl_->subprotocol = std::string(res[http::field::sec_websocket_protocol]);
}

WsClient::~WsClient() = default;

bool WsClient::open() const noexcept { return impl_->open; }
int WsClient::refused_status() const noexcept { return impl_->refused_status; }
const std::string& WsClient::refused_body() const noexcept { return impl_->refused_body; }
const std::string& WsClient::subprotocol() const noexcept { return impl_->subprotocol; }
std::optional<int> WsClient::close_code() const noexcept { return impl_->close_code; }
bool WsClient::timed_out() const noexcept { return impl_->timed_out; }

std::optional<WsFrame> WsClient::read(std::chrono::milliseconds timeout) {
    impl_->timed_out = false;
    if (!impl_->open) return std::nullopt;
    std::optional<beast::error_code> result;
    impl_->buffer.clear();
    impl_->ws.async_read(impl_->buffer,
                         [&](beast::error_code ec, std::size_t) { result = ec; });
    impl_->io.restart();
    impl_->io.run_for(timeout);
    if (!result) {
        // Cancelling a websocket read leaves the stream unusable: this client is done.
        impl_->timed_out = true;
        impl_->open = false;
        beast::get_lowest_layer(impl_->ws).socket().close();
        impl_->io.restart();
        impl_->io.run();
        return std::nullopt;
    }
    if (*result) {
        impl_->open = false;
        // The close frame, when one came: also when answering it failed (the server had
        // already closed the socket).
        const auto code = impl_->ws.reason().code;
        if (*result == websocket::error::closed || code != websocket::close_code::none) {
            impl_->close_code = code;
        }
        return std::nullopt;
    }
    return WsFrame{impl_->ws.got_binary(), beast::buffers_to_string(impl_->buffer.data())};
}

void WsClient::close() {
    if (!impl_->open) return;
    impl_->open = false;
    beast::error_code ec;
    impl_->ws.close(websocket::close_code::normal, ec);
}

}  // namespace fleetwatch::api::testing
