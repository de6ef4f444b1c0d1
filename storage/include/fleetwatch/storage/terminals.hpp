// Terminals as ingest needs them: which phone belongs to which vehicle, auth codes, dialects.
//
// A terminal is keyed by its phone key (digits of the header's phone number without leading
// zeros, jt808::PhoneNumber::key()). A vehicle's terminal is the row whose phone_key equals
// vehicles.phone_key (derived from vehicles.terminal_phone). All functions run one short
// transaction and throw DatabaseError.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct TerminalRecord {
    core::VehicleId vehicle_id = 0;
    std::string phone_key;
    std::string plate;
    std::optional<std::string> auth_code;  // nullopt until the terminal registered once
    std::optional<std::string> dialect;    // "2011" | "2013" | "2019", as last seen
    bool requires_card = false;
};

// One row per vehicle that has a terminal phone, ordered by vehicle id. Ingest loads this at
// start-up (and on reload) to admit terminals.
std::vector<TerminalRecord> load_terminals(Connection& conn);

// What a 0x0100 registration told us, and the auth code we answered with (0x8100).
struct TerminalRegistration {
    std::string phone_key;
    std::string auth_code;
    std::string dialect;  // "2011" | "2013" | "2019"
    core::Timestamp registered_at{};
    std::optional<std::uint16_t> province_id;
    std::optional<std::uint16_t> city_id;
    std::string maker_id;
    std::string model;
    std::string terminal_id;
    std::optional<std::uint8_t> plate_color;  // as the terminal reported it
    std::string plate;                        // as the terminal reported it (UTF-8)
};

// Upserts the terminal row (a re-registration replaces the auth code). Returns the vehicle the
// phone belongs to, or nullopt for a phone no vehicle has (kept, with no vehicle, for
// `ingest.auto_register` and for the installer to see).
std::optional<core::VehicleId> save_registration(Connection& conn, const TerminalRegistration& reg);

// `ingest.auto_register`: like save_registration, but a phone no vehicle has gets a new vehicle
// (class "other", the plate the terminal reported, or "AUTO-<phone_key>" when it reported none
// or another vehicle has that plate). Returns the vehicle's id. One transaction.
core::VehicleId auto_register_vehicle(Connection& conn, const TerminalRegistration& reg);

// What a 0x0102 authentication told us (2019 terminals send IMEI and software version).
struct TerminalAuthentication {
    std::string phone_key;
    core::Timestamp authenticated_at{};
    std::string dialect;
    std::string imei;              // empty when not sent
    std::string software_version;  // empty when not sent
};
void save_authentication(Connection& conn, const TerminalAuthentication& auth);

struct TerminalSeen {
    std::string phone_key;
    core::Timestamp seen_at{};
};

// Moves last_seen_at forward (never back). One statement for the whole span; callers batch
// (e.g. once a minute per session) rather than calling per message.
void record_terminals_seen(Connection& conn, std::span<const TerminalSeen> seen);
void record_terminal_seen(Connection& conn, const std::string& phone_key, core::Timestamp seen_at);

}  // namespace fleetwatch::storage
