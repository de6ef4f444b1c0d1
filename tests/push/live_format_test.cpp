#include "fleetwatch/push/live_format.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fleetwatch/v1/events.pb.h"

namespace fleetwatch::push {
namespace {

ViolationEvent closed_event() {
    ViolationEvent e;
    e.kind = ViolationEventKind::closed;
    e.violation_id = 42;
    e.type = "fatigue_continuous";
    e.subtype = "night";
    e.severity = "severe";
    e.vehicle_id = 3;
    e.driver_id = 5;
    e.started_at = core::Timestamp{std::chrono::seconds{1'773'104'523}};
    e.ended_at = core::Timestamp{std::chrono::seconds{1'773'108'123}};
    e.peak = 150;
    e.peak_unit = "min";
    e.late = true;
    return e;
}

TEST(LiveFormat, AViolationJsonFrameHasTheKindAndApiMdsViolationFields) {
    const auto j = nlohmann::json::parse(live_frame(closed_event(), LiveFormat::json));
    EXPECT_EQ(j["kind"], "violation.closed");
    const auto& d = j["data"];
    EXPECT_EQ(d["id"], 42);
    EXPECT_EQ(d["type"], "fatigue_continuous");
    EXPECT_EQ(d["subtype"], "night");
    EXPECT_EQ(d["severity"], "severe");
    EXPECT_EQ(d["vehicle_id"], 3);
    EXPECT_EQ(d["driver_id"], 5);
    EXPECT_EQ(d["started_at"], "2026-03-10T01:02:03Z");
    EXPECT_EQ(d["ended_at"], "2026-03-10T02:02:03Z");
    EXPECT_EQ(d["peak"], 150.0);
    EXPECT_EQ(d["peak_unit"], "min");
    EXPECT_EQ(d["late"], true);
    EXPECT_EQ(d["recomputed"], false);
    EXPECT_TRUE(d["status"].is_null()) << "an update does not know the handling status";
}

TEST(LiveFormat, OpenedIsNewAndRetractedIsRetractedAndAnOpenViolationHasNoEnd) {
    auto e = closed_event();
    e.kind = ViolationEventKind::opened;
    e.ended_at.reset();
    e.driver_id.reset();
    const auto j = nlohmann::json::parse(live_frame(e, LiveFormat::json));
    EXPECT_EQ(j["data"]["status"], "new");
    EXPECT_TRUE(j["data"]["ended_at"].is_null());
    EXPECT_TRUE(j["data"]["driver_id"].is_null());
    e.kind = ViolationEventKind::retracted;
    v1::LiveEvent p;
    ASSERT_TRUE(p.ParseFromString(live_frame(e, LiveFormat::protobuf)));
    EXPECT_EQ(p.kind(), "violation.retracted");
    EXPECT_EQ(p.violation().status(), "retracted");
    EXPECT_FALSE(p.violation().has_ended_at_unix());
    EXPECT_FALSE(p.violation().has_driver_id());
}

TEST(LiveFormat, AViolationProtobufFrameCarriesTheSameFields) {
    v1::LiveEvent p;
    ASSERT_TRUE(p.ParseFromString(live_frame(closed_event(), LiveFormat::protobuf)));
    EXPECT_EQ(p.kind(), "violation.closed");
    ASSERT_TRUE(p.has_violation());
    const auto& v = p.violation();
    EXPECT_EQ(v.id(), 42);
    EXPECT_EQ(v.type(), "fatigue_continuous");
    EXPECT_EQ(v.subtype(), "night");
    EXPECT_EQ(v.severity(), "severe");
    EXPECT_EQ(v.vehicle_id(), 3);
    EXPECT_EQ(v.driver_id(), 5);
    EXPECT_EQ(v.started_at_unix(), 1'773'104'523);
    EXPECT_EQ(v.ended_at_unix(), 1'773'108'123);
    EXPECT_EQ(v.peak(), 150.0);
    EXPECT_EQ(v.peak_unit(), "min");
    EXPECT_TRUE(v.late());
    EXPECT_FALSE(v.has_status());
}

TEST(LiveFormat, AWarningFrameInBothFormats) {
    FatigueWarning w{3, 5, core::Timestamp{std::chrono::seconds{1'773'104'523}}, 210, 240, true,
                     false};
    const auto j = nlohmann::json::parse(live_frame(w, LiveFormat::json));
    EXPECT_EQ(j["kind"], "warning");
    EXPECT_EQ(j["data"]["type"], "fatigue_continuous");
    EXPECT_EQ(j["data"]["continuous_min"], 210);
    EXPECT_EQ(j["data"]["limit_min"], 240);
    EXPECT_EQ(j["data"]["night"], true);
    EXPECT_EQ(j["data"]["time"], "2026-03-10T01:02:03Z");
    v1::LiveEvent p;
    ASSERT_TRUE(p.ParseFromString(live_frame(w, LiveFormat::protobuf)));
    EXPECT_EQ(p.kind(), "warning");
    EXPECT_EQ(p.warning().continuous_min(), 210u);
    EXPECT_EQ(p.warning().driver_id(), 5);
}

TEST(LiveFormat, APositionJsonFrameHasTheRestPositionFieldsAndTheVehicle) {
    core::Position pos;
    pos.vehicle_id = 9;
    pos.gps_time = core::Timestamp{std::chrono::seconds{1'773'104'523}};
    pos.received_at = pos.gps_time + std::chrono::seconds{1};
    pos.point = {-32'000'001, 118'800'002};
    pos.speed_dkmh = 456;
    pos.direction = 90;
    pos.altitude_m = 12;
    pos.mileage_100m = 1234;
    pos.valid = true;
    const auto j = nlohmann::json::parse(live_frame(pos, LiveFormat::json));
    EXPECT_EQ(j["kind"], "position");
    const auto& d = j["data"];
    EXPECT_EQ(d["vehicle_id"], 9);
    EXPECT_DOUBLE_EQ(d["lat"].get<double>(), -32.000001);
    EXPECT_DOUBLE_EQ(d["lon"].get<double>(), 118.800002);
    EXPECT_DOUBLE_EQ(d["speed_kmh"].get<double>(), 45.6);
    EXPECT_DOUBLE_EQ(d["mileage_km"].get<double>(), 123.4);
    EXPECT_EQ(d["received_at"], "2026-03-10T01:02:04Z");
    v1::LiveEvent p;
    ASSERT_TRUE(p.ParseFromString(live_frame(pos, LiveFormat::protobuf)));
    EXPECT_EQ(p.position().lat_e6(), -32'000'001);
    EXPECT_EQ(p.position().speed_dkmh(), 456u);
}

}  // namespace
}  // namespace fleetwatch::push
