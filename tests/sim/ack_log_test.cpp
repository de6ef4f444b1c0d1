#include "fleetwatch/sim/ack_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fleetwatch/sim/parse.hpp"

namespace fleetwatch::sim {
namespace {

std::string line_of(const AckedPosition& p) {
    char buf[160];
    const std::size_t n = format_ack_line(p, buf, sizeof buf);
    return std::string(buf, n);
}

TEST(AckLine, IsPhoneKeyTimeLatLonSpeed) {
    const AckedPosition p{"13900000101", *core::parse_instant("2026-03-10T01:02:03Z"), 32110300, 118958600, 182};
    EXPECT_EQ(line_of(p), "13900000101,2026-03-10T01:02:03Z,32.110300,118.958600,18.2\n");
}

TEST(AckLine, KeepsSignsAndLeadingZerosOfTheMicrodegrees) {
    const AckedPosition p{"1", *core::parse_instant("2026-03-10T01:02:03Z"), -33000005, -70250000, 0};
    EXPECT_EQ(line_of(p), "1,2026-03-10T01:02:03Z,-33.000005,-70.250000,0.0\n");
    const AckedPosition q{"1", *core::parse_instant("2026-03-10T01:02:03Z"), -500, 7, 1205};
    EXPECT_EQ(line_of(q), "1,2026-03-10T01:02:03Z,-0.000500,0.000007,120.5\n");
}

TEST(AckLog, WritesOneLinePerAcknowledgedPosition) {
    const auto path = std::filesystem::temp_directory_path() / "fleetwatch_sim_ack_log_test.csv";
    {
        AckLog log(path.string());
        for (int i = 0; i < 3; ++i) {
            log.write(AckedPosition{"13900000101", *core::parse_instant("2026-03-10T01:02:03Z") + std::chrono::seconds(i),
                                    32000000, 118000000, 100});
        }
        log.flush();
        EXPECT_EQ(log.lines(), 3u);
    }
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    EXPECT_EQ(n, 3);
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace fleetwatch::sim
