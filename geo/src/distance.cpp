#include "fleetwatch/geo/distance.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fleetwatch::geo {
namespace {

constexpr double kDegToRad = std::numbers::pi / 180.0;
// WGS-84 ellipsoid.
constexpr double kA = 6378137.0;
constexpr double kF = 1.0 / 298.257223563;
constexpr double kB = kA * (1.0 - kF);

struct VincentyResult {
    bool converged = false;
    double metres = 0;
};

// T. Vincenty (1975), inverse problem; iterates on the longitude on the auxiliary sphere.
VincentyResult vincenty(LatLon a, LatLon b) {
    const double l = (b.lon - a.lon) * kDegToRad;
    const double u1 = std::atan((1 - kF) * std::tan(a.lat * kDegToRad));
    const double u2 = std::atan((1 - kF) * std::tan(b.lat * kDegToRad));
    const double sin_u1 = std::sin(u1), cos_u1 = std::cos(u1);
    const double sin_u2 = std::sin(u2), cos_u2 = std::cos(u2);

    double lambda = l;
    for (int i = 0; i < 200; ++i) {
        const double sin_lambda = std::sin(lambda), cos_lambda = std::cos(lambda);
        const double t1 = cos_u2 * sin_lambda;
        const double t2 = cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lambda;
        const double sin_sigma = std::sqrt(t1 * t1 + t2 * t2);
        if (sin_sigma == 0) return {true, 0};  // coincident points
        const double cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lambda;
        const double sigma = std::atan2(sin_sigma, cos_sigma);
        const double sin_alpha = cos_u1 * cos_u2 * sin_lambda / sin_sigma;
        const double cos2_alpha = 1 - sin_alpha * sin_alpha;
        // On the equator cos2_alpha == 0 and the term vanishes.
        const double cos_2sigma_m =
            cos2_alpha != 0 ? cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha : 0;
        const double c = kF / 16 * cos2_alpha * (4 + kF * (4 - 3 * cos2_alpha));
        const double previous = lambda;
        lambda = l + (1 - c) * kF * sin_alpha *
                         (sigma + c * sin_sigma *
                                      (cos_2sigma_m +
                                       c * cos_sigma * (-1 + 2 * cos_2sigma_m * cos_2sigma_m)));
        if (std::abs(lambda - previous) < 1e-12) {
            const double u_sq = cos2_alpha * (kA * kA - kB * kB) / (kB * kB);
            const double big_a =
                1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)));
            const double big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)));
            const double delta_sigma =
                big_b * sin_sigma *
                (cos_2sigma_m + big_b / 4 *
                                    (cos_sigma * (-1 + 2 * cos_2sigma_m * cos_2sigma_m) -
                                     big_b / 6 * cos_2sigma_m * (-3 + 4 * sin_sigma * sin_sigma) *
                                         (-3 + 4 * cos_2sigma_m * cos_2sigma_m)));
            return {true, kB * big_a * (sigma - delta_sigma)};
        }
        if (std::abs(lambda) > std::numbers::pi) break;  // diverging: nearly antipodal
    }
    return {false, 0};
}

}  // namespace

double haversine_m(LatLon a, LatLon b) noexcept {
    const double dlat = (b.lat - a.lat) * kDegToRad;
    const double dlon = (b.lon - a.lon) * kDegToRad;
    const double s = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(a.lat * kDegToRad) * std::cos(b.lat * kDegToRad) *
                         std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * kMeanEarthRadiusM * std::asin(std::min(1.0, std::sqrt(s)));
}

double distance_m(LatLon a, LatLon b) noexcept {
    const VincentyResult v = vincenty(a, b);
    return v.converged ? v.metres : haversine_m(a, b);
}

}  // namespace fleetwatch::geo
