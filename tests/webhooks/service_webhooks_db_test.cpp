// Issue 5's webhook acceptance, on the whole server (app::Service as `fleetwatch serve` wires
// it) against a real PostGIS: a webhook created over the REST API, violations stored as the
// rules stage stores them (storage::ViolationStore: row + engine audit row in one
// transaction), and a local receiver that fails its first attempts. Every event arrives
// exactly once, in order per violation, also when the server restarts while deliveries are
// pending and when events are stored while it is down.
#include "fleetwatch/app/service.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "fleetwatch/app/config.hpp"
#include "http_client.hpp"
#include "service_config.hpp"
#include "test_receiver.hpp"
#include "webhooks_db_fixture.hpp"

namespace fleetwatch::webhooks::testing {
namespace {

using nlohmann::json;
using Kind = storage::ViolationChangeKind;

class ServiceWebhooksDb : public WebhooksDb {
  protected:
    void SetUp() override {
        WebhooksDb::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        spool_ = fresh_spool("fleetwatch-webhooks-test");
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(spool_);
        WebhooksDb::TearDown();
    }
    void start() {
        registry_ = std::make_unique<prometheus::Registry>();
        ::setenv("FLEETWATCH_ADMIN_PASSWORD", "webhook-test-admin", 1);
        service_ =
            std::make_unique<app::Service>(service_config(conninfo(), spool_, {}), *registry_);
        ::unsetenv("FLEETWATCH_ADMIN_PASSWORD");
        service_->start();
    }
    void stop() { service_.reset(); }

    // POST /api/v1/webhooks as the first-start admin; the webhook's id.
    std::int64_t create_webhook(const std::string& url) {
        api::testing::HttpClient c(service_->http_port());
        const auto login = c.post_json("/api/v1/auth/login",
                                       {{"username", "admin"}, {"password", "webhook-test-admin"}});
        EXPECT_EQ(login.status, 200) << login.body;
        const auto r = c.post_json("/api/v1/webhooks", {{"url", url}, {"format", "json"}},
                                   login.json().value("token", ""));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json().value("id", std::int64_t{0});
    }

    std::filesystem::path spool_;
    std::unique_ptr<prometheus::Registry> registry_;
    std::unique_ptr<app::Service> service_;
};

// The accepted deliveries' (violation id, kind) per violation, in arrival order.
std::map<std::int64_t, std::vector<std::string>> by_violation(
    const std::vector<TestReceiver::Request>& accepted) {
    std::map<std::int64_t, std::vector<std::string>> out;
    for (const auto& r : accepted) {
        const json b = json::parse(r.body);
        out[b["data"]["id"].get<std::int64_t>()].push_back(b["kind"].get<std::string>());
    }
    return out;
}

TEST_F(ServiceWebhooksDb, EveryEventIsDeliveredExactlyOnceAfterTheReceiverRecoversAcrossARestart) {
    TestReceiver receiver(1000);  // down until told otherwise
    start();
    const auto hook = create_webhook(receiver.url());
    ASSERT_GT(hook, 0);

    // Two violations while the receiver fails: one opened, escalated and closed; one opened.
    const auto a = store({change(Kind::open, 1, "serious", 80)})[0];
    store({change(Kind::update, 1, "severe", 95)});
    const auto b = store({change(Kind::open, 2, "minor", 70)})[0];
    store({change(Kind::close, 1, "severe", 95, true)});
    ASSERT_TRUE(eventually([&] { return receiver.requests().size() >= 3; }, 10s))
        << "the dispatcher never tried";
    EXPECT_TRUE(receiver.accepted().empty());

    // The server stops with all four pending; one more event is stored while it is down
    // (as the rules stage of another process, or the last batch before a SIGKILL, would).
    stop();
    EXPECT_EQ(scalar("SELECT count(*) FILTER (WHERE state = 'pending') || '/' || count(*) "
                     "FROM webhook_deliveries"),
              "4/4");
    store({change(Kind::close, 2, "minor", 70, true)});

    receiver.fail_next(2);  // two more failures after the restart, then it recovers
    start();
    store({change(Kind::open, 3, "critical", 120)});
    ASSERT_TRUE(eventually([&] { return receiver.accepted().size() >= 6; }, 20s))
        << receiver.accepted().size() << " of 6 delivered";
    std::this_thread::sleep_for(500ms);  // nothing more may come

    const auto accepted = receiver.accepted();
    ASSERT_EQ(accepted.size(), 6U);
    std::set<std::string> ids;
    for (const auto& r : accepted) ids.insert(r.delivery);
    EXPECT_EQ(ids.size(), 6U) << "a delivery id arrived twice";
    const auto kinds = by_violation(accepted);
    EXPECT_EQ(kinds.at(a), (std::vector<std::string>{"violation.opened", "violation.updated",
                                                     "violation.closed"}));
    EXPECT_EQ(kinds.at(b), (std::vector<std::string>{"violation.opened", "violation.closed"}));
    EXPECT_EQ(kinds.size(), 3U);
    for (const auto& r : accepted) {
        const json body = json::parse(r.body);
        EXPECT_EQ(body["delivery_id"], r.delivery);
        EXPECT_EQ(r.delivery.substr(0, r.delivery.find('.')), std::to_string(hook));
    }
    EXPECT_EQ(scalar("SELECT string_agg(DISTINCT state, ',') FROM webhook_deliveries"),
              "delivered");
    // The first delivery was tried before and after the restart.
    EXPECT_GE(std::stoi(scalar("SELECT max(attempts) FROM webhook_deliveries")), 3);
}

TEST_F(ServiceWebhooksDb, AStopWhileAReceiverHangsTakesSecondsNotTheRequestTimeout) {
    TestReceiver receiver;
    receiver.set_delay(4s);
    start();
    create_webhook(receiver.url());
    store({change(Kind::open, 1, "serious", 80)});
    ASSERT_TRUE(eventually(
        [&] { return scalar("SELECT count(*) FROM webhook_deliveries") == "1"; }, 5s));
    std::this_thread::sleep_for(300ms);  // in flight
    const auto t0 = std::chrono::steady_clock::now();
    stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3500ms);
    EXPECT_EQ(scalar("SELECT state FROM webhook_deliveries"), "pending");
}

}  // namespace
}  // namespace fleetwatch::webhooks::testing
