#include "fleetwatch/api/live.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <map>

#include "live_impl.hpp"

namespace fleetwatch::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::shared_ptr<spdlog::logger> live_log() {
    auto log = spdlog::get("api");
    return log ? log : spdlog::default_logger();
}

// Whether the comma-separated Sec-WebSocket-Protocol offer holds `wanted`.
bool offers_subprotocol(std::string_view offer, std::string_view wanted) {
    while (!offer.empty()) {
        const auto comma = offer.find(',');
        std::string_view item = offer.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == wanted) return true;
        if (comma == std::string_view::npos) break;
        offer.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

void add_live_route(Router& router) {
    router.add("GET", std::string(kLivePath), kAllRoles, [](Request&) -> Response {
        Response r = error_response(426, "upgrade_required",
                                    "this is a WebSocket: connect with Upgrade: websocket and "
                                    "?token=TOKEN");
        r.headers.emplace_back("Upgrade", "websocket");
        return r;
    });
}

// ---- one WebSocket connection -------------------------------------------------------------------

class LiveSession : public std::enable_shared_from_this<LiveSession> {
  public:
    LiveSession(tcp::socket&& socket, std::shared_ptr<LiveStream::Impl> owner, LiveTicket ticket,
                std::string remote)
        : ws_(std::move(socket)),
          owner_(std::move(owner)),
          ticket_(std::move(ticket)),
          remote_(std::move(remote)),
          close_timer_(ws_.get_executor()) {}

    ~LiveSession() {
        // Abandoned without finish() (the io_context was stopped): leave the hub all the same.
        if (subscription_ && !finished_) owner_->hub().unsubscribe(subscription_);
        owner_->remove(this);
    }

    void run(http::request<http::string_body>&& upgrade) {
        upgrade_ = std::move(upgrade);
        net::dispatch(ws_.get_executor(),
                      beast::bind_front_handler(&LiveSession::do_accept, shared_from_this()));
    }

    // From any thread.
    void close_soon(websocket::close_code code, std::string reason) {
        net::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)] {
            self->start_close(code, r);
        });
    }
    void set_filter(push::VehicleFilter filter) {
        if (subscription_) subscription_->set_filter(std::move(filter));
    }
    const Principal& who() const noexcept { return ticket_.who; }

  private:
    void do_accept() {
        // The HTTP session's timer is off with release_socket(); Beast's own from here on.
        beast::get_lowest_layer(ws_).expires_never();
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeouts.keep_alive_pings = true;  // an idle dashboard that answers pings stays
        ws_.set_option(timeouts);
        ws_.read_message_max(LiveOptions::kMaxClientMessage);
        const bool proto = ticket_.format == push::LiveFormat::protobuf;
        ws_.set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
            res.set(http::field::server, "fleetwatch");
            if (proto) {
                res.set(http::field::sec_websocket_protocol,
                        beast::string_view(kLiveProtoSubprotocol.data(), kLiveProtoSubprotocol.size()));
            }
        }));
        ws_.binary(proto);
        ws_.async_accept(upgrade_,
                         beast::bind_front_handler(&LiveSession::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec) {
        upgrade_ = {};
        if (ec) {
            live_log()->debug("live {}: handshake failed: {}", remote_, ec.message());
            return;
        }
        std::weak_ptr<LiveSession> weak = shared_from_this();
        auto executor = ws_.get_executor();
        subscription_ = owner_->hub().subscribe(
            {ticket_.format, std::move(ticket_.filter), ticket_.positions, [weak, executor] {
                 net::post(executor, [weak] {
                     if (auto self = weak.lock()) self->do_write();
                 });
             }});
        if (!owner_->add(shared_from_this())) {
            start_close(websocket::close_code::going_away, "server stopping");
        } else {
            live_log()->info("live {}: {} ({}) connected, {}{}", remote_, ticket_.who.username,
                             to_string(ticket_.who.role),
                             ticket_.format == push::LiveFormat::json ? "json" : "protobuf",
                             ticket_.positions ? " with positions" : "");
        }
        do_read();
        do_write();
    }

    void do_read() {
        ws_.async_read(in_, beast::bind_front_handler(&LiveSession::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return finish(ec);
        in_.consume(in_.size());  // clients have nothing to say yet
        do_read();
    }

    void do_write() {
        if (writing_ || closing_ || finished_ || !subscription_) return;
        if (const auto reason = subscription_->dropped()) {
            live_log()->warn("live {}: {} dropped with 1008: {}", remote_, ticket_.who.username,
                             *reason);
            return start_close(websocket::close_code::policy_error, "too slow: events were lost");
        }
        current_ = subscription_->pop();
        if (!current_) return;
        writing_ = true;
        ws_.async_write(net::buffer(*current_),
                        beast::bind_front_handler(&LiveSession::on_write, shared_from_this()));
    }
    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        subscription_->sent(current_->size());
        current_.reset();
        if (ec) return finish(ec);
        if (closing_) return do_close();
        do_write();
    }

    void start_close(websocket::close_code code, const std::string& reason) {
        if (closing_) return;
        closing_ = true;
        close_reason_ = websocket::close_reason(code, reason);
        close_timer_.expires_after(owner_->options().close_timeout);
        close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            live_log()->info("live {}: no close handshake within {} s; socket closed",
                             self->remote_, self->owner_->options().close_timeout.count());
            beast::get_lowest_layer(self->ws_).close();
        });
        if (!writing_) do_close();
    }
    void do_close() {
        if (close_sent_ || !ws_.is_open()) return;
        close_sent_ = true;
        ws_.async_close(close_reason_,
                        beast::bind_front_handler(&LiveSession::on_close, shared_from_this()));
    }
    void on_close(beast::error_code ec) {
        close_timer_.cancel();
        finish(ec);
    }

    // The connection is over (its pending operations complete with errors and release it).
    void finish(beast::error_code ec) {
        if (finished_) return;
        finished_ = true;
        close_timer_.cancel();
        if (subscription_) owner_->hub().unsubscribe(subscription_);
        live_log()->info("live {}: {} disconnected ({})", remote_, ticket_.who.username,
                         ec ? ec.message() : "closed");
    }

    websocket::stream<beast::tcp_stream> ws_;
    std::shared_ptr<LiveStream::Impl> owner_;
    LiveTicket ticket_;
    std::string remote_;
    net::steady_timer close_timer_;
    http::request<http::string_body> upgrade_;
    std::shared_ptr<push::LiveSubscription> subscription_;
    beast::flat_buffer in_;
    push::LiveMessage current_;
    websocket::close_reason close_reason_;
    bool writing_ = false;
    bool closing_ = false;
    bool close_sent_ = false;
    bool finished_ = false;
};

// ---- LiveStream::Impl ---------------------------------------------------------------------------

LiveStream::Impl::Impl(push::LiveHub& hub, Authenticator authenticate,
                       LeaderVehicles leader_vehicles, LiveOptions options)
    : hub_(hub),
      authenticate_(std::move(authenticate)),
      leader_vehicles_(std::move(leader_vehicles)),
      options_(options) {}

push::VehicleFilter LiveStream::Impl::filter_for(const Principal& who) {
    if (who.role != Role::leader) return push::VehicleFilter::all();
    return push::VehicleFilter::only(leader_vehicles_(who.username));
}

std::variant<Response, LiveTicket> LiveStream::Impl::admit(const Request& request) {
    std::string token;
    if (const auto* t = request.query_param("token")) token = *t;
    if (token.empty()) {
        if (const auto* h = request.header("authorization"); h && h->starts_with("Bearer ")) {
            token = h->substr(7);
        }
    }
    std::optional<Principal> who;
    try {
        if (!token.empty() && authenticate_) who = authenticate_(token);
    } catch (const ApiError& e) {
        return error_response(e);
    }
    if (!who) {
        Response r = error_response(401, "unauthenticated",
                                    "a valid token is required: ?token=TOKEN "
                                    "(POST /api/v1/auth/login)");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    }
    LiveTicket ticket;
    if (const auto* p = request.query_param("positions")) {
        if (*p == "true" || *p == "1") {
            ticket.positions = true;
        } else if (!(*p == "false" || *p == "0" || p->empty())) {
            return error_response(400, "invalid_parameter", "positions must be true or false",
                                  "positions");
        }
    }
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return error_response(503, "unavailable", "the server is stopping");
        if (sessions_.size() >= options_.max_clients) {
            return error_response(
                503, "too_many_clients",
                "the live stream has " + std::to_string(options_.max_clients) + " clients");
        }
    }
    if (const auto* offer = request.header("sec-websocket-protocol");
        offer && offers_subprotocol(*offer, kLiveProtoSubprotocol)) {
        ticket.format = push::LiveFormat::protobuf;
    }
    try {
        ticket.filter = filter_for(*who);
    } catch (const ApiError& e) {
        return error_response(e);
    } catch (const std::exception& e) {
        live_log()->warn("live: cannot read the convoys of {}: {}", who->username, e.what());
        return error_response(503, "database_unavailable",
                              "the database cannot be reached; try again shortly");
    }
    ticket.who = std::move(*who);
    return ticket;
}

void LiveStream::Impl::accept(tcp::socket socket, http::request<http::string_body> upgrade,
                              LiveTicket ticket, std::string remote) {
    std::make_shared<LiveSession>(std::move(socket), shared_from_this(), std::move(ticket),
                                  std::move(remote))
        ->run(std::move(upgrade));
}

bool LiveStream::Impl::add(const std::shared_ptr<LiveSession>& session) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    sessions_.emplace(session.get(), session);
    return true;
}

void LiveStream::Impl::remove(LiveSession* session) {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
}

std::size_t LiveStream::Impl::clients() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void LiveStream::Impl::start(net::io_context& io) {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    strand_.emplace(net::make_strand(io));
    if (options_.leader_refresh.count() <= 0) return;
    refresh_timer_.emplace(*strand_);
    schedule_refresh();
}

void LiveStream::Impl::refresh_leaders_soon() {
    std::lock_guard lock(mutex_);
    if (stopping_ || !strand_) return;
    net::post(*strand_, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->refresh_leaders();
    });
}

// Under mutex_.
void LiveStream::Impl::schedule_refresh() {
    refresh_timer_->expires_after(options_.leader_refresh);
    refresh_timer_->async_wait([weak = weak_from_this()](beast::error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self) return;
        self->refresh_leaders();
        std::lock_guard lock(self->mutex_);
        if (!self->stopping_) self->schedule_refresh();
    });
}

void LiveStream::Impl::refresh_leaders() {
    std::map<std::string, std::vector<std::shared_ptr<LiveSession>>> by_leader;
    {
        std::lock_guard lock(mutex_);
        for (auto& [ptr, weak] : sessions_) {
            if (auto s = weak.lock(); s && s->who().role == Role::leader) {
                by_leader[s->who().username].push_back(std::move(s));
            }
        }
    }
    for (auto& [leader, sessions] : by_leader) {
        try {
            const auto filter = push::VehicleFilter::only(leader_vehicles_(leader));
            for (auto& s : sessions) s->set_filter(filter);
        } catch (const std::exception& e) {
            live_log()->warn("live: cannot refresh the convoys of {} (keeping the last ones): {}",
                             leader, e.what());
        }
    }
}

void LiveStream::Impl::stop() {
    std::vector<std::shared_ptr<LiveSession>> open;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        if (refresh_timer_) {
            net::post(refresh_timer_->get_executor(),
                      [self = shared_from_this()] { self->refresh_timer_->cancel(); });
        }
        for (auto& [ptr, weak] : sessions_) {
            if (auto s = weak.lock()) open.push_back(std::move(s));
        }
    }
    for (auto& s : open) s->close_soon(websocket::close_code::going_away, "server stopping");
}

// ---- LiveStream ---------------------------------------------------------------------------------

LiveStream::LiveStream(push::LiveHub& hub, Authenticator authenticate,
                       LeaderVehicles leader_vehicles, LiveOptions options)
    : impl_(std::make_shared<Impl>(hub, std::move(authenticate), std::move(leader_vehicles),
                                   options)) {}

LiveStream::~LiveStream() { stop(); }

void LiveStream::start(net::io_context& io) { impl_->start(io); }
void LiveStream::refresh_leaders() { impl_->refresh_leaders(); }
void LiveStream::refresh_leaders_soon() { impl_->refresh_leaders_soon(); }
void LiveStream::stop() { impl_->stop(); }
std::size_t LiveStream::clients() const { return impl_->clients(); }

}  // namespace fleetwatch::api
