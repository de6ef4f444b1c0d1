#include "fleetwatch/storage/violation_queries.hpp"

#include <array>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

// A trip's planned start/end as timestamptz for the violation `v`: "HH:MM" is that time on
// the local day of v.started_at in the fleet's timezone; an RFC 3339 date-time without an
// offset is fleet-local too (0001_fleet.sql, trips).
constexpr const char* kTripTime = R"sql(
    CASE WHEN %1 ~ '^\d{1,2}:\d{2}$'
         THEN ((v.started_at AT TIME ZONE tz.name)::date + %1::time) AT TIME ZONE tz.name
         WHEN %1 ~ '(Z|z|[+-]\d{2}(:?\d{2})?)$' THEN %1::timestamptz
         ELSE %1::timestamp AT TIME ZONE tz.name END)sql";

std::string trip_time(const std::string& column) {
    std::string out = kTripTime;
    for (auto pos = out.find("%1"); pos != std::string::npos; pos = out.find("%1", pos)) {
        out.replace(pos, 2, column);
        pos += column.size();
    }
    return out;
}

// The columns of ViolationRow (path last: find_violation only), from `violations v`.
std::string select_columns(bool with_path) {
    // A daily trip whose end is before its start runs past midnight.
    const std::string start = trip_time("t.planned_start");
    const std::string end = trip_time("t.planned_end");
    std::string sql = R"sql(
    SELECT v.id, v.type, v.subtype, v.severity, v.vehicle_id, v.driver_id,
           (SELECT t.id FROM trips t
             WHERE t.vehicle_id = v.vehicle_id
               AND (v.convoy_id IS NULL OR t.convoy_id = v.convoy_id)
               AND v.started_at >= )sql" + start + R"sql(
               AND v.started_at < )sql" + end + R"sql(
                   + CASE WHEN )sql" + end + " <= " + start + R"sql(
                          THEN interval '1 day' ELSE interval '0' END
             ORDER BY t.id LIMIT 1),
           v.convoy_id, v.convoy_name,
           extract(epoch FROM v.started_at)::bigint, extract(epoch FROM v.ended_at)::bigint,
           ST_Y(v.start_point::geometry), ST_X(v.start_point::geometry),
           v.peak, v.peak_unit, v.thresholds::text, v.pledge_version, v.late, v.from_gap,
           v.needs_review, v.status, extract(epoch FROM v.detected_at)::bigint,
           extract(epoch FROM v.updated_at)::bigint)sql";
    if (with_path) sql += ", ST_AsGeoJSON(v.path::geometry, 7)";
    sql += R"sql(
    FROM violations v,
         (SELECT coalesce((SELECT value FROM settings WHERE key = 'timezone'),
                          'Asia/Shanghai') AS name) tz)sql";
    return sql;
}

// What a leader may see, on `violations v`, with the leader's name as parameter $n.
std::string leader_visible(int n) {
    const std::string p = "$" + std::to_string(n);
    return "(EXISTS (SELECT 1 FROM trips t JOIN convoys c ON c.id = t.convoy_id "
           "WHERE t.vehicle_id = v.vehicle_id AND c.leader_username = " + p +
           ") OR EXISTS (SELECT 1 FROM convoys c WHERE c.id = v.convoy_id AND "
           "c.leader_username = " + p + "))";
}

core::Timestamp seconds(const pqxx::field& f) {
    return core::Timestamp{std::chrono::seconds{f.as<std::int64_t>()}};
}

ViolationRow to_row(const pqxx::row& r, bool with_path) {
    ViolationRow v;
    v.id = r[0].as<std::int64_t>();
    v.type = r[1].as<std::string>();
    v.subtype = r[2].as<std::string>();
    v.severity = r[3].as<std::string>();
    v.vehicle_id = detail::nullable<core::VehicleId>(r[4]);
    v.driver_id = detail::nullable<core::DriverId>(r[5]);
    v.trip_id = detail::nullable<std::int64_t>(r[6]);
    v.convoy_id = detail::nullable<std::int64_t>(r[7]);
    v.convoy_name = detail::nullable<std::string>(r[8]);
    v.started_at = seconds(r[9]);
    if (!r[10].is_null()) v.ended_at = seconds(r[10]);
    v.start_lat = detail::nullable<double>(r[11]);
    v.start_lon = detail::nullable<double>(r[12]);
    v.peak = r[13].as<double>();
    v.peak_unit = r[14].as<std::string>();
    v.thresholds_json = r[15].as<std::string>();
    v.pledge_version = detail::nullable<int>(r[16]);
    v.late = r[17].as<bool>();
    v.from_gap = r[18].as<bool>();
    v.needs_review = r[19].as<bool>();
    v.status = r[20].as<std::string>();
    v.detected_at = seconds(r[21]);
    v.updated_at = seconds(r[22]);
    if (with_path) v.path_geojson = detail::nullable<std::string>(r[23]);
    return v;
}

std::optional<std::string> time_text(const std::optional<core::Timestamp>& t) {
    if (!t) return std::nullopt;
    return detail::timestamptz(*t);
}

constexpr std::array<std::string_view, 4> kActionNames{"acknowledge", "rectify", "dismiss",
                                                       "excuse"};
constexpr std::array<std::string_view, 4> kStatusAfter{"acknowledged", "rectified", "dismissed",
                                                       "excused"};

}  // namespace

std::vector<ViolationRow> list_violations(Connection& conn, const ViolationFilter& f) {
    return detail::translate_errors("list violations", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        std::string sql = select_columns(false) + R"sql(
    WHERE ($1::bigint IS NULL OR v.vehicle_id = $1)
      AND ($2::bigint IS NULL OR v.driver_id = $2)
      AND ($3::text IS NULL OR v.type = $3)
      AND ($4::text IS NULL OR v.status = $4)
      AND ($5::timestamptz IS NULL OR v.started_at >= $5::timestamptz)
      AND ($6::timestamptz IS NULL OR v.started_at < $6::timestamptz)
      AND ($7::bigint IS NULL OR v.id < $7)
      AND ($8::text IS NULL OR )sql" + leader_visible(8) + R"sql()
    ORDER BY v.id DESC
    LIMIT $9)sql";
        const auto r = tx.exec_params(sql, f.vehicle_id, f.driver_id, f.type, f.status,
                                      time_text(f.from), time_text(f.to), f.before_id,
                                      f.leader_username, static_cast<std::int64_t>(f.limit));
        std::vector<ViolationRow> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(to_row(row, false));
        return out;
    });
}

std::optional<ViolationRow> find_violation(Connection& conn, std::int64_t id) {
    return detail::translate_errors("find violation", [&]() -> std::optional<ViolationRow> {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(select_columns(true) + " WHERE v.id = $1", id);
        if (r.empty()) return std::nullopt;
        return to_row(r[0], true);
    });
}

bool violation_visible_to_leader(Connection& conn, std::int64_t id,
                                 const std::string& leader_username) {
    return detail::translate_errors("violation visibility", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT 1 FROM violations v WHERE v.id = $1 AND " + leader_visible(2), id,
            leader_username);
        return !r.empty();
    });
}

std::optional<ViolationAction> parse_violation_action(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kActionNames.size(); ++i) {
        if (kActionNames[i] == s) return static_cast<ViolationAction>(i);
    }
    return std::nullopt;
}

std::string_view to_string(ViolationAction a) noexcept {
    return kActionNames[static_cast<std::size_t>(a)];
}

std::string_view status_after(ViolationAction a) noexcept {
    return kStatusAfter[static_cast<std::size_t>(a)];
}

bool action_allowed(ViolationAction action, std::string_view status) noexcept {
    if (status == "new") return true;
    return status == "acknowledged" && action != ViolationAction::acknowledge;
}

ViolationActionResult apply_violation_action(Connection& conn, std::int64_t id,
                                             ViolationAction action, const std::string& actor,
                                             const std::string& role, const std::string& note) {
    return detail::translate_errors("violation action", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params("SELECT status FROM violations WHERE id = $1 FOR UPDATE", id);
        ViolationActionResult out;
        if (r.empty()) {
            out.outcome = ViolationActionResult::Outcome::not_found;
            return out;
        }
        out.status_before = r[0][0].as<std::string>();
        if (!action_allowed(action, out.status_before)) {
            out.outcome = ViolationActionResult::Outcome::not_allowed;
            return out;
        }
        tx.exec_params("UPDATE violations SET status = $2, updated_at = now() WHERE id = $1", id,
                       std::string(status_after(action)));
        tx.exec_params(
            "INSERT INTO violation_audit (violation_id, actor, role, action, note, detail) "
            "VALUES ($1, $2, $3, $4, $5, jsonb_build_object('status_before', $6::text))",
            id, actor, role, std::string(to_string(action)), note, out.status_before);
        tx.commit();
        out.outcome = ViolationActionResult::Outcome::applied;
        return out;
    });
}

}  // namespace fleetwatch::storage
