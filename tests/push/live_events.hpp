// Events for the live hub's and the live stream's tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fleetwatch/push/publisher.hpp"

namespace fleetwatch::push::testing {

// violation.opened of an overspeed on `vehicle` (130 km/h from 2026-03-10T01:02:03Z); `padding`
// characters of subtype make the frame larger.
inline ViolationEvent opened(std::int64_t id, core::VehicleId vehicle, std::size_t padding = 0) {
    ViolationEvent e;
    e.kind = ViolationEventKind::opened;
    e.violation_id = id;
    e.type = "overspeed";
    e.subtype = std::string(padding, 'x');
    e.severity = "serious";
    e.vehicle_id = vehicle;
    e.started_at = core::Timestamp{std::chrono::seconds{1'773'104'523}};
    e.peak = 130;
    e.peak_unit = "km/h";
    return e;
}

}  // namespace fleetwatch::push::testing
