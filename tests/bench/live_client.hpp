// The WebSocket clients of the live-stream benchmarks (live_bench.cpp, live_probe.cpp): many
// clients on one io_context, each reading frames and handing every payload with its receive
// time to a callback. Header-only; the benchmarks are single programs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fleetwatch::bench {

using BenchClock = std::chrono::steady_clock;

// Microseconds on the steady clock since the program's first call.
inline std::int64_t micros_now() {
    static const BenchClock::time_point epoch = BenchClock::now();
    return std::chrono::duration_cast<std::chrono::microseconds>(BenchClock::now() - epoch).count();
}

// The p-quantile (0..1) of `v` (reorders it); 0 when empty.
inline std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

// One live-stream client. `on_frame(payload, received_us)` runs on the io_context's thread.
class LiveClient : public std::enable_shared_from_this<LiveClient> {
  public:
    using OnFrame = std::function<void(const std::string& payload, std::int64_t received_us)>;

    LiveClient(boost::asio::io_context& io, bool proto, OnFrame on_frame)
        : ws_(io), proto_(proto), on_frame_(std::move(on_frame)) {}

    // Connects and upgrades (blocking) to ws://127.0.0.1:port`target`; false on failure.
    bool connect(std::uint16_t port, const std::string& target) {
        namespace beast = boost::beast;
        beast::error_code ec;
        beast::get_lowest_layer(ws_).connect(
            boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
        if (ec) return false;
        if (proto_) {
            ws_.set_option(beast::websocket::stream_base::decorator(
                [](beast::websocket::request_type& r) {
                    r.set(beast::http::field::sec_websocket_protocol, "fleetwatch.v1.proto");
                }));
        }
        ws_.handshake("127.0.0.1", target, ec);
        return !ec;
    }
    void start() { do_read(); }
    std::size_t received() const { return received_; }
    bool closed() const { return closed_; }

  private:
    void do_read() {
        ws_.async_read(buffer_, [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
            if (ec) {
                self->closed_ = true;
                return;
            }
            const std::int64_t now = micros_now();
            self->on_frame_(boost::beast::buffers_to_string(self->buffer_.data()), now);
            ++self->received_;
            self->buffer_.consume(self->buffer_.size());
            self->do_read();
        });
    }

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    bool proto_;
    OnFrame on_frame_;
    boost::beast::flat_buffer buffer_;
    std::size_t received_ = 0;
    bool closed_ = false;
};

}  // namespace fleetwatch::bench
