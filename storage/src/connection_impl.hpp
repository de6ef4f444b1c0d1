// Storage-private: the pqxx side of Connection, and the translation of pqxx exceptions.
#pragma once

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>

// (libpqxx 6 binds std::optional parameters as NULL when empty: internal/type_utils.hxx.)

#include <optional>
#include <string>
#include <utility>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct Connection::Impl {
    explicit Impl(const std::string& conninfo) : conn(conninfo) {}
    pqxx::connection conn;
};

namespace detail {

inline pqxx::connection& native(Connection& c) { return c.impl().conn; }

// A field that may be NULL.
template <typename T>
std::optional<T> nullable(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<T>();
}

// A DatabaseError from whatever pqxx (or libpq) threw, prefixed with `what` ("migrate: ...").
[[noreturn]] void rethrow_as_database_error(const std::string& what);

// Runs `body`, turning pqxx exceptions into DatabaseError. DatabaseError and other
// exceptions pass through unchanged.
template <typename Body>
auto translate_errors(const std::string& what, Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const pqxx::pqxx_exception&) {
        rethrow_as_database_error(what);
    }
}

// A timestamp parameter PostgreSQL reads as timestamptz ("2026-03-10T01:02:03Z").
inline std::string timestamptz(core::Timestamp t) { return core::format_rfc3339(t); }

}  // namespace detail
}  // namespace fleetwatch::storage
