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
// snapshotted; a vehicle's and a driver's stage touch nothing else.
//
// Shards (docs/rules.md "Shards"). N engines built with ShardSpec{i, N} split the fleet: shard
// i owns the vehicles with vehicle_shard(id, N) == i (give it only their positions, card
// events and contacts), the driver stages with driver_shard(key, N) == i and the convoys with
// index % N == i. What a vehicle stage tells a driver or convoy stage on another shard (spans,
// samples, and "forget what I said after t" when it replays) is queued as Mail, in order; the
// owner of that shard hands it to the other engine's on_mail(). Stages are order-independent,
// so the episodes of N shards equal those of one engine however late the mail is delivered
// (tests/rules/sharding_test.cpp). Episode ids are unique across shards (shard i numbers from
// i << 48).
//
// Threads: an Engine is not thread-safe; one thread owns it. Shards share nothing but Mail.
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

struct ShardSpec {
    std::size_t index = 0;
    std::size_t count = 1;
};

// The shard that owns a vehicle, and the one that owns a driver's stage (a vehicle's own
// unknown-driver stage stays with the vehicle).
std::size_t vehicle_shard(VehicleId vehicle, std::size_t count) noexcept;
std::size_t driver_shard(DriverKey key, std::size_t count) noexcept;

// What one shard's vehicle stages tell another shard's driver and convoy stages. Opaque; kept
// in the order it was written.
class Mail {
public:
    Mail();
    ~Mail();
    Mail(Mail&&) noexcept;
    Mail& operator=(Mail&&) noexcept;
    bool empty() const noexcept;
    std::size_t size() const noexcept;

private:
    friend class Engine;
    struct Letters;
    std::unique_ptr<Letters> letters_;
};

class Engine {
public:
    explicit Engine(RuleConfig config, ShardSpec shard = {});
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
    // The wall clock: opens and closes terminal_offline and convoy_member_offline (of this
    // shard's vehicles).
    void on_tick(Timestamp now, Outputs& out);

    // Mail from another shard's vehicles, for this shard's driver and convoy stages.
    void on_mail(Mail mail, Outputs& out);
    // Mail for shard `to` written since the last call; empty for this shard itself.
    Mail take_mail(std::size_t to);
    bool has_mail() const noexcept;

    // Every episode the engine holds (open ones, and closed ones within the late horizon),
    // ordered by (start, type, vehicle, id).
    std::vector<Episode> episodes() const;

    const EngineStats& stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One thread owning every shard (a start-up rebuild, tests, benchmark warm-up): hands each
// engine's mail to its addressee until none is left; what that judges goes to `out`. Returns
// the letters delivered. `engines[i]` must be the engine built with ShardSpec{i, size}.
std::size_t deliver_all_mail(std::span<Engine* const> engines, Outputs& out);

}  // namespace fleetwatch::rules
