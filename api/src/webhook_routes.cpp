#include "webhook_routes.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/api/router.hpp"
#include "fleetwatch/storage/violations.hpp"
#include "fleetwatch/storage/webhooks.hpp"
#include "fleetwatch/webhooks/delivery.hpp"
#include "fleetwatch/webhooks/format.hpp"

namespace fleetwatch::api {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kFormats{"json", "wecom", "dingtalk"};
using storage::kSeverities;
using storage::kViolationTypes;
using webhooks::kEventKindNames;
constexpr std::array<std::string_view, 3> kStates{"pending", "delivered", "failed"};
constexpr std::array<std::string_view, 8> kFields{"url",          "format", "types",
                                                  "kinds",        "min_severity", "secret",
                                                  "description",  "enabled"};
constexpr std::size_t kMaxDescriptionBytes = 500;
constexpr std::size_t kMinSecretBytes = 16;
constexpr std::size_t kMaxSecretBytes = 256;
constexpr std::chrono::seconds kTestTimeout{10};

[[noreturn]] void invalid(const std::string& field, const std::string& message) {
    throw ApiError(400, "invalid_parameter", message, field);
}

template <std::size_t N>
std::string one_of(const json& v, const char* field, const std::array<std::string_view, N>& ok) {
    if (v.is_string()) {
        const auto s = v.get<std::string>();
        if (std::find(ok.begin(), ok.end(), s) != ok.end()) return s;
    }
    throw_not_one_of(field, ok.data(), N);
}

template <std::size_t N>
std::vector<std::string> subset_of(const json& v, const char* field,
                                   const std::array<std::string_view, N>& ok) {
    if (!v.is_array()) invalid(field, std::string(field) + " must be an array");
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (const auto& item : v) {
        auto s = one_of(item, field, ok);
        if (seen.insert(s).second) out.push_back(std::move(s));
    }
    return out;
}

std::string url_of(const json& v) {
    if (!v.is_string()) invalid("url", "url must be a string");
    const auto s = v.get<std::string>();
    if (s.size() > 2048) invalid("url", "url is longer than 2048 bytes");
    if (!webhooks::parse_url(s)) {
        invalid("url", "url must be an http:// or https:// URL without user info or fragment");
    }
    return s;
}

// A generated secret never starts with "SEC": that marks DingTalk's own (its 加签), which
// changes the URL (webhooks::dingtalk_signs).
std::string new_secret() {
    for (;;) {
        std::string s = new_token();
        if (!s.starts_with("SEC")) return s;
    }
}

std::string secret_of(const json& v) {
    if (!v.is_string()) invalid("secret", "secret must be a string");
    const auto s = v.get<std::string>();
    if (s.size() < kMinSecretBytes || s.size() > kMaxSecretBytes) {
        invalid("secret", "secret must have 16 to 256 bytes");
    }
    return s;
}

std::string description_of(const json& v) {
    if (!v.is_string()) invalid("description", "description must be a string");
    const auto s = v.get<std::string>();
    if (s.size() > kMaxDescriptionBytes) invalid("description", "description is too long");
    return s;
}

bool enabled_of(const json& v) {
    if (!v.is_boolean()) invalid("enabled", "enabled must be true or false");
    return v.get<bool>();
}

// The body's keys must be among the webhook's fields.
void only_known_fields(const json& body) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
            invalid(key, "unknown field " + key);
        }
    }
}

json to_json(const storage::WebhookRow& w, const storage::DeliverySummary& s = {}) {
    return json{{"id", w.id},
                {"url", w.url},
                {"format", w.format},
                {"types", w.types},
                {"kinds", w.kinds},
                {"min_severity", w.min_severity},
                {"description", w.description},
                {"enabled", w.enabled},
                {"created_by", w.created_by},
                {"created_at", core::format_rfc3339(w.created_at)},
                {"updated_at", core::format_rfc3339(w.updated_at)},
                {"deliveries",
                 {{"pending", s.pending},
                  {"delivered", s.delivered},
                  {"failed", s.failed},
                  {"last_delivered_at", time_json(s.last_delivered_at)}}}};
}


json to_json(const storage::DeliveryRow& d) {
    return json{{"id", d.id},
                {"delivery_id", webhooks::delivery_key(d.webhook_id, d.audit_id)},
                {"event_id", d.audit_id},
                {"violation_id", d.violation_id},
                {"kind", d.kind},
                {"state", d.state},
                {"attempts", d.attempts},
                {"created_at", core::format_rfc3339(d.created_at)},
                {"next_attempt_at", d.state == "pending"
                                        ? json(core::format_rfc3339(d.next_attempt_at))
                                        : json(nullptr)},
                {"last_attempt_at", time_json(d.last_attempt_at)},
                {"last_status", nullable_json(d.last_status)},
                {"last_error", nullable_json(d.last_error)},
                {"delivered_at", time_json(d.delivered_at)}};
}

// A receiver's answer for a JSON reply: at most 1000 bytes, invalid UTF-8 replaced.
std::string printable(std::string s) {
    if (s.size() > 1000) s.resize(1000);
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace))
        .get<std::string>();
}

ApiError no_webhook(std::int64_t id) {
    return ApiError(404, "not_found", "no webhook " + std::to_string(id));
}

class WebhookRoutes {
  public:
    explicit WebhookRoutes(DbPool& pool) : pool_(pool) {}

    // The secret is answered here only (given or generated): later reads never show it.
    Response create(Request& r) {
        const json body = r.json_object();
        only_known_fields(body);
        storage::NewWebhook w;
        const auto url = body.find("url");
        if (url == body.end()) invalid("url", "url is required");
        w.url = url_of(*url);
        w.format = body.contains("format") ? one_of(body["format"], "format", kFormats) : "json";
        if (body.contains("types")) w.types = subset_of(body["types"], "types", kViolationTypes);
        w.kinds = body.contains("kinds") ? subset_of(body["kinds"], "kinds", kEventKindNames)
                                         : webhooks::default_kinds(w.format);
        w.min_severity = body.contains("min_severity")
                             ? one_of(body["min_severity"], "min_severity", kSeverities)
                             : "minor";
        w.secret = body.contains("secret") ? secret_of(body["secret"]) : new_secret();
        if (body.contains("description")) w.description = description_of(body["description"]);
        if (body.contains("enabled")) w.enabled = enabled_of(body["enabled"]);
        w.created_by = r.caller().username;
        const auto row = pool_.with([&](storage::Connection& c) {
            return storage::create_webhook(c, w);
        });
        json out = to_json(row);
        out["secret"] = row.secret;
        return json_response(out, 201);
    }

    Response list(Request&) {
        std::map<std::int64_t, storage::DeliverySummary> summaries;
        const auto rows = pool_.with([&](storage::Connection& c) {
            summaries = storage::delivery_summaries(c);
            return storage::list_webhooks(c);
        });
        json items = json::array();
        for (const auto& w : rows) items.push_back(to_json(w, summaries[w.id]));
        return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
    }

    Response get(Request& r) {
        const auto id = r.id_param("id");
        std::map<std::int64_t, storage::DeliverySummary> summaries;
        const auto row = pool_.with([&](storage::Connection& c) {
            summaries = storage::delivery_summaries(c);
            return storage::find_webhook(c, id);
        });
        if (!row) throw no_webhook(id);
        return json_response(to_json(*row, summaries[id]));
    }

    // Changes the fields given; {"secret": null} makes a new secret (answered once, as on
    // create). Changing the format without `kinds` keeps the kinds.
    Response patch(Request& r) {
        const auto id = r.id_param("id");
        const json body = r.json_object();
        only_known_fields(body);
        storage::WebhookPatch p;
        if (body.contains("url")) p.url = url_of(body["url"]);
        if (body.contains("format")) p.format = one_of(body["format"], "format", kFormats);
        if (body.contains("types")) p.types = subset_of(body["types"], "types", kViolationTypes);
        if (body.contains("kinds")) p.kinds = subset_of(body["kinds"], "kinds", kEventKindNames);
        if (body.contains("min_severity")) {
            p.min_severity = one_of(body["min_severity"], "min_severity", kSeverities);
        }
        if (body.contains("secret")) {
            p.secret = body["secret"].is_null() ? new_secret() : secret_of(body["secret"]);
        }
        if (body.contains("description")) p.description = description_of(body["description"]);
        if (body.contains("enabled")) p.enabled = enabled_of(body["enabled"]);
        const auto row = pool_.with([&](storage::Connection& c) {
            return storage::update_webhook(c, id, p);
        });
        if (!row) throw no_webhook(id);
        json out = to_json(*row);
        if (p.secret) out["secret"] = row->secret;
        return json_response(out);
    }

    Response remove(Request& r) {
        const auto id = r.id_param("id");
        const bool deleted = pool_.with([&](storage::Connection& c) {
            return storage::delete_webhook(c, id);
        });
        if (!deleted) throw no_webhook(id);
        Response out;
        out.status = 204;
        return out;
    }

    // Newest first, ?state=pending|delivered|failed, ?limit= (100, at most 1000), ?cursor=.
    Response deliveries(Request& r) {
        storage::DeliveryFilter f;
        f.webhook_id = r.id_param("id");
        f.state = enum_param(r, "state", kStates);
        if (const std::string* c = r.query_param("cursor"); c != nullptr && !c->empty()) {
            const auto v = parse_int(*c);
            if (!v || *v < 1) invalid("cursor", "cursor is not one this server gave");
            f.before_id = *v;
        }
        const std::size_t limit = limit_param(r, 100, 1000);
        f.limit = limit + 1;
        const auto rows = pool_.with([&](storage::Connection& c) {
            if (!storage::find_webhook(c, f.webhook_id)) throw no_webhook(f.webhook_id);
            return storage::list_deliveries(c, f);
        });
        json next = nullptr;
        json items = json::array();
        for (std::size_t i = 0; i < rows.size() && i < limit; ++i) items.push_back(to_json(rows[i]));
        if (rows.size() > limit) next = std::to_string(rows[limit - 1].id);
        return json_response(json{{"items", std::move(items)}, {"next_cursor", std::move(next)}});
    }

    // Sends a test message now (signed like a delivery, X-Fleetwatch-Event: webhook.test), not
    // queued and not retried: an admin setting up a robot sees at once whether it arrives.
    Response test(Request& r) {
        const auto id = r.id_param("id");
        const auto row = pool_.with([&](storage::Connection& c) {
            return storage::find_webhook(c, id);
        });
        if (!row) throw no_webhook(id);
        static const std::atomic<bool> never{false};
        const auto sent = webhooks::send(
            row->url, row->format, row->secret, webhooks::test_body(row->format, id, core::utc_now()),
            std::to_string(id) + ".test", webhooks::kTestKind, 1, kTestTimeout, never);
        return json_response(json{{"delivered", sent.delivered},
                                  {"status", nullable_json(sent.status)},
                                  {"error", sent.error.empty() ? json(nullptr) : json(sent.error)},
                                  {"answer", printable(sent.answer)}});
    }

  private:
    DbPool& pool_;
};

}  // namespace

void add_webhook_routes(Router& router, DbPool& pool) {
    auto routes = std::make_shared<WebhookRoutes>(pool);
    const auto bind = [routes](Response (WebhookRoutes::*fn)(Request&)) {
        return [routes, fn](Request& r) { return ((*routes).*fn)(r); };
    };
    const std::vector<Role> admin{Role::admin};
    router.add("POST", "/api/v1/webhooks", admin, bind(&WebhookRoutes::create));
    router.add("GET", "/api/v1/webhooks", admin, bind(&WebhookRoutes::list));
    router.add("GET", "/api/v1/webhooks/{id}", admin, bind(&WebhookRoutes::get));
    router.add("PATCH", "/api/v1/webhooks/{id}", admin, bind(&WebhookRoutes::patch));
    router.add("DELETE", "/api/v1/webhooks/{id}", admin, bind(&WebhookRoutes::remove));
    router.add("GET", "/api/v1/webhooks/{id}/deliveries", admin,
               bind(&WebhookRoutes::deliveries));
    router.add("POST", "/api/v1/webhooks/{id}/test", admin, bind(&WebhookRoutes::test));
}

}  // namespace fleetwatch::api
