#include "fleetwatch/sim/gps_clock.hpp"

#include <cmath>

namespace fleetwatch::sim {

double GpsClock::simulated_s(Wall::time_point w) const noexcept {
    if (w <= wall_start_) return 0;
    return std::chrono::duration<double>(w - wall_start_).count() * scale_;
}

GpsClock::Wall::time_point GpsClock::wall_at(double simulated_s) const noexcept {
    const double wall_s = scale_ > 0 ? simulated_s / scale_ : 0;
    return wall_start_ + std::chrono::duration_cast<Wall::duration>(std::chrono::duration<double>(wall_s));
}

core::Timestamp GpsClock::gps_time(double simulated_s) const noexcept {
    // The small epsilon keeps k * interval (computed in floating point) on its own second.
    const auto secs = static_cast<std::int64_t>(std::floor(simulated_s + 1e-6));
    return gps_start_ + std::chrono::seconds{secs};
}

core::Timestamp auto_gps_start(core::Timestamp now, double time_scale,
                               std::optional<std::chrono::milliseconds> duration) noexcept {
    if (time_scale <= 1.0 || !duration) return now;
    const double ahead_s = (time_scale - 1.0) * std::chrono::duration<double>(*duration).count();
    return now - std::chrono::seconds{static_cast<std::int64_t>(std::ceil(ahead_s))};
}

jt808::BcdTime to_bcd_gmt8(core::Timestamp t) noexcept {
    return jt808::BcdTime::from_civil(core::to_civil(t, core::kChinaUtcOffset));
}

core::Timestamp system_now() noexcept {
    return core::utc_now();
}

}  // namespace fleetwatch::sim
