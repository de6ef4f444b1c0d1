// `fleetwatch user add|passwd|list`: the users of the HTTP API (API.md roles), in PostgreSQL.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace fleetwatch::app {

struct UserCommandOptions {
    std::string database_url;  // libpq connection string
    std::string action;        // "add", "passwd", "list"
    std::string username;
    std::string role;  // add: admin, dispatcher, manager, leader
    // The new password (add, passwd); nullopt: ask on the terminal (twice, without echo).
    std::optional<std::string> password;
};

// Applies pending migrations, then does `action`. Prints what it did; never prints a password
// or hash. Returns 0, 1 (database error, unknown user, duplicate user) or 2 (bad input).
int run_user(const UserCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `user add NAME --role R [--password-stdin]`, `user passwd NAME [--password-stdin]`,
// `user list`, each with `--database-url` (default FLEETWATCH_DATABASE_URL, else deploy/pg.sh's
// cluster). Without --password-stdin the password is asked on the terminal.
void add_user_command(CLI::App& app);

}  // namespace fleetwatch::app
