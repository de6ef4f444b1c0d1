// route_deviation (RULES.md): >= 3 moving fixes beyond H + 10 m spanning >= 60 s opens, 2 fixes
// within H close; depot ends ignored; GCJ-02 routes converted on import.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/geo/china_datum.hpp"
#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

const geo::LatLon kRouteEnd{kHome.lat, kHome.lon + 0.2};  // about 19 km east

RuleConfig on_route(std::optional<DriverId> driver = kWang) {
    RuleConfig c = base_config();
    c.routes = {{"east", {kHome, {kHome.lat, kHome.lon + 0.1}, kRouteEnd}, 50, std::nullopt, {}}};
    c.trips = {{1, kBus, driver, 0, std::nullopt, local(7, 0), local(12, 0), false}};
    return c;
}

// Starts 1 km along the route, heading east at 36 km/h.
Track along() {
    Track t(kBus, local(8, 0), {kHome.lat, kHome.lon + east_deg(1000, kHome.lat)});
    return t;
}

// Drives `d` at `off_m` north of the route, then comes back.
Track excursion(std::chrono::seconds d, double off_m, double kmh = 36) {
    Track t = along();
    t.drive(2min, 36);
    t.pos.lat += north_deg(off_m);
    t.drive(d, kmh);
    t.pos.lat -= north_deg(off_m);
    t.drive(2min, 36);
    return t;
}

TEST(RouteDeviation, NinetySecondsAHundredMetresOffIsOneMinorEpisode) {
    Replay run(on_route());
    run.feed(excursion(90s, 100));
    const auto eps = run.of(ViolationType::route_deviation);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(8, 2));
    EXPECT_EQ(eps[0].end, local(8, 3, 30));  // the first of two fixes back within H
    EXPECT_EQ(eps[0].severity, Severity::minor);
    EXPECT_NEAR(eps[0].peak, 100, 1);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "corridor_half_width_m"), 50);
    EXPECT_EQ(eps[0].path.size(), 10u);  // 9 fixes off the route and the one that ends it
    EXPECT_EQ(eps[0].driver_id, kWang);
}

TEST(RouteDeviation, FortySecondsOffIsNothing) {
    Replay run(on_route());
    run.feed(excursion(40s, 100));
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
}

TEST(RouteDeviation, TheTenMetreHysteresisBandNeverOpens) {
    Replay run(on_route());
    run.feed(excursion(5min, 55));
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
}

TEST(RouteDeviation, FarOffIsSerious) {
    Replay run(on_route());
    run.feed(excursion(3min, 1500));
    const auto eps = run.of(ViolationType::route_deviation);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].severity, Severity::serious);
}

TEST(RouteDeviation, GpsJitterAtAStopBesideTheRouteIsNothing) {
    Track t = along();
    t.drive(1min, 36);
    const geo::LatLon parked = t.pos;
    for (int i = 0; i < 60; ++i) {
        t.pos = {parked.lat + north_deg(80 + (i * 37 % 41) - 20.0),
                 parked.lon + east_deg((i * 53 % 41) - 20.0, parked.lat)};
        t.one(static_cast<double>(i * 7 % 5));  // 0-4 km/h of speed noise
        t.t += 10s;
    }
    t.pos = parked;
    t.drive(1min, 36);
    Replay run(on_route());
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
}

TEST(RouteDeviation, NearTheRouteEndsIsIgnored) {
    Track t(kBus, local(8, 0), {kHome.lat + north_deg(100), kHome.lon});
    t.drive(3min, 3.6 * 0.8);  // crawling in the depot, 100 m beside the route's first point
    Replay run(on_route());
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
}

TEST(RouteDeviation, OnlyOnATripWithARoute) {
    Replay run;  // no trips
    run.feed(excursion(3min, 300));
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
}

TEST(RouteDeviation, APledgedNarrowerCorridorApplies) {
    Replay run(on_route(kLi));
    run.feed(excursion(90s, 45));
    const auto eps = run.of(ViolationType::route_deviation);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "corridor_half_width_m"), 30);
    EXPECT_EQ(eps[0].pledge_version, 3);
}

TEST(RouteDeviation, ARouteDrawnInGcj02IsConvertedOnImport) {
    // The route as AMap shows it: every point in GCJ-02.
    std::vector<geo::LatLon> amap;
    for (geo::LatLon p : {kHome, geo::LatLon{kHome.lat, kHome.lon + 0.1}, kRouteEnd})
        amap.push_back(geo::wgs84_to_gcj02(p));
    RuleConfig converted = on_route();
    converted.routes[0].points = import_points(amap, geo::Datum::gcj02);
    RuleConfig naive = on_route();
    naive.routes[0].points = amap;  // what happens without the conversion

    Track t = along();
    t.drive(10min, 36);
    Replay good(converted);
    good.feed(t);
    EXPECT_TRUE(good.of(ViolationType::route_deviation).empty());
    Replay bad(naive);
    bad.feed(t);
    const auto eps = bad.of(ViolationType::route_deviation);
    ASSERT_EQ(eps.size(), 1u);
    // Near Nanjing GCJ-02 is several hundred metres off; its north-south part (about 235 m
    // here) is what takes an east-west route out of its corridor.
    EXPECT_GT(eps[0].peak, 200);
}

TEST(RouteDeviation, TheRouteSpeedLimitAppliesOnTheRoute) {
    RuleConfig c = on_route();
    c.routes[0].speed_limit_kmh = 30;
    Replay run(c);
    Track off = along();
    off.drive(2min, 25);
    off.pos.lat += north_deg(1000);
    off.drive(90s, 40);  // 40 km/h only while 1 km off the route
    off.pos.lat -= north_deg(1000);
    off.drive(2min, 25);
    run.feed(off);
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
    Track t = along();
    t.drive(1min, 25).drive(1min, 40).drive(2min, 25);
    Replay on(c);
    on.feed(t);
    const auto eps = on.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "segment_kmh"), 30);
}

}  // namespace
}  // namespace fleetwatch::rules::test
