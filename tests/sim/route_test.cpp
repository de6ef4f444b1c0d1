#include "fleetwatch/sim/route.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::sim {
namespace {

using geo::LatLon;

// Roughly 1 km east, then 1 km north, near Nanjing.
RoutePath l_shape() {
    const LatLon a{32.0, 118.8};
    const LatLon b = destination(a, 90, 1000);
    const LatLon c = destination(b, 0, 1000);
    return RoutePath({a, b, c});
}

TEST(RoutePath, LengthIsTheSumOfGeodesicSegmentLengths) {
    const RoutePath r = l_shape();
    const auto& p = r.points();
    EXPECT_NEAR(r.length_m(), geo::distance_m(p[0], p[1]) + geo::distance_m(p[1], p[2]), 1e-6);
    EXPECT_NEAR(r.length_m(), 2000, 5);
}

TEST(RoutePath, EndsAreTheFirstAndLastPointsAndDistancesClamp) {
    const RoutePath r = l_shape();
    EXPECT_EQ(r.at(0).position, r.points().front());
    EXPECT_EQ(r.at(r.length_m()).position, r.points().back());
    EXPECT_EQ(r.at(-50).position, r.points().front());
    EXPECT_EQ(r.at(r.length_m() + 50).position, r.points().back());
}

TEST(RoutePath, PointInsideASegmentIsThatFarAlongIt) {
    const RoutePath r = l_shape();
    const RoutePoint p = r.at(400);
    EXPECT_EQ(p.segment, 0u);
    EXPECT_NEAR(geo::distance_m(r.points()[0], p.position), 400, 0.5);
    const RoutePoint q = r.at(r.vertex_distances_m()[1] + 300);
    EXPECT_EQ(q.segment, 1u);
    EXPECT_NEAR(geo::distance_m(r.points()[1], q.position), 300, 0.5);
}

TEST(RoutePath, HeadingIsTheBearingOfTheSegment) {
    const RoutePath r = l_shape();
    EXPECT_NEAR(r.at(10).heading_deg, 90, 0.1);
    EXPECT_NEAR(r.at(1500).heading_deg, 0, 0.1);
    const RoutePath back = r.reversed();
    EXPECT_NEAR(back.at(10).heading_deg, 180, 0.1);
    EXPECT_NEAR(back.at(1500).heading_deg, 270, 0.1);
}

TEST(RoutePath, ReversedRouteStartsAtTheEnd) {
    const RoutePath r = l_shape();
    const RoutePath back = r.reversed();
    EXPECT_EQ(back.at(0).position, r.points().back());
    EXPECT_NEAR(back.length_m(), r.length_m(), 1e-6);
}

TEST(RoutePath, TurnAngleAtARightAngleCornerIsNinety) {
    const RoutePath r = l_shape();
    EXPECT_NEAR(r.turn_deg(1), 90, 0.5);
    EXPECT_EQ(r.turn_deg(0), 0);  // open route: the ends do not turn
    EXPECT_FALSE(r.closed());
}

TEST(RoutePath, ALoopBackToItsStartIsClosed) {
    const LatLon a{32.0, 118.8};
    const LatLon b = destination(a, 90, 500);
    const LatLon c = destination(b, 0, 500);
    const RoutePath r({a, b, c, a});
    EXPECT_TRUE(r.closed());
    EXPECT_GT(r.turn_deg(0), 90);  // from the closing segment into the first one
}

TEST(RoutePath, RefusesFewerThanTwoDistinctPoints) {
    EXPECT_THROW(RoutePath({LatLon{32, 118}, LatLon{32, 118}}), std::invalid_argument);
    EXPECT_THROW(RoutePath(std::vector<LatLon>{}), std::invalid_argument);
}

TEST(RoutePath, DropsConsecutiveDuplicatePoints) {
    const LatLon a{32.0, 118.8};
    const LatLon b = destination(a, 90, 100);
    const RoutePath r({a, a, b, b});
    EXPECT_EQ(r.points().size(), 2u);
}

TEST(Destination, MovesTheGivenDistanceInTheGivenDirection) {
    const LatLon p{32.1, 118.95};
    for (const double bearing : {0.0, 45.0, 90.0, 200.0, 315.0}) {
        const LatLon q = destination(p, bearing, 400);
        EXPECT_NEAR(geo::distance_m(p, q), 400, 1.5) << bearing;
        EXPECT_NEAR(bearing_deg(p, q), bearing, 0.2) << bearing;
    }
}

}  // namespace
}  // namespace fleetwatch::sim
