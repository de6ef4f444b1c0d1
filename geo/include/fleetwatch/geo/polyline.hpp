// Polylines in metres: point-to-polyline distance and linear referencing (how far along a
// route a point is). Used for route corridors (route_deviation) and convoy order.
//
// Units: input in decimal degrees (LatLon, latitude first), every result in metres.
// A Polyline projects its vertices once into a local plane (equirectangular around the
// polyline's mean point, scaled by the WGS-84 radii of curvature there). Distances to nearby
// points are then planar. The scale error is about |cos(lat) / cos(lat0) - 1|: 0.3 % for a
// point 0.3 degree (33 km) of latitude from the mean at 32 N, i.e. 0.15 m on a 50 m corridor;
// use one Polyline per route, not per province. `locate` scans every segment; `locate_within`
// asks an R-tree of segment boxes (Boost.Geometry) first, which is what the per-fix corridor
// test uses.
//
// Immutable after construction; const member functions are thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "fleetwatch/geo/lat_lon.hpp"

namespace fleetwatch::geo {

// A local east/north plane in metres around an origin (equirectangular; see above).
class LocalFrame {
public:
    LocalFrame() = default;
    explicit LocalFrame(LatLon origin) noexcept;

    struct Xy {
        double x = 0;  // metres east of the origin
        double y = 0;  // metres north of the origin
    };
    Xy to_xy(LatLon p) const noexcept;
    LatLon to_lat_lon(Xy p) const noexcept;

private:
    LatLon origin_{};
    double m_per_deg_lat_ = 0;
    double m_per_deg_lon_ = 0;
};

struct PolylineLocation {
    double distance_m = 0;     // from the point to the nearest point of the polyline
    double along_m = 0;        // length along the polyline to that nearest point
    std::size_t segment = 0;   // index of the segment holding it (0 = first two vertices)
};

class Polyline {
public:
    // `points` must hold >= 2 valid points; consecutive duplicates are allowed.
    explicit Polyline(std::vector<LatLon> points);
    Polyline(const Polyline&) = delete;
    Polyline& operator=(const Polyline&) = delete;
    Polyline(Polyline&&) noexcept;
    Polyline& operator=(Polyline&&) noexcept;
    ~Polyline();

    const std::vector<LatLon>& points() const noexcept { return points_; }
    std::size_t segment_count() const noexcept { return points_.size() - 1; }
    double length_m() const noexcept { return cumulative_.back(); }

    // The nearest point of the polyline (ties: the lowest segment index).
    PolylineLocation locate(LatLon p) const noexcept;

    // As locate(), but only answers when the polyline is within `radius_m` of `p` (cheap when
    // it is not: one R-tree box query).
    std::optional<PolylineLocation> locate_within(LatLon p, double radius_m) const;

    // Distance from `p` to the first / last vertex (planar, same frame).
    double distance_to_start_m(LatLon p) const noexcept;
    double distance_to_end_m(LatLon p) const noexcept;

private:
    PolylineLocation on_segment(LocalFrame::Xy q, std::size_t i) const noexcept;

    struct Index;
    std::vector<LatLon> points_;
    LocalFrame frame_;
    std::vector<LocalFrame::Xy> xy_;
    std::vector<double> cumulative_;  // along-length at each vertex
    std::unique_ptr<Index> index_;
};

}  // namespace fleetwatch::geo
