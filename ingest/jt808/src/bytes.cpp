#include "fleetwatch/jt808/bytes.hpp"

#include <algorithm>
#include <string>

namespace fleetwatch::jt808 {

void ByteWriter::fixed(Bytes b, std::size_t width, std::uint8_t pad, bool pad_front) {
    const std::size_t n = std::min(b.size(), width);
    if (pad_front) out_.insert(out_.end(), width - n, pad);
    out_.insert(out_.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    if (!pad_front) out_.insert(out_.end(), width - n, pad);
}

void ByteWriter::fixed(std::string_view s, std::size_t width, std::uint8_t pad, bool pad_front) {
    fixed(Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, width, pad, pad_front);
}

void ByteWriter::bcd(std::string_view digits) {
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
        const auto hi = static_cast<std::uint8_t>(digits[i] - '0');
        const auto lo = static_cast<std::uint8_t>(digits[i + 1] - '0');
        out_.push_back(static_cast<std::uint8_t>((hi << 4) | (lo & 0x0F)));
    }
}

bool bcd_to_digits(Bytes bcd, char* out) noexcept {
    static constexpr char kDigits[] = "0123456789abcdef";
    bool valid = true;
    for (const std::uint8_t b : bcd) {
        const int hi = b >> 4;
        const int lo = b & 0x0F;
        valid = valid && hi <= 9 && lo <= 9;
        *out++ = kDigits[hi];
        *out++ = kDigits[lo];
    }
    return valid;
}

std::string to_hex(Bytes b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(b.size() * 2);
    for (const std::uint8_t v : b) {
        out.push_back(kDigits[v >> 4]);
        out.push_back(kDigits[v & 0x0F]);
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    int high = -1;
    for (const char c : text) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        else return std::nullopt;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | v));
            high = -1;
        }
    }
    if (high >= 0) return std::nullopt;
    return out;
}

}  // namespace fleetwatch::jt808
