// Scenario helpers for the rule tests: a small fleet, tracks of fixes and a collector that
// applies the engine's episode events the way storage would (open/update/close by id,
// retract removes).
#pragma once

#include <chrono>
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/rules/engine.hpp"

namespace fleetwatch::rules::test {

using namespace std::chrono_literals;
using core::Timestamp;

// Local (Asia/Shanghai) wall time on 2026-03-10 plus `day_offset` days.
inline Timestamp local(int hour, int minute = 0, int second = 0, int day_offset = 0) {
    return core::to_timestamp({2026, 3, 10, hour, minute, second}, core::kChinaUtcOffset) +
           std::chrono::days{day_offset};
}

inline constexpr VehicleId kBus = 1;         // passenger, requires a card
inline constexpr VehicleId kSchoolBus = 2;   // passenger, requires a card
inline constexpr VehicleId kCar = 3;         // staff car
inline constexpr VehicleId kTruck = 4;
inline constexpr VehicleId kBus2 = 5;
inline constexpr VehicleId kBus3 = 6;
inline constexpr DriverId kWang = 101;       // card "QC101", no pledge
inline constexpr DriverId kLi = 102;         // card "QC102", pledge v3: 50 km/h, 180 min ...
inline constexpr DriverId kChen = 103;       // card "QC103", no pledge

// Where drives start: north of Nanjing, clear of every zone unless a test moves there.
inline constexpr geo::LatLon kHome{32.30, 118.70};

// Zones: a campus (20 km/h) and a "60 zone", both squares of about 2 km, south of kHome.
inline constexpr geo::LatLon kCampusCenter{32.11, 118.96};
inline constexpr geo::LatLon kZone60Center{32.05, 118.80};

inline geo::PolygonShape square(geo::LatLon c, double half_deg) {
    return {{{c.lat - half_deg, c.lon - half_deg},
             {c.lat - half_deg, c.lon + half_deg},
             {c.lat + half_deg, c.lon + half_deg},
             {c.lat + half_deg, c.lon - half_deg}}};
}

inline RuleConfig base_config() {
    RuleConfig c;
    c.vehicles = {{kBus, "苏AX0101", VehicleClass::bus, true},
                  {kSchoolBus, "苏AS0201", VehicleClass::school_bus, true},
                  {kCar, "苏A00003", VehicleClass::car, false},
                  {kTruck, "苏A00004", VehicleClass::truck, false},
                  {kBus2, "苏AF0302", VehicleClass::bus, true},
                  {kBus3, "苏AF0303", VehicleClass::bus, true}};
    Pledge li;
    li.version = 3;
    li.valid_from = local(0, 0, 0, -30);
    li.max_speed_kmh = 50;
    li.max_continuous_driving_min = 180;
    li.max_route_deviation_m = 30;
    c.drivers = {{kWang, "王建国", "QC101", {}}, {kLi, "李卫东", "QC102", {li}},
                 {kChen, "陈秀英", "QC103", {}}};
    c.zones = {{"仙林校区", ZoneKind::campus, square(kCampusCenter, 0.01), 20.0},
               {"60 zone", ZoneKind::other, square(kZone60Center, 0.01), 60.0}};
    return c;
}

// Metres to degrees near latitude `lat`.
inline double north_deg(double m) { return m / 110'900.0; }
inline double east_deg(double m, double lat) {
    return m / (111'320.0 * std::cos(lat * std::numbers::pi / 180.0));
}

// A vehicle's fixes: drive and stop at a constant speed in a heading, one fix per interval.
struct Track {
    VehicleId vehicle = kBus;
    Timestamp t{};
    geo::LatLon pos = kHome;
    double heading_deg = 90;  // east
    std::chrono::seconds interval{10};
    std::chrono::seconds lag{0};  // received_at = gps_time + lag
    std::uint32_t alarm = 0;
    std::vector<core::Position> fixes;

    Track(VehicleId v, Timestamp start, geo::LatLon p = kHome) : vehicle(v), t(start), pos(p) {}

    core::Position fix(double kmh) const {
        core::Position p;
        p.vehicle_id = vehicle;
        p.gps_time = t;
        p.received_at = t + lag;
        p.point = geo::to_geo_point(pos);
        p.speed_dkmh = static_cast<std::uint16_t>(std::lround(kmh * 10));
        p.alarm = alarm;
        p.status = 2;
        p.valid = true;
        return p;
    }

    void advance(std::chrono::seconds dt, double kmh) {
        const double m = kmh / 3.6 * static_cast<double>(dt.count());
        const double h = heading_deg * std::numbers::pi / 180.0;
        pos.lat += north_deg(m * std::cos(h));
        pos.lon += east_deg(m * std::sin(h), pos.lat);
        t += dt;
    }

    // Fixes at t, t + interval, ... for `duration` (the next call starts at t + duration).
    Track& drive(std::chrono::seconds duration, double kmh) {
        for (std::chrono::seconds s{0}; s < duration; s += interval) {
            fixes.push_back(fix(kmh));
            advance(interval, kmh);
        }
        return *this;
    }
    Track& stop(std::chrono::seconds duration) { return drive(duration, 0); }
    // No fixes for `duration`; the vehicle moves `metres` meanwhile.
    Track& gap(std::chrono::seconds duration, double metres) {
        const double h = heading_deg * std::numbers::pi / 180.0;
        pos.lat += north_deg(metres * std::cos(h));
        pos.lon += east_deg(metres * std::sin(h), pos.lat);
        t += duration;
        return *this;
    }
    Track& one(double kmh) {
        fixes.push_back(fix(kmh));
        return *this;
    }
};

inline core::DriverCardEvent card(VehicleId v, Timestamp t, bool inserted, const std::string& cert) {
    core::DriverCardEvent e;
    e.vehicle_id = v;
    e.time = t;
    e.received_at = t;
    e.inserted = inserted;
    e.certificate_no = cert;
    return e;
}

// Applies events as storage would.
struct Collector {
    std::map<std::uint64_t, Episode> episodes;
    std::vector<EpisodeEvent> events;
    std::vector<Warning> warnings;
    std::vector<Reminder> reminders;

    void take(Outputs& out) {
        for (const EpisodeEvent& e : out.events) {
            events.push_back(e);
            if (e.kind == EpisodeEventKind::retract) episodes.erase(e.episode.id);
            else episodes[e.episode.id] = e.episode;
        }
        warnings.insert(warnings.end(), out.warnings.begin(), out.warnings.end());
        reminders.insert(reminders.end(), out.reminders.begin(), out.reminders.end());
        out.clear();
    }

    std::vector<Episode> of(ViolationType type) const {
        std::vector<Episode> v;
        for (const auto& [id, e] : episodes)
            if (e.type == type) v.push_back(e);
        return v;
    }
};

// Feeds everything in order (positions one by one) and collects.
struct Replay {
    explicit Replay(RuleConfig c = base_config()) : engine(std::move(c)) {}
    Engine engine;
    Collector got;
    Outputs out;

    Replay& feed(const std::vector<core::Position>& fixes) {
        for (const core::Position& p : fixes) {
            engine.on_position(p, out);
            got.take(out);
        }
        return *this;
    }
    Replay& feed(const Track& track) { return feed(track.fixes); }
    Replay& feed(const core::DriverCardEvent& e) {
        engine.on_card_event(e, out);
        got.take(out);
        return *this;
    }
    // Everything in GPS-time order, as live terminals would send it (cards first at a tie).
    Replay& feed_merged(const std::vector<const Track*>& tracks,
                        std::vector<core::DriverCardEvent> cards = {}) {
        std::vector<core::Position> all;
        for (const Track* t : tracks) all.insert(all.end(), t->fixes.begin(), t->fixes.end());
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return a.gps_time < b.gps_time;
        });
        std::stable_sort(cards.begin(), cards.end(),
                         [](const auto& a, const auto& b) { return a.time < b.time; });
        std::size_t c = 0;
        for (const core::Position& p : all) {
            while (c < cards.size() && cards[c].time <= p.gps_time) feed(cards[c++]);
            engine.on_position(p, out);
            got.take(out);
        }
        while (c < cards.size()) feed(cards[c++]);
        return *this;
    }
    Replay& tick(Timestamp now) {
        engine.on_tick(now, out);
        got.take(out);
        return *this;
    }
    std::vector<Episode> of(ViolationType type) const { return got.of(type); }
};

inline double threshold(const Episode& e, const std::string& name) {
    for (const Threshold& t : e.thresholds)
        if (t.name == name) return t.value;
    return std::nan("");
}

}  // namespace fleetwatch::rules::test
