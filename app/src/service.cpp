#include "fleetwatch/app/service.hpp"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/api/endpoints.hpp"
#include "fleetwatch/api/live.hpp"
#include "fleetwatch/api/router.hpp"
#include "fleetwatch/api/server.hpp"
#include "fleetwatch/api/static_files.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/ingest/stats.hpp"
#include "fleetwatch/ingest/terminal_directory.hpp"
#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/fleet_queries.hpp"
#include "fleetwatch/storage/migrations.hpp"
#include "fleetwatch/storage/position_writer.hpp"
#include "fleetwatch/push/live_hub.hpp"
#include "fleetwatch/push/publisher.hpp"
#include "fleetwatch/webhooks/dispatcher.hpp"
#include "fleetwatch/rules/from_fleet.hpp"
#include "fleetwatch/storage/terminals.hpp"
#include "fleetwatch/storage/vehicle_queries.hpp"
#include "ingest_terminal_link.hpp"
#include "rules_stage.hpp"

namespace fleetwatch::app {

namespace {

// ---- the sink without a database --------------------------------------------------------------

// database.url empty: nothing can be stored, so nothing is accepted (terminals keep and retry).
class RefusingSink final : public core::EventSink {
  public:
    bool submit(std::span<const core::Position>) override { return false; }
    bool submit(const core::DriverCardEvent&) override { return false; }
    void contact(core::VehicleId, core::Timestamp) override {}  // nothing is judged
};

// Hands what the next sink accepted (durable) on to the publisher too: positions for the live
// stream. The publisher must not wait (push/publisher.hpp).
class PublishingSink final : public core::EventSink {
  public:
    PublishingSink(core::EventSink& next, push::Publisher& publisher)
        : next_(next), publisher_(publisher) {}
    bool submit(std::span<const core::Position> positions) override {
        if (!next_.submit(positions)) return false;
        publisher_.positions(positions);
        return true;
    }
    bool submit(const core::DriverCardEvent& event) override { return next_.submit(event); }
    void contact(core::VehicleId vehicle, core::Timestamp received_at) override {
        next_.contact(vehicle, received_at);
    }

  private:
    core::EventSink& next_;
    push::Publisher& publisher_;
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
    r.registered_at = core::utc_now();
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
// a phone the directory does not know gets a vehicle (found if one was added since the last
// refresh, else created with class "other").
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
                const auto vehicle = hook_conn->with([&](storage::Connection& c) {
                    return storage::auto_register_vehicle(c, to_registration(none, details));
                });
                spdlog::info("serve: auto_register: terminal {} reports for vehicle {}",
                             details.phone_key, vehicle);
                return vehicle;
            } catch (const storage::DatabaseError& e) {
                spdlog::error("serve: auto_register {}: {} (answered result 4; it retries)",
                              details.phone_key, e.what());
                return std::nullopt;
            }
        });
}

// Reloads terminals every `interval` (0: never by itself) and on refresh_now(), until stopped.
class TerminalRefresher {
  public:
    TerminalRefresher(ingest::TerminalDirectory& directory, std::string conninfo,
                      std::chrono::seconds interval)
        : directory_(directory), db_(std::move(conninfo)), interval_(interval) {
        thread_ = std::thread([this] { run(); });
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
    // Reload soon, on the refresher's thread (a vehicle was created or changed through the API:
    // its terminal may register at once).
    void refresh_now() {
        {
            std::lock_guard lock(mutex_);
            kick_ = true;
        }
        cv_.notify_all();
    }

  private:
    void run() {
        std::optional<storage::Connection> conn;
        std::unique_lock lock(mutex_);
        const auto woken = [this] { return stopping_ || kick_; };
        for (;;) {
            if (interval_.count() > 0) {
                cv_.wait_for(lock, interval_, woken);
            } else {
                cv_.wait(lock, woken);
            }
            if (stopping_) return;
            kick_ = false;
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
    bool kick_ = false;
    std::thread thread_;
};

// Stores 0x0102 authentications (terminals.authenticated_at, dialect, IMEI, software version)
// off the I/O threads: the server's callback queues (bounded), a thread saves every second.
class AuthenticationRecorder {
  public:
    static constexpr std::size_t kMaxQueued = 10'000;

    explicit AuthenticationRecorder(std::string conninfo) : hook_conn_(std::move(conninfo)) {
        thread_ = std::thread([this] { run(); });
    }
    ~AuthenticationRecorder() { stop(); }

    void record(ingest::TerminalAuthenticated a) {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueued) {
            ++dropped_;  // the database is away; the next authentication records it again
            return;
        }
        queue_.push_back(std::move(a));
    }
    // Saves what is queued and joins.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

  private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
            std::vector<ingest::TerminalAuthenticated> batch;
            batch.swap(queue_);
            const std::size_t dropped = std::exchange(dropped_, 0);
            const bool last = stopping_;
            lock.unlock();
            if (dropped > 0) {
                spdlog::warn("serve: {} terminal authentications not recorded (queue full)",
                             dropped);
            }
            save(batch);
            lock.lock();
            if (last) return;
        }
    }
    void save(const std::vector<ingest::TerminalAuthenticated>& batch) {
        for (const auto& a : batch) {
            storage::TerminalAuthentication row;
            row.phone_key = a.phone_key;
            row.authenticated_at = std::chrono::time_point_cast<std::chrono::seconds>(a.at);
            row.dialect = std::string(jt808::to_string(a.dialect));
            row.imei = a.imei;
            row.software_version = a.software_version;
            try {
                hook_conn_.with([&](storage::Connection& c) {
                    storage::save_authentication(c, row);
                    return 0;
                });
            } catch (const storage::DatabaseError& e) {
                spdlog::warn("serve: cannot record the authentication of {}: {}", a.phone_key,
                             e.what());
            }
        }
    }

    HookConnection hook_conn_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<ingest::TerminalAuthenticated> queue_;
    std::size_t dropped_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

// First start: an empty users table gets `admin` (API.md).
void ensure_admin(storage::Connection& conn, spdlog::logger& log) {
    const char* env = std::getenv("FLEETWATCH_ADMIN_PASSWORD");
    const auto admin = api::ensure_first_admin(conn, env != nullptr ? env : "");
    if (!admin.created) return;
    if (admin.generated_password) {
        log.warn(
            "created the user admin with the password {} (shown only now; change it with "
            "`fleetwatch user passwd admin`, or set FLEETWATCH_ADMIN_PASSWORD before the "
            "first start)",
            *admin.generated_password);
    } else {
        log.info("created the user admin with the password in FLEETWATCH_ADMIN_PASSWORD");
    }
}

api::EndpointOptions endpoint_options(const Config& c) {
    api::EndpointOptions o;
    o.token_ttl = c.auth.token_ttl;
    o.login_max_failures = c.auth.login_max_failures;
    o.login_window = c.auth.login_window;
    return o;
}

push::LiveHubOptions live_hub_options(const Config& c, prometheus::Registry& registry) {
    push::LiveHubOptions o;
    o.max_queue_bytes = c.live.queue_bytes;
    o.position_interval = c.live.position_interval;
    auto& dropped = prometheus::BuildCounter()
                        .Name("fleetwatch_live_slow_clients_dropped_total")
                        .Help("live stream clients closed (1008) for falling live.queue_bytes "
                              "behind")
                        .Register(registry)
                        .Add({});
    o.on_slow_drop = [&dropped] { dropped.Increment(); };
    return o;
}

api::LiveOptions live_options(const Config& c) {
    api::LiveOptions o;
    o.max_clients = c.live.max_clients;
    o.leader_refresh = c.live.leader_refresh;
    return o;
}

api::HttpServerOptions http_options(const Config& c) {
    api::HttpServerOptions o;
    o.listen = c.http.listen;
    o.max_header_bytes = c.http.max_header_bytes;
    o.max_body_bytes = c.http.max_body_bytes;
    o.request_timeout = c.http.request_timeout;
    return o;
}

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

// The engine's configuration: the fleet file, with the ids `fleet import` gave its rows. Daily
// trips are expanded from two days ago to 60 days ahead (a server running longer than that
// needs a restart to judge later trips: docs/rules.md).
// Positions a crash or an outage left in the writer's spool were acknowledged to terminals but
// are not in the table yet; the rebuild reads the table, so it waits for the writer (connected
// by now: start-up just used the database) to replay them. Gives up after `timeout` with a
// warning (the engine then misses what is still spooled: docs/rules.md "Restart").
void wait_for_spool_replay(storage::PositionWriter& writer, std::chrono::seconds timeout) {
    const std::uint64_t spooled = writer.spooled_records();
    if (spooled == 0) return;
    spdlog::info("rules: {} records in the spool; the rebuild waits for them to reach PostGIS",
                 spooled);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (writer.spooled_records() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    if (const std::uint64_t left = writer.spooled_records(); left > 0) {
        spdlog::warn("rules: {} records still in the spool after {} s; the engine is rebuilt "
                     "without them",
                     left, timeout.count());
    }
}

// rules.fleet_file naming the stored fleet rather than a file.
constexpr std::string_view kFleetFromDatabase = "database";

std::unique_ptr<RulesStage> make_rules_stage(const Config& c, storage::Connection& conn,
                                             storage::PositionWriter& writer,
                                             push::Publisher& publisher,
                                             prometheus::Registry& registry) {
    // "database": the fleet as stored (imported files plus what the API added), validated as a
    // file would be.
    const bool from_database = c.rules.fleet_file == kFleetFromDatabase;
    auto parsed = from_database
                      ? fleet::parse_fleet_text(storage::export_fleet(conn).fleet_json,
                                                "the fleet in the database")
                      : fleet::parse_fleet_file(c.rules.fleet_file);
    if (!parsed.fleet) {
        std::string what;
        for (const auto& p : parsed.problems) what += "\n  " + p.to_string();
        throw ServiceError(fmt::format("rules: {} cannot be used (rules.fleet_file):{}",
                                       c.rules.fleet_file, what));
    }
    const storage::FleetIdRows ids = storage::load_fleet_ids(conn);
    rules::FleetIds lookup;
    lookup.vehicle = [&](const std::string& plate) -> std::optional<core::VehicleId> {
        const auto it = ids.vehicle_by_plate.find(plate);
        if (it == ids.vehicle_by_plate.end()) return std::nullopt;
        return it->second;
    };
    lookup.driver = [&](const std::string& license) -> std::optional<core::DriverId> {
        const auto it = ids.driver_by_license.find(license);
        if (it == ids.driver_by_license.end()) return std::nullopt;
        return it->second;
    };
    const core::Timestamp now = core::utc_now();
    constexpr auto kDay = std::chrono::hours{24};
    auto built = rules::from_fleet(*parsed.fleet, lookup,
                                   core::to_civil(now - 2 * kDay, core::kChinaUtcOffset),
                                   core::to_civil(now + 60 * kDay, core::kChinaUtcOffset));
    if (!built.problems.empty()) {
        std::string what;
        for (const auto& p : built.problems) what += "\n  " + p;
        throw ServiceError(fmt::format(
            "rules: {} does not match the database (run `fleetwatch fleet import` with it "
            "first):{}",
            c.rules.fleet_file, what));
    }
    RulesStageOptions o;
    o.conninfo = c.database.url;
    o.config = std::move(built.config);
    o.phone_key_by_vehicle = ids.phone_key_by_vehicle;
    o.reminder_interval = c.rules.reminder_interval;
    o.rebuild_lookback = c.rules.rebuild_lookback;
    o.shards = c.rules.shards != 0 ? c.rules.shards
                                   : std::max<std::size_t>(1, std::thread::hardware_concurrency());
    auto stage = std::make_unique<RulesStage>(writer, publisher, std::move(o), registry);
    wait_for_spool_replay(writer, std::chrono::seconds{120});
    stage->rebuild();
    return stage;
}

// Wakes the webhook dispatcher when a violation was stored: it would find the event within
// webhooks.poll_interval_ms anyway (the audit rows are its outbox, not this call).
class WebhookNudge final : public push::Publisher {
  public:
    explicit WebhookNudge(webhooks::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
    void violation(const push::ViolationEvent&) override { dispatcher_.notify(); }
    void warning(const push::FatigueWarning&) override {}

  private:
    webhooks::Dispatcher& dispatcher_;
};

webhooks::DispatcherOptions webhook_options(const Config& c) {
    webhooks::DispatcherOptions o;
    o.conninfo = c.database.url;
    o.poll_interval = c.webhooks.poll_interval;
    o.request_timeout = c.webhooks.request_timeout;
    o.retry.max_attempts = c.webhooks.max_attempts;
    o.retry.base = c.webhooks.retry_base;
    o.retry.cap = c.webhooks.retry_cap;
    o.text.link_template = c.webhooks.link_template;
    return o;
}

}  // namespace

struct Service::Impl {
    Impl(const Config& c, prometheus::Registry& registry,
         std::shared_ptr<spdlog::logger> ingest_logger, push::Publisher* given_publisher)
        : config(c),
          publisher(given_publisher),
          directory(ingest::TerminalDirectory::Options{c.ingest.auto_register, 16}),
          stats(registry) {
        auto log = spdlog::default_logger();
        if (!config.database.url.empty() && config.webhooks.enabled) {
            webhooks_dispatcher =
                std::make_unique<webhooks::Dispatcher>(webhook_options(config), registry);
        }
        make_publisher(registry);
        if (!config.database.url.empty()) {
            try {
                storage::Database db(config.database.url);
                auto conn = db.connect();
                const auto applied = storage::migrate(conn);
                if (!applied.empty()) log->info("database: applied {} migrations", applied.size());
                auto rows = storage::load_terminals(conn);
                log->info("database: {} terminals loaded", rows.size());
                directory.replace_all(to_directory(std::move(rows)));
                ensure_admin(conn, *log);
                wire_directory_hooks(directory, config.database.url);
                try {
                    auto w =
                        std::make_unique<storage::PositionWriter>(writer_config(config), registry);
                    writer = w.get();
                    sink = std::move(w);
                } catch (const std::exception& e) {
                    throw ServiceError(fmt::format(
                        "storage: cannot open the spool in {}: {} (storage.spool_dir / "
                        "FLEETWATCH_STORAGE_SPOOL_DIR; is another fleetwatch serve using it?)",
                        config.storage.spool_dir, e.what()));
                }
                if (!config.rules.fleet_file.empty()) {
                    rules_stage = make_rules_stage(config, conn, *writer, *publisher, registry);
                } else {
                    log->warn("rules.fleet_file is empty: positions are stored but not judged");
                }
            } catch (const storage::DatabaseError& e) {
                throw ServiceError(fmt::format("database: {} (database.url / FLEETWATCH_DATABASE_URL)",
                                               e.what()));
            }
            refresher = std::make_unique<TerminalRefresher>(directory, config.database.url,
                                                            config.database.refresh_terminals);
            auth_recorder = std::make_unique<AuthenticationRecorder>(config.database.url);
        } else {
            log->warn("database.url is empty: no terminal can authenticate and nothing is stored");
            sink = std::make_unique<RefusingSink>();
        }
        ingest::ServerOptions options = to_server_options(config);
        options.logger = std::move(ingest_logger);
        if (auth_recorder) {
            options.on_authenticated = [r = auth_recorder.get()](ingest::TerminalAuthenticated a) {
                r->record(std::move(a));
            };
        }
        core::EventSink* first = rules_stage ? static_cast<core::EventSink*>(rules_stage.get())
                                             : sink.get();
        if (live_hub) {
            publishing_sink = std::make_unique<PublishingSink>(*first, *publisher);
            first = publishing_sink.get();
        }
        server.emplace(std::move(options), directory, *first, stats);
        if (!config.http.listen.empty()) {
            endpoints =
                std::make_unique<api::Endpoints>(config.database.url, endpoint_options(config));
            endpoints->add_routes(router);
            if (!config.http.static_dir.empty()) {
                static_files = std::make_unique<api::StaticFiles>(config.http.static_dir);
                router.set_static([f = static_files.get()](api::Request& r) { return f->serve(r); });
            }
            api::add_live_route(router);
            live = std::make_unique<api::LiveStream>(
                *live_hub,
                [e = endpoints.get()](std::string_view token) { return e->authenticate(token); },
                leader_vehicles(config.database.url), live_options(config));
            terminal_link = std::make_unique<IngestTerminalLink>(*server);
            endpoints->set_terminal_link(terminal_link.get());
            // After a fleet change through the API: a new trip or convoy reaches its leader's
            // live stream at once, and a vehicle created or given a terminal can register at
            // once. (The rule engine sees fleet changes only at the next start: docs/rules.md.)
            endpoints->set_fleet_changed([l = live.get(), r = refresher.get()] {
                l->refresh_leaders_soon();
                if (r != nullptr) r->refresh_now();
            });
            http_io =
                std::make_unique<boost::asio::io_context>(static_cast<int>(config.http.threads));
            auto o = http_options(config);
            o.live = live.get();
            http.emplace(*http_io, std::move(o), router);
        }
    }

    // The rules' and accepted positions' publisher: the given one or the log, and beside it the
    // webhook dispatcher's wake-up (with webhooks) and the live hub (with the HTTP API).
    void make_publisher(prometheus::Registry& registry) {
        if (publisher == nullptr) {
            own_publisher = std::make_unique<push::LogPublisher>();
            publisher = own_publisher.get();
        }
        std::vector<push::Publisher*> targets{publisher};
        if (webhooks_dispatcher) {
            webhook_nudge = std::make_unique<WebhookNudge>(*webhooks_dispatcher);
            targets.push_back(webhook_nudge.get());
        }
        if (!config.http.listen.empty()) {
            live_hub = std::make_unique<push::LiveHub>(live_hub_options(config, registry));
            targets.push_back(live_hub.get());
        }
        if (targets.size() == 1) return;
        fan_out = std::make_unique<push::FanOutPublisher>(std::move(targets));
        publisher = fan_out.get();
    }

    // A leader's vehicles for the live stream, on one lazily (re)opened connection.
    static api::LeaderVehicles leader_vehicles(const std::string& conninfo) {
        auto conn = std::make_shared<HookConnection>(conninfo);
        return [conn](const std::string& leader) {
            const auto rows = conn->with([&](storage::Connection& c) {
                return storage::list_vehicles(c, leader);
            });
            std::vector<core::VehicleId> ids;
            ids.reserve(rows.size());
            for (const auto& r : rows) ids.push_back(r.id);
            return ids;
        };
    }

    void start_http() {
        if (!http) return;
        http->start();
        live->start(*http_io);
        http_work.emplace(http_io->get_executor());
        for (std::size_t i = 0; i < config.http.threads; ++i) {
            http_threads.emplace_back([io = http_io.get()] { io->run(); });
        }
    }

    // The listener and every connection are closed on their strands; once those closes ran, the
    // io_context runs out of work and its threads return. A handler still waiting on the
    // database after 5 s is abandoned (io_context::stop) rather than holding up the shutdown.
    void stop_http() {
        if (!http) return;
        live->stop();  // 1001 to every live client
        http->stop();
        http_work.reset();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
        while (!http_threads.empty() && !http_io->stopped() &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        http_io->stop();
        for (auto& t : http_threads) t.join();
        http_threads.clear();
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        stop_http();     // no request reaches the database after this
        server->stop();  // no more submits after this
        if (rules_stage) rules_stage->stop();  // judged, violations written
        if (webhooks_dispatcher) webhooks_dispatcher->stop();  // pending ones wait in the database
        if (refresher) refresher->stop();
        if (auth_recorder) auth_recorder->stop();
        if (writer != nullptr) writer->stop();  // everything accepted is in the database or spool
    }

    Config config;
    push::Publisher* publisher = nullptr;  // given or own_publisher; or fan_out to it, the nudge, the hub
    ingest::TerminalDirectory directory;
    ingest::IngestStats stats;
    std::unique_ptr<core::EventSink> sink;
    storage::PositionWriter* writer = nullptr;
    // With a database and webhooks.enabled (before the publishers that wake it).
    std::unique_ptr<webhooks::Dispatcher> webhooks_dispatcher;
    std::unique_ptr<WebhookNudge> webhook_nudge;
    std::unique_ptr<push::Publisher> own_publisher;  // when none was given
    std::unique_ptr<push::LiveHub> live_hub;         // with the HTTP API
    std::unique_ptr<push::FanOutPublisher> fan_out;
    std::unique_ptr<PublishingSink> publishing_sink;  // with the hub: ingest's sink
    std::unique_ptr<RulesStage> rules_stage;  // before the server: it is the server's sink
    std::unique_ptr<TerminalRefresher> refresher;
    std::unique_ptr<AuthenticationRecorder> auth_recorder;
    std::optional<ingest::Server> server;
    // The HTTP API; the router and endpoints outlive the io_context's handlers (declared first).
    std::unique_ptr<IngestTerminalLink> terminal_link;  // text and alarm confirmations
    std::unique_ptr<api::StaticFiles> static_files;  // http.static_dir
    std::unique_ptr<api::Endpoints> endpoints;
    api::Router router;
    std::unique_ptr<boost::asio::io_context> http_io;
    // After the io_context: its refresh timer must be destroyed while the io_context exists.
    std::unique_ptr<api::LiveStream> live;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        http_work;
    std::optional<api::HttpServer> http;
    std::vector<std::thread> http_threads;
    bool stopped = false;
};

Service::Service(const Config& config, prometheus::Registry& registry,
                 std::shared_ptr<spdlog::logger> ingest_logger, push::Publisher* publisher)
    : impl_(std::make_unique<Impl>(config, registry, std::move(ingest_logger), publisher)) {}

Service::~Service() { stop(); }

void Service::start() {
    if (impl_->rules_stage) {
        impl_->rules_stage->start([server = &*impl_->server](const std::string& phone,
                                                             const std::string& text) {
            jt808::TextMessage m;
            m.flag = jt808::TextMessage::kFlagTts | jt808::TextMessage::kFlagDisplay;
            m.text = text;
            return server->send_text(phone, std::move(m));
        });
    }
    if (impl_->webhooks_dispatcher) impl_->webhooks_dispatcher->start();
    try {
        impl_->server->start();
    } catch (const std::exception& e) {
        throw ServiceError(fmt::format("ingest: cannot listen on {}: {} (ingest.listen)",
                                       impl_->config.ingest.listen, e.what()));
    }
    try {
        impl_->start_http();
    } catch (const std::exception& e) {
        impl_->server->stop();
        throw ServiceError(fmt::format("http: cannot listen on {}: {} (http.listen)",
                                       impl_->config.http.listen, e.what()));
    }
}

void Service::stop() {
    if (impl_) impl_->stop();
}

std::uint16_t Service::port() const noexcept { return impl_->server->port(); }
std::uint16_t Service::http_port() const noexcept { return impl_->http ? impl_->http->port() : 0; }
ingest::Server& Service::server() noexcept { return *impl_->server; }
ingest::TerminalDirectory& Service::directory() noexcept { return impl_->directory; }

}  // namespace fleetwatch::app
