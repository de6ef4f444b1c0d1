// Connections to PostgreSQL, without libpqxx in the interface.
//
// `Database` holds a libpq connection string and opens `Connection`s with a connect timeout.
// A `Connection` is one libpq session: movable, not copyable, and not thread-safe — use one
// per thread. The repositories (terminals.hpp, driver_cards.hpp, fleet_import.hpp,
// migrations.hpp) take a Connection& and run their own short transactions.
//
// Errors: every failure talking to the database (cannot connect, SQL error, constraint
// violation, connection lost) is thrown as `DatabaseError` with a one-line message. These are
// start-up or barrier errors (STYLE.md): callers catch them at one place per boundary.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetwatch::storage {

// The private cluster `deploy/pg.sh start` runs (see docs/storage.md).
inline constexpr const char* kDefaultConninfo =
    "host=127.0.0.1 port=55432 dbname=fleetwatch user=fleetwatch";

// `FLEETWATCH_DATABASE_URL` when set and not empty, else kDefaultConninfo.
std::string default_conninfo();

class DatabaseError : public std::runtime_error {
  public:
    explicit DatabaseError(const std::string& message, std::string sqlstate = {},
                           std::string constraint = {});

    // The SQLSTATE of an SQL error ("23505" unique violation ...); empty when the connection
    // failed or was lost.
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    // The violated constraint's name, when PostgreSQL says (e.g. "vehicles_phone_key_key").
    const std::string& constraint() const noexcept { return constraint_; }
    bool is_connection_error() const noexcept {
        return sqlstate_.empty() || sqlstate_.starts_with("08");
    }

  private:
    std::string sqlstate_;
    std::string constraint_;
};

class Connection {
  public:
    struct Impl;  // storage-private: holds the pqxx::connection (src/connection_impl.hpp)

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    bool is_open() const noexcept;
    Impl& impl() noexcept { return *impl_; }

  private:
    friend class Database;
    explicit Connection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class Database {
  public:
    explicit Database(std::string conninfo,
                      std::chrono::seconds connect_timeout = std::chrono::seconds{5});

    const std::string& conninfo() const noexcept { return conninfo_; }

    // Opens a session. Throws DatabaseError (after at most the connect timeout).
    Connection connect() const;

    // True when a connection can be opened and answers `SELECT 1`. Never throws.
    bool is_available() const noexcept;

  private:
    std::string conninfo_;
    std::chrono::seconds connect_timeout_;
};

// `conninfo` (key=value or URI form) naming database `dbname` instead; key=value form out.
// Throws DatabaseError when `conninfo` does not parse.
std::string with_database(const std::string& conninfo, const std::string& dbname);

// A query whose fields come back as text (nullopt for NULL), run in autocommit mode, with
// `$1`, `$2` ... bound to `params`. For tools, tests and administration (CREATE DATABASE works)
// — the data path uses the typed repositories. Throws DatabaseError.
using TextRow = std::vector<std::optional<std::string>>;
std::vector<TextRow> query_text(Connection& conn, const std::string& sql,
                                const std::vector<std::optional<std::string>>& params = {});

}  // namespace fleetwatch::storage
