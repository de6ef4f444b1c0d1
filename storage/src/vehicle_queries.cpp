#include "fleetwatch/storage/vehicle_queries.hpp"

#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

// Columns of VehicleRow, from `vehicles v`; convoy ids as "1,2" (NULL for none).
constexpr const char* kVehicleSelect = R"sql(
    SELECT v.id, v.plate, v.plate_color, v.class, v.terminal_phone, v.requires_card,
           (SELECT string_agg(DISTINCT t.convoy_id::text, ',') FROM trips t
             WHERE t.vehicle_id = v.id AND t.convoy_id IS NOT NULL),
           extract(epoch FROM v.created_at)::bigint, v.phone_key
    FROM vehicles v)sql";

// Vehicles with a trip in a convoy led by $1.
constexpr const char* kLeaderFilter = R"sql(
    EXISTS (SELECT 1 FROM trips t JOIN convoys c ON c.id = t.convoy_id
             WHERE t.vehicle_id = v.id AND c.leader_username = $1))sql";

std::vector<std::int64_t> split_ids(const std::optional<std::string>& text) {
    std::vector<std::int64_t> out;
    if (!text) return out;
    std::size_t start = 0;
    while (start <= text->size()) {
        const auto comma = text->find(',', start);
        const auto end = comma == std::string::npos ? text->size() : comma;
        if (end > start) out.push_back(std::stoll(text->substr(start, end - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

VehicleRow to_vehicle(const pqxx::row& row) {
    VehicleRow v;
    v.id = row[0].as<core::VehicleId>();
    v.plate = row[1].as<std::string>();
    v.plate_color = row[2].as<int>();
    v.vehicle_class = row[3].as<std::string>();
    v.terminal_phone = detail::nullable<std::string>(row[4]);
    v.requires_card = row[5].as<bool>();
    v.convoy_ids = split_ids(detail::nullable<std::string>(row[6]));
    v.created_at = core::Timestamp{std::chrono::seconds{row[7].as<std::int64_t>()}};
    v.phone_key = detail::nullable<std::string>(row[8]);
    return v;
}

// Columns of PositionRow from `positions`, starting at column `at` of a row.
constexpr const char* kPositionColumns = R"sql(
    extract(epoch FROM gps_time)::bigint, ST_Y(geom::geometry), ST_X(geom::geometry),
    speed_kmh, direction, altitude_m, alarm, status, valid, mileage_km)sql";

PositionRow to_position_row(const pqxx::row& row, pqxx::row::size_type at) {
    PositionRow p;
    p.time = core::Timestamp{std::chrono::seconds{row[at].as<std::int64_t>()}};
    p.lat = row[at + 1].as<double>();
    p.lon = row[at + 2].as<double>();
    p.speed_kmh = row[at + 3].as<double>();
    p.direction = row[at + 4].as<int>();
    p.altitude_m = row[at + 5].as<int>();
    p.alarm = row[at + 6].as<std::int64_t>();
    p.status = row[at + 7].as<std::int64_t>();
    p.valid = row[at + 8].as<bool>();
    p.mileage_km = detail::nullable<double>(row[at + 9]);
    return p;
}

}  // namespace

std::vector<VehicleRow> list_vehicles(Connection& conn,
                                      const std::optional<std::string>& leader_username) {
    return detail::translate_errors("list vehicles", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const pqxx::result r = leader_username
                                   ? tx.exec_params(std::string(kVehicleSelect) + " WHERE " +
                                                        kLeaderFilter + " ORDER BY v.id",
                                                    *leader_username)
                                   : tx.exec(std::string(kVehicleSelect) + " ORDER BY v.id");
        std::vector<VehicleRow> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(to_vehicle(row));
        return out;
    });
}

std::optional<VehicleRow> find_vehicle(Connection& conn, core::VehicleId id) {
    return detail::translate_errors("find vehicle", [&]() -> std::optional<VehicleRow> {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(std::string(kVehicleSelect) + " WHERE v.id = $1", id);
        if (r.empty()) return std::nullopt;
        return to_vehicle(r[0]);
    });
}

bool vehicle_in_leader_convoys(Connection& conn, core::VehicleId vehicle,
                               const std::string& leader_username) {
    return detail::translate_errors("vehicle convoys", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT 1 FROM trips t JOIN convoys c ON c.id = t.convoy_id "
            "WHERE t.vehicle_id = $1 AND c.leader_username = $2 LIMIT 1",
            vehicle, leader_username);
        return !r.empty();
    });
}

std::vector<PositionRow> list_positions(Connection& conn, core::VehicleId vehicle,
                                        core::Timestamp from, core::Timestamp to,
                                        std::optional<core::Timestamp> after, std::size_t limit) {
    return detail::translate_errors("list positions", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        std::optional<std::string> after_text;
        if (after) after_text = detail::timestamptz(*after);
        const auto r = tx.exec_params(
            std::string("SELECT ") + kPositionColumns + R"sql(
            FROM positions
            WHERE vehicle_id = $1 AND gps_time >= $2::timestamptz AND gps_time < $3::timestamptz
              AND ($4::timestamptz IS NULL OR gps_time > $4::timestamptz)
            ORDER BY gps_time
            LIMIT $5)sql",
            vehicle, detail::timestamptz(from), detail::timestamptz(to), after_text,
            static_cast<std::int64_t>(limit));
        std::vector<PositionRow> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(to_position_row(row, 0));
        return out;
    });
}

FleetIdRows load_fleet_ids(Connection& conn) {
    return detail::translate_errors("load fleet ids", [&] {
        pqxx::read_transaction tx(detail::native(conn));
        FleetIdRows out;
        for (const auto& row : tx.exec("SELECT id, plate, phone_key FROM vehicles")) {
            const auto id = row[0].as<core::VehicleId>();
            out.vehicle_by_plate.emplace(row[1].as<std::string>(), id);
            if (!row[2].is_null()) out.phone_key_by_vehicle.emplace(id, row[2].as<std::string>());
        }
        for (const auto& row : tx.exec("SELECT id, license_no FROM drivers")) {
            out.driver_by_license.emplace(row[1].as<std::string>(), row[0].as<core::DriverId>());
        }
        return out;
    });
}

void for_each_position(Connection& conn, core::Timestamp from, core::Timestamp to,
                       std::size_t page,
                       const std::function<void(std::span<const core::Position>)>& each) {
    // Keyset paging on (gps_time, vehicle_id); the first page starts after (from - 1 s, any).
    std::int64_t after_time = std::chrono::duration_cast<std::chrono::seconds>(
                                  from.time_since_epoch()).count() - 1;
    std::int64_t after_vehicle = 0;
    std::vector<core::Position> out;
    for (;;) {
        const auto r = detail::translate_errors("read positions", [&] {
            pqxx::nontransaction tx(detail::native(conn));
            return tx.exec_params(
                R"sql(
                SELECT vehicle_id, extract(epoch FROM gps_time)::bigint,
                       extract(epoch FROM received_at)::bigint,
                       round(ST_Y(geom::geometry) * 1e6)::bigint,
                       round(ST_X(geom::geometry) * 1e6)::bigint, altitude_m,
                       round(speed_kmh * 10)::integer, direction, alarm, status, valid,
                       round(mileage_km * 10)::bigint, round(fuel_l * 10)::integer,
                       satellites, signal_strength, source
                FROM positions
                WHERE gps_time >= $1::timestamptz AND gps_time < $2::timestamptz
                  AND (gps_time, vehicle_id) > (to_timestamp($3), $4)
                ORDER BY gps_time, vehicle_id
                LIMIT $5)sql",
                detail::timestamptz(from), detail::timestamptz(to), after_time, after_vehicle,
                static_cast<std::int64_t>(page));
        });
        if (r.empty()) return;
        out.clear();
        for (const auto& row : r) {
            core::Position p;
            p.vehicle_id = row[0].as<core::VehicleId>();
            p.gps_time = core::Timestamp{std::chrono::seconds{row[1].as<std::int64_t>()}};
            p.received_at = core::Timestamp{std::chrono::seconds{row[2].as<std::int64_t>()}};
            p.point = {static_cast<std::int32_t>(row[3].as<std::int64_t>()),
                       static_cast<std::int32_t>(row[4].as<std::int64_t>())};
            p.altitude_m = static_cast<std::uint16_t>(row[5].as<int>());
            p.speed_dkmh = static_cast<std::uint16_t>(row[6].as<int>());
            p.direction = static_cast<std::uint16_t>(row[7].as<int>());
            p.alarm = static_cast<std::uint32_t>(row[8].as<std::int64_t>());
            p.status = static_cast<std::uint32_t>(row[9].as<std::int64_t>());
            p.valid = row[10].as<bool>();
            if (!row[11].is_null()) p.mileage_100m = static_cast<std::uint32_t>(row[11].as<std::int64_t>());
            if (!row[12].is_null()) p.fuel_100ml = static_cast<std::uint16_t>(row[12].as<int>());
            if (!row[13].is_null()) p.satellites = static_cast<std::uint8_t>(row[13].as<int>());
            if (!row[14].is_null()) p.signal_strength = static_cast<std::uint8_t>(row[14].as<int>());
            p.source = static_cast<core::PositionSource>(row[15].as<int>());
            out.push_back(p);
        }
        after_vehicle = static_cast<std::int64_t>(out.back().vehicle_id);
        after_time = std::chrono::duration_cast<std::chrono::seconds>(
                         out.back().gps_time.time_since_epoch()).count();
        each(out);
        if (r.size() < page) return;
    }
}

std::optional<Track> vehicle_track(Connection& conn, core::VehicleId vehicle, core::Timestamp from,
                                   core::Timestamp to, std::size_t max_points) {
    return detail::translate_errors("vehicle track", [&]() -> std::optional<Track> {
        pqxx::nontransaction tx(detail::native(conn));
        // Every n-th fix (and the last) when there are more than max_points.
        const auto r = tx.exec_params1(
            R"sql(
            WITH fixes AS (
                SELECT geom::geometry AS g, row_number() OVER (ORDER BY gps_time) AS i,
                       count(*) OVER () AS n
                FROM positions
                WHERE vehicle_id = $1 AND valid AND gps_time >= $2::timestamptz
                  AND gps_time < $3::timestamptz),
            kept AS (
                SELECT g, i FROM fixes
                WHERE n <= $4 OR (i - 1) % ceil(n::double precision / $4)::bigint = 0 OR i = n)
            SELECT (SELECT count(*) FROM fixes),
                   ST_AsGeoJSON(ST_MakeLine(g ORDER BY i), 7),
                   coalesce(ST_Length(ST_MakeLine(g ORDER BY i)::geography), 0)
            FROM kept)sql",
            vehicle, detail::timestamptz(from), detail::timestamptz(to),
            static_cast<std::int64_t>(max_points));
        const auto fixes = r[0].as<std::int64_t>();
        if (fixes < 2 || r[1].is_null()) return std::nullopt;
        return Track{r[1].as<std::string>(), static_cast<std::size_t>(fixes), r[2].as<double>()};
    });
}

std::vector<LiveVehicleRow> live_vehicles(Connection& conn,
                                          const std::optional<std::string>& leader_username,
                                          std::chrono::seconds lookback) {
    return detail::translate_errors("live vehicles", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        // One index probe per vehicle (positions' key is (vehicle_id, gps_time)); the lookback
        // prunes the daily partitions.
        const auto r = tx.exec_params(
            std::string(R"sql(
            SELECT v.id, v.plate, v.class,
                   extract(epoch FROM GREATEST(t.last_seen_at, p.received_at))::bigint,
                   (SELECT count(*) FROM violations x WHERE x.vehicle_id = v.id
                     AND x.ended_at IS NULL AND x.status <> 'retracted'),
                   p.* FROM vehicles v
            LEFT JOIN terminals t ON t.phone_key = v.phone_key
            LEFT JOIN LATERAL (
                SELECT )sql") + kPositionColumns + R"sql(, received_at FROM positions
                WHERE vehicle_id = v.id AND gps_time > now() - $2 * interval '1 second'
                  AND gps_time < now() + interval '1 day'
                ORDER BY gps_time DESC LIMIT 1) p ON true
            WHERE ($1::text IS NULL OR )sql" + kLeaderFilter + R"sql()
            ORDER BY v.id)sql",
            leader_username, static_cast<std::int64_t>(lookback.count()));
        std::vector<LiveVehicleRow> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            LiveVehicleRow v;
            v.id = row[0].as<core::VehicleId>();
            v.plate = row[1].as<std::string>();
            v.vehicle_class = row[2].as<std::string>();
            if (!row[3].is_null()) {
                v.last_seen_at = core::Timestamp{std::chrono::seconds{row[3].as<std::int64_t>()}};
            }
            v.open_violations = row[4].as<int>();
            if (!row[5].is_null()) v.position = to_position_row(row, 5);
            out.push_back(std::move(v));
        }
        return out;
    });
}

}  // namespace fleetwatch::storage
