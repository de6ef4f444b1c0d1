#include "rules_stage.hpp"

#include <spdlog/spdlog.h>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/driver_cards.hpp"
#include "fleetwatch/storage/vehicle_queries.hpp"

namespace fleetwatch::app {
namespace {

using Clock = std::chrono::steady_clock;

storage::ViolationChangeKind to_change_kind(rules::EpisodeEventKind k) {
    switch (k) {
        case rules::EpisodeEventKind::open: return storage::ViolationChangeKind::open;
        case rules::EpisodeEventKind::update: return storage::ViolationChangeKind::update;
        case rules::EpisodeEventKind::close: return storage::ViolationChangeKind::close;
        case rules::EpisodeEventKind::retract: return storage::ViolationChangeKind::retract;
    }
    return storage::ViolationChangeKind::update;
}

push::ViolationEvent to_push_event(const storage::ViolationChange& c, std::int64_t id) {
    push::ViolationEvent e;
    switch (c.kind) {
        case storage::ViolationChangeKind::open: e.kind = push::ViolationEventKind::opened; break;
        case storage::ViolationChangeKind::update: e.kind = push::ViolationEventKind::updated; break;
        case storage::ViolationChangeKind::close: e.kind = push::ViolationEventKind::closed; break;
        case storage::ViolationChangeKind::retract:
            e.kind = push::ViolationEventKind::retracted;
            break;
    }
    const storage::ViolationRecord& r = c.record;
    e.violation_id = id;
    e.type = r.type;
    e.subtype = r.subtype;
    e.severity = r.severity;
    e.vehicle_id = r.vehicle_id;
    e.driver_id = r.driver_id;
    e.started_at = r.started_at;
    e.ended_at = r.ended_at;
    e.peak = r.peak;
    e.peak_unit = r.peak_unit;
    e.late = r.late;
    e.recomputed = c.recomputed;
    return e;
}

prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

storage::ViolationChange to_violation_change(const rules::EpisodeEvent& e) {
    storage::ViolationChange c;
    c.kind = to_change_kind(e.kind);
    c.episode_id = e.episode.id;
    c.recomputed = e.recomputed;
    const rules::Episode& ep = e.episode;
    storage::ViolationRecord& r = c.record;
    r.type = std::string(rules::to_string(ep.type));
    r.subtype = ep.subtype;
    r.severity = std::string(rules::to_string(ep.severity));
    r.vehicle_id = ep.vehicle_id;
    r.driver_id = ep.driver_id;
    r.convoy = ep.convoy;
    r.started_at = ep.start;
    r.ended_at = ep.end;
    r.peak = ep.peak;
    r.peak_unit = ep.peak_unit;
    for (const auto& t : ep.thresholds) r.thresholds.emplace_back(t.name, t.value);
    r.pledge_version = ep.pledge_version;
    for (const auto& p : ep.path) r.path.push_back(p.point);
    r.late = ep.late;
    r.from_gap = ep.from_gap;
    r.needs_review = ep.needs_review;
    return c;
}

RulesStage::RulesStage(core::EventSink& next, push::Publisher& publisher,
                       RulesStageOptions options, prometheus::Registry& registry)
    : next_(next),
      publisher_(publisher),
      options_(std::move(options)),
      engine_(options_.config),
      db_(options_.conninfo),
      positions_(counter(registry, "fleetwatch_rules_positions_total",
                         "Positions the rule engine judged")),
      dropped_(counter(registry, "fleetwatch_rules_dropped_total",
                       "Positions stored but not judged: the rules queue was full")),
      recomputes_(counter(registry, "fleetwatch_rules_recomputes_total",
                          "Late-data recomputes (a stage replayed from a checkpoint)")),
      write_errors_(counter(registry, "fleetwatch_rules_violation_write_errors_total",
                            "Failed attempts to write violations (retried every second)")),
      episode_events_(prometheus::BuildCounter()
                          .Name("fleetwatch_rules_episode_events_total")
                          .Help("Violation episode events by kind, type and severity")
                          .Register(registry)),
      reminders_(prometheus::BuildCounter()
                     .Name("fleetwatch_rules_reminders_total")
                     .Help("Driver reminders (0x8300 TTS) by result: sent, rate_limited, "
                           "not_connected, no_terminal")
                     .Register(registry)),
      evaluation_seconds_(prometheus::BuildHistogram()
                              .Name("fleetwatch_rules_evaluation_seconds")
                              .Help("Time the engine took for one queued batch")
                              .Register(registry)
                              .Add({}, prometheus::Histogram::BucketBoundaries{
                                           1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1})) {}

RulesStage::~RulesStage() { stop(); }

void RulesStage::rebuild() {
    storage::Connection conn = db_.connect();
    const core::Timestamp now = core::utc_now();
    const core::Timestamp from = now - options_.rebuild_lookback;
    const core::Timestamp to = now + options_.config.max_future;
    // Card events interleaved with the positions by time: who drove is part of the state.
    const std::vector<core::DriverCardEvent> cards = storage::list_card_events(conn, from, to);
    std::size_t next_card = 0;
    rules::Outputs discarded;
    const auto cards_until = [&](core::Timestamp t) {
        for (; next_card < cards.size() && cards[next_card].time <= t; ++next_card) {
            engine_.on_card_event(cards[next_card], discarded);
            discarded.clear();
        }
    };
    std::size_t n = 0;
    storage::for_each_position(conn, from, to, 10'000, [&](std::span<const core::Position> page) {
        for (const auto& p : page) {
            cards_until(p.gps_time);
            engine_.on_position(p, discarded);
            discarded.clear();
        }
        n += page.size();
    });
    cards_until(core::Timestamp::max());
    // What the engine now holds is what it would have reported; the store finds the rows the
    // last run wrote (or writes those it never got to).
    std::vector<storage::ViolationChange> changes;
    for (const rules::Episode& e : engine_.episodes()) {
        rules::EpisodeEvent ev{rules::EpisodeEventKind::open, e, false};
        changes.push_back(to_violation_change(ev));
    }
    store_.apply(conn, changes);
    spdlog::info("rules: rebuilt from {} stored positions and {} card events since {}; {} "
                 "episodes held",
                 n, cards.size(), core::format_rfc3339(from), changes.size());
    conn_.emplace(std::move(conn));
}

void RulesStage::start(SendReminder send) {
    send_ = std::move(send);
    thread_ = std::thread([this] { run(); });
}

void RulesStage::stop(std::chrono::seconds flush_timeout) {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    const auto deadline = Clock::now() + flush_timeout;
    while (!flush_changes() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
    }
    if (!pending_.empty()) {
        spdlog::error("rules: {} violation changes not written at shutdown (database away); the "
                      "next start rebuilds them from the stored positions",
                      pending_.size());
    }
}

bool RulesStage::submit(std::span<const core::Position> positions) {
    if (!next_.submit(positions)) return false;
    bool log_drop = false;
    {
        const std::lock_guard lock(mutex_);  // also guards last_drop_log_ (any I/O thread)
        if (queued_positions_ + positions.size() <= options_.queue_capacity && !stopping_) {
            queue_.emplace_back(std::vector<core::Position>(positions.begin(), positions.end()));
            queued_positions_ += positions.size();
            cv_.notify_one();
            return true;
        }
        const auto now = Clock::now();
        if (now - last_drop_log_ > std::chrono::seconds{10}) {
            last_drop_log_ = now;
            log_drop = true;
        }
    }
    dropped_.Increment(static_cast<double>(positions.size()));
    if (log_drop) {
        spdlog::error("rules: queue full ({} positions); positions are stored but not judged "
                      "(fleetwatch_rules_dropped_total)",
                      options_.queue_capacity);
    }
    return true;
}

bool RulesStage::submit(const core::DriverCardEvent& event) {
    if (!next_.submit(event)) return false;
    const std::lock_guard lock(mutex_);
    queue_.emplace_back(event);  // rare; never dropped
    cv_.notify_one();
    return true;
}

void RulesStage::run() {
    rules::Outputs out;
    auto next_tick = Clock::now();
    std::deque<Item> batch;
    for (;;) {
        bool last = false;
        {
            std::unique_lock lock(mutex_);
            cv_.wait_until(lock, next_tick, [this] { return stopping_ || !queue_.empty(); });
            batch.swap(queue_);
            queued_positions_ = 0;
            last = stopping_;
        }
        const auto started = Clock::now();
        std::size_t judged = 0;
        for (Item& item : batch) {
            if (auto* ps = std::get_if<std::vector<core::Position>>(&item)) {
                for (const auto& p : *ps) engine_.on_position(p, out);
                judged += ps->size();
            } else {
                engine_.on_card_event(std::get<core::DriverCardEvent>(item), out);
            }
        }
        batch.clear();
        if (judged > 0) {
            positions_.Increment(static_cast<double>(judged));
            evaluation_seconds_.Observe(
                std::chrono::duration<double>(Clock::now() - started).count());
        }
        if (Clock::now() >= next_tick) {
            engine_.on_tick(core::utc_now(), out);
            next_tick = Clock::now() + std::chrono::seconds{1};
        }
        handle(out);
        out.clear();
        flush_changes();
        if (last) return;
    }
}

void RulesStage::handle(rules::Outputs& out) {
    const auto& stats = engine_.stats();
    if (stats.recomputes > recomputes_seen_) {
        recomputes_.Increment(static_cast<double>(stats.recomputes - recomputes_seen_));
        recomputes_seen_ = stats.recomputes;
    }
    for (const auto& e : out.events) {
        const auto& ep = e.episode;
        episode_events_
            .Add({{"kind", std::string(rules::to_string(e.kind))},
                  {"type", std::string(rules::to_string(ep.type))},
                  {"severity", std::string(rules::to_string(ep.severity))}})
            .Increment();
        if (pending_.size() >= kMaxPendingChanges) {
            write_errors_.Increment();
            spdlog::error("rules: {} violation changes wait for the database; dropping the "
                          "oldest (the next start rebuilds it from the stored positions)",
                          pending_.size());
            pending_.erase(pending_.begin());
        }
        pending_.push_back(to_violation_change(e));
    }
    for (const auto& w : out.warnings) {
        push::FatigueWarning f;
        f.vehicle_id = w.vehicle_id;
        if (!w.driver.is_vehicle) f.driver_id = static_cast<core::DriverId>(w.driver.id);
        f.time = w.time;
        f.continuous_min = w.continuous_min;
        f.limit_min = w.limit_min;
        f.night = w.night;
        f.late = w.late;
        publisher_.warning(f);
    }
    for (const auto& r : out.reminders) remind(r);
}

bool RulesStage::flush_changes() {
    if (pending_.empty()) return true;
    try {
        if (!conn_) conn_.emplace(db_.connect());
        const std::vector<std::int64_t> ids = store_.apply(*conn_, pending_);
        for (std::size_t i = 0; i < pending_.size(); ++i) {
            const storage::ViolationChange& c = pending_[i];
            if (c.kind == storage::ViolationChangeKind::close ||
                c.kind == storage::ViolationChangeKind::retract) {
                store_.forget(c.episode_id);
            }
            if (ids[i] != 0) publisher_.violation(to_push_event(c, ids[i]));
        }
        pending_.clear();
        return true;
    } catch (const storage::DatabaseError& e) {
        conn_.reset();
        write_errors_.Increment();
        const auto now = Clock::now();
        if (now - last_db_error_log_ > std::chrono::seconds{10}) {
            last_db_error_log_ = now;
            spdlog::warn("rules: cannot write {} violation changes (retrying every second): {}",
                         pending_.size(), e.what());
        }
        return false;
    }
}

void RulesStage::remind(const rules::Reminder& r) {
    const auto result = [&](const char* what) { reminders_.Add({{"result", what}}).Increment(); };
    const auto phone = options_.phone_key_by_vehicle.find(r.vehicle_id);
    if (phone == options_.phone_key_by_vehicle.end() || !send_) {
        result("no_terminal");
        return;
    }
    const auto now = Clock::now();
    auto [it, first] = last_reminder_.try_emplace(r.vehicle_id, now);
    if (!first && now - it->second < options_.reminder_interval) {
        result("rate_limited");
        return;
    }
    it->second = now;
    if (send_(phone->second, r.text)) {
        result("sent");
        spdlog::info("rules: reminder to vehicle {} ({}): {}", r.vehicle_id, phone->second, r.text);
    } else {
        result("not_connected");
    }
}

}  // namespace fleetwatch::app
