#include "positions_table.hpp"

#include <algorithm>
#include <optional>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/stream_to>
#include <pqxx/subtransaction>
#include <pqxx/transaction>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <vector>

#include "driver_card_sql.hpp"

namespace fleetwatch::storage::detail {
namespace {

constexpr std::string_view kStagingTable = "fleetwatch_positions_staging";

// Integers only: the INSERT converts units (1e-6 degrees, 1/10 km/h ...) in SQL, so no float
// formatting or rounding happens on this side.
constexpr std::string_view kCreateStaging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS fleetwatch_positions_staging (
    vehicle_id bigint, gps_time bigint, received_at bigint, lat_e6 integer, lon_e6 integer,
    altitude_m integer, speed_dkmh integer, direction integer, alarm bigint, status bigint,
    valid boolean, mileage_100m bigint, fuel_100ml integer, satellites smallint,
    signal_strength smallint, source smallint
) ON COMMIT DELETE ROWS)sql";

const std::vector<std::string> kStagingColumns = {
    "vehicle_id", "gps_time",   "received_at",     "lat_e6", "lon_e6", "altitude_m",
    "speed_dkmh", "direction",  "alarm",           "status", "valid",  "mileage_100m",
    "fuel_100ml", "satellites", "signal_strength", "source"};

// Division by a float8 constant is correctly rounded, so lat_e6 / 1e6 gives the double closest
// to the decimal the terminal sent. Rows go in key order so that two lanes inserting the same
// keys (a retransmission split across batches) wait for each other instead of deadlocking.
constexpr std::string_view kInsertFromStaging = R"sql(
INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, speed_kmh, direction,
                       alarm, status, valid, mileage_km, fuel_l, satellites, signal_strength, source)
SELECT vehicle_id, to_timestamp(gps_time), to_timestamp(received_at),
       ST_SetSRID(ST_MakePoint(lon_e6 / 1e6::float8, lat_e6 / 1e6::float8), 4326)::geography,
       altitude_m, (speed_dkmh / 10::float8)::real, direction::smallint, alarm, status, valid,
       (mileage_100m / 10::float8)::real, (fuel_100ml / 10::float8)::real, satellites,
       signal_strength, source
FROM fleetwatch_positions_staging
ORDER BY vehicle_id, gps_time
ON CONFLICT (vehicle_id, gps_time) DO NOTHING)sql";

std::int64_t unix_seconds(core::Timestamp t) { return t.time_since_epoch().count(); }

std::int64_t utc_day(core::Timestamp t) {
    const std::int64_t s = unix_seconds(t);
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

template <typename T>
std::optional<std::int64_t> widen(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    return static_cast<std::int64_t>(*v);
}

auto staging_row(const core::Position& p) {
    return std::make_tuple(p.vehicle_id, unix_seconds(p.gps_time), unix_seconds(p.received_at),
                           p.point.lat_e6, p.point.lon_e6, static_cast<int>(p.altitude_m),
                           static_cast<int>(p.speed_dkmh), static_cast<int>(p.direction),
                           static_cast<std::int64_t>(p.alarm), static_cast<std::int64_t>(p.status),
                           p.valid, widen(p.mileage_100m), widen(p.fuel_100ml), widen(p.satellites),
                           widen(p.signal_strength), static_cast<int>(p.source));
}

// An error about this event's content, which no retry will fix: an unknown vehicle, a value a
// constraint rejects. Anything else (connection lost, server shutting down) is the database's
// and goes to the spool.
bool is_rejection(const std::exception& e) {
    return dynamic_cast<const std::invalid_argument*>(&e) != nullptr ||
           dynamic_cast<const pqxx::data_exception*>(&e) != nullptr ||
           dynamic_cast<const pqxx::integrity_constraint_violation*>(&e) != nullptr;
}

}  // namespace

std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds timeout) {
    if (timeout.count() <= 0 || conninfo.find("connect_timeout") != std::string::npos) {
        return conninfo;
    }
    const std::string value = std::to_string(timeout.count());
    const bool uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
    if (!uri) return conninfo + (conninfo.empty() ? "" : " ") + "connect_timeout=" + value;
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
           "connect_timeout=" + value;
}

std::string describe_db_error(const std::exception& e) {
    std::string text = e.what();
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
        sql && !sql->sqlstate().empty()) {
        text = "SQLSTATE " + sql->sqlstate() + ": " + text;
    }
    // libpq messages end in newlines and sometimes carry a second line with the query.
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    constexpr std::size_t kMax = 300;
    if (text.size() > kMax) text = text.substr(0, kMax) + "...";
    return text;
}

PositionsTable::PositionsTable(const std::string& conninfo, std::chrono::seconds statement_timeout)
    : conn_(conninfo) {
    pqxx::nontransaction tx(conn_);
    tx.exec(std::string(kCreateStaging));
    if (statement_timeout.count() > 0) {
        tx.exec("SET statement_timeout = " + std::to_string(statement_timeout.count() * 1000));
    }
    // A commit lets the writer forget a batch (and delete its spool segment), so it must be
    // durable when it returns. With synchronous_commit = off on the server (a throughput
    // setting some installations use) it returns before the WAL is written, and a crash of
    // PostgreSQL loses the last commits: acknowledged positions, gone. This session asks for
    // the default back; every other value (local, remote_write, remote_apply) already waits
    // for the local WAL flush and is left alone.
    tx.exec(
        "SELECT set_config('synchronous_commit', 'on', false) "
        "WHERE current_setting('synchronous_commit') = 'off'");
}

void PositionsTable::ensure_partitions(std::span<const core::Position> positions) {
    std::vector<std::int64_t> missing;
    for (const auto& p : positions) {
        const std::int64_t day = utc_day(p.gps_time);
        if (known_days_.contains(day)) continue;
        if (std::find(missing.begin(), missing.end(), day) == missing.end()) missing.push_back(day);
    }
    if (missing.empty()) return;

    std::string days;
    for (const std::int64_t day : missing) {
        if (!days.empty()) days += ',';
        days += std::to_string(day);
    }
    // Its own committed transaction: DDL, and a partition once made stays made even if the
    // batch that needed it fails.
    pqxx::work tx(conn_);
    tx.exec(
        "SELECT fleetwatch_ensure_position_partition(DATE '1970-01-01' + d) "
        "FROM unnest(ARRAY[" +
        days + "]::integer[]) AS d");
    tx.commit();
    known_days_.insert(missing.begin(), missing.end());
}

BatchResult PositionsTable::write(std::span<const core::Position> positions,
                                  std::span<const core::DriverCardEvent> card_events) {
    BatchResult result;
    if (!positions.empty()) ensure_partitions(positions);

    pqxx::work tx(conn_);
    if (!positions.empty()) {
        pqxx::stream_to stream(tx, std::string(kStagingTable), kStagingColumns);
        for (const auto& p : positions) stream << staging_row(p);
        stream.complete();
        const pqxx::result r = tx.exec(std::string(kInsertFromStaging));
        result.inserted = static_cast<std::size_t>(r.affected_rows());
        result.duplicates = positions.size() - result.inserted;
    }
    for (const auto& event : card_events) {
        try {
            pqxx::subtransaction savepoint(tx, "fleetwatch_card_event");
            write_driver_card_event(savepoint, event);
            savepoint.commit();
            ++result.card_events_stored;
        } catch (const std::exception& e) {
            if (!is_rejection(e)) throw;
            result.card_events_rejected.push_back({&event, describe_db_error(e)});
        }
    }
    tx.commit();
    return result;
}

}  // namespace fleetwatch::storage::detail
