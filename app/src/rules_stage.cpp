#include "rules_stage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

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
                              .Help("Time an engine shard took for one queued batch")
                              .Register(registry)
                              .Add({}, prometheus::Histogram::BucketBoundaries{
                                           1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1})),
      violation_write_seconds_(
          prometheus::BuildHistogram()
              .Name("fleetwatch_rules_violation_write_seconds")
              .Help("Time one write of violation changes took (a transaction, committed), "
                    "before they are published")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{
                           1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1})) {
    const std::size_t n = std::max<std::size_t>(1, options_.shards);
    for (std::size_t i = 0; i < n; ++i)
        shards_.push_back(std::make_unique<Shard>(options_.config, rules::ShardSpec{i, n}));
    shard_capacity_ = std::max<std::size_t>(1, options_.queue_capacity / n);
}

RulesStage::~RulesStage() { stop(); }

RulesStage::Shard& RulesStage::shard_of(core::VehicleId vehicle) {
    return *shards_[rules::vehicle_shard(vehicle, shards_.size())];
}

void RulesStage::rebuild() {
    storage::Connection conn = db_.connect();
    const core::Timestamp now = core::utc_now();
    const core::Timestamp from = now - options_.rebuild_lookback;
    const core::Timestamp to = now + options_.config.max_future;
    // Card events interleaved with the positions by time: who drove is part of the state.
    const std::vector<core::DriverCardEvent> cards = storage::list_card_events(conn, from, to);
    std::size_t next_card = 0;
    rules::Outputs discarded;
    std::vector<rules::Engine*> engines;
    for (auto& shard : shards_) engines.push_back(&shard->engine);
    const auto settle = [&] {
        rules::deliver_all_mail(engines, discarded);
        discarded.clear();
    };
    const auto cards_until = [&](core::Timestamp t) {
        for (; next_card < cards.size() && cards[next_card].time <= t; ++next_card) {
            shard_of(cards[next_card].vehicle_id).engine.on_card_event(cards[next_card], discarded);
            settle();
        }
    };
    std::size_t n = 0;
    storage::for_each_position(conn, from, to, 10'000, [&](std::span<const core::Position> page) {
        for (const auto& p : page) {
            cards_until(p.gps_time);
            shard_of(p.vehicle_id).engine.on_position(p, discarded);
            settle();
        }
        n += page.size();
    });
    cards_until(core::Timestamp::max());
    // What the engine now holds is what it would have reported; the store finds the rows the
    // last run wrote (or writes those it never got to).
    std::vector<storage::ViolationChange> changes;
    for (const auto& shard : shards_) {
        for (const rules::Episode& e : shard->engine.episodes()) {
            rules::EpisodeEvent ev{rules::EpisodeEventKind::open, e, false};
            changes.push_back(to_violation_change(ev));
        }
    }
    store_.apply(conn, changes);
    spdlog::info("rules: rebuilt from {} stored positions and {} card events since {}; {} "
                 "episodes held ({} engine shards)",
                 n, cards.size(), core::format_rfc3339(from), changes.size(), shards_.size());
    conn_.emplace(std::move(conn));
}

void RulesStage::start(SendReminder send) {
    send_ = std::move(send);
    shards_running_ = shards_.size();
    for (auto& shard : shards_) {
        Shard* s = shard.get();
        s->thread = std::thread([this, s] { run_shard(*s); });
    }
    output_thread_ = std::thread([this] { run_output(); });
}

void RulesStage::stop(std::chrono::seconds flush_timeout) {
    if (stopping_.exchange(true)) return;
    for (auto& shard : shards_) {
        { const std::lock_guard lock(shard->mutex); }  // a shard between its check and its wait
        shard->cv.notify_all();
    }
    for (auto& shard : shards_)
        if (shard->thread.joinable()) shard->thread.join();
    if (output_thread_.joinable()) output_thread_.join();
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

bool RulesStage::enqueue(Shard& shard, Item item, std::size_t positions) {
    bool log_drop = false;
    {
        std::unique_lock lock(shard.mutex);  // also guards last_drop_log (any I/O thread)
        if (!stopping_ && shard.queued_positions + positions <= shard_capacity_) {
            shard.queue.push_back(std::move(item));
            shard.queued_positions += positions;
            ++in_flight_;
            lock.unlock();
            shard.cv.notify_one();
            return true;
        }
        if (positions == 0) return false;  // stopping: stored; the next start rebuilds it
        const auto now = Clock::now();
        if (now - shard.last_drop_log > std::chrono::seconds{10}) {
            shard.last_drop_log = now;
            log_drop = true;
        }
    }
    dropped_.Increment(static_cast<double>(positions));
    if (log_drop) {
        spdlog::error("rules: an engine shard's queue is full ({} positions); positions are "
                      "stored but not judged (fleetwatch_rules_dropped_total)",
                      shard_capacity_);
    }
    return false;
}

bool RulesStage::submit(std::span<const core::Position> positions) {
    if (!next_.submit(positions)) return false;
    if (positions.empty()) return true;
    const std::size_t n = shards_.size();
    const std::size_t first = rules::vehicle_shard(positions.front().vehicle_id, n);
    const bool one_shard = std::all_of(positions.begin(), positions.end(), [&](const auto& p) {
        return rules::vehicle_shard(p.vehicle_id, n) == first;
    });
    if (one_shard) {  // always, from ingest: one read is one terminal's
        enqueue(*shards_[first], std::vector<core::Position>(positions.begin(), positions.end()),
                positions.size());
        return true;
    }
    std::vector<std::vector<core::Position>> split(n);
    for (const auto& p : positions) split[rules::vehicle_shard(p.vehicle_id, n)].push_back(p);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t size = split[i].size();
        if (size > 0) enqueue(*shards_[i], std::move(split[i]), size);
    }
    return true;
}

bool RulesStage::submit(const core::DriverCardEvent& event) {
    if (!next_.submit(event)) return false;
    enqueue(shard_of(event.vehicle_id), event, 0);  // rare; never dropped
    return true;
}

void RulesStage::contact(core::VehicleId vehicle, core::Timestamp received_at) {
    next_.contact(vehicle, received_at);
    enqueue(shard_of(vehicle), Contact{vehicle, received_at}, 0);
}

void RulesStage::deliver_mail(Shard& from) {
    if (!from.engine.has_mail()) return;
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        rules::Mail m = from.engine.take_mail(i);
        if (m.empty()) continue;
        Shard& to = *shards_[i];
        ++in_flight_;  // before the sender's own item is done: see in_flight_
        {
            const std::lock_guard lock(to.mutex);
            to.queue.emplace_back(std::move(m));
        }
        to.cv.notify_one();
    }
}

void RulesStage::run_shard(Shard& shard) {
    rules::Outputs out;
    auto next_tick = Clock::now();
    std::deque<Item> batch;
    const auto done = [this] { return stopping_ && in_flight_ == 0; };
    for (;;) {
        {
            std::unique_lock lock(shard.mutex);
            shard.cv.wait_until(lock, next_tick, [&] { return !shard.queue.empty() || done(); });
            if (shard.queue.empty() && done()) break;
            batch.swap(shard.queue);
            shard.queued_positions = 0;
        }
        const auto started = Clock::now();
        const std::size_t items = batch.size();
        std::size_t judged = 0;
        for (Item& item : batch) {
            if (auto* ps = std::get_if<std::vector<core::Position>>(&item)) {
                for (const auto& p : *ps) shard.engine.on_position(p, out);
                judged += ps->size();
            } else if (auto* card = std::get_if<core::DriverCardEvent>(&item)) {
                shard.engine.on_card_event(*card, out);
            } else if (auto* c = std::get_if<Contact>(&item)) {
                shard.engine.on_contact(c->vehicle, c->received_at, out);
            } else {
                shard.engine.on_mail(std::move(std::get<rules::Mail>(item)), out);
            }
        }
        batch.clear();
        if (judged > 0) {
            positions_.Increment(static_cast<double>(judged));
            evaluation_seconds_.Observe(
                std::chrono::duration<double>(Clock::now() - started).count());
        }
        if (Clock::now() >= next_tick) {
            shard.engine.on_tick(core::utc_now(), out);
            next_tick = Clock::now() + std::chrono::seconds{1};
        }
        const std::uint64_t recomputes = shard.engine.stats().recomputes;
        if (recomputes > shard.recomputes_seen) {
            recomputes_.Increment(static_cast<double>(recomputes - shard.recomputes_seen));
            shard.recomputes_seen = recomputes;
        }
        deliver_mail(shard);
        if (!out.empty()) {
            {
                const std::lock_guard lock(out_mutex_);
                out_queue_.push_back(std::move(out));
            }
            out_cv_.notify_one();
            out = rules::Outputs{};
        }
        if (items > 0 && in_flight_.fetch_sub(items) == items && stopping_) {
            for (auto& other : shards_) {  // the last item: wake the others to stop
                { const std::lock_guard lock(other->mutex); }
                other->cv.notify_all();
            }
        }
    }
    {
        const std::lock_guard lock(out_mutex_);
        --shards_running_;
    }
    out_cv_.notify_one();
}

void RulesStage::run_output() {
    std::deque<rules::Outputs> batch;
    for (;;) {
        bool last = false;
        {
            std::unique_lock lock(out_mutex_);
            out_cv_.wait_for(lock, std::chrono::seconds{1},
                             [this] { return !out_queue_.empty() || shards_running_ == 0; });
            batch.swap(out_queue_);
            last = shards_running_ == 0;  // nothing more comes: shards push before they leave
        }
        for (rules::Outputs& out : batch) handle(out);
        batch.clear();
        flush_changes();  // also the retry, every second, while PostgreSQL is away
        if (last) return;
    }
}

void RulesStage::handle(rules::Outputs& out) {
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
        const auto started = Clock::now();
        const std::vector<std::int64_t> ids = store_.apply(*conn_, pending_);
        violation_write_seconds_.Observe(
            std::chrono::duration<double>(Clock::now() - started).count());
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
