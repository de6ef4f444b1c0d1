// Typed JT/T 808 message bodies (JT808.md §1.4-§1.12).
//
// Uplink bodies (terminal -> platform) are *views*: their `Bytes` fields point into the frame
// they were decoded from and are valid only as long as that buffer (for the Framer, until the
// next `feed`). Decoding them never allocates. Text fields are raw GBK bytes; `gbk_to_utf8`
// (text.hpp) converts them when needed.
//
// Downlink bodies (platform -> terminal) are owning values the platform builds, so they use
// std::string (UTF-8) and std::vector. The same structs come out of `decode_body` when a
// captured downlink frame is decoded, which is what makes encode->decode round trips testable.
//
// Units follow the wire unless the name says otherwise: coordinates in 1e-6 degrees (unsigned,
// hemisphere in status/attribute bits), speed in 0.1 km/h for 0x0200, km/h for area limits.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/bytes.hpp"
#include "fleetwatch/jt808/frame.hpp"

namespace fleetwatch::jt808 {

namespace msg_id {
inline constexpr std::uint16_t kTerminalResponse = 0x0001;
inline constexpr std::uint16_t kHeartbeat = 0x0002;
inline constexpr std::uint16_t kUnregister = 0x0003;
inline constexpr std::uint16_t kTimeQuery = 0x0004;
inline constexpr std::uint16_t kTerminalResendRequest = 0x0005;
inline constexpr std::uint16_t kRegister = 0x0100;
inline constexpr std::uint16_t kAuthenticate = 0x0102;
inline constexpr std::uint16_t kParameterQueryResponse = 0x0104;
inline constexpr std::uint16_t kLocation = 0x0200;
inline constexpr std::uint16_t kLocationQueryResponse = 0x0201;
inline constexpr std::uint16_t kDriverIdentity = 0x0702;
inline constexpr std::uint16_t kLocationBatch = 0x0704;
inline constexpr std::uint16_t kMultimediaEvent = 0x0800;
inline constexpr std::uint16_t kMultimediaData = 0x0801;
inline constexpr std::uint16_t kPassthrough = 0x0900;
inline constexpr std::uint16_t kPlatformResponse = 0x8001;
inline constexpr std::uint16_t kResendRequest = 0x8003;
inline constexpr std::uint16_t kServerTime = 0x8004;
inline constexpr std::uint16_t kRegisterResponse = 0x8100;
inline constexpr std::uint16_t kSetParameters = 0x8103;
inline constexpr std::uint16_t kLocationQuery = 0x8201;
inline constexpr std::uint16_t kAlarmConfirm = 0x8203;
inline constexpr std::uint16_t kText = 0x8300;
inline constexpr std::uint16_t kSetCircleAreas = 0x8600;
inline constexpr std::uint16_t kSetRectangleAreas = 0x8602;
inline constexpr std::uint16_t kSetPolygonArea = 0x8604;
inline constexpr std::uint16_t kSetRoute = 0x8606;
}  // namespace msg_id

// A BCD[6] YYMMDDhhmmss time as sent. `valid` is false for all-zero or out-of-range values
// (JT808.md §1.7: an invalid time means "no fix time", never an error).
struct BcdTime {
    std::array<std::uint8_t, 6> raw{};
    bool valid = false;
    core::CivilTime civil;  // meaningful when valid; year is 2000 + YY

    static BcdTime parse(Bytes six) noexcept;
    static BcdTime from_civil(const core::CivilTime& c) noexcept;
    // The instant, reading the civil time at `utc_offset` (GMT+8 for location reports).
    core::Timestamp instant(std::chrono::seconds utc_offset = core::kChinaUtcOffset) const noexcept {
        return core::to_timestamp(civil, utc_offset);
    }
};

// ---- Uplink ---------------------------------------------------------------------------------

// 0x0001 terminal general response; 0x8001 platform general response has the same layout.
struct GeneralResponse {
    std::uint16_t reply_serial = 0;
    std::uint16_t reply_msg_id = 0;
    std::uint8_t result = 0;  // 0 ok, 1 failure, 2 message error, 3 unsupported, 4 alarm confirmed
    friend bool operator==(const GeneralResponse&, const GeneralResponse&) = default;
};
struct TerminalResponse : GeneralResponse {};   // 0x0001
struct PlatformResponse : GeneralResponse {};   // 0x8001

struct Heartbeat {};   // 0x0002
struct Unregister {};  // 0x0003
struct TimeQuery {};   // 0x0004 (2019)

// 0x0100. Text fields are raw bytes with padding trimmed.
struct Registration {
    Dialect dialect = Dialect::v2013;  // told from the body length (2011) or the header (2019)
    std::uint16_t province = 0;
    std::uint16_t city = 0;
    Bytes maker;
    Bytes model;
    Bytes terminal_id;
    std::uint8_t plate_color = 0;
    Bytes plate;  // GBK; the VIN when plate_color == 0
};

// 0x0102.
struct Authentication {
    Bytes auth_code;
    Bytes imei;              // 2019 only, 15 bytes
    Bytes software_version;  // 2019 only, NUL padding trimmed
};

// One terminal parameter item {id DWORD, length BYTE, value}.
struct ParameterView {
    std::uint32_t id = 0;
    Bytes value;
};

// Iterates parameter items in a byte range; stops (with `error()`) at a truncated item.
class ParameterIterator {
public:
    explicit ParameterIterator(Bytes items) noexcept : reader_(items) {}
    std::optional<ParameterView> next() noexcept;
    bool ok() const noexcept { return reader_.ok(); }

private:
    ByteReader reader_;
};

// 0x0104 query-parameters response.
struct ParameterQueryResponse {
    std::uint16_t reply_serial = 0;
    std::uint8_t count = 0;
    Bytes items;  // `count` parameter items; iterate with ParameterIterator
};

// 0x0200 additional item 0x11.
struct OverspeedInfo {
    std::uint8_t location_type = 0;  // 0 none, 1 circle, 2 rectangle, 3 polygon, 4 road section
    std::optional<std::uint32_t> area_id;
};
// 0x0200 additional item 0x12.
struct AreaCrossing {
    std::uint8_t location_type = 0;
    std::uint32_t area_id = 0;
    std::uint8_t direction = 0;  // 0 in, 1 out
};
// 0x0200 additional item 0x13.
struct SectionTime {
    std::uint32_t section_id = 0;
    std::uint16_t seconds = 0;
    std::uint8_t result = 0;  // 0 too short, 1 too long
};

// One additional-information item {id BYTE, length BYTE, value}.
struct ExtraItem {
    std::uint8_t id = 0;
    Bytes value;
};

// The standard additional items of a location report, parsed leniently (JT808.md §1.7.3):
// the first occurrence of each standard id is decoded when its length is right; unknown ids,
// later duplicates and items of the wrong length stay in the raw item list, and a length that overruns the body
// ends item parsing with the remaining bytes kept in `trailing`.
struct LocationExtras {
    std::optional<std::uint32_t> mileage_100m;         // 0x01, 1/10 km
    std::optional<std::uint16_t> fuel_100ml;           // 0x02, 1/10 L
    std::optional<std::uint16_t> recorder_speed_dkmh;  // 0x03, 1/10 km/h
    std::optional<std::uint16_t> alarm_event_id;       // 0x04
    std::optional<Bytes> tyre_pressure;                // 0x05, 30 bytes (2019)
    std::optional<std::int16_t> compartment_temp_c;    // 0x06 (2019), sign-magnitude on the wire
    std::optional<OverspeedInfo> overspeed;            // 0x11
    std::optional<AreaCrossing> area_crossing;         // 0x12
    std::optional<SectionTime> section_time;           // 0x13
    std::optional<std::uint32_t> vehicle_signals;      // 0x25
    std::optional<std::uint16_t> io_status;            // 0x2A
    std::optional<std::uint32_t> analog;               // 0x2B, AD0 bits 0-15, AD1 bits 16-31
    std::optional<std::uint8_t> signal_strength;       // 0x30
    std::optional<std::uint8_t> satellites;            // 0x31

    Bytes items;     // every item as received (for the raw iterator)
    Bytes trailing;  // bytes after an item whose length overran the body
    std::bitset<256> decoded;  // ids decoded into a field above (first occurrence only)

    // Calls f(ExtraItem) for every item that was not decoded into a field above, in order.
    template <class F>
    void for_each_raw(F&& f) const;
};

// 0x0200 location report (basic block of 28 bytes + extras).
struct Location {
    std::uint32_t alarm = 0;
    std::uint32_t status = 0;
    std::uint32_t lat_e6 = 0;  // unsigned; south when status bit 2
    std::uint32_t lon_e6 = 0;  // unsigned; west when status bit 3
    std::uint16_t altitude_m = 0;
    std::uint16_t speed_dkmh = 0;  // 1/10 km/h
    std::uint16_t direction = 0;   // 0-359, north = 0
    BcdTime time;                  // GMT+8 on the wire
    LocationExtras extras;

    bool positioned() const noexcept { return (status & 0x2) != 0; }
    bool south() const noexcept { return (status & 0x4) != 0; }
    bool west() const noexcept { return (status & 0x8) != 0; }
    bool encrypted() const noexcept { return (status & 0x20) != 0; }
    // Signed coordinates in 1e-6 degrees.
    std::int32_t lat_signed_e6() const noexcept {
        return south() ? -static_cast<std::int32_t>(lat_e6) : static_cast<std::int32_t>(lat_e6);
    }
    std::int32_t lon_signed_e6() const noexcept {
        return west() ? -static_cast<std::int32_t>(lon_e6) : static_cast<std::int32_t>(lon_e6);
    }
};

// 0x0201 location query response.
struct LocationQueryResponse {
    std::uint16_t reply_serial = 0;
    Location location;
};

// 0x0704 batch upload. Items are decoded one by one with `LocationBatchIterator`; a corrupt
// item is reported and skipped without losing the others.
struct LocationBatch {
    std::uint16_t count = 0;
    std::uint8_t type = 0;  // 0 normal batch, 1 blind-zone back-fill
    Bytes items;
};

class LocationBatchIterator {
public:
    explicit LocationBatchIterator(const LocationBatch& batch) noexcept
        : reader_(batch.items), left_(batch.count) {}
    // The next item: std::nullopt at the end; an Error for a corrupt item (iteration goes on
    // when the item's length framing is intact, and stops when it is not).
    std::optional<Expected<Location>> next() noexcept;

private:
    ByteReader reader_;
    std::uint16_t left_;
    bool stopped_ = false;
};

// 0x0702 driver identity (IC card). 2011 has no state/time; 2013+ has the card-out short form.
struct DriverIdentity {
    Dialect dialect = Dialect::v2013;
    std::uint8_t state = 0;  // 1 card in (on duty), 2 card out; 0 for 2011 bodies
    BcdTime time;
    std::optional<std::uint8_t> ic_result;  // present when state == 1
    Bytes driver_name;
    Bytes certificate_no;
    Bytes issuer;
    std::optional<core::CivilTime> certificate_expiry;  // BCD[4] YYYYMMDD
    bool certificate_expiry_invalid = false;
    Bytes id_card_no;  // 2011 and 2019
};

// 0x0800 multimedia event.
struct MultimediaEvent {
    std::uint32_t media_id = 0;
    std::uint8_t media_type = 0;  // 0 image, 1 audio, 2 video
    std::uint8_t format = 0;      // 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV
    std::uint8_t event = 0;
    std::uint8_t channel = 0;
};

// 0x0801 multimedia data upload: the event header, the 28-byte location block, then data.
struct MultimediaData {
    MultimediaEvent event;
    std::optional<Location> location;  // basic block only; absent if the body is too short
    Bytes data;
};

// 0x0900 data pass-through, kept raw.
struct Passthrough {
    std::uint8_t type = 0;
    Bytes data;
};

// 0x0005 (2019 terminal) and 0x8003 (platform) ask for sub-packages again.
struct ResendRequest {
    std::uint16_t first_serial = 0;
    std::vector<std::uint16_t> package_ids;  // 1-based package indexes
    friend bool operator==(const ResendRequest&, const ResendRequest&) = default;
};
struct TerminalResendRequest : ResendRequest {};  // 0x0005
struct PlatformResendRequest : ResendRequest {};  // 0x8003

// ---- Downlink (owning) ----------------------------------------------------------------------

// 0x8100. The auth code is sent only when result == 0.
struct RegistrationResponse {
    std::uint16_t reply_serial = 0;
    std::uint8_t result = 0;  // 0 ok, 1 vehicle registered, 2 no vehicle, 3 terminal registered,
                              // 4 no terminal
    std::string auth_code;
    friend bool operator==(const RegistrationResponse&, const RegistrationResponse&) = default;
};

// 0x8004 (2019): the platform's time, in UTC.
struct ServerTime {
    core::CivilTime utc;
    friend bool operator==(const ServerTime&, const ServerTime&) = default;
};

// One 0x8103 parameter, value already in wire form.
struct Parameter {
    std::uint32_t id = 0;
    std::vector<std::uint8_t> value;

    static Parameter dword(std::uint32_t id, std::uint32_t v);
    static Parameter word(std::uint32_t id, std::uint16_t v);
    static Parameter byte(std::uint32_t id, std::uint8_t v);
    static Parameter string(std::uint32_t id, std::string_view utf8);  // sent as GBK
    friend bool operator==(const Parameter&, const Parameter&) = default;
};

namespace param {
inline constexpr std::uint32_t kHeartbeatInterval = 0x0001;      // DWORD s
inline constexpr std::uint32_t kReportInterval = 0x0029;         // DWORD s
inline constexpr std::uint32_t kMaxSpeed = 0x0055;               // DWORD km/h
inline constexpr std::uint32_t kOverspeedDuration = 0x0056;      // DWORD s
inline constexpr std::uint32_t kContinuousDriving = 0x0057;      // DWORD s
inline constexpr std::uint32_t kDailyDriving = 0x0058;           // DWORD s
inline constexpr std::uint32_t kMinRest = 0x0059;                // DWORD s
inline constexpr std::uint32_t kMaxParking = 0x005A;             // DWORD s
inline constexpr std::uint32_t kOverspeedWarningMargin = 0x005B; // WORD 1/10 km/h
inline constexpr std::uint32_t kFatigueWarningMargin = 0x005C;   // WORD s

// The wire width of a parameter id we know (1, 2 or 4), 0 for variable/unknown ones.
std::size_t width(std::uint32_t id) noexcept;
}  // namespace param

// 0x8103 set terminal parameters.
struct SetParameters {
    std::vector<Parameter> params;
    friend bool operator==(const SetParameters&, const SetParameters&) = default;
};

struct LocationQuery {  // 0x8201, empty body
    friend bool operator==(const LocationQuery&, const LocationQuery&) = default;
};

// 0x8203 manual alarm confirmation.
struct AlarmConfirm {
    std::uint16_t alarm_serial = 0;  // 0 = all alarms of the types below
    std::uint32_t alarm_types = 0;   // bits 0, 3, 20, 21, 22, 27, 28
    friend bool operator==(const AlarmConfirm&, const AlarmConfirm&) = default;
};

// 0x8300 text. Flag bit 3 = TTS read-aloud, bit 2 = display. In 2019 bits 0-1 are the kind
// (01 service, 10 emergency, 11 notice) and `text_type` (1 notice, 2 service) is on the wire.
struct TextMessage {
    std::uint8_t flag = 0;
    std::uint8_t text_type = 1;  // 2019 only
    std::string text;            // UTF-8 here, GBK on the wire

    static constexpr std::uint8_t kFlagEmergency2013 = 0x01;
    static constexpr std::uint8_t kFlagDisplay = 0x04;
    static constexpr std::uint8_t kFlagTts = 0x08;
    friend bool operator==(const TextMessage&, const TextMessage&) = default;
};

// Common optional groups of area items (attribute bit 0: time window, bit 1: speed limit).
struct AreaTimeWindow {
    BcdTime start;  // YY-MM-DD may be 00-00-00 for a daily window
    BcdTime end;
    friend bool operator==(const AreaTimeWindow& a, const AreaTimeWindow& b) {
        return a.start.raw == b.start.raw && a.end.raw == b.end.raw;
    }
};
struct AreaSpeedLimit {
    std::uint16_t max_kmh = 0;
    std::uint8_t overspeed_seconds = 0;
    std::uint16_t night_max_kmh = 0;  // 2019 only
    friend bool operator==(const AreaSpeedLimit&, const AreaSpeedLimit&) = default;
};

namespace area_attr {
inline constexpr std::uint16_t kTimeRule = 0x0001;
inline constexpr std::uint16_t kSpeedRule = 0x0002;
inline constexpr std::uint16_t kSouth = 0x0040;
inline constexpr std::uint16_t kWest = 0x0080;
}  // namespace area_attr

struct CircleArea {
    std::uint32_t id = 0;
    std::uint16_t attributes = 0;  // time/speed groups follow bits 0/1 (encoders set them)
    std::uint32_t center_lat_e6 = 0;
    std::uint32_t center_lon_e6 = 0;
    std::uint32_t radius_m = 0;
    std::optional<AreaTimeWindow> time;
    std::optional<AreaSpeedLimit> speed;
    std::string name;  // 2019 only
    friend bool operator==(const CircleArea&, const CircleArea&) = default;
};

struct RectangleArea {
    std::uint32_t id = 0;
    std::uint16_t attributes = 0;
    std::uint32_t top_left_lat_e6 = 0;
    std::uint32_t top_left_lon_e6 = 0;
    std::uint32_t bottom_right_lat_e6 = 0;
    std::uint32_t bottom_right_lon_e6 = 0;
    std::optional<AreaTimeWindow> time;
    std::optional<AreaSpeedLimit> speed;
    std::string name;  // 2019 only
    friend bool operator==(const RectangleArea&, const RectangleArea&) = default;
};

// 0x8600 / 0x8602: setting type 0 update (replace all), 1 append, 2 modify.
struct SetCircleAreas {
    std::uint8_t setting = 0;
    std::vector<CircleArea> areas;
    friend bool operator==(const SetCircleAreas&, const SetCircleAreas&) = default;
};
struct SetRectangleAreas {
    std::uint8_t setting = 0;
    std::vector<RectangleArea> areas;
    friend bool operator==(const SetRectangleAreas&, const SetRectangleAreas&) = default;
};

struct Vertex {
    std::uint32_t lat_e6 = 0;
    std::uint32_t lon_e6 = 0;
    friend bool operator==(const Vertex&, const Vertex&) = default;
};

// 0x8604: one polygon per message.
struct SetPolygonArea {
    std::uint32_t id = 0;
    std::uint16_t attributes = 0;
    std::optional<AreaTimeWindow> time;
    std::optional<AreaSpeedLimit> speed;  // 2019 night speed sits after the vertices on the wire
    std::vector<Vertex> vertices;
    std::string name;  // 2019 only
    friend bool operator==(const SetPolygonArea&, const SetPolygonArea&) = default;
};

// One corner point of a 0x8606 route; the section runs from this corner to the next.
struct RouteCorner {
    std::uint32_t corner_id = 0;
    std::uint32_t section_id = 0;
    std::uint32_t lat_e6 = 0;
    std::uint32_t lon_e6 = 0;
    std::uint8_t section_width_m = 0;
    std::uint8_t section_attributes = 0;  // b0 time rule, b1 speed rule, b2 south, b3 west
    std::optional<std::uint16_t> too_long_s;   // with section bit 0
    std::optional<std::uint16_t> too_short_s;  // with section bit 0
    std::optional<AreaSpeedLimit> speed;       // with section bit 1
    friend bool operator==(const RouteCorner&, const RouteCorner&) = default;
};

// 0x8606 set route.
struct SetRoute {
    std::uint32_t id = 0;
    std::uint16_t attributes = 0;  // b0 time rule; start/end present only with b0
    std::optional<AreaTimeWindow> time;
    std::vector<RouteCorner> corners;
    std::string name;  // 2019 only
    friend bool operator==(const SetRoute&, const SetRoute&) = default;
};

// A body we do not decode (vendor ids, messages outside our set): kept raw.
struct RawBody {
    Bytes data;
};

using Body = std::variant<RawBody, TerminalResponse, Heartbeat, Unregister, TimeQuery,
                          TerminalResendRequest, Registration, Authentication,
                          ParameterQueryResponse, Location, LocationQueryResponse, LocationBatch,
                          DriverIdentity, MultimediaEvent, MultimediaData, Passthrough,
                          PlatformResponse, PlatformResendRequest, ServerTime,
                          RegistrationResponse, SetParameters, LocationQuery, AlarmConfirm,
                          TextMessage, SetCircleAreas, SetRectangleAreas, SetPolygonArea, SetRoute>;

template <class F>
void LocationExtras::for_each_raw(F&& f) const {
    ByteReader r(items);
    std::bitset<256> seen;
    while (r.remaining() >= 2) {
        const std::uint8_t id = r.u8("extra id");
        const std::uint8_t len = r.u8("extra length");
        if (len > r.remaining()) break;  // the overrun is in `trailing`
        const Bytes value = r.bytes(len, "extra value");
        const bool first = !seen.test(id);
        seen.set(id);
        if (!(first && decoded.test(id))) f(ExtraItem{id, value});
    }
}

}  // namespace fleetwatch::jt808
