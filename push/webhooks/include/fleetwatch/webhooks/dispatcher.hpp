// The webhook dispatcher: one thread that turns the engine's violation events into durable
// deliveries and sends them (docs/api.md "Webhooks").
//
// Each round (pump()):
//   1. queue: the engine audit rows past the outbox watermark (storage/webhooks.hpp) become
//      one delivery per webhook they pass (format.hpp), body fixed now; the deliveries and the
//      new watermark are written in one transaction.
//   2. send: each enabled webhook's oldest pending delivery, when due, is POSTed (a webhook's
//      deliveries go one at a time, in order; up to `concurrency` webhooks at once, so a
//      receiver that hangs delays only its own queue). 2xx is delivered (for wecom/dingtalk
//      also the answer's `errcode` must be 0); anything else is retried with back-off
//      (delivery.hpp) and after RetryPolicy::max_attempts it is `failed`.
// The thread waits poll_interval between rounds with nothing to do, less when a retry falls
// due sooner, and wakes at once on notify() (e.g. from a publisher after a stored change).
// Nothing is held in memory between rounds: a restart resumes from the database. Once an hour
// the delivered and failed deliveries older than `retention` are deleted.
//
// Errors: a database failure is logged (at most every 30 s), the connection reopened next
// round; a receiver's failure is recorded on the delivery (last_status, last_error) and
// counted. stop() waits for the request in flight up to stop_grace, then abandons it (it stays
// pending and is sent again after the restart: receivers de-duplicate by delivery id).
//
// Metrics: fleetwatch_webhook_events_queued_total, fleetwatch_webhook_attempts_total{outcome=
// delivered|retry|failed}, fleetwatch_webhook_pending (gauge, pending deliveries of enabled
// webhooks), fleetwatch_webhook_database_errors_total.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/webhooks.hpp"
#include "fleetwatch/webhooks/delivery.hpp"
#include "fleetwatch/webhooks/format.hpp"

namespace prometheus {
class Registry;
}

namespace fleetwatch::webhooks {

struct DispatcherOptions {
    std::string conninfo;
    std::chrono::milliseconds poll_interval{500};
    std::chrono::milliseconds request_timeout{10000};  // the whole exchange
    std::chrono::milliseconds stop_grace{2000};
    RetryPolicy retry;
    std::size_t batch = 200;  // audit rows per queue step, deliveries per send step
    std::size_t concurrency = 8;  // requests in flight at once (to different webhooks)
    // Delivered and failed deliveries older than this are deleted (checked hourly).
    std::chrono::hours retention{24 * 30};
    TextOptions text;
};

class Dispatcher {
  public:
    Dispatcher(DispatcherOptions options, prometheus::Registry& registry);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    void start();
    // Idempotent; returns within stop_grace plus a database round trip.
    void stop();
    // Asks for a round now (cheap, any thread).
    void notify();

    // One round on `conn`, on the calling thread (the thread's body; tests call it directly).
    // Returns the number of events queued plus attempts made. Throws DatabaseError.
    std::size_t pump(storage::Connection& conn);
    std::size_t queue_events(storage::Connection& conn);
    std::size_t send_due(storage::Connection& conn);

  private:
    struct Stats;
    void run();
    // nullopt: abandoned by stop() (no attempt to record).
    std::optional<storage::AttemptResult> attempt(const storage::DueDelivery& d);

    DispatcherOptions options_;
    std::unique_ptr<Stats> stats_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> abandon_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    bool nudged_ = false;
    bool finished_ = false;  // run() returned
    std::chrono::steady_clock::time_point next_prune_{};
    std::thread thread_;
};

}  // namespace fleetwatch::webhooks
