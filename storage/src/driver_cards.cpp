#include "fleetwatch/storage/driver_cards.hpp"

#include <algorithm>
#include <pqxx/transaction>
#include <stdexcept>

#include "connection_impl.hpp"
#include "driver_card_sql.hpp"

namespace fleetwatch::storage {

CardSessionChange insert_driver_card_event(Connection& conn, const core::DriverCardEvent& event) {
    return detail::translate_errors("driver card event", [&] {
        try {
            pqxx::work tx(detail::native(conn));
            const CardSessionChange change = detail::write_driver_card_event(tx, event);
            tx.commit();
            return change;
        } catch (const std::invalid_argument& e) {
            throw DatabaseError(std::string("driver card event: ") + e.what());
        }
    });
}

std::vector<core::DriverCardEvent> list_card_events(Connection& conn, core::Timestamp from,
                                                    core::Timestamp to) {
    return detail::translate_errors("list card events", [&] {
        pqxx::read_transaction tx(detail::native(conn));
        const auto rows = tx.exec_params(
            "SELECT vehicle_id, extract(epoch FROM card_in_at)::bigint, "
            "extract(epoch FROM card_out_at)::bigint, extract(epoch FROM received_at)::bigint, "
            "driver_name, certificate_no, issuer, id_card_no, ic_result "
            "FROM driver_card_sessions "
            "WHERE coalesce(card_out_at, 'infinity') >= $1::timestamptz "
            "AND coalesce(card_in_at, '-infinity') < $2::timestamptz",
            detail::timestamptz(from), detail::timestamptz(to));
        std::vector<core::DriverCardEvent> out;
        const auto at = [](const pqxx::field& f) {
            return core::Timestamp{std::chrono::seconds{f.as<std::int64_t>()}};
        };
        for (const auto& row : rows) {
            core::DriverCardEvent e;
            e.vehicle_id = row[0].as<core::VehicleId>();
            e.received_at = at(row[3]);
            e.driver_name = row[4].as<std::string>();
            e.certificate_no = row[5].as<std::string>();
            e.issuer = row[6].as<std::string>();
            e.id_card_no = row[7].as<std::string>();
            if (!row[1].is_null()) {
                e.inserted = true;
                e.time = at(row[1]);
                if (!row[8].is_null()) e.ic_result = static_cast<std::uint8_t>(row[8].as<int>());
                out.push_back(e);
            }
            if (!row[2].is_null()) {
                e.inserted = false;
                e.time = at(row[2]);
                e.ic_result.reset();
                out.push_back(e);
            }
        }
        // At the same time a card-out goes first: a card-in that closed the open session (the
        // terminal never sent its card-out) is stored as that session's end and the new start.
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return std::pair{a.time, a.inserted} < std::pair{b.time, b.inserted};
        });
        return out;
    });
}

}  // namespace fleetwatch::storage
