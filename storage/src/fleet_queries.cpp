#include "fleetwatch/storage/fleet_queries.hpp"

#include <algorithm>
#include <array>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <stdexcept>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

// RFC 3339 UTC text of a timestamptz column.
std::string utc(const std::string& column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

// The fleet file's sections, from the tables (json_strip_nulls drops what is not set).
constexpr const char* kExportFleet = R"sql(
SELECT json_strip_nulls(json_build_object(
  'version', 1,
  'timezone', coalesce((SELECT value FROM settings WHERE key = 'timezone'), 'Asia/Shanghai'),
  'vehicles', coalesce((SELECT json_agg(json_build_object(
      'plate', plate, 'plate_color', plate_color, 'class', class,
      'terminal_phone', terminal_phone, 'requires_card', requires_card) ORDER BY id)
    FROM vehicles), '[]'),
  'drivers', coalesce((SELECT json_agg(json_build_object(
      'name', name, 'license_no', license_no, 'ic_card_no', ic_card_no,
      'certificate_no', certificate_no) ORDER BY id) FROM drivers), '[]'),
  'pledges', coalesce((SELECT json_agg(json_build_object(
      'driver', d.license_no, 'version', p.version, 'max_speed_kmh', p.max_speed_kmh,
      'max_continuous_driving_min', p.max_continuous_driving_min,
      'night_max_continuous_min', p.night_max_continuous_min, 'min_rest_min', p.min_rest_min,
      'max_daily_driving_min', p.max_daily_driving_min, 'forbidden_hours', p.forbidden_hours,
      'max_route_deviation_m', p.max_route_deviation_m,
      'signed_on', to_char(p.signed_on, 'YYYY-MM-DD'),
      'valid_from', to_char(p.valid_from, 'YYYY-MM-DD'),
      'valid_to', to_char(p.valid_to, 'YYYY-MM-DD')) ORDER BY p.id)
    FROM pledges p JOIN drivers d ON d.id = p.driver_id), '[]'),
  'routes', coalesce((SELECT json_agg(json_build_object(
      'name', name, 'crs', 'wgs84', 'corridor_m', corridor_m, 'speed_limit_kmh', speed_limit_kmh,
      'points', ST_AsGeoJSON(geom::geometry, 15)::json -> 'coordinates') ORDER BY id)
    FROM routes), '[]'),
  'zones', coalesce((SELECT json_agg(json_build_object(
      'name', name, 'kind', kind, 'crs', 'wgs84', 'speed_limit_kmh', speed_limit_kmh,
      'polygon', CASE WHEN center IS NULL
                      THEN ST_AsGeoJSON(geom::geometry, 15)::json -> 'coordinates' -> 0 END,
      'circle', CASE WHEN center IS NOT NULL THEN json_build_object(
                      'center', ST_AsGeoJSON(center::geometry, 15)::json -> 'coordinates',
                      'radius_m', radius_m) END) ORDER BY id)
    FROM zones), '[]'),
  'convoys', coalesce((SELECT json_agg(json_build_object(
      'name', name, 'leader_username', leader_username, 'max_gap_m', max_gap_m) ORDER BY id)
    FROM convoys), '[]'),
  'trips', coalesce((SELECT json_agg(json_build_object(
      'vehicle', v.plate, 'driver', d.license_no, 'route', r.name, 'convoy', c.name,
      'planned_start', t.planned_start, 'planned_end', t.planned_end,
      'students_aboard', t.students_aboard) ORDER BY t.id)
    FROM trips t JOIN vehicles v ON v.id = t.vehicle_id JOIN routes r ON r.id = t.route_id
         JOIN drivers d ON d.id = t.driver_id LEFT JOIN convoys c ON c.id = t.convoy_id),
    '[]')))::text,
  json_build_object(
  'vehicles', coalesce((SELECT json_object_agg(id, plate) FROM vehicles), '{}'),
  'drivers', coalesce((SELECT json_object_agg(id, license_no) FROM drivers), '{}'),
  'routes', coalesce((SELECT json_object_agg(id, json_build_object('name', name,
      'crs', source_crs)) FROM routes), '{}'),
  'zones', coalesce((SELECT json_object_agg(id, json_build_object('name', name,
      'crs', source_crs)) FROM zones), '{}'),
  'convoys', coalesce((SELECT json_object_agg(id, name) FROM convoys), '{}'))::text
)sql";

struct Kind {
    std::string_view name;
    std::string select;  // json_build_object(...) of one row `x`, FROM ... x
    std::string from;
};

const std::array<Kind, 6>& kinds() {
    static const std::array<Kind, 6> k{{
        {"drivers",
         "json_build_object('id', x.id, 'name', x.name, 'license_no', x.license_no, "
         "'ic_card_no', x.ic_card_no, 'certificate_no', x.certificate_no, 'created_at', " +
             utc("x.created_at") + ")",
         "drivers x"},
        {"pledges",
         "json_build_object('id', x.id, 'driver_id', x.driver_id, 'version', x.version, "
         "'max_speed_kmh', x.max_speed_kmh, 'max_continuous_driving_min', "
         "x.max_continuous_driving_min, 'night_max_continuous_min', x.night_max_continuous_min, "
         "'min_rest_min', x.min_rest_min, 'max_daily_driving_min', x.max_daily_driving_min, "
         "'forbidden_hours', to_json(x.forbidden_hours), 'max_route_deviation_m', "
         "x.max_route_deviation_m, 'signed_on', to_char(x.signed_on, 'YYYY-MM-DD'), "
         "'valid_from', to_char(x.valid_from, 'YYYY-MM-DD'), 'valid_to', "
         "to_char(x.valid_to, 'YYYY-MM-DD'), 'created_at', " +
             utc("x.created_at") + ")",
         "pledges x"},
        {"routes",
         "json_build_object('id', x.id, 'name', x.name, 'crs', x.source_crs, 'geometry', "
         "ST_AsGeoJSON(x.geom::geometry, 7)::json, 'corridor_m', x.corridor_m, "
         "'speed_limit_kmh', x.speed_limit_kmh, 'created_at', " +
             utc("x.created_at") + ")",
         "routes x"},
        {"zones",
         "json_build_object('id', x.id, 'name', x.name, 'kind', x.kind, 'crs', x.source_crs, "
         "'geometry', ST_AsGeoJSON(x.geom::geometry, 7)::json, 'circle', CASE WHEN x.center "
         "IS NOT NULL THEN json_build_object('center', ST_AsGeoJSON(x.center::geometry, 7)::json "
         "-> 'coordinates', 'radius_m', x.radius_m) END, 'speed_limit_kmh', x.speed_limit_kmh, "
         "'created_at', " +
             utc("x.created_at") + ")",
         "zones x"},
        {"convoys",
         "json_build_object('id', x.id, 'name', x.name, 'leader_username', x.leader_username, "
         "'max_gap_m', x.max_gap_m, 'vehicle_ids', coalesce((SELECT json_agg(DISTINCT "
         "t.vehicle_id) FROM trips t WHERE t.convoy_id = x.id), '[]'), 'created_at', " +
             utc("x.created_at") + ")",
         "convoys x"},
        {"trips",
         "json_build_object('id', x.id, 'vehicle_id', x.vehicle_id, 'driver_id', x.driver_id, "
         "'route_id', x.route_id, 'convoy_id', x.convoy_id, 'planned_start', x.planned_start, "
         "'planned_end', x.planned_end, 'students_aboard', x.students_aboard, 'created_at', " +
             utc("x.created_at") + ")",
         "trips x"},
    }};
    return k;
}

const Kind& kind_of(std::string_view name) {
    for (const auto& k : kinds()) {
        if (k.name == name) return k;
    }
    throw std::invalid_argument("unknown fleet kind " + std::string(name));
}

}  // namespace

FleetExport export_fleet(Connection& conn) {
    return detail::translate_errors("export fleet", [&] {
        pqxx::read_transaction tx(detail::native(conn));
        const auto r = tx.exec1(kExportFleet);
        return FleetExport{r[0].as<std::string>(), r[1].as<std::string>()};
    });
}

std::string list_fleet_rows(Connection& conn, std::string_view kind,
                            std::optional<std::int64_t> parent) {
    const Kind& k = kind_of(kind);
    return detail::translate_errors("list " + std::string(kind), [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const std::string where = kind == "pledges" ? " WHERE x.driver_id = $1" : "";
        const std::string sql = "SELECT coalesce(json_agg(" + k.select + " ORDER BY x.id), "
                                "'[]')::text FROM " + k.from + where;
        const auto r = kind == "pledges" ? tx.exec_params1(sql, parent.value_or(0))
                                         : tx.exec1(sql);
        return r[0].as<std::string>();
    });
}

std::optional<std::string> find_fleet_row(Connection& conn, std::string_view kind,
                                          std::int64_t id) {
    const Kind& k = kind_of(kind);
    return detail::translate_errors("find " + std::string(kind), [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT " + k.select + "::text FROM " + k.from + " WHERE x.id = $1", id);
        return r.empty() ? std::nullopt : std::optional<std::string>(r[0][0].as<std::string>());
    });
}

std::optional<std::int64_t> fleet_row_id(Connection& conn, std::string_view kind,
                                         const std::string& key) {
    static const std::array<std::pair<std::string_view, const char*>, 7> kLookups{{
        {"vehicles", "SELECT id FROM vehicles WHERE plate = $1"},
        {"drivers", "SELECT id FROM drivers WHERE license_no = $1"},
        {"routes", "SELECT id FROM routes WHERE name = $1"},
        {"zones", "SELECT id FROM zones WHERE name = $1"},
        {"convoys", "SELECT id FROM convoys WHERE name = $1"},
        {"pledges",
         "SELECT id FROM pledges WHERE driver_id || '/' || version = $1"},
        {"trips",
         "SELECT id FROM trips WHERE vehicle_id || '/' || route_id || '/' || planned_start = $1"},
    }};
    for (const auto& [name, sql] : kLookups) {
        if (name != kind) continue;
        return detail::translate_errors("find " + std::string(kind), [&] {
            pqxx::nontransaction tx(detail::native(conn));
            const auto r = tx.exec_params(sql, key);
            return r.empty() ? std::nullopt
                             : std::optional<std::int64_t>(r[0][0].as<std::int64_t>());
        });
    }
    throw std::invalid_argument("unknown fleet kind " + std::string(kind));
}

bool delete_fleet_row(Connection& conn, std::string_view kind, std::int64_t id) {
    static const std::array<std::string_view, 6> kDeletable{"vehicles", "drivers", "routes",
                                                            "zones",    "convoys", "trips"};
    if (std::find(kDeletable.begin(), kDeletable.end(), kind) == kDeletable.end()) {
        throw std::invalid_argument("cannot delete " + std::string(kind));
    }
    return detail::translate_errors("delete " + std::string(kind), [&] {
        pqxx::work tx(detail::native(conn));
        const auto r =
            tx.exec_params("DELETE FROM " + std::string(kind) + " WHERE id = $1 RETURNING 1", id);
        tx.commit();
        return !r.empty();
    });
}

}  // namespace fleetwatch::storage
