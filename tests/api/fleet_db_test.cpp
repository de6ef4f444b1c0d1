// The fleet routes over real HTTP against a real PostGIS: creates and changes validated as a
// fleet file import validates them (ranges, references, duplicates, pledges against the law, CRS
// conversion), reads, deletes, and who may do what.
#include "endpoints_fixture.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;
using testing::EndpointsTest;
using testing::HttpClient;
using testing::ids_of;

class FleetTest : public EndpointsTest {
  protected:
    void SetUp() override {
        EndpointsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // The fixture's trips have no driver; give them one, as a fleet import would.
        scalar("INSERT INTO drivers (id, name, license_no) VALUES (1, '张三', 'L0001') RETURNING 1");
        scalar("UPDATE trips SET driver_id = 1 RETURNING 1");
        scalar("SELECT setval('drivers_id_seq', 1)");
        c_ = std::make_unique<HttpClient>(port());
        root_ = login(*c_, "root");
    }
    void TearDown() override {
        c_.reset();
        EndpointsTest::TearDown();
    }
    testing::HttpReply post(const std::string& path, const json& body,
                            const std::string& token = {}) {
        return c_->post_json(path, body, token.empty() ? root_ : token);
    }
    testing::HttpReply patch(const std::string& path, const json& body,
                             const std::string& token = {}) {
        return c_->request("PATCH", path, body.dump(), token.empty() ? root_ : token);
    }
    // The trip of vehicle `vehicle` (the fixture has one each).
    std::string trip_path(int vehicle) {
        return "/api/v1/trips/" +
               scalar("SELECT id FROM trips WHERE vehicle_id = $1", {std::to_string(vehicle)});
    }
    json get(const std::string& path) {
        const auto r = c_->get(path, root_);
        EXPECT_EQ(r.status, 200) << path << ": " << r.body;
        return r.json();
    }
    // 400/409/422 naming `field`.
    void expect_error(const testing::HttpReply& r, int status, const std::string& field) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.json()["error"].value("field", "(none)"), field) << r.body;
    }
    std::unique_ptr<HttpClient> c_;
    std::string root_;
};

const json kLine = {{"type", "LineString"},
                    {"coordinates", {{118.90, 32.10}, {118.91, 32.11}, {118.92, 32.12}}}};

TEST_F(FleetTest, EveryKindIsCreatedAndReadBack) {
    const auto v = post("/api/v1/vehicles", {{"plate", "苏A12345"},
                                             {"plate_color", 1},
                                             {"terminal_phone", "013800138000"},
                                             {"class", "school_bus"}});
    ASSERT_EQ(v.status, 201) << v.body;
    const auto vid = v.json()["id"].get<std::int64_t>();
    EXPECT_EQ(v.headers.at("location"), "/api/v1/vehicles/" + std::to_string(vid));
    EXPECT_EQ(v.json()["class"], "school_bus");
    EXPECT_EQ(c_->get("/api/v1/vehicles/" + std::to_string(vid), root_).json()["plate"], "苏A12345");

    const auto d = post("/api/v1/drivers", {{"name", "李四"},
                                            {"license_no", "320102199001010011"},
                                            {"ic_card_no", "IC9"},
                                            {"certificate_no", "QC9"}});
    ASSERT_EQ(d.status, 201) << d.body;
    const auto did = d.json()["id"].get<std::int64_t>();
    EXPECT_EQ(c_->get("/api/v1/drivers/" + std::to_string(did), root_).json()["name"], "李四");

    // Drawn on AMap (GCJ-02): stored in WGS-84, a few hundred metres away, and says so.
    const auto r = post("/api/v1/routes", {{"name", "实习线"},
                                           {"crs", "gcj02"},
                                           {"geometry", kLine},
                                           {"corridor_m", 60},
                                           {"speed_limit_kmh", nullptr}});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto route = r.json();
    EXPECT_EQ(route["crs"], "gcj02");
    EXPECT_EQ(route["geometry"]["type"], "LineString");
    const double lon0 = route["geometry"]["coordinates"][0][0].get<double>();
    const double lat0 = route["geometry"]["coordinates"][0][1].get<double>();
    EXPECT_NEAR(lon0, 118.90 - 0.0050, 0.0015);  // GCJ-02 is ~500 m east and ~200 m north here
    EXPECT_NEAR(lat0, 32.10 + 0.0021, 0.0015);
    EXPECT_TRUE(route["speed_limit_kmh"].is_null());

    const auto z = post("/api/v1/zones",
                        {{"name", "校园"},
                         {"crs", "wgs84"},
                         {"kind", "campus"},
                         {"speed_limit_kmh", 20},
                         {"geometry",
                          {{"type", "Polygon"},
                           {"coordinates",
                            {{{118.9, 32.1}, {118.92, 32.1}, {118.92, 32.12}, {118.9, 32.1}}}}}}});
    ASSERT_EQ(z.status, 201) << z.body;
    EXPECT_EQ(z.json()["geometry"]["type"], "Polygon");
    const auto circle = post("/api/v1/zones", {{"name", "鼓楼"},
                                               {"crs", "wgs84"},
                                               {"circle", {{"center", {118.78, 32.05}}, {"radius_m", 600}}}});
    ASSERT_EQ(circle.status, 201) << circle.body;
    EXPECT_EQ(circle.json()["circle"]["radius_m"], 600.0);
    EXPECT_EQ(circle.json()["kind"], "other");

    const auto cv = post("/api/v1/convoys",
                         {{"name", "生物学实习"}, {"leader_username", "li"}, {"max_gap_m", 2000}});
    ASSERT_EQ(cv.status, 201) << cv.body;
    const auto t = post("/api/v1/trips", {{"vehicle_id", vid},
                                          {"driver_id", did},
                                          {"route_id", route["id"]},
                                          {"convoy_id", cv.json()["id"]},
                                          {"planned_start", "2026-12-01T08:00:00+08:00"},
                                          {"planned_end", "2026-12-01T17:00:00+08:00"},
                                          {"students_aboard", true}});
    ASSERT_EQ(t.status, 201) << t.body;
    EXPECT_EQ(t.json()["vehicle_id"], vid);
    EXPECT_EQ(t.json()["convoy_id"], cv.json()["id"]);
    EXPECT_EQ(t.json()["students_aboard"], true);
    // li leads the new convoy: the new vehicle is now theirs to see.
    const std::string li = login(*c_, "li");
    EXPECT_EQ(c_->get("/api/v1/vehicles/" + std::to_string(vid), li).status, 200);

    for (const auto* kind : {"drivers", "routes", "zones", "convoys", "trips"}) {
        const auto list = c_->get(std::string("/api/v1/") + kind, root_);
        EXPECT_EQ(list.status, 200) << kind;
        EXPECT_GE(list.json()["items"].size(), 2u) << kind;
    }
    // What was there before is unchanged by the imports.
    EXPECT_EQ(scalar("SELECT count(*) FROM vehicles"), "5");
    EXPECT_EQ(scalar("SELECT source_crs FROM routes WHERE id = 1"), "wgs84");
}

TEST_F(FleetTest, APledgeLooserThanTheLawIs422NamingTheField) {
    const auto too_fast = post("/api/v1/drivers/1/pledges", {{"max_speed_kmh", 130},
                                                             {"signed_on", "2026-03-10"},
                                                             {"valid_from", "2026-03-10"},
                                                             {"valid_to", "2027-03-09"}});
    expect_error(too_fast, 422, "max_speed_kmh");
    EXPECT_EQ(too_fast.error_code(), "looser_than_law");
    expect_error(post("/api/v1/drivers/1/pledges", {{"max_continuous_driving_min", 300},
                                                    {"signed_on", "2026-03-10"},
                                                    {"valid_from", "2026-03-10"}}),
                 422, "max_continuous_driving_min");
    // Driver 1 drives vehicle 1, a school bus: 80 km/h at most (校车安全管理条例 §35).
    expect_error(post("/api/v1/drivers/1/pledges", {{"max_speed_kmh", 90},
                                                    {"signed_on", "2026-03-10"},
                                                    {"valid_from", "2026-03-10"}}),
                 422, "max_speed_kmh");
    expect_error(post("/api/v1/drivers/1/pledges",
                      {{"max_speed_kmh", 60}, {"signed_on", "someday"}, {"valid_from", "2026-03-10"}}),
                 400, "signed_on");
    EXPECT_EQ(count("pledges"), 0);

    const json terms = {{"max_speed_kmh", 60},
                        {"max_continuous_driving_min", 240},
                        {"night_max_continuous_min", 120},
                        {"min_rest_min", 20},
                        {"max_daily_driving_min", 480},
                        {"forbidden_hours", {"02:00-05:00"}},
                        {"max_route_deviation_m", 100},
                        {"signed_on", "2026-03-10"},
                        {"valid_from", "2026-03-10"},
                        {"valid_to", "2027-03-09"}};
    const std::string boss = login(*c_, "boss");
    const auto first = post("/api/v1/drivers/1/pledges", terms, boss);
    ASSERT_EQ(first.status, 201) << first.body;
    EXPECT_EQ(first.json()["version"], 1);
    EXPECT_EQ(first.json()["forbidden_hours"], json({"02:00-05:00"}));
    json stricter = terms;
    stricter["max_speed_kmh"] = 50;
    const auto second = post("/api/v1/drivers/1/pledges", stricter, boss);
    ASSERT_EQ(second.status, 201) << second.body;
    EXPECT_EQ(second.json()["version"], 2);
    EXPECT_EQ(c_->get("/api/v1/drivers/1/pledges", boss).json()["items"].size(), 2u);
    EXPECT_EQ(post("/api/v1/drivers/99/pledges", terms, boss).status, 404);
    EXPECT_EQ(post("/api/v1/drivers/1/pledges", terms, login(*c_, "disp")).status, 403);
}

TEST_F(FleetTest, InvalidRowsAre4xxNamingTheFieldAndStoreNothing) {
    const auto before = scalar("SELECT count(*) FROM vehicles") + scalar("SELECT count(*) FROM routes") +
                        scalar("SELECT count(*) FROM trips");
    expect_error(post("/api/v1/vehicles", {{"plate", "苏B1"}, {"class", "bus"}}), 400, "plate_color");
    expect_error(post("/api/v1/vehicles", {{"plate", "苏B1"}, {"plate_color", 1}, {"class", "rocket"}}),
                 400, "class");
    expect_error(post("/api/v1/vehicles",
                      {{"plate", "苏B1"}, {"plate_color", 1}, {"class", "bus"}, {"colour", 3}}),
                 400, "colour");
    expect_error(post("/api/v1/vehicles", {{"plate", "苏A00001"}, {"plate_color", 1}, {"class", "bus"}}),
                 409, "plate");
    expect_error(post("/api/v1/vehicles",
                      {{"plate", "苏B1"}, {"plate_color", 1}, {"class", "bus"}, {"terminal_phone", "013900000001"}}),
                 409, "terminal_phone");
    expect_error(post("/api/v1/routes", {{"name", "x"}, {"crs", "wgs84"},
                                         {"geometry", {{"type", "Point"}, {"coordinates", {1, 2}}}}}),
                 400, "geometry");
    expect_error(post("/api/v1/routes", {{"name", "x"}, {"crs", "mars"}, {"geometry", kLine}}), 400, "crs");
    expect_error(post("/api/v1/routes", {{"name", "x"}, {"crs", "wgs84"},
                                         {"geometry", {{"type", "LineString"}, {"coordinates", {{200, 2}, {1, 2}}}}}}),
                 400, "geometry[0]");
    expect_error(post("/api/v1/trips", {{"vehicle_id", 99}, {"driver_id", 1}, {"route_id", 1},
                                        {"planned_start", "08:00"}, {"planned_end", "09:00"}}),
                 400, "vehicle_id");
    expect_error(post("/api/v1/trips", {{"vehicle_id", 4}, {"driver_id", 1}, {"route_id", "1"},
                                        {"planned_start", "08:00"}, {"planned_end", "09:00"}}),
                 400, "route_id");
    expect_error(post("/api/v1/trips", {{"vehicle_id", 4}, {"driver_id", 1}, {"route_id", 1},
                                        {"planned_start", "8 o'clock"}, {"planned_end", "09:00"}}),
                 400, "planned_start");
    EXPECT_EQ(c_->request("POST", "/api/v1/vehicles", "{\"plate\":", root_).error_code(), "bad_json");
    EXPECT_EQ(scalar("SELECT count(*) FROM vehicles") + scalar("SELECT count(*) FROM routes") +
                  scalar("SELECT count(*) FROM trips"),
              before);

    // SQL in a name is only a name.
    const std::string sql = "x'); DROP TABLE vehicles; --";
    const auto d = post("/api/v1/drivers", {{"name", sql}, {"license_no", sql}});
    ASSERT_EQ(d.status, 201) << d.body;
    EXPECT_EQ(d.json()["name"], sql);
    EXPECT_EQ(scalar("SELECT count(*) FROM vehicles"), "4");
}

TEST_F(FleetTest, RolesAndDeletes) {
    const std::string disp = login(*c_, "disp");
    const std::string boss = login(*c_, "boss");
    const std::string li = login(*c_, "li");
    const json vehicle = {{"plate", "苏C1"}, {"plate_color", 1}, {"class", "car"}};
    EXPECT_EQ(post("/api/v1/vehicles", vehicle, disp).status, 403);
    EXPECT_EQ(post("/api/v1/vehicles", vehicle, boss).status, 403);
    EXPECT_EQ(post("/api/v1/vehicles", vehicle, li).status, 403);
    EXPECT_EQ(c_->get("/api/v1/drivers", li).status, 403);
    EXPECT_EQ(c_->get("/api/v1/trips", li).status, 403);
    EXPECT_EQ(c_->get("/api/v1/trips", disp).status, 200);
    // A leader sees the convoys they lead.
    EXPECT_EQ(ids_of(c_->get("/api/v1/convoys", li).json()), std::vector<std::int64_t>{1});
    EXPECT_EQ(c_->get("/api/v1/convoys/2", li).status, 403);
    EXPECT_EQ(c_->get("/api/v1/convoys/1", li).status, 200);
    // A dispatcher plans trips.
    const auto trip = post("/api/v1/trips", {{"vehicle_id", 4}, {"driver_id", 1}, {"route_id", 1},
                                             {"planned_start", "12:00"}, {"planned_end", "13:00"}},
                           disp);
    ASSERT_EQ(trip.status, 201) << trip.body;
    const std::string path = "/api/v1/trips/" + std::to_string(trip.json()["id"].get<std::int64_t>());
    EXPECT_EQ(c_->request("DELETE", path, {}, boss).status, 403);
    EXPECT_EQ(c_->request("DELETE", path, {}, disp).status, 204);
    EXPECT_EQ(c_->request("DELETE", path, {}, disp).status, 404);
    // Still used: refused, nothing deleted.
    const auto in_use = c_->request("DELETE", "/api/v1/routes/1", {}, root_);
    EXPECT_EQ(in_use.status, 409) << in_use.body;
    EXPECT_EQ(in_use.error_code(), "in_use");
    EXPECT_EQ(scalar("SELECT count(*) FROM routes"), "1");
    const auto v = post("/api/v1/vehicles", vehicle);
    ASSERT_EQ(v.status, 201);
    EXPECT_EQ(c_->request("DELETE", "/api/v1/vehicles/" + std::to_string(v.json()["id"].get<std::int64_t>()),
                          {}, root_)
                  .status,
              204);
}

// The fixture: vehicles 1-4 (苏A00001..4), driver 1 (L0001), route 1 "r", convoys 1 "biology"
// and 2 "geology", a trip of each vehicle on route 1 at 08:00 (convoys 1, 1, 2, none).

TEST_F(FleetTest, APatchChangesTheRowInPlaceAndGetShowsIt) {
    // Vehicle: fields, then a new plate (its natural key) — the same id, no second row, its
    // trip still its own; null clears the terminal phone.
    auto v = patch("/api/v1/vehicles/4", {{"class", "car"}, {"terminal_phone", "013900000009"}});
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(v.json()["id"], 4);
    EXPECT_EQ(v.json()["class"], "car");
    EXPECT_EQ(get("/api/v1/vehicles/4")["terminal_phone"], "013900000009");
    v = patch("/api/v1/vehicles/4", {{"plate", "苏A99999"}, {"requires_card", true}});
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(get("/api/v1/vehicles/4")["plate"], "苏A99999");
    EXPECT_EQ(get("/api/v1/vehicles/4")["requires_card"], true);
    EXPECT_EQ(scalar("SELECT count(*) FROM vehicles"), "4");
    EXPECT_EQ(scalar("SELECT count(*) FROM vehicles WHERE plate = '苏A00004'"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM trips WHERE vehicle_id = 4"), "1");
    v = patch("/api/v1/vehicles/4", {{"terminal_phone", nullptr}});
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_TRUE(get("/api/v1/vehicles/4")["terminal_phone"].is_null());
    // An empty change answers the row unchanged.
    const json before = get("/api/v1/vehicles/4");
    v = patch("/api/v1/vehicles/4", json::object());
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(v.json(), before);

    // Driver: a new license_no keeps the id, their pledge and their trips.
    const auto pledge =
        post("/api/v1/drivers/1/pledges",
             {{"max_speed_kmh", 60}, {"signed_on", "2026-03-10"}, {"valid_from", "2026-03-10"}});
    ASSERT_EQ(pledge.status, 201) << pledge.body;
    auto d = patch("/api/v1/drivers/1", {{"license_no", "L0002"}, {"ic_card_no", "IC1"}});
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(d.json()["id"], 1);
    EXPECT_EQ(get("/api/v1/drivers/1")["license_no"], "L0002");
    EXPECT_EQ(get("/api/v1/drivers/1")["ic_card_no"], "IC1");
    EXPECT_EQ(scalar("SELECT count(*) FROM drivers"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM pledges WHERE driver_id = 1"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM trips WHERE driver_id = 1"), "4");
    d = patch("/api/v1/drivers/1", {{"ic_card_no", nullptr}});
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_TRUE(get("/api/v1/drivers/1")["ic_card_no"].is_null());

    // Route: renamed with a limit, the limit cleared, drawn anew on AMap (GCJ-02), renamed again
    // (where it was drawn stays).
    auto r =
        patch("/api/v1/routes/1", {{"name", "r2"}, {"corridor_m", 80}, {"speed_limit_kmh", 40}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["id"], 1);
    EXPECT_EQ(get("/api/v1/routes/1")["name"], "r2");
    EXPECT_EQ(get("/api/v1/routes/1")["corridor_m"], 80);
    EXPECT_EQ(get("/api/v1/routes/1")["speed_limit_kmh"], 40);
    r = patch("/api/v1/routes/1", {{"speed_limit_kmh", nullptr}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(get("/api/v1/routes/1")["speed_limit_kmh"].is_null());
    EXPECT_EQ(get("/api/v1/routes/1")["corridor_m"], 80);
    r = patch("/api/v1/routes/1", {{"geometry", kLine}, {"crs", "gcj02"}});
    ASSERT_EQ(r.status, 200) << r.body;
    r = patch("/api/v1/routes/1", {{"name", "r3"}, {"corridor_m", nullptr}});  // back to 50
    ASSERT_EQ(r.status, 200) << r.body;
    const json route = get("/api/v1/routes/1");
    EXPECT_EQ(route["name"], "r3");
    EXPECT_EQ(route["crs"], "gcj02");
    EXPECT_EQ(route["corridor_m"], 50);
    EXPECT_EQ(route["geometry"]["coordinates"].size(), 3u);
    EXPECT_NEAR(route["geometry"]["coordinates"][0][0].get<double>(), 118.90 - 0.0050, 0.0015);
    EXPECT_EQ(scalar("SELECT count(*) FROM routes"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM trips WHERE route_id = 1"), "4");

    // Zone: a circle becomes a polygon under a new name; its limit is cleared.
    const auto z =
        post("/api/v1/zones", {{"name", "鼓楼"},
                               {"crs", "wgs84"},
                               {"speed_limit_kmh", 30},
                               {"circle", {{"center", {118.78, 32.05}}, {"radius_m", 600}}}});
    ASSERT_EQ(z.status, 201) << z.body;
    const std::string zone = "/api/v1/zones/" + std::to_string(z.json()["id"].get<std::int64_t>());
    const json square = {
        {"type", "Polygon"},
        {"coordinates", {{{118.9, 32.1}, {118.92, 32.1}, {118.92, 32.12}, {118.9, 32.1}}}}};
    auto zp = patch(zone, {{"name", "校园"},
                           {"kind", "campus"},
                           {"crs", "wgs84"},
                           {"geometry", square},
                           {"speed_limit_kmh", nullptr}});
    ASSERT_EQ(zp.status, 200) << zp.body;
    EXPECT_EQ(zp.json()["id"], z.json()["id"]);
    EXPECT_EQ(get(zone)["name"], "校园");
    EXPECT_EQ(get(zone)["kind"], "campus");
    EXPECT_TRUE(get(zone)["circle"].is_null());
    EXPECT_TRUE(get(zone)["speed_limit_kmh"].is_null());
    EXPECT_EQ(get(zone)["geometry"]["coordinates"][0].size(), 4u);
    // ... and back to a circle; a null kind is the create's default.
    zp = patch(zone, {{"crs", "wgs84"},
                      {"circle", {{"center", {118.78, 32.05}}, {"radius_m", 300}}},
                      {"kind", nullptr}});
    ASSERT_EQ(zp.status, 200) << zp.body;
    EXPECT_EQ(get(zone)["circle"]["radius_m"], 300.0);
    EXPECT_EQ(get(zone)["kind"], "other");
    EXPECT_EQ(scalar("SELECT count(*) FROM zones"), "1");

    // Convoy: renamed, its trips still in it.
    auto cv = patch("/api/v1/convoys/2", {{"name", "geo2"}, {"max_gap_m", 500}});
    ASSERT_EQ(cv.status, 200) << cv.body;
    EXPECT_EQ(get("/api/v1/convoys/2")["name"], "geo2");
    EXPECT_EQ(get("/api/v1/convoys/2")["max_gap_m"], 500);
    EXPECT_EQ(get("/api/v1/convoys/2")["vehicle_ids"], json({3}));
    EXPECT_EQ(scalar("SELECT count(*) FROM convoys"), "2");

    // Trip: joins a convoy, leaves it again (null), moves to another time and vehicle — its key.
    const std::string trip = trip_path(4);
    const auto trip_id = get(trip)["id"];
    auto t = patch(trip, {{"convoy_id", 2}, {"students_aboard", true}});
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_EQ(get(trip)["convoy_id"], 2);
    EXPECT_EQ(get(trip)["students_aboard"], true);
    t = patch(trip, {{"convoy_id", nullptr}});
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_TRUE(get(trip)["convoy_id"].is_null());
    const auto car =
        post("/api/v1/vehicles", {{"plate", "苏C1"}, {"plate_color", 1}, {"class", "car"}});
    ASSERT_EQ(car.status, 201) << car.body;
    t = patch(
        trip,
        {{"vehicle_id", car.json()["id"]}, {"planned_start", "09:00"}, {"planned_end", "11:00"}});
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_EQ(t.json()["id"], trip_id);
    EXPECT_EQ(get(trip)["vehicle_id"], car.json()["id"]);
    EXPECT_EQ(get(trip)["planned_start"], "09:00");
    EXPECT_EQ(get(trip)["planned_end"], "11:00");
    EXPECT_EQ(get(trip)["students_aboard"], true);
    EXPECT_EQ(scalar("SELECT count(*) FROM trips"), "4");
    EXPECT_EQ(scalar("SELECT count(*) FROM trips WHERE vehicle_id = 4"), "0");
}

TEST_F(FleetTest, APatchIsValidatedAsACreateAndChangesNothingWhenRefused) {
    const std::string trip = trip_path(4);
    const auto d2 = post("/api/v1/drivers",
                         {{"name", "李四"}, {"license_no", "L0009"}, {"certificate_no", "QC9"}});
    ASSERT_EQ(d2.status, 201) << d2.body;
    const auto z =
        post("/api/v1/zones", {{"name", "z"},
                               {"crs", "wgs84"},
                               {"circle", {{"center", {118.78, 32.05}}, {"radius_m", 600}}}});
    ASSERT_EQ(z.status, 201) << z.body;
    const std::string zone = "/api/v1/zones/" + std::to_string(z.json()["id"].get<std::int64_t>());
    const auto r2 = post("/api/v1/routes", {{"name", "r2"}, {"crs", "wgs84"}, {"geometry", kLine}});
    ASSERT_EQ(r2.status, 201) << r2.body;
    // 李四 pledged 90 km/h, fine on the truck 苏A00004; on a school bus (80 at most) it is not.
    ASSERT_EQ(
        post("/api/v1/drivers/" + std::to_string(d2.json()["id"].get<std::int64_t>()) + "/pledges",
             {{"max_speed_kmh", 90}, {"signed_on", "2026-03-10"}, {"valid_from", "2026-03-10"}})
            .status,
        201);
    ASSERT_EQ(post("/api/v1/trips", {{"vehicle_id", 4},
                                     {"driver_id", d2.json()["id"]},
                                     {"route_id", 1},
                                     {"planned_start", "12:00"},
                                     {"planned_end", "13:00"}})
                  .status,
              201);
    // A trip without a driver (the schema allows it) is not in the export: only the database
    // sees that its key is taken.
    const std::string driverless =
        "/api/v1/trips/" +
        scalar(
            "INSERT INTO trips (vehicle_id, route_id, planned_start, planned_end) "
            "VALUES (4, 1, '18:00', '19:00') RETURNING id");
    const auto fleet = [&] {
        return json{
            get("/api/v1/vehicles/4"),
            get("/api/v1/drivers/1"),
            get("/api/v1/routes/1"),
            get("/api/v1/convoys/2"),
            get(trip),
            get(zone),
            scalar("SELECT concat_ws(',', (SELECT count(*) FROM vehicles), (SELECT count(*) "
                   "FROM drivers), (SELECT count(*) FROM routes), (SELECT count(*) FROM "
                   "convoys), (SELECT count(*) FROM trips), (SELECT count(*) FROM zones))")};
    };
    const json before = fleet();

    // A change that makes another row invalid: 409 naming that row (pledges are never changed).
    const auto school_bus = patch("/api/v1/vehicles/4", {{"class", "school_bus"}});
    EXPECT_EQ(school_bus.status, 409) << school_bus.body;
    EXPECT_NE(school_bus.body.find("pledges["), std::string::npos) << school_bus.body;

    // Shapes and their coordinate system, as a create checks them.
    expect_error(
        patch("/api/v1/routes/1",
              {{"crs", "wgs84"}, {"geometry", {{"type", "Point"}, {"coordinates", {1, 2}}}}}),
        400, "geometry");
    expect_error(
        patch("/api/v1/routes/1",
              {{"crs", "wgs84"},
               {"geometry", {{"type", "LineString"}, {"coordinates", {{200, 2}, {1, 2}}}}}}),
        400, "geometry[0]");
    expect_error(patch("/api/v1/routes/1", {{"geometry", nullptr}}), 400, "geometry");
    expect_error(patch("/api/v1/routes/1", {{"geometry", kLine}}), 400, "crs");
    expect_error(patch("/api/v1/routes/1", {{"crs", "gcj02"}}), 400, "crs");
    expect_error(patch("/api/v1/routes/1", {{"crs", "mars"}, {"geometry", kLine}}), 400, "crs");
    expect_error(patch("/api/v1/routes/1", {{"corridor_m", 0}}), 400, "corridor_m");
    const json open_ring = {
        {"type", "Polygon"},
        {"coordinates", {{{118.9, 32.1}, {118.92, 32.1}, {118.92, 32.12}, {118.9, 32.2}}}}};
    expect_error(patch(zone, {{"crs", "wgs84"}, {"geometry", open_ring}}), 400, "geometry");
    expect_error(patch(zone, {{"crs", "wgs84"}, {"geometry", kLine}}), 400, "geometry");
    expect_error(patch(zone, {{"kind", "moon"}}), 400, "kind");
    EXPECT_EQ(get(zone)["circle"]["radius_m"], 600.0);

    // References, required fields, unknown members (also the file's own names), types.
    expect_error(patch(trip, {{"vehicle_id", 99}}), 400, "vehicle_id");
    expect_error(patch(trip, {{"route_id", "1"}}), 400, "route_id");
    expect_error(patch(trip, {{"convoy_id", 99}}), 400, "convoy_id");
    expect_error(patch(trip, {{"driver_id", nullptr}}), 400, "driver_id");
    expect_error(patch(trip, {{"planned_start", "8 o'clock"}}), 400, "planned_start");
    expect_error(patch(trip, {{"planned_end", "07:00:00Z"}}), 400, "planned_end");
    expect_error(patch(trip, {{"vehicle", "苏A00001"}}), 400, "vehicle");
    expect_error(patch(trip, {{"foo_id", 1}}), 400, "foo_id");
    expect_error(patch("/api/v1/vehicles/4", {{"plate", nullptr}}), 400, "plate");
    expect_error(patch("/api/v1/vehicles/4", {{"class", "rocket"}}), 400, "class");
    expect_error(patch("/api/v1/vehicles/4", {{"colour", 3}}), 400, "colour");
    expect_error(patch("/api/v1/vehicles/4", {{"colour", nullptr}}), 400, "colour");
    expect_error(patch("/api/v1/routes/1", {{"points", {{1, 2}, {3, 4}}}}), 400, "points");
    expect_error(patch("/api/v1/drivers/1", {{"name", ""}}), 400, "name");
    expect_error(patch("/api/v1/convoys/2", {{"max_gap_m", -1}}), 400, "max_gap_m");
    EXPECT_EQ(c_->request("PATCH", "/api/v1/vehicles/4", "{\"plate\":", root_).error_code(),
              "bad_json");
    EXPECT_EQ(c_->request("PATCH", "/api/v1/vehicles/4", "[]", root_).status, 400);

    // A key (or a unique number) another row has: 409, and neither row changes.
    expect_error(patch("/api/v1/vehicles/4", {{"plate", "苏A00001"}}), 409, "plate");
    expect_error(patch("/api/v1/vehicles/4", {{"terminal_phone", "013900000001"}}), 409,
                 "terminal_phone");
    expect_error(patch("/api/v1/drivers/1", {{"license_no", "L0009"}}), 409, "license_no");
    expect_error(patch("/api/v1/drivers/1", {{"certificate_no", "QC9"}}), 409, "certificate_no");
    expect_error(patch("/api/v1/convoys/2", {{"name", "biology"}}), 409, "name");
    expect_error(patch(trip, {{"vehicle_id", 3}}), 409, "planned_start");  // 苏A00003 on r at 08:00
    expect_error(patch("/api/v1/routes/1", {{"name", "r2"}}), 409, "name");
    // (renamed first in the import's transaction, refused there, nothing of it kept)
    expect_error(
        patch(trip,
              {{"planned_start", "18:00"}, {"planned_end", "19:00"}, {"students_aboard", true}}),
        409, "planned_start");
    expect_error(patch(driverless, {{"students_aboard", true}}), 400, "driver_id");
    EXPECT_EQ(patch(zone, {{"name", "z"}}).status, 200);  // its own name: no conflict
    // A convoy runs on one route: trip of vehicle 3 (geology, route r) cannot go to r2 alone.
    const std::string trip3 = trip_path(3);
    expect_error(patch(trip3, {{"route_id", r2.json()["id"]}, {"convoy_id", 1}}), 409, "route_id");

    // No such row.
    for (const char* path : {"/api/v1/vehicles/99", "/api/v1/drivers/99", "/api/v1/routes/99",
                             "/api/v1/zones/99", "/api/v1/convoys/99", "/api/v1/trips/99"}) {
        const auto r = patch(path, {{"name", "x"}});
        EXPECT_EQ(r.status, 404) << path << ": " << r.body;
        EXPECT_EQ(r.error_code(), "not_found") << path;
    }
    EXPECT_EQ(fleet(), before);

    // The driverless trip gets a driver by a PATCH.
    const auto given = patch(driverless, {{"driver_id", 1}});
    ASSERT_EQ(given.status, 200) << given.body;
    EXPECT_EQ(get(driverless)["driver_id"], 1);
    EXPECT_EQ(get(driverless)["planned_start"], "18:00");
}

TEST_F(FleetTest, PatchRoles) {
    const std::string disp = login(*c_, "disp");
    const std::string boss = login(*c_, "boss");
    const std::string li = login(*c_, "li");
    const std::string trip = trip_path(4);
    for (const auto& token : {disp, boss, li}) {
        EXPECT_EQ(patch("/api/v1/vehicles/4", {{"class", "car"}}, token).status, 403);
        EXPECT_EQ(patch("/api/v1/drivers/1", {{"name", "x"}}, token).status, 403);
        EXPECT_EQ(patch("/api/v1/routes/1", {{"corridor_m", 70}}, token).status, 403);
    }
    EXPECT_EQ(patch("/api/v1/convoys/1", {{"max_gap_m", 900}}, boss).status, 403);
    EXPECT_EQ(patch("/api/v1/convoys/1", {{"max_gap_m", 900}}, li).status, 403);  // even their own
    EXPECT_EQ(patch(trip, {{"students_aboard", true}}, boss).status, 403);
    EXPECT_EQ(get("/api/v1/convoys/1")["max_gap_m"], 3000);
    // A dispatcher plans: convoys and trips.
    EXPECT_EQ(patch("/api/v1/convoys/1", {{"max_gap_m", 900}}, disp).status, 200);
    EXPECT_EQ(get("/api/v1/convoys/1")["max_gap_m"], 900);
    EXPECT_EQ(patch(trip, {{"students_aboard", true}}, disp).status, 200);
    EXPECT_EQ(get(trip)["students_aboard"], true);
}

// Writes at the same time (the server runs two HTTP threads): each write imports the whole
// fleet it exported, so without one write at a time a create running beside deletes stores the
// deleted rows again.
TEST_F(FleetTest, ConcurrentWritesNeitherUndoDeletesNorLoseCreates) {
    constexpr int kRows = 12;
    std::vector<std::string> convoys;
    for (int i = 0; i < kRows; ++i) {
        const auto r = post("/api/v1/convoys", {{"name", "tmp" + std::to_string(i)},
                                                {"leader_username", "li"}});
        ASSERT_EQ(r.status, 201) << r.body;
        convoys.push_back("/api/v1/convoys/" + std::to_string(r.json()["id"].get<std::int64_t>()));
    }
    std::vector<int> deleted;
    std::thread deleter([&] {
        HttpClient c(port());
        for (const auto& path : convoys) deleted.push_back(c.request("DELETE", path, {}, root_).status);
    });
    std::vector<int> created;
    for (int i = 0; i < kRows; ++i) {
        created.push_back(post("/api/v1/drivers", {{"name", "d" + std::to_string(i)},
                                                   {"license_no", "LC" + std::to_string(i)}})
                              .status);
    }
    deleter.join();
    EXPECT_EQ(deleted, std::vector<int>(kRows, 204));
    EXPECT_EQ(created, std::vector<int>(kRows, 201));
    EXPECT_EQ(scalar("SELECT count(*) FROM convoys WHERE name LIKE 'tmp%'"), "0")
        << "a create stored deleted convoys again";
    EXPECT_EQ(scalar("SELECT count(*) FROM drivers WHERE license_no LIKE 'LC%'"),
              std::to_string(kRows));
}

}  // namespace
}  // namespace fleetwatch::api
