// The `fleetwatch` command.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "fleetwatch/app/decode_command.hpp"
#include "fleetwatch/app/fleet_command.hpp"
#include "fleetwatch/app/migrate_command.hpp"
#include "fleetwatch/app/serve_command.hpp"
#include "fleetwatch/app/user_command.hpp"

int main(int argc, char** argv) {
    CLI::App app{"fleetwatch — JT/T 808 fleet monitoring for a campus transport service center"};
    app.set_version_flag("--version", "fleetwatch 0.1.0");
    app.require_subcommand(1);

    fleetwatch::app::DecodeCommandOptions decode;
    std::string dialect;
    auto* dec = app.add_subcommand(
        "decode",
        "Decode JT/T 808 frames given as hex (arguments, or one per line on stdin) and print one "
        "JSON object per frame. Exit status 1 if any frame was rejected.");
    dec->add_option("frames", decode.frames,
                    "hex frames, with or without the 7e flags; spaces ignored");
    dec->add_option("--dialect", dialect,
                    "the terminal's protocol edition when known (2011, 2013, 2019); 2011 and 2013 "
                    "share a header, so some bodies are otherwise told apart by their content")
        ->check(CLI::IsMember({"2011", "2013", "2019"}));
    dec->add_flag("--pretty", decode.pretty, "indent the JSON");

    // Subcommands that run from their parse callback (their exit status comes out of CLI11_PARSE).
    fleetwatch::app::add_migrate_command(app);
    fleetwatch::app::add_fleet_command(app);
    fleetwatch::app::add_serve_command(app);
    fleetwatch::app::add_user_command(app);

    CLI11_PARSE(app, argc, argv);

    if (dec->parsed()) {
        static const std::map<std::string, fleetwatch::jt808::Dialect> kDialects{
            {"2011", fleetwatch::jt808::Dialect::v2011},
            {"2013", fleetwatch::jt808::Dialect::v2013},
            {"2019", fleetwatch::jt808::Dialect::v2019}};
        if (!dialect.empty()) decode.dialect = kDialects.at(dialect);
        std::ios::sync_with_stdio(false);
        return fleetwatch::app::run_decode(decode, std::cin, std::cout);
    }
    return 0;
}
