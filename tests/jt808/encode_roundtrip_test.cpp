#include "fleetwatch/jt808/encode.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/reassembly.hpp"
#include "fleetwatch/jt808/text.hpp"

// Every body is encoded with encode_message into escaped frames, fed through the Framer,
// parse_frame and decode_body, and compared with what went in.
//
// Which editions each message exists in, and which the tests cover:
//
// | id     | 2011               | 2013            | 2019                         | covered         |
// |--------|--------------------|-----------------|------------------------------|-----------------|
// | 0x8001 | yes (results 0-3)  | yes (+4)        | same layout                  | 2011 2013 2019  |
// | 0x8100 | yes                | same            | same                         | 2011 2013 2019  |
// | 0x8003 | not in [S2011]     | count BYTE      | count WORD                   | 2013 2019       |
// | 0x8004 | no                 | no              | UTC BCD[6]                   | 2019            |
// | 0x8103 | extra per-packet   | count + items   | same as 2013                 | 2013 2019       |
// |        | BYTE (no peer has) |                 |                              |                 |
// | 0x8201 | empty body         | same            | same                         | 2011 2013 2019  |
// | 0x8203 | not in [S2011]     | serial + types  | same                         | 2013 2019       |
// | 0x8300 | flag + text        | same            | + text type BYTE             | 2011 2013 2019  |
// | 0x8600 | differs (refused)  | base layout     | + night speed, name          | 2013 2019       |
// | 0x8602 | differs (refused)  | base layout     | + night speed, name          | 2013 2019       |
// | 0x8604 | differs (refused)  | base layout     | + night speed after vertices | 2013 2019       |
// | 0x8606 | differs (refused)  | base layout     | + corner night speed, name   | 2013 2019       |
// | 0x0001 | yes                | same            | same                         | 2011 2013 2019  |
// | 0x0002 | empty body         | same            | same                         | 2011 2013 2019  |
// | 0x0005 | no                 | no              | as 0x8003 2019               | 2019            |
// | 0x0100 | model BYTE[8]      | model BYTE[20]  | maker 11, model/id 30        | 2011 2013 2019  |
// | 0x0102 | code               | same            | len + code + IMEI + version  | 2013 2019       |
// | 0x0200 | yes                | same            | same                         | 2011 2013 2019  |
// | 0x0704 | no                 | yes             | same                         | 2013            |
// | 0x0702 | no state/time      | state + time    | + id card number             | 2011 2013 2019  |

namespace fleetwatch::jt808 {
namespace {

using ByteVec = std::vector<std::uint8_t>;

constexpr Dialect kAllDialects[] = {Dialect::v2011, Dialect::v2013, Dialect::v2019};
constexpr Dialect k2013And2019[] = {Dialect::v2013, Dialect::v2019};

std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

ByteVec hex(std::string_view text) {
    auto b = from_hex(text);
    if (!b) throw std::invalid_argument("bad hex in test");
    return *b;
}

struct FrameCollector {
    std::vector<ByteVec> frames;
    std::vector<Error> errors;
    void on_frame(std::span<const std::uint8_t> f) { frames.emplace_back(f.begin(), f.end()); }
    void on_frame_error(const Error& e) { errors.push_back(e); }
};

// A decoded frame. Uplink bodies are views, so the un-escaped bytes are kept alive with it.
struct Decoded {
    std::shared_ptr<ByteVec> storage;
    Header header;
    Body body;
    ByteVec body_bytes;
};

OutboundHeader outbound(Dialect d, std::uint16_t serial = 0x1234) {
    OutboundHeader h;
    h.dialect = d;
    h.phone = *PhoneNumber::from_digits("13800138000");
    h.serial = serial;
    return h;
}

HeaderVersion header_version(Dialect d) {
    return d == Dialect::v2019 ? HeaderVersion::v2019 : HeaderVersion::v2013;
}

std::optional<Decoded> decode_wire(const Buffer& wire, DecodeOptions opt) {
    FrameCollector c;
    Framer framer;
    framer.feed(wire, c);
    if (c.frames.size() != 1 || !c.errors.empty()) {
        ADD_FAILURE() << "expected one clean frame, got " << c.frames.size() << " frames and "
                      << c.errors.size() << " errors";
        return std::nullopt;
    }
    auto storage = std::make_shared<ByteVec>(c.frames[0]);
    auto frame = parse_frame(*storage);
    if (!frame) {
        ADD_FAILURE() << "parse_frame: " << frame.error().message();
        return std::nullopt;
    }
    auto body = decode_body(*frame, opt);
    if (!body) {
        ADD_FAILURE() << "decode_body: " << body.error().message();
        return std::nullopt;
    }
    return Decoded{storage, frame->header, *body, ByteVec(frame->body.begin(), frame->body.end())};
}

// Encodes `m` as one frame in dialect `d`, decodes it back and checks the header.
template <class M>
std::optional<Decoded> send(const M& m, Dialect d) {
    Buffer out;
    Buffer scratch;
    auto n = encode_message(m, outbound(d), out, scratch);
    if (!n) {
        ADD_FAILURE() << "encode_message: " << n.error().message();
        return std::nullopt;
    }
    if (*n != 1) {
        ADD_FAILURE() << "expected one frame, encoder wrote " << *n;
        return std::nullopt;
    }
    auto dec = decode_wire(out, DecodeOptions{d});
    if (!dec) return dec;
    EXPECT_EQ(dec->header.msg_id, kMessageId<M>);
    EXPECT_EQ(dec->header.version, header_version(d));
    EXPECT_EQ(dec->header.serial, 0x1234);
    EXPECT_EQ(dec->header.phone.key(), "13800138000");
    EXPECT_FALSE(dec->header.package);
    if (!std::holds_alternative<M>(dec->body)) {
        ADD_FAILURE() << "decoded to another body type (index " << dec->body.index() << ")";
        return std::nullopt;
    }
    return dec;
}

template <class M>
void expect_round_trip(const M& m, Dialect d) {
    SCOPED_TRACE(std::string("dialect ") + std::string(to_string(d)));
    auto dec = send(m, d);
    ASSERT_TRUE(dec);
    EXPECT_EQ(std::get<M>(dec->body), m);
}

template <class M>
std::string body_hex(const M& m, Dialect d) {
    Buffer out;
    const auto s = encode_body(m, d, out);
    if (!s) return "error " + std::string(to_string(s.error().code));
    return to_hex(out);
}

template <class M>
Errc encode_error(const M& m, Dialect d) {
    Buffer out;
    Buffer scratch;
    auto n = encode_message(m, outbound(d), out, scratch);
    if (n) throw std::runtime_error("expected the encoder to refuse");
    return n.error().code;
}

BcdTime bcd(std::string_view six_bytes_hex) { return BcdTime::parse(hex(six_bytes_hex)); }

// ---- Platform responses ------------------------------------------------------------------

TEST(EncodeRoundTrip, PlatformGeneralResponseInEveryEdition) {
    for (const Dialect d : kAllDialects) {
        for (std::uint8_t result = 0; result <= 4; ++result) {
            PlatformResponse m;
            m.reply_serial = 0xFFFE;
            m.reply_msg_id = 0x0200;
            m.result = result;
            expect_round_trip(m, d);
        }
    }
    PlatformResponse m;
    m.reply_serial = 0x0102;
    m.reply_msg_id = 0x0704;
    m.result = 4;
    EXPECT_EQ(body_hex(m, Dialect::v2013), "0102070404");
}

TEST(EncodeRoundTrip, RegistrationResponseWithResultZeroCarriesTheCodeWithNoTerminator) {
    RegistrationResponse m;
    m.reply_serial = 0x0007;
    m.result = 0;
    m.auth_code = "AUTH-8899";
    EXPECT_EQ(body_hex(m, Dialect::v2013), "000700" "415554482d38383939");
    for (const Dialect d : kAllDialects) expect_round_trip(m, d);
}

TEST(EncodeRoundTrip, RegistrationResponseWithAFailureResultCarriesNoCode) {
    RegistrationResponse m;
    m.reply_serial = 0x0007;
    m.result = 4;
    EXPECT_EQ(body_hex(m, Dialect::v2013), "000704");
    for (const Dialect d : kAllDialects) expect_round_trip(m, d);

    m.auth_code = "should-not-be-sent";
    EXPECT_EQ(body_hex(m, Dialect::v2019), "000704");
    auto dec = send(m, Dialect::v2019);
    ASSERT_TRUE(dec);
    EXPECT_TRUE(std::get<RegistrationResponse>(dec->body).auth_code.empty());
}

TEST(EncodeRoundTrip, ResendRequestCountIsAByteIn2013AndAWordIn2019) {
    PlatformResendRequest m;
    m.first_serial = 0x0100;
    m.package_ids = {3, 5};
    EXPECT_EQ(body_hex(m, Dialect::v2013), "0100" "02" "0003" "0005");
    EXPECT_EQ(body_hex(m, Dialect::v2019), "0100" "0002" "0003" "0005");
    for (const Dialect d : k2013And2019) expect_round_trip(m, d);
}

TEST(EncodeRoundTrip, ResendRequestOverTheCountWidthIsRefused) {
    PlatformResendRequest m;
    m.package_ids.assign(256, 1);
    EXPECT_EQ(encode_error(m, Dialect::v2013), Errc::body_too_large);
    auto dec = send(m, Dialect::v2019);  // a WORD count holds 256
    ASSERT_TRUE(dec);
    EXPECT_EQ(std::get<PlatformResendRequest>(dec->body).package_ids.size(), 256u);
}

TEST(EncodeRoundTrip, TerminalResendRequestIn2019) {
    TerminalResendRequest m;
    m.first_serial = 0xFFFF;
    m.package_ids = {1, 2, 9};
    expect_round_trip(m, Dialect::v2019);
}

TEST(EncodeRoundTrip, ServerTimeIsUtcBcdIn2019) {
    ServerTime m;
    m.utc = core::CivilTime{2026, 3, 10, 1, 2, 3};
    EXPECT_EQ(body_hex(m, Dialect::v2019), "260310010203");
    expect_round_trip(m, Dialect::v2019);
}

TEST(EncodeRoundTrip, ServerTimeOutsideWhatBcdYyCanCarryIsRefused) {
    ServerTime m;
    m.utc = core::CivilTime{2100, 1, 1, 0, 0, 0};
    EXPECT_EQ(encode_error(m, Dialect::v2019), Errc::bad_field);
    m.utc = core::CivilTime{2026, 2, 30, 0, 0, 0};
    EXPECT_EQ(encode_error(m, Dialect::v2019), Errc::bad_field);
}

TEST(EncodeRoundTrip, SetParametersWithTheRuleEngineParametersAtTheirWidths) {
    SetParameters m;
    m.params = {
        Parameter::dword(param::kHeartbeatInterval, 30),
        Parameter::dword(param::kReportInterval, 10),
        Parameter::dword(param::kMaxSpeed, 60),
        Parameter::dword(param::kOverspeedDuration, 10),
        Parameter::dword(param::kContinuousDriving, 4 * 3600),
        Parameter::dword(param::kDailyDriving, 8 * 3600),
        Parameter::dword(param::kMinRest, 20 * 60),
        Parameter::dword(param::kMaxParking, 600),
        Parameter::word(param::kOverspeedWarningMargin, 50),
        Parameter::word(param::kFatigueWarningMargin, 1800),
        Parameter::string(0x0083, "粤A12345"),
        Parameter::byte(0x0084, 1),
    };
    for (const Dialect d : k2013And2019) expect_round_trip(m, d);

    SetParameters one;
    one.params = {Parameter::dword(param::kMaxSpeed, 60), Parameter::word(param::kFatigueWarningMargin, 1800)};
    EXPECT_EQ(body_hex(one, Dialect::v2013), "02" "00000055" "04" "0000003c" "0000005c" "02" "0708");
}

TEST(EncodeRoundTrip, SetParametersWithAWrongValueWidthIsRefused) {
    for (const Parameter& bad : {Parameter::word(param::kMaxSpeed, 60),
                                Parameter::dword(param::kOverspeedWarningMargin, 50),
                                Parameter::byte(param::kHeartbeatInterval, 30)}) {
        SetParameters m;
        m.params = {Parameter::dword(param::kReportInterval, 10), bad};
        EXPECT_EQ(encode_error(m, Dialect::v2013), Errc::bad_field) << "id " << bad.id;
    }
}

TEST(EncodeRoundTrip, SetParametersOverTheCountByteIsRefused) {
    SetParameters m;
    m.params.assign(256, Parameter::dword(0xF000, 1));
    EXPECT_EQ(encode_error(m, Dialect::v2013), Errc::body_too_large);
}

TEST(EncodeRoundTrip, LocationQueryHasAnEmptyBodyInEveryEdition) {
    for (const Dialect d : kAllDialects) {
        auto dec = send(LocationQuery{}, d);
        ASSERT_TRUE(dec);
        EXPECT_TRUE(dec->body_bytes.empty());
    }
}

TEST(EncodeRoundTrip, AlarmConfirm) {
    AlarmConfirm m;
    m.alarm_serial = 0;
    m.alarm_types = (1u << 0) | (1u << 20) | (1u << 28);
    EXPECT_EQ(body_hex(m, Dialect::v2013), "0000" "10100001");
    for (const Dialect d : k2013And2019) expect_round_trip(m, d);
}

// ---- 0x8300 text -------------------------------------------------------------------------

TEST(EncodeRoundTrip, TextIn2011And2013IsFlagThenGbkText) {
    TextMessage m;
    m.flag = TextMessage::kFlagDisplay | TextMessage::kFlagTts;
    m.text = "前方学校，请减速";
    const ByteVec gbk = utf8_to_gbk(m.text);
    EXPECT_EQ(body_hex(m, Dialect::v2013), "0c" + to_hex(gbk));
    EXPECT_EQ(body_hex(m, Dialect::v2011), "0c" + to_hex(gbk));
    expect_round_trip(m, Dialect::v2011);
    expect_round_trip(m, Dialect::v2013);
}

TEST(EncodeRoundTrip, TextIn2019CarriesTheTextTypeByte) {
    TextMessage m;
    m.flag = 0x02 | TextMessage::kFlagDisplay | TextMessage::kFlagTts;  // emergency in 2019
    m.text_type = 2;
    m.text = "校车请靠边停车";
    EXPECT_EQ(body_hex(m, Dialect::v2019), "0e02" + to_hex(utf8_to_gbk(m.text)));
    expect_round_trip(m, Dialect::v2019);
    auto dec = send(m, Dialect::v2019);
    ASSERT_TRUE(dec);
    EXPECT_TRUE(std::get<TextMessage>(dec->body).flag & TextMessage::kFlagTts);
}

TEST(EncodeRoundTrip, TextOver1024GbkBytesIsRefusedAndExactly1024IsSent) {
    std::string text;
    for (int i = 0; i < 512; ++i) text += "中";  // 1024 GBK bytes
    TextMessage m;
    m.text = text;
    Buffer out;
    Buffer scratch;
    auto n = encode_message(m, outbound(Dialect::v2013), out, scratch);
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 2) << "a 1025-byte body is sent as two sub-packages";
    m.text += "A";
    EXPECT_EQ(encode_error(m, Dialect::v2013), Errc::body_too_large);
}

// ---- 0x8600-0x8606 areas and routes ------------------------------------------------------

AreaTimeWindow daily_window() { return AreaTimeWindow{bcd("000000063000"), bcd("000000183000")}; }

AreaSpeedLimit speed(Dialect d, std::uint16_t max, std::uint16_t night) {
    return AreaSpeedLimit{max, 10, d == Dialect::v2019 ? night : std::uint16_t{0}};
}

std::string name(Dialect d, std::string_view n) {
    return d == Dialect::v2019 ? std::string(n) : std::string();
}

SetCircleAreas circles(Dialect d) {
    SetCircleAreas m;
    m.setting = 1;
    CircleArea campus;
    campus.id = 1;
    campus.attributes = area_attr::kTimeRule | area_attr::kSpeedRule | 0x000C;
    campus.center_lat_e6 = 32060255;
    campus.center_lon_e6 = 118796877;
    campus.radius_m = 500;
    campus.time = daily_window();
    campus.speed = speed(d, 20, 15);
    campus.name = name(d, "校园");
    CircleArea plain;
    plain.id = 0xFFFFFFFF;
    plain.attributes = area_attr::kSouth | area_attr::kWest;
    plain.center_lat_e6 = 1;
    plain.center_lon_e6 = 2;
    plain.radius_m = 3;
    plain.name = name(d, "停车场");
    CircleArea speed_only;
    speed_only.id = 3;
    speed_only.attributes = area_attr::kSpeedRule;
    speed_only.radius_m = 100;
    speed_only.speed = speed(d, 40, 30);
    m.areas = {campus, plain, speed_only};
    return m;
}

TEST(EncodeRoundTrip, CircleAreasWithAndWithoutTimeAndSpeedGroups) {
    for (const Dialect d : k2013And2019) expect_round_trip(circles(d), d);
}

TEST(EncodeRoundTrip, CircleArea2019LayoutHasNightSpeedAfterDurationThenTheName) {
    SetCircleAreas m;
    m.areas = {circles(Dialect::v2019).areas[0]};
    const std::string h = body_hex(m, Dialect::v2019);
    // setting, count | id, attr, lat, lon, radius | start, end | max, duration, night | name
    EXPECT_EQ(h, "00" "01" "00000001" "000f" "01e9335f" "0714b24d" "000001f4"
                 "000000063000" "000000183000" "0014" "0a" "000f" "0004" + to_hex(utf8_to_gbk("校园")));
    const std::string h2013 = body_hex(SetCircleAreas{0, {circles(Dialect::v2013).areas[0]}},
                                       Dialect::v2013);
    EXPECT_EQ(h2013, "00" "01" "00000001" "000f" "01e9335f" "0714b24d" "000001f4"
                     "000000063000" "000000183000" "0014" "0a");
}

TEST(EncodeRoundTrip, AreaAttributeTimeAndSpeedBitsFollowTheGroupsActuallySent) {
    SetCircleAreas m;
    CircleArea a;
    a.id = 9;
    a.attributes = area_attr::kSpeedRule;  // claims a speed group but carries none
    a.time = daily_window();               // carries a time group without claiming it
    m.areas = {a};
    auto dec = send(m, Dialect::v2013);
    ASSERT_TRUE(dec);
    const CircleArea& got = std::get<SetCircleAreas>(dec->body).areas.at(0);
    EXPECT_EQ(got.attributes, area_attr::kTimeRule);
    EXPECT_TRUE(got.time);
    EXPECT_FALSE(got.speed);
}

SetRectangleAreas rectangles(Dialect d) {
    SetRectangleAreas m;
    m.setting = 0;
    RectangleArea a;
    a.id = 7;
    a.attributes = area_attr::kTimeRule | area_attr::kSpeedRule;
    a.top_left_lat_e6 = 32070000;
    a.top_left_lon_e6 = 118780000;
    a.bottom_right_lat_e6 = 32050000;
    a.bottom_right_lon_e6 = 118800000;
    a.time = AreaTimeWindow{bcd("260301000000"), bcd("260630235959")};
    a.speed = speed(d, 30, 20);
    a.name = name(d, "实验楼");
    RectangleArea b;
    b.id = 8;
    b.top_left_lat_e6 = 10;
    b.top_left_lon_e6 = 20;
    b.bottom_right_lat_e6 = 5;
    b.bottom_right_lon_e6 = 25;
    b.name = name(d, "");
    m.areas = {a, b};
    return m;
}

TEST(EncodeRoundTrip, RectangleAreasWithAndWithoutTimeAndSpeedGroups) {
    for (const Dialect d : k2013And2019) expect_round_trip(rectangles(d), d);
}

SetPolygonArea polygon(Dialect d, bool time, bool with_speed, std::size_t vertices = 4) {
    SetPolygonArea m;
    m.id = 0x0102;
    m.attributes = 0x000C;
    if (time) {
        m.attributes |= area_attr::kTimeRule;
        m.time = daily_window();
    }
    if (with_speed) {
        m.attributes |= area_attr::kSpeedRule;
        m.speed = speed(d, 60, 40);
    }
    for (std::size_t i = 0; i < vertices; ++i) {
        m.vertices.push_back(Vertex{static_cast<std::uint32_t>(32000000 + i),
                                    static_cast<std::uint32_t>(118000000 + 3 * i)});
    }
    m.name = name(d, "高速公路入口");
    return m;
}

TEST(EncodeRoundTrip, PolygonAreaWithAndWithoutTimeAndSpeedGroups) {
    for (const Dialect d : k2013And2019) {
        for (const bool time : {false, true}) {
            for (const bool with_speed : {false, true}) {
                SCOPED_TRACE(::testing::Message() << "time " << time << " speed " << with_speed);
                expect_round_trip(polygon(d, time, with_speed), d);
            }
        }
    }
}

TEST(EncodeRoundTrip, PolygonArea2019NightSpeedComesAfterTheVertices) {
    const SetPolygonArea m = polygon(Dialect::v2019, false, true, 1);
    // id, attr | max, duration | count, vertex | night | name length, name
    EXPECT_EQ(body_hex(m, Dialect::v2019), "00000102" "000e" "003c" "0a" "0001" "01e8480007088980"
                                           "0028" "000c" + to_hex(utf8_to_gbk(m.name)));
    const SetPolygonArea m2013 = polygon(Dialect::v2013, false, true, 1);
    EXPECT_EQ(body_hex(m2013, Dialect::v2013), "00000102" "000e" "003c" "0a" "0001" "01e8480007088980");
}

SetRoute route(Dialect d, bool time) {
    SetRoute m;
    m.id = 42;
    m.attributes = 0x0030;  // alarm driver and platform on leaving
    if (time) {
        m.attributes |= area_attr::kTimeRule;
        m.time = AreaTimeWindow{bcd("000000070000"), bcd("000000090000")};
    }
    RouteCorner a;
    a.corner_id = 1;
    a.section_id = 100;
    a.lat_e6 = 32060000;
    a.lon_e6 = 118790000;
    a.section_width_m = 50;
    a.section_attributes = 0x03;
    a.too_long_s = 600;
    a.too_short_s = 60;
    a.speed = speed(d, 40, 30);
    RouteCorner b;
    b.corner_id = 2;
    b.section_id = 101;
    b.lat_e6 = 32070000;
    b.lon_e6 = 118800000;
    b.section_width_m = 30;
    b.section_attributes = 0x0C;  // south + west, no rules
    RouteCorner c;
    c.corner_id = 3;
    c.section_id = 102;
    c.section_width_m = 30;
    c.section_attributes = 0x02;
    c.speed = speed(d, 80, 60);
    m.corners = {a, b, c};
    m.name = name(d, "1号线");
    return m;
}

TEST(EncodeRoundTrip, RouteWithAndWithoutTimeWindowAndSectionRules) {
    for (const Dialect d : k2013And2019) {
        expect_round_trip(route(d, true), d);
        expect_round_trip(route(d, false), d);
    }
}

TEST(EncodeRoundTrip, RouteCornerLayoutWithSectionThresholdsAndNightSpeed) {
    SetRoute m = route(Dialect::v2019, false);
    m.corners.resize(1);
    m.name.clear();
    EXPECT_EQ(body_hex(m, Dialect::v2019), "0000002a" "0030" "0001"
                                           "00000001" "00000064" "01e93260" "07149770" "32" "03"
                                           "0258" "003c" "0028" "0a" "001e" "0000");
}

TEST(EncodeRoundTrip, GeofenceMessagesAreRefusedFor2011WhoseLayoutDiffers) {
    // [S2011] has an extra per-packet count byte and other corner fields (JT808.md §1.9).
    EXPECT_EQ(encode_error(circles(Dialect::v2013), Dialect::v2011), Errc::unsupported_version);
    EXPECT_EQ(encode_error(rectangles(Dialect::v2013), Dialect::v2011), Errc::unsupported_version);
    EXPECT_EQ(encode_error(polygon(Dialect::v2013, true, true), Dialect::v2011),
              Errc::unsupported_version);
    EXPECT_EQ(encode_error(route(Dialect::v2013, true), Dialect::v2011), Errc::unsupported_version);
}

TEST(EncodeRoundTrip, MoreThan255AreasInOneMessageIsRefused) {
    SetCircleAreas c;
    c.areas.resize(256);
    EXPECT_EQ(encode_error(c, Dialect::v2013), Errc::body_too_large);
    SetRectangleAreas r;
    r.areas.resize(256);
    EXPECT_EQ(encode_error(r, Dialect::v2019), Errc::body_too_large);
    c.areas.resize(255);
    Buffer out;
    Buffer scratch;
    EXPECT_TRUE(encode_message(c, outbound(Dialect::v2013), out, scratch));
}

TEST(EncodeFrame, BodyOver1023BytesDoesNotFitOneFrame) {
    OutboundHeader h = outbound(Dialect::v2013);
    h.msg_id = 0x0900;
    const ByteVec body(1024, 0x55);
    Buffer out;
    auto s = encode_frame(h, body, out);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::body_too_large);
    EXPECT_TRUE(encode_frame(h, Bytes{body}.first(1023), out));
}

// ---- Sub-packaged long bodies ------------------------------------------------------------

void expect_split_and_reassembled(const SetPolygonArea& m, Dialect d, std::uint16_t first_serial) {
    SCOPED_TRACE(std::string("dialect ") + std::string(to_string(d)));
    Buffer wire;
    Buffer scratch;
    auto n = encode_message(m, outbound(d, first_serial), wire, scratch);
    ASSERT_TRUE(n) << n.error().message();
    const std::size_t body_size = scratch.size();
    ASSERT_GT(body_size, 1023u);
    ASSERT_EQ(*n, 2);

    FrameCollector c;
    Framer framer;
    framer.feed(wire, c);
    ASSERT_EQ(c.frames.size(), 2u);
    ASSERT_TRUE(c.errors.empty());

    Reassembler reassembler;
    const auto now = Reassembler::Clock::time_point{};
    std::optional<ReassembledMessage> whole;
    for (std::size_t i = 0; i < c.frames.size(); ++i) {
        auto f = parse_frame(c.frames[i]);
        ASSERT_TRUE(f) << f.error().message();
        EXPECT_EQ(f->header.msg_id, msg_id::kSetPolygonArea);
        EXPECT_EQ(f->header.serial, static_cast<std::uint16_t>(first_serial + i)) << "consecutive";
        ASSERT_TRUE(f->header.package);
        EXPECT_EQ(f->header.package->total, 2);
        EXPECT_EQ(f->header.package->index, i + 1);
        EXPECT_EQ(f->body.size(), i == 0 ? 1023u : body_size - 1023u);
        auto r = reassembler.add(*f, now);
        ASSERT_TRUE(r) << r.error().message();
        if (i == 0) {
            EXPECT_FALSE(*r);
        }
        if (*r) whole = std::move(**r);
    }
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->body.size(), body_size);
    auto body = decode_body(whole->header, whole->body);
    ASSERT_TRUE(body) << body.error().message();
    ASSERT_TRUE(std::holds_alternative<SetPolygonArea>(*body));
    EXPECT_EQ(std::get<SetPolygonArea>(*body), m);
}

TEST(EncodeRoundTrip, LongPolygonIsSplitIntoConsecutiveSubPackagesAndReassembledEqual) {
    expect_split_and_reassembled(polygon(Dialect::v2013, false, false, 200), Dialect::v2013, 100);
    expect_split_and_reassembled(polygon(Dialect::v2019, true, true, 200), Dialect::v2019, 100);
}

TEST(EncodeRoundTrip, SubPackageSerialsWrapFrom65535To0) {
    expect_split_and_reassembled(polygon(Dialect::v2013, true, true, 200), Dialect::v2013, 0xFFFF);
}

TEST(EncodeRoundTrip, AskedForPackagesASmallOrEmptyBodyIsSplitAtTheGivenSizeIntoAtLeastOne) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{25}}) {
        SCOPED_TRACE("body of " + std::to_string(size));
        const ByteVec body(size, 0x5A);
        OutboundHeader h = outbound(Dialect::v2013, 7);
        h.msg_id = msg_id::kSetPolygonArea;
        h.package = PackageInfo{};
        Buffer wire;
        const auto n = encode_frames(h, body, wire, 10);
        ASSERT_TRUE(n) << n.error().message();
        const std::size_t expected = size == 0 ? 1 : (size + 9) / 10;
        ASSERT_EQ(*n, expected);
        FrameCollector c;
        Framer framer;
        framer.feed(wire, c);
        ASSERT_EQ(c.frames.size(), expected);
        ByteVec joined;
        for (std::size_t i = 0; i < c.frames.size(); ++i) {
            auto f = parse_frame(c.frames[i]);
            ASSERT_TRUE(f) << f.error().message();
            ASSERT_TRUE(f->header.package);
            EXPECT_EQ(f->header.package->total, expected);
            EXPECT_EQ(f->header.package->index, i + 1);
            EXPECT_EQ(f->header.serial, 7 + i);
            joined.insert(joined.end(), f->body.begin(), f->body.end());
        }
        EXPECT_EQ(joined, body);
    }
}

// ---- Uplink bodies (what a simulator or a test terminal sends) ---------------------------

TEST(EncodeRoundTrip, TerminalGeneralResponseInEveryEdition) {
    TerminalResponse m;
    m.reply_serial = 0x0032;
    m.reply_msg_id = 0x8105;
    m.result = 3;
    for (const Dialect d : kAllDialects) expect_round_trip(m, d);
}

TEST(EncodeRoundTrip, HeartbeatHasAnEmptyBodyInEveryEdition) {
    for (const Dialect d : kAllDialects) {
        auto dec = send(Heartbeat{}, d);
        ASSERT_TRUE(dec);
        EXPECT_TRUE(dec->body_bytes.empty());
    }
}

const ByteVec kPlate = utf8_to_gbk("粤A12345");

Registration registration(Dialect d) {
    Registration m;
    m.dialect = d;
    m.province = 44;
    m.city = 300;
    m.maker = as_bytes(d == Dialect::v2019 ? "44030012345" : "70111");
    m.model = as_bytes("FW-1");
    m.terminal_id = as_bytes("T000001");
    m.plate_color = 1;
    m.plate = kPlate;
    return m;
}

void expect_same(const Registration& got, const Registration& want) {
    EXPECT_EQ(got.dialect, want.dialect);
    EXPECT_EQ(got.province, want.province);
    EXPECT_EQ(got.city, want.city);
    EXPECT_EQ(str(got.maker), str(want.maker));
    EXPECT_EQ(str(got.model), str(want.model));
    EXPECT_EQ(str(got.terminal_id), str(want.terminal_id));
    EXPECT_EQ(got.plate_color, want.plate_color);
    EXPECT_EQ(str(got.plate), str(want.plate));
}

TEST(EncodeRoundTrip, RegistrationInAllThreeLayouts) {
    for (const Dialect d : kAllDialects) {
        SCOPED_TRACE(std::string(to_string(d)));
        const Registration m = registration(d);
        auto dec = send(m, d);
        ASSERT_TRUE(dec);
        expect_same(std::get<Registration>(dec->body), m);
        EXPECT_EQ(dialect_of(dec->header, dec->body), d);
    }
}

TEST(EncodeRoundTrip, RegistrationFieldWidthsAndPaddingFollowEachEdition) {
    Buffer b2011;
    ASSERT_TRUE(encode_body(registration(Dialect::v2011), Dialect::v2011, b2011));
    EXPECT_EQ(b2011.size(), 25u + kPlate.size());
    EXPECT_EQ(str(Bytes{b2011}.subspan(9, 8)), "FW-1    ") << "2011 pads the model with spaces";

    Buffer b2013;
    ASSERT_TRUE(encode_body(registration(Dialect::v2013), Dialect::v2013, b2013));
    EXPECT_EQ(b2013.size(), 37u + kPlate.size());
    EXPECT_EQ(str(Bytes{b2013}.subspan(9, 20)), std::string("FW-1") + std::string(16, '\0'));

    Buffer b2019;
    ASSERT_TRUE(encode_body(registration(Dialect::v2019), Dialect::v2019, b2019));
    EXPECT_EQ(b2019.size(), 76u + kPlate.size());
    EXPECT_EQ(str(Bytes{b2019}.subspan(15, 30)), std::string(26, '\0') + "FW-1")
        << "2019 pads the model with NUL at the front";
}

TEST(EncodeRoundTrip, AuthenticationIn2013And2019) {
    Authentication m;
    m.auth_code = as_bytes("AUTH-8899");
    {
        auto dec = send(m, Dialect::v2013);
        ASSERT_TRUE(dec);
        EXPECT_EQ(str(std::get<Authentication>(dec->body).auth_code), "AUTH-8899");
        EXPECT_EQ(str(dec->body_bytes), "AUTH-8899");
    }
    m.imei = as_bytes("861234567890123");
    m.software_version = as_bytes("V1.0.2");
    auto dec = send(m, Dialect::v2019);
    ASSERT_TRUE(dec);
    const auto& a = std::get<Authentication>(dec->body);
    EXPECT_EQ(str(a.auth_code), "AUTH-8899");
    EXPECT_EQ(str(a.imei), "861234567890123");
    EXPECT_EQ(str(a.software_version), "V1.0.2");
    EXPECT_EQ(dec->body_bytes.size(), 1u + 9u + 15u + 20u);
}

const ByteVec kTyres = [] {
    ByteVec t(30, 0xFF);
    for (std::uint8_t i = 0; i < 6; ++i) t[i] = static_cast<std::uint8_t>(220 + i);
    return t;
}();

Location location_with_every_extra() {
    Location m;
    m.alarm = (1u << 1) | (1u << 20);
    m.status = 0x000C0003 | 0x4;  // ACC, fix, south, GPS + BeiDou
    m.lat_e6 = 33868800;
    m.lon_e6 = 151209300;
    m.altitude_m = 58;
    m.speed_dkmh = 655;
    m.direction = 359;
    m.time = BcdTime::from_civil(core::CivilTime{2026, 3, 10, 9, 2, 3});
    LocationExtras& x = m.extras;
    x.mileage_100m = 123456;
    x.fuel_100ml = 455;
    x.recorder_speed_dkmh = 650;
    x.alarm_event_id = 3;
    x.tyre_pressure = Bytes{kTyres};
    x.compartment_temp_c = -18;
    x.overspeed = OverspeedInfo{4, 77};
    x.area_crossing = AreaCrossing{2, 8, 0};
    x.section_time = SectionTime{100, 45, 0};
    x.vehicle_signals = 0x1011;
    x.io_status = 1;
    x.analog = 0x00640032;
    x.signal_strength = 31;
    x.satellites = 14;
    return m;
}

void expect_same(const Location& got, const Location& want) {
    EXPECT_EQ(got.alarm, want.alarm);
    EXPECT_EQ(got.status, want.status);
    EXPECT_EQ(got.lat_e6, want.lat_e6);
    EXPECT_EQ(got.lon_e6, want.lon_e6);
    EXPECT_EQ(got.altitude_m, want.altitude_m);
    EXPECT_EQ(got.speed_dkmh, want.speed_dkmh);
    EXPECT_EQ(got.direction, want.direction);
    EXPECT_EQ(got.time.raw, want.time.raw);
    EXPECT_EQ(got.time.valid, want.time.valid);
    const LocationExtras& g = got.extras;
    const LocationExtras& w = want.extras;
    EXPECT_EQ(g.mileage_100m, w.mileage_100m);
    EXPECT_EQ(g.fuel_100ml, w.fuel_100ml);
    EXPECT_EQ(g.recorder_speed_dkmh, w.recorder_speed_dkmh);
    EXPECT_EQ(g.alarm_event_id, w.alarm_event_id);
    ASSERT_EQ(g.tyre_pressure.has_value(), w.tyre_pressure.has_value());
    if (g.tyre_pressure) {
        EXPECT_EQ(to_hex(*g.tyre_pressure), to_hex(*w.tyre_pressure));
    }
    EXPECT_EQ(g.compartment_temp_c, w.compartment_temp_c);
    ASSERT_EQ(g.overspeed.has_value(), w.overspeed.has_value());
    if (g.overspeed) {
        EXPECT_EQ(g.overspeed->location_type, w.overspeed->location_type);
        EXPECT_EQ(g.overspeed->area_id, w.overspeed->area_id);
    }
    ASSERT_EQ(g.area_crossing.has_value(), w.area_crossing.has_value());
    if (g.area_crossing) {
        EXPECT_EQ(g.area_crossing->location_type, w.area_crossing->location_type);
        EXPECT_EQ(g.area_crossing->area_id, w.area_crossing->area_id);
        EXPECT_EQ(g.area_crossing->direction, w.area_crossing->direction);
    }
    ASSERT_EQ(g.section_time.has_value(), w.section_time.has_value());
    if (g.section_time) {
        EXPECT_EQ(g.section_time->section_id, w.section_time->section_id);
        EXPECT_EQ(g.section_time->seconds, w.section_time->seconds);
        EXPECT_EQ(g.section_time->result, w.section_time->result);
    }
    EXPECT_EQ(g.vehicle_signals, w.vehicle_signals);
    EXPECT_EQ(g.io_status, w.io_status);
    EXPECT_EQ(g.analog, w.analog);
    EXPECT_EQ(g.signal_strength, w.signal_strength);
    EXPECT_EQ(g.satellites, w.satellites);
}

TEST(EncodeRoundTrip, LocationBuiltFromTypedExtras) {
    const Location m = location_with_every_extra();
    for (const Dialect d : kAllDialects) {
        SCOPED_TRACE(std::string(to_string(d)));
        auto dec = send(m, d);
        ASSERT_TRUE(dec);
        const Location& got = std::get<Location>(dec->body);
        expect_same(got, m);
        bool any_raw = false;
        got.extras.for_each_raw([&any_raw](const ExtraItem&) { any_raw = true; });
        EXPECT_FALSE(any_raw);
        EXPECT_TRUE(got.extras.trailing.empty());
    }
}

TEST(EncodeRoundTrip, OverspeedExtraWithoutAnAreaIsTheOneByteForm) {
    Location m;
    m.time = BcdTime::from_civil(core::CivilTime{2026, 3, 10, 9, 2, 3});
    m.extras.overspeed = OverspeedInfo{0, std::nullopt};
    Buffer body;
    ASSERT_TRUE(encode_body(m, Dialect::v2013, body));
    EXPECT_EQ(to_hex(Bytes{body}.subspan(28)), "110100");
    auto dec = send(m, Dialect::v2013);
    ASSERT_TRUE(dec);
    expect_same(std::get<Location>(dec->body), m);
}

TEST(EncodeRoundTrip, DecodedLocationIsRelayedByteForByteWithItsRawItems) {
    Buffer original;
    ASSERT_TRUE(encode_body(location_with_every_extra(), Dialect::v2013, original));
    const ByteVec vendor = hex("E1 03 010203  01 04 00000001  EE 09 AA");  // ends in an overrun
    original.insert(original.end(), vendor.begin(), vendor.end());
    auto l = decode_location(original);
    ASSERT_TRUE(l);
    Buffer again;
    ASSERT_TRUE(encode_body(*l, Dialect::v2013, again));
    EXPECT_EQ(to_hex(again), to_hex(original));
}

TEST(EncodeRoundTrip, LocationBatchOfTwoBackFilledPoints) {
    Location a = location_with_every_extra();
    Location b;
    b.status = 0x2;
    b.lat_e6 = 32000000;
    b.lon_e6 = 118000000;
    b.time = BcdTime::from_civil(core::CivilTime{2026, 3, 10, 9, 3, 3});
    const std::vector<Location> items{a, b};
    Buffer body;
    ASSERT_TRUE(encode_location_batch(1, items, Dialect::v2013, body));
    OutboundHeader h = outbound(Dialect::v2013);
    h.msg_id = msg_id::kLocationBatch;
    Buffer wire;
    ASSERT_TRUE(encode_frame(h, body, wire));
    auto dec = decode_wire(wire, {});
    ASSERT_TRUE(dec);
    ASSERT_TRUE(std::holds_alternative<LocationBatch>(dec->body));
    const auto& batch = std::get<LocationBatch>(dec->body);
    EXPECT_EQ(batch.count, 2);
    EXPECT_EQ(batch.type, 1);
    LocationBatchIterator it(batch);
    for (const Location& want : items) {
        auto got = it.next();
        ASSERT_TRUE(got && *got);
        expect_same(**got, want);
    }
    EXPECT_FALSE(it.next());
}

const ByteVec kDriverName = utf8_to_gbk("张三");
const ByteVec kIssuer = utf8_to_gbk("南京市交通局");

DriverIdentity driver(Dialect d) {
    DriverIdentity m;
    m.dialect = d;
    m.driver_name = kDriverName;
    m.certificate_no = as_bytes("320100200000123456");
    m.issuer = kIssuer;
    if (d == Dialect::v2011) {
        m.id_card_no = as_bytes("110101199003070011");
        return m;
    }
    m.state = 1;
    m.time = BcdTime::from_civil(core::CivilTime{2026, 3, 10, 7, 30, 0});
    m.ic_result = 0;
    m.certificate_expiry = core::CivilTime{2030, 12, 31, 0, 0, 0};
    if (d == Dialect::v2019) m.id_card_no = as_bytes("110101199003070011");
    return m;
}

void expect_same(const DriverIdentity& got, const DriverIdentity& want) {
    EXPECT_EQ(got.dialect, want.dialect);
    EXPECT_EQ(got.state, want.state);
    EXPECT_EQ(got.time.raw, want.time.raw);
    EXPECT_EQ(got.ic_result, want.ic_result);
    EXPECT_EQ(str(got.driver_name), str(want.driver_name));
    EXPECT_EQ(str(got.certificate_no), str(want.certificate_no));
    EXPECT_EQ(str(got.issuer), str(want.issuer));
    EXPECT_EQ(got.certificate_expiry, want.certificate_expiry);
    EXPECT_EQ(str(got.id_card_no), str(want.id_card_no));
}

TEST(EncodeRoundTrip, DriverIdentityInAllThreeLayouts) {
    for (const Dialect d : kAllDialects) {
        SCOPED_TRACE(std::string(to_string(d)));
        const DriverIdentity m = driver(d);
        auto dec = send(m, d);
        ASSERT_TRUE(dec);
        expect_same(std::get<DriverIdentity>(dec->body), m);
    }
}

TEST(EncodeRoundTrip, DriverCardOutAndFailedReadAreTheShortForms) {
    DriverIdentity out;
    out.state = 2;
    out.time = BcdTime::from_civil(core::CivilTime{2026, 3, 10, 17, 30, 0});
    out.ic_result = 0;  // ignored: card out carries state and time only
    Buffer b;
    ASSERT_TRUE(encode_body(out, Dialect::v2013, b));
    EXPECT_EQ(to_hex(b), "02260310173000");
    auto dec = send(out, Dialect::v2013);
    ASSERT_TRUE(dec);
    const auto& got = std::get<DriverIdentity>(dec->body);
    EXPECT_EQ(got.state, 2);
    EXPECT_FALSE(got.ic_result);

    DriverIdentity failed;
    failed.state = 1;
    failed.time = out.time;
    failed.ic_result = 3;
    failed.driver_name = kDriverName;  // not sent when the read failed
    b.clear();
    ASSERT_TRUE(encode_body(failed, Dialect::v2019, b));
    EXPECT_EQ(to_hex(b), "0126031017300003");
    auto dec2 = send(failed, Dialect::v2019);
    ASSERT_TRUE(dec2);
    EXPECT_EQ(std::get<DriverIdentity>(dec2->body).ic_result, 3);
    EXPECT_TRUE(std::get<DriverIdentity>(dec2->body).driver_name.empty());
}

}  // namespace
}  // namespace fleetwatch::jt808
