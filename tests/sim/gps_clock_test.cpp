#include "fleetwatch/sim/gps_clock.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/sim/parse.hpp"
#include "fleetwatch/sim/wire.hpp"

namespace fleetwatch::sim {
namespace {

using namespace std::chrono_literals;

core::Timestamp at(const char* rfc3339) { return *core::parse_instant(rfc3339); }

TEST(GpsClock, SimulatedTimeRunsTimeScaleTimesFasterThanTheWallClock) {
    const auto w0 = GpsClock::Wall::time_point{} + 1000s;
    const GpsClock c(at("2026-03-10T01:00:00Z"), 60, w0);
    EXPECT_EQ(c.simulated_s(w0 - 5s), 0);
    EXPECT_DOUBLE_EQ(c.simulated_s(w0 + 2s), 120);
    EXPECT_DOUBLE_EQ(c.simulated_s(w0 + 500ms), 30);
    EXPECT_EQ(c.wall_at(120), w0 + 2s);
}

TEST(GpsClock, GpsTimeIsTheStartPlusWholeSimulatedSeconds) {
    const GpsClock c(at("2026-03-10T01:00:00Z"), 60, GpsClock::Wall::time_point{});
    EXPECT_EQ(c.gps_time(0), at("2026-03-10T01:00:00Z"));
    EXPECT_EQ(c.gps_time(125.7), at("2026-03-10T01:02:05Z"));
    EXPECT_EQ(c.gps_time((0.7 + 0.1 + 0.1) * 10), at("2026-03-10T01:00:09Z"));  // 8.99999... is second 9
}

TEST(GpsClock, GpsTimeGoesOnTheWireAsBcdInGmtPlus8) {
    const jt808::BcdTime t = to_bcd_gmt8(at("2026-03-10T17:02:03Z"));
    const std::array<std::uint8_t, 6> want{0x26, 0x03, 0x11, 0x01, 0x02, 0x03};
    EXPECT_EQ(t.raw, want);
    EXPECT_EQ(t.instant(), at("2026-03-10T17:02:03Z"));
}

TEST(AutoGpsStart, IsNowInRealTime) {
    const auto now = at("2026-03-10T08:00:00Z");
    EXPECT_EQ(auto_gps_start(now, 1, std::chrono::milliseconds(600'000)), now);
    EXPECT_EQ(auto_gps_start(now, 60, std::nullopt), now);
}

TEST(AutoGpsStart, AcceleratedRunsEndAtTheRealClock) {
    const auto now = at("2026-03-10T08:00:00Z");
    // 10 wall minutes at 60x = 10 GPS hours, ending 10 wall minutes from now.
    const auto start = auto_gps_start(now, 60, std::chrono::milliseconds(600'000));
    EXPECT_EQ(start, now - std::chrono::seconds(59 * 600));
    EXPECT_EQ(start + std::chrono::seconds(60 * 600), now + std::chrono::seconds(600));
}

TEST(Report, EncodesToA0x0200ThatDecodesToTheSameFix) {
    Fix f;
    f.position = {32.110312, 118.958641};
    f.speed_kmh = 45.26;
    f.heading_deg = 359.7;
    f.phase = Phase::driving;
    f.odometer_m = 12345;
    const Report r = report_of(f, at("2026-03-10T01:02:03Z"), jt808::Dialect::v2019);
    EXPECT_EQ(r.direction, 0);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(location_of(r), jt808::Dialect::v2019, body));
    const auto l = jt808::decode_location(body);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->lat_signed_e6(), 32110312);
    EXPECT_EQ(l->lon_signed_e6(), 118958641);
    EXPECT_EQ(l->speed_dkmh, 453);
    EXPECT_TRUE(l->positioned());
    EXPECT_EQ(l->status & status_bit::kAcc, status_bit::kAcc);
    EXPECT_EQ(l->status & status_bit::kMoving2019, status_bit::kMoving2019);
    EXPECT_EQ(l->time.instant(), at("2026-03-10T01:02:03Z"));
    EXPECT_EQ(l->extras.mileage_100m, 123u);
}

TEST(Report, SouthAndWestSetTheHemisphereBits) {
    Fix f;
    f.position = {-33.5, -70.25};
    const Report r = report_of(f, at("2026-03-10T01:02:03Z"), jt808::Dialect::v2013);
    const jt808::Location l = location_of(r);
    EXPECT_TRUE(l.south());
    EXPECT_TRUE(l.west());
    EXPECT_EQ(l.lat_signed_e6(), -33500000);
    EXPECT_EQ(l.status & status_bit::kAcc, 0u);  // parked
}

}  // namespace
}  // namespace fleetwatch::sim
