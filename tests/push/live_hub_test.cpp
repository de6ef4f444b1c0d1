#include "fleetwatch/push/live_hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/v1/events.pb.h"
#include "live_events.hpp"

namespace fleetwatch::push {
namespace {

using namespace std::chrono_literals;

using push::testing::opened;

core::Position position(core::VehicleId vehicle, int second) {
    core::Position p;
    p.vehicle_id = vehicle;
    p.gps_time = core::Timestamp{std::chrono::seconds{1'773'104'523 + second}};
    p.point = {32'000'000 + second, 118'800'000};
    p.speed_dkmh = 400;
    p.valid = true;
    return p;
}

// Everything queued for `s`, popped and marked sent.
std::vector<std::string> drain(LiveSubscription& s) {
    std::vector<std::string> out;
    while (auto m = s.pop()) {
        out.push_back(*m);
        s.sent(m->size());
    }
    return out;
}

std::string kind_and_id(const std::string& json_frame) {
    const auto j = nlohmann::json::parse(json_frame);
    return j["kind"].get<std::string>() + " " + std::to_string(j["data"]["id"].get<long long>());
}

TEST(LiveHub, EverySubscriberGetsTheViolationItsFilterAllows) {
    LiveHub hub;
    auto all = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    auto leader = hub.subscribe({LiveFormat::json, VehicleFilter::only({7, 9}), false, {}});
    hub.violation(opened(1, 7));
    hub.violation(opened(2, 8));
    hub.violation(opened(3, 9));
    const auto got_all = drain(*all);
    ASSERT_EQ(got_all.size(), 3u);
    EXPECT_EQ(kind_and_id(got_all[1]), "violation.opened 2");
    const auto got_leader = drain(*leader);
    ASSERT_EQ(got_leader.size(), 2u);
    EXPECT_EQ(kind_and_id(got_leader[0]), "violation.opened 1");
    EXPECT_EQ(kind_and_id(got_leader[1]), "violation.opened 3");
}

TEST(LiveHub, AReplacedFilterAppliesToTheNextEvent) {
    LiveHub hub;
    auto leader = hub.subscribe({LiveFormat::json, VehicleFilter::only({7}), false, {}});
    hub.violation(opened(1, 8));
    leader->set_filter(VehicleFilter::only({8}));
    hub.violation(opened(2, 8));
    hub.violation(opened(3, 7));
    const auto got = drain(*leader);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(kind_and_id(got[0]), "violation.opened 2");
}

TEST(LiveHub, EachEventIsSerializedOncePerFormatAndTheBytesAreShared) {
    LiveHub hub;
    std::vector<std::shared_ptr<LiveSubscription>> subs;
    for (int i = 0; i < 50; ++i) {
        subs.push_back(hub.subscribe(
            {i % 2 == 0 ? LiveFormat::json : LiveFormat::protobuf, VehicleFilter::all(), false, {}}));
    }
    hub.violation(opened(1, 7));
    EXPECT_EQ(hub.stats().frames_serialized, 2u);
    EXPECT_EQ(hub.stats().messages_queued, 50u);
    const auto a = subs[0]->pop();
    const auto b = subs[2]->pop();
    EXPECT_EQ(a.get(), b.get()) << "two JSON subscribers hold the same bytes";
    const auto p = subs[1]->pop();
    ASSERT_TRUE(p);
    v1::LiveEvent event;
    ASSERT_TRUE(event.ParseFromString(*p));
    EXPECT_EQ(event.kind(), "violation.opened");
    EXPECT_EQ(event.violation().id(), 1);
    EXPECT_EQ(event.violation().vehicle_id(), 7);
}

TEST(LiveHub, AnEventNobodyMaySeeIsNotSerialized) {
    LiveHub hub;
    auto leader = hub.subscribe({LiveFormat::json, VehicleFilter::only({7}), false, {}});
    hub.violation(opened(1, 8));
    hub.warning(FatigueWarning{8, std::nullopt, {}, 210, 240, false, false});
    EXPECT_EQ(hub.stats().frames_serialized, 0u);
    EXPECT_EQ(leader->pop(), nullptr);
}

TEST(LiveHub, WakeIsCalledWhenTheQueueBecomesNonEmptyNotForEveryMessage) {
    LiveHub hub;
    int wakes = 0;
    auto s = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, [&] { ++wakes; }});
    hub.violation(opened(1, 7));
    hub.violation(opened(2, 7));
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(drain(*s).size(), 2u);
    hub.violation(opened(3, 7));
    EXPECT_EQ(wakes, 2);
}

TEST(LiveHub, ASubscriberOverItsQueueBoundIsDroppedAndTheOthersKeepEverything) {
    std::atomic<int> slow_drops_seen{0};
    LiveHubOptions o;
    o.max_queue_bytes = 2000;
    o.on_slow_drop = [&] { ++slow_drops_seen; };
    LiveHub hub(o);
    int slow_wakes = 0;
    auto slow = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, [&] { ++slow_wakes; }});
    auto fast = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    std::size_t fast_got = 0;
    for (int i = 1; i <= 100; ++i) {
        hub.violation(opened(i, 7));
        fast_got += drain(*fast).size();  // keeps up
    }
    EXPECT_EQ(fast_got, 100u);
    const auto reason = slow->dropped();
    ASSERT_TRUE(reason);
    EXPECT_NE(reason->find("2000 bytes"), std::string::npos) << *reason;
    EXPECT_EQ(slow->pop(), nullptr) << "a dropped subscriber's queue is emptied";
    EXPECT_EQ(slow->queued_bytes(), 0u);
    EXPECT_EQ(slow_wakes, 2) << "once for the first message, once for the drop";
    EXPECT_EQ(hub.stats().slow_drops, 1u);
    EXPECT_EQ(slow_drops_seen.load(), 1);
}

TEST(LiveHub, TheMessageBeingWrittenCountsAgainstTheBoundUntilSent) {
    LiveHubOptions o;
    const std::size_t one = live_frame(opened(1, 7), LiveFormat::json).size();
    o.max_queue_bytes = one * 2 + one / 2;  // room for two
    LiveHub hub(o);
    auto s = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    hub.violation(opened(1, 7));
    const auto writing = s->pop();  // popped, not yet sent
    ASSERT_TRUE(writing);
    hub.violation(opened(2, 7));
    EXPECT_FALSE(s->dropped());
    hub.violation(opened(3, 7));
    EXPECT_TRUE(s->dropped()) << "1 in flight + 1 queued + 1 new is over the bound";

    auto t = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    hub.violation(opened(4, 7));
    const auto w = t->pop();
    t->sent(w->size());
    hub.violation(opened(5, 7));
    hub.violation(opened(6, 7));
    EXPECT_FALSE(t->dropped()) << "what was sent no longer counts";
}

TEST(LiveHub, AnEmptyQueueTakesAMessageLargerThanTheBound) {
    LiveHubOptions o;
    o.max_queue_bytes = 10;
    LiveHub hub(o);
    auto s = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    hub.violation(opened(1, 7));
    EXPECT_FALSE(s->dropped());
    EXPECT_EQ(drain(*s).size(), 1u);
}

TEST(LiveHub, UnsubscribedSubscribersGetNothing) {
    LiveHub hub;
    auto s = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    hub.unsubscribe(s);
    hub.violation(opened(1, 7));
    EXPECT_EQ(s->pop(), nullptr);
    EXPECT_EQ(hub.stats().subscribers, 0u);
}

TEST(LiveHub, PositionsOnlyReachSubscribersThatAskedAtMostOnePerVehiclePerInterval) {
    LiveHubOptions o;
    o.position_interval = 1h;
    LiveHub hub(o);
    auto events_only = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    auto with_positions = hub.subscribe({LiveFormat::json, VehicleFilter::all(), true, {}});
    auto leader = hub.subscribe({LiveFormat::protobuf, VehicleFilter::only({8}), true, {}});
    const std::vector<core::Position> batch{position(7, 0), position(8, 0), position(7, 1)};
    hub.positions(batch);
    hub.positions(std::vector<core::Position>{position(7, 2), position(8, 2)});  // within 1 h
    EXPECT_TRUE(drain(*events_only).empty());
    const auto got = drain(*with_positions);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(got[0])["data"]["vehicle_id"], 8);
    const auto newest = nlohmann::json::parse(got[1]);
    EXPECT_EQ(newest["kind"], "position");
    // Of the batch, vehicle 7's newest (second 1), in its place in the batch.
    EXPECT_EQ(newest["data"]["vehicle_id"], 7);
    EXPECT_EQ(newest["data"]["time"], "2026-03-10T01:02:04Z");
    EXPECT_DOUBLE_EQ(newest["data"]["lat"].get<double>(), 32.000001);
    const auto leader_got = drain(*leader);
    ASSERT_EQ(leader_got.size(), 1u);
    v1::LiveEvent event;
    ASSERT_TRUE(event.ParseFromString(leader_got[0]));
    EXPECT_EQ(event.kind(), "position");
    EXPECT_EQ(event.position().vehicle_id(), 8);
}

TEST(LiveHub, WithoutAnIntervalEveryLivePositionIsSentButNeverBlindZoneBackFill) {
    LiveHubOptions o;
    o.position_interval = 0ms;
    LiveHub hub(o);
    auto s = hub.subscribe({LiveFormat::json, VehicleFilter::all(), true, {}});
    auto old = position(7, 2);
    old.source = core::PositionSource::blind_zone;
    hub.positions(std::vector<core::Position>{position(7, 0), position(7, 1), old});
    EXPECT_EQ(drain(*s).size(), 2u);
}

TEST(LiveHub, PublishingFromManyThreadsWhileSubscribersComeAndGoLosesNothingForTheSteadyOne) {
    LiveHub hub;
    auto steady = hub.subscribe({LiveFormat::json, VehicleFilter::all(), false, {}});
    std::atomic<bool> done{false};
    std::thread churn([&] {
        while (!done) {
            auto s = hub.subscribe({LiveFormat::protobuf, VehicleFilter::all(), true, {}});
            hub.unsubscribe(s);
        }
    });
    std::vector<std::thread> publishers;
    for (int t = 0; t < 4; ++t) {
        publishers.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                hub.violation(opened(t * 1000 + i, 7));
                hub.positions(std::vector<core::Position>{position(t, i)});
            }
        });
    }
    std::size_t got = 0;
    for (auto& p : publishers) p.join();
    done = true;
    churn.join();
    got += drain(*steady).size();
    EXPECT_EQ(got, 2000u);
}

}  // namespace
}  // namespace fleetwatch::push
