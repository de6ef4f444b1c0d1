// fatigue_continuous (RULES.md "Fatigue driving"): C(t) since the end of the last rest, the
// 4 h day / 2 h night limits, the 20-minute rest (GB/T 19056), the 30-minute warning, gaps,
// and clocks that belong to the driver across vehicles and card swaps.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

TEST(FatigueContinuous, MoreThanFourHoursOfDaytimeDrivingOpensAtFourHours) {
    Track t(kBus, local(8, 0));
    t.drive(4h + 10min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(12, 0));
    EXPECT_EQ(eps[0].end, local(12, 10));  // the start of the rest
    EXPECT_EQ(eps[0].driver_id, kWang);
    EXPECT_EQ(eps[0].vehicle_id, kBus);
    EXPECT_EQ(eps[0].severity, Severity::minor);
    EXPECT_DOUBLE_EQ(eps[0].peak, 10);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_min"), 240);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "min_rest_min"), 20);
    EXPECT_FALSE(eps[0].pledge_version.has_value());
    EXPECT_FALSE(eps[0].from_gap);
    EXPECT_FALSE(eps[0].needs_review);
}

TEST(FatigueContinuous, WarnsAndSpeaksThirtyMinutesBeforeTheLimit) {
    Track t(kBus, local(8, 0));
    t.drive(3h + 40min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
    ASSERT_EQ(run.got.warnings.size(), 1u);
    EXPECT_EQ(run.got.warnings[0].time, local(11, 30));
    EXPECT_EQ(run.got.warnings[0].continuous_min, 210);
    EXPECT_EQ(run.got.warnings[0].limit_min, 240);
    EXPECT_FALSE(run.got.warnings[0].late);
    ASSERT_EQ(run.got.reminders.size(), 1u);
    EXPECT_EQ(run.got.reminders[0].text, "您已连续驾驶210分钟，请在30分钟内停车休息");
}

TEST(FatigueContinuous, ANineteenMinuteStopDoesNotResetTheClock) {
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).stop(19min).drive(2h, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(12, 0));  // the 19 minutes count as driving time
    EXPECT_EQ(eps[0].end, local(12, 19));
    EXPECT_DOUBLE_EQ(eps[0].peak, 19);
}

TEST(FatigueContinuous, ATwentyMinuteStopIsARest) {
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).stop(20min).drive(2h + 30min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
}

TEST(FatigueContinuous, DaytimeDrivingContinuingPast22OpensANightEpisodeAt22) {
    Track bus(kBus, local(19, 0));
    bus.drive(3h + 30min, 40).stop(30min);
    Track car(kCar, local(19, 0));
    car.drive(3h + 30min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(18, 59), true, "QC101")).feed(card(kCar, local(18, 59), true, "QC103"));
    run.feed_merged({&bus, &car});
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);  // the car is not a passenger vehicle: its limit stays 4 h
    EXPECT_EQ(eps[0].vehicle_id, kBus);
    EXPECT_EQ(eps[0].start, local(22, 0));
    EXPECT_EQ(eps[0].end, local(22, 30));
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_min"), 120);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "night"), 1);
    EXPECT_EQ(eps[0].severity, Severity::serious);  // at night
    EXPECT_DOUBLE_EQ(eps[0].peak, 90);              // 3 h 30 against 2 h at 22:30
}

TEST(FatigueContinuous, TheClockFollowsADriverWhoChangesVehiclesMidShift) {
    Track a(kBus, local(8, 0));
    a.drive(2h + 30min, 40).stop(30min);  // parked from 10:30, still reporting
    Track b(kBus2, local(10, 40), {kHome.lat + 0.05, kHome.lon});
    b.drive(1h + 50min, 40).stop(30min);
    Replay run;
    run.feed_merged({&a, &b}, {card(kBus, local(7, 59), true, "QC101"),
                               card(kBus, local(10, 32), false, ""),
                               card(kBus2, local(10, 39), true, "QC101")});
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);  // 10 minutes between vehicles is no rest
    EXPECT_EQ(eps[0].driver_id, kWang);
    EXPECT_EQ(eps[0].vehicle_id, kBus2);
    EXPECT_EQ(eps[0].start, local(12, 0));
    EXPECT_EQ(eps[0].end, local(12, 30));
}

TEST(FatigueContinuous, ACardSwapWhileMovingHandsOverToAFreshClock) {
    Track t(kBus, local(8, 0));
    t.drive(7h + 10min, 40).stop(30min);
    Replay run;
    run.feed_merged({&t}, {card(kBus, local(7, 59), true, "QC101"),
                           card(kBus, local(11, 0), false, ""),
                           card(kBus, local(11, 0, 5), true, "QC103")});
    const auto eps = run.of(ViolationType::fatigue_continuous);
    // 王 drove 3 h: nothing. 陈 from 11:00:05: over 4 h at 15:00:05. Not the vehicle's 7 h.
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].driver_id, kChen);
    EXPECT_EQ(eps[0].start, local(15, 0, 5));
    EXPECT_EQ(eps[0].end, local(15, 10));
    EXPECT_TRUE(run.of(ViolationType::unidentified_driver).empty());  // 5 s without a card
}

TEST(FatigueContinuous, AFortyMinuteGapWithoutMovementIsARest) {
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).gap(40min, 50).drive(2h + 30min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
}

TEST(FatigueContinuous, AFortyMinuteGapCoveringDistanceIsDrivingFromTheGap) {
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).gap(40min, 30'000).drive(1h + 30min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(12, 0));
    EXPECT_TRUE(eps[0].from_gap);
    EXPECT_FALSE(eps[0].needs_review);
}

TEST(FatigueContinuous, AFortyMinuteGapOfUnknownActivityNeverResetsButNeedsReview) {
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).gap(40min, 1000).drive(1h + 30min, 40).stop(30min);  // 1.5 km/h implied
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(12, 0));
    EXPECT_TRUE(eps[0].needs_review);
    EXPECT_FALSE(eps[0].from_gap);
}

TEST(FatigueContinuous, APledgeShortensTheLimitAndIsRecorded) {
    Track t(kBus, local(8, 0));
    t.drive(3h + 10min, 40).stop(30min);
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC102")).feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(11, 0));
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_min"), 180);
    EXPECT_EQ(eps[0].pledge_version, 3);
}

TEST(FatigueContinuous, WithoutAKnownDriverTheClockBelongsToTheVehicle) {
    Track t(kTruck, local(8, 0));
    t.drive(4h + 5min, 40).stop(30min);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_FALSE(eps[0].driver_id.has_value());
    EXPECT_EQ(eps[0].vehicle_id, kTruck);
    EXPECT_EQ(eps[0].start, local(12, 0));
}

TEST(FatigueContinuous, SeverityByMinutesOver) {
    Track t(kTruck, local(6, 0));
    t.drive(4h + 45min, 40).stop(30min).drive(5h + 5min, 40).stop(30min);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].severity, Severity::moderate);  // 45 min over
    EXPECT_EQ(eps[1].severity, Severity::serious);   // 65 min over
}

}  // namespace
}  // namespace fleetwatch::rules::test
