// Webhooks (migration 0005): the receivers the API manages, the outbox the dispatcher reads
// (engine rows of violation_audit past a watermark) and the durable delivery queue.
//
// The outbox protocol (push/webhooks/dispatcher.hpp drives it):
//   read_outbox()            the watermark and the engine audit rows after it, oldest first
//   queue_deliveries()       inserts the deliveries chosen for them and moves the watermark,
//                            in one transaction, only if the watermark is still the one read
// Engine audit rows are appended by one thread (the rules stage's ViolationStore), so their
// ids commit in increasing order and a watermark never skips a row committed later.
//
// Deliveries go out per webhook in id order: next_due_deliveries() gives, for each enabled
// webhook, its oldest pending delivery if that one is due.
//
// Every function throws DatabaseError.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct WebhookRow {
    std::int64_t id = 0;
    std::string url;
    std::string format;              // json, wecom, dingtalk
    std::vector<std::string> types;  // empty: every type
    std::vector<std::string> kinds;  // opened, updated, closed, retracted
    std::string min_severity;
    std::string secret;
    std::string description;
    bool enabled = true;
    std::int64_t from_audit_id = 0;
    std::string created_by;
    core::Timestamp created_at{};
    core::Timestamp updated_at{};
};

struct NewWebhook {
    std::string url;
    std::string format;
    std::vector<std::string> types;
    std::vector<std::string> kinds;
    std::string min_severity;
    std::string secret;
    std::string description;
    bool enabled = true;
    std::string created_by;
};

// A partial update: only the fields set change.
struct WebhookPatch {
    std::optional<std::string> url;
    std::optional<std::string> format;
    std::optional<std::vector<std::string>> types;
    std::optional<std::vector<std::string>> kinds;
    std::optional<std::string> min_severity;
    std::optional<std::string> secret;
    std::optional<std::string> description;
    std::optional<bool> enabled;
};

// Inserts it with from_audit_id = the newest audit row now (it hears of what happens next).
WebhookRow create_webhook(Connection& conn, const NewWebhook& w);
std::vector<WebhookRow> list_webhooks(Connection& conn);
std::optional<WebhookRow> find_webhook(Connection& conn, std::int64_t id);
// nullopt when there is no webhook `id`.
std::optional<WebhookRow> update_webhook(Connection& conn, std::int64_t id, const WebhookPatch& p);
// Deletes it and its deliveries; false when there was none.
bool delete_webhook(Connection& conn, std::int64_t id);

// ---- the outbox ---------------------------------------------------------------------------------

struct OutboxEvent {
    std::int64_t audit_id = 0;
    std::int64_t violation_id = 0;
    std::string action;       // opened, updated, recomputed, closed, retracted
    std::string detail_json;  // the audit row's detail: severity, peak, started_at, ended_at
    core::Timestamp at{};
};

struct OutboxBatch {
    std::int64_t watermark = 0;  // the last audit id already turned into deliveries
    std::vector<OutboxEvent> events;  // engine audit rows after it, oldest first, at most `limit`
};
OutboxBatch read_outbox(Connection& conn, std::size_t limit);

// Which of `violation_ids` already have a delivery (of any state) for which webhook:
// (webhook_id, violation_id) pairs.
std::set<std::pair<std::int64_t, std::int64_t>> announced_violations(
    Connection& conn, std::span<const std::int64_t> violation_ids);

// What the webhook text needs besides the violation row: the vehicle's plate, the driver's
// name and the fleet's timezone (settings.timezone, default Asia/Shanghai).
struct ViolationContext {
    std::optional<std::string> plate;
    std::optional<std::string> driver_name;
    std::string timezone = "Asia/Shanghai";
    int utc_offset_s = 8 * 3600;  // the timezone's offset from UTC at the violation's start
};
ViolationContext violation_context(Connection& conn, std::int64_t violation_id);

struct NewDelivery {
    std::int64_t webhook_id = 0;
    std::int64_t audit_id = 0;
    std::int64_t violation_id = 0;
    std::string kind;  // violation.opened, ...
    std::string body;
};
// Inserts `deliveries` (one already there for the same webhook and audit row is kept as is)
// and sets the watermark to `new_watermark`, in one transaction, if the watermark is still
// `read_watermark`. False (nothing done) when another dispatcher moved it meanwhile.
bool queue_deliveries(Connection& conn, std::int64_t read_watermark, std::int64_t new_watermark,
                      std::span<const NewDelivery> deliveries);

// ---- the queue ----------------------------------------------------------------------------------

struct DueDelivery {
    std::int64_t id = 0;
    std::int64_t webhook_id = 0;
    std::int64_t audit_id = 0;
    std::int64_t violation_id = 0;
    std::string kind;
    std::string body;
    int attempts = 0;  // made so far
    std::string url;
    std::string format;
    std::string secret;
};
// For each enabled webhook, its oldest pending delivery when that is due (next_attempt_at <=
// now), earliest due first, at most `limit`.
std::vector<DueDelivery> next_due_deliveries(Connection& conn, std::size_t limit);

// Seconds until the earliest pending delivery of an enabled webhook is due (0 when one is due
// now); nullopt when nothing is pending.
std::optional<double> seconds_until_next_due(Connection& conn);

struct AttemptResult {
    enum class Outcome : std::uint8_t { delivered, retry, failed } outcome{};
    std::optional<int> http_status;
    std::string error;  // empty when delivered
    std::chrono::milliseconds retry_after{0};  // retry: from now
};
// Records one attempt: attempts + 1, last_* set; delivered -> state delivered; retry ->
// next_attempt_at = now + retry_after; failed -> state failed. Only a pending delivery changes.
void record_attempt(Connection& conn, std::int64_t delivery_id, const AttemptResult& r);

struct DeliveryRow {
    std::int64_t id = 0;
    std::int64_t webhook_id = 0;
    std::int64_t audit_id = 0;
    std::int64_t violation_id = 0;
    std::string kind;
    std::string state;
    int attempts = 0;
    core::Timestamp created_at{};
    core::Timestamp next_attempt_at{};
    std::optional<core::Timestamp> last_attempt_at;
    std::optional<int> last_status;
    std::optional<std::string> last_error;
    std::optional<core::Timestamp> delivered_at;
};
struct DeliveryFilter {
    std::int64_t webhook_id = 0;
    std::optional<std::string> state;
    std::optional<std::int64_t> before_id;  // the cursor: id < before_id
    std::size_t limit = 100;
};
// Newest first.
std::vector<DeliveryRow> list_deliveries(Connection& conn, const DeliveryFilter& f);

// Per webhook: how many deliveries are in each state, and when the last one was delivered.
struct DeliverySummary {
    std::int64_t pending = 0;
    std::int64_t delivered = 0;
    std::int64_t failed = 0;
    std::optional<core::Timestamp> last_delivered_at;
};
std::map<std::int64_t, DeliverySummary> delivery_summaries(Connection& conn);

// Deletes delivered and failed deliveries created more than `age` ago; how many.
std::int64_t prune_deliveries(Connection& conn, std::chrono::hours age);

// Pending deliveries of enabled webhooks (the queue depth metric).
std::int64_t pending_delivery_count(Connection& conn);

}  // namespace fleetwatch::storage
