#include "fleetwatch/ingest/stats.hpp"

#include <cstdio>
#include <string>

namespace fleetwatch::ingest {

std::string_view to_string(Refusal r) noexcept {
    switch (r) {
        case Refusal::max_sessions:
            return "max_sessions";
        case Refusal::max_sessions_per_address:
            return "max_sessions_per_address";
        case Refusal::accept_error:
            return "accept_error";
        case Refusal::idle_timeout:
            return "idle_timeout";
        case Refusal::unauthenticated_timeout:
            return "unauthenticated_timeout";
        case Refusal::frame_too_large:
            return "frame_too_large";
        case Refusal::buffered_bytes:
            return "buffered_bytes";
        case Refusal::write_queue_full:
            return "write_queue_full";
        case Refusal::not_authenticated:
            return "not_authenticated";
        case Refusal::unknown_terminal:
            return "unknown_terminal";
        case Refusal::bad_auth_code:
            return "bad_auth_code";
        case Refusal::phone_mismatch:
            return "phone_mismatch";
        case Refusal::sink_refused:
            return "sink_refused";
        case Refusal::reassembly_limit:
            return "reassembly_limit";
        case Refusal::registration_backlog:
            return "registration_backlog";
        case Refusal::kCount:
            break;
    }
    return "unknown";
}

std::string_view to_string(CloseReason r) noexcept {
    switch (r) {
        case CloseReason::peer_closed:
            return "peer_closed";
        case CloseReason::read_error:
            return "read_error";
        case CloseReason::write_error:
            return "write_error";
        case CloseReason::idle_timeout:
            return "idle_timeout";
        case CloseReason::unauthenticated_timeout:
            return "unauthenticated_timeout";
        case CloseReason::frame_too_large:
            return "frame_too_large";
        case CloseReason::buffered_bytes:
            return "buffered_bytes";
        case CloseReason::write_queue_full:
            return "write_queue_full";
        case CloseReason::replaced:
            return "replaced";
        case CloseReason::shutdown:
            return "shutdown";
        case CloseReason::kCount:
            break;
    }
    return "unknown";
}

namespace {

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& r, const char* name,
                                                        const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
    return counter_family(r, name, help).Add({});
}

prometheus::Family<prometheus::Gauge>& sessions_family(prometheus::Registry& r) {
    return prometheus::BuildGauge()
        .Name("fleetwatch_ingest_sessions")
        .Help("Open terminal sessions by state")
        .Register(r);
}

std::string hex_id(std::uint16_t id) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(id));
    return buf;
}

}  // namespace

IngestStats::IngestStats(prometheus::Registry& registry)
    : sessions_unauthenticated(sessions_family(registry).Add({{"state", "unauthenticated"}})),
      sessions_authenticated(sessions_family(registry).Add({{"state", "authenticated"}})),
      connections_accepted(counter(registry, "fleetwatch_ingest_connections_accepted_total",
                                   "TCP connections accepted, before limits are checked")),
      session_duration(
          prometheus::BuildHistogram()
              .Name("fleetwatch_ingest_session_duration_seconds")
              .Help("How long sessions lasted, observed when they close")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 60, 300, 1800, 3600, 6 * 3600,
                                                               24 * 3600})),
      positions_accepted(counter(registry, "fleetwatch_ingest_positions_accepted_total",
                                 "Positions the event sink accepted (0x0200, 0x0201, 0x0704)")),
      driver_card_events(counter(registry, "fleetwatch_ingest_driver_card_events_total",
                                 "0x0702 driver card events the event sink accepted")),
      time_replies(counter(registry, "fleetwatch_ingest_time_replies_total",
                           "0x8004 server time replies sent")),
      resend_requests(counter(registry, "fleetwatch_ingest_resend_requests_total",
                              "0x8003 requests for missing sub-packages sent")),
      downlink_messages(counter(registry, "fleetwatch_ingest_downlink_messages_total",
                                "Platform-initiated messages queued to terminals")),
      messages_reassembled(counter(registry, "fleetwatch_ingest_messages_reassembled_total",
                                   "Sub-packaged messages reassembled")),
      bytes_received(
          counter(registry, "fleetwatch_ingest_bytes_received_total", "Bytes read from terminals")),
      bytes_sent(
          counter(registry, "fleetwatch_ingest_bytes_sent_total", "Bytes written to terminals")) {
    auto& closed_family = counter_family(registry, "fleetwatch_ingest_sessions_closed_total",
                                         "Sessions closed, by reason");
    for (std::size_t i = 0; i < closed.size(); ++i) {
        closed[i] =
            &closed_family.Add({{"reason", std::string(to_string(static_cast<CloseReason>(i)))}});
    }
    auto& frames_family = counter_family(registry, "fleetwatch_ingest_frames_total",
                                         "Valid frames received, by message id");
    for (std::size_t i = 0; i < kCountedMessageIds.size(); ++i) {
        frames[i] = &frames_family.Add({{"msg_id", hex_id(kCountedMessageIds[i])}});
    }
    frames[kCountedMessageIds.size()] = &frames_family.Add({{"msg_id", "other"}});

    auto& errors_family = counter_family(registry, "fleetwatch_ingest_decode_errors_total",
                                         "Frames or bodies that failed to decode, by reason");
    for (std::size_t i = 0; i < kErrcSlots; ++i) {
        // Add() returns the existing counter for a repeated label set, so every value beyond
        // the named ones shares the "unknown_error" counter.
        decode_errors[i] = &errors_family.Add(
            {{"reason", std::string(jt808::to_string(static_cast<jt808::Errc>(i)))}});
    }
    auto& refusals_family = counter_family(
        registry, "fleetwatch_ingest_refusals_total",
        "Connections, sessions and messages refused because of a limit or a rule, by reason");
    for (std::size_t i = 0; i < refusals.size(); ++i) {
        refusals[i] =
            &refusals_family.Add({{"reason", std::string(to_string(static_cast<Refusal>(i)))}});
    }
    auto& acks_family = counter_family(registry, "fleetwatch_ingest_acks_total",
                                       "0x8001 general responses sent, by result");
    constexpr std::array<const char*, kAckResults> kResults{"ok", "failure", "message_error",
                                                            "unsupported", "alarm_confirmed"};
    for (std::size_t i = 0; i < kAckResults; ++i)
        acks[i] = &acks_family.Add({{"result", kResults[i]}});

    auto& reg_family = counter_family(registry, "fleetwatch_ingest_registrations_total",
                                      "0x0100 registrations answered with 0x8100, by result");
    constexpr std::array<const char*, 3> kReg{"ok", "auto_registered", "unknown_terminal"};
    for (std::size_t i = 0; i < kReg.size(); ++i)
        registrations[i] = &reg_family.Add({{"result", kReg[i]}});

    auto& auth_family = counter_family(registry, "fleetwatch_ingest_authentications_total",
                                       "0x0102 authentications answered, by result");
    constexpr std::array<const char*, 3> kAuth{"ok", "bad_code", "unknown_terminal"};
    for (std::size_t i = 0; i < kAuth.size(); ++i)
        authentications[i] = &auth_family.Add({{"result", kAuth[i]}});
}

}  // namespace fleetwatch::ingest
