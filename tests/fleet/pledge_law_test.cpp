// A pledge may only be stricter than the law; a looser term is named with the legal limit.
#include <gtest/gtest.h>

#include "fleetwatch/fleet/fleet.hpp"

namespace fleetwatch::fleet {
namespace {

constexpr const char* kFleet = R"(vehicles:
  - {plate: 苏AS0201, plate_color: 2, class: school_bus}
  - {plate: 苏AX0101, plate_color: 2, class: bus}
drivers:
  - {name: 陈秀英, license_no: "D1"}
  - {name: 王建国, license_no: "D2"}
routes:
  - {name: R, crs: wgs84, points: [[118.1, 32.1], [118.2, 32.2]]}
trips:
  - {vehicle: 苏AS0201, driver: "D1", route: R, planned_start: "06:30", planned_end: "18:00"}
  - {vehicle: 苏AX0101, driver: "D2", route: R, planned_start: "07:00", planned_end: "22:00"}
pledges:
  - driver: "DRIVER"
    version: 1
    FIELD: VALUE
    signed_on: 2026-03-01
    valid_from: 2026-03-01
)";

FleetParseResult parse_with(const std::string& driver, const std::string& field,
                            const std::string& value) {
    std::string text = kFleet;
    text.replace(text.find("DRIVER"), 6, driver);
    text.replace(text.find("FIELD"), 5, field);
    text.replace(text.find("VALUE"), 5, value);
    return parse_fleet_text(text, "pledge.yaml");
}

struct LawCase {
    const char* field;
    const char* value;
    const char* message;  // empty: accepted
};

TEST(PledgeLaw, LooserTermsNameTheFieldAndTheLegalLimit) {
    const LawCase cases[] = {
        {"max_continuous_driving_min", "300",
         "300 is looser than the legal limit 240 (道路交通安全法实施条例 §62)"},
        {"max_continuous_driving_min", "240", ""},
        {"night_max_continuous_min", "150",
         "150 is looser than the legal limit 120 (道路运输车辆动态监督管理办法)"},
        {"night_max_continuous_min", "120", ""},
        {"min_rest_min", "15", "15 is looser than the legal limit 20 (道路交通安全法实施条例 §62)"},
        {"min_rest_min", "30", ""},
        {"max_daily_driving_min", "600",
         "600 is looser than the legal limit 480 (道路运输车辆动态监督管理办法)"},
        {"max_daily_driving_min", "480", ""},
        {"max_speed_kmh", "130",
         "130 is looser than the legal limit 120 (道路交通安全法实施条例 §78)"},
        {"max_speed_kmh", "100", ""},
        {"max_speed_kmh", "0", "0 must be positive"},
    };
    for (const auto& c : cases) {
        const FleetParseResult r = parse_with("D2", c.field, c.value);
        if (*c.message == '\0') {
            EXPECT_TRUE(r.problems.empty())
                << c.field << "=" << c.value << ": " << r.problems[0].to_string();
            continue;
        }
        ASSERT_EQ(r.problems.size(), 1u) << c.field << "=" << c.value;
        EXPECT_EQ(r.problems[0].field, std::string("pledges[0].") + c.field);
        EXPECT_EQ(r.problems[0].message, c.message);
        EXPECT_EQ(r.problems[0].line, 15);  // the line of the term itself
        EXPECT_FALSE(r.fleet.has_value());
    }
}

TEST(PledgeLaw, ASchoolBusDriverMayNotPledgeMoreThanEighty) {
    const FleetParseResult r = parse_with("D1", "max_speed_kmh", "90");
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].to_string(),
              "pledge.yaml:15: pledges[0].max_speed_kmh: 90 is looser than the legal limit 80 "
              "(校车安全管理条例 §35, the driver drives a school bus)");
    EXPECT_TRUE(parse_with("D1", "max_speed_kmh", "80").problems.empty());
    // The same 90 is fine for a driver who never drives a school bus.
    EXPECT_TRUE(parse_with("D2", "max_speed_kmh", "90").problems.empty());
}

TEST(PledgeLaw, TheCheckIsUsableWithoutAFile) {
    Pledge p;
    p.max_continuous_driving_min = 300;
    p.min_rest_min = 15;
    const auto problems = check_pledge_against_law(p, false);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].field, "max_continuous_driving_min");
    EXPECT_EQ(problems[1].field, "min_rest_min");
    EXPECT_TRUE(check_pledge_against_law(Pledge{}, true).empty());
}

}  // namespace
}  // namespace fleetwatch::fleet
