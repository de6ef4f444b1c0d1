// A real drive to a webhook: app::Service with the demo fleet and its rules, a scripted
// terminal speeding over TCP, the rule engine's overspeed stored, and the webhooks' receiver
// (failing its first attempts) getting the violation's events — the whole way `fleetwatch
// serve` does it.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "fleetwatch/app/service.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/storage/fleet_import.hpp"
#include "fleetwatch/storage/webhooks.hpp"
#include "fleetwatch/webhooks/format.hpp"
#include "service_config.hpp"
#include "speeding_drive.hpp"
#include "storage_test_db.hpp"
#include "test_receiver.hpp"
#include "test_terminal.hpp"

namespace fleetwatch::webhooks::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kDemoFleet = FLEETWATCH_SOURCE_DIR "/deploy/demo-fleet.yaml";
constexpr const char* kShuttlePhone = "013900000101";  // 苏AX0101

class DriveWebhookDb : public storage::testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        auto parsed = fleet::parse_fleet_file(kDemoFleet);
        ASSERT_TRUE(parsed.fleet);
        storage::import_fleet(conninfo(), *parsed.fleet);
        spool_ = fresh_spool("fleetwatch-drive-webhook-test");
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(spool_);
        DatabaseTest::TearDown();
    }
    void start() {
        service_ = std::make_unique<app::Service>(
            service_config(conninfo(), spool_,
                           // A poll a minute apart: what arrives sooner was woken by the
                           // rules' publisher (Service's WebhookNudge).
                           {{"http.listen", ""},
                            {"rules.fleet_file", kDemoFleet},
                            {"webhooks.poll_interval_ms", "60000"}}),
            registry_);
        service_->start();
    }
    std::int64_t add_webhook(const std::string& url, const std::string& format) {
        auto conn = connect();
        storage::NewWebhook w;
        w.url = url;
        w.format = format;
        w.types = {"overspeed"};
        w.kinds = default_kinds(format);
        w.min_severity = "minor";
        w.secret = "drive-test-secret-0123";
        w.created_by = "root";
        return storage::create_webhook(conn, w).id;
    }
    static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(20ms);
        }
        return true;
    }

    std::filesystem::path spool_;
    prometheus::Registry registry_;
    std::unique_ptr<app::Service> service_;
};

TEST_F(DriveWebhookDb, ASpeedingDriveReachesTheReceiverOnceItRecovers) {
    TestReceiver integration(2);  // fails the first two attempts
    TestReceiver robot;
    robot.set_answer_body(R"({"errcode":0,"errmsg":"ok"})");
    add_webhook(integration.url(), "json");
    add_webhook(robot.url(), "wecom");
    start();
    auto t = std::make_unique<ingest::test::TestTerminal>(service_->port(), kShuttlePhone);
    ASSERT_TRUE(t->connected());
    ASSERT_TRUE(t->login());
    app::testing::send_batch(*t, app::testing::drive(20, 130, 120s));
    app::testing::send_batch(*t, app::testing::drive(75, 30, 99s));  // a minute slow: closed

    const std::string overspeed =
        "SELECT id FROM violations WHERE type = 'overspeed' AND ended_at IS NOT NULL";
    ASSERT_TRUE(eventually(
        [&] { return scalar("SELECT count(*) FROM (" + overspeed + ") q") == "1"; }, 15s))
        << "the drive opened and closed no overspeed";
    const std::string id = scalar(overspeed);
    const auto kinds_of = [&](const TestReceiver& r) {
        std::vector<std::string> kinds;
        for (const auto& a : r.accepted()) {
            const json b = json::parse(a.body);
            if (b.contains("data") && std::to_string(b["data"]["id"].get<long long>()) == id) {
                kinds.push_back(b["kind"]);
            } else if (b.contains("msgtype")) {
                kinds.push_back(a.event);
            }
        }
        return kinds;
    };
    ASSERT_TRUE(eventually(
        [&] {
            const auto k = kinds_of(integration);
            return !k.empty() && k.back() == "violation.closed";
        },
        15s))
        << integration.accepted().size() << " accepted";
    const auto kinds = kinds_of(integration);
    EXPECT_EQ(kinds.front(), "violation.opened");
    // Every engine audit row of it reached the json webhook once.
    EXPECT_EQ(std::to_string(kinds.size()),
              scalar("SELECT count(*) FROM violation_audit WHERE actor = 'engine' AND "
                     "violation_id = " + id));
    std::set<std::string> ids;
    for (const auto& a : integration.accepted()) ids.insert(a.delivery);
    EXPECT_EQ(ids.size(), integration.accepted().size());
    EXPECT_EQ(integration.requests().size(), integration.accepted().size() + 2);
    // The robot: the opening and the end, not the updates.
    ASSERT_TRUE(eventually([&] { return robot.accepted().size() >= 2; }, 10s));
    EXPECT_EQ(kinds_of(robot), (std::vector<std::string>{"violation.opened", "violation.closed"}));
    const json first = json::parse(robot.accepted()[0].body);
    EXPECT_NE(first["markdown"]["content"].get<std::string>().find("苏AX0101"), std::string::npos)
        << first.dump();
}

}  // namespace
}  // namespace fleetwatch::webhooks::testing
