#include "test_receiver.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fleetwatch::webhooks::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

TestReceiver::TestReceiver(int fail_first, int fail_status)
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      fail_left_(fail_first),
      fail_status_(fail_status) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
}

TestReceiver::~TestReceiver() {
    io_.stop();
    thread_.join();
}

std::string TestReceiver::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<TestReceiver::Request> TestReceiver::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<TestReceiver::Request> TestReceiver::accepted() const {
    std::vector<Request> out;
    for (auto& r : requests()) {
        if (r.answered >= 200 && r.answered < 300) out.push_back(std::move(r));
    }
    return out;
}

void TestReceiver::fail_next(int n, int status) {
    std::lock_guard lock(mutex_);
    fail_left_ = n;
    fail_status_ = status;
}

void TestReceiver::set_answer_body(std::string body) {
    std::lock_guard lock(mutex_);
    answer_body_ = std::move(body);
}

void TestReceiver::accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec) return;
        serve(std::move(socket));
        accept();
    });
}

// Synchronous on the receiver's thread: one exchange per connection (the client says close).
void TestReceiver::serve(tcp::socket socket) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    const auto field = [&req](std::string_view name) {
        const auto it = req.find(boost::beast::string_view(name.data(), name.size()));
        return it == req.end() ? std::string() : std::string(it->value());
    };
    Request r{std::string(req.target()), req.body(),
              field("X-Fleetwatch-Signature"), field("X-Fleetwatch-Delivery"),
              field("X-Fleetwatch-Event"), field("X-Fleetwatch-Attempt"),
              field("Content-Type"), 200};
    std::string answer;
    {
        std::lock_guard lock(mutex_);
        if (fail_left_ > 0) {
            --fail_left_;
            r.answered = fail_status_;
            answer = R"({"error":"not now"})";
        } else {
            answer = answer_body_;
        }
    }
    if (const auto d = delay_ms_.load(); d > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds{d});
    }
    http::response<http::string_body> res{static_cast<http::status>(r.answered), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = answer;
    res.prepare_payload();
    http::write(socket, res, ec);
    if (!ec) {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(r));
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace fleetwatch::webhooks::testing
