#include "fleetwatch/jt808/json.hpp"

#include <cstdio>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {

using json = Json;

std::string msg_id_hex(std::uint16_t id) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04X", id);
    return buf;
}

namespace {

std::string hex8(std::uint8_t id) {
    char buf[6];
    std::snprintf(buf, sizeof buf, "0x%02X", id);
    return buf;
}

std::string text(Bytes b) { return gbk_to_utf8(b); }

json time_json(const BcdTime& t, std::chrono::seconds offset) {
    if (!t.valid) return nullptr;
    return core::format_rfc3339(t.instant(offset));
}

json window_json(const std::optional<AreaTimeWindow>& w) {
    if (!w) return nullptr;
    // Area windows may be daily (00-00-00 date), so they are shown as sent, not as instants.
    return json{{"start", to_hex(Bytes{w->start.raw})}, {"end", to_hex(Bytes{w->end.raw})}};
}

json speed_json(const std::optional<AreaSpeedLimit>& s, bool v2019) {
    if (!s) return nullptr;
    json j{{"max_kmh", s->max_kmh}, {"overspeed_s", s->overspeed_seconds}};
    if (v2019) j["night_max_kmh"] = s->night_max_kmh;
    return j;
}

double degrees(std::int32_t e6) { return static_cast<double>(e6) / 1e6; }

json extras_json(const LocationExtras& x) {
    json j = json::object();
    if (x.mileage_100m) j["mileage_km"] = *x.mileage_100m / 10.0;
    if (x.fuel_100ml) j["fuel_l"] = *x.fuel_100ml / 10.0;
    if (x.recorder_speed_dkmh) j["recorder_speed_kmh"] = *x.recorder_speed_dkmh / 10.0;
    if (x.alarm_event_id) j["alarm_event_id"] = *x.alarm_event_id;
    if (x.tyre_pressure) {
        json a = json::array();
        for (const std::uint8_t p : *x.tyre_pressure) a.push_back(p == 0xFF ? json(nullptr) : json(p));
        j["tyre_pressure_pa"] = a;
    }
    if (x.compartment_temp_c) j["compartment_temp_c"] = *x.compartment_temp_c;
    if (x.overspeed) {
        j["overspeed"] = {{"location_type", x.overspeed->location_type}};
        if (x.overspeed->area_id) j["overspeed"]["area_id"] = *x.overspeed->area_id;
    }
    if (x.area_crossing) {
        j["area_crossing"] = {{"location_type", x.area_crossing->location_type},
                              {"area_id", x.area_crossing->area_id},
                              {"direction", x.area_crossing->direction == 0 ? "in" : "out"}};
    }
    if (x.section_time) {
        j["section_time"] = {{"section_id", x.section_time->section_id},
                             {"seconds", x.section_time->seconds},
                             {"result", x.section_time->result == 0 ? "too_short" : "too_long"}};
    }
    if (x.vehicle_signals) j["vehicle_signals"] = *x.vehicle_signals;
    if (x.io_status) j["io_status"] = *x.io_status;
    if (x.analog) j["analog"] = {{"ad0", *x.analog & 0xFFFF}, {"ad1", *x.analog >> 16}};
    if (x.signal_strength) j["signal_strength"] = *x.signal_strength;
    if (x.satellites) j["satellites"] = *x.satellites;
    json raw = json::array();
    x.for_each_raw([&raw](const ExtraItem& item) {
        raw.push_back({{"id", hex8(item.id)}, {"hex", to_hex(item.value)}});
    });
    if (!raw.empty()) j["raw"] = std::move(raw);
    if (!x.trailing.empty()) j["trailing_hex"] = to_hex(x.trailing);
    return j;
}

void general_json(json& j, const GeneralResponse& g) {
    j["reply_serial"] = g.reply_serial;
    j["reply_msg_id"] = msg_id_hex(g.reply_msg_id);
    j["result"] = g.result;
}

json params_json(ParameterIterator it) {
    json a = json::array();
    while (auto p = it.next()) {
        json item{{"id", msg_id_hex(static_cast<std::uint16_t>(p->id))}, {"hex", to_hex(p->value)}};
        if (p->id > 0xFFFF) item["id"] = "0x" + to_hex(Bytes{std::array<std::uint8_t, 4>{
                                  static_cast<std::uint8_t>(p->id >> 24), static_cast<std::uint8_t>(p->id >> 16),
                                  static_cast<std::uint8_t>(p->id >> 8), static_cast<std::uint8_t>(p->id)}});
        ByteReader r(p->value);
        switch (p->value.size()) {
            case 1: item["value"] = r.u8("v"); break;
            case 2: item["value"] = r.u16("v"); break;
            case 4: item["value"] = r.u32("v"); break;
            default: break;
        }
        a.push_back(std::move(item));
    }
    return a;
}

struct BodyVisitor {
    bool v2019 = false;

    json operator()(const RawBody& b) const { return {{"raw", to_hex(b.data)}}; }
    json operator()(const TerminalResponse& m) const { json j; general_json(j, m); return j; }
    json operator()(const PlatformResponse& m) const { json j; general_json(j, m); return j; }
    json operator()(const Heartbeat&) const { return json::object(); }
    json operator()(const Unregister&) const { return json::object(); }
    json operator()(const TimeQuery&) const { return json::object(); }
    json operator()(const LocationQuery&) const { return json::object(); }
    json operator()(const TerminalResendRequest& m) const { return resend(m); }
    json operator()(const PlatformResendRequest& m) const { return resend(m); }
    static json resend(const ResendRequest& m) {
        return {{"first_serial", m.first_serial}, {"package_ids", m.package_ids}};
    }
    json operator()(const Registration& g) const {
        return {{"dialect", to_string(g.dialect)}, {"province", g.province}, {"city", g.city},
                {"maker", text(g.maker)},          {"model", text(g.model)},
                {"terminal_id", text(g.terminal_id)}, {"plate_color", g.plate_color},
                {"plate", text(g.plate)}};
    }
    json operator()(const Authentication& a) const {
        json j{{"auth_code", text(a.auth_code)}};
        if (v2019) {
            j["imei"] = text(a.imei);
            j["software_version"] = text(a.software_version);
        }
        return j;
    }
    json operator()(const ParameterQueryResponse& p) const {
        return {{"reply_serial", p.reply_serial}, {"count", p.count},
                {"params", params_json(ParameterIterator(p.items))}};
    }
    json operator()(const Location& l) const { return location_to_json(l); }
    json operator()(const LocationQueryResponse& q) const {
        json j = location_to_json(q.location);
        j["reply_serial"] = q.reply_serial;
        return j;
    }
    json operator()(const LocationBatch& b) const {
        json items = json::array();
        LocationBatchIterator it(b);
        while (auto item = it.next()) {
            if (*item) {
                items.push_back(location_to_json(**item));
            } else {
                items.push_back({{"error", to_string(item->error().code)},
                                 {"message", item->error().message()}});
            }
        }
        return {{"count", b.count}, {"type", b.type}, {"items", std::move(items)}};
    }
    json operator()(const DriverIdentity& d) const {
        json j{{"dialect", to_string(d.dialect)}, {"state", d.state}};
        if (d.dialect != Dialect::v2011) j["time"] = time_json(d.time, core::kChinaUtcOffset);
        if (d.ic_result) j["ic_result"] = *d.ic_result;
        if (!d.driver_name.empty() || d.dialect == Dialect::v2011 || d.ic_result == 0) {
            j["driver_name"] = text(d.driver_name);
            j["certificate_no"] = text(d.certificate_no);
            j["issuer"] = text(d.issuer);
        }
        if (d.certificate_expiry) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.certificate_expiry->year,
                          d.certificate_expiry->month, d.certificate_expiry->day);
            j["certificate_expiry"] = buf;
        } else if (d.certificate_expiry_invalid) {
            j["certificate_expiry"] = nullptr;
        }
        if (!d.id_card_no.empty()) j["id_card_no"] = text(d.id_card_no);
        return j;
    }
    static json event_json(const MultimediaEvent& e) {
        return {{"media_id", e.media_id}, {"media_type", e.media_type}, {"format", e.format},
                {"event", e.event}, {"channel", e.channel}};
    }
    json operator()(const MultimediaEvent& e) const { return event_json(e); }
    json operator()(const MultimediaData& m) const {
        json j = event_json(m.event);
        if (m.location) j["location"] = location_to_json(*m.location);
        j["data_length"] = m.data.size();
        return j;
    }
    json operator()(const Passthrough& p) const {
        return {{"type", p.type}, {"data_hex", to_hex(p.data)}};
    }
    json operator()(const ServerTime& t) const {
        return {{"time", core::format_rfc3339(core::to_timestamp(t.utc, std::chrono::seconds{0}))}};
    }
    json operator()(const RegistrationResponse& g) const {
        json j{{"reply_serial", g.reply_serial}, {"result", g.result}};
        if (g.result == 0) j["auth_code"] = g.auth_code;
        return j;
    }
    json operator()(const SetParameters& s) const {
        std::vector<std::uint8_t> wire;
        for (const Parameter& p : s.params) {
            ByteWriter w(wire);
            w.u32(p.id);
            w.u8(static_cast<std::uint8_t>(p.value.size()));
            w.bytes(Bytes{p.value});
        }
        return {{"count", s.params.size()}, {"params", params_json(ParameterIterator(wire))}};
    }
    json operator()(const AlarmConfirm& a) const {
        return {{"alarm_serial", a.alarm_serial}, {"alarm_types", a.alarm_types}};
    }
    json operator()(const TextMessage& t) const {
        json j{{"flag", t.flag}, {"tts", (t.flag & TextMessage::kFlagTts) != 0},
               {"display", (t.flag & TextMessage::kFlagDisplay) != 0}, {"text", t.text}};
        if (v2019) j["text_type"] = t.text_type;
        return j;
    }
    template <class Area>
    json area_common(const Area& a) const {
        json j{{"id", a.id}, {"attributes", a.attributes}, {"time", window_json(a.time)},
               {"speed", speed_json(a.speed, v2019)}};
        if (v2019) j["name"] = a.name;
        return j;
    }
    json operator()(const SetCircleAreas& s) const {
        json areas = json::array();
        for (const CircleArea& a : s.areas) {
            json j = area_common(a);
            j["center"] = {{"lat_e6", a.center_lat_e6}, {"lon_e6", a.center_lon_e6}};
            j["radius_m"] = a.radius_m;
            areas.push_back(std::move(j));
        }
        return {{"setting", s.setting}, {"areas", std::move(areas)}};
    }
    json operator()(const SetRectangleAreas& s) const {
        json areas = json::array();
        for (const RectangleArea& a : s.areas) {
            json j = area_common(a);
            j["top_left"] = {{"lat_e6", a.top_left_lat_e6}, {"lon_e6", a.top_left_lon_e6}};
            j["bottom_right"] = {{"lat_e6", a.bottom_right_lat_e6}, {"lon_e6", a.bottom_right_lon_e6}};
            areas.push_back(std::move(j));
        }
        return {{"setting", s.setting}, {"areas", std::move(areas)}};
    }
    json operator()(const SetPolygonArea& p) const {
        json j = area_common(p);
        json v = json::array();
        for (const Vertex& x : p.vertices) v.push_back({{"lat_e6", x.lat_e6}, {"lon_e6", x.lon_e6}});
        j["vertices"] = std::move(v);
        return j;
    }
    json operator()(const SetRoute& r) const {
        json corners = json::array();
        for (const RouteCorner& c : r.corners) {
            json j{{"corner_id", c.corner_id},       {"section_id", c.section_id},
                   {"lat_e6", c.lat_e6},             {"lon_e6", c.lon_e6},
                   {"section_width_m", c.section_width_m},
                   {"section_attributes", c.section_attributes},
                   {"speed", speed_json(c.speed, v2019)}};
            if (c.too_long_s) j["too_long_s"] = *c.too_long_s;
            if (c.too_short_s) j["too_short_s"] = *c.too_short_s;
            corners.push_back(std::move(j));
        }
        json j{{"id", r.id}, {"attributes", r.attributes}, {"time", window_json(r.time)},
               {"corners", std::move(corners)}};
        if (v2019) j["name"] = r.name;
        return j;
    }
};

}  // namespace

json location_to_json(const Location& l) {
    json j{{"alarm", l.alarm},
           {"status", l.status},
           {"valid", l.positioned()},
           {"lat", degrees(l.lat_signed_e6())},
           {"lon", degrees(l.lon_signed_e6())},
           {"altitude_m", l.altitude_m},
           {"speed_kmh", l.speed_dkmh / 10.0},
           {"direction", l.direction},
           {"time", time_json(l.time, core::kChinaUtcOffset)}};
    if (!l.time.valid) j["time_raw"] = to_hex(Bytes{l.time.raw});
    if (l.encrypted()) j["encrypted"] = true;
    j["extras"] = extras_json(l.extras);
    return j;
}

json body_to_json(const Body& body) { return std::visit(BodyVisitor{}, body); }

json frame_to_json(const Header& h, const Body& body) {
    const bool v2019 = h.version == HeaderVersion::v2019;
    json j{{"ok", true},
           {"msg_id", msg_id_hex(h.msg_id)},
           {"version", std::string(to_string(dialect_of(h, body)))},
           {"phone", std::string(h.phone.digits())},
           {"phone_key", std::string(h.phone.key())},
           {"serial", h.serial}};
    if (v2019) j["protocol_version"] = h.protocol_version;
    if (h.package) j["package"] = {{"total", h.package->total}, {"index", h.package->index}};
    if (h.misflagged_2019) j["misflagged_2019"] = true;
    if (h.phone_not_bcd) j["phone_not_bcd"] = true;
    if (h.encryption != 0) j["encryption"] = h.encryption;
    j["body"] = std::visit(BodyVisitor{v2019}, body);
    return j;
}

json error_to_json(const Error& e) {
    return {{"ok", false}, {"error", std::string(to_string(e.code))}, {"message", e.message()}};
}

}  // namespace fleetwatch::jt808
