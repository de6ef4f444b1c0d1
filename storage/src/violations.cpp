#include "fleetwatch/storage/violations.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <pqxx/transaction>
#include <unordered_set>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

bool driver_level(const std::string& type) {
    return type == "fatigue_continuous" || type == "fatigue_daily" || type == "forbidden_hours";
}

std::optional<std::int64_t> vehicle_param(const ViolationRecord& r) {
    if (r.vehicle_id == 0) return std::nullopt;
    return static_cast<std::int64_t>(r.vehicle_id);
}

std::optional<std::int64_t> driver_param(const ViolationRecord& r) {
    if (!r.driver_id) return std::nullopt;
    return static_cast<std::int64_t>(*r.driver_id);
}

std::optional<std::string> end_param(const ViolationRecord& r) {
    if (!r.ended_at) return std::nullopt;
    return detail::timestamptz(*r.ended_at);
}

std::string lon_lat(const core::GeoPoint& p) {
    return fmt::format("{:.6f} {:.6f}", p.lon(), p.lat());
}

std::optional<std::string> start_point_wkt(const ViolationRecord& r) {
    if (r.path.empty()) return std::nullopt;
    return "POINT(" + lon_lat(r.path.front()) + ")";
}

std::optional<std::string> path_wkt(const ViolationRecord& r) {
    if (r.path.size() < 2) return std::nullopt;
    std::string wkt = "LINESTRING(";
    for (std::size_t i = 0; i < r.path.size(); ++i) {
        if (i > 0) wkt += ',';
        wkt += lon_lat(r.path[i]);
    }
    wkt += ')';
    return wkt;
}

std::string thresholds_json(const ViolationRecord& r) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, value] : r.thresholds) j[name] = value;
    return j.dump();
}

// Calls `f` with the columns an event sets, in the order of kInsert's $1..$17 (and of
// kUpdate's $2..$18).
template <typename F>
decltype(auto) with_columns(const ViolationRecord& r, F&& f) {
    return f(r.type, r.subtype, r.severity, vehicle_param(r), driver_param(r), r.convoy,
             detail::timestamptz(r.started_at), end_param(r), start_point_wkt(r), path_wkt(r),
             r.peak, r.peak_unit, thresholds_json(r), r.pledge_version, r.late, r.from_gap,
             r.needs_review);
}

constexpr const char* kInsert =
    "INSERT INTO violations (type, subtype, severity, vehicle_id, driver_id, convoy_name, "
    "convoy_id, started_at, ended_at, start_point, path, peak, peak_unit, thresholds, "
    "pledge_version, late, from_gap, needs_review) "
    "VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM convoys WHERE name = $6), "
    "$7::timestamptz, $8::timestamptz, ST_GeogFromText($9), ST_GeogFromText($10), $11, $12, "
    "$13::jsonb, $14, $15, $16, $17) RETURNING id";

constexpr const char* kUpdate =
    "UPDATE violations SET type = $2, subtype = $3, severity = $4, vehicle_id = $5, "
    "driver_id = $6, convoy_name = $7, convoy_id = (SELECT id FROM convoys WHERE name = $7), "
    "started_at = $8::timestamptz, ended_at = $9::timestamptz, start_point = "
    "ST_GeogFromText($10), path = ST_GeogFromText($11), peak = $12, peak_unit = $13, "
    "thresholds = $14::jsonb, pledge_version = $15, late = $16, from_gap = $17, "
    "needs_review = $18, status = CASE WHEN $19 THEN 'retracted' ELSE status END, "
    "updated_at = now() WHERE id = $1 AND "
    // Only a changed verdict is a change (and an audit row): not a longer path alone.
    "(severity, started_at, ended_at, peak, thresholds, pledge_version, from_gap, needs_review, "
    "status = 'retracted') IS DISTINCT FROM ($4, $8::timestamptz, $9::timestamptz, "
    "$12::double precision, $14::jsonb, $15::integer, $17, $18, $19) RETURNING id";

const char* action_of(ViolationChangeKind kind, bool recomputed, bool inserted) {
    if (inserted) return "opened";
    switch (kind) {
        case ViolationChangeKind::close: return "closed";
        case ViolationChangeKind::retract: return "retracted";
        case ViolationChangeKind::open:
        case ViolationChangeKind::update: break;
    }
    return recomputed ? "recomputed" : "updated";
}

std::string audit_detail(const ViolationChange& c) {
    nlohmann::json j{{"severity", c.record.severity},
                     {"peak", c.record.peak},
                     {"started_at", core::format_rfc3339(c.record.started_at)},
                     {"ended_at", c.record.ended_at ? nlohmann::json(core::format_rfc3339(
                                                          *c.record.ended_at))
                                                    : nlohmann::json(nullptr)},
                     {"engine_episode", c.episode_id}};
    if (c.recomputed) j["recomputed"] = true;
    return j.dump();
}

}  // namespace

std::vector<std::int64_t> ViolationStore::apply(Connection& conn,
                                                std::span<const ViolationChange> changes) {
    return detail::translate_errors("violations", [&] {
        pqxx::work tx(detail::native(conn));
        // Rows mapped in this transaction join rows_ only once it commits.
        std::unordered_map<std::uint64_t, std::int64_t> mapped;
        std::unordered_set<std::int64_t> taken;
        for (const auto& [episode, row] : rows_) taken.insert(row);

        const auto known_row = [&](std::uint64_t episode) -> std::optional<std::int64_t> {
            if (const auto it = mapped.find(episode); it != mapped.end()) return it->second;
            if (const auto it = rows_.find(episode); it != rows_.end()) return it->second;
            return std::nullopt;
        };
        // An episode of an earlier engine: same identity, not retracted, not another episode's.
        const auto matching_row = [&](const ViolationRecord& r) -> std::optional<std::int64_t> {
            const bool by_driver = driver_level(r.type);
            for (const bool same_start : {true, false}) {
                const auto rows = tx.exec_params(
                    "SELECT id FROM violations WHERE type = $1 AND subtype = $2 AND "
                    "convoy_name IS NOT DISTINCT FROM $3 AND status <> 'retracted' AND "
                    "(CASE WHEN $4 THEN driver_id IS NOT DISTINCT FROM $5 "
                    "ELSE vehicle_id IS NOT DISTINCT FROM $6 END) AND "
                    "(CASE WHEN $7 THEN started_at = $8::timestamptz ELSE "
                    "started_at <= coalesce($9::timestamptz, 'infinity') AND "
                    "coalesce(ended_at, 'infinity') >= $8::timestamptz END) "
                    "ORDER BY started_at, id LIMIT 16",
                    r.type, r.subtype, r.convoy, by_driver, driver_param(r), vehicle_param(r),
                    same_start, detail::timestamptz(r.started_at), end_param(r));
                for (const auto& row : rows) {
                    const auto id = row[0].as<std::int64_t>();
                    if (!taken.contains(id)) return id;
                }
            }
            return std::nullopt;
        };

        std::vector<std::int64_t> ids;
        ids.reserve(changes.size());
        for (const ViolationChange& c : changes) {
            const ViolationRecord& r = c.record;
            std::optional<std::int64_t> row = known_row(c.episode_id);
            if (!row) row = matching_row(r);
            bool inserted = false;
            if (!row) {
                if (c.kind == ViolationChangeKind::retract) {
                    ids.push_back(0);  // never stored, so nothing to retract
                    continue;
                }
                const pqxx::row inserted_row = with_columns(
                    r, [&](const auto&... p) { return tx.exec_params1(kInsert, p...); });
                row = inserted_row[0].as<std::int64_t>();
                inserted = true;
            } else {
                const bool retract = c.kind == ViolationChangeKind::retract;
                const pqxx::result changed = with_columns(
                    r, [&](const auto&... p) { return tx.exec_params(kUpdate, *row, p..., retract); });
                if (changed.empty()) {  // the same verdict: nothing to record
                    mapped[c.episode_id] = *row;
                    taken.insert(*row);
                    ids.push_back(*row);
                    continue;
                }
            }
            mapped[c.episode_id] = *row;
            taken.insert(*row);
            tx.exec_params0(
                "INSERT INTO violation_audit (violation_id, actor, role, action, detail) "
                "VALUES ($1, 'engine', 'engine', $2, $3::jsonb)",
                *row, action_of(c.kind, c.recomputed, inserted), audit_detail(c));
            ids.push_back(*row);
        }
        tx.commit();
        for (const auto& [episode, row] : mapped) rows_[episode] = row;
        return ids;
    });
}

std::vector<ViolationAuditRow> violation_audit(Connection& conn, std::int64_t violation_id) {
    return detail::translate_errors("violation audit", [&] {
        pqxx::read_transaction tx(detail::native(conn));
        std::vector<ViolationAuditRow> out;
        for (const auto& row : tx.exec_params(
                 "SELECT actor, role, action, note, id, extract(epoch FROM at)::bigint, "
                 "detail::text FROM violation_audit WHERE violation_id = $1 ORDER BY id",
                 violation_id)) {
            out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                           row[2].as<std::string>(), row[3].as<std::string>(),
                           row[4].as<std::int64_t>(),
                           core::Timestamp{std::chrono::seconds{row[5].as<std::int64_t>()}},
                           row[6].as<std::string>()});
        }
        return out;
    });
}

}  // namespace fleetwatch::storage
