#include "fleetwatch/ingest/positions.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::ingest {
namespace {

using namespace std::chrono_literals;

const core::Timestamp kReceived{std::chrono::sys_days{std::chrono::year{2026} / 3 / 10} + 2h};

jt808::Location location() {
    jt808::Location l;
    l.status = 0x2 | 0x4;  // positioned, south
    l.lat_e6 = 31'000'001;
    l.lon_e6 = 121'000'002;
    l.speed_dkmh = 805;
    l.time = jt808::BcdTime::from_civil(core::CivilTime{2026, 3, 10, 8, 0, 0});
    return l;
}

TEST(ToPosition, ConvertsGmt8ToUtcAndSignsTheHemispheres) {
    core::Position p;
    to_position(location(), 3, kReceived, core::PositionSource::blind_zone, p);
    EXPECT_EQ(p.vehicle_id, 3);
    EXPECT_EQ(core::format_rfc3339(p.gps_time), "2026-03-10T00:00:00Z");
    EXPECT_EQ(p.point.lat_e6, -31'000'001);
    EXPECT_EQ(p.point.lon_e6, 121'000'002);
    EXPECT_DOUBLE_EQ(p.speed_kmh(), 80.5);
    EXPECT_TRUE(p.valid);
    EXPECT_EQ(p.received_at, kReceived);
    EXPECT_EQ(p.source, core::PositionSource::blind_zone);
}

TEST(ToPosition, NoFixOrNoTimeMeansInvalid) {
    core::Position p;
    auto l = location();
    l.status = 0;
    to_position(l, 3, kReceived, core::PositionSource::live, p);
    EXPECT_FALSE(p.valid);
    l = location();
    l.time = jt808::BcdTime{};
    to_position(l, 3, kReceived, core::PositionSource::live, p);
    EXPECT_FALSE(p.valid);
    EXPECT_EQ(p.gps_time, kReceived);
}

TEST(ToDriverCardEvent, CardOutAndTextInUtf8) {
    jt808::DriverIdentity d;
    d.state = 2;
    d.time = jt808::BcdTime::from_civil(core::CivilTime{2026, 3, 10, 18, 30, 0});
    auto e = to_driver_card_event(d, 9, kReceived);
    EXPECT_FALSE(e.inserted);
    EXPECT_EQ(core::format_rfc3339(e.time), "2026-03-10T10:30:00Z");
    const auto name = jt808::utf8_to_gbk("李四");
    d.state = 1;
    d.ic_result = 0;
    d.driver_name = name;
    e = to_driver_card_event(d, 9, kReceived);
    EXPECT_TRUE(e.inserted);
    EXPECT_EQ(e.driver_name, "李四");
    EXPECT_EQ(e.vehicle_id, 9);
}

}  // namespace
}  // namespace fleetwatch::ingest
