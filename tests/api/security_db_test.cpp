// Sweeps over the whole route table against a real PostGIS (issue 5's acceptance): every role
// that a route does not list gets 403 and changes nothing; and SQL-looking text in every string
// field of every body the API takes is stored as text or refused with a 4xx — never a 5xx,
// never a changed schema.
#include <set>
#include <tuple>

#include "endpoints_fixture.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;
using testing::EndpointsTest;
using testing::HttpClient;

// What the database holds, as one string: counts of every table the API writes.
constexpr const char* kSnapshot =
    "SELECT concat_ws(',', (SELECT count(*) FROM vehicles), (SELECT count(*) FROM drivers), "
    "(SELECT count(*) FROM pledges), (SELECT count(*) FROM routes), (SELECT count(*) FROM zones), "
    "(SELECT count(*) FROM convoys), (SELECT count(*) FROM trips), (SELECT count(*) FROM users), "
    "(SELECT count(*) FROM violations), (SELECT count(*) FROM violation_audit), "
    "(SELECT count(*) FROM webhooks))";

TEST_F(EndpointsTest, EveryRouteRefusesTheRolesItDoesNotListWith403AndChangesNothing) {
    scalar("INSERT INTO violations (type, severity, vehicle_id, started_at, peak, peak_unit) "
           "VALUES ('overspeed', 'minor', 1, now(), 70, 'km/h') RETURNING 1");
    HttpClient c(port());
    const std::map<Role, std::string> tokens{{Role::admin, login(c, "root")},
                                             {Role::dispatcher, login(c, "disp")},
                                             {Role::manager, login(c, "boss")},
                                             {Role::leader, login(c, "li")}};
    const std::string before = scalar(kSnapshot);
    int checked = 0;
    std::set<std::string> patched;  // PATCH routes swept (the fleet's and the webhooks')
    for (const auto& route : router_.routes()) {
        if (route.roles.empty()) continue;
        std::string target = route.pattern;
        if (const auto at = target.find("{id}"); at != std::string::npos) target.replace(at, 4, "1");
        for (const auto& [role, token] : tokens) {
            if (std::find(route.roles.begin(), route.roles.end(), role) != route.roles.end()) {
                continue;
            }
            const auto r = c.request(route.method, target, "{}", token);
            EXPECT_EQ(r.status, 403) << route.method << " " << target << " as " << to_string(role);
            EXPECT_EQ(r.error_code(), "forbidden") << route.method << " " << target;
            ++checked;
            if (route.method == "PATCH") patched.insert(route.pattern);
        }
    }
    EXPECT_GT(checked, 40);
    EXPECT_EQ(patched, (std::set<std::string>{"/api/v1/vehicles/{id}", "/api/v1/drivers/{id}",
                                              "/api/v1/routes/{id}", "/api/v1/zones/{id}",
                                              "/api/v1/convoys/{id}", "/api/v1/trips/{id}",
                                              "/api/v1/webhooks/{id}"}));
    EXPECT_EQ(scalar(kSnapshot), before);
}

// Replaces every string in `body` (recursively) with `text`, one field at a time.
std::vector<std::pair<std::string, json>> each_string_replaced(const json& body,
                                                               const std::string& text) {
    std::vector<std::pair<std::string, json>> out;
    for (const auto& [key, value] : body.items()) {
        if (value.is_string()) {
            json copy = body;
            copy[key] = text;
            out.emplace_back(key, std::move(copy));
        } else if (value.is_array()) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_string()) continue;
                json copy = body;
                copy[key][i] = text;
                out.emplace_back(key + "[" + std::to_string(i) + "]", std::move(copy));
            }
        }
    }
    return out;
}

TEST_F(EndpointsTest, SqlLookingTextInAnyFieldIsOnlyTextOrA4xx) {
    scalar("INSERT INTO drivers (id, name, license_no) VALUES (1, '张三', 'L0001') RETURNING 1");
    scalar("UPDATE trips SET driver_id = 1 RETURNING 1");
    const auto violation = scalar(
        "INSERT INTO violations (type, severity, vehicle_id, started_at, peak, peak_unit) "
        "VALUES ('overspeed', 'minor', 1, now(), 70, 'km/h') RETURNING id");
    const auto zone = scalar(
        "INSERT INTO zones (name, kind, source_crs, geom) VALUES ('z1', 'other', 'wgs84', "
        "ST_GeogFromText('SRID=4326;POLYGON((118.9 32.1, 118.92 32.1, 118.92 32.12, 118.9 "
        "32.1))')) "
        "RETURNING id");
    const auto trip = scalar("SELECT id FROM trips WHERE vehicle_id = 4");
    HttpClient c(port());
    const std::string root = login(c, "root");
    const json line = {{"type", "LineString"}, {"coordinates", {{118.9, 32.1}, {118.91, 32.11}}}};
    // (method, path, body); PATCH of each fleet row too.
    const std::vector<std::tuple<std::string, std::string, json>> bodies{
        {"PATCH",
         "/api/v1/vehicles/4",
         {{"plate", "苏Q2"}, {"class", "car"}, {"terminal_phone", "013977777778"}}},
        {"PATCH", "/api/v1/drivers/1", {{"name", "n2"}, {"ic_card_no", "IC8"}}},
        {"PATCH", "/api/v1/routes/1", {{"name", "r8"}, {"crs", "wgs84"}, {"geometry", line}}},
        {"PATCH",
         "/api/v1/zones/" + zone,
         {{"name", "z8"},
          {"crs", "wgs84"},
          {"kind", "campus"},
          {"circle", {{"center", {118.9, 32.1}}, {"radius_m", 100}}}}},
        {"PATCH", "/api/v1/convoys/1", {{"name", "c8"}, {"leader_username", "wang"}}},
        {"PATCH", "/api/v1/trips/" + trip, {{"planned_start", "13:00"}, {"planned_end", "14:00"}}},
        {"POST",
         "/api/v1/vehicles",
         {{"plate", "苏Q1"},
          {"plate_color", 1},
          {"class", "car"},
          {"terminal_phone", "013977777777"}}},
        {"POST",
         "/api/v1/drivers",
         {{"name", "n"}, {"license_no", "L9"}, {"ic_card_no", "IC9"}, {"certificate_no", "QC9"}}},
        {"POST",
         "/api/v1/drivers/1/pledges",
         {{"max_speed_kmh", 60},
          {"forbidden_hours", {"02:00-05:00"}},
          {"signed_on", "2026-03-10"},
          {"valid_from", "2026-03-10"},
          {"valid_to", "2027-03-09"}}},
        {"POST", "/api/v1/routes", {{"name", "r9"}, {"crs", "wgs84"}, {"geometry", line}}},
        {"POST",
         "/api/v1/zones",
         {{"name", "z9"},
          {"crs", "wgs84"},
          {"kind", "other"},
          {"circle", {{"center", {118.9, 32.1}}, {"radius_m", 100}}}}},
        {"POST", "/api/v1/convoys", {{"name", "c9"}, {"leader_username", "li"}}},
        {"POST",
         "/api/v1/trips",
         {{"vehicle_id", 4},
          {"driver_id", 1},
          {"route_id", 1},
          {"planned_start", "11:00"},
          {"planned_end", "12:00"}}},
        {"POST",
         "/api/v1/violations/" + violation + "/actions",
         {{"action", "acknowledge"}, {"note", "n"}}},
        {"POST", "/api/v1/vehicles/1/text", {{"text", "t"}}},
        {"POST",
         "/api/v1/webhooks",
         {{"url", "http://127.0.0.1:9/hook"}, {"format", "json"}, {"min_severity", "minor"}}},
        {"POST", "/api/v1/auth/login", {{"username", "root"}, {"password", "x"}}},
    };
    int sent = 0;
    for (const std::string text : {"x'); DROP TABLE vehicles; --", "1 OR 1=1", "\\'; SELECT pg_sleep(5); --",
                                   "$1::text", "%' UNION SELECT password_hash FROM users --"}) {
        for (const auto& [method, path, body] : bodies) {
            for (const auto& [field, hostile] : each_string_replaced(body, text)) {
                const auto r = c.request(method, path, hostile.dump(), root);
                EXPECT_LT(r.status, 500)
                    << method << " " << path << " " << field << " = " << text << ": " << r.body;
                EXPECT_EQ(r.body.find("$argon2"), std::string::npos) << path << " " << field;  // no hash leaks
                ++sent;
            }
        }
    }
    EXPECT_GT(sent, 80);
    // The schema is intact, and what was stored is the text itself.
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('vehicles', 'users', "
                     "'violations', 'violation_audit')"),
              "4");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "5");
    // (the first field replaced in the drivers body is certificate_no: keys are in order)
    EXPECT_EQ(scalar("SELECT count(*) FROM drivers WHERE certificate_no = 'x''); DROP TABLE vehicles; --'"),
              "1");
    // A PATCH stores the text as well: driver 1's name is the last text sent (its PATCH replaces
    // ic_card_no, then name).
    EXPECT_EQ(scalar("SELECT name FROM drivers WHERE id = 1"),
              "%' UNION SELECT password_hash FROM users --");
    EXPECT_EQ(scalar("SELECT count(*) FROM drivers WHERE id = 1"), "1");
}

}  // namespace
}  // namespace fleetwatch::api
