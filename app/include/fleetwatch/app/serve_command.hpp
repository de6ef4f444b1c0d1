// `fleetwatch serve`: the JT/T 808 server with its database, metrics and logs.
//
// Start-up: configuration (app/config.hpp) -> logging -> metrics exposer -> database (migrate,
// load terminals, the position writer) -> ingest server. SIGINT/SIGTERM: stop accepting,
// close the sessions, flush the writer (or spool), exit 0.
#pragma once

#include <iosfwd>

#include "fleetwatch/app/config.hpp"

namespace CLI {
class App;
}

namespace fleetwatch::app {

struct ServeCommandOptions {
    ConfigSources sources;
    bool print_config = false;  // print the effective configuration and exit
};

// Runs until SIGINT/SIGTERM. Returns 0 after a clean stop, 1 when start-up failed (the log
// says why), 2 for a configuration error (printed to `err`).
int run_serve(const ServeCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `serve` with `--config`, `--print-config` and a flag per option (see --help).
void add_serve_command(CLI::App& app);

}  // namespace fleetwatch::app
