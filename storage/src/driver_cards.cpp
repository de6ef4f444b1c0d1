#include "fleetwatch/storage/driver_cards.hpp"

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

}  // namespace fleetwatch::storage
