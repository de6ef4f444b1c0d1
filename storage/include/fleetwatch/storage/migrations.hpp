// Versioned schema migrations, embedded into the binary.
//
// The migrations are the numbered files storage/migrations/NNNN_name.sql; the build embeds
// them (storage/cmake/embed_migrations.cmake) so a deployed binary carries its own schema.
// `migrate` applies the ones a database lacks, in version order, each in its own transaction
// together with its row in `schema_migrations(version, name, applied_at)`. It holds a
// PostgreSQL session advisory lock (kMigrationLockKey) throughout, so servers starting at the
// same time apply each migration exactly once; the others wait, then find nothing to do.
//
// `fleetwatch migrate` and `fleetwatch serve` (at start-up) call it. The first migration
// runs `CREATE EXTENSION IF NOT EXISTS postgis`, which needs a superuser unless PostGIS is
// already installed in the database (deploy/pg.sh installs it in template1 and fleetwatch).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct Migration {
    int version;            // NNNN of the file name
    std::string_view name;  // the rest of the file name, without .sql
    std::string_view sql;   // the file's text
};

// pg_advisory_lock key held while migrating ("fleetwat" in ASCII).
inline constexpr std::int64_t kMigrationLockKey = 0x666c656574776174;

// Every embedded migration, ascending by version.
std::span<const Migration> migrations() noexcept;

// Applies the pending migrations; returns the versions applied by this call (empty when the
// schema was up to date). Throws DatabaseError on failure (the failing migration is rolled
// back; earlier ones stay applied) and when the database has a version this binary does not
// know (a newer fleetwatch migrated it).
std::vector<int> migrate(Connection& conn);
std::vector<int> migrate(const std::string& conninfo);

// The highest applied version, 0 for an empty database.
int schema_version(Connection& conn);

}  // namespace fleetwatch::storage
