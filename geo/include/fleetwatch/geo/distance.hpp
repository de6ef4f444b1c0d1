// Distances on the Earth between WGS-84 points.
//
// Units: input in decimal degrees (LatLon: latitude, longitude), results in metres.
// Pure and thread-safe.
#pragma once

#include "fleetwatch/geo/lat_lon.hpp"

namespace fleetwatch::geo {

// Mean Earth radius (IUGG R1), metres.
inline constexpr double kMeanEarthRadiusM = 6371008.8;

// Geodesic distance on the WGS-84 ellipsoid (Vincenty's inverse formula, accurate to well
// under a millimetre). For the nearly antipodal pairs where Vincenty does not converge it
// falls back to the haversine distance (error < 0.5 %).
double distance_m(LatLon a, LatLon b) noexcept;

// Great-circle distance on a sphere of radius kMeanEarthRadiusM (error up to about 0.5 %
// against the ellipsoid). Cheaper; good enough for thresholds of tens of metres over short
// spans.
double haversine_m(LatLon a, LatLon b) noexcept;

}  // namespace fleetwatch::geo
