#include "fleetwatch/rules/from_fleet.hpp"

#include <map>

namespace fleetwatch::rules {
namespace {

VehicleClass to_class(fleet::VehicleClass c) {
    switch (c) {
        case fleet::VehicleClass::school_bus: return VehicleClass::school_bus;
        case fleet::VehicleClass::bus: return VehicleClass::bus;
        case fleet::VehicleClass::car: return VehicleClass::car;
        case fleet::VehicleClass::truck: return VehicleClass::truck;
        case fleet::VehicleClass::other: return VehicleClass::other;
    }
    return VehicleClass::other;
}

geo::LatLon ll(core::GeoPoint p) { return geo::to_lat_lon(p); }

// "YYYY-MM-DD" at local midnight.
std::optional<Timestamp> local_date(const std::string& s, Seconds offset) {
    const auto c = core::parse_date(s);
    if (!c) return std::nullopt;
    return core::to_timestamp(*c, offset);
}

std::vector<DailyWindow> windows(const std::vector<fleet::TimeWindow>& w) {
    std::vector<DailyWindow> out;
    for (const auto& x : w) out.push_back({x.start_min, x.end_min});
    return out;
}

}  // namespace

FromFleetResult from_fleet(const fleet::Fleet& f, const FleetIds& ids, core::CivilTime first_day,
                           core::CivilTime last_day) {
    FromFleetResult r;
    RuleConfig& c = r.config;
    static const char* const kUtc8[] = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin",
                                        "Asia/Urumqi", "PRC", "Asia/Hong_Kong", "Asia/Macau",
                                        "Asia/Taipei"};
    bool utc8 = false;
    for (const char* z : kUtc8) utc8 = utc8 || f.timezone == z;
    if (!utc8) r.problems.push_back("timezone: " + f.timezone + " is not a UTC+8 zone without DST");
    c.utc_offset = core::kChinaUtcOffset;

    std::map<std::string, VehicleId> vehicle_ids;
    for (std::size_t i = 0; i < f.vehicles.size(); ++i) {
        const auto& v = f.vehicles[i];
        const auto id = ids.vehicle ? ids.vehicle(v.plate) : std::optional<VehicleId>(static_cast<VehicleId>(i + 1));
        if (!id) {
            r.problems.push_back("vehicles[" + std::to_string(i) + "]: " + v.plate + " has no id");
            continue;
        }
        vehicle_ids[v.plate] = *id;
        c.vehicles.push_back({*id, v.plate, to_class(v.vehicle_class), v.requires_card});
    }
    std::map<std::string, std::size_t> driver_index;
    for (std::size_t i = 0; i < f.drivers.size(); ++i) {
        const auto& d = f.drivers[i];
        const auto id = ids.driver ? ids.driver(d.license_no) : std::optional<DriverId>(static_cast<DriverId>(i + 1));
        if (!id) {
            r.problems.push_back("drivers[" + std::to_string(i) + "]: " + d.license_no + " has no id");
            continue;
        }
        driver_index[d.license_no] = c.drivers.size();
        c.drivers.push_back({*id, d.name, d.certificate_no, {}});
    }
    for (std::size_t i = 0; i < f.pledges.size(); ++i) {
        const auto& p = f.pledges[i];
        const auto d = driver_index.find(p.driver_license_no);
        const auto from = local_date(p.valid_from, c.utc_offset);
        if (d == driver_index.end() || !from) {
            r.problems.push_back("pledges[" + std::to_string(i) + "]: no driver or valid_from");
            continue;
        }
        Pledge q;
        q.version = p.version;
        q.valid_from = *from;
        if (const auto to = local_date(p.valid_to, c.utc_offset)) q.valid_to = *to + std::chrono::days{1};
        if (p.max_speed_kmh) q.max_speed_kmh = *p.max_speed_kmh;
        q.max_continuous_driving_min = p.max_continuous_driving_min;
        q.night_max_continuous_min = p.night_max_continuous_min;
        q.min_rest_min = p.min_rest_min;
        q.max_daily_driving_min = p.max_daily_driving_min;
        q.forbidden_hours = windows(p.forbidden_hours);
        if (p.max_route_deviation_m) q.max_route_deviation_m = *p.max_route_deviation_m;
        c.drivers[d->second].pledges.push_back(q);
    }
    std::map<std::string, std::size_t> route_index;
    for (const auto& route : f.routes) {
        Route q;
        q.name = route.name;
        for (const auto& p : route.points) q.points.push_back(ll(p));
        q.corridor_half_width_m = route.corridor_m;
        if (route.speed_limit_kmh) q.speed_limit_kmh = *route.speed_limit_kmh;
        route_index[route.name] = c.routes.size();
        c.routes.push_back(std::move(q));
    }
    for (const auto& zone : f.zones) {
        Zone q;
        q.name = zone.name;
        q.kind = zone.kind == fleet::ZoneKind::campus       ? ZoneKind::campus
                 : zone.kind == fleet::ZoneKind::expressway ? ZoneKind::expressway
                                                            : ZoneKind::other;
        if (const auto* circle = std::get_if<fleet::Circle>(&zone.shape)) {
            q.shape = geo::CircleShape{ll(circle->center), circle->radius_m};
        } else {
            geo::PolygonShape poly;
            for (const auto& p : std::get<fleet::Polygon>(zone.shape)) poly.ring.push_back(ll(p));
            q.shape = std::move(poly);
        }
        if (zone.speed_limit_kmh) q.speed_limit_kmh = *zone.speed_limit_kmh;
        c.zones.push_back(std::move(q));
    }
    std::map<std::string, std::size_t> convoy_index;
    for (const auto& convoy : f.convoys) {
        convoy_index[convoy.name] = c.convoys.size();
        c.convoys.push_back({convoy.name, convoy.leader_username, static_cast<double>(convoy.max_gap_m), Seconds{120}});
    }

    const std::int64_t day0 = core::days_from_civil(first_day.year, first_day.month, first_day.day);
    const std::int64_t day1 = core::days_from_civil(last_day.year, last_day.month, last_day.day);
    std::int64_t trip_id = 0;
    for (std::size_t i = 0; i < f.trips.size(); ++i) {
        const auto& t = f.trips[i];
        const auto v = vehicle_ids.find(t.vehicle_plate);
        if (v == vehicle_ids.end()) {
            r.problems.push_back("trips[" + std::to_string(i) + "]: vehicle " + t.vehicle_plate + " has no id");
            continue;
        }
        Trip q;
        q.vehicle_id = v->second;
        if (const auto d = driver_index.find(t.driver_license_no); d != driver_index.end())
            q.driver_id = c.drivers[d->second].id;
        if (const auto rt = route_index.find(t.route_name); rt != route_index.end()) q.route = rt->second;
        if (t.convoy_name)
            if (const auto cv = convoy_index.find(*t.convoy_name); cv != convoy_index.end()) q.convoy = cv->second;
        q.students_aboard = t.students_aboard;
        const auto a = core::parse_clock(t.planned_start);
        const auto b = core::parse_clock(t.planned_end);
        if (a && b) {
            for (std::int64_t day = day0; day <= day1; ++day) {
                const Timestamp midnight{Seconds{day * 86400} - c.utc_offset};
                q.id = ++trip_id;
                q.start = midnight + std::chrono::minutes{*a};
                q.end = midnight + std::chrono::minutes{*b};
                if (q.end <= q.start) q.end += std::chrono::days{1};
                c.trips.push_back(q);
            }
            continue;
        }
        const auto s = core::parse_instant(t.planned_start, c.utc_offset);
        const auto e = core::parse_instant(t.planned_end, c.utc_offset);
        if (!s || !e) {
            r.problems.push_back("trips[" + std::to_string(i) + "]: planned times not understood");
            continue;
        }
        q.id = ++trip_id;
        q.start = *s;
        q.end = *e;
        c.trips.push_back(q);
    }
    return r;
}

}  // namespace fleetwatch::rules
