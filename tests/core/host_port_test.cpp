#include "fleetwatch/core/host_port.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::core {
namespace {

TEST(ParseHostPort, SplitsHostAndPortAndBracketedV6) {
    EXPECT_EQ(parse_host_port("127.0.0.1:6808"), (HostPort{"127.0.0.1", 6808}));
    EXPECT_EQ(parse_host_port("[::1]:7000"), (HostPort{"::1", 7000}));
    EXPECT_EQ(parse_host_port("0.0.0.0:0"), (HostPort{"0.0.0.0", 0}));
    EXPECT_EQ(parse_host_port("server:65535"), (HostPort{"server", 65535}));
}

TEST(ParseHostPort, RefusesWhatIsNotHostColonPort) {
    for (const char* bad : {"host:99999", ":6808", "host:", "host", "::1:80", "[::1]", "[::1]x",
                            "[::1:80", "[]:80", "host:80x", "host:-1", ""}) {
        EXPECT_FALSE(parse_host_port(bad)) << bad;
    }
}

TEST(ParseHostPort, WithADefaultPortTheHostAloneIsEnough) {
    EXPECT_EQ(parse_host_port("server", 6808), (HostPort{"server", 6808}));
    EXPECT_EQ(parse_host_port("[::1]", 6808), (HostPort{"::1", 6808}));
    EXPECT_EQ(parse_host_port("server:7000", 6808), (HostPort{"server", 7000}));
    EXPECT_FALSE(parse_host_port("server:", 6808));
    EXPECT_FALSE(parse_host_port(":7000", 6808));
    EXPECT_FALSE(parse_host_port("::1", 6808));
}

}  // namespace
}  // namespace fleetwatch::core
