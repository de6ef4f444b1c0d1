// A random day of a small fleet, its in-order and shuffled deliveries, and the comparisons the
// order-independence properties use (tests/rules/late_data_test.cpp, sharding_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace fleetwatch::rules::test {

inline const geo::LatLon kCampusWest{kCampusCenter.lat, kCampusCenter.lon - 0.009};

inline void arrive(std::vector<core::Position>& batch, Timestamp at) {
    for (auto& p : batch) {
        p.received_at = at;
        p.source = core::PositionSource::blind_zone;
    }
}

struct Drive {
    RuleConfig config;
    std::vector<core::Position> fixes;
    std::vector<core::DriverCardEvent> cards;
};

// A random day of a small fleet: a bus whose driver hands over to another and moves to the
// school bus, a car in the campus zone, a truck on a route trip with excursions, two buses in a
// convoy; driving, stops of every length, gaps of every kind, speeding, alarms.
inline Drive random_drive(std::uint64_t seed) {
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

inline std::string describe(const Episode& e) {
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

inline std::vector<std::string> verdicts(const std::vector<Episode>& eps) {
    std::vector<std::string> out;
    for (const Episode& e : eps) out.push_back(describe(e));
    std::sort(out.begin(), out.end());
    return out;
}

// What a storage consumer holds: closed episodes in full, open ones by identity.
inline std::vector<std::string> consumer_view(const Collector& c) {
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

inline void expect_same(const std::vector<std::string>& want, const std::vector<std::string>& got) {
    EXPECT_EQ(want.size(), got.size());
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
    for (const auto& m : missing) ADD_FAILURE() << "missing: " << m.substr(0, 300);
    for (const auto& x : extra) ADD_FAILURE() << "extra:   " << x.substr(0, 300);
}

// Everything in GPS-time order, cards first at a tie; `feed` is called with a batch of one
// position or with a card.
struct Delivery {
    Timestamp at;
    std::vector<core::Position> batch;  // empty: a card
    std::optional<core::DriverCardEvent> card;
};

inline std::vector<Delivery> in_order_deliveries(const Drive& d) {
    std::vector<core::Position> ordered = d.fixes;
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return std::tie(a.gps_time, a.vehicle_id) < std::tie(b.gps_time, b.vehicle_id);
    });
    std::vector<core::DriverCardEvent> cards = d.cards;
    std::sort(cards.begin(), cards.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    std::vector<Delivery> out;
    std::size_t c = 0;
    for (const auto& p : ordered) {
        while (c < cards.size() && cards[c].time <= p.gps_time) {
            out.push_back({cards[c].time, {}, cards[c]});
            ++c;
        }
        out.push_back({p.gps_time, {p}, std::nullopt});
    }
    for (; c < cards.size(); ++c) out.push_back({cards[c].time, {}, cards[c]});
    return out;
}

// Shuffled: jitter of up to a minute, and blind-zone batches delivered hours late.
inline std::vector<Delivery> shuffled_deliveries(const Drive& d, std::uint64_t seed) {
    std::mt19937_64 rng(seed * 7919);
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
    return deliveries;
}

inline void deliver(Replay& r, const std::vector<Delivery>& deliveries) {
    for (const Delivery& del : deliveries) {
        if (del.card) {
            r.feed(*del.card);
        } else {
            r.engine.on_positions(del.batch, r.out);
            r.got.take(r.out);
        }
    }
}

inline std::pair<std::uint64_t, int> seeds(int default_iterations) {
    if (const char* s = std::getenv("FLEETWATCH_RULES_SEED")) return {std::strtoull(s, nullptr, 10), 1};
    return {1, default_iterations};
}

}  // namespace fleetwatch::rules::test
