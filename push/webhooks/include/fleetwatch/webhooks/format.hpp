// What a webhook receives (docs/api.md "Webhooks"): which engine events pass a webhook's
// filters, and the request body of each format.
//
// Events are the engine's audit rows of a violation (storage/webhooks.hpp "the outbox"):
// opened, updated (and recomputed: an update from late data), closed, retracted.
//
// Filters (passes()): the violation's type must be among the webhook's `types` (empty = all).
// A webhook first hears of a violation with the first event whose severity reaches
// `min_severity` — an `opened`, or an `updated`/`closed` when the violation escalated or was
// short — whatever `kinds` says; a retraction of a violation it never heard of is not sent.
// After that, the violation's later events are sent when their kind is in `kinds` (whatever
// their severity: a chat that saw "severe" should see it end).
//
// Bodies are fixed when the delivery is queued (retries resend the same bytes, so the
// signature and the receiver's de-duplication hold). The violation is the stored row at that
// moment with the event's own verdict (severity, peak, started_at, ended_at from its audit row).
//
// Pure functions: no I/O, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/violation_queries.hpp"
#include "fleetwatch/storage/violations.hpp"
#include "fleetwatch/storage/webhooks.hpp"

namespace fleetwatch::webhooks {

enum class EventKind : std::uint8_t { opened, updated, closed, retracted };
// short_name of each EventKind, in its order (a webhook's `kinds`).
inline constexpr std::array<std::string_view, 4> kEventKindNames{"opened", "updated", "closed",
                                                                 "retracted"};

// "opened", ... (a webhook's `kinds`).
std::string_view short_name(EventKind k) noexcept;
// "violation.opened", ... (the live stream's and the json format's `kind`).
std::string_view kind_name(EventKind k) noexcept;
std::optional<EventKind> parse_short_name(std::string_view s) noexcept;
// The event of an engine audit action; nullopt for anything else (people's actions).
std::optional<EventKind> kind_of_action(std::string_view action) noexcept;

// 0 (minor) ... 4 (critical); nullopt for an unknown severity.
std::optional<int> severity_rank(std::string_view severity) noexcept;

// The kinds a webhook of `format` gets when it does not say: every kind for json; opened,
// closed and retracted for the group robots (an overspeed updates its peak many times).
std::vector<std::string> default_kinds(std::string_view format);

// Whether the event goes to `w` (see the header comment). `announced`: the webhook already
// has a delivery of this violation.
bool passes(const storage::WebhookRow& w, EventKind kind, std::string_view type,
            std::string_view severity, bool announced);

struct Event {
    EventKind kind = EventKind::opened;
    bool recomputed = false;
    std::int64_t audit_id = 0;
    core::Timestamp at{};               // when the engine recorded it
    storage::ViolationRow violation;    // with the event's verdict
    storage::ViolationContext context;  // plate, driver, the fleet's UTC offset
};

// Overlays the audit row's verdict (severity, peak, started_at, ended_at) on `v`.
void apply_audit_detail(storage::ViolationRow& v, std::string_view detail_json);

// API.md's violation object (GET /api/v1/violations/{id} without audit and path).
nlohmann::json violation_json(const storage::ViolationRow& v);

// The stable id of one event's delivery to one webhook: "<webhook_id>.<audit_id>" (also the
// X-Fleetwatch-Delivery header).
std::string delivery_key(std::int64_t webhook_id, std::int64_t audit_id);

struct TextOptions {
    // Where a violation is seen: "{id}" is replaced by its id ("https://fleet.example/#/v/{id}").
    // Empty: the text names the API path.
    std::string link_template;
};

// The body for `format` (json, wecom, dingtalk).
std::string body(std::string_view format, std::int64_t webhook_id, const Event& e,
                 const TextOptions& text);

// The body of POST /api/v1/webhooks/{id}/test: for json {"kind":"webhook.test",
// "delivery_id":"<id>.test","event_id":null,"webhook_id","at","recomputed":false,"data":null};
// for the robots a markdown message saying it is a test.
std::string test_body(std::string_view format, std::int64_t webhook_id, core::Timestamp now);
inline constexpr std::string_view kTestKind = "webhook.test";

// The markdown text of the group robots (Chinese): what, plate, driver, severity, local
// time, peak and limit, and where to look.
std::string markdown_text(const Event& e, const TextOptions& text);
// The title line (DingTalk's `title`, the markdown's heading).
std::string title_text(const Event& e);

}  // namespace fleetwatch::webhooks
