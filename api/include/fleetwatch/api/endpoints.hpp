// The /api/v1 endpoints: what each route does, against PostGIS through storage/.
// (docs/api.md is the reference; docs/openapi.yaml lists every route with its roles.)
//
//   GET  /api/v1/health                     public: {"status":"ok","database":bool}
//   POST /api/v1/auth/login                 public: {"username","password"} ->
//                                           {"token","role","expires_at","username"}
//   POST /api/v1/auth/logout                any role: revokes the token used
//   GET  /api/v1/me                         any role: {"id","username","role"}
//   GET  /api/v1/users                      admin
//   GET  /api/v1/vehicles                   any role; a leader sees their convoys' vehicles
//   GET  /api/v1/vehicles/{id}              any role; another convoy's vehicle is 403 for a
//                                           leader
//   GET  /api/v1/vehicles/{id}/positions    ?from=&to=&limit=&cursor=, as /vehicles/{id}
//   GET  /api/v1/vehicles/{id}/track        ?from=&to= -> a GeoJSON Feature (LineString)
//   GET  /api/v1/live/vehicles              the latest position of every vehicle one may see
//   GET  /api/v1/violations                 ?vehicle_id=&driver_id=&type=&status=&from=&to=
//                                           &limit=&cursor=; newest first; a leader sees
//                                           their convoys' violations
//   GET  /api/v1/violations/{id}            with `path` and `audit`
//   POST /api/v1/violations/{id}/actions    {"action","note"}: acknowledge (any role that
//                                           sees it), rectify/dismiss/excuse (manager, admin);
//                                           a latched terminal alarm is confirmed (0x8203)
//   POST /api/v1/vehicles/{id}/text         admin, dispatcher: {"text","tts"} -> 0x8300
//
// Handlers run on the HTTP server's threads and use a small pool of database connections
// (api/src/route_support.hpp: one per concurrently running handler, at most 8 kept). A database that
// cannot be reached is 503 `database_unavailable`.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fleetwatch/api/auth.hpp"
#include "fleetwatch/api/http.hpp"

namespace fleetwatch::storage {
struct VehicleRow;
struct ViolationRow;
}

namespace fleetwatch::api {

class Router;
class TerminalLink;
class DbPool;

struct EndpointOptions {
    std::chrono::seconds token_ttl{12 * 3600};
    std::size_t login_max_failures = 5;     // per username and per address ...
    std::chrono::seconds login_window{60};  // ... within this window -> 429
    std::size_t positions_default_limit = 1000;
    std::size_t positions_max_limit = 5000;
    std::chrono::seconds positions_default_span{24 * 3600};  // `from` when not given: to - span
    std::chrono::seconds track_max_span{7 * 24 * 3600};
    std::size_t track_max_points = 10'000;
    std::chrono::seconds live_lookback{7 * 24 * 3600};  // older latest positions are not "live"
    std::size_t violations_default_limit = 100;
    std::size_t violations_max_limit = 1000;
};

class Endpoints {
  public:

    // `conninfo`: libpq connection string; nothing connects until a request needs it.
    Endpoints(std::string conninfo, EndpointOptions options);
    ~Endpoints();
    Endpoints(const Endpoints&) = delete;
    Endpoints& operator=(const Endpoints&) = delete;

    // Adds every route above and sets the router's authenticator. `this` must outlive the
    // router's use.
    void add_routes(Router& router);

    // Bearer token -> caller (nullopt: unknown, expired, or the user is disabled).
    // Throws ApiError 503 when the database is away.
    std::optional<Principal> authenticate(std::string_view token);

    // Where text and alarm confirmations go (nullptr: nowhere; every terminal is offline).
    // Set before the server starts; `link` must outlive this.
    void set_terminal_link(TerminalLink* link) { link_ = link; }

    // Runs after every fleet change stored through the API (on the request's thread; keep it
    // short). Set before the server starts.
    void set_fleet_changed(std::function<void()> changed) { fleet_changed_ = std::move(changed); }

  private:
    Response health(Request& r);
    Response login(Request& r);
    Response logout(Request& r);
    Response me(Request& r);
    Response users(Request& r);
    Response vehicles(Request& r);
    Response vehicle(Request& r);
    Response positions(Request& r);
    Response track(Request& r);
    Response live_vehicles(Request& r);
    Response violations(Request& r);
    Response violation(Request& r);
    Response violation_action(Request& r);
    Response vehicle_text(Request& r);
    nlohmann::json confirm_terminal_alarm(const storage::ViolationRow& violation);
    // One violation with `path` and `audit`; 404 when there is none, 403 when a leader may
    // not see it.
    nlohmann::json violation_detail(Request& r, std::int64_t id);
    // The violation (with its path); 404 when there is none, 403 when a leader may not see it.
    storage::ViolationRow visible_violation(Request& r, std::int64_t id);

    std::unique_ptr<DbPool> pool_;
    EndpointOptions options_;
    LoginLimiter limiter_;
    TerminalLink* link_ = nullptr;
    std::function<void()> fleet_changed_;
};

}  // namespace fleetwatch::api
