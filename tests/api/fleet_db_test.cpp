// The fleet routes over real HTTP against a real PostGIS: creates validated as a fleet file
// import validates them (ranges, references, duplicates, pledges against the law, CRS
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

}  // namespace
}  // namespace fleetwatch::api
