// Read-side queries the HTTP API serves: vehicles (optionally only those of a leader's
// convoys) and a vehicle's positions between two times, paged by GPS time.
// Every function runs one read-only statement and throws DatabaseError.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
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
    std::optional<std::string> phone_key;  // what the terminal's session is found by
};

// Vehicles ordered by id. With `leader_username`, only the vehicles that have a trip in a
// convoy that user leads (convoys.leader_username).
std::vector<VehicleRow> list_vehicles(Connection& conn,
                                      const std::optional<std::string>& leader_username);
std::optional<VehicleRow> find_vehicle(Connection& conn, core::VehicleId id);

// The ids the rule engine keys the fleet by (rules/from_fleet.hpp), and the terminal of each
// vehicle (for driver reminders).
struct FleetIdRows {
    std::unordered_map<std::string, core::VehicleId> vehicle_by_plate;
    std::unordered_map<std::string, core::DriverId> driver_by_license;
    std::unordered_map<core::VehicleId, std::string> phone_key_by_vehicle;
};
FleetIdRows load_fleet_ids(Connection& conn);

// Every stored position with from <= gps_time < to, of all vehicles, in GPS-time order (then
// vehicle), as ingest produced it. Reads in pages of `page` rows; calls `each` per page.
void for_each_position(Connection& conn, core::Timestamp from, core::Timestamp to,
                       std::size_t page,
                       const std::function<void(std::span<const core::Position>)>& each);
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

// The track of `vehicle` from <= time < to as a GeoJSON LineString (valid fixes only, in time
// order; at most `max_points`, evenly thinned beyond that), with the number of fixes it was
// drawn from and its length in metres. nullopt when there are fewer than two fixes.
struct Track {
    std::string geojson;
    std::size_t fixes = 0;
    double length_m = 0;
};
std::optional<Track> vehicle_track(Connection& conn, core::VehicleId vehicle, core::Timestamp from,
                                   core::Timestamp to, std::size_t max_points);

// The latest position of each vehicle (of a leader's convoys, with `leader_username`) within
// `lookback`; vehicles never seen have no position. last_seen_at: the later of that position's
// arrival and the terminal's last registration or authentication (heartbeats are not stored).
struct LiveVehicleRow {
    core::VehicleId id = 0;
    std::string plate;
    std::string vehicle_class;
    std::optional<PositionRow> position;
    std::optional<core::Timestamp> last_seen_at;
    int open_violations = 0;
};
std::vector<LiveVehicleRow> live_vehicles(Connection& conn,
                                          const std::optional<std::string>& leader_username,
                                          std::chrono::seconds lookback);

}  // namespace fleetwatch::storage
