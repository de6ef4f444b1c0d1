#include "fleetwatch/rules/config.hpp"

#include <algorithm>
#include <cmath>

#include "shared.hpp"

namespace fleetwatch::rules {

std::map<VehicleClass, ClassRules> RuleConfig::default_classes() {
    // Speeds where no sign says otherwise (docs/rules.md, "class speed limits"):
    // 道路交通安全法实施条例 §78 (expressway: buses and trucks 100, cars 120) and §46 (70 on a
    // road with one lane each way outside towns).
    ClassRules bus;
    bus.speed = {100, 70};
    bus.forbidden_hours = {{2 * 60, 5 * 60}};  // 道路旅客运输企业安全管理规范 §38
    ClassRules car;
    car.speed = {120, 70};
    ClassRules truck;
    truck.speed = {100, 70};
    ClassRules other;
    other.speed = {100, 70};
    return {{VehicleClass::school_bus, bus},
            {VehicleClass::bus, bus},
            {VehicleClass::car, car},
            {VehicleClass::truck, truck},
            {VehicleClass::other, other}};
}

std::vector<geo::LatLon> import_points(const std::vector<geo::LatLon>& points, geo::Datum datum) {
    std::vector<geo::LatLon> out;
    out.reserve(points.size());
    for (const geo::LatLon& p : points) out.push_back(geo::convert(p, datum, geo::Datum::wgs84));
    return out;
}

namespace detail {
namespace {

std::vector<geo::Polyline> build_routes(const RuleConfig& c) {
    std::vector<geo::Polyline> out;
    out.reserve(c.routes.size());
    for (const Route& r : c.routes) out.emplace_back(r.points);
    return out;
}

std::vector<geo::ZoneShape> zone_shapes(const RuleConfig& c) {
    std::vector<geo::ZoneShape> out;
    out.reserve(c.zones.size());
    for (const Zone& z : c.zones) out.push_back(z.shape);
    return out;
}

}  // namespace

Shared::Shared(RuleConfig c)
    : config(std::move(c)), routes(build_routes(config)), zones(zone_shapes(config)) {
    for (const Vehicle& v : config.vehicles) vehicles[v.id] = &v;
    for (const Driver& d : config.drivers) {
        drivers[d.id] = &d;
        if (!d.certificate_no.empty()) by_certificate[d.certificate_no] = d.id;
    }
    for (const Trip& t : config.trips) trips_by_vehicle[t.vehicle_id].push_back(&t);
    for (auto& [id, list] : trips_by_vehicle)
        std::stable_sort(list.begin(), list.end(),
                         [](const Trip* a, const Trip* b) { return a->start < b->start; });

    // A convoy's speed limit is its strictest member's (RULES.md "Convoy"): the class limits
    // of its vehicles (with students where a trip carries them) and its drivers' pledges.
    convoy_caps.resize(config.convoys.size());
    for (const Trip& t : config.trips) {
        if (!t.convoy || *t.convoy >= convoy_caps.size()) continue;
        ConvoyCap& cap = convoy_caps[*t.convoy];
        const Vehicle& v = vehicle(t.vehicle_id);
        const SpeedLimits& sl = v.vehicle_class == VehicleClass::school_bus && t.students_aboard
                                    ? config.school_bus_with_students
                                    : class_rules(v.vehicle_class).speed;
        cap.road.expressway_kmh = std::min(cap.road.expressway_kmh, sl.expressway_kmh);
        cap.road.elsewhere_kmh = std::min(cap.road.elsewhere_kmh, sl.elsewhere_kmh);
        if (t.driver_id)
            if (const Driver* d = driver(*t.driver_id); d)
                for (const Pledge& p : d->pledges)
                    if (p.max_speed_kmh)
                        cap.pledge_kmh = std::min(cap.pledge_kmh.value_or(1e9), *p.max_speed_kmh);
    }
}

const Vehicle& Shared::vehicle(VehicleId id) const {
    const auto it = vehicles.find(id);
    return it == vehicles.end() ? unknown_vehicle : *it->second;
}

const Driver* Shared::driver(DriverId id) const {
    const auto it = drivers.find(id);
    return it == drivers.end() ? nullptr : it->second;
}

const ClassRules& Shared::class_rules(VehicleClass c) const {
    const auto it = config.classes.find(c);
    if (it != config.classes.end()) return it->second;
    static const ClassRules kDefault{};
    return kDefault;
}

const Pledge* Shared::pledge_at(const Driver* d, Timestamp t) const {
    if (!d) return nullptr;
    const Pledge* best = nullptr;
    for (const Pledge& p : d->pledges) {
        if (t < p.valid_from || (p.valid_to && t >= *p.valid_to)) continue;
        if (!best || p.version > best->version) best = &p;
    }
    return best;
}

}  // namespace detail
}  // namespace fleetwatch::rules
