#include "fleetwatch/sim/drive.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::sim {
namespace {

using geo::LatLon;
using Kind = Misbehaviour::Kind;

std::shared_ptr<const RoutePath> straight(double metres) {
    const LatLon a{32.0, 118.8};
    return std::make_shared<const RoutePath>(std::vector<LatLon>{a, destination(a, 90, metres)});
}

std::shared_ptr<const RoutePath> l_shape() {
    const LatLon a{32.0, 118.8};
    const LatLon b = destination(a, 90, 1000);
    return std::make_shared<const RoutePath>(std::vector<LatLon>{a, b, destination(b, 0, 1000)});
}

DriveConfig calm(double cruise_kmh) {
    DriveConfig c;
    c.cruise_kmh = cruise_kmh;
    c.noise = 0;
    return c;
}

// The first time (1 s steps, at most `limit`) at which `pred(fix)` holds, or -1.
template <class Pred>
double first_time(Drive& d, double limit, Pred pred) {
    for (double t = 0; t <= limit; t += 1) {
        if (pred(d.at(t))) return t;
    }
    return -1;
}

TEST(Drive, StartsFromStandstillAndAcceleratesToCruise) {
    Drive d(straight(5000), calm(60));
    EXPECT_EQ(d.at(0).speed_kmh, 0);
    EXPECT_NEAR(d.at(10).speed_kmh, 36, 0.01);  // 1 m/s² for 10 s
    EXPECT_NEAR(d.at(60).speed_kmh, 60, 0.01);
    EXPECT_EQ(d.at(60).phase, Phase::driving);
}

TEST(Drive, PositionFollowsTheDistanceDriven) {
    Drive d(straight(5000), calm(36));  // 10 m/s once up to speed
    const Fix a = d.at(100);
    const Fix b = d.at(200);
    EXPECT_NEAR(b.along_m - a.along_m, 1000, 0.01);
    EXPECT_NEAR(geo::distance_m(a.position, b.position), 1000, 0.5);
    EXPECT_NEAR(b.odometer_m - a.odometer_m, 1000, 0.01);
    EXPECT_NEAR(b.heading_deg, 90, 0.1);
}

TEST(Drive, SlowsDownForACorner) {
    Drive d(l_shape(), calm(60));
    double slowest_near_corner = 1e9;
    for (double t = 0; t < 400; t += 1) {
        const Fix f = d.at(t);
        if (std::fabs(f.along_m - 1000) < 15) slowest_near_corner = std::min(slowest_near_corner, f.speed_kmh);
    }
    EXPECT_LE(slowest_near_corner, corner_speed_kmh(90) + 4);
    EXPECT_NEAR(corner_speed_kmh(90), 20, 1e-9);
    EXPECT_EQ(corner_speed_kmh(5), 0);  // a slight bend needs no slowing
}

TEST(Drive, StopsAtTheEndThenDrivesBackWhenLooping) {
    DriveConfig c = calm(36);
    c.loop = true;
    c.end_stop_s = 120;
    Drive d(straight(1000), c);
    const double arrive = first_time(d, 1000, [](const Fix& f) { return f.phase == Phase::stopped; });
    ASSERT_GT(arrive, 0);
    const Fix at_end = d.at(arrive);
    EXPECT_EQ(at_end.speed_kmh, 0);
    EXPECT_NEAR(at_end.along_m, d.route().length_m(), 0.01);
    EXPECT_EQ(d.at(arrive + 100).phase, Phase::stopped);
    const Fix later = d.at(arrive + 200);
    EXPECT_EQ(later.phase, Phase::driving);
    EXPECT_TRUE(later.reversed);
    EXPECT_EQ(later.lap, 1u);
    EXPECT_NEAR(later.heading_deg, 270, 0.1);
}

TEST(Drive, WithoutLoopStaysParkedAtTheEnd) {
    Drive d(straight(500), calm(36));
    const double arrive = first_time(d, 1000, [](const Fix& f) { return f.phase == Phase::finished; });
    ASSERT_GT(arrive, 0);
    const Fix f = d.at(arrive + 3600);
    EXPECT_EQ(f.phase, Phase::finished);
    EXPECT_EQ(f.speed_kmh, 0);
    EXPECT_NEAR(geo::distance_m(f.position, d.route().points().back()), 0, 0.01);
}

TEST(Drive, WaitsAtTheStartDuringTheStartDelay) {
    DriveConfig c = calm(36);
    c.start_delay_s = 60;
    Drive d(straight(5000), c);
    EXPECT_EQ(d.at(30).phase, Phase::waiting);
    EXPECT_EQ(d.at(59).speed_kmh, 0);
    EXPECT_EQ(d.at(59).position, d.route().points().front());
    EXPECT_GT(d.at(70).speed_kmh, 0);
}

TEST(Drive, SpeedingReportsTheFasterSpeedAndCoversMoreGround) {
    DriveConfig c = calm(40);
    c.misbehaviour.push_back({Kind::speeding, 120, 240, 80, 0});
    DriveConfig base = calm(40);
    Drive fast(straight(20000), c);
    Drive normal(straight(20000), base);
    EXPECT_NEAR(fast.at(100).speed_kmh, 40, 0.01);
    EXPECT_NEAR(fast.at(200).speed_kmh, 80, 0.01);
    EXPECT_NEAR(fast.at(400).speed_kmh, 40, 0.01);
    EXPECT_GT(fast.at(240).along_m - normal.at(240).along_m, 1000);
}

TEST(Drive, LeavingTheRouteOffsetsThePositionSideways) {
    DriveConfig c = calm(36);
    c.misbehaviour.push_back({Kind::leave_route, 100, 300, 0, 400});
    Drive off(straight(20000), c);
    Drive on(straight(20000), calm(36));
    EXPECT_NEAR(geo::distance_m(off.at(200).position, on.at(200).position), 400, 1.5);
    EXPECT_NEAR(geo::distance_m(off.at(115).position, on.at(115).position), 200, 1.5);  // ramping in
    EXPECT_NEAR(geo::distance_m(off.at(350).position, on.at(350).position), 0, 0.01);
    EXPECT_EQ(off.at(200).along_m, on.at(200).along_m);
}

TEST(Drive, NoRestSkipsThePlannedStop) {
    DriveConfig c = calm(36);
    c.loop = true;
    c.end_stop_s = 600;
    c.misbehaviour.push_back({Kind::no_rest, 0, 3600, 0, 0});
    Drive d(straight(1000), c);
    for (double t = 0; t < 3000; t += 1) ASSERT_NE(d.at(t).phase, Phase::stopped) << t;
    EXPECT_GE(d.at(3000).lap, 5u);
}

TEST(Drive, SilentAndBlindZoneDecideWhatTheTerminalDoesWithAFix) {
    DriveConfig c = calm(36);
    c.start_delay_s = 60;  // windows count from the start of driving
    c.misbehaviour.push_back({Kind::silent, 600, 900, 0, 0});
    c.misbehaviour.push_back({Kind::blind_zone, 800, 1200, 0, 0});
    EXPECT_EQ(delivery_at(c, 600), Delivery::send);
    EXPECT_EQ(delivery_at(c, 660), Delivery::none);
    EXPECT_EQ(delivery_at(c, 900), Delivery::none);  // both: silent wins
    EXPECT_EQ(delivery_at(c, 1000), Delivery::buffer);
    EXPECT_EQ(delivery_at(c, 1259), Delivery::buffer);
    EXPECT_EQ(delivery_at(c, 1260), Delivery::send);
    Drive d(straight(50000), c);
    EXPECT_EQ(d.at(1000).delivery, Delivery::buffer);
    EXPECT_EQ(d.at(1000).active, bit(Kind::blind_zone));
    EXPECT_EQ(d.at(900).delivery, Delivery::none);
    EXPECT_EQ(d.at(900).active, bit(Kind::blind_zone) | bit(Kind::silent));
}

TEST(Drive, SameTimeGivesTheSameFixWhateverTheQueryOrder) {
    DriveConfig c;  // with the speed wobble
    c.cruise_kmh = 45;
    c.loop = true;
    c.seed = 1234;
    Drive d(l_shape(), c);
    const Fix a = d.at(777.5);
    (void)d.at(100);
    const Fix b = d.at(777.5);
    EXPECT_EQ(a.position, b.position);
    EXPECT_EQ(a.speed_kmh, b.speed_kmh);
}

TEST(Drive, CruiseSpeedWobblesWithinTheNoiseAmplitude) {
    DriveConfig c;
    c.cruise_kmh = 50;
    c.noise = 0.03;
    Drive d(straight(50000), c);
    double lo = 1e9;
    double hi = 0;
    for (double t = 100; t < 1000; t += 1) {
        const double v = d.at(t).speed_kmh;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    EXPECT_GE(lo, 50 * 0.97 - 0.01);
    EXPECT_LE(hi, 50 * 1.03 + 0.01);
    EXPECT_GT(hi - lo, 1.0);
}

}  // namespace
}  // namespace fleetwatch::sim
