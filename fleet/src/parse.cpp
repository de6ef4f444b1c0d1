#include "parse.hpp"

#include <cctype>
#include <string_view>
#include <tuple>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/geo/china_datum.hpp"

namespace fleetwatch::fleet::detail {
namespace {

// Calls `row(object, index)` for each mapping in the sequence `key` of `parent`; a row that is
// not a mapping is reported and still counted (`row` gets nullptr) so indexes stay aligned.
template <typename Row>
void each_row(Reader& reader, Object& parent, const char* key, Row row) {
    const YAML::Node seq = parent.node(key);
    if (!seq.IsDefined() || seq.IsNull()) return;
    if (!seq.IsSequence()) {
        reader.problem(Reader::line_of(seq, parent.line()), key, "expected a list");
        return;
    }
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const YAML::Node item = seq[i];
        const int line = Reader::line_of(item, Reader::line_of(seq, parent.line()));
        const std::string path = parent.path_of(key) + "[" + std::to_string(i) + "]";
        if (!item.IsMap()) {
            reader.problem(line, path, "expected a mapping (key: value lines)");
            row(nullptr, line);
            continue;
        }
        Object object(reader, item, path, line);
        row(&object, line);
        object.finish();
    }
}

std::optional<geo::Datum> read_crs(Object& o) {
    const auto text = o.text("crs", Need::required);
    if (!text) return std::nullopt;
    const auto datum = geo::parse_datum(*text);
    if (!datum) {
        o.problem("crs", "\"" + *text + "\" is not a coordinate system; use wgs84, gcj02 or bd09");
    }
    return datum;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Times and dates

std::optional<TripTime> parse_trip_time(const std::string& text) {
    if (auto clock = core::parse_clock(text)) return TripTime{true, *clock, 0, false};
    const auto t = core::parse_date_time(text);
    if (!t) return std::nullopt;
    TripTime out;
    out.daily = false;
    out.has_offset = t->offset.has_value();
    out.seconds = core::to_timestamp(t->civil, t->offset.value_or(std::chrono::seconds{0}))
                      .time_since_epoch()
                      .count();
    return out;
}

// ---------------------------------------------------------------------------------------------
// Coordinates: [lon, lat] in the object's crs -> WGS-84 GeoPoint

namespace {

std::optional<geo::LatLon> read_lon_lat(Reader& reader, const YAML::Node& n,
                                        const std::string& path, int fallback_line) {
    const int line = Reader::line_of(n, fallback_line);
    if (!n.IsSequence() || n.size() != 2 || !n[0].IsScalar() || !n[1].IsScalar()) {
        reader.problem(line, path, "expected a point [lon, lat]");
        return std::nullopt;
    }
    const auto lon = parse_number(n[0].Scalar());
    const auto lat = parse_number(n[1].Scalar());
    if (!lon || !lat) {
        reader.problem(line, path, "expected two numbers [lon, lat]");
        return std::nullopt;
    }
    if (*lon < -180 || *lon > 180) {
        reader.problem(
            line, path,
            "longitude " + n[0].Scalar() + " is out of range [-180, 180] (points are [lon, lat])");
        return std::nullopt;
    }
    if (*lat < -90 || *lat > 90) {
        reader.problem(
            line, path,
            "latitude " + n[1].Scalar() + " is out of range [-90, 90] (points are [lon, lat])");
        return std::nullopt;
    }
    return geo::LatLon{*lat, *lon};
}

Crs to_crs(geo::Datum d) {
    switch (d) {
        case geo::Datum::wgs84:
            return Crs::wgs84;
        case geo::Datum::gcj02:
            return Crs::gcj02;
        case geo::Datum::bd09:
            return Crs::bd09;
    }
    return Crs::wgs84;
}

GeoPoint to_wgs84(geo::LatLon p, geo::Datum datum) {
    return geo::to_geo_point(geo::convert(p, datum, geo::Datum::wgs84));
}

// A list of [lon, lat]; returns the points as written (not converted) and whether all were good.
std::optional<std::vector<geo::LatLon>> read_point_list(Object& o, const char* key) {
    const YAML::Node seq = o.node(key);
    if (!seq.IsDefined() || seq.IsNull()) return std::nullopt;
    if (!seq.IsSequence()) {
        o.problem(key, "expected a list of [lon, lat] points");
        return std::nullopt;
    }
    std::vector<geo::LatLon> points;
    bool ok = true;
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const auto p = read_lon_lat(o.reader(), seq[i],
                                    o.path_of(key) + "[" + std::to_string(i) + "]", o.line_of(key));
        if (p) points.push_back(*p);
        ok = ok && p.has_value();
    }
    if (!ok) return std::nullopt;
    return points;
}

std::optional<int> to_int(std::optional<long long> v) {
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

// ---------------------------------------------------------------------------------------------
// Sections

Vehicle read_vehicle(Object& o) {
    Vehicle v;
    v.line = o.line();
    v.plate = o.text("plate", Need::required).value_or("");
    if (auto color = o.integer("plate_color", Need::required, 0, 255)) {
        // JT/T 697.7 / JT/T 808-2019: 0 unplated, 1 blue, 2 yellow, 3 black, 4 white, 5 green, 9
        // other.
        if (*color > 5 && *color != 9) {
            o.problem("plate_color",
                      std::to_string(*color) +
                          " is not a plate colour (0 none, 1 blue, 2 yellow, 3 black, "
                          "4 white, 5 green, 9 other)");
        }
        v.plate_color = static_cast<std::uint8_t>(*color);
    }
    if (auto cls = o.text("class", Need::required)) {
        static constexpr std::pair<std::string_view, VehicleClass> kClasses[] = {
            {"school_bus", VehicleClass::school_bus},
            {"bus", VehicleClass::bus},
            {"car", VehicleClass::car},
            {"truck", VehicleClass::truck},
            {"other", VehicleClass::other}};
        bool found = false;
        for (const auto& [name, value] : kClasses) {
            if (*cls == name) {
                v.vehicle_class = value;
                found = true;
            }
        }
        if (!found) {
            o.problem("class", "\"" + *cls +
                                   "\" is not a vehicle class; use school_bus, bus, car, "
                                   "truck or other");
        }
    }
    if (auto phone = o.text("terminal_phone", Need::optional)) {
        const bool digits =
            !phone->empty() && phone->find_first_not_of("0123456789") == std::string::npos;
        if (!digits || phone->size() > 20) {
            o.problem("terminal_phone",
                      "\"" + *phone + "\" is not a terminal phone number (1 to 20 digits)");
        } else {
            v.terminal_phone = *phone;
        }
    }
    v.requires_card = o.boolean("requires_card", Need::optional).value_or(false);
    return v;
}

Driver read_driver(Object& o) {
    Driver d;
    d.line = o.line();
    d.name = o.text("name", Need::required).value_or("");
    d.license_no = o.text("license_no", Need::required).value_or("");
    d.ic_card_no = o.text("ic_card_no", Need::optional).value_or("");
    d.certificate_no = o.text("certificate_no", Need::optional).value_or("");
    return d;
}

std::string read_date(Object& o, const char* key, Need need) {
    const auto text = o.text(key, need);
    if (!text) return {};
    if (!core::parse_date(*text)) {
        o.problem(key, "\"" + *text + "\" is not a date (YYYY-MM-DD)");
        return {};
    }
    return *text;
}

std::vector<TimeWindow> read_windows(Object& o, const char* key) {
    std::vector<TimeWindow> windows;
    const YAML::Node seq = o.node(key);
    if (!seq.IsDefined() || seq.IsNull()) return windows;
    if (!seq.IsSequence()) {
        o.problem(key, "expected a list of \"HH:MM-HH:MM\" windows");
        return windows;
    }
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const std::string path = o.path_of(key) + "[" + std::to_string(i) + "]";
        const int line = Reader::line_of(seq[i], o.line_of(key));
        const std::string text = seq[i].IsScalar() ? seq[i].Scalar() : std::string();
        const auto dash = text.find('-');
        const auto start = dash == 5 ? core::parse_clock(text.substr(0, 5)) : std::nullopt;
        const auto end = dash == 5 ? core::parse_clock(text.substr(6), true) : std::nullopt;
        if (!start || !end) {
            o.reader().problem(line, path,
                               "\"" + text + "\" is not a window \"HH:MM-HH:MM\" (local time)");
            continue;
        }
        if (*start == *end % (24 * 60)) {
            o.reader().problem(line, path, "\"" + text + "\" is empty or the whole day");
            continue;
        }
        windows.push_back(TimeWindow{*start, *end});
    }
    return windows;
}

Pledge read_pledge(Object& o) {
    Pledge p;
    p.line = o.line();
    p.driver_license_no = o.text("driver", Need::required).value_or("");
    p.version = to_int(o.integer("version", Need::required, 1, 1'000'000)).value_or(1);
    // Range checks here are for sanity; the law check (looser than the law) runs in validate.
    p.max_speed_kmh = to_int(o.integer("max_speed_kmh", Need::optional, -1000, 1000));
    p.max_continuous_driving_min =
        to_int(o.integer("max_continuous_driving_min", Need::optional, -100000, 100000));
    p.night_max_continuous_min =
        to_int(o.integer("night_max_continuous_min", Need::optional, -100000, 100000));
    p.min_rest_min = to_int(o.integer("min_rest_min", Need::optional, -100000, 100000));
    p.max_daily_driving_min =
        to_int(o.integer("max_daily_driving_min", Need::optional, -100000, 100000));
    p.forbidden_hours = read_windows(o, "forbidden_hours");
    p.max_route_deviation_m = to_int(o.integer("max_route_deviation_m", Need::optional, 1, 100000));
    p.signed_on = read_date(o, "signed_on", Need::required);
    p.valid_from = read_date(o, "valid_from", Need::required);
    p.valid_to = read_date(o, "valid_to", Need::optional);
    if (!p.valid_from.empty() && !p.valid_to.empty() && p.valid_to < p.valid_from) {
        o.problem("valid_to", p.valid_to + " is before valid_from " + p.valid_from);
    }
    return p;
}

Route read_route(Object& o) {
    Route r;
    r.line = o.line();
    r.name = o.text("name", Need::required).value_or("");
    const auto datum = read_crs(o);
    r.corridor_m = to_int(o.integer("corridor_m", Need::optional, 1, 10000)).value_or(50);
    r.speed_limit_kmh = to_int(o.integer("speed_limit_kmh", Need::optional, 1, 120));
    const auto points = read_point_list(o, "points");
    if (!o.present("points")) {
        o.problem("points", "required field is missing");
    } else if (points && points->size() < 2) {
        o.problem("points", "a route needs at least 2 points");
    } else if (points && datum) {
        r.source_crs = to_crs(*datum);
        for (const auto& p : *points) r.points.push_back(to_wgs84(p, *datum));
    }
    return r;
}

Zone read_zone(Object& o) {
    Zone z;
    z.line = o.line();
    z.name = o.text("name", Need::required).value_or("");
    if (auto kind = o.text("kind", Need::required)) {
        if (*kind == "campus")
            z.kind = ZoneKind::campus;
        else if (*kind == "expressway")
            z.kind = ZoneKind::expressway;
        else if (*kind == "other")
            z.kind = ZoneKind::other;
        else
            o.problem("kind",
                      "\"" + *kind + "\" is not a zone kind; use campus, expressway or other");
    }
    const auto datum = read_crs(o);
    if (datum) z.source_crs = to_crs(*datum);
    z.speed_limit_kmh = to_int(o.integer("speed_limit_kmh", Need::optional, 1, 120));
    const bool has_polygon = o.present("polygon");
    const bool has_circle = o.present("circle");
    if (has_polygon == has_circle) {
        o.problem(
            has_polygon ? "circle" : "polygon",
            "a zone needs exactly one of polygon: [[lon, lat], ...] or circle: {center, radius_m}");
        return z;
    }
    if (has_polygon) {
        const auto ring = read_point_list(o, "polygon");
        if (!ring) return z;
        if (ring->size() < 4) {
            o.problem("polygon",
                      "a polygon needs at least 4 points (3 corners and the first again)");
        } else if (!(ring->front() == ring->back())) {
            o.problem("polygon", "the ring is not closed: the last point must repeat the first");
        } else if (datum) {
            Polygon polygon;
            for (const auto& p : *ring) polygon.push_back(to_wgs84(p, *datum));
            z.shape = std::move(polygon);
        }
        return z;
    }
    const YAML::Node circle_node = o.node("circle");
    if (!circle_node.IsMap()) {
        o.problem("circle", "expected {center: [lon, lat], radius_m: N}");
        return z;
    }
    Object circle(o.reader(), circle_node, o.path_of("circle"), o.line_of("circle"));
    const YAML::Node center_node = circle.node("center");
    std::optional<geo::LatLon> center;
    if (!center_node.IsDefined() || center_node.IsNull()) {
        circle.problem("center", "required field is missing");
    } else {
        center = read_lon_lat(o.reader(), center_node, circle.path_of("center"),
                              circle.line_of("center"));
    }
    const auto radius = circle.number("radius_m", Need::required, 1, 100000);
    circle.finish();
    if (center && radius && datum) z.shape = Circle{to_wgs84(*center, *datum), *radius};
    return z;
}

Convoy read_convoy(Object& o) {
    Convoy c;
    c.line = o.line();
    c.name = o.text("name", Need::required).value_or("");
    c.leader_username = o.text("leader_username", Need::required).value_or("");
    c.max_gap_m = to_int(o.integer("max_gap_m", Need::optional, 1, 1'000'000)).value_or(3000);
    return c;
}

Trip read_trip(Object& o) {
    Trip t;
    t.line = o.line();
    t.vehicle_plate = o.text("vehicle", Need::required).value_or("");
    t.driver_license_no = o.text("driver", Need::required).value_or("");
    t.route_name = o.text("route", Need::required).value_or("");
    t.convoy_name = o.text("convoy", Need::optional);
    std::optional<TripTime> start;
    std::optional<TripTime> end;
    for (const auto& [key, out, time] : {std::tuple{"planned_start", &t.planned_start, &start},
                                         std::tuple{"planned_end", &t.planned_end, &end}}) {
        if (auto text = o.text(key, Need::required)) {
            *time = parse_trip_time(*text);
            if (*time) {
                *out = *text;
            } else {
                o.problem(key,
                          "\"" + *text + "\" is neither HH:MM (every day) nor an RFC 3339 time");
            }
        }
    }
    if (start && end) {
        if (start->daily != end->daily) {
            o.problem("planned_end",
                      "planned_start and planned_end must both be HH:MM or both be date-times");
        } else if (start->daily && start->minutes == end->minutes) {
            o.problem("planned_end", "a daily trip cannot end when it starts");
        } else if (!start->daily && start->has_offset == end->has_offset &&
                   end->seconds <= start->seconds) {
            o.problem("planned_end",
                      t.planned_end + " is not after planned_start " + t.planned_start);
        }
    }
    t.students_aboard = o.boolean("students_aboard", Need::optional).value_or(false);
    return t;
}

std::optional<std::string> read_protocol(Object& o) {
    auto protocol = o.text("protocol", Need::optional);
    if (protocol && *protocol != "2013" && *protocol != "2019") {
        o.problem(
            "protocol",
            "\"" + *protocol +
                "\" is not a protocol edition the simulator speaks; use \"2013\" or \"2019\"");
        return std::nullopt;
    }
    return protocol;
}

Misbehaviour read_misbehaviour(Object& o) {
    Misbehaviour m;
    if (auto kind = o.text("kind", Need::required)) {
        static constexpr std::pair<std::string_view, Misbehaviour::Kind> kKinds[] = {
            {"speeding", Misbehaviour::Kind::speeding},
            {"leave_route", Misbehaviour::Kind::leave_route},
            {"no_rest", Misbehaviour::Kind::no_rest},
            {"silent", Misbehaviour::Kind::silent},
            {"blind_zone", Misbehaviour::Kind::blind_zone}};
        bool found = false;
        for (const auto& [name, value] : kKinds) {
            if (*kind == name) {
                m.kind = value;
                found = true;
            }
        }
        if (!found) {
            o.problem("kind", "\"" + *kind +
                                  "\" is not a misbehaviour; use speeding, leave_route, "
                                  "no_rest, silent or blind_zone");
        }
    }
    m.after_min = o.number("after_min", Need::optional, 0, 100000).value_or(0);
    m.for_min = o.number("for_min", Need::required, 0.01, 100000).value_or(0);
    m.speed_kmh = o.number("speed_kmh", Need::optional, 1, 300);
    m.offset_m = o.number("offset_m", Need::optional, 1, 100000);
    if (m.kind == Misbehaviour::Kind::speeding && !m.speed_kmh) {
        if (!o.present("speed_kmh")) o.problem("speed_kmh", "required for speeding");
    }
    if (m.kind == Misbehaviour::Kind::leave_route && !m.offset_m) {
        if (!o.present("offset_m")) o.problem("offset_m", "required for leave_route");
    }
    return m;
}

SimulatedTerminal read_simulated_terminal(Object& o) {
    SimulatedTerminal t;
    t.vehicle_plate = o.text("vehicle", Need::required).value_or("");
    t.route_name = o.text("route", Need::required).value_or("");
    t.speed_kmh = o.number("speed_kmh", Need::optional, 1, 200).value_or(30);
    t.loop = o.boolean("loop", Need::optional).value_or(false);
    t.protocol = read_protocol(o);
    t.card = o.text("card", Need::optional);
    t.start_delay_s = o.number("start_delay_s", Need::optional, 0, 1e6).value_or(0);
    each_row(o.reader(), o, "misbehaviour", [&](Object* row, int) {
        t.misbehaviour.push_back(row ? read_misbehaviour(*row) : Misbehaviour{});
    });
    return t;
}

Simulation read_simulation(Object& o) {
    Simulation s;
    s.protocol = read_protocol(o).value_or("2013");
    s.report_interval_s = o.number("report_interval_s", Need::optional, 0.1, 3600).value_or(10);
    s.time_scale = o.number("time_scale", Need::optional, 0.001, 100000).value_or(1);
    each_row(o.reader(), o, "terminals", [&](Object* row, int) {
        s.terminals.push_back(row ? read_simulated_terminal(*row) : SimulatedTerminal{});
    });
    return s;
}

}  // namespace

void read_fleet(Reader& reader, const YAML::Node& root, Fleet& fleet) {
    if (!root.IsMap()) {
        reader.problem(Reader::line_of(root, 1), "",
                       "the fleet file must be a mapping (version:, vehicles:, ...)");
        return;
    }
    Object top(reader, root, "", 1);
    if (auto version = top.integer("version", Need::optional, 0, 1000)) {
        if (*version != 1)
            top.problem("version", "unsupported version " + std::to_string(*version) +
                                       "; this fleetwatch reads version 1");
        fleet.version = static_cast<int>(*version);
    }
    if (auto tz = top.text("timezone", Need::optional)) {
        const bool plausible =
            !tz->empty() &&
            tz->find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") ==
                std::string::npos;
        if (!plausible)
            top.problem("timezone", "\"" + *tz + "\" is not a time zone name (e.g. Asia/Shanghai)");
        else
            fleet.timezone = *tz;
        fleet.timezone_line = top.line_of("timezone");
    }
    each_row(reader, top, "vehicles", [&](Object* o, int line) {
        Vehicle v;
        v.line = line;
        fleet.vehicles.push_back(o ? read_vehicle(*o) : v);
    });
    each_row(reader, top, "drivers", [&](Object* o, int line) {
        Driver d;
        d.line = line;
        fleet.drivers.push_back(o ? read_driver(*o) : d);
    });
    each_row(reader, top, "pledges", [&](Object* o, int line) {
        Pledge p;
        p.line = line;
        fleet.pledges.push_back(o ? read_pledge(*o) : p);
    });
    each_row(reader, top, "routes", [&](Object* o, int line) {
        Route r;
        r.line = line;
        fleet.routes.push_back(o ? read_route(*o) : r);
    });
    each_row(reader, top, "zones", [&](Object* o, int line) {
        Zone z;
        z.line = line;
        fleet.zones.push_back(o ? read_zone(*o) : z);
    });
    each_row(reader, top, "convoys", [&](Object* o, int line) {
        Convoy c;
        c.line = line;
        fleet.convoys.push_back(o ? read_convoy(*o) : c);
    });
    each_row(reader, top, "trips", [&](Object* o, int line) {
        Trip t;
        t.line = line;
        fleet.trips.push_back(o ? read_trip(*o) : t);
    });
    const YAML::Node sim = top.node("simulation");
    if (sim.IsDefined() && !sim.IsNull()) {
        if (!sim.IsMap()) {
            top.problem("simulation", "expected a mapping");
        } else {
            Object o(reader, sim, "simulation", top.line_of("simulation"));
            fleet.simulation = read_simulation(o);
            o.finish();
        }
    }
    top.finish();
}

}  // namespace fleetwatch::fleet::detail
