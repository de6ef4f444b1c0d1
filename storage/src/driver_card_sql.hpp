// How the writer stores a driver card event inside its batch transaction. Private to storage.
#pragma once

#include <pqxx/transaction_base>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/storage/driver_cards.hpp"

namespace fleetwatch::storage::detail {

// Idempotent: replaying the same event (a crash mid-replay) changes nothing the second time.
// Says what changed. An event for a vehicle id that does not exist throws
// std::invalid_argument (a rejection of this event, not a database failure); SQL errors throw
// pqxx exceptions.
CardSessionChange write_driver_card_event(pqxx::transaction_base& tx,
                                          const core::DriverCardEvent& event);

}  // namespace fleetwatch::storage::detail
