// LiveStream's inside (include/fleetwatch/api/live.hpp), with Beast: what server.cpp calls to
// hand a WebSocket upgrade over, and what the sessions share.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "fleetwatch/api/http.hpp"
#include "fleetwatch/api/live.hpp"
#include "fleetwatch/push/live_hub.hpp"

namespace fleetwatch::api {

class LiveSession;

// A caller let in: who, and what their subscription will be.
struct LiveTicket {
    Principal who;
    push::LiveFormat format = push::LiveFormat::json;
    push::VehicleFilter filter;
    bool positions = false;
};

class LiveStream::Impl : public std::enable_shared_from_this<LiveStream::Impl> {
  public:
    Impl(push::LiveHub& hub, Authenticator authenticate, LeaderVehicles leader_vehicles,
         LiveOptions options);

    // On the HTTP thread that read the upgrade request: the ticket, or the response to send
    // instead (401, 400, 503). May throw (the server's barrier makes it a 500).
    std::variant<Response, LiveTicket> admit(const Request& request);
    // Takes the connection over: WebSocket handshake, then the session.
    void accept(boost::asio::ip::tcp::socket socket,
                boost::beast::http::request<boost::beast::http::string_body> upgrade,
                LiveTicket ticket, std::string remote);

    void start(boost::asio::io_context& io);
    void refresh_leaders();
    void refresh_leaders_soon();
    void stop();
    std::size_t clients() const;

    // Sessions (any thread).
    bool add(const std::shared_ptr<LiveSession>& session);  // false when stopping
    void remove(LiveSession* session);
    push::LiveHub& hub() noexcept { return hub_; }
    const LiveOptions& options() const noexcept { return options_; }

  private:
    push::VehicleFilter filter_for(const Principal& who);
    void schedule_refresh();

    push::LiveHub& hub_;
    Authenticator authenticate_;
    LeaderVehicles leader_vehicles_;
    LiveOptions options_;
    mutable std::mutex mutex_;
    std::unordered_map<LiveSession*, std::weak_ptr<LiveSession>> sessions_;
    bool stopping_ = false;
    // On the HTTP server's io_context, from start(): the periodic refresh and refresh_leaders_soon().
    std::optional<boost::asio::strand<boost::asio::io_context::executor_type>> strand_;
    std::optional<boost::asio::steady_timer> refresh_timer_;
};

}  // namespace fleetwatch::api
