// Load mode: many terminal connections sending 0x0200 at a target aggregate rate, measuring the
// time from sending a report to receiving its 0x8001 (ack latency). Or, with `hold`, just
// connected and authenticated terminals sending heartbeats (the session-memory benchmark).
//
// Phases: (1) connect at `connect_rate` with at most `max_handshakes` connections registering or
// authenticating at once (0x0100 -> 0x8100 -> 0x0102 -> 0x8001), until every terminal is
// authenticated or `ready_timeout` passes; (2) for `duration`, send reports paced by a 1 ms tick
// that hands out `rate x elapsed - sent` reports round-robin (up to `burst` per connection per
// turn, in one write) to connections with fewer than `in_flight` unacknowledged ones (hold:
// heartbeats every `heartbeat`); (3) wait up to `drain` for
// the last acks. Dropped connections are counted and reconnected (with their auth code).
//
// Cost: connections are spread over `threads` io_contexts, one thread each. The send path patches
// a pre-encoded frame per connection (serial, GPS time, position, mileage, check byte) and
// escapes it into a reused buffer: no heap allocation per message once buffers have grown.
//
// Each report of a terminal carries a GPS time one second after its previous one, starting at
// `gps_start` (default: far enough in the past that the last report is not in the future), so
// no two reports of a terminal share a GPS time and the server cannot take them for duplicates.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/sim/ack_log.hpp"
#include "fleetwatch/sim/histogram.hpp"

namespace spdlog {
class logger;
}

namespace fleetwatch::sim {

struct LoadTerminal {
    std::string phone;  // digits as in the fleet file
    std::string plate;  // UTF-8
    std::uint8_t plate_color = 1;
};

struct LoadOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6808;
    std::vector<LoadTerminal> terminals;
    jt808::Dialect dialect = jt808::Dialect::v2013;
    double rate = 1000;      // aggregate reports per second; 0: as fast as `in_flight` allows
    unsigned in_flight = 1;  // unacknowledged reports per connection
    // Reports a connection sends in one write when its turn comes (<= in_flight). 1 is the shape
    // of real terminals (a segment per report); more cuts system calls on both ends.
    unsigned burst = 1;
    std::chrono::milliseconds duration{std::chrono::seconds(60)};
    bool hold = false;
    unsigned threads = 1;
    double connect_rate = 1000;       // new connections per second
    std::size_t max_handshakes = 500;  // connections registering/authenticating at once
    std::chrono::milliseconds ready_timeout{std::chrono::seconds(120)};
    std::chrono::milliseconds heartbeat{std::chrono::seconds(30)};
    std::chrono::milliseconds reply_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds drain{std::chrono::seconds(5)};
    std::chrono::milliseconds report_every{std::chrono::seconds(1)};
    std::optional<core::Timestamp> gps_start;
    AckLog* ack_log = nullptr;                // every acknowledged report, when set
    std::shared_ptr<spdlog::logger> logger;  // nullptr: spdlog's default
};

struct LoadReport {
    bool hold = false;
    std::size_t terminals = 0;
    std::size_t authenticated = 0;  // at the start of the sending phase
    double connect_s = 0;           // time to authenticate them
    double seconds = 0;             // length of the sending (or holding) phase
    std::uint64_t sent = 0;         // reports (hold: heartbeats)
    std::uint64_t acked = 0;        // 0x8001 result 0
    std::uint64_t nacked = 0;       // 0x8001 result != 0
    std::uint64_t unacked = 0;      // still in flight after the drain
    std::uint64_t errors = 0;       // connect/read/write failures, time-outs, refusals, bad frames
    std::uint64_t disconnects = 0;  // connections lost after authenticating
    HistogramSnapshot latency_us;

    double rate() const noexcept { return seconds > 0 ? static_cast<double>(sent) / seconds : 0; }
    // The stable summary line, e.g.
    // "load: terminals=1000 authenticated=1000 connect_s=1.2 seconds=60.0 sent=3000000
    //  acked=3000000 nacked=0 unacked=0 rate=50000/s p50_ms=0.41 p90_ms=0.80 p99_ms=2.10
    //  max_ms=14.20 errors=0 disconnects=0"
    // (hold: "hold: terminals=... authenticated=... connect_s=... seconds=... heartbeats=...
    //  acked=... errors=... disconnects=...").
    std::string summary_line() const;
};

// Runs a load test to completion (or until `*cancel` becomes true), printing progress lines to
// `progress` every `report_every`. Throws std::system_error when the server address does not
// resolve.
LoadReport run_load(const LoadOptions& options, std::FILE* progress, const std::atomic<bool>* cancel = nullptr);

// Raises RLIMIT_NOFILE (soft, and hard when permitted) to at least `wanted`; returns the soft
// limit in effect afterwards.
std::uint64_t raise_fd_limit(std::uint64_t wanted) noexcept;

}  // namespace fleetwatch::sim
