#include "test_terminal.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::ingest::test {

namespace {

struct Collector {
    std::deque<std::vector<std::uint8_t>>& out;
    void on_frame(std::span<const std::uint8_t> f) { out.emplace_back(f.begin(), f.end()); }
    void on_frame_error(const jt808::Error&) {}
};

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

jt808::PlatformResponse Reply::ack() const {
    auto b = decode();
    if (b) {
        if (const auto* r = std::get_if<jt808::PlatformResponse>(&*b)) return *r;
    }
    jt808::PlatformResponse none;
    none.result = 0xFF;
    return none;
}

TestTerminal::TestTerminal(std::uint16_t port, std::string phone, jt808::Dialect dialect,
                           int receive_buffer)
    : dialect_(dialect), phone_(*jt808::PhoneNumber::from_digits(phone)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (receive_buffer > 0) {
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

TestTerminal::~TestTerminal() {
    if (fd_ >= 0) ::close(fd_);
}

std::vector<std::vector<std::uint8_t>> TestTerminal::frames(std::uint16_t msg_id, jt808::Bytes body,
                                                            std::size_t max_package_body) {
    jt808::OutboundHeader h;
    h.msg_id = msg_id;
    h.dialect = dialect_;
    h.phone = phone_;
    h.serial = serial_;
    // encode_frames splits only bodies over 1023 bytes unless a package is asked for.
    if (max_package_body < jt808::kMaxBodyBytes) h.package = jt808::PackageInfo{};
    jt808::Buffer wire;
    auto n = jt808::encode_frames(h, body, wire, max_package_body);
    std::vector<std::vector<std::uint8_t>> out;
    if (!n) return out;
    serial_ = static_cast<std::uint16_t>(serial_ + *n);
    // Split the wire bytes back into frames at flag pairs.
    std::size_t start = 0;
    for (std::size_t i = 1; i < wire.size(); ++i) {
        if (wire[i] == jt808::kFlag && wire[i - 1] != jt808::kFlag && i > start) {
            out.emplace_back(wire.begin() + static_cast<std::ptrdiff_t>(start),
                             wire.begin() + static_cast<std::ptrdiff_t>(i + 1));
            start = i + 1;
            ++i;
        }
    }
    return out;
}

std::uint16_t TestTerminal::send(std::uint16_t msg_id, jt808::Bytes body,
                                 std::size_t max_package_body) {
    const std::uint16_t first = serial_;
    for (const auto& f : frames(msg_id, body, max_package_body)) send_raw(f);
    return first;
}

bool TestTerminal::send_raw(std::span<const std::uint8_t> bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

bool TestTerminal::fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_ || fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r <= 0) return false;
    std::uint8_t buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    Collector c{pending_};
    framer_.feed(std::span<const std::uint8_t>{buf, static_cast<std::size_t>(n)}, c);
    return true;
}

std::optional<Reply> TestTerminal::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_.empty()) {
        if (!fill(deadline)) return std::nullopt;
    }
    std::vector<std::uint8_t> raw = std::move(pending_.front());
    pending_.pop_front();
    auto f = jt808::parse_frame(raw);
    if (!f) return std::nullopt;
    Reply r;
    r.header = f->header;
    r.body.assign(f->body.begin(), f->body.end());
    return r;
}

std::optional<Reply> TestTerminal::receive_id(std::uint16_t msg_id,
                                              std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!r) return std::nullopt;
        if (r->header.msg_id == msg_id) return r;
    }
}

bool TestTerminal::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (eof_ || fd_ < 0) return true;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) > 0) {
            std::uint8_t buf[4096];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                eof_ = true;
                return true;
            }
            Collector c{pending_};
            framer_.feed(std::span<const std::uint8_t>{buf, static_cast<std::size_t>(n)}, c);
            continue;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
    }
}

std::optional<jt808::RegistrationResponse> TestTerminal::register_terminal(std::string plate) {
    jt808::Registration g;
    g.dialect = dialect_;
    g.province = 32;
    g.city = 100;
    static const std::string kMaker = "FWSIM";
    static const std::string kModel = "TEST-MODEL";
    static const std::string kId = "T000001";
    g.maker = jt808::as_bytes(kMaker);
    g.model = jt808::as_bytes(kModel);
    g.terminal_id = jt808::as_bytes(kId);
    g.plate_color = 1;
    const std::vector<std::uint8_t> plate_gbk = jt808::utf8_to_gbk(plate);  // as terminals send it
    g.plate = plate_gbk;
    const std::uint16_t serial = send_message(g);
    auto r = receive_id(jt808::msg_id::kRegisterResponse);
    if (!r) return std::nullopt;
    auto b = r->decode();
    if (!b) return std::nullopt;
    const auto* resp = std::get_if<jt808::RegistrationResponse>(&*b);
    if (resp == nullptr || resp->reply_serial != serial) return std::nullopt;
    return *resp;
}

std::optional<std::uint8_t> TestTerminal::authenticate(const std::string& code) {
    jt808::Authentication a;
    a.auth_code = jt808::as_bytes(code);
    static const std::string kImei = "860000000000001";
    static const std::string kVersion = "1.0.0";
    if (dialect_ == jt808::Dialect::v2019) {
        a.imei = jt808::as_bytes(kImei);
        a.software_version = jt808::as_bytes(kVersion);
    }
    const std::uint16_t serial = send_message(a);
    auto r = receive_id(jt808::msg_id::kPlatformResponse);
    if (!r) return std::nullopt;
    const auto ack = r->ack();
    if (ack.reply_serial != serial || ack.reply_msg_id != jt808::msg_id::kAuthenticate) {
        return std::nullopt;
    }
    return ack.result;
}

bool TestTerminal::login() {
    auto reg = register_terminal();
    if (!reg || reg->result != 0) return false;
    auto result = authenticate(reg->auth_code);
    return result && *result == 0;
}

jt808::Location make_location(std::int32_t lat_e6, std::int32_t lon_e6, std::uint16_t speed_dkmh,
                              core::CivilTime gmt8, std::uint32_t status, std::uint32_t alarm) {
    jt808::Location l;
    l.alarm = alarm;
    l.status = status;
    if (lat_e6 < 0) l.status |= 0x4;
    if (lon_e6 < 0) l.status |= 0x8;
    l.lat_e6 = static_cast<std::uint32_t>(lat_e6 < 0 ? -lat_e6 : lat_e6);
    l.lon_e6 = static_cast<std::uint32_t>(lon_e6 < 0 ? -lon_e6 : lon_e6);
    l.altitude_m = 12;
    l.speed_dkmh = speed_dkmh;
    l.direction = 90;
    l.time = jt808::BcdTime::from_civil(gmt8);
    l.extras.mileage_100m = 12345;
    l.extras.satellites = 9;
    return l;
}

bool CollectingSink::submit(std::span<const core::Position> positions) {
    std::lock_guard lock(mutex_);
    if (refuse_) return false;
    positions_.insert(positions_.end(), positions.begin(), positions.end());
    return true;
}

bool CollectingSink::submit(const core::DriverCardEvent& event) {
    std::lock_guard lock(mutex_);
    if (refuse_) return false;
    cards_.push_back(event);
    return true;
}

void CollectingSink::contact(core::VehicleId vehicle, core::Timestamp received_at) {
    std::lock_guard lock(mutex_);
    contacts_.emplace_back(vehicle, received_at);
}

std::vector<std::pair<core::VehicleId, core::Timestamp>> CollectingSink::contacts() const {
    std::lock_guard lock(mutex_);
    return contacts_;
}

std::vector<core::Position> CollectingSink::positions() const {
    std::lock_guard lock(mutex_);
    return positions_;
}

std::vector<core::DriverCardEvent> CollectingSink::cards() const {
    std::lock_guard lock(mutex_);
    return cards_;
}

std::size_t CollectingSink::position_count() const {
    std::lock_guard lock(mutex_);
    return positions_.size();
}

void CollectingSink::refuse(bool on) {
    std::lock_guard lock(mutex_);
    refuse_ = on;
}

}  // namespace fleetwatch::ingest::test
