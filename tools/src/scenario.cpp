// Scenario mode, the I/O: one SimTerminal per simulated vehicle, all on one io_context run by one
// thread, so no handler needs a strand or a lock. Written in do_x/on_x pairs like the server's
// sessions. Each TCP connection is a Connection object that its handlers keep alive; a handler
// whose connection is no longer the terminal's current one does nothing.
#include "fleetwatch/sim/scenario.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <deque>
#include <thread>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/reassembly.hpp"
#include "fleetwatch/sim/gps_clock.hpp"

namespace fleetwatch::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxPending = 4096;         // unacknowledged messages remembered
constexpr std::size_t kMaxSubpackaged = 16;       // sub-packaged messages kept for 0x8003
constexpr std::size_t kMaxWriteBacklog = 1 << 20; // bytes queued for a peer that does not read
constexpr int kReportsPerTick = 500;              // bound on catch-up work per timer tick

const char* registration_result(std::uint8_t r) noexcept {
    switch (r) {
        case 0: return "ok";
        case 1: return "vehicle already registered";
        case 2: return "vehicle not in the database";
        case 3: return "terminal already registered";
        case 4: return "terminal not in the database";
        default: return "unknown result";
    }
}

struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    jt808::Framer framer;
    jt808::Reassembler reassembler;
    std::array<std::uint8_t, 4096> read_buf{};
    jt808::Buffer out;
    jt808::Buffer writing;
    bool write_in_progress = false;
};

}  // namespace

class SimTerminal;

struct Scenario::Impl {
    Impl(std::vector<TerminalSpec> specs_in, ScenarioOptions o, ScenarioHooks h)
        : specs(std::move(specs_in)), options(std::move(o)), hooks(std::move(h)),
          log(options.logger ? options.logger : spdlog::default_logger()),
          clock(options.gps_start, options.time_scale, SteadyClock::now()) {}

    void error(const std::string& what) {
        errors.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(error_mu);
        last_error = what;
    }

    std::vector<TerminalSpec> specs;
    ScenarioOptions options;
    ScenarioHooks hooks;
    std::shared_ptr<spdlog::logger> log;
    GpsClock clock;

    asio::io_context io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::resolver::results_type endpoints;
    std::vector<std::shared_ptr<SimTerminal>> terminals;
    std::thread thread;
    bool started = false;
    std::atomic<bool> stopping{false};

    std::atomic<std::uint64_t> sent{0}, acked{0}, dropped{0}, batches{0}, nacks{0}, texts{0},
        connects{0}, disconnects{0}, errors{0};
    mutable std::mutex error_mu;
    std::string last_error;
};

class SimTerminal : public std::enable_shared_from_this<SimTerminal> {
public:
    SimTerminal(Scenario::Impl& sc, const TerminalSpec& spec, std::size_t index)
        : sc_(sc), spec_(spec), id_(spec.identity), drive_(spec.route, spec.drive), timer_(sc.io),
          index_(index), backoff_(sc.options.reconnect_min) {}

    std::atomic<bool> connected{false};
    std::atomic<bool> authenticated{false};
    std::atomic<std::size_t> buffered{0};

    void start() {
        // Stagger the first connections a little so a fleet does not arrive in one burst.
        reconnect_at_ = SteadyClock::now() + milliseconds(20 * static_cast<long>(index_ % 50));
        tick();
    }

    void shutdown() {
        timer_.cancel();
        if (conn_) {
            boost::system::error_code ignored;
            conn_->socket.close(ignored);
            conn_.reset();
        }
        connected = false;
        authenticated = false;
    }

    // ---- Framer sink ----------------------------------------------------------------------

    void on_frame(std::span<const std::uint8_t> unescaped) {
        if (!conn_) return;  // an earlier frame of this read ended the link
        auto frame = jt808::parse_frame(unescaped);
        if (!frame) {
            sc_.error(id_.plate + ": bad frame from the server: " + frame.error().message());
            return;
        }
        const jt808::Header& h = frame->header;
        if (h.package) {
            auto added = conn_->reassembler.add(*frame, SteadyClock::now());
            send_general_response(h, 0);
            if (!added) {
                sc_.error(id_.plate + ": downlink sub-package refused: " + added.error().message());
                return;
            }
            if (*added) handle_message((*added)->header, (*added)->body, false);
            return;
        }
        handle_message(h, frame->body, true);
    }

    void on_frame_error(const jt808::Error& e) {
        sc_.error(id_.plate + ": framing error from the server: " + e.message());
    }

private:
    enum class Link : std::uint8_t { down, connecting, registering, authenticating, online };

    struct Pending {
        std::uint16_t msg_id = 0;
        std::uint16_t first_serial = 0;
        std::uint16_t parts = 1;
        std::uint16_t acked_parts = 0;  // count of distinct parts acknowledged (in order)
        std::vector<bool> part_acked;
        std::vector<Report> positions;
    };

    struct Subpackaged {
        std::uint16_t first_serial = 0;
        std::vector<jt808::Buffer> frames;
    };

    // ---- timer: reports, heartbeats, time-outs, reconnects ----------------------------------

    void tick() {
        if (sc_.stopping) return;
        const auto now = SteadyClock::now();
        const double t = sc_.clock.simulated_s(now);
        const double interval = sc_.options.report_interval_s;
        if (!ever_online_ && next_t_ <= t) {
            // Not switched on yet: the terminal starts reporting once it first logs in.
            k_ = static_cast<std::uint64_t>(std::floor(t / interval)) + 1;
            next_t_ = static_cast<double>(k_) * interval;
        }
        int budget = kReportsPerTick;
        while (next_t_ <= t && budget-- > 0) {
            const Fix fix = drive_.at(next_t_);
            const Report r = report_of(fix, sc_.clock.gps_time(next_t_), id_.dialect);
            last_report_ = r;
            switch (fix.delivery) {
                case Delivery::none: break;  // silent: this fix is never reported
                case Delivery::buffer: buffer(r); break;
                case Delivery::send:
                    if (link_ == Link::online) {
                        flush_backlog();
                        send_location(r);
                    } else {
                        buffer(r);
                    }
                    break;
            }
            ++k_;
            next_t_ = static_cast<double>(k_) * interval;
        }
        const bool quiet = delivery_at(drive_.config(), t) != Delivery::send;

        if (link_ == Link::down && !quiet && now >= reconnect_at_) do_connect();
        if (handshaking() && now >= reply_deadline_) {
            fail("no answer from the server to " + std::string(link_ == Link::registering ? "0x0100" : "0x0102") +
                 " within the reply timeout");
        }
        if (link_ == Link::registering && register_retry_at_ && now >= *register_retry_at_) send_register();
        if (link_ == Link::online && !quiet) {
            flush_backlog();
            if (now - last_send_ >= sc_.options.heartbeat) send_heartbeat();
        }
        schedule(now, budget < 0, quiet);
    }

    bool handshaking() const noexcept {
        return link_ == Link::connecting || (link_ == Link::registering && !register_retry_at_) ||
               link_ == Link::authenticating;
    }

    void schedule(SteadyClock::time_point now, bool behind, bool quiet) {
        auto wake = sc_.clock.wall_at(next_t_);
        if (behind) wake = now;
        if (link_ == Link::online && !quiet) {
            wake = std::min(wake, last_send_ + sc_.options.heartbeat);
            if (!backlog_.empty() && backfill_hold_until_ > now) wake = std::min(wake, backfill_hold_until_);
        }
        if (link_ == Link::down && !quiet) wake = std::min(wake, reconnect_at_);
        if (handshaking()) wake = std::min(wake, reply_deadline_);
        if (link_ == Link::registering && register_retry_at_) wake = std::min(wake, *register_retry_at_);
        timer_.expires_at(std::max(wake, now));
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec != asio::error::operation_aborted) self->tick();
        });
    }

    void reschedule() {
        // Re-evaluate now (state changed): cancelling the pending wait aborts its handler.
        timer_.cancel();
        asio::post(sc_.io, [self = shared_from_this()] { self->tick(); });
    }

    // ---- connection --------------------------------------------------------------------------

    void do_connect() {
        conn_ = std::make_shared<Connection>(sc_.io);
        link_ = Link::connecting;
        reply_deadline_ = SteadyClock::now() + sc_.options.reply_timeout;
        sc_.connects.fetch_add(1, std::memory_order_relaxed);
        asio::async_connect(conn_->socket, sc_.endpoints,
                            [self = shared_from_this(), c = conn_](const boost::system::error_code& ec,
                                                                   const tcp::endpoint&) { self->on_connect(c, ec); });
    }

    void on_connect(const std::shared_ptr<Connection>& c, const boost::system::error_code& ec) {
        if (c != conn_ || sc_.stopping) return;
        if (ec) {
            fail("connect to " + sc_.options.host + ":" + std::to_string(sc_.options.port) + " failed: " + ec.message());
            return;
        }
        boost::system::error_code ignored;
        c->socket.set_option(tcp::no_delay(true), ignored);
        connected = true;
        do_read(c);
        if (auth_code_.empty()) {
            send_register();
        } else {
            send_authenticate();
        }
    }

    void do_read(const std::shared_ptr<Connection>& c) {
        c->socket.async_read_some(asio::buffer(c->read_buf),
                                  [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t n) {
                                      self->on_read(c, ec, n);
                                  });
    }

    void on_read(const std::shared_ptr<Connection>& c, const boost::system::error_code& ec, std::size_t n) {
        if (c != conn_ || sc_.stopping) return;
        if (ec) {
            fail(ec == asio::error::eof ? std::string("the server closed the connection")
                                        : "read failed: " + ec.message());
            return;
        }
        c->framer.feed(std::span<const std::uint8_t>(c->read_buf.data(), n), *this);
        if (c == conn_) do_read(c);
    }

    void do_write() {
        const auto& c = conn_;
        if (!c || c->write_in_progress || c->out.empty()) return;
        std::swap(c->out, c->writing);
        c->out.clear();
        c->write_in_progress = true;
        last_send_ = SteadyClock::now();
        asio::async_write(c->socket, asio::buffer(c->writing),
                          [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t) {
                              self->on_write(c, ec);
                          });
    }

    void on_write(const std::shared_ptr<Connection>& c, const boost::system::error_code& ec) {
        c->write_in_progress = false;
        c->writing.clear();
        if (c != conn_ || sc_.stopping) return;
        if (ec) {
            fail("write failed: " + ec.message());
            return;
        }
        do_write();
    }

    // The link is gone (or never came up): back off, keep what was not acknowledged.
    void fail(const std::string& why) {
        sc_.error(id_.plate + ": " + why);
        if (link_ == Link::online || connected) {
            sc_.disconnects.fetch_add(1, std::memory_order_relaxed);
        }
        sc_.log->warn("{}: {}; reconnecting in {} ms", id_.plate, why, backoff_.count());
        if (conn_) {
            boost::system::error_code ignored;
            conn_->socket.close(ignored);
            conn_.reset();
        }
        link_ = Link::down;
        connected = false;
        authenticated = false;
        register_retry_at_.reset();
        requeue_unacked();
        subpackaged_.clear();
        reconnect_at_ = SteadyClock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, sc_.options.reconnect_max);
        reschedule();
    }

    void requeue_unacked() {
        std::vector<Report> back;
        for (Pending& p : pending_) {
            if (sc_.options.resend_unacked) back.insert(back.end(), p.positions.begin(), p.positions.end());
        }
        pending_.clear();
        if (back.empty()) return;
        std::sort(back.begin(), back.end(), [](const Report& a, const Report& b) { return a.gps_time < b.gps_time; });
        backlog_.insert(backlog_.begin(), back.begin(), back.end());
        trim_backlog();
    }

    // ---- sending -----------------------------------------------------------------------------

    // Frames `body` (sub-packages when longer than one frame) into the write buffer; returns the
    // serial of the first frame and the number of frames.
    std::pair<std::uint16_t, std::uint16_t> send_message(std::uint16_t msg_id, jt808::Bytes body) {
        jt808::OutboundHeader h;
        h.msg_id = msg_id;
        h.dialect = id_.dialect;
        h.phone = id_.phone;
        const std::uint16_t first = serial_;
        if (!conn_) return {first, 0};
        if (body.size() <= jt808::kMaxBodyBytes) {
            h.serial = serial_++;
            if (auto s = jt808::encode_frame(h, body, conn_->out); !s) {
                sc_.error(id_.plate + ": cannot encode " + std::to_string(msg_id) + ": " + s.error().message());
            }
        } else {
            const std::size_t total = (body.size() + jt808::kMaxBodyBytes - 1) / jt808::kMaxBodyBytes;
            Subpackaged keep;
            keep.first_serial = first;
            for (std::size_t i = 0; i < total; ++i) {
                h.serial = serial_++;
                h.package = jt808::PackageInfo{static_cast<std::uint16_t>(total), static_cast<std::uint16_t>(i + 1)};
                const std::size_t off = i * jt808::kMaxBodyBytes;
                jt808::Buffer frame;
                (void)jt808::encode_frame(h, body.subspan(off, std::min<std::size_t>(jt808::kMaxBodyBytes, body.size() - off)),
                                          frame);
                conn_->out.insert(conn_->out.end(), frame.begin(), frame.end());
                keep.frames.push_back(std::move(frame));
            }
            subpackaged_.push_back(std::move(keep));
            if (subpackaged_.size() > kMaxSubpackaged) subpackaged_.pop_front();
        }
        const auto parts = static_cast<std::uint16_t>(serial_ - first);
        if (conn_->out.size() > kMaxWriteBacklog) {
            fail("the server is not reading (write backlog over 1 MiB)");
            return {first, parts};
        }
        do_write();
        return {first, parts};
    }

    void expect_ack(std::uint16_t msg_id, std::pair<std::uint16_t, std::uint16_t> sent, std::vector<Report> positions) {
        Pending p;
        p.msg_id = msg_id;
        p.first_serial = sent.first;
        p.parts = sent.second;
        p.part_acked.assign(sent.second, false);
        p.positions = std::move(positions);
        pending_.push_back(std::move(p));
        if (pending_.size() > kMaxPending) {
            // Never answered: give its positions back to the back-fill queue.
            Pending old = std::move(pending_.front());
            pending_.pop_front();
            if (sc_.options.resend_unacked) {
                backlog_.insert(backlog_.begin(), old.positions.begin(), old.positions.end());
                trim_backlog();
            }
        }
    }

    void send_register() {
        register_retry_at_.reset();
        link_ = Link::registering;
        reply_deadline_ = SteadyClock::now() + sc_.options.reply_timeout;
        scratch_.clear();
        (void)encode_registration(id_, scratch_);
        register_serial_ = send_message(jt808::msg_id::kRegister, scratch_).first;
    }

    void send_authenticate() {
        link_ = Link::authenticating;
        reply_deadline_ = SteadyClock::now() + sc_.options.reply_timeout;
        scratch_.clear();
        (void)encode_authentication(id_, auth_code_, scratch_);
        expect_ack(jt808::msg_id::kAuthenticate, send_message(jt808::msg_id::kAuthenticate, scratch_), {});
    }

    void send_heartbeat() {
        expect_ack(jt808::msg_id::kHeartbeat, send_message(jt808::msg_id::kHeartbeat, {}), {});
    }

    void send_location(const Report& r) {
        scratch_.clear();
        (void)jt808::encode_body(location_of(r), id_.dialect, scratch_);
        expect_ack(jt808::msg_id::kLocation, send_message(jt808::msg_id::kLocation, scratch_), {r});
        sc_.sent.fetch_add(1, std::memory_order_relaxed);
    }

    void flush_backlog() {
        if (SteadyClock::now() < backfill_hold_until_) return;
        while (!backlog_.empty() && conn_) {
            const std::size_t n = std::min(backlog_.size(), std::max<std::size_t>(sc_.options.batch_max, 1));
            std::vector<Report> items(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(n));
            backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(n));
            std::vector<jt808::Location> locations;
            locations.reserve(n);
            for (const Report& r : items) locations.push_back(location_of(r));
            scratch_.clear();
            if (auto s = jt808::encode_location_batch(1, locations, id_.dialect, scratch_); !s) {
                sc_.error(id_.plate + ": cannot encode a 0x0704 batch: " + s.error().message());
                continue;
            }
            const auto sent = send_message(jt808::msg_id::kLocationBatch, scratch_);
            sc_.sent.fetch_add(n, std::memory_order_relaxed);
            sc_.batches.fetch_add(1, std::memory_order_relaxed);
            sc_.log->info("{}: back-filled {} positions in a 0x0704 blind-zone batch ({} frame{})", id_.plate, n,
                          sent.second, sent.second == 1 ? "" : "s");
            expect_ack(jt808::msg_id::kLocationBatch, sent, std::move(items));
        }
        buffered = backlog_.size();
    }

    void buffer(const Report& r) {
        backlog_.push_back(r);
        trim_backlog();
    }

    void trim_backlog() {
        while (backlog_.size() > sc_.options.max_buffered) {
            backlog_.pop_front();
            sc_.dropped.fetch_add(1, std::memory_order_relaxed);
        }
        buffered = backlog_.size();
    }

    void send_card() {
        if (!spec_.card || card_sent_) return;
        card_sent_ = true;
        scratch_.clear();
        const auto at = sc_.clock.gps_time(sc_.clock.simulated_s(SteadyClock::now()));
        (void)encode_card_insert(*spec_.card, at, id_.dialect, scratch_);
        expect_ack(jt808::msg_id::kDriverIdentity, send_message(jt808::msg_id::kDriverIdentity, scratch_), {});
        sc_.log->info("{}: IC card of {} inserted (0x0702)", id_.plate, spec_.card->name);
    }

    void send_general_response(const jt808::Header& h, std::uint8_t result) {
        jt808::TerminalResponse r;
        r.reply_serial = h.serial;
        r.reply_msg_id = h.msg_id;
        r.result = result;
        scratch_.clear();
        (void)jt808::encode_body(r, id_.dialect, scratch_);
        send_message(jt808::msg_id::kTerminalResponse, scratch_);
    }

    // ---- receiving ---------------------------------------------------------------------------

    void handle_message(const jt808::Header& h, jt808::Bytes body, bool answer) {
        auto decoded = jt808::decode_body(h, body);
        if (!decoded) {
            sc_.error(id_.plate + ": cannot decode downlink " + std::to_string(h.msg_id) + ": " +
                      decoded.error().message());
            if (answer) send_general_response(h, 2);
            return;
        }
        jt808::Body& b = *decoded;
        if (auto* r = std::get_if<jt808::PlatformResponse>(&b)) {
            on_platform_response(*r);
        } else if (auto* reg = std::get_if<jt808::RegistrationResponse>(&b)) {
            on_registration_response(*reg);
        } else if (auto* text = std::get_if<jt808::TextMessage>(&b)) {
            on_text(*text);
            if (answer) send_general_response(h, 0);
        } else if (auto* resend = std::get_if<jt808::PlatformResendRequest>(&b)) {
            on_resend_request(*resend);
        } else if (std::holds_alternative<jt808::LocationQuery>(b)) {
            jt808::LocationQueryResponse q;
            q.reply_serial = h.serial;
            q.location = location_of(last_report_);
            scratch_.clear();
            (void)jt808::encode_body(q, id_.dialect, scratch_);
            send_message(jt808::msg_id::kLocationQueryResponse, scratch_);
        } else if (answer) {
            send_general_response(h, 0);
        }
    }

    void on_registration_response(const jt808::RegistrationResponse& r) {
        if (link_ != Link::registering || r.reply_serial != register_serial_) return;
        if (r.result == 0) {
            auth_code_ = r.auth_code;
            sc_.log->info("{}: registered (0x8100 result 0)", id_.plate);
            send_authenticate();
            return;
        }
        sc_.error(id_.plate + ": registration refused: 0x8100 result " + std::to_string(r.result) + " (" +
                  registration_result(r.result) + ")");
        sc_.log->warn("{}: registration refused: 0x8100 result {} ({}); retrying in {} ms", id_.plate, r.result,
                      registration_result(r.result), backoff_.count());
        register_retry_at_ = SteadyClock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, sc_.options.reconnect_max);
        reschedule();
    }

    void on_platform_response(const jt808::PlatformResponse& r) {
        const auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
            return p.msg_id == r.reply_msg_id &&
                   static_cast<std::uint16_t>(r.reply_serial - p.first_serial) < p.parts;
        });
        if (it == pending_.end()) return;
        if (r.result != 0) {
            Pending p = std::move(*it);
            pending_.erase(it);
            on_refused(p, r.result);
            return;
        }
        const auto part = static_cast<std::uint16_t>(r.reply_serial - it->first_serial);
        if (!it->part_acked[part]) {
            it->part_acked[part] = true;
            ++it->acked_parts;
        }
        if (it->acked_parts < it->parts) return;
        Pending p = std::move(*it);
        pending_.erase(it);
        if (p.msg_id == jt808::msg_id::kAuthenticate) {
            on_authenticated();
            return;
        }
        if (!p.positions.empty() && refusals_ > 0) {
            refusals_ = 0;
            backoff_ = sc_.options.reconnect_min;
        }
        for (const Report& rep : p.positions) {
            sc_.acked.fetch_add(1, std::memory_order_relaxed);
            if (sc_.hooks.on_ack) {
                sc_.hooks.on_ack(AckedPosition{id_.phone_key, rep.gps_time, rep.lat_e6, rep.lon_e6, rep.speed_dkmh});
            }
        }
    }

    void on_refused(Pending& p, std::uint8_t result) {
        sc_.nacks.fetch_add(1, std::memory_order_relaxed);
        if (p.msg_id == jt808::msg_id::kAuthenticate) {
            sc_.log->warn("{}: authentication refused (0x8001 result {}); registering again", id_.plate, result);
            sc_.error(id_.plate + ": authentication refused (result " + std::to_string(result) + ")");
            auth_code_.clear();
            authenticated = false;
            send_register();
            return;
        }
        sc_.error(id_.plate + ": message 0x" + hex(p.msg_id) + " refused (0x8001 result " + std::to_string(result) + ")");
        if (result != 1 || p.positions.empty()) return;  // 2/3: the server will never take it
        // Result 1 is "failure, try again": the server is full (its spool) or no longer takes us as
        // authenticated. Keep the positions for a later back-fill and hold back-fills for a while;
        // if it keeps refusing, log in again.
        if (sc_.options.resend_unacked) {
            backlog_.insert(backlog_.begin(), p.positions.begin(), p.positions.end());
            trim_backlog();
        }
        backfill_hold_until_ = SteadyClock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, sc_.options.reconnect_max);
        if (++refusals_ >= 3) {
            refusals_ = 0;
            fail("the server refused positions 3 times in a row (result 1); logging in again");
        }
    }

    void on_authenticated() {
        refusals_ = 0;
        backfill_hold_until_ = {};
        link_ = Link::online;
        ever_online_ = true;
        authenticated = true;
        backoff_ = sc_.options.reconnect_min;
        sc_.log->info("{}: authenticated ({} over {})", id_.plate, id_.phone_key, jt808::to_string(id_.dialect));
        send_card();
        reschedule();
    }

    void on_text(const jt808::TextMessage& m) {
        TextReceived t{id_.phone_key, id_.plate, m.flag, (m.flag & jt808::TextMessage::kFlagTts) != 0, m.text};
        sc_.texts.fetch_add(1, std::memory_order_relaxed);
        sc_.log->info("{} to {}: {}", t.tts ? "TTS" : "text", id_.plate, m.text);
        if (sc_.hooks.on_text) sc_.hooks.on_text(t);
    }

    void on_resend_request(const jt808::PlatformResendRequest& r) {
        const auto it = std::find_if(subpackaged_.begin(), subpackaged_.end(),
                                     [&](const Subpackaged& s) { return s.first_serial == r.first_serial; });
        if (it == subpackaged_.end()) {
            sc_.log->warn("{}: 0x8003 asks for packages of serial {} which we no longer hold", id_.plate, r.first_serial);
            return;
        }
        std::size_t resent = 0;
        for (std::size_t i = 0; i < it->frames.size(); ++i) {
            const auto index = static_cast<std::uint16_t>(i + 1);
            if (!r.package_ids.empty() &&
                std::find(r.package_ids.begin(), r.package_ids.end(), index) == r.package_ids.end()) {
                continue;
            }
            conn_->out.insert(conn_->out.end(), it->frames[i].begin(), it->frames[i].end());
            ++resent;
        }
        sc_.log->info("{}: resent {} sub-package(s) of serial {} (0x8003)", id_.plate, resent, r.first_serial);
        do_write();
    }

    static std::string hex(std::uint16_t v) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(v));
        return buf;
    }

    Scenario::Impl& sc_;
    const TerminalSpec& spec_;
    const TerminalIdentity& id_;
    Drive drive_;
    asio::steady_timer timer_;
    std::size_t index_;

    std::shared_ptr<Connection> conn_;
    Link link_ = Link::down;
    std::string auth_code_;
    std::uint16_t serial_ = 0;
    std::uint16_t register_serial_ = 0;
    SteadyClock::time_point reconnect_at_{};
    SteadyClock::time_point reply_deadline_{};
    SteadyClock::time_point last_send_{};
    std::optional<SteadyClock::time_point> register_retry_at_;
    milliseconds backoff_;
    bool card_sent_ = false;
    SteadyClock::time_point backfill_hold_until_{};
    int refusals_ = 0;  // consecutive result-1 refusals of positions
    bool ever_online_ = false;

    std::uint64_t k_ = 0;   // index of the next report
    double next_t_ = 0;     // its simulated time
    Report last_report_{};
    std::deque<Report> backlog_;
    std::deque<Pending> pending_;
    std::deque<Subpackaged> subpackaged_;
    jt808::Buffer scratch_;
};

Scenario::Scenario(std::vector<TerminalSpec> terminals, ScenarioOptions options, ScenarioHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(terminals), std::move(options), std::move(hooks))) {}

Scenario::~Scenario() { stop(); }

void Scenario::start() {
    Impl& s = *impl_;
    if (s.started) return;
    tcp::resolver resolver(s.io);
    s.endpoints = resolver.resolve(s.options.host, std::to_string(s.options.port));  // throws system_error
    s.clock = GpsClock(s.options.gps_start, s.options.time_scale, SteadyClock::now());
    for (std::size_t i = 0; i < s.specs.size(); ++i) {
        s.terminals.push_back(std::make_shared<SimTerminal>(s, s.specs[i], i));
    }
    s.work.emplace(s.io.get_executor());
    for (auto& t : s.terminals) asio::post(s.io, [t] { t->start(); });
    s.started = true;
    s.thread = std::thread([&s] { s.io.run(); });
}

void Scenario::stop() {
    Impl& s = *impl_;
    if (!s.started || s.stopping.exchange(true)) return;
    asio::post(s.io, [&s] {
        for (auto& t : s.terminals) t->shutdown();
    });
    s.work.reset();
    // Shut-down handlers run promptly; anything still queued after that is not ours to wait for.
    const auto deadline = SteadyClock::now() + std::chrono::seconds(2);
    while (!s.io.stopped() && SteadyClock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
    s.io.stop();
    if (s.thread.joinable()) s.thread.join();
}

ScenarioStats Scenario::stats() const {
    const Impl& s = *impl_;
    ScenarioStats st;
    st.terminals = s.specs.size();
    for (const auto& t : s.terminals) {
        st.connected += t->connected ? 1u : 0u;
        st.authenticated += t->authenticated ? 1u : 0u;
        st.positions_buffered += t->buffered;
    }
    st.positions_sent = s.sent;
    st.positions_acked = s.acked;
    st.positions_dropped = s.dropped;
    st.batches_sent = s.batches;
    st.nacks = s.nacks;
    st.texts = s.texts;
    st.connects = s.connects;
    st.disconnects = s.disconnects;
    st.errors = s.errors;
    st.simulated_s = s.started ? s.clock.simulated_s(SteadyClock::now()) : 0;
    const std::lock_guard lock(s.error_mu);
    st.last_error = s.last_error;
    return st;
}

std::string Scenario::status_line() const {
    const ScenarioStats st = stats();
    const auto secs = static_cast<std::int64_t>(st.simulated_s);
    const std::string gps = core::format_rfc3339(impl_->clock.gps_time(st.simulated_s));
    char head[160];
    std::snprintf(head, sizeof head, "sim: t=%02" PRId64 ":%02" PRId64 ":%02" PRId64 " gps=%s", secs / 3600,
                  (secs / 60) % 60, secs % 60, gps.c_str());
    char body[400];
    std::snprintf(body, sizeof body,
                  " terminals=%" PRIu64 " connected=%" PRIu64 " authenticated=%" PRIu64 " sent=%" PRIu64
                  " acked=%" PRIu64 " buffered=%" PRIu64 " dropped=%" PRIu64 " batches=%" PRIu64 " texts=%" PRIu64
                  " nacks=%" PRIu64 " disconnects=%" PRIu64 " errors=%" PRIu64 " last_error=",
                  st.terminals, st.connected, st.authenticated, st.positions_sent, st.positions_acked,
                  st.positions_buffered, st.positions_dropped, st.batches_sent, st.texts, st.nacks, st.disconnects,
                  st.errors);
    return std::string(head) + body + (st.last_error.empty() ? "-" : st.last_error);
}

}  // namespace fleetwatch::sim
