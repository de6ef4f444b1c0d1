// Shards (rules/engine.hpp, docs/rules.md "Shards"): N engines splitting the fleet by vehicle,
// with the spans and samples for another shard's drivers and convoys sent as Mail delivered
// late and in random batches, judge exactly as one engine does. The drive is the late-data
// property's (random_drive.hpp): a driver who moves from the bus to the school bus (so two
// vehicles on different shards feed one driver stage), a three-vehicle convoy, cards swapped
// while moving, blind-zone batches hours late.
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>

#include "random_drive.hpp"
#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

struct Shards {
    Shards(const RuleConfig& config, std::size_t n, std::uint64_t seed) : rng(seed) {
        for (std::size_t i = 0; i < n; ++i)
            engines.push_back(std::make_unique<Engine>(config, ShardSpec{i, n}));
    }

    std::vector<std::unique_ptr<Engine>> engines;
    Collector got;
    Outputs out;
    std::mt19937_64 rng;
    std::size_t letters = 0;           // mail items delivered
    std::set<std::size_t> fed_shards;  // shards that were given positions

    Engine& owner(VehicleId v) {
        const std::size_t s = vehicle_shard(v, engines.size());
        fed_shards.insert(s);
        return *engines[s];
    }

    void post(std::size_t from, std::size_t to) {
        Mail m = engines[from]->take_mail(to);
        letters += m.size();
        engines[to]->on_mail(std::move(m), out);
        got.take(out);
    }

    // Each pair's mail is delivered with probability 1/3 after each delivery, so it is late by
    // a random number of deliveries (and interleaved with other shards' mail).
    void post_some() {
        for (std::size_t from = 0; from < engines.size(); ++from)
            for (std::size_t to = 0; to < engines.size(); ++to)
                if (from != to && rng() % 3 == 0) post(from, to);
    }

    void post_all() {
        std::vector<Engine*> all;
        for (auto& e : engines) all.push_back(e.get());
        letters += deliver_all_mail(all, out);
        got.take(out);
    }

    void deliver(const std::vector<Delivery>& deliveries) {
        for (const Delivery& del : deliveries) {
            if (del.card) owner(del.card->vehicle_id).on_card_event(*del.card, out);
            else owner(del.batch.front().vehicle_id).on_positions(del.batch, out);
            got.take(out);
            post_some();
        }
        post_all();
    }

    std::vector<Episode> episodes() const {
        std::vector<Episode> all;
        for (const auto& e : engines) {
            const auto mine = e->episodes();
            all.insert(all.end(), mine.begin(), mine.end());
        }
        return all;
    }
};

void check_shards(std::uint64_t seed, std::size_t n, bool shuffled) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", " + std::to_string(n) + " shards" +
                 (shuffled ? ", shuffled" : ", in order"));
    const Drive d = random_drive(seed);
    Replay one(d.config);
    deliver(one, in_order_deliveries(d));

    Shards shards(d.config, n, seed);
    shards.deliver(shuffled ? shuffled_deliveries(d, seed) : in_order_deliveries(d));

    EXPECT_GE(shards.fed_shards.size(), 2u) << "the drive's vehicles should span shards";
    EXPECT_GT(shards.letters, 0u) << "no span or sample crossed shards";
    const auto want = verdicts(one.engine.episodes());
    EXPECT_FALSE(want.empty());
    expect_same(want, verdicts(shards.episodes()));
    expect_same(consumer_view(one.got), consumer_view(shards.got));

    std::set<std::uint64_t> ids;
    for (const EpisodeEvent& e : shards.got.events) {
        if (e.kind != EpisodeEventKind::open) continue;
        EXPECT_TRUE(ids.insert(e.episode.id).second) << "id reused: " << e.episode.id;
    }
}

TEST(Sharding, ShardsWithLateMailJudgeExactlyAsOneEngine) {
    const auto [first, count] = seeds(6);
    for (std::uint64_t seed = first; seed < first + static_cast<std::uint64_t>(count); ++seed) {
        for (std::size_t n : {2u, 3u, 5u}) check_shards(seed, n, false);
        if (HasFailure()) break;
    }
}

TEST(Sharding, ShardsWithShuffledArrivalAndLateMailJudgeExactlyAsOneEngineInOrder) {
    const auto [first, count] = seeds(6);
    for (std::uint64_t seed = first; seed < first + static_cast<std::uint64_t>(count); ++seed) {
        for (std::size_t n : {2u, 3u, 4u}) check_shards(seed + 500, n, true);
        if (HasFailure()) break;
    }
}

TEST(Sharding, EveryVehicleAndDriverHasExactlyOneShardAndTheyAreSpread) {
    constexpr std::size_t n = 4;
    std::vector<int> vehicles(n), drivers(n);
    for (VehicleId v = 1; v <= 4000; ++v) {
        const std::size_t s = vehicle_shard(v, n);
        ASSERT_LT(s, n);
        ++vehicles[s];
        EXPECT_EQ(driver_shard(DriverKey{v, true}, n), s) << "an unknown driver stays with the vehicle";
        ++drivers[driver_shard(DriverKey{v, false}, n)];
    }
    for (std::size_t s = 0; s < n; ++s) {
        EXPECT_GT(vehicles[s], 900) << "shard " << s;
        EXPECT_GT(drivers[s], 900) << "shard " << s;
    }
    EXPECT_EQ(vehicle_shard(12345, 1), 0u);
    EXPECT_EQ(driver_shard(DriverKey{12345, false}, 1), 0u);
}

TEST(Sharding, MailForItselfIsEmptyAndOneShardSendsNone) {
    const Drive d = random_drive(3);
    Replay one(d.config);
    deliver(one, in_order_deliveries(d));
    EXPECT_FALSE(one.engine.has_mail());
    EXPECT_TRUE(one.engine.take_mail(0).empty());
    EXPECT_TRUE(one.engine.take_mail(7).empty());
    Engine* only = &one.engine;
    EXPECT_EQ(deliver_all_mail(std::span(&only, 1), one.out), 0u);
}

}  // namespace
}  // namespace fleetwatch::rules::test
