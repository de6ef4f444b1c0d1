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

TEST(ParseHostPort, SplitsHostAndPort) {
    const auto a = parse_host_port("127.0.0.1:6808");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 6808);
    const auto b = parse_host_port("[::1]:7000");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "::1");
    EXPECT_EQ(b->port, 7000);
    EXPECT_EQ(parse_host_port("server")->port, 6808);
    EXPECT_FALSE(parse_host_port("host:99999"));
    EXPECT_FALSE(parse_host_port(":6808"));
    EXPECT_FALSE(parse_host_port("host:"));
}

}  // namespace
}  // namespace fleetwatch::sim
