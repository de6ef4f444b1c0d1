// The running server without the process around it: database, terminal directory, position
// writer and ingest server, wired from a Config. `fleetwatch serve` owns one (with logging,
// metrics exposer and signals around it); the integration tests run one in-process against a
// real PostGIS.
//
// Start-up order: migrations -> terminals loaded into the directory -> directory hooks
// (registration codes saved, `ingest.auto_register` creates vehicles) -> PositionWriter (opens
// the spool) -> with `rules.fleet_file`, the rule engine (rebuilt from the stored positions;
// app/src/rules_stage.hpp) -> terminal refresher -> ingest server. With `database.url` empty nothing can be
// stored, so every terminal is refused (0x8100 result 4) and no position is accepted.
//
// Stop order (stop(), also the destructor): the HTTP API first, then the ingest server (no
// submit after it), then the rules (what is queued is judged and its violations written), the
// webhook dispatcher (push/webhooks/dispatcher.hpp: started with the rules, when
// `webhooks.enabled` and there is a database; its queue is in PostgreSQL; the publisher wakes
// it for each stored violation), the
// refresher, then the writer, which flushes everything accepted to PostgreSQL or the spool.
//
// The HTTP API (api/, `http.listen`; empty = none) runs on an io_context of its own with
// `http.threads` threads, started after the ingest server: its handlers wait on PostgreSQL,
// and must never delay a terminal's reply. At construction, after the migrations, an empty
// users table gets the user `admin` (password FLEETWATCH_ADMIN_PASSWORD, else a random one
// logged once). With the HTTP API, the live stream GET /api/v1/live (api/live.hpp) is served
// there too: violations, warnings and (for the clients that ask) accepted positions go to a
// push::LiveHub beside the publisher, and stop() closes its clients (1001) first.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>

#include "fleetwatch/app/config.hpp"

namespace prometheus {
class Registry;
}
namespace spdlog {
class logger;
}

namespace fleetwatch::push {
class Publisher;
}
namespace fleetwatch::ingest {
class Server;
class TerminalDirectory;
}  // namespace fleetwatch::ingest

namespace fleetwatch::app {

// Start-up failed; what() says what and which option to look at.
class ServiceError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Service {
  public:
    // Prepares everything up to the listening socket: migrates, loads terminals, opens the spool.
    // Throws ServiceError. The registry must outlive the service.
    // `publisher` receives the stored violations and warnings when rules run
    // (rules.fleet_file); nullptr: a push::LogPublisher. With the HTTP API they go to the live
    // hub as well. It must outlive the service.
    Service(const Config& config, prometheus::Registry& registry,
            std::shared_ptr<spdlog::logger> ingest_logger = nullptr,
            push::Publisher* publisher = nullptr);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Binds ingest.listen, then http.listen, and starts serving. Throws ServiceError.
    void start();
    // Idempotent; see the header comment for the order.
    void stop();

    std::uint16_t port() const noexcept;       // the bound port, after start()
    std::uint16_t http_port() const noexcept;  // the HTTP API's port after start(); 0 = none
    ingest::Server& server() noexcept;
    ingest::TerminalDirectory& directory() noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::app
