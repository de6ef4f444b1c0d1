#include "fleetwatch/app/serve_command.hpp"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "fleetwatch/app/service.hpp"


namespace fleetwatch::app {

namespace {

// ---- logging ----------------------------------------------------------------------------------

// `%*` in a pattern: the message, escaped for a JSON string.
class JsonMessage final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        for (const char c : msg.payload) {
            switch (c) {
                case '"':
                    dest.append(std::string_view{"\\\""});
                    break;
                case '\\':
                    dest.append(std::string_view{"\\\\"});
                    break;
                case '\n':
                    dest.append(std::string_view{"\\n"});
                    break;
                case '\r':
                    dest.append(std::string_view{"\\r"});
                    break;
                case '\t':
                    dest.append(std::string_view{"\\t"});
                    break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                        dest.append(std::string_view{buf});
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonMessage>();
    }
};

// Logs go to stderr: text `2026-03-10T01:02:03.456Z info [ingest] message`, or one JSON object
// per line. The default logger ("fleetwatch") is what storage logs through; ingest gets its own
// name.
std::shared_ptr<spdlog::logger> setup_logging(const Config& config) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (config.log.format == "json") {
        formatter->add_flag<JsonMessage>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v");
    }
    sink->set_formatter(std::move(formatter));
    const auto level = spdlog::level::from_str(config.log.level);
    auto main_logger = std::make_shared<spdlog::logger>("fleetwatch", sink);
    main_logger->set_level(level);
    spdlog::set_default_logger(main_logger);
    auto ingest_logger = std::make_shared<spdlog::logger>("ingest", sink);
    ingest_logger->set_level(level);
    return ingest_logger;
}

// Blocks SIGINT/SIGTERM in this thread (and so in every thread started after), to be taken
// with sigwait.
sigset_t block_stop_signals() {
    // A shell starts background jobs with SIGINT ignored, and an ignored signal is discarded
    // rather than left pending for sigwait: take both back to their default first.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

}  // namespace

int run_serve(const ServeCommandOptions& options, std::ostream& out, std::ostream& err) {
    Config config;
    try {
        config = load_config(options.sources);
    } catch (const ConfigError& e) {
        err << "fleetwatch serve: " << e.what() << "\n";
        return 2;
    }
    if (options.print_config) {
        out << to_yaml(config);
        return 0;
    }
    const sigset_t stop_signals = block_stop_signals();
    auto ingest_log = setup_logging(config);
    auto log = spdlog::default_logger();
    log->info("fleetwatch serve starting (config: {})",
              config.file.empty() ? "defaults, env, flags" : config.file);

    auto registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<prometheus::Exposer> exposer;
    if (!config.metrics.listen.empty()) {
        try {
            exposer = std::make_unique<prometheus::Exposer>(config.metrics.listen);
            exposer->RegisterCollectable(registry);
            log->info("metrics on http://{}/metrics", config.metrics.listen);
        } catch (const std::exception& e) {
            log->critical("cannot serve metrics on {}: {}", config.metrics.listen, e.what());
            return 1;
        }
    }

    std::optional<Service> service;
    try {
        service.emplace(config, *registry, ingest_log);
        service->start();
    } catch (const ServiceError& e) {
        log->critical("{}", e.what());
        return 1;
    }

    int signal = 0;
    sigwait(&stop_signals, &signal);
    log->info("received {}; stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    service->stop();  // no more submits, then everything accepted into the database or spool
    log->info("fleetwatch serve stopped");
    spdlog::shutdown();
    return 0;
}

void add_serve_command(CLI::App& app) {
    auto options = std::make_shared<ServeCommandOptions>();
    auto* cmd = app.add_subcommand(
        "serve",
        "Run the JT/T 808 server: terminals on ingest.listen (6808), the HTTP API on http.listen "
        "(8080), Prometheus metrics on metrics.listen (9464), positions into PostgreSQL "
        "(database.url). On the first start the user admin gets FLEETWATCH_ADMIN_PASSWORD (or a "
        "random password, logged once). Every option below is "
        "also a key in the --config YAML file (section.name) and a FLEETWATCH_SECTION_NAME "
        "variable; flags win over variables, variables over the file.");
    add_config_flags(*cmd, options->sources);
    cmd->add_flag("--print-config", options->print_config,
                  "print the effective configuration (with where each value came from) and exit");
    cmd->callback([options] {
        const int status = run_serve(*options, std::cout, std::cerr);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace fleetwatch::app
