// Floating-point geographic coordinates for computation.
//
// Units: decimal degrees. Axis order: latitude first, then longitude — the order of
// core::GeoPoint and of the JT/T 808 wire. GeoJSON, WKT and the fleet file write [lon, lat];
// convert at those boundaries, never here.
#pragma once

#include "fleetwatch/core/position.hpp"

namespace fleetwatch::geo {

struct LatLon {
    double lat = 0;  // degrees, north positive, [-90, 90]
    double lon = 0;  // degrees, east positive, [-180, 180]

    friend bool operator==(const LatLon&, const LatLon&) = default;
};

// True when both values are finite and within [-90, 90] x [-180, 180].
bool is_valid(LatLon p) noexcept;

// Exact (every 1e-6 degree value is representable closely enough in a double).
LatLon to_lat_lon(core::GeoPoint p) noexcept;

// Rounds to the nearest 1e-6 degree (about 0.11 m). `p` must be valid (is_valid).
core::GeoPoint to_geo_point(LatLon p) noexcept;

}  // namespace fleetwatch::geo
