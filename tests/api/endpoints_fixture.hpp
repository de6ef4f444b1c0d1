// The fixture of the /api/v1 tests against a real PostGIS: a fresh database per test
// (storage_test_db.hpp), five users (root admin, disp dispatcher, boss manager, li and wang
// leaders), a small fleet, and an HttpServer with every endpoint on a loopback port.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <array>
#include <mutex>
#include <thread>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/api/endpoints.hpp"
#include "fleetwatch/api/router.hpp"
#include "fleetwatch/api/server.hpp"
#include "fleetwatch/api/terminal_link.hpp"
#include "fleetwatch/storage/users.hpp"
#include "http_client.hpp"
#include "storage_test_db.hpp"

namespace fleetwatch::api::testing {

using namespace std::chrono_literals;

inline constexpr const char* kPassword = "s3cret-pass";

// Records what the endpoints send to terminals; `connected` are the phone keys online.
class RecordingLink final : public TerminalLink {
  public:
    SendOutcome send_text(const std::string& phone_key, std::string_view text, bool tts) override {
        return record(phone_key, "text " + std::string(text) + (tts ? " tts" : ""));
    }
    SendOutcome confirm_alarm(const std::string& phone_key, std::uint32_t alarm_types) override {
        return record(phone_key, "confirm " + std::to_string(alarm_types));
    }
    std::vector<std::string> sent() const {
        const std::lock_guard lock(mutex_);
        return sent_;
    }
    std::vector<std::string> connected;  // set before the requests

  private:
    SendOutcome record(const std::string& phone_key, std::string what) {
        if (std::find(connected.begin(), connected.end(), phone_key) == connected.end()) {
            return SendOutcome::offline;
        }
        if (what.size() > 1000) return SendOutcome::too_long;
        const std::lock_guard lock(mutex_);
        sent_.push_back(phone_key + " " + std::move(what));
        return SendOutcome::queued;
    }
    mutable std::mutex mutex_;
    std::vector<std::string> sent_;
};

class EndpointsTest : public storage::testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        migrate_schema();
        auto conn = connect();
        // One hash for every test user: argon2id is deliberately slow.
        static const std::string hash = hash_password(kPassword);
        for (const auto& [name, role] :
             std::vector<std::pair<std::string, std::string>>{{"root", "admin"},
                                                              {"disp", "dispatcher"},
                                                              {"boss", "manager"},
                                                              {"li", "leader"},
                                                              {"wang", "leader"}}) {
            storage::create_user(conn, name, role, hash);
        }
        seed_fleet();
        EndpointOptions options;
        options.login_max_failures = 5;
        options.login_window = 60s;
        endpoints_ = std::make_unique<Endpoints>(conninfo(), options);
        endpoints_->add_routes(router_);
        endpoints_->set_terminal_link(&link_);
        HttpServerOptions o;
        o.listen = "127.0.0.1:0";
        server_ = std::make_unique<HttpServer>(io_, o, router_);
        server_->start();
        // Two threads, as `serve` runs the HTTP server (http.threads' default): requests on
        // different connections are handled at the same time.
        for (auto& t : threads_) t = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (server_) {
            server_->stop();
            io_.stop();
            for (auto& t : threads_) t.join();
        }
        server_.reset();
        endpoints_.reset();
        DatabaseTest::TearDown();
    }

    // Vehicles 1 (bus A) and 2 (bus B) in li's convoy, 3 (car) in wang's, 4 (truck) in none.
    void seed_fleet() {
        scalar(R"sql(
            INSERT INTO vehicles (id, plate, class, terminal_phone) VALUES
              (1, '苏A00001', 'school_bus', '013900000001'), (2, '苏A00002', 'bus', '013900000002'),
              (3, '苏A00003', 'car', '013900000003'), (4, '苏A00004', 'truck', NULL)
            RETURNING 1)sql");
        scalar(R"sql(
            INSERT INTO routes (id, name, geom) VALUES
              (1, 'r', ST_GeogFromText('SRID=4326;LINESTRING(118.7 32.0, 118.8 32.1)')) RETURNING 1)sql");
        scalar(R"sql(
            INSERT INTO convoys (id, name, leader_username) VALUES (1, 'biology', 'li'),
              (2, 'geology', 'wang') RETURNING 1)sql");
        scalar(R"sql(
            INSERT INTO trips (vehicle_id, route_id, convoy_id, planned_start, planned_end) VALUES
              (1, 1, 1, '08:00', '10:00'), (2, 1, 1, '08:00', '10:00'),
              (3, 1, 2, '08:00', '10:00'), (4, 1, NULL, '08:00', '10:00') RETURNING 1)sql");
    }

    // `n` positions of vehicle 1, one a minute from 2026-03-10T00:00:00Z.
    void seed_positions(int n) {
        scalar(
            "INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, "
            "speed_kmh, "
            "direction, alarm, status, valid, mileage_km, source) "
            "SELECT 1, '2026-03-10T00:00:00Z'::timestamptz + i * interval '1 minute', now(), "
            "ST_GeogFromText('SRID=4326;POINT(118.78 32.05)'), 12, 40.5, 90, 0, 3, true, 100 + i, "
            "0 "
            "FROM generate_series(0, $1 - 1) AS i RETURNING 1",
            {std::to_string(n)});
    }

    std::string login(HttpClient& c, const std::string& user) {
        const auto r =
            c.post_json("/api/v1/auth/login", {{"username", user}, {"password", kPassword}});
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json().value("token", "");
    }

    std::uint16_t port() const { return server_->port(); }

    RecordingLink link_;
    Router router_;
    std::unique_ptr<Endpoints> endpoints_;
    boost::asio::io_context io_;
    std::unique_ptr<HttpServer> server_;
    std::array<std::thread, 2> threads_;
};

inline std::vector<std::int64_t> ids_of(const nlohmann::json& list) {
    std::vector<std::int64_t> out;
    for (const auto& v : list["items"]) out.push_back(v["id"].get<std::int64_t>());
    return out;
}

}  // namespace fleetwatch::api::testing
