// The driver stage: fatigue_continuous, fatigue_daily, forbidden_hours and the 30-minute
// warning, from the activity spans of one driver (or of one vehicle with an unknown driver).
//
// Continuous time: a span [a, b) is cut at every local time of day where a limit can change
// (midnight, the night window's edges, forbidden windows' edges); within a piece every limit is
// constant, so crossings are computed exactly and the verdicts do not depend on how the spans
// were cut (the same driving reported as one span or as twenty gives the same episodes). That is
// what makes replay after late data equal in-order arrival.
#pragma once

#include <optional>
#include <tuple>
#include <vector>

#include "shared.hpp"
#include "stage.hpp"

namespace fleetwatch::rules::detail {

struct DriverState {
    bool started = false;
    Timestamp frontier{};

    // continuous driving: a run is the driving since the end of the last rest
    bool in_run = false;
    Timestamp run_start{};
    std::optional<Timestamp> stop_since;
    bool run_unknown = false;
    bool run_from_gap = false;
    bool warned = false;
    Seconds day_limit{0};
    Seconds night_limit{0};
    Seconds min_rest{0};
    std::optional<int> pledge_version;
    bool cont_night = false;
    std::optional<Episode> continuous;

    // daily driving (local calendar day)
    std::int64_t day = INT64_MIN;
    Seconds day_driving{0};
    Timestamp day_last_drive{};
    Seconds daily_limit{0};
    std::optional<Episode> daily;

    // forbidden hours: the current window occurrence
    bool fb_active = false;
    Timestamp fb_start{};
    Timestamp fb_end{};
    Seconds fb_driven{0};
    Timestamp fb_first{};
    Timestamp fb_last{};
    std::optional<Episode> forbidden;

    // the vehicle of the last span (for pieces where the driver is in no vehicle)
    VehicleId last_vehicle = 0;
};

struct DriverContext {
    const Shared* shared = nullptr;
    DriverKey key;
    const Driver* driver = nullptr;     // null for a vehicle key or an unknown id
    std::vector<std::int64_t> breaks;   // seconds of day where limits may change, sorted
};

DriverContext make_driver_context(const Shared& shared, DriverKey key);

struct DriverEval {
    using Input = DriverInput;
    using State = DriverState;
    using Context = DriverContext;

    static Timestamp time_of(const Input& in) noexcept { return in.a; }
    static Timestamp detected_at(const Input& in) noexcept { return in.detected_at; }
    static bool slot_less(const Input& x, const Input& y) noexcept {
        return std::tie(x.a, x.b, x.vehicle, x.kind) < std::tie(y.a, y.b, y.vehicle, y.kind);
    }
    static bool preferred(const Input&, const Input&) noexcept { return false; }
    static void step(State& s, const Input& in, Context& ctx, Recorder& rec);
    static void open_episodes(State& s, std::vector<Episode*>& out) {
        if (s.continuous) out.push_back(&*s.continuous);
        if (s.daily) out.push_back(&*s.daily);
        if (s.forbidden) out.push_back(&*s.forbidden);
    }
};

}  // namespace fleetwatch::rules::detail
