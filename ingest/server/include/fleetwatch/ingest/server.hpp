// The JT/T 808 TCP server (`fleetwatch serve`, port 6808).
//
// Shape. One io_context run by `threads` threads; one session per connection, each on its own
// strand, all written in one style (do_x/on_x completion handlers, as Beast's advanced server).
// Per read a session feeds its Framer, handles every complete frame, submits the positions of
// that read to the EventSink in one batch, appends every reply to one output buffer and starts
// at most one write. The hot path allocates nothing per frame.
//
// Protocol rules (API.md, JT808.md §1.4-§1.6, §1.14; docs/ingest.md has the reply table):
// 0x0100 -> 0x8100 (code issued by the TerminalDirectory, result 4 for an unknown terminal);
// 0x0102 -> 0x8001 0 or 1; business messages before authentication -> 0x8001 result 1, nothing
// stored; every accepted uplink gets its reply carrying the platform's own serial; a second
// connection for an authenticated terminal replaces the first.
//
// Limits (`Limits`) bound everything a peer controls; each refusal is counted in
// IngestStats::refusals and logged at a limited rate with its reason.
//
// Thread-safety: `start`, `stop` from one controlling thread; `send_to`, `send_text`,
// `session_count`, `is_connected` from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/ingest/stats.hpp"
#include "fleetwatch/ingest/terminal_directory.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace spdlog {
class logger;
}

namespace fleetwatch::ingest {

struct Limits {
    // A session with no valid frame for this long is closed (JT808.md §1.6: a few heartbeat
    // intervals; yzh uses 180 s).
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(180)};
    // A session not authenticated this long after connecting is closed.
    std::chrono::milliseconds max_unauthenticated_time{std::chrono::seconds(30)};
    // Largest un-escaped frame; a longer one closes the session (no terminal sends one).
    std::size_t max_frame_bytes = jt808::kMaxUnescapedFrame;
    // Bytes a session may hold for its peer: the partial frame plus sub-packages waiting for
    // their missing parts. Also the reassembler's byte cap.
    std::size_t max_buffered_bytes = 64 * 1024;
    std::size_t max_sessions = 20'000;
    std::size_t max_sessions_per_address = 64;  // 0: no per-address limit
    // Replies and downlink messages waiting to be written; above this the peer is not reading
    // and the session is closed.
    std::size_t write_queue_bytes = 64 * 1024;
    // SO_SNDBUF for sessions; 0 keeps the system default.
    std::size_t send_buffer_bytes = 0;
    // Sub-packages: ask for missing parts (0x8003) after this quiet time, give up after timeout.
    std::chrono::milliseconds resend_after{std::chrono::seconds(5)};
    std::chrono::milliseconds reassembly_timeout{std::chrono::seconds(60)};
    std::size_t max_reassembly_messages = 4;  // per session
    std::uint16_t max_packages_per_message = 1024;
    // 0x0100 registrations waiting for the directory (its hooks reach the database).
    std::size_t max_pending_registrations = 1024;
};

// A terminal that just authenticated (0x0102 accepted), for the app to record.
struct TerminalAuthenticated {
    std::string phone_key;
    core::VehicleId vehicle_id = 0;
    jt808::Dialect dialect = jt808::Dialect::v2013;
    std::string imei;              // 2019 terminals; empty otherwise
    std::string software_version;  // 2019 terminals; empty otherwise
    std::chrono::system_clock::time_point at;
};

struct ServerOptions {
    // "host:port" or "[v6-host]:port"; port 0 picks a free port (tests).
    std::string listen = "0.0.0.0:6808";
    std::size_t threads = 0;  // 0: one per core
    Limits limits;
    // Runs first on each I/O thread with its index (e.g. to pin it to a core).
    std::function<void(std::size_t)> on_thread_start;
    // nullptr: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
    // Called on the session's strand after each successful authentication; must not block
    // (queue the record and store it elsewhere).
    std::function<void(TerminalAuthenticated)> on_authenticated;
};


class Server {
  public:
    // The directory, sink and stats must outlive the server.
    Server(ServerOptions options, TerminalDirectory& directory, core::EventSink& sink,
           IngestStats& stats);
    ~Server();  // stop()s
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, listens and starts the I/O threads. Throws std::system_error when the address
    // cannot be bound.
    void start();
    // Stops accepting, closes every session (reason `shutdown`), waits up to `grace` for their
    // handlers to finish and joins the threads. Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

    // The bound port (after start).
    std::uint16_t port() const noexcept;
    std::size_t session_count() const noexcept;
    // True when an authenticated session for `phone_key` is open.
    bool is_connected(std::string_view phone_key) const;

    // Downlink. `encode_body` runs on the session's strand with the terminal's dialect and
    // appends the body; the session frames it with its own serial (sub-packages when long) and
    // queues it. `on_sent` (optional) gets the serial of the (first) frame, or std::nullopt if
    // the session closed first or the encoder failed. Returns false when no authenticated
    // session for `phone_key` is open (nothing is queued).
    using BodyEncoder = std::function<jt808::Status(jt808::Dialect, jt808::Buffer&)>;
    using SentCallback = std::function<void(std::optional<std::uint16_t> serial)>;
    bool send_to(std::string_view phone_key, std::uint16_t msg_id, BodyEncoder encode_body,
                 SentCallback on_sent = {});
    // 0x8300 text (e.g. a TTS reminder).
    bool send_text(std::string_view phone_key, jt808::TextMessage text, SentCallback on_sent = {});

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::ingest
