// Private: the server's state shared by its sessions, and the session class.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/ingest/stats.hpp"
#include "fleetwatch/ingest/terminal_directory.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/reassembly.hpp"
#include "log_limiter.hpp"

namespace fleetwatch::ingest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, Strand>;
using Acceptor = asio::basic_socket_acceptor<tcp, Strand>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Strand>;
using SteadyClock = std::chrono::steady_clock;

class Session;

// Memory for one outstanding operation's handler, owned by its session (Asio's "custom
// allocation" example). A session has at most one read and one write in flight, and Asio frees
// an operation's memory before it calls the handler, so each reuses one block instead of going
// to malloc on every read and write. Larger requests, or one while the block is busy, fall back
// to operator new. Not thread-safe by itself: the session's strand orders its uses.
class HandlerMemory {
  public:
    HandlerMemory() = default;
    HandlerMemory(const HandlerMemory&) = delete;
    HandlerMemory& operator=(const HandlerMemory&) = delete;

    void* allocate(std::size_t size) {
        if (!in_use_ && size <= sizeof storage_) {
            in_use_ = true;
            return storage_;
        }
        return ::operator new(size);
    }
    void deallocate(void* p) noexcept {
        if (p == static_cast<void*>(storage_)) {
            in_use_ = false;
        } else {
            ::operator delete(p);
        }
    }

  private:
    alignas(std::max_align_t) unsigned char storage_[256];
    bool in_use_ = false;
};

template <class T>
class HandlerAllocator {
  public:
    using value_type = T;
    explicit HandlerAllocator(HandlerMemory& memory) noexcept : memory_(&memory) {}
    template <class U>
    HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}
    T* allocate(std::size_t n) const { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
    void deallocate(T* p, std::size_t) const noexcept { memory_->deallocate(p); }
    template <class U>
    bool operator==(const HandlerAllocator<U>& other) const noexcept {
        return memory_ == other.memory_;
    }

  private:
    template <class U>
    friend class HandlerAllocator;
    HandlerMemory* memory_;
};

// A completion handler whose associated allocator is a HandlerMemory.
template <class F>
class MemoryBoundHandler {
  public:
    using allocator_type = HandlerAllocator<char>;
    MemoryBoundHandler(HandlerMemory& memory, F f) : memory_(memory), f_(std::move(f)) {}
    allocator_type get_allocator() const noexcept { return allocator_type(memory_); }
    template <class... Args>
    void operator()(Args&&... args) {
        f_(std::forward<Args>(args)...);
    }

  private:
    HandlerMemory& memory_;
    F f_;
};

template <class F>
MemoryBoundHandler<F> bind_memory(HandlerMemory& memory, F f) {
    return MemoryBoundHandler<F>(memory, std::move(f));
}

// Per-thread scratch for one read's work: positions for the sink, acks waiting for the sink's
// answer, an encoder scratch buffer and counters added to the stats once per read. A read is
// handled start to end on one thread without yielding, so thread-local storage is safe and
// saves every session from carrying these buffers.
struct ReadScratch {
    struct ReplyTo {
        jt808::PhoneNumber phone;
        jt808::HeaderVersion version = jt808::HeaderVersion::v2013;
        std::uint8_t protocol_version = 1;
    };
    struct Ack {
        ReplyTo to;
        std::uint16_t reply_serial = 0;
        std::uint16_t msg_id = 0;
        std::uint8_t result = 0;
        bool from_sink = false;  // result 0 if the sink takes this read's positions, else 1
    };

    std::vector<core::Position> positions;
    std::vector<Ack> acks;
    jt808::Buffer body;  // encoder scratch
    std::array<std::uint32_t, kFrameSlots> frames{};
    std::array<std::uint32_t, kAckResults> ack_results{};
    std::uint64_t positions_accepted = 0;
    std::uint64_t bytes_in = 0;
    SteadyClock::time_point now{};
    core::Timestamp received_at{};  // reset per read; use arrival()

    // The wall-clock time of this read's arrival, read once per read when first needed.
    core::Timestamp arrival() {
        if (received_at == core::Timestamp{}) received_at = core::utc_now();
        return received_at;
    }

    static ReadScratch& local();
    void commit(IngestStats& stats);
};

struct Server::Impl {
    Impl(ServerOptions opts, TerminalDirectory& dir, core::EventSink& event_sink,
         IngestStats& ingest_stats);

    // --- called by sessions (any thread) -------------------------------------------------
    void refuse(Refusal reason, std::string_view peer, std::string_view phone,
                std::string_view detail = {});
    // A frame or body that did not decode: counted (fleetwatch_ingest_decode_errors_total by
    // reason) and logged (rate-limited per reason).
    void decode_error(const jt808::Error& error, std::string_view peer, std::string_view phone);
    // The session authenticated as `phone_key` (it was `previous_key` before, or empty).
    void on_authenticated(const std::shared_ptr<Session>& session, const std::string& phone_key,
                          const std::string& previous_key);
    void on_deauthenticated(const Session& session, const std::string& phone_key);
    void on_closed(const Session& session, const std::string& phone_key);
    std::shared_ptr<Session> find(std::string_view phone_key) const;

    // --- accept loop (on the acceptor's strand) ------------------------------------------
    void do_accept();
    void on_accept(const error_code& ec, Socket socket);

    ServerOptions options;
    const Limits& limits;
    TerminalDirectory& directory;
    core::EventSink& sink;
    IngestStats& stats;
    std::shared_ptr<spdlog::logger> log;
    LogLimiter refusal_log;
    LogLimiter decode_log;
    LogLimiter session_log;
    jt808::ReassemblyLimits reassembly;

    std::size_t thread_count;
    asio::io_context ioc;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    Strand accept_strand;
    Acceptor acceptor;
    Timer accept_retry;
    std::vector<std::thread> threads;
    asio::thread_pool registration_pool{1};
    std::atomic<std::size_t> pending_registrations{0};
    std::atomic<std::size_t> session_count{0};
    std::atomic<bool> stopping{false};
    bool started = false;
    bool stopped = false;
    std::uint16_t bound_port = 0;

    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    mutable std::mutex mutex;  // guards the maps below
    std::condition_variable all_closed;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
    std::unordered_map<std::string, std::weak_ptr<Session>, KeyHash, std::equal_to<>> by_phone;
    std::map<asio::ip::address, std::size_t> per_address;
    std::uint64_t next_session_id = 1;
};

class Session : public std::enable_shared_from_this<Session> {
  public:
    static constexpr std::size_t kReadBufferBytes = 2048;

    Session(Server::Impl& server, Socket socket, std::uint64_t id, asio::ip::address address,
            std::string peer);

    void start();                         // any thread
    void post_close(CloseReason reason);  // any thread
    void post_send(std::uint16_t msg_id, Server::BodyEncoder encode, Server::SentCallback on_sent);

    std::uint64_t id() const noexcept { return id_; }
    const asio::ip::address& address() const noexcept { return address_; }
    const std::string& peer() const noexcept { return peer_; }

    // Framer sink (called from inside on_read).
    void on_frame(std::span<const std::uint8_t> unescaped);
    void on_frame_error(const jt808::Error& error);

  private:
    using ReplyTo = ReadScratch::ReplyTo;

    void do_read();
    void on_read(const error_code& ec, std::size_t n);
    void start_write();
    void on_write(const error_code& ec, std::size_t n);
    void arm_timer();
    void on_timer(const error_code& ec, std::uint64_t generation);
    void close(CloseReason reason);
    bool check_write_queue();

    // Message handling; `reply_serial` is the serial to answer (the last fragment's for a
    // reassembled message).
    void handle_message(const jt808::Header& header, jt808::Bytes body, std::uint16_t reply_serial);
    void handle_subpackage(const jt808::Frame& frame);
    void handle_registration(const jt808::Header& header, jt808::Bytes body,
                             std::uint16_t reply_serial);
    void on_registered(const RegisterOutcome& outcome, const RegistrationDetails& details,
                       const ReplyTo& to, std::uint16_t reply_serial);
    void handle_authentication(const jt808::Header& header, jt808::Bytes body,
                               std::uint16_t reply_serial);
    void handle_unregister(const jt808::Header& header, std::uint16_t reply_serial);
    void note_contact();  // an authenticated terminal spoke: sink.contact (terminal_offline)
    void handle_location(const jt808::Header& header, jt808::Bytes body,
                         std::uint16_t reply_serial);
    void handle_location_query_reply(const jt808::Header& header, jt808::Bytes body,
                                     std::uint16_t reply_serial);
    void handle_batch(const jt808::Header& header, jt808::Bytes body, std::uint16_t reply_serial);
    void handle_driver_card(const jt808::Header& header, jt808::Bytes body,
                            std::uint16_t reply_serial);
    void handle_time_query(const jt808::Header& header);
    void send_resend_requests();

    // Replies. Acks are queued in the read scratch and written by `flush` after the sink has
    // answered; other replies first flush (so replies keep the requests' order).
    static ReplyTo reply_to(const jt808::Header& header) noexcept;
    void queue_ack(const jt808::Header& header, std::uint16_t reply_serial, std::uint8_t result);
    void queue_sink_ack(const jt808::Header& header, std::uint16_t reply_serial);
    void flush();
    void append_ack(const ReplyTo& to, std::uint16_t reply_serial, std::uint16_t msg_id,
                    std::uint8_t result);
    void append_message(const ReplyTo& to, std::uint16_t msg_id, jt808::Bytes body);
    jt808::OutboundHeader outbound(const ReplyTo& to, std::uint16_t msg_id) noexcept;
    jt808::Dialect header_dialect(jt808::HeaderVersion v) const noexcept;

    bool authenticated_for(const jt808::Header& header);  // refuses (ack 1) when not
    void set_authenticated(bool on);

    Server::Impl& server_;
    Socket socket_;
    Timer timer_;
    std::uint64_t timer_generation_ = 0;
    SteadyClock::time_point timer_deadline_{};
    const std::uint64_t id_;
    const asio::ip::address address_;
    const std::string peer_;
    jt808::Framer framer_;
    jt808::Reassembler reassembler_;
    jt808::Buffer out_;      // replies appended while a write is in flight
    jt808::Buffer writing_;  // the bytes of the write in flight
    bool write_in_flight_ = false;
    bool closed_ = false;
    bool authenticated_ = false;
    jt808::Dialect dialect_ = jt808::Dialect::v2013;
    std::string phone_key_;  // authenticated identity
    ReplyTo last_;           // header fields of the last valid frame (for 0x8003, downlink)
    core::VehicleId vehicle_id_ = 0;
    std::uint16_t next_serial_ = 0;  // the platform's own serial for this terminal
    SteadyClock::time_point opened_at_;
    SteadyClock::time_point unauthenticated_since_;
    SteadyClock::time_point last_frame_at_;
    HandlerMemory read_memory_;
    HandlerMemory write_memory_;
    std::array<std::uint8_t, kReadBufferBytes> read_buf_;
};

}  // namespace fleetwatch::ingest
