#include "fleetwatch/storage/vehicle_queries.hpp"

#include <pqxx/nontransaction>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

// Columns of VehicleRow, from `vehicles v`; convoy ids as "1,2" (NULL for none).
constexpr const char* kVehicleSelect = R"sql(
    SELECT v.id, v.plate, v.plate_color, v.class, v.terminal_phone, v.requires_card,
           (SELECT string_agg(DISTINCT t.convoy_id::text, ',') FROM trips t
             WHERE t.vehicle_id = v.id AND t.convoy_id IS NOT NULL),
           extract(epoch FROM v.created_at)::bigint
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
    return v;
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
            R"sql(
            SELECT extract(epoch FROM gps_time)::bigint, ST_Y(geom::geometry), ST_X(geom::geometry),
                   speed_kmh, direction, altitude_m, alarm, status, valid, mileage_km
            FROM positions
            WHERE vehicle_id = $1 AND gps_time >= $2::timestamptz AND gps_time < $3::timestamptz
              AND ($4::timestamptz IS NULL OR gps_time > $4::timestamptz)
            ORDER BY gps_time
            LIMIT $5)sql",
            vehicle, detail::timestamptz(from), detail::timestamptz(to), after_text,
            static_cast<std::int64_t>(limit));
        std::vector<PositionRow> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            PositionRow p;
            p.time = core::Timestamp{std::chrono::seconds{row[0].as<std::int64_t>()}};
            p.lat = row[1].as<double>();
            p.lon = row[2].as<double>();
            p.speed_kmh = row[3].as<double>();
            p.direction = row[4].as<int>();
            p.altitude_m = row[5].as<int>();
            p.alarm = row[6].as<std::int64_t>();
            p.status = row[7].as<std::int64_t>();
            p.valid = row[8].as<bool>();
            p.mileage_km = detail::nullable<double>(row[9]);
            out.push_back(p);
        }
        return out;
    });
}

}  // namespace fleetwatch::storage
