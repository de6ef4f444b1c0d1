// Driver card sessions (0x0702): who was at the wheel of which vehicle, when.
//
// A card-in opens a session for the vehicle; a card-out closes the open one. A card-in while a
// session is open closes the old session at the new card's time (the terminal missed or never
// sent the card-out). The driver is matched by drivers.certificate_no; an unknown certificate
// keeps driver_id NULL but still records the name and numbers read from the card.
//
// Replays are harmless: an event already recorded (same vehicle, same time, same direction) is
// recognised and changes nothing. Events out of order are kept without rewriting history: a
// card-out older than the open session's card-in, or with no session open, is stored as a
// session with card_in_at NULL; a card-in older than the open session becomes a closed session
// that ends where the open one starts.
#pragma once

#include <cstdint>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

enum class CardSessionChange : std::uint8_t {
    opened,           // card-in, nothing was open
    replaced,         // card-in closed the open session and opened a new one
    closed,           // card-out closed the open session
    recorded_late,    // an out-of-order event stored as a closed session
    orphan_card_out,  // card-out with no session open: stored with card_in_at NULL
    duplicate,        // already recorded; nothing changed
};

// One transaction. Throws DatabaseError, also for an unknown vehicle id.
CardSessionChange insert_driver_card_event(Connection& conn, const core::DriverCardEvent& event);

// The card events of every session that overlaps [from, to) (a card-in before `from` of a
// session still open then included), ordered by time, a card-out before a card-in at the same
// time: what the rule engine replays on a restart. Throws DatabaseError.
std::vector<core::DriverCardEvent> list_card_events(Connection& conn, core::Timestamp from,
                                                    core::Timestamp to);

}  // namespace fleetwatch::storage
