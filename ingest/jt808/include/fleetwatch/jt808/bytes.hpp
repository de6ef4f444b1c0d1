// Big-endian byte reading and writing for JT/T 808 bodies.
//
// `ByteReader` never reads past its span. A read that does not fit sets a sticky failure that
// names the field ("truncated: body ends inside 'plate_color'") and returns zero; parsers read a
// whole structure and check `ok()` once, which keeps body parsers short and branch-light.
// `ByteWriter` appends to a caller-owned vector, so a reused vector allocates nothing in steady
// state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "fleetwatch/jt808/error.hpp"

namespace fleetwatch::jt808 {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
public:
    explicit ByteReader(Bytes data) noexcept : data_(data) {}

    std::size_t offset() const noexcept { return pos_; }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    bool empty() const noexcept { return remaining() == 0; }
    bool ok() const noexcept { return failed_field_ == nullptr; }

    // The first failure, as a `truncated` error naming the field.
    Error error() const noexcept {
        return Error{Errc::truncated, failed_field_ ? failed_field_ : "truncated", -1, -1};
    }
    const char* failed_field() const noexcept { return failed_field_; }

    std::uint8_t u8(const char* field) noexcept {
        if (!want(1, field)) return 0;
        return data_[pos_++];
    }
    std::uint16_t u16(const char* field) noexcept {
        if (!want(2, field)) return 0;
        const auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32(const char* field) noexcept {
        if (!want(4, field)) return 0;
        const std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) |
                                (std::uint32_t{data_[pos_ + 1]} << 16) |
                                (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
        pos_ += 4;
        return v;
    }
    // `n` bytes as a view into the underlying buffer (empty on failure).
    Bytes bytes(std::size_t n, const char* field) noexcept {
        if (!want(n, field)) return {};
        const Bytes out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    // Everything not read yet.
    Bytes rest() noexcept {
        const Bytes out = data_.subspan(pos_);
        pos_ = data_.size();
        return out;
    }
    void skip(std::size_t n, const char* field) noexcept {
        if (want(n, field)) pos_ += n;
    }

    // Marks the reader failed with a reason of the caller's choosing (e.g. a count that
    // promises more items than the body holds).
    void fail(const char* field) noexcept {
        if (failed_field_ == nullptr) failed_field_ = field;
        pos_ = data_.size();
    }

private:
    bool want(std::size_t n, const char* field) noexcept {
        if (failed_field_ != nullptr) return false;
        if (n > data_.size() - pos_) {
            fail(field);
            return false;
        }
        return true;
    }

    Bytes data_;
    std::size_t pos_ = 0;
    const char* failed_field_ = nullptr;
};

class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::uint8_t>& out) noexcept : out_(out) {}

    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) {
        out_.push_back(static_cast<std::uint8_t>(v >> 8));
        out_.push_back(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        out_.push_back(static_cast<std::uint8_t>(v >> 24));
        out_.push_back(static_cast<std::uint8_t>(v >> 16));
        out_.push_back(static_cast<std::uint8_t>(v >> 8));
        out_.push_back(static_cast<std::uint8_t>(v));
    }
    void bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
    // Exactly `width` bytes: `b` truncated or padded with `pad` at the end (or the front).
    void fixed(Bytes b, std::size_t width, std::uint8_t pad = 0x00, bool pad_front = false);
    void fixed(std::string_view s, std::size_t width, std::uint8_t pad = 0x00, bool pad_front = false);
    // BCD digits of a decimal string (must have an even count of '0'-'9').
    void bcd(std::string_view digits);

    std::size_t size() const noexcept { return out_.size(); }
    std::vector<std::uint8_t>& buffer() noexcept { return out_; }

private:
    std::vector<std::uint8_t>& out_;
};

// ---- BCD helpers --------------------------------------------------------------------------

// Decodes BCD into characters in `out` (2 per byte): '0'-'9', and 'a'-'f' for a nibble above 9
// (so the bytes can be written back unchanged). False if any nibble is above 9.
bool bcd_to_digits(Bytes bcd, char* out) noexcept;

// Value of one BCD byte (0-99), or -1 when a nibble is above 9.
constexpr int bcd_byte(std::uint8_t b) noexcept {
    const int hi = b >> 4;
    const int lo = b & 0x0F;
    return (hi > 9 || lo > 9) ? -1 : hi * 10 + lo;
}

constexpr std::uint8_t to_bcd_byte(int v) noexcept {
    return static_cast<std::uint8_t>(((v / 10) % 10) << 4 | (v % 10));
}

// ---- Hex helpers (tests, CLI, logs) --------------------------------------------------------

// Lower-case hex of `b`.
std::string to_hex(Bytes b);
// Parses hex digits, ignoring ASCII white space; std::nullopt on any other character or an odd
// digit count.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace fleetwatch::jt808
