// The rule engine inside `fleetwatch serve` (issue 4, "Wiring").
//
// RulesStage is the EventSink ingest hands positions and card events to. It passes them to
// the storage writer first: only what the writer accepted (durable: table or spool) is judged,
// and the terminal's answer depends on the writer alone. Then it queues a copy for the rules
// thread, so the I/O threads never wait for the engine or the database.
//
// The rules thread owns the Engine (rules/engine.hpp). For each batch it runs the engine, then:
//   - episode events -> violations and violation_audit (storage::ViolationStore), retried every
//     second while PostgreSQL is away (held in memory meanwhile, up to kMaxPendingChanges);
//   - each stored episode event (with its violations.id) and each fatigue warning -> the
//     push::Publisher (push/publisher.hpp; `serve` logs them until issue 5's hub and webhooks);
//   - reminders -> 0x8300 with the TTS flag to the vehicle's terminal, at most one per vehicle
//     per `reminder_interval` (the engine never makes one for a late detection or a replay);
//   - every second the wall clock (Engine::on_tick) for terminal_offline and
//     convoy_member_offline.
// One engine thread: the engine judges about 2 M positions/s on one core (docs/performance.md),
// some 40x what the ingest-to-PostGIS path stores; sharding by vehicle is left for when the
// fleet needs it (the driver stage must then live with the driver, docs/rules.md).
//
// Restart (RULES.md: fatigue clocks span many hours): before ingest starts, rebuild() feeds
// the engine the stored positions of the last `rebuild_lookback` in GPS-time order with every
// output discarded, then reconciles the episodes the engine holds with the violations table
// (ViolationStore matching: the same episode finds its row; one never stored is stored late).
//
// A queue over `queue_capacity` positions is not judged (logged, counted in
// fleetwatch_rules_dropped_total); what the writer accepted is stored all the same.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/push/publisher.hpp"
#include "fleetwatch/rules/engine.hpp"
#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/violations.hpp"

namespace fleetwatch::app {

struct RulesStageOptions {
    std::string conninfo;
    rules::RuleConfig config;
    std::unordered_map<core::VehicleId, std::string> phone_key_by_vehicle;  // for reminders
    std::chrono::seconds reminder_interval{60};
    std::size_t queue_capacity = 1'000'000;  // positions waiting for the rules thread
    std::chrono::hours rebuild_lookback{26};  // fatigue_daily looks 24 h back
};

// Sends `text` as 0x8300 with the TTS flag to the terminal `phone_key`; false when it is not
// connected.
using SendReminder = std::function<bool(const std::string& phone_key, const std::string& text)>;

storage::ViolationChange to_violation_change(const rules::EpisodeEvent& e);

class RulesStage final : public core::EventSink {
  public:
    static constexpr std::size_t kMaxPendingChanges = 100'000;

    // `next` (the writer) and `publisher` must outlive the stage.
    RulesStage(core::EventSink& next, push::Publisher& publisher, RulesStageOptions options,
               prometheus::Registry& registry);
    ~RulesStage() override;
    RulesStage(const RulesStage&) = delete;
    RulesStage& operator=(const RulesStage&) = delete;

    // Before start(). Replays the stored positions of the lookback; throws DatabaseError.
    void rebuild();
    void start(SendReminder send);
    // Judges what is queued, writes its violations (trying for up to `flush_timeout` while the
    // database is away), and joins.
    void stop(std::chrono::seconds flush_timeout = std::chrono::seconds{5});

    bool submit(std::span<const core::Position> positions) override;
    bool submit(const core::DriverCardEvent& event) override;

  private:
    using Item = std::variant<std::vector<core::Position>, core::DriverCardEvent>;

    void run();
    void handle(rules::Outputs& out);
    bool flush_changes();
    void remind(const rules::Reminder& r);

    core::EventSink& next_;
    push::Publisher& publisher_;
    RulesStageOptions options_;
    rules::Engine engine_;
    storage::Database db_;
    std::optional<storage::Connection> conn_;
    storage::ViolationStore store_;
    std::vector<storage::ViolationChange> pending_;
    std::unordered_map<core::VehicleId, std::chrono::steady_clock::time_point> last_reminder_;
    SendReminder send_;
    std::chrono::steady_clock::time_point last_db_error_log_{};
    std::uint64_t recomputes_seen_ = 0;

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Item> queue_;
    std::size_t queued_positions_ = 0;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point last_drop_log_{};  // under mutex_
    std::thread thread_;

    prometheus::Counter& positions_;
    prometheus::Counter& dropped_;
    prometheus::Counter& recomputes_;
    prometheus::Counter& write_errors_;
    prometheus::Family<prometheus::Counter>& episode_events_;
    prometheus::Family<prometheus::Counter>& reminders_;
    prometheus::Histogram& evaluation_seconds_;
};

}  // namespace fleetwatch::app
