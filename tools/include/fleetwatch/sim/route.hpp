// A route polyline to drive along: linear referencing on WGS-84 points.
//
// Units: distances in metres along the route, coordinates in decimal degrees (geo::LatLon:
// latitude, longitude), headings in degrees clockwise from north in [0, 360).
//
// Segment lengths are geodesic (geo::distance_m). A point inside a segment is interpolated
// linearly in latitude/longitude, which over a segment of a few kilometres is within
// centimetres of the geodesic; route segments from the fleet file are far shorter than that.
// Pure and immutable after construction; safe to share between threads.
#pragma once

#include <cstddef>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/geo/lat_lon.hpp"

namespace fleetwatch::sim {

struct RoutePoint {
    geo::LatLon position;
    double heading_deg = 0;  // bearing of the segment the point is on
    std::size_t segment = 0;  // index of that segment (its first vertex)
};

class RoutePath {
public:
    // Consecutive duplicate points are dropped. Throws std::invalid_argument when fewer than
    // two distinct points remain (the fleet parser already requires >= 2).
    explicit RoutePath(std::vector<geo::LatLon> points);
    static RoutePath from_geo_points(const std::vector<core::GeoPoint>& points);

    double length_m() const noexcept { return cumulative_.back(); }
    // The point `distance_m` along the route, clamped to [0, length_m()].
    RoutePoint at(double distance_m) const noexcept;

    const std::vector<geo::LatLon>& points() const noexcept { return points_; }
    // Distance along the route of each vertex (first is 0, last is length_m()).
    const std::vector<double>& vertex_distances_m() const noexcept { return cumulative_; }
    // How sharply the route turns at vertex `i`: 0 straight on, 180 a U-turn. The ends have 0,
    // except the first/last vertex of a closed route, which turns from the last segment into
    // the first.
    double turn_deg(std::size_t i) const noexcept;
    // First and last points within 30 m of each other (a loop such as a campus circuit).
    bool closed() const noexcept { return closed_; }
    // The same route driven from its end to its start.
    RoutePath reversed() const;

private:
    std::vector<geo::LatLon> points_;
    std::vector<double> cumulative_;
    std::vector<double> headings_;  // per segment
    bool closed_ = false;
};

// ---- Local geodesy ---------------------------------------------------------------------------
// TODO(geo): geo/ does not yet export a bearing or a "destination point"; these two live here
// until it does (ARCHITECTURE.md lists local ENU for geo/). Spherical formulas, adequate for the
// simulator: headings to a fraction of a degree, offsets of up to a few km to within a metre.

// Initial great-circle bearing from `a` to `b`, degrees clockwise from north in [0, 360).
double bearing_deg(geo::LatLon a, geo::LatLon b) noexcept;
// The point `distance_m` from `p` in direction `bearing` (degrees from north).
geo::LatLon destination(geo::LatLon p, double bearing, double distance_m) noexcept;

}  // namespace fleetwatch::sim
