// Terminal phones for load runs, and `fleetwatch-sim gen-fleet`: a fleet file whose vehicles
// own exactly those phones, so `fleetwatch fleet import` makes them known to the server.
//
// Phone numbers are 12 digits (the 2013 header width), as in the demo fleet:
//   --phone-prefix P [--phone-start S]  ->  P followed by S, S+1, ... zero-padded to 12 digits
//   --phones-from A..B                  ->  A, A+1, ..., B, zero-padded to 12 digits
// Both commands accept the same options, so `gen-fleet --count N --phone-prefix P` and
// `load --terminals N --phone-prefix P` agree on every phone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetwatch::sim {

inline constexpr std::size_t kPhoneDigits = 12;
inline constexpr std::string_view kDefaultPhonePrefix = "0138";

struct PhoneList {
    std::vector<std::string> phones;  // 12 digits each
    std::string error;                // set when the request cannot be met
};

// `count` phones: `prefix` (decimal digits) then the index from `start`, padded to 12 digits.
PhoneList phones_from_prefix(std::string_view prefix, std::uint64_t start, std::size_t count);
// "A..B" (decimal, at most 12 digits each, A <= B); at most `max_count` phones (0: no limit).
PhoneList phones_from_range(std::string_view range, std::size_t max_count = 0);

// A plate for generated vehicle `index`: "苏Z" followed by five characters from 0-9 and A-Z
// without I and O (unique for the first 45 million).
std::string generated_plate(std::size_t index);

struct GeneratedFleetOptions {
    std::string vehicle_class = "car";
    int plate_color = 1;  // blue
    std::string comment;  // first comment line (e.g. the command that made it)
};

// The fleet file (YAML) with one vehicle per phone.
std::string generated_fleet_yaml(const std::vector<std::string>& phones, const GeneratedFleetOptions& options);

}  // namespace fleetwatch::sim
