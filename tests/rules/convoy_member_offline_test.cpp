// convoy_member_offline (RULES.md "Convoy"): a member silent for >= 5 min (wall clock) while
// the convoy is under way.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

RuleConfig convoy_trips() {
    RuleConfig c = base_config();
    c.routes = {{"east", {kHome, {kHome.lat, kHome.lon + 0.5}}, 50, std::nullopt, {}}};
    c.convoys = {{"field trip", "leader", 3000, 120s}};
    c.trips = {{1, kBus, kWang, 0, 0, local(8, 0), local(10, 0), false},
               {2, kBus2, kChen, 0, 0, local(8, 0), local(10, 0), false}};
    return c;
}

TEST(ConvoyMemberOffline, FiveMinutesOfSilenceWhileTheConvoyIsUnderWay) {
    Track a(kBus, local(8, 0));
    a.drive(20min, 30);
    Track b(kBus2, local(8, 0));
    b.drive(10min, 30);  // silent from 08:09:50
    Replay run(convoy_trips());
    run.feed_merged({&a, &b});
    run.tick(local(8, 14, 50));
    const auto eps = run.of(ViolationType::convoy_member_offline);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].vehicle_id, kBus2);
    EXPECT_EQ(eps[0].convoy, "field trip");
    EXPECT_EQ(eps[0].start, local(8, 9, 50));
    EXPECT_TRUE(run.of(ViolationType::terminal_offline).empty());
}

TEST(ConvoyMemberOffline, ClosesWhenTheMemberIsHeardFromAgain) {
    Track a(kBus, local(8, 0));
    a.drive(30min, 30);
    Track b(kBus2, local(8, 0));
    b.drive(10min, 30);
    Replay run(convoy_trips());
    run.feed_merged({&a, &b});
    run.tick(local(8, 20));
    Track back(kBus2, local(8, 25), b.pos);
    back.drive(10s, 30);
    run.feed(back);
    const auto eps = run.of(ViolationType::convoy_member_offline);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(8, 9, 50));
    EXPECT_EQ(eps[0].end, local(8, 25));
}

TEST(ConvoyMemberOffline, NotOutsideTheConvoyTrip) {
    Track b(kBus2, local(10, 0));
    b.drive(5min, 30);
    Replay run(convoy_trips());
    run.feed(b);
    run.tick(local(10, 30));
    EXPECT_TRUE(run.of(ViolationType::convoy_member_offline).empty());
}

}  // namespace
}  // namespace fleetwatch::rules::test
