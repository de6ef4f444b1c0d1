// What ingest hands to the rest of the system, and the interface it hands it through.
//
// `EventSink` is implemented by the storage writer (PostGIS, with an on-disk spool while the
// database is away), by a counting sink in benchmarks and by collecting sinks in tests. It is
// called from ingest threads, so implementations are thread-safe. A sink that returns false
// has *not* taken the events: the caller must answer the terminal with a failure (0x8001
// result 1) so the terminal keeps them and retries; a sink never drops what it accepted.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"

namespace fleetwatch::core {

// 0x0702: a driver's IC card inserted (shift starts) or removed (shift ends).
struct DriverCardEvent {
    VehicleId vehicle_id = 0;
    Timestamp time{};               // the terminal's time (GMT+8 on the wire, UTC here)
    Timestamp received_at{};
    bool inserted = false;          // false: card removed
    std::optional<std::uint8_t> ic_result;  // 0 = read OK (insert only)
    std::string driver_name;        // UTF-8
    std::string certificate_no;     // qualification certificate, matches drivers.certificate_no
    std::string issuer;
    std::string id_card_no;         // 2019 terminals
};

class EventSink {
public:
    virtual ~EventSink() = default;
    // Takes ownership of the positions' durability. All or nothing.
    virtual bool submit(std::span<const Position> positions) = 0;
    virtual bool submit(const DriverCardEvent& event) = 0;
    // An authenticated terminal sent something that is neither a position nor a card event
    // (a heartbeat, an answer to a downlink): it is online (RULES.md terminal_offline). Never
    // refused. Pure, like submit: a sink that wraps another must pass it on, and one that does
    // not judge liveness says so with an empty body (a default here once let a wrapper drop
    // every heartbeat unnoticed).
    virtual void contact(VehicleId vehicle, Timestamp received_at) = 0;
};

}  // namespace fleetwatch::core
