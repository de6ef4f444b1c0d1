// The /api/v1/webhooks routes over real HTTP against a real PostGIS (tests/api's fixture), and
// a delivery made by the dispatcher showing up in GET /webhooks/{id}/deliveries.
#include <prometheus/registry.h>

#include "endpoints_fixture.hpp"
#include "fleetwatch/storage/violations.hpp"
#include "fleetwatch/webhooks/delivery.hpp"
#include "fleetwatch/webhooks/dispatcher.hpp"
#include "test_receiver.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;
using testing::EndpointsTest;
using testing::HttpClient;

class WebhookRoutesDb : public EndpointsTest {
  protected:
    json webhook(std::string url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k") {
        return json{{"url", std::move(url)},
                    {"format", "wecom"},
                    {"types", {"overspeed", "fatigue_continuous"}},
                    {"min_severity", "serious"}};
    }
    // The answer's error field (API.md's shape).
    static std::string field_of(const testing::HttpReply& r) {
        return r.json()["error"].value("field", "");
    }
};

TEST_F(WebhookRoutesDb, AnAdminCreatesAWebhookAndSeesItsSecretOnce) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const auto created = c.post_json("/api/v1/webhooks", webhook(), token);
    ASSERT_EQ(created.status, 201) << created.body;
    const json w = created.json();
    EXPECT_EQ(w["format"], "wecom");
    EXPECT_EQ(w["types"], json({"overspeed", "fatigue_continuous"}));
    EXPECT_EQ(w["kinds"], json({"opened", "closed", "retracted"}));  // the robots' default
    EXPECT_EQ(w["min_severity"], "serious");
    EXPECT_EQ(w["enabled"], true);
    EXPECT_EQ(w["created_by"], "root");
    EXPECT_GE(w["secret"].get<std::string>().size(), 40U);
    const auto id = std::to_string(w["id"].get<std::int64_t>());
    const auto read = c.get("/api/v1/webhooks/" + id, token);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_FALSE(read.json().contains("secret"));
    EXPECT_EQ(read.json()["deliveries"]["pending"], 0);
    const auto list = c.get("/api/v1/webhooks", token);
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.json()["items"].size(), 1U);
    EXPECT_FALSE(list.json()["items"][0].contains("secret"));
}

TEST_F(WebhookRoutesDb, DefaultsAreJsonEveryTypeEveryKindFromMinorAndAGivenSecretIsKept) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const auto r = c.post_json("/api/v1/webhooks",
                               {{"url", "http://10.0.0.5:8080/hook"},
                                {"secret", "a-secret-of-20-bytes"}},
                               token);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["format"], "json");
    EXPECT_EQ(r.json()["types"], json::array());
    EXPECT_EQ(r.json()["kinds"], json({"opened", "updated", "closed", "retracted"}));
    EXPECT_EQ(r.json()["min_severity"], "minor");
    EXPECT_EQ(r.json()["secret"], "a-secret-of-20-bytes");
    EXPECT_EQ(scalar("SELECT secret FROM webhooks"), "a-secret-of-20-bytes");
}

TEST_F(WebhookRoutesDb, OnlyAnAdminMayTouchWebhooks) {
    HttpClient c(port());
    const auto admin = login(c, "root");
    const auto id = std::to_string(
        c.post_json("/api/v1/webhooks", webhook(), admin).json()["id"].get<std::int64_t>());
    for (const char* user : {"disp", "boss", "li"}) {
        const auto token = login(c, user);
        EXPECT_EQ(c.get("/api/v1/webhooks", token).status, 403) << user;
        EXPECT_EQ(c.post_json("/api/v1/webhooks", webhook(), token).status, 403) << user;
        EXPECT_EQ(c.get("/api/v1/webhooks/" + id + "/deliveries", token).status, 403) << user;
        EXPECT_EQ(c.request("DELETE", "/api/v1/webhooks/" + id, {}, token).status, 403) << user;
    }
    EXPECT_EQ(c.get("/api/v1/webhooks").status, 401);
    EXPECT_EQ(c.request("PATCH", "/api/v1/webhooks/" + id, R"({"enabled":false})").status, 401);
    EXPECT_EQ(scalar("SELECT count(*) FROM webhooks"), "1");
}

TEST_F(WebhookRoutesDb, ValidationErrorsNameTheField) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const std::vector<std::pair<json, std::string>> cases{
        {json{{"format", "json"}}, "url"},
        {json{{"url", "ftp://x/"}}, "url"},
        {json{{"url", 42}}, "url"},
        {json{{"url", "http://u:p@host/"}}, "url"},
        {json{{"url", "http://h/" + std::string(2100, 'a')}}, "url"},
        {json{{"url", "http://h/"}, {"format", "slack"}}, "format"},
        {json{{"url", "http://h/"}, {"types", "overspeed"}}, "types"},
        {json{{"url", "http://h/"}, {"types", {"overspeed", "speeding"}}}, "types"},
        {json{{"url", "http://h/"}, {"kinds", {"opened", "acknowledged"}}}, "kinds"},
        {json{{"url", "http://h/"}, {"min_severity", "high"}}, "min_severity"},
        {json{{"url", "http://h/"}, {"secret", "short"}}, "secret"},
        {json{{"url", "http://h/"}, {"enabled", "yes"}}, "enabled"},
        {json{{"url", "http://h/"}, {"description", std::string(600, 'x')}}, "description"},
        {json{{"url", "http://h/"}, {"colour", "red"}}, "colour"},
    };
    for (const auto& [body, field] : cases) {
        const auto r = c.post_json("/api/v1/webhooks", body, token);
        EXPECT_EQ(r.status, 400) << body.dump();
        EXPECT_EQ(r.error_code(), "invalid_parameter") << r.body;
        EXPECT_EQ(field_of(r), field) << r.body;
    }
    EXPECT_EQ(c.request("POST", "/api/v1/webhooks", "{not json", token).error_code(), "bad_json");
    EXPECT_EQ(scalar("SELECT count(*) FROM webhooks"), "0");
}

TEST_F(WebhookRoutesDb, SqlLookingTextIsStoredAsText) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const std::string sql = "x'); DROP TABLE webhooks; --";
    const auto r = c.post_json("/api/v1/webhooks",
                               {{"url", "http://h/hook?q=%27;DROP%20TABLE%20webhooks;--"},
                                {"description", sql},
                                {"secret", sql}},
                               token);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["description"], sql);
    EXPECT_EQ(scalar("SELECT description || '|' || secret || '|' || url FROM webhooks"),
              sql + "|" + sql + "|http://h/hook?q=%27;DROP%20TABLE%20webhooks;--");
}

TEST_F(WebhookRoutesDb, PatchChangesOnlyWhatIsGivenAndCanRotateTheSecret) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const json w = c.post_json("/api/v1/webhooks", webhook(), token).json();
    const auto path = "/api/v1/webhooks/" + std::to_string(w["id"].get<std::int64_t>());
    auto r = c.request("PATCH", path, R"({"enabled":false,"min_severity":"critical"})", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["enabled"], false);
    EXPECT_EQ(r.json()["min_severity"], "critical");
    EXPECT_EQ(r.json()["types"], w["types"]);
    EXPECT_EQ(r.json()["url"], w["url"]);
    EXPECT_FALSE(r.json().contains("secret"));
    r = c.request("PATCH", path, R"({"secret":null})", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.json()["secret"], w["secret"]);
    EXPECT_EQ(scalar("SELECT secret FROM webhooks"), r.json()["secret"].get<std::string>());
    r = c.request("PATCH", path, R"({"types":["nope"]})", token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_of(r), "types");
    EXPECT_EQ(c.request("PATCH", "/api/v1/webhooks/999", R"({"enabled":true})", token).status,
              404);
}

TEST_F(WebhookRoutesDb, DeleteRemovesTheWebhookAndItsDeliveries) {
    HttpClient c(port());
    const auto token = login(c, "root");
    const json w = c.post_json("/api/v1/webhooks", webhook(), token).json();
    const auto path = "/api/v1/webhooks/" + std::to_string(w["id"].get<std::int64_t>());
    EXPECT_EQ(c.request("DELETE", path, {}, token).status, 204);
    EXPECT_EQ(c.get(path, token).status, 404);
    EXPECT_EQ(c.request("DELETE", path, {}, token).status, 404);
    EXPECT_EQ(c.get(path + "/deliveries", token).status, 404);
}

TEST_F(WebhookRoutesDb, DeliveriesShowTheirStateAttemptsAndLastError) {
    webhooks::testing::TestReceiver receiver(1, 503);
    HttpClient c(port());
    const auto token = login(c, "root");
    const json w =
        c.post_json("/api/v1/webhooks", {{"url", receiver.url()}}, token).json();
    const auto path = "/api/v1/webhooks/" + std::to_string(w["id"].get<std::int64_t>());
    // Two violations stored as the rules stage stores them.
    storage::ViolationStore store;
    auto conn = connect();
    for (std::uint64_t e = 1; e <= 2; ++e) {
        storage::ViolationChange ch;
        ch.episode_id = e;
        ch.record.type = "overspeed";
        ch.record.severity = "serious";
        ch.record.vehicle_id = 1;
        ch.record.started_at = core::Timestamp{std::chrono::seconds{1773104523 + 600 * e}};
        ch.record.peak = 80;
        ch.record.peak_unit = "kmh";
        store.apply(conn, std::span(&ch, 1));
    }
    prometheus::Registry registry;
    webhooks::DispatcherOptions o;
    o.conninfo = conninfo();
    webhooks::Dispatcher d(o, registry);
    d.pump(conn);  // queues both, the first attempt answers 503 and waits ~2 s
    auto r = c.get(path + "/deliveries", token);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.json()["items"].size(), 2U);
    const json first = r.json()["items"][1];  // newest first
    EXPECT_EQ(first["state"], "pending");
    EXPECT_EQ(first["attempts"], 1);
    EXPECT_EQ(first["last_status"], 503);
    EXPECT_EQ(first["last_error"], "HTTP 503");
    EXPECT_EQ(first["kind"], "violation.opened");
    EXPECT_TRUE(first["next_attempt_at"].is_string());
    EXPECT_EQ(first["delivery_id"],
              w["id"].dump() + "." + first["event_id"].dump());
    EXPECT_EQ(r.json()["items"][0]["attempts"], 0);
    EXPECT_EQ(c.get(path, token).json()["deliveries"]["pending"], 2);
    // Paging and the state filter.
    r = c.get(path + "/deliveries?limit=1", token);
    ASSERT_EQ(r.json()["items"].size(), 1U);
    const auto cursor = r.json()["next_cursor"].get<std::string>();
    r = c.get(path + "/deliveries?limit=1&cursor=" + cursor, token);
    ASSERT_EQ(r.json()["items"].size(), 1U);
    EXPECT_EQ(r.json()["items"][0]["id"], first["id"]);
    EXPECT_TRUE(r.json()["next_cursor"].is_null());
    EXPECT_EQ(c.get(path + "/deliveries?state=delivered", token).json()["items"].size(), 0U);
    EXPECT_EQ(c.get(path + "/deliveries?state=lost", token).status, 400);
    EXPECT_EQ(c.get(path + "/deliveries?cursor=abc", token).status, 400);
}

TEST_F(WebhookRoutesDb, TheTestRouteSendsASignedMessageNowAndSaysHowItWent) {
    webhooks::testing::TestReceiver receiver(1, 500);
    receiver.set_answer_body(R"({"errcode":0,"errmsg":"ok"})");
    HttpClient c(port());
    const auto token = login(c, "root");
    const json w = c.post_json("/api/v1/webhooks", {{"url", receiver.url()}, {"format", "dingtalk"}},
                               token)
                       .json();
    const auto path = "/api/v1/webhooks/" + std::to_string(w["id"].get<std::int64_t>()) + "/test";
    auto r = c.post_json(path, json::object(), token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["delivered"], false);
    EXPECT_EQ(r.json()["status"], 500);
    EXPECT_EQ(r.json()["error"], "HTTP 500");
    r = c.post_json(path, json::object(), token);
    EXPECT_EQ(r.json()["delivered"], true) << r.body;
    EXPECT_TRUE(r.json()["error"].is_null());
    EXPECT_EQ(r.json()["answer"], R"({"errcode":0,"errmsg":"ok"})");
    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[1].event, "webhook.test");
    EXPECT_EQ(got[1].signature,
              webhooks::signature_header(w["secret"].get<std::string>(), got[1].body));
    EXPECT_EQ(json::parse(got[1].body)["markdown"]["title"], "fleetwatch 测试消息");
    EXPECT_EQ(scalar("SELECT count(*) FROM webhook_deliveries"), "0");  // not queued
    EXPECT_EQ(c.post_json("/api/v1/webhooks/999/test", json::object(), token).status, 404);
    EXPECT_EQ(c.post_json(path, json::object(), login(c, "disp")).status, 403);
}

}  // namespace
}  // namespace fleetwatch::api
