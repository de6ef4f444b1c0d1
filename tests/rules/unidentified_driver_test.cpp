// unidentified_driver (RULES.md "Driver"): moving >= 5 min with no card and no dispatched
// driver, where the vehicle requires cards.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

TEST(UnidentifiedDriver, TenMinutesWithoutACardIsOneEpisode) {
    Track t(kBus, local(8, 0));
    t.stop(1min).drive(10min, 40).stop(5min);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::unidentified_driver);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(8, 1));
    EXPECT_EQ(eps[0].end, local(8, 11));
    EXPECT_EQ(eps[0].severity, Severity::moderate);
    EXPECT_DOUBLE_EQ(eps[0].peak, 10);
}

TEST(UnidentifiedDriver, FourMinutesIsNothing) {
    Track t(kBus, local(8, 0));
    t.stop(1min).drive(4min, 40).stop(5min);
    Replay run;
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::unidentified_driver).empty());
}

TEST(UnidentifiedDriver, OnlyWhereTheVehicleRequiresCards) {
    Track t(kCar, local(8, 0));
    t.stop(1min).drive(10min, 40).stop(5min);
    Replay run;
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::unidentified_driver).empty());
}

TEST(UnidentifiedDriver, TheDispatchedDriverIsAKnownDriver) {
    RuleConfig c = base_config();
    c.trips = {{7, kBus, kWang, std::nullopt, std::nullopt, local(7, 0), local(9, 0), false}};
    Track t(kBus, local(8, 0));
    t.stop(1min).drive(10min, 40).stop(5min);
    Replay run(c);
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::unidentified_driver).empty());
}

TEST(UnidentifiedDriver, EndsWhenACardIsInserted) {
    Track t(kBus, local(8, 0));
    t.stop(1min).drive(20min, 40).stop(5min);
    Replay run;
    run.feed_merged({&t}, {card(kBus, local(8, 9), true, "QC101")});
    const auto eps = run.of(ViolationType::unidentified_driver);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(8, 1));
    EXPECT_EQ(eps[0].end, local(8, 9));
}

TEST(UnidentifiedDriver, AnUnregisteredCardIsNoKnownDriver) {
    Track t(kBus, local(8, 0));
    t.stop(1min).drive(10min, 40).stop(5min);
    Replay run;
    run.feed_merged({&t}, {card(kBus, local(7, 59), true, "QC999")});
    EXPECT_EQ(run.of(ViolationType::unidentified_driver).size(), 1u);
    EXPECT_EQ(run.engine.stats().unknown_cards, 1u);
}

}  // namespace
}  // namespace fleetwatch::rules::test
