// Violations (migration 0004): the rule engine's episodes as rows, and their audit trail.
//
// The engine reports each episode as events (open, update, close, retract; rules/violation.hpp)
// keyed by its own episode id. ViolationStore turns them into rows: `open` inserts a violation,
// the others change the row of that episode; each event also appends an audit row (actor and
// role 'engine'; an update produced by a late-data recompute is the action `recomputed`). An
// event that leaves the verdict as stored (severity, times, peak, thresholds, pledge, gap flags,
// retraction) changes nothing and writes no audit row: a longer path alone is written with the
// next change or the close.
// storage does not depend on rules/, so the episode arrives as a ViolationRecord (app/ fills
// it in).
//
// Which row an event belongs to: the store remembers the row of every episode it inserted.
// An event for an episode it does not know (the engine restarted and rebuilt its state, so its
// ids are new) is matched like the engine matches recomputed episodes: same type, subtype and
// convoy, the same driver (fatigue and forbidden hours) or vehicle (the rest), not retracted;
// first with the same start, then overlapping in time. An `open` that matches such a row
// adopts it (an update, not a second row); anything else that matches nothing is inserted.
//
// Threads: a ViolationStore is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

// The names migration 0004's CHECKs allow: every layer that validates or lists them uses these.
inline constexpr std::array<std::string_view, 10> kViolationTypes{
    "overspeed",       "route_deviation",     "fatigue_continuous", "fatigue_daily",
    "forbidden_hours", "unidentified_driver", "convoy_straggler",   "convoy_member_offline",
    "terminal_alarm",  "terminal_offline"};
// In rank order, least first.
inline constexpr std::array<std::string_view, 5> kSeverities{"minor", "moderate", "serious",
                                                             "severe", "critical"};
inline constexpr std::array<std::string_view, 6> kViolationStatuses{
    "new", "acknowledged", "rectified", "dismissed", "excused", "retracted"};

struct ViolationRecord {
    std::string type;      // "overspeed", ... (the CHECK of violations.type)
    std::string subtype;   // terminal_alarm: the alarm's name
    std::string severity;  // "minor" ... "critical"
    core::VehicleId vehicle_id = 0;  // 0: none (a driver-level episode without a vehicle)
    std::optional<core::DriverId> driver_id;
    std::optional<std::string> convoy;  // the convoy's name
    core::Timestamp started_at{};
    std::optional<core::Timestamp> ended_at;
    double peak = 0;
    std::string peak_unit;
    std::vector<std::pair<std::string, double>> thresholds;
    std::optional<int> pledge_version;
    std::vector<core::GeoPoint> path;  // in time order; the first is the start point
    bool late = false;
    bool from_gap = false;
    bool needs_review = false;
};

enum class ViolationChangeKind : std::uint8_t { open, update, close, retract };

struct ViolationChange {
    ViolationChangeKind kind = ViolationChangeKind::open;
    std::uint64_t episode_id = 0;  // the engine's id
    bool recomputed = false;       // produced by a late-data recompute
    ViolationRecord record;
};

class ViolationStore {
  public:
    // Applies `changes` in order in one transaction and returns the violation id of each.
    // Throws DatabaseError (nothing applied; the caller may retry the same changes).
    std::vector<std::int64_t> apply(Connection& conn, std::span<const ViolationChange> changes);

    // Forgets the rows of closed or retracted episodes (they get no more events unless late
    // data reopens them, and then the matching above finds the row again).
    void forget(std::uint64_t episode_id) { rows_.erase(episode_id); }

  private:
    std::unordered_map<std::uint64_t, std::int64_t> rows_;  // engine episode id -> violations.id
};

struct ViolationAuditRow {
    std::string actor;  // 'engine' or a username
    std::string role;   // 'engine' or the user's role then
    std::string action;
    std::string note;
    std::int64_t id = 0;
    core::Timestamp at{};
    std::string detail_json;  // a JSON object
};

// The audit rows of one violation, oldest first.
std::vector<ViolationAuditRow> violation_audit(Connection& conn, std::int64_t violation_id);

}  // namespace fleetwatch::storage
