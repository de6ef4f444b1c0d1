#include "fleetwatch/proto/convert.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace fleetwatch::proto {
namespace {

using namespace std::chrono_literals;

core::Position full_position() {
    core::Position p;
    p.vehicle_id = 1234567890123;
    p.gps_time = core::Timestamp{1'773'104'523s};
    p.received_at = core::Timestamp{1'773'104'525s};
    p.point = core::GeoPoint{-33'868'820, 151'209'290};
    p.altitude_m = 65535;
    p.speed_dkmh = 1234;
    p.direction = 359;
    p.alarm = 0x80000001U;
    p.status = 0xFFFFFFFFU;
    p.valid = true;
    p.mileage_100m = 4'000'000'000U;
    p.fuel_100ml = 65535;
    p.satellites = 255;
    p.signal_strength = 31;
    p.source = core::PositionSource::blind_zone;
    return p;
}

bool same(const core::Position& a, const core::Position& b) {
    return a.vehicle_id == b.vehicle_id && a.gps_time == b.gps_time &&
           a.received_at == b.received_at && a.point == b.point && a.altitude_m == b.altitude_m &&
           a.speed_dkmh == b.speed_dkmh && a.direction == b.direction && a.alarm == b.alarm &&
           a.status == b.status && a.valid == b.valid && a.mileage_100m == b.mileage_100m &&
           a.fuel_100ml == b.fuel_100ml && a.satellites == b.satellites &&
           a.signal_strength == b.signal_strength && a.source == b.source;
}

TEST(ProtoConvert, PositionWithEveryFieldSurvivesARoundTripThroughBytes) {
    const core::Position in = full_position();
    const std::string bytes = to_proto(in).SerializeAsString();
    v1::Position parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    const auto out = from_proto(parsed);
    ASSERT_TRUE(out.has_value());
    EXPECT_TRUE(same(in, *out));
}

TEST(ProtoConvert, AbsentOptionalFieldsStayAbsent) {
    core::Position in = full_position();
    in.mileage_100m.reset();
    in.fuel_100ml.reset();
    in.satellites.reset();
    in.signal_strength.reset();
    const auto msg = to_proto(in);
    EXPECT_FALSE(msg.has_mileage_100m());
    EXPECT_FALSE(msg.has_satellites());
    const auto out = from_proto(msg);
    ASSERT_TRUE(out.has_value());
    EXPECT_TRUE(same(in, *out));
}

TEST(ProtoConvert, ZeroIsKeptDistinctFromAbsentInOptionalFields) {
    core::Position in = full_position();
    in.satellites = 0;
    in.fuel_100ml = 0;
    const auto out = from_proto(to_proto(in));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->satellites, std::optional<std::uint8_t>{0});
    EXPECT_EQ(out->fuel_100ml, std::optional<std::uint16_t>{0});
}

TEST(ProtoConvert, ReusedMessageClearsOptionalFieldsOfThePreviousPosition) {
    v1::Position msg;
    to_proto(full_position(), msg);
    core::Position bare;
    to_proto(bare, msg);
    EXPECT_FALSE(msg.has_mileage_100m());
    EXPECT_FALSE(msg.has_signal_strength());
}

TEST(ProtoConvert, OutOfRangeFieldsAreRejectedNotClamped) {
    auto msg = to_proto(full_position());
    msg.set_speed_dkmh(70000);
    EXPECT_FALSE(from_proto(msg).has_value());
    msg = to_proto(full_position());
    msg.set_satellites(256);
    EXPECT_FALSE(from_proto(msg).has_value());
    msg = to_proto(full_position());
    msg.set_source(static_cast<v1::PositionSource>(17));
    EXPECT_FALSE(from_proto(msg).has_value());
}

TEST(ProtoConvert, DriverCardEventSurvivesARoundTrip) {
    core::DriverCardEvent in;
    in.vehicle_id = 42;
    in.time = core::Timestamp{1'773'104'523s};
    in.received_at = core::Timestamp{1'773'104'524s};
    in.inserted = true;
    in.ic_result = 0;
    in.driver_name = "张三";
    in.certificate_no = "320101199001011234";
    in.issuer = "南京市交通运输局";
    in.id_card_no = "320101199001011234";
    v1::Event event;
    *event.mutable_driver_card() = to_proto(in);
    v1::Event parsed;
    ASSERT_TRUE(parsed.ParseFromString(event.SerializeAsString()));
    ASSERT_TRUE(parsed.has_driver_card());
    const auto out = from_proto(parsed.driver_card());
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->vehicle_id, in.vehicle_id);
    EXPECT_EQ(out->time, in.time);
    EXPECT_EQ(out->received_at, in.received_at);
    EXPECT_TRUE(out->inserted);
    EXPECT_EQ(out->ic_result, in.ic_result);
    EXPECT_EQ(out->driver_name, in.driver_name);
    EXPECT_EQ(out->certificate_no, in.certificate_no);
    EXPECT_EQ(out->issuer, in.issuer);
    EXPECT_EQ(out->id_card_no, in.id_card_no);
}

TEST(ProtoConvert, RemovedCardHasNoIcResult) {
    core::DriverCardEvent in;
    in.inserted = false;
    const auto out = from_proto(to_proto(in));
    ASSERT_TRUE(out.has_value());
    EXPECT_FALSE(out->ic_result.has_value());
    EXPECT_FALSE(out->inserted);
}

}  // namespace
}  // namespace fleetwatch::proto
