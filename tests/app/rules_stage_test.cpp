// RulesStage without a database: what it does with what ingest submits (the queue in front of
// the rules thread). Storage and the engine inside serve: service_db_test.cpp (RulesServiceDb).
#include "rules_stage.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <vector>

namespace fleetwatch::app {
namespace {

class CountingSink final : public core::EventSink {
  public:
    explicit CountingSink(bool accepting) : accept(accepting) {}
    bool submit(std::span<const core::Position> p) override {
        if (accept) positions += p.size();
        return accept;
    }
    bool submit(const core::DriverCardEvent&) override { return accept; }
    void contact(core::VehicleId, core::Timestamp) override {}
    bool accept;
    std::size_t positions = 0;
};

class NoPublisher final : public push::Publisher {
  public:
    void violation(const push::ViolationEvent&) override {}
    void warning(const push::FatigueWarning&) override {}
};

double counter_value(prometheus::Registry& r, const std::string& name) {
    for (const auto& family : r.Collect()) {
        if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
    }
    return -1;
}

RulesStageOptions options(std::size_t capacity) {
    RulesStageOptions o;
    o.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";  // never reached: not started
    o.queue_capacity = capacity;
    return o;
}

TEST(RulesStage, AFullQueueStillStoresButDoesNotJudgeAndCountsWhatItSkipped) {
    CountingSink writer(true);
    NoPublisher publisher;
    prometheus::Registry registry;
    RulesStage stage(writer, publisher, options(3), registry);  // not started: nothing drains
    const std::vector<core::Position> two(2);
    EXPECT_TRUE(stage.submit(two));  // queued: 2 of 3
    EXPECT_TRUE(stage.submit(two));  // 4 > 3: stored, not judged
    EXPECT_EQ(writer.positions, 4u);
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_dropped_total"), 2);
}

TEST(RulesStage, WhatTheWriterRefusesIsRefusedAndNotQueued) {
    CountingSink writer(false);
    NoPublisher publisher;
    prometheus::Registry registry;
    RulesStage stage(writer, publisher, options(3), registry);
    EXPECT_FALSE(stage.submit(std::vector<core::Position>(2)));
    EXPECT_FALSE(stage.submit(core::DriverCardEvent{}));
    // Had the refused two been queued, these three would not fit.
    writer.accept = true;
    EXPECT_TRUE(stage.submit(std::vector<core::Position>(3)));
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_dropped_total"), 0);
}

TEST(RulesStage, ShardsJudgeEveryPositionOfAMixedBatchAndStopOnlyWhenDrained) {
    CountingSink writer(true);
    NoPublisher publisher;
    prometheus::Registry registry;
    RulesStageOptions o = options(100'000);
    o.shards = 3;
    RulesStage stage(writer, publisher, std::move(o), registry);
    ASSERT_EQ(stage.shard_count(), 3u);
    // Vehicles the configuration does not know, fixes without a GPS fix: judged, never a
    // violation, so no database is needed.
    std::vector<core::Position> mixed(300);
    for (std::size_t i = 0; i < mixed.size(); ++i) {
        mixed[i].vehicle_id = static_cast<core::VehicleId>(1 + i % 30);
        mixed[i].gps_time = core::utc_now() - std::chrono::seconds{mixed.size() - i};
        mixed[i].received_at = core::utc_now();
    }
    std::size_t shards_hit = 0;
    for (std::size_t s = 0; s < 3; ++s) {
        shards_hit += std::any_of(mixed.begin(), mixed.end(), [&](const core::Position& p) {
            return rules::vehicle_shard(p.vehicle_id, 3) == s;
        });
    }
    EXPECT_EQ(shards_hit, 3u);
    EXPECT_TRUE(stage.submit(mixed));  // queued before start: judged once the shards run
    stage.start({});
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(stage.submit(mixed));
    stage.contact(7, core::utc_now());
    stage.stop();
    EXPECT_EQ(writer.positions, 11 * mixed.size());
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_positions_total"), 3300.0);
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_dropped_total"), 0);
    EXPECT_TRUE(stage.submit(mixed)) << "stored after stop, not judged";
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_dropped_total"), 300.0);
}

TEST(RulesStage, EachShardHasItsShareOfTheQueue) {
    CountingSink writer(true);
    NoPublisher publisher;
    prometheus::Registry registry;
    RulesStageOptions o = options(10);
    o.shards = 2;
    RulesStage stage(writer, publisher, std::move(o), registry);  // not started
    core::VehicleId a = 1;
    while (rules::vehicle_shard(a, 2) != 0) ++a;
    std::vector<core::Position> five(5);
    for (auto& p : five) p.vehicle_id = a;
    EXPECT_TRUE(stage.submit(five));
    EXPECT_TRUE(stage.submit(std::span(five).first(1)));  // 6 > 10 / 2: stored, not judged
    EXPECT_EQ(counter_value(registry, "fleetwatch_rules_dropped_total"), 1);
}

}  // namespace
}  // namespace fleetwatch::app
