// fleetwatch_ingest_bench: the ingest server measured in-process.
//
//   throughput (default)  server with 1 I/O thread pinned to --server-cpu and a counting sink;
//                         one client thread pinned to --client-cpu drives --terminals
//                         authenticated terminals over loopback (raw epoll), each keeping up to
//                         --window 0x0200 frames in flight. Prints acknowledged positions/s,
//                         ack latency p50/p99 and heap allocations per position (whole process).
//   idle                  holds --sessions authenticated sessions whose clients run in a child
//                         process (so the server's RSS is measured alone) and prints the
//                         server process's VmRSS growth per 1 000 sessions.
//
// Every phase is bounded in time; the process exits non-zero if a phase does not complete.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "counting_allocator.hpp"
#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/framer.hpp"

namespace {

using namespace fleetwatch;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Args {
    std::string mode = "throughput";
    int terminals = 1000;
    int window = 8;
    int seconds = 10;
    int warmup_seconds = 1;
    int sessions = 10'000;
    int server_cpu = 0;
    int client_cpu = 1;
    int port = 0;  // idle-clients (internal)
};

Args parse_args(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        const auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "missing value for %s\n", k.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (k == "--mode")
            a.mode = next();
        else if (k == "--terminals")
            a.terminals = std::atoi(next());
        else if (k == "--window")
            a.window = std::atoi(next());
        else if (k == "--seconds")
            a.seconds = std::atoi(next());
        else if (k == "--warmup")
            a.warmup_seconds = std::atoi(next());
        else if (k == "--sessions")
            a.sessions = std::atoi(next());
        else if (k == "--server-cpu")
            a.server_cpu = std::atoi(next());
        else if (k == "--client-cpu")
            a.client_cpu = std::atoi(next());
        else if (k == "--port")
            a.port = std::atoi(next());
        else if (k == "-h" || k == "--help") {
            std::puts(
                "fleetwatch_ingest_bench [--mode throughput|idle] [--terminals 1000] [--window 8]\n"
                "  [--seconds 10] [--warmup 1] [--sessions 10000] [--server-cpu 0] [--client-cpu "
                "1]\n"
                "  (a CPU of -1 leaves that side unpinned)");
            std::exit(0);
        } else {
            std::fprintf(stderr, "unknown argument %s (see --help)\n", k.c_str());
            std::exit(2);
        }
    }
    return a;
}

void pin_to(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu), &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        std::fprintf(stderr, "warning: cannot pin to CPU %d; running unpinned\n", cpu);
    }
}

void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

std::string phone_of(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0139%08d", i);
    return buf;
}
std::string code_of(int i) { return "code" + std::to_string(i); }

class CountingSink final : public core::EventSink {
  public:
    bool submit(std::span<const core::Position> p) override {
        positions.fetch_add(p.size(), std::memory_order_relaxed);
        return true;
    }
    bool submit(const core::DriverCardEvent&) override { return true; }
    void contact(core::VehicleId, core::Timestamp) override {}
    std::atomic<std::uint64_t> positions{0};
};

void fill_directory(ingest::TerminalDirectory& dir, int n) {
    std::vector<ingest::TerminalRecord> records;
    records.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        records.push_back(ingest::TerminalRecord{
            std::string(jt808::PhoneNumber::from_digits(phone_of(i))->key()), i + 1,
            "B" + std::to_string(i), code_of(i), jt808::Dialect::v2013});
    }
    dir.replace_all(std::move(records));
}

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void encode(std::uint16_t msg_id, const jt808::PhoneNumber& phone, std::uint16_t serial,
            jt808::Bytes body, jt808::Buffer& out) {
    jt808::OutboundHeader h;
    h.msg_id = msg_id;
    h.phone = phone;
    h.serial = serial;
    (void)jt808::encode_frame(h, body, out);
}

jt808::Buffer auth_body(int i) {
    const std::string code = code_of(i);
    return jt808::Buffer(code.begin(), code.end());
}

// ---- the simulated terminals (one thread, epoll) ----------------------------------------------

struct Terminal {
    int fd = -1;
    jt808::PhoneNumber phone;
    std::uint16_t serial = 0;
    bool authenticated = false;
    int in_flight = 0;
    std::array<Clock::time_point, 64> sent_at{};  // FIFO of send times, acks come in order
    std::size_t head = 0;
    jt808::Framer framer{256};
    jt808::Buffer out;
};

// Ack latency histogram: 1 µs buckets up to 2 s.
struct Latency {
    static constexpr long long kMaxUs = 2'000'000;
    std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(kMaxUs + 1, 0);
    std::uint64_t count = 0;
    void add(Clock::duration d) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        ++buckets[static_cast<std::size_t>(std::clamp<long long>(us, 0, kMaxUs))];
        ++count;
    }
    double percentile(double p) const {
        const auto target = static_cast<std::uint64_t>(p * static_cast<double>(count));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            seen += buckets[i];
            if (seen > target) return static_cast<double>(i);
        }
        return static_cast<double>(kMaxUs);
    }
};

// CPU time of the server's I/O thread (set by on_thread_start).
std::atomic<bool> g_server_thread_known{false};
pthread_t g_server_thread{};

double server_cpu_seconds() {
    if (!g_server_thread_known.load()) return 0;
    clockid_t cid;
    if (pthread_getcpuclockid(g_server_thread, &cid) != 0) return 0;
    timespec ts{};
    clock_gettime(cid, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double this_thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct ClientResult {
    double client_cpu = 0;    // client thread CPU seconds in the window
    double server_cpu = 0;    // server thread CPU seconds in the window
    std::uint64_t acked = 0;  // in the measured window
    std::uint64_t acked_total = 0;
    std::uint64_t failures = 0;     // acks with a non-zero result
    std::uint64_t allocations = 0;  // process-wide, in the measured window
    double seconds = 0;
    Latency latency;
    bool ok = true;
    std::string error;
};

class Driver {
  public:
    Driver(int port, const Args& args) : port_(port), args_(args) {
        jt808::Location l;
        l.status = 0x2;
        l.lat_e6 = 32'060'000;
        l.lon_e6 = 118'790'000;
        l.speed_dkmh = 400;
        l.direction = 90;
        l.time = jt808::BcdTime::from_civil(core::CivilTime{2026, 3, 10, 9, 2, 3});
        l.extras.mileage_100m = 12345;
        l.extras.satellites = 9;
        (void)jt808::encode_body(l, jt808::Dialect::v2013, location_body_);
    }

    ClientResult run() {
        ClientResult r;
        epfd_ = epoll_create1(0);
        terminals_.resize(static_cast<std::size_t>(args_.terminals));
        for (int i = 0; i < args_.terminals; ++i) {
            Terminal& t = terminals_[static_cast<std::size_t>(i)];
            t.fd = connect_loopback(port_);
            if (t.fd < 0) return fail(r, "connect failed: " + std::string(std::strerror(errno)));
            fcntl(t.fd, F_SETFL, fcntl(t.fd, F_GETFL) | O_NONBLOCK);
            t.phone = *jt808::PhoneNumber::from_digits(phone_of(i));
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = static_cast<std::uint64_t>(i);
            epoll_ctl(epfd_, EPOLL_CTL_ADD, t.fd, &ev);
            encode(jt808::msg_id::kAuthenticate, t.phone, t.serial++, auth_body(i), t.out);
            flush(t);
        }
        // Authentication, bounded.
        const auto auth_deadline = Clock::now() + 30s;
        while (authenticated_ < args_.terminals) {
            if (Clock::now() > auth_deadline) return fail(r, "authentication did not complete");
            poll_once(r, false);
            if (!r.ok) return r;
        }
        // Start the windows.
        for (auto& t : terminals_) {
            for (int k = 0; k < args_.window; ++k) send_location(t);
            flush(t);
        }
        const auto start = Clock::now();
        const auto measure_from = start + std::chrono::seconds(args_.warmup_seconds);
        const auto measure_to = measure_from + std::chrono::seconds(args_.seconds);
        bool measuring = false;
        std::uint64_t acked_at_start = 0;
        std::uint64_t allocs_at_start = 0;
        double cpu_at_start = 0;
        double client_cpu_at_start = 0;
        for (;;) {
            const auto now = Clock::now();
            if (!measuring && now >= measure_from) {
                measuring = true;
                acked_at_start = acked_;
                allocs_at_start = fleetwatch::bench::allocation_count();
                cpu_at_start = server_cpu_seconds();
                client_cpu_at_start = this_thread_cpu_seconds();
                r.latency = Latency{};
                latency_on_ = true;
            }
            if (now >= measure_to) {
                r.acked = acked_ - acked_at_start;
                r.allocations = fleetwatch::bench::allocation_count() - allocs_at_start;
                r.server_cpu = server_cpu_seconds() - cpu_at_start;
                r.client_cpu = this_thread_cpu_seconds() - client_cpu_at_start;
                r.seconds = std::chrono::duration<double>(now - measure_from).count();
                break;
            }
            poll_once(r, true);
            if (!r.ok) return r;
        }
        r.latency = std::move(latency_);
        r.acked_total = acked_;
        r.failures = failures_;
        for (auto& t : terminals_) ::close(t.fd);
        ::close(epfd_);
        return r;
    }

  private:
    ClientResult& fail(ClientResult& r, std::string why) {
        r.ok = false;
        r.error = std::move(why);
        return r;
    }

    void send_location(Terminal& t) {
        t.sent_at[(t.head + static_cast<std::size_t>(t.in_flight)) % t.sent_at.size()] =
            Clock::now();
        ++t.in_flight;
        encode(jt808::msg_id::kLocation, t.phone, t.serial++, location_body_, t.out);
    }

    void flush(Terminal& t) {
        std::size_t off = 0;
        while (off < t.out.size()) {
            const ssize_t n = ::send(t.fd, t.out.data() + off, t.out.size() - off, MSG_NOSIGNAL);
            if (n > 0) {
                off += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                // The socket buffer is full (not expected with 8 small frames in flight): wait.
                pollfd p{t.fd, POLLOUT, 0};
                ::poll(&p, 1, 100);
            }
        }
        t.out.clear();
    }

    struct FrameSink {
        Driver& d;
        Terminal& t;
        int sends = 0;
        void on_frame(std::span<const std::uint8_t> f) { d.on_reply(t, f, sends); }
        void on_frame_error(const jt808::Error&) {}
    };

    void on_reply(Terminal& t, std::span<const std::uint8_t> raw, int& sends) {
        auto f = jt808::parse_frame(raw);
        if (!f || f->header.msg_id != jt808::msg_id::kPlatformResponse || f->body.size() < 5)
            return;
        const std::uint16_t reply_id = static_cast<std::uint16_t>(f->body[2] << 8 | f->body[3]);
        const std::uint8_t result = f->body[4];
        if (result != 0) ++failures_;
        if (reply_id == jt808::msg_id::kAuthenticate) {
            if (result == 0 && !t.authenticated) {
                t.authenticated = true;
                ++authenticated_;
            }
            return;
        }
        if (reply_id != jt808::msg_id::kLocation || t.in_flight == 0) return;
        if (latency_on_) latency_.add(Clock::now() - t.sent_at[t.head]);
        t.head = (t.head + 1) % t.sent_at.size();
        --t.in_flight;
        ++acked_;
        ++sends;
    }

    void poll_once(ClientResult& r, bool refill) {
        std::array<epoll_event, 256> events;
        const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 100);
        std::uint8_t buf[16384];
        for (int i = 0; i < n; ++i) {
            Terminal& t = terminals_[events[static_cast<std::size_t>(i)].data.u64];
            const ssize_t got = ::recv(t.fd, buf, sizeof buf, 0);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                fail(r, "server closed a connection");
                return;
            }
            if (got < 0) continue;
            FrameSink sink{*this, t};
            t.framer.feed(std::span<const std::uint8_t>{buf, static_cast<std::size_t>(got)}, sink);
            if (refill && sink.sends > 0) {
                for (int k = 0; k < sink.sends; ++k) send_location(t);
                flush(t);
            }
        }
    }

    int port_;
    const Args& args_;
    int epfd_ = -1;
    std::vector<Terminal> terminals_;
    jt808::Buffer location_body_;
    int authenticated_ = 0;
    std::uint64_t acked_ = 0;
    std::uint64_t failures_ = 0;
    bool latency_on_ = false;
    Latency latency_;
};

ingest::ServerOptions bench_server_options(int server_cpu, std::size_t threads) {
    ingest::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = threads;
    o.limits.max_sessions = 100'000;
    o.limits.max_sessions_per_address = 0;
    o.limits.idle_timeout = 600s;
    o.limits.max_unauthenticated_time = 600s;
    o.on_thread_start = [server_cpu](std::size_t index) {
        pin_to(server_cpu);
        if (index == 0) {
            g_server_thread = pthread_self();
            g_server_thread_known.store(true);
        }
    };
    return o;
}

int run_throughput(const Args& args) {
    raise_fd_limit();
    prometheus::Registry registry;
    ingest::IngestStats stats(registry);
    ingest::TerminalDirectory directory;
    fill_directory(directory, args.terminals);
    CountingSink sink;
    ingest::Server server(bench_server_options(args.server_cpu, 1), directory, sink, stats);
    server.start();

    ClientResult result;
    std::thread client([&] {
        pin_to(args.client_cpu);
        Driver d(server.port(), args);
        result = d.run();
    });
    client.join();
    server.stop();
    if (!result.ok) {
        std::fprintf(stderr, "throughput: FAILED: %s\n", result.error.c_str());
        return 1;
    }
    const double rate = static_cast<double>(result.acked) / result.seconds;
    std::printf(
        "throughput: %d terminals, window %d, server 1 thread on CPU %d, client on CPU %d\n",
        args.terminals, args.window, args.server_cpu, args.client_cpu);
    std::printf("  acked positions: %llu in %.2f s = %.0f positions/s\n",
                static_cast<unsigned long long>(result.acked), result.seconds, rate);
    std::printf(
        "  CPU time in the window: server I/O thread %.0f%%, client thread %.0f%% "
        "(%.0f positions per server CPU-second)\n",
        100.0 * result.server_cpu / result.seconds, 100.0 * result.client_cpu / result.seconds,
        result.server_cpu > 0 ? static_cast<double>(result.acked) / result.server_cpu : 0.0);
    std::printf("  ack latency: p50 %.0f us, p99 %.0f us (%llu samples)\n",
                result.latency.percentile(0.50), result.latency.percentile(0.99),
                static_cast<unsigned long long>(result.latency.count));
    std::printf("  heap allocations in the window (server + client): %llu (%.4f per position)\n",
                static_cast<unsigned long long>(result.allocations),
                result.acked
                    ? static_cast<double>(result.allocations) / static_cast<double>(result.acked)
                    : 0.0);
    std::printf(
        "  sink received %llu positions in total; client counted %llu acks, %llu failures\n",
        static_cast<unsigned long long>(sink.positions.load()),
        static_cast<unsigned long long>(result.acked_total),
        static_cast<unsigned long long>(result.failures));
    return result.failures == 0 ? 0 : 1;
}

// ---- idle sessions ----------------------------------------------------------------------------

// Child process: connects and authenticates `count` terminals, writes "READY n\n" to stdout,
// then holds them until stdin closes.
int run_idle_clients(const Args& args) {
    raise_fd_limit();
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(args.sessions));
    const int epfd = epoll_create1(0);
    jt808::Buffer out;
    for (int i = 0; i < args.sessions; ++i) {
        const int fd = connect_loopback(args.port);
        if (fd < 0) {
            std::fprintf(stderr, "idle-clients: connect %d failed: %s\n", i, std::strerror(errno));
            return 1;
        }
        out.clear();
        encode(jt808::msg_id::kAuthenticate, *jt808::PhoneNumber::from_digits(phone_of(i)), 0,
               auth_body(i), out);
        if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
            std::fprintf(stderr, "idle-clients: send failed\n");
            return 1;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        fds.push_back(fd);
    }
    // One ack each (a 0x8001 to 0x0102 is ~20 bytes: one recv per socket suffices on loopback).
    int acked = 0;
    const auto deadline = Clock::now() + 60s;
    std::array<epoll_event, 512> events;
    while (acked < args.sessions && Clock::now() < deadline) {
        const int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            std::uint8_t buf[256];
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (::recv(fd, buf, sizeof buf, 0) > 0) ++acked;
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
        }
    }
    std::printf("READY %d\n", acked);
    std::fflush(stdout);
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    for (const int fd : fds) ::close(fd);
    return 0;
}

int run_idle(const Args& args, const char* self) {
    raise_fd_limit();
    prometheus::Registry registry;
    ingest::IngestStats stats(registry);
    ingest::TerminalDirectory directory;
    fill_directory(directory, args.sessions);
    CountingSink sink;
    ingest::Server server(bench_server_options(-1, 1), directory, sink, stats);
    server.start();
    std::this_thread::sleep_for(200ms);
    const long before = rss_kib();

    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        ::close(to_child[1]);
        ::close(from_child[0]);
        const std::string port = std::to_string(server.port());
        const std::string n = std::to_string(args.sessions);
        execl(self, self, "--mode", "idle-clients", "--port", port.c_str(), "--sessions", n.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    char line[64] = {};
    std::size_t len = 0;
    while (len + 1 < sizeof line && ::read(from_child[0], line + len, 1) == 1 && line[len] != '\n')
        ++len;
    const bool all = std::atoi(line + 6) == args.sessions &&
                     stats.sessions_authenticated.Value() == static_cast<double>(args.sessions);
    std::this_thread::sleep_for(1s);
    const long after = rss_kib();
    const auto held = static_cast<long long>(stats.sessions_authenticated.Value());

    ::close(to_child[1]);  // the child closes its sockets and exits
    int status = 0;
    waitpid(pid, &status, 0);
    server.stop();
    std::printf("idle: %d authenticated sessions requested, %lld held (client: '%.*s')\n",
                args.sessions, held, static_cast<int>(len), line);
    std::printf("  server process VmRSS: %ld KiB before, %ld KiB with the sessions open\n", before,
                after);
    const double per_1000 =
        static_cast<double>(after - before) / 1024.0 / (static_cast<double>(held) / 1000.0);
    std::printf("  RSS per 1000 idle authenticated sessions: %.2f MiB\n", per_1000);
    return all ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if (args.mode != "idle-clients") {
        spdlog::set_level(spdlog::level::warn);  // the server's info lines are not the point here
    }
    if (args.mode == "throughput") return run_throughput(args);
    if (args.mode == "idle") return run_idle(args, "/proc/self/exe");
    if (args.mode == "idle-clients") return run_idle_clients(args);
    std::fprintf(stderr, "unknown mode %s\n", args.mode.c_str());
    return 2;
}
