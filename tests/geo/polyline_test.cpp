#include "fleetwatch/geo/polyline.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::geo {
namespace {

// About 1 km east along the latitude of the Xianlin campus, then 1 km north.
const LatLon kA{32.1000, 118.9500};
const LatLon kB{32.1000, 118.9606};
const LatLon kC{32.1090, 118.9606};

TEST(Polyline, LengthMatchesTheGeodesicWithinATenthOfAPercent) {
    const Polyline line({kA, kB, kC});
    const double expected = distance_m(kA, kB) + distance_m(kB, kC);
    EXPECT_NEAR(line.length_m(), expected, expected * 0.001);
}

TEST(Polyline, PointBesideTheFirstSegmentIsLocatedPerpendicularly) {
    const Polyline line({kA, kB, kC});
    // 0.0005 degree north of the first segment's middle: about 55.6 m.
    const LatLon p{32.1005, 118.9553};
    const auto loc = line.locate(p);
    EXPECT_EQ(loc.segment, 0u);
    EXPECT_NEAR(loc.distance_m, 55.6, 0.2);
    EXPECT_NEAR(loc.along_m, distance_m(kA, {32.1, 118.9553}), 1.0);
}

TEST(Polyline, AlongDistanceOnTheSecondSegmentIncludesTheFirst) {
    const Polyline line({kA, kB, kC});
    const LatLon p{32.1045, 118.9610};
    const auto loc = line.locate(p);
    EXPECT_EQ(loc.segment, 1u);
    EXPECT_NEAR(loc.along_m, distance_m(kA, kB) + distance_m(kB, {32.1045, 118.9606}), 1.5);
    EXPECT_NEAR(loc.distance_m, distance_m(p, {32.1045, 118.9606}), 0.2);
}

TEST(Polyline, BeyondTheEndTheNearestPointIsTheLastVertex) {
    const Polyline line({kA, kB});
    const LatLon p{32.1000, 118.9700};
    const auto loc = line.locate(p);
    EXPECT_NEAR(loc.along_m, line.length_m(), 1e-6);
    EXPECT_NEAR(loc.distance_m, distance_m(kB, p), 1.0);
    EXPECT_NEAR(line.distance_to_end_m(p), loc.distance_m, 1e-6);
}

TEST(Polyline, LocateWithinAgreesWithLocateAndAnswersNothingWhenFar) {
    const Polyline line({kA, kB, kC});
    const LatLon near{32.1003, 118.9580};
    const auto full = line.locate(near);
    const auto within = line.locate_within(near, 100);
    ASSERT_TRUE(within.has_value());
    EXPECT_DOUBLE_EQ(within->distance_m, full.distance_m);
    EXPECT_DOUBLE_EQ(within->along_m, full.along_m);
    EXPECT_FALSE(line.locate_within({32.1200, 118.9300}, 100).has_value());
}

TEST(Polyline, RejectsFewerThanTwoPoints) {
    EXPECT_THROW(Polyline({kA}), std::invalid_argument);
}

}  // namespace
}  // namespace fleetwatch::geo
