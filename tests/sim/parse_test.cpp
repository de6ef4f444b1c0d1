#include "fleetwatch/sim/parse.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::sim {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
    EXPECT_EQ(parse_duration("90"), milliseconds(90'000));
    EXPECT_EQ(parse_duration("60s"), milliseconds(60'000));
    EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
    EXPECT_EQ(parse_duration("10m"), milliseconds(600'000));
    EXPECT_EQ(parse_duration("1h30m"), milliseconds(5'400'000));
    EXPECT_EQ(parse_duration("1.5h"), milliseconds(5'400'000));
}

TEST(ParseDuration, RefusesNonsense) {
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("ten"));
    EXPECT_FALSE(parse_duration("10x"));
    EXPECT_FALSE(parse_duration("10 m"));
    EXPECT_FALSE(parse_duration("5m10"));
}

}  // namespace
}  // namespace fleetwatch::sim
