// How one simulated vehicle drives: position, speed and heading as a function of simulated time,
// and what its terminal does with each fix (send, buffer in a blind zone, or stay silent).
//
// Time: `t_s` is simulated (GPS) seconds since the simulation started; the vehicle starts
// driving `start_delay_s` later, and misbehaviour windows are measured from that moment.
//
// Speed profile: from standstill the vehicle accelerates at `accel_mps2` to its cruise speed
// (with a small deterministic wobble, `noise`), and brakes at `decel_mps2` ahead of corners and
// of the end of the route, so that it passes a corner no faster than its corner speed (a
// function of the turn angle, 10 km/h for a U-turn up to 50 km/h for a slight bend) and stops at
// the end. There it waits `end_stop_s`; with `loop` it then drives the route again (a closed
// route from its start, an open one back the other way), otherwise it stays parked.
//
// Misbehaviour windows (simulated seconds after the start of driving, [start_s, end_s)):
//   speeding     cruise at `speed_kmh` instead (it really moves faster, and reports so)
//   leave_route  report positions `offset_m` to the right of the route (ramped in and out over
//                up to 30 s so the track does not teleport)
//   no_rest      planned stops are skipped (a stop in progress ends)
//   silent       the terminal sends nothing at all (Delivery::none)
//   blind_zone   fixes are buffered and sent later as a 0x0704 back-fill (Delivery::buffer)
//
// `Drive::at` is deterministic: the same configuration and time always give the same fix. It
// integrates in 1 s steps from a cached state, so queries with non-decreasing times (the
// simulator's reporting loop) cost O(step) each; an earlier time restarts from 0.
// Not thread-safe (the cache); one Drive per simulated terminal.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fleetwatch/geo/lat_lon.hpp"
#include "fleetwatch/sim/route.hpp"

namespace fleetwatch::sim {

struct Misbehaviour {
    enum class Kind : std::uint8_t { speeding, leave_route, no_rest, silent, blind_zone };
    Kind kind = Kind::speeding;
    double start_s = 0;     // simulated seconds after the start of driving
    double end_s = 0;       // exclusive
    double speed_kmh = 0;   // speeding
    double offset_m = 0;    // leave_route
};

constexpr std::uint8_t bit(Misbehaviour::Kind k) noexcept {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(k));
}

struct DriveConfig {
    double cruise_kmh = 30;
    bool loop = false;
    double start_delay_s = 0;
    double end_stop_s = 300;   // planned stop at each end of the route
    double accel_mps2 = 1.0;
    double decel_mps2 = 1.0;
    double noise = 0.03;       // relative amplitude of the cruise-speed wobble (0 = none)
    std::uint32_t seed = 0;    // phase of the wobble, so terminals do not move in lockstep
    std::vector<Misbehaviour> misbehaviour;
};

// What the terminal does with a fix.
enum class Delivery : std::uint8_t {
    send,    // report it now (0x0200)
    buffer,  // blind zone: keep it and back-fill later (0x0704 type 1)
    none,    // silent: the fix is never reported
};

enum class Phase : std::uint8_t {
    waiting,   // before start_delay_s, parked at the start
    driving,
    stopped,   // planned stop at an end of the route
    finished,  // reached the end of a route without `loop`: parked for good
};

struct Fix {
    double t_s = 0;
    geo::LatLon position;        // as reported (leave_route offset applied)
    double speed_kmh = 0;
    double heading_deg = 0;      // 0-360, north = 0, clockwise
    double odometer_m = 0;       // distance driven since the start
    Phase phase = Phase::waiting;
    std::uint32_t lap = 0;       // completed passes over the route
    double along_m = 0;          // distance along the route in the current pass
    bool reversed = false;       // this pass runs from the route's end to its start
    Delivery delivery = Delivery::send;
    std::uint8_t active = 0;     // bit(Kind) of every misbehaviour active at t_s
};

// Misbehaviours active at simulated time `t_s` (pure).
std::uint8_t active_misbehaviours(const DriveConfig& config, double t_s) noexcept;
// What the terminal does with a fix taken at `t_s` (pure): silent wins over blind_zone.
Delivery delivery_at(const DriveConfig& config, double t_s) noexcept;
// The speed (km/h) at which a vehicle takes a turn of `turn_deg` degrees; 0 for no limit
// (turns under 10 degrees).
double corner_speed_kmh(double turn_deg) noexcept;

class Drive {
public:
    Drive(std::shared_ptr<const RoutePath> route, DriveConfig config);

    // The fix at simulated time `t_s` (negative times are taken as 0).
    Fix at(double t_s);

    const DriveConfig& config() const noexcept { return config_; }
    const RoutePath& route() const noexcept { return *forward_; }

    static constexpr double kStepS = 1.0;

private:
    struct State {
        double t = 0;
        Phase phase = Phase::waiting;
        std::uint32_t lap = 0;
        double s = 0;      // along the current pass
        double v = 0;      // m/s
        double odometer = 0;
        double stop_until = 0;
    };
    struct PathInfo {
        std::shared_ptr<const RoutePath> path;
        std::vector<double> corner_mps;  // per vertex; 0 = no limit
        double pass_end_mps = 0;         // speed through the end when not stopping
    };

    State initial() const noexcept;
    State step(State st, double dt) const noexcept;
    double envelope_mps(const PathInfo& p, double s, double end_mps) const noexcept;
    const PathInfo& pass(std::uint32_t lap) const noexcept;
    bool reversed_pass(std::uint32_t lap) const noexcept;
    double cruise_mps(double t, std::uint8_t active) const noexcept;
    Fix fix_of(const State& st) const noexcept;

    std::shared_ptr<const RoutePath> forward_;
    DriveConfig config_;
    PathInfo fwd_;
    PathInfo rev_;
    State cache_;
};

}  // namespace fleetwatch::sim
