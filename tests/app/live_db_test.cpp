// The live stream end to end, as `fleetwatch serve` wires it (app::Service with the demo fleet
// and its rules, a real PostGIS): scripted terminals drive over TCP, the rule engine opens a
// violation, and WebSocket clients on the HTTP port receive it.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/app/service.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/storage/fleet_import.hpp"
#include "fleetwatch/storage/users.hpp"
#include "fleetwatch/v1/events.pb.h"
#include "http_client.hpp"
#include "speeding_drive.hpp"
#include "storage_test_db.hpp"
#include "test_terminal.hpp"
#include "ws_client.hpp"

namespace fleetwatch::app {
namespace {

using namespace std::chrono_literals;
using api::testing::WsClient;
using ingest::test::TestTerminal;

constexpr const char* kDemoFleet = FLEETWATCH_SOURCE_DIR "/deploy/demo-fleet.yaml";
constexpr const char* kPassword = "live-test-password";
constexpr const char* kShuttlePhone = "013900000101";  // 苏AX0101, in no convoy
constexpr const char* kConvoyBusPhone = "013900000301";  // 苏AF0301, in li's convoy

class LiveServiceDb : public storage::testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        auto parsed = fleet::parse_fleet_file(kDemoFleet);
        ASSERT_TRUE(parsed.fleet);
        storage::import_fleet(conninfo(), *parsed.fleet);
        auto conn = connect();
        const std::string hash = api::hash_password(kPassword);
        storage::create_user(conn, "root", "admin", hash);
        storage::create_user(conn, "li", "leader", hash);
        spool_ = std::filesystem::temp_directory_path() /
                 ("fleetwatch-live-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(spool_);
        ConfigSources sources;
        sources.getenv = [](const std::string&) -> std::optional<std::string> { return {}; };
        sources.flags = {{"database.url", conninfo()},
                         {"ingest.listen", "127.0.0.1:0"},
                         {"http.listen", "127.0.0.1:0"},
                         {"metrics.listen", ""},
                         {"storage.spool_dir", spool_.string()},
                         {"storage.batch_interval_ms", "20"},
                         {"rules.fleet_file", kDemoFleet},
                         {"log.level", "warn"}};
        service_ = std::make_unique<Service>(load_config(sources), registry_);
        service_->start();
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(spool_);
        DatabaseTest::TearDown();
    }

    std::string token(const std::string& user) {
        api::testing::HttpClient c(service_->http_port());
        const auto r = c.post_json("/api/v1/auth/login", {{"username", user}, {"password", kPassword}});
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json().value("token", "");
    }
    std::unique_ptr<WsClient> live(const std::string& user, const std::string& subprotocol = {}) {
        auto c = std::make_unique<WsClient>(service_->http_port(),
                                            "/api/v1/live?token=" + token(user), subprotocol);
        EXPECT_TRUE(c->open()) << c->refused_status() << " " << c->refused_body();
        return c;
    }
    std::unique_ptr<TestTerminal> terminal(const char* phone) {
        auto t = std::make_unique<TestTerminal>(service_->port(), phone);
        EXPECT_TRUE(t->connected());
        EXPECT_TRUE(t->login());
        return t;
    }
    core::VehicleId vehicle(const char* phone) {
        return std::stoll(scalar(std::string("SELECT id FROM vehicles WHERE terminal_phone = '") +
                                 phone + "'"));
    }
    // JSON frames until the first overspeed opened on `vehicle`; every frame's vehicle goes into
    // `seen`. Null after 10 s without it.
    static nlohmann::json overspeed_opened(WsClient& c, core::VehicleId vehicle,
                                           std::set<long long>* seen = nullptr) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto f = c.read(10s);
            if (!f) break;
            const auto j = nlohmann::json::parse(f->payload);
            if (seen != nullptr) seen->insert(j["data"]["vehicle_id"].get<long long>());
            if (j["kind"] == "violation.opened" && j["data"]["type"] == "overspeed" &&
                j["data"]["vehicle_id"] == vehicle) {
                return j;
            }
        }
        return nullptr;
    }

    std::filesystem::path spool_;
    prometheus::Registry registry_;
    std::unique_ptr<Service> service_;
};

TEST_F(LiveServiceDb, JsonAndProtobufClientsReceiveTheViolationASimulatedDriveOpensWithinASecond) {
    auto json_client = live("root");
    auto proto_client = live("root", "fleetwatch.v1.proto");
    ASSERT_EQ(proto_client->subprotocol(), "fleetwatch.v1.proto");
    const core::VehicleId shuttle = vehicle(kShuttlePhone);
    auto t = terminal(kShuttlePhone);

    const auto sent = std::chrono::steady_clock::now();
    testing::send_batch(*t, testing::drive(20, 130, 120s));
    const auto j = overspeed_opened(*json_client, shuttle);
    const auto latency = std::chrono::steady_clock::now() - sent;
    ASSERT_FALSE(j.is_null()) << "no violation.opened reached the JSON client";
    // The dispatcher's alert within a second (ARCHITECTURE.md), the whole way: TCP, the
    // writer, the engine, the violations row, the hub, the WebSocket.
    EXPECT_LT(latency, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()
                           << " ms";
    const std::string id =
        scalar("SELECT id FROM violations WHERE type = 'overspeed' AND vehicle_id = " +
               std::to_string(shuttle));
    EXPECT_EQ(std::to_string(j["data"]["id"].get<long long>()), id);
    EXPECT_EQ(j["data"]["severity"].get<std::string>(),
              scalar("SELECT severity FROM violations WHERE id = " + id));
    EXPECT_EQ(j["data"]["status"], "new");
    EXPECT_TRUE(j["data"]["ended_at"].is_null());

    bool got_proto = false;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!got_proto && std::chrono::steady_clock::now() < deadline) {
        const auto f = proto_client->read(10s);
        ASSERT_TRUE(f) << "no violation.opened reached the protobuf client";
        ASSERT_TRUE(f->binary);
        v1::LiveEvent event;
        ASSERT_TRUE(event.ParseFromString(f->payload));
        got_proto = event.kind() == "violation.opened" && event.has_violation() &&
                    event.violation().type() == "overspeed" &&
                    event.violation().vehicle_id() == shuttle;
        if (got_proto) {
            EXPECT_EQ(std::to_string(event.violation().id()), id);
        }
    }
    EXPECT_TRUE(got_proto);
}

TEST_F(LiveServiceDb, ALeaderSeesOnlyTheVehiclesOfTheConvoyTheyLead) {
    auto admin = live("root");
    auto leader = live("li");
    const core::VehicleId shuttle = vehicle(kShuttlePhone);
    const core::VehicleId convoy_bus = vehicle(kConvoyBusPhone);
    std::set<long long> li_vehicles;
    for (const auto& id : {"013900000301", "013900000302", "013900000303"}) {
        li_vehicles.insert(vehicle(id));
    }

    auto shuttle_terminal = terminal(kShuttlePhone);
    testing::send_batch(*shuttle_terminal, testing::drive(20, 130, 120s));
    ASSERT_FALSE(overspeed_opened(*admin, shuttle).is_null());
    // Published after the shuttle's (one output thread, in order): had the leader's filter let
    // the shuttle through, it would come first.
    auto bus_terminal = terminal(kConvoyBusPhone);
    testing::send_batch(*bus_terminal, testing::drive(20, 130, 120s));
    std::set<long long> seen;
    ASSERT_FALSE(overspeed_opened(*leader, convoy_bus, &seen).is_null());
    for (const auto v : seen) EXPECT_TRUE(li_vehicles.count(v)) << "li saw vehicle " << v;
    EXPECT_FALSE(seen.count(shuttle));
    EXPECT_FALSE(overspeed_opened(*admin, convoy_bus).is_null()) << "the admin sees every vehicle";
}

// A trip that puts the shuttle into li's convoy, created through the API while li is
// connected, reaches li's stream at once: the shuttle's violation arrives well before the
// periodic refresh (30 s; overspeed_opened gives up after 10 s).
TEST_F(LiveServiceDb, ATripAddedToALeadersConvoyReachesTheirStreamAtOnce) {
    auto leader = live("li");
    const core::VehicleId shuttle = vehicle(kShuttlePhone);
    const std::string convoy = scalar("SELECT id FROM convoys WHERE leader_username = 'li'");
    const std::string driver = scalar("SELECT min(id) FROM drivers");
    const std::string route = scalar("SELECT min(route_id) FROM trips WHERE convoy_id = " + convoy);
    api::testing::HttpClient admin(service_->http_port());
    const std::string root = token("root");
    const auto start = core::utc_now() - 1h;
    const auto created = admin.post_json(
        "/api/v1/trips", {{"vehicle_id", shuttle},
                          {"driver_id", std::stoll(driver)},
                          {"route_id", std::stoll(route)},
                          {"convoy_id", std::stoll(convoy)},
                          {"planned_start", core::format_rfc3339(start)},
                          {"planned_end", core::format_rfc3339(start + 4h)}},
        root);
    ASSERT_EQ(created.status, 201) << created.body;

    auto t = terminal(kShuttlePhone);
    testing::send_batch(*t, testing::drive(20, 130, 120s));
    EXPECT_FALSE(overspeed_opened(*leader, shuttle).is_null())
        << "li's stream did not follow the new trip";
}

// A vehicle created through the API can register its terminal at once: the fleet change
// reloads the terminal directory (its periodic reload is every 60 s).
TEST_F(LiveServiceDb, AVehicleCreatedThroughTheApiCanRegisterItsTerminalAtOnce) {
    constexpr const char* kNewPhone = "013900000999";
    {
        TestTerminal before(service_->port(), kNewPhone);
        const auto refused = before.register_terminal("苏AN0999");
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->result, 4) << "an unknown terminal is not in the database";
    }
    api::testing::HttpClient admin(service_->http_port());
    const auto created = admin.post_json("/api/v1/vehicles",
                                         {{"plate", "苏AN0999"},
                                          {"plate_color", 1},
                                          {"terminal_phone", kNewPhone},
                                          {"class", "car"}},
                                         token("root"));
    ASSERT_EQ(created.status, 201) << created.body;
    bool registered = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!registered && std::chrono::steady_clock::now() < deadline) {
        TestTerminal t(service_->port(), kNewPhone);
        const auto reg = t.register_terminal("苏AN0999");
        registered = reg && reg->result == 0;
        if (!registered) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(registered) << "the new vehicle's terminal was still refused after 5 s";
}

TEST_F(LiveServiceDb, AcceptedPositionsReachOnlyTheClientsThatAskedForThem) {
    auto without = std::make_unique<WsClient>(service_->http_port(),
                                              "/api/v1/live?token=" + token("root"));
    auto with = std::make_unique<WsClient>(service_->http_port(),
                                           "/api/v1/live?positions=true&token=" + token("root"));
    ASSERT_TRUE(with->open());
    const core::VehicleId shuttle = vehicle(kShuttlePhone);
    auto t = terminal(kShuttlePhone);
    testing::send_batch(*t, testing::drive(3, 40, 10s));
    nlohmann::json position;
    while (const auto f = with->read(10s)) {
        const auto j = nlohmann::json::parse(f->payload);
        if (j["kind"] == "position") {
            position = j;
            break;
        }
    }
    ASSERT_FALSE(position.is_null()) << "no position frame";
    EXPECT_EQ(position["data"]["vehicle_id"], shuttle);
    EXPECT_DOUBLE_EQ(position["data"]["speed_kmh"].get<double>(), 40.0);
    // The newest of the batch: the third fix, 2 s after the first.
    EXPECT_DOUBLE_EQ(position["data"]["lat"].get<double>(), 32.1002);
    // The other client gets violations and warnings only; nothing here makes one for the
    // shuttle at 40 km/h, so whatever it gets must not be a position.
    while (const auto f = without->read(500ms)) {
        EXPECT_NE(nlohmann::json::parse(f->payload)["kind"], "position");
    }
}

TEST_F(LiveServiceDb, NoTokenIs401AndStoppingTheServiceClosesClientsWith1001) {
    WsClient anonymous(service_->http_port(), "/api/v1/live");
    EXPECT_EQ(anonymous.refused_status(), 401);
    EXPECT_EQ(nlohmann::json::parse(anonymous.refused_body())["error"]["code"], "unauthenticated");
    auto c = live("li");
    service_->stop();  // the client answers the close only after this returns (3 s later)
    while (c->read(5s)) {
    }
    EXPECT_EQ(c->close_code(), 1001);
}

}  // namespace
}  // namespace fleetwatch::app
