// What the rule engine produces: violation episodes and the events that tell the rest of the
// system about them, fatigue warnings, and driver reminder (TTS) requests.
//
// An episode opens at an instant, may be updated (peak, severity, path, flags) and closes at
// an instant (RULES.md, "Episodes"). The engine announces it with EpisodeEvents:
//   open     — a new episode (late = true when recomputed late data revealed it)
//   update   — the peak or severity grew while open, or a recompute changed it (recomputed =
//              true: storage writes an audit row)
//   close    — it ended; `end` is set
//   retract  — a recompute showed it never happened (handling status `retracted`)
// Every event carries the whole episode as it now stands; consumers key on `id`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"

namespace fleetwatch::rules {

using core::DriverId;
using core::Timestamp;
using core::VehicleId;

enum class ViolationType : std::uint8_t {
    overspeed,
    route_deviation,
    fatigue_continuous,
    fatigue_daily,
    forbidden_hours,
    unidentified_driver,
    convoy_straggler,
    convoy_member_offline,
    terminal_alarm,
    terminal_offline,
};
std::string_view to_string(ViolationType t) noexcept;

// 三级 minor, 二级 moderate, 一级 serious, 特别严重 severe; critical for SOS/collision alarms.
enum class Severity : std::uint8_t { minor, moderate, serious, severe, critical };
std::string_view to_string(Severity s) noexcept;

// One threshold a verdict was judged under, e.g. {"limit_kmh", 48} or {"min_rest_min", 20}.
struct Threshold {
    std::string name;
    double value = 0;
    friend bool operator==(const Threshold&, const Threshold&) = default;
};

struct PathPoint {
    Timestamp time{};
    core::GeoPoint point;
    friend bool operator==(const PathPoint&, const PathPoint&) = default;
};

// The owner of driver-level clocks: a driver, or a vehicle whose driver is unknown.
struct DriverKey {
    std::int64_t id = 0;
    bool is_vehicle = false;  // true: id is a VehicleId (unknown driver)
    friend auto operator<=>(const DriverKey&, const DriverKey&) = default;
};

struct Episode {
    std::uint64_t id = 0;  // engine-assigned, unique per Engine
    ViolationType type = ViolationType::overspeed;
    std::string subtype;   // terminal_alarm: the alarm's name, e.g. "sos"
    VehicleId vehicle_id = 0;              // 0 for a driver-level episode with no vehicle
    std::optional<DriverId> driver_id;     // when known
    std::optional<std::string> convoy;     // convoy episodes
    Timestamp start{};
    std::optional<Timestamp> end;          // open while empty
    Severity severity = Severity::minor;
    double peak = 0;                       // km/h, metres or minutes over: see peak_unit
    std::string peak_unit;                 // "kmh", "m", "min_over", "min"
    std::vector<Threshold> thresholds;     // what it was judged under
    std::optional<int> pledge_version;     // the driver's pledge, when one applied
    std::vector<PathPoint> path;           // fixes during the episode (capped), for the track
    bool from_gap = false;                 // driving inferred across a data gap
    bool needs_review = false;             // spans a gap of unknown activity
    bool late = false;                     // first reported by a recompute / detection lagged

    bool is_open() const noexcept { return !end.has_value(); }
    // Equality of the verdict (not of id or late), used by recompute and tests.
    bool same_verdict(const Episode& o) const;
};

enum class EpisodeEventKind : std::uint8_t { open, update, close, retract };
std::string_view to_string(EpisodeEventKind k) noexcept;

struct EpisodeEvent {
    EpisodeEventKind kind = EpisodeEventKind::open;
    Episode episode;
    bool recomputed = false;  // produced by a late-data recompute (audit row on update)
};

// A fatigue warning (not a violation): continuous driving reached limit - 30 min.
struct Warning {
    DriverKey driver;
    VehicleId vehicle_id = 0;
    Timestamp time{};       // event time at which the threshold was reached
    int continuous_min = 0;  // C(t) at that time
    int limit_min = 0;
    bool night = false;
    bool late = false;      // detected > 10 min after `time`: push it, do not speak it
    friend bool operator==(const Warning&, const Warning&) = default;
};

// A text-to-speech request to the cab (0x8300). Never produced for a late detection.
struct Reminder {
    VehicleId vehicle_id = 0;
    Timestamp time{};
    std::string text;  // UTF-8
};

// Everything one call to the engine produced, in the order it happened. Reused across calls
// (Engine clears nothing: call clear() between batches).
struct Outputs {
    std::vector<EpisodeEvent> events;
    std::vector<Warning> warnings;
    std::vector<Reminder> reminders;

    void clear() {
        events.clear();
        warnings.clear();
        reminders.clear();
    }
    bool empty() const noexcept { return events.empty() && warnings.empty() && reminders.empty(); }
};

}  // namespace fleetwatch::rules
