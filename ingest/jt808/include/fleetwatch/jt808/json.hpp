// JSON views of decoded frames: the `fleetwatch decode` output format (API.md) and what logs
// and tests print. Field names are a contract; add, never rename. Objects keep the order the
// fields are written in (ordered_json), so `msg_id` comes before `body` for a human reader.
#pragma once

#include <nlohmann/json.hpp>

#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace fleetwatch::jt808 {

using Json = nlohmann::ordered_json;

// {"ok":true,"msg_id":"0x0200","version":"2013","phone":"013800138000","serial":7,"body":{...}}
Json frame_to_json(const Header& header, const Body& body);

// {"ok":false,"error":"bad_checksum","message":"..."}
Json error_to_json(const Error& error);

// The body alone.
Json body_to_json(const Body& body);
Json location_to_json(const Location& location);

// "0x0200"
std::string msg_id_hex(std::uint16_t id);

}  // namespace fleetwatch::jt808
