// Read and handling side of violations for the HTTP API (API.md "Positions and violations"):
// list with filters and keyset paging, one violation with its path and audit trail, and the
// people's actions (acknowledge, rectify, dismiss, excuse) that change `status` and append an
// audit row in one transaction. The engine's side (rows from episodes) is violations.hpp.
//
// Every function throws DatabaseError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct ViolationRow {
    std::int64_t id = 0;
    std::string type;
    std::string subtype;
    std::string severity;
    std::optional<core::VehicleId> vehicle_id;
    std::optional<core::DriverId> driver_id;
    // The trip the violation happened on: the vehicle's trip (of the violation's convoy, if
    // any) whose planned window, in the fleet's timezone, holds started_at. Lowest id wins.
    std::optional<std::int64_t> trip_id;
    std::optional<std::int64_t> convoy_id;
    std::optional<std::string> convoy_name;
    core::Timestamp started_at{};
    std::optional<core::Timestamp> ended_at;
    std::optional<double> start_lat;  // degrees, WGS-84; none when the episode had no fix
    std::optional<double> start_lon;
    double peak = 0;
    std::string peak_unit;
    std::string thresholds_json;  // a JSON object, {"limit_kmh":60,...}
    std::optional<int> pledge_version;
    bool late = false;
    bool from_gap = false;
    bool needs_review = false;
    std::string status;  // new, acknowledged, rectified, dismissed, excused, retracted
    core::Timestamp detected_at{};
    core::Timestamp updated_at{};
    std::optional<std::string> path_geojson;  // find_violation only: a GeoJSON LineString
};

struct ViolationFilter {
    std::optional<core::VehicleId> vehicle_id;
    std::optional<core::DriverId> driver_id;
    std::optional<std::string> type;
    std::optional<std::string> status;
    std::optional<core::Timestamp> from;  // started_at >= from
    std::optional<core::Timestamp> to;    // started_at < to
    // Only what this leader may see: violations of vehicles with a trip in a convoy they lead,
    // and violations of such a convoy.
    std::optional<std::string> leader_username;
    std::optional<std::int64_t> before_id;  // the cursor: id < before_id
    std::size_t limit = 100;
};

// Newest first (descending id), at most filter.limit rows.
std::vector<ViolationRow> list_violations(Connection& conn, const ViolationFilter& filter);
// One violation with its path; nullopt when there is none with that id.
std::optional<ViolationRow> find_violation(Connection& conn, std::int64_t id);
// True when the leader may see violation `id` (see ViolationFilter::leader_username).
bool violation_visible_to_leader(Connection& conn, std::int64_t id,
                                 const std::string& leader_username);

// The audit trail of a violation: violation_audit() in violations.hpp.

// A person's handling of a violation.
enum class ViolationAction : std::uint8_t { acknowledge, rectify, dismiss, excuse };
std::optional<ViolationAction> parse_violation_action(std::string_view s) noexcept;
std::string_view to_string(ViolationAction a) noexcept;
// The status an action leads to ("acknowledged", ...).
std::string_view status_after(ViolationAction a) noexcept;
// Whether `action` may be taken on a violation in `status`: acknowledge from new; rectify,
// dismiss and excuse from new or acknowledged. Rectified, dismissed, excused and retracted
// are final.
bool action_allowed(ViolationAction action, std::string_view status) noexcept;

struct ViolationActionResult {
    enum class Outcome : std::uint8_t { applied, not_found, not_allowed } outcome{};
    std::string status_before;  // applied, not_allowed
};
// Locks the row, checks action_allowed, sets status (and updated_at) and appends the audit
// row (actor, role, action, note) in one transaction.
ViolationActionResult apply_violation_action(Connection& conn, std::int64_t id,
                                             ViolationAction action, const std::string& actor,
                                             const std::string& role, const std::string& note);

}  // namespace fleetwatch::storage
