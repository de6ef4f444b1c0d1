#include "fleetwatch/app/fleet_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/storage/fleet_import.hpp"
#include "fleetwatch/storage/migrations.hpp"

namespace fleetwatch::app {
namespace {

void print_problems(const std::string& file, std::vector<fleet::FleetProblem> problems,
                    std::ostream& err) {
    for (auto& p : problems) {
        if (p.file.empty()) p.file = file;
        err << p.to_string() << "\n";
    }
}

}  // namespace

int run_fleet_check(const FleetCommandOptions& options, std::ostream& out, std::ostream& err) {
    const fleet::FleetParseResult parsed = fleet::parse_fleet_file(options.file);
    if (!parsed.fleet) {
        print_problems(options.file, parsed.problems, err);
        err << "fleetwatch fleet check: " << parsed.problems.size() << " problem(s) in "
            << options.file << "\n";
        return kFleetBadFile;
    }
    const fleet::Fleet& f = *parsed.fleet;
    out << "fleetwatch fleet check: " << options.file << " is valid: " << f.vehicles.size()
        << " vehicles, " << f.drivers.size() << " drivers, " << f.pledges.size() << " pledges, "
        << f.routes.size() << " routes, " << f.zones.size() << " zones, " << f.convoys.size()
        << " convoys, " << f.trips.size() << " trips\n";
    return kFleetOk;
}

int run_fleet_import(const FleetCommandOptions& options, std::ostream& out, std::ostream& err) {
    const fleet::FleetParseResult parsed = fleet::parse_fleet_file(options.file);
    if (!parsed.fleet) {
        print_problems(options.file, parsed.problems, err);
        err << "fleetwatch fleet import: " << parsed.problems.size() << " problem(s) in "
            << options.file << "; nothing was imported\n";
        return kFleetBadFile;
    }
    try {
        storage::Connection conn = storage::Database(options.database_url).connect();
        storage::migrate(conn);
        const storage::ImportSummary summary = storage::import_fleet(conn, *parsed.fleet);
        out << "fleetwatch fleet import: " << options.file << " committed\n" << summary.to_string();
        return kFleetOk;
    } catch (const storage::FleetImportError& e) {
        print_problems(options.file, e.problems(), err);
        err << "fleetwatch fleet import: " << e.problems().size() << " problem(s) in "
            << options.file << "; nothing was imported\n";
        return kFleetBadFile;
    } catch (const storage::DatabaseError& e) {
        err << "fleetwatch fleet import: " << e.what() << "\n";
        if (e.is_connection_error()) {
            err << "fleetwatch fleet import: is the database running? (deploy/pg.sh start, or set "
                   "FLEETWATCH_DATABASE_URL)\n";
        }
        return kFleetDatabaseError;
    }
}

void add_fleet_command(CLI::App& app) {
    auto import_options = std::make_shared<FleetCommandOptions>();
    auto check_options = std::make_shared<FleetCommandOptions>();
    import_options->database_url = storage::default_conninfo();

    auto* fleet_cmd =
        app.add_subcommand("fleet", "The fleet file (deploy/demo-fleet.yaml documents it)");
    fleet_cmd->require_subcommand(1);

    auto* import_cmd = fleet_cmd->add_subcommand(
        "import",
        "Load vehicles, drivers, pledges, routes, zones, convoys and trips from a YAML/JSON fleet "
        "file, in one transaction, idempotently. Problems are printed as file:line: field: "
        "message (exit 2) and nothing is committed.");
    import_cmd->add_option("file", import_options->file, "the fleet file")->required();
    import_cmd->add_option("--database-url", import_options->database_url,
                           "libpq connection string (default: FLEETWATCH_DATABASE_URL, else the "
                           "private cluster of deploy/pg.sh)");
    import_cmd->callback([import_options] {
        const int status = run_fleet_import(*import_options, std::cout, std::cerr);
        if (status != 0) throw CLI::RuntimeError(status);
    });

    auto* check_cmd = fleet_cmd->add_subcommand(
        "check", "Validate a fleet file without a database (exit 2 and the problems if any)");
    check_cmd->add_option("file", check_options->file, "the fleet file")->required();
    check_cmd->callback([check_options] {
        const int status = run_fleet_check(*check_options, std::cout, std::cerr);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace fleetwatch::app
