#include "fleetwatch/sim/wire.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/text.hpp"
#include "fleetwatch/sim/parse.hpp"

namespace fleetwatch::sim {
namespace {

std::string text(jt808::Bytes b) { return {b.begin(), b.end()}; }

TEST(TerminalIdentity, KeyIsThePhoneWithoutLeadingZeros) {
    const auto t = TerminalIdentity::make("013900000101", "苏AX0101", 2, jt808::Dialect::v2013);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->phone_key, "13900000101");
    EXPECT_EQ(t->terminal_id, "S000101");
    EXPECT_EQ(t->imei.size(), 15u);
    EXPECT_FALSE(TerminalIdentity::make("0139-0000", "x", 1, jt808::Dialect::v2013));
    EXPECT_FALSE(TerminalIdentity::make("", "x", 1, jt808::Dialect::v2013));
}

TEST(Registration, The2013BodyCarriesPlateColourAndTerminalId) {
    const auto t = TerminalIdentity::make("013900000101", "苏AX0101", 2, jt808::Dialect::v2013);
    jt808::Buffer body;
    ASSERT_TRUE(encode_registration(*t, body));
    const auto r = jt808::decode_registration(body, jt808::HeaderVersion::v2013);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->dialect, jt808::Dialect::v2013);
    EXPECT_EQ(jt808::gbk_to_utf8(r->plate), "苏AX0101");
    EXPECT_EQ(r->plate_color, 2);
    EXPECT_EQ(text(r->terminal_id), "S000101");
}

TEST(Registration, The2019BodyUsesTheWideFields) {
    const auto t = TerminalIdentity::make("013900000201", "苏AS0201", 2, jt808::Dialect::v2019);
    jt808::Buffer body;
    ASSERT_TRUE(encode_registration(*t, body));
    EXPECT_EQ(body.size(), 76u + 8u);  // 2019 fixed part + GBK plate (2 + 6 bytes)
    const auto r = jt808::decode_registration(body, jt808::HeaderVersion::v2019);
    ASSERT_TRUE(r);
    EXPECT_EQ(jt808::gbk_to_utf8(r->plate), "苏AS0201");
    EXPECT_EQ(text(r->terminal_id), "S000201");
}

TEST(Authentication, The2019FormAddsImeiAndSoftwareVersion) {
    const auto t = TerminalIdentity::make("013900000201", "苏AS0201", 2, jt808::Dialect::v2019);
    jt808::Buffer body;
    ASSERT_TRUE(encode_authentication(*t, "CODE123", body));
    jt808::Header h;
    h.msg_id = jt808::msg_id::kAuthenticate;
    h.version = jt808::HeaderVersion::v2019;
    const auto b = jt808::decode_body(h, body);
    ASSERT_TRUE(b);
    const auto& a = std::get<jt808::Authentication>(*b);
    EXPECT_EQ(text(a.auth_code), "CODE123");
    EXPECT_EQ(text(a.imei), t->imei);
    EXPECT_FALSE(a.software_version.empty());
}

TEST(DriverCard, InsertCarriesTheDriversNameAndCertificate) {
    const DriverCard card{"陈秀英", "QC320100000003", "320102197512030043"};
    for (const auto d : {jt808::Dialect::v2013, jt808::Dialect::v2019}) {
        jt808::Buffer body;
        ASSERT_TRUE(encode_card_insert(card, *core::parse_instant("2026-03-10T01:00:00Z"), d, body));
        const auto m = jt808::decode_driver_identity(
            body, d == jt808::Dialect::v2019 ? jt808::HeaderVersion::v2019 : jt808::HeaderVersion::v2013, d);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->state, 1);
        EXPECT_EQ(m->ic_result, 0);
        EXPECT_EQ(jt808::gbk_to_utf8(m->driver_name), "陈秀英");
        EXPECT_EQ(text(jt808::trim_padding(m->certificate_no)), "QC320100000003");
        if (d == jt808::Dialect::v2019) {
            EXPECT_EQ(text(jt808::trim_padding(m->id_card_no)), "320102197512030043");
        }
    }
}

TEST(ParseDialect, AcceptsTheTwoEditionsTheSimulatorSpeaks) {
    EXPECT_EQ(parse_dialect("2013"), jt808::Dialect::v2013);
    EXPECT_EQ(parse_dialect("2019"), jt808::Dialect::v2019);
    EXPECT_FALSE(parse_dialect("2011"));
    EXPECT_FALSE(parse_dialect(""));
}

}  // namespace
}  // namespace fleetwatch::sim
