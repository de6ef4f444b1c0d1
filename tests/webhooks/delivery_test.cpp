#include "fleetwatch/webhooks/delivery.hpp"

#include <gtest/gtest.h>

#include "test_receiver.hpp"

namespace fleetwatch::webhooks {
namespace {

using namespace std::chrono_literals;

TEST(WebhookSignature, IsHmacSha256HexOfTheBody) {
    // RFC 4231 test case 2.
    EXPECT_EQ(signature_header("Jefe", "what do ya want for nothing?"),
              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookDingTalkSign, IsTheUrlEncodedBase64HmacOfTimestampNewlineSecret) {
    // Computed independently (Python: base64(hmac.new(secret, ts + "\n" + secret, sha256))).
    EXPECT_EQ(dingtalk_sign_query("SECa1b2c3d4e5f6", 1700000000000),
              "timestamp=1700000000000&sign=oJQpdCHfADjAvXpklWV1PzUEobyTlyhOkQWGlZgxWPE%3D");
    EXPECT_TRUE(dingtalk_signs("dingtalk", "SECa1b2c3d4e5f6"));
    EXPECT_FALSE(dingtalk_signs("dingtalk", "a-generated-secret-of-ours"));
    EXPECT_FALSE(dingtalk_signs("wecom", "SECa1b2c3d4e5f6"));
}

TEST(WebhookDingTalkSign, ASignedRobotGetsTheCurrentTimestampAndSignInItsUrl) {
    testing::TestReceiver robot;
    robot.set_answer_body(R"({"errcode":0,"errmsg":"ok"})");
    const std::atomic<bool> never{false};
    const std::string secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const auto r = send(robot.url("/robot/send?access_token=t"), "dingtalk", secret, "{}", "1.1",
                        "violation.opened", 1, 5s, never);
    EXPECT_TRUE(r.delivered) << r.error;
    const auto got = robot.requests();
    ASSERT_EQ(got.size(), 1U);
    const std::string prefix = "/robot/send?access_token=t&timestamp=";
    ASSERT_TRUE(got[0].target.starts_with(prefix)) << got[0].target;
    const auto ts = std::stoll(got[0].target.substr(prefix.size()));
    EXPECT_GE(ts, before);
    EXPECT_LT(ts, before + 5000);
    EXPECT_EQ(got[0].target, "/robot/send?access_token=t&" + dingtalk_sign_query(secret, ts));
    // Our own generated secrets do not look like DingTalk's: the URL stays as it is.
    (void)send(robot.url("/robot/send?access_token=t"), "dingtalk", "a-generated-secret-of-ours",
               "{}", "1.2", "violation.opened", 1, 5s, never);
    ASSERT_EQ(robot.requests().size(), 2U);
    EXPECT_EQ(robot.requests()[1].target, "/robot/send?access_token=t");
}

TEST(WebhookRetry, DoublesFromTwoSecondsUpToTheCapWithinTheJitter) {
    const RetryPolicy p;
    EXPECT_EQ(retry_delay(p, 1, 0.5), 2000ms);
    EXPECT_EQ(retry_delay(p, 2, 0.5), 4000ms);
    EXPECT_EQ(retry_delay(p, 3, 0.5), 8000ms);
    EXPECT_EQ(retry_delay(p, 9, 0.5), 512000ms);
    EXPECT_EQ(retry_delay(p, 10, 0.5), 600000ms);  // the 10 min cap
    EXPECT_EQ(retry_delay(p, 19, 0.5), 600000ms);
    EXPECT_EQ(retry_delay(p, 1, 0.0), 1600ms);
    EXPECT_LT(retry_delay(p, 1, 0.999), 2400ms);
    EXPECT_GE(retry_delay(p, 1000, 0.0), 480000ms);  // no overflow
}

TEST(WebhookUrl, HttpAndHttpsWithPortsPathsAndIpv6) {
    auto u = parse_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->https);
    EXPECT_EQ(u->host, "qyapi.weixin.qq.com");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->target, "/cgi-bin/webhook/send?key=abc");
    u = parse_url("http://127.0.0.1:8081");
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->https);
    EXPECT_EQ(u->port, 8081);
    EXPECT_EQ(u->target, "/");
    u = parse_url("http://[::1]:9000/x");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 9000);
    u = parse_url("http://h?x=1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->target, "/?x=1");
}

TEST(WebhookUrl, RefusesWhatIsNotAPlainHttpUrl) {
    for (const char* bad :
         {"ftp://x/", "http://", "http:///x", "http://user:pw@host/", "http://h:0/",
          "http://h:65536/", "http://h:/", "http://h x/", "http://h/#frag", "javascript:alert(1)",
          "http://h:12a/", "http://[::1/", "'; DROP TABLE webhooks; --"}) {
        EXPECT_FALSE(parse_url(bad)) << bad;
    }
    EXPECT_FALSE(parse_url("http://h/" + std::string(2100, 'a')));
}

TEST(WebhookPost, SendsTheBodyAndHeadersAndReturnsTheStatus) {
    testing::TestReceiver receiver(1, 503);
    const std::atomic<bool> never{false};
    const auto url = parse_url(receiver.url("/in?x=1"));
    ASSERT_TRUE(url);
    auto r = post(*url, {{"X-Fleetwatch-Event", "violation.opened"}}, R"({"a":1})", 5s, never);
    ASSERT_TRUE(r.status) << r.error;
    EXPECT_EQ(*r.status, 503);
    r = post(*url, {{"X-Fleetwatch-Event", "violation.opened"}}, R"({"a":1})", 5s, never);
    ASSERT_TRUE(r.status) << r.error;
    EXPECT_EQ(*r.status, 200);
    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[1].target, "/in?x=1");
    EXPECT_EQ(got[1].body, R"({"a":1})");
    EXPECT_EQ(got[1].event, "violation.opened");
    EXPECT_EQ(got[1].content_type, "application/json; charset=utf-8");
}

TEST(WebhookPost, ARefusedConnectionIsAnErrorNotAStatus) {
    Url url;
    {
        testing::TestReceiver gone;
        url = *parse_url(gone.url());
    }  // closed: nothing listens on that port now
    const std::atomic<bool> never{false};
    const auto r = post(url, {}, "{}", 2s, never);
    EXPECT_FALSE(r.status);
    EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
}

TEST(WebhookPost, ASlowReceiverTimesOut) {
    testing::TestReceiver slow;
    slow.set_delay(1500ms);
    const std::atomic<bool> never{false};
    const auto start = std::chrono::steady_clock::now();
    const auto r = post(*parse_url(slow.url()), {}, "{}", 300ms, never);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms);
    EXPECT_FALSE(r.status);
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST(WebhookPost, AbandonStopsARequestInFlight) {
    testing::TestReceiver slow;
    slow.set_delay(1500ms);
    std::atomic<bool> abandon{false};
    std::thread stopper([&] {
        std::this_thread::sleep_for(200ms);
        abandon = true;
    });
    const auto r = post(*parse_url(slow.url()), {}, "{}", 10s, abandon);
    stopper.join();
    EXPECT_TRUE(r.abandoned);
    EXPECT_FALSE(r.status);
}

TEST(WebhookPost, HttpsToAPlainHttpServerFailsInTheHandshake) {
    testing::TestReceiver plain;
    const std::atomic<bool> never{false};
    Url url = *parse_url(plain.url());
    url.https = true;
    const auto r = post(url, {}, "{}", 3s, never);
    EXPECT_FALSE(r.status);
    EXPECT_NE(r.error.find("tls handshake"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace fleetwatch::webhooks
