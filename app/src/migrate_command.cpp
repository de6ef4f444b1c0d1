#include "fleetwatch/app/migrate_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "fleetwatch/storage/migrations.hpp"

namespace fleetwatch::app {

int run_migrate(const MigrateCommandOptions& options, std::ostream& out, std::ostream& err) {
    try {
        storage::Connection conn = storage::Database(options.database_url).connect();
        const std::vector<int> applied = storage::migrate(conn);
        const int version = storage::schema_version(conn);
        if (applied.empty()) {
            out << "fleetwatch migrate: the schema is up to date (version " << version << ")\n";
            return 0;
        }
        out << "fleetwatch migrate: applied";
        for (const int v : applied) {
            for (const auto& m : storage::migrations()) {
                if (m.version == v) out << ' ' << v << " (" << m.name << ")";
            }
        }
        out << "; schema version " << version << "\n";
        return 0;
    } catch (const storage::DatabaseError& e) {
        err << "fleetwatch migrate: " << e.what() << "\n";
        return 1;
    }
}

void add_migrate_command(CLI::App& app) {
    auto options = std::make_shared<MigrateCommandOptions>();
    options->database_url = storage::default_conninfo();
    auto* cmd = app.add_subcommand(
        "migrate",
        "Apply the database schema migrations this fleetwatch carries and the database lacks "
        "(serve does this at start-up too). Safe to run from several places at once.");
    cmd->add_option("--database-url", options->database_url,
                    "libpq connection string (default: FLEETWATCH_DATABASE_URL, else the private "
                    "cluster of deploy/pg.sh)");
    cmd->callback([options] {
        const int status = run_migrate(*options, std::cout, std::cerr);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace fleetwatch::app
