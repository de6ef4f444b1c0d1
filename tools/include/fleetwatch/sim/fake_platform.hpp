// A minimal JT/T 808 platform: enough of a server for the simulator's tests and for measuring
// the load generator without the real server (`fleetwatch-sim fake-platform`).
//
// It answers 0x0100 with 0x8100 (result 0 and a code; result 4 for a phone outside
// `known_phone_keys` when that list is given), checks the code in 0x0102, and answers every
// other uplink with 0x8001 (result 1 before authentication, else 0), using the terminal's header
// version and its own serials. Sub-packages are reassembled; each part is acknowledged, the
// completing part after the whole message was handled (as the real server does). It stores
// nothing but, with `record`, a bounded list of the messages it received.
//
// Thread-safety: start/stop from one thread; everything else from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::sim {

struct FakePlatformOptions {
    std::string listen = "127.0.0.1:0";
    std::vector<std::string> known_phone_keys;  // empty: every terminal may register
    bool record = true;
    std::size_t max_records = 200'000;
    std::size_t threads = 1;
    // Tests of 0x8003: the first time a sub-package with this index (1-based) arrives, pretend it
    // was lost — neither reassemble nor acknowledge it — and ask for it again with 0x8003.
    std::uint16_t lose_package_once = 0;
};

// One complete uplink message (reassembled when it came in sub-packages).
struct ReceivedMessage {
    std::string phone_key;
    std::uint16_t msg_id = 0;
    std::uint16_t serial = 0;  // of the frame that completed it
    jt808::HeaderVersion version = jt808::HeaderVersion::v2013;
    std::uint16_t frames = 1;  // sub-packages it came in
    bool authenticated = false;
    std::vector<std::uint8_t> body;
};

struct FakePlatformStats {
    std::uint64_t connections = 0;
    std::uint64_t open_sessions = 0;
    std::uint64_t frames = 0;
    std::uint64_t bad_frames = 0;
    std::uint64_t registrations = 0;
    std::uint64_t authentications = 0;  // successful
    std::uint64_t locations = 0;        // 0x0200
    std::uint64_t batches = 0;          // 0x0704
    std::uint64_t batch_items = 0;
    std::uint64_t heartbeats = 0;
    std::uint64_t terminal_responses = 0;  // 0x0001
    std::uint64_t resend_requests = 0;     // 0x8003 sent
};

class FakePlatform {
public:
    explicit FakePlatform(FakePlatformOptions options = {});
    ~FakePlatform();
    FakePlatform(const FakePlatform&) = delete;
    FakePlatform& operator=(const FakePlatform&) = delete;

    // Binds and starts the threads. Throws std::system_error when the address cannot be bound.
    void start();
    void stop();
    std::uint16_t port() const noexcept;

    FakePlatformStats stats() const;
    std::vector<ReceivedMessage> received() const;
    std::vector<ReceivedMessage> received(std::uint16_t msg_id) const;

    // Sends 0x8300 to the authenticated session of `phone_key`; false when there is none.
    bool send_text(std::string_view phone_key, const jt808::TextMessage& text);
    // Closes every session (the terminals see the server go away).
    void drop_connections();
    // Polls `done(stats())` until it holds or `timeout` passes.
    bool wait_until(const std::function<bool(const FakePlatformStats&)>& done,
                    std::chrono::milliseconds timeout) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::sim
