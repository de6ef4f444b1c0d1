#include "fleetwatch/sim/drive.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace fleetwatch::sim {
namespace {

constexpr double kLookaheadM = 4000;   // braking from 300 km/h at 1 m/s² needs ~3.5 km
constexpr double kCrawlMps = 1.5;      // the envelope never asks for less (so the end is reached)
constexpr double kArriveWithinM = 0.5;
constexpr double kOffsetRampS = 30;

double wobble(double t, std::uint32_t seed) noexcept {
    // Two incommensurate sines with per-terminal phases: smooth, bounded, deterministic.
    const double p1 = static_cast<double>(seed % 997) * 0.37;
    const double p2 = static_cast<double>((seed / 997) % 991) * 0.61;
    constexpr double kTwoPi = 2 * std::numbers::pi;
    return 0.6 * std::sin(kTwoPi * t / 83.0 + p1) + 0.4 * std::sin(kTwoPi * t / 29.0 + p2);
}

std::vector<double> corner_speeds(const RoutePath& path) {
    std::vector<double> out(path.points().size(), 0.0);
    for (std::size_t i = 1; i + 1 < out.size(); ++i) out[i] = corner_speed_kmh(path.turn_deg(i)) / 3.6;
    return out;
}

}  // namespace

double corner_speed_kmh(double turn_deg) noexcept {
    if (turn_deg < 10) return 0;
    const double straightness = 1.0 - std::clamp(turn_deg, 0.0, 180.0) / 180.0;
    return 10.0 + 40.0 * straightness * straightness;
}

std::uint8_t active_misbehaviours(const DriveConfig& config, double t_s) noexcept {
    const double d = t_s - config.start_delay_s;
    std::uint8_t active = 0;
    for (const Misbehaviour& m : config.misbehaviour) {
        if (d >= m.start_s && d < m.end_s) active |= bit(m.kind);
    }
    return active;
}

Delivery delivery_at(const DriveConfig& config, double t_s) noexcept {
    const std::uint8_t a = active_misbehaviours(config, t_s);
    if (a & bit(Misbehaviour::Kind::silent)) return Delivery::none;
    if (a & bit(Misbehaviour::Kind::blind_zone)) return Delivery::buffer;
    return Delivery::send;
}

Drive::Drive(std::shared_ptr<const RoutePath> route, DriveConfig config)
    : forward_(std::move(route)), config_(std::move(config)) {
    fwd_.path = forward_;
    fwd_.corner_mps = corner_speeds(*forward_);
    if (!forward_->closed()) {
        rev_.path = std::make_shared<const RoutePath>(forward_->reversed());
        rev_.corner_mps = corner_speeds(*rev_.path);
        // An open route driven back and forth turns round at each end.
        fwd_.pass_end_mps = rev_.pass_end_mps = corner_speed_kmh(180) / 3.6;
    } else {
        const double closing = corner_speed_kmh(forward_->turn_deg(0)) / 3.6;
        fwd_.pass_end_mps = closing > 0 ? closing : std::numeric_limits<double>::infinity();
    }
    cache_ = initial();
}

bool Drive::reversed_pass(std::uint32_t lap) const noexcept {
    return !forward_->closed() && (lap % 2) == 1;
}

const Drive::PathInfo& Drive::pass(std::uint32_t lap) const noexcept {
    return reversed_pass(lap) ? rev_ : fwd_;
}

Drive::State Drive::initial() const noexcept {
    State st;
    st.phase = config_.start_delay_s > 0 ? Phase::waiting : Phase::driving;
    return st;
}

double Drive::cruise_mps(double t, std::uint8_t active) const noexcept {
    if (active & bit(Misbehaviour::Kind::speeding)) {
        for (const Misbehaviour& m : config_.misbehaviour) {
            if (m.kind == Misbehaviour::Kind::speeding && m.speed_kmh > 0) {
                const double d = t - config_.start_delay_s;
                if (d >= m.start_s && d < m.end_s) return m.speed_kmh / 3.6;
            }
        }
    }
    return config_.cruise_kmh * (1.0 + config_.noise * wobble(t, config_.seed)) / 3.6;
}

double Drive::envelope_mps(const PathInfo& p, double s, double end_mps) const noexcept {
    const auto& vd = p.path->vertex_distances_m();
    double best = std::numeric_limits<double>::infinity();
    auto it = std::upper_bound(vd.begin(), vd.end(), s);
    for (; it != vd.end(); ++it) {
        const double gap = *it - s;
        if (gap > kLookaheadM) break;
        const auto i = static_cast<std::size_t>(it - vd.begin());
        const double vc = i + 1 == vd.size() ? end_mps : p.corner_mps[i];
        if (vc <= 0 && i + 1 != vd.size()) continue;  // no limit at this vertex
        if (std::isinf(vc)) continue;
        best = std::min(best, std::sqrt(vc * vc + 2 * config_.decel_mps2 * gap));
    }
    return std::max(best, kCrawlMps);
}

Drive::State Drive::step(State st, double dt) const noexcept {
    const double t = st.t;
    const std::uint8_t active = active_misbehaviours(config_, t);
    const bool no_rest = (active & bit(Misbehaviour::Kind::no_rest)) != 0;
    switch (st.phase) {
        case Phase::waiting:
            if (t + dt >= config_.start_delay_s) st.phase = Phase::driving;
            break;
        case Phase::stopped:
            if (no_rest || t >= st.stop_until) {
                if (config_.loop) {
                    ++st.lap;
                    st.s = 0;
                    st.phase = Phase::driving;
                } else {
                    st.phase = Phase::finished;
                }
            }
            break;
        case Phase::finished:
            break;
        case Phase::driving: {
            const PathInfo& p = pass(st.lap);
            const bool stop_at_end = !config_.loop || (!no_rest && config_.end_stop_s > 0);
            const double end_mps = stop_at_end ? 0.0 : p.pass_end_mps;
            const double target = std::min(cruise_mps(t, active), envelope_mps(p, st.s, end_mps));
            const double v_new = target > st.v ? std::min(target, st.v + config_.accel_mps2 * dt) : target;
            const double ds = 0.5 * (st.v + v_new) * dt;
            st.s += ds;
            st.odometer += ds;
            st.v = v_new;
            const double len = p.path->length_m();
            if (st.s >= len - kArriveWithinM) {
                st.s = len;
                if (!config_.loop) {
                    st.phase = Phase::finished;
                    st.v = 0;
                } else if (stop_at_end) {
                    st.phase = Phase::stopped;
                    st.stop_until = t + dt + config_.end_stop_s;
                    st.v = 0;
                } else {
                    ++st.lap;
                    st.s = 0;
                }
            }
            break;
        }
    }
    st.t = t + dt;
    return st;
}

Fix Drive::fix_of(const State& st) const noexcept {
    Fix f;
    f.t_s = st.t;
    f.phase = st.phase;
    f.lap = st.lap;
    f.along_m = st.s;
    f.reversed = reversed_pass(st.lap);
    f.odometer_m = st.odometer;
    f.speed_kmh = st.phase == Phase::driving ? st.v * 3.6 : 0.0;
    const RoutePoint rp = pass(st.lap).path->at(st.s);
    f.position = rp.position;
    f.heading_deg = rp.heading_deg;
    f.active = active_misbehaviours(config_, st.t);
    if (f.active & bit(Misbehaviour::Kind::leave_route)) {
        const double d = st.t - config_.start_delay_s;
        for (const Misbehaviour& m : config_.misbehaviour) {
            if (m.kind != Misbehaviour::Kind::leave_route || d < m.start_s || d >= m.end_s) continue;
            const double ramp_s = std::min(kOffsetRampS, (m.end_s - m.start_s) / 2);
            const double edge = std::min(d - m.start_s, m.end_s - d);
            const double ramp = ramp_s > 0 ? std::clamp(edge / ramp_s, 0.0, 1.0) : 1.0;
            f.position = destination(f.position, rp.heading_deg + 90.0, m.offset_m * ramp);
            break;
        }
    }
    f.delivery = (f.active & bit(Misbehaviour::Kind::silent))       ? Delivery::none
                 : (f.active & bit(Misbehaviour::Kind::blind_zone)) ? Delivery::buffer
                                                                    : Delivery::send;
    return f;
}

Fix Drive::at(double t_s) {
    const double t = std::max(t_s, 0.0);
    constexpr double kEps = 1e-9;
    if (cache_.t > t + kEps) cache_ = initial();
    while (cache_.t + kStepS <= t + kEps) cache_ = step(cache_, kStepS);
    State st = cache_;
    if (t - st.t > kEps) st = step(st, t - st.t);
    return fix_of(st);
}

}  // namespace fleetwatch::sim
