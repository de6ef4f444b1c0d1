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

// Addresses are read with core::parse_host_port (fleetwatch/core/host_port.hpp).

// Times on the command line are read with core::parse_instant (a zone is required).

}  // namespace fleetwatch::sim
