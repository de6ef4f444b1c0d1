// Decoded JT/T 808 bodies -> the events the rest of fleetwatch consumes (core/).
//
// Pure functions, used by the sessions and testable without sockets.
#pragma once

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/position.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::ingest {

// Fills `out` from a 0x0200 body (also a 0x0201 body or a 0x0704 item):
//  - gps_time: the terminal's BCD time read as GMT+8, converted to UTC; when the time is not a
//    valid BCD time, gps_time = received_at (and the position is not valid);
//  - point: signed 1e-6 degrees (south/west from status bits 2/3);
//  - valid: status bit 1 (positioned) and a valid time. Latitude/longitude ranges were checked
//    by the decoder; "not in the future" is the rule engine's check (RULES.md).
void to_position(const jt808::Location& location, core::VehicleId vehicle_id,
                 core::Timestamp received_at, core::PositionSource source,
                 core::Position& out) noexcept;

// A 0x0702 body as a driver card event. 2011 bodies (no state) count as a card insertion. The
// terminal's time is GMT+8; without a valid time, `time` = received_at.
core::DriverCardEvent to_driver_card_event(const jt808::DriverIdentity& identity,
                                           core::VehicleId vehicle_id, core::Timestamp received_at);

}  // namespace fleetwatch::ingest
