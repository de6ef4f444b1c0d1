// fatigue_daily (RULES.md): more than 8 h of driving in one local calendar day (passenger
// vehicles); opens when exceeded, ends at the last driving of the day.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

// 3 h 50 + 3 h 50 with proper rests, then `last` more, then parked; the next morning a fix.
Track long_day(VehicleId v, std::chrono::seconds last) {
    Track t(v, local(6, 0));
    t.drive(3h + 50min, 40).stop(30min).drive(3h + 50min, 40).stop(30min).drive(last, 40).stop(20min);
    t.gap(t.t < local(0, 0, 0, 1) ? local(6, 0, 0, 1) - t.t : 0s, 0).stop(1min);
    return t;
}

TEST(FatigueDaily, MoreThanEightHoursInADayOpensWhenExceededAndEndsAtTheLastDriving) {
    Replay run;
    run.feed(card(kBus, local(5, 59), true, "QC101")).feed(long_day(kBus, 60min));
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
    const auto eps = run.of(ViolationType::fatigue_daily);
    ASSERT_EQ(eps.size(), 1u);
    // 460 minutes by 14:10; the 8th hour is complete 20 minutes after 14:40.
    EXPECT_EQ(eps[0].start, local(15, 0));
    EXPECT_EQ(eps[0].end, local(15, 40));
    EXPECT_DOUBLE_EQ(eps[0].peak, 40);
    EXPECT_EQ(eps[0].severity, Severity::moderate);
    EXPECT_EQ(eps[0].driver_id, kWang);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_min"), 480);
}

TEST(FatigueDaily, EightHoursExactlyIsNotMore) {
    Replay run;
    run.feed(card(kBus, local(5, 59), true, "QC101")).feed(long_day(kBus, 20min));
    EXPECT_TRUE(run.of(ViolationType::fatigue_daily).empty());
}

TEST(FatigueDaily, AppliesToPassengerVehiclesOnly) {
    Replay run;
    run.feed(long_day(kTruck, 60min));
    EXPECT_TRUE(run.of(ViolationType::fatigue_daily).empty());
}

TEST(FatigueDaily, CountsPerCalendarDay) {
    // 5 h before midnight and 5 h after: two days of 5 h, no daily episode.
    Track t(kBus, local(17, 0));
    t.drive(3h, 40).stop(30min).drive(2h, 40).stop(30min);   // 17:00-22:30
    t.gap(local(1, 0, 0, 1) - t.t, 0).drive(3h, 40).stop(30min).drive(2h, 40).stop(30min);
    RuleConfig c = base_config();
    c.classes[VehicleClass::bus].night_max_continuous_min = 240;  // keep the night limit out
    c.classes[VehicleClass::bus].forbidden_hours.clear();
    Replay run(c);
    run.feed(card(kBus, local(16, 59), true, "QC101")).feed(t);
    EXPECT_TRUE(run.of(ViolationType::fatigue_daily).empty());
}

}  // namespace
}  // namespace fleetwatch::rules::test
