// What the rule engine judges against: vehicles, drivers, pledges, routes, zones, trips and
// convoys, in the engine's own plain types (rules/from_fleet.hpp builds them from a fleet file;
// the engine does not know YAML or the database).
//
// Units: speeds km/h, distances metres, durations seconds unless the name says `_min`,
// coordinates WGS-84 (geo::LatLon, latitude first), instants core::Timestamp (UTC). Local
// times of day (night, forbidden windows, calendar days) are in the fleet's zone, given as a
// fixed UTC offset (China has no daylight saving time).
//
// A RuleConfig is immutable once handed to an Engine (the engine builds its indexes from it).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/geo/china_datum.hpp"
#include "fleetwatch/geo/lat_lon.hpp"
#include "fleetwatch/geo/zones.hpp"

namespace fleetwatch::rules {

using core::DriverId;
using core::Timestamp;
using core::VehicleId;
using Seconds = std::chrono::seconds;

enum class VehicleClass : std::uint8_t { school_bus, bus, car, truck, other };

// Passenger vehicles (客运): night speed at 80 %, the 2 h night driving limit, fatigue_daily
// and the default forbidden hours apply to them (docs/rules.md, decision "passenger vehicles").
constexpr bool is_passenger(VehicleClass c) noexcept {
    return c == VehicleClass::school_bus || c == VehicleClass::bus;
}

// A time-of-day window in local time, [start, end) in minutes since 00:00; wraps midnight when
// end <= start (22:00-06:00 is {1320, 360}).
struct DailyWindow {
    int start_min = 0;
    int end_min = 0;
};

struct SpeedLimits {
    double expressway_kmh = 100;  // inside a zone of kind expressway
    double elsewhere_kmh = 70;
};

// Per-class limits; the law's values are the defaults (docs/rules.md, "class speed limits").
struct ClassRules {
    SpeedLimits speed;
    int max_continuous_driving_min = 240;    // day
    int night_max_continuous_min = 120;      // passenger vehicles, 22:00-06:00
    int min_rest_min = 20;
    int max_daily_driving_min = 480;         // passenger vehicles
    std::vector<DailyWindow> forbidden_hours;  // e.g. 02:00-05:00 for passenger vehicles
};

// A driver's pledge (安全文明驾驶承诺书): every term optional, only ever stricter than the law
// (checked on import: fleet::check_pledge_against_law).
struct Pledge {
    int version = 1;
    Timestamp valid_from{};
    std::optional<Timestamp> valid_to;  // exclusive; open-ended when absent
    std::optional<double> max_speed_kmh;
    std::optional<int> max_continuous_driving_min;
    std::optional<int> night_max_continuous_min;
    std::optional<int> min_rest_min;
    std::optional<int> max_daily_driving_min;
    std::vector<DailyWindow> forbidden_hours;
    std::optional<double> max_route_deviation_m;
};

struct Driver {
    DriverId id = 0;
    std::string name;
    std::string certificate_no;  // what a 0x0702 card event carries
    std::vector<Pledge> pledges;  // any order; the one valid at the instant applies
};

struct Vehicle {
    VehicleId id = 0;
    std::string plate;
    VehicleClass vehicle_class = VehicleClass::other;
    bool requires_card = false;  // unidentified_driver applies
};

struct Route {
    std::string name;
    std::vector<geo::LatLon> points;         // WGS-84; see import_points() for GCJ-02/BD-09
    double corridor_half_width_m = 50;       // H; a 0x8606 section width W gives W / 2
    std::optional<double> speed_limit_kmh;   // whole route
    std::vector<std::optional<double>> segment_speed_limits_kmh;  // per segment, overrides
};

// A route drawn on a Chinese web map, converted to WGS-84 (RULES.md: import with the datum).
std::vector<geo::LatLon> import_points(const std::vector<geo::LatLon>& points, geo::Datum datum);

enum class ZoneKind : std::uint8_t { campus, expressway, other };

struct Zone {
    std::string name;
    ZoneKind kind = ZoneKind::other;
    geo::ZoneShape shape;  // WGS-84
    std::optional<double> speed_limit_kmh;
};

struct Trip {
    std::int64_t id = 0;
    VehicleId vehicle_id = 0;
    std::optional<DriverId> driver_id;
    std::optional<std::size_t> route;   // index into RuleConfig::routes
    std::optional<std::size_t> convoy;  // index into RuleConfig::convoys
    Timestamp start{};                  // dispatched window [start, end)
    Timestamp end{};
    bool students_aboard = false;
};

struct Convoy {
    std::string name;
    std::string leader_username;
    double max_gap_m = 3000;
    Seconds min_gap_duration{120};
};

struct RuleConfig {
    Seconds utc_offset = core::kChinaUtcOffset;
    double moving_speed_kmh = 5;
    Seconds state_change_hold{10};        // GB/T 19056 driving start/end
    Seconds gap_threshold{300};           // "more than 5 min apart"
    double gap_stop_distance_m = 200;
    Seconds max_future{600};              // a fix more than this ahead of the server clock is invalid
    DailyWindow night{22 * 60, 6 * 60};
    double night_speed_factor = 0.8;

    // overspeed
    Seconds overspeed_min_duration{10};   // 0x0056
    Seconds overspeed_merge_gap{60};
    // route_deviation
    double deviation_hysteresis_m = 10;
    int deviation_min_fixes = 3;
    Seconds deviation_min_duration{60};
    double deviation_ignore_near_ends_m = 300;
    // fatigue
    Seconds fatigue_warning_before{1800};
    Seconds forbidden_min_driving{300};
    // unidentified_driver
    Seconds unidentified_min_driving{300};
    // terminal_offline / convoy_member_offline (wall clock)
    Seconds terminal_offline_after{600};
    Seconds convoy_member_offline_after{300};
    // terminal_alarm: bits that open an episode
    std::uint32_t terminal_alarm_mask = 0xFFFFFFFFu;

    // Late data: a fix older than the vehicle's newest by more than this is not judged
    // (counted in Engine::stats().too_late); checkpoints and history are kept this far back.
    Seconds late_horizon{std::chrono::hours{24}};
    std::size_t checkpoint_every = 64;  // inputs between checkpoints

    std::map<VehicleClass, ClassRules> classes = default_classes();
    // A school bus with students aboard (校车安全管理条例 §35): 80 on expressways, 60 elsewhere.
    SpeedLimits school_bus_with_students{80, 60};

    std::vector<Vehicle> vehicles;
    std::vector<Driver> drivers;
    std::vector<Route> routes;
    std::vector<Zone> zones;
    std::vector<Trip> trips;
    std::vector<Convoy> convoys;

    static std::map<VehicleClass, ClassRules> default_classes();
};

}  // namespace fleetwatch::rules
