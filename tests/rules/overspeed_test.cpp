// overspeed (RULES.md "Speeding"): the limit at a fix, the 2-fix/10-s opening, the 2-fix
// closing, the 60-s merge, severity, the reminder.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

const geo::LatLon kZone60West{kZone60Center.lat, kZone60Center.lon - 0.009};
const geo::LatLon kCampusWest{kCampusCenter.lat, kCampusCenter.lon - 0.009};

TEST(Overspeed, SchoolBusAt62InA60ZoneFor8SecondsIsNothing) {
    Track t(kSchoolBus, local(10, 0), kZone60West);
    t.interval = 1s;
    t.drive(30s, 50).drive(8s, 62).drive(30s, 50);
    Replay run;
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
    EXPECT_TRUE(run.got.reminders.empty());
}

TEST(Overspeed, SchoolBusAt62InA60ZoneFor12SecondsIsOneMinorEpisode) {
    Track t(kSchoolBus, local(10, 0), kZone60West);
    t.interval = 1s;
    // Over at :30 ... :42 (12 s); the close is reported once the 60 s merge window has passed.
    t.drive(30s, 50).drive(13s, 62).drive(70s, 50);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(10, 0, 30));
    EXPECT_EQ(eps[0].end, local(10, 0, 43));  // the first of two fixes at or under the limit
    EXPECT_EQ(eps[0].severity, Severity::minor);
    EXPECT_DOUBLE_EQ(eps[0].peak, 62);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 60);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "zone_kmh"), 60);
    EXPECT_EQ(eps[0].path.size(), 14u);  // 13 fixes over the limit and the one that ends it
    EXPECT_FALSE(eps[0].late);
    // One alert at open and one at close, never one per position.
    int opens = 0, closes = 0, updates = 0;
    for (const auto& e : run.got.events) {
        opens += e.kind == EpisodeEventKind::open;
        closes += e.kind == EpisodeEventKind::close;
        updates += e.kind == EpisodeEventKind::update;
    }
    EXPECT_EQ(opens, 1);
    EXPECT_EQ(closes, 1);
    EXPECT_EQ(updates, 0);
    ASSERT_EQ(run.got.reminders.size(), 1u);
    EXPECT_EQ(run.got.reminders[0].text, "您已超速，当前限速60公里每小时，请减速慢行");
}

TEST(Overspeed, SchoolBusWithStudentsIsLimitedTo60AndOneLevelHigher) {
    RuleConfig c = base_config();
    c.trips = {{1, kSchoolBus, kWang, std::nullopt, std::nullopt, local(7, 0), local(9, 0), true}};
    Track t(kSchoolBus, local(7, 30));
    t.drive(60s, 55).drive(30s, 66).drive(60s, 55);
    Replay run(c);
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 60);
    // (66 - 60) / 60 = 10 %: moderate, one level higher for a school bus with students.
    EXPECT_EQ(eps[0].severity, Severity::serious);
    EXPECT_EQ(eps[0].driver_id, kWang);
}

TEST(Overspeed, CampusZoneIs20) {
    Track car(kCar, local(10, 0), kCampusWest);
    car.drive(30s, 15).drive(30s, 30).drive(30s, 15);
    Track bus(kBus, local(11, 0), kCampusWest);
    bus.drive(30s, 15).drive(30s, 23).drive(30s, 15);
    Replay run;
    run.feed(car).feed(bus);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].vehicle_id, kCar);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 20);
    EXPECT_EQ(eps[0].severity, Severity::severe);  // 50 %: 特别严重
    EXPECT_EQ(eps[1].vehicle_id, kBus);
    EXPECT_EQ(eps[1].severity, Severity::moderate);  // 15 %
}

TEST(Overspeed, NightLimitIs80PercentForPassengerVehicles) {
    Track day(kBus, local(21, 30), kZone60West);
    day.drive(30s, 40).drive(30s, 55).drive(30s, 40);
    Track night(kBus, local(22, 30), kZone60West);
    night.drive(30s, 40).drive(30s, 55).drive(30s, 40);
    Track car(kCar, local(22, 30), kZone60West);
    car.drive(30s, 40).drive(30s, 55).drive(30s, 40);
    Replay run;
    run.feed(day).feed(night).feed(car);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);  // 55 in a 60 zone is fine by day, and for a car at night
    EXPECT_EQ(eps[0].start, local(22, 30, 30));
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 48);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "night_factor"), 0.8);
    // (55 - 48) / 48 = 14.6 %: moderate, one level higher at night.
    EXPECT_EQ(eps[0].severity, Severity::serious);
}

TEST(Overspeed, GpsJitterAtAStopIsNotSpeeding) {
    Track t(kBus, local(10, 0), kCampusCenter);
    Replay run;
    for (int i = 0; i < 120; ++i) {
        // +-20 m of position noise and 0-4 km/h of speed noise while parked.
        t.pos = {kCampusCenter.lat + north_deg((i * 37 % 41) - 20.0),
                 kCampusCenter.lon + east_deg((i * 53 % 41) - 20.0, kCampusCenter.lat)};
        t.one(static_cast<double>(i * 7 % 5));
        t.t += 10s;
    }
    run.feed(t);
    EXPECT_TRUE(run.got.episodes.empty());
}

TEST(Overspeed, EpisodesLessThan60SecondsApartMerge) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.interval = 5s;
    t.drive(20s, 15).drive(20s, 30).drive(30s, 15).drive(20s, 30).drive(70s, 15);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(10, 0, 20));
    EXPECT_EQ(eps[0].end, local(10, 1, 30));
}

TEST(Overspeed, EpisodesAMinuteApartAreTwo) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.interval = 5s;
    t.drive(20s, 15).drive(20s, 30).drive(65s, 15).drive(20s, 30).drive(20s, 15);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].end, local(10, 0, 40));
    EXPECT_EQ(eps[1].start, local(10, 1, 45));
}

TEST(Overspeed, PledgedMaximumIsStricterAndRecorded) {
    Track t(kBus, local(10, 0));
    t.drive(60s, 48).drive(60s, 55).drive(60s, 48);
    Replay run;
    run.feed(card(kBus, local(9, 59), true, "QC102"));
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].driver_id, kLi);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 50);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "pledge_kmh"), 50);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "class_kmh"), 70);
    EXPECT_EQ(eps[0].pledge_version, 3);
    EXPECT_EQ(eps[0].severity, Severity::moderate);  // 10 %
}

TEST(Overspeed, SeverityGrowsWithThePeakAndIsAnnouncedOnce) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(30s, 15).drive(20s, 21).drive(20s, 25).drive(20s, 31).drive(30s, 15);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_DOUBLE_EQ(eps[0].peak, 31);
    EXPECT_EQ(eps[0].severity, Severity::severe);
    int updates = 0;
    for (const auto& e : run.got.events) updates += e.kind == EpisodeEventKind::update;
    EXPECT_EQ(updates, 2);  // minor -> serious (25: 25 %) -> severe (31: 55 %)
}

TEST(Overspeed, ADetectionMoreThanTenMinutesLateIsNotSpoken) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.lag = 20min;  // a 0x0704 batch arriving 20 minutes later, in order
    t.drive(30s, 15).drive(30s, 30).drive(30s, 15);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_TRUE(eps[0].late);
    EXPECT_TRUE(run.got.reminders.empty());
}

TEST(Overspeed, AVehicleMissingFromTheConfigurationIsJudgedAsClassOther) {
    Track t(999, local(10, 0));
    t.drive(1min, 65).drive(1min, 77).drive(2min, 65);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].vehicle_id, 999);
    EXPECT_DOUBLE_EQ(threshold(eps[0], "limit_kmh"), 70);
    EXPECT_EQ(eps[0].severity, Severity::moderate);  // 10 %
    EXPECT_EQ(eps[0].start, local(10, 1));
    EXPECT_EQ(eps[0].end, local(10, 2));
}

TEST(Overspeed, InvalidFixesNeverDriveTheRule) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(30s, 15).drive(30s, 30).drive(30s, 15);
    for (auto& p : t.fixes) p.valid = p.speed_dkmh <= 150;
    Replay run;
    run.feed(t);
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
    EXPECT_EQ(run.engine.stats().invalid, 3u);
}

}  // namespace
}  // namespace fleetwatch::rules::test
