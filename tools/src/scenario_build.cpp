// Scenario mode, the parts without I/O: terminals from the fleet file, the text collector.
#include <algorithm>
#include <map>

#include "fleetwatch/sim/scenario.hpp"

namespace fleetwatch::sim {
namespace {

Misbehaviour::Kind kind_of(fleet::Misbehaviour::Kind k) noexcept {
    switch (k) {
        case fleet::Misbehaviour::Kind::speeding: return Misbehaviour::Kind::speeding;
        case fleet::Misbehaviour::Kind::leave_route: return Misbehaviour::Kind::leave_route;
        case fleet::Misbehaviour::Kind::no_rest: return Misbehaviour::Kind::no_rest;
        case fleet::Misbehaviour::Kind::silent: return Misbehaviour::Kind::silent;
        case fleet::Misbehaviour::Kind::blind_zone: return Misbehaviour::Kind::blind_zone;
    }
    return Misbehaviour::Kind::speeding;
}

// FNV-1a of the phone: a stable per-terminal seed for the speed wobble.
std::uint32_t seed_of(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (const char c : s) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 16777619u;
    }
    return h;
}

}  // namespace

BuildResult build_terminals(const fleet::Fleet& fleet, const BuildOptions& options) {
    BuildResult out;
    if (!fleet.simulation) {
        out.problems.emplace_back("the fleet file has no simulation: section");
        return out;
    }
    const fleet::Simulation& sim = *fleet.simulation;
    for (const std::string& plate : options.only_plates) {
        const bool found = std::any_of(sim.terminals.begin(), sim.terminals.end(),
                                       [&](const fleet::SimulatedTerminal& t) { return t.vehicle_plate == plate; });
        if (!found) out.problems.push_back("--only " + plate + ": no simulated terminal drives that vehicle");
    }
    std::map<std::string, std::shared_ptr<const RoutePath>> paths;
    for (std::size_t i = 0; i < sim.terminals.size(); ++i) {
        const fleet::SimulatedTerminal& t = sim.terminals[i];
        const std::string where = "simulation.terminals[" + std::to_string(i) + "]";
        if (!options.only_plates.empty() &&
            std::find(options.only_plates.begin(), options.only_plates.end(), t.vehicle_plate) ==
                options.only_plates.end()) {
            continue;
        }
        const auto vehicle = std::find_if(fleet.vehicles.begin(), fleet.vehicles.end(),
                                          [&](const fleet::Vehicle& v) { return v.plate == t.vehicle_plate; });
        if (vehicle == fleet.vehicles.end()) {
            out.problems.push_back(where + ".vehicle: no vehicle \"" + t.vehicle_plate + "\"");
            continue;
        }
        const auto route = std::find_if(fleet.routes.begin(), fleet.routes.end(),
                                        [&](const fleet::Route& r) { return r.name == t.route_name; });
        if (route == fleet.routes.end()) {
            out.problems.push_back(where + ".route: no route \"" + t.route_name + "\"");
            continue;
        }
        const std::string protocol = t.protocol.value_or(sim.protocol);
        const auto dialect = parse_dialect(protocol);
        if (!dialect) {
            out.problems.push_back(where + ".protocol: \"" + protocol + "\" is not 2013 or 2019");
            continue;
        }
        auto identity = TerminalIdentity::make(vehicle->terminal_phone, vehicle->plate, vehicle->plate_color, *dialect);
        if (!identity) {
            out.problems.push_back(where + ": vehicle " + vehicle->plate + " has no usable terminal_phone (\"" +
                                   vehicle->terminal_phone + "\")");
            continue;
        }
        auto& path = paths[route->name];
        if (!path) {
            try {
                path = std::make_shared<const RoutePath>(RoutePath::from_geo_points(route->points));
            } catch (const std::invalid_argument& e) {
                out.problems.push_back(where + ".route: " + route->name + ": " + e.what());
                continue;
            }
        }
        TerminalSpec spec{std::move(*identity), path, route->name, {}, std::nullopt};
        spec.drive.cruise_kmh = t.speed_kmh;
        spec.drive.loop = t.loop;
        spec.drive.start_delay_s = t.start_delay_s;
        spec.drive.end_stop_s = options.end_stop_s;
        spec.drive.noise = options.noise;
        spec.drive.seed = seed_of(spec.identity.phone_key);
        for (const fleet::Misbehaviour& m : t.misbehaviour) {
            Misbehaviour w;
            w.kind = kind_of(m.kind);
            w.start_s = m.after_min * 60.0;
            w.end_s = w.start_s + m.for_min * 60.0;
            w.speed_kmh = m.speed_kmh.value_or(0);
            w.offset_m = m.offset_m.value_or(0);
            spec.drive.misbehaviour.push_back(w);
        }
        if (t.card) {
            const auto driver = std::find_if(fleet.drivers.begin(), fleet.drivers.end(),
                                             [&](const fleet::Driver& d) { return d.license_no == *t.card; });
            if (driver == fleet.drivers.end()) {
                out.problems.push_back(where + ".card: no driver with license_no \"" + *t.card + "\"");
                continue;
            }
            spec.card = DriverCard{driver->name, driver->certificate_no, driver->license_no};
        }
        out.terminals.push_back(std::move(spec));
    }
    return out;
}

void TextCollector::add(TextReceived text) {
    {
        const std::lock_guard lock(mu_);
        texts_.push_back(std::move(text));
    }
    cv_.notify_all();
}

std::vector<TextReceived> TextCollector::all() const {
    const std::lock_guard lock(mu_);
    return texts_;
}

std::optional<TextReceived> TextCollector::wait_for(std::string_view plate, std::string_view needle,
                                                    std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    std::optional<TextReceived> found;
    cv_.wait_for(lock, timeout, [&] {
        for (const TextReceived& t : texts_) {
            if (t.plate == plate && (needle.empty() || t.text.find(needle) != std::string::npos)) {
                found = t;
                return true;
            }
        }
        return false;
    });
    return found;
}

}  // namespace fleetwatch::sim
