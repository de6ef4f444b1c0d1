// Body decoding: a validated Frame in, a typed Body out (JT808.md §1.4-§1.12).
//
// `decode_body` never allocates for uplink bodies and never throws. Message ids outside our
// set come back as RawBody; a body we know but cannot parse comes back as an Error with the
// reason (truncated, bad_field, encrypted_body, unsupported_version).
#pragma once

#include <optional>

#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::jt808 {

struct DecodeOptions {
    // The terminal's remembered dialect, if known. 2011 and 2013 share a header, so bodies
    // whose layout differs (0x0100, 0x0702) are otherwise told apart from their content.
    std::optional<Dialect> dialect;
};

Expected<Body> decode_body(const Header& header, Bytes body, const DecodeOptions& options = {});

inline Expected<Body> decode_body(const Frame& frame, const DecodeOptions& options = {}) {
    return decode_body(frame.header, frame.body, options);
}

// Individual decoders, for callers that already know the message id (the server's hot path).
Expected<Location> decode_location(Bytes body) noexcept;
// `dialect` v2011 reads a 2013-header body with the 2011 layout even when it is 37 bytes or
// longer (a long plate or VIN), which the length rule alone would take for 2013.
Expected<Registration> decode_registration(Bytes body, HeaderVersion version,
                                           std::optional<Dialect> dialect = {}) noexcept;
Expected<DriverIdentity> decode_driver_identity(Bytes body, HeaderVersion version,
                                                std::optional<Dialect> dialect = {}) noexcept;

// The dialect a frame speaks, as far as its header and body tell.
Dialect dialect_of(const Header& header, const Body& body) noexcept;

}  // namespace fleetwatch::jt808
