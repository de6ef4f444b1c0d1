// RulesStage without a database: what it does with what ingest submits (the queue in front of
// the rules thread). Storage and the engine inside serve: service_db_test.cpp (RulesServiceDb).
#include "rules_stage.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

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

}  // namespace
}  // namespace fleetwatch::app
