// The vehicle stage: overspeed, route_deviation, terminal_alarm and unidentified_driver from
// one vehicle's fixes and card events in GPS-time order; and the vehicle's activity
// (moving / stopped with the 10 s hold, data gaps) cut into spans tagged with the driver at
// each instant, for the driver stage, plus progress samples for the convoy stage.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "shared.hpp"
#include "stage.hpp"

namespace fleetwatch::rules::detail {

enum class VehicleInputKind : std::uint8_t { card_removed = 0, card_inserted = 1, fix = 2 };

struct VehicleInput {
    Timestamp time{};
    VehicleInputKind kind = VehicleInputKind::fix;
    bool valid = false;           // drives rules (RULES.md "Valid fix"); alarms use every fix
    std::uint16_t speed_dkmh = 0;
    core::GeoPoint point;
    std::uint32_t alarm = 0;
    std::optional<DriverId> driver;  // card_inserted with a registered certificate
    Timestamp received_at{};
};

struct LimitParts {
    double limit = 0;
    double class_kmh = 0;
    std::optional<double> zone_kmh;
    std::optional<double> segment_kmh;
    std::optional<double> pledge_kmh;
    std::optional<double> convoy_kmh;
    std::optional<int> pledge_version;
    bool night = false;
    bool expressway = false;
};

struct OverspeedState {
    int run = 0;  // consecutive valid fixes above the limit, no episode open
    Timestamp run_start{};
    double run_peak_ratio = -1;
    double run_peak_speed = 0;
    LimitParts run_peak_parts;
    std::vector<PathPoint> run_path;
    std::optional<Episode> ep;
    double peak_ratio = -1;
    bool bump = false;     // school bus with students, or passenger at night at the peak
    bool closing = false;  // ended at closing_end, waiting out the 60 s merge window
    Timestamp closing_end{};
    int under = 0;
    Timestamp first_under{};
    std::vector<PathPoint> tail;  // fixes after the end while closing
};

struct DeviationState {
    int count = 0;
    Timestamp since{};
    double cand_peak = 0;
    std::vector<PathPoint> cand_path;
    std::optional<Episode> ep;
    std::int64_t trip_id = 0;
    int within = 0;
    Timestamp first_within{};
};

struct VehicleState {
    // activity
    bool started = false;
    bool moving = false;
    std::optional<Timestamp> pending_since;
    Timestamp certain_until{};
    Timestamp prev_time{};
    core::GeoPoint prev_point;
    Timestamp last_input_time{};  // of any input processed (convoy samples are keyed on it)

    // driver at the certain frontier and now; card changes not yet passed by the frontier
    std::optional<DriverId> card_span;
    std::optional<DriverId> card_now;
    std::vector<std::pair<Timestamp, std::optional<DriverId>>> card_changes;
    bool has_key = false;
    DriverKey key;
    std::vector<std::pair<DriverKey, Timestamp>> released;  // keys recently left, since when

    OverspeedState overspeed;
    DeviationState deviation;
    std::uint32_t alarm_bits = 0;
    std::vector<Episode> alarms;  // open, one per bit
    std::optional<Timestamp> unid_start;
    std::optional<Episode> unid;
};

struct VehicleContext {
    const Shared* shared = nullptr;
    const Vehicle* vehicle = nullptr;
    const std::vector<const Trip*>* trips = nullptr;  // by start; may be null
    std::vector<RoutedSpan>* spans = nullptr;
    std::vector<RoutedSample>* samples = nullptr;
    std::vector<std::size_t> zone_hits;

    const Trip* trip_at(Timestamp t) const;
    const Trip* next_trip_after(Timestamp t) const;
};

struct VehicleEval {
    using Input = VehicleInput;
    using State = VehicleState;
    using Context = VehicleContext;

    static Timestamp time_of(const Input& in) noexcept { return in.time; }
    static Timestamp detected_at(const Input& in) noexcept { return in.received_at; }
    static bool slot_less(const Input& x, const Input& y) noexcept {
        return std::tie(x.time, x.kind) < std::tie(y.time, y.kind);
    }
    // Two reports with the same GPS time: keep one, chosen by content, not by arrival.
    static bool preferred(const Input& x, const Input& y) noexcept {
        return std::make_tuple(!x.valid, x.point.lat_e6, x.point.lon_e6, x.speed_dkmh, x.alarm,
                               x.driver.value_or(0)) <
               std::make_tuple(!y.valid, y.point.lat_e6, y.point.lon_e6, y.speed_dkmh, y.alarm,
                               y.driver.value_or(0));
    }
    static void step(State& s, const Input& in, Context& ctx, Recorder& rec);
    static void open_episodes(State& s, std::vector<Episode*>& out) {
        if (s.overspeed.ep) out.push_back(&*s.overspeed.ep);
        if (s.deviation.ep) out.push_back(&*s.deviation.ep);
        for (Episode& e : s.alarms) out.push_back(&e);
        if (s.unid) out.push_back(&*s.unid);
    }
};

std::string_view alarm_name(int bit) noexcept;

}  // namespace fleetwatch::rules::detail
