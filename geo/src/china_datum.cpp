#include "fleetwatch/geo/china_datum.hpp"

#include <cmath>
#include <numbers>

namespace fleetwatch::geo {
namespace {

constexpr double kPi = std::numbers::pi;
// GCJ-02 uses the Krasovsky 1940 ellipsoid's semi-major axis with WGS-84's eccentricity.
constexpr double kGcjA = 6378245.0;
constexpr double kGcjEe = 0.00669342162296594323;
// BD-09's rotation constant.
constexpr double kBdXPi = kPi * 3000.0 / 180.0;

// Iterative inverses stop when a step is below this (degrees, ~1 mm) or after kMaxIterations.
constexpr double kInverseTolerance = 1e-9;
constexpr int kMaxIterations = 30;

double shift_lat(double x, double y) {
    double r =
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
    r += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
    return r;
}

double shift_lon(double x, double y) {
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
    r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
    return r;
}

// Solves forward(x) == target for x by fixed-point iteration x <- x - (forward(x) - target).
// Converges because both shifts change by far less than the point moves.
template <typename Forward>
LatLon invert(LatLon target, LatLon start, Forward forward) {
    LatLon x = start;
    for (int i = 0; i < kMaxIterations; ++i) {
        const LatLon y = forward(x);
        const double dlat = y.lat - target.lat;
        const double dlon = y.lon - target.lon;
        x.lat -= dlat;
        x.lon -= dlon;
        if (std::abs(dlat) < kInverseTolerance && std::abs(dlon) < kInverseTolerance) break;
    }
    return x;
}

}  // namespace

std::string_view to_string(Datum d) noexcept {
    switch (d) {
        case Datum::wgs84:
            return "wgs84";
        case Datum::gcj02:
            return "gcj02";
        case Datum::bd09:
            return "bd09";
    }
    return "wgs84";
}

std::optional<Datum> parse_datum(std::string_view text) noexcept {
    if (text == "wgs84") return Datum::wgs84;
    if (text == "gcj02") return Datum::gcj02;
    if (text == "bd09") return Datum::bd09;
    return std::nullopt;
}

bool gcj02_applies(LatLon p) noexcept {
    return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

LatLon wgs84_to_gcj02(LatLon wgs84) noexcept {
    if (!gcj02_applies(wgs84)) return wgs84;
    double dlat = shift_lat(wgs84.lon - 105.0, wgs84.lat - 35.0);
    double dlon = shift_lon(wgs84.lon - 105.0, wgs84.lat - 35.0);
    const double rad_lat = wgs84.lat / 180.0 * kPi;
    double magic = std::sin(rad_lat);
    magic = 1 - kGcjEe * magic * magic;
    const double sqrt_magic = std::sqrt(magic);
    dlat = (dlat * 180.0) / ((kGcjA * (1 - kGcjEe)) / (magic * sqrt_magic) * kPi);
    dlon = (dlon * 180.0) / (kGcjA / sqrt_magic * std::cos(rad_lat) * kPi);
    return LatLon{wgs84.lat + dlat, wgs84.lon + dlon};
}

LatLon gcj02_to_wgs84(LatLon gcj02) noexcept {
    if (!gcj02_applies(gcj02)) return gcj02;
    return invert(gcj02, gcj02, [](LatLon p) { return wgs84_to_gcj02(p); });
}

LatLon gcj02_to_bd09(LatLon gcj02) noexcept {
    const double x = gcj02.lon;
    const double y = gcj02.lat;
    const double z = std::sqrt(x * x + y * y) + 0.00002 * std::sin(y * kBdXPi);
    const double theta = std::atan2(y, x) + 0.000003 * std::cos(x * kBdXPi);
    return LatLon{z * std::sin(theta) + 0.006, z * std::cos(theta) + 0.0065};
}

LatLon bd09_to_gcj02(LatLon bd09) noexcept {
    // Baidu's published approximate inverse is the starting point; iteration makes it exact.
    const double x = bd09.lon - 0.0065;
    const double y = bd09.lat - 0.006;
    const double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * kBdXPi);
    const double theta = std::atan2(y, x) - 0.000003 * std::cos(x * kBdXPi);
    const LatLon start{z * std::sin(theta), z * std::cos(theta)};
    return invert(bd09, start, [](LatLon p) { return gcj02_to_bd09(p); });
}

LatLon wgs84_to_bd09(LatLon wgs84) noexcept { return gcj02_to_bd09(wgs84_to_gcj02(wgs84)); }

LatLon bd09_to_wgs84(LatLon bd09) noexcept { return gcj02_to_wgs84(bd09_to_gcj02(bd09)); }

LatLon convert(LatLon p, Datum from, Datum to) noexcept {
    if (from == to) return p;
    LatLon wgs84 = p;
    if (from == Datum::gcj02) wgs84 = gcj02_to_wgs84(p);
    if (from == Datum::bd09) wgs84 = bd09_to_wgs84(p);
    switch (to) {
        case Datum::wgs84:
            return wgs84;
        case Datum::gcj02:
            return from == Datum::bd09 ? bd09_to_gcj02(p) : wgs84_to_gcj02(wgs84);
        case Datum::bd09:
            return from == Datum::gcj02 ? gcj02_to_bd09(p) : wgs84_to_bd09(wgs84);
    }
    return wgs84;
}

}  // namespace fleetwatch::geo
