// What a simulated terminal puts on the wire: its identity in 0x0100/0x0102, its fixes as
// 0x0200 bodies and 0x0704 items, its driver card as 0x0702 — all through the jt808 encoders.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/sim/drive.hpp"

namespace fleetwatch::sim {

struct TerminalIdentity {
    jt808::PhoneNumber phone;
    std::string phone_key;    // normalised: digits without leading zeros
    std::string plate;        // UTF-8 (GBK on the wire)
    std::uint8_t plate_color = 0;
    jt808::Dialect dialect = jt808::Dialect::v2013;
    std::string terminal_id;  // 7 characters (2013) or up to 30 (2019)
    std::string imei;         // 15 digits (2019 authentication)

    // From the phone digits as written in the fleet file ("013900000101"); std::nullopt when
    // they are not 1-20 decimal digits.
    static std::optional<TerminalIdentity> make(std::string_view phone_digits, std::string plate,
                                                std::uint8_t plate_color, jt808::Dialect dialect);
};

// One position report as sent: what the ack log and a later 0x0704 back-fill need.
struct Report {
    core::Timestamp gps_time{};
    std::int32_t lat_e6 = 0;      // signed, WGS-84
    std::int32_t lon_e6 = 0;
    std::uint16_t speed_dkmh = 0;  // 1/10 km/h
    std::uint16_t direction = 0;
    std::uint16_t altitude_m = 0;
    std::uint32_t status = 0;
    std::uint32_t alarm = 0;
    std::uint32_t mileage_100m = 0;
};

// JT/T 808 status bits used by the simulator (JT808.md §1.7.2).
namespace status_bit {
inline constexpr std::uint32_t kAcc = 1u << 0;
inline constexpr std::uint32_t kPositioned = 1u << 1;
inline constexpr std::uint32_t kSouth = 1u << 2;
inline constexpr std::uint32_t kWest = 1u << 3;
inline constexpr std::uint32_t kGps = 1u << 18;
inline constexpr std::uint32_t kBeidou = 1u << 19;
inline constexpr std::uint32_t kMoving2019 = 1u << 22;
}  // namespace status_bit

Report report_of(const Fix& fix, core::Timestamp gps_time, jt808::Dialect dialect) noexcept;
// The 0x0200 body fields of a report (basic block + mileage, signal strength, satellites).
jt808::Location location_of(const Report& r) noexcept;

// 0x0100 for this terminal.
jt808::Status encode_registration(const TerminalIdentity& t, jt808::Buffer& body);
// 0x0102 with `code` (2019 adds the IMEI and a software version).
jt808::Status encode_authentication(const TerminalIdentity& t, std::string_view code,
                                    jt808::Buffer& body);

struct DriverCard {
    std::string name;            // UTF-8
    std::string certificate_no;  // qualification certificate (20 bytes on the wire)
    std::string license_no;      // sent as the ID-card number in 2019
    std::string issuer = "南京市交通运输局";
};
// 0x0702 card inserted (state 1, read OK) at `at`.
jt808::Status encode_card_insert(const DriverCard& card, core::Timestamp at, jt808::Dialect d,
                                 jt808::Buffer& body);

// "2013" or "2019" -> dialect (the simulator speaks these two; 2011 has no 0x0704).
std::optional<jt808::Dialect> parse_dialect(std::string_view text) noexcept;

}  // namespace fleetwatch::sim
