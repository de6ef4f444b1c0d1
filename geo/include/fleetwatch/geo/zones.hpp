// Zones: polygons and circles on the Earth, and a spatial index answering "which zones hold
// this point".
//
// Units: decimal degrees (LatLon, latitude first), radii in metres. Polygons are simple rings
// (first == last or not: the ring is closed implicitly) small enough that edges may be taken
// as straight in latitude/longitude (a campus, a city district, an expressway corridor); a point
// exactly on an edge may fall either side. Circles use the haversine distance.
//
// ZoneIndex is built once from a list of zones (an R-tree over their bounding boxes, Boost.
// Geometry) and is immutable; const member functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "fleetwatch/geo/lat_lon.hpp"

namespace fleetwatch::geo {

struct CircleShape {
    LatLon center;
    double radius_m = 0;
};

struct PolygonShape {
    std::vector<LatLon> ring;  // >= 3 distinct points
};

using ZoneShape = std::variant<PolygonShape, CircleShape>;

bool contains(const ZoneShape& shape, LatLon p) noexcept;

class ZoneIndex {
public:
    explicit ZoneIndex(std::vector<ZoneShape> shapes);
    ZoneIndex(const ZoneIndex&) = delete;
    ZoneIndex& operator=(const ZoneIndex&) = delete;
    ZoneIndex(ZoneIndex&&) noexcept;
    ZoneIndex& operator=(ZoneIndex&&) noexcept;
    ~ZoneIndex();

    std::size_t size() const noexcept { return shapes_.size(); }
    const ZoneShape& shape(std::size_t i) const { return shapes_.at(i); }

    // The indexes of the zones containing `p`, ascending, into `out` (cleared first).
    void containing(LatLon p, std::vector<std::size_t>& out) const;

private:
    struct Index;
    std::vector<ZoneShape> shapes_;
    std::unique_ptr<Index> index_;
};

}  // namespace fleetwatch::geo
