// The rule engine: judges positions and driver card events against RULES.md and reports
// violation episodes, fatigue warnings and driver reminders (rules/violation.hpp).
//
// Pure and deterministic: no sockets, no database, no clock. Event time is the GPS time;
// only terminal_offline and convoy_member_offline use the wall clock, and only through the
// `now` given to on_tick() (and the `received_at` of what arrives).
//
// Order independence (RULES.md "Late data"). Rules run in GPS-time order per vehicle, per
// driver and per convoy, in three stages:
//   vehicle — fixes and card events → overspeed, route_deviation, terminal_alarm,
//             unidentified_driver, and activity spans (driving / stopped / gap) tagged with
//             the driver at that time;
//   driver  — the activity spans of one driver (from any vehicle; or of one vehicle while
//             its driver is unknown) → fatigue_continuous, fatigue_daily, forbidden_hours and
//             the 30-minute warning;
//   convoy  — the progress of each member along the route → convoy_straggler.
// Each stage keeps its inputs for `RuleConfig::late_horizon` and a checkpoint (a copy of its
// state) every `checkpoint_every` inputs. An input older than the newest is inserted in order
// and the stage replays from the last checkpoint before it; the episodes the replay produces
// are compared with those already reported: new ones are opened with late = true, changed
// ones get an update with recomputed = true (an audit row), vanished ones are retracted. The
// episodes after any arrival order therefore equal those after in-order arrival (the property
// tests/rules/late_data_test.cpp checks). Inputs older than the horizon are not judged
// (stats().too_late).
//
// Stage state is plain values (no pointers into the configuration), so it can be
// snapshotted; a vehicle's and a driver's stage touch nothing else, so vehicles can be sharded
// (a driver's stage then lives with the driver; see docs/rules.md).
//
// Threads: an Engine is not thread-safe; one thread (or one shard) owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/position.hpp"
#include "fleetwatch/rules/config.hpp"
#include "fleetwatch/rules/violation.hpp"

namespace fleetwatch::rules {

struct EngineStats {
    std::uint64_t positions = 0;
    std::uint64_t invalid = 0;      // stored by storage, never drive a rule (except alarms)
    std::uint64_t duplicates = 0;   // same vehicle and GPS time as one already judged
    std::uint64_t too_late = 0;     // older than late_horizon behind the vehicle's newest
    std::uint64_t late = 0;         // older than the newest: inserted, then recomputed
    std::uint64_t recomputes = 0;   // stage replays from a checkpoint
    std::uint64_t card_events = 0;
    std::uint64_t unknown_cards = 0;  // certificate not in RuleConfig::drivers
};

class Engine {
public:
    explicit Engine(RuleConfig config);
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    ~Engine();

    const RuleConfig& config() const noexcept;

    // One position report. Appends what happened to `out`.
    void on_position(const core::Position& p, Outputs& out);
    // A batch (e.g. one 0x0704): inserted together, recomputed once.
    void on_positions(std::span<const core::Position> batch, Outputs& out);
    // 0x0702: card inserted (driver known from its certificate number) or removed.
    void on_card_event(const core::DriverCardEvent& e, Outputs& out);
    // Anything else received from a terminal (heartbeat): resets the offline clocks.
    void on_contact(VehicleId vehicle, Timestamp received_at, Outputs& out);
    // The wall clock: opens and closes terminal_offline and convoy_member_offline.
    void on_tick(Timestamp now, Outputs& out);

    // Every episode the engine holds (open ones, and closed ones within the late horizon),
    // ordered by (start, type, vehicle, id).
    std::vector<Episode> episodes() const;

    const EngineStats& stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::rules
