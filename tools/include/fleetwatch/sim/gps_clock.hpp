// Simulated GPS time: it starts at a chosen instant and runs `time_scale` times faster than
// the wall clock (60 = an hour of driving per minute).
//
//   simulated seconds  s(w) = (w - wall_start) * time_scale        (w: steady wall clock)
//   GPS time           g(s) = gps_start + floor(s)                 (UTC; one-second resolution)
//
// JT/T 808 carries GPS time as BCD in GMT+8 (`to_bcd_gmt8`). Pure value type; thread-safe.
#pragma once

#include <chrono>
#include <optional>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::sim {

class GpsClock {
public:
    using Wall = std::chrono::steady_clock;

    GpsClock(core::Timestamp gps_start, double time_scale, Wall::time_point wall_start) noexcept
        : gps_start_(gps_start), scale_(time_scale), wall_start_(wall_start) {}

    core::Timestamp gps_start() const noexcept { return gps_start_; }
    double time_scale() const noexcept { return scale_; }
    Wall::time_point wall_start() const noexcept { return wall_start_; }

    // Simulated seconds at wall time `w` (0 before the start).
    double simulated_s(Wall::time_point w) const noexcept;
    // The wall time at which `simulated_s` seconds have passed.
    Wall::time_point wall_at(double simulated_s) const noexcept;
    // The GPS time `simulated_s` seconds after the start.
    core::Timestamp gps_time(double simulated_s) const noexcept;

private:
    core::Timestamp gps_start_;
    double scale_;
    Wall::time_point wall_start_;
};

// The GPS start time when none is given. In real time (scale <= 1) it is `now`. Accelerated,
// GPS time would run into the future, where the server judges fixes invalid (more than 10 min
// ahead, RULES.md); so with a known wall-clock `duration` the start is put in the past by
// (scale - 1) x duration, and the simulated clock reaches the real one as the run ends. Without
// a duration it is `now` (the caller should warn).
core::Timestamp auto_gps_start(core::Timestamp now, double time_scale,
                               std::optional<std::chrono::milliseconds> duration) noexcept;

// GPS time as the 0x0200 BCD[6] field: YYMMDDhhmmss in GMT+8.
jt808::BcdTime to_bcd_gmt8(core::Timestamp t) noexcept;

// The wall clock now, as a Timestamp (seconds).
core::Timestamp system_now() noexcept;

}  // namespace fleetwatch::sim
