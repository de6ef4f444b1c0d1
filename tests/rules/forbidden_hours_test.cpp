// forbidden_hours (RULES.md): driving >= 5 min inside a window the fleet (passenger vehicles:
// 02:00-05:00) or the driver's pledge forbids.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

Track small_hours(VehicleId v, std::chrono::seconds driving) {
    Track t(v, local(2, 10));
    t.drive(driving, 40).stop(10min);
    t.gap(local(5, 10) - t.t, 0).stop(1min);  // parked until after the window
    return t;
}

TEST(ForbiddenHours, TenMinutesOfDrivingAt2AmIsOneEpisode) {
    Replay run;
    run.feed(card(kBus, local(2, 0), true, "QC101")).feed(small_hours(kBus, 10min));
    const auto eps = run.of(ViolationType::forbidden_hours);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(2, 10));
    EXPECT_EQ(eps[0].end, local(2, 20));
    EXPECT_DOUBLE_EQ(eps[0].peak, 10);
    EXPECT_EQ(eps[0].severity, Severity::serious);  // at night
    EXPECT_DOUBLE_EQ(threshold(eps[0], "window_start_min"), 120);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "window_end_min"), 300);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "from_pledge"), 0);
}

TEST(ForbiddenHours, FourMinutesIsNothing) {
    Replay run;
    run.feed(card(kBus, local(2, 0), true, "QC101")).feed(small_hours(kBus, 4min));
    EXPECT_TRUE(run.of(ViolationType::forbidden_hours).empty());
}

TEST(ForbiddenHours, TheFleetWindowIsForPassengerVehicles) {
    Replay run;
    run.feed(small_hours(kCar, 10min));
    EXPECT_TRUE(run.of(ViolationType::forbidden_hours).empty());
}

TEST(ForbiddenHours, APledgedWindowAppliesToTheDriverInAnyVehicle) {
    RuleConfig c = base_config();
    Pledge p;
    p.version = 1;
    p.valid_from = local(0, 0, 0, -1);
    p.forbidden_hours = {{22 * 60, 24 * 60}};
    c.drivers[2].pledges = {p};  // 陈
    Track t(kCar, local(22, 30));
    t.drive(10min, 40).stop(10min);
    t.gap(local(0, 10, 0, 1) - t.t, 0).stop(1min);
    Replay run(c);
    run.feed(card(kCar, local(22, 29), true, "QC103")).feed(t);
    const auto eps = run.of(ViolationType::forbidden_hours);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].driver_id, kChen);
    EXPECT_EQ(eps[0].start, local(22, 30));
    EXPECT_EQ(eps[0].end, local(22, 40));
    EXPECT_DOUBLE_EQ(threshold(eps[0], "from_pledge"), 1);
    EXPECT_EQ(eps[0].pledge_version, 1);
}

}  // namespace
}  // namespace fleetwatch::rules::test
