#include "fleetwatch/geo/lat_lon.hpp"

#include <cmath>

namespace fleetwatch::geo {

bool is_valid(LatLon p) noexcept {
    return std::isfinite(p.lat) && std::isfinite(p.lon) && p.lat >= -90.0 && p.lat <= 90.0 &&
           p.lon >= -180.0 && p.lon <= 180.0;
}

LatLon to_lat_lon(core::GeoPoint p) noexcept { return LatLon{p.lat(), p.lon()}; }

core::GeoPoint to_geo_point(LatLon p) noexcept {
    // |value| <= 180e6 fits an int32 with room to spare.
    return core::GeoPoint{static_cast<std::int32_t>(std::llround(p.lat * 1e6)),
                          static_cast<std::int32_t>(std::llround(p.lon * 1e6))};
}

}  // namespace fleetwatch::geo
