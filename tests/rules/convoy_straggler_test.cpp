// convoy_straggler (RULES.md "Convoy"): members ordered by progress along the route; the gap
// to the member ahead above max_gap_m for >= 2 min opens, below 0.8 x max_gap_m closes.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

RuleConfig convoy() {
    RuleConfig c = base_config();
    c.routes = {{"field trip", {kHome, {kHome.lat, kHome.lon + 0.5}}, 60, std::nullopt, {}}};
    c.convoys = {{"生物实习", "leader", 3000, 120s}};
    c.trips = {{1, kBus, kWang, 0, 0, local(8, 0), local(12, 0), false},
               {2, kBus2, kChen, 0, 0, local(8, 0), local(12, 0), false},
               {3, kBus3, kLi, 0, 0, local(8, 0), local(12, 0), false}};
    return c;
}

Track member(VehicleId v, double along_m) {
    return Track(v, local(9, 0), {kHome.lat, kHome.lon + east_deg(along_m, kHome.lat)});
}

// Bus 3 falls behind (15 vs 40 km/h) for `slow_for`, then catches up at 48 km/h.
void three_buses(Replay& run, std::chrono::seconds slow_for) {
    Track lead = member(kBus, 1500);
    lead.drive(30min, 40);
    Track second = member(kBus2, 1000);
    second.drive(30min, 40);
    Track last = member(kBus3, 460);
    last.drive(slow_for, 15).drive(30min - slow_for, 48);
    run.feed_merged({&lead, &second, &last});
}

TEST(ConvoyStraggler, AThreeBusConvoyWithAStraggler) {
    Replay run(convoy());
    three_buses(run, 10min);
    const auto eps = run.of(ViolationType::convoy_straggler);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].vehicle_id, kBus3);
    EXPECT_EQ(eps[0].convoy, "生物实习");
    // The gap grows by 6.94 m/s from 540 m. Members report together every 10 s (bus 1, 2, 3)
    // and each is judged on the others' latest reports: at 09:05:50 bus 2's report puts the gap
    // at 3 015 m but bus 3's own puts it back at 2 973 m; from 09:06:00 on it stays above.
    EXPECT_EQ(eps[0].start, local(9, 6, 0));
    // From ~4 707 m at 09:10 it shrinks by 2.22 m/s: under 2 400 m at bus 3's report of 09:27:20.
    EXPECT_EQ(eps[0].end, local(9, 27, 20));
    // Each member's latest known progress: bus 2's report at 09:10:10 meets bus 3's of 09:10:00.
    EXPECT_GT(eps[0].peak, 4700);
    EXPECT_LT(eps[0].peak, 4830);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "max_gap_m"), 3000);
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
    EXPECT_TRUE(run.of(ViolationType::route_deviation).empty());
}

TEST(ConvoyStraggler, AGapAboveTheMaximumForLessThanTwoMinutesIsNothing) {
    // Slow for 6 min: the gap passes 3 000 m at ~354 s and is back under at once.
    Replay run(convoy());
    three_buses(run, 6min);
    EXPECT_TRUE(run.of(ViolationType::convoy_straggler).empty());
}

}  // namespace
}  // namespace fleetwatch::rules::test
