#include "fleetwatch/geo/distance.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::geo {
namespace {

TEST(Distance, OneDegreeAlongTheEquatorIsTheWgs84Value) {
    // a * pi / 180 for a = 6378137 m.
    EXPECT_NEAR(distance_m({0, 0}, {0, 1}), 111319.491, 0.001);
}

TEST(Distance, OneDegreeOfMeridianAtTheEquatorIsShorter) {
    EXPECT_NEAR(distance_m({0, 0}, {1, 0}), 110574.389, 0.01);
}

TEST(Distance, MatchesVincentysFlindersPeakToBuninyongExample) {
    // Vincenty (1975) / Geoscience Australia's worked example: 54 972.271 m.
    const LatLon flinders_peak{-(37 + 57 / 60.0 + 3.72030 / 3600),
                               144 + 25 / 60.0 + 29.52440 / 3600};
    const LatLon buninyong{-(37 + 39 / 60.0 + 10.15610 / 3600), 143 + 55 / 60.0 + 35.38390 / 3600};
    EXPECT_NEAR(distance_m(flinders_peak, buninyong), 54972.271, 0.001);
}

TEST(Distance, IsZeroForTheSamePointAndSymmetric) {
    const LatLon gulou{32.0560, 118.7790};
    const LatLon xianlin{32.1103, 118.9586};
    EXPECT_EQ(distance_m(gulou, gulou), 0.0);
    EXPECT_EQ(haversine_m(gulou, gulou), 0.0);
    EXPECT_NEAR(distance_m(gulou, xianlin), distance_m(xianlin, gulou), 1e-6);
}

TEST(Distance, HaversineAgreesWithTheEllipsoidWithinHalfAPercent) {
    const LatLon gulou{32.0560, 118.7790};
    const LatLon xianlin{32.1103, 118.9586};
    const double d = distance_m(gulou, xianlin);
    EXPECT_GT(d, 17000.0);  // the two Nanjing University campuses, about 18 km apart
    EXPECT_LT(d, 19000.0);
    EXPECT_NEAR(haversine_m(gulou, xianlin), d, d * 0.005);
    const LatLon beijing{39.9042, 116.4074};
    EXPECT_NEAR(haversine_m(gulou, beijing), distance_m(gulou, beijing), 900e3 * 0.005);
}

TEST(Distance, ShortDistancesAreAccurateToCentimetres) {
    // 1e-5 degree of latitude near Nanjing is about 1.109 m.
    const LatLon a{32.0, 118.8};
    const LatLon b{32.00001, 118.8};
    EXPECT_NEAR(distance_m(a, b), 1.109, 0.01);
}

TEST(Distance, NearlyAntipodalPointsFallBackToAFiniteAnswer) {
    const double d = distance_m({0, 0}, {0.5, 179.7});
    EXPECT_GT(d, 19.9e6);
    EXPECT_LT(d, 20.1e6);
}

}  // namespace
}  // namespace fleetwatch::geo
