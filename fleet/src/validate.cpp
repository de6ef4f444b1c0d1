// Checks across rows and sections. Rows with an empty key were already reported by the reader
// and are skipped here so one mistake gives one message.
#include <map>
#include <set>

#include "parse.hpp"

namespace fleetwatch::fleet::detail {
namespace {

std::string at(const char* section, std::size_t i) {
    return std::string(section) + "[" + std::to_string(i) + "]";
}

// Remembers the first row of each key and reports later repeats at their field's line.
class UniqueKeys {
  public:
    UniqueKeys(Reader& reader, const char* section, const char* what)
        : reader_(reader), section_(section), what_(what) {}

    // `field` is the key's field name inside the row, e.g. "plate".
    void add(const std::string& key, std::size_t index, const char* field, int row_line,
             const std::string& shown_key) {
        if (key.empty()) return;
        const std::string path = at(section_, index) + "." + field;
        const int line = reader_.line(path, row_line);
        const auto [it, inserted] = first_.emplace(key, std::pair{index, line});
        if (!inserted) {
            reader_.problem(line, path,
                            what_ + " \"" + shown_key + "\" is already defined by " +
                                at(section_, it->second.first) + " (line " +
                                std::to_string(it->second.second) + ")");
        }
    }

    void add(const std::string& key, std::size_t index, const char* field, int row_line) {
        add(key, index, field, row_line, key);
    }

    bool contains(const std::string& key) const { return first_.count(key) != 0; }
    std::size_t index_of(const std::string& key) const { return first_.at(key).first; }

  private:
    Reader& reader_;
    const char* section_;
    std::string what_;
    std::map<std::string, std::pair<std::size_t, int>> first_;
};

// Reports `path` when `key` is not among `keys`.
void reference(Reader& reader, const UniqueKeys& keys, const std::string& key,
               const std::string& path, int row_line, const std::string& what) {
    if (key.empty() || keys.contains(key)) return;
    reader.problem(reader.line(path, row_line), path,
                   "no " + what + " \"" + key + "\" in this file");
}

}  // namespace

void validate_fleet(Reader& reader, const Fleet& fleet) {
    UniqueKeys plates(reader, "vehicles", "plate");
    UniqueKeys phones(reader, "vehicles", "terminal phone");
    for (std::size_t i = 0; i < fleet.vehicles.size(); ++i) {
        const Vehicle& v = fleet.vehicles[i];
        plates.add(v.plate, i, "plate", v.line);
        if (!v.terminal_phone.empty()) {
            phones.add(phone_key(v.terminal_phone), i, "terminal_phone", v.line, v.terminal_phone);
        }
    }

    UniqueKeys licenses(reader, "drivers", "license_no");
    UniqueKeys certificates(reader, "drivers", "certificate_no");
    UniqueKeys ic_cards(reader, "drivers", "ic_card_no");
    for (std::size_t i = 0; i < fleet.drivers.size(); ++i) {
        const Driver& d = fleet.drivers[i];
        licenses.add(d.license_no, i, "license_no", d.line);
        certificates.add(d.certificate_no, i, "certificate_no", d.line);
        ic_cards.add(d.ic_card_no, i, "ic_card_no", d.line);
    }

    UniqueKeys routes(reader, "routes", "route");
    for (std::size_t i = 0; i < fleet.routes.size(); ++i) {
        routes.add(fleet.routes[i].name, i, "name", fleet.routes[i].line);
    }
    UniqueKeys zones(reader, "zones", "zone");
    for (std::size_t i = 0; i < fleet.zones.size(); ++i) {
        zones.add(fleet.zones[i].name, i, "name", fleet.zones[i].line);
    }
    UniqueKeys convoys(reader, "convoys", "convoy");
    for (std::size_t i = 0; i < fleet.convoys.size(); ++i) {
        convoys.add(fleet.convoys[i].name, i, "name", fleet.convoys[i].line);
    }

    // Trips: references, natural key (vehicle, route, planned_start), one route per convoy.
    UniqueKeys trip_keys(reader, "trips", "trip");
    std::set<std::string> school_bus_drivers;
    std::map<std::string, std::pair<std::string, std::size_t>>
        convoy_route;  // convoy -> (route, trip)
    for (std::size_t i = 0; i < fleet.trips.size(); ++i) {
        const Trip& t = fleet.trips[i];
        const std::string row = at("trips", i);
        reference(reader, plates, t.vehicle_plate, row + ".vehicle", t.line, "vehicle with plate");
        reference(reader, licenses, t.driver_license_no, row + ".driver", t.line,
                  "driver with license_no");
        reference(reader, routes, t.route_name, row + ".route", t.line, "route");
        if (t.convoy_name)
            reference(reader, convoys, *t.convoy_name, row + ".convoy", t.line, "convoy");
        if (!t.vehicle_plate.empty() && !t.route_name.empty() && !t.planned_start.empty()) {
            trip_keys.add(t.vehicle_plate + '\n' + t.route_name + '\n' + t.planned_start, i,
                          "planned_start", t.line,
                          t.vehicle_plate + " on " + t.route_name + " at " + t.planned_start);
        }
        if (plates.contains(t.vehicle_plate) &&
            fleet.vehicles[plates.index_of(t.vehicle_plate)].vehicle_class ==
                VehicleClass::school_bus) {
            school_bus_drivers.insert(t.driver_license_no);
        }
        if (t.convoy_name && !t.convoy_name->empty() && !t.route_name.empty()) {
            const auto [it, first] =
                convoy_route.emplace(*t.convoy_name, std::pair{t.route_name, i});
            if (!first && it->second.first != t.route_name) {
                const std::string path = row + ".route";
                reader.problem(reader.line(path, t.line), path,
                               "convoy \"" + *t.convoy_name + "\" already runs on route \"" +
                                   it->second.first + "\" (" + at("trips", it->second.second) +
                                   "); a convoy's trips share one route");
            }
        }
    }

    // Pledges: driver reference, (driver, version) unique, the law.
    UniqueKeys pledge_keys(reader, "pledges", "pledge");
    for (std::size_t i = 0; i < fleet.pledges.size(); ++i) {
        const Pledge& p = fleet.pledges[i];
        const std::string row = at("pledges", i);
        reference(reader, licenses, p.driver_license_no, row + ".driver", p.line,
                  "driver with license_no");
        if (!p.driver_license_no.empty()) {
            pledge_keys.add(
                p.driver_license_no + '\n' + std::to_string(p.version), i, "version", p.line,
                "version " + std::to_string(p.version) + " of driver " + p.driver_license_no);
        }
        for (FleetProblem& problem :
             check_pledge_against_law(p, school_bus_drivers.count(p.driver_license_no) != 0)) {
            const std::string path = row + "." + problem.field;
            reader.problem(reader.line(path, p.line), path, std::move(problem.message));
        }
    }

    if (fleet.simulation) {
        for (std::size_t i = 0; i < fleet.simulation->terminals.size(); ++i) {
            const SimulatedTerminal& t = fleet.simulation->terminals[i];
            const std::string row = "simulation." + at("terminals", i);
            const int line = reader.line(row, 0);
            reference(reader, plates, t.vehicle_plate, row + ".vehicle", line,
                      "vehicle with plate");
            reference(reader, routes, t.route_name, row + ".route", line, "route");
            if (t.card)
                reference(reader, licenses, *t.card, row + ".card", line, "driver with license_no");
        }
    }
}

}  // namespace fleetwatch::fleet::detail
