// Storage-private: text forms of values for SQL parameters (arrays, WKT).
#pragma once

#include <string>
#include <vector>

#include "fleetwatch/core/position.hpp"

namespace fleetwatch::storage::detail {

// A PostgreSQL array literal of text elements: {"a","b"} (quotes and backslashes escaped).
std::string text_array(const std::vector<std::string>& items);

// Exact decimal degrees of a 1e-6 degree value: 118958600 -> "118.958600".
std::string degrees(std::int32_t e6);

// "lon lat" as WKT wants it.
std::string wkt_coordinate(core::GeoPoint p);

}  // namespace fleetwatch::storage::detail
