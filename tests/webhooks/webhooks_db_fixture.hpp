// A database with the schema, one vehicle and one driver, and helpers that store violations the
// way the rules stage does (storage::ViolationStore: a violations row plus an engine audit row
// per change) and create webhooks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/storage/violations.hpp"
#include "fleetwatch/storage/webhooks.hpp"
#include "fleetwatch/webhooks/format.hpp"
#include "storage_test_db.hpp"

namespace fleetwatch::webhooks::testing {

using namespace std::chrono_literals;

class WebhooksDb : public storage::testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        vehicle_ = std::stoll(scalar("INSERT INTO vehicles (plate, class) VALUES ('苏A12345', "
                                     "'school_bus') RETURNING id"));
        driver_ = std::stoll(scalar("INSERT INTO drivers (license_no, name) VALUES "
                                    "('320102197512030043', '陈秀英') RETURNING id"));
    }

    storage::WebhookRow add_webhook(const std::string& url, const std::string& format = "json",
                                    std::vector<std::string> types = {},
                                    const std::string& min_severity = "minor",
                                    std::vector<std::string> kinds = {}) {
        auto conn = connect();
        storage::NewWebhook w;
        w.url = url;
        w.format = format;
        w.types = std::move(types);
        w.kinds = kinds.empty() ? default_kinds(format) : std::move(kinds);
        w.min_severity = min_severity;
        w.secret = "0123456789abcdef-secret";
        w.created_by = "root";
        return storage::create_webhook(conn, w);
    }

    // One engine change of the overspeed episode `episode` (minute `minute` of 2026-03-10).
    storage::ViolationChange change(storage::ViolationChangeKind kind, std::uint64_t episode,
                                    const std::string& severity, double peak, bool ended = false,
                                    std::string type = "overspeed") {
        storage::ViolationChange c;
        c.kind = kind;
        c.episode_id = episode;
        auto& r = c.record;
        r.type = std::move(type);
        r.severity = severity;
        r.vehicle_id = vehicle_;
        r.driver_id = driver_;
        r.started_at = core::Timestamp{std::chrono::seconds{1773104523 + 600 * episode}};
        if (ended) r.ended_at = r.started_at + std::chrono::minutes{3};
        r.peak = peak;
        r.peak_unit = "kmh";
        r.thresholds = {{"limit_kmh", 60}};
        return c;
    }
    std::vector<std::int64_t> store(std::vector<storage::ViolationChange> changes) {
        auto conn = connect();
        return store_.apply(conn, changes);
    }

    // Polls `done` every 20 ms for up to `timeout`, calling `step` between polls.
    static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                           const std::function<void()>& step = {}) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (step) step();
            if (done()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return done();
    }

    storage::ViolationStore store_;
    long long vehicle_ = 0;
    long long driver_ = 0;
};

}  // namespace fleetwatch::webhooks::testing
