#include "fleetwatch/webhooks/dispatcher.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "fleetwatch/storage/webhooks.hpp"

namespace fleetwatch::webhooks {

struct Dispatcher::Stats {
    explicit Stats(prometheus::Registry& r)
        : queued(prometheus::BuildCounter()
                     .Name("fleetwatch_webhook_events_queued_total")
                     .Help("Webhook deliveries queued (one per event and webhook it passes)")
                     .Register(r)
                     .Add({})),
          attempts(prometheus::BuildCounter()
                       .Name("fleetwatch_webhook_attempts_total")
                       .Help("Webhook requests made, by outcome (delivered, retry, failed)")
                       .Register(r)),
          delivered(attempts.Add({{"outcome", "delivered"}})),
          retry(attempts.Add({{"outcome", "retry"}})),
          failed(attempts.Add({{"outcome", "failed"}})),
          pending(prometheus::BuildGauge()
                      .Name("fleetwatch_webhook_pending")
                      .Help("Pending webhook deliveries of enabled webhooks")
                      .Register(r)
                      .Add({})),
          database_errors(prometheus::BuildCounter()
                              .Name("fleetwatch_webhook_database_errors_total")
                              .Help("Dispatcher rounds that failed on the database")
                              .Register(r)
                              .Add({})) {}
    prometheus::Counter& queued;
    prometheus::Family<prometheus::Counter>& attempts;
    prometheus::Counter& delivered;
    prometheus::Counter& retry;
    prometheus::Counter& failed;
    prometheus::Gauge& pending;
    prometheus::Counter& database_errors;
};

Dispatcher::Dispatcher(DispatcherOptions options, prometheus::Registry& registry)
    : options_(std::move(options)), stats_(std::make_unique<Stats>(registry)) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void Dispatcher::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    // The request in flight gets stop_grace to finish; then it is abandoned (delivery.hpp).
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, options_.stop_grace, [this] { return finished_; })) abandon_ = true;
    lock.unlock();
    thread_.join();
}

void Dispatcher::notify() {
    {
        std::lock_guard lock(mutex_);
        nudged_ = true;
    }
    cv_.notify_all();
}

void Dispatcher::run() {
    storage::Database db(options_.conninfo);
    std::optional<storage::Connection> conn;
    auto last_error_log = std::chrono::steady_clock::now() - std::chrono::hours{1};
    while (!stopping_) {
        auto wait = options_.poll_interval;
        try {
            if (!conn || !conn->is_open()) conn.emplace(db.connect());
            if (pump(*conn) > 0) {
                wait = std::chrono::milliseconds{0};
            } else if (const auto due = storage::seconds_until_next_due(*conn)) {
                const auto until = std::chrono::milliseconds{
                    static_cast<std::int64_t>(*due * 1000.0) + 5};
                wait = std::min(wait, until);
            }
        } catch (const std::exception& e) {
            stats_->database_errors.Increment();
            conn.reset();
            wait = std::max(options_.poll_interval, std::chrono::milliseconds{2000});
            const auto now = std::chrono::steady_clock::now();
            if (now - last_error_log > std::chrono::seconds{30}) {
                spdlog::warn("webhooks: round failed, retrying in {} ms: {}", wait.count(),
                             e.what());
                last_error_log = now;
            }
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, wait, [this] { return stopping_ || nudged_; });
        nudged_ = false;
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    cv_.notify_all();
}

std::size_t Dispatcher::pump(storage::Connection& conn) {
    std::size_t n = queue_events(conn);
    n += send_due(conn);
    if (const auto now = std::chrono::steady_clock::now(); now >= next_prune_) {
        next_prune_ = now + std::chrono::hours{1};
        if (const auto pruned = storage::prune_deliveries(conn, options_.retention); pruned > 0) {
            spdlog::info("webhooks: deleted {} deliveries older than {} h", pruned,
                         options_.retention.count());
        }
    }
    stats_->pending.Set(static_cast<double>(storage::pending_delivery_count(conn)));
    return n;
}

std::size_t Dispatcher::queue_events(storage::Connection& conn) {
    const storage::OutboxBatch batch = storage::read_outbox(conn, options_.batch);
    if (batch.events.empty()) return 0;
    std::vector<storage::WebhookRow> hooks = storage::list_webhooks(conn);
    std::erase_if(hooks, [](const storage::WebhookRow& w) { return !w.enabled; });

    std::vector<std::int64_t> violation_ids;
    for (const auto& e : batch.events) violation_ids.push_back(e.violation_id);
    auto announced = storage::announced_violations(conn, violation_ids);

    struct Known {
        std::optional<storage::ViolationRow> row;
        storage::ViolationContext context;
    };
    std::map<std::int64_t, Known> known;  // violation id -> row and context, read once
    std::vector<storage::NewDelivery> deliveries;
    for (const storage::OutboxEvent& oe : batch.events) {
        const auto kind = kind_of_action(oe.action);
        if (!kind || hooks.empty()) continue;
        auto it = known.find(oe.violation_id);
        if (it == known.end()) {
            Known k{storage::find_violation(conn, oe.violation_id),
                    storage::violation_context(conn, oe.violation_id)};
            it = known.emplace(oe.violation_id, std::move(k)).first;
        }
        if (!it->second.row) continue;  // cannot happen (a foreign key), but never a crash
        Event e;
        e.kind = *kind;
        e.recomputed = oe.action == "recomputed";
        e.audit_id = oe.audit_id;
        e.at = oe.at;
        e.violation = *it->second.row;
        e.violation.path_geojson.reset();
        apply_audit_detail(e.violation, oe.detail_json);
        e.context = it->second.context;
        for (const auto& w : hooks) {
            if (oe.audit_id <= w.from_audit_id) continue;
            const auto key = std::make_pair(w.id, oe.violation_id);
            if (!passes(w, e.kind, e.violation.type, e.violation.severity,
                        announced.contains(key))) {
                continue;
            }
            announced.insert(key);
            deliveries.push_back(storage::NewDelivery{w.id, oe.audit_id, oe.violation_id,
                                                      std::string(kind_name(e.kind)),
                                                      body(w.format, w.id, e, options_.text)});
        }
    }
    if (!storage::queue_deliveries(conn, batch.watermark, batch.events.back().audit_id,
                                   deliveries)) {
        spdlog::info("webhooks: another dispatcher queued audit rows after {} first",
                     batch.watermark);
        return 0;
    }
    stats_->queued.Increment(static_cast<double>(deliveries.size()));
    return batch.events.size();
}

std::size_t Dispatcher::send_due(storage::Connection& conn) {
    // One delivery per webhook (its oldest due one), up to `concurrency` requests at a time:
    // a receiver that hangs holds up its own queue, not the other webhooks'.
    const auto due = storage::next_due_deliveries(conn, options_.batch);
    const std::size_t width = std::max<std::size_t>(1, options_.concurrency);
    std::size_t n = 0;
    for (std::size_t first = 0; first < due.size() && !stopping_; first += width) {
        const std::size_t last = std::min(due.size(), first + width);
        std::vector<std::future<std::optional<storage::AttemptResult>>> results;
        for (std::size_t i = first; i < last; ++i) {
            results.push_back(std::async(std::launch::async, [this, &d = due[i]] {
                return attempt(d);
            }));
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto r = results[i - first].get();
            if (!r) continue;  // abandoned at shutdown: not an attempt, sent after the restart
            storage::record_attempt(conn, due[i].id, *r);
            ++n;
        }
    }
    return n;
}

namespace {

double jitter() {
    thread_local std::mt19937 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

std::optional<storage::AttemptResult> Dispatcher::attempt(const storage::DueDelivery& d) {
    using Outcome = storage::AttemptResult::Outcome;
    storage::AttemptResult r;
    const std::string key = delivery_key(d.webhook_id, d.audit_id);
    const SendResult sent = send(d.url, d.format, d.secret, d.body, key, d.kind, d.attempts + 1,
                                 options_.request_timeout, abandon_);
    if (sent.abandoned) return std::nullopt;
    r.http_status = sent.status;
    if (sent.delivered) {
        r.outcome = Outcome::delivered;
        stats_->delivered.Increment();
        return r;
    }
    r.error = sent.error;
    const int attempts = d.attempts + 1;
    if (attempts >= options_.retry.max_attempts) {
        r.outcome = Outcome::failed;
        stats_->failed.Increment();
        spdlog::warn("webhooks: delivery {} ({}) to webhook {} failed for good after {} attempts: {}",
                     d.id, key, d.webhook_id, attempts, r.error);
    } else {
        r.outcome = Outcome::retry;
        r.retry_after = retry_delay(options_.retry, attempts, jitter());
        stats_->retry.Increment();
        spdlog::info("webhooks: delivery {} ({}) to webhook {}: attempt {} failed ({}), next in {} ms",
                     d.id, key, d.webhook_id, attempts, r.error, r.retry_after.count());
    }
    return r;
}

}  // namespace fleetwatch::webhooks
