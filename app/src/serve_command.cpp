#include "fleetwatch/app/serve_command.hpp"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/ingest/stats.hpp"
#include "fleetwatch/ingest/terminal_directory.hpp"
#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/migrations.hpp"
#include "fleetwatch/storage/position_writer.hpp"
#include "fleetwatch/storage/terminals.hpp"

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

// ---- the sink without a database --------------------------------------------------------------

// database.url empty: nothing can be stored, so nothing is accepted (terminals keep and retry).
class RefusingSink final : public core::EventSink {
  public:
    bool submit(std::span<const core::Position>) override { return false; }
    bool submit(const core::DriverCardEvent&) override { return false; }
};

// ---- database wiring --------------------------------------------------------------------------

jt808::Dialect parse_dialect(const std::optional<std::string>& d) {
    if (d == "2011") return jt808::Dialect::v2011;
    if (d == "2019") return jt808::Dialect::v2019;
    return jt808::Dialect::v2013;
}

std::vector<ingest::TerminalRecord> to_directory(std::vector<storage::TerminalRecord> rows) {
    std::vector<ingest::TerminalRecord> out;
    out.reserve(rows.size());
    for (auto& r : rows) {
        out.push_back(ingest::TerminalRecord{std::move(r.phone_key), r.vehicle_id,
                                             std::move(r.plate), r.auth_code.value_or(""),
                                             parse_dialect(r.dialect)});
    }
    return out;
}

storage::TerminalRegistration to_registration(const ingest::TerminalRecord& record,
                                              const ingest::RegistrationDetails& d) {
    storage::TerminalRegistration r;
    r.phone_key = d.phone_key;
    r.auth_code = record.auth_code;
    r.dialect = std::string(jt808::to_string(d.dialect));
    r.registered_at =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    r.province_id = d.province;
    r.city_id = d.city;
    r.maker_id = d.maker;
    r.model = d.model;
    r.terminal_id = d.terminal_id;
    r.plate_color = d.plate_color;
    r.plate = d.plate;
    return r;
}

// One lazily (re)opened connection for the directory hooks; they run on ingest's single
// registration thread, the mutex only guards against a future second caller.
struct HookConnection {
    explicit HookConnection(std::string conninfo) : db(std::move(conninfo)) {}
    template <class F>
    auto with(F&& f) -> decltype(f(std::declval<storage::Connection&>())) {
        std::lock_guard lock(mutex);
        try {
            if (!conn) conn.emplace(db.connect());
            return f(*conn);
        } catch (const storage::DatabaseError&) {
            conn.reset();  // reconnect next time
            throw;
        }
    }
    storage::Database db;
    std::optional<storage::Connection> conn;
    std::mutex mutex;
};

// Wires the directory to storage: codes issued by 0x0100 are saved; with ingest.auto_register,
// an unknown phone is looked up (saved) at once, so a vehicle added since the last refresh is
// admitted without waiting for it.
//
// INTEGRATION NOTE: storage::save_registration returns the vehicle that has the phone, or
// nullopt; storage has no call that *creates* a vehicle for an unknown terminal yet. When it has
// one, call it here where save_registration returns nullopt, and return its id.
void wire_directory_hooks(ingest::TerminalDirectory& directory, const std::string& conninfo) {
    auto hook_conn = std::make_shared<HookConnection>(conninfo);
    directory.set_persist_hook([hook_conn](const ingest::TerminalRecord& record,
                                           const ingest::RegistrationDetails& details) {
        try {
            hook_conn->with([&](storage::Connection& c) {
                return storage::save_registration(c, to_registration(record, details));
            });
        } catch (const storage::DatabaseError& e) {
            // The code stays valid in memory; after a restart the terminal re-registers.
            spdlog::error("serve: cannot save the registration of {}: {}", details.phone_key,
                          e.what());
        }
    });
    directory.set_auto_register_hook(
        [hook_conn](const ingest::RegistrationDetails& details) -> std::optional<core::VehicleId> {
            try {
                ingest::TerminalRecord none;
                auto vehicle = hook_conn->with([&](storage::Connection& c) {
                    return storage::save_registration(c, to_registration(none, details));
                });
                if (!vehicle) {
                    spdlog::warn(
                        "serve: auto_register: no vehicle has terminal phone {} "
                        "(kept in terminals for the installer); answered result 4",
                        details.phone_key);
                }
                return vehicle;
            } catch (const storage::DatabaseError& e) {
                spdlog::error("serve: auto_register {}: {}", details.phone_key, e.what());
                return std::nullopt;
            }
        });
}

// Reloads terminals every `interval` until stopped.
class TerminalRefresher {
  public:
    TerminalRefresher(ingest::TerminalDirectory& directory, std::string conninfo,
                      std::chrono::seconds interval)
        : directory_(directory), db_(std::move(conninfo)), interval_(interval) {
        if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
    }
    ~TerminalRefresher() { stop(); }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

  private:
    void run() {
        std::optional<storage::Connection> conn;
        std::unique_lock lock(mutex_);
        while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
            lock.unlock();
            try {
                if (!conn) conn.emplace(db_.connect());
                auto rows = storage::load_terminals(*conn);
                const std::size_t n = rows.size();
                directory_.replace_all(to_directory(std::move(rows)));
                spdlog::debug("serve: reloaded {} terminals", n);
            } catch (const storage::DatabaseError& e) {
                conn.reset();
                spdlog::warn("serve: cannot reload terminals (keeping the last ones): {}",
                             e.what());
            }
            lock.lock();
        }
    }

    ingest::TerminalDirectory& directory_;
    storage::Database db_;
    std::chrono::seconds interval_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

storage::PositionWriterConfig writer_config(const Config& c) {
    storage::PositionWriterConfig w;
    w.conninfo = c.database.url;
    w.batch_size = c.storage.batch_size;
    w.batch_interval = c.storage.batch_interval;
    w.queue_capacity = c.storage.queue_capacity;
    w.spool_dir = c.storage.spool_dir;
    w.spool_max_bytes = c.storage.spool_max_bytes;
    return w;
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

    ingest::TerminalDirectory directory(
        ingest::TerminalDirectory::Options{config.ingest.auto_register, 16});
    std::unique_ptr<core::EventSink> sink;
    storage::PositionWriter* writer = nullptr;
    std::unique_ptr<TerminalRefresher> refresher;
    if (!config.database.url.empty()) {
        try {
            const auto applied = storage::migrate(config.database.url);
            if (!applied.empty()) log->info("database: applied {} migrations", applied.size());
            storage::Database db(config.database.url);
            auto conn = db.connect();
            auto rows = storage::load_terminals(conn);
            log->info("database: {} terminals loaded", rows.size());
            directory.replace_all(to_directory(std::move(rows)));
        } catch (const storage::DatabaseError& e) {
            log->critical("database: {} (database.url / FLEETWATCH_DATABASE_URL)", e.what());
            return 1;
        }
        wire_directory_hooks(directory, config.database.url);
        auto w = std::make_unique<storage::PositionWriter>(writer_config(config), *registry);
        writer = w.get();
        sink = std::move(w);
        refresher = std::make_unique<TerminalRefresher>(directory, config.database.url,
                                                        config.database.refresh_terminals);
    } else {
        log->warn("database.url is empty: no terminal can authenticate and nothing is stored");
        sink = std::make_unique<RefusingSink>();
    }

    ingest::IngestStats stats(*registry);
    ingest::ServerOptions server_options = to_server_options(config);
    server_options.logger = ingest_log;
    ingest::Server server(server_options, directory, *sink, stats);
    try {
        server.start();
    } catch (const std::exception& e) {
        log->critical("{}", e.what());
        if (writer != nullptr) writer->stop();
        return 1;
    }

    int signal = 0;
    sigwait(&stop_signals, &signal);
    log->info("received {}; stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();  // no more submits after this
    if (refresher) refresher->stop();
    if (writer != nullptr) writer->stop();  // everything accepted is in the database or spool
    log->info("fleetwatch serve stopped");
    spdlog::shutdown();
    return 0;
}

void add_serve_command(CLI::App& app) {
    auto options = std::make_shared<ServeCommandOptions>();
    auto* cmd = app.add_subcommand(
        "serve",
        "Run the JT/T 808 server: terminals on ingest.listen (6808), Prometheus metrics on "
        "metrics.listen (9464), positions into PostgreSQL (database.url). Every option below is "
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
