#include "fleetwatch/geo/polyline.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include <boost/function_output_iterator.hpp>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::geo {
namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace {
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;
using Entry = std::pair<BBox, std::size_t>;
constexpr double kDegToRad = std::numbers::pi / 180.0;
}  // namespace

// The WGS-84 ellipsoid's radii of curvature at the origin: meridional M and prime vertical N.
LocalFrame::LocalFrame(LatLon origin) noexcept : origin_(origin) {
    constexpr double kA = 6378137.0;
    constexpr double kF = 1 / 298.257223563;
    constexpr double kE2 = kF * (2 - kF);
    const double s = std::sin(origin.lat * kDegToRad);
    const double w = std::sqrt(1 - kE2 * s * s);
    m_per_deg_lat_ = kA * (1 - kE2) / (w * w * w) * kDegToRad;
    m_per_deg_lon_ = kA / w * std::cos(origin.lat * kDegToRad) * kDegToRad;
}

LocalFrame::Xy LocalFrame::to_xy(LatLon p) const noexcept {
    return {(p.lon - origin_.lon) * m_per_deg_lon_, (p.lat - origin_.lat) * m_per_deg_lat_};
}

LatLon LocalFrame::to_lat_lon(Xy p) const noexcept {
    return {origin_.lat + p.y / m_per_deg_lat_, origin_.lon + p.x / m_per_deg_lon_};
}

struct Polyline::Index {
    bgi::rtree<Entry, bgi::rstar<16>> tree;
};

Polyline::Polyline(std::vector<LatLon> points) : points_(std::move(points)) {
    if (points_.size() < 2) throw std::invalid_argument("a polyline needs at least 2 points");
    double lat_sum = 0;
    double lon_sum = 0;
    for (const LatLon& p : points_) {
        if (!is_valid(p)) throw std::invalid_argument("polyline point out of range");
        lat_sum += p.lat;
        lon_sum += p.lon;
    }
    const auto n = static_cast<double>(points_.size());
    frame_ = LocalFrame({lat_sum / n, lon_sum / n});
    xy_.reserve(points_.size());
    cumulative_.reserve(points_.size());
    for (const LatLon& p : points_) xy_.push_back(frame_.to_xy(p));
    cumulative_.push_back(0);
    std::vector<Entry> entries;
    entries.reserve(xy_.size() - 1);
    for (std::size_t i = 0; i + 1 < xy_.size(); ++i) {
        const auto& a = xy_[i];
        const auto& b = xy_[i + 1];
        cumulative_.push_back(cumulative_.back() + std::hypot(b.x - a.x, b.y - a.y));
        entries.emplace_back(BBox(BPoint(std::min(a.x, b.x), std::min(a.y, b.y)),
                                  BPoint(std::max(a.x, b.x), std::max(a.y, b.y))),
                             i);
    }
    index_ = std::make_unique<Index>(Index{bgi::rtree<Entry, bgi::rstar<16>>(entries)});
}

Polyline::Polyline(Polyline&&) noexcept = default;
Polyline& Polyline::operator=(Polyline&&) noexcept = default;
Polyline::~Polyline() = default;

PolylineLocation Polyline::on_segment(LocalFrame::Xy q, std::size_t i) const noexcept {
    const auto& a = xy_[i];
    const auto& b = xy_[i + 1];
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = 0;
    if (len2 > 0) t = std::clamp(((q.x - a.x) * dx + (q.y - a.y) * dy) / len2, 0.0, 1.0);
    const double px = a.x + t * dx;
    const double py = a.y + t * dy;
    const double seg_len = cumulative_[i + 1] - cumulative_[i];
    return {std::hypot(q.x - px, q.y - py), cumulative_[i] + t * seg_len, i};
}

PolylineLocation Polyline::locate(LatLon p) const noexcept {
    const auto q = frame_.to_xy(p);
    PolylineLocation best{std::numeric_limits<double>::infinity(), 0, 0};
    for (std::size_t i = 0; i + 1 < xy_.size(); ++i) {
        const auto loc = on_segment(q, i);
        if (loc.distance_m < best.distance_m) best = loc;
    }
    return best;
}

std::optional<PolylineLocation> Polyline::locate_within(LatLon p, double radius_m) const {
    const auto q = frame_.to_xy(p);
    const BBox query(BPoint(q.x - radius_m, q.y - radius_m), BPoint(q.x + radius_m, q.y + radius_m));
    std::optional<PolylineLocation> best;
    // Ties go to the lowest segment index, as in locate(), whatever order the tree returns.
    index_->tree.query(bgi::intersects(query), boost::make_function_output_iterator(
                                                   [&](const Entry& e) {
                                                       const auto loc = on_segment(q, e.second);
                                                       if (loc.distance_m > radius_m) return;
                                                       if (!best || loc.distance_m < best->distance_m ||
                                                           (loc.distance_m == best->distance_m &&
                                                            loc.segment < best->segment))
                                                           best = loc;
                                                   }));
    return best;
}

double Polyline::distance_to_start_m(LatLon p) const noexcept {
    const auto q = frame_.to_xy(p);
    return std::hypot(q.x - xy_.front().x, q.y - xy_.front().y);
}

double Polyline::distance_to_end_m(LatLon p) const noexcept {
    const auto q = frame_.to_xy(p);
    return std::hypot(q.x - xy_.back().x, q.y - xy_.back().y);
}

}  // namespace fleetwatch::geo
