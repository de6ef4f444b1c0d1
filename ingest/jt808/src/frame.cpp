#include "fleetwatch/jt808/frame.hpp"

#include <algorithm>

namespace fleetwatch::jt808 {

std::string_view to_string(Dialect d) noexcept {
    switch (d) {
        case Dialect::v2011: return "2011";
        case Dialect::v2013: return "2013";
        case Dialect::v2019: return "2019";
    }
    return "2013";
}

std::optional<PhoneNumber> PhoneNumber::from_digits(std::string_view digits) noexcept {
    if (digits.size() > 20) return std::nullopt;
    PhoneNumber p;
    for (const char c : digits) {
        char d = c;
        if (d >= 'A' && d <= 'F') d = static_cast<char>(d - 'A' + 'a');
        if (!((d >= '0' && d <= '9') || (d >= 'a' && d <= 'f'))) return std::nullopt;
        p.digits_[p.size_++] = d;
    }
    return p;
}

std::string_view PhoneNumber::key() const noexcept {
    std::string_view d = digits();
    while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
    return d;
}

void PhoneNumber::write_padded(char* out, std::size_t width) const noexcept {
    const std::string_view d = key();
    const std::size_t n = std::min(d.size(), width);
    std::fill(out, out + (width - n), '0');
    std::copy(d.end() - static_cast<std::ptrdiff_t>(n), d.end(), out + (width - n));
}

std::size_t Header::size() const noexcept {
    if (short_serial) return 11;
    std::size_t n = version == HeaderVersion::v2019 ? 17 : 12;
    if (package) n += 4;
    return n;
}

struct HeaderParser {
    // Parses the header at the start of `d` with the given layout. Returns the header length,
    // or 0 when `d` is too short; sets `phone_ok` false (and `phone_not_bcd`) when a BCD nibble
    // is above 9.
    static std::size_t parse(Bytes d, bool layout_2019, bool short_serial, Header& h,
                             bool& phone_ok) noexcept {
        const bool sub = (h.attributes & 0x2000) != 0;
        const std::size_t phone_len = layout_2019 ? 10 : 6;
        std::size_t need = (layout_2019 ? 5 : 4) + phone_len + (short_serial ? 1 : 2) +
                           (sub ? 4 : 0);
        if (d.size() < need) return 0;
        std::size_t pos = 4;
        h.version = layout_2019 ? HeaderVersion::v2019 : HeaderVersion::v2013;
        h.protocol_version = layout_2019 ? d[pos++] : 0;
        phone_ok = bcd_to_digits(d.subspan(pos, phone_len), h.phone.digits_.data());
        h.phone_not_bcd = !phone_ok;
        h.phone.size_ = static_cast<std::uint8_t>(phone_len * 2);
        pos += phone_len;
        if (short_serial) {
            h.serial = d[pos++];
        } else {
            h.serial = static_cast<std::uint16_t>((d[pos] << 8) | d[pos + 1]);
            pos += 2;
        }
        h.short_serial = short_serial;
        if (sub) {
            h.package = PackageInfo{static_cast<std::uint16_t>((d[pos] << 8) | d[pos + 1]),
                                    static_cast<std::uint16_t>((d[pos + 2] << 8) | d[pos + 3])};
            pos += 4;
        } else {
            h.package.reset();
        }
        return pos;
    }
};

namespace {

Header start_header(Bytes d) noexcept {
    Header h;
    h.msg_id = static_cast<std::uint16_t>((d[0] << 8) | d[1]);
    h.attributes = static_cast<std::uint16_t>((d[2] << 8) | d[3]);
    h.body_length = h.attributes & 0x03FF;
    h.encryption = static_cast<std::uint8_t>((h.attributes >> 10) & 0x07);
    return h;
}

}  // namespace

Expected<Header> parse_header(Bytes data) noexcept {
    if (data.size() < 4) return Error{Errc::truncated, "frame shorter than a header", 12,
                                      static_cast<std::int64_t>(data.size())};
    Header h = start_header(data);
    bool phone_ok = true;
    const bool v2019 = (h.attributes & 0x4000) != 0;
    if (HeaderParser::parse(data, v2019, false, h, phone_ok) == 0) {
        return Error{Errc::truncated, "frame shorter than its header", -1,
                     static_cast<std::int64_t>(data.size())};
    }
    return h;
}

Expected<Frame> parse_frame(Bytes f) noexcept {
    // Smallest frame: 12-byte header + check byte.
    if (f.size() < 13) {
        return Error{Errc::truncated, "frame shorter than the smallest header", 13,
                     static_cast<std::int64_t>(f.size())};
    }
    const std::uint8_t check = f.back();
    const Bytes content = f.first(f.size() - 1);
    if (xor_checksum(content) != check) {
        return Error{Errc::bad_checksum, "check byte does not match the XOR of the frame",
                     xor_checksum(content), check};
    }

    Header h = start_header(content);
    const bool flag_2019 = (h.attributes & 0x4000) != 0;
    const bool sub = (h.attributes & 0x2000) != 0;
    const std::size_t declared = h.body_length;
    const std::size_t n = content.size();
    const std::size_t len_2013 = 12 + (sub ? 4 : 0);
    const std::size_t len_2019 = 17 + (sub ? 4 : 0);

    // Choose the layout whose header length makes the declared body length fit exactly.
    bool layout_2019 = false;
    bool short_serial = false;
    if (flag_2019 && n >= len_2019 && n - len_2019 == declared) {
        layout_2019 = true;
    } else if (n >= len_2013 && n - len_2013 == declared) {
        h.misflagged_2019 = flag_2019;
    } else if ((h.msg_id >> 8) == 0x55 && !sub && n >= 11 && n - 11 == declared) {
        short_serial = true;  // vendor 0x55xx frame with a one-byte serial
    } else {
        const std::size_t header_len = flag_2019 ? len_2019 : len_2013;
        if (n < header_len) {
            return Error{Errc::truncated, "frame shorter than its header",
                         static_cast<std::int64_t>(header_len + 1),
                         static_cast<std::int64_t>(f.size())};
        }
        return Error{Errc::bad_length, "body length in the header disagrees with the frame",
                     static_cast<std::int64_t>(declared),
                     static_cast<std::int64_t>(n - header_len)};
    }

    bool phone_ok = true;
    const std::size_t header_len = HeaderParser::parse(content, layout_2019, short_serial, h,
                                                       phone_ok);
    (void)phone_ok;  // a non-BCD phone is flagged in the header, not rejected
    if (h.package && (h.package->total == 0 || h.package->index == 0 ||
                      h.package->index > h.package->total)) {
        return Error{Errc::bad_field, "sub-package index outside 1..total", h.package->total,
                     h.package->index};
    }
    return Frame{h, content.subspan(header_len)};
}

}  // namespace fleetwatch::jt808
