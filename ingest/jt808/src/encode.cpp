#include "fleetwatch/jt808/encode.hpp"

#include <algorithm>
#include <array>

#include "fleetwatch/jt808/bytes.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {

void escape_into(Bytes unescaped, Buffer& out) {
    // Grow geometrically: reserving the exact size here reallocated (and copied everything
    // already in `out`) on every frame appended to a long buffer, quadratic in its length.
    const std::size_t need = out.size() + unescaped.size() + 8;
    if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
    out.push_back(kFlag);
    for (const std::uint8_t b : unescaped) {
        if (b == kFlag) {
            out.push_back(kEscape);
            out.push_back(0x02);
        } else if (b == kEscape) {
            out.push_back(kEscape);
            out.push_back(0x01);
        } else {
            out.push_back(b);
        }
    }
    out.push_back(kFlag);
}

Status encode_frame(const OutboundHeader& h, Bytes body, Buffer& out) {
    if (body.size() > kMaxBodyBytes) {
        return Error{Errc::body_too_large, "body longer than one frame can carry", kMaxBodyBytes,
                     static_cast<std::int64_t>(body.size())};
    }
    const bool v2019 = h.dialect == Dialect::v2019;
    // Un-escaped frame on the stack: at most 21 + 1023 + 1 bytes.
    std::array<std::uint8_t, kMaxUnescapedFrame> f;
    std::size_t n = 0;
    auto put16 = [&](std::uint16_t v) {
        f[n++] = static_cast<std::uint8_t>(v >> 8);
        f[n++] = static_cast<std::uint8_t>(v);
    };
    std::uint16_t attr = static_cast<std::uint16_t>(body.size());
    attr |= static_cast<std::uint16_t>((h.encryption & 0x07) << 10);
    if (h.package) attr |= 0x2000;
    if (v2019) attr |= 0x4000;
    put16(h.msg_id);
    put16(attr);
    if (v2019) f[n++] = h.protocol_version;
    const std::size_t phone_digits = v2019 ? 20 : 12;
    char digits[20];
    h.phone.write_padded(digits, phone_digits);
    // Digits are 0-9, or a-f for a terminal whose phone field is not BCD (Header::phone_not_bcd).
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i < phone_digits; i += 2) {
        f[n++] = static_cast<std::uint8_t>((nibble(digits[i]) << 4) | nibble(digits[i + 1]));
    }
    put16(h.serial);
    if (h.package) {
        put16(h.package->total);
        put16(h.package->index);
    }
    std::copy(body.begin(), body.end(), f.begin() + static_cast<std::ptrdiff_t>(n));
    n += body.size();
    f[n] = xor_checksum(Bytes{f.data(), n});
    ++n;
    escape_into(Bytes{f.data(), n}, out);
    return Ok{};
}

Expected<std::uint16_t> encode_frames(OutboundHeader h, Bytes body, Buffer& out,
                                      std::size_t max_package_body) {
    if (body.size() <= kMaxBodyBytes && !h.package) {
        if (auto s = encode_frame(h, body, out); !s) return s.error();
        return std::uint16_t{1};
    }
    max_package_body = std::clamp<std::size_t>(max_package_body, 1, kMaxBodyBytes);
    // At least one frame: an empty body asked for as a package is one package of one.
    const std::size_t total =
        std::max<std::size_t>(1, (body.size() + max_package_body - 1) / max_package_body);
    if (total > 0xFFFF) {
        return Error{Errc::body_too_large, "body needs more than 65535 sub-packages"};
    }
    for (std::size_t i = 0; i < total; ++i) {
        h.package = PackageInfo{static_cast<std::uint16_t>(total), static_cast<std::uint16_t>(i + 1)};
        const std::size_t off = i * max_package_body;
        const Bytes part = body.subspan(off, std::min(max_package_body, body.size() - off));
        if (auto s = encode_frame(h, part, out); !s) return s.error();
        ++h.serial;
    }
    return static_cast<std::uint16_t>(total);
}

namespace {

Status too_many(const char* what, std::size_t n, std::size_t max) {
    return Error{Errc::body_too_large, what, static_cast<std::int64_t>(max),
                 static_cast<std::int64_t>(n)};
}

// [S2011] area/route bodies carry an extra per-packet count and other corner fields, and no
// peer implements them (JT808.md §1.9): refuse rather than send a 2013 layout a 2011 terminal
// would misread.
Status refuse_2011_geofence(Dialect d) {
    if (d == Dialect::v2011) {
        return Error{Errc::unsupported_version, "2011 area and route layouts are not supported"};
    }
    return Ok{};
}

void put_general(const GeneralResponse& m, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.reply_serial);
    w.u16(m.reply_msg_id);
    w.u8(m.result);
}

void put_resend(const ResendRequest& m, Dialect d, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.first_serial);
    if (d == Dialect::v2019) {
        w.u16(static_cast<std::uint16_t>(m.package_ids.size()));
    } else {
        w.u8(static_cast<std::uint8_t>(m.package_ids.size()));
    }
    for (const std::uint16_t id : m.package_ids) w.u16(id);
}

Status check_resend(const ResendRequest& m, Dialect d) {
    const std::size_t max = d == Dialect::v2019 ? 0xFFFF : 0xFF;
    if (m.package_ids.size() > max) return too_many("too many package ids", m.package_ids.size(), max);
    return Ok{};
}

void put_time(ByteWriter& w, const BcdTime& t) { w.bytes(Bytes{t.raw.data(), t.raw.size()}); }

Status put_name_2019(ByteWriter& w, std::string_view utf8) {
    const auto gbk = utf8_to_gbk(utf8);
    if (gbk.size() > 0xFFFF) return too_many("name too long", gbk.size(), 0xFFFF);
    w.u16(static_cast<std::uint16_t>(gbk.size()));
    w.bytes(Bytes{gbk});
    return Ok{};
}

void put_speed(ByteWriter& w, const AreaSpeedLimit& s, bool night) {
    w.u16(s.max_kmh);
    w.u8(s.overspeed_seconds);
    if (night) w.u16(s.night_max_kmh);
}

// Area attribute bits 0/1 follow the optional groups actually present.
std::uint16_t area_attributes(std::uint16_t attr, bool time, bool speed) {
    attr = static_cast<std::uint16_t>(attr & ~(area_attr::kTimeRule | area_attr::kSpeedRule));
    if (time) attr |= area_attr::kTimeRule;
    if (speed) attr |= area_attr::kSpeedRule;
    return attr;
}

void put_location_basic(ByteWriter& w, const Location& l) {
    w.u32(l.alarm);
    w.u32(l.status);
    w.u32(l.lat_e6);
    w.u32(l.lon_e6);
    w.u16(l.altitude_m);
    w.u16(l.speed_dkmh);
    w.u16(l.direction);
    put_time(w, l.time);
}

void put_extras(ByteWriter& w, const LocationExtras& x) {
    if (!x.items.empty() || !x.trailing.empty()) {  // decoded earlier: send as received
        w.bytes(x.items);
        w.bytes(x.trailing);
        return;
    }
    auto item = [&w](std::uint8_t id, std::uint8_t len) {
        w.u8(id);
        w.u8(len);
    };
    if (x.mileage_100m) { item(0x01, 4); w.u32(*x.mileage_100m); }
    if (x.fuel_100ml) { item(0x02, 2); w.u16(*x.fuel_100ml); }
    if (x.recorder_speed_dkmh) { item(0x03, 2); w.u16(*x.recorder_speed_dkmh); }
    if (x.alarm_event_id) { item(0x04, 2); w.u16(*x.alarm_event_id); }
    if (x.tyre_pressure && x.tyre_pressure->size() == 30) { item(0x05, 30); w.bytes(*x.tyre_pressure); }
    if (x.compartment_temp_c) {
        item(0x06, 2);
        const int t = *x.compartment_temp_c;
        w.u16(static_cast<std::uint16_t>(t < 0 ? (0x8000 | (-t & 0x7FFF)) : (t & 0x7FFF)));
    }
    if (x.overspeed) {
        item(0x11, x.overspeed->area_id ? 5 : 1);
        w.u8(x.overspeed->location_type);
        if (x.overspeed->area_id) w.u32(*x.overspeed->area_id);
    }
    if (x.area_crossing) {
        item(0x12, 6);
        w.u8(x.area_crossing->location_type);
        w.u32(x.area_crossing->area_id);
        w.u8(x.area_crossing->direction);
    }
    if (x.section_time) {
        item(0x13, 7);
        w.u32(x.section_time->section_id);
        w.u16(x.section_time->seconds);
        w.u8(x.section_time->result);
    }
    if (x.vehicle_signals) { item(0x25, 4); w.u32(*x.vehicle_signals); }
    if (x.io_status) { item(0x2A, 2); w.u16(*x.io_status); }
    if (x.analog) { item(0x2B, 4); w.u32(*x.analog); }
    if (x.signal_strength) { item(0x30, 1); w.u8(*x.signal_strength); }
    if (x.satellites) { item(0x31, 1); w.u8(*x.satellites); }
}

}  // namespace

Status encode_body(const TerminalResponse& m, Dialect, Buffer& out) { put_general(m, out); return Ok{}; }
Status encode_body(const PlatformResponse& m, Dialect, Buffer& out) { put_general(m, out); return Ok{}; }
Status encode_body(const Heartbeat&, Dialect, Buffer&) { return Ok{}; }
Status encode_body(const Unregister&, Dialect, Buffer&) { return Ok{}; }
Status encode_body(const TimeQuery&, Dialect, Buffer&) { return Ok{}; }
Status encode_body(const LocationQuery&, Dialect, Buffer&) { return Ok{}; }

Status encode_body(const TerminalResendRequest& m, Dialect d, Buffer& out) {
    if (auto s = check_resend(m, d); !s) return s;
    put_resend(m, d, out);
    return Ok{};
}
Status encode_body(const PlatformResendRequest& m, Dialect d, Buffer& out) {
    if (auto s = check_resend(m, d); !s) return s;
    put_resend(m, d, out);
    return Ok{};
}

Status encode_body(const Registration& m, Dialect d, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.province);
    w.u16(m.city);
    switch (d) {
        case Dialect::v2019:
            w.fixed(m.maker, 11);
            w.fixed(m.model, 30, 0x00, /*pad_front=*/true);
            w.fixed(m.terminal_id, 30, 0x00, /*pad_front=*/true);
            break;
        case Dialect::v2013:
            w.fixed(m.maker, 5);
            w.fixed(m.model, 20);
            w.fixed(m.terminal_id, 7);
            break;
        case Dialect::v2011:
            w.fixed(m.maker, 5);
            w.fixed(m.model, 8, 0x20);  // [S2011] T6: "位数不是八位的，补空格"
            w.fixed(m.terminal_id, 7);
            break;
    }
    w.u8(m.plate_color);
    w.bytes(m.plate);
    return Ok{};
}

Status encode_body(const Authentication& m, Dialect d, Buffer& out) {
    ByteWriter w(out);
    if (d == Dialect::v2019) {
        if (m.auth_code.size() > 0xFF) return too_many("auth code too long", m.auth_code.size(), 0xFF);
        w.u8(static_cast<std::uint8_t>(m.auth_code.size()));
        w.bytes(m.auth_code);
        w.fixed(m.imei, 15);
        w.fixed(m.software_version, 20);
    } else {
        w.bytes(m.auth_code);
    }
    return Ok{};
}

Status encode_body(const Location& m, Dialect, Buffer& out) {
    ByteWriter w(out);
    put_location_basic(w, m);
    put_extras(w, m.extras);
    return Ok{};
}

Status encode_body(const LocationQueryResponse& m, Dialect d, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.reply_serial);
    return encode_body(m.location, d, out);
}

Status encode_location_batch(std::uint8_t type, std::span<const Location> items, Dialect d,
                             Buffer& out) {
    ByteWriter w(out);
    w.u16(static_cast<std::uint16_t>(items.size()));
    w.u8(type);
    for (const Location& l : items) {
        const std::size_t len_at = out.size();
        w.u16(0);
        if (auto s = encode_body(l, d, out); !s) return s;
        const std::size_t len = out.size() - len_at - 2;
        out[len_at] = static_cast<std::uint8_t>(len >> 8);
        out[len_at + 1] = static_cast<std::uint8_t>(len);
    }
    return Ok{};
}

Status encode_body(const DriverIdentity& m, Dialect d, Buffer& out) {
    ByteWriter w(out);
    auto put_len_string = [&w](Bytes s) {
        w.u8(static_cast<std::uint8_t>(std::min<std::size_t>(s.size(), 0xFF)));
        w.bytes(s.first(std::min<std::size_t>(s.size(), 0xFF)));
    };
    if (d == Dialect::v2011) {
        put_len_string(m.driver_name);
        w.fixed(m.id_card_no, 20);
        w.fixed(m.certificate_no, 40);
        put_len_string(m.issuer);
        return Ok{};
    }
    w.u8(m.state);
    put_time(w, m.time);
    if (m.state != 0x01 || !m.ic_result) return Ok{};
    w.u8(*m.ic_result);
    if (*m.ic_result != 0) return Ok{};
    put_len_string(m.driver_name);
    w.fixed(m.certificate_no, 20);
    put_len_string(m.issuer);
    const core::CivilTime e = m.certificate_expiry.value_or(core::CivilTime{0, 0, 0, 0, 0, 0});
    w.u8(to_bcd_byte(e.year / 100));
    w.u8(to_bcd_byte(e.year % 100));
    w.u8(to_bcd_byte(e.month));
    w.u8(to_bcd_byte(e.day));
    if (d == Dialect::v2019) w.fixed(m.id_card_no, 20);
    return Ok{};
}

Status encode_body(const ServerTime& m, Dialect, Buffer& out) {
    if (!core::is_valid(m.utc) || m.utc.year < 2000 || m.utc.year > 2099) {
        return Error{Errc::bad_field, "server time outside 2000-2099 or invalid"};
    }
    ByteWriter w(out);
    put_time(w, BcdTime::from_civil(m.utc));
    return Ok{};
}

Status encode_body(const RegistrationResponse& m, Dialect, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.reply_serial);
    w.u8(m.result);
    if (m.result == 0) w.bytes(m.auth_code);  // no terminator (JT808.md §1.5)
    return Ok{};
}

namespace param {
std::size_t width(std::uint32_t id) noexcept {
    switch (id) {
        case 0x0001: case 0x0002: case 0x0003: case 0x0004: case 0x0005: case 0x0006:
        case 0x0007: case 0x0020: case 0x0029: case 0x002C: case 0x0050: case 0x0054:
        case 0x0055: case 0x0056: case 0x0057: case 0x0058: case 0x0059: case 0x005A:
        case 0x0080:
            return 4;
        case 0x0031: case 0x005B: case 0x005C: case 0x005D: case 0x005E: case 0x0081:
        case 0x0082:
            return 2;
        case 0x0032: return 4;  // BYTE[4] hh mm hh mm
        case 0x0084: return 1;
        default: return 0;
    }
}
}  // namespace param

Parameter Parameter::dword(std::uint32_t id, std::uint32_t v) {
    return Parameter{id, {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
}
Parameter Parameter::word(std::uint32_t id, std::uint16_t v) {
    return Parameter{id, {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
}
Parameter Parameter::byte(std::uint32_t id, std::uint8_t v) { return Parameter{id, {v}}; }
Parameter Parameter::string(std::uint32_t id, std::string_view utf8) {
    return Parameter{id, utf8_to_gbk(utf8)};
}

Status encode_body(const SetParameters& m, Dialect, Buffer& out) {
    if (m.params.size() > 0xFF) return too_many("too many parameters in one message", m.params.size(), 0xFF);
    for (const Parameter& p : m.params) {
        const std::size_t want = param::width(p.id);
        if (want != 0 && p.value.size() != want) {
            return Error{Errc::bad_field, "parameter value width does not match its type",
                         static_cast<std::int64_t>(want), static_cast<std::int64_t>(p.value.size())};
        }
        if (p.value.size() > 0xFF) return too_many("parameter value too long", p.value.size(), 0xFF);
    }
    ByteWriter w(out);
    w.u8(static_cast<std::uint8_t>(m.params.size()));
    for (const Parameter& p : m.params) {
        w.u32(p.id);
        w.u8(static_cast<std::uint8_t>(p.value.size()));
        w.bytes(Bytes{p.value});
    }
    return Ok{};
}

Status encode_body(const AlarmConfirm& m, Dialect, Buffer& out) {
    ByteWriter w(out);
    w.u16(m.alarm_serial);
    w.u32(m.alarm_types);
    return Ok{};
}

Status encode_body(const TextMessage& m, Dialect d, Buffer& out) {
    const auto gbk = utf8_to_gbk(m.text);
    if (gbk.size() > 1024) return too_many("text longer than 1024 GBK bytes", gbk.size(), 1024);
    ByteWriter w(out);
    w.u8(m.flag);
    if (d == Dialect::v2019) w.u8(m.text_type);
    w.bytes(Bytes{gbk});
    return Ok{};
}

Status encode_body(const SetCircleAreas& m, Dialect d, Buffer& out) {
    if (auto s = refuse_2011_geofence(d); !s) return s;
    if (m.areas.size() > 0xFF) return too_many("too many areas in one message", m.areas.size(), 0xFF);
    const bool v2019 = d == Dialect::v2019;
    ByteWriter w(out);
    w.u8(m.setting);
    w.u8(static_cast<std::uint8_t>(m.areas.size()));
    for (const CircleArea& a : m.areas) {
        w.u32(a.id);
        w.u16(area_attributes(a.attributes, a.time.has_value(), a.speed.has_value()));
        w.u32(a.center_lat_e6);
        w.u32(a.center_lon_e6);
        w.u32(a.radius_m);
        if (a.time) { put_time(w, a.time->start); put_time(w, a.time->end); }
        if (a.speed) put_speed(w, *a.speed, v2019);
        if (v2019) {
            if (auto s = put_name_2019(w, a.name); !s) return s;
        }
    }
    return Ok{};
}

Status encode_body(const SetRectangleAreas& m, Dialect d, Buffer& out) {
    if (auto s = refuse_2011_geofence(d); !s) return s;
    if (m.areas.size() > 0xFF) return too_many("too many areas in one message", m.areas.size(), 0xFF);
    const bool v2019 = d == Dialect::v2019;
    ByteWriter w(out);
    w.u8(m.setting);
    w.u8(static_cast<std::uint8_t>(m.areas.size()));
    for (const RectangleArea& a : m.areas) {
        w.u32(a.id);
        w.u16(area_attributes(a.attributes, a.time.has_value(), a.speed.has_value()));
        w.u32(a.top_left_lat_e6);
        w.u32(a.top_left_lon_e6);
        w.u32(a.bottom_right_lat_e6);
        w.u32(a.bottom_right_lon_e6);
        if (a.time) { put_time(w, a.time->start); put_time(w, a.time->end); }
        if (a.speed) put_speed(w, *a.speed, v2019);
        if (v2019) {
            if (auto s = put_name_2019(w, a.name); !s) return s;
        }
    }
    return Ok{};
}

Status encode_body(const SetPolygonArea& m, Dialect d, Buffer& out) {
    if (auto s = refuse_2011_geofence(d); !s) return s;
    if (m.vertices.size() > 0xFFFF) return too_many("too many vertices", m.vertices.size(), 0xFFFF);
    const bool v2019 = d == Dialect::v2019;
    ByteWriter w(out);
    w.u32(m.id);
    w.u16(area_attributes(m.attributes, m.time.has_value(), m.speed.has_value()));
    if (m.time) { put_time(w, m.time->start); put_time(w, m.time->end); }
    if (m.speed) put_speed(w, *m.speed, false);
    w.u16(static_cast<std::uint16_t>(m.vertices.size()));
    for (const Vertex& v : m.vertices) {
        w.u32(v.lat_e6);
        w.u32(v.lon_e6);
    }
    if (v2019) {
        if (m.speed) w.u16(m.speed->night_max_kmh);  // after the vertices in 2019
        if (auto s = put_name_2019(w, m.name); !s) return s;
    }
    return Ok{};
}

Status encode_body(const SetRoute& m, Dialect d, Buffer& out) {
    if (auto s = refuse_2011_geofence(d); !s) return s;
    if (m.corners.size() > 0xFFFF) return too_many("too many corners", m.corners.size(), 0xFFFF);
    const bool v2019 = d == Dialect::v2019;
    ByteWriter w(out);
    w.u32(m.id);
    w.u16(static_cast<std::uint16_t>(m.time ? (m.attributes | area_attr::kTimeRule)
                                            : (m.attributes & ~area_attr::kTimeRule)));
    if (m.time) { put_time(w, m.time->start); put_time(w, m.time->end); }
    w.u16(static_cast<std::uint16_t>(m.corners.size()));
    for (const RouteCorner& c : m.corners) {
        const bool times = c.too_long_s.has_value() || c.too_short_s.has_value();
        std::uint8_t attr = static_cast<std::uint8_t>(c.section_attributes & ~0x03);
        if (times) attr |= 0x01;
        if (c.speed) attr |= 0x02;
        w.u32(c.corner_id);
        w.u32(c.section_id);
        w.u32(c.lat_e6);
        w.u32(c.lon_e6);
        w.u8(c.section_width_m);
        w.u8(attr);
        if (times) {
            w.u16(c.too_long_s.value_or(0));
            w.u16(c.too_short_s.value_or(0));
        }
        if (c.speed) put_speed(w, *c.speed, v2019);
    }
    if (v2019) {
        if (auto s = put_name_2019(w, m.name); !s) return s;
    }
    return Ok{};
}

}  // namespace fleetwatch::jt808
