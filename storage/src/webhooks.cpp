#include "fleetwatch/storage/webhooks.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "connection_impl.hpp"
#include "sql_text.hpp"

namespace fleetwatch::storage {
namespace {

constexpr const char* kWebhookColumns =
    "id, url, format, array_to_json(types)::text, array_to_json(kinds)::text, min_severity, "
    "secret, description, enabled, from_audit_id, created_by, "
    "extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint";

core::Timestamp seconds(const pqxx::field& f) {
    return core::Timestamp{std::chrono::seconds{f.as<std::int64_t>()}};
}

std::optional<core::Timestamp> nullable_seconds(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return seconds(f);
}

std::vector<std::string> strings(const pqxx::field& f) {
    std::vector<std::string> out;
    const auto j = nlohmann::json::parse(f.c_str(), nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& v : j) {
        if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
}

WebhookRow to_webhook(const pqxx::row& r) {
    WebhookRow w;
    w.id = r[0].as<std::int64_t>();
    w.url = r[1].as<std::string>();
    w.format = r[2].as<std::string>();
    w.types = strings(r[3]);
    w.kinds = strings(r[4]);
    w.min_severity = r[5].as<std::string>();
    w.secret = r[6].as<std::string>();
    w.description = r[7].as<std::string>();
    w.enabled = r[8].as<bool>();
    w.from_audit_id = r[9].as<std::int64_t>();
    w.created_by = r[10].as<std::string>();
    w.created_at = seconds(r[11]);
    w.updated_at = seconds(r[12]);
    return w;
}

std::optional<std::string> array_param(const std::optional<std::vector<std::string>>& v) {
    if (!v) return std::nullopt;
    return detail::text_array(*v);
}

}  // namespace

WebhookRow create_webhook(Connection& conn, const NewWebhook& w) {
    return detail::translate_errors("create webhook", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params1(
            std::string("INSERT INTO webhooks (url, format, types, kinds, min_severity, secret, "
                        "description, enabled, created_by, from_audit_id) "
                        "VALUES ($1, $2, $3::text[], $4::text[], $5, $6, $7, $8, $9, "
                        "(SELECT coalesce(max(id), 0) FROM violation_audit)) RETURNING ") +
                kWebhookColumns,
            w.url, w.format, detail::text_array(w.types), detail::text_array(w.kinds),
            w.min_severity, w.secret, w.description, w.enabled, w.created_by);
        WebhookRow out = to_webhook(r);
        tx.commit();
        return out;
    });
}

std::vector<WebhookRow> list_webhooks(Connection& conn) {
    return detail::translate_errors("list webhooks", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r =
            tx.exec(std::string("SELECT ") + kWebhookColumns + " FROM webhooks ORDER BY id");
        std::vector<WebhookRow> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(to_webhook(row));
        return out;
    });
}

std::optional<WebhookRow> find_webhook(Connection& conn, std::int64_t id) {
    return detail::translate_errors("find webhook", [&]() -> std::optional<WebhookRow> {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            std::string("SELECT ") + kWebhookColumns + " FROM webhooks WHERE id = $1", id);
        if (r.empty()) return std::nullopt;
        return to_webhook(r[0]);
    });
}

std::optional<WebhookRow> update_webhook(Connection& conn, std::int64_t id, const WebhookPatch& p) {
    return detail::translate_errors("update webhook", [&]() -> std::optional<WebhookRow> {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params(
            std::string("UPDATE webhooks SET url = coalesce($2, url), "
                        "format = coalesce($3, format), types = coalesce($4::text[], types), "
                        "kinds = coalesce($5::text[], kinds), "
                        "min_severity = coalesce($6, min_severity), "
                        "secret = coalesce($7, secret), description = coalesce($8, description), "
                        "enabled = coalesce($9, enabled), updated_at = now() "
                        "WHERE id = $1 RETURNING ") +
                kWebhookColumns,
            id, p.url, p.format, array_param(p.types), array_param(p.kinds), p.min_severity,
            p.secret, p.description, p.enabled);
        if (r.empty()) return std::nullopt;
        WebhookRow out = to_webhook(r[0]);
        tx.commit();
        return out;
    });
}

bool delete_webhook(Connection& conn, std::int64_t id) {
    return detail::translate_errors("delete webhook", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params("DELETE FROM webhooks WHERE id = $1 RETURNING id", id);
        tx.commit();
        return !r.empty();
    });
}

OutboxBatch read_outbox(Connection& conn, std::size_t limit) {
    return detail::translate_errors("webhook outbox", [&] {
        pqxx::read_transaction tx(detail::native(conn));
        OutboxBatch out;
        out.watermark = tx.exec1("SELECT last_audit_id FROM webhook_outbox")[0].as<std::int64_t>();
        const auto r = tx.exec_params(
            "SELECT id, violation_id, action, detail::text, extract(epoch FROM at)::bigint "
            "FROM violation_audit WHERE id > $1 AND actor = 'engine' ORDER BY id LIMIT $2",
            out.watermark, static_cast<std::int64_t>(limit));
        out.events.reserve(r.size());
        for (const auto& row : r) {
            out.events.push_back(OutboxEvent{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(),
                                             row[2].as<std::string>(), row[3].as<std::string>(),
                                             seconds(row[4])});
        }
        return out;
    });
}

std::set<std::pair<std::int64_t, std::int64_t>> announced_violations(
    Connection& conn, std::span<const std::int64_t> violation_ids) {
    return detail::translate_errors("announced violations", [&] {
        std::set<std::pair<std::int64_t, std::int64_t>> out;
        if (violation_ids.empty()) return out;
        std::vector<std::string> ids;
        ids.reserve(violation_ids.size());
        for (const auto id : violation_ids) ids.push_back(std::to_string(id));
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT DISTINCT webhook_id, violation_id FROM webhook_deliveries "
            "WHERE violation_id = ANY($1::bigint[])",
            detail::text_array(ids));
        for (const auto& row : r) {
            out.emplace(row[0].as<std::int64_t>(), row[1].as<std::int64_t>());
        }
        return out;
    });
}

ViolationContext violation_context(Connection& conn, std::int64_t violation_id) {
    return detail::translate_errors("violation context", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto query = [&](bool configured_zone) {
            // settings.timezone, when PostgreSQL knows it (a typo must not stop the webhooks).
            const std::string zone =
                configured_zone ? "coalesce((SELECT value FROM settings WHERE key = 'timezone'), "
                                  "'Asia/Shanghai')"
                                : "'Asia/Shanghai'";
            return tx.exec_params(
                "SELECT (SELECT plate FROM vehicles WHERE id = v.vehicle_id), "
                "(SELECT name FROM drivers WHERE id = v.driver_id), tz.name, "
                "extract(epoch FROM (v.started_at AT TIME ZONE tz.name) - "
                "(v.started_at AT TIME ZONE 'UTC'))::integer "
                "FROM violations v, (SELECT " + zone + " AS name) tz WHERE v.id = $1",
                violation_id);
        };
        pqxx::result r;
        try {
            r = query(true);
        } catch (const pqxx::data_exception&) {  // 22023: time zone not recognized
            r = query(false);
        }
        ViolationContext out;
        if (r.empty()) return out;
        out.plate = detail::nullable<std::string>(r[0][0]);
        out.driver_name = detail::nullable<std::string>(r[0][1]);
        out.timezone = r[0][2].as<std::string>();
        out.utc_offset_s = r[0][3].as<int>();
        return out;
    });
}

bool queue_deliveries(Connection& conn, std::int64_t read_watermark, std::int64_t new_watermark,
                      std::span<const NewDelivery> deliveries) {
    return detail::translate_errors("queue webhook deliveries", [&] {
        pqxx::work tx(detail::native(conn));
        const auto now = tx.exec1("SELECT last_audit_id FROM webhook_outbox FOR UPDATE");
        if (now[0].as<std::int64_t>() != read_watermark) return false;
        for (const auto& d : deliveries) {
            tx.exec_params0(
                "INSERT INTO webhook_deliveries (webhook_id, audit_id, violation_id, kind, body) "
                "SELECT $1::bigint, $2::bigint, $3::bigint, $4::text, $5::text "
                "WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $1::bigint) "
                "ON CONFLICT (webhook_id, audit_id) DO NOTHING",
                d.webhook_id, d.audit_id, d.violation_id, d.kind, d.body);
        }
        tx.exec_params0("UPDATE webhook_outbox SET last_audit_id = $1", new_watermark);
        tx.commit();
        return true;
    });
}

std::vector<DueDelivery> next_due_deliveries(Connection& conn, std::size_t limit) {
    return detail::translate_errors("due webhook deliveries", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT d.id, d.webhook_id, d.audit_id, d.violation_id, d.kind, d.body, d.attempts, w.url, "
            "w.format, w.secret "
            "FROM (SELECT DISTINCT ON (webhook_id) * FROM webhook_deliveries "
            "      WHERE state = 'pending' ORDER BY webhook_id, id) d "
            "JOIN webhooks w ON w.id = d.webhook_id "
            "WHERE w.enabled AND d.next_attempt_at <= now() "
            "ORDER BY d.next_attempt_at, d.id LIMIT $1",
            static_cast<std::int64_t>(limit));
        std::vector<DueDelivery> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            DueDelivery d;
            d.id = row[0].as<std::int64_t>();
            d.webhook_id = row[1].as<std::int64_t>();
            d.audit_id = row[2].as<std::int64_t>();
            d.violation_id = row[3].as<std::int64_t>();
            d.kind = row[4].as<std::string>();
            d.body = row[5].as<std::string>();
            d.attempts = row[6].as<int>();
            d.url = row[7].as<std::string>();
            d.format = row[8].as<std::string>();
            d.secret = row[9].as<std::string>();
            out.push_back(std::move(d));
        }
        return out;
    });
}

std::optional<double> seconds_until_next_due(Connection& conn) {
    return detail::translate_errors("next webhook delivery", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec(
            "SELECT greatest(0, extract(epoch FROM min(d.next_attempt_at) - now()))::float8 "
            "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
            "WHERE d.state = 'pending' AND w.enabled");
        return detail::nullable<double>(r[0][0]);
    });
}

void record_attempt(Connection& conn, std::int64_t delivery_id, const AttemptResult& a) {
    detail::translate_errors("record webhook attempt", [&] {
        pqxx::work tx(detail::native(conn));
        const char* state = a.outcome == AttemptResult::Outcome::delivered ? "delivered"
                            : a.outcome == AttemptResult::Outcome::failed  ? "failed"
                                                                           : "pending";
        const std::optional<std::string> error =
            a.error.empty() ? std::nullopt : std::optional<std::string>(a.error);
        tx.exec_params0(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), "
            "last_status = $2::integer, last_error = $3::text, state = $4::text, "
            "next_attempt_at = CASE WHEN $4::text = 'pending' "
            "  THEN now() + $5::float8 * interval '1 millisecond' ELSE next_attempt_at END, "
            "delivered_at = CASE WHEN $4::text = 'delivered' THEN now() END "
            "WHERE id = $1 AND state = 'pending'",
            delivery_id, a.http_status, error, std::string(state),
            static_cast<std::int64_t>(a.retry_after.count()));
        tx.commit();
    });
}

std::vector<DeliveryRow> list_deliveries(Connection& conn, const DeliveryFilter& f) {
    return detail::translate_errors("list webhook deliveries", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT id, webhook_id, audit_id, violation_id, kind, state, attempts, "
            "extract(epoch FROM created_at)::bigint, extract(epoch FROM next_attempt_at)::bigint, "
            "extract(epoch FROM last_attempt_at)::bigint, last_status, last_error, "
            "extract(epoch FROM delivered_at)::bigint "
            "FROM webhook_deliveries WHERE webhook_id = $1 "
            "AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR id < $3) "
            "ORDER BY id DESC LIMIT $4",
            f.webhook_id, f.state, f.before_id, static_cast<std::int64_t>(f.limit));
        std::vector<DeliveryRow> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            DeliveryRow d;
            d.id = row[0].as<std::int64_t>();
            d.webhook_id = row[1].as<std::int64_t>();
            d.audit_id = row[2].as<std::int64_t>();
            d.violation_id = row[3].as<std::int64_t>();
            d.kind = row[4].as<std::string>();
            d.state = row[5].as<std::string>();
            d.attempts = row[6].as<int>();
            d.created_at = seconds(row[7]);
            d.next_attempt_at = seconds(row[8]);
            d.last_attempt_at = nullable_seconds(row[9]);
            d.last_status = detail::nullable<int>(row[10]);
            d.last_error = detail::nullable<std::string>(row[11]);
            d.delivered_at = nullable_seconds(row[12]);
            out.push_back(std::move(d));
        }
        return out;
    });
}

std::map<std::int64_t, DeliverySummary> delivery_summaries(Connection& conn) {
    return detail::translate_errors("webhook delivery summaries", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec(
            "SELECT webhook_id, count(*) FILTER (WHERE state = 'pending'), "
            "count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = "
            "'failed'), extract(epoch FROM max(delivered_at))::bigint "
            "FROM webhook_deliveries GROUP BY webhook_id");
        std::map<std::int64_t, DeliverySummary> out;
        for (const auto& row : r) {
            out[row[0].as<std::int64_t>()] =
                DeliverySummary{row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                                row[3].as<std::int64_t>(), nullable_seconds(row[4])};
        }
        return out;
    });
}

std::int64_t prune_deliveries(Connection& conn, std::chrono::hours age) {
    return detail::translate_errors("prune webhook deliveries", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params(
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' "
            "AND created_at < now() - $1::float8 * interval '1 hour'",
            static_cast<double>(age.count()));
        tx.commit();
        return static_cast<std::int64_t>(r.affected_rows());
    });
}

std::int64_t pending_delivery_count(Connection& conn) {
    return detail::translate_errors("pending webhook deliveries", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        return tx
            .exec("SELECT count(*) FROM webhook_deliveries d JOIN webhooks w "
                  "ON w.id = d.webhook_id WHERE d.state = 'pending' AND w.enabled")[0][0]
            .as<std::int64_t>();
    });
}

}  // namespace fleetwatch::storage
