// The live stream (api/live.hpp) on a real HTTP server over loopback, with a real
// push::LiveHub and a Beast WebSocket client; tokens and a leader's convoys come from fakes
// (tests/app/live_db_test.cpp runs it against PostGIS and a simulated drive).
#include "fleetwatch/api/live.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "fleetwatch/api/router.hpp"
#include "fleetwatch/api/server.hpp"
#include "fleetwatch/push/live_hub.hpp"
#include "fleetwatch/v1/events.pb.h"
#include "live_events.hpp"
#include "http_client.hpp"
#include "ws_client.hpp"

namespace fleetwatch::api {
namespace {

using namespace std::chrono_literals;
using testing::WsClient;

using push::testing::opened;

// "kind id" of a JSON frame.
std::string summary(const std::optional<testing::WsFrame>& f) {
    if (!f) return "(none)";
    const auto j = nlohmann::json::parse(f->payload);
    if (j["kind"] == "position") {
        return "position " + std::to_string(j["data"]["vehicle_id"].get<long long>());
    }
    return j["kind"].get<std::string>() + " " + std::to_string(j["data"]["id"].get<long long>());
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!p()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

class LiveStreamTest : public ::testing::Test {
  protected:
    void start(push::LiveHubOptions hub_options = {}) {
        hub_ = std::make_unique<push::LiveHub>(hub_options);
        const Authenticator authenticate = [](std::string_view token) -> std::optional<Principal> {
            if (token == "admin-token") return Principal{1, "root", Role::admin};
            if (token == "li-token") return Principal{2, "li", Role::leader};
            if (token == "db-down") throw ApiError(503, "database_unavailable", "away");
            return std::nullopt;
        };
        router_.set_authenticator(authenticate);
        live_ = std::make_unique<LiveStream>(
            *hub_, authenticate,
            [this](const std::string& leader) {
                std::lock_guard lock(mutex_);
                return convoys_[leader];
            });
        add_live_route(router_);
        HttpServerOptions o;
        o.listen = "127.0.0.1:0";
        o.live = live_.get();
        server_ = std::make_unique<HttpServer>(io_, o, router_);
        server_->start();
        live_->start(io_);
        for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    }
    void TearDown() override {
        if (server_) {
            live_->stop();
            server_->stop();
            io_.stop();
            for (auto& t : threads_) t.join();
        }
    }
    std::unique_ptr<WsClient> connect(const std::string& query, const std::string& subprotocol = {},
                                      int receive_buffer = 0) {
        const auto before = hub_->stats().subscribers;
        auto c = std::make_unique<WsClient>(server_->port(), "/api/v1/live" + query, subprotocol,
                                            receive_buffer);
        // Subscribed once the handshake is done on the server's side.
        if (c->open()) {
            EXPECT_TRUE(eventually([&] { return hub_->stats().subscribers > before; }));
        }
        return c;
    }
    void set_convoy(const std::string& leader, std::vector<core::VehicleId> vehicles) {
        std::lock_guard lock(mutex_);
        convoys_[leader] = std::move(vehicles);
    }

    // The hub outlives the io_context: sessions still queued in it unsubscribe when destroyed.
    std::unique_ptr<push::LiveHub> hub_;
    boost::asio::io_context io_;
    std::vector<std::thread> threads_;
    Router router_;
    std::unique_ptr<LiveStream> live_;
    std::unique_ptr<HttpServer> server_;
    std::mutex mutex_;
    std::map<std::string, std::vector<core::VehicleId>> convoys_{{"li", {7}}};
};

TEST_F(LiveStreamTest, WithoutATokenTheUpgradeIs401InTheApiErrorShape) {
    start();
    for (const std::string query : {"", "?token=", "?token=wrong"}) {
        WsClient c(server_->port(), "/api/v1/live" + query);
        EXPECT_FALSE(c.open()) << query;
        EXPECT_EQ(c.refused_status(), 401) << query;
        const auto body = nlohmann::json::parse(c.refused_body());
        EXPECT_EQ(body["error"]["code"], "unauthenticated") << query;
    }
    EXPECT_EQ(hub_->stats().subscribers, 0u);
}

TEST_F(LiveStreamTest, ADatabaseThatCannotCheckTheTokenIs503AndABadPositionsFlag400) {
    start();
    WsClient down(server_->port(), "/api/v1/live?token=db-down");
    EXPECT_EQ(down.refused_status(), 503);
    WsClient bad(server_->port(), "/api/v1/live?token=admin-token&positions=maybe");
    EXPECT_EQ(bad.refused_status(), 400);
    EXPECT_EQ(nlohmann::json::parse(bad.refused_body())["error"]["field"], "positions");
}

TEST_F(LiveStreamTest, APlainGetOfTheLivePathIs426) {
    start();
    testing::HttpClient http(server_->port());
    const auto r = http.get("/api/v1/live", "admin-token");
    EXPECT_EQ(r.status, 426);
    EXPECT_EQ(r.error_code(), "upgrade_required");
}

TEST_F(LiveStreamTest, JsonClientsGetTextFramesAndProtobufClientsBinaryFramesOfTheSameEvent) {
    start();
    auto json_client = connect("?token=admin-token");
    auto proto_client = connect("?token=admin-token", "fleetwatch.v1.proto");
    ASSERT_TRUE(json_client->open());
    ASSERT_TRUE(proto_client->open());
    EXPECT_EQ(json_client->subprotocol(), "");
    EXPECT_EQ(proto_client->subprotocol(), "fleetwatch.v1.proto");
    hub_->violation(opened(41, 9));

    const auto text = json_client->read();
    ASSERT_TRUE(text);
    EXPECT_FALSE(text->binary);
    const auto j = nlohmann::json::parse(text->payload);
    EXPECT_EQ(j["kind"], "violation.opened");
    EXPECT_EQ(j["data"]["id"], 41);
    EXPECT_EQ(j["data"]["vehicle_id"], 9);
    EXPECT_EQ(j["data"]["status"], "new");

    const auto binary = proto_client->read();
    ASSERT_TRUE(binary);
    EXPECT_TRUE(binary->binary);
    v1::LiveEvent event;
    ASSERT_TRUE(event.ParseFromString(binary->payload));
    EXPECT_EQ(event.kind(), "violation.opened");
    EXPECT_EQ(event.violation().id(), 41);
    EXPECT_EQ(event.violation().type(), "overspeed");
    EXPECT_EQ(hub_->stats().frames_serialized, 2u);
}

TEST_F(LiveStreamTest, AnOfferWithoutOurSubprotocolGetsJson) {
    start();
    auto c = connect("?token=admin-token", "chat, superchat");
    ASSERT_TRUE(c->open());
    EXPECT_EQ(c->subprotocol(), "");
    hub_->violation(opened(1, 9));
    const auto f = c->read();
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->binary);
}

TEST_F(LiveStreamTest, ALeaderSeesOnlyTheVehiclesOfTheirConvoysUntilTheConvoysChange) {
    start();
    auto leader = connect("?token=li-token");
    auto admin = connect("?token=admin-token");
    ASSERT_TRUE(leader->open());
    hub_->violation(opened(1, 8));  // not li's
    hub_->violation(opened(2, 7));
    EXPECT_EQ(summary(leader->read()), "violation.opened 2");
    EXPECT_EQ(summary(admin->read()), "violation.opened 1");
    EXPECT_EQ(summary(admin->read()), "violation.opened 2");

    set_convoy("li", {8});
    live_->refresh_leaders();
    hub_->violation(opened(3, 7));  // no longer li's
    hub_->violation(opened(4, 8));
    EXPECT_EQ(summary(leader->read()), "violation.opened 4");
}

TEST_F(LiveStreamTest, PositionsAreOptInAndRateLimitedPerVehicle) {
    push::LiveHubOptions o;
    o.position_interval = 1h;
    start(o);
    auto with = connect("?token=admin-token&positions=true");
    auto without = connect("?token=admin-token");
    core::Position p;
    p.vehicle_id = 5;
    p.gps_time = core::Timestamp{std::chrono::seconds{1'773'104'523}};
    hub_->positions(std::vector<core::Position>{p});
    p.gps_time += 5s;
    hub_->positions(std::vector<core::Position>{p});  // within the interval
    hub_->violation(opened(1, 5));
    EXPECT_EQ(summary(with->read()), "position 5");
    EXPECT_EQ(summary(with->read()), "violation.opened 1");
    EXPECT_EQ(summary(without->read()), "violation.opened 1");
}

TEST_F(LiveStreamTest, ASlowClientIsDroppedWith1008WhileAnotherReceivesEverything) {
    push::LiveHubOptions o;
    o.max_queue_bytes = 64 * 1024;
    start(o);
    // Never reads until it has been dropped; a small receive buffer fills sooner.
    auto slow = connect("?token=admin-token", {}, 4096);
    auto fast = connect("?token=admin-token");
    ASSERT_TRUE(slow->open());
    ASSERT_TRUE(fast->open());
    constexpr int kBatch = 10;
    constexpr std::size_t kPadding = 2000;  // ~2.3 kB a frame
    int published = 0;
    int fast_got = 0;
    auto publish_batch = [&] {
        for (int i = 0; i < kBatch; ++i) hub_->violation(opened(++published, 9, kPadding));
        // The fast client keeps up: it reads each batch before the next.
        for (int i = 0; i < kBatch; ++i) {
            const auto f = fast->read();
            ASSERT_TRUE(f) << "the fast client lost a frame after " << fast_got;
            ++fast_got;
            ASSERT_EQ(summary(f), "violation.opened " + std::to_string(fast_got));
        }
    };
    while (hub_->stats().slow_drops == 0 && published < 100'000) {
        publish_batch();
        if (HasFatalFailure()) return;
    }
    ASSERT_EQ(hub_->stats().slow_drops, 1u) << "the slow client never fell behind";
    for (int i = 0; i < 5; ++i) publish_batch();  // and it goes on for the others
    if (HasFatalFailure()) return;
    EXPECT_EQ(fast_got, published);

    // What the server wrote before the drop arrives, then the close frame: 1008.
    int slow_got = 0;
    while (slow->read(10s)) ++slow_got;
    EXPECT_FALSE(slow->timed_out());
    ASSERT_TRUE(slow->close_code()) << "no close frame after " << slow_got << " frames";
    EXPECT_EQ(*slow->close_code(), 1008);
    EXPECT_LT(slow_got, published);
    EXPECT_TRUE(eventually([&] { return hub_->stats().subscribers == 1; }));
}

TEST_F(LiveStreamTest, StoppingClosesEveryClientWith1001AndRefusesNewOnes) {
    start();
    auto a = connect("?token=admin-token");
    auto b = connect("?token=li-token", "fleetwatch.v1.proto");
    // One whose handshake the server may not have finished when it stops.
    WsClient racing(server_->port(), "/api/v1/live?token=admin-token");
    ASSERT_TRUE(racing.open());
    live_->stop();
    for (auto* c : {a.get(), b.get(), &racing}) {
        EXPECT_FALSE(c->read());
        EXPECT_FALSE(c->timed_out());
        EXPECT_EQ(c->close_code(), 1001);
    }
    live_->stop();  // idempotent
    WsClient late(server_->port(), "/api/v1/live?token=admin-token");
    EXPECT_EQ(late.refused_status(), 503);
    EXPECT_TRUE(eventually([&] { return hub_->stats().subscribers == 0 && live_->clients() == 0; }));
}

}  // namespace
}  // namespace fleetwatch::api
