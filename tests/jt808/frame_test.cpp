#include "fleetwatch/jt808/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fleetwatch::jt808 {
namespace {

using ByteVec = std::vector<std::uint8_t>;

ByteVec hex(std::string_view text) {
    auto b = from_hex(text);
    if (!b) throw std::invalid_argument("bad hex in test: " + std::string(text));
    return *b;
}

void put16(ByteVec& v, std::uint16_t x) {
    v.push_back(static_cast<std::uint8_t>(x >> 8));
    v.push_back(static_cast<std::uint8_t>(x));
}

// An un-escaped frame (header + body + XOR) built by hand, independent of the encoder.
struct RawFrame {
    std::uint16_t msg_id = 0x0200;
    std::uint16_t extra_attributes = 0;  // OR-ed into the attribute word
    bool v2019 = false;
    std::uint8_t protocol_version = 1;
    std::string phone_bcd = "013800138000";  // 12 or 20 hex digits, as on the wire
    std::uint16_t serial = 7;
    std::optional<PackageInfo> package;
    ByteVec body;
    std::optional<std::uint16_t> declared_length;  // default: body.size()

    ByteVec bytes() const {
        ByteVec f;
        put16(f, msg_id);
        std::uint16_t attr = declared_length.value_or(static_cast<std::uint16_t>(body.size()));
        attr |= extra_attributes;
        if (v2019) attr |= 0x4000;
        if (package) attr |= 0x2000;
        put16(f, attr);
        if (v2019) f.push_back(protocol_version);
        const ByteVec phone = hex(phone_bcd);
        f.insert(f.end(), phone.begin(), phone.end());
        put16(f, serial);
        if (package) {
            put16(f, package->total);
            put16(f, package->index);
        }
        f.insert(f.end(), body.begin(), body.end());
        f.push_back(xor_checksum(f));
        return f;
    }
};

const ByteVec kBody{0xAA, 0xBB, 0xCC};

TEST(ParseFrame, ReadsA2013HeaderOfTwelveBytes) {
    RawFrame raw;
    raw.body = kBody;
    const ByteVec bytes = raw.bytes();
    auto frame = parse_frame(bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    const Header& h = frame->header;
    EXPECT_EQ(h.msg_id, 0x0200);
    EXPECT_EQ(h.version, HeaderVersion::v2013);
    EXPECT_EQ(h.body_length, 3);
    EXPECT_EQ(h.attributes, 3);
    EXPECT_EQ(h.encryption, 0);
    EXPECT_EQ(h.phone.digits(), "013800138000");
    EXPECT_EQ(h.serial, 7);
    EXPECT_FALSE(h.package);
    EXPECT_FALSE(h.misflagged_2019);
    EXPECT_EQ(h.size(), 12u);
    EXPECT_EQ(to_hex(frame->body), "aabbcc");
    EXPECT_EQ(frame->body.data(), bytes.data() + 12) << "the body is a view into the input";
}

TEST(ParseFrame, ReadsA2013SubPackageHeaderOfSixteenBytes) {
    RawFrame raw;
    raw.body = kBody;
    raw.package = PackageInfo{3, 2};
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    ASSERT_TRUE(frame->header.package);
    EXPECT_EQ(frame->header.package->total, 3);
    EXPECT_EQ(frame->header.package->index, 2);
    EXPECT_EQ(frame->header.size(), 16u);
    EXPECT_EQ(to_hex(frame->body), "aabbcc");
}

TEST(ParseFrame, ReadsA2019HeaderOfSeventeenBytes) {
    RawFrame raw;
    raw.v2019 = true;
    raw.protocol_version = 1;
    raw.phone_bcd = "00000000013800138000";
    raw.serial = 0x1234;
    raw.body = kBody;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    const Header& h = frame->header;
    EXPECT_EQ(h.version, HeaderVersion::v2019);
    EXPECT_EQ(h.protocol_version, 1);
    EXPECT_EQ(h.phone.digits(), "00000000013800138000");
    EXPECT_EQ(h.serial, 0x1234);
    EXPECT_EQ(h.size(), 17u);
    EXPECT_FALSE(h.misflagged_2019);
    EXPECT_EQ(to_hex(frame->body), "aabbcc");
}

TEST(ParseFrame, ReadsA2019SubPackageHeaderOfTwentyOneBytes) {
    RawFrame raw;
    raw.v2019 = true;
    raw.phone_bcd = "00000000013800138000";
    raw.package = PackageInfo{10, 10};
    raw.body = kBody;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_EQ(frame->header.version, HeaderVersion::v2019);
    EXPECT_EQ(frame->header.package, (PackageInfo{10, 10}));
    EXPECT_EQ(frame->header.size(), 21u);
    EXPECT_EQ(to_hex(frame->body), "aabbcc");
}

TEST(ParseFrame, EmptyBodyIsValid) {
    RawFrame raw;
    raw.msg_id = 0x0002;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_TRUE(frame->body.empty());
}

TEST(ParseFrame, EncryptionBitsAreReported) {
    RawFrame raw;
    raw.body = kBody;
    raw.extra_attributes = 0x0400;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->header.encryption, 1);
    EXPECT_EQ(frame->header.body_length, 3);
}

TEST(ParseFrame, BadChecksum) {
    RawFrame raw;
    raw.body = kBody;
    ByteVec bytes = raw.bytes();
    const std::uint8_t right = bytes.back();
    bytes.back() = static_cast<std::uint8_t>(right ^ 0x01);
    auto frame = parse_frame(bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::bad_checksum);
    EXPECT_EQ(frame.error().expected, right);
    EXPECT_EQ(frame.error().actual, right ^ 0x01);
}

TEST(ParseFrame, BadChecksumInTheBodyIsCaughtToo) {
    RawFrame raw;
    raw.body = kBody;
    ByteVec bytes = raw.bytes();
    bytes[13] ^= 0x40;  // a body byte
    auto frame = parse_frame(bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::bad_checksum);
}

TEST(ParseFrame, BodyLengthExceedsFrame) {
    RawFrame raw;
    raw.body = kBody;
    raw.declared_length = 58;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::bad_length);
    EXPECT_EQ(frame.error().expected, 58);
    EXPECT_EQ(frame.error().actual, 3);
}

TEST(ParseFrame, BodyLengthShorterThanFrameIsAlsoBadLength) {
    RawFrame raw;
    raw.body = kBody;
    raw.declared_length = 1;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::bad_length);
}

TEST(ParseFrame, FrameShorterThanHeader) {
    // Eight bytes with a correct XOR: no header fits.
    ByteVec bytes = hex("00020000013800");
    bytes.push_back(xor_checksum(bytes));
    auto frame = parse_frame(bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::truncated);
    EXPECT_FALSE(parse_frame(Bytes{}));
    EXPECT_EQ(parse_frame(Bytes{}).error().code, Errc::truncated);
}

TEST(ParseFrame, FrameShorterThanItsSubPackageHeader) {
    // The sub-package flag promises 16 header bytes; only 13 (12 + one body byte) are there.
    ByteVec bytes = hex("0200200101380013800000071A");
    bytes.push_back(xor_checksum(bytes));
    auto frame = parse_frame(bytes);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::truncated);
}

TEST(ParseFrame, PhoneWithNonBcdNibbleIsAcceptedFlaggedAndKeepsItsNibbles) {
    // Some terminals put a binary id in the phone field; the frame is kept, the header says so
    // and the nibbles show as hex letters so the key is stable and replies echo the same bytes.
    RawFrame raw;
    raw.body = kBody;
    raw.phone_bcd = "01380013800A";
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_TRUE(frame->header.phone_not_bcd);
    EXPECT_EQ(frame->header.phone.digits(), "01380013800a");
    EXPECT_EQ(frame->header.phone.key(), "1380013800a");

    RawFrame bcd;
    bcd.body = kBody;
    const ByteVec bcd_bytes = bcd.bytes();
    auto plain = parse_frame(bcd_bytes);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->header.phone_not_bcd);
}

TEST(ParseFrame, MisflaggedVendor2019FallsBackTo2013) {
    // Bit 14 is set, but the declared length only fits the 12-byte 2013 header (JT808.md §1.2).
    RawFrame raw;
    raw.body = ByteVec(10, 0x31);
    raw.extra_attributes = 0x4000;
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_EQ(frame->header.version, HeaderVersion::v2013);
    EXPECT_TRUE(frame->header.misflagged_2019);
    EXPECT_EQ(frame->header.phone.digits(), "013800138000");
    EXPECT_EQ(frame->header.serial, 7);
    EXPECT_EQ(frame->body.size(), 10u);
    EXPECT_EQ(frame->header.size(), 12u);
}

TEST(ParseFrame, MisflaggedFrameFromSmallChiDemo14FallsBackTo2013) {
    // SmallChi README "栗子14": 0x0102 with bit 14 set and a 2013 layout.
    ByteVec wire = hex("0102400C01003000068109024A3130303330303030363831 85");
    auto frame = parse_frame(wire);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_TRUE(frame->header.misflagged_2019);
    EXPECT_EQ(frame->header.phone.digits(), "010030000681");
    EXPECT_EQ(frame->body.size(), 12u);
}

TEST(ParseFrame, Genuine2019FrameIsNotMistakenForMisflagged) {
    RawFrame raw;
    raw.v2019 = true;
    raw.phone_bcd = "00000000013800138000";
    raw.body = ByteVec(10, 0x31);
    const ByteVec raw_bytes = raw.bytes();
    auto frame = parse_frame(raw_bytes);
    ASSERT_TRUE(frame);
    EXPECT_FALSE(frame->header.misflagged_2019);
    EXPECT_EQ(frame->header.version, HeaderVersion::v2019);
}

TEST(ParseFrame, PackageIndexZeroOrAboveTotalIsRejected) {
    for (const PackageInfo bad : {PackageInfo{2, 0}, PackageInfo{2, 3}, PackageInfo{0, 0},
                                  PackageInfo{0, 1}}) {
        RawFrame raw;
        raw.body = kBody;
        raw.package = bad;
        const ByteVec raw_bytes = raw.bytes();
        auto frame = parse_frame(raw_bytes);
        ASSERT_FALSE(frame) << "total " << bad.total << " index " << bad.index;
        EXPECT_EQ(frame.error().code, Errc::bad_field);
    }
    RawFrame edge;
    edge.body = kBody;
    edge.package = PackageInfo{1, 1};
    const ByteVec edge_bytes = edge.bytes();
    EXPECT_TRUE(parse_frame(edge_bytes));
}

TEST(ParseHeader, ReadsTheHeaderWithoutChecksumOrLengthChecks) {
    RawFrame raw;
    raw.body = kBody;
    raw.declared_length = 500;  // would be bad_length in parse_frame
    auto h = parse_header(raw.bytes());
    ASSERT_TRUE(h) << h.error().message();
    EXPECT_EQ(h->body_length, 500);
    EXPECT_EQ(h->phone.digits(), "013800138000");
    EXPECT_EQ(parse_header(hex("0200")).error().code, Errc::truncated);
    EXPECT_EQ(parse_header(hex("0200400001380013")).error().code, Errc::truncated);
}

TEST(PhoneNumber, SameTerminalGetsTheSameKeyIn2013And2019Frames) {
    RawFrame old_frame;
    old_frame.body = kBody;
    old_frame.phone_bcd = "013800138000";
    RawFrame new_frame;
    new_frame.v2019 = true;
    new_frame.body = kBody;
    new_frame.phone_bcd = "00000000013800138000";
    const ByteVec a_bytes = old_frame.bytes();
    const ByteVec b_bytes = new_frame.bytes();
    auto a = parse_frame(a_bytes);
    auto b = parse_frame(b_bytes);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_NE(a->header.phone.digits(), b->header.phone.digits());
    EXPECT_EQ(a->header.phone.key(), "13800138000");
    EXPECT_EQ(b->header.phone.key(), "13800138000");
    EXPECT_EQ(a->header.phone, b->header.phone);
}

TEST(PhoneNumber, DifferentNumbersHaveDifferentKeys) {
    const auto a = PhoneNumber::from_digits("013800138000");
    const auto b = PhoneNumber::from_digits("013800138001");
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(*a == *b);
}

TEST(PhoneNumber, AllZeroNumberKeepsOneZero) {
    const auto p = PhoneNumber::from_digits("000000000000");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->key(), "0");
}

TEST(PhoneNumber, FromDigitsRejectsNonHexCharactersAndMoreThanTwentyDigits) {
    EXPECT_FALSE(PhoneNumber::from_digits("1380013800G"));
    EXPECT_FALSE(PhoneNumber::from_digits("+8613800138000"));
    EXPECT_FALSE(PhoneNumber::from_digits("123456789012345678901"));
    EXPECT_TRUE(PhoneNumber::from_digits("12345678901234567890"));
}

TEST(PhoneNumber, WritesPaddedToTheHeaderWidth) {
    const auto p = PhoneNumber::from_digits("13800138000");
    ASSERT_TRUE(p);
    char twelve[12];
    p->write_padded(twelve, 12);
    EXPECT_EQ(std::string(twelve, 12), "013800138000");
    char twenty[20];
    p->write_padded(twenty, 20);
    EXPECT_EQ(std::string(twenty, 20), "00000000013800138000");
}

TEST(XorChecksum, IsTheXorOfEveryByte) {
    EXPECT_EQ(xor_checksum(hex("00020000040021679287002B")), 0x7E);
    EXPECT_EQ(xor_checksum(Bytes{}), 0x00);
}

}  // namespace
}  // namespace fleetwatch::jt808
