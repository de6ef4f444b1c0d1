// The fleet file (deploy/demo-fleet.yaml documents the format): vehicles, drivers, pledges,
// routes, zones, convoys, trips, and the simulator's section.
//
// `parse_fleet_file` reads YAML or JSON into these structs, converts every coordinate to
// WGS-84 (geo/), and validates everything it can without a database: required fields, ranges,
// references between sections (a trip's vehicle, driver, route and convoy must exist), and
// pledges against the law (a pledge may only be stricter, RULES.md). Every problem is reported
// with the file line and the field, e.g. `demo.yaml:42: pledges[1].max_speed_kmh: 130 is looser
// than the legal limit 120 (道路交通安全法实施条例 §78)`; a file with any problem yields no Fleet
// at all. Indexes in field paths are 0-based (`pledges[1]` is the second pledge).
//
// Pure: no database, no sockets. Used by storage (import) and tools/ (the simulator).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fleetwatch/core/position.hpp"

namespace fleetwatch::fleet {

using core::GeoPoint;  // WGS-84 after parsing

enum class VehicleClass : std::uint8_t { school_bus, bus, car, truck, other };
std::string_view to_string(VehicleClass c) noexcept;

struct Vehicle {
    std::string plate;            // natural key, UTF-8 (e.g. 苏AX0101)
    std::uint8_t plate_color = 0;
    VehicleClass vehicle_class = VehicleClass::other;
    std::string terminal_phone;   // as written; normalised key = digits without leading zeros
    bool requires_card = false;
    int line = 0;                 // where it was defined (for messages)
};

struct Driver {
    std::string name;
    std::string license_no;       // natural key
    std::string ic_card_no;
    std::string certificate_no;
    int line = 0;
};

struct TimeWindow {  // local time of day, [start, end), may wrap midnight; minutes since 00:00
    int start_min = 0;
    int end_min = 0;
};

struct Pledge {
    std::string driver_license_no;
    int version = 1;
    std::optional<int> max_speed_kmh;
    std::optional<int> max_continuous_driving_min;
    std::optional<int> night_max_continuous_min;
    std::optional<int> min_rest_min;
    std::optional<int> max_daily_driving_min;
    std::vector<TimeWindow> forbidden_hours;
    std::optional<int> max_route_deviation_m;
    std::string signed_on;   // YYYY-MM-DD
    std::string valid_from;  // YYYY-MM-DD
    std::string valid_to;    // YYYY-MM-DD
    int line = 0;
};

enum class Crs : std::uint8_t { wgs84, gcj02, bd09 };

struct Route {
    std::string name;                  // natural key
    Crs source_crs = Crs::wgs84;       // as imported; `points` are WGS-84
    std::vector<GeoPoint> points;      // >= 2
    int corridor_m = 50;
    std::optional<int> speed_limit_kmh;
    int line = 0;
};

struct Circle {
    GeoPoint center;
    double radius_m = 0;
};
using Polygon = std::vector<GeoPoint>;  // closed ring (first == last), >= 4 points

enum class ZoneKind : std::uint8_t { campus, expressway, other };

struct Zone {
    std::string name;  // natural key
    ZoneKind kind = ZoneKind::other;
    Crs source_crs = Crs::wgs84;
    std::variant<Polygon, Circle> shape;
    std::optional<int> speed_limit_kmh;
    int line = 0;
};

struct Convoy {
    std::string name;  // natural key
    std::string leader_username;
    int max_gap_m = 3000;
    int line = 0;
};

struct Trip {
    std::string vehicle_plate;
    std::string driver_license_no;
    std::string route_name;
    std::optional<std::string> convoy_name;
    std::string planned_start;  // "HH:MM" (daily) or RFC 3339
    std::string planned_end;
    bool students_aboard = false;
    int line = 0;
};

struct Misbehaviour {
    enum class Kind : std::uint8_t { speeding, leave_route, no_rest, silent, blind_zone };
    Kind kind = Kind::speeding;
    double after_min = 0;  // simulated (GPS) minutes after the terminal starts driving
    double for_min = 0;
    std::optional<double> speed_kmh;  // speeding
    std::optional<double> offset_m;   // leave_route
};

struct SimulatedTerminal {
    std::string vehicle_plate;
    std::string route_name;
    double speed_kmh = 30;
    bool loop = false;
    std::optional<std::string> protocol;  // "2013" | "2019"
    std::optional<std::string> card;      // driver license_no whose card is inserted
    double start_delay_s = 0;
    std::vector<Misbehaviour> misbehaviour;
};

struct Simulation {
    std::string protocol = "2013";
    double report_interval_s = 10;
    double time_scale = 1;
    std::vector<SimulatedTerminal> terminals;
};

struct Fleet {
    int version = 1;
    std::string timezone = "Asia/Shanghai";  // IANA name; checked against the database on import
    int timezone_line = 0;
    std::vector<Vehicle> vehicles;
    std::vector<Driver> drivers;
    std::vector<Pledge> pledges;
    std::vector<Route> routes;
    std::vector<Zone> zones;
    std::vector<Convoy> convoys;
    std::vector<Trip> trips;
    std::optional<Simulation> simulation;
};

struct FleetProblem {
    std::string file;
    int line = 0;
    std::string field;    // e.g. "pledges[1].max_speed_kmh"
    std::string message;  // e.g. "130 is looser than the legal limit 100"
    std::string to_string() const;  // "file:line: field: message"
};

struct FleetParseResult {
    std::optional<Fleet> fleet;          // set only when problems is empty
    std::vector<FleetProblem> problems;
};

FleetParseResult parse_fleet_file(const std::string& path);
FleetParseResult parse_fleet_text(const std::string& text, const std::string& name = "<text>");

// The session/database key of a terminal phone: digits without leading zeros (an all-zero
// number keeps one "0"), as jt808::PhoneNumber::key().
std::string phone_key(std::string_view phone);

// The law a pledge may only tighten (RULES.md, "Pledges"). Upper bounds unless noted.
inline constexpr int kLegalMaxContinuousDrivingMin = 240;  // 道路交通安全法实施条例 §62
inline constexpr int kLegalNightMaxContinuousMin = 120;    // 道路运输车辆动态监督管理办法
inline constexpr int kLegalMinRestMin = 20;                // lower bound; 道路交通安全法实施条例 §62
inline constexpr int kLegalMaxDailyDrivingMin = 480;       // 道路运输车辆动态监督管理办法
inline constexpr int kLegalMaxSpeedKmh = 120;              // 道路交通安全法实施条例 §78 (expressway)
inline constexpr int kLegalSchoolBusMaxSpeedKmh = 80;      // 校车安全管理条例 §35

// Checks a pledge's terms against the law: one problem per looser (or non-positive) term, with
// `field` the term's key (e.g. "max_speed_kmh") and `message` like "300 is looser than the
// legal limit 240 (道路交通安全法实施条例 §62)"; `file` and `line` are left for the caller.
// `drives_school_bus` applies the school-bus maximum. Used by the parser and by the API
// (422 on POST /drivers/{id}/pledges).
std::vector<FleetProblem> check_pledge_against_law(const Pledge& pledge, bool drives_school_bus);

}  // namespace fleetwatch::fleet
