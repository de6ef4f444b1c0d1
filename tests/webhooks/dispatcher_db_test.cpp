#include "fleetwatch/webhooks/dispatcher.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <sodium.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "test_receiver.hpp"
#include "webhooks_db_fixture.hpp"

namespace fleetwatch::webhooks::testing {
namespace {

using nlohmann::json;
using Kind = storage::ViolationChangeKind;

class DispatcherDb : public WebhooksDb {
  protected:
    DispatcherOptions options() {
        DispatcherOptions o;
        o.conninfo = conninfo();
        o.poll_interval = 50ms;
        o.request_timeout = 2s;
        o.retry.base = 40ms;
        o.retry.cap = 200ms;
        o.retry.max_attempts = 6;
        return o;
    }
    // Pumps on a connection of the test's until `done`.
    bool pump_until(Dispatcher& d, const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = 10s) {
        auto conn = connect();
        return eventually(done, timeout, [&] { d.pump(conn); });
    }
    std::string deliveries(const std::string& where = "true") {
        return scalar("SELECT coalesce(string_agg(webhook_id || ':' || kind || ':' || state, ',' "
                      "ORDER BY id), '') FROM webhook_deliveries WHERE " + where);
    }
    // A metric's value in registry_ (the series with label outcome=`outcome`, if given).
    double metric(const std::string& name, const std::string& outcome = {}) {
        for (const auto& family : registry_.Collect()) {
            if (family.name != name) continue;
            for (const auto& m : family.metric) {
                const bool match = outcome.empty() || (!m.label.empty() && m.label[0].value == outcome);
                if (!match) continue;
                return family.type == prometheus::MetricType::Gauge ? m.gauge.value
                                                                    : m.counter.value;
            }
        }
        return -1;
    }
    prometheus::Registry registry_;
};

// Verifies X-Fleetwatch-Signature with libsodium, independently of the server's OpenSSL code.
bool signature_ok(const std::string& secret, const TestReceiver::Request& r) {
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(r.body.data()),
                                  r.body.size());
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return r.signature == std::string("sha256=") + hex;
}

TEST_F(DispatcherDb, EachEventIsQueuedForTheWebhooksWhoseFiltersItPasses) {
    const auto all = add_webhook("http://127.0.0.1:9/a");
    const auto fatigue_only = add_webhook("http://127.0.0.1:9/b", "json", {"fatigue_daily"});
    const auto severe = add_webhook("http://127.0.0.1:9/c", "json", {}, "severe");
    auto off = add_webhook("http://127.0.0.1:9/d");
    scalar("UPDATE webhooks SET enabled = false WHERE id = " + std::to_string(off.id) +
           " RETURNING 1");
    store({change(Kind::open, 1, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    EXPECT_EQ(d.queue_events(conn), 1U);
    EXPECT_EQ(deliveries(), std::to_string(all.id) + ":violation.opened:pending");
    EXPECT_EQ(scalar("SELECT last_audit_id = (SELECT max(id) FROM violation_audit) FROM "
                     "webhook_outbox"),
              "t");
    // The escalation reaches `severe`: its first news, as an update.
    store({change(Kind::update, 1, "severe", 95)});
    EXPECT_EQ(d.queue_events(conn), 1U);
    EXPECT_EQ(deliveries("webhook_id = " + std::to_string(severe.id)),
              std::to_string(severe.id) + ":violation.updated:pending");
    EXPECT_EQ(deliveries("webhook_id = " + std::to_string(fatigue_only.id)), "");
    EXPECT_EQ(d.queue_events(conn), 0U);  // nothing new
}

TEST_F(DispatcherDb, AGroupRobotGetsTheOpeningAndTheEndButNotEveryUpdate) {
    const auto robot = add_webhook("http://127.0.0.1:9/r", "wecom");
    store({change(Kind::open, 1, "serious", 80)});
    store({change(Kind::update, 1, "serious", 85)});
    store({change(Kind::update, 1, "serious", 90)});
    store({change(Kind::close, 1, "serious", 90, true)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    d.queue_events(conn);
    const std::string id = std::to_string(robot.id);
    EXPECT_EQ(deliveries(), id + ":violation.opened:pending," + id + ":violation.closed:pending");
    const json body = json::parse(scalar("SELECT body FROM webhook_deliveries ORDER BY id DESC "
                                         "LIMIT 1"));
    const std::string text = body["markdown"]["content"];
    EXPECT_NE(text.find("违规结束"), std::string::npos) << text;
    EXPECT_NE(text.find("苏A12345"), std::string::npos) << text;
    EXPECT_NE(text.find("陈秀英"), std::string::npos) << text;
    EXPECT_NE(text.find("2026-03-10 09:12:03 至 2026-03-10 09:15:03"), std::string::npos) << text;
}

TEST_F(DispatcherDb, AnUnknownFleetTimezoneFallsBackToChinaTime) {
    add_webhook("http://127.0.0.1:9/r", "dingtalk");
    scalar("INSERT INTO settings (key, value) VALUES ('timezone', 'Mars/Olympus') "
           "ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING 1");
    store({change(Kind::open, 1, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    EXPECT_EQ(d.queue_events(conn), 1U);
    const json body = json::parse(scalar("SELECT body FROM webhook_deliveries"));
    const std::string text = body["markdown"]["text"];
    EXPECT_NE(text.find("2026-03-10 09:12:03"), std::string::npos) << text;
}

TEST_F(DispatcherDb, AWebhookHearsOnlyOfWhatHappensAfterItWasCreated) {
    store({change(Kind::open, 1, "serious", 80)});
    const auto late = add_webhook("http://127.0.0.1:9/late");
    store({change(Kind::open, 2, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    EXPECT_EQ(d.queue_events(conn), 2U);
    EXPECT_EQ(scalar("SELECT string_agg(v.started_at::text, ',') FROM webhook_deliveries d "
                     "JOIN violations v ON v.id = d.violation_id"),
              scalar("SELECT started_at::text FROM violations ORDER BY id DESC LIMIT 1"));
    (void)late;
}

TEST_F(DispatcherDb, DeliversSignedRequestsWithTheDeliveryIdAndEvent) {
    TestReceiver receiver;
    const auto hook = add_webhook(receiver.url());
    const auto ids = store({change(Kind::open, 1, "serious", 80)});
    Dispatcher d(options(), registry_);
    ASSERT_TRUE(pump_until(d, [&] { return receiver.accepted().size() == 1; }));
    const auto r = receiver.accepted()[0];
    EXPECT_TRUE(signature_ok("0123456789abcdef-secret", r)) << r.signature;
    EXPECT_FALSE(signature_ok("another-secret-xxxxxxxx", r));
    const std::string audit = scalar("SELECT max(id) FROM violation_audit");
    EXPECT_EQ(r.delivery, std::to_string(hook.id) + "." + audit);
    EXPECT_EQ(r.event, "violation.opened");
    EXPECT_EQ(r.attempt, "1");
    const json body = json::parse(r.body);
    EXPECT_EQ(body["delivery_id"], r.delivery);
    EXPECT_EQ(body["data"]["id"], ids[0]);
    EXPECT_EQ(deliveries(), std::to_string(hook.id) + ":violation.opened:delivered");
    EXPECT_EQ(scalar("SELECT attempts || ' ' || last_status || ' ' || (delivered_at IS NOT NULL) "
                     "FROM webhook_deliveries"),
              "1 200 true");
}

TEST_F(DispatcherDb, AFailingReceiverGetsEveryEventOnceInOrderAfterItRecovers) {
    TestReceiver receiver(3);  // the first three attempts get 500
    add_webhook(receiver.url());
    store({change(Kind::open, 1, "serious", 80)});
    store({change(Kind::update, 1, "severe", 95)});
    store({change(Kind::open, 2, "minor", 70)});
    store({change(Kind::close, 1, "severe", 95, true)});
    Dispatcher d(options(), registry_);
    ASSERT_TRUE(pump_until(d, [&] { return receiver.accepted().size() == 4; }));
    std::vector<std::string> kinds;
    std::set<std::string> keys;
    for (const auto& r : receiver.accepted()) {
        kinds.push_back(r.event);
        keys.insert(r.delivery);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"violation.opened", "violation.updated",
                                               "violation.opened", "violation.closed"}));
    EXPECT_EQ(keys.size(), 4U);
    // The first delivery was tried four times, with the same bytes each time.
    const auto all = receiver.requests();
    ASSERT_EQ(all.size(), 7U);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)].body, all[0].body);
    EXPECT_EQ(all[3].attempt, "4");
    EXPECT_EQ(scalar("SELECT string_agg(attempts::text, ',' ORDER BY id) FROM webhook_deliveries"),
              "4,1,1,1");
    EXPECT_EQ(metric("fleetwatch_webhook_attempts_total", "retry"), 3);
    EXPECT_EQ(metric("fleetwatch_webhook_attempts_total", "delivered"), 4);
    EXPECT_EQ(metric("fleetwatch_webhook_events_queued_total"), 4);
    EXPECT_EQ(metric("fleetwatch_webhook_pending"), 0);
    std::this_thread::sleep_for(100ms);
    auto conn = connect();
    d.pump(conn);
    EXPECT_EQ(receiver.requests().size(), 7U);  // nothing more
}

TEST_F(DispatcherDb, AfterTheLastAttemptTheDeliveryFailsAndTheNextOneGoesOut) {
    TestReceiver receiver(6, 502);
    const auto hook = add_webhook(receiver.url());
    store({change(Kind::open, 1, "serious", 80)});
    store({change(Kind::open, 2, "serious", 80)});
    Dispatcher d(options(), registry_);  // max_attempts 6
    ASSERT_TRUE(pump_until(d, [&] { return receiver.accepted().size() == 1; }));
    EXPECT_EQ(scalar("SELECT string_agg(state || ' ' || attempts || ' ' || "
                     "coalesce(last_status::text, '-') || ' ' || coalesce(last_error, '-'), ',' "
                     "ORDER BY id) FROM webhook_deliveries"),
              "failed 6 502 HTTP 502,delivered 1 200 -");
    (void)hook;
}

TEST_F(DispatcherDb, ARobotAnswerWithANonZeroErrcodeIsRetried) {
    TestReceiver receiver;
    receiver.set_answer_body(R"({"errcode":45009,"errmsg":"api freq out of limit"})");
    add_webhook(receiver.url(), "dingtalk");
    store({change(Kind::open, 1, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    ASSERT_TRUE(eventually([&] { return receiver.requests().size() == 1; }, 5s,
                           [&] { d.pump(conn); }));
    EXPECT_EQ(scalar("SELECT state || ' ' || last_error FROM webhook_deliveries"),
              "pending errcode 45009: api freq out of limit");
    receiver.set_answer_body(R"({"errcode":0,"errmsg":"ok"})");
    ASSERT_TRUE(pump_until(d, [&] {
        return scalar("SELECT state FROM webhook_deliveries") == "delivered";
    }));
}

TEST_F(DispatcherDb, TwoDispatchersNeverQueueAnEventTwice) {
    add_webhook("http://127.0.0.1:9/x");
    for (std::uint64_t e = 1; e <= 30; ++e) store({change(Kind::open, e, "serious", 80)});
    DispatcherOptions o = options();
    o.batch = 7;
    Dispatcher a(o, registry_);
    prometheus::Registry other;
    Dispatcher b(o, other);
    std::thread ta([&] {
        auto c = connect();
        for (int i = 0; i < 10; ++i) a.queue_events(c);
    });
    std::thread tb([&] {
        auto c = connect();
        for (int i = 0; i < 10; ++i) b.queue_events(c);
    });
    ta.join();
    tb.join();
    EXPECT_EQ(scalar("SELECT count(*) || ' ' || count(DISTINCT audit_id) FROM webhook_deliveries"),
              "30 30");
}

TEST_F(DispatcherDb, PendingDeliveriesSurviveTheDispatcherAndGoOutFromTheNextOne) {
    TestReceiver receiver(1000);  // down
    add_webhook(receiver.url());
    store({change(Kind::open, 1, "serious", 80)});
    store({change(Kind::close, 1, "serious", 80, true)});
    {
        auto o = options();
        o.retry.base = 10s;  // the next attempt would be long after the stop
        Dispatcher d(o, registry_);
        d.start();
        ASSERT_TRUE(eventually([&] { return receiver.requests().size() == 1; }, 5s));
        const auto t0 = std::chrono::steady_clock::now();
        d.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    }
    EXPECT_EQ(scalar("SELECT string_agg(state || ' ' || attempts, ',' ORDER BY id) FROM "
                     "webhook_deliveries"),
              "pending 1,pending 0");
    receiver.fail_next(0);
    scalar("UPDATE webhook_deliveries SET next_attempt_at = now() RETURNING 1");  // time passes
    prometheus::Registry again;
    Dispatcher d(options(), again);
    d.start();
    ASSERT_TRUE(eventually([&] { return receiver.accepted().size() == 2; }, 5s));
    std::this_thread::sleep_for(200ms);
    d.stop();
    const auto got = receiver.accepted();
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].event, "violation.opened");
    EXPECT_EQ(got[1].event, "violation.closed");
}

TEST_F(DispatcherDb, StopAbandonsASlowRequestWithinTheGrace) {
    TestReceiver receiver;
    receiver.set_delay(2s);
    add_webhook(receiver.url());
    store({change(Kind::open, 1, "serious", 80)});
    auto o = options();
    o.request_timeout = 30s;
    o.stop_grace = 300ms;  // much less than the receiver's 2 s
    Dispatcher d(o, registry_);
    d.start();
    std::this_thread::sleep_for(500ms);  // the request is in flight
    const auto t0 = std::chrono::steady_clock::now();
    d.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    // Not an attempt: still pending, nothing recorded.
    EXPECT_EQ(scalar("SELECT state || ' ' || attempts FROM webhook_deliveries"), "pending 0");
}

TEST_F(DispatcherDb, AHangingReceiverDoesNotDelayAnotherWebhook) {
    TestReceiver slow;
    slow.set_delay(1500ms);
    TestReceiver quick;
    add_webhook(slow.url());
    add_webhook(quick.url());
    store({change(Kind::open, 1, "serious", 80)});
    auto o = options();
    o.request_timeout = 5s;
    Dispatcher d(o, registry_);
    d.start();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return quick.accepted().size() == 1; }, 5s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
    EXPECT_TRUE(eventually([&] { return slow.accepted().size() == 1; }, 5s));
    d.stop();
}

TEST_F(DispatcherDb, OldFinishedDeliveriesArePrunedPendingOnesNever) {
    add_webhook("http://127.0.0.1:9/x");
    for (std::uint64_t e = 1; e <= 3; ++e) store({change(Kind::open, e, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    d.queue_events(conn);
    scalar("UPDATE webhook_deliveries SET created_at = now() - interval '40 days', "
           "state = CASE id % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'delivered' ELSE 'failed' END "
           "RETURNING 1");
    EXPECT_EQ(storage::prune_deliveries(conn, std::chrono::hours{24 * 30}), 2);
    EXPECT_EQ(scalar("SELECT string_agg(state, ',') FROM webhook_deliveries"), "pending");
}

TEST_F(DispatcherDb, AnUnusableUrlInTheDatabaseIsRecordedAsTheError) {
    const auto hook = add_webhook("http://127.0.0.1:9/x");
    scalar("UPDATE webhooks SET url = 'gopher://x/' WHERE id = " + std::to_string(hook.id) +
           " RETURNING 1");
    store({change(Kind::open, 1, "serious", 80)});
    Dispatcher d(options(), registry_);
    auto conn = connect();
    d.pump(conn);
    EXPECT_EQ(scalar("SELECT attempts || ' ' || last_error FROM webhook_deliveries"),
              "1 the url cannot be used");
}

}  // namespace
}  // namespace fleetwatch::webhooks::testing
