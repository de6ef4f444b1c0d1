// `fleetwatch fleet import FILE` and `fleetwatch fleet check FILE` (deploy/demo-fleet.yaml
// documents the file).
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace fleetwatch::app {

struct FleetCommandOptions {
    std::string file;
    std::string database_url;  // import only
};

// Exit statuses of both commands.
inline constexpr int kFleetOk = 0;
inline constexpr int kFleetDatabaseError = 1;  // cannot connect, migrate or write
inline constexpr int kFleetBadFile = 2;        // problems in the file; nothing imported

// Parses and validates FILE, migrates the schema, imports in one transaction and prints a
// summary to `out`. Problems go to `err` as `file:line: field: message`, one per line.
int run_fleet_import(const FleetCommandOptions& options, std::ostream& out, std::ostream& err);

// Parses and validates FILE without a database.
int run_fleet_check(const FleetCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `fleet import FILE [--database-url URL]` and `fleet check FILE` to `app`.
void add_fleet_command(CLI::App& app);

}  // namespace fleetwatch::app
