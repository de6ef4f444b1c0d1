#include "fleetwatch/sim/wire.hpp"

#include <algorithm>
#include <cmath>

#include "fleetwatch/jt808/text.hpp"
#include "fleetwatch/sim/gps_clock.hpp"

namespace fleetwatch::sim {
namespace {

constexpr std::uint16_t kProvinceJiangsu = 32;  // GB/T 2260 320100 Nanjing
constexpr std::uint16_t kCityNanjing = 100;
constexpr std::string_view kMaker = "FWSIM";
constexpr std::string_view kModel = "fleetwatch-sim";
constexpr std::string_view kSoftware = "fleetwatch-sim 0.1";

std::int32_t to_e6(double deg) noexcept { return static_cast<std::int32_t>(std::lround(deg * 1e6)); }

}  // namespace

std::optional<TerminalIdentity> TerminalIdentity::make(std::string_view phone_digits, std::string plate,
                                                       std::uint8_t plate_color, jt808::Dialect dialect) {
    if (phone_digits.empty() || phone_digits.size() > 20 ||
        !std::all_of(phone_digits.begin(), phone_digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    auto phone = jt808::PhoneNumber::from_digits(phone_digits);
    if (!phone) return std::nullopt;
    TerminalIdentity t;
    t.phone = *phone;
    t.phone_key = std::string(phone->key());
    t.plate = std::move(plate);
    t.plate_color = plate_color;
    t.dialect = dialect;
    // Terminal id: "S" + the last 6 digits of the phone (7 bytes, the 2013 width).
    std::string digits(phone_digits);
    if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
    t.terminal_id = "S" + digits.substr(digits.size() - 6);
    // A 15-digit IMEI-like number derived from the phone (2019 authentication).
    std::string imei = "86" + digits;
    if (imei.size() < 15) imei.append(15 - imei.size(), '0');
    t.imei = imei.substr(0, 15);
    return t;
}

Report report_of(const Fix& fix, core::Timestamp gps_time, jt808::Dialect dialect) noexcept {
    Report r;
    r.gps_time = gps_time;
    r.lat_e6 = to_e6(fix.position.lat);
    r.lon_e6 = to_e6(fix.position.lon);
    r.speed_dkmh = static_cast<std::uint16_t>(std::clamp(std::lround(fix.speed_kmh * 10), 0L, 65535L));
    r.direction = static_cast<std::uint16_t>(std::lround(fix.heading_deg) % 360);
    r.altitude_m = 20;
    r.status = status_bit::kPositioned | status_bit::kGps | status_bit::kBeidou;
    if (fix.phase == Phase::driving) r.status |= status_bit::kAcc;
    if (dialect == jt808::Dialect::v2019 && fix.speed_kmh >= 1.0) r.status |= status_bit::kMoving2019;
    if (r.lat_e6 < 0) r.status |= status_bit::kSouth;
    if (r.lon_e6 < 0) r.status |= status_bit::kWest;
    r.mileage_100m = static_cast<std::uint32_t>(fix.odometer_m / 100.0);
    return r;
}

jt808::Location location_of(const Report& r) noexcept {
    jt808::Location l;
    l.alarm = r.alarm;
    l.status = r.status;
    l.lat_e6 = static_cast<std::uint32_t>(std::abs(r.lat_e6));
    l.lon_e6 = static_cast<std::uint32_t>(std::abs(r.lon_e6));
    l.altitude_m = r.altitude_m;
    l.speed_dkmh = r.speed_dkmh;
    l.direction = r.direction;
    l.time = to_bcd_gmt8(r.gps_time);
    l.extras.mileage_100m = r.mileage_100m;
    l.extras.signal_strength = 25;
    l.extras.satellites = 12;
    return l;
}

jt808::Status encode_registration(const TerminalIdentity& t, jt808::Buffer& body) {
    const std::vector<std::uint8_t> plate = jt808::utf8_to_gbk(t.plate);
    jt808::Registration r;
    r.dialect = t.dialect;
    r.province = kProvinceJiangsu;
    r.city = kCityNanjing;
    r.maker = jt808::as_bytes(kMaker);
    r.model = jt808::as_bytes(kModel);
    r.terminal_id = jt808::as_bytes(t.terminal_id);
    r.plate_color = t.plate_color;
    r.plate = plate;
    return jt808::encode_body(r, t.dialect, body);
}

jt808::Status encode_authentication(const TerminalIdentity& t, std::string_view code, jt808::Buffer& body) {
    jt808::Authentication a;
    a.auth_code = jt808::as_bytes(code);
    if (t.dialect == jt808::Dialect::v2019) {
        a.imei = jt808::as_bytes(t.imei);
        a.software_version = jt808::as_bytes(kSoftware);
    }
    return jt808::encode_body(a, t.dialect, body);
}

jt808::Status encode_card_insert(const DriverCard& card, core::Timestamp at, jt808::Dialect d,
                                 jt808::Buffer& body) {
    const std::vector<std::uint8_t> name = jt808::utf8_to_gbk(card.name);
    const std::vector<std::uint8_t> issuer = jt808::utf8_to_gbk(card.issuer);
    jt808::DriverIdentity m;
    m.dialect = d;
    m.state = 0x01;
    m.time = to_bcd_gmt8(at);
    m.ic_result = 0;
    m.driver_name = name;
    m.certificate_no = jt808::as_bytes(card.certificate_no);
    m.issuer = issuer;
    const core::CivilTime now = core::to_civil(at, core::kChinaUtcOffset);
    m.certificate_expiry = core::CivilTime{now.year + 5, 12, 31, 0, 0, 0};
    m.id_card_no = jt808::as_bytes(card.license_no);
    return jt808::encode_body(m, d, body);
}

std::optional<jt808::Dialect> parse_dialect(std::string_view text) noexcept {
    if (text == "2013") return jt808::Dialect::v2013;
    if (text == "2019") return jt808::Dialect::v2019;
    return std::nullopt;
}

}  // namespace fleetwatch::sim
