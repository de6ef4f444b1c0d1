// `fleetwatch migrate`: apply the schema migrations the database lacks (storage/migrations.hpp).
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace fleetwatch::app {

struct MigrateCommandOptions {
    std::string database_url;  // libpq connection string
};

// Prints what it applied, or that the schema is up to date. Returns 0, or 1 when the database
// cannot be reached or a migration fails (the message says which).
int run_migrate(const MigrateCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `migrate [--database-url URL]` to `app` (URL defaults to FLEETWATCH_DATABASE_URL, else
// the private cluster of deploy/pg.sh). The subcommand runs from its parse callback; a
// non-zero status leaves CLI11_PARSE as that exit status.
void add_migrate_command(CLI::App& app);

}  // namespace fleetwatch::app
