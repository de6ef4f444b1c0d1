#include "fleetwatch/rules/from_fleet.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fleetwatch/rules/engine.hpp"

namespace fleetwatch::rules {
namespace {

fleet::Fleet demo() {
    auto parsed = fleet::parse_fleet_file(FLEETWATCH_SOURCE_DIR "/deploy/demo-fleet.yaml");
    EXPECT_TRUE(parsed.problems.empty());
    if (!parsed.fleet) throw std::runtime_error("deploy/demo-fleet.yaml does not parse");
    return *parsed.fleet;
}

TEST(FromFleet, TheDemoFleetBecomesARuleConfig) {
    const fleet::Fleet f = demo();
    const auto r = from_fleet(f, {}, {2026, 3, 10}, {2026, 3, 11});
    EXPECT_TRUE(r.problems.empty());
    const RuleConfig& c = r.config;
    EXPECT_EQ(c.vehicles.size(), f.vehicles.size());
    EXPECT_EQ(c.drivers.size(), f.drivers.size());
    ASSERT_EQ(c.routes.size(), f.routes.size());
    ASSERT_GE(c.routes.size(), 2u);
    EXPECT_EQ(c.zones.size(), f.zones.size());
    ASSERT_EQ(c.trips.size(), 2 * f.trips.size());  // daily trips, two days
    ASSERT_FALSE(c.trips.empty());
    ASSERT_FALSE(c.drivers.empty());
    ASSERT_FALSE(c.drivers[0].pledges.empty());
    const Pledge& p = c.drivers[0].pledges[0];
    EXPECT_EQ(p.max_speed_kmh, 60);
    EXPECT_EQ(p.max_continuous_driving_min, 180);
    ASSERT_EQ(p.forbidden_hours.size(), 1u);
    EXPECT_EQ(p.forbidden_hours[0].start_min, 120);
    EXPECT_EQ(p.valid_from, core::to_timestamp({2026, 3, 1, 0, 0, 0}, core::kChinaUtcOffset));
    // The GCJ-02 route arrives in WGS-84 (fleet/ converted it on parsing).
    EXPECT_EQ(c.routes[1].points.front(), geo::to_lat_lon(f.routes[1].points.front()));
    EXPECT_EQ(c.trips[0].start, core::to_timestamp({2026, 3, 10, 7, 0, 0}, core::kChinaUtcOffset));
    EXPECT_TRUE(c.trips[0].students_aboard);
    Engine engine(c);  // builds its indexes
    EXPECT_EQ(engine.config().trips.size(), c.trips.size());
}

TEST(FromFleet, MissingIdsAreReported) {
    const fleet::Fleet f = demo();
    FleetIds ids;
    ids.vehicle = [](const std::string&) { return std::nullopt; };
    ids.driver = [](const std::string&) { return std::optional<DriverId>(7); };
    const auto r = from_fleet(f, ids, {2026, 3, 10}, {2026, 3, 10});
    EXPECT_FALSE(r.problems.empty());
    EXPECT_TRUE(r.config.vehicles.empty());
    EXPECT_TRUE(r.config.trips.empty());
}

}  // namespace
}  // namespace fleetwatch::rules
