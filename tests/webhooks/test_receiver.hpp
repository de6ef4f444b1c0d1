// A webhook receiver for the tests: an HTTP server on 127.0.0.1 (port 0) that records every
// request and answers the first `fail_first` of them with `fail_status`, then 200 (or what
// set_answer() says). One connection at a time, on a thread of its own.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fleetwatch::webhooks::testing {

class TestReceiver {
  public:
    explicit TestReceiver(int fail_first = 0, int fail_status = 500);
    ~TestReceiver();
    TestReceiver(const TestReceiver&) = delete;
    TestReceiver& operator=(const TestReceiver&) = delete;

    struct Request {
        std::string target;
        std::string body;
        std::string signature;  // X-Fleetwatch-Signature
        std::string delivery;   // X-Fleetwatch-Delivery
        std::string event;      // X-Fleetwatch-Event
        std::string attempt;    // X-Fleetwatch-Attempt
        std::string content_type;
        int answered = 0;       // the status sent back
    };

    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path = "/hook") const;

    // Every request so far, in arrival order; those answered 2xx.
    std::vector<Request> requests() const;
    std::vector<Request> accepted() const;

    // From now on: fail the next `n` requests with `status`.
    void fail_next(int n, int status = 500);
    // The 200's body (the robots answer {"errcode":0,...}).
    void set_answer_body(std::string body);
    // Hold every answer this long (a slow receiver).
    void set_delay(std::chrono::milliseconds d) { delay_ms_ = d.count(); }

  private:
    void accept();
    void serve(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    std::vector<Request> requests_;
    int fail_left_ = 0;
    int fail_status_ = 500;
    std::string answer_body_ = "{}";
    std::atomic<long long> delay_ms_{0};
    std::thread thread_;
};

}  // namespace fleetwatch::webhooks::testing
