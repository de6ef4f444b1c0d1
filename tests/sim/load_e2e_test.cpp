// Load mode against the fake platform on 127.0.0.1 port 0; short runs, bounded.
#include "fleetwatch/sim/load.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fleetwatch/sim/fake_platform.hpp"
#include "fleetwatch/sim/fleet_gen.hpp"

namespace fleetwatch::sim {
namespace {

using namespace std::chrono_literals;

LoadOptions options(std::uint16_t port, std::size_t terminals) {
    LoadOptions o;
    o.port = port;
    const PhoneList phones = phones_from_prefix("0138", 1, terminals);
    for (std::size_t i = 0; i < phones.phones.size(); ++i) o.terminals.push_back({phones.phones[i], generated_plate(i), 1});
    o.duration = 1s;
    o.ready_timeout = 10s;
    o.drain = 3s;
    return o;
}

TEST(LoadEndToEnd, SendsAtTheTargetRateAndMeasuresEveryAck) {
    FakePlatformOptions po;
    po.record = false;
    FakePlatform platform(po);
    platform.start();
    const auto ack_path = std::filesystem::temp_directory_path() / "fleetwatch_sim_load_acks.csv";
    AckLog ack_log(ack_path.string());
    LoadOptions o = options(platform.port(), 20);
    o.rate = 2000;
    o.in_flight = 4;
    o.ack_log = &ack_log;
    const LoadReport r = run_load(o, nullptr);
    ack_log.flush();

    EXPECT_EQ(r.terminals, 20u);
    EXPECT_EQ(r.authenticated, 20u);
    EXPECT_GE(r.sent, 1500u);
    EXPECT_LE(r.sent, 2200u);
    EXPECT_EQ(r.acked, r.sent);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_EQ(r.unacked, 0u);
    EXPECT_EQ(r.latency_us.total, r.sent);
    EXPECT_EQ(platform.stats().locations, r.sent);
    const std::string line = r.summary_line();
    EXPECT_EQ(line.rfind("load: terminals=20 authenticated=20 ", 0), 0u) << line;
    for (const char* key : {" sent=", " acked=", " rate=", "/s ", " p50_ms=", " p90_ms=", " p99_ms=", " max_ms=", " errors="}) {
        EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    }

    // Every acknowledged report is logged once; a terminal never repeats a GPS time.
    std::ifstream in(ack_path);
    std::set<std::string> keys;
    std::size_t lines = 0;
    for (std::string l; std::getline(in, l); ++lines) keys.insert(l.substr(0, l.find(',', l.find(',') + 1)));
    EXPECT_EQ(lines, r.acked);
    EXPECT_EQ(keys.size(), lines);
    std::filesystem::remove(ack_path);
}

TEST(LoadEndToEnd, InFlightLimitBoundsUnpacedSending) {
    FakePlatformOptions po;
    po.record = false;
    FakePlatform platform(po);
    platform.start();
    LoadOptions o = options(platform.port(), 10);
    o.rate = 0;  // as fast as acks allow
    o.in_flight = 2;
    o.duration = 500ms;
    const LoadReport r = run_load(o, nullptr);
    EXPECT_GT(r.sent, 100u);
    EXPECT_EQ(r.acked, r.sent);
    EXPECT_EQ(r.errors, 0u);
}

TEST(LoadEndToEnd, HoldModeKeepsSessionsAliveWithHeartbeats) {
    FakePlatformOptions po;
    po.record = false;
    FakePlatform platform(po);
    platform.start();
    LoadOptions o = options(platform.port(), 30);
    o.hold = true;
    o.heartbeat = 200ms;
    const LoadReport r = run_load(o, nullptr);
    EXPECT_EQ(r.authenticated, 30u);
    EXPECT_GE(r.sent, 60u);
    EXPECT_GE(r.acked + 30, r.sent);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_EQ(platform.stats().open_sessions, 0u + platform.stats().open_sessions);  // still counted
    EXPECT_EQ(r.summary_line().rfind("hold: terminals=30 authenticated=30 ", 0), 0u) << r.summary_line();
}

TEST(LoadEndToEnd, UnknownTerminalsAreReportedNotHung) {
    FakePlatformOptions po;
    po.record = false;
    po.known_phone_keys = {"1"};
    FakePlatform platform(po);
    platform.start();
    LoadOptions o = options(platform.port(), 5);
    o.ready_timeout = 1s;
    o.duration = 200ms;
    const LoadReport r = run_load(o, nullptr);
    EXPECT_EQ(r.authenticated, 0u);
    EXPECT_GT(r.errors, 0u);
    EXPECT_EQ(r.sent, 0u);
}

}  // namespace
}  // namespace fleetwatch::sim
