// A small WebSocket client for the live stream's tests (Boost.Beast over loopback): connects,
// upgrades (offering a subprotocol if asked), and reads frames with a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fleetwatch::api::testing {

struct WsFrame {
    bool binary = false;
    std::string payload;
};

class WsClient {
  public:
    // Connects to 127.0.0.1:port and sends the upgrade for `target`. When the server refuses
    // it, open() is false and refused_status()/refused_body() say how. `receive_buffer` > 0
    // sets SO_RCVBUF before connecting (a small one makes a slow reader fall behind sooner).
    WsClient(std::uint16_t port, const std::string& target, const std::string& subprotocol = {},
             int receive_buffer = 0);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    bool open() const noexcept;
    int refused_status() const noexcept;  // 0 when upgraded
    const std::string& refused_body() const noexcept;
    const std::string& subprotocol() const noexcept;  // as the server answered

    // The next frame; nullopt after `timeout`, or once the server closed (close_code()).
    std::optional<WsFrame> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // The close code the server sent, once read() saw its close frame.
    std::optional<int> close_code() const noexcept;
    bool timed_out() const noexcept;  // the last read() ended by its timeout
    void close();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::api::testing
