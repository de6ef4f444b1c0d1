// Each kind of bad row gives one problem at the right line and field, and no fleet at all.
#include <gtest/gtest.h>

#include "fleetwatch/fleet/fleet.hpp"

namespace fleetwatch::fleet {
namespace {

// A small valid fleet; each test replaces one line of it.
constexpr const char* kBase = R"(version: 1
timezone: Asia/Shanghai
vehicles:
  - plate: 苏A00001
    plate_color: 2
    class: school_bus
    terminal_phone: "013900000001"
    requires_card: true
  - plate: 苏A00002
    plate_color: 2
    class: bus
    terminal_phone: "013900000002"
drivers:
  - name: 张三
    license_no: "L1"
    ic_card_no: "IC1"
    certificate_no: "C1"
  - name: 李四
    license_no: "L2"
    certificate_no: "C2"
pledges:
  - driver: "L2"
    version: 1
    max_speed_kmh: 60
    max_continuous_driving_min: 180
    night_max_continuous_min: 120
    min_rest_min: 20
    max_daily_driving_min: 480
    forbidden_hours: ["02:00-05:00"]
    signed_on: 2026-03-01
    valid_from: 2026-03-01
    valid_to: 2027-02-28
routes:
  - name: R1
    crs: wgs84
    points: [[118.9586, 32.1103], [118.9540, 32.1150]]
  - name: R2
    crs: gcj02
    corridor_m: 60
    points: [[118.963716, 32.108140], [118.925037, 32.096779]]
zones:
  - name: Z1
    kind: campus
    crs: wgs84
    speed_limit_kmh: 20
    polygon: [[118.95, 32.10], [118.97, 32.10], [118.97, 32.12], [118.95, 32.10]]
  - name: Z2
    kind: other
    crs: wgs84
    circle: {center: [118.779, 32.056], radius_m: 600}
convoys:
  - name: C1
    leader_username: li
trips:
  - vehicle: 苏A00001
    driver: "L1"
    route: R1
    planned_start: "07:00"
    planned_end: "18:00"
    students_aboard: true
  - vehicle: 苏A00002
    driver: "L2"
    route: R2
    convoy: C1
    planned_start: "08:00"
    planned_end: "17:00"
simulation:
  protocol: "2013"
  terminals:
    - vehicle: 苏A00002
      route: R2
      card: "L2"
      misbehaviour: [{kind: speeding, speed_kmh: 75, after_min: 3, for_min: 2}]
)";

int line_containing(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    if (at == std::string::npos) return -1;
    return 1 +
           static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

std::string replaced(const std::string& from, const std::string& to) {
    std::string text = kBase;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

// Parses `text` and expects exactly one problem at the line holding `line_marker`.
void expect_one_problem(const std::string& text, const std::string& line_marker,
                        const std::string& field, const std::string& message_part) {
    const FleetParseResult r = parse_fleet_text(text, "fleet.yaml");
    EXPECT_FALSE(r.fleet.has_value());
    ASSERT_EQ(r.problems.size(), 1u) << [&] {
        std::string s;
        for (const auto& p : r.problems) s += p.to_string() + "\n";
        return s;
    }();
    const FleetProblem& p = r.problems[0];
    EXPECT_EQ(p.file, "fleet.yaml");
    EXPECT_EQ(p.line, line_containing(text, line_marker)) << p.to_string();
    EXPECT_EQ(p.field, field) << p.to_string();
    EXPECT_NE(p.message.find(message_part), std::string::npos) << p.to_string();
}

TEST(FleetProblems, TheBaseFleetIsValid) {
    const FleetParseResult r = parse_fleet_text(kBase);
    EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems[0].to_string());
    ASSERT_TRUE(r.fleet.has_value());
}

TEST(FleetProblems, AMissingRequiredFieldPointsAtItsRow) {
    const std::string text = replaced("    plate_color: 2\n    class: bus\n", "    class: bus\n");
    expect_one_problem(text, "plate: 苏A00002", "vehicles[1].plate_color",
                       "required field is missing");
}

TEST(FleetProblems, AnUnknownVehicleClassNamesTheChoices) {
    expect_one_problem(
        replaced("class: bus", "class: coach"), "class: coach", "vehicles[1].class",
        "\"coach\" is not a vehicle class; use school_bus, bus, car, truck or other");
}

TEST(FleetProblems, AMistypedFieldIsReportedNotIgnored) {
    expect_one_problem(replaced("requires_card: true", "requires_cards: true"), "requires_cards",
                       "vehicles[0].requires_cards", "unknown field");
}

TEST(FleetProblems, ABadTerminalPhoneIsRejected) {
    expect_one_problem(replaced("\"013900000002\"", "\"0139-0000-0002\""), "0139-0000",
                       "vehicles[1].terminal_phone", "is not a terminal phone number");
}

TEST(FleetProblems, ANumberFieldWithTextIsRejected) {
    expect_one_problem(replaced("corridor_m: 60", "corridor_m: wide"), "corridor_m: wide",
                       "routes[1].corridor_m", "expected an integer, got \"wide\"");
}

TEST(FleetProblems, DuplicatePlatesPointAtTheSecondOne) {
    const std::string text = replaced("drivers:", R"(  - plate: 苏A00001   # again
    plate_color: 1
    class: car
drivers:)");
    expect_one_problem(text, "苏A00001   # again", "vehicles[2].plate",
                       "plate \"苏A00001\" is already defined by vehicles[0] (line 4)");
}

TEST(FleetProblems, TheSameTerminalPhoneWrittenDifferentlyIsADuplicate) {
    expect_one_problem(replaced("\"013900000002\"", "\"13900000001\""), "\"13900000001\"",
                       "vehicles[1].terminal_phone", "is already defined by vehicles[0]");
}

TEST(FleetProblems, DuplicateLicenceAndCertificateNumbersAreRejected) {
    expect_one_problem(replaced("pledges:", R"(  - name: 王五
    license_no: "L1"   # again
pledges:)"),
                       "\"L1\"   # again", "drivers[2].license_no",
                       "license_no \"L1\" is already defined by drivers[0]");
    expect_one_problem(replaced("certificate_no: \"C2\"", "certificate_no: \"C1\"\n"),
                       "certificate_no: \"C1\"\n\n", "drivers[1].certificate_no",
                       "already defined by drivers[0]");
}

TEST(FleetProblems, DuplicateRouteZoneAndConvoyNamesAreRejected) {
    expect_one_problem(replaced("zones:", R"(  - name: R1   # again
    crs: wgs84
    points: [[118.1, 32.1], [118.2, 32.2]]
zones:)"),
                       "R1   # again", "routes[2].name",
                       "route \"R1\" is already defined by routes[0]");
    expect_one_problem(
        replaced(
            "convoys:",
            R"(  - {name: Z1, kind: other, crs: wgs84, circle: {center: [118.1, 32.1], radius_m: 5}}
convoys:)"),
        "{name: Z1", "zones[2].name", "zone \"Z1\" is already defined by zones[0]");
    expect_one_problem(replaced("trips:", "  - {name: C1, leader_username: wang}\ntrips:"),
                       "{name: C1", "convoys[1].name",
                       "convoy \"C1\" is already defined by convoys[0]");
}

TEST(FleetProblems, ATripToAnUnknownVehicleNamesTheField) {
    expect_one_problem(replaced("vehicle: 苏A00001\n    driver", "vehicle: 苏B99999\n    driver"),
                       "苏B99999", "trips[0].vehicle",
                       "no vehicle with plate \"苏B99999\" in this file");
}

TEST(FleetProblems, ATripToAnUnknownDriverRouteOrConvoyNamesTheField) {
    expect_one_problem(replaced("driver: \"L1\"\n    route: R1", "driver: \"L9\"\n    route: R1"),
                       "driver: \"L9\"", "trips[0].driver", "no driver with license_no \"L9\"");
    expect_one_problem(replaced("route: R1\n    planned", "route: R7\n    planned"), "route: R7",
                       "trips[0].route", "no route \"R7\"");
    expect_one_problem(replaced("convoy: C1", "convoy: C2"), "convoy: C2", "trips[1].convoy",
                       "no convoy \"C2\"");
}

TEST(FleetProblems, APledgeForAnUnknownDriverIsRejected) {
    expect_one_problem(replaced("driver: \"L2\"\n    version", "driver: \"L3\"\n    version"),
                       "driver: \"L3\"", "pledges[0].driver", "no driver with license_no \"L3\"");
}

TEST(FleetProblems, SimulationReferencesAreChecked) {
    expect_one_problem(replaced("card: \"L2\"", "card: \"L8\""), "card: \"L8\"",
                       "simulation.terminals[0].card", "no driver with license_no \"L8\"");
    expect_one_problem(replaced("route: R2\n      card", "route: R9\n      card"), "route: R9",
                       "simulation.terminals[0].route", "no route \"R9\"");
}

TEST(FleetProblems, DuplicateTripsOnTheSameVehicleRouteAndStartAreRejected) {
    const std::string text = std::string(kBase) + R"(  - vehicle: 苏A00001
    driver: "L2"
    route: R1
    planned_start: "07:00"
    planned_end: "09:00"
)";
    // The appended trip lands after simulation:, so it must be inside trips: re-order instead.
    const std::string moved = replaced("simulation:", R"(  - vehicle: 苏A00001
    driver: "L2"
    route: R1
    planned_start: "07:00"   # again
    planned_end: "09:00"
simulation:)");
    (void)text;
    expect_one_problem(moved, "\"07:00\"   # again", "trips[2].planned_start",
                       "trip \"苏A00001 on R1 at 07:00\" is already defined by trips[0]");
}

TEST(FleetProblems, AConvoysTripsMustShareOneRoute) {
    const std::string text = replaced("simulation:", R"(  - vehicle: 苏A00001
    driver: "L1"
    route: R1   # other route
    convoy: C1
    planned_start: "09:00"
    planned_end: "17:00"
simulation:)");
    expect_one_problem(text, "R1   # other route", "trips[2].route",
                       "a convoy's trips share one route");
}

TEST(FleetProblems, AnOpenPolygonIsRejected) {
    expect_one_problem(
        replaced("[118.97, 32.12], [118.95, 32.10]]", "[118.97, 32.12], [118.95, 32.11]]"),
        "polygon:", "zones[0].polygon", "the ring is not closed");
}

TEST(FleetProblems, APolygonNeedsThreeCornersAndTheClosingPoint) {
    expect_one_problem(
        replaced("[[118.95, 32.10], [118.97, 32.10], [118.97, 32.12], [118.95, 32.10]]",
                 "[[118.95, 32.10], [118.97, 32.10], [118.95, 32.10]]"),
        "polygon:", "zones[0].polygon", "at least 4 points");
}

TEST(FleetProblems, AZoneNeedsExactlyOneShape) {
    expect_one_problem(replaced("    circle: {center: [118.779, 32.056], radius_m: 600}\n", ""),
                       "name: Z2", "zones[1].polygon", "exactly one of polygon");
}

TEST(FleetProblems, ACircleNeedsARadius) {
    expect_one_problem(replaced(", radius_m: 600}", "}"), "circle: {center",
                       "zones[1].circle.radius_m", "required field is missing");
}

TEST(FleetProblems, SwappedLatLonIsOutOfRange) {
    expect_one_problem(replaced("[[118.9586, 32.1103], [118.9540, 32.1150]]",
                                "[[32.1103, 118.9586], [118.9540, 32.1150]]"),
                       "[[32.1103, 118.9586]", "routes[0].points[0]",
                       "latitude 118.9586 is out of range [-90, 90] (points are [lon, lat])");
}

TEST(FleetProblems, AOnePointRouteIsRejected) {
    expect_one_problem(
        replaced("[[118.9586, 32.1103], [118.9540, 32.1150]]", "[[118.9586, 32.1103]]"),
        "[[118.9586, 32.1103]]", "routes[0].points", "at least 2 points");
}

TEST(FleetProblems, AnUnknownCrsIsRejectedAndAMissingOneIsRequired) {
    expect_one_problem(replaced("crs: gcj02", "crs: gcj-02"), "crs: gcj-02", "routes[1].crs",
                       "\"gcj-02\" is not a coordinate system; use wgs84, gcj02 or bd09");
    expect_one_problem(replaced("    crs: gcj02\n", ""), "name: R2", "routes[1].crs",
                       "required field is missing");
}

TEST(FleetProblems, BadDatesAndWindowsAreRejected) {
    expect_one_problem(replaced("valid_to: 2027-02-28", "valid_to: 2027-02-30"), "2027-02-30",
                       "pledges[0].valid_to", "\"2027-02-30\" is not a date (YYYY-MM-DD)");
    expect_one_problem(replaced("valid_to: 2027-02-28", "valid_to: 2025-02-28"), "2025-02-28",
                       "pledges[0].valid_to", "is before valid_from");
    expect_one_problem(replaced("[\"02:00-05:00\"]", "[\"2am-5am\"]"), "2am-5am",
                       "pledges[0].forbidden_hours[0]", "is not a window");
}

TEST(FleetProblems, TripTimesMustBeClockTimesOrRfc3339) {
    expect_one_problem(replaced("planned_end: \"18:00\"", "planned_end: \"6pm\""), "6pm",
                       "trips[0].planned_end", "neither HH:MM");
    expect_one_problem(
        replaced("planned_end: \"18:00\"", "planned_end: \"2026-03-10T18:00:00+08:00\""),
        "2026-03-10T18", "trips[0].planned_end", "both be HH:MM or both be date-times");
}

TEST(FleetProblems, InvalidYamlReportsTheParserLine) {
    const FleetParseResult r =
        parse_fleet_text("version: 1\nvehicles:\n  - plate: [unclosed\n", "bad.yaml");
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_GE(r.problems[0].line, 3);
    EXPECT_NE(r.problems[0].message.find("not valid YAML"), std::string::npos);
}

TEST(FleetProblems, EveryProblemIsReportedInLineOrder) {
    std::string text = replaced("class: bus", "class: coach");
    const auto at = text.find("max_speed_kmh: 60");
    text.replace(at, 17, "max_speed_kmh: 130");
    const FleetParseResult r = parse_fleet_text(text);
    ASSERT_EQ(r.problems.size(), 2u);
    EXPECT_EQ(r.problems[0].field, "vehicles[1].class");
    EXPECT_EQ(r.problems[1].field, "pledges[0].max_speed_kmh");
    EXPECT_LT(r.problems[0].line, r.problems[1].line);
}

}  // namespace
}  // namespace fleetwatch::fleet
