// terminal_offline (RULES.md): silence on a dispatched trip by the wall clock (the `now` given
// to on_tick).
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

std::vector<Episode> offline_of(const Replay& run, VehicleId v) {
    std::vector<Episode> out;
    for (const Episode& e : run.of(ViolationType::terminal_offline))
        if (e.vehicle_id == v) out.push_back(e);
    return out;
}

RuleConfig with_trip() {
    RuleConfig c = base_config();
    c.routes = {{"east", {kHome, {kHome.lat, kHome.lon + 0.5}}, 50, std::nullopt, {}}};
    c.convoys = {{"field trip", "leader", 3000, 120s}};
    c.trips = {{1, kBus, kWang, 0, std::nullopt, local(8, 0), local(10, 0), false},
               {2, kBus2, kChen, 0, 0, local(8, 0), local(10, 0), false}};
    return c;
}

TEST(TerminalOffline, TenMinutesOfSilenceOnATripOpensAndTheNextReportCloses) {
    Track t(kBus, local(8, 0));
    t.drive(30min, 30);  // last report 08:29:50
    Replay run(with_trip());
    run.feed(t);
    run.tick(local(8, 39, 49));
    EXPECT_TRUE(offline_of(run, kBus).empty());
    run.tick(local(8, 39, 50));
    auto eps = offline_of(run, kBus);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(8, 29, 50));
    EXPECT_TRUE(eps[0].is_open());
    Track back(kBus, local(8, 50), t.pos);
    back.drive(10s, 30);
    run.feed(back);
    eps = offline_of(run, kBus);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].end, local(8, 50));
}

TEST(TerminalOffline, NoTripNoOfflineEpisode) {
    Track t(kCar, local(8, 0));
    t.drive(30min, 30);
    Replay run(with_trip());
    run.feed(t);
    run.tick(local(9, 30));
    EXPECT_TRUE(offline_of(run, kCar).empty());
    EXPECT_EQ(offline_of(run, kBus).size(), 1u);  // on a trip, never heard from
}

TEST(TerminalOffline, AVehicleNeverHeardFromIsSilentSinceTheTripStart) {
    Replay run(with_trip());
    run.tick(local(8, 10));
    const auto eps = run.of(ViolationType::terminal_offline);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].start, local(8, 0));
}

}  // namespace
}  // namespace fleetwatch::rules::test
