// The acceptor, the session registry and the I/O threads.
#include "fleetwatch/ingest/server.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <charconv>
#include <future>
#include <system_error>
#include <utility>

#include "fleetwatch/core/host_port.hpp"
#include "server_impl.hpp"

namespace fleetwatch::ingest {

// ---- Impl -------------------------------------------------------------------------------------

Server::Impl::Impl(ServerOptions opts, TerminalDirectory& dir, core::EventSink& event_sink,
                   IngestStats& ingest_stats)
    : options(std::move(opts)),
      limits(options.limits),
      directory(dir),
      sink(event_sink),
      stats(ingest_stats),
      log(options.logger ? options.logger : spdlog::default_logger()),
      thread_count(options.threads != 0 ? options.threads
                                        : std::max(1u, std::thread::hardware_concurrency())),
      // The hint must be the real thread count: 1 turns on single-thread shortcuts.
      ioc(static_cast<int>(thread_count)),
      accept_strand(asio::make_strand(ioc)),
      acceptor(accept_strand),
      accept_retry(accept_strand) {
    reassembly.max_pending_messages = limits.max_reassembly_messages;
    reassembly.max_buffered_bytes = limits.max_buffered_bytes;
    reassembly.max_packages = limits.max_packages_per_message;
    reassembly.resend_after = limits.resend_after;
    reassembly.timeout = limits.reassembly_timeout;
}

void Server::Impl::refuse(Refusal reason, std::string_view peer, std::string_view phone,
                          std::string_view detail) {
    stats.refusal(reason).Increment();
    std::uint64_t suppressed = 0;
    if (!refusal_log.allow(static_cast<std::size_t>(reason), suppressed)) return;
    log->warn("refused reason={} peer={} phone={}{}{}{}", to_string(reason), peer,
              phone.empty() ? std::string_view{"-"} : phone,
              detail.empty() ? "" : " detail=", detail,
              suppressed ? fmt::format(" ({} similar suppressed)", suppressed) : std::string{});
}

void Server::Impl::decode_error(const jt808::Error& error, std::string_view peer,
                                std::string_view phone) {
    stats.decode_error(error.code).Increment();
    std::uint64_t suppressed = 0;
    if (!decode_log.allow(errc_slot(error.code), suppressed)) return;
    log->warn("bad frame reason={} peer={} phone={} message=\"{}\"{}", jt808::to_string(error.code),
              peer, phone.empty() ? std::string_view{"-"} : phone, error.message(),
              suppressed ? fmt::format(" ({} similar suppressed)", suppressed) : std::string{});
}

void Server::Impl::on_authenticated(const std::shared_ptr<Session>& session,
                                    const std::string& phone_key, const std::string& previous_key) {
    std::shared_ptr<Session> replaced;
    {
        std::lock_guard lock(mutex);
        if (!previous_key.empty() && previous_key != phone_key) {
            auto it = by_phone.find(previous_key);
            if (it != by_phone.end() && it->second.lock() == session) by_phone.erase(it);
        }
        auto& slot = by_phone[phone_key];
        replaced = slot.lock();
        slot = session;
    }
    if (replaced && replaced != session) {
        log->info("session replaced phone={} old_peer={} new_peer={}", phone_key, replaced->peer(),
                  session->peer());
        replaced->post_close(CloseReason::replaced);
    }
}

void Server::Impl::on_deauthenticated(const Session& session, const std::string& phone_key) {
    std::lock_guard lock(mutex);
    auto it = by_phone.find(phone_key);
    if (it == by_phone.end()) return;
    auto current = it->second.lock();
    if (!current || current.get() == &session) by_phone.erase(it);
}

void Server::Impl::on_closed(const Session& session, const std::string& phone_key) {
    std::lock_guard lock(mutex);
    sessions.erase(session.id());
    if (auto it = per_address.find(session.address()); it != per_address.end()) {
        if (--it->second == 0) per_address.erase(it);
    }
    if (!phone_key.empty()) {
        // Only this session's own entry: a replacement may own the key already.
        auto it = by_phone.find(phone_key);
        if (it != by_phone.end()) {
            auto current = it->second.lock();
            if (!current || current.get() == &session) by_phone.erase(it);
        }
    }
    if (session_count.fetch_sub(1, std::memory_order_relaxed) == 1) all_closed.notify_all();
}

std::shared_ptr<Session> Server::Impl::find(std::string_view phone_key) const {
    std::lock_guard lock(mutex);
    auto it = by_phone.find(phone_key);
    if (it == by_phone.end()) return nullptr;
    return it->second.lock();
}

void Server::Impl::do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](const error_code& ec, Socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void Server::Impl::on_accept(const error_code& ec, Socket socket) {
    if (stopping.load()) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // E.g. EMFILE: back off briefly instead of spinning on a listening socket that stays
        // readable.
        refuse(Refusal::accept_error, "-", {}, ec.message());
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](const error_code& wait_ec) {
            if (!wait_ec && !stopping.load()) do_accept();
        });
        return;
    }
    stats.connections_accepted.Increment();
    error_code endpoint_ec;
    const tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
    if (endpoint_ec) {  // already gone
        do_accept();
        return;
    }
    const asio::ip::address address = remote.address();
    std::string peer = address.is_v6()
                           ? "[" + address.to_string() + "]:" + std::to_string(remote.port())
                           : address.to_string() + ":" + std::to_string(remote.port());

    std::optional<Refusal> refusal;
    std::shared_ptr<Session> session;
    {
        std::lock_guard lock(mutex);
        const std::size_t from_address = [&] {
            auto it = per_address.find(address);
            return it == per_address.end() ? std::size_t{0} : it->second;
        }();
        if (session_count.load(std::memory_order_relaxed) >= limits.max_sessions) {
            refusal = Refusal::max_sessions;
        } else if (limits.max_sessions_per_address != 0 &&
                   from_address >= limits.max_sessions_per_address) {
            refusal = Refusal::max_sessions_per_address;
        } else {
            error_code opt_ec;
            socket.set_option(tcp::no_delay(true), opt_ec);  // replies are small; no Nagle delay
            if (limits.send_buffer_bytes != 0) {
                socket.set_option(
                    asio::socket_base::send_buffer_size(static_cast<int>(limits.send_buffer_bytes)),
                    opt_ec);
            }
            const std::uint64_t id = next_session_id++;
            session = std::make_shared<Session>(*this, std::move(socket), id, address, peer);
            sessions.emplace(id, session);
            ++per_address[address];
            session_count.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (refusal) {
        error_code ignored;
        socket.close(ignored);
        refuse(*refusal, peer, {});
    } else {
        stats.sessions_unauthenticated.Increment();
        log->debug("session opened peer={}", peer);
        session->start();
    }
    do_accept();
}

// ---- Server -----------------------------------------------------------------------------------

Server::Server(ServerOptions options, TerminalDirectory& directory, core::EventSink& sink,
               IngestStats& stats)
    : impl_(std::make_unique<Impl>(std::move(options), directory, sink, stats)) {}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    if (s.started) return;
    const auto hp = core::parse_host_port(s.options.listen);
    if (!hp) {
        throw std::system_error(
            std::make_error_code(std::errc::invalid_argument),
            "ingest.listen: expected host:port, got '" + s.options.listen + "'");
    }
    error_code ec;
    const auto address = asio::ip::make_address(hp->host, ec);
    if (ec) throw std::system_error(ec, "ingest.listen: bad address '" + hp->host + "'");
    const tcp::endpoint endpoint{address, hp->port};
    s.acceptor.open(endpoint.protocol());
    s.acceptor.set_option(asio::socket_base::reuse_address(true));
    s.acceptor.bind(endpoint, ec);
    if (ec) throw std::system_error(ec, "ingest.listen: cannot bind " + s.options.listen);
    s.acceptor.listen(asio::socket_base::max_listen_connections);
    s.bound_port = s.acceptor.local_endpoint().port();
    s.started = true;
    s.work.emplace(s.ioc.get_executor());
    asio::post(s.accept_strand, [&s] { s.do_accept(); });

    const std::size_t threads = s.thread_count;
    for (std::size_t i = 0; i < threads; ++i) {
        s.threads.emplace_back([&s, i] {
            if (s.options.on_thread_start) s.options.on_thread_start(i);
            // One barrier per boundary: a handler that throws is logged and the thread goes on
            // serving the other sessions.
            for (;;) {
                try {
                    s.ioc.run();
                    return;
                } catch (const std::exception& e) {
                    s.log->error("ingest thread {}: handler threw: {}", i, e.what());
                }
            }
        });
    }
    s.log->info("ingest listening on {} (port {}), {} threads", s.options.listen, s.bound_port,
                threads);
}

void Server::stop(std::chrono::milliseconds grace) {
    Impl& s = *impl_;
    if (!s.started || s.stopped) return;
    s.stopped = true;
    s.stopping.store(true);
    // On the acceptor's strand, so no accept completes after the snapshot of open sessions.
    std::promise<void> acceptor_closed;
    asio::post(s.accept_strand, [&s, &acceptor_closed] {
        error_code ignored;
        s.acceptor.close(ignored);
        s.accept_retry.cancel();
        std::vector<std::shared_ptr<Session>> open;
        {
            std::lock_guard lock(s.mutex);
            for (auto& [id, weak] : s.sessions) {
                if (auto session = weak.lock()) open.push_back(std::move(session));
            }
        }
        for (auto& session : open) session->post_close(CloseReason::shutdown);
        acceptor_closed.set_value();
    });
    acceptor_closed.get_future().wait();
    {
        std::unique_lock lock(s.mutex);
        s.all_closed.wait_for(lock, grace, [&s] { return s.session_count.load() == 0; });
    }
    s.registration_pool.join();
    s.work.reset();
    if (s.session_count.load() != 0) {
        s.log->warn("ingest stop: {} sessions still open after {} ms; stopping the I/O threads",
                    s.session_count.load(), grace.count());
        s.ioc.stop();
    }
    for (auto& t : s.threads) t.join();
    s.threads.clear();
    s.log->info("ingest stopped");
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port; }

std::size_t Server::session_count() const noexcept { return impl_->session_count.load(); }

bool Server::is_connected(std::string_view phone_key) const {
    return impl_->find(phone_key) != nullptr;
}

bool Server::send_to(std::string_view phone_key, std::uint16_t msg_id, BodyEncoder encode_body,
                     SentCallback on_sent) {
    auto session = impl_->find(phone_key);
    if (!session) return false;
    session->post_send(msg_id, std::move(encode_body), std::move(on_sent));
    return true;
}

bool Server::send_text(std::string_view phone_key, jt808::TextMessage text, SentCallback on_sent) {
    return send_to(
        phone_key, jt808::msg_id::kText,
        [text = std::move(text)](jt808::Dialect dialect, jt808::Buffer& out) {
            return jt808::encode_body(text, dialect, out);
        },
        std::move(on_sent));
}

}  // namespace fleetwatch::ingest
