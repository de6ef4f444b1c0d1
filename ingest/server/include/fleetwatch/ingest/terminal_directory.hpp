// Which terminals may connect, which vehicle each one reports for, and their auth codes.
//
// API.md: a terminal's phone number (the SIM number in the header) must belong to a vehicle.
// The app fills the directory from the database at start and refreshes it periodically
// (`replace_all`); registration (0x0100) issues a fresh random auth code (`register_terminal`),
// authentication (0x0102) checks it (`authenticate`). Lookups are in memory; the database is
// only reached through the hooks, which the server calls off its I/O threads.
//
// Keys are normalised phone numbers (`jt808::PhoneNumber::key()`: digits without leading
// zeros), so a terminal keeps its key across 2013 (12-digit) and 2019 (20-digit) headers.
//
// Auto-registration (`Options::auto_register`, config `ingest.auto_register`): a 0x0100 from a
// phone the directory does not know calls the auto-register hook, which returns the id of the
// vehicle the app created (or found) for it; the terminal then gets a code like any other. With
// the option off, or no hook, or a hook that returns nothing, an unknown terminal is answered
// with 0x8100 result 4 (terminal not in the database).
//
// Codes issued by this process win over the records of a later `replace_all`: the snapshot may
// have been read before the persistence hook stored them. Records that vanish from a snapshot
// (vehicle deleted) are removed, except terminals auto-registered by this process.
//
// Thread-safety: every member may be called from any thread. Hooks run on the caller's thread
// without the directory's lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/jt808/frame.hpp"

namespace fleetwatch::ingest {

// What the platform knows about one terminal.
struct TerminalRecord {
    std::string phone_key;  // normalised, e.g. "13800138000"
    core::VehicleId vehicle_id = 0;
    std::string plate;                               // UTF-8
    std::string auth_code;                           // empty: none issued (0x0102 fails)
    jt808::Dialect dialect = jt808::Dialect::v2013;  // remembered from 0x0100
    friend bool operator==(const TerminalRecord&, const TerminalRecord&) = default;
};

// What a terminal said about itself in 0x0100 (text converted to UTF-8).
struct RegistrationDetails {
    std::string phone_key;
    jt808::Dialect dialect = jt808::Dialect::v2013;
    std::uint16_t province = 0;
    std::uint16_t city = 0;
    std::string maker;
    std::string model;
    std::string terminal_id;
    std::uint8_t plate_color = 0;
    std::string plate;  // the VIN when plate_color == 0
};

enum class RegisterStatus : std::uint8_t {
    ok,                // known terminal: fresh code issued
    auto_registered,   // unknown terminal, auto-registered: fresh code issued
    unknown_terminal,  // 0x8100 result 4
};

struct RegisterOutcome {
    RegisterStatus status = RegisterStatus::unknown_terminal;
    TerminalRecord record;  // with the new code when status is ok/auto_registered
};

enum class AuthStatus : std::uint8_t { ok, unknown_terminal, bad_code };

struct AuthOutcome {
    AuthStatus status = AuthStatus::unknown_terminal;
    core::VehicleId vehicle_id = 0;
    jt808::Dialect dialect = jt808::Dialect::v2013;
};

class TerminalDirectory {
  public:
    // Called after a code was issued, with the updated record and what the terminal sent; the
    // app stores both (storage::save_registration). May block; it runs off the I/O threads.
    using PersistHook = std::function<void(const TerminalRecord&, const RegistrationDetails&)>;
    // Called for an unknown terminal when auto_register is on: the vehicle id to attribute it
    // to, or std::nullopt to refuse it.
    using AutoRegisterHook =
        std::function<std::optional<core::VehicleId>(const RegistrationDetails&)>;

    struct Options {
        bool auto_register = false;
        std::size_t auth_code_length = 16;  // characters from [0-9A-Za-z]
    };

    TerminalDirectory() : TerminalDirectory(Options{}) {}
    explicit TerminalDirectory(Options options);

    // Set before the server starts.
    void set_persist_hook(PersistHook hook);
    void set_auto_register_hook(AutoRegisterHook hook);
    bool auto_register() const noexcept { return options_.auto_register; }

    // Replaces every record with `records` (a database snapshot); see the header comment for
    // what survives. Records with an empty phone key are ignored.
    void replace_all(std::vector<TerminalRecord> records);
    // Adds or replaces one record (tests, tools).
    void upsert(TerminalRecord record);

    std::optional<TerminalRecord> find(std::string_view phone_key) const;
    std::size_t size() const;

    // 0x0100: a fresh code for a known (or auto-registered) terminal; calls the hooks.
    RegisterOutcome register_terminal(const RegistrationDetails& details);
    // 0x0102: checks `code` against the terminal's current code (constant time).
    AuthOutcome authenticate(std::string_view phone_key, std::span<const std::uint8_t> code) const;
    // 0x0003: the terminal must register again; its code stops working (in memory only).
    void revoke_auth_code(std::string_view phone_key);

    // A random code of `length` characters from [0-9A-Za-z] (OS entropy).
    static std::string generate_auth_code(std::size_t length);

  private:
    struct Entry {
        TerminalRecord record;
        bool code_issued_here = false;
        bool auto_registered_here = false;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    using Map = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;

    Options options_;
    PersistHook persist_;
    AutoRegisterHook auto_register_hook_;
    mutable std::shared_mutex mutex_;
    Map entries_;
};

}  // namespace fleetwatch::ingest
