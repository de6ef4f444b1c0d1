#include "fleetwatch/push/live_format.hpp"

#include <nlohmann/json.hpp>

#include "fleetwatch/proto/convert.hpp"
#include "fleetwatch/v1/events.pb.h"

namespace fleetwatch::push {
namespace {

using nlohmann::json;

std::int64_t unix_seconds(core::Timestamp t) { return t.time_since_epoch().count(); }

template <class T>
json nullable(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

const char* status_of(ViolationEventKind k) {
    switch (k) {
        case ViolationEventKind::opened: return "new";
        case ViolationEventKind::retracted: return "retracted";
        case ViolationEventKind::updated:
        case ViolationEventKind::closed: return nullptr;
    }
    return nullptr;
}

std::string json_frame(std::string_view kind, json data) {
    return json{{"kind", kind}, {"data", std::move(data)}}.dump();
}

std::string proto_frame(v1::LiveEvent& event) {
    std::string out;
    event.SerializeToString(&out);
    return out;
}

}  // namespace

std::string live_frame(const ViolationEvent& e, LiveFormat format) {
    const char* status = status_of(e.kind);
    if (format == LiveFormat::json) {
        return json_frame(
            to_string(e.kind),
            json{{"id", e.violation_id},
                 {"type", e.type},
                 {"subtype", e.subtype},
                 {"severity", e.severity},
                 {"vehicle_id", e.vehicle_id},
                 {"driver_id", nullable(e.driver_id)},
                 {"started_at", core::format_rfc3339(e.started_at)},
                 {"ended_at", e.ended_at ? json(core::format_rfc3339(*e.ended_at)) : json(nullptr)},
                 {"peak", e.peak},
                 {"peak_unit", e.peak_unit},
                 {"late", e.late},
                 {"recomputed", e.recomputed},
                 {"status", status != nullptr ? json(status) : json(nullptr)}});
    }
    v1::LiveEvent event;
    event.set_kind(std::string(to_string(e.kind)));
    auto& v = *event.mutable_violation();
    v.set_id(e.violation_id);
    v.set_type(e.type);
    v.set_subtype(e.subtype);
    v.set_severity(e.severity);
    v.set_vehicle_id(e.vehicle_id);
    if (e.driver_id) v.set_driver_id(*e.driver_id);
    v.set_started_at_unix(unix_seconds(e.started_at));
    if (e.ended_at) v.set_ended_at_unix(unix_seconds(*e.ended_at));
    v.set_peak(e.peak);
    v.set_peak_unit(e.peak_unit);
    v.set_late(e.late);
    v.set_recomputed(e.recomputed);
    if (status != nullptr) v.set_status(status);
    return proto_frame(event);
}

std::string live_frame(const FatigueWarning& w, LiveFormat format) {
    if (format == LiveFormat::json) {
        return json_frame("warning", json{{"type", "fatigue_continuous"},
                                          {"vehicle_id", w.vehicle_id},
                                          {"driver_id", nullable(w.driver_id)},
                                          {"time", core::format_rfc3339(w.time)},
                                          {"continuous_min", w.continuous_min},
                                          {"limit_min", w.limit_min},
                                          {"night", w.night},
                                          {"late", w.late}});
    }
    v1::LiveEvent event;
    event.set_kind("warning");
    auto& out = *event.mutable_warning();
    out.set_vehicle_id(w.vehicle_id);
    if (w.driver_id) out.set_driver_id(*w.driver_id);
    out.set_time_unix(unix_seconds(w.time));
    out.set_continuous_min(static_cast<std::uint32_t>(std::max(0, w.continuous_min)));
    out.set_limit_min(static_cast<std::uint32_t>(std::max(0, w.limit_min)));
    out.set_night(w.night);
    out.set_late(w.late);
    return proto_frame(event);
}

std::string live_frame(const core::Position& p, LiveFormat format) {
    if (format == LiveFormat::json) {
        return json_frame(
            "position",
            json{{"vehicle_id", p.vehicle_id},
                 {"time", core::format_rfc3339(p.gps_time)},
                 {"received_at", core::format_rfc3339(p.received_at)},
                 {"lat", p.point.lat()},
                 {"lon", p.point.lon()},
                 {"speed_kmh", p.speed_kmh()},
                 {"direction", p.direction},
                 {"altitude_m", p.altitude_m},
                 {"alarm", p.alarm},
                 {"status", p.status},
                 {"valid", p.valid},
                 {"mileage_km",
                  p.mileage_100m ? json(*p.mileage_100m / 10.0) : json(nullptr)}});
    }
    v1::LiveEvent event;
    event.set_kind("position");
    proto::to_proto(p, *event.mutable_position());
    return proto_frame(event);
}

}  // namespace fleetwatch::push
