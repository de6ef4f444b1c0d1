// The ingest server's metrics, declared once and built from a prometheus::Registry.
//
// Every counter the hot path touches is resolved here, at construction, into a plain reference
// (or an array indexed by an enum), so a session never looks anything up in the registry. A
// session tallies what one read produced and adds it here once per read.
//
// Names (all prefixed `fleetwatch_ingest_`, label values are stable snake_case):
//   sessions{state}                    gauge: open sessions, "unauthenticated" | "authenticated"
//   connections_accepted_total         TCP connections accepted (before any limit check)
//   sessions_closed_total{reason}      CloseReason
//   session_duration_seconds           histogram, at close
//   frames_total{msg_id}               valid frames by message id ("0x0200"... or "other")
//   decode_errors_total{reason}        jt808::Errc names ("bad_checksum", "frame_too_large"...)
//   refusals_total{reason}             Refusal: every connection, session or message we refused
//   positions_accepted_total           positions the sink took (0x0200, 0x0201, 0x0704 items)
//   driver_card_events_total           0x0702 events the sink took
//   acks_total{result}                 0x8001 sent, by result ("ok", "failure", "message_error",
//                                      "unsupported")
//   registrations_total{result}        0x8100 sent: "ok", "auto_registered", "unknown_terminal"
//   authentications_total{result}      0x0102 answered: "ok", "bad_code", "unknown_terminal"
//   replies_total{msg_id}              other replies: "0x8004", "0x8003", "downlink"
//   messages_reassembled_total         sub-packaged messages completed
//   bytes_received_total, bytes_sent_total
//
// Thread-safety: prometheus counters and gauges are atomic; share one IngestStats.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleetwatch/jt808/error.hpp"

namespace fleetwatch::ingest {

// Why something a peer did was refused. Connection-level refusals close (or never open) the
// session; message-level ones answer 0x8001 with a failure result and keep the session.
enum class Refusal : std::uint8_t {
    max_sessions,              // connection: the server holds max_sessions already
    max_sessions_per_address,  // connection: this source address holds its limit already
    accept_error,              // accept() failed (e.g. out of file descriptors)
    idle_timeout,              // session: no valid frame for idle_timeout
    unauthenticated_timeout,   // session: not authenticated within max_unauthenticated_time
    frame_too_large,           // session: a frame longer than max_frame_bytes
    buffered_bytes,            // session: partial frame + sub-packages above max_buffered_bytes
    write_queue_full,          // session: replies/downlink waiting above write_queue_bytes
    not_authenticated,         // message: business message before 0x0102 succeeded
    unknown_terminal,          // message: 0x0100/0x0102 from a phone no vehicle has
    bad_auth_code,             // message: 0x0102 with the wrong code
    phone_mismatch,            // message: a frame for another phone on an authenticated session
    sink_refused,              // message: the event sink did not take the positions/event
    reassembly_limit,          // message: sub-package refused (pending messages/bytes/packages)
    registration_backlog,      // message: too many registrations waiting for the directory
    kCount
};
std::string_view to_string(Refusal r) noexcept;

enum class CloseReason : std::uint8_t {
    peer_closed,
    read_error,
    write_error,
    idle_timeout,
    unauthenticated_timeout,
    frame_too_large,
    buffered_bytes,
    write_queue_full,
    replaced,  // the same terminal connected again; the newer connection wins
    shutdown,
    kCount
};
std::string_view to_string(CloseReason r) noexcept;

// Label slots of frames_total: the message ids we name, then "other".
inline constexpr std::array<std::uint16_t, 14> kCountedMessageIds{
    0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0100, 0x0102,
    0x0104, 0x0200, 0x0201, 0x0702, 0x0704, 0x0800, 0x0801};
inline constexpr std::size_t kFrameSlots = kCountedMessageIds.size() + 1;

// Slot of `msg_id` in frames_total (the last slot is "other").
constexpr std::size_t frame_slot(std::uint16_t msg_id) noexcept {
    for (std::size_t i = 0; i < kCountedMessageIds.size(); ++i) {
        if (kCountedMessageIds[i] == msg_id) return i;
    }
    return kCountedMessageIds.size();
}

// Slots for decode_errors_total: jt808::Errc values index directly; anything beyond is folded
// into the last slot.
inline constexpr std::size_t kErrcSlots = 32;
constexpr std::size_t errc_slot(jt808::Errc e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < kErrcSlots ? i : kErrcSlots - 1;
}

// 0x8001 results: 0 ok, 1 failure, 2 message error, 3 unsupported, 4 alarm confirmed.
inline constexpr std::size_t kAckResults = 5;

enum class RegistrationResult : std::uint8_t { ok, auto_registered, unknown_terminal, kCount };
enum class AuthenticationResult : std::uint8_t { ok, bad_code, unknown_terminal, kCount };

struct IngestStats {
    explicit IngestStats(prometheus::Registry& registry);

    prometheus::Gauge& sessions_unauthenticated;
    prometheus::Gauge& sessions_authenticated;
    prometheus::Counter& connections_accepted;
    std::array<prometheus::Counter*, static_cast<std::size_t>(CloseReason::kCount)> closed{};
    prometheus::Histogram& session_duration;
    std::array<prometheus::Counter*, kFrameSlots> frames{};
    std::array<prometheus::Counter*, kErrcSlots> decode_errors{};
    std::array<prometheus::Counter*, static_cast<std::size_t>(Refusal::kCount)> refusals{};
    prometheus::Counter& positions_accepted;
    prometheus::Counter& driver_card_events;
    std::array<prometheus::Counter*, kAckResults> acks{};
    std::array<prometheus::Counter*, static_cast<std::size_t>(RegistrationResult::kCount)>
        registrations{};
    std::array<prometheus::Counter*, static_cast<std::size_t>(AuthenticationResult::kCount)>
        authentications{};
    prometheus::Counter& time_replies;       // 0x8004
    prometheus::Counter& resend_requests;    // 0x8003
    prometheus::Counter& downlink_messages;  // send_to / send_text
    prometheus::Counter& messages_reassembled;
    prometheus::Counter& bytes_received;
    prometheus::Counter& bytes_sent;

    prometheus::Counter& refusal(Refusal r) noexcept {
        return *refusals[static_cast<std::size_t>(r)];
    }
    prometheus::Counter& close_reason(CloseReason r) noexcept {
        return *closed[static_cast<std::size_t>(r)];
    }
    prometheus::Counter& decode_error(jt808::Errc e) noexcept {
        return *decode_errors[errc_slot(e)];
    }
    prometheus::Counter& frame(std::uint16_t msg_id) noexcept {
        return *frames[frame_slot(msg_id)];
    }
    prometheus::Counter& registration(RegistrationResult r) noexcept {
        return *registrations[static_cast<std::size_t>(r)];
    }
    prometheus::Counter& authentication(AuthenticationResult r) noexcept {
        return *authentications[static_cast<std::size_t>(r)];
    }
};

}  // namespace fleetwatch::ingest
