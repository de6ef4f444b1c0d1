#include "fleetwatch/webhooks/format.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::webhooks {
namespace {

using nlohmann::json;

storage::WebhookRow hook(std::string format, std::vector<std::string> types,
                         std::string min_severity) {
    storage::WebhookRow w;
    w.id = 3;
    w.format = format;
    w.types = std::move(types);
    w.kinds = default_kinds(format);
    w.min_severity = std::move(min_severity);
    return w;
}

Event overspeed(EventKind kind = EventKind::opened) {
    Event e;
    e.kind = kind;
    e.audit_id = 1042;
    e.at = core::Timestamp{std::chrono::seconds{1773104523}};  // 2026-03-10T01:02:03Z
    auto& v = e.violation;
    v.id = 17;
    v.type = "overspeed";
    v.severity = "serious";
    v.vehicle_id = 2;
    v.driver_id = 5;
    v.started_at = e.at;
    v.peak = 87.5;
    v.peak_unit = "kmh";
    v.thresholds_json = R"({"limit_kmh":60})";
    v.status = "new";
    v.detected_at = e.at;
    v.updated_at = e.at;
    e.context.plate = "苏A12345";
    e.context.driver_name = "张三";
    e.context.utc_offset_s = 8 * 3600;
    return e;
}

TEST(WebhookFilter, TypeMustBeListedUnlessTheListIsEmpty) {
    EXPECT_TRUE(passes(hook("json", {}, "minor"), EventKind::opened, "overspeed", "minor", false));
    EXPECT_TRUE(passes(hook("json", {"overspeed"}, "minor"), EventKind::opened, "overspeed",
                       "minor", false));
    EXPECT_FALSE(passes(hook("json", {"fatigue_daily"}, "minor"), EventKind::opened, "overspeed",
                        "critical", false));
}

TEST(WebhookFilter, TheFirstEventMustReachMinSeverity) {
    const auto w = hook("wecom", {}, "serious");
    EXPECT_FALSE(passes(w, EventKind::opened, "overspeed", "moderate", false));
    EXPECT_TRUE(passes(w, EventKind::opened, "overspeed", "serious", false));
    EXPECT_TRUE(passes(w, EventKind::opened, "overspeed", "critical", false));
}

TEST(WebhookFilter, AnEscalationIsTheFirstNewsEvenWhenUpdatesAreNotSubscribed) {
    const auto w = hook("wecom", {}, "serious");  // kinds: opened, closed, retracted
    EXPECT_TRUE(passes(w, EventKind::updated, "overspeed", "severe", false));
    // Once announced, updates follow `kinds`: a robot gets none.
    EXPECT_FALSE(passes(w, EventKind::updated, "overspeed", "severe", true));
    EXPECT_TRUE(passes(w, EventKind::closed, "overspeed", "minor", true));
}

TEST(WebhookFilter, ARetractionIsSentOnlyForAViolationTheWebhookHeardOf) {
    const auto w = hook("json", {}, "minor");
    EXPECT_FALSE(passes(w, EventKind::retracted, "overspeed", "critical", false));
    EXPECT_TRUE(passes(w, EventKind::retracted, "overspeed", "minor", true));
}

TEST(WebhookFilter, UnknownSeverityNeverPasses) {
    EXPECT_FALSE(passes(hook("json", {}, "minor"), EventKind::opened, "overspeed", "bad", false));
}

TEST(WebhookFormat, AuditActionsMapToEventKinds) {
    EXPECT_EQ(kind_of_action("opened"), EventKind::opened);
    EXPECT_EQ(kind_of_action("recomputed"), EventKind::updated);
    EXPECT_EQ(kind_of_action("closed"), EventKind::closed);
    EXPECT_EQ(kind_of_action("retracted"), EventKind::retracted);
    EXPECT_FALSE(kind_of_action("acknowledge"));
    EXPECT_EQ(kind_name(EventKind::closed), "violation.closed");
}

TEST(WebhookFormat, JsonCarriesKindDeliveryIdAndTheApiViolation) {
    const json b = json::parse(body("json", 3, overspeed(), {}));
    EXPECT_EQ(b["kind"], "violation.opened");
    EXPECT_EQ(b["delivery_id"], "3.1042");
    EXPECT_EQ(b["event_id"], 1042);
    EXPECT_EQ(b["at"], "2026-03-10T01:02:03Z");
    const json& d = b["data"];
    EXPECT_EQ(d["id"], 17);
    EXPECT_EQ(d["type"], "overspeed");
    EXPECT_EQ(d["severity"], "serious");
    EXPECT_EQ(d["limit"], 60);
    EXPECT_EQ(d["peak"], 87.5);
    EXPECT_TRUE(d["ended_at"].is_null());
    EXPECT_EQ(d["plate"], "苏A12345");
    for (const char* key : {"subtype", "vehicle_id", "driver_id", "trip_id", "convoy_id",
                            "started_at", "start", "thresholds", "pledge_version", "late",
                            "from_gap", "needs_review", "status", "detected_at"}) {
        EXPECT_TRUE(d.contains(key)) << key;
    }
}

TEST(WebhookFormat, WecomIsAMarkdownMessageInChineseWithLocalTime) {
    const json b = json::parse(body("wecom", 3, overspeed(), {}));
    EXPECT_EQ(b["msgtype"], "markdown");
    const std::string text = b["markdown"]["content"];
    for (const char* part : {"超速", "苏A12345", "张三", "较重", "2026-03-10 09:02:03",
                             "87.5 km/h", "限值 60 km/h", "/api/v1/violations/17"}) {
        EXPECT_NE(text.find(part), std::string::npos) << part << " in " << text;
    }
    EXPECT_EQ(b.size(), 2U);
}

TEST(WebhookFormat, DingtalkHasATitleAndTextAndTheLinkTemplate) {
    TextOptions t;
    t.link_template = "https://fleet.example/#/violations/{id}";
    const json b = json::parse(body("dingtalk", 3, overspeed(EventKind::closed), t));
    EXPECT_EQ(b["msgtype"], "markdown");
    EXPECT_EQ(b["markdown"]["title"], "fleetwatch 违规结束：超速 苏A12345");
    const std::string text = b["markdown"]["text"];
    EXPECT_NE(text.find("(https://fleet.example/#/violations/17)"), std::string::npos) << text;
}

TEST(WebhookFormat, TheTestMessageSaysWhatItIsInEachFormat) {
    const core::Timestamp now{std::chrono::seconds{1773104523}};
    const json j = json::parse(test_body("json", 7, now));
    EXPECT_EQ(j["kind"], "webhook.test");
    EXPECT_EQ(j["delivery_id"], "7.test");
    EXPECT_TRUE(j["data"].is_null());
    const json w = json::parse(test_body("wecom", 7, now));
    EXPECT_NE(w["markdown"]["content"].get<std::string>().find("fleetwatch 测试消息"),
              std::string::npos);
    const json d = json::parse(test_body("dingtalk", 7, now));
    EXPECT_EQ(d["markdown"]["title"], "fleetwatch 测试消息");
    EXPECT_NE(d["markdown"]["text"].get<std::string>().find("2026-03-10 09:02:03"),
              std::string::npos);
}

TEST(WebhookFormat, MarkdownInNamesIsEscapedAndNewlinesFlattened) {
    Event e = overspeed();
    e.context.driver_name = "**Bob**\n### x";
    const std::string text = markdown_text(e, {});
    EXPECT_NE(text.find("\\*\\*Bob\\*\\* \\#\\#\\# x"), std::string::npos) << text;
}

TEST(WebhookFormat, TheAuditDetailIsTheEventsVerdict) {
    storage::ViolationRow v = overspeed().violation;
    apply_audit_detail(v, R"({"severity":"severe","peak":99,"ended_at":"2026-03-10T01:05:00Z"})");
    EXPECT_EQ(v.severity, "severe");
    EXPECT_EQ(v.peak, 99);
    ASSERT_TRUE(v.ended_at);
    EXPECT_EQ(core::format_rfc3339(*v.ended_at), "2026-03-10T01:05:00Z");
    apply_audit_detail(v, "not json");  // ignored
    EXPECT_EQ(v.severity, "severe");
}

}  // namespace
}  // namespace fleetwatch::webhooks
