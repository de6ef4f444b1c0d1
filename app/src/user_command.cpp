#include "fleetwatch/app/user_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <memory>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/api/http.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/migrations.hpp"
#include "fleetwatch/storage/users.hpp"

namespace fleetwatch::app {
namespace {

std::string strip_newline(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Reads one line from the terminal with echo off; nullopt when stdin is not a terminal.
std::optional<std::string> ask_hidden(const char* prompt) {
    if (isatty(STDIN_FILENO) == 0) return std::nullopt;
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return strip_newline(line);
}

// The new password: given, or asked twice. Empty optional + message in `err` on failure.
std::optional<std::string> new_password(const UserCommandOptions& o, std::ostream& err) {
    std::optional<std::string> pw = o.password;
    if (!pw) {
        pw = ask_hidden("new password: ");
        if (!pw) {
            err << "fleetwatch user: stdin is not a terminal; give the password with "
                   "--password-stdin\n";
            return std::nullopt;
        }
        const auto again = ask_hidden("again: ");
        if (again != pw) {
            err << "fleetwatch user: the passwords differ\n";
            return std::nullopt;
        }
    }
    if (const auto problem = api::password_problem(*pw)) {
        err << "fleetwatch user: " << *problem << "\n";
        return std::nullopt;
    }
    return pw;
}

}  // namespace

int run_user(const UserCommandOptions& o, std::ostream& out, std::ostream& err) {
    if (o.action != "list" && !api::valid_username(o.username)) {
        err << "fleetwatch user: '" << o.username
            << "' is not a valid username (1-64 of A-Z a-z 0-9 . _ -)\n";
        return 2;
    }
    if (o.action == "add" && !api::parse_role(o.role)) {
        err << "fleetwatch user: the role must be admin, dispatcher, manager or leader\n";
        return 2;
    }
    try {
        storage::Connection conn = storage::Database(o.database_url).connect();
        storage::migrate(conn);
        if (o.action == "list") {
            out << std::left << std::setw(24) << "USERNAME" << std::setw(12) << "ROLE"
                << std::setw(10) << "DISABLED"
                << "CREATED\n";
            for (const auto& u : storage::list_users(conn)) {
                out << std::setw(24) << u.username << std::setw(12) << u.role << std::setw(10)
                    << (u.disabled ? "yes" : "no") << core::format_rfc3339(u.created_at) << "\n";
            }
            return 0;
        }
        if (o.action == "add" && storage::find_user(conn, o.username)) {
            err << "fleetwatch user: the user " << o.username << " exists (fleetwatch user passwd "
                << o.username << " changes the password)\n";
            return 1;
        }
        if (o.action == "passwd" && !storage::find_user(conn, o.username)) {
            err << "fleetwatch user: no user " << o.username << "\n";
            return 1;
        }
        const auto pw = new_password(o, err);
        if (!pw) return 2;
        const std::string hash = api::hash_password(*pw);
        if (o.action == "add") {
            storage::create_user(conn, o.username, o.role, hash);
            out << "fleetwatch user: added " << o.username << " (" << o.role << ")\n";
        } else {
            storage::set_password(conn, o.username, hash);
            out << "fleetwatch user: changed the password of " << o.username
                << " (its tokens are revoked)\n";
        }
        return 0;
    } catch (const storage::DatabaseError& e) {
        err << "fleetwatch user: " << e.what() << "\n";
        return 1;
    }
}

void add_user_command(CLI::App& app) {
    auto options = std::make_shared<UserCommandOptions>();
    auto stdin_flag = std::make_shared<bool>(false);
    options->database_url = storage::default_conninfo();
    auto* cmd = app.add_subcommand(
        "user", "Manage the users of the HTTP API (roles: admin, dispatcher, manager, leader).");
    cmd->require_subcommand(1);
    const auto common = [&](CLI::App* sub) {
        sub->add_option("--database-url", options->database_url,
                        "libpq connection string (default: FLEETWATCH_DATABASE_URL, else the "
                        "private cluster of deploy/pg.sh)");
    };
    auto run = [options, stdin_flag](const std::string& action) {
        options->action = action;
        if (*stdin_flag) {
            std::string line;
            std::getline(std::cin, line);
            options->password = strip_newline(line);
        }
        const int status = run_user(*options, std::cout, std::cerr);
        if (status != 0) throw CLI::RuntimeError(status);
    };

    auto* add = cmd->add_subcommand("add", "Add a user");
    add->add_option("name", options->username, "username (1-64 of A-Z a-z 0-9 . _ -)")->required();
    add->add_option("--role", options->role, "admin, dispatcher, manager or leader")
        ->required()
        ->check(CLI::IsMember({"admin", "dispatcher", "manager", "leader"}));
    add->add_flag("--password-stdin", *stdin_flag,
                  "read the password from the first line of stdin (else asked on the terminal)");
    common(add);
    add->callback([run] { run("add"); });

    auto* passwd = cmd->add_subcommand("passwd", "Set a user's password (revokes their tokens)");
    passwd->add_option("name", options->username, "username")->required();
    passwd->add_flag("--password-stdin", *stdin_flag,
                     "read the password from the first line of stdin (else asked on the terminal)");
    common(passwd);
    passwd->callback([run] { run("passwd"); });

    auto* list = cmd->add_subcommand("list", "List the users (never their passwords)");
    common(list);
    list->callback([run] { run("list"); });
}

}  // namespace fleetwatch::app
