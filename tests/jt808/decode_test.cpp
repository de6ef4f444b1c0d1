#include "fleetwatch/jt808/decode.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fleetwatch/jt808/json.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {
namespace {

using ByteVec = std::vector<std::uint8_t>;
using json = Json;

// Hand-built body bytes, big-endian, independent of the codec's own writer.
struct Build {
    ByteVec v;
    Build& u8(std::uint32_t x) {
        v.push_back(static_cast<std::uint8_t>(x));
        return *this;
    }
    Build& u16(std::uint32_t x) { return u8(x >> 8).u8(x); }
    Build& u32(std::uint32_t x) { return u16(x >> 16).u16(x & 0xFFFF); }
    Build& hex(std::string_view h) {
        const auto b = from_hex(h);
        if (!b) throw std::invalid_argument("bad hex in test");
        v.insert(v.end(), b->begin(), b->end());
        return *this;
    }
    Build& bytes(const ByteVec& b) {
        v.insert(v.end(), b.begin(), b.end());
        return *this;
    }
    Build& text(std::string_view s) {
        v.insert(v.end(), s.begin(), s.end());
        return *this;
    }
    Build& gbk(std::string_view utf8) { return bytes(utf8_to_gbk(utf8)); }
    // `s` padded with NUL to `width` bytes, at the end or the front.
    Build& fixed(std::string_view s, std::size_t width, bool front = false) {
        if (front) v.insert(v.end(), width - s.size(), 0x00);
        text(s);
        if (!front) v.insert(v.end(), width - s.size(), 0x00);
        return *this;
    }
    // 0x0200 basic block: 31.234567 N, 121.456789 E, 12 m, 60.5 km/h, heading 90,
    // 2026-03-10 09:02:03 GMT+8.
    Build& basic(std::uint32_t status = 0x00000003, std::uint32_t lat = 31234567,
                 std::uint32_t lon = 121456789, std::string_view time = "260310090203") {
        return u32(0x00000001).u32(status).u32(lat).u32(lon).u16(12).u16(605).u16(90).hex(time);
    }
};

Header header(std::uint16_t msg_id, HeaderVersion v = HeaderVersion::v2013) {
    Header h;
    h.msg_id = msg_id;
    h.version = v;
    return h;
}

std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

template <class T>
T decode_as(std::uint16_t msg_id, const ByteVec& body, HeaderVersion v = HeaderVersion::v2013,
            DecodeOptions opt = {}) {
    auto b = decode_body(header(msg_id, v), body, opt);
    if (!b) throw std::runtime_error("decode failed: " + b.error().message());
    if (!std::holds_alternative<T>(*b)) throw std::runtime_error("decoded to another type");
    return std::get<T>(*b);
}

// Uplink bodies are views into `body`: decoding a temporary would leave them dangling.
template <class T>
T decode_as(std::uint16_t msg_id, ByteVec&& body, HeaderVersion v = HeaderVersion::v2013,
            DecodeOptions opt = {}) = delete;

json to_json(std::uint16_t msg_id, const ByteVec& body, HeaderVersion v = HeaderVersion::v2013,
             DecodeOptions opt = {}) {
    const Header h = header(msg_id, v);
    auto b = decode_body(h, body, opt);
    if (!b) throw std::runtime_error("decode failed: " + b.error().message());
    return frame_to_json(h, *b);
}

struct RawItem {
    std::uint8_t id;
    std::string hex;
    friend bool operator==(const RawItem&, const RawItem&) = default;
};

std::vector<RawItem> raw_items(const LocationExtras& x) {
    std::vector<RawItem> out;
    x.for_each_raw([&out](const ExtraItem& i) { out.push_back({i.id, to_hex(i.value)}); });
    return out;
}

void expect_has_keys(const json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << "missing key \"" << k << "\" in " << j.dump();
}

// ---- 0x0200 location report --------------------------------------------------------------

TEST(DecodeLocation, BasicBlockFieldsAreReadAtTheirOffsets) {
    const ByteVec body = Build{}.basic().v;
    ASSERT_EQ(body.size(), 28u);
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.alarm, 1u);
    EXPECT_EQ(l.status, 3u);
    EXPECT_EQ(l.lat_e6, 31234567u);
    EXPECT_EQ(l.lon_e6, 121456789u);
    EXPECT_EQ(l.altitude_m, 12);
    EXPECT_EQ(l.speed_dkmh, 605);
    EXPECT_EQ(l.direction, 90);
    ASSERT_TRUE(l.time.valid);
    EXPECT_EQ(l.time.civil, (core::CivilTime{2026, 3, 10, 9, 2, 3}));
    EXPECT_TRUE(l.positioned());
    EXPECT_TRUE(l.extras.items.empty());
    EXPECT_TRUE(l.extras.trailing.empty());
}

TEST(DecodeLocation, JsonHasTheKeysApiMdPromisesInItsUnits) {
    const ByteVec body = Build{}.basic().hex("0104 00003039").hex("0202 01F4").hex("0302 0258")
                             .hex("3001 17").hex("3101 0C").v;
    const json j = to_json(0x0200, body);
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["msg_id"], "0x0200");
    EXPECT_EQ(j["version"], "2013");
    const json& b = j["body"];
    expect_has_keys(b, {"alarm", "status", "lat", "lon", "altitude_m", "speed_kmh", "direction",
                        "time", "extras"});
    EXPECT_EQ(b["alarm"], 1);
    EXPECT_EQ(b["status"], 3);
    EXPECT_DOUBLE_EQ(b["lat"].get<double>(), 31.234567);
    EXPECT_DOUBLE_EQ(b["lon"].get<double>(), 121.456789);
    EXPECT_EQ(b["altitude_m"], 12);
    EXPECT_DOUBLE_EQ(b["speed_kmh"].get<double>(), 60.5);
    EXPECT_EQ(b["direction"], 90);
    EXPECT_EQ(b["time"], "2026-03-10T01:02:03Z");  // GMT+8 on the wire, UTC in JSON
    const json& x = b["extras"];
    EXPECT_DOUBLE_EQ(x["mileage_km"].get<double>(), 1234.5);
    EXPECT_DOUBLE_EQ(x["fuel_l"].get<double>(), 50.0);
    EXPECT_DOUBLE_EQ(x["recorder_speed_kmh"].get<double>(), 60.0);
    EXPECT_EQ(x["signal_strength"], 23);
    EXPECT_EQ(x["satellites"], 12);
    EXPECT_FALSE(x.contains("raw"));
}

TEST(DecodeLocation, EveryStandardAdditionalItemIsDecodedWithItsExactValue) {
    Build tyres;
    for (std::uint32_t i = 0; i < 29; ++i) tyres.u8(200 + i);
    tyres.u8(0xFF);
    const ByteVec body = Build{}
                             .basic()
                             .hex("01 04 00003039")          // mileage 1234.5 km
                             .hex("02 02 01F4")              // fuel 50.0 L
                             .hex("03 02 0258")              // recorder speed 60.0 km/h
                             .hex("04 02 0007")              // alarm event 7
                             .u8(0x05).u8(30).bytes(tyres.v) // tyre pressure
                             .hex("06 02 800A")              // -10 °C
                             .hex("11 01 00")                // overspeed, no location
                             .hex("12 06 01 0000002A 01")    // left circle 42
                             .hex("13 07 00000005 012C 01")  // section 5, 300 s, too long
                             .hex("25 04 00000011")          // dipped beam + brake
                             .hex("2A 02 0002")              // sleeping
                             .hex("2B 04 00020001")          // AD1 = 2, AD0 = 1
                             .hex("30 01 17")                // signal 23
                             .hex("31 01 0C")                // 12 satellites
                             .v;
    const auto l = decode_as<Location>(0x0200, body);
    const LocationExtras& x = l.extras;
    EXPECT_EQ(x.mileage_100m, 12345u);
    EXPECT_EQ(x.fuel_100ml, 500);
    EXPECT_EQ(x.recorder_speed_dkmh, 600);
    EXPECT_EQ(x.alarm_event_id, 7);
    ASSERT_TRUE(x.tyre_pressure);
    EXPECT_EQ(to_hex(*x.tyre_pressure), to_hex(tyres.v));
    EXPECT_EQ(x.compartment_temp_c, -10);
    ASSERT_TRUE(x.overspeed);
    EXPECT_EQ(x.overspeed->location_type, 0);
    EXPECT_FALSE(x.overspeed->area_id);
    ASSERT_TRUE(x.area_crossing);
    EXPECT_EQ(x.area_crossing->location_type, 1);
    EXPECT_EQ(x.area_crossing->area_id, 42u);
    EXPECT_EQ(x.area_crossing->direction, 1);
    ASSERT_TRUE(x.section_time);
    EXPECT_EQ(x.section_time->section_id, 5u);
    EXPECT_EQ(x.section_time->seconds, 300);
    EXPECT_EQ(x.section_time->result, 1);
    EXPECT_EQ(x.vehicle_signals, 0x11u);
    EXPECT_EQ(x.io_status, 2);
    EXPECT_EQ(x.analog, 0x00020001u);
    EXPECT_EQ(x.signal_strength, 23);
    EXPECT_EQ(x.satellites, 12);
    EXPECT_TRUE(raw_items(x).empty());
    EXPECT_TRUE(x.trailing.empty());

    const json j = to_json(0x0200, body)["body"]["extras"];
    EXPECT_EQ(j["alarm_event_id"], 7);
    EXPECT_EQ(j["compartment_temp_c"], -10);
    EXPECT_EQ(j["tyre_pressure_pa"].size(), 30u);
    EXPECT_TRUE(j["tyre_pressure_pa"][29].is_null()) << "0xFF means no reading";
    EXPECT_EQ(j["overspeed"]["location_type"], 0);
    EXPECT_FALSE(j["overspeed"].contains("area_id"));
    EXPECT_EQ(j["area_crossing"]["area_id"], 42);
    EXPECT_EQ(j["area_crossing"]["direction"], "out");
    EXPECT_EQ(j["section_time"]["seconds"], 300);
    EXPECT_EQ(j["section_time"]["result"], "too_long");
    EXPECT_EQ(j["vehicle_signals"], 0x11);
    EXPECT_EQ(j["io_status"], 2);
    EXPECT_EQ(j["analog"]["ad0"], 1);
    EXPECT_EQ(j["analog"]["ad1"], 2);
}

TEST(DecodeLocation, OverspeedItemWithFiveBytesCarriesTheAreaId) {
    const ByteVec body = Build{}.basic().hex("11 05 03 00000309").v;
    const auto l = decode_as<Location>(0x0200, body);
    ASSERT_TRUE(l.extras.overspeed);
    EXPECT_EQ(l.extras.overspeed->location_type, 3);
    EXPECT_EQ(l.extras.overspeed->area_id, 0x309u);
    EXPECT_EQ(to_json(0x0200, body)["body"]["extras"]["overspeed"]["area_id"], 0x309);
}

TEST(DecodeLocation, PositiveCompartmentTemperatureHasNoSign) {
    const ByteVec body = Build{}.basic().hex("06 02 0019").v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.extras.compartment_temp_c, 25);
}

TEST(DecodeLocation, UnknownItemsAreKeptRawInTheirOrder) {
    const ByteVec body = Build{}
                             .basic()
                             .hex("E1 02 AABB")
                             .hex("01 04 00000064")
                             .hex("07 01 05")
                             .hex("EB 03 010203")
                             .hex("E0 00")
                             .v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.extras.mileage_100m, 100u);
    const std::vector<RawItem> expected{{0xE1, "aabb"}, {0x07, "05"}, {0xEB, "010203"}, {0xE0, ""}};
    EXPECT_EQ(raw_items(l.extras), expected);
    const json raw = to_json(0x0200, body)["body"]["extras"]["raw"];
    ASSERT_EQ(raw.size(), 4u);
    EXPECT_EQ(raw[0], (json{{"id", "0xE1"}, {"hex", "aabb"}}));
    EXPECT_EQ(raw[1], (json{{"id", "0x07"}, {"hex", "05"}}));
    EXPECT_EQ(raw[2], (json{{"id", "0xEB"}, {"hex", "010203"}}));
    EXPECT_EQ(raw[3], (json{{"id", "0xE0"}, {"hex", ""}}));
}

TEST(DecodeLocation, DuplicateIdDecodesTheFirstAndKeepsTheSecondRaw) {
    const ByteVec body = Build{}.basic().hex("01 04 00000064").hex("01 04 000000C8").v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.extras.mileage_100m, 100u);
    const std::vector<RawItem> expected{{0x01, "000000c8"}};
    EXPECT_EQ(raw_items(l.extras), expected);
}

TEST(DecodeLocation, StandardItemWithTheWrongLengthIsKeptRaw) {
    const ByteVec body = Build{}.basic().hex("30 02 0017").hex("31 01 0C").v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_FALSE(l.extras.signal_strength);
    EXPECT_EQ(l.extras.satellites, 12);
    const std::vector<RawItem> expected{{0x30, "0017"}};
    EXPECT_EQ(raw_items(l.extras), expected);
    EXPECT_FALSE(to_json(0x0200, body)["body"]["extras"].contains("signal_strength"));
}

TEST(DecodeLocation, OverrunningItemLengthKeepsTheBasicBlockAndPutsTheRestInTrailing) {
    const ByteVec body = Build{}.basic().hex("01 04 00000064").hex("E1 10 AABB").v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.lat_e6, 31234567u);
    EXPECT_EQ(l.extras.mileage_100m, 100u);
    EXPECT_EQ(to_hex(l.extras.trailing), "e110aabb");
    EXPECT_TRUE(raw_items(l.extras).empty());
    const json x = to_json(0x0200, body)["body"]["extras"];
    EXPECT_EQ(x["trailing_hex"], "e110aabb");
    EXPECT_DOUBLE_EQ(x["mileage_km"].get<double>(), 10.0);
}

TEST(DecodeLocation, SingleDanglingByteAfterTheItemsIsTrailing) {
    const ByteVec body = Build{}.basic().hex("31 01 0C").hex("FF").v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.extras.satellites, 12);
    EXPECT_EQ(to_hex(l.extras.trailing), "ff");
}

TEST(DecodeLocation, SouthAndWestStatusBitsGiveNegativeCoordinates) {
    const ByteVec body = Build{}.basic(0x0000000F, 33868800, 151209300).v;  // Sydney-ish
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_TRUE(l.south());
    EXPECT_TRUE(l.west());
    EXPECT_EQ(l.lat_signed_e6(), -33868800);
    EXPECT_EQ(l.lon_signed_e6(), -151209300);
    const json b = to_json(0x0200, body)["body"];
    EXPECT_DOUBLE_EQ(b["lat"].get<double>(), -33.8688);
    EXPECT_DOUBLE_EQ(b["lon"].get<double>(), -151.2093);
}

TEST(DecodeLocation, SouthOnlyLeavesLongitudeEast) {
    const ByteVec body = Build{}.basic(0x00000006).v;
    const auto l = decode_as<Location>(0x0200, body);
    EXPECT_EQ(l.lat_signed_e6(), -31234567);
    EXPECT_EQ(l.lon_signed_e6(), 121456789);
}

TEST(DecodeLocation, InvalidBcdTimeMeansNoFixTimeButTheLocationStands) {
    for (const char* time : {"2613450A0203", "000000000000", "261332090203", "260230120000"}) {
        const ByteVec body = Build{}.basic(0x3, 31234567, 121456789, time).v;
        const auto l = decode_as<Location>(0x0200, body);
        EXPECT_FALSE(l.time.valid) << time;
        EXPECT_EQ(l.lat_e6, 31234567u);
        const json b = to_json(0x0200, body)["body"];
        EXPECT_TRUE(b.contains("time"));
        EXPECT_TRUE(b["time"].is_null()) << time;
        EXPECT_EQ(b["time_raw"], to_hex(from_hex(time).value())) << "the bytes as sent";
        EXPECT_DOUBLE_EQ(b["lat"].get<double>(), 31.234567);
    }
}

TEST(DecodeLocation, LatitudeAbove90DegreesIsBadField) {
    auto b = decode_body(header(0x0200), Build{}.basic(0x3, 90000001).v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::bad_field);
    EXPECT_TRUE(decode_body(header(0x0200), Build{}.basic(0x3, 90000000).v));
}

TEST(DecodeLocation, LongitudeAbove180DegreesIsBadField) {
    auto b = decode_body(header(0x0200), Build{}.basic(0x3, 1, 180000001).v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::bad_field);
}

TEST(DecodeLocation, TruncatedBasicBlockIsTruncatedNamingTheField) {
    const ByteVec full = Build{}.basic().v;
    auto cut = [&](std::size_t n) {
        return decode_body(header(0x0200), ByteVec(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
    };
    struct Case {
        std::size_t size;
        const char* field;
    };
    for (const Case c : {Case{0, "alarm"}, Case{10, "latitude"}, Case{20, "direction"},
                         Case{25, "time"}, Case{27, "time"}}) {
        auto b = cut(c.size);
        ASSERT_FALSE(b) << c.size;
        EXPECT_EQ(b.error().code, Errc::truncated) << c.size;
        EXPECT_STREQ(b.error().what, c.field) << c.size;
    }
}

TEST(DecodeLocation, EncryptedBodyIsRefusedWithTheReason) {
    Header h = header(0x0200);
    h.encryption = 1;
    auto b = decode_body(h, Build{}.basic().v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::encrypted_body);
}

TEST(DecodeBody, EncryptedVendorMessageStaysRaw) {
    Header h = header(0x0F01);
    h.encryption = 1;
    const ByteVec body{1, 2, 3};
    auto b = decode_body(h, body);
    ASSERT_TRUE(b);
    ASSERT_TRUE(std::holds_alternative<RawBody>(*b));
    EXPECT_EQ(to_hex(std::get<RawBody>(*b).data), "010203");
}

TEST(DecodeBody, UnknownMessageIdIsKeptRaw) {
    const ByteVec body{0xDE, 0xAD};
    const auto r = decode_as<RawBody>(0x0F01, body);
    EXPECT_EQ(to_hex(r.data), "dead");
    EXPECT_EQ(to_json(0x0F01, body)["body"]["raw"], "dead");
}

// ---- 0x0201, 0x0704 ----------------------------------------------------------------------

TEST(DecodeLocationQueryResponse, ReplySerialThenAFullLocation) {
    const ByteVec body = Build{}.u16(0x0102).basic().hex("31 01 09").v;
    const auto q = decode_as<LocationQueryResponse>(0x0201, body);
    EXPECT_EQ(q.reply_serial, 0x0102);
    EXPECT_EQ(q.location.lat_e6, 31234567u);
    EXPECT_EQ(q.location.extras.satellites, 9);
    const json b = to_json(0x0201, body)["body"];
    EXPECT_EQ(b["reply_serial"], 0x0102);
    EXPECT_EQ(b["extras"]["satellites"], 9);
}

ByteVec batch_item(const ByteVec& location) {
    return Build{}.u16(static_cast<std::uint32_t>(location.size())).bytes(location).v;
}

TEST(DecodeLocationBatch, OneCorruptItemInTheMiddleDoesNotLoseTheOthers) {
    const ByteVec good1 = Build{}.basic(0x3, 30000000).hex("31 01 05").v;
    const ByteVec bad = Build{}.basic(0x3, 95000000).v;
    const ByteVec good2 = Build{}.basic(0x3, 30000002).v;
    const ByteVec body =
        Build{}.u16(3).u8(1).bytes(batch_item(good1)).bytes(batch_item(bad)).bytes(batch_item(good2)).v;
    const auto batch = decode_as<LocationBatch>(0x0704, body);
    EXPECT_EQ(batch.count, 3);
    EXPECT_EQ(batch.type, 1);
    LocationBatchIterator it(batch);
    auto a = it.next();
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->lat_e6, 30000000u);
    EXPECT_EQ((*a)->extras.satellites, 5);
    auto b = it.next();
    ASSERT_TRUE(b);
    ASSERT_FALSE(*b);
    EXPECT_EQ(b->error().code, Errc::bad_field);
    auto c = it.next();
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((*c)->lat_e6, 30000002u);
    EXPECT_FALSE(it.next());

    const json j = to_json(0x0704, body)["body"];
    expect_has_keys(j, {"type", "items"});
    EXPECT_EQ(j["type"], 1);
    ASSERT_EQ(j["items"].size(), 3u);
    EXPECT_DOUBLE_EQ(j["items"][0]["lat"].get<double>(), 30.0);
    EXPECT_EQ(j["items"][0]["extras"]["satellites"], 5);
    EXPECT_EQ(j["items"][1]["error"], "bad_field");
    EXPECT_DOUBLE_EQ(j["items"][2]["lat"].get<double>(), 30.000002);
}

TEST(DecodeLocationBatch, ItemLengthOverrunningTheBodyStopsIterationWithTruncated) {
    const ByteVec good = Build{}.basic().v;
    const ByteVec body = Build{}.u16(2).u8(0).bytes(batch_item(good)).u16(100).bytes(good).v;
    const auto batch = decode_as<LocationBatch>(0x0704, body);
    LocationBatchIterator it(batch);
    auto a = it.next();
    ASSERT_TRUE(a && *a);
    auto b = it.next();
    ASSERT_TRUE(b);
    ASSERT_FALSE(*b);
    EXPECT_EQ(b->error().code, Errc::truncated);
    EXPECT_FALSE(it.next());
    const json j = to_json(0x0704, body)["body"];
    ASSERT_EQ(j["items"].size(), 2u);
    EXPECT_EQ(j["items"][1]["error"], "truncated");
}

TEST(DecodeLocationBatch, BytesAfterTheDeclaredItemsAreReported) {
    const ByteVec good = Build{}.basic().v;
    const ByteVec body = Build{}.u16(1).u8(0).bytes(batch_item(good)).hex("0000").v;
    const auto batch = decode_as<LocationBatch>(0x0704, body);
    LocationBatchIterator it(batch);
    ASSERT_TRUE(it.next());
    auto extra = it.next();
    ASSERT_TRUE(extra);
    ASSERT_FALSE(*extra);
    EXPECT_EQ(extra->error().code, Errc::bad_length);
    EXPECT_FALSE(it.next());
}

TEST(DecodeLocationBatch, BatchTypeOtherThanZeroOrOneIsBadField) {
    auto b = decode_body(header(0x0704), Build{}.u16(0).u8(2).v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::bad_field);
}

// ---- 0x0100 registration -----------------------------------------------------------------

TEST(DecodeRegistration, The2011LayoutHasAnEightByteModelPaddedWithSpaces) {
    const ByteVec body = Build{}
                             .u16(44)
                             .u16(300)
                             .text("ABCDE")
                             .text("M1      ")
                             .text("T000001")
                             .u8(1)
                             .gbk("粤A12345")
                             .v;
    ASSERT_EQ(body.size(), 33u);
    const auto g = decode_as<Registration>(0x0100, body);
    EXPECT_EQ(g.dialect, Dialect::v2011);
    EXPECT_EQ(g.province, 44);
    EXPECT_EQ(g.city, 300);
    EXPECT_EQ(str(g.maker), "ABCDE");
    EXPECT_EQ(str(g.model), "M1");
    EXPECT_EQ(str(g.terminal_id), "T000001");
    EXPECT_EQ(g.plate_color, 1);
    EXPECT_EQ(gbk_to_utf8(g.plate), "粤A12345");
    const json j = to_json(0x0100, body);
    EXPECT_EQ(j["version"], "2011");
    EXPECT_EQ(j["body"]["plate"], "粤A12345");
}

TEST(DecodeRegistration, The2013LayoutHasATwentyByteModelAndTheVinWhenUnplated) {
    const ByteVec body = Build{}
                             .u16(32)
                             .u16(100)
                             .text("70111")
                             .fixed("BSJ-A6", 20)
                             .fixed("A6BE", 7)
                             .u8(0)
                             .text("LSVAU2180N2183294")
                             .v;
    const auto g = decode_as<Registration>(0x0100, body);
    EXPECT_EQ(g.dialect, Dialect::v2013);
    EXPECT_EQ(str(g.maker), "70111");
    EXPECT_EQ(str(g.model), "BSJ-A6");
    EXPECT_EQ(str(g.terminal_id), "A6BE");
    EXPECT_EQ(g.plate_color, 0);
    EXPECT_EQ(str(g.plate), "LSVAU2180N2183294");
    const json j = to_json(0x0100, body);
    EXPECT_EQ(j["version"], "2013");
    const json& b = j["body"];
    expect_has_keys(b, {"province", "city", "maker", "model", "terminal_id", "plate_color", "plate"});
    EXPECT_EQ(b["province"], 32);
    EXPECT_EQ(b["city"], 100);
    EXPECT_EQ(b["maker"], "70111");
    EXPECT_EQ(b["model"], "BSJ-A6");
    EXPECT_EQ(b["terminal_id"], "A6BE");
    EXPECT_EQ(b["plate_color"], 0);
    EXPECT_EQ(b["plate"], "LSVAU2180N2183294");
}

TEST(DecodeRegistration, The2019LayoutHasWideFieldsAndAModelPaddedWithNulAtTheFront) {
    const ByteVec body = Build{}
                             .u16(44)
                             .u16(300)
                             .fixed("44030012345", 11)
                             .fixed("FW-2019-MODEL", 30, /*front=*/true)
                             .fixed("TERM0000000000000001", 30)
                             .u8(2)
                             .gbk("粤B00001")
                             .v;
    const auto g = decode_as<Registration>(0x0100, body, HeaderVersion::v2019);
    EXPECT_EQ(g.dialect, Dialect::v2019);
    EXPECT_EQ(str(g.maker), "44030012345");
    EXPECT_EQ(str(g.model), "FW-2019-MODEL");
    EXPECT_EQ(str(g.terminal_id), "TERM0000000000000001");
    EXPECT_EQ(g.plate_color, 2);
    EXPECT_EQ(gbk_to_utf8(g.plate), "粤B00001");
    const json j = to_json(0x0100, body, HeaderVersion::v2019);
    EXPECT_EQ(j["version"], "2019");
    EXPECT_EQ(j["body"]["model"], "FW-2019-MODEL");
}

TEST(DecodeRegistration, A2011BodyWithALongPlateNeedsTheDialectHint) {
    // 25 fixed bytes + a 17-character VIN = 42 bytes, which the length rule takes for 2013
    // (JT808.md §1.5 edge case); the terminal's remembered dialect settles it.
    const ByteVec body = Build{}
                             .u16(44)
                             .u16(300)
                             .text("ABCDE")
                             .text("M1      ")
                             .text("T000001")
                             .u8(0)
                             .text("LSVAU2180N2183294")
                             .v;
    const auto guessed = decode_as<Registration>(0x0100, body);
    EXPECT_EQ(guessed.dialect, Dialect::v2013);
    const auto hinted = decode_as<Registration>(0x0100, body, HeaderVersion::v2013,
                                                DecodeOptions{Dialect::v2011});
    EXPECT_EQ(hinted.dialect, Dialect::v2011);
    EXPECT_EQ(str(hinted.model), "M1");
    EXPECT_EQ(str(hinted.terminal_id), "T000001");
    EXPECT_EQ(hinted.plate_color, 0);
    EXPECT_EQ(str(hinted.plate), "LSVAU2180N2183294");
    EXPECT_EQ(to_json(0x0100, body, HeaderVersion::v2013, DecodeOptions{Dialect::v2011})["version"],
              "2011");
}

TEST(DecodeRegistration, TruncatedBodyNamesTheMissingField) {
    auto b = decode_body(header(0x0100, HeaderVersion::v2019), Build{}.u16(1).u16(2).text("abc").v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::truncated);
    EXPECT_STREQ(b.error().what, "maker");
}

// ---- 0x0102 authentication ---------------------------------------------------------------

TEST(DecodeAuthentication, In2013TheWholeBodyIsTheAuthCode) {
    const ByteVec body = Build{}.text("authentication").v;
    const auto a = decode_as<Authentication>(0x0102, body);
    EXPECT_EQ(str(a.auth_code), "authentication");
    EXPECT_TRUE(a.imei.empty());
    const json b = to_json(0x0102, body)["body"];
    EXPECT_EQ(b["auth_code"], "authentication");
}

TEST(DecodeAuthentication, In2019TheCodeIsLengthPrefixedAndFollowedByImeiAndSoftwareVersion) {
    const ByteVec body = Build{}
                             .u8(6)
                             .text("123456")
                             .text("861234567890123")
                             .fixed("V1.0.2", 20)
                             .v;
    const auto a = decode_as<Authentication>(0x0102, body, HeaderVersion::v2019);
    EXPECT_EQ(str(a.auth_code), "123456");
    EXPECT_EQ(str(a.imei), "861234567890123");
    EXPECT_EQ(str(a.software_version), "V1.0.2");
    const json b = to_json(0x0102, body, HeaderVersion::v2019)["body"];
    expect_has_keys(b, {"auth_code", "imei", "software_version"});
    EXPECT_EQ(b["auth_code"], "123456");
    EXPECT_EQ(b["imei"], "861234567890123");
    EXPECT_EQ(b["software_version"], "V1.0.2");
}

TEST(DecodeAuthentication, A2019CodeLongerThanTheBodyIsTruncated) {
    auto b = decode_body(header(0x0102, HeaderVersion::v2019), Build{}.u8(20).text("123").v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::truncated);
}

// ---- 0x0702 driver identity --------------------------------------------------------------

ByteVec driver_2011() {
    return Build{}
        .u8(4)
        .gbk("张三")
        .fixed("110101199003070011", 20)
        .fixed("QC-320100-2020-0001", 40)
        .u8(static_cast<std::uint32_t>(utf8_to_gbk("南京市交通局").size()))
        .gbk("南京市交通局")
        .v;
}

ByteVec driver_card_in(bool with_id_card) {
    Build b;
    b.u8(0x01).hex("260310073000").u8(0x00).u8(4).gbk("张三").fixed("320100200000123456", 20);
    b.u8(static_cast<std::uint32_t>(utf8_to_gbk("南京市交通局").size())).gbk("南京市交通局");
    b.hex("20301231");
    if (with_id_card) b.fixed("110101199003070011", 20);
    return b.v;
}

TEST(DecodeDriverIdentity, The2011LayoutHasNoStateAndAFortyByteCertificate) {
    const ByteVec body = driver_2011();
    const auto d = decode_as<DriverIdentity>(0x0702, body);
    EXPECT_EQ(d.dialect, Dialect::v2011);
    EXPECT_EQ(d.state, 0);
    EXPECT_EQ(gbk_to_utf8(d.driver_name), "张三");
    EXPECT_EQ(str(d.id_card_no), "110101199003070011");
    EXPECT_EQ(str(d.certificate_no), "QC-320100-2020-0001");
    EXPECT_EQ(gbk_to_utf8(d.issuer), "南京市交通局");
    const json j = to_json(0x0702, body);
    EXPECT_EQ(j["version"], "2011");
    EXPECT_EQ(j["body"]["driver_name"], "张三");
    EXPECT_EQ(j["body"]["id_card_no"], "110101199003070011");
}

TEST(DecodeDriverIdentity, The2013CardInFormCarriesTheWholeCertificate) {
    const ByteVec body = driver_card_in(false);
    const auto d = decode_as<DriverIdentity>(0x0702, body);
    EXPECT_EQ(d.dialect, Dialect::v2013);
    EXPECT_EQ(d.state, 1);
    EXPECT_EQ(d.time.civil, (core::CivilTime{2026, 3, 10, 7, 30, 0}));
    EXPECT_EQ(d.ic_result, 0);
    EXPECT_EQ(gbk_to_utf8(d.driver_name), "张三");
    EXPECT_EQ(str(d.certificate_no), "320100200000123456");
    EXPECT_EQ(gbk_to_utf8(d.issuer), "南京市交通局");
    ASSERT_TRUE(d.certificate_expiry);
    EXPECT_EQ(d.certificate_expiry->year, 2030);
    EXPECT_EQ(d.certificate_expiry->month, 12);
    EXPECT_EQ(d.certificate_expiry->day, 31);
    EXPECT_TRUE(d.id_card_no.empty());

    const json j = to_json(0x0702, body);
    EXPECT_EQ(j["version"], "2013");
    const json& b = j["body"];
    expect_has_keys(b, {"state", "time", "ic_result", "driver_name", "certificate_no", "issuer",
                        "certificate_expiry"});
    EXPECT_EQ(b["state"], 1);
    EXPECT_EQ(b["time"], "2026-03-09T23:30:00Z");
    EXPECT_EQ(b["ic_result"], 0);
    EXPECT_EQ(b["driver_name"], "张三");
    EXPECT_EQ(b["certificate_no"], "320100200000123456");
    EXPECT_EQ(b["issuer"], "南京市交通局");
    EXPECT_EQ(b["certificate_expiry"], "2030-12-31");
}

TEST(DecodeDriverIdentity, CardInWithAFailedReadStopsAfterTheReadResult) {
    const ByteVec body = Build{}.u8(0x01).hex("260310073000").u8(0x02).v;
    const auto d = decode_as<DriverIdentity>(0x0702, body);
    EXPECT_EQ(d.state, 1);
    EXPECT_EQ(d.ic_result, 2);
    EXPECT_TRUE(d.driver_name.empty());
    EXPECT_FALSE(d.certificate_expiry);
    const json b = to_json(0x0702, body)["body"];
    EXPECT_EQ(b["ic_result"], 2);
    EXPECT_FALSE(b.contains("driver_name"));
}

TEST(DecodeDriverIdentity, CardOutIsTheShortFormWithStateAndTimeOnly) {
    const ByteVec body = Build{}.u8(0x02).hex("260310173000").v;
    const auto d = decode_as<DriverIdentity>(0x0702, body);
    EXPECT_EQ(d.state, 2);
    EXPECT_TRUE(d.time.valid);
    EXPECT_FALSE(d.ic_result);
    const json b = to_json(0x0702, body)["body"];
    EXPECT_EQ(b["state"], 2);
    EXPECT_EQ(b["time"], "2026-03-10T09:30:00Z");
    EXPECT_FALSE(b.contains("ic_result"));
}

TEST(DecodeDriverIdentity, The2019CardInFormEndsWithTheIdCardNumber) {
    const ByteVec body = driver_card_in(true);
    const auto d = decode_as<DriverIdentity>(0x0702, body, HeaderVersion::v2019);
    EXPECT_EQ(d.dialect, Dialect::v2019);
    EXPECT_EQ(str(d.id_card_no), "110101199003070011");
    EXPECT_EQ(str(d.certificate_no), "320100200000123456");
    const json j = to_json(0x0702, body, HeaderVersion::v2019);
    EXPECT_EQ(j["version"], "2019");
    expect_has_keys(j["body"], {"state", "time", "ic_result", "driver_name", "certificate_no",
                                "issuer", "certificate_expiry", "id_card_no"});
    EXPECT_EQ(j["body"]["id_card_no"], "110101199003070011");
}

TEST(DecodeDriverIdentity, A2011BodyWhoseNameLengthLooksLikeAStateNeedsTheDialectHint) {
    // A two-byte name: the first byte is 0x02, which 2013 reads as "card out".
    Build b;
    b.u8(2).gbk("张").fixed("110101199003070011", 20).fixed("QC1", 40).u8(2).text("JT");
    const auto guessed = decode_as<DriverIdentity>(0x0702, b.v);
    EXPECT_EQ(guessed.dialect, Dialect::v2013);
    const auto hinted = decode_as<DriverIdentity>(0x0702, b.v, HeaderVersion::v2013,
                                                  DecodeOptions{Dialect::v2011});
    EXPECT_EQ(hinted.dialect, Dialect::v2011);
    EXPECT_EQ(gbk_to_utf8(hinted.driver_name), "张");
    EXPECT_EQ(str(hinted.issuer), "JT");
}

TEST(DecodeDriverIdentity, InvalidExpiryDateIsFlaggedNotFatal) {
    ByteVec body = driver_card_in(false);
    body[body.size() - 2] = 0x13;  // month 13
    const auto d = decode_as<DriverIdentity>(0x0702, body);
    EXPECT_FALSE(d.certificate_expiry);
    EXPECT_TRUE(d.certificate_expiry_invalid);
    EXPECT_TRUE(to_json(0x0702, body)["body"]["certificate_expiry"].is_null());
}

TEST(DecodeDriverIdentity, UnknownStateIsBadField) {
    auto b = decode_body(header(0x0702, HeaderVersion::v2019), Build{}.u8(0x03).hex("260310173000").v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::bad_field);
}

TEST(DecodeDriverIdentity, CardInCutInsideTheCertificateIsTruncated) {
    ByteVec body = driver_card_in(false);
    body.resize(20);
    auto b = decode_body(header(0x0702), body);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::truncated);
}

// ---- Other uplink bodies -----------------------------------------------------------------

TEST(DecodeParameterQueryResponse, ItemsAreIteratedWithTheirIdsAndValues) {
    const ByteVec body = Build{}
                             .u16(0x0033)
                             .u8(2)
                             .u32(0x0001).u8(4).u32(30)
                             .u32(0x0083).u8(8).gbk("粤A12345")
                             .v;
    const auto p = decode_as<ParameterQueryResponse>(0x0104, body);
    EXPECT_EQ(p.reply_serial, 0x0033);
    EXPECT_EQ(p.count, 2);
    ParameterIterator it(p.items);
    auto a = it.next();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, 1u);
    EXPECT_EQ(to_hex(a->value), "0000001e");
    auto b = it.next();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 0x83u);
    EXPECT_EQ(gbk_to_utf8(b->value), "粤A12345");
    EXPECT_FALSE(it.next());
    EXPECT_TRUE(it.ok());
    const json j = to_json(0x0104, body)["body"];
    EXPECT_EQ(j["params"].size(), 2u);
    EXPECT_EQ(j["params"][0]["id"], "0x0001");
    EXPECT_EQ(j["params"][0]["value"], 30);
}

TEST(DecodeParameterQueryResponse, ItemRunningPastTheBodyIsTruncated) {
    const ByteVec body = Build{}.u16(1).u8(1).u32(0x0001).u8(4).u16(30).v;
    auto b = decode_body(header(0x0104), body);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::truncated);
}

TEST(DecodeParameterQueryResponse, MoreItemsThanTheCountIsBadField) {
    const ByteVec body = Build{}.u16(1).u8(1).u32(1).u8(1).u8(5).u32(2).u8(1).u8(6).v;
    auto b = decode_body(header(0x0104), body);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::bad_field);
}

TEST(DecodeMultimedia, EventCarriesIdTypeFormatEventAndChannel) {
    const ByteVec body = Build{}.u32(0x01020304).u8(0).u8(0).u8(1).u8(2).v;
    const auto e = decode_as<MultimediaEvent>(0x0800, body);
    EXPECT_EQ(e.media_id, 0x01020304u);
    EXPECT_EQ(e.media_type, 0);
    EXPECT_EQ(e.format, 0);
    EXPECT_EQ(e.event, 1);
    EXPECT_EQ(e.channel, 2);
}

TEST(DecodeMultimedia, DataCarriesTheEventALocationBlockAndThePayload) {
    const ByteVec body = Build{}.u32(7).u8(0).u8(0).u8(1).u8(1).basic().hex("FFD8FFE0").v;
    const auto m = decode_as<MultimediaData>(0x0801, body);
    EXPECT_EQ(m.event.media_id, 7u);
    ASSERT_TRUE(m.location);
    EXPECT_EQ(m.location->lat_e6, 31234567u);
    EXPECT_EQ(to_hex(m.data), "ffd8ffe0");
    const json j = to_json(0x0801, body)["body"];
    EXPECT_EQ(j["data_length"], 4);
    EXPECT_DOUBLE_EQ(j["location"]["lat"].get<double>(), 31.234567);
}

TEST(DecodeMultimedia, DataTooShortForALocationKeepsThePayloadOnly) {
    const ByteVec body = Build{}.u32(7).u8(0).u8(0).u8(1).u8(1).hex("FFD8").v;
    const auto m = decode_as<MultimediaData>(0x0801, body);
    EXPECT_FALSE(m.location);
    EXPECT_EQ(to_hex(m.data), "ffd8");
}

TEST(DecodePassthrough, TypeAndRawData) {
    const ByteVec body = Build{}.u8(0xF0).hex("01020304").v;
    const auto p = decode_as<Passthrough>(0x0900, body);
    EXPECT_EQ(p.type, 0xF0);
    EXPECT_EQ(to_hex(p.data), "01020304");
    EXPECT_EQ(to_json(0x0900, body)["body"]["data_hex"], "01020304");
}

TEST(DecodeGeneralResponse, TerminalResponseEchoesSerialAndIdWithResult) {
    const ByteVec body = Build{}.u16(0x0032).u16(0x8105).u8(0).v;
    const auto r = decode_as<TerminalResponse>(0x0001, body);
    EXPECT_EQ(r.reply_serial, 0x0032);
    EXPECT_EQ(r.reply_msg_id, 0x8105);
    EXPECT_EQ(r.result, 0);
    EXPECT_EQ(to_json(0x0001, body)["body"]["reply_msg_id"], "0x8105");
    auto cut = decode_body(header(0x0001), Build{}.u16(1).u16(2).v);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code, Errc::truncated);
}

TEST(DecodeResendRequest, Terminal2019RequestUsesAWordCount) {
    const ByteVec body = Build{}.u16(0x0100).u16(2).u16(3).u16(5).v;
    const auto q = decode_as<TerminalResendRequest>(0x0005, body, HeaderVersion::v2019);
    EXPECT_EQ(q.first_serial, 0x0100);
    EXPECT_EQ(q.package_ids, (std::vector<std::uint16_t>{3, 5}));
}

TEST(DecodeResendRequest, CountPromisingMoreIdsThanTheBodyHoldsIsTruncated) {
    auto b = decode_body(header(0x8003), Build{}.u16(1).u8(3).u16(1).v);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::truncated);
}

TEST(DialectOf, FollowsTheHeaderFor2019AndTheBodyFor2011) {
    const auto reg2011 = decode_body(header(0x0100), Build{}.u16(1).u16(1).fixed("A", 5).fixed("B", 8)
                                                         .fixed("C", 7).u8(1).text("X").v);
    ASSERT_TRUE(reg2011);
    EXPECT_EQ(dialect_of(header(0x0100), *reg2011), Dialect::v2011);
    EXPECT_EQ(dialect_of(header(0x0002, HeaderVersion::v2019), Body{Heartbeat{}}), Dialect::v2019);
    EXPECT_EQ(dialect_of(header(0x0002), Body{Heartbeat{}}), Dialect::v2013);
}

}  // namespace
}  // namespace fleetwatch::jt808
