// /api/v1/violations over real HTTP against a real PostGIS: the list with its filters and
// cursor, one violation with its path and audit trail, who may see what, and the handling
// actions with their status machine and append-only audit (RULES.md "Handling", 留痕留迹).
#include "endpoints_fixture.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;
using testing::EndpointsTest;
using testing::HttpClient;
using testing::ids_of;

class ViolationsTest : public EndpointsTest {
  protected:
    // Inserts a violation the way the engine's store does (a row and its 'opened' audit row)
    // and returns its id.
    std::int64_t add_violation(const std::string& type, const std::string& vehicle,
                               const std::string& started_at, const std::string& extra_cols = "",
                               const std::string& extra_vals = "") {
        const std::string id = scalar(
            "INSERT INTO violations (type, severity, vehicle_id, started_at, peak, peak_unit, "
            "thresholds" +
            extra_cols + ") VALUES ('" + type + "', 'moderate', " + vehicle + ", '" + started_at +
            "', 72, 'km/h', '{\"limit_kmh\": 60, \"min_duration_s\": 10}'" + extra_vals +
            ") RETURNING id");
        scalar("INSERT INTO violation_audit (violation_id, actor, role, action) VALUES (" + id +
               ", 'engine', 'engine', 'opened') RETURNING 1");
        return std::stoll(id);
    }

    json act(HttpClient& c, const std::string& token, std::int64_t id, const json& body,
             int expected_status) {
        const auto r = c.post_json("/api/v1/violations/" + std::to_string(id) + "/actions", body,
                                   token);
        EXPECT_EQ(r.status, expected_status) << body.dump() << " -> " << r.body;
        return r.json();
    }

    // Every audit row, in order, as text: what must never change once written.
    std::string audit_dump() {
        return scalar(
            "SELECT coalesce(string_agg(id || '|' || violation_id || '|' || at || '|' || actor || "
            "'|' || role || '|' || action || '|' || note || '|' || detail::text, E'\\n' "
            "ORDER BY id), '') FROM violation_audit");
    }
};

TEST_F(ViolationsTest, TheListIsNewestFirstPagedByCursorAndFiltered) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(add_violation(i % 2 ? "fatigue_continuous" : "overspeed", i < 3 ? "1" : "3",
                                    "2026-03-10T0" + std::to_string(i) + ":00:00Z"));
    }
    HttpClient c(port());
    const std::string token = login(c, "boss");

    std::vector<std::int64_t> seen;
    std::string cursor;
    int pages = 0;
    do {
        const auto r = c.get("/api/v1/violations?limit=2" +
                                 (cursor.empty() ? std::string{} : "&cursor=" + cursor),
                             token);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto j = r.json();
        EXPECT_LE(j["items"].size(), 2u);
        for (const auto id : ids_of(j)) seen.push_back(id);
        cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
        ASSERT_LT(++pages, 10);
    } while (!cursor.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, (std::vector<std::int64_t>{ids[4], ids[3], ids[2], ids[1], ids[0]}));

    const auto get_ids = [&](const std::string& query) {
        const auto r = c.get("/api/v1/violations?" + query, token);
        EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
        return ids_of(r.json());
    };
    EXPECT_EQ(get_ids("vehicle_id=3"), (std::vector<std::int64_t>{ids[4], ids[3]}));
    EXPECT_EQ(get_ids("type=overspeed"), (std::vector<std::int64_t>{ids[4], ids[2], ids[0]}));
    EXPECT_EQ(get_ids("type=overspeed&vehicle_id=1"), (std::vector<std::int64_t>{ids[2], ids[0]}));
    EXPECT_EQ(get_ids("from=2026-03-10T01:00:00Z&to=2026-03-10T03:00:00Z"),
              (std::vector<std::int64_t>{ids[2], ids[1]}));
    EXPECT_EQ(get_ids("status=acknowledged"), std::vector<std::int64_t>{});
    EXPECT_EQ(get_ids("status=new").size(), 5u);
    EXPECT_EQ(get_ids("driver_id=7"), std::vector<std::int64_t>{});
}

TEST_F(ViolationsTest, BadFiltersAre400NamingTheParameter) {
    HttpClient c(port());
    const std::string token = login(c, "disp");
    for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
             {"type=speeding", "type"},
             {"type=overspeed'%20OR%201=1--", "type"},
             {"status=open", "status"},
             {"vehicle_id=abc", "vehicle_id"},
             {"vehicle_id=0", "vehicle_id"},
             {"driver_id=1;DROP%20TABLE%20violations", "driver_id"},
             {"from=yesterday", "from"},
             {"from=2026-03-10T02:00:00Z&to=2026-03-10T01:00:00Z", "from"},
             {"limit=0", "limit"},
             {"limit=many", "limit"},
             {"cursor=-3", "cursor"},
             {"cursor=x", "cursor"}}) {
        const auto r = c.get("/api/v1/violations?" + query, token);
        EXPECT_EQ(r.status, 400) << query;
        EXPECT_EQ(r.error_code(), "invalid_parameter") << query;
        EXPECT_EQ(r.json()["error"]["field"], field) << query;
    }
    EXPECT_EQ(count("violations"), 0);
}

TEST_F(ViolationsTest, OneViolationHasItsPathStartTripLimitAndAudit) {
    // 2026-03-10T01:30Z is 09:30 in Asia/Shanghai: inside vehicle 1's daily 08:00-10:00 trip.
    const auto id = add_violation(
        "overspeed", "1", "2026-03-10T01:30:00Z",
        ", ended_at, start_point, path, convoy_id, convoy_name, pledge_version",
        ", '2026-03-10T01:31:00Z', ST_GeogFromText('SRID=4326;POINT(118.75 32.04)'), "
        "ST_GeogFromText('SRID=4326;LINESTRING(118.75 32.04, 118.76 32.05)'), 1, 'biology', 2");
    const auto outside = add_violation("overspeed", "1", "2026-03-10T05:00:00Z");
    HttpClient c(port());
    const std::string token = login(c, "disp");
    const auto r = c.get("/api/v1/violations/" + std::to_string(id), token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto v = r.json();
    EXPECT_EQ(v["id"], id);
    EXPECT_EQ(v["type"], "overspeed");
    EXPECT_EQ(v["severity"], "moderate");
    EXPECT_EQ(v["vehicle_id"], 1);
    EXPECT_TRUE(v["driver_id"].is_null());
    EXPECT_EQ(v["trip_id"], std::stoll(scalar("SELECT id FROM trips WHERE vehicle_id = 1")));
    EXPECT_EQ(v["convoy_id"], 1);
    EXPECT_EQ(v["started_at"], "2026-03-10T01:30:00Z");
    EXPECT_EQ(v["ended_at"], "2026-03-10T01:31:00Z");
    EXPECT_DOUBLE_EQ(v["start"]["lat"].get<double>(), 32.04);
    EXPECT_DOUBLE_EQ(v["start"]["lon"].get<double>(), 118.75);
    EXPECT_EQ(v["peak"], 72.0);
    EXPECT_EQ(v["limit"], 60);
    EXPECT_EQ(v["thresholds"]["min_duration_s"], 10);
    EXPECT_EQ(v["pledge_version"], 2);
    EXPECT_EQ(v["status"], "new");
    EXPECT_EQ(v["late"], false);
    EXPECT_EQ(v["path"]["type"], "LineString");
    EXPECT_EQ(v["path"]["coordinates"], (json{{118.75, 32.04}, {118.76, 32.05}}));
    ASSERT_EQ(v["audit"].size(), 1u);
    EXPECT_EQ(v["audit"][0]["actor"], "engine");
    EXPECT_EQ(v["audit"][0]["action"], "opened");

    const auto o = c.get("/api/v1/violations/" + std::to_string(outside), token).json();
    EXPECT_TRUE(o["trip_id"].is_null()) << "13:00 local is outside the 08:00-10:00 trip";
    EXPECT_TRUE(o["path"].is_null());
    EXPECT_TRUE(o["start"].is_null());
    EXPECT_TRUE(o["ended_at"].is_null());

    EXPECT_EQ(c.get("/api/v1/violations/999999", token).status, 404);
    EXPECT_EQ(c.get("/api/v1/violations/abc", token).status, 404);
}

TEST_F(ViolationsTest, ALeaderSeesAndAcknowledgesOnlyTheirConvoys) {
    const auto mine = add_violation("overspeed", "2", "2026-03-10T01:00:00Z");
    const auto theirs = add_violation("overspeed", "3", "2026-03-10T01:00:00Z");
    const auto none = add_violation("overspeed", "4", "2026-03-10T01:00:00Z");
    // A convoy-level violation without a vehicle, of li's convoy.
    const auto convoy = add_violation("convoy_straggler", "NULL", "2026-03-10T01:00:00Z",
                                      ", convoy_id", ", 1");
    HttpClient c(port());
    const std::string li = login(c, "li");
    const auto r = c.get("/api/v1/violations", li);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(ids_of(r.json()), (std::vector<std::int64_t>{convoy, mine}));
    EXPECT_EQ(c.get("/api/v1/violations/" + std::to_string(theirs), li).status, 403);
    EXPECT_EQ(c.get("/api/v1/violations/" + std::to_string(none), li).error_code(), "forbidden");
    EXPECT_EQ(c.get("/api/v1/violations/" + std::to_string(convoy), li).status, 200);

    const auto before = audit_dump();
    const auto refused = act(c, li, theirs, {{"action", "acknowledge"}}, 403);
    EXPECT_EQ(refused["error"]["code"], "forbidden");
    act(c, li, mine, {{"action", "rectify"}, {"note", "talked to the driver"}}, 403);
    EXPECT_EQ(audit_dump(), before);
    EXPECT_EQ(scalar("SELECT string_agg(status, ',') FROM violations"), "new,new,new,new");

    const auto ok = act(c, li, mine, {{"action", "acknowledge"}, {"note", "seen"}}, 200);
    EXPECT_EQ(ok["status"], "acknowledged");
    EXPECT_EQ(ok["audit"].back()["actor"], "li");
    EXPECT_EQ(ok["audit"].back()["role"], "leader");

    // wang sees none of li's.
    const std::string wang = login(c, "wang");
    EXPECT_EQ(ids_of(c.get("/api/v1/violations", wang).json()),
              std::vector<std::int64_t>{theirs});
}

TEST_F(ViolationsTest, ActionsFollowTheStatusMachineAndOnlyEverAppendToTheAudit) {
    const auto id = add_violation("overspeed", "1", "2026-03-10T01:00:00Z");
    HttpClient c(port());
    const std::string disp = login(c, "disp");
    const std::string boss = login(c, "boss");

    const auto acked = act(c, disp, id, {{"action", "acknowledge"}}, 200);
    EXPECT_EQ(acked["status"], "acknowledged");
    const std::string after_ack = audit_dump();

    // A dispatcher acknowledges; handling is the managers'.
    EXPECT_EQ(act(c, disp, id, {{"action", "rectify"}, {"note", "x"}}, 403)["error"]["code"],
              "forbidden");
    EXPECT_EQ(act(c, boss, id, {{"action", "acknowledge"}}, 409)["error"]["code"], "conflict");
    EXPECT_EQ(act(c, boss, id, {{"action", "rectify"}}, 400)["error"]["field"], "note");
    EXPECT_EQ(act(c, boss, id, {{"action", "rectify"}, {"note", "  "}}, 400)["error"]["field"],
              "note");
    EXPECT_EQ(audit_dump(), after_ack);

    const auto done = act(c, boss, id, {{"action", "rectify"}, {"note", "司机已整改，重新培训"}}, 200);
    EXPECT_EQ(done["status"], "rectified");
    ASSERT_EQ(done["audit"].size(), 3u);
    EXPECT_EQ(done["audit"][1]["actor"], "disp");
    EXPECT_EQ(done["audit"][1]["action"], "acknowledge");
    EXPECT_EQ(done["audit"][2]["actor"], "boss");
    EXPECT_EQ(done["audit"][2]["role"], "manager");
    EXPECT_EQ(done["audit"][2]["action"], "rectify");
    EXPECT_EQ(done["audit"][2]["note"], "司机已整改，重新培训");
    EXPECT_EQ(done["audit"][2]["detail"]["status_before"], "acknowledged");
    // The earlier rows are exactly as they were: the trail only grows.
    EXPECT_EQ(audit_dump().substr(0, after_ack.size()), after_ack);

    // Final: nothing more may be done, and the refusal writes nothing.
    const std::string final_audit = audit_dump();
    for (const auto* action : {"acknowledge", "rectify", "dismiss", "excuse"}) {
        act(c, boss, id, {{"action", action}, {"note", "again"}}, 409);
    }
    EXPECT_EQ(audit_dump(), final_audit);
    EXPECT_EQ(scalar("SELECT status FROM violations WHERE id = " + std::to_string(id)),
              "rectified");
}

TEST_F(ViolationsTest, DismissAndExcuseNeedAReasonAndARetractedViolationTakesNoAction) {
    const auto a = add_violation("overspeed", "1", "2026-03-10T01:00:00Z");
    const auto b = add_violation("overspeed", "1", "2026-03-10T02:00:00Z");
    const auto gone = add_violation("overspeed", "1", "2026-03-10T03:00:00Z");
    scalar("UPDATE violations SET status = 'retracted' WHERE id = " + std::to_string(gone) +
           " RETURNING 1");
    HttpClient c(port());
    const std::string root = login(c, "root");
    act(c, root, a, {{"action", "dismiss"}}, 400);
    EXPECT_EQ(act(c, root, a, {{"action", "dismiss"}, {"note", "GPS drift"}}, 200)["status"],
              "dismissed");
    EXPECT_EQ(act(c, root, b, {{"action", "excuse"}, {"note", "ambulance escort"}}, 200)["status"],
              "excused");
    EXPECT_EQ(act(c, root, gone, {{"action", "acknowledge"}}, 409)["error"]["message"],
              "violation " + std::to_string(gone) + " is retracted; acknowledge needs status new");
    act(c, root, 999999, {{"action", "acknowledge"}}, 404);
}

TEST_F(ViolationsTest, MalformedAndHostileActionBodiesAre400AndChangeNothing) {
    const auto id = add_violation("overspeed", "1", "2026-03-10T01:00:00Z");
    HttpClient c(port());
    const std::string boss = login(c, "boss");
    const std::string target = "/api/v1/violations/" + std::to_string(id) + "/actions";
    const std::string before = audit_dump();
    EXPECT_EQ(c.request("POST", target, "{\"action\":", boss).error_code(), "bad_json");
    EXPECT_EQ(c.request("POST", target, "[1,2]", boss).error_code(), "bad_json");
    for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
             {json::object(), "action"},
             {{{"action", 1}}, "action"},
             {{{"action", "acknowledge'; DROP TABLE violations; --"}}, "action"},
             {{{"action", "ACKNOWLEDGE"}}, "action"},
             {{{"action", "acknowledge"}, {"note", 5}}, "note"},
             {{{"action", "acknowledge"}, {"note", std::string("a\0b", 3)}}, "note"},
             {{{"action", "acknowledge"}, {"note", std::string(4001, 'x')}}, "note"}}) {
        const auto r = c.post_json(target, body, boss);
        EXPECT_EQ(r.status, 400) << body.dump();
        EXPECT_EQ(r.json()["error"]["field"], field) << body.dump();
    }
    EXPECT_EQ(audit_dump(), before);
    EXPECT_EQ(scalar("SELECT status FROM violations"), "new");

    // SQL in a note is only text.
    const std::string sql = "'); DELETE FROM violation_audit; UPDATE violations SET status='x";
    const auto r = act(c, boss, id, {{"action", "acknowledge"}, {"note", sql}}, 200);
    EXPECT_EQ(r["audit"].back()["note"], sql);
    EXPECT_EQ(count("violation_audit"), 2);
    EXPECT_EQ(scalar("SELECT status FROM violations"), "acknowledged");
}

TEST_F(ViolationsTest, TheFirstHandlingOfALatchedTerminalAlarmConfirmsItOnTheTerminal) {
    const std::string phone = scalar("SELECT phone_key FROM vehicles WHERE id = 1");
    link_.connected = {phone};
    // Bit 0 (emergency) is latched until confirmed; bit 1 (overspeed alarm) is not.
    const auto sos = add_violation("terminal_alarm", "1", "2026-03-10T01:00:00Z");
    scalar("UPDATE violations SET thresholds = '{\"bit\": 0}' WHERE id = " + std::to_string(sos) +
           " RETURNING 1");
    const auto speed_bit = add_violation("terminal_alarm", "1", "2026-03-10T02:00:00Z");
    scalar("UPDATE violations SET thresholds = '{\"bit\": 1}' WHERE id = " +
           std::to_string(speed_bit) + " RETURNING 1");
    const auto offline = add_violation("terminal_alarm", "2", "2026-03-10T03:00:00Z");
    scalar("UPDATE violations SET thresholds = '{\"bit\": 20}' WHERE id = " +
           std::to_string(offline) + " RETURNING 1");
    HttpClient c(port());
    const std::string boss = login(c, "boss");

    EXPECT_EQ(act(c, boss, sos, {{"action", "acknowledge"}}, 200)["terminal_confirmation"],
              "queued");
    EXPECT_EQ(link_.sent(), std::vector<std::string>{phone + " confirm 1"});
    // Only the first handling sends it.
    EXPECT_TRUE(act(c, boss, sos, {{"action", "rectify"}, {"note", "checked with the driver"}},
                    200)["terminal_confirmation"]
                    .is_null());
    EXPECT_TRUE(
        act(c, boss, speed_bit, {{"action", "acknowledge"}}, 200)["terminal_confirmation"].is_null());
    EXPECT_EQ(act(c, boss, offline, {{"action", "acknowledge"}}, 200)["terminal_confirmation"],
              "offline");
    EXPECT_EQ(link_.sent().size(), 1u);
    // Whether the terminal was reached or not, the acknowledgement itself is recorded.
    EXPECT_EQ(scalar("SELECT status FROM violations WHERE id = " + std::to_string(offline)),
              "acknowledged");
}

}  // namespace
}  // namespace fleetwatch::api
