// Command-line values of fleetwatch-sim: durations, host:port, phone ranges.
// Pure; std::nullopt for anything malformed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetwatch/core/time.hpp"

namespace fleetwatch::sim {

// "90" (seconds), "500ms", "60s", "10m", "2h", "1h30m", "1.5h".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
// "host:port", "[v6]:port", or "host" (then `default_port`).
std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port = 6808);

// Times on the command line are read with core::parse_instant (a zone is required).

}  // namespace fleetwatch::sim
