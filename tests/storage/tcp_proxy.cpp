#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace fleetwatch::storage::testing {
namespace {

struct Pair {
    int client = -1;
    int server = -1;
};

void close_pair(Pair& p) {
    if (p.client >= 0) ::close(p.client);
    if (p.server >= 0) ::close(p.server);
    p.client = p.server = -1;
}

// Copies what is readable on `from` to `to`; false when either side is done.
bool pump(int from, int to) {
    char buf[65536];
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return false;
    ssize_t off = 0;
    while (off < n) {
        const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
        if (w <= 0) return false;
        off += w;
    }
    return true;
}

}  // namespace

TcpProxy::TcpProxy(std::string target) : target_(std::move(target)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
        throw std::runtime_error("proxy: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("proxy: pipe");
    thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
    quit_.store(true);
    const char c = 'q';
    [[maybe_unused]] const auto n = ::write(wake_[1], &c, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void TcpProxy::set_up(bool up) {
    up_.store(up);
    const char c = 'u';
    [[maybe_unused]] const auto n = ::write(wake_[1], &c, 1);
}

int TcpProxy::connect_target() const {
    if (!target_.empty() && target_[0] == '/') {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, target_.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    const auto colon = target_.rfind(':');
    const std::string host = target_.substr(0, colon);
    const auto port = static_cast<std::uint16_t>(std::stoi(target_.substr(colon + 1)));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void TcpProxy::run() {
    std::vector<Pair> pairs;
    while (!quit_.load()) {
        if (!up_.load()) {
            for (auto& p : pairs) close_pair(p);
            pairs.clear();
        }
        std::vector<pollfd> fds;
        fds.push_back({wake_[0], POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        for (const auto& p : pairs) {
            fds.push_back({p.client, POLLIN, 0});
            fds.push_back({p.server, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
        if ((fds[0].revents & POLLIN) != 0) {
            char buf[64];
            while (::read(wake_[0], buf, sizeof buf) > 0) {
            }
            continue;  // re-check up_ and quit_ first
        }
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            const auto& cfd = fds[2 + 2 * i];
            const auto& sfd = fds[3 + 2 * i];
            bool ok = true;
            if ((cfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
                ok = pump(pairs[i].client, pairs[i].server);
            if (ok && (sfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
                ok = pump(pairs[i].server, pairs[i].client);
            if (!ok) close_pair(pairs[i]);
        }
        std::erase_if(pairs, [](const Pair& p) { return p.client < 0; });
        if ((fds[1].revents & POLLIN) != 0) {
            const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            const int server = up_.load() ? connect_target() : -1;
            if (server < 0) {
                ::close(client);
                continue;
            }
            const int one = 1;
            ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            pairs.push_back({client, server});
        }
    }
    for (auto& p : pairs) close_pair(p);
}

}  // namespace fleetwatch::storage::testing
