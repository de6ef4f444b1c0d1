#include "fleetwatch/geo/zones.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::geo {
namespace {

// The Xianlin campus rectangle of deploy/demo-fleet.yaml, and a 500 m circle at Gulou.
PolygonShape xianlin() {
    return {{{32.1060, 118.9500}, {32.1060, 118.9720}, {32.1230, 118.9720}, {32.1230, 118.9500},
             {32.1060, 118.9500}}};
}

TEST(Zones, PolygonContainsItsInteriorAndNotTheOutside) {
    EXPECT_TRUE(contains(xianlin(), {32.1100, 118.9600}));
    EXPECT_FALSE(contains(xianlin(), {32.1000, 118.9600}));
    EXPECT_FALSE(contains(xianlin(), {32.1100, 118.9800}));
}

TEST(Zones, ConcavePolygonExcludesItsNotch) {
    // An L shape: the square's north-east quarter is cut out.
    const PolygonShape l{{{0, 0}, {0, 2}, {1, 2}, {1, 1}, {2, 1}, {2, 0}}};
    EXPECT_TRUE(contains(l, {0.5, 1.5}));
    EXPECT_TRUE(contains(l, {1.5, 0.5}));
    EXPECT_FALSE(contains(l, {1.5, 1.5}));
}

TEST(Zones, CircleUsesMetres) {
    const CircleShape c{{32.0560, 118.7790}, 500};
    EXPECT_TRUE(contains(c, {32.0560 + 0.0044, 118.7790}));   // ~489 m north
    EXPECT_FALSE(contains(c, {32.0560 + 0.0046, 118.7790}));  // ~511 m north
}

TEST(Zones, IndexAnswersEveryContainingZoneInIndexOrder) {
    ZoneIndex index({xianlin(), CircleShape{{32.0560, 118.7790}, 500},
                     CircleShape{{32.1100, 118.9600}, 300}});
    std::vector<std::size_t> hits;
    index.containing({32.1100, 118.9600}, hits);
    EXPECT_EQ(hits, (std::vector<std::size_t>{0, 2}));
    index.containing({32.0561, 118.7791}, hits);
    EXPECT_EQ(hits, (std::vector<std::size_t>{1}));
    index.containing({30.0, 120.0}, hits);
    EXPECT_TRUE(hits.empty());
}

TEST(Zones, EmptyIndexContainsNothing) {
    ZoneIndex index({});
    std::vector<std::size_t> hits{7};
    index.containing({32.1, 118.9}, hits);
    EXPECT_TRUE(hits.empty());
}

}  // namespace
}  // namespace fleetwatch::geo
