// WGS-84 <-> GCJ-02 <-> BD-09: the datums of Chinese web maps.
//
// Terminals report WGS-84 (GPS). Maps published in China shift coordinates: AMap (高德) and
// Tencent use GCJ-02 (国测局坐标, "Mars coordinates"), Baidu uses BD-09, which is a further
// transform of GCJ-02. A route drawn on such a map and used as if it were WGS-84 is 300-600 m
// off in Nanjing. These are the standard published formulas (the leaked GCJ-02 algorithm with
// the Krasovsky semi-major axis 6378245 m, and Baidu's BD-09 step).
//
// Units: decimal degrees; axis order: latitude, longitude (LatLon). All functions are pure and
// thread-safe.
//
// GCJ-02 applies only inside China. Like every public implementation, "inside" is the
// rectangle lon 72.004..137.8347, lat 0.8293..55.8271; outside it the GCJ-02 step is the
// identity (BD-09's own step still applies).
//
// Inverses: gcj02 -> wgs84 and bd09 -> gcj02 have no closed form; they are computed by
// fixed-point iteration on the forward transform to better than 1e-8 degree (about 1 mm), far
// below the 0.5 m the rules need.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "fleetwatch/geo/lat_lon.hpp"

namespace fleetwatch::geo {

enum class Datum : std::uint8_t { wgs84, gcj02, bd09 };

std::string_view to_string(Datum d) noexcept;  // "wgs84", "gcj02", "bd09"
std::optional<Datum> parse_datum(std::string_view text) noexcept;

// Whether the GCJ-02 shift applies at `p` (the published rectangle, see above).
bool gcj02_applies(LatLon p) noexcept;

LatLon wgs84_to_gcj02(LatLon wgs84) noexcept;
LatLon gcj02_to_wgs84(LatLon gcj02) noexcept;  // iterative inverse
LatLon gcj02_to_bd09(LatLon gcj02) noexcept;
LatLon bd09_to_gcj02(LatLon bd09) noexcept;  // iterative inverse
LatLon wgs84_to_bd09(LatLon wgs84) noexcept;
LatLon bd09_to_wgs84(LatLon bd09) noexcept;

// Any to any; identity when from == to.
LatLon convert(LatLon p, Datum from, Datum to) noexcept;

}  // namespace fleetwatch::geo
