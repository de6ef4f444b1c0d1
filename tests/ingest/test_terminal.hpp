// A scripted JT/T 808 terminal for the ingest tests: a blocking POSIX socket, the codec's
// encoders to build frames and its Framer/parse_frame to read replies. Every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::ingest::test {

using namespace std::chrono_literals;

// A frame the server sent, with its body owned.
struct Reply {
    jt808::Header header;
    std::vector<std::uint8_t> body;

    jt808::Expected<jt808::Body> decode() const { return jt808::decode_body(header, body); }
    // The 0x8001 body (fails the test expectations with a default value if it is not one).
    jt808::PlatformResponse ack() const;
};

class TestTerminal {
  public:
    // Connects to 127.0.0.1:port. `phone` as digits (padded on the wire).
    TestTerminal(std::uint16_t port, std::string phone = "013800138000",
                 jt808::Dialect dialect = jt808::Dialect::v2013, int receive_buffer = 0);
    ~TestTerminal();
    TestTerminal(const TestTerminal&) = delete;
    TestTerminal& operator=(const TestTerminal&) = delete;

    bool connected() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }
    jt808::Dialect dialect() const noexcept { return dialect_; }
    const jt808::PhoneNumber& phone() const noexcept { return phone_; }

    // Encodes and sends one message (sub-packages when `max_package_body` is smaller than the
    // body); returns the serial of its (first) frame.
    std::uint16_t send(std::uint16_t msg_id, jt808::Bytes body,
                       std::size_t max_package_body = jt808::kMaxBodyBytes);
    template <class M>
    std::uint16_t send_message(const M& m) {
        jt808::Buffer body;
        (void)jt808::encode_body(m, dialect_, body);
        return send(jt808::kMessageId<M>, body);
    }
    // The frames of a message without sending them (for split/duplicate tests).
    std::vector<std::vector<std::uint8_t>> frames(std::uint16_t msg_id, jt808::Bytes body,
                                                  std::size_t max_package_body);
    // Raw bytes; false if the peer closed.
    bool send_raw(std::span<const std::uint8_t> bytes);

    // The next frame from the server within `timeout`.
    std::optional<Reply> receive(std::chrono::milliseconds timeout = 3s);
    // The next frame with `msg_id` within `timeout`, skipping others.
    std::optional<Reply> receive_id(std::uint16_t msg_id, std::chrono::milliseconds timeout = 3s);
    // True when the server closes the connection within `timeout` (EOF or reset).
    bool wait_closed(std::chrono::milliseconds timeout = 3s);

    // 0x0100 -> 0x8100; returns the 0x8100 body.
    std::optional<jt808::RegistrationResponse> register_terminal(std::string plate = "TEST01");
    // Registers and authenticates; true when both succeeded.
    bool login();
    // 0x0102 with `code` -> the 0x8001 result (nullopt when no answer).
    std::optional<std::uint8_t> authenticate(const std::string& code);

    std::uint16_t next_serial() const noexcept { return serial_; }
    void set_serial(std::uint16_t s) noexcept { serial_ = s; }

  private:
    bool fill(std::chrono::steady_clock::time_point deadline);  // one recv; false on close/timeout

    int fd_ = -1;
    bool eof_ = false;
    jt808::Dialect dialect_;
    jt808::PhoneNumber phone_;
    std::uint16_t serial_ = 1;
    jt808::Framer framer_;
    std::deque<std::vector<std::uint8_t>> pending_;  // un-escaped frames received

    friend struct FrameCollector;
};

// A location report with the given values (time is GMT+8 as on the wire).
jt808::Location make_location(std::int32_t lat_e6, std::int32_t lon_e6, std::uint16_t speed_dkmh,
                              core::CivilTime gmt8, std::uint32_t status = 0x2,
                              std::uint32_t alarm = 0);

// Collects what the server hands over; can be told to refuse.
class CollectingSink : public core::EventSink {
  public:
    bool submit(std::span<const core::Position> positions) override;
    bool submit(const core::DriverCardEvent& event) override;
    void contact(core::VehicleId vehicle, core::Timestamp received_at) override;

    std::vector<core::Position> positions() const;
    std::vector<std::pair<core::VehicleId, core::Timestamp>> contacts() const;
    std::vector<core::DriverCardEvent> cards() const;
    std::size_t position_count() const;
    void refuse(bool on);

  private:
    mutable std::mutex mutex_;
    std::vector<core::Position> positions_;
    std::vector<core::DriverCardEvent> cards_;
    std::vector<std::pair<core::VehicleId, core::Timestamp>> contacts_;
    bool refuse_ = false;
};

// Polls `pred` every 5 ms until it holds or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

}  // namespace fleetwatch::ingest::test
