// fleetwatch's server as `fleetwatch serve` wires it (app::Service: directory, PositionWriter,
// ingest server) against a real PostGIS, driven by scripted terminals over TCP on 127.0.0.1.
// Each test has its own database (storage_test_db.hpp) and spool directory.
#include "fleetwatch/app/service.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/push/publisher.hpp"
#include "fleetwatch/jt808/text.hpp"
#include "fleetwatch/sim/scenario.hpp"
#include "fleetwatch/rules/engine.hpp"
#include "fleetwatch/storage/fleet_import.hpp"
#include "fleetwatch/storage/position_writer.hpp"
#include "http_client.hpp"
#include "speeding_drive.hpp"
#include "storage_test_db.hpp"
#include "test_terminal.hpp"

namespace fleetwatch::app {
namespace {

using namespace std::chrono_literals;
using ingest::test::eventually;
using ingest::test::make_location;
using ingest::test::TestTerminal;
using testing::drive;
using testing::send_batch;
namespace id = jt808::msg_id;

const core::CivilTime kGmt8Time{2026, 3, 10, 9, 2, 3};  // 2026-03-10T01:02:03Z
constexpr const char* kBusPhone = "013900000201";
constexpr const char* kCarPhone = "013900000101";
constexpr const char* kDemoFleet = FLEETWATCH_SOURCE_DIR "/deploy/demo-fleet.yaml";
constexpr const char* kUnknownPhone = "013999999999";

class ServiceDb : public storage::testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        bus_ = std::stoll(scalar(
            "INSERT INTO vehicles (plate, class, terminal_phone) "
            "VALUES ('苏AS0201', 'school_bus', '" + std::string(kBusPhone) + "') RETURNING id"));
        scalar("INSERT INTO vehicles (plate, class, terminal_phone) "
               "VALUES ('苏AX0101', 'bus', '" + std::string(kCarPhone) + "') RETURNING id");
        driver_ = std::stoll(scalar(
            "INSERT INTO drivers (license_no, name, certificate_no) "
            "VALUES ('320102197512030043', '陈秀英', 'QC320100000003') RETURNING id"));
        spool_ = std::filesystem::temp_directory_path() /
                 ("fleetwatch-service-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(spool_);
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(spool_);
        DatabaseTest::TearDown();
    }

    void start(std::map<std::string, std::string, std::less<>> extra = {}) {
        ConfigSources sources;
        sources.getenv = [](const std::string&) -> std::optional<std::string> { return {}; };
        sources.flags = {{"database.url", conninfo()},
                         {"ingest.listen", "127.0.0.1:0"},
                         {"http.listen", "127.0.0.1:0"},
                         {"ingest.threads", "2"},
                         {"metrics.listen", ""},
                         {"storage.spool_dir", spool_.string()},
                         {"storage.batch_interval_ms", "20"},
                         {"log.level", "warn"}};
        for (auto& [k, v] : extra) sources.flags[k] = v;
        service_ = std::make_unique<Service>(load_config(sources), *registry_, nullptr, publisher_);
        service_->start();
    }
    void restart() {
        service_.reset();
        registry_ = std::make_unique<prometheus::Registry>();
        start();
    }
    void restart_with_rules() {
        service_.reset();
        registry_ = std::make_unique<prometheus::Registry>();
        start({{"rules.fleet_file", kDemoFleet}});
    }
    std::uint16_t port() const { return service_->port(); }

    std::unique_ptr<TestTerminal> logged_in(const char* phone = kBusPhone) {
        auto t = std::make_unique<TestTerminal>(port(), phone);
        EXPECT_TRUE(t->connected());
        EXPECT_TRUE(t->login());
        return t;
    }
    // Sends one message and returns its 0x8001 result (0xFF when no answer).
    static std::uint8_t acked(TestTerminal& t, std::uint16_t serial, std::uint16_t msg_id) {
        auto r = t.receive_id(id::kPlatformResponse);
        if (!r) return 0xFF;
        EXPECT_EQ(r->ack().reply_serial, serial);
        EXPECT_EQ(r->ack().reply_msg_id, msg_id);
        return r->ack().result;
    }
    std::uint8_t report(TestTerminal& t, const jt808::Location& l) {
        return acked(t, t.send_message(l), id::kLocation);
    }
    // 0x0702 card-in of 陈秀英 (certificate QC320100000003, driver_) at `gmt8`; its 0x8001 result.
    std::uint8_t card_in(TestTerminal& t, core::CivilTime gmt8) {
        // The body holds views: the bytes must outlive send_message.
        const auto name = jt808::utf8_to_gbk("陈秀英");
        const auto issuer = jt808::utf8_to_gbk("南京市交通运输局");
        const std::string cert = "QC320100000003";
        jt808::DriverIdentity in;
        in.state = 1;
        in.time = jt808::BcdTime::from_civil(gmt8);
        in.ic_result = 0;
        in.driver_name = name;
        in.certificate_no = jt808::as_bytes(cert);
        in.issuer = issuer;
        in.certificate_expiry = core::CivilTime{2030, 1, 1, 0, 0, 0};
        return acked(t, t.send_message(in), id::kDriverIdentity);
    }
    // Waits (bounded) until `sql` yields `expected`, and returns the last value read.
    std::string wait_for(const std::string& sql, const std::string& expected,
                         std::chrono::milliseconds timeout = 10s) {
        std::string last;
        // As a scalar subquery: no row yet reads as "" instead of failing.
        eventually([&] { return (last = scalar("SELECT (" + sql + ")")) == expected; }, timeout);
        return last;
    }
    // After a refused report on `t`: logs in, reports a minute later, and expects only that one
    // stored. The refused report came earlier in the same session through the same writer
    // queue, so once the later one is in the table the refused one would be too.
    void expect_only_a_later_report_after_login(TestTerminal& t) {
        ASSERT_TRUE(t.login());
        core::CivilTime later = kGmt8Time;
        later.minute += 1;
        EXPECT_EQ(report(t, make_location(32'000'001, 118'800'001, 100, later)), 0);
        EXPECT_EQ(wait_for("SELECT string_agg(to_char(gps_time AT TIME ZONE 'UTC', "
                           "'HH24:MI:SS'), ',') FROM positions",
                           "01:03:03"),
                  "01:03:03");
    }

    core::VehicleId bus_ = 0;
    long long driver_ = 0;
    std::filesystem::path spool_;
    std::unique_ptr<prometheus::Registry> registry_ = std::make_unique<prometheus::Registry>();
    std::unique_ptr<Service> service_;
    push::Publisher* publisher_ = nullptr;  // nullptr: the service logs

  private:
    using DatabaseTest::SetUp;
};

std::vector<jt808::Location> minute_by_minute(int n, std::int32_t lat0) {
    std::vector<jt808::Location> items;
    for (int i = 0; i < n; ++i) {
        core::CivilTime c = kGmt8Time;
        c.minute = i;
        items.push_back(make_location(lat0 + i, 118'900'000 + i, static_cast<std::uint16_t>(i), c));
    }
    return items;
}

// ---- registration and authentication ----------------------------------------------------------

TEST_F(ServiceDb, KnownTerminalRegistersAndAuthenticatesAndItsCodeIsSaved) {
    start();
    TestTerminal t(port(), kBusPhone);
    const auto reg = t.register_terminal("苏AS0201");
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->result, 0);
    const std::string code(reg->auth_code.begin(), reg->auth_code.end());
    EXPECT_GE(code.size(), 8u);
    EXPECT_EQ(t.authenticate(code), std::optional<std::uint8_t>{0});
    EXPECT_EQ(wait_for("SELECT auth_code FROM terminals WHERE phone_key = '13900000201'", code),
              code);
    EXPECT_EQ(scalar("SELECT vehicle_id FROM terminals WHERE phone_key = '13900000201'"),
              std::to_string(bus_));
    EXPECT_EQ(scalar("SELECT model FROM terminals WHERE phone_key = '13900000201'"), "TEST-MODEL");
    // The authentication is recorded too (off the I/O threads, within a few seconds).
    EXPECT_EQ(wait_for("SELECT authenticated_at IS NOT NULL AND"
                       " abs(extract(epoch FROM authenticated_at - now())) < 60"
                       " FROM terminals WHERE phone_key = '13900000201'",
                       "t"),
              "t");
}

TEST_F(ServiceDb, A2019TerminalsImeiAndSoftwareVersionAreRecorded) {
    scalar("UPDATE vehicles SET terminal_phone = '12345678901234567890' WHERE id = " +
           std::to_string(bus_) + " RETURNING id");
    start();
    TestTerminal t(port(), "12345678901234567890", jt808::Dialect::v2019);
    ASSERT_TRUE(t.login());
    EXPECT_EQ(wait_for("SELECT concat_ws(' ', dialect, imei, software_version) FROM terminals"
                       " WHERE phone_key = '12345678901234567890'",
                       "2019 860000000000001 1.0.0"),
              "2019 860000000000001 1.0.0");
}

TEST_F(ServiceDb, TheSavedCodeStillAuthenticatesAfterARestart) {
    start();
    std::string code;
    {
        TestTerminal t(port(), kBusPhone);
        const auto reg = t.register_terminal();
        ASSERT_TRUE(reg);
        code.assign(reg->auth_code.begin(), reg->auth_code.end());
    }
    wait_for("SELECT auth_code FROM terminals WHERE phone_key = '13900000201'", code);
    restart();
    TestTerminal again(port(), kBusPhone);
    EXPECT_EQ(again.authenticate(code), std::optional<std::uint8_t>{0});
}

TEST_F(ServiceDb, WrongCodeIsRefusedAndItsPositionsAreNotStored) {
    start();
    TestTerminal t(port(), kBusPhone);
    ASSERT_TRUE(t.register_terminal());
    EXPECT_EQ(t.authenticate("not-the-code"), std::optional<std::uint8_t>{1});
    EXPECT_EQ(report(t, make_location(32'000'000, 118'800'000, 100, kGmt8Time)), 1);
    expect_only_a_later_report_after_login(t);
}

TEST_F(ServiceDb, UnknownTerminalIsAnsweredResult4AndCannotAuthenticate) {
    start();
    TestTerminal t(port(), kUnknownPhone);
    const auto reg = t.register_terminal("苏A99999");
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->result, 4);
    EXPECT_TRUE(reg->auth_code.empty());
    EXPECT_EQ(t.authenticate("anything"), std::optional<std::uint8_t>{1});
    EXPECT_EQ(count("SELECT 1 FROM vehicles WHERE plate = '苏A99999'"), 0);
}

TEST_F(ServiceDb, AutoRegisterCreatesAVehicleForAnUnknownTerminal) {
    start({{"ingest.auto_register", "true"}});
    TestTerminal t(port(), kUnknownPhone);
    const auto reg = t.register_terminal("苏A99999");
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->result, 0);
    const std::string code(reg->auth_code.begin(), reg->auth_code.end());
    EXPECT_EQ(t.authenticate(code), std::optional<std::uint8_t>{0});
    const std::string vehicle =
        scalar("SELECT id FROM vehicles WHERE plate = '苏A99999' AND phone_key = '13999999999'");
    EXPECT_EQ(report(t, make_location(32'000'000, 118'800'000, 100, kGmt8Time)), 0);
    EXPECT_EQ(wait_for("SELECT string_agg(vehicle_id::text, ',') FROM positions", vehicle), vehicle);
}

TEST_F(ServiceDb, LocationBeforeAuthenticationIsRefusedAndNotStored) {
    start();
    TestTerminal t(port(), kBusPhone);
    EXPECT_EQ(report(t, make_location(32'000'000, 118'800'000, 100, kGmt8Time)), 1);
    expect_only_a_later_report_after_login(t);
}

// ---- positions ----------------------------------------------------------------------------------

TEST_F(ServiceDb, PositionIsStoredWithTheValuesTheTerminalSent) {
    start();
    auto t = logged_in();
    jt808::Location l = make_location(32'061'234, 118'796'543, 653, kGmt8Time, 0x3, 0x1);
    l.extras.fuel_100ml = 456;
    l.extras.signal_strength = 20;
    ASSERT_EQ(report(*t, l), 0);
    ASSERT_EQ(wait_for("SELECT count(*) FROM positions", "1"), "1");
    EXPECT_EQ(scalar("SELECT concat_ws(' ', vehicle_id,"
                     " to_char(gps_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
                     " round(ST_Y(geom::geometry)::numeric, 6), round(ST_X(geom::geometry)::numeric, 6),"
                     " altitude_m, speed_kmh, direction, alarm, status, valid, mileage_km, fuel_l,"
                     " satellites, signal_strength, source) FROM positions"),
              std::to_string(bus_) +
                  " 2026-03-10T01:02:03 32.061234 118.796543 12 65.3 90 1 3 t 1234.5 45.6 9 20 0");
    // received_at is the server's clock, not the terminal's.
    EXPECT_EQ(scalar("SELECT abs(extract(epoch FROM received_at - now())) < 30 FROM positions"),
              "t");
    EXPECT_EQ(scalar("SELECT ST_SRID(geom::geometry) FROM positions"), "4326");
}

// Source 3 is a blind-zone back-fill (0x0704 type 1), see core::PositionSource.
TEST_F(ServiceDb, BatchIsStoredInOrderWithItsSource) {
    start();
    auto t = logged_in();
    const auto items = minute_by_minute(5, 32'000'000);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(1, items, jt808::Dialect::v2013, body));
    ASSERT_EQ(acked(*t, t->send(id::kLocationBatch, body), id::kLocationBatch), 0);
    ASSERT_EQ(wait_for("SELECT count(*) FROM positions", "5"), "5");
    EXPECT_EQ(scalar("SELECT string_agg(concat(to_char(gps_time AT TIME ZONE 'UTC', 'HH24:MI'), '=',"
                     " round(ST_Y(geom::geometry)::numeric, 6), '/', source), ' ' ORDER BY gps_time)"
                     " FROM positions"),
              "01:00=32.000000/3 01:01=32.000001/3 01:02=32.000002/3 01:03=32.000003/3 "
              "01:04=32.000004/3");
}

TEST_F(ServiceDb, RetransmittedReportsAreStoredOnce) {
    start();
    auto t = logged_in();
    const auto l = make_location(32'000'000, 118'800'000, 100, kGmt8Time);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(l, jt808::Dialect::v2013, body));
    // The same frame twice (lost ack), then the same report under a new serial, then inside
    // a blind-zone batch, and once more on a new connection.
    const auto frames = t->frames(id::kLocation, body, jt808::kMaxBodyBytes);
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_TRUE(t->send_raw(frames[0]));
    ASSERT_TRUE(t->send_raw(frames[0]));
    for (int i = 0; i < 2; ++i) {
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().result, 0);
    }
    EXPECT_EQ(report(*t, l), 0);
    jt808::Buffer batch;
    ASSERT_TRUE(jt808::encode_location_batch(1, std::vector{l, l}, jt808::Dialect::v2013, batch));
    EXPECT_EQ(acked(*t, t->send(id::kLocationBatch, batch), id::kLocationBatch), 0);
    t.reset();
    auto again = logged_in();
    EXPECT_EQ(report(*again, l), 0);
    service_->stop();  // flushes everything accepted
    EXPECT_EQ(count("positions"), 1);
}

TEST_F(ServiceDb, SubPackagedBatchIsReassembledAfterAskingForTheMissingPart) {
    start({{"ingest.resend_after_ms", "200"}});
    auto t = logged_in();
    const auto items = minute_by_minute(12, 31'000'000);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(1, items, jt808::Dialect::v2013, body));
    const auto frames = t->frames(id::kLocationBatch, body, 100);
    ASSERT_GT(frames.size(), 3u);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i != 2) {
            ASSERT_TRUE(t->send_raw(frames[i]));
        }
    }
    auto request = t->receive_id(id::kResendRequest, 5s);
    ASSERT_TRUE(request);
    const auto decoded = request->decode();
    ASSERT_TRUE(decoded);
    const auto* rr = std::get_if<jt808::PlatformResendRequest>(&*decoded);
    ASSERT_NE(rr, nullptr);
    EXPECT_EQ(rr->package_ids, std::vector<std::uint16_t>{3});
    EXPECT_EQ(count("positions"), 0);
    ASSERT_TRUE(t->send_raw(frames[2]));
    ASSERT_EQ(wait_for("SELECT count(*) FROM positions", "12"), "12");
    EXPECT_EQ(scalar("SELECT string_agg(round(ST_Y(geom::geometry)::numeric * 1e6 - 31000000)::text,"
                     " ',' ORDER BY gps_time) FROM positions"),
              "0,1,2,3,4,5,6,7,8,9,10,11");
}

// ---- driver cards -------------------------------------------------------------------------------

TEST_F(ServiceDb, DriverCardInAndOutMakeOneSessionMatchedToTheDriver) {
    start();
    auto t = logged_in();
    ASSERT_EQ(card_in(*t, kGmt8Time), 0);
    jt808::DriverIdentity out;
    out.state = 2;
    core::CivilTime later = kGmt8Time;
    later.hour = 17;
    out.time = jt808::BcdTime::from_civil(later);
    ASSERT_EQ(acked(*t, t->send_message(out), id::kDriverIdentity), 0);
    const std::string expected = std::to_string(bus_) + " " + std::to_string(driver_) +
                                 " 陈秀英 QC320100000003 南京市交通运输局 01:02 09:02 card_out";
    EXPECT_EQ(wait_for("SELECT concat_ws(' ', vehicle_id, driver_id, driver_name, certificate_no,"
                       " issuer, to_char(card_in_at AT TIME ZONE 'UTC', 'HH24:MI'),"
                       " to_char(card_out_at AT TIME ZONE 'UTC', 'HH24:MI'), closed_by)"
                       " FROM driver_card_sessions",
                       expected),
              expected);
}

// ---- shutdown -----------------------------------------------------------------------------------

TEST_F(ServiceDb, StopFlushesEveryAcknowledgedPosition) {
    start({{"storage.batch_interval_ms", "5000"}, {"storage.batch_size", "100000"}});
    auto t = logged_in();
    const auto items = minute_by_minute(30, 30'000'000);
    for (const auto& l : items) ASSERT_EQ(report(*t, l), 0);
    service_->stop();
    EXPECT_EQ(count("positions"), 30);
}

// The HTTP API runs beside ingest (http.listen), and the first start with an empty users table
// creates `admin` with FLEETWATCH_ADMIN_PASSWORD.
TEST_F(ServiceDb, TheHttpApiAnswersAndTheFirstStartCreatesTheAdminFromTheEnvironment) {
    ::setenv("FLEETWATCH_ADMIN_PASSWORD", "service-test-admin", 1);
    start();
    ::unsetenv("FLEETWATCH_ADMIN_PASSWORD");
    ASSERT_NE(service_->http_port(), 0);
    EXPECT_EQ(scalar("SELECT username || ' ' || role FROM users"), "admin admin");
    api::testing::HttpClient c(service_->http_port());
    EXPECT_EQ(c.get("/api/v1/health").body, R"({"database":true,"status":"ok"})");
    const auto login = c.post_json("/api/v1/auth/login",
                                   {{"username", "admin"}, {"password", "service-test-admin"}});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto vehicles = c.get("/api/v1/vehicles", login.json()["token"]);
    ASSERT_EQ(vehicles.status, 200);
    EXPECT_EQ(vehicles.json()["items"].size(), 2u);
    service_->stop();  // the API stops first; ingest and the writer after it
    EXPECT_THROW(api::testing::HttpClient(service_->http_port()).get("/api/v1/health"),
                 std::exception);
}

// ---- rules ---------------------------------------------------------------------------------------

// One car and a route, with scripted speeding for fleetwatch-sim. A car, so that the episodes
// do not depend on the time of day the test runs at (buses may not drive 02:00-05:00; the
// night limit is lower, but 130 km/h is over it too).
constexpr const char* kScriptedFleet = R"(version: 1
timezone: Asia/Shanghai
vehicles:
  - {plate: 苏AT0001, plate_color: 2, class: car, terminal_phone: "013911110001"}
drivers:
  - {name: 陈秀英, license_no: "320102197512030043", ic_card_no: "IC0003", certificate_no: "QC320100000003"}
routes:
  - name: 测试线
    crs: wgs84
    corridor_m: 50
    points: [[118.9586, 32.1103], [118.9200, 32.0990], [118.8800, 32.0800]]
simulation:
  protocol: "2013"
  report_interval_s: 5
  time_scale: 30
  terminals:
    - vehicle: 苏AT0001
      route: 测试线
      speed_kmh: 40
      misbehaviour: [{kind: speeding, speed_kmh: 130, after_min: 1, for_min: 1}]
)";
constexpr const char* kScriptedPhone = "013911110001";

// Records what the rules publish (thread-safe: called on the rules thread).
class RecordingPublisher final : public push::Publisher {
  public:
    void violation(const push::ViolationEvent& e) override {
        const std::lock_guard lock(mutex_);
        lines_.push_back(std::string(push::to_string(e.kind)) + " " + std::to_string(e.violation_id) +
                         " " + e.type);
    }
    void warning(const push::FatigueWarning&) override {}
    std::vector<std::string> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

class RulesServiceDb : public ServiceDb {
  protected:
    void SetUp() override {
        ServiceDb::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto parsed = fleet::parse_fleet_file(kDemoFleet);
        ASSERT_TRUE(parsed.fleet);
        storage::import_fleet(conninfo(), *parsed.fleet);
    }
    void start_with_rules() { start({{"rules.fleet_file", kDemoFleet}}); }
    // kScriptedFleet, written next to the spool directory and imported; returns the file.
    std::string import_scripted_fleet() {
        const auto file = spool_.parent_path() / (spool_.filename().string() + "-fleet.yaml");
        std::ofstream(file) << kScriptedFleet;
        scripted_fleet_ = fleet::parse_fleet_file(file.string()).fleet;
        EXPECT_TRUE(scripted_fleet_);
        if (scripted_fleet_) storage::import_fleet(conninfo(), *scripted_fleet_);
        return file.string();
    }
    void TearDown() override {
        ServiceDb::TearDown();
        std::filesystem::remove(spool_.parent_path() / (spool_.filename().string() + "-fleet.yaml"));
    }
    std::optional<fleet::Fleet> scripted_fleet_;

    std::string overspeed_rows() {
        return "SELECT count(*) FROM violations v JOIN vehicles ve ON ve.id = v.vehicle_id "
               "WHERE v.type = 'overspeed' AND ve.plate = '苏AX0101'";
    }
};

TEST_F(RulesServiceDb, SpeedingIsStoredAsAViolationAndTheDriverHearsTheReminder) {
    RecordingPublisher published;
    publisher_ = &published;
    start_with_rules();
    auto t = logged_in(kCarPhone);
    send_batch(*t, drive(20, 130, 120s));
    const auto text = t->receive_id(id::kText, 10s);
    ASSERT_TRUE(text) << "no 0x8300 reminder reached the terminal";
    const auto body = text->decode();
    ASSERT_TRUE(body) << body.error().message();
    const auto& m = std::get<jt808::TextMessage>(*body);
    EXPECT_TRUE(m.flag & jt808::TextMessage::kFlagTts);
    EXPECT_NE(m.text.find("超速"), std::string::npos) << m.text;
    EXPECT_EQ(wait_for(overspeed_rows(), "1"), "1");
    EXPECT_EQ(scalar("SELECT a.action FROM violation_audit a JOIN violations v ON "
                     "v.id = a.violation_id WHERE v.type = 'overspeed' ORDER BY a.id LIMIT 1"),
              "opened");
    // A minute and more under the limit closes it.
    send_batch(*t, drive(75, 30, 99s));
    EXPECT_EQ(wait_for(overspeed_rows() + " AND v.ended_at IS NOT NULL", "1"), "1");
    // Published once stored, with the row's id. Only the overspeed lines: from 06:40 local the
    // demo fleet's daily trips are on, and its other vehicles, silent here, open
    // terminal_offline (the test must not depend on the time of day it runs at).
    const std::string id = scalar("SELECT id FROM violations WHERE type = 'overspeed'");
    std::vector<std::string> lines;
    eventually(
        [&] {
            lines.clear();
            for (auto& l : published.lines())
                if (l.ends_with(" overspeed")) lines.push_back(std::move(l));
            return !lines.empty() && lines.back().starts_with("violation.closed");
        },
        5s);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "violation.opened " + id + " overspeed");
    EXPECT_EQ(lines.back(), "violation.closed " + id + " overspeed");
}

TEST_F(RulesServiceDb, AfterARestartTheEpisodeContinuesInItsRow) {
    start_with_rules();
    {
        auto t = logged_in(kCarPhone);
        send_batch(*t, drive(20, 130, 120s));
        ASSERT_EQ(wait_for(overspeed_rows() + " AND v.ended_at IS NULL", "1"), "1");
    }
    restart_with_rules();
    auto t = logged_in(kCarPhone);
    send_batch(*t, drive(75, 30, 99s));  // after the stored ones: closes the same episode
    EXPECT_EQ(wait_for(overspeed_rows() + " AND v.ended_at IS NOT NULL", "1"), "1");
    EXPECT_EQ(scalar(overspeed_rows()), "1");
}

// A daytime drive of the scripted car for the restart tests: from 08:00 local yesterday, one fix
// a minute at 50 km/h (833 m a minute: 7.5 milli-degrees of latitude), the driver's card in a
// minute before. The continuous-driving limit of a car by day is 4 h (RULES.md), so the
// fatigue episode opens at 12:00 local.
class FourHourDrive {
  public:
    FourHourDrive() {
        core::CivilTime day = core::to_civil(core::utc_now() - 24h, core::kChinaUtcOffset);
        day.hour = 8;
        day.minute = 0;
        day.second = 0;
        t0_ = core::to_timestamp(day, core::kChinaUtcOffset);
    }
    core::Timestamp at(int minute) const { return t0_ + std::chrono::minutes{minute}; }
    core::CivilTime gmt8(core::Timestamp t) const { return core::to_civil(t, core::kChinaUtcOffset); }
    core::GeoPoint point(int minute) const { return {31'000'000 + minute * 7'500, 118'950'000}; }
    std::vector<jt808::Location> reports(int from, int to) const {
        std::vector<jt808::Location> items;
        for (int i = from; i < to; ++i) {
            const core::GeoPoint p = point(i);
            items.push_back(make_location(p.lat_e6, p.lon_e6, 500, gmt8(at(i))));
        }
        return items;
    }

  private:
    core::Timestamp t0_{};
};

class RestartServiceDb : public RulesServiceDb {
  protected:
    // Rules with the scripted fleet, looking back far enough for yesterday's drive, as shards
    // with the driver's stage on another shard than the car's: the fatigue clock is then fed
    // by mail between shard threads.
    std::map<std::string, std::string, std::less<>> rules_config() {
        const std::string fleet_file = import_scripted_fleet();
        car_ = static_cast<core::VehicleId>(std::stoll(scalar(
            "SELECT id FROM vehicles WHERE terminal_phone = '" + std::string(kScriptedPhone) + "'")));
        std::size_t shards = 2;
        while (rules::driver_shard({driver_, false}, shards) == rules::vehicle_shard(car_, shards))
            ++shards;
        return {{"rules.fleet_file", fleet_file},
                {"rules.rebuild_lookback_h", "72"},
                {"rules.shards", std::to_string(shards)}};
    }
    void send(TestTerminal& t, int from, int to) {
        for (const auto& l : drive_.reports(from, to)) ASSERT_EQ(report(t, l), 0);
    }
    void expect_one_fatigue_episode_at_noon() {
        const std::string fatigue =
            "SELECT string_agg(to_char(started_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI'), ',') "
            "FROM violations WHERE type = 'fatigue_continuous'";
        EXPECT_EQ(wait_for(fatigue, "12:00", 20s), "12:00");
        EXPECT_EQ(scalar("SELECT count(*) FROM violations WHERE type = 'fatigue_continuous'"), "1");
        EXPECT_EQ(scalar("SELECT driver_id FROM violations WHERE type = 'fatigue_continuous'"),
                  std::to_string(driver_));
    }

    FourHourDrive drive_;
    core::VehicleId car_ = 0;
};

// Issue 4's restart acceptance: the 4.5 h drive with the server restarted after 2 h. The
// engine is rebuilt from the stored positions and card sessions, so the continuous-driving
// clock runs across the restart: the fatigue episode opens 4 h into the drive, charged to the
// driver. (tests/e2e/kill_restart_test.sh does it with SIGKILL and fleetwatch-sim.)
TEST_F(RestartServiceDb, AFatigueClockSurvivesARestartInTheMiddleOfAFourHourDrive) {
    const auto rules = rules_config();
    start(rules);
    {
        auto t = logged_in(kScriptedPhone);
        // The driver's card goes in first: after the restart the engine must still know who
        // drives (the card event is replayed with the positions).
        ASSERT_EQ(card_in(*t, drive_.gmt8(drive_.at(-1))), 0);
        send(*t, 0, 120);
        ASSERT_EQ(wait_for("SELECT count(*) FROM positions", "120"), "120");
    }
    service_.reset();  // the engine's state is gone with it
    registry_ = std::make_unique<prometheus::Registry>();
    start(rules);
    auto t = logged_in(kScriptedPhone);
    send(*t, 120, 270);
    expect_one_fatigue_episode_at_noon();
}

// The first 2 h of the drive (and the card) were acknowledged while PostgreSQL was away, so
// they are in the writer's spool, not the table, when the server starts again. The rebuild
// waits for the writer to replay the spool into the table, so the clock still includes them.
TEST_F(RestartServiceDb, WhatTheSpoolHeldAtTheRestartStillCountsForTheFatigueClock) {
    const auto rules = rules_config();
    {
        prometheus::Registry r;
        storage::PositionWriterConfig wc;
        wc.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";  // PostgreSQL away
        wc.spool_dir = spool_;
        storage::PositionWriter away(wc, r);
        core::DriverCardEvent card;
        card.vehicle_id = car_;
        card.time = drive_.at(-1);
        card.received_at = card.time;
        card.inserted = true;
        card.ic_result = 0;
        card.driver_name = "陈秀英";
        card.certificate_no = "QC320100000003";
        ASSERT_TRUE(away.submit(card));
        for (int i = 0; i < 120; ++i) {
            core::Position p;
            p.vehicle_id = car_;
            p.gps_time = drive_.at(i);
            p.received_at = p.gps_time;
            p.point = drive_.point(i);
            p.speed_dkmh = 500;
            p.status = 0x3;
            p.valid = true;
            ASSERT_TRUE(away.submit(std::span(&p, 1)));
        }
        away.stop();
        ASSERT_EQ(away.spooled_records(), 121u);
    }
    ASSERT_EQ(scalar("SELECT count(*) FROM positions"), "0");
    start(rules);
    EXPECT_EQ(scalar("SELECT count(*) FROM positions"), "120") << "replayed before the rebuild";
    auto t = logged_in(kScriptedPhone);
    send(*t, 120, 270);
    expect_one_fatigue_episode_at_noon();
}

// The issue's end-to-end acceptance in one process: fleetwatch-sim's scenario engine drives the
// car of kScriptedFleet over real TCP into the real server and PostGIS. GPS time starts 9 min
// back and runs 30x, so the speeding (GPS minutes 1-2) arrives within the 10 min after its start
// in which a reminder is still spoken.
TEST_F(RulesServiceDb, TheSimulatorsScriptedSpeedingIsExactlyOneEpisodeAndTheCabHearsIt) {
    start({{"rules.fleet_file", import_scripted_fleet()}});
    ASSERT_TRUE(scripted_fleet_);
    auto built = sim::build_terminals(*scripted_fleet_, {});
    ASSERT_TRUE(built.problems.empty()) << built.problems.front();
    sim::ScenarioOptions o;
    o.port = port();
    o.gps_start = core::utc_now() - 9min;
    o.time_scale = 30;
    o.report_interval_s = 5;
    sim::TextCollector texts;
    sim::ScenarioHooks hooks;
    hooks.on_text = [&](const sim::TextReceived& t) { texts.add(t); };
    sim::Scenario scenario(std::move(built.terminals), o, hooks);
    scenario.start();
    const auto heard = texts.wait_for("苏AT0001", "超速", 20s);
    // Closed after a minute under the limit (GPS minute 3, some 6 s of wall time).
    const std::string episodes =
        "SELECT string_agg(concat_ws(':', type, ended_at IS NOT NULL, late), ',') "
        "FROM violations";
    const std::string got = wait_for(episodes, "overspeed:t:f", 20s);
    scenario.stop();
    ASSERT_TRUE(heard) << scenario.status_line();
    EXPECT_TRUE(heard->tts);
    EXPECT_EQ(got, "overspeed:t:f") << scenario.status_line();
    EXPECT_EQ(scalar("SELECT string_agg(a.action, ',' ORDER BY a.id) FROM violation_audit a"),
              "opened,closed");
    EXPECT_GE(std::stoi(scalar("SELECT ST_NPoints(path::geometry) FROM violations")), 2);
}

// Item 6 of issue 5: a person acknowledging an SOS through the API confirms it on the terminal
// (0x8203), so the terminal clears its latched bit; a dispatcher's text reaches the cab.
TEST_F(RulesServiceDb, AcknowledgingAnSosSendsTheTerminalItsConfirmationAndTextReachesTheCab) {
    ::setenv("FLEETWATCH_ADMIN_PASSWORD", "service-test-admin", 1);
    start_with_rules();
    ::unsetenv("FLEETWATCH_ADMIN_PASSWORD");
    auto t = logged_in(kCarPhone);
    const auto now = core::to_civil(core::utc_now() - 5s, core::kChinaUtcOffset);
    EXPECT_EQ(report(*t, make_location(32'100'000, 118'950'000, 0, now, 0x2, /*alarm: SOS*/ 1u)),
              0);
    const std::string sos = "SELECT count(*) FROM violations WHERE type = 'terminal_alarm'";
    ASSERT_EQ(wait_for(sos, "1"), "1") << "no terminal_alarm violation";
    const std::string violation =
        scalar("SELECT id FROM violations WHERE type = 'terminal_alarm'");

    api::testing::HttpClient c(service_->http_port());
    const std::string token = c.post_json("/api/v1/auth/login", {{"username", "admin"},
                                                                 {"password", "service-test-admin"}})
                                  .json()
                                  .value("token", "");
    const auto acked = c.post_json("/api/v1/violations/" + violation + "/actions",
                                   {{"action", "acknowledge"}}, token);
    ASSERT_EQ(acked.status, 200) << acked.body;
    EXPECT_EQ(acked.json()["terminal_confirmation"], "queued");
    const auto confirm = t->receive_id(id::kAlarmConfirm, 5s);
    ASSERT_TRUE(confirm) << "no 0x8203 reached the terminal";
    const auto body = confirm->decode();
    ASSERT_TRUE(body) << body.error().message();
    EXPECT_EQ(std::get<jt808::AlarmConfirm>(*body), (jt808::AlarmConfirm{0, 1u}));

    const auto vehicle = scalar("SELECT id FROM vehicles WHERE plate = '苏AX0101'");
    const auto sent = c.post_json("/api/v1/vehicles/" + vehicle + "/text",
                                  {{"text", "请注意安全"}, {"tts", true}}, token);
    ASSERT_EQ(sent.status, 202) << sent.body;
    const auto text = t->receive_id(id::kText, 5s);
    ASSERT_TRUE(text) << "no 0x8300 reached the terminal";
    const auto m = std::get<jt808::TextMessage>(*text->decode());
    EXPECT_EQ(m.text, "请注意安全");
    EXPECT_TRUE(m.flag & jt808::TextMessage::kFlagTts);
}

// rules.fleet_file = database: the engine judges the fleet as stored, so what was added after
// the import (as the API adds it) counts; here a 30 km/h zone the demo file does not have. With
// the file as the source the same 60 km/h drive is under every limit the engine knows.
TEST_F(RulesServiceDb, WithTheFleetFromTheDatabaseAZoneAddedAfterTheImportIsJudged) {
    scalar("INSERT INTO zones (name, kind, geom, speed_limit_kmh) VALUES ('施工区', 'other', "
           "ST_GeogFromText('SRID=4326;POLYGON((118.94 32.09, 118.96 32.09, 118.96 32.12, "
           "118.94 32.12, 118.94 32.09))'), 30) RETURNING 1");
    start({{"rules.fleet_file", "database"}});
    auto t = logged_in(kCarPhone);
    send_batch(*t, drive(20, 60, 120s));
    EXPECT_EQ(wait_for(overspeed_rows(), "1"), "1");
    EXPECT_EQ(scalar("SELECT (thresholds->>'zone_kmh')::float FROM violations WHERE type = 'overspeed'"),
              "30");
}

}  // namespace
}  // namespace fleetwatch::app
