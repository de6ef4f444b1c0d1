// A position report as the rest of fleetwatch sees it: decoded, attributed to a vehicle, in
// WGS-84 fixed-point degrees and UTC event time. Built by ingest from 0x0200/0x0201/0x0704.
#pragma once

#include <cstdint>
#include <optional>

#include "fleetwatch/core/time.hpp"

namespace fleetwatch::core {

using VehicleId = std::int64_t;
using DriverId = std::int64_t;

// WGS-84, 1e-6 degrees (the JT/T 808 wire unit), signed: south and west are negative.
// Latitude first, as on the wire; GeoJSON output swaps to [lon, lat].
struct GeoPoint {
    std::int32_t lat_e6 = 0;
    std::int32_t lon_e6 = 0;

    double lat() const noexcept { return lat_e6 / 1e6; }
    double lon() const noexcept { return lon_e6 / 1e6; }
    friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

enum class PositionSource : std::uint8_t {
    live = 0,         // 0x0200
    query_reply = 1,  // 0x0201
    batch = 2,        // 0x0704 type 0
    blind_zone = 3,   // 0x0704 type 1: historical back-fill
};

struct Position {
    VehicleId vehicle_id = 0;
    Timestamp gps_time{};     // event time (terminal's GMT+8 converted to UTC)
    Timestamp received_at{};  // wall clock at the server
    GeoPoint point;
    std::uint16_t altitude_m = 0;
    std::uint16_t speed_dkmh = 0;  // 1/10 km/h
    std::uint16_t direction = 0;   // degrees, north = 0
    std::uint32_t alarm = 0;       // JT/T 808 alarm bits
    std::uint32_t status = 0;      // JT/T 808 status bits
    bool valid = false;            // status bit 1 (positioned) and a valid time
    std::optional<std::uint32_t> mileage_100m;  // odometer, 1/10 km
    std::optional<std::uint16_t> fuel_100ml;
    std::optional<std::uint8_t> satellites;
    std::optional<std::uint8_t> signal_strength;
    PositionSource source = PositionSource::live;

    double speed_kmh() const noexcept { return speed_dkmh / 10.0; }
};

}  // namespace fleetwatch::core
