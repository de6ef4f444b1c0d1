// The rule engine inside `fleetwatch serve` (issue 4, "Wiring").
//
// RulesStage is the EventSink ingest hands positions and card events to. It passes them to
// the storage writer first: only what the writer accepted (durable: table or spool) is judged,
// and the terminal's answer depends on the writer alone. Then it queues a copy for the engine
// shard that owns the vehicle, so the I/O threads never wait for the engine or the database.
//
// The engine runs as `shards` engines (rules/engine.hpp "Shards"), one thread each: shard i
// owns the vehicles with rules::vehicle_shard(id, shards) == i, and the driver and convoy stages
// the engine assigns it. Each shard has its own queue; ingest threads append to the owning
// shard's queue (a short lock per submitted batch), and a shard thread swaps the whole queue out
// and judges it without any lock: nothing in an engine is shared. What a shard's vehicles tell
// another shard's drivers or convoys goes to that shard's queue as rules::Mail. Each shard's
// outputs go to one output thread, which:
//   - writes episode events to violations and violation_audit (storage::ViolationStore),
//     retried every second while PostgreSQL is away (held in memory meanwhile, up to
//     kMaxPendingChanges);
//   - hands each stored episode event (with its violations.id) and each fatigue warning to the
//     push::Publisher (push/publisher.hpp; `serve` logs them until issue 5's hub and webhooks);
//   - sends reminders as 0x8300 with the TTS flag to the vehicle's terminal, at most one per
//     vehicle per `reminder_interval` (the engine never makes one for a late detection or a
//     replay).
// Every shard runs the wall clock (Engine::on_tick) every second for its vehicles'
// terminal_offline and convoy_member_offline; heartbeats reach it as contact().
//
// Restart (RULES.md: fatigue clocks span many hours): before ingest starts, rebuild() feeds
// the engine the stored positions of the last `rebuild_lookback` in GPS-time order with every
// output discarded, then reconciles the episodes the engine holds with the violations table
// (ViolationStore matching: the same episode finds its row; one never stored is stored late).
//
// A shard whose queue holds over queue_capacity / shards positions does not judge more
// (logged, counted in fleetwatch_rules_dropped_total); what the writer accepted is stored all
// the same. Card events, contacts and mail are never dropped.
#pragma once

#include <atomic>
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
    std::size_t queue_capacity = 1'000'000;  // positions waiting, all shards together
    std::chrono::hours rebuild_lookback{26};  // fatigue_daily looks 24 h back
    std::size_t shards = 1;                   // engine threads
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
    void contact(core::VehicleId vehicle, core::Timestamp received_at) override;

    std::size_t shard_count() const noexcept { return shards_.size(); }

  private:
    struct Contact {
        core::VehicleId vehicle = 0;
        core::Timestamp received_at{};
    };
    using Item = std::variant<std::vector<core::Position>, core::DriverCardEvent, Contact, rules::Mail>;

    struct Shard {
        Shard(const rules::RuleConfig& config, rules::ShardSpec spec) : engine(config, spec) {}
        rules::Engine engine;  // the shard thread's alone
        std::uint64_t recomputes_seen = 0;

        std::mutex mutex;
        std::condition_variable cv;
        std::deque<Item> queue;                          // under mutex
        std::size_t queued_positions = 0;                // under mutex
        std::chrono::steady_clock::time_point last_drop_log{};  // under mutex
        std::thread thread;
    };

    Shard& shard_of(core::VehicleId vehicle);
    // Appends to a shard's queue; false when `positions` more would exceed its capacity.
    bool enqueue(Shard& shard, Item item, std::size_t positions);
    void deliver_mail(Shard& from);
    void run_shard(Shard& shard);
    void run_output();
    void handle(rules::Outputs& out);
    bool flush_changes();
    void remind(const rules::Reminder& r);

    core::EventSink& next_;
    push::Publisher& publisher_;
    RulesStageOptions options_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::size_t shard_capacity_ = 0;
    // Items in any shard queue or being judged; a shard thread stops when `stopping_` is set
    // and this is 0 (mail one shard sends another is counted before the sender's item is done).
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> started_{false};

    // Output thread (owns what follows, after start()).
    std::mutex out_mutex_;
    std::condition_variable out_cv_;
    std::deque<rules::Outputs> out_queue_;  // under out_mutex_
    std::size_t shards_running_ = 0;        // under out_mutex_
    std::thread output_thread_;
    storage::Database db_;
    std::optional<storage::Connection> conn_;
    storage::ViolationStore store_;
    std::vector<storage::ViolationChange> pending_;
    std::unordered_map<core::VehicleId, std::chrono::steady_clock::time_point> last_reminder_;
    SendReminder send_;
    std::chrono::steady_clock::time_point last_db_error_log_{};

    prometheus::Counter& positions_;
    prometheus::Counter& dropped_;
    prometheus::Counter& recomputes_;
    prometheus::Counter& write_errors_;
    prometheus::Family<prometheus::Counter>& episode_events_;
    prometheus::Family<prometheus::Counter>& reminders_;
    prometheus::Histogram& evaluation_seconds_;
    prometheus::Histogram& violation_write_seconds_;
};

}  // namespace fleetwatch::app
