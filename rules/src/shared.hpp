// Private vocabulary of the rule engine: what the vehicle stage hands to the driver and
// convoy stages, the immutable data every stage reads, and local-time helpers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetwatch/geo/polyline.hpp"
#include "fleetwatch/geo/zones.hpp"
#include "fleetwatch/rules/config.hpp"
#include "fleetwatch/rules/violation.hpp"

namespace fleetwatch::rules::detail {

// What a driver was doing over [a, b) in one vehicle.
enum class SpanKind : std::uint8_t {
    stopped = 0,
    driving = 1,
    gap_driving = 2,  // a data gap with an implied speed >= moving_speed_kmh
    unknown = 3,      // a data gap that is neither a stop nor driving
    tick = 4,         // a = b: "time has reached b and this driver is not in the vehicle"
};

struct DriverInput {
    Timestamp a{};
    Timestamp b{};
    VehicleId vehicle = 0;
    SpanKind kind = SpanKind::stopped;
    VehicleClass vehicle_class = VehicleClass::other;
    bool school_bus_students = false;  // a school bus with students aboard (stricter severity)
    Timestamp detected_at{};
};

struct RoutedSpan {
    DriverKey key;
    DriverInput span;
};

// A convoy member's progress along the convoy route at a valid fix.
struct ProgressSample {
    Timestamp t{};
    VehicleId vehicle = 0;
    double along_m = 0;
    Timestamp detected_at{};
};

struct RoutedSample {
    std::size_t convoy = 0;
    ProgressSample sample;
};

// Everything built once from the RuleConfig; read-only while the engine runs.
struct Shared {
    explicit Shared(RuleConfig c);
    Shared(const Shared&) = delete;  // holds pointers into its own config
    Shared& operator=(const Shared&) = delete;

    RuleConfig config;
    std::vector<geo::Polyline> routes;  // parallel to config.routes
    geo::ZoneIndex zones;
    std::unordered_map<VehicleId, const Vehicle*> vehicles;
    std::unordered_map<DriverId, const Driver*> drivers;
    std::unordered_map<std::string, DriverId> by_certificate;
    std::unordered_map<VehicleId, std::vector<const Trip*>> trips_by_vehicle;  // by start
    struct ConvoyCap {
        SpeedLimits road{1e9, 1e9};
        std::optional<double> pledge_kmh;
    };
    std::vector<ConvoyCap> convoy_caps;  // parallel to config.convoys
    Vehicle unknown_vehicle;

    const Vehicle& vehicle(VehicleId id) const;
    const Driver* driver(DriverId id) const;
    const ClassRules& class_rules(VehicleClass c) const;
    const Pledge* pledge_at(const Driver* d, Timestamp t) const;
};

// Local time (the fleet's fixed UTC offset).
inline std::int64_t local_seconds(Timestamp t, Seconds offset) noexcept {
    return (t.time_since_epoch() + offset).count();
}
inline std::int64_t local_day(Timestamp t, Seconds offset) noexcept {
    const std::int64_t s = local_seconds(t, offset);
    return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}
inline std::int64_t second_of_day(Timestamp t, Seconds offset) noexcept {
    return local_seconds(t, offset) - local_day(t, offset) * 86400;
}
inline Timestamp day_start(std::int64_t day, Seconds offset) noexcept {
    return Timestamp{Seconds{day * 86400} - offset};
}
inline bool in_window(std::int64_t sec_of_day, DailyWindow w) noexcept {
    const std::int64_t s = w.start_min * 60;
    const std::int64_t e = w.end_min * 60;
    if (s == e) return false;
    return s < e ? (sec_of_day >= s && sec_of_day < e) : (sec_of_day >= s || sec_of_day < e);
}
inline bool in_window(Timestamp t, DailyWindow w, Seconds offset) noexcept {
    return in_window(second_of_day(t, offset), w);
}

}  // namespace fleetwatch::rules::detail
