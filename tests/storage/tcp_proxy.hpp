// A TCP proxy between the writer and PostgreSQL that a test can cut: the database "goes away"
// for the writer (connections dropped, new ones refused) while it keeps running for the test.
// Loopback only; one thread; for tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace fleetwatch::storage::testing {

class TcpProxy {
  public:
    // Forwards 127.0.0.1:<port()> to `target`: "host:port" or a Unix socket path.
    explicit TcpProxy(std::string target);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    std::uint16_t port() const noexcept { return port_; }

    // Down: every open connection is closed and new ones are closed as soon as accepted.
    void set_up(bool up);

  private:
    void run();
    int connect_target() const;

    std::string target_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<bool> up_{true};
    std::atomic<bool> quit_{false};
    std::thread thread_;
};

}  // namespace fleetwatch::storage::testing
