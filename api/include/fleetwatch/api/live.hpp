// The live stream: GET /api/v1/live?token=... upgraded to WebSocket (docs/api.md "Live
// stream"). Events come from push::LiveHub; this is the connection side.
//
// The HTTP server hands a WebSocket upgrade of kLivePath to LiveStream before routing (its
// access-log line says 101). The caller is checked first, while the connection is still HTTP:
// no token or an unknown one is 401 in API.md's error shape, a bad `positions` 400, a full
// house (max_clients) or an unreachable database 503. Any role may connect; a leader's
// subscription only allows the vehicles of the convoys they lead, re-read every
// `leader_refresh` (and on refresh_leaders(), refresh_leaders_soon()). A client offering the `fleetwatch.v1.proto`
// subprotocol gets it back and binary protobuf frames; any other client JSON text frames.
// `?positions=true` adds position frames (push::LiveHubOptions::position_interval apart per
// vehicle).
//
// Each connection is one session on its own strand (do_x/on_x, as server.cpp): one read
// always pending (pings, pongs, close; client messages are read and ignored, at most
// kMaxClientMessage bytes, else 1009), one write at a time from the subscription's queue.
// Timeouts are Beast's suggested server settings with keep-alive pings on: a client that
// answers nothing for idle_timeout is closed. A client the hub dropped for reading too slowly
// is closed with 1008 (policy violation) and a log line; stop() closes every client with 1001
// (going away). A close handshake not done within close_timeout closes the socket.
//
// Thread-safety: everything may be called from any thread; the hub and the callbacks must
// outlive the io_context's handlers.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/api/router.hpp"
#include "fleetwatch/core/position.hpp"

namespace boost::asio {
class io_context;
}
namespace fleetwatch::push {
class LiveHub;
}

namespace fleetwatch::api {

inline constexpr std::string_view kLivePath = "/api/v1/live";
inline constexpr std::string_view kLiveProtoSubprotocol = "fleetwatch.v1.proto";

// Registers GET /api/v1/live (all roles) so the route table (and docs/openapi.yaml's test)
// know it. The upgrade never reaches the router; a plain GET that does is 426
// `upgrade_required`.
void add_live_route(Router& router);

struct LiveOptions {
    std::size_t max_clients = 1000;
    std::chrono::seconds leader_refresh{30};
    std::chrono::seconds close_timeout{3};
    static constexpr std::size_t kMaxClientMessage = 4096;
};

// The vehicles of the convoys `leader_username` leads. May throw (the database is away): the
// upgrade is then 503, a refresh keeps the last set.
using LeaderVehicles =
    std::function<std::vector<core::VehicleId>(const std::string& leader_username)>;

class LiveStream {
  public:
    LiveStream(push::LiveHub& hub, Authenticator authenticate, LeaderVehicles leader_vehicles,
               LiveOptions options = {});
    ~LiveStream();
    LiveStream(const LiveStream&) = delete;
    LiveStream& operator=(const LiveStream&) = delete;

    // Starts the periodic leader refresh on `io` (the HTTP server's).
    void start(boost::asio::io_context& io);
    // Re-reads every connected leader's vehicles now (e.g. after a convoy changed). Blocks on
    // the database.
    void refresh_leaders();
    // The same, soon, on the io_context given to start() (not the caller's thread): what the
    // fleet routes call after a change, so a leader's stream follows a new trip or convoy at
    // once rather than at the next periodic refresh. Does nothing before start() or once stopping.
    void refresh_leaders_soon();
    // Refuses new clients and closes every connection with 1001. Idempotent.
    void stop();
    std::size_t clients() const;

    class Impl;  // src/live.cpp, shared with the sessions and the HTTP server
    Impl& impl() noexcept { return *impl_; }

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace fleetwatch::api
