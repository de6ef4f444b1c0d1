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

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

const geo::LatLon kCampusWest{kCampusCenter.lat, kCampusCenter.lon - 0.009};

std::vector<core::Position> take(std::vector<core::Position>& from, Timestamp a, Timestamp b) {
    std::vector<core::Position> out;
    std::erase_if(from, [&](const core::Position& p) {
        if (p.gps_time < a || p.gps_time >= b) return false;
        out.push_back(p);
        return true;
    });
    return out;
}

void arrive(std::vector<core::Position>& batch, Timestamp at) {
    for (auto& p : batch) {
        p.received_at = at;
        p.source = core::PositionSource::blind_zone;
    }
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

struct Drive {
    RuleConfig config;
    std::vector<core::Position> fixes;
    std::vector<core::DriverCardEvent> cards;
};

// A random day of a small fleet: a bus whose driver hands over to another and moves to the
// school bus, a car in the campus zone, a truck on a route trip with excursions, two buses in a
// convoy; driving, stops of every length, gaps of every kind, speeding, alarms.
Drive random_drive(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };

    Drive d;
    d.config = base_config();
    const geo::LatLon route_start = kHome;
    d.config.routes = {{"east", {route_start, {route_start.lat, route_start.lon + 1.5}}, 50, 60.0, {}}};
    d.config.convoys = {{"convoy", "leader", 3000, 120s}};
    d.config.trips = {{1, kTruck, kChen, 0, std::nullopt, local(5, 0), local(23, 0), false},
                      {2, kBus2, std::nullopt, 0, 0, local(5, 0), local(23, 0), false},
                      {3, kBus3, std::nullopt, 0, 0, local(5, 0), local(23, 0), false},
                      {4, kSchoolBus, std::nullopt, std::nullopt, std::nullopt, local(5, 0),
                       local(23, 0), pick(2) == 0}};

    const Timestamp start = local(1, 0) + std::chrono::seconds{pick(5 * 3600)};
    const Timestamp until = start + std::chrono::hours{10 + pick(6)};
    struct Spec {
        VehicleId v;
        geo::LatLon at;
        bool on_route;
    };
    const Spec specs[] = {{kBus, {kHome.lat + 0.2, kHome.lon}, false},
                          {kSchoolBus, {kHome.lat + 0.3, kHome.lon}, false},
                          {kCar, kCampusWest, false},
                          {kTruck, {route_start.lat, route_start.lon + 0.01}, true},
                          {kBus2, {route_start.lat, route_start.lon + 0.02}, true},
                          {kBus3, {route_start.lat, route_start.lon + 0.015}, true}};
    for (const Spec& s : specs) {
        Track t(s.v, start + std::chrono::seconds{pick(600)}, s.at);
        t.interval = std::chrono::seconds{std::array{5, 10, 10, 30}[static_cast<std::size_t>(pick(4))]};
        while (t.t < until) {
            const int what = pick(10);
            if (what < 5) {  // drive, with speed changes
                const auto minutes = std::chrono::minutes{1 + pick(s.v == kCar ? 10 : 120)};
                const Timestamp end = t.t + minutes;
                while (t.t < end) {
                    double kmh = s.v == kCar ? uni(10, 32) : uni(20, 85);
                    if (pick(20) == 0) t.alarm = pick(2) ? 1u : (1u << 29);
                    else if (pick(5) == 0) t.alarm = 0;
                    if (s.v == kTruck && pick(30) == 0) t.pos.lat += north_deg(std::array{45.0, 100.0, 400.0}[static_cast<std::size_t>(pick(3))]);
                    if (s.v == kTruck && pick(15) == 0) t.pos.lat = route_start.lat;
                    t.drive(std::chrono::seconds{30 + pick(300)}, kmh);
                }
            } else if (what < 8) {  // stop: 1 to 45 minutes, with GPS jitter
                const Timestamp end = t.t + std::chrono::minutes{1 + pick(45)};
                const geo::LatLon parked = t.pos;
                while (t.t < end) {
                    t.pos = {parked.lat + north_deg(uni(-15, 15)), parked.lon + east_deg(uni(-15, 15), parked.lat)};
                    t.one(uni(0, 4));
                    t.t += t.interval;
                }
                t.pos = parked;
            } else {  // a data gap: a stop, driving, or unknown
                const double metres = std::array{50.0, 30'000.0, 900.0}[static_cast<std::size_t>(pick(3))];
                t.gap(std::chrono::minutes{6 + pick(55)}, metres);
            }
        }
        d.fixes.insert(d.fixes.end(), t.fixes.begin(), t.fixes.end());
    }
    // Cards: 王 drives the bus, hands it to 陈 (sometimes while moving) and takes the school bus.
    const Timestamp swap = start + std::chrono::minutes{60 + pick(360)};
    d.cards.push_back(card(kBus, start - 60s, true, "QC101"));
    d.cards.push_back(card(kBus, swap, false, ""));
    d.cards.push_back(card(kBus, swap + std::chrono::seconds{pick(900)}, true, "QC103"));
    d.cards.push_back(card(kSchoolBus, swap + std::chrono::seconds{300 + pick(1500)}, true, "QC101"));
    d.cards.push_back(card(kBus2, start + std::chrono::minutes{pick(600)}, true, "QC102"));
    return d;
}

std::string describe(const Episode& e) {
    std::ostringstream s;
    s << to_string(e.type) << '/' << e.subtype << " v" << e.vehicle_id << " d"
      << (e.driver_id ? std::to_string(*e.driver_id) : "-") << ' ' << e.convoy.value_or("")
      << ' ' << core::format_rfc3339(e.start) << ".."
      << (e.end ? core::format_rfc3339(*e.end) : "open") << ' ' << to_string(e.severity)
      << " peak=" << e.peak << " pledge=" << e.pledge_version.value_or(0) << " path=" << e.path.size()
      << (e.from_gap ? " from_gap" : "") << (e.needs_review ? " review" : "");
    for (const Threshold& t : e.thresholds) s << ' ' << t.name << '=' << t.value;
    for (const PathPoint& p : e.path) s << ';' << p.time.time_since_epoch().count() << ',' << p.point.lat_e6 << ',' << p.point.lon_e6;
    return s.str();
}

std::vector<std::string> verdicts(const std::vector<Episode>& eps) {
    std::vector<std::string> out;
    for (const Episode& e : eps) out.push_back(describe(e));
    std::sort(out.begin(), out.end());
    return out;
}

// What a storage consumer holds: closed episodes in full, open ones by identity.
std::vector<std::string> consumer_view(const Collector& c) {
    std::vector<std::string> out;
    for (const auto& [id, e] : c.episodes) {
        if (e.is_open())
            out.push_back(std::string(to_string(e.type)) + " v" + std::to_string(e.vehicle_id) + " " +
                          core::format_rfc3339(e.start) + " open");
        else
            out.push_back(describe(e));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void expect_same(const std::vector<std::string>& want, const std::vector<std::string>& got) {
    EXPECT_EQ(want.size(), got.size());
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
    for (const auto& m : missing) ADD_FAILURE() << "missing: " << m.substr(0, 300);
    for (const auto& x : extra) ADD_FAILURE() << "extra:   " << x.substr(0, 300);
}

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

    // In order.
    std::vector<core::Position> ordered = d.fixes;
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return std::tie(a.gps_time, a.vehicle_id) < std::tie(b.gps_time, b.vehicle_id);
    });
    Replay in_order(d.config);
    {
        std::vector<core::DriverCardEvent> cards = d.cards;
        std::sort(cards.begin(), cards.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
        std::size_t c = 0;
        for (const auto& p : ordered) {
            while (c < cards.size() && cards[c].time <= p.gps_time) in_order.feed(cards[c++]);
            in_order.engine.on_position(p, in_order.out);
            in_order.got.take(in_order.out);
        }
        while (c < cards.size()) in_order.feed(cards[c++]);
    }

    // Shuffled: jitter of up to a minute, and blind-zone batches delivered hours late.
    std::mt19937_64 rng(seed * 7919);
    struct Delivery {
        Timestamp at;
        std::vector<core::Position> batch;  // empty: a card
        std::optional<core::DriverCardEvent> card;
    };
    std::vector<Delivery> deliveries;
    std::vector<core::Position> rest = d.fixes;
    for (VehicleId v : {kBus, kSchoolBus, kCar, kTruck, kBus2, kBus3}) {
        for (int k = 0; k < 3; ++k) {
            const Timestamp a = local(1, 0) + std::chrono::minutes{rng() % 1080};
            const Timestamp b = a + std::chrono::minutes{5 + rng() % 90};
            std::vector<core::Position> batch;
            std::erase_if(rest, [&](const core::Position& p) {
                if (p.vehicle_id != v || p.gps_time < a || p.gps_time >= b) return false;
                batch.push_back(p);
                return true;
            });
            if (batch.empty()) continue;
            const Timestamp at = b + std::chrono::minutes{30 + rng() % 300};
            arrive(batch, at);
            deliveries.push_back({at, std::move(batch), std::nullopt});
        }
    }
    for (core::Position p : rest) {
        p.received_at = p.gps_time + std::chrono::seconds{rng() % 60};
        deliveries.push_back({p.received_at, {p}, std::nullopt});
    }
    for (core::DriverCardEvent c : d.cards) {
        c.received_at = c.time + std::chrono::seconds{rng() % 120};
        deliveries.push_back({c.received_at, {}, c});
    }
    std::stable_sort(deliveries.begin(), deliveries.end(),
                     [](const Delivery& x, const Delivery& y) { return x.at < y.at; });
    Replay shuffled(d.config);
    for (const Delivery& del : deliveries) {
        if (del.card) {
            shuffled.feed(*del.card);
        } else {
            shuffled.engine.on_positions(del.batch, shuffled.out);
            shuffled.got.take(shuffled.out);
        }
    }

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

std::pair<std::uint64_t, int> seeds(int default_iterations) {
    if (const char* s = std::getenv("FLEETWATCH_RULES_SEED")) return {std::strtoull(s, nullptr, 10), 1};
    return {1, default_iterations};
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
