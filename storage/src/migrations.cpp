#include "fleetwatch/storage/migrations.hpp"

#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <set>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

constexpr const char* kCreateLedger = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))sql";

// Holds the migration advisory lock for its lifetime (a session lock: it spans the
// transactions of the individual migrations).
class MigrationLock {
  public:
    explicit MigrationLock(pqxx::connection& conn) : conn_(conn) {
        pqxx::nontransaction tx(conn_);
        tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    }
    ~MigrationLock() {
        try {
            pqxx::nontransaction tx(conn_);
            tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
        } catch (const std::exception&) {
            // The connection is gone, and with it the lock.
        }
    }
    MigrationLock(const MigrationLock&) = delete;
    MigrationLock& operator=(const MigrationLock&) = delete;

  private:
    pqxx::connection& conn_;
};

std::set<int> applied_versions(pqxx::connection& conn) {
    pqxx::nontransaction tx(conn);
    std::set<int> versions;
    for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) {
        versions.insert(row[0].as<int>());
    }
    return versions;
}

}  // namespace

std::vector<int> migrate(Connection& conn) {
    pqxx::connection& c = detail::native(conn);
    return detail::translate_errors("migrate", [&] {
        const MigrationLock lock(c);
        {
            pqxx::work tx(c);
            tx.exec(kCreateLedger);
            tx.commit();
        }
        const std::set<int> applied = applied_versions(c);
        const int newest_known = migrations().empty() ? 0 : migrations().back().version;
        if (!applied.empty() && *applied.rbegin() > newest_known) {
            throw DatabaseError("migrate: the database schema is at version " +
                                std::to_string(*applied.rbegin()) +
                                ", newer than this fleetwatch (" + std::to_string(newest_known) +
                                "); upgrade fleetwatch");
        }
        std::vector<int> done;
        for (const Migration& m : migrations()) {
            if (applied.count(m.version) != 0) continue;
            try {
                pqxx::work tx(c);
                tx.exec(std::string(m.sql));
                tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               m.version, std::string(m.name));
                tx.commit();
            } catch (const pqxx::pqxx_exception&) {
                detail::rethrow_as_database_error("migrate: migration " +
                                                  std::to_string(m.version) + " (" +
                                                  std::string(m.name) + ")");
            }
            done.push_back(m.version);
        }
        return done;
    });
}

std::vector<int> migrate(const std::string& conninfo) {
    Connection conn = Database(conninfo).connect();
    return migrate(conn);
}

int schema_version(Connection& conn) {
    return detail::translate_errors("schema version", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        if (tx.exec("SELECT to_regclass('schema_migrations') IS NULL")[0][0].as<bool>()) return 0;
        return tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
    });
}

}  // namespace fleetwatch::storage
