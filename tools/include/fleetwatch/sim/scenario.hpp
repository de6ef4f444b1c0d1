// Scenario mode: the terminals of a fleet file's `simulation:` section, each a JT/T 808 client
// that registers, authenticates and drives its route, reporting in (possibly accelerated) GPS
// time. docs/simulator.md describes the behaviour; this header the API.
//
// Each terminal, on one I/O thread owned by the Scenario:
//   connect -> 0x0100 (result != 0: logged, retried with back-off) -> 0x0102 with the code
//   (2019 form for 2019 terminals) -> [0x0702 card inserted, once] -> reports 0x0200 every
//   `report_interval_s` of GPS time; 0x0002 after `heartbeat` of wall-clock quiet.
//   Blind zone: fixes are buffered, then sent as 0x0704 type 1 batches of <= `batch_max`
//   (sub-packaged when longer than one frame). Silent: nothing is sent, the socket stays open.
//   Disconnected: fixes are buffered like a blind zone (bounded) and back-filled after
//   re-authentication; with `resend_unacked`, fixes sent but not acknowledged when the link
//   dropped are back-filled too (the server must de-duplicate).
//   Reconnects with exponential back-off; keeps its auth code across reconnects and registers
//   again when the server refuses it.
// Replies: 0x8001 (matched by our serial; result 0 = acknowledged -> `on_ack` per position;
// result 1 for positions = "try again" (e.g. the server's spool is full): they are kept for a
// back-fill after a back-off, and after 3 refusals in a row the terminal logs in again),
// 0x8300 (logged "TTS to PLATE: text" -> `on_text`, answered 0x0001), 0x8003 (the requested
// sub-packages are sent again), 0x8201 (answered 0x0201), anything else -> 0x0001 result 0.
//
// Thread-safety: start/stop from one controlling thread; stats() and status_line() from any
// thread. Hooks run on the Scenario's I/O thread and must not block for long.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/sim/ack_log.hpp"
#include "fleetwatch/sim/drive.hpp"
#include "fleetwatch/sim/route.hpp"
#include "fleetwatch/sim/wire.hpp"

namespace spdlog {
class logger;
}

namespace fleetwatch::sim {

struct TerminalSpec {
    TerminalIdentity identity;
    std::shared_ptr<const RoutePath> route;
    std::string route_name;
    DriveConfig drive;
    std::optional<DriverCard> card;  // 0x0702 inserted after the first authentication
};

// ---- Building terminals from a fleet file ------------------------------------------------------

struct BuildOptions {
    std::vector<std::string> only_plates;  // empty: every simulation.terminals entry
    double end_stop_s = 300;               // planned stop at each end of a route
    double noise = 0.03;
};

struct BuildResult {
    std::vector<TerminalSpec> terminals;
    std::vector<std::string> problems;  // e.g. "simulation.terminals[2]: no route \"x\""
};

// One TerminalSpec per `simulation.terminals` entry (in file order), filtered by `only_plates`.
BuildResult build_terminals(const fleet::Fleet& fleet, const BuildOptions& options);

// ---- Receiving texts (0x8300) --------------------------------------------------------------

struct TextReceived {
    std::string phone_key;
    std::string plate;
    std::uint8_t flag = 0;
    bool tts = false;  // flag bit 3
    std::string text;  // UTF-8
};

// Collects every text the simulated terminals received; tests wait on it. Thread-safe.
class TextCollector {
public:
    void add(TextReceived text);
    std::vector<TextReceived> all() const;
    // The first text for `plate` containing `needle` (empty: any), waiting up to `timeout`.
    std::optional<TextReceived> wait_for(std::string_view plate, std::string_view needle,
                                         std::chrono::milliseconds timeout) const;

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::vector<TextReceived> texts_;
};

// ---- Running ---------------------------------------------------------------------------------

struct ScenarioOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6808;
    core::Timestamp gps_start{};     // GPS time at simulated second 0
    double time_scale = 1;           // GPS seconds per wall-clock second
    double report_interval_s = 10;   // GPS seconds between reports
    std::chrono::milliseconds heartbeat{std::chrono::seconds(30)};   // wall clock
    std::chrono::milliseconds reply_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds reconnect_min{std::chrono::seconds(1)};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
    std::size_t batch_max = 30;           // items per 0x0704
    std::size_t max_buffered = 10'000;    // fixes kept while offline/blind; oldest dropped
    bool resend_unacked = true;
    std::shared_ptr<spdlog::logger> logger;  // nullptr: spdlog's default
};

struct ScenarioHooks {
    std::function<void(const AckedPosition&)> on_ack;
    std::function<void(const TextReceived&)> on_text;
};

struct ScenarioStats {
    std::uint64_t terminals = 0;
    std::uint64_t connected = 0;
    std::uint64_t authenticated = 0;
    std::uint64_t positions_sent = 0;     // in 0x0200 and in 0x0704 items
    std::uint64_t positions_acked = 0;
    std::uint64_t positions_buffered = 0; // waiting for a back-fill now
    std::uint64_t positions_dropped = 0;  // buffer overflow
    std::uint64_t batches_sent = 0;       // 0x0704 messages
    std::uint64_t nacks = 0;              // 0x8001 with result != 0
    std::uint64_t texts = 0;
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t errors = 0;
    double simulated_s = 0;
    std::string last_error;
};

class Scenario {
public:
    Scenario(std::vector<TerminalSpec> terminals, ScenarioOptions options, ScenarioHooks hooks = {});
    ~Scenario();  // stop()s
    Scenario(const Scenario&) = delete;
    Scenario& operator=(const Scenario&) = delete;

    // Resolves the server address and starts the I/O thread; the simulated clock starts now.
    // Throws std::system_error when the address does not resolve.
    void start();
    // Closes every connection and joins the thread. Idempotent.
    void stop();

    ScenarioStats stats() const;
    // "sim: t=00:12:30 gps=2026-03-10T01:02:03Z terminals=6 connected=6 authenticated=6
    //  sent=120 acked=118 buffered=0 batches=1 texts=0 nacks=0 reconnects=0 errors=0 last_error=-"
    std::string status_line() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::sim
