#include "fleetwatch/app/decode_command.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::app {
namespace {

using nlohmann::json;

// The SmallChi README worked frame: 0x0200, phone 123456789012, serial 0x007E (escaped), fuel
// 0x007D (escaped), 12.222222 N 132.444444 E, 6.0 km/h, 2018-10-15 10:10:10 GMT+8.
constexpr const char* kLocation =
    "7E0200002612345678901200" "7D02" "000000010000000200BA7F0E07E4F11C0028003C0000181015101010"
    "010400000064020200" "7D01" "137E";
constexpr const char* kLocationSpaced =
    "7E 0200 0026 123456789012 007D02 00000001 00000002 00BA7F0E 07E4F11C 0028 003C 0000 "
    "181015101010 01 04 00000064 02 02 007D01 13 7E";

struct DecodeRun {
    int exit_code = -1;
    std::vector<json> lines;
    std::string text;
};

DecodeRun run(const std::string& input, DecodeCommandOptions options = {}) {
    std::istringstream in(input);
    std::ostringstream out;
    DecodeRun r;
    r.exit_code = run_decode(options, in, out);
    r.text = out.str();
    std::istringstream lines(r.text);
    std::string line;
    while (std::getline(lines, line)) r.lines.push_back(json::parse(line));
    return r;
}

std::string strip_flags(std::string hex) {
    return hex.substr(2, hex.size() - 4);
}

// Wire hex of one frame built with the encoder, from phone 13800138000.
std::string frame_hex(std::uint16_t msg_id, jt808::Dialect d, jt808::Bytes body,
                      std::uint16_t serial = 41, std::optional<jt808::PackageInfo> package = {}) {
    jt808::OutboundHeader h;
    h.msg_id = msg_id;
    h.dialect = d;
    h.phone = *jt808::PhoneNumber::from_digits("13800138000");
    h.serial = serial;
    h.package = package;
    jt808::Buffer wire;
    if (!jt808::encode_frame(h, body, wire)) throw std::runtime_error("encode failed");
    return jt808::to_hex(wire);
}

TEST(DecodeCommand, LocationFramePrintsTheApiFieldsExactly) {
    const DecodeRun r = run(std::string(kLocation) + "\n");
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u) << r.text;
    const json& j = r.lines[0];
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["msg_id"], "0x0200");
    EXPECT_EQ(j["version"], "2013");
    EXPECT_EQ(j["phone"], "123456789012");
    EXPECT_EQ(j["serial"], 126);
    const json& b = j["body"];
    EXPECT_EQ(b["alarm"], 1);
    EXPECT_EQ(b["status"], 2);
    EXPECT_DOUBLE_EQ(b["lat"].get<double>(), 12.222222);
    EXPECT_DOUBLE_EQ(b["lon"].get<double>(), 132.444444);
    EXPECT_EQ(b["altitude_m"], 40);
    EXPECT_DOUBLE_EQ(b["speed_kmh"].get<double>(), 6.0);
    EXPECT_EQ(b["direction"], 0);
    EXPECT_EQ(b["time"], "2018-10-15T02:10:10Z");
    EXPECT_DOUBLE_EQ(b["extras"]["mileage_km"].get<double>(), 10.0);
    EXPECT_DOUBLE_EQ(b["extras"]["fuel_l"].get<double>(), 12.5);
    EXPECT_FALSE(b["extras"].contains("raw"));
}

TEST(DecodeCommand, FrameWithoutFlagsDecodesTheSameAsWithThem) {
    const DecodeRun with = run(std::string(kLocation) + "\n");
    const DecodeRun without = run(strip_flags(kLocation) + "\n");
    EXPECT_EQ(without.exit_code, 0);
    EXPECT_EQ(without.text, with.text);
}

TEST(DecodeCommand, SpacesInTheHexAreIgnored) {
    const DecodeRun plain = run(std::string(kLocation) + "\n");
    const DecodeRun spaced = run(std::string(kLocationSpaced) + "\n");
    EXPECT_EQ(spaced.exit_code, 0);
    EXPECT_EQ(spaced.text, plain.text);
}

TEST(DecodeCommand, CommentLinesBlankLinesAndTrailingCommentsAreIgnored) {
    const std::string input = "# captured on the test bench\n"
                              "\n"
                              "   \n" +
                              std::string(kLocation) + "   # the README frame\n"
                              "#" + kLocation + "\n";
    const DecodeRun r = run(input);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u) << r.text;
    EXPECT_EQ(r.lines[0]["serial"], 126);
}

TEST(DecodeCommand, BadHexGivesABadHexLineExitCodeOneAndLaterLinesStillDecode) {
    const DecodeRun r = run("7e02zz7e\n7e020\n" + std::string(kLocation) + "\n");
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 3u) << r.text;
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(r.lines[i]["ok"], false);
        EXPECT_EQ(r.lines[i]["error"], "bad_hex");
        EXPECT_TRUE(r.lines[i].contains("message"));
    }
    EXPECT_EQ(r.lines[0]["line"], 1);
    EXPECT_EQ(r.lines[1]["line"], 2);
    EXPECT_EQ(r.lines[2]["ok"], true);
}

TEST(DecodeCommand, BadChecksumFrameGivesOkFalseBadChecksumAndExitCodeOne) {
    std::string bad = kLocation;
    bad.replace(bad.size() - 4, 2, "14");  // check byte 0x13 -> 0x14
    const DecodeRun r = run(bad + "\n");
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 1u) << r.text;
    EXPECT_EQ(r.lines[0]["ok"], false);
    EXPECT_EQ(r.lines[0]["error"], "bad_checksum");
    EXPECT_FALSE(r.lines[0]["message"].get<std::string>().empty());
}

TEST(DecodeCommand, OneBadFrameAmongGoodOnesStillExitsOne) {
    std::string bad = kLocation;
    bad.replace(bad.size() - 4, 2, "14");
    const DecodeRun r = run(std::string(kLocation) + "\n" + bad + "\n" + kLocation + "\n");
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[0]["ok"], true);
    EXPECT_EQ(r.lines[1]["ok"], false);
    EXPECT_EQ(r.lines[2]["ok"], true);
}

TEST(DecodeCommand, SubPackagedMessageOnTwoLinesGivesTwoFragmentLinesAndOneReassembledLine) {
    // The README location body (38 bytes) sent as two sub-packages of at most 20 bytes.
    const auto body = jt808::from_hex(
        "00000001 00000002 00BA7F0E 07E4F11C 0028 003C 0000 181015101010 01 04 00000064 02 02 007D");
    ASSERT_TRUE(body);
    const jt808::Bytes all{*body};
    const std::string lines[] = {
        frame_hex(0x0200, jt808::Dialect::v2013, all.first(20), 41, jt808::PackageInfo{2, 1}),
        frame_hex(0x0200, jt808::Dialect::v2013, all.subspan(20), 42, jt808::PackageInfo{2, 2})};
    const DecodeRun r = run(lines[0] + "\n" + lines[1] + "\n");
    EXPECT_EQ(r.exit_code, 0) << r.text;
    ASSERT_EQ(r.lines.size(), 3u) << r.text;
    for (std::size_t i = 0; i < 2; ++i) {
        const json& f = r.lines[i];
        EXPECT_EQ(f["ok"], true);
        EXPECT_EQ(f["msg_id"], "0x0200");
        EXPECT_EQ(f["serial"], 41 + i);
        EXPECT_EQ(f["package"]["total"], 2);
        EXPECT_EQ(f["package"]["index"], i + 1);
        EXPECT_TRUE(f["body"].contains("raw")) << "a fragment alone is not decoded";
    }
    const json& whole = r.lines[2];
    EXPECT_EQ(whole["ok"], true);
    EXPECT_EQ(whole["reassembled"], true);
    EXPECT_EQ(whole["packages"], 2);
    EXPECT_EQ(whole["msg_id"], "0x0200");
    EXPECT_EQ(whole["serial"], 41);
    EXPECT_DOUBLE_EQ(whole["body"]["lat"].get<double>(), 12.222222);
    EXPECT_DOUBLE_EQ(whole["body"]["extras"]["fuel_l"].get<double>(), 12.5);
}

TEST(DecodeCommand, DialectHintDecidesA2011DriverIdentityThatLooksLike2013) {
    // 2011 layout, name length 2: the first byte (0x02) reads as "card out" in 2013.
    std::vector<std::uint8_t> body{0x02};
    const auto name = jt808::utf8_to_gbk("张");
    body.insert(body.end(), name.begin(), name.end());
    const std::string id_card = "110101199003070011";
    body.insert(body.end(), id_card.begin(), id_card.end());
    body.insert(body.end(), 2, 0x00);
    const std::string cert = "QC1";
    body.insert(body.end(), cert.begin(), cert.end());
    body.insert(body.end(), 37, 0x00);
    body.push_back(2);
    body.push_back('J');
    body.push_back('T');
    const std::string lines[] = {frame_hex(0x0702, jt808::Dialect::v2013, body)};

    const DecodeRun guessed = run(lines[0] + "\n");
    ASSERT_EQ(guessed.lines.size(), 1u);
    EXPECT_EQ(guessed.lines[0]["version"], "2013");
    EXPECT_EQ(guessed.lines[0]["body"]["state"], 2);

    DecodeCommandOptions hinted;
    hinted.dialect = jt808::Dialect::v2011;
    const DecodeRun r = run(lines[0] + "\n", hinted);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0]["version"], "2011");
    EXPECT_EQ(r.lines[0]["body"]["driver_name"], "张");
    EXPECT_EQ(r.lines[0]["body"]["id_card_no"], id_card);
    EXPECT_EQ(r.lines[0]["body"]["issuer"], "JT");
}

TEST(DecodeCommand, FramesGivenAsArgumentsAreDecodedAndStdinIsNotRead) {
    DecodeCommandOptions options;
    options.frames = {kLocation, kLocationSpaced};
    const DecodeRun r = run("this is not hex\n", options);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 2u) << r.text;
    EXPECT_EQ(r.lines[0], r.lines[1]);
}

TEST(DecodeCommand, TwoFramesOnOneLineGiveTwoLines) {
    const DecodeRun r = run(std::string(kLocation) + kLocation + "\n");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.lines.size(), 2u) << r.text;
}

TEST(DecodeCommand, A2019FrameReportsVersion2019AndTheTwentyDigitPhone) {
    std::vector<std::uint8_t> auth{0x06};
    for (const char c : std::string("123456")) auth.push_back(static_cast<std::uint8_t>(c));
    const std::string imei = "861234567890123";
    auth.insert(auth.end(), imei.begin(), imei.end());
    const std::string version = "V1.0";
    auth.insert(auth.end(), version.begin(), version.end());
    auth.insert(auth.end(), 16, 0x00);
    const std::string lines[] = {frame_hex(0x0102, jt808::Dialect::v2019, auth)};
    const DecodeRun r = run(lines[0] + "\n");
    EXPECT_EQ(r.exit_code, 0) << r.text;
    ASSERT_EQ(r.lines.size(), 1u);
    const json& j = r.lines[0];
    EXPECT_EQ(j["version"], "2019");
    EXPECT_EQ(j["phone"], "00000000013800138000");
    EXPECT_EQ(j["body"]["auth_code"], "123456");
    EXPECT_EQ(j["body"]["imei"], imei);
    EXPECT_EQ(j["body"]["software_version"], "V1.0");
}

TEST(DecodeCommand, RegistrationPlateIsPrintedAsUtf8) {
    std::vector<std::uint8_t> body{0x00, 0x2C, 0x01, 0x2C};
    const std::string fixed = std::string("70111") + "FW-1" + std::string(16, '\0') + "T000001";
    body.insert(body.end(), fixed.begin(), fixed.end());
    body.push_back(1);
    const auto plate = jt808::utf8_to_gbk("粤A12345");
    body.insert(body.end(), plate.begin(), plate.end());
    const DecodeRun r = run(frame_hex(0x0100, jt808::Dialect::v2013, body) + "\n");
    ASSERT_EQ(r.lines.size(), 1u);
    const json& b = r.lines[0]["body"];
    EXPECT_EQ(b["province"], 44);
    EXPECT_EQ(b["city"], 300);
    EXPECT_EQ(b["maker"], "70111");
    EXPECT_EQ(b["model"], "FW-1");
    EXPECT_EQ(b["terminal_id"], "T000001");
    EXPECT_EQ(b["plate_color"], 1);
    EXPECT_EQ(b["plate"], "粤A12345");
}

}  // namespace
}  // namespace fleetwatch::app
