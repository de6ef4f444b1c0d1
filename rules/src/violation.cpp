#include "fleetwatch/rules/violation.hpp"

#include <algorithm>
#include <limits>

#include "stage.hpp"

namespace fleetwatch::rules {

std::string_view to_string(ViolationType t) noexcept {
    switch (t) {
        case ViolationType::overspeed: return "overspeed";
        case ViolationType::route_deviation: return "route_deviation";
        case ViolationType::fatigue_continuous: return "fatigue_continuous";
        case ViolationType::fatigue_daily: return "fatigue_daily";
        case ViolationType::forbidden_hours: return "forbidden_hours";
        case ViolationType::unidentified_driver: return "unidentified_driver";
        case ViolationType::convoy_straggler: return "convoy_straggler";
        case ViolationType::convoy_member_offline: return "convoy_member_offline";
        case ViolationType::terminal_alarm: return "terminal_alarm";
        case ViolationType::terminal_offline: return "terminal_offline";
    }
    return "unknown";
}

std::string_view to_string(Severity s) noexcept {
    switch (s) {
        case Severity::minor: return "minor";
        case Severity::moderate: return "moderate";
        case Severity::serious: return "serious";
        case Severity::severe: return "severe";
        case Severity::critical: return "critical";
    }
    return "unknown";
}

std::string_view to_string(EpisodeEventKind k) noexcept {
    switch (k) {
        case EpisodeEventKind::open: return "open";
        case EpisodeEventKind::update: return "update";
        case EpisodeEventKind::close: return "close";
        case EpisodeEventKind::retract: return "retract";
    }
    return "unknown";
}

bool Episode::same_verdict(const Episode& o) const {
    return type == o.type && subtype == o.subtype && vehicle_id == o.vehicle_id &&
           driver_id == o.driver_id && convoy == o.convoy && start == o.start && end == o.end &&
           severity == o.severity && peak == o.peak && peak_unit == o.peak_unit &&
           thresholds == o.thresholds && pledge_version == o.pledge_version && path == o.path &&
           from_gap == o.from_gap && needs_review == o.needs_review;
}

namespace detail {
namespace {

constexpr bool driver_level(ViolationType t) {
    return t == ViolationType::fatigue_continuous || t == ViolationType::fatigue_daily ||
           t == ViolationType::forbidden_hours;
}

bool same_identity(const Episode& a, const Episode& b) {
    if (a.type != b.type || a.subtype != b.subtype || a.convoy != b.convoy) return false;
    return driver_level(a.type) ? a.driver_id == b.driver_id : a.vehicle_id == b.vehicle_id;
}

Timestamp end_or_max(const Episode& e) {
    return e.end ? *e.end : Timestamp{Seconds{std::numeric_limits<std::int64_t>::max() / 2}};
}

bool overlaps(const Episode& a, const Episode& b) {
    return a.start <= end_or_max(b) && b.start <= end_or_max(a);
}

}  // namespace

void diff_episodes(const std::vector<HeldEpisode>& old, const std::vector<HeldRef>& now,
                   Outputs& out, std::uint64_t& next_id) {
    std::vector<int> match(now.size(), -1);
    std::vector<bool> used(old.size(), false);
    // Same identity and start first, then same identity and overlapping time.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t i = 0; i < now.size(); ++i) {
            if (match[i] >= 0) continue;
            for (std::size_t j = 0; j < old.size(); ++j) {
                if (used[j] || !same_identity(*now[i].episode, old[j].episode)) continue;
                const bool ok = pass == 0 ? now[i].episode->start == old[j].episode.start
                                          : overlaps(*now[i].episode, old[j].episode);
                if (!ok) continue;
                match[i] = static_cast<int>(j);
                used[j] = true;
                break;
            }
        }
    }
    for (std::size_t j = 0; j < old.size(); ++j)
        if (!used[j]) out.events.push_back({EpisodeEventKind::retract, old[j].episode, true});
    for (std::size_t i = 0; i < now.size(); ++i) {
        Episode& e = *now[i].episode;
        if (match[i] < 0) {
            e.id = ++next_id;
            e.late = true;
            out.events.push_back({EpisodeEventKind::open, e, true});
            if (now[i].final) out.events.push_back({EpisodeEventKind::close, e, true});
            continue;
        }
        const HeldEpisode& o = old[static_cast<std::size_t>(match[i])];
        e.id = o.episode.id;
        e.late = o.episode.late;
        if (now[i].final && !o.final)
            out.events.push_back({EpisodeEventKind::close, e, true});
        else if (!e.same_verdict(o.episode) || now[i].final != o.final)
            out.events.push_back({EpisodeEventKind::update, e, true});
    }
}

}  // namespace detail
}  // namespace fleetwatch::rules
