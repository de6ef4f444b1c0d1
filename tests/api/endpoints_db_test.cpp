// The /api/v1 endpoints over real HTTP (loopback) against a real PostGIS: a fresh database
// per test (storage_test_db.hpp), so they run in parallel.
#include "endpoints_fixture.hpp"
#include "fleetwatch/storage/vehicle_queries.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;
using testing::EndpointsTest;
using testing::HttpClient;
using testing::ids_of;
using testing::kPassword;
using namespace std::chrono_literals;

TEST_F(EndpointsTest, HealthNeedsNoTokenAndReportsTheDatabase) {
    HttpClient c(port());
    const auto r = c.get("/api/v1/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json(), (json{{"status", "ok"}, {"database", true}}));
}

TEST_F(EndpointsTest, LoginGivesATokenRoleAndExpiryThatOpenMe) {
    HttpClient c(port());
    const auto r =
        c.post_json("/api/v1/auth/login", {{"username", "disp"}, {"password", kPassword}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = r.json();
    EXPECT_EQ(j["role"], "dispatcher");
    EXPECT_EQ(j["token"].get<std::string>().size(), 43u);
    EXPECT_TRUE(core::parse_rfc3339(j["expires_at"].get<std::string>()));
    const auto me = c.get("/api/v1/me", j["token"]);
    EXPECT_EQ(me.status, 200);
    EXPECT_EQ(me.json()["username"], "disp");
    EXPECT_EQ(me.json()["role"], "dispatcher");
    // Only the hash is stored.
    EXPECT_EQ(count("SELECT 1 FROM api_tokens WHERE token_sha256 = '" +
                    token_sha256(j["token"].get<std::string>()) + "'"),
              1);
}

TEST_F(EndpointsTest, WrongPasswordAndUnknownUserGetTheSame401) {
    HttpClient c(port());
    const auto wrong =
        c.post_json("/api/v1/auth/login", {{"username", "li"}, {"password", "nope-nope"}});
    const auto unknown =
        c.post_json("/api/v1/auth/login", {{"username", "ghost"}, {"password", kPassword}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.error_code(), "bad_credentials");
    EXPECT_EQ(wrong.body, unknown.body);
}

TEST_F(EndpointsTest, LoginValidatesItsBody) {
    HttpClient c(port());
    EXPECT_EQ(c.request("POST", "/api/v1/auth/login", "{\"username\":").error_code(), "bad_json");
    const auto r = c.post_json("/api/v1/auth/login", {{"username", 5}, {"password", "x"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_code(), "invalid_parameter");
    EXPECT_EQ(r.json()["error"]["field"], "username");
    EXPECT_EQ(c.post_json("/api/v1/auth/login", {{"username", "li"}}).json()["error"]["field"],
              "password");
    // Deeply nested JSON within the body limit neither crashes nor blocks the server.
    const std::string deep =
        "{\"username\":" + std::string(400'000, '[') + std::string(400'000, ']') + "}";
    const auto nested = c.request("POST", "/api/v1/auth/login", deep);
    EXPECT_EQ(nested.status, 400);
    EXPECT_EQ(nested.json()["error"]["field"], "username");
    EXPECT_EQ(c.get("/api/v1/health").status, 200);
}

TEST_F(EndpointsTest, EveryProtectedRouteIs401WithoutAValidToken) {
    HttpClient c(port());
    for (const auto& r : router_.routes()) {
        if (r.roles.empty()) continue;
        std::string target = r.pattern;
        if (const auto at = target.find("{id}"); at != std::string::npos)
            target.replace(at, 4, "1");
        for (const std::string token : {"", "not-a-token"}) {
            const auto res = c.request(r.method, target, {}, token);
            EXPECT_EQ(res.status, 401) << r.method << " " << target;
            EXPECT_EQ(res.error_code(), "unauthenticated") << r.method << " " << target;
        }
    }
}

TEST_F(EndpointsTest, AnExpiredTokenIs401) {
    HttpClient c(port());
    const std::string token = login(c, "root");
    scalar("UPDATE api_tokens SET expires_at = now() - interval '1 second' RETURNING 1");
    EXPECT_EQ(c.get("/api/v1/me", token).status, 401);
}

TEST_F(EndpointsTest, LogoutRevokesTheToken) {
    HttpClient c(port());
    const std::string token = login(c, "boss");
    EXPECT_EQ(c.request("POST", "/api/v1/auth/logout", {}, token).status, 204);
    EXPECT_EQ(c.get("/api/v1/me", token).status, 401);
}

TEST_F(EndpointsTest, ADisabledUserCannotLogInAndTheirTokensStopWorking) {
    HttpClient c(port());
    const std::string token = login(c, "boss");
    auto conn = connect();
    ASSERT_TRUE(storage::set_disabled(conn, "boss", true));
    EXPECT_EQ(c.get("/api/v1/me", token).status, 401);
    EXPECT_EQ(
        c.post_json("/api/v1/auth/login", {{"username", "boss"}, {"password", kPassword}}).status,
        401);
}

TEST_F(EndpointsTest, OnlyAnAdminListsUsersAndNeverSeesPasswords) {
    HttpClient c(port());
    for (const char* who : {"disp", "boss", "li"}) {
        const auto r = c.get("/api/v1/users", login(c, who));
        EXPECT_EQ(r.status, 403) << who;
        EXPECT_EQ(r.error_code(), "forbidden") << who;
    }
    const auto r = c.get("/api/v1/users", login(c, "root"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["items"].size(), 5u);
    EXPECT_EQ(r.body.find("argon2"), std::string::npos);
    EXPECT_EQ(r.body.find("password"), std::string::npos);
}

TEST_F(EndpointsTest, EveryRoleButLeaderSeesEveryVehicle) {
    HttpClient c(port());
    for (const char* who : {"root", "disp", "boss"}) {
        const auto r = c.get("/api/v1/vehicles", login(c, who));
        ASSERT_EQ(r.status, 200) << who;
        EXPECT_EQ(ids_of(r.json()), (std::vector<std::int64_t>{1, 2, 3, 4})) << who;
        EXPECT_TRUE(r.json()["next_cursor"].is_null());
    }
    const auto one = c.get("/api/v1/vehicles/1", login(c, "disp")).json();
    EXPECT_EQ(one["plate"], "苏A00001");
    EXPECT_EQ(one["class"], "school_bus");
    EXPECT_EQ(one["terminal_phone"], "013900000001");
    EXPECT_EQ(one["convoy_ids"], json::array({1}));
}

TEST_F(EndpointsTest, ALeaderSeesOnlyTheVehiclesOfTheConvoysTheyLead) {
    HttpClient c(port());
    const std::string li = login(c, "li");
    EXPECT_EQ(ids_of(c.get("/api/v1/vehicles", li).json()), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(c.get("/api/v1/vehicles/2", li).status, 200);
    for (const char* other :
         {"/api/v1/vehicles/3", "/api/v1/vehicles/4", "/api/v1/vehicles/3/positions"}) {
        const auto r = c.get(other, li);
        EXPECT_EQ(r.status, 403) << other;
        EXPECT_EQ(r.error_code(), "forbidden") << other;
    }
    const std::string wang = login(c, "wang");
    EXPECT_EQ(ids_of(c.get("/api/v1/vehicles", wang).json()), (std::vector<std::int64_t>{3}));
    EXPECT_EQ(c.get("/api/v1/vehicles/99", li).status, 404);
    EXPECT_EQ(c.get("/api/v1/vehicles/abc", li).status, 404);
}

TEST_F(EndpointsTest, PositionsComePagedByCursorWithTheApiFieldNames) {
    seed_positions(25);
    HttpClient c(port());
    const std::string token = login(c, "li");
    // Offsets are honoured: 08:00-08:05 at +08:00 is 00:00-00:05 UTC.
    const auto local = c.get(
        "/api/v1/vehicles/1/"
        "positions?from=2026-03-10T08:00:00%2B08:00&to=2026-03-10T08:05:00%2B08:00",
        token);
    ASSERT_EQ(local.status, 200) << local.body;
    EXPECT_EQ(local.json()["items"].size(), 5u);

    std::vector<std::string> times;
    std::string cursor;
    int pages = 0;
    const std::string all =
        "/api/v1/vehicles/1/positions?from=2026-03-10T00:00:00Z&to=2026-03-10T01:00:00Z";
    do {
        const auto r =
            c.get(all + "&limit=10" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto j = r.json();
        for (const auto& p : j["items"]) times.push_back(p["time"]);
        cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(times.size(), 25u);
    EXPECT_EQ(times.front(), "2026-03-10T00:00:00Z");
    EXPECT_EQ(times.back(), "2026-03-10T00:24:00Z");

    const auto first = c.get(all + "&limit=1", token).json()["items"][0];
    EXPECT_NEAR(first["lat"].get<double>(), 32.05, 1e-9);
    EXPECT_NEAR(first["lon"].get<double>(), 118.78, 1e-9);
    EXPECT_EQ(first["speed_kmh"], 40.5);
    EXPECT_EQ(first["direction"], 90);
    EXPECT_EQ(first["altitude_m"], 12);
    EXPECT_EQ(first["alarm"], 0);
    EXPECT_EQ(first["status"], 3);
    EXPECT_EQ(first["valid"], true);
    EXPECT_EQ(first["mileage_km"], 100.0);
}

TEST_F(EndpointsTest, PositionParametersAreValidated) {
    HttpClient c(port());
    const std::string token = login(c, "root");
    const auto field_of = [&](const std::string& q) {
        const auto r = c.get("/api/v1/vehicles/1/positions?" + q, token);
        EXPECT_EQ(r.status, 400) << q;
        EXPECT_EQ(r.error_code(), "invalid_parameter") << q;
        return r.json()["error"].value("field", "");
    };
    EXPECT_EQ(field_of("from=yesterday"), "from");
    EXPECT_EQ(field_of("to=2026-13-01T00:00:00Z"), "to");
    EXPECT_EQ(field_of("from=2026-03-10T01:00:00Z&to=2026-03-10T00:00:00Z"), "from");
    EXPECT_EQ(field_of("limit=0"), "limit");
    EXPECT_EQ(field_of("limit=ten"), "limit");
    EXPECT_EQ(field_of("cursor=%27%3B%20DROP%20TABLE%20positions%3B--"), "cursor");
    EXPECT_EQ(c.get("/api/v1/vehicles/1/positions?limit=999999", token).status, 200);  // capped
}

TEST_F(EndpointsTest, SqlLookingLoginsChangeNothing) {
    HttpClient c(port());
    const auto users_before = scalar(
        "SELECT string_agg(username || role || password_hash, ',' "
        "ORDER BY username) FROM users");
    for (const auto& [u, p] : std::vector<std::pair<std::string, std::string>>{
             {"root' OR '1'='1", "x"},
             {"root'; DROP TABLE users; --", "x"},
             {"root", "' OR 1=1 --"},
             {"li\"; UPDATE users SET role='admin' --", "'); DELETE FROM api_tokens; --"}}) {
        const auto r = c.post_json("/api/v1/auth/login", {{"username", u}, {"password", p}});
        EXPECT_EQ(r.status, 401) << u;
        EXPECT_EQ(r.error_code(), "bad_credentials") << u;
    }
    EXPECT_EQ(scalar("SELECT string_agg(username || role || password_hash, ',' ORDER BY username) "
                     "FROM users"),
              users_before);
    EXPECT_EQ(count("api_tokens"), 0);
    EXPECT_EQ(count("vehicles"), 4);
}

TEST_F(EndpointsTest, BruteForceLoginIs429WithRetryAfterEvenForTheRightPassword) {
    HttpClient c(port());
    for (int i = 0; i < 5; ++i) {
        const auto r =
            c.post_json("/api/v1/auth/login",
                        {{"username", "root"}, {"password", "guess" + std::to_string(i)}});
        EXPECT_EQ(r.status, 401) << i;
    }
    const auto blocked =
        c.post_json("/api/v1/auth/login", {{"username", "root"}, {"password", kPassword}});
    EXPECT_EQ(blocked.status, 429);
    EXPECT_EQ(blocked.error_code(), "too_many_attempts");
    ASSERT_TRUE(blocked.headers.count("retry-after"));
    const int wait = std::stoi(blocked.headers.at("retry-after"));
    EXPECT_GT(wait, 0);
    EXPECT_LE(wait, 60);
    EXPECT_EQ(count("api_tokens"), 0);  // nothing issued
    // The address is blocked too: another name from here waits as well.
    EXPECT_EQ(
        c.post_json("/api/v1/auth/login", {{"username", "disp"}, {"password", kPassword}}).status,
        429);
}

TEST_F(EndpointsTest, OversizedAndMalformedBodiesChangeNothing) {
    HttpClient c(port());
    const auto big = c.request("POST", "/api/v1/auth/login", std::string(2 * 1024 * 1024, 'x'));
    EXPECT_EQ(big.status, 413);
    HttpClient c2(port());
    EXPECT_EQ(c2.request("POST", "/api/v1/auth/login", "\xff\xfe{").status, 400);
    EXPECT_EQ(count("api_tokens"), 0);
}

TEST_F(EndpointsTest, TheFirstAdminIsCreatedOnlyInAnEmptyUsersTable) {
    auto conn = connect();
    EXPECT_FALSE(ensure_first_admin(conn, "whatever1").created);  // users exist
    scalar("DELETE FROM users RETURNING 1");
    const auto made = ensure_first_admin(conn, "");
    EXPECT_TRUE(made.created);
    ASSERT_TRUE(made.generated_password);
    EXPECT_EQ(made.generated_password->size(), 16u);
    EXPECT_FALSE(ensure_first_admin(conn, "").created);
    HttpClient c(port());
    const auto r = c.post_json("/api/v1/auth/login",
                               {{"username", "admin"}, {"password", *made.generated_password}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["role"], "admin");
}

TEST_F(EndpointsTest, TextGoesToTheTerminalAsADispatcherWrites) {
    const std::string phone = scalar("SELECT phone_key FROM vehicles WHERE id = 1");
    link_.connected = {phone};
    HttpClient c(port());
    const std::string disp = login(c, "disp");
    const auto r = c.post_json("/api/v1/vehicles/1/text", {{"text", "请减速慢行"}}, disp);
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.json()["status"], "queued");
    EXPECT_EQ(c.post_json("/api/v1/vehicles/1/text", {{"text", "到站请报告"}, {"tts", false}}, disp)
                  .status,
              202);
    EXPECT_EQ(link_.sent(),
              (std::vector<std::string>{phone + " text 请减速慢行 tts", phone + " text 到站请报告"}));

    // Not connected, no terminal at all, no such vehicle.
    EXPECT_EQ(c.post_json("/api/v1/vehicles/2/text", {{"text", "x"}}, disp).error_code(),
              "terminal_offline");
    EXPECT_EQ(c.post_json("/api/v1/vehicles/4/text", {{"text", "x"}}, disp).status, 409);
    EXPECT_EQ(c.post_json("/api/v1/vehicles/99/text", {{"text", "x"}}, disp).status, 404);

    // Only dispatchers and admins send text.
    for (const auto* user : {"boss", "li"}) {
        EXPECT_EQ(c.post_json("/api/v1/vehicles/1/text", {{"text", "x"}}, login(c, user)).status,
                  403)
            << user;
    }
    EXPECT_EQ(c.post_json("/api/v1/vehicles/1/text", {{"text", "x"}}, login(c, "root")).status,
              202);

    for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
             {json::object(), "text"},
             {{{"text", ""}}, "text"},
             {{{"text", 7}}, "text"},
             {{{"text", std::string("a\0b", 3)}}, "text"},
             {{{"text", std::string(1001, 'x')}}, "text"},
             {{{"text", "ok"}, {"tts", "yes"}}, "tts"}}) {
        const auto bad = c.post_json("/api/v1/vehicles/1/text", body, disp);
        EXPECT_EQ(bad.status, 400) << body.dump();
        EXPECT_EQ(bad.json()["error"]["field"], field) << body.dump();
    }
    EXPECT_EQ(link_.sent().size(), 3u);
}

TEST_F(EndpointsTest, TheTrackIsAGeoJsonLineOfTheValidFixesThinnedBeyondTheCap) {
    // 10 fixes a minute apart going east, then one invalid fix far away that must not count.
    scalar(
        "INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, speed_kmh, "
        "direction, alarm, status, valid, source) "
        "SELECT 1, '2026-03-10T00:00:00Z'::timestamptz + i * interval '1 minute', now(), "
        "ST_MakePoint(118.78 + i * 0.001, 32.05)::geography, 0, 30, 90, 0, 3, true, 0 "
        "FROM generate_series(0, 9) AS i RETURNING 1");
    scalar(
        "INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, speed_kmh, "
        "direction, alarm, status, valid, source) VALUES (1, '2026-03-10T00:10:00Z', now(), "
        "ST_MakePoint(100, 20)::geography, 0, 0, 0, 0, 0, false, 0) RETURNING 1");
    HttpClient c(port());
    const std::string token = login(c, "li");
    const auto r = c.get(
        "/api/v1/vehicles/1/track?from=2026-03-10T00:00:00Z&to=2026-03-10T01:00:00Z", token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto f = r.json();
    EXPECT_EQ(f["type"], "Feature");
    EXPECT_EQ(f["geometry"]["type"], "LineString");
    ASSERT_EQ(f["geometry"]["coordinates"].size(), 10u);
    EXPECT_DOUBLE_EQ(f["geometry"]["coordinates"][9][0].get<double>(), 118.789);
    EXPECT_EQ(f["properties"]["fixes"], 10);
    EXPECT_NEAR(f["properties"]["length_m"].get<double>(), 9 * 94.4, 5.0);  // 0.001 deg at 32 N

    // No fixes: a Feature without geometry, not an error.
    const auto empty = c.get("/api/v1/vehicles/2/track?from=2026-03-10T00:00:00Z&to=2026-03-10T01:00:00Z",
                             token);
    ASSERT_EQ(empty.status, 200);
    EXPECT_TRUE(empty.json()["geometry"].is_null());
    EXPECT_EQ(c.get("/api/v1/vehicles/3/track", token).status, 403);
    EXPECT_EQ(c.get("/api/v1/vehicles/1/track?from=2026-01-01T00:00:00Z&to=2026-03-10T00:00:00Z", token)
                  .json()["error"]["field"],
              "from");

    // Over the cap, every n-th fix and the last: 10 fixes, at most 4 -> fixes 1, 4, 7, 10.
    auto conn = connect();
    const auto thin = storage::vehicle_track(conn, 1, *core::parse_rfc3339("2026-03-10T00:00:00Z"),
                                             *core::parse_rfc3339("2026-03-10T01:00:00Z"), 4);
    ASSERT_TRUE(thin);
    EXPECT_EQ(thin->fixes, 10u);
    const auto line = json::parse(thin->geojson)["coordinates"];
    ASSERT_EQ(line.size(), 4u);
    EXPECT_DOUBLE_EQ(line[1][0].get<double>(), 118.783);
    EXPECT_DOUBLE_EQ(line[3][0].get<double>(), 118.789);
}

TEST_F(EndpointsTest, TheLiveListHasTheLatestPositionOfEachVehicleOneMaySee) {
    scalar(
        "INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, speed_kmh, "
        "direction, alarm, status, valid, source) "
        "SELECT v, now() - i * interval '1 minute', now(), ST_MakePoint(118.7 + i * 0.01, 32.0)::geography, "
        "0, 10 * i, 0, 0, 3, true, 0 FROM generate_series(0, 2) AS i, (VALUES (1), (3)) AS vs(v) "
        "RETURNING 1");
    scalar("INSERT INTO terminals (phone_key, vehicle_id, last_seen_at) VALUES "
           "('13900000001', 1, now()) RETURNING 1");
    scalar("INSERT INTO violations (type, severity, vehicle_id, started_at, peak, peak_unit) "
           "VALUES ('overspeed', 'minor', 1, now(), 70, 'km/h') RETURNING 1");
    HttpClient c(port());
    const auto all = c.get("/api/v1/live/vehicles", login(c, "disp"));
    ASSERT_EQ(all.status, 200) << all.body;
    const auto items = all.json()["items"];
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0]["vehicle_id"], 1);
    EXPECT_DOUBLE_EQ(items[0]["position"]["lon"].get<double>(), 118.7);  // the newest (i = 0)
    EXPECT_EQ(items[0]["position"]["speed_kmh"], 0.0);
    EXPECT_FALSE(items[0]["last_seen_at"].is_null());
    EXPECT_EQ(items[0]["open_violations"], 1);
    EXPECT_TRUE(items[1]["position"].is_null());  // vehicle 2 never reported
    EXPECT_TRUE(items[1]["last_seen_at"].is_null());
    EXPECT_EQ(items[2]["open_violations"], 0);
    // Vehicle 3 has no terminals row: last seen when its newest position arrived.
    EXPECT_FALSE(items[2]["last_seen_at"].is_null());

    const auto mine = c.get("/api/v1/live/vehicles", login(c, "li"));
    const auto mine_items = mine.json()["items"];
    std::vector<std::int64_t> seen;
    for (const auto& v : mine_items) seen.push_back(v["vehicle_id"].get<std::int64_t>());
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));
}

}  // namespace
}  // namespace fleetwatch::api
