// One terminal connection: read -> frames -> replies, on the session's strand.
//
// Style: do_x starts an operation, on_x is its completion handler; every handler holds a
// shared_ptr to the session, so the session lives while an operation is pending and dies when
// the last one completes after close().
#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/ingest/positions.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/messages.hpp"
#include "fleetwatch/jt808/text.hpp"
#include "server_impl.hpp"

namespace fleetwatch::ingest {

namespace {

namespace id = jt808::msg_id;

constexpr std::uint8_t kResultOk = 0;
constexpr std::uint8_t kResultFailure = 1;
constexpr std::uint8_t kResultMessageError = 2;
constexpr std::uint8_t kResultUnsupported = 3;

// Printable ASCII of a peer's bytes (others as '?'), for a log line or a text column.
std::string printable_ascii(jt808::Bytes b) {
    std::string out;
    out.reserve(b.size());
    for (const std::uint8_t c : b) out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
    return out;
}

// The messages a terminal may send before it authenticated (link management).
bool allowed_before_auth(std::uint16_t msg_id) noexcept {
    return msg_id == id::kTerminalResponse || msg_id == id::kHeartbeat ||
           msg_id == id::kUnregister || msg_id == id::kTimeQuery || msg_id == id::kRegister ||
           msg_id == id::kAuthenticate;
}

}  // namespace

// ---- ReadScratch ------------------------------------------------------------------------------

ReadScratch& ReadScratch::local() {
    thread_local ReadScratch scratch;
    return scratch;
}

void ReadScratch::commit(IngestStats& stats) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i] != 0) {
            stats.frames[i]->Increment(frames[i]);
            frames[i] = 0;
        }
    }
    for (std::size_t i = 0; i < ack_results.size(); ++i) {
        if (ack_results[i] != 0) {
            stats.acks[i]->Increment(ack_results[i]);
            ack_results[i] = 0;
        }
    }
    if (positions_accepted != 0) {
        stats.positions_accepted.Increment(static_cast<double>(positions_accepted));
        positions_accepted = 0;
    }
    if (bytes_in != 0) {
        stats.bytes_received.Increment(static_cast<double>(bytes_in));
        bytes_in = 0;
    }
}

// ---- life cycle -------------------------------------------------------------------------------

Session::Session(Server::Impl& server, Socket socket, std::uint64_t id, asio::ip::address address,
                 std::string peer)
    : server_(server),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      id_(id),
      address_(std::move(address)),
      peer_(std::move(peer)),
      framer_(server.limits.max_frame_bytes),
      reassembler_(server.reassembly) {}

void Session::start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        const auto now = SteadyClock::now();
        self->opened_at_ = now;
        self->unauthenticated_since_ = now;
        self->last_frame_at_ = now;
        self->arm_timer();
        self->do_read();
    });
}

void Session::post_close(CloseReason reason) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), reason] { self->close(reason); });
}

void Session::close(CloseReason reason) {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    auto& stats = server_.stats;
    stats.close_reason(reason).Increment();
    (authenticated_ ? stats.sessions_authenticated : stats.sessions_unauthenticated).Decrement();
    stats.session_duration.Observe(
        std::chrono::duration<double>(SteadyClock::now() - opened_at_).count());
    std::uint64_t suppressed = 0;
    const bool quiet = reason == CloseReason::peer_closed || reason == CloseReason::shutdown;
    if (server_.session_log.allow(static_cast<std::size_t>(reason), suppressed)) {
        server_.log->log(quiet ? spdlog::level::debug : spdlog::level::info,
                         "session closed reason={} peer={} phone={} vehicle={}{}",
                         to_string(reason), peer_, phone_key_.empty() ? "-" : phone_key_,
                         vehicle_id_,
                         suppressed ? fmt::format(" ({} similar suppressed)", suppressed) : "");
    }
    server_.on_closed(*this, authenticated_ ? phone_key_ : std::string{});
    // Buffers are released with the session; nothing else to do here.
}

// ---- reading ----------------------------------------------------------------------------------

void Session::do_read() {
    socket_.async_read_some(
        asio::buffer(read_buf_),
        bind_memory(read_memory_, [self = shared_from_this()](const error_code& ec, std::size_t n) {
            self->on_read(ec, n);
        }));
}

void Session::on_read(const error_code& ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
        close(ec == asio::error::eof || ec == asio::error::connection_reset
                  ? CloseReason::peer_closed
                  : CloseReason::read_error);
        return;
    }
    ReadScratch& s = ReadScratch::local();
    s.now = SteadyClock::now();
    s.received_at = core::Timestamp{};  // computed on first use
    s.bytes_in += n;
    framer_.feed(std::span<const std::uint8_t>{read_buf_.data(), n}, *this);
    if (closed_) {
        s.positions.clear();
        s.acks.clear();
        s.commit(server_.stats);
        return;
    }
    flush();
    s.commit(server_.stats);
    if (framer_.buffered() + reassembler_.buffered_bytes() > server_.limits.max_buffered_bytes) {
        server_.refuse(Refusal::buffered_bytes, peer_, phone_key_);
        close(CloseReason::buffered_bytes);
        return;
    }
    if (!check_write_queue()) return;
    start_write();
    do_read();
}

void Session::on_frame(std::span<const std::uint8_t> unescaped) {
    if (closed_) return;
    ReadScratch& s = ReadScratch::local();
    auto frame = jt808::parse_frame(unescaped);
    if (!frame) {
        const jt808::Error& e = frame.error();
        server_.decode_error(e, peer_, phone_key_);
        // Answer "message error" only when the header can be trusted: with a bad check byte any
        // header field (the serial, the phone) may be the damaged one, so the terminal is left
        // to retransmit on its own timeout.
        if (e.code != jt808::Errc::bad_checksum) {
            if (auto header = jt808::parse_header(unescaped)) {
                queue_ack(*header, header->serial, kResultMessageError);
            }
        }
        return;
    }
    last_frame_at_ = s.now;
    const jt808::Header& h = frame->header;
    ++s.frames[frame_slot(h.msg_id)];
    // The header fields 0x8003 and downlink messages are sent with: the terminal's own frames
    // only, once it authenticated (a frame for another phone is refused below).
    if (!authenticated_ || h.phone.key() == phone_key_) last_ = reply_to(h);
    if (h.package) {
        handle_subpackage(*frame);
        return;
    }
    handle_message(h, frame->body, h.serial);
}

void Session::on_frame_error(const jt808::Error& error) {
    if (closed_) return;
    server_.decode_error(error, peer_, phone_key_);
    if (error.code == jt808::Errc::frame_too_large) {
        // No terminal sends a frame this long: the peer is not speaking JT/T 808. What this
        // read decoded so far is dropped unanswered (on_read), so the terminal would resend it.
        server_.refuse(Refusal::frame_too_large, peer_, phone_key_);
        close(CloseReason::frame_too_large);
    }
}

// ---- dispatch ---------------------------------------------------------------------------------

bool Session::authenticated_for(const jt808::Header& h) {
    if (!authenticated_) {
        queue_ack(h, h.serial, kResultFailure);
        server_.refuse(Refusal::not_authenticated, peer_, h.phone.key());
        return false;
    }
    if (h.phone.key() != phone_key_) {
        queue_ack(h, h.serial, kResultFailure);
        server_.refuse(Refusal::phone_mismatch, peer_, phone_key_, h.phone.key());
        return false;
    }
    return true;
}

void Session::handle_message(const jt808::Header& h, jt808::Bytes body,
                             std::uint16_t reply_serial) {
    if (!allowed_before_auth(h.msg_id)) {
        // authenticated_for answers with this frame's serial; a reassembled message is checked
        // before it is buffered (handle_subpackage), so here h.serial == reply_serial or the
        // session was authenticated already.
        if (!authenticated_for(h)) return;
    }
    switch (h.msg_id) {
        case id::kTerminalResponse:  // an answer to our downlink; nothing to reply
        case id::kPlatformResponse:
            note_contact();
            return;
        case id::kHeartbeat:
            note_contact();
            queue_ack(h, reply_serial, kResultOk);
            return;
        case id::kUnregister:
            handle_unregister(h, reply_serial);
            return;
        case id::kTimeQuery:
            handle_time_query(h);
            return;
        case id::kRegister:
            handle_registration(h, body, reply_serial);
            return;
        case id::kAuthenticate:
            handle_authentication(h, body, reply_serial);
            return;
        case id::kLocation:
            handle_location(h, body, reply_serial);
            return;
        case id::kLocationQueryResponse:
            handle_location_query_reply(h, body, reply_serial);
            return;
        case id::kLocationBatch:
            handle_batch(h, body, reply_serial);
            return;
        case id::kDriverIdentity:
            handle_driver_card(h, body, reply_serial);
            return;
        case id::kParameterQueryResponse:  // answers to 0x8104/0x8106: accepted, used later
            note_contact();
            queue_ack(h, reply_serial, kResultOk);
            return;
        default:
            // Counted in frames_total ("other" or its id); not something we process.
            queue_ack(h, reply_serial, kResultUnsupported);
            return;
    }
}

void Session::handle_subpackage(const jt808::Frame& frame) {
    const jt808::Header& h = frame.header;
    // Nothing is buffered for a terminal that has not authenticated.
    if (!authenticated_for(h)) return;
    const bool was_idle = reassembler_.pending() == 0;
    auto added = reassembler_.add(frame, ReadScratch::local().now);
    if (!added) {
        const jt808::Error& e = added.error();
        server_.decode_error(e, peer_, phone_key_);
        if (e.code == jt808::Errc::reassembly_limit) {
            server_.refuse(Refusal::reassembly_limit, peer_, phone_key_);
            queue_ack(h, h.serial, kResultFailure);
        } else {
            queue_ack(h, h.serial, kResultMessageError);
        }
        return;
    }
    if (!*added) {
        queue_ack(h, h.serial, kResultOk);  // one part of several; the last one carries the result
        if (was_idle && reassembler_.pending() > 0) arm_timer();  // resend checks from now on
        return;
    }
    server_.stats.messages_reassembled.Increment();
    const jt808::ReassembledMessage& m = **added;
    handle_message(m.header, m.body, h.serial);
}

void Session::handle_registration(const jt808::Header& h, jt808::Bytes body,
                                  std::uint16_t reply_serial) {
    flush();
    std::optional<jt808::Dialect> hint;
    if (authenticated_ && dialect_ == jt808::Dialect::v2011) hint = dialect_;
    auto reg = jt808::decode_registration(body, h.version, hint);
    if (!reg) {
        server_.decode_error(reg.error(), peer_, h.phone.key());
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    if (server_.pending_registrations.load(std::memory_order_relaxed) >=
        server_.limits.max_pending_registrations) {
        // No answer: the terminal retries on its own timeout.
        server_.refuse(Refusal::registration_backlog, peer_, h.phone.key());
        return;
    }
    RegistrationDetails details;
    details.phone_key = std::string(h.phone.key());
    details.dialect = reg->dialect;
    details.province = reg->province;
    details.city = reg->city;
    details.maker = jt808::gbk_to_utf8(reg->maker);
    details.model = jt808::gbk_to_utf8(reg->model);
    details.terminal_id = jt808::gbk_to_utf8(reg->terminal_id);
    details.plate_color = reg->plate_color;
    details.plate = jt808::gbk_to_utf8(reg->plate);

    // The directory's hooks may reach the database: run them off the I/O threads, answer on
    // this session's strand.
    server_.pending_registrations.fetch_add(1, std::memory_order_relaxed);
    asio::post(server_.registration_pool, [self = shared_from_this(), details = std::move(details),
                                           to = reply_to(h), reply_serial]() mutable {
        RegisterOutcome outcome = self->server_.directory.register_terminal(details);
        self->server_.pending_registrations.fetch_sub(1, std::memory_order_relaxed);
        asio::post(self->socket_.get_executor(),
                   [self, outcome = std::move(outcome), details = std::move(details), to,
                    reply_serial] { self->on_registered(outcome, details, to, reply_serial); });
    });
}

void Session::on_registered(const RegisterOutcome& outcome, const RegistrationDetails& details,
                            const ReplyTo& to, std::uint16_t reply_serial) {
    if (closed_) return;
    jt808::RegistrationResponse response;
    response.reply_serial = reply_serial;
    switch (outcome.status) {
        case RegisterStatus::ok:
        case RegisterStatus::auto_registered:
            response.result = 0;
            response.auth_code = outcome.record.auth_code;
            dialect_ = details.dialect;
            server_.stats
                .registration(outcome.status == RegisterStatus::ok
                                  ? RegistrationResult::ok
                                  : RegistrationResult::auto_registered)
                .Increment();
            server_.log->info(
                "terminal registered phone={} vehicle={} plate={} dialect={}{} peer={}",
                details.phone_key, outcome.record.vehicle_id, details.plate,
                jt808::to_string(details.dialect),
                outcome.status == RegisterStatus::auto_registered ? " (auto)" : "", peer_);
            break;
        case RegisterStatus::unknown_terminal:
            response.result = 4;  // terminal not in the database
            server_.stats.registration(RegistrationResult::unknown_terminal).Increment();
            server_.refuse(Refusal::unknown_terminal, peer_, details.phone_key, "0x0100");
            break;
    }
    ReadScratch& s = ReadScratch::local();
    s.body.clear();
    if (jt808::encode_body(response, header_dialect(to.version), s.body)) {
        append_message(to, id::kRegisterResponse, s.body);
    }
    if (check_write_queue()) start_write();
}

void Session::handle_authentication(const jt808::Header& h, jt808::Bytes body,
                                    std::uint16_t reply_serial) {
    auto decoded = jt808::decode_body(h, body);
    const auto* auth = decoded ? std::get_if<jt808::Authentication>(&*decoded) : nullptr;
    if (auth == nullptr) {
        if (!decoded) {
            server_.decode_error(decoded.error(), peer_, h.phone.key());
        }
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    const std::string_view key = h.phone.key();
    const AuthOutcome outcome = server_.directory.authenticate(key, auth->auth_code);
    if (outcome.status != AuthStatus::ok) {
        const bool unknown = outcome.status == AuthStatus::unknown_terminal;
        server_.stats
            .authentication(unknown ? AuthenticationResult::unknown_terminal
                                    : AuthenticationResult::bad_code)
            .Increment();
        server_.refuse(unknown ? Refusal::unknown_terminal : Refusal::bad_auth_code, peer_, key,
                       "0x0102");
        queue_ack(h, reply_serial, kResultFailure);
        return;
    }
    std::string previous = authenticated_ ? phone_key_ : std::string{};
    phone_key_ = std::string(key);
    vehicle_id_ = outcome.vehicle_id;
    // 2011 and 2013 share a header; the directory remembers which one registered.
    if (h.version == jt808::HeaderVersion::v2019) {
        dialect_ = jt808::Dialect::v2019;
    } else {
        dialect_ =
            outcome.dialect == jt808::Dialect::v2019 ? jt808::Dialect::v2013 : outcome.dialect;
    }
    set_authenticated(true);
    last_ = reply_to(h);
    server_.on_authenticated(shared_from_this(), phone_key_, previous);
    server_.stats.authentication(AuthenticationResult::ok).Increment();
    // Printable ASCII only: these are digits and version strings from the peer, bound for a
    // text column and the log.
    std::string imei = printable_ascii(auth->imei);
    if (server_.options.on_authenticated) {
        server_.options.on_authenticated(TerminalAuthenticated{
            phone_key_, vehicle_id_, dialect_, imei, printable_ascii(auth->software_version),
            std::chrono::system_clock::now()});
    }
    server_.log->debug("terminal authenticated phone={} vehicle={} dialect={} imei={} peer={}",
                       phone_key_, vehicle_id_, jt808::to_string(dialect_), imei, peer_);
    queue_ack(h, reply_serial, kResultOk);
}

void Session::handle_unregister(const jt808::Header& h, std::uint16_t reply_serial) {
    queue_ack(h, reply_serial, kResultOk);
    if (!authenticated_ || h.phone.key() != phone_key_) return;
    // JT808.md §1.5: after 0x0003 the terminal must register again.
    server_.directory.revoke_auth_code(phone_key_);
    server_.on_deauthenticated(*this, phone_key_);
    set_authenticated(false);
    unauthenticated_since_ = ReadScratch::local().now;
    server_.log->info("terminal unregistered phone={} peer={}", phone_key_, peer_);
    phone_key_.clear();
    vehicle_id_ = 0;
    arm_timer();
}

void Session::handle_time_query(const jt808::Header& h) {
    flush();
    ReadScratch& s = ReadScratch::local();
    jt808::ServerTime t{core::to_civil(core::utc_now())};  // 0x8004 carries UTC (JT808.md §1.6)
    s.body.clear();
    if (jt808::encode_body(t, header_dialect(h.version), s.body)) {
        append_message(reply_to(h), id::kServerTime, s.body);
        server_.stats.time_replies.Increment();
    }
}

void Session::note_contact() {
    if (vehicle_id_ == 0) return;  // a heartbeat before authentication says nothing of a vehicle
    server_.sink.contact(vehicle_id_, ReadScratch::local().arrival());
}

void Session::handle_location(const jt808::Header& h, jt808::Bytes body,
                              std::uint16_t reply_serial) {
    ReadScratch& s = ReadScratch::local();
    auto location = jt808::decode_location(body);
    if (!location) {
        server_.decode_error(location.error(), peer_, phone_key_);
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    to_position(*location, vehicle_id_, s.arrival(), core::PositionSource::live,
                s.positions.emplace_back());
    queue_sink_ack(h, reply_serial);
}

void Session::handle_location_query_reply(const jt808::Header& h, jt808::Bytes body,
                                          std::uint16_t reply_serial) {
    ReadScratch& s = ReadScratch::local();
    auto decoded = jt808::decode_body(h, body);
    const auto* reply = decoded ? std::get_if<jt808::LocationQueryResponse>(&*decoded) : nullptr;
    if (reply == nullptr) {
        if (!decoded) {
            server_.decode_error(decoded.error(), peer_, phone_key_);
        }
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    to_position(reply->location, vehicle_id_, s.arrival(), core::PositionSource::query_reply,
                s.positions.emplace_back());
    queue_sink_ack(h, reply_serial);
}

void Session::handle_batch(const jt808::Header& h, jt808::Bytes body, std::uint16_t reply_serial) {
    ReadScratch& s = ReadScratch::local();
    auto decoded = jt808::decode_body(h, body);
    const auto* batch = decoded ? std::get_if<jt808::LocationBatch>(&*decoded) : nullptr;
    if (batch == nullptr) {
        if (!decoded) {
            server_.decode_error(decoded.error(), peer_, phone_key_);
        }
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    const core::Timestamp received_at = s.arrival();
    const auto source =
        batch->type == 1 ? core::PositionSource::blind_zone : core::PositionSource::batch;
    std::size_t good = 0;
    std::size_t bad = 0;
    jt808::LocationBatchIterator it(*batch);
    while (auto item = it.next()) {
        if (*item) {
            to_position(**item, vehicle_id_, received_at, source, s.positions.emplace_back());
            ++good;
        } else {
            // One corrupt item does not cost the others (JT808.md §1.8).
            ++bad;
            server_.decode_error(item->error(), peer_, phone_key_);
        }
    }
    if (good == 0 && bad > 0) {
        queue_ack(h, reply_serial, kResultMessageError);
    } else {
        queue_sink_ack(h, reply_serial);
    }
}

void Session::handle_driver_card(const jt808::Header& h, jt808::Bytes body,
                                 std::uint16_t reply_serial) {
    flush();  // positions of this read go to the sink before the card event
    // Only a remembered 2011 dialect changes the layout; otherwise the body tells.
    std::optional<jt808::Dialect> hint;
    if (dialect_ == jt808::Dialect::v2011) hint = dialect_;
    auto decoded = jt808::decode_driver_identity(body, h.version, hint);
    if (!decoded) {
        server_.decode_error(decoded.error(), peer_, phone_key_);
        queue_ack(h, reply_serial, kResultMessageError);
        return;
    }
    const core::DriverCardEvent event = to_driver_card_event(*decoded, vehicle_id_, core::utc_now());
    if (server_.sink.submit(event)) {
        server_.stats.driver_card_events.Increment();
        queue_ack(h, reply_serial, kResultOk);
    } else {
        server_.refuse(Refusal::sink_refused, peer_, phone_key_, "0x0702");
        queue_ack(h, reply_serial, kResultFailure);
    }
}

// ---- replies ----------------------------------------------------------------------------------

Session::ReplyTo Session::reply_to(const jt808::Header& h) noexcept {
    return ReplyTo{h.phone, h.version, h.protocol_version};
}

jt808::Dialect Session::header_dialect(jt808::HeaderVersion v) const noexcept {
    if (v == jt808::HeaderVersion::v2019) return jt808::Dialect::v2019;
    return dialect_ == jt808::Dialect::v2019 ? jt808::Dialect::v2013 : dialect_;
}

void Session::queue_ack(const jt808::Header& h, std::uint16_t reply_serial, std::uint8_t result) {
    ReadScratch::local().acks.push_back(
        ReadScratch::Ack{reply_to(h), reply_serial, h.msg_id, result, false});
}

void Session::queue_sink_ack(const jt808::Header& h, std::uint16_t reply_serial) {
    ReadScratch::local().acks.push_back(
        ReadScratch::Ack{reply_to(h), reply_serial, h.msg_id, kResultOk, true});
}

void Session::flush() {
    ReadScratch& s = ReadScratch::local();
    bool accepted = true;
    if (!s.positions.empty()) {
        accepted = server_.sink.submit(s.positions);
        if (accepted) s.positions_accepted += s.positions.size();
        s.positions.clear();
    }
    for (const ReadScratch::Ack& a : s.acks) {
        std::uint8_t result = a.result;
        if (a.from_sink && !accepted) {
            result = kResultFailure;  // the terminal keeps the positions and retries
            server_.refuse(Refusal::sink_refused, peer_, phone_key_);
        }
        append_ack(a.to, a.reply_serial, a.msg_id, result);
    }
    s.acks.clear();
}

jt808::OutboundHeader Session::outbound(const ReplyTo& to, std::uint16_t msg_id) noexcept {
    jt808::OutboundHeader out;
    out.msg_id = msg_id;
    out.dialect = header_dialect(to.version);
    out.protocol_version = to.version == jt808::HeaderVersion::v2019 ? to.protocol_version : 1;
    out.phone = to.phone;
    out.serial = next_serial_;
    return out;
}

void Session::append_ack(const ReplyTo& to, std::uint16_t reply_serial, std::uint16_t msg_id,
                         std::uint8_t result) {
    const std::array<std::uint8_t, 5> body{
        static_cast<std::uint8_t>(reply_serial >> 8), static_cast<std::uint8_t>(reply_serial),
        static_cast<std::uint8_t>(msg_id >> 8), static_cast<std::uint8_t>(msg_id), result};
    if (jt808::encode_frame(outbound(to, id::kPlatformResponse), body, out_)) ++next_serial_;
    ++ReadScratch::local().ack_results[std::min<std::size_t>(result, kAckResults - 1)];
}

void Session::append_message(const ReplyTo& to, std::uint16_t msg_id, jt808::Bytes body) {
    // encode_frames numbers sub-packages from h.serial on.
    auto frames = jt808::encode_frames(outbound(to, msg_id), body, out_);
    if (frames) next_serial_ = static_cast<std::uint16_t>(next_serial_ + *frames);
}

void Session::send_resend_requests() {
    std::vector<jt808::Error> dropped;
    const auto due = reassembler_.due_resends(SteadyClock::now(), &dropped);
    for (const jt808::Error& e : dropped) {
        server_.decode_error(e, peer_, phone_key_);
    }
    ReadScratch& s = ReadScratch::local();
    for (const jt808::ResendDue& d : due) {
        jt808::PlatformResendRequest request;
        request.first_serial = d.first_serial;
        request.package_ids = d.missing;
        s.body.clear();
        if (jt808::encode_body(request, header_dialect(last_.version), s.body)) {
            append_message(last_, id::kResendRequest, s.body);
            server_.stats.resend_requests.Increment();
        }
    }
}

// ---- writing ----------------------------------------------------------------------------------

bool Session::check_write_queue() {
    if (out_.size() + writing_.size() <= server_.limits.write_queue_bytes) return true;
    server_.refuse(Refusal::write_queue_full, peer_, phone_key_);
    close(CloseReason::write_queue_full);
    return false;
}

void Session::start_write() {
    if (write_in_flight_ || out_.empty() || closed_) return;
    std::swap(out_, writing_);  // writing_ was cleared by the last on_write
    write_in_flight_ = true;
    asio::async_write(socket_, asio::buffer(writing_),
                      bind_memory(write_memory_,
                                  [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                      self->on_write(ec, n);
                                  }));
}

void Session::on_write(const error_code& ec, std::size_t n) {
    write_in_flight_ = false;
    if (closed_) return;
    if (ec) {
        close(CloseReason::write_error);
        return;
    }
    server_.stats.bytes_sent.Increment(static_cast<double>(n));
    writing_.clear();
    start_write();
}

void Session::post_send(std::uint16_t msg_id, Server::BodyEncoder encode,
                        Server::SentCallback on_sent) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), msg_id,
                                        encode = std::move(encode), on_sent = std::move(on_sent)] {
        Session& s = *self;
        if (s.closed_ || !s.authenticated_) {
            if (on_sent) on_sent(std::nullopt);
            return;
        }
        jt808::Buffer body;
        if (!encode(s.dialect_, body)) {
            if (on_sent) on_sent(std::nullopt);
            return;
        }
        const std::uint16_t serial = s.next_serial_;
        s.append_message(s.last_, msg_id, body);
        s.server_.stats.downlink_messages.Increment();
        if (on_sent) on_sent(serial);
        if (s.check_write_queue()) s.start_write();
    });
}

// ---- timer ------------------------------------------------------------------------------------

// One timer per session, armed for the earliest of: idle deadline, unauthenticated deadline,
// next sub-package check. Frames do not touch it (they only move last_frame_at_); when it fires
// early it re-arms for the remaining time.
void Session::arm_timer() {
    if (closed_) return;
    const Limits& l = server_.limits;
    auto deadline = last_frame_at_ + l.idle_timeout;
    if (!authenticated_)
        deadline = std::min(deadline, unauthenticated_since_ + l.max_unauthenticated_time);
    if (reassembler_.pending() > 0) {
        const auto check =
            std::max<SteadyClock::duration>(l.resend_after / 2, std::chrono::milliseconds(10));
        deadline = std::min(deadline, SteadyClock::now() + check);
    }
    if (timer_generation_ != 0 && deadline >= timer_deadline_ &&
        timer_deadline_ > SteadyClock::now()) {
        return;  // the pending wait fires early enough
    }
    timer_deadline_ = deadline;
    const std::uint64_t generation = ++timer_generation_;
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
        self->on_timer(ec, generation);
    });
}

void Session::on_timer(const error_code& ec, std::uint64_t generation) {
    if (closed_ || ec == asio::error::operation_aborted || generation != timer_generation_) return;
    const auto now = SteadyClock::now();
    const Limits& l = server_.limits;
    if (!authenticated_ && now >= unauthenticated_since_ + l.max_unauthenticated_time) {
        server_.refuse(Refusal::unauthenticated_timeout, peer_, last_.phone.key());
        close(CloseReason::unauthenticated_timeout);
        return;
    }
    if (now >= last_frame_at_ + l.idle_timeout) {
        server_.refuse(Refusal::idle_timeout, peer_, phone_key_);
        close(CloseReason::idle_timeout);
        return;
    }
    if (reassembler_.pending() > 0) {
        send_resend_requests();
        if (check_write_queue()) start_write();
        if (closed_) return;
    }
    timer_deadline_ = SteadyClock::time_point{};  // force a new wait
    arm_timer();
}

void Session::set_authenticated(bool on) {
    if (on == authenticated_) return;
    authenticated_ = on;
    auto& stats = server_.stats;
    (on ? stats.sessions_unauthenticated : stats.sessions_authenticated).Decrement();
    (on ? stats.sessions_authenticated : stats.sessions_unauthenticated).Increment();
}

}  // namespace fleetwatch::ingest
