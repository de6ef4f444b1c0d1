// JT/T 808 frame header and frame validation (JT808.md §1.1-§1.2).
//
// `parse_frame` takes one un-escaped frame as produced by the Framer (header, body, check
// byte; no flags), verifies the XOR check byte, parses the 2011/2013 or 2019 header, checks
// the declared body length against the bytes present, and returns a `Frame` whose body is a
// view into the input. It never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fleetwatch/jt808/bytes.hpp"
#include "fleetwatch/jt808/error.hpp"

namespace fleetwatch::jt808 {

// The header layout a frame uses. 2011 and 2013 share one (and are told apart by bodies only).
enum class HeaderVersion : std::uint8_t { v2013, v2019 };

// What the platform knows about a terminal's dialect: picked per terminal at registration and
// used to choose body layouts on both directions.
enum class Dialect : std::uint8_t { v2011, v2013, v2019 };

std::string_view to_string(Dialect d) noexcept;  // "2011", "2013", "2019"

inline constexpr std::uint16_t kMaxBodyBytes = 1023;

// The terminal's SIM number as carried in the header: 12 BCD digits (2011/2013) or 20 (2019).
class PhoneNumber {
public:
    PhoneNumber() = default;
    // From decimal digits; a number shorter than the width is left-padded with '0' when encoded.
    // Returns std::nullopt if `digits` has a character other than 0-9/a-f/A-F or more than 20
    // characters. Hex letters (stored lower-case) are for terminals that put a binary id in the
    // phone field (see Header::phone_not_bcd); they are written back as the same nibbles.
    static std::optional<PhoneNumber> from_digits(std::string_view digits) noexcept;

    // The digits as on the wire (12 or 20 of them), e.g. "013800138000".
    std::string_view digits() const noexcept { return {digits_.data(), size_}; }
    // The normalised key: leading zeros stripped, so the same SIM gives the same key in 2013 and
    // 2019 frames ("13800138000"). All-zero numbers keep one "0".
    std::string_view key() const noexcept;
    // Digits left-padded with '0' (or cut from the left) to `width`, into `out`.
    void write_padded(char* out, std::size_t width) const noexcept;

    friend bool operator==(const PhoneNumber& a, const PhoneNumber& b) noexcept {
        return a.key() == b.key();
    }

private:
    friend struct HeaderParser;
    std::array<char, 20> digits_{};
    std::uint8_t size_ = 0;
};

struct PackageInfo {
    std::uint16_t total = 0;  // number of packages, >= 1
    std::uint16_t index = 0;  // 1-based
    friend bool operator==(const PackageInfo&, const PackageInfo&) = default;
};

struct Header {
    std::uint16_t msg_id = 0;
    std::uint16_t attributes = 0;   // the raw body-attribute word
    std::uint16_t body_length = 0;  // bits 0-9
    std::uint8_t encryption = 0;    // bits 10-12; 0 = plain, 1 = RSA
    HeaderVersion version = HeaderVersion::v2013;
    std::uint8_t protocol_version = 0;  // 2019 only (starts at 1)
    PhoneNumber phone;
    std::uint16_t serial = 0;
    std::optional<PackageInfo> package;
    // Bit 14 was set but the frame only fits the 2013 layout (vendor mis-flag, JT808.md §1.2).
    bool misflagged_2019 = false;
    // Vendor 0x55xx frames with a one-byte serial (seen on some lock devices).
    bool short_serial = false;
    // The phone field has a nibble above 9. Real terminals do this (e.g. Jimi JC371 dashcams
    // send their IMEI as a 48-bit binary number); the digits then show those nibbles as a-f, so
    // the key stays stable and replies echo the same bytes.
    bool phone_not_bcd = false;

    std::size_t size() const noexcept;  // header bytes on the wire (12/16/17/21, 11 short)
};

struct Frame {
    Header header;
    Bytes body;  // view into the un-escaped frame
};

// XOR of every byte.
constexpr std::uint8_t xor_checksum(Bytes data) noexcept {
    std::uint8_t x = 0;
    std::size_t i = 0;
    if (!std::is_constant_evaluated()) {
        // Eight bytes per step, folded at the end: a byte-at-a-time chain was the largest single
        // cost of parse_frame on a 60-byte 0x0200 frame (docs/performance.md).
        std::uint64_t w = 0;
        for (; i + 8 <= data.size(); i += 8) {
            std::uint64_t v;
            std::memcpy(&v, data.data() + i, sizeof v);
            w ^= v;
        }
        w ^= w >> 32;
        w ^= w >> 16;
        w ^= w >> 8;
        x = static_cast<std::uint8_t>(w);
    }
    for (; i < data.size(); ++i) x ^= data[i];
    return x;
}

// Validates and parses one un-escaped frame (without flags). Errors: truncated, bad_checksum,
// bad_length, bad_field (sub-package index). A phone that is not BCD is accepted and flagged
// (Header::phone_not_bcd).
Expected<Frame> parse_frame(Bytes unescaped) noexcept;
// The Frame's body views the input, so a temporary buffer would leave it dangling.
Expected<Frame> parse_frame(std::vector<std::uint8_t>&&) = delete;

// Parses a header alone from the start of `data` without checksum or length checks (for tests
// and diagnostics). `version` is taken from bit 14.
Expected<Header> parse_header(Bytes data) noexcept;

}  // namespace fleetwatch::jt808
