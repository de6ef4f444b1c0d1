#include <spdlog/spdlog.h>

#include "fleetwatch/push/publisher.hpp"

namespace fleetwatch::push {

std::string_view to_string(ViolationEventKind k) noexcept {
    switch (k) {
        case ViolationEventKind::opened: return "violation.opened";
        case ViolationEventKind::updated: return "violation.updated";
        case ViolationEventKind::closed: return "violation.closed";
        case ViolationEventKind::retracted: return "violation.retracted";
    }
    return "violation.updated";
}

void LogPublisher::violation(const ViolationEvent& e) {
    spdlog::info("{} id={} {}{}{} {} vehicle={} driver={} start={} end={} peak={}{}{}{}",
                 to_string(e.kind), e.violation_id, e.type, e.subtype.empty() ? "" : "/",
                 e.subtype, e.severity, e.vehicle_id,
                 e.driver_id ? std::to_string(*e.driver_id) : "-",
                 core::format_rfc3339(e.started_at),
                 e.ended_at ? core::format_rfc3339(*e.ended_at) : "-", e.peak, e.peak_unit,
                 e.late ? " late" : "", e.recomputed ? " recomputed" : "");
}

void LogPublisher::warning(const FatigueWarning& w) {
    spdlog::info("warning fatigue vehicle={} driver={} continuous={}min limit={}min{} at={}{}",
                 w.vehicle_id, w.driver_id ? std::to_string(*w.driver_id) : "-",
                 w.continuous_min, w.limit_min, w.night ? " (night)" : "",
                 core::format_rfc3339(w.time), w.late ? " late" : "");
}

}  // namespace fleetwatch::push
