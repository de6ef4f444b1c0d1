// The two passes of parse_fleet_text: read every row on its own, then check across rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "yaml_reader.hpp"

namespace fleetwatch::fleet::detail {

// Reads every section of `root` into `fleet`. Every row is appended, even one with problems,
// so that `fleet.trips[i]` is the file's `trips[i]` and later checks do not cascade.
void read_fleet(Reader& reader, const YAML::Node& root, Fleet& fleet);

// Duplicate natural keys, references between sections, convoys on one route, pledges against
// the law (with the school-bus maximum for drivers of school buses).
void validate_fleet(Reader& reader, const Fleet& fleet);

// A trip time: "HH:MM" (every day) or a date-time (core::parse_date_time:
// "2026-03-10T08:00:00+08:00"; the offset may be omitted, then the time is local to the fleet's
// timezone).
struct TripTime {
    bool daily = true;
    int minutes = 0;           // daily: minutes since midnight
    std::int64_t seconds = 0;  // one-off: Unix seconds (UTC if has_offset, else local)
    bool has_offset = false;
};
std::optional<TripTime> parse_trip_time(const std::string& text);

}  // namespace fleetwatch::fleet::detail
