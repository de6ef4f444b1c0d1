#include "fleetwatch/storage/terminals.hpp"

#include <map>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "connection_impl.hpp"
#include "sql_text.hpp"

namespace fleetwatch::storage {
namespace {

template <typename T>
std::optional<int> widen(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

std::optional<std::string> non_empty(const std::string& s) {
    if (s.empty()) return std::nullopt;
    return s;
}

}  // namespace

std::vector<TerminalRecord> load_terminals(Connection& conn) {
    return detail::translate_errors("load terminals", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const pqxx::result r = tx.exec(R"sql(
            SELECT v.id, v.phone_key, v.plate, t.auth_code, t.dialect, v.requires_card
            FROM vehicles v LEFT JOIN terminals t ON t.phone_key = v.phone_key
            WHERE v.phone_key IS NOT NULL
            ORDER BY v.id)sql");
        std::vector<TerminalRecord> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            TerminalRecord t;
            t.vehicle_id = row[0].as<core::VehicleId>();
            t.phone_key = row[1].as<std::string>();
            t.plate = row[2].as<std::string>();
            t.auth_code = detail::nullable<std::string>(row[3]);
            t.dialect = detail::nullable<std::string>(row[4]);
            t.requires_card = row[5].as<bool>();
            out.push_back(std::move(t));
        }
        return out;
    });
}

namespace {

// Upserts the terminal row inside `tx`; returns the vehicle that has the phone, if any.
std::optional<core::VehicleId> upsert_registration(pqxx::work& tx,
                                                   const TerminalRegistration& reg) {
    const pqxx::row row = tx.exec_params1(
        R"sql(
        INSERT INTO terminals AS t (phone_key, vehicle_id, auth_code, dialect, registered_at,
                                    last_seen_at, province_id, city_id, maker_id, model,
                                    terminal_id, reported_plate, reported_plate_color)
        VALUES ($1, (SELECT id FROM vehicles WHERE phone_key = $1), $2, $3, $4::timestamptz,
                $4::timestamptz, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (phone_key) DO UPDATE SET
            vehicle_id = EXCLUDED.vehicle_id, auth_code = EXCLUDED.auth_code,
            dialect = EXCLUDED.dialect, registered_at = EXCLUDED.registered_at,
            last_seen_at = GREATEST(t.last_seen_at, EXCLUDED.last_seen_at),
            province_id = EXCLUDED.province_id, city_id = EXCLUDED.city_id,
            maker_id = EXCLUDED.maker_id, model = EXCLUDED.model,
            terminal_id = EXCLUDED.terminal_id, reported_plate = EXCLUDED.reported_plate,
            reported_plate_color = EXCLUDED.reported_plate_color, updated_at = now()
        RETURNING vehicle_id)sql",
        reg.phone_key, reg.auth_code, non_empty(reg.dialect),
        detail::timestamptz(reg.registered_at), widen(reg.province_id), widen(reg.city_id),
        non_empty(reg.maker_id), non_empty(reg.model), non_empty(reg.terminal_id),
        non_empty(reg.plate), widen(reg.plate_color));
    return detail::nullable<core::VehicleId>(row[0]);
}

// A new vehicle for `reg`'s phone under `plate`; nullopt when the plate is taken.
std::optional<core::VehicleId> insert_vehicle(pqxx::work& tx, const TerminalRegistration& reg,
                                              const std::string& plate) {
    const pqxx::result r = tx.exec_params(
        "INSERT INTO vehicles (plate, plate_color, class, terminal_phone) VALUES ($1, $2, 'other', "
        "$3) "
        "ON CONFLICT (plate) DO NOTHING RETURNING id",
        plate, widen(reg.plate_color).value_or(0), reg.phone_key);
    if (r.empty()) return std::nullopt;
    return r[0][0].as<core::VehicleId>();
}

}  // namespace

std::optional<core::VehicleId> save_registration(Connection& conn,
                                                 const TerminalRegistration& reg) {
    return detail::translate_errors("save registration of " + reg.phone_key, [&] {
        pqxx::work tx(detail::native(conn));
        const auto vehicle = upsert_registration(tx, reg);
        tx.commit();
        return vehicle;
    });
}

core::VehicleId auto_register_vehicle(Connection& conn, const TerminalRegistration& reg) {
    return detail::translate_errors("auto-register " + reg.phone_key, [&] {
        pqxx::work tx(detail::native(conn));
        const pqxx::result existing = tx.exec_params(
            "SELECT id FROM vehicles WHERE phone_key = $1 FOR UPDATE", reg.phone_key);
        std::optional<core::VehicleId> vehicle;
        if (!existing.empty()) vehicle = existing[0][0].as<core::VehicleId>();
        if (!vehicle && !reg.plate.empty()) vehicle = insert_vehicle(tx, reg, reg.plate);
        if (!vehicle) vehicle = insert_vehicle(tx, reg, "AUTO-" + reg.phone_key);
        if (!vehicle) {
            throw DatabaseError("auto-register " + reg.phone_key + ": plate AUTO-" + reg.phone_key +
                                " belongs to a vehicle with another phone");
        }
        upsert_registration(tx, reg);
        tx.commit();
        return *vehicle;
    });
}

void save_authentication(Connection& conn, const TerminalAuthentication& auth) {
    detail::translate_errors("save authentication of " + auth.phone_key, [&] {
        pqxx::work tx(detail::native(conn));
        tx.exec_params0(R"sql(
            INSERT INTO terminals AS t (phone_key, vehicle_id, dialect, authenticated_at,
                                        last_seen_at, imei, software_version)
            VALUES ($1, (SELECT id FROM vehicles WHERE phone_key = $1), $2, $3::timestamptz,
                    $3::timestamptz, $4, $5)
            ON CONFLICT (phone_key) DO UPDATE SET
                dialect = coalesce(EXCLUDED.dialect, t.dialect),
                authenticated_at = EXCLUDED.authenticated_at,
                last_seen_at = GREATEST(t.last_seen_at, EXCLUDED.last_seen_at),
                imei = coalesce(EXCLUDED.imei, t.imei),
                software_version = coalesce(EXCLUDED.software_version, t.software_version),
                updated_at = now())sql",
                        auth.phone_key, non_empty(auth.dialect),
                        detail::timestamptz(auth.authenticated_at), non_empty(auth.imei),
                        non_empty(auth.software_version));
        tx.commit();
    });
}

void record_terminals_seen(Connection& conn, std::span<const TerminalSeen> seen) {
    if (seen.empty()) return;
    // One row per key (ON CONFLICT may not touch a row twice in one statement): the latest.
    std::map<std::string, core::Timestamp> latest;
    for (const auto& s : seen) {
        auto [it, inserted] = latest.emplace(s.phone_key, s.seen_at);
        if (!inserted && s.seen_at > it->second) it->second = s.seen_at;
    }
    std::vector<std::string> keys;
    std::vector<std::string> times;
    for (const auto& [key, at] : latest) {
        keys.push_back(key);
        times.push_back(detail::timestamptz(at));
    }
    detail::translate_errors("record terminals seen", [&] {
        pqxx::work tx(detail::native(conn));
        tx.exec_params0(R"sql(
            INSERT INTO terminals AS t (phone_key, vehicle_id, last_seen_at)
            SELECT s.phone_key, v.id, s.seen_at
            FROM unnest($1::text[], $2::timestamptz[]) AS s (phone_key, seen_at)
            LEFT JOIN vehicles v ON v.phone_key = s.phone_key
            ON CONFLICT (phone_key) DO UPDATE SET
                last_seen_at = GREATEST(t.last_seen_at, EXCLUDED.last_seen_at)
            WHERE t.last_seen_at IS NULL OR t.last_seen_at < EXCLUDED.last_seen_at)sql",
                        detail::text_array(keys), detail::text_array(times));
        tx.commit();
    });
}

void record_terminal_seen(Connection& conn, const std::string& phone_key, core::Timestamp seen_at) {
    const TerminalSeen one{phone_key, seen_at};
    record_terminals_seen(conn, std::span<const TerminalSeen>(&one, 1));
}

}  // namespace fleetwatch::storage
