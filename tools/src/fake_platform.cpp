#include "fleetwatch/sim/fake_platform.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "fleetwatch/core/host_port.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/reassembly.hpp"
#include "fleetwatch/sim/parse.hpp"

namespace fleetwatch::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace id = jt808::msg_id;

constexpr std::size_t kMaxWriteBacklog = 1 << 20;

}  // namespace

class FakeSession;

struct FakePlatform::Impl {
    explicit Impl(FakePlatformOptions o) : options(std::move(o)), acceptor(io) {
        for (const auto& k : options.known_phone_keys) known.emplace(k, true);
    }

    void record(ReceivedMessage m) {
        if (!options.record) return;
        const std::lock_guard lock(records_mu);
        if (records.size() < options.max_records) records.push_back(std::move(m));
    }

    FakePlatformOptions options;
    asio::io_context io;
    tcp::acceptor acceptor;
    std::vector<std::thread> threads;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::uint16_t port = 0;
    bool started = false;
    std::atomic<bool> stopping{false};
    std::unordered_map<std::string, bool> known;

    std::mutex sessions_mu;
    std::vector<std::weak_ptr<FakeSession>> sessions;
    std::unordered_map<std::string, std::weak_ptr<FakeSession>> by_phone;
    std::unordered_map<std::string, std::string> codes;

    mutable std::mutex records_mu;
    std::vector<ReceivedMessage> records;

    std::atomic<std::uint64_t> connections{0}, open_sessions{0}, frames{0}, bad_frames{0}, registrations{0},
        authentications{0}, locations{0}, batches{0}, batch_items{0}, heartbeats{0}, terminal_responses{0},
        resend_requests{0};
    std::atomic<bool> lost_one{false};
};

class FakeSession : public std::enable_shared_from_this<FakeSession> {
public:
    FakeSession(FakePlatform::Impl& p, tcp::socket socket) : p_(p), socket_(std::move(socket)) {
        p_.open_sessions.fetch_add(1, std::memory_order_relaxed);
    }
    ~FakeSession() { p_.open_sessions.fetch_sub(1, std::memory_order_relaxed); }

    void start() { do_read(); }

    void close() {
        asio::post(socket_.get_executor(), [self = shared_from_this()] {
            boost::system::error_code ignored;
            self->socket_.close(ignored);
        });
    }

    void send_text(jt808::TextMessage text) {
        asio::post(socket_.get_executor(), [self = shared_from_this(), t = std::move(text)] {
            if (!self->socket_.is_open()) return;
            self->scratch_.clear();
            (void)jt808::encode_body(t, self->dialect_, self->scratch_);
            self->send(id::kText, self->scratch_);
        });
    }

    // ---- Framer sink ----
    void on_frame(std::span<const std::uint8_t> unescaped) {
        p_.frames.fetch_add(1, std::memory_order_relaxed);
        auto frame = jt808::parse_frame(unescaped);
        if (!frame) {
            p_.bad_frames.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const jt808::Header& h = frame->header;
        phone_ = h.phone;
        dialect_ = h.version == jt808::HeaderVersion::v2019 ? jt808::Dialect::v2019 : jt808::Dialect::v2013;
        if (!h.package) {
            handle(h, frame->body, h.serial, 1);
            return;
        }
        if (p_.options.lose_package_once != 0 && h.package->index == p_.options.lose_package_once &&
            !p_.lost_one.exchange(true)) {
            // Fragments of one message carry consecutive serials from package 1 on.
            jt808::PlatformResendRequest r;
            r.first_serial = static_cast<std::uint16_t>(h.serial - (h.package->index - 1));
            r.package_ids = {h.package->index};
            scratch_.clear();
            (void)jt808::encode_body(r, dialect_, scratch_);
            send(id::kResendRequest, scratch_);
            p_.resend_requests.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        auto added = reassembler_.add(*frame, std::chrono::steady_clock::now());
        if (!added) {
            ack(h.serial, h.msg_id, 2);
            return;
        }
        if (!*added) {
            ack(h.serial, h.msg_id, 0);
            return;
        }
        handle((*added)->header, (*added)->body, h.serial, h.package->total);
    }
    void on_frame_error(const jt808::Error&) { p_.bad_frames.fetch_add(1, std::memory_order_relaxed); }

private:
    void do_read() {
        socket_.async_read_some(asio::buffer(read_buf_), [self = shared_from_this()](
                                                             const boost::system::error_code& ec, std::size_t n) {
            if (ec) return;
            self->framer_.feed(std::span<const std::uint8_t>(self->read_buf_.data(), n), *self);
            self->do_read();
        });
    }

    void handle(const jt808::Header& h, jt808::Bytes body, std::uint16_t reply_serial, std::uint16_t frames) {
        const std::string key(h.phone.key());
        p_.record(ReceivedMessage{key, h.msg_id, reply_serial, h.version, frames, authenticated_,
                                  std::vector<std::uint8_t>(body.begin(), body.end())});
        switch (h.msg_id) {
            case id::kRegister: on_register(h, body, key, reply_serial); return;
            case id::kAuthenticate: on_authenticate(h, body, key, reply_serial); return;
            case id::kTerminalResponse: p_.terminal_responses.fetch_add(1, std::memory_order_relaxed); return;
            default: break;
        }
        if (!authenticated_ || key != phone_key_) {
            ack(reply_serial, h.msg_id, 1);
            return;
        }
        switch (h.msg_id) {
            case id::kLocation: p_.locations.fetch_add(1, std::memory_order_relaxed); break;
            case id::kHeartbeat: p_.heartbeats.fetch_add(1, std::memory_order_relaxed); break;
            case id::kLocationBatch:
                p_.batches.fetch_add(1, std::memory_order_relaxed);
                if (body.size() >= 2) {
                    p_.batch_items.fetch_add(static_cast<std::uint64_t>((body[0] << 8) | body[1]),
                                             std::memory_order_relaxed);
                }
                break;
            default: break;
        }
        ack(reply_serial, h.msg_id, 0);
    }

    void on_register(const jt808::Header& h, jt808::Bytes body, const std::string& key, std::uint16_t serial) {
        p_.registrations.fetch_add(1, std::memory_order_relaxed);
        jt808::RegistrationResponse r;
        r.reply_serial = serial;
        const auto reg = jt808::decode_registration(body, h.version);
        if (!reg) {
            ack(serial, h.msg_id, 2);
            return;
        }
        if (!p_.known.empty() && p_.known.find(key) == p_.known.end()) {
            r.result = 4;
        } else {
            r.auth_code = "FW" + key;
            const std::lock_guard lock(p_.sessions_mu);
            p_.codes[key] = r.auth_code;
        }
        scratch_.clear();
        (void)jt808::encode_body(r, dialect_, scratch_);
        send(id::kRegisterResponse, scratch_);
    }

    void on_authenticate(const jt808::Header& h, jt808::Bytes body, const std::string& key, std::uint16_t serial) {
        auto decoded = jt808::decode_body(h, body);
        std::string code;
        if (decoded) {
            if (const auto* a = std::get_if<jt808::Authentication>(&*decoded)) {
                code.assign(a->auth_code.begin(), a->auth_code.end());
            }
        }
        bool ok = false;
        {
            const std::lock_guard lock(p_.sessions_mu);
            const auto it = p_.codes.find(key);
            ok = it != p_.codes.end() && it->second == code;
            if (ok) p_.by_phone[key] = weak_from_this();
        }
        if (ok) {
            authenticated_ = true;
            phone_key_ = key;
            p_.authentications.fetch_add(1, std::memory_order_relaxed);
        }
        ack(serial, h.msg_id, ok ? 0 : 1);
    }

    void ack(std::uint16_t serial, std::uint16_t msg_id, std::uint8_t result) {
        jt808::PlatformResponse r;
        r.reply_serial = serial;
        r.reply_msg_id = msg_id;
        r.result = result;
        scratch_.clear();
        (void)jt808::encode_body(r, dialect_, scratch_);
        send(id::kPlatformResponse, scratch_);
    }

    void send(std::uint16_t msg_id, jt808::Bytes body) {
        jt808::OutboundHeader h;
        h.msg_id = msg_id;
        h.dialect = dialect_;
        h.phone = phone_;
        h.serial = serial_++;
        (void)jt808::encode_frame(h, body, out_);
        if (out_.size() > kMaxWriteBacklog) {
            boost::system::error_code ignored;
            socket_.close(ignored);
            return;
        }
        do_write();
    }

    void do_write() {
        if (writing_active_ || out_.empty()) return;
        std::swap(out_, writing_);
        out_.clear();
        writing_active_ = true;
        asio::async_write(socket_, asio::buffer(writing_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                              self->writing_active_ = false;
                              self->writing_.clear();
                              if (!ec) self->do_write();
                          });
    }

    FakePlatform::Impl& p_;
    tcp::socket socket_;
    jt808::Framer framer_;
    jt808::Reassembler reassembler_;
    std::array<std::uint8_t, 16384> read_buf_{};
    jt808::Buffer out_;
    jt808::Buffer writing_;
    jt808::Buffer scratch_;
    bool writing_active_ = false;
    bool authenticated_ = false;
    std::string phone_key_;
    jt808::PhoneNumber phone_;
    jt808::Dialect dialect_ = jt808::Dialect::v2013;
    std::uint16_t serial_ = 0;
};

namespace {

void do_accept(FakePlatform::Impl& p) {
    p.acceptor.async_accept(asio::make_strand(p.io), [&p](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) {
            if (ec == asio::error::operation_aborted || p.stopping) return;
        } else {
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            p.connections.fetch_add(1, std::memory_order_relaxed);
            auto session = std::make_shared<FakeSession>(p, std::move(socket));
            {
                const std::lock_guard lock(p.sessions_mu);
                std::erase_if(p.sessions, [](const std::weak_ptr<FakeSession>& w) { return w.expired(); });
                p.sessions.push_back(session);
            }
            session->start();
        }
        do_accept(p);
    });
}

}  // namespace

FakePlatform::FakePlatform(FakePlatformOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

FakePlatform::~FakePlatform() { stop(); }

void FakePlatform::start() {
    Impl& p = *impl_;
    if (p.started) return;
    const auto hp = core::parse_host_port(p.options.listen, 0);
    if (!hp) throw std::system_error(std::make_error_code(std::errc::invalid_argument), "bad listen address " + p.options.listen);
    const tcp::endpoint ep(asio::ip::make_address(hp->host), hp->port);
    p.acceptor.open(ep.protocol());
    p.acceptor.set_option(tcp::acceptor::reuse_address(true));
    p.acceptor.bind(ep);
    p.acceptor.listen(asio::socket_base::max_listen_connections);
    p.port = p.acceptor.local_endpoint().port();
    p.work.emplace(p.io.get_executor());
    do_accept(p);
    p.started = true;
    for (std::size_t i = 0; i < std::max<std::size_t>(p.options.threads, 1); ++i) {
        p.threads.emplace_back([&p] { p.io.run(); });
    }
}

void FakePlatform::stop() {
    Impl& p = *impl_;
    if (!p.started || p.stopping.exchange(true)) return;
    asio::post(p.io, [&p] {
        boost::system::error_code ignored;
        p.acceptor.close(ignored);
    });
    drop_connections();
    p.work.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!p.io.stopped() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    p.io.stop();
    for (auto& t : p.threads) t.join();
}

std::uint16_t FakePlatform::port() const noexcept { return impl_->port; }

FakePlatformStats FakePlatform::stats() const {
    const Impl& p = *impl_;
    return FakePlatformStats{p.connections, p.open_sessions,  p.frames,    p.bad_frames,
                             p.registrations, p.authentications, p.locations, p.batches,
                             p.batch_items, p.heartbeats,      p.terminal_responses, p.resend_requests};
}

std::vector<ReceivedMessage> FakePlatform::received() const {
    const std::lock_guard lock(impl_->records_mu);
    return impl_->records;
}

std::vector<ReceivedMessage> FakePlatform::received(std::uint16_t msg_id) const {
    const std::lock_guard lock(impl_->records_mu);
    std::vector<ReceivedMessage> out;
    for (const auto& m : impl_->records) {
        if (m.msg_id == msg_id) out.push_back(m);
    }
    return out;
}

bool FakePlatform::send_text(std::string_view phone_key, const jt808::TextMessage& text) {
    std::shared_ptr<FakeSession> s;
    {
        const std::lock_guard lock(impl_->sessions_mu);
        const auto it = impl_->by_phone.find(std::string(phone_key));
        if (it != impl_->by_phone.end()) s = it->second.lock();
    }
    if (!s) return false;
    s->send_text(text);
    return true;
}

void FakePlatform::drop_connections() {
    std::vector<std::shared_ptr<FakeSession>> all;
    {
        const std::lock_guard lock(impl_->sessions_mu);
        for (auto& w : impl_->sessions) {
            if (auto s = w.lock()) all.push_back(std::move(s));
        }
    }
    for (auto& s : all) s->close();
}

bool FakePlatform::wait_until(const std::function<bool(const FakePlatformStats&)>& done,
                              std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(stats())) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace fleetwatch::sim
