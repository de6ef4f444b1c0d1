#include <gtest/gtest.h>

#include <algorithm>

#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/geo/china_datum.hpp"
#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::fleet {
namespace {

const std::string kDemo = std::string(FLEETWATCH_SOURCE_DIR) + "/deploy/demo-fleet.yaml";

std::string all(const std::vector<FleetProblem>& problems) {
    std::string s;
    for (const auto& p : problems) s += p.to_string() + "\n";
    return s;
}

const Route& route_named(const Fleet& f, const std::string& name) {
    const auto it = std::find_if(f.routes.begin(), f.routes.end(),
                                 [&](const Route& r) { return r.name == name; });
    EXPECT_NE(it, f.routes.end()) << name;
    return *it;
}

TEST(FleetFile, TheDemoFleetParsesWithoutProblems) {
    const FleetParseResult r = parse_fleet_file(kDemo);
    ASSERT_TRUE(r.problems.empty()) << all(r.problems);
    ASSERT_TRUE(r.fleet.has_value());
    const Fleet& f = *r.fleet;
    EXPECT_EQ(f.version, 1);
    EXPECT_EQ(f.timezone, "Asia/Shanghai");
    EXPECT_EQ(f.vehicles.size(), 6u);
    EXPECT_EQ(f.drivers.size(), 6u);
    EXPECT_EQ(f.pledges.size(), 2u);
    EXPECT_EQ(f.routes.size(), 4u);
    EXPECT_EQ(f.zones.size(), 2u);
    EXPECT_EQ(f.convoys.size(), 1u);
    EXPECT_EQ(f.trips.size(), 6u);
    ASSERT_TRUE(f.simulation.has_value());
    EXPECT_EQ(f.simulation->terminals.size(), 6u);
}

TEST(FleetFile, TheDemoFleetKeepsEveryFieldAndItsLine) {
    const Fleet f = *parse_fleet_file(kDemo).fleet;
    const Vehicle& bus = f.vehicles[2];
    EXPECT_EQ(bus.plate, "苏AS0201");
    EXPECT_EQ(bus.plate_color, 2);
    EXPECT_EQ(bus.vehicle_class, VehicleClass::school_bus);
    EXPECT_EQ(bus.terminal_phone, "013900000201");
    EXPECT_EQ(phone_key(bus.terminal_phone), "13900000201");
    EXPECT_TRUE(bus.requires_card);
    EXPECT_GT(bus.line, 1);

    EXPECT_EQ(f.drivers[0].certificate_no, "QC320100000001");
    const Pledge& p = f.pledges[1];
    EXPECT_EQ(p.driver_license_no, "320102197512030043");
    EXPECT_EQ(p.max_speed_kmh, 50);
    EXPECT_EQ(p.night_max_continuous_min, 90);
    ASSERT_EQ(p.forbidden_hours.size(), 2u);
    EXPECT_EQ(p.forbidden_hours[0].start_min, 120);
    EXPECT_EQ(p.forbidden_hours[0].end_min, 300);
    EXPECT_EQ(p.forbidden_hours[1].start_min, 22 * 60);
    EXPECT_EQ(p.forbidden_hours[1].end_min, 24 * 60);
    EXPECT_EQ(p.valid_to, "2027-02-28");

    ASSERT_TRUE(std::holds_alternative<Circle>(f.zones[1].shape));
    EXPECT_EQ(std::get<Circle>(f.zones[1].shape).radius_m, 600);
    ASSERT_TRUE(std::holds_alternative<Polygon>(f.zones[0].shape));
    EXPECT_EQ(std::get<Polygon>(f.zones[0].shape).size(), 5u);
    EXPECT_EQ(f.zones[0].kind, ZoneKind::campus);

    EXPECT_EQ(f.trips[3].convoy_name, "生物学野外实习");
    EXPECT_EQ(f.trips[0].convoy_name, std::nullopt);
    EXPECT_EQ(f.trips[0].planned_start, "07:00");
    EXPECT_TRUE(f.trips[0].students_aboard);

    const Simulation& sim = *f.simulation;
    EXPECT_EQ(sim.protocol, "2013");
    EXPECT_EQ(sim.terminals[2].protocol, "2019");
    EXPECT_EQ(sim.terminals[2].card, "320102197512030043");
    ASSERT_EQ(sim.terminals[5].misbehaviour.size(), 3u);
    EXPECT_EQ(sim.terminals[5].misbehaviour[0].kind, Misbehaviour::Kind::leave_route);
    EXPECT_EQ(sim.terminals[5].misbehaviour[0].offset_m, 400);
    EXPECT_EQ(sim.terminals[1].misbehaviour[0].speed_kmh, 75);
}

TEST(FleetFile, AWgs84RouteIsStoredAsWritten) {
    const Fleet f = *parse_fleet_file(kDemo).fleet;
    const Route& loop = route_named(f, "仙林校区环线");
    EXPECT_EQ(loop.source_crs, Crs::wgs84);
    ASSERT_EQ(loop.points.size(), 6u);
    EXPECT_EQ(loop.points[0], (GeoPoint{32110300, 118958600}));
    EXPECT_EQ(loop.corridor_m, 50);
    EXPECT_EQ(loop.speed_limit_kmh, 20);
}

TEST(FleetFile, AGcj02RouteIsConvertedToWgs84) {
    const Fleet f = *parse_fleet_file(kDemo).fleet;
    const Route& commuter = route_named(f, "仙林-鼓楼通勤线");
    EXPECT_EQ(commuter.source_crs, Crs::gcj02);
    EXPECT_EQ(commuter.speed_limit_kmh, std::nullopt);
    ASSERT_EQ(commuter.points.size(), 6u);
    // Written as AMap shows the Xianlin campus gate: [118.963716, 32.108140]. In WGS-84 that is
    // the start of the campus loop, about 500 m away from the GCJ-02 numbers.
    const geo::LatLon start = geo::to_lat_lon(commuter.points[0]);
    EXPECT_LT(geo::distance_m(start, {32.1103, 118.9586}), 1.0);
    EXPECT_GT(geo::distance_m(start, {32.108140, 118.963716}), 400.0);
    // Each point is the exact inverse of the written one (to the 1e-6 degree storage unit).
    const geo::LatLon last = geo::to_lat_lon(commuter.points[5]);
    const geo::LatLon back = geo::wgs84_to_gcj02(last);
    EXPECT_LT(geo::distance_m(back, {32.053948, 118.784209}), 0.2);
}

TEST(FleetFile, ABd09ZoneIsConvertedToWgs84) {
    const std::string text = R"(zones:
  - name: 百度画的圆
    kind: other
    crs: bd09
    circle: {center: [118.7855, 32.0620], radius_m: 100}
)";
    const FleetParseResult r = parse_fleet_text(text);
    ASSERT_TRUE(r.problems.empty()) << all(r.problems);
    const Circle c = std::get<Circle>(r.fleet->zones[0].shape);
    const geo::LatLon expected = geo::bd09_to_wgs84({32.0620, 118.7855});
    EXPECT_LT(geo::distance_m(geo::to_lat_lon(c.center), expected), 0.2);
    EXPECT_GT(geo::distance_m(geo::to_lat_lon(c.center), {32.0620, 118.7855}), 900.0);
    EXPECT_EQ(r.fleet->zones[0].source_crs, Crs::bd09);
}

TEST(FleetFile, JsonIsAcceptedToo) {
    const std::string text = R"({"version": 1, "timezone": "Asia/Shanghai",
 "vehicles": [{"plate": "苏A00001", "plate_color": 1, "class": "car", "terminal_phone": "13800138000"}],
 "routes": [{"name": "r", "crs": "wgs84", "points": [[118.1, 32.1], [118.2, 32.2]]}]})";
    const FleetParseResult r = parse_fleet_text(text, "fleet.json");
    ASSERT_TRUE(r.problems.empty()) << all(r.problems);
    EXPECT_EQ(r.fleet->vehicles[0].plate, "苏A00001");
    EXPECT_EQ(r.fleet->routes[0].corridor_m, 50);
}

TEST(FleetFile, AnEmptyFleetIsValid) {
    const FleetParseResult r = parse_fleet_text("version: 1\n");
    ASSERT_TRUE(r.problems.empty()) << all(r.problems);
    EXPECT_TRUE(r.fleet->vehicles.empty());
    EXPECT_FALSE(r.fleet->simulation.has_value());
}

TEST(FleetFile, OneOffTripsUseRfc3339Times) {
    const std::string text = R"(vehicles:
  - {plate: A1, plate_color: 2, class: bus}
drivers:
  - {name: n, license_no: L1}
routes:
  - {name: r, crs: wgs84, points: [[118.1, 32.1], [118.2, 32.2]]}
trips:
  - {vehicle: A1, driver: L1, route: r, planned_start: "2026-03-10T08:00:00+08:00", planned_end: "2026-03-10T01:30:00Z"}
  - {vehicle: A1, driver: L1, route: r, planned_start: "22:00", planned_end: "06:00"}
)";
    const FleetParseResult r = parse_fleet_text(text);
    ASSERT_TRUE(r.problems.empty()) << all(r.problems);
    EXPECT_EQ(r.fleet->trips[0].planned_start, "2026-03-10T08:00:00+08:00");
    EXPECT_FALSE(r.fleet->trips[0].students_aboard);
}

TEST(PhoneKey, StripsLeadingZerosLikeTheCodec) {
    EXPECT_EQ(phone_key("013900000101"), "13900000101");
    EXPECT_EQ(phone_key("00000000000013900000101"), "13900000101");
    EXPECT_EQ(phone_key("13900000101"), "13900000101");
    EXPECT_EQ(phone_key("000000"), "0");
    EXPECT_EQ(phone_key(""), "");
}

TEST(FleetProblem, PrintsFileLineFieldAndMessage) {
    const FleetProblem p{"demo.yaml", 42, "pledges[1].max_speed_kmh", "130 is looser"};
    EXPECT_EQ(p.to_string(), "demo.yaml:42: pledges[1].max_speed_kmh: 130 is looser");
    const FleetProblem q{"demo.yaml", 3, "", "not valid YAML"};
    EXPECT_EQ(q.to_string(), "demo.yaml:3: not valid YAML");
}

TEST(FleetFile, AMissingFileIsAProblemNotAnException) {
    const FleetParseResult r = parse_fleet_file("/nonexistent/fleet.yaml");
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_FALSE(r.fleet.has_value());
    EXPECT_EQ(r.problems[0].file, "/nonexistent/fleet.yaml");
}

}  // namespace
}  // namespace fleetwatch::fleet
