#include "fleetwatch/jt808/decode.hpp"

#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {

BcdTime BcdTime::parse(Bytes six) noexcept {
    BcdTime t;
    std::copy(six.begin(), six.end(), t.raw.begin());
    int v[6];
    bool ok = true;
    for (std::size_t i = 0; i < 6; ++i) {
        v[i] = bcd_byte(t.raw[i]);
        ok = ok && v[i] >= 0;
    }
    if (!ok) return t;
    t.civil = core::CivilTime{2000 + v[0], v[1], v[2], v[3], v[4], v[5]};
    t.valid = core::is_valid(t.civil);
    return t;
}

BcdTime BcdTime::from_civil(const core::CivilTime& c) noexcept {
    BcdTime t;
    t.civil = c;
    t.raw = {to_bcd_byte(c.year % 100), to_bcd_byte(c.month), to_bcd_byte(c.day),
             to_bcd_byte(c.hour),       to_bcd_byte(c.minute), to_bcd_byte(c.second)};
    t.valid = core::is_valid(c);
    return t;
}

namespace {

BcdTime read_time(ByteReader& r, const char* field) noexcept {
    const Bytes raw = r.bytes(6, field);
    return raw.size() == 6 ? BcdTime::parse(raw) : BcdTime{};
}

// ---- 0x0200 -------------------------------------------------------------------------------

void parse_extras(Bytes items, LocationExtras& x) noexcept {
    x.items = items;
    std::bitset<256> seen;
    ByteReader r(items);
    while (r.remaining() >= 2) {
        const std::size_t item_start = r.offset();
        const std::uint8_t id = r.u8("extra id");
        const std::uint8_t len = r.u8("extra length");
        if (len > r.remaining()) {
            // A length that overruns the body: keep the rest raw, keep everything before it.
            x.items = items.first(item_start);
            x.trailing = items.subspan(item_start);
            return;
        }
        const Bytes v = r.bytes(len, "extra value");
        // Only the first occurrence of an id may be decoded; later ones stay raw.
        if (seen.test(id)) continue;
        seen.set(id);
        ByteReader vr(v);
        bool took = true;
        switch (id) {
            case 0x01: if (len == 4) x.mileage_100m = vr.u32("mileage"); else took = false; break;
            case 0x02: if (len == 2) x.fuel_100ml = vr.u16("fuel"); else took = false; break;
            case 0x03: if (len == 2) x.recorder_speed_dkmh = vr.u16("speed"); else took = false; break;
            case 0x04: if (len == 2) x.alarm_event_id = vr.u16("event"); else took = false; break;
            case 0x05: if (len == 30) x.tyre_pressure = v; else took = false; break;
            case 0x06:
                if (len == 2) {
                    const std::uint16_t raw = vr.u16("temperature");
                    const auto magnitude = static_cast<std::int16_t>(raw & 0x7FFF);
                    x.compartment_temp_c = (raw & 0x8000) ? static_cast<std::int16_t>(-magnitude)
                                                          : magnitude;
                } else {
                    took = false;
                }
                break;
            case 0x11:
                if (len == 1 || len == 5) {
                    OverspeedInfo o;
                    o.location_type = vr.u8("location type");
                    if (len == 5) o.area_id = vr.u32("area id");
                    x.overspeed = o;
                } else {
                    took = false;
                }
                break;
            case 0x12:
                if (len == 6) {
                    AreaCrossing a;
                    a.location_type = vr.u8("location type");
                    a.area_id = vr.u32("area id");
                    a.direction = vr.u8("direction");
                    x.area_crossing = a;
                } else {
                    took = false;
                }
                break;
            case 0x13:
                if (len == 7) {
                    SectionTime s;
                    s.section_id = vr.u32("section id");
                    s.seconds = vr.u16("section time");
                    s.result = vr.u8("section result");
                    x.section_time = s;
                } else {
                    took = false;
                }
                break;
            case 0x25: if (len == 4) x.vehicle_signals = vr.u32("signals"); else took = false; break;
            case 0x2A: if (len == 2) x.io_status = vr.u16("io"); else took = false; break;
            case 0x2B: if (len == 4) x.analog = vr.u32("analog"); else took = false; break;
            case 0x30: if (len == 1) x.signal_strength = vr.u8("signal"); else took = false; break;
            case 0x31: if (len == 1) x.satellites = vr.u8("satellites"); else took = false; break;
            default: took = false; break;
        }
        if (took) x.decoded.set(id);
    }
    if (r.remaining() > 0) {
        x.items = items.first(r.offset());
        x.trailing = items.subspan(r.offset());
    }
}

// Fills `l`, which the caller built in place (a Location is ~300 bytes; building it inside the
// returned Expected/Body saves several copies per 0x0200 frame). Returns the error, if any.
std::optional<Error> parse_location_into(ByteReader& r, bool with_extras, Location& l) noexcept {
    l.alarm = r.u32("alarm");
    l.status = r.u32("status");
    l.lat_e6 = r.u32("latitude");
    l.lon_e6 = r.u32("longitude");
    l.altitude_m = r.u16("altitude");
    l.speed_dkmh = r.u16("speed");
    l.direction = r.u16("direction");
    l.time = read_time(r, "time");
    if (!r.ok()) return r.error();
    if (l.lat_e6 > 90'000'000) {
        return Error{Errc::bad_field, "latitude above 90 degrees", 90'000'000, l.lat_e6};
    }
    if (l.lon_e6 > 180'000'000) {
        return Error{Errc::bad_field, "longitude above 180 degrees", 180'000'000, l.lon_e6};
    }
    if (with_extras) parse_extras(r.rest(), l.extras);
    return std::nullopt;
}

Expected<Location> parse_location(ByteReader& r, bool with_extras) noexcept {
    Expected<Location> out{std::in_place};
    if (auto e = parse_location_into(r, with_extras, *out)) return *e;
    return out;
}

}  // namespace

Expected<Location> decode_location(Bytes body) noexcept {
    ByteReader r(body);
    return parse_location(r, true);
}

// ---- 0x0100 ---------------------------------------------------------------------------------

Expected<Registration> decode_registration(Bytes body, HeaderVersion version,
                                           std::optional<Dialect> dialect) noexcept {
    ByteReader r(body);
    Registration g;
    g.province = r.u16("province");
    g.city = r.u16("city");
    if (version == HeaderVersion::v2019) {
        g.dialect = Dialect::v2019;
        g.maker = trim_padding(r.bytes(11, "maker"));
        g.model = trim_padding(r.bytes(30, "model"));
        g.terminal_id = trim_padding(r.bytes(30, "terminal_id"));
    } else if (body.size() >= 37 && dialect != Dialect::v2011) {
        g.dialect = Dialect::v2013;
        g.maker = trim_padding(r.bytes(5, "maker"));
        g.model = trim_padding(r.bytes(20, "model"));
        g.terminal_id = trim_padding(r.bytes(7, "terminal_id"));
    } else {
        g.dialect = Dialect::v2011;
        g.maker = trim_padding(r.bytes(5, "maker"));
        g.model = trim_padding(r.bytes(8, "model"));
        g.terminal_id = trim_padding(r.bytes(7, "terminal_id"));
    }
    g.plate_color = r.u8("plate_color");
    g.plate = trim_padding(r.rest());
    if (!r.ok()) return r.error();
    return g;
}

// ---- 0x0702 ---------------------------------------------------------------------------------

Expected<DriverIdentity> decode_driver_identity(Bytes body, HeaderVersion version,
                                                std::optional<Dialect> dialect) noexcept {
    ByteReader r(body);
    DriverIdentity d;
    const bool v2011 = version != HeaderVersion::v2019 &&
                       (dialect == Dialect::v2011 ||
                        (!dialect && !body.empty() && body[0] != 0x01 && body[0] != 0x02));
    if (v2011) {
        d.dialect = Dialect::v2011;
        const std::uint8_t n = r.u8("driver_name length");
        d.driver_name = trim_padding(r.bytes(n, "driver_name"));
        d.id_card_no = trim_padding(r.bytes(20, "id_card_no"));
        d.certificate_no = trim_padding(r.bytes(40, "certificate_no"));
        const std::uint8_t m = r.u8("issuer length");
        d.issuer = trim_padding(r.bytes(m, "issuer"));
        if (!r.ok()) return r.error();
        return d;
    }
    d.dialect = version == HeaderVersion::v2019 ? Dialect::v2019 : Dialect::v2013;
    d.state = r.u8("state");
    d.time = read_time(r, "time");
    if (!r.ok()) return r.error();
    if (d.state != 0x01 && d.state != 0x02) {
        return Error{Errc::bad_field, "driver card state is neither 1 (in) nor 2 (out)", -1, d.state};
    }
    if (d.state == 0x02 || r.empty()) return d;  // card out: state and time only
    d.ic_result = r.u8("ic_result");
    if (*d.ic_result != 0 || r.empty()) return d;
    const std::uint8_t n = r.u8("driver_name length");
    d.driver_name = trim_padding(r.bytes(n, "driver_name"));
    d.certificate_no = trim_padding(r.bytes(20, "certificate_no"));
    const std::uint8_t m = r.u8("issuer length");
    d.issuer = trim_padding(r.bytes(m, "issuer"));
    const Bytes expiry = r.bytes(4, "certificate_expiry");
    if (!r.ok()) return r.error();
    const int c = bcd_byte(expiry[0]), y = bcd_byte(expiry[1]), mo = bcd_byte(expiry[2]),
              da = bcd_byte(expiry[3]);
    const core::CivilTime e{c * 100 + y, mo, da, 0, 0, 0};
    if (c >= 0 && y >= 0 && mo >= 0 && da >= 0 && core::is_valid(e)) {
        d.certificate_expiry = e;
    } else {
        d.certificate_expiry_invalid = true;
    }
    if (d.dialect == Dialect::v2019 && r.remaining() >= 20) {
        d.id_card_no = trim_padding(r.bytes(20, "id_card_no"));
    }
    return d;
}

// ---- Iterators ------------------------------------------------------------------------------

std::optional<ParameterView> ParameterIterator::next() noexcept {
    if (reader_.empty() || !reader_.ok()) return std::nullopt;
    ParameterView p;
    p.id = reader_.u32("parameter id");
    const std::uint8_t len = reader_.u8("parameter length");
    p.value = reader_.bytes(len, "parameter value");
    if (!reader_.ok()) return std::nullopt;
    return p;
}

std::optional<Expected<Location>> LocationBatchIterator::next() noexcept {
    if (stopped_) return std::nullopt;
    if (left_ == 0) {
        stopped_ = true;
        if (!reader_.empty()) {
            return Expected<Location>{Error{Errc::bad_length,
                                            "batch carries bytes after its declared items", -1,
                                            static_cast<std::int64_t>(reader_.remaining())}};
        }
        return std::nullopt;
    }
    --left_;
    const std::uint16_t len = reader_.u16("batch item length");
    const Bytes item = reader_.bytes(len, "batch item");
    if (!reader_.ok()) {
        stopped_ = true;
        return Expected<Location>{Error{Errc::truncated,
                                        "batch item length runs past the body (items lost: "
                                        "count below)",
                                        -1, left_ + 1}};
    }
    return decode_location(item);
}

// ---- Dispatcher ----------------------------------------------------------------------------

namespace {

template <class T>
Expected<Body> finish(ByteReader& r, T value) {
    if (!r.ok()) return r.error();
    return Body{std::move(value)};
}

std::string read_gbk(Bytes b) { return gbk_to_utf8(b); }

Expected<AreaTimeWindow> read_window(ByteReader& r) {
    AreaTimeWindow w;
    w.start = read_time(r, "start_time");
    w.end = read_time(r, "end_time");
    return w;
}

std::string read_name_2019(ByteReader& r) {
    const std::uint16_t n = r.u16("name length");
    return read_gbk(r.bytes(n, "name"));
}

ResendRequest read_resend(ByteReader& r, HeaderVersion v) {
    ResendRequest q;
    q.first_serial = r.u16("first_serial");
    const std::uint16_t count = v == HeaderVersion::v2019 ? r.u16("count") : r.u8("count");
    if (r.remaining() < std::size_t{count} * 2) {
        r.fail("package ids (count promises more than the body holds)");
        return q;
    }
    q.package_ids.reserve(count);
    for (std::uint16_t i = 0; i < count; ++i) q.package_ids.push_back(r.u16("package id"));
    return q;
}

AreaSpeedLimit read_speed(ByteReader& r, bool night) {
    AreaSpeedLimit s;
    s.max_kmh = r.u16("max_speed");
    s.overspeed_seconds = r.u8("overspeed_duration");
    if (night) s.night_max_kmh = r.u16("night_max_speed");
    return s;
}

Expected<Body> decode_known(const Header& h, Bytes body, const DecodeOptions& opt) {
    ByteReader r(body);
    const bool v2019 = h.version == HeaderVersion::v2019;
    switch (h.msg_id) {
        case msg_id::kTerminalResponse:
        case msg_id::kPlatformResponse: {
            GeneralResponse g;
            g.reply_serial = r.u16("reply_serial");
            g.reply_msg_id = r.u16("reply_msg_id");
            g.result = r.u8("result");
            if (h.msg_id == msg_id::kTerminalResponse) return finish(r, TerminalResponse{g});
            return finish(r, PlatformResponse{g});
        }
        case msg_id::kHeartbeat: return Body{Heartbeat{}};
        case msg_id::kUnregister: return Body{Unregister{}};
        case msg_id::kTimeQuery: return Body{TimeQuery{}};
        case msg_id::kTerminalResendRequest:
            return finish(r, TerminalResendRequest{read_resend(r, h.version)});
        case msg_id::kResendRequest:
            return finish(r, PlatformResendRequest{read_resend(r, h.version)});
        case msg_id::kRegister: {
            auto g = decode_registration(body, h.version, opt.dialect);
            if (!g) return g.error();
            return Body{*g};
        }
        case msg_id::kAuthenticate: {
            Authentication a;
            if (v2019) {
                const std::uint8_t n = r.u8("auth_code length");
                a.auth_code = r.bytes(n, "auth_code");
                a.imei = trim_padding(r.bytes(15, "imei"));
                a.software_version = trim_padding(r.bytes(20, "software_version"));
            } else {
                a.auth_code = r.rest();
            }
            return finish(r, a);
        }
        case msg_id::kParameterQueryResponse: {
            ParameterQueryResponse p;
            p.reply_serial = r.u16("reply_serial");
            p.count = r.u8("count");
            p.items = r.rest();
            ParameterIterator it(p.items);
            std::size_t n = 0;
            while (it.next()) ++n;
            if (!it.ok()) return Error{Errc::truncated, "parameter item runs past the body"};
            // A sub-packaged 0x0104 carries the total count in its first fragment only, so a
            // count above the items present is not an error; items beyond the count are.
            if (n > p.count && p.count != 0) {
                return Error{Errc::bad_field, "more parameter items than the count", p.count,
                             static_cast<std::int64_t>(n)};
            }
            return finish(r, p);
        }
        case msg_id::kLocation: {
            Expected<Body> out{std::in_place, std::in_place_type<Location>};
            if (auto e = parse_location_into(r, true, std::get<Location>(*out))) return *e;
            return out;
        }
        case msg_id::kLocationQueryResponse: {
            LocationQueryResponse q;
            q.reply_serial = r.u16("reply_serial");
            auto l = parse_location(r, true);
            if (!l) return l.error();
            q.location = *l;
            return Body{q};
        }
        case msg_id::kLocationBatch: {
            LocationBatch b;
            b.count = r.u16("count");
            b.type = r.u8("type");
            b.items = r.rest();
            if (!r.ok()) return r.error();
            if (b.type > 1) return Error{Errc::bad_field, "batch type is neither 0 nor 1", 1, b.type};
            return Body{b};
        }
        case msg_id::kDriverIdentity: {
            auto d = decode_driver_identity(body, h.version, opt.dialect);
            if (!d) return d.error();
            return Body{*d};
        }
        case msg_id::kMultimediaEvent:
        case msg_id::kMultimediaData: {
            MultimediaEvent e;
            e.media_id = r.u32("media_id");
            e.media_type = r.u8("media_type");
            e.format = r.u8("format");
            e.event = r.u8("event");
            e.channel = r.u8("channel");
            if (h.msg_id == msg_id::kMultimediaEvent) return finish(r, e);
            MultimediaData m;
            m.event = e;
            if (!r.ok()) return r.error();
            if (r.remaining() >= 28) {
                auto l = parse_location(r, false);
                if (l) m.location = *l;
            }
            m.data = r.rest();
            return Body{m};
        }
        case msg_id::kPassthrough: {
            Passthrough p;
            p.type = r.u8("type");
            p.data = r.rest();
            return finish(r, p);
        }
        case msg_id::kServerTime: {
            ServerTime t;
            const BcdTime b = read_time(r, "time");
            if (!r.ok()) return r.error();
            if (!b.valid) return Error{Errc::bad_field, "server time is not a valid BCD time"};
            t.utc = b.civil;
            return Body{t};
        }
        case msg_id::kRegisterResponse: {
            RegistrationResponse g;
            g.reply_serial = r.u16("reply_serial");
            g.result = r.u8("result");
            const Bytes code = r.rest();
            g.auth_code.assign(code.begin(), code.end());
            return finish(r, g);
        }
        case msg_id::kSetParameters: {
            SetParameters s;
            const std::uint8_t count = r.u8("count");
            ParameterIterator it(r.rest());
            while (auto p = it.next()) s.params.push_back(Parameter{p->id, {p->value.begin(), p->value.end()}});
            if (!it.ok()) return Error{Errc::truncated, "parameter item runs past the body"};
            if (s.params.size() != count) {
                return Error{Errc::bad_field, "parameter count disagrees with the items", count,
                             static_cast<std::int64_t>(s.params.size())};
            }
            return finish(r, s);
        }
        case msg_id::kLocationQuery: return Body{LocationQuery{}};
        case msg_id::kAlarmConfirm: {
            AlarmConfirm a;
            a.alarm_serial = r.u16("alarm_serial");
            a.alarm_types = r.u32("alarm_types");
            return finish(r, a);
        }
        case msg_id::kText: {
            TextMessage t;
            t.flag = r.u8("flag");
            if (v2019) t.text_type = r.u8("text_type");
            t.text = read_gbk(r.rest());
            return finish(r, t);
        }
        case msg_id::kSetCircleAreas: {
            SetCircleAreas s;
            s.setting = r.u8("setting");
            const std::uint8_t count = r.u8("count");
            for (std::uint8_t i = 0; i < count && r.ok(); ++i) {
                CircleArea a;
                a.id = r.u32("area id");
                a.attributes = r.u16("attributes");
                a.center_lat_e6 = r.u32("center latitude");
                a.center_lon_e6 = r.u32("center longitude");
                a.radius_m = r.u32("radius");
                if (a.attributes & area_attr::kTimeRule) a.time = *read_window(r);
                if (a.attributes & area_attr::kSpeedRule) a.speed = read_speed(r, v2019);
                if (v2019) a.name = read_name_2019(r);
                s.areas.push_back(std::move(a));
            }
            return finish(r, std::move(s));
        }
        case msg_id::kSetRectangleAreas: {
            SetRectangleAreas s;
            s.setting = r.u8("setting");
            const std::uint8_t count = r.u8("count");
            for (std::uint8_t i = 0; i < count && r.ok(); ++i) {
                RectangleArea a;
                a.id = r.u32("area id");
                a.attributes = r.u16("attributes");
                a.top_left_lat_e6 = r.u32("top-left latitude");
                a.top_left_lon_e6 = r.u32("top-left longitude");
                a.bottom_right_lat_e6 = r.u32("bottom-right latitude");
                a.bottom_right_lon_e6 = r.u32("bottom-right longitude");
                if (a.attributes & area_attr::kTimeRule) a.time = *read_window(r);
                if (a.attributes & area_attr::kSpeedRule) a.speed = read_speed(r, v2019);
                if (v2019) a.name = read_name_2019(r);
                s.areas.push_back(std::move(a));
            }
            return finish(r, std::move(s));
        }
        case msg_id::kSetPolygonArea: {
            SetPolygonArea p;
            p.id = r.u32("area id");
            p.attributes = r.u16("attributes");
            if (p.attributes & area_attr::kTimeRule) p.time = *read_window(r);
            if (p.attributes & area_attr::kSpeedRule) p.speed = read_speed(r, false);
            const std::uint16_t n = r.u16("vertex count");
            if (r.remaining() < std::size_t{n} * 8) r.fail("vertices (count promises more)");
            for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
                Vertex v;
                v.lat_e6 = r.u32("vertex latitude");
                v.lon_e6 = r.u32("vertex longitude");
                p.vertices.push_back(v);
            }
            if (v2019) {
                if (p.speed) p.speed->night_max_kmh = r.u16("night_max_speed");
                p.name = read_name_2019(r);
            }
            return finish(r, std::move(p));
        }
        case msg_id::kSetRoute: {
            SetRoute s;
            s.id = r.u32("route id");
            s.attributes = r.u16("attributes");
            if (s.attributes & area_attr::kTimeRule) s.time = *read_window(r);
            const std::uint16_t n = r.u16("corner count");
            for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
                RouteCorner c;
                c.corner_id = r.u32("corner id");
                c.section_id = r.u32("section id");
                c.lat_e6 = r.u32("corner latitude");
                c.lon_e6 = r.u32("corner longitude");
                c.section_width_m = r.u8("section width");
                c.section_attributes = r.u8("section attributes");
                if (c.section_attributes & 0x01) {
                    c.too_long_s = r.u16("too-long threshold");
                    c.too_short_s = r.u16("too-short threshold");
                }
                if (c.section_attributes & 0x02) c.speed = read_speed(r, v2019);
                s.corners.push_back(c);
            }
            if (v2019) s.name = read_name_2019(r);
            return finish(r, std::move(s));
        }
        default: return Body{RawBody{body}};
    }
}

}  // namespace

Expected<Body> decode_body(const Header& header, Bytes body, const DecodeOptions& options) {
    if (header.encryption != 0) {
        // We hold no RSA key. Bodies we would decode are refused with the reason; bodies we keep
        // raw anyway (vendor ids) stay raw.
        Header probe_header;
        probe_header.msg_id = header.msg_id;
        auto probe = decode_known(probe_header, Bytes{}, options);
        if (probe && std::holds_alternative<RawBody>(*probe)) return Body{RawBody{body}};
        return Error{Errc::encrypted_body, "body is encrypted (attribute bits 10-12)", -1,
                     header.encryption};
    }
    return decode_known(header, body, options);
}

Dialect dialect_of(const Header& header, const Body& body) noexcept {
    if (header.version == HeaderVersion::v2019) return Dialect::v2019;
    if (const auto* g = std::get_if<Registration>(&body)) return g->dialect;
    if (const auto* d = std::get_if<DriverIdentity>(&body)) return d->dialect;
    return Dialect::v2013;
}

}  // namespace fleetwatch::jt808
