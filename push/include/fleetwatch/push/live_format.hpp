// The frames of the live stream (docs/api.md "Live stream"), one function per event and
// format. JSON text frames are `{"kind":"...","data":{...}}`; protobuf binary frames are one
// fleetwatch.v1.LiveEvent (proto/fleetwatch/v1/events.proto) with the same kind and data.
//
// JSON `data`:
//   violation.*  {"id","type","subtype","severity","vehicle_id","driver_id","started_at",
//                 "ended_at","peak","peak_unit","late","recomputed","status"} — API.md's
//                 violation fields the event carries; `status` is "new" on opened, "retracted"
//                 on retracted, null otherwise (people may have changed it since).
//   warning      {"type":"fatigue_continuous","vehicle_id","driver_id","time","continuous_min",
//                 "limit_min","night","late"}
//   position     {"vehicle_id","time","received_at","lat","lon","speed_kmh","direction",
//                 "altitude_m","alarm","status","valid","mileage_km"} — the REST position
//                 fields, plus the vehicle and the server's receive time.
#pragma once

#include <string>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/push/publisher.hpp"

namespace fleetwatch::push {

enum class LiveFormat : std::uint8_t { json, protobuf };

std::string live_frame(const ViolationEvent& e, LiveFormat format);
std::string live_frame(const FatigueWarning& w, LiveFormat format);
std::string live_frame(const core::Position& p, LiveFormat format);

}  // namespace fleetwatch::push
