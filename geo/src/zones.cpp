#include "fleetwatch/geo/zones.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <boost/function_output_iterator.hpp>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::geo {
namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace {
// Boxes in (lon, lat) degrees: only a coarse filter, the exact test is contains().
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;
using Entry = std::pair<BBox, std::size_t>;
constexpr double kDegToRad = std::numbers::pi / 180.0;

bool ring_contains(const std::vector<LatLon>& ring, LatLon p) noexcept {
    // Even-odd ray casting along the latitude of p (W. R. Franklin's PNPOLY).
    bool inside = false;
    const std::size_t n = ring.size();
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
        const LatLon& a = ring[i];
        const LatLon& b = ring[j];
        if ((a.lat > p.lat) != (b.lat > p.lat) &&
            p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon)
            inside = !inside;
    }
    return inside;
}

BBox bounds(const ZoneShape& shape) {
    if (const auto* c = std::get_if<CircleShape>(&shape)) {
        const double dlat = c->radius_m / (kMeanEarthRadiusM * kDegToRad);
        const double coslat = std::max(std::cos(c->center.lat * kDegToRad), 1e-6);
        const double dlon = dlat / coslat;
        // 1 % margin: the exact test is haversine, the box is only a filter.
        return BBox(BPoint(c->center.lon - dlon * 1.01, c->center.lat - dlat * 1.01),
                    BPoint(c->center.lon + dlon * 1.01, c->center.lat + dlat * 1.01));
    }
    const auto& ring = std::get<PolygonShape>(shape).ring;
    BBox box(BPoint(ring.front().lon, ring.front().lat), BPoint(ring.front().lon, ring.front().lat));
    for (const LatLon& p : ring) bg::expand(box, BPoint(p.lon, p.lat));
    return box;
}
}  // namespace

bool contains(const ZoneShape& shape, LatLon p) noexcept {
    if (const auto* c = std::get_if<CircleShape>(&shape))
        return haversine_m(c->center, p) <= c->radius_m;
    return ring_contains(std::get<PolygonShape>(shape).ring, p);
}

struct ZoneIndex::Index {
    bgi::rtree<Entry, bgi::rstar<16>> tree;
};

ZoneIndex::ZoneIndex(std::vector<ZoneShape> shapes) : shapes_(std::move(shapes)) {
    std::vector<Entry> entries;
    entries.reserve(shapes_.size());
    for (std::size_t i = 0; i < shapes_.size(); ++i) entries.emplace_back(bounds(shapes_[i]), i);
    index_ = std::make_unique<Index>(Index{bgi::rtree<Entry, bgi::rstar<16>>(entries)});
}

ZoneIndex::ZoneIndex(ZoneIndex&&) noexcept = default;
ZoneIndex& ZoneIndex::operator=(ZoneIndex&&) noexcept = default;
ZoneIndex::~ZoneIndex() = default;

void ZoneIndex::containing(LatLon p, std::vector<std::size_t>& out) const {
    out.clear();
    if (shapes_.empty()) return;
    const BPoint q(p.lon, p.lat);
    index_->tree.query(bgi::intersects(q),
                       boost::make_function_output_iterator([&](const Entry& e) {
                           if (contains(shapes_[e.second], p)) out.push_back(e.second);
                       }));
    std::sort(out.begin(), out.end());
}

}  // namespace fleetwatch::geo
