// Load mode. One LoadWorker per thread, each with its own io_context, connections, pacing timer
// and counters (atomics read by the controlling thread). A connection's handlers capture it by
// raw pointer plus a generation number: connections live as long as their worker, and a handler
// from an earlier socket of the same connection (before a reconnect) sees a stale generation and
// does nothing.
#include "fleetwatch/sim/load.hpp"

#include <sys/resource.h>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <deque>
#include <thread>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/sim/gps_clock.hpp"
#include "fleetwatch/sim/wire.hpp"

namespace fleetwatch::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace id = jt808::msg_id;

constexpr auto kPaceTick = milliseconds(1);
constexpr auto kConnectTick = milliseconds(10);
constexpr auto kHouseTick = milliseconds(200);
constexpr auto kRetryAfter = milliseconds(2000);
constexpr std::size_t kMaxWriteBacklog = 256 * 1024;
// Positions: each terminal drives east from its own start point, 10 m per report (36 km/h at one
// report per GPS second), back to the start every 2000 reports.
constexpr std::int32_t kStepLonE6 = 106;
constexpr std::uint32_t kTrackLength = 2000;

std::int64_t now_us() noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch()).count();
}

enum class Phase : int { connecting = 0, sending = 1, draining = 2, stopped = 3 };

// Memory for one outstanding operation's handler, reused (Asio's "allocation" example). Asio's
// own per-thread cache keeps two blocks, fewer than the writes one pacing tick starts, so
// without this every write would call malloc. A block in use (a stale operation from before a
// reconnect) makes the next one fall back to the heap.
class HandlerMemory {
public:
    void* allocate(std::size_t size) {
        if (!in_use_ && size <= sizeof(storage_)) {
            in_use_ = true;
            return storage_;
        }
        return ::operator new(size);
    }
    void deallocate(void* p) noexcept {
        if (p == storage_) {
            in_use_ = false;
        } else {
            ::operator delete(p);
        }
    }

private:
    alignas(std::max_align_t) unsigned char storage_[512];
    bool in_use_ = false;
};

template <class T>
class HandlerAllocator {
public:
    using value_type = T;
    explicit HandlerAllocator(HandlerMemory& m) noexcept : memory_(&m) {}
    template <class U>
    HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}  // NOLINT: rebinding
    T* allocate(std::size_t n) const { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
    void deallocate(T* p, std::size_t) const noexcept { memory_->deallocate(p); }
    friend bool operator==(const HandlerAllocator& a, const HandlerAllocator& b) noexcept {
        return a.memory_ == b.memory_;
    }

    HandlerMemory* memory_;
};

// A completion handler whose operation memory comes from a HandlerMemory.
template <class Handler>
class WithMemory {
public:
    using allocator_type = HandlerAllocator<Handler>;
    WithMemory(HandlerMemory& m, Handler h) : memory_(&m), handler_(std::move(h)) {}
    allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }
    template <class... Args>
    void operator()(Args&&... args) {
        handler_(std::forward<Args>(args)...);
    }

private:
    HandlerMemory* memory_;
    Handler handler_;
};

// One terminal connection.
struct LoadConn {
    enum class State : std::uint8_t { idle, connecting, registering, authenticating, ready };

    LoadConn(asio::io_context& io, TerminalIdentity ident, std::size_t global_index, std::size_t worker_slot)
        : socket(io), id(std::move(ident)), index(global_index), slot(worker_slot) {}

    tcp::socket socket;
    TerminalIdentity id;
    std::size_t index;  // among all terminals of the run
    std::size_t slot;   // among its worker's connections
    jt808::Framer framer;  // full size: downlinks such as 0x8300 text can be long
    std::array<std::uint8_t, 2048> read_buf{};
    jt808::Buffer out;
    jt808::Buffer writing;
    bool write_in_progress = false;
    HandlerMemory read_memory;
    HandlerMemory write_memory;
    State state = State::idle;
    bool was_ready = false;
    std::uint32_t generation = 0;
    std::string code;
    std::uint16_t serial = 0;
    std::uint16_t register_serial = 0;
    std::uint16_t auth_serial = 0;
    SteadyClock::time_point deadline{};
    SteadyClock::time_point last_send{};

    struct InFlight {
        std::uint16_t serial;
        std::uint32_t seq;
        std::int64_t sent_us;
    };
    std::vector<InFlight> in_flight;  // capacity fixed at the --in-flight limit

    // The un-escaped 0x0200 frame (header, body, check byte) and where to patch it.
    std::array<std::uint8_t, 96> tmpl{};
    std::size_t tmpl_len = 0;
    std::size_t serial_at = 0;
    std::size_t body_at = 0;
    std::int32_t home_lat_e6 = 0;
    std::int32_t home_lon_e6 = 0;
    std::uint32_t seq = 0;

    bool ready() const noexcept { return state == State::ready; }
};

struct WorkerCounters {
    std::atomic<std::uint64_t> sent{0}, acked{0}, nacked{0}, errors{0}, disconnects{0}, heartbeats{0},
        heartbeats_acked{0}, in_flight{0}, connected{0}, authenticated{0}, handshakes{0};
    std::atomic<std::uint64_t> interval_max_us{0};
};

class LoadWorker {
public:
    LoadWorker(const LoadOptions& o, tcp::resolver::results_type endpoints, core::Timestamp gps_start,
               double share, std::shared_ptr<spdlog::logger> log)
        : o_(o), endpoints_(std::move(endpoints)), gps_start_(gps_start), share_(share), log_(std::move(log)),
          pace_timer_(io_), connect_timer_(io_), house_timer_(io_) {}

    asio::io_context& io() noexcept { return io_; }
    WorkerCounters& counters() noexcept { return c_; }
    LatencyHistogram& histogram() noexcept { return hist_; }

    void add(const LoadTerminal& t, std::size_t index) {
        auto ident = TerminalIdentity::make(t.phone, t.plate, t.plate_color, o_.dialect);
        if (!ident) {
            log_->error("load: terminal phone \"{}\" is not 1-20 digits; skipped", t.phone);
            return;
        }
        conns_.push_back(std::make_unique<LoadConn>(io_, std::move(*ident), index, conns_.size()));
        LoadConn& c = *conns_.back();
        c.in_flight.reserve(std::max(1u, o_.in_flight));
        build_template(c);
        connect_queue_.push_back({conns_.size() - 1, SteadyClock::time_point{}});
    }

    // ---- control (posted from the controlling thread) ----

    void start() {
        last_connect_tick_ = SteadyClock::now();
        connect_tick();
        house_tick();
    }

    void start_sending(SteadyClock::time_point t0) {
        phase_ = Phase::sending;
        send_start_ = t0;
        sent_target_base_ = 0;
        if (!o_.hold) pace_tick();
    }

    void stop_sending() { phase_ = Phase::draining; }

    void shutdown() {
        phase_ = Phase::stopped;
        pace_timer_.cancel();
        connect_timer_.cancel();
        house_timer_.cancel();
        for (auto& c : conns_) {
            boost::system::error_code ignored;
            c->socket.close(ignored);
        }
    }

    // ---- Framer sink (current connection: `current_`) ----

    void on_frame(std::span<const std::uint8_t> unescaped) {
        LoadConn& c = *current_;
        auto frame = jt808::parse_frame(unescaped);
        if (!frame) {
            c_.errors.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const jt808::Header& h = frame->header;
        switch (h.msg_id) {
            case id::kPlatformResponse: on_ack(c, frame->body); break;
            case id::kRegisterResponse: on_registered(c, frame->body); break;
            default: answer(c, h); break;
        }
    }
    void on_frame_error(const jt808::Error&) { c_.errors.fetch_add(1, std::memory_order_relaxed); }

private:
    // ---- frames ----

    void build_template(LoadConn& c) {
        // Each terminal starts somewhere in a 30 km square over Nanjing.
        c.home_lat_e6 = 31'900'000 + static_cast<std::int32_t>(c.index % 100) * 3000;
        c.home_lon_e6 = 118'600'000 + static_cast<std::int32_t>((c.index / 100) % 100) * 3000;
        Report r;
        r.gps_time = gps_start_;
        r.lat_e6 = c.home_lat_e6;
        r.lon_e6 = c.home_lon_e6;
        r.speed_dkmh = 360;
        r.direction = 90;
        r.altitude_m = 20;
        r.status = status_bit::kAcc | status_bit::kPositioned | status_bit::kGps | status_bit::kBeidou;
        if (o_.dialect == jt808::Dialect::v2019) r.status |= status_bit::kMoving2019;
        jt808::Buffer body;
        (void)jt808::encode_body(location_of(r), o_.dialect, body);
        jt808::OutboundHeader h;
        h.msg_id = id::kLocation;
        h.dialect = o_.dialect;
        h.phone = c.id.phone;
        jt808::Buffer wire;
        (void)jt808::encode_frame(h, body, wire);
        // Un-escape the encoder's frame: the template must be the raw bytes we patch.
        std::size_t n = 0;
        for (std::size_t i = 1; i + 1 < wire.size() && n < c.tmpl.size(); ++i) {
            std::uint8_t b = wire[i];
            if (b == jt808::kEscape && i + 2 < wire.size()) b = wire[++i] == 0x01 ? jt808::kEscape : jt808::kFlag;
            c.tmpl[n++] = b;
        }
        c.tmpl_len = n;
        const std::size_t header = o_.dialect == jt808::Dialect::v2019 ? 17 : 12;
        c.serial_at = header - 2;
        c.body_at = header;
    }

    static void put16(std::uint8_t* p, std::uint16_t v) noexcept {
        p[0] = static_cast<std::uint8_t>(v >> 8);
        p[1] = static_cast<std::uint8_t>(v);
    }
    static void put32(std::uint8_t* p, std::uint32_t v) noexcept {
        p[0] = static_cast<std::uint8_t>(v >> 24);
        p[1] = static_cast<std::uint8_t>(v >> 16);
        p[2] = static_cast<std::uint8_t>(v >> 8);
        p[3] = static_cast<std::uint8_t>(v);
    }

    std::int32_t lon_of(const LoadConn& c, std::uint32_t seq) const noexcept {
        return c.home_lon_e6 + static_cast<std::int32_t>(seq % kTrackLength) * kStepLonE6;
    }

    // Appends the next 0x0200 of `c` to its write buffer (no allocation once `out` has grown).
    void queue_location(LoadConn& c, std::int64_t t_us) {
        const std::uint16_t serial = c.serial++;
        const std::uint32_t seq = c.seq++;
        std::uint8_t* f = c.tmpl.data();
        put16(f + c.serial_at, serial);
        std::uint8_t* body = f + c.body_at;
        put32(body + 12, static_cast<std::uint32_t>(lon_of(c, seq)));
        const jt808::BcdTime t = to_bcd_gmt8(gps_start_ + std::chrono::seconds{seq});
        std::copy(t.raw.begin(), t.raw.end(), body + 22);
        put32(body + 30, seq / 10);  // mileage item 0x01 (first extra): 1/10 km
        const std::size_t check_at = c.tmpl_len - 1;
        f[check_at] = jt808::xor_checksum(jt808::Bytes{f, check_at});
        jt808::escape_into(jt808::Bytes{f, c.tmpl_len}, c.out);
        c.in_flight.push_back({serial, seq, t_us});
        c_.sent.fetch_add(1, std::memory_order_relaxed);
        c_.in_flight.fetch_add(1, std::memory_order_relaxed);
    }

    void send_message(LoadConn& c, std::uint16_t msg_id, jt808::Bytes body) {
        jt808::OutboundHeader h;
        h.msg_id = msg_id;
        h.dialect = o_.dialect;
        h.phone = c.id.phone;
        h.serial = c.serial++;
        (void)jt808::encode_frame(h, body, c.out);
        do_write(c);
    }

    // ---- connection ----

    void connect_tick() {
        if (phase_ == Phase::stopped) return;
        const auto now = SteadyClock::now();
        const double dt = std::chrono::duration<double>(now - last_connect_tick_).count();
        last_connect_tick_ = now;
        connect_allowance_ = std::min(connect_allowance_ + dt * o_.connect_rate * share_, 1000.0);
        const auto max_handshakes = static_cast<std::uint64_t>(
            std::max(1.0, std::ceil(static_cast<double>(o_.max_handshakes) * share_)));
        std::size_t scanned = connect_queue_.size();
        while (connect_allowance_ >= 1.0 && !connect_queue_.empty() && scanned-- > 0 &&
               c_.handshakes.load(std::memory_order_relaxed) < max_handshakes) {
            const auto [i, not_before] = connect_queue_.front();
            connect_queue_.pop_front();
            if (not_before > now) {
                connect_queue_.push_back({i, not_before});
                continue;
            }
            connect_allowance_ -= 1.0;
            do_connect(*conns_[i]);
        }
        connect_timer_.expires_after(kConnectTick);
        connect_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) connect_tick();
        });
    }

    void do_connect(LoadConn& c) {
        ++c.generation;
        c.socket = tcp::socket(io_);
        c.framer.reset();
        c.out.clear();
        c.write_in_progress = false;
        c.state = LoadConn::State::connecting;
        c.deadline = SteadyClock::now() + o_.reply_timeout;
        c_.handshakes.fetch_add(1, std::memory_order_relaxed);
        asio::async_connect(c.socket, endpoints_,
                            [this, &c, gen = c.generation](const boost::system::error_code& ec, const tcp::endpoint&) {
                                if (gen != c.generation || phase_ == Phase::stopped) return;
                                if (ec) {
                                    fail(c, "connect failed: " + ec.message());
                                    return;
                                }
                                boost::system::error_code ignored;
                                c.socket.set_option(tcp::no_delay(true), ignored);
                                c_.connected.fetch_add(1, std::memory_order_relaxed);
                                do_read(c);
                                if (c.code.empty()) {
                                    send_register(c);
                                } else {
                                    send_authenticate(c);
                                }
                            });
    }

    void send_register(LoadConn& c) {
        c.state = LoadConn::State::registering;
        c.deadline = SteadyClock::now() + o_.reply_timeout;
        scratch_.clear();
        (void)encode_registration(c.id, scratch_);
        c.register_serial = c.serial;
        send_message(c, id::kRegister, scratch_);
    }

    void send_authenticate(LoadConn& c) {
        c.state = LoadConn::State::authenticating;
        c.deadline = SteadyClock::now() + o_.reply_timeout;
        scratch_.clear();
        (void)encode_authentication(c.id, c.code, scratch_);
        c.auth_serial = c.serial;
        send_message(c, id::kAuthenticate, scratch_);
    }

    void do_read(LoadConn& c) {
        c.socket.async_read_some(asio::buffer(c.read_buf),
                                 WithMemory(c.read_memory, [this, &c, gen = c.generation](
                                                               const boost::system::error_code& ec, std::size_t n) {
                                     if (gen != c.generation || phase_ == Phase::stopped) return;
                                     if (ec) {
                                         fail(c, ec == asio::error::eof ? "the server closed the connection"
                                                                        : "read failed: " + ec.message());
                                         return;
                                     }
                                     read_us_ = now_us();
                                     current_ = &c;
                                     c.framer.feed(std::span<const std::uint8_t>(c.read_buf.data(), n), *this);
                                     if (gen == c.generation) do_read(c);
                                 }));
    }

    void do_write(LoadConn& c) {
        if (c.write_in_progress || c.out.empty()) return;
        if (c.out.size() > kMaxWriteBacklog) {
            fail(c, "the server is not reading (write backlog)");
            return;
        }
        std::swap(c.out, c.writing);
        c.out.clear();
        c.write_in_progress = true;
        c.last_send = SteadyClock::now();
        asio::async_write(c.socket, asio::buffer(c.writing),
                          WithMemory(c.write_memory, [this, &c, gen = c.generation](
                                                         const boost::system::error_code& ec, std::size_t) {
                              if (gen != c.generation) return;
                              c.write_in_progress = false;
                              c.writing.clear();
                              if (phase_ == Phase::stopped) return;
                              if (ec) {
                                  fail(c, "write failed: " + ec.message());
                                  return;
                              }
                              do_write(c);
                          }));
    }

    void fail(LoadConn& c, const std::string& why) {
        c_.errors.fetch_add(1, std::memory_order_relaxed);
        if (c.state != LoadConn::State::idle && c.state != LoadConn::State::ready) {
            c_.handshakes.fetch_sub(1, std::memory_order_relaxed);
        }
        if (c.state == LoadConn::State::ready) {
            c_.disconnects.fetch_add(1, std::memory_order_relaxed);
            c_.authenticated.fetch_sub(1, std::memory_order_relaxed);
        }
        if (c.state != LoadConn::State::idle && c.state != LoadConn::State::connecting) {
            c_.connected.fetch_sub(1, std::memory_order_relaxed);
        }
        if (errors_logged_ < 20) {
            ++errors_logged_;
            log_->warn("load: {}: {}{}", c.id.phone_key, why, errors_logged_ == 20 ? " (further errors not logged)" : "");
        }
        c_.in_flight.fetch_sub(c.in_flight.size(), std::memory_order_relaxed);
        c.in_flight.clear();
        ++c.generation;
        boost::system::error_code ignored;
        c.socket.close(ignored);
        c.state = LoadConn::State::idle;
        c.write_in_progress = false;
        if (phase_ != Phase::stopped && phase_ != Phase::draining) {
            connect_queue_.push_back({c.slot, SteadyClock::now() + kRetryAfter});
        }
    }

    // ---- replies ----

    void on_registered(LoadConn& c, jt808::Bytes body) {
        if (c.state != LoadConn::State::registering || body.size() < 3) return;
        if (((body[0] << 8) | body[1]) != c.register_serial) return;
        const std::uint8_t result = body[2];
        if (result != 0) {
            fail(c, "registration refused: 0x8100 result " + std::to_string(result) +
                        (result == 4 ? " (terminal not in the database: import a fleet made by gen-fleet, or "
                                       "turn on ingest.auto_register)"
                                     : ""));
            return;
        }
        c.code.assign(body.begin() + 3, body.end());
        send_authenticate(c);
    }

    void on_ack(LoadConn& c, jt808::Bytes body) {
        if (body.size() < 5) return;
        const auto serial = static_cast<std::uint16_t>((body[0] << 8) | body[1]);
        const auto msg = static_cast<std::uint16_t>((body[2] << 8) | body[3]);
        const std::uint8_t result = body[4];
        if (msg == id::kLocation) {
            for (std::size_t i = 0; i < c.in_flight.size(); ++i) {
                if (c.in_flight[i].serial != serial) continue;
                const LoadConn::InFlight f = c.in_flight[i];
                c.in_flight[i] = c.in_flight.back();
                c.in_flight.pop_back();
                c_.in_flight.fetch_sub(1, std::memory_order_relaxed);
                const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(read_us_ - f.sent_us, 0));
                hist_.record(latency);
                std::uint64_t m = c_.interval_max_us.load(std::memory_order_relaxed);
                while (latency > m && !c_.interval_max_us.compare_exchange_weak(m, latency, std::memory_order_relaxed)) {
                }
                if (result == 0) {
                    c_.acked.fetch_add(1, std::memory_order_relaxed);
                    if (o_.ack_log) {
                        o_.ack_log->write(AckedPosition{c.id.phone_key, gps_start_ + std::chrono::seconds{f.seq},
                                                        c.home_lat_e6, lon_of(c, f.seq), 360});
                    }
                } else {
                    c_.nacked.fetch_add(1, std::memory_order_relaxed);
                }
                break;
            }
            return;
        }
        if (msg == id::kAuthenticate && c.state == LoadConn::State::authenticating && serial == c.auth_serial) {
            if (result != 0) {
                c.code.clear();  // registers again on the next attempt
                fail(c, "authentication refused (0x8001 result " + std::to_string(result) + ")");
                return;
            }
            c.state = LoadConn::State::ready;
            c_.handshakes.fetch_sub(1, std::memory_order_relaxed);
            c_.authenticated.fetch_add(1, std::memory_order_relaxed);
            c.was_ready = true;
            return;
        }
        if (msg == id::kHeartbeat && result == 0) c_.heartbeats_acked.fetch_add(1, std::memory_order_relaxed);
    }

    // Any other downlink: a terminal answers with 0x0001 result 0.
    void answer(LoadConn& c, const jt808::Header& h) {
        jt808::TerminalResponse r;
        r.reply_serial = h.serial;
        r.reply_msg_id = h.msg_id;
        scratch_.clear();
        (void)jt808::encode_body(r, o_.dialect, scratch_);
        send_message(c, id::kTerminalResponse, scratch_);
    }

    // ---- timers ----

    void pace_tick() {
        if (phase_ != Phase::sending) return;
        const auto now = SteadyClock::now();
        const std::int64_t t_us = now_us();
        const std::size_t n = conns_.size();
        const std::size_t cap = std::max(1u, o_.in_flight);
        std::uint64_t due = 0;
        if (o_.rate > 0) {
            const double elapsed = std::chrono::duration<double>(now - send_start_).count();
            const auto target = static_cast<std::uint64_t>(o_.rate * share_ * elapsed);
            const std::uint64_t done = sent_local_ + sent_target_base_;
            due = target > done ? target - done : 0;
            // Behind by more than every connection can take: give up on the excess rather than
            // bursting it later (the achieved rate shows the shortfall).
            const std::uint64_t room = static_cast<std::uint64_t>(n) * cap;
            if (due > room) {
                sent_target_base_ += due - room;
                due = room;
            }
        } else {
            due = static_cast<std::uint64_t>(n) * cap;
        }
        // Round-robin, up to `burst` reports (one write) per connection per turn, so in-flight
        // slots fill evenly.
        const std::size_t burst = std::max<std::size_t>(1, o_.burst);
        bool progress = true;
        while (due > 0 && progress && n > 0) {
            progress = false;
            for (std::size_t visited = 0; visited < n && due > 0; ++visited) {
                LoadConn& c = *conns_[cursor_];
                cursor_ = cursor_ + 1 == n ? 0 : cursor_ + 1;
                if (!c.ready() || c.in_flight.size() >= cap) continue;
                const std::size_t k = std::min({burst, cap - c.in_flight.size(), static_cast<std::size_t>(due)});
                for (std::size_t i = 0; i < k; ++i) queue_location(c, t_us);
                do_write(c);
                sent_local_ += k;
                due -= k;
                progress = true;
            }
        }
        pace_timer_.expires_at(now + kPaceTick);
        pace_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) pace_tick();
        });
    }

    void house_tick() {
        if (phase_ == Phase::stopped) return;
        const auto now = SteadyClock::now();
        for (auto& cp : conns_) {
            LoadConn& c = *cp;
            switch (c.state) {
                case LoadConn::State::connecting:
                case LoadConn::State::registering:
                case LoadConn::State::authenticating:
                    if (now >= c.deadline) fail(c, "no answer within the reply timeout");
                    break;
                case LoadConn::State::ready:
                    if (o_.hold && phase_ != Phase::draining && now - c.last_send >= o_.heartbeat) {
                        send_message(c, id::kHeartbeat, {});
                        c_.heartbeats.fetch_add(1, std::memory_order_relaxed);
                    }
                    break;
                case LoadConn::State::idle: break;
            }
        }
        house_timer_.expires_after(kHouseTick);
        house_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) house_tick();
        });
    }

    const LoadOptions& o_;
    asio::io_context io_{1};
    tcp::resolver::results_type endpoints_;
    core::Timestamp gps_start_;
    double share_;
    std::shared_ptr<spdlog::logger> log_;
    asio::steady_timer pace_timer_;
    asio::steady_timer connect_timer_;
    asio::steady_timer house_timer_;
    std::vector<std::unique_ptr<LoadConn>> conns_;
    std::deque<std::pair<std::size_t, SteadyClock::time_point>> connect_queue_;
    WorkerCounters c_;
    LatencyHistogram hist_;
    jt808::Buffer scratch_;
    LoadConn* current_ = nullptr;
    std::int64_t read_us_ = 0;
    Phase phase_ = Phase::connecting;
    SteadyClock::time_point send_start_{};
    SteadyClock::time_point last_connect_tick_{};
    double connect_allowance_ = 0;
    std::uint64_t sent_local_ = 0;
    std::uint64_t sent_target_base_ = 0;
    std::size_t cursor_ = 0;
    int errors_logged_ = 0;
};

struct Totals {
    std::uint64_t sent = 0, acked = 0, nacked = 0, errors = 0, disconnects = 0, heartbeats = 0,
                  heartbeats_acked = 0, in_flight = 0, connected = 0, authenticated = 0, interval_max_us = 0;
};

Totals totals(std::vector<std::unique_ptr<LoadWorker>>& workers, bool take_interval_max) {
    Totals t;
    for (auto& w : workers) {
        WorkerCounters& c = w->counters();
        t.sent += c.sent;
        t.acked += c.acked;
        t.nacked += c.nacked;
        t.errors += c.errors;
        t.disconnects += c.disconnects;
        t.heartbeats += c.heartbeats;
        t.heartbeats_acked += c.heartbeats_acked;
        t.in_flight += c.in_flight;
        t.connected += c.connected;
        t.authenticated += c.authenticated;
        if (take_interval_max) t.interval_max_us = std::max(t.interval_max_us, c.interval_max_us.exchange(0));
    }
    return t;
}

HistogramSnapshot latency(std::vector<std::unique_ptr<LoadWorker>>& workers) {
    HistogramSnapshot s;
    for (auto& w : workers) s.merge(w->histogram().snapshot());
    return s;
}

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

bool cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

}  // namespace

std::uint64_t raise_fd_limit(std::uint64_t wanted) noexcept {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur >= wanted) return rl.rlim_cur;
    if (rl.rlim_max < wanted) {
        rlimit raised{wanted, wanted};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;  // root may raise the hard limit
    }
    rl.rlim_cur = std::min<rlim_t>(std::max<rlim_t>(wanted, rl.rlim_cur), rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

std::string LoadReport::summary_line() const {
    char buf[512];
    if (hold) {
        std::snprintf(buf, sizeof buf,
                      "hold: terminals=%zu authenticated=%zu connect_s=%.1f seconds=%.1f heartbeats=%" PRIu64
                      " acked=%" PRIu64 " errors=%" PRIu64 " disconnects=%" PRIu64,
                      terminals, authenticated, connect_s, seconds, sent, acked, errors, disconnects);
        return buf;
    }
    std::snprintf(buf, sizeof buf,
                  "load: terminals=%zu authenticated=%zu connect_s=%.1f seconds=%.1f sent=%" PRIu64 " acked=%" PRIu64
                  " nacked=%" PRIu64 " unacked=%" PRIu64 " rate=%.0f/s p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f"
                  " max_ms=%.2f errors=%" PRIu64 " disconnects=%" PRIu64,
                  terminals, authenticated, connect_s, seconds, sent, acked, nacked, unacked, rate(),
                  ms(latency_us.percentile(50)), ms(latency_us.percentile(90)), ms(latency_us.percentile(99)),
                  ms(latency_us.max), errors, disconnects);
    return buf;
}

LoadReport run_load(const LoadOptions& o, std::FILE* progress, const std::atomic<bool>* cancel) {
    auto log = o.logger ? o.logger : spdlog::default_logger();
    LoadReport report;
    report.hold = o.hold;
    report.terminals = o.terminals.size();

    const std::uint64_t want_fds = o.terminals.size() + 64;
    const std::uint64_t fds = raise_fd_limit(want_fds);
    if (fds < want_fds) {
        log->warn("load: the open-file limit is {} but {} connections need about {}; some will fail "
                  "(ulimit -n)", fds, o.terminals.size(), want_fds);
    }

    asio::io_context resolve_io;
    tcp::resolver resolver(resolve_io);
    const auto endpoints = resolver.resolve(o.host, std::to_string(o.port));  // throws system_error

    // GPS time of each terminal's first report: the last one should not be in the future.
    core::Timestamp gps_start = o.gps_start.value_or(core::Timestamp{});
    if (!o.gps_start) {
        const double secs = std::chrono::duration<double>(o.duration).count();
        const double per_terminal = o.rate > 0 && !o.terminals.empty()
                                        ? o.rate * secs / static_cast<double>(o.terminals.size())
                                        : 86'400.0;
        gps_start = system_now() - std::chrono::seconds{static_cast<std::int64_t>(std::ceil(per_terminal)) + 120};
    }

    const unsigned threads = std::max(1u, std::min<unsigned>(o.threads, static_cast<unsigned>(std::max<std::size_t>(o.terminals.size(), 1))));
    std::vector<std::unique_ptr<LoadWorker>> workers;
    std::vector<std::size_t> per_worker(threads, 0);
    for (std::size_t i = 0; i < o.terminals.size(); ++i) ++per_worker[i % threads];
    for (unsigned t = 0; t < threads; ++t) {
        const double share = o.terminals.empty() ? 1.0
                                                 : static_cast<double>(per_worker[t]) / static_cast<double>(o.terminals.size());
        workers.push_back(std::make_unique<LoadWorker>(o, endpoints, gps_start, share, log));
    }
    for (std::size_t i = 0; i < o.terminals.size(); ++i) workers[i % threads]->add(o.terminals[i], i);

    std::vector<std::thread> pool;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers) {
        guards.push_back(asio::make_work_guard(w->io()));
        asio::post(w->io(), [p = w.get()] { p->start(); });
        pool.emplace_back([p = w.get()] { p->io().run(); });
    }

    auto print = [&](const char* fmt, auto... args) {
        if (progress == nullptr) return;
        std::fprintf(progress, fmt, args...);
        std::fflush(progress);
    };

    // Phase 1: connect and authenticate.
    const auto connect_start = SteadyClock::now();
    auto next_report = connect_start + o.report_every;
    while (!cancelled(cancel)) {
        const Totals t = totals(workers, false);
        if (t.authenticated >= o.terminals.size()) break;
        const auto now = SteadyClock::now();
        if (now - connect_start >= o.ready_timeout) {
            log->warn("load: only {} of {} terminals authenticated within {} s; going on with them", t.authenticated,
                      o.terminals.size(), std::chrono::duration_cast<std::chrono::seconds>(o.ready_timeout).count());
            break;
        }
        if (now >= next_report) {
            print("load: connecting t=%.0fs connected=%" PRIu64 " authenticated=%" PRIu64 "/%zu errors=%" PRIu64 "\n",
                  std::chrono::duration<double>(now - connect_start).count(), t.connected, t.authenticated,
                  o.terminals.size(), t.errors);
            next_report += o.report_every;
        }
        std::this_thread::sleep_for(milliseconds(5));
    }
    const auto send_start = SteadyClock::now();
    report.connect_s = std::chrono::duration<double>(send_start - connect_start).count();
    report.authenticated = totals(workers, false).authenticated;
    print("load: %" PRIu64 " of %zu terminals authenticated in %.1f s; %s for %.0f s\n",
          static_cast<std::uint64_t>(report.authenticated), o.terminals.size(), report.connect_s,
          o.hold ? "holding" : "sending", std::chrono::duration<double>(o.duration).count());

    // Phase 2: send (or hold).
    const Totals base = totals(workers, true);
    for (auto& w : workers) asio::post(w->io(), [p = w.get(), send_start] { p->start_sending(send_start); });
    HistogramSnapshot prev_hist = latency(workers);
    Totals prev = base;
    auto prev_time = send_start;
    next_report = send_start + o.report_every;
    const auto send_end = send_start + o.duration;
    while (!cancelled(cancel)) {
        const auto now = SteadyClock::now();
        if (now >= next_report || now >= send_end) {
            const Totals t = totals(workers, true);
            const double dt = std::chrono::duration<double>(now - prev_time).count();
            const double elapsed = std::chrono::duration<double>(now - send_start).count();
            if (o.hold) {
                print("hold: t=%.0fs authenticated=%" PRIu64 " heartbeats=%" PRIu64 " acked=%" PRIu64
                      " disconnects=%" PRIu64 " errors=%" PRIu64 "\n",
                      elapsed, t.authenticated, t.heartbeats - base.heartbeats,
                      t.heartbeats_acked - base.heartbeats_acked, t.disconnects - base.disconnects,
                      t.errors - base.errors);
            } else {
                const HistogramSnapshot h = latency(workers);
                const HistogramSnapshot interval = h.minus(prev_hist);
                print("load: t=%.0fs rate=%.0f/s sent=%" PRIu64 " acked=%" PRIu64 " inflight=%" PRIu64
                      " p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%" PRIu64 "\n",
                      elapsed, dt > 0 ? static_cast<double>(t.sent - prev.sent) / dt : 0.0, t.sent - base.sent,
                      t.acked - base.acked, t.in_flight, ms(interval.percentile(50)), ms(interval.percentile(90)),
                      ms(interval.percentile(99)), ms(t.interval_max_us), t.errors - base.errors);
                prev_hist = h;
            }
            prev = t;
            prev_time = now;
            next_report += o.report_every;
        }
        if (now >= send_end) break;
        std::this_thread::sleep_for(std::min<SteadyClock::duration>(milliseconds(5), send_end - now));
    }
    const auto sending_stopped = SteadyClock::now();
    for (auto& w : workers) asio::post(w->io(), [p = w.get()] { p->stop_sending(); });

    // Phase 3: drain the last acks.
    const auto drain_end = SteadyClock::now() + o.drain;
    while (SteadyClock::now() < drain_end && !cancelled(cancel) && totals(workers, false).in_flight > 0) {
        std::this_thread::sleep_for(milliseconds(5));
    }

    const Totals t = totals(workers, false);
    report.seconds = std::chrono::duration<double>(sending_stopped - send_start).count();
    report.sent = o.hold ? t.heartbeats - base.heartbeats : t.sent - base.sent;
    report.acked = o.hold ? t.heartbeats_acked - base.heartbeats_acked : t.acked - base.acked;
    report.nacked = t.nacked - base.nacked;
    report.unacked = t.in_flight;
    report.errors = t.errors;
    report.disconnects = t.disconnects;
    report.latency_us = latency(workers);

    for (auto& w : workers) asio::post(w->io(), [p = w.get()] { p->shutdown(); });
    guards.clear();
    for (auto& w : workers) {
        // Let the shut-down handlers run, then stop whatever is left.
        const auto deadline = SteadyClock::now() + milliseconds(500);
        while (!w->io().stopped() && SteadyClock::now() < deadline) std::this_thread::sleep_for(milliseconds(2));
        w->io().stop();
    }
    for (auto& th : pool) th.join();
    return report;
}

}  // namespace fleetwatch::sim
