#include "vehicle_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::rules::detail {
namespace {

constexpr std::size_t kMaxPath = 2000;               // path points kept per episode
constexpr Seconds kReleaseNotice{2 * 3600};           // ticks sent to a driver who left
constexpr std::uint32_t kCriticalAlarms = (1u << 0) | (1u << 29) | (1u << 30);

void push_path(std::vector<PathPoint>& path, Timestamp t, core::GeoPoint p) {
    if (path.size() < kMaxPath) path.push_back({t, p});
}

// RULES.md overspeed severity by (speed - limit) / limit, one level higher when bumped.
Severity overspeed_severity(double ratio, bool bump) {
    int level = ratio < 0.10 ? 0 : ratio < 0.20 ? 1 : ratio < 0.50 ? 2 : 3;
    if (bump) level = std::min(level + 1, 3);
    return static_cast<Severity>(level);
}

Severity deviation_severity(double peak_m) {
    if (peak_m < 200) return Severity::minor;
    if (peak_m < 1000) return Severity::moderate;
    return Severity::serious;
}

std::vector<Threshold> overspeed_thresholds(const LimitParts& l, const RuleConfig& cfg) {
    std::vector<Threshold> t{{"limit_kmh", l.limit}, {"class_kmh", l.class_kmh}};
    if (l.zone_kmh) t.push_back({"zone_kmh", *l.zone_kmh});
    if (l.segment_kmh) t.push_back({"segment_kmh", *l.segment_kmh});
    if (l.convoy_kmh) t.push_back({"convoy_kmh", *l.convoy_kmh});
    if (l.pledge_kmh) t.push_back({"pledge_kmh", *l.pledge_kmh});
    if (l.night) t.push_back({"night_factor", cfg.night_speed_factor});
    t.push_back({"min_duration_s", static_cast<double>(cfg.overspeed_min_duration.count())});
    return t;
}

class VehicleStep {
public:
    VehicleStep(VehicleState& s, VehicleContext& ctx, Recorder& rec)
        : s_(s), ctx_(ctx), rec_(rec), shared_(*ctx.shared), cfg_(ctx.shared->config),
          vehicle_(*ctx.vehicle) {}

    void run(const VehicleInput& in) {
        s_.last_input_time = in.time;
        if (in.kind != VehicleInputKind::fix) {
            const std::optional<DriverId> d =
                in.kind == VehicleInputKind::card_inserted ? in.driver : std::nullopt;
            s_.card_now = d;
            s_.card_changes.emplace_back(in.time, d);
            return;
        }
        alarms(in);
        if (!in.valid) return;
        fix(in);
    }

private:
    // ---- terminal_alarm: one episode per bit while it stays set ------------------------------
    void alarms(const VehicleInput& in) {
        const std::uint32_t bits = in.alarm & cfg_.terminal_alarm_mask;
        const std::uint32_t falling = s_.alarm_bits & ~bits;
        const std::uint32_t rising = bits & ~s_.alarm_bits;
        s_.alarm_bits = bits;
        if (falling) {
            for (auto it = s_.alarms.begin(); it != s_.alarms.end();) {
                const auto bit = static_cast<int>(it->thresholds.front().value);
                if (falling & (1u << bit)) {
                    it->end = in.time;
                    rec_.close(std::move(*it));
                    it = s_.alarms.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (int bit = 0; rising && bit < 32; ++bit) {
            if (!(rising & (1u << bit))) continue;
            Episode e;
            e.type = ViolationType::terminal_alarm;
            e.subtype = std::string(alarm_name(bit));
            e.vehicle_id = vehicle_.id;
            e.driver_id = driver_now(in.time);
            e.start = in.time;
            e.severity = (kCriticalAlarms & (1u << bit)) ? Severity::critical : Severity::minor;
            e.thresholds = {{"bit", static_cast<double>(bit)}};
            s_.alarms.push_back(std::move(e));
            rec_.open(s_.alarms.back());
        }
    }

    std::optional<DriverId> driver_now(Timestamp t) const {
        if (s_.card_now) return s_.card_now;
        const Trip* trip = ctx_.trip_at(t);
        return trip ? trip->driver_id : std::nullopt;
    }

    // ---- every valid fix ---------------------------------------------------------------------
    void fix(const VehicleInput& in) {
        const bool gap_before = s_.started && in.time - s_.prev_time > cfg_.gap_threshold;
        const geo::LatLon p = geo::to_lat_lon(in.point);
        const Trip* trip = ctx_.trip_at(in.time);
        const geo::Polyline* route =
            trip && trip->route ? &shared_.routes[*trip->route] : nullptr;
        const Route* route_cfg = trip && trip->route ? &cfg_.routes[*trip->route] : nullptr;
        const std::optional<DriverId> driver = driver_now(in.time);
        const Driver* drv = driver ? shared_.driver(*driver) : nullptr;
        const Pledge* pledge = shared_.pledge_at(drv, in.time);

        double half_width = route_cfg ? route_cfg->corridor_half_width_m : 0;
        bool pledge_width = false;
        if (pledge && pledge->max_route_deviation_m && *pledge->max_route_deviation_m < half_width) {
            half_width = *pledge->max_route_deviation_m;
            pledge_width = true;
        }
        std::optional<geo::PolylineLocation> near;
        if (route) near = route->locate_within(p, half_width + cfg_.deviation_hysteresis_m);

        const LimitParts limit = speed_limit(in, p, trip, route_cfg, near, pledge);
        overspeed(in, limit, gap_before);
        if (route) deviation(in, p, *trip, *route, near, half_width, pledge_width ? pledge : nullptr,
                             gap_before);
        else if (s_.deviation.ep) close_deviation(s_.prev_time);
        if (trip && trip->convoy && route && ctx_.samples)
            ctx_.samples->push_back(
                {*trip->convoy, {in.time, vehicle_.id, route->locate(p).along_m, in.received_at}});
        activity(in, gap_before);
    }

    LimitParts speed_limit(const VehicleInput& in, geo::LatLon p, const Trip* trip,
                           const Route* route_cfg, const std::optional<geo::PolylineLocation>& near,
                           const Pledge* pledge) {
        LimitParts l;
        shared_.zones.containing(p, ctx_.zone_hits);
        double road = std::numeric_limits<double>::infinity();
        for (std::size_t z : ctx_.zone_hits) {
            const Zone& zone = cfg_.zones[z];
            if (zone.kind == ZoneKind::expressway) l.expressway = true;
            if (zone.speed_limit_kmh) l.zone_kmh = std::min(l.zone_kmh.value_or(1e9), *zone.speed_limit_kmh);
        }
        const bool students =
            vehicle_.vehicle_class == VehicleClass::school_bus && trip && trip->students_aboard;
        const SpeedLimits& cls =
            students ? cfg_.school_bus_with_students : shared_.class_rules(vehicle_.vehicle_class).speed;
        l.class_kmh = l.expressway ? cls.expressway_kmh : cls.elsewhere_kmh;
        road = l.class_kmh;
        if (l.zone_kmh) road = std::min(road, *l.zone_kmh);
        if (route_cfg && near) {
            std::optional<double> seg;
            if (near->segment < route_cfg->segment_speed_limits_kmh.size())
                seg = route_cfg->segment_speed_limits_kmh[near->segment];
            if (!seg) seg = route_cfg->speed_limit_kmh;
            if (seg) {
                l.segment_kmh = seg;
                road = std::min(road, *seg);
            }
        }
        std::optional<double> convoy_pledge;
        if (trip && trip->convoy) {
            const auto& cap = shared_.convoy_caps[*trip->convoy];
            const double c = l.expressway ? cap.road.expressway_kmh : cap.road.elsewhere_kmh;
            if (c < road) {
                l.convoy_kmh = c;
                road = c;
            }
            convoy_pledge = cap.pledge_kmh;
        }
        l.night = is_passenger(vehicle_.vehicle_class) && in_window(in.time, cfg_.night, cfg_.utc_offset);
        if (l.night) road *= cfg_.night_speed_factor;
        l.limit = road;
        if (pledge && pledge->max_speed_kmh) {
            l.pledge_kmh = pledge->max_speed_kmh;
            l.pledge_version = pledge->version;
            l.limit = std::min(l.limit, *pledge->max_speed_kmh);
        }
        if (convoy_pledge && *convoy_pledge < l.limit) {
            l.convoy_kmh = std::min(l.convoy_kmh.value_or(1e9), *convoy_pledge);
            l.limit = *convoy_pledge;
        }
        return l;
    }

    // ---- overspeed ---------------------------------------------------------------------------
    void overspeed(const VehicleInput& in, const LimitParts& limit, bool gap_before) {
        OverspeedState& o = s_.overspeed;
        const double v = in.speed_dkmh / 10.0;
        const bool over = v > limit.limit;
        const double ratio = (v - limit.limit) / limit.limit;
        // One level higher for a school bus with students aboard or a passenger vehicle at night.
        const bool bump = limit.night ||
                          (vehicle_.vehicle_class == VehicleClass::school_bus && students_now(in.time));

        if (gap_before) {
            // Consecutive fixes across a data gap do not make a run (docs/rules.md).
            if (o.ep && !o.closing) o.closing_end = s_.prev_time;
            if (o.ep) finalize_overspeed();
            o.run = 0;
            o.run_path.clear();
        }

        if (o.ep && !o.closing) {
            push_path(o.ep->path, in.time, in.point);
            if (over) {
                o.under = 0;
                raise_peak(ratio, v, limit, bump);
            } else if (++o.under == 1) {
                o.first_under = in.time;
            } else {
                // Ended at the first fix under the limit; reported once the merge window has
                // passed (the episode itself stays as announced until then).
                o.closing_end = o.first_under;
                o.ep->path.pop_back();  // the second fix under the limit is after the end
                o.closing = true;
                o.tail.clear();
                o.tail.push_back({in.time, in.point});
            }
            return;
        }

        if (over) {
            if (o.run == 0) {
                o.run_start = in.time;
                o.run_path.clear();
                o.run_peak_ratio = -1;
            }
            ++o.run;
            push_path(o.run_path, in.time, in.point);
            if (ratio > o.run_peak_ratio) {
                o.run_peak_ratio = ratio;
                o.run_peak_speed = v;
                o.run_peak_parts = limit;
            }
        } else {
            o.run = 0;
            o.run_path.clear();
        }

        if (o.closing) {
            const Timestamp merge_until = o.closing_end + cfg_.overspeed_merge_gap;
            if (o.run > 0 && o.run_start < merge_until) {
                if (o.run >= 2 && in.time - o.run_start >= cfg_.overspeed_min_duration) {
                    resume_overspeed();  // two episodes less than 60 s apart are one
                    return;
                }
                if (o.tail.size() < kMaxPath) o.tail.push_back({in.time, in.point});
                return;
            }
            if (in.time >= merge_until) finalize_overspeed();
            else if (o.tail.size() < kMaxPath) o.tail.push_back({in.time, in.point});
        }

        if (!o.ep && o.run >= 2 && in.time - o.run_start >= cfg_.overspeed_min_duration)
            open_overspeed(in, limit, bump);
    }

    bool students_now(Timestamp t) const {
        const Trip* trip = ctx_.trip_at(t);
        return trip && trip->students_aboard;
    }

    void raise_peak(double ratio, double v, const LimitParts& limit, bool bump) {
        OverspeedState& o = s_.overspeed;
        if (ratio <= o.peak_ratio) return;
        o.peak_ratio = ratio;
        o.bump = o.bump || bump;
        Episode& e = *o.ep;
        e.peak = v;
        e.thresholds = overspeed_thresholds(limit, cfg_);
        e.pledge_version = limit.pledge_version;
        const Severity sev = std::max(e.severity, overspeed_severity(ratio, o.bump));
        if (sev != e.severity) {
            e.severity = sev;
            rec_.update(e);
        }
    }

    void open_overspeed(const VehicleInput& in, const LimitParts& now, bool bump) {
        OverspeedState& o = s_.overspeed;
        Episode e;
        e.type = ViolationType::overspeed;
        e.vehicle_id = vehicle_.id;
        e.driver_id = driver_now(o.run_start);
        e.start = o.run_start;
        e.peak = o.run_peak_speed;
        e.peak_unit = "kmh";
        e.thresholds = overspeed_thresholds(o.run_peak_parts, cfg_);
        e.pledge_version = o.run_peak_parts.pledge_version;
        e.path = std::move(o.run_path);
        o.peak_ratio = o.run_peak_ratio;
        o.bump = bump || o.run_peak_parts.night;
        e.severity = overspeed_severity(o.peak_ratio, o.bump);
        o.ep = std::move(e);
        o.under = 0;
        o.closing = false;
        o.run = 0;
        o.run_path.clear();
        rec_.open(*o.ep);
        const auto n = static_cast<long>(std::lround(now.limit));  // the limit where the cab is
        rec_.remind({vehicle_.id, in.time,
                     "您已超速，当前限速" + std::to_string(n) + "公里每小时，请减速慢行"},
                    o.ep->start);
    }

    void resume_overspeed() {
        OverspeedState& o = s_.overspeed;
        Episode& e = *o.ep;
        for (const PathPoint& p : o.tail) push_path(e.path, p.time, p.point);
        for (const PathPoint& p : o.run_path)
            if (e.path.empty() || e.path.back().time < p.time) push_path(e.path, p.time, p.point);
        o.closing = false;
        o.under = 0;
        o.tail.clear();
        o.run = 0;
        raise_peak(o.run_peak_ratio, o.run_peak_speed, o.run_peak_parts, o.run_peak_parts.night);
        o.run_path.clear();
    }

    void finalize_overspeed() {
        OverspeedState& o = s_.overspeed;
        o.ep->end = o.closing_end;
        rec_.close(std::move(*o.ep));
        o.ep.reset();
        o.closing = false;
        o.tail.clear();
        o.peak_ratio = -1;
        o.bump = false;
    }

    // ---- route_deviation ---------------------------------------------------------------------
    void deviation(const VehicleInput& in, geo::LatLon p, const Trip& trip, const geo::Polyline& route,
                   const std::optional<geo::PolylineLocation>& near, double half_width,
                   const Pledge* pledge, bool gap_before) {
        DeviationState& d = s_.deviation;
        if (d.ep && d.trip_id != trip.id) close_deviation(s_.prev_time);
        if (gap_before) d.count = 0;
        if (route.distance_to_start_m(p) <= cfg_.deviation_ignore_near_ends_m ||
            route.distance_to_end_m(p) <= cfg_.deviation_ignore_near_ends_m)
            return;  // depot, parking
        const bool moving = in.speed_dkmh >= cfg_.moving_speed_kmh * 10;
        const bool far = !near;  // farther than H + hysteresis
        const bool inside = near && near->distance_m <= half_width;

        if (!d.ep) {
            if (!moving) return;  // a stopped fix neither counts nor breaks the run
            if (!far) {
                d.count = 0;
                return;
            }
            const double dist = route.locate(p).distance_m;
            if (d.count++ == 0) {
                d.since = in.time;
                d.cand_peak = 0;
                d.cand_path.clear();
            }
            d.cand_peak = std::max(d.cand_peak, dist);
            push_path(d.cand_path, in.time, in.point);
            if (d.count >= cfg_.deviation_min_fixes && in.time - d.since >= cfg_.deviation_min_duration) {
                Episode e;
                e.type = ViolationType::route_deviation;
                e.vehicle_id = vehicle_.id;
                e.driver_id = driver_now(d.since);
                e.start = d.since;
                e.peak = d.cand_peak;
                e.peak_unit = "m";
                e.severity = deviation_severity(d.cand_peak);
                e.thresholds = {{"corridor_half_width_m", half_width},
                                {"hysteresis_m", cfg_.deviation_hysteresis_m},
                                {"min_fixes", static_cast<double>(cfg_.deviation_min_fixes)},
                                {"min_duration_s", static_cast<double>(cfg_.deviation_min_duration.count())}};
                if (pledge) e.pledge_version = pledge->version;
                e.path = std::move(d.cand_path);
                d.ep = std::move(e);
                d.trip_id = trip.id;
                d.within = 0;
                d.count = 0;
                rec_.open(*d.ep);
            }
            return;
        }
        Episode& e = *d.ep;
        push_path(e.path, in.time, in.point);
        if (inside) {
            if (++d.within == 1) d.first_within = in.time;
            if (d.within >= 2) {
                e.path.pop_back();
                close_deviation(d.first_within);
            }
            return;
        }
        d.within = 0;
        if (far) {
            const double dist = route.locate(p).distance_m;
            if (dist > e.peak) {
                e.peak = dist;
                const Severity sev = deviation_severity(dist);
                if (sev != e.severity) {
                    e.severity = sev;
                    rec_.update(e);
                }
            }
        }
    }

    void close_deviation(Timestamp end) {
        DeviationState& d = s_.deviation;
        d.ep->end = std::max(end, d.ep->start);
        rec_.close(std::move(*d.ep));
        d.ep.reset();
        d.within = 0;
        d.count = 0;
    }

    // ---- activity: moving / stopped with the 10 s hold, gaps, spans ---------------------------
    void activity(const VehicleInput& in, bool gap_before) {
        const bool raw = in.speed_dkmh >= cfg_.moving_speed_kmh * 10;
        const Timestamp t = in.time;
        if (!s_.started) {
            s_.started = true;
            s_.moving = raw;
            s_.certain_until = t;
        } else if (gap_before) {
            // A pending change that had not held 10 s is dropped; the gap is judged on its own.
            emit(s_.certain_until, s_.prev_time, current(), in.received_at);
            const double d = geo::haversine_m(geo::to_lat_lon(s_.prev_point), geo::to_lat_lon(in.point));
            const double hours = static_cast<double>((t - s_.prev_time).count()) / 3600.0;
            SpanKind kind = SpanKind::unknown;
            if (d <= cfg_.gap_stop_distance_m) kind = SpanKind::stopped;
            else if (d / 1000.0 / hours >= cfg_.moving_speed_kmh) kind = SpanKind::gap_driving;
            emit(s_.prev_time, t, kind, in.received_at);
            s_.certain_until = t;
            s_.moving = raw;
            s_.pending_since.reset();
        } else if (raw == s_.moving) {
            s_.pending_since.reset();
            emit(s_.certain_until, t, current(), in.received_at);
            s_.certain_until = t;
        } else if (!s_.pending_since) {
            emit(s_.certain_until, t, current(), in.received_at);
            s_.certain_until = t;
            s_.pending_since = t;
        } else if (t - *s_.pending_since >= cfg_.state_change_hold) {
            s_.moving = raw;  // the change held: it took effect when it began
            s_.pending_since.reset();
            emit(s_.certain_until, t, current(), in.received_at);
            s_.certain_until = t;
        }
        s_.prev_time = t;
        s_.prev_point = in.point;
    }

    SpanKind current() const { return s_.moving ? SpanKind::driving : SpanKind::stopped; }

    // Hands [a, b) to the driver stage, cut where the driver changes (card, trip).
    void emit(Timestamp a, Timestamp b, SpanKind kind, Timestamp detected) {
        auto& changes = s_.card_changes;
        std::size_t applied = 0;
        Timestamp x = a;
        while (x < b) {
            while (applied < changes.size() && changes[applied].first <= x)
                s_.card_span = changes[applied++].second;
            Timestamp next = b;
            if (applied < changes.size() && changes[applied].first < next) next = changes[applied].first;
            const Trip* trip = ctx_.trip_at(x);
            if (trip && trip->end < next) next = trip->end;
            if (const Trip* n = ctx_.next_trip_after(x); n && n->start < next) next = n->start;
            piece(x, next, kind, trip, detected);
            x = next;
        }
        while (applied < changes.size() && changes[applied].first <= b)
            s_.card_span = changes[applied++].second;
        changes.erase(changes.begin(), changes.begin() + static_cast<std::ptrdiff_t>(applied));
    }

    void piece(Timestamp a, Timestamp b, SpanKind kind, const Trip* trip, Timestamp detected) {
        const std::optional<DriverId> driver =
            s_.card_span ? s_.card_span : (trip ? trip->driver_id : std::nullopt);
        const DriverKey key = driver ? DriverKey{*driver, false} : DriverKey{vehicle_.id, true};
        if (!s_.has_key || key != s_.key) {
            if (s_.has_key) s_.released.emplace_back(s_.key, a);
            std::erase_if(s_.released, [&](const auto& r) { return r.first == key; });
            s_.key = key;
            s_.has_key = true;
        }
        const bool students = vehicle_.vehicle_class == VehicleClass::school_bus && trip &&
                              trip->students_aboard;
        if (ctx_.spans)
            ctx_.spans->push_back(
                {key, {a, b, vehicle_.id, kind, vehicle_.vehicle_class, students, detected}});
        std::erase_if(s_.released, [&](const auto& r) { return b - r.second > kReleaseNotice; });
        if (ctx_.spans)
            for (const auto& r : s_.released)
                ctx_.spans->push_back({r.first, {b, b, vehicle_.id, SpanKind::tick,
                                                 vehicle_.vehicle_class, false, detected}});
        unidentified(a, b, kind, driver.has_value());
    }

    // ---- unidentified_driver -----------------------------------------------------------------
    void unidentified(Timestamp a, Timestamp b, SpanKind kind, bool known) {
        if (!vehicle_.requires_card) return;
        const bool drive = (kind == SpanKind::driving || kind == SpanKind::gap_driving) && !known;
        if (!drive) {
            if (s_.unid) {
                s_.unid->end = a;
                rec_.close(std::move(*s_.unid));
                s_.unid.reset();
            }
            s_.unid_start.reset();
            return;
        }
        if (!s_.unid_start) s_.unid_start = a;
        if (!s_.unid && b - *s_.unid_start >= cfg_.unidentified_min_driving) {
            Episode e;
            e.type = ViolationType::unidentified_driver;
            e.vehicle_id = vehicle_.id;
            e.start = *s_.unid_start;
            e.severity = Severity::moderate;
            e.peak_unit = "min";
            e.thresholds = {{"min_driving_min",
                             static_cast<double>(cfg_.unidentified_min_driving.count()) / 60.0}};
            s_.unid = std::move(e);
            rec_.open(*s_.unid);
        }
        if (s_.unid) {
            s_.unid->peak = static_cast<double>((b - *s_.unid_start).count()) / 60.0;
            if (kind == SpanKind::gap_driving) s_.unid->from_gap = true;
        }
    }

    VehicleState& s_;
    VehicleContext& ctx_;
    Recorder& rec_;
    const Shared& shared_;
    const RuleConfig& cfg_;
    const Vehicle& vehicle_;
};

}  // namespace

const Trip* VehicleContext::trip_at(Timestamp t) const {
    if (!trips || trips->empty()) return nullptr;
    auto it = std::upper_bound(trips->begin(), trips->end(), t,
                               [](Timestamp x, const Trip* trip) { return x < trip->start; });
    // The latest trip that started at or before t and has not ended (overlaps: the later one).
    for (int k = 0; k < 3 && it != trips->begin(); ++k) {
        --it;
        if ((*it)->end > t) return *it;
    }
    return nullptr;
}

const Trip* VehicleContext::next_trip_after(Timestamp t) const {
    if (!trips) return nullptr;
    auto it = std::upper_bound(trips->begin(), trips->end(), t,
                               [](Timestamp x, const Trip* trip) { return x < trip->start; });
    return it == trips->end() ? nullptr : *it;
}

std::string_view alarm_name(int bit) noexcept {
    static constexpr std::string_view kNames[32] = {
        "sos",                 "overspeed",          "fatigue",
        "danger_warning",      "gnss_fault",         "gnss_antenna_open",
        "gnss_antenna_short",  "power_low",          "power_off",
        "display_fault",       "tts_fault",          "camera_fault",
        "ic_card_fault",       "overspeed_warning",  "fatigue_warning",
        "illegal_driving_period", "bit16",           "right_turn_blind_spot",
        "daily_driving_timeout", "parking_timeout",  "area_in_out",
        "route_in_out",        "route_time",         "route_deviation",
        "vss_fault",           "fuel_abnormal",      "stolen",
        "illegal_ignition",    "illegal_movement",   "collision",
        "rollover",            "illegal_door_open"};
    return bit >= 0 && bit < 32 ? kNames[bit] : "unknown";
}

void VehicleEval::step(State& s, const Input& in, Context& ctx, Recorder& rec) {
    VehicleStep(s, ctx, rec).run(in);
}

}  // namespace fleetwatch::rules::detail
