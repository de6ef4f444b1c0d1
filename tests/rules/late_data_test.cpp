// Late data (RULES.md "Late data"; ARCHITECTURE.md "Order independence"): 0x0704 blind-zone
// batches and out-of-order fixes are merged in event time; the episodes equal those of
// in-order arrival; what appears only now is late (and never spoken), what changes is an
// audited update, what disappears is retracted. Ends with the shuffle property test.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>
#include <random>
#include <sstream>

#include "random_drive.hpp"
#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

std::vector<core::Position> take(std::vector<core::Position>& from, Timestamp a, Timestamp b) {
    std::vector<core::Position> out;
    std::erase_if(from, [&](const core::Position& p) {
        if (p.gps_time < a || p.gps_time >= b) return false;
        out.push_back(p);
        return true;
    });
    return out;
}

TEST(LateData, ABlindZoneBatchHoursLateRevealsAnOverspeedThatIsLateAndNotSpoken) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(3min, 15).drive(1min, 30).drive(3min, 15);
    auto live = t.fixes;
    auto batch = take(live, local(10, 2, 30), local(10, 4, 30));
    Replay run;
    run.feed(live);
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
    arrive(batch, local(13, 0));
    run.engine.on_positions(batch, run.out);
    run.got.take(run.out);
    const auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(10, 3));
    EXPECT_EQ(eps[0].end, local(10, 4));
    EXPECT_TRUE(eps[0].late);
    EXPECT_TRUE(run.got.reminders.empty());
    ASSERT_FALSE(run.got.events.empty());
    EXPECT_TRUE(run.got.events.front().recomputed);
    EXPECT_EQ(run.engine.stats().late, batch.size());
}

TEST(LateData, ABlindZoneBatchShowingARestRetractsAFatigueEpisode) {
    // Live: 2 h driving, 25 minutes of silence that moved 5 km (driving, from the gap), 2 h 10
    // more: over 4 h at 12:00. The batch shows a 20-minute stop in the silence: a rest.
    Track t(kBus, local(8, 0));
    t.drive(2h, 40).stop(20min).drive(5min, 60).drive(2h + 10min, 40).stop(30min);
    auto live = t.fixes;
    auto batch = take(live, local(10, 0), local(10, 25));
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(live);
    auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_TRUE(eps[0].from_gap);
    arrive(batch, local(15, 0));
    run.engine.on_positions(batch, run.out);
    run.got.take(run.out);
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
    const auto retracted = std::count_if(run.got.events.begin(), run.got.events.end(), [](const auto& e) {
        return e.kind == EpisodeEventKind::retract && e.episode.type == ViolationType::fatigue_continuous;
    });
    EXPECT_EQ(retracted, 1);
}

TEST(LateData, AWarningRevealedByLateDataIsPushedLateAndNotSpoken) {
    // Live: 08:00-09:00 driving, 30 minutes of silence without movement (a rest), 09:30-12:10
    // driving: no warning. The batch shows driving through the silence: one run from 08:00.
    Track t(kBus, local(8, 0));
    t.drive(1h, 40);
    const geo::LatLon before_gap = t.pos;
    t.drive(30min, 40);
    t.pos = before_gap;
    t.drive(2h + 40min, 40).stop(30min);
    auto live = t.fixes;
    auto batch = take(live, local(9, 0), local(9, 30));
    Replay run;
    run.feed(card(kBus, local(7, 59), true, "QC101")).feed(live);
    EXPECT_TRUE(run.got.warnings.empty());
    EXPECT_TRUE(run.of(ViolationType::fatigue_continuous).empty());
    arrive(batch, local(13, 0));
    run.engine.on_positions(batch, run.out);
    run.got.take(run.out);
    ASSERT_EQ(run.got.warnings.size(), 1u);
    EXPECT_EQ(run.got.warnings[0].time, local(11, 30));
    EXPECT_TRUE(run.got.warnings[0].late);
    const auto eps = run.of(ViolationType::fatigue_continuous);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].start, local(12, 0));
    EXPECT_TRUE(eps[0].late);
    EXPECT_TRUE(run.got.reminders.empty());
}

TEST(LateData, ALateFixThatChangesAnEpisodeIsAnAuditedUpdate) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(1min, 15).drive(1min, 25).drive(2min, 15);
    auto live = t.fixes;
    auto late = take(live, local(10, 1, 30), local(10, 1, 31));
    late[0].speed_dkmh = 350;  // 35 km/h in the 20 zone
    Replay run;
    run.feed(live);
    auto eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    const auto id = eps[0].id;
    EXPECT_EQ(eps[0].severity, Severity::serious);  // 25 %
    arrive(late, local(10, 30));
    run.feed(late);
    eps = run.of(ViolationType::overspeed);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].id, id);
    EXPECT_EQ(eps[0].severity, Severity::severe);  // 75 %
    EXPECT_DOUBLE_EQ(eps[0].peak, 35);
    const auto& last = run.got.events.back();
    EXPECT_EQ(last.kind, EpisodeEventKind::update);
    EXPECT_TRUE(last.recomputed);
}

TEST(LateData, ARetransmittedFixIsJudgedOnce) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(1min, 15).drive(1min, 30).drive(2min, 15);
    Replay run;
    run.feed(t).feed(t);
    EXPECT_EQ(run.of(ViolationType::overspeed).size(), 1u);
    EXPECT_EQ(run.engine.stats().duplicates, t.fixes.size());
}

TEST(LateData, FixesOlderThanTheHorizonAreNotJudged) {
    Track t(kCar, local(10, 0), kCampusWest);
    t.drive(1min, 15);
    Track next_day(kCar, local(11, 0, 0, 1), kCampusWest);
    next_day.drive(1min, 15);
    Replay run;
    run.feed(next_day).feed(t);
    EXPECT_EQ(run.engine.stats().too_late, t.fixes.size());
}

// ---- the property ---------------------------------------------------------------------------

// One seed: the same drive in order and shuffled. `short_horizon` prunes inputs, checkpoints
// and closed episodes hard (9 h, a checkpoint every 16 inputs); the engines then hold
// different closed episodes, so only what a consumer saw is compared.
void check_order_independence(std::uint64_t seed, bool short_horizon) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (FLEETWATCH_RULES_SEED=" + std::to_string(seed) + ")");
    Drive d = random_drive(seed);
    if (short_horizon) {
        d.config.late_horizon = 9h;
        d.config.checkpoint_every = 16;
    }
    Replay in_order(d.config);
    deliver(in_order, in_order_deliveries(d));
    Replay shuffled(d.config);
    deliver(shuffled, shuffled_deliveries(d, seed));

    EXPECT_GT(shuffled.engine.stats().late, 0u);
    EXPECT_GT(shuffled.engine.stats().recomputes, 0u);
    EXPECT_EQ(shuffled.engine.stats().too_late, 0u);
    const auto want = verdicts(in_order.engine.episodes());
    EXPECT_FALSE(want.empty());
    if (std::getenv("FLEETWATCH_RULES_VERBOSE")) {
        std::map<std::string, int> kinds;
        for (const Episode& e : in_order.engine.episodes()) ++kinds[std::string(to_string(e.type))];
        std::cerr << "seed " << seed << ": " << d.fixes.size() << " fixes, "
                  << shuffled.engine.stats().late << " late, "
                  << shuffled.engine.stats().recomputes << " recomputes;";
        for (const auto& [k, n] : kinds) std::cerr << ' ' << k << '=' << n;
        std::cerr << '\n';
    }
    if (!short_horizon) expect_same(want, verdicts(shuffled.engine.episodes()));
    expect_same(consumer_view(in_order.got), consumer_view(shuffled.got));
}

TEST(LateData, ShufflingArrivalIncludingWholeBlindZoneBatchesHoursLateGivesTheSameViolations) {
    const auto [first, n] = seeds(12);
    for (std::uint64_t seed = first; seed < first + static_cast<std::uint64_t>(n); ++seed) {
        check_order_independence(seed, false);
        if (HasFailure()) {
            std::cerr << "late-data property failed for seed " << seed << "\n";
            break;
        }
    }
}

TEST(LateData, ShufflingGivesTheSameViolationsWhenHistoryIsPrunedHard) {
    const auto [first, n] = seeds(6);
    for (std::uint64_t seed = first; seed < first + static_cast<std::uint64_t>(n); ++seed) {
        check_order_independence(seed + 1000, true);
        if (HasFailure()) {
            std::cerr << "late-data property (short horizon) failed for seed " << seed + 1000 << "\n";
            break;
        }
    }
}

}  // namespace
}  // namespace fleetwatch::rules::test
