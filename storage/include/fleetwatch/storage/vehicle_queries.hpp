// Read-side queries the HTTP API serves: vehicles (optionally only those of a leader's
// convoys) and a vehicle's positions between two times, paged by GPS time.
// Every function runs one read-only statement and throws DatabaseError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct VehicleRow {
    core::VehicleId id = 0;
    std::string plate;
    int plate_color = 0;
    std::string vehicle_class;  // school_bus, bus, car, truck, other
    std::optional<std::string> terminal_phone;
    bool requires_card = false;
    std::vector<std::int64_t> convoy_ids;  // convoys the vehicle has trips in
    core::Timestamp created_at{};
};

// Vehicles ordered by id. With `leader_username`, only the vehicles that have a trip in a
// convoy that user leads (convoys.leader_username).
std::vector<VehicleRow> list_vehicles(Connection& conn,
                                      const std::optional<std::string>& leader_username);
std::optional<VehicleRow> find_vehicle(Connection& conn, core::VehicleId id);
// True when `vehicle` has a trip in a convoy `leader_username` leads.
bool vehicle_in_leader_convoys(Connection& conn, core::VehicleId vehicle,
                               const std::string& leader_username);

struct PositionRow {
    core::Timestamp time{};  // GPS time, UTC
    double lat = 0;          // degrees, WGS-84
    double lon = 0;
    double speed_kmh = 0;
    int direction = 0;  // degrees from north
    int altitude_m = 0;
    std::int64_t alarm = 0;   // 0x0200 alarm flags
    std::int64_t status = 0;  // 0x0200 status bits
    bool valid = false;
    std::optional<double> mileage_km;
};

// Positions of `vehicle` with from <= time < to and time > after (the cursor: the last time
// of the previous page), ascending, at most `limit`.
std::vector<PositionRow> list_positions(Connection& conn, core::VehicleId vehicle,
                                        core::Timestamp from, core::Timestamp to,
                                        std::optional<core::Timestamp> after, std::size_t limit);

}  // namespace fleetwatch::storage
