#include "driver_eval.hpp"

#include <algorithm>
#include <string>

namespace fleetwatch::rules::detail {
namespace {

constexpr Seconds kMinute{60};

double minutes(Seconds s) { return static_cast<double>(s.count()) / 60.0; }

// RULES.md "Severity" for fatigue: over by < 30 min minor, 30-60 moderate, > 60 min, at night,
// or a school bus (with students, docs/rules.md) serious.
Severity fatigue_severity(double over_min, bool night, bool school_bus) {
    if (night || school_bus || over_min > 60) return Severity::serious;
    if (over_min >= 30) return Severity::moderate;
    return Severity::minor;
}

struct Piece {
    Timestamp a;
    Timestamp b;
    SpanKind kind;               // stopped for a piece with the driver in no vehicle
    VehicleId vehicle;
    VehicleClass vehicle_class;
    bool students;
};

class DriverStep {
public:
    DriverStep(DriverState& s, DriverContext& ctx, Recorder& rec)
        : s_(s), ctx_(ctx), rec_(rec), cfg_(ctx.shared->config) {}

    void run(const DriverInput& in) {
        if (!s_.started) {
            s_.started = true;
            s_.frontier = in.a;
        }
        const Piece absent{s_.frontier, in.a, SpanKind::stopped, s_.last_vehicle,
                           VehicleClass::other, false};
        if (in.kind == SpanKind::tick) {
            if (in.b > s_.frontier) cut({s_.frontier, in.b, SpanKind::stopped, s_.last_vehicle,
                                         VehicleClass::other, false});
            return;
        }
        if (in.a > s_.frontier) cut(absent);
        const Timestamp a = std::max(in.a, s_.frontier);
        if (in.b <= a) return;  // overlaps what another vehicle already reported
        s_.last_vehicle = in.vehicle;
        cut({a, in.b, in.kind, in.vehicle, in.vehicle_class, in.school_bus_students});
    }

private:
    // Cuts at every break so that limits are constant within each piece.
    void cut(Piece p) {
        Timestamp a = p.a;
        while (a < p.b) {
            const Timestamp next = std::min(p.b, next_break(a));
            Piece q = p;
            q.a = a;
            q.b = next;
            piece(q);
            a = next;
        }
        s_.frontier = std::max(s_.frontier, p.b);
    }

    Timestamp next_break(Timestamp t) const {
        const std::int64_t sod = second_of_day(t, cfg_.utc_offset);
        const std::int64_t day = local_day(t, cfg_.utc_offset);
        const auto it = std::upper_bound(ctx_.breaks.begin(), ctx_.breaks.end(), sod);
        if (it != ctx_.breaks.end()) return day_start(day, cfg_.utc_offset) + Seconds{*it};
        return day_start(day + 1, cfg_.utc_offset);
    }

    std::optional<DriverId> driver_id() const {
        if (ctx_.key.is_vehicle) return std::nullopt;
        return ctx_.key.id;
    }

    Episode new_episode(ViolationType type, const Piece& p, Timestamp start) const {
        Episode e;
        e.type = type;
        e.vehicle_id = p.vehicle;
        e.driver_id = driver_id();
        e.start = start;
        e.peak_unit = type == ViolationType::forbidden_hours ? "min" : "min_over";
        return e;
    }

    void piece(const Piece& p) {
        const std::int64_t day = local_day(p.a, cfg_.utc_offset);
        if (day != s_.day) {
            if (s_.daily) close(s_.daily, s_.day_last_drive);
            s_.day = day;
            s_.day_driving = Seconds{0};
        }
        if (s_.fb_active && p.a >= s_.fb_end) {
            if (s_.forbidden) close(s_.forbidden, s_.fb_last);
            s_.fb_active = false;
        }
        switch (p.kind) {
            case SpanKind::stopped:
            case SpanKind::tick: stopped(p); break;
            case SpanKind::unknown: unknown(); break;
            case SpanKind::driving:
            case SpanKind::gap_driving: driving(p); break;
        }
    }

    void close(std::optional<Episode>& ep, Timestamp end) {
        ep->end = std::max(end, ep->start);
        rec_.close(std::move(*ep));
        ep.reset();
    }

    void stopped(const Piece& p) {
        if (!s_.in_run) return;
        if (!s_.stop_since) s_.stop_since = p.a;
        if (p.b - *s_.stop_since >= s_.min_rest) {  // a rest began at stop_since
            if (s_.continuous) close(s_.continuous, *s_.stop_since);
            s_.in_run = false;
            s_.stop_since.reset();
        }
    }

    void unknown() {
        if (!s_.in_run) return;
        // An unknown gap never resets a clock: it ends a stop without being one.
        s_.run_unknown = true;
        s_.stop_since.reset();
        if (s_.continuous && !s_.continuous->needs_review) {
            s_.continuous->needs_review = true;
            rec_.update(*s_.continuous);
        }
    }

    void start_run(const Piece& p) {
        const ClassRules& rules = ctx_.shared->class_rules(p.vehicle_class);
        const Pledge* pledge = ctx_.shared->pledge_at(ctx_.driver, p.a);
        int day = rules.max_continuous_driving_min;
        int night = rules.night_max_continuous_min;
        int rest = rules.min_rest_min;
        s_.pledge_version.reset();
        if (pledge) {
            s_.pledge_version = pledge->version;
            if (pledge->max_continuous_driving_min) day = std::min(day, *pledge->max_continuous_driving_min);
            if (pledge->night_max_continuous_min) night = std::min(night, *pledge->night_max_continuous_min);
            if (pledge->min_rest_min) rest = std::max(rest, *pledge->min_rest_min);
        }
        s_.in_run = true;
        s_.run_start = p.a;
        s_.day_limit = day * kMinute;
        s_.night_limit = std::min(night, day) * kMinute;
        s_.min_rest = rest * kMinute;
        s_.run_unknown = false;
        s_.run_from_gap = false;
        s_.warned = false;
        s_.cont_night = false;
    }

    void driving(const Piece& p) {
        if (!s_.in_run) start_run(p);
        s_.stop_since.reset();
        if (p.kind == SpanKind::gap_driving) s_.run_from_gap = true;
        // The night limit applies to passenger vehicles; "at night" raises severity for all.
        const bool dark = in_window(p.a, cfg_.night, cfg_.utc_offset);
        const bool night = is_passenger(p.vehicle_class) && dark;
        const Seconds limit = night ? s_.night_limit : s_.day_limit;
        const Timestamp crossing = std::max(p.a, s_.run_start + limit);
        const Timestamp warn_at = std::max(p.a, s_.run_start + limit - cfg_.fatigue_warning_before);

        if (!s_.continuous && !s_.warned && warn_at < p.b &&
            (crossing >= p.b || warn_at < crossing)) {
            s_.warned = true;
            const int c_min = static_cast<int>((warn_at - s_.run_start).count() / 60);
            const int l_min = static_cast<int>(limit.count() / 60);
            rec_.warn({ctx_.key, p.vehicle, warn_at, c_min, l_min, night, false});
            rec_.remind({p.vehicle, warn_at,
                         "您已连续驾驶" + std::to_string(c_min) + "分钟，请在" +
                             std::to_string(l_min - c_min) + "分钟内停车休息"},
                        warn_at);
        }
        if (!s_.continuous && crossing < p.b) {
            Episode e = new_episode(ViolationType::fatigue_continuous, p, crossing);
            e.thresholds = {{"limit_min", minutes(limit)},
                            {"day_limit_min", minutes(s_.day_limit)},
                            {"night_limit_min", minutes(s_.night_limit)},
                            {"min_rest_min", minutes(s_.min_rest)},
                            {"night", night ? 1.0 : 0.0}};
            e.pledge_version = s_.pledge_version;
            e.from_gap = s_.run_from_gap;
            e.needs_review = s_.run_unknown;
            e.peak = 0;
            s_.cont_night = dark;
            e.severity = fatigue_severity(0, dark, p.students);
            s_.continuous = std::move(e);
            rec_.open(*s_.continuous);
        }
        if (s_.continuous) {
            Episode& e = *s_.continuous;
            bool changed = false;
            if (p.kind == SpanKind::gap_driving && !e.from_gap) {
                e.from_gap = true;
                changed = true;
            }
            if (dark) s_.cont_night = true;
            e.peak = std::max(e.peak, minutes(p.b - (s_.run_start + limit)));
            const Severity sev =
                std::max(e.severity, fatigue_severity(e.peak, s_.cont_night, p.students));
            if (sev != e.severity) {
                e.severity = sev;
                changed = true;
            }
            if (changed) rec_.update(e);
        }
        daily(p);
        forbidden(p);
    }

    void daily(const Piece& p) {
        const Seconds dt = p.b - p.a;
        if (!is_passenger(p.vehicle_class)) {
            s_.day_driving += dt;
            return;
        }
        if (!s_.daily) {
            int limit = ctx_.shared->class_rules(p.vehicle_class).max_daily_driving_min;
            const Pledge* pledge = ctx_.shared->pledge_at(ctx_.driver, p.a);
            if (pledge && pledge->max_daily_driving_min)
                limit = std::min(limit, *pledge->max_daily_driving_min);
            const Seconds lim = limit * kMinute;
            if (s_.day_driving + dt > lim) {
                Episode e = new_episode(ViolationType::fatigue_daily, p,
                                        p.a + (lim - std::min(lim, s_.day_driving)));
                e.thresholds = {{"limit_min", minutes(lim)}};
                if (pledge) e.pledge_version = pledge->version;
                s_.daily_limit = lim;
                e.severity = fatigue_severity(0, false, p.students);
                s_.daily = std::move(e);
                rec_.open(*s_.daily);
            }
        }
        s_.day_driving += dt;
        s_.day_last_drive = p.b;
        if (s_.daily) {
            Episode& e = *s_.daily;
            e.peak = minutes(s_.day_driving - s_.daily_limit);
            const bool night = in_window(p.a, cfg_.night, cfg_.utc_offset);
            const Severity sev =
                std::max(e.severity, fatigue_severity(e.peak, night, p.students));
            if (sev != e.severity) {
                e.severity = sev;
                rec_.update(e);
            }
        }
    }

    void forbidden(const Piece& p) {
        const std::int64_t sod = second_of_day(p.a, cfg_.utc_offset);
        const Pledge* pledge = ctx_.shared->pledge_at(ctx_.driver, p.a);
        const DailyWindow* hit = nullptr;
        bool from_pledge = false;
        if (is_passenger(p.vehicle_class))
            for (const DailyWindow& w : ctx_.shared->class_rules(p.vehicle_class).forbidden_hours)
                if (!hit && in_window(sod, w)) hit = &w;
        if (!hit && pledge)
            for (const DailyWindow& w : pledge->forbidden_hours)
                if (!hit && in_window(sod, w)) {
                    hit = &w;
                    from_pledge = true;
                }
        if (!hit) return;
        const Timestamp today = day_start(local_day(p.a, cfg_.utc_offset), cfg_.utc_offset);
        Timestamp start = today + Seconds{hit->start_min * 60};
        if (sod < hit->start_min * 60) start -= Seconds{86400};
        std::int64_t len = hit->end_min - hit->start_min;
        if (len <= 0) len += 1440;
        if (!s_.fb_active || s_.fb_start != start) {
            if (s_.forbidden) close(s_.forbidden, s_.fb_last);
            s_.fb_active = true;
            s_.fb_start = start;
            s_.fb_end = start + Seconds{len * 60};
            s_.fb_driven = Seconds{0};
            s_.fb_first = p.a;
        }
        s_.fb_driven += p.b - p.a;
        s_.fb_last = p.b;
        if (!s_.forbidden && s_.fb_driven >= cfg_.forbidden_min_driving) {
            Episode e = new_episode(ViolationType::forbidden_hours, p, s_.fb_first);
            e.thresholds = {{"window_start_min", static_cast<double>(hit->start_min)},
                            {"window_end_min", static_cast<double>(hit->end_min)},
                            {"min_driving_min", minutes(cfg_.forbidden_min_driving)},
                            {"from_pledge", from_pledge ? 1.0 : 0.0}};
            if (pledge) e.pledge_version = pledge->version;
            e.peak = minutes(s_.fb_driven);
            e.severity = fatigue_severity(e.peak, in_window(p.a, cfg_.night, cfg_.utc_offset),
                                          p.students);
            s_.forbidden = std::move(e);
            rec_.open(*s_.forbidden);
        } else if (s_.forbidden) {
            Episode& e = *s_.forbidden;
            e.peak = minutes(s_.fb_driven);
            const Severity sev = std::max(
                e.severity, fatigue_severity(e.peak, in_window(p.a, cfg_.night, cfg_.utc_offset),
                                             p.students));
            if (sev != e.severity) {
                e.severity = sev;
                rec_.update(e);
            }
        }
    }

    DriverState& s_;
    DriverContext& ctx_;
    Recorder& rec_;
    const RuleConfig& cfg_;
};

}  // namespace

DriverContext make_driver_context(const Shared& shared, DriverKey key) {
    DriverContext ctx;
    ctx.shared = &shared;
    ctx.key = key;
    if (!key.is_vehicle) ctx.driver = shared.driver(key.id);
    std::vector<std::int64_t> b{0};
    const auto add = [&](DailyWindow w) {
        b.push_back(w.start_min * 60);
        b.push_back((w.end_min % 1440) * 60);
    };
    add(shared.config.night);
    for (const auto& [cls, rules] : shared.config.classes)
        for (const DailyWindow& w : rules.forbidden_hours) add(w);
    if (ctx.driver)
        for (const Pledge& p : ctx.driver->pledges)
            for (const DailyWindow& w : p.forbidden_hours) add(w);
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    std::erase_if(b, [](std::int64_t v) { return v <= 0 || v >= 86400; });
    ctx.breaks = std::move(b);
    return ctx;
}

void DriverEval::step(State& s, const Input& in, Context& ctx, Recorder& rec) {
    DriverStep(s, ctx, rec).run(in);
}

}  // namespace fleetwatch::rules::detail
