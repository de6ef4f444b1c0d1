#include "fleetwatch/sim/route.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::sim {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
constexpr double kClosedWithinM = 30.0;

double normalise_deg(double d) noexcept {
    d = std::fmod(d, 360.0);
    return d < 0 ? d + 360.0 : d;
}

}  // namespace

double bearing_deg(geo::LatLon a, geo::LatLon b) noexcept {
    const double phi1 = a.lat * kDeg;
    const double phi2 = b.lat * kDeg;
    const double dl = (b.lon - a.lon) * kDeg;
    const double y = std::sin(dl) * std::cos(phi2);
    const double x = std::cos(phi1) * std::sin(phi2) - std::sin(phi1) * std::cos(phi2) * std::cos(dl);
    return normalise_deg(std::atan2(y, x) / kDeg);
}

geo::LatLon destination(geo::LatLon p, double bearing, double distance_m) noexcept {
    const double delta = distance_m / geo::kMeanEarthRadiusM;
    const double theta = bearing * kDeg;
    const double phi1 = p.lat * kDeg;
    const double l1 = p.lon * kDeg;
    const double phi2 = std::asin(std::sin(phi1) * std::cos(delta) +
                                  std::cos(phi1) * std::sin(delta) * std::cos(theta));
    const double l2 = l1 + std::atan2(std::sin(theta) * std::sin(delta) * std::cos(phi1),
                                      std::cos(delta) - std::sin(phi1) * std::sin(phi2));
    double lon = l2 / kDeg;
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return {phi2 / kDeg, lon};
}

RoutePath::RoutePath(std::vector<geo::LatLon> points) {
    for (const geo::LatLon& p : points) {
        if (points_.empty() || geo::distance_m(points_.back(), p) > 0.01) points_.push_back(p);
    }
    if (points_.size() < 2) {
        throw std::invalid_argument("a route needs at least two distinct points");
    }
    cumulative_.reserve(points_.size());
    cumulative_.push_back(0);
    for (std::size_t i = 1; i < points_.size(); ++i) {
        cumulative_.push_back(cumulative_.back() + geo::distance_m(points_[i - 1], points_[i]));
        headings_.push_back(bearing_deg(points_[i - 1], points_[i]));
    }
    closed_ = points_.size() > 2 && geo::distance_m(points_.front(), points_.back()) <= kClosedWithinM;
}

RoutePath RoutePath::from_geo_points(const std::vector<core::GeoPoint>& points) {
    std::vector<geo::LatLon> ll;
    ll.reserve(points.size());
    for (const core::GeoPoint& p : points) ll.push_back(geo::to_lat_lon(p));
    return RoutePath(std::move(ll));
}

RoutePoint RoutePath::at(double distance_m) const noexcept {
    const double d = std::clamp(distance_m, 0.0, length_m());
    // The segment whose end is the first vertex beyond d.
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), d);
    std::size_t seg = it == cumulative_.end() ? cumulative_.size() - 2
                                              : static_cast<std::size_t>(it - cumulative_.begin()) - 1;
    seg = std::min(seg, headings_.size() - 1);
    const double len = cumulative_[seg + 1] - cumulative_[seg];
    const double f = len > 0 ? (d - cumulative_[seg]) / len : 0.0;
    const geo::LatLon& a = points_[seg];
    const geo::LatLon& b = points_[seg + 1];
    return RoutePoint{{a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f}, headings_[seg], seg};
}

double RoutePath::turn_deg(std::size_t i) const noexcept {
    if (i >= points_.size()) return 0;
    double in = 0;
    double out = 0;
    if (i == 0 || i + 1 == points_.size()) {
        if (!closed_) return 0;
        in = headings_.back();
        out = headings_.front();
    } else {
        in = headings_[i - 1];
        out = headings_[i];
    }
    const double d = std::fabs(normalise_deg(out - in));
    return d > 180 ? 360 - d : d;
}

RoutePath RoutePath::reversed() const {
    std::vector<geo::LatLon> r(points_.rbegin(), points_.rend());
    return RoutePath(std::move(r));
}

}  // namespace fleetwatch::sim
