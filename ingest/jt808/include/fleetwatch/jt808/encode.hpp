// Encoders: typed bodies in, escaped wire frames out (JT808.md §1.1, §1.14 item 10).
//
// Body encoders append to a caller-owned vector, so a reused vector allocates nothing once it
// has grown. `encode_frame` builds header + body, computes the XOR and escapes in one pass.
// Encoders check what the protocol cannot carry (a body over 1023 bytes in one frame, a
// parameter whose value does not match its declared width, more than 255 items in a count
// byte) and return an Error instead of sending something a terminal would misread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::jt808 {

using Buffer = std::vector<std::uint8_t>;

struct OutboundHeader {
    std::uint16_t msg_id = 0;
    Dialect dialect = Dialect::v2013;  // 2019 selects the 2019 header layout
    std::uint8_t protocol_version = 1; // 2019 only
    PhoneNumber phone;
    std::uint16_t serial = 0;
    std::optional<PackageInfo> package;
    std::uint8_t encryption = 0;
};

// Appends one complete frame (flags, escaped header+body+check byte) to `out`.
Status encode_frame(const OutboundHeader& header, Bytes body, Buffer& out);

// Appends the frames of a body of any length: one frame when it fits in 1023 bytes, otherwise
// sub-packages of `max_package_body` bytes with consecutive serials starting at header.serial.
// A header with `package` set asks for sub-packages whatever the size (its total and index are
// replaced); an empty body is then one package of one. Returns the number of frames written
// (at least 1 unless an error is returned).
Expected<std::uint16_t> encode_frames(OutboundHeader header, Bytes body, Buffer& out,
                                      std::size_t max_package_body = kMaxBodyBytes);

// Escapes `unescaped` (header+body+check byte) into `out` between two flags.
void escape_into(Bytes unescaped, Buffer& out);

// ---- Body encoders (append the body only) -------------------------------------------------
// `dialect` picks the layout where editions differ.

Status encode_body(const TerminalResponse& m, Dialect dialect, Buffer& out);
Status encode_body(const PlatformResponse& m, Dialect dialect, Buffer& out);
Status encode_body(const Heartbeat& m, Dialect dialect, Buffer& out);
Status encode_body(const Unregister& m, Dialect dialect, Buffer& out);
Status encode_body(const TimeQuery& m, Dialect dialect, Buffer& out);
Status encode_body(const TerminalResendRequest& m, Dialect dialect, Buffer& out);
Status encode_body(const PlatformResendRequest& m, Dialect dialect, Buffer& out);
Status encode_body(const Registration& m, Dialect dialect, Buffer& out);
Status encode_body(const Authentication& m, Dialect dialect, Buffer& out);
Status encode_body(const Location& m, Dialect dialect, Buffer& out);
Status encode_body(const LocationQueryResponse& m, Dialect dialect, Buffer& out);
Status encode_body(const DriverIdentity& m, Dialect dialect, Buffer& out);
Status encode_body(const ServerTime& m, Dialect dialect, Buffer& out);
Status encode_body(const RegistrationResponse& m, Dialect dialect, Buffer& out);
Status encode_body(const SetParameters& m, Dialect dialect, Buffer& out);
Status encode_body(const LocationQuery& m, Dialect dialect, Buffer& out);
Status encode_body(const AlarmConfirm& m, Dialect dialect, Buffer& out);
Status encode_body(const TextMessage& m, Dialect dialect, Buffer& out);
Status encode_body(const SetCircleAreas& m, Dialect dialect, Buffer& out);
Status encode_body(const SetRectangleAreas& m, Dialect dialect, Buffer& out);
Status encode_body(const SetPolygonArea& m, Dialect dialect, Buffer& out);
Status encode_body(const SetRoute& m, Dialect dialect, Buffer& out);

// 0x0704: `items` are complete 0x0200 bodies.
Status encode_location_batch(std::uint8_t type, std::span<const Location> items, Dialect dialect,
                             Buffer& out);

// The message id each body type is sent under.
template <class M> inline constexpr std::uint16_t kMessageId = 0;
template <> inline constexpr std::uint16_t kMessageId<TerminalResponse> = msg_id::kTerminalResponse;
template <> inline constexpr std::uint16_t kMessageId<PlatformResponse> = msg_id::kPlatformResponse;
template <> inline constexpr std::uint16_t kMessageId<Heartbeat> = msg_id::kHeartbeat;
template <> inline constexpr std::uint16_t kMessageId<Unregister> = msg_id::kUnregister;
template <> inline constexpr std::uint16_t kMessageId<TimeQuery> = msg_id::kTimeQuery;
template <> inline constexpr std::uint16_t kMessageId<TerminalResendRequest> = msg_id::kTerminalResendRequest;
template <> inline constexpr std::uint16_t kMessageId<PlatformResendRequest> = msg_id::kResendRequest;
template <> inline constexpr std::uint16_t kMessageId<Registration> = msg_id::kRegister;
template <> inline constexpr std::uint16_t kMessageId<Authentication> = msg_id::kAuthenticate;
template <> inline constexpr std::uint16_t kMessageId<Location> = msg_id::kLocation;
template <> inline constexpr std::uint16_t kMessageId<LocationQueryResponse> = msg_id::kLocationQueryResponse;
template <> inline constexpr std::uint16_t kMessageId<DriverIdentity> = msg_id::kDriverIdentity;
template <> inline constexpr std::uint16_t kMessageId<ServerTime> = msg_id::kServerTime;
template <> inline constexpr std::uint16_t kMessageId<RegistrationResponse> = msg_id::kRegisterResponse;
template <> inline constexpr std::uint16_t kMessageId<SetParameters> = msg_id::kSetParameters;
template <> inline constexpr std::uint16_t kMessageId<LocationQuery> = msg_id::kLocationQuery;
template <> inline constexpr std::uint16_t kMessageId<AlarmConfirm> = msg_id::kAlarmConfirm;
template <> inline constexpr std::uint16_t kMessageId<TextMessage> = msg_id::kText;
template <> inline constexpr std::uint16_t kMessageId<SetCircleAreas> = msg_id::kSetCircleAreas;
template <> inline constexpr std::uint16_t kMessageId<SetRectangleAreas> = msg_id::kSetRectangleAreas;
template <> inline constexpr std::uint16_t kMessageId<SetPolygonArea> = msg_id::kSetPolygonArea;
template <> inline constexpr std::uint16_t kMessageId<SetRoute> = msg_id::kSetRoute;

// Encodes `m` as a complete message (one frame, or sub-packages when the body is long).
// `scratch` holds the body between calls so a reused one allocates nothing.
template <class M>
Expected<std::uint16_t> encode_message(const M& m, OutboundHeader header, Buffer& out,
                                       Buffer& scratch) {
    scratch.clear();
    if (auto s = encode_body(m, header.dialect, scratch); !s) return s.error();
    header.msg_id = kMessageId<M>;
    return encode_frames(header, scratch, out);
}

}  // namespace fleetwatch::jt808
