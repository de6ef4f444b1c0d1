// fleetwatch-sim: simulated JT/T 808 terminals (docs/simulator.md).
//
//   fleetwatch-sim --fleet deploy/demo-fleet.yaml [--server 127.0.0.1:6808] ...   scenario mode
//   fleetwatch-sim load --terminals 1000 --rate 50000 --in-flight 8 ...             load mode
//   fleetwatch-sim gen-fleet --count 1000 --out /tmp/load-fleet.yaml                fleet for load
//   fleetwatch-sim fake-platform --listen 127.0.0.1:6809                            a stand-in server
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "fleetwatch/core/host_port.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/sim/ack_log.hpp"
#include "fleetwatch/sim/fake_platform.hpp"
#include "fleetwatch/sim/fleet_gen.hpp"
#include "fleetwatch/sim/gps_clock.hpp"
#include "fleetwatch/sim/load.hpp"
#include "fleetwatch/sim/parse.hpp"
#include "fleetwatch/sim/scenario.hpp"

namespace {

using namespace fleetwatch;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

// CLI11 validator for durations ("10m", "60s", "1h30m").
struct DurationValidator : CLI::Validator {
    DurationValidator() {
        name_ = "DURATION";
        func_ = [](const std::string& s) {
            return sim::parse_duration(s) ? std::string() : "\"" + s + "\" is not a duration (e.g. 90s, 10m, 1h30m)";
        };
    }
};

milliseconds duration_of(const std::string& s) { return *sim::parse_duration(s); }

std::optional<core::HostPort> server_of(const std::string& text) {
    auto hp = core::parse_host_port(text, 6808);
    if (!hp) std::fprintf(stderr, "fleetwatch-sim: --server \"%s\" is not HOST:PORT\n", text.c_str());
    return hp;
}

// Sleeps in small steps until `until` or a signal; true if a signal arrived.
bool sleep_until(SteadyClock::time_point until) {
    while (SteadyClock::now() < until) {
        if (g_stop) return true;
        std::this_thread::sleep_for(std::min<SteadyClock::duration>(milliseconds(50), until - SteadyClock::now()));
    }
    return g_stop;
}

// ---- scenario mode ---------------------------------------------------------------------------

struct ScenarioArgs {
    std::string fleet = "deploy/demo-fleet.yaml";
    std::string server = "127.0.0.1:6808";
    std::optional<double> time_scale;
    std::optional<double> report_interval_s;
    std::string duration;
    std::string ack_log;
    std::vector<std::string> only;
    std::string start_time = "auto";
    double end_stop_min = 5;
    std::string heartbeat = "30s";
    std::string status_every = "5s";
    std::size_t batch_max = 30;
    bool no_resend = false;
};

int run_scenario(const ScenarioArgs& a) {
    const fleet::FleetParseResult parsed = fleet::parse_fleet_file(a.fleet);
    if (!parsed.fleet) {
        for (const auto& p : parsed.problems) std::fprintf(stderr, "%s\n", p.to_string().c_str());
        std::fprintf(stderr, "fleetwatch-sim: %s has %zu problem(s); nothing simulated\n", a.fleet.c_str(),
                     parsed.problems.size());
        return 2;
    }
    sim::BuildOptions build;
    build.only_plates = a.only;
    build.end_stop_s = a.end_stop_min * 60.0;
    sim::BuildResult built = sim::build_terminals(*parsed.fleet, build);
    if (!built.problems.empty()) {
        for (const auto& p : built.problems) std::fprintf(stderr, "%s: %s\n", a.fleet.c_str(), p.c_str());
        return 2;
    }
    if (built.terminals.empty()) {
        std::fprintf(stderr, "fleetwatch-sim: no terminals to simulate\n");
        return 2;
    }
    const auto server = server_of(a.server);
    if (!server) return 2;
    const fleet::Simulation& simulation = *parsed.fleet->simulation;

    sim::ScenarioOptions o;
    o.host = server->host;
    o.port = server->port;
    o.time_scale = a.time_scale.value_or(simulation.time_scale);
    o.report_interval_s = a.report_interval_s.value_or(simulation.report_interval_s);
    o.heartbeat = duration_of(a.heartbeat);
    o.batch_max = std::max<std::size_t>(a.batch_max, 1);
    o.resend_unacked = !a.no_resend;
    const std::optional<milliseconds> duration =
        a.duration.empty() ? std::nullopt : std::optional<milliseconds>(duration_of(a.duration));
    if (a.start_time == "auto" || a.start_time == "now") {
        o.gps_start = a.start_time == "now" ? sim::system_now()
                                            : sim::auto_gps_start(sim::system_now(), o.time_scale, duration);
        if (a.start_time == "auto" && o.time_scale > 1 && !duration) {
            spdlog::warn("GPS time runs {}x faster than the wall clock without --duration: after {:.0f} s of wall "
                         "time the reports are more than 10 min in the future and the server will judge them invalid "
                         "(give --duration, or --start-time in the past)",
                         o.time_scale, 600.0 / (o.time_scale - 1));
        }
    } else if (auto t = core::parse_instant(a.start_time)) {
        o.gps_start = *t;
    } else {
        std::fprintf(stderr, "fleetwatch-sim: --start-time \"%s\" is not auto, now or an RFC 3339 time\n",
                     a.start_time.c_str());
        return 2;
    }

    std::unique_ptr<sim::AckLog> ack_log;
    if (!a.ack_log.empty()) ack_log = std::make_unique<sim::AckLog>(a.ack_log);
    sim::ScenarioHooks hooks;
    if (ack_log) hooks.on_ack = [log = ack_log.get()](const sim::AckedPosition& p) { log->write(p); };

    spdlog::info("simulating {} terminal(s) from {} against {}:{}: time scale {}, a report every {} s of GPS time "
                 "from {}{}",
                 built.terminals.size(), a.fleet, o.host, o.port, o.time_scale, o.report_interval_s,
                 core::format_rfc3339(o.gps_start), duration ? " for " + a.duration : std::string(" until Ctrl-C"));
    sim::Scenario scenario(std::move(built.terminals), o, hooks);
    scenario.start();

    const auto start = SteadyClock::now();
    const auto end = duration ? start + *duration : SteadyClock::time_point::max();
    const auto status_every = duration_of(a.status_every);
    auto next_status = start + status_every;
    while (!g_stop && SteadyClock::now() < end) {
        const auto next_flush = SteadyClock::now() + milliseconds(1000);
        sleep_until(std::min({next_flush, next_status, end}));
        if (ack_log) ack_log->flush();
        if (SteadyClock::now() >= next_status) {
            std::printf("%s\n", scenario.status_line().c_str());
            std::fflush(stdout);
            next_status += status_every;
        }
    }
    scenario.stop();
    if (ack_log) ack_log->flush();
    std::printf("%s\n", scenario.status_line().c_str());
    const sim::ScenarioStats st = scenario.stats();
    std::printf("sim: done terminals=%llu sent=%llu acked=%llu ack_log_lines=%llu\n",
                static_cast<unsigned long long>(st.terminals), static_cast<unsigned long long>(st.positions_sent),
                static_cast<unsigned long long>(st.positions_acked),
                static_cast<unsigned long long>(ack_log ? ack_log->lines() : 0));
    return 0;
}

// ---- phones (load, gen-fleet) -------------------------------------------------------------------

struct PhoneArgs {
    std::string prefix{sim::kDefaultPhonePrefix};
    std::uint64_t start = 1;
    std::string range;
};

std::optional<std::vector<std::string>> phones_of(const PhoneArgs& a, std::size_t count) {
    sim::PhoneList list = a.range.empty() ? sim::phones_from_prefix(a.prefix, a.start, count)
                                          : sim::phones_from_range(a.range, count);
    if (!list.error.empty()) {
        std::fprintf(stderr, "fleetwatch-sim: %s\n", list.error.c_str());
        return std::nullopt;
    }
    return std::move(list.phones);
}

// ---- load mode -------------------------------------------------------------------------------

struct LoadArgs {
    std::string server = "127.0.0.1:6808";
    std::optional<std::size_t> terminals;
    double rate = 1000;
    unsigned in_flight = 1;
    unsigned burst = 1;
    std::string duration = "60s";
    unsigned threads = 1;
    PhoneArgs phones;
    std::string fleet;
    bool auto_register = false;
    bool hold = false;
    std::string heartbeat = "30s";
    double connect_rate = 1000;
    std::size_t max_handshakes = 500;
    std::string ready_timeout = "120s";
    std::string drain = "5s";
    std::string protocol = "2013";
    std::string ack_log;
    std::string gps_start;
};

int run_load_command(const LoadArgs& a) {
    const auto server = server_of(a.server);
    if (!server) return 2;
    sim::LoadOptions o;
    o.host = server->host;
    o.port = server->port;
    if (!a.fleet.empty()) {
        const fleet::FleetParseResult parsed = fleet::parse_fleet_file(a.fleet);
        if (!parsed.fleet) {
            for (const auto& p : parsed.problems) std::fprintf(stderr, "%s\n", p.to_string().c_str());
            return 2;
        }
        for (const fleet::Vehicle& v : parsed.fleet->vehicles) {
            if (a.terminals && o.terminals.size() >= *a.terminals) break;
            if (!v.terminal_phone.empty()) o.terminals.push_back({v.terminal_phone, v.plate, v.plate_color});
        }
        if (a.terminals && o.terminals.size() < *a.terminals) {
            std::fprintf(stderr, "fleetwatch-sim: %s has only %zu vehicles with a terminal phone\n", a.fleet.c_str(),
                         o.terminals.size());
            return 2;
        }
    } else {
        const std::size_t count = a.terminals.value_or(a.phones.range.empty() ? 100 : 0);
        auto phones = phones_of(a.phones, count);
        if (!phones) return 2;
        for (std::size_t i = 0; i < phones->size(); ++i) o.terminals.push_back({(*phones)[i], sim::generated_plate(i), 1});
    }
    if (o.terminals.empty()) {
        std::fprintf(stderr, "fleetwatch-sim: no terminals\n");
        return 2;
    }
    o.dialect = *sim::parse_dialect(a.protocol);
    o.rate = a.rate;
    o.in_flight = std::max(1u, a.in_flight);
    o.burst = std::clamp(a.burst, 1u, o.in_flight);
    o.duration = duration_of(a.duration);
    o.hold = a.hold;
    o.threads = std::max(1u, a.threads);
    o.heartbeat = duration_of(a.heartbeat);
    o.connect_rate = a.connect_rate;
    o.max_handshakes = std::max<std::size_t>(a.max_handshakes, 1);
    o.ready_timeout = duration_of(a.ready_timeout);
    o.drain = duration_of(a.drain);
    if (!a.gps_start.empty()) {
        const auto t = core::parse_instant(a.gps_start);
        if (!t) {
            std::fprintf(stderr, "fleetwatch-sim: --gps-start \"%s\" is not an RFC 3339 time\n", a.gps_start.c_str());
            return 2;
        }
        o.gps_start = *t;
    }
    std::unique_ptr<sim::AckLog> ack_log;
    if (!a.ack_log.empty()) {
        ack_log = std::make_unique<sim::AckLog>(a.ack_log);
        o.ack_log = ack_log.get();
    }
    std::string what = "holding sessions";
    if (!o.hold) {
        what = (o.rate > 0 ? "sending " + std::to_string(static_cast<long long>(o.rate)) + " reports/s"
                           : std::string("sending unpaced")) +
               ", in flight <= " + std::to_string(o.in_flight) +
               (o.burst > 1 ? ", bursts of " + std::to_string(o.burst) : std::string());
    }
    const char* source = !a.fleet.empty()   ? "from the fleet file"
                         : a.auto_register ? "generated; the server auto-registers them"
                                           : "generated; the server must know them (gen-fleet, fleet import)";
    std::printf("load: %zu terminals (%s .. %s, %s) against %s:%u, %s, %u thread(s)\n", o.terminals.size(),
                o.terminals.front().phone.c_str(), o.terminals.back().phone.c_str(), source, o.host.c_str(), o.port,
                what.c_str(), o.threads);
    std::fflush(stdout);
    const sim::LoadReport r = sim::run_load(o, stdout, &g_stop);
    if (ack_log) ack_log->flush();
    std::printf("%s\n", r.summary_line().c_str());
    std::fflush(stdout);
    const bool clean = r.errors == 0 && r.nacked == 0 && r.unacked == 0 && r.authenticated == r.terminals;
    return clean ? 0 : 3;
}

// ---- gen-fleet ---------------------------------------------------------------------------------

struct GenArgs {
    std::size_t count = 0;
    PhoneArgs phones;
    std::string out;
    std::string vehicle_class = "car";
    int plate_color = 1;
};

int run_gen_fleet(const GenArgs& a, const std::string& command_line) {
    auto phones = phones_of(a.phones, a.count);
    if (!phones) return 2;
    if (phones->empty()) {
        std::fprintf(stderr, "fleetwatch-sim: gen-fleet needs --count N or --phones-from A..B\n");
        return 2;
    }
    sim::GeneratedFleetOptions o;
    o.vehicle_class = a.vehicle_class;
    o.plate_color = a.plate_color;
    o.comment = "generated by: " + command_line;
    const std::string yaml = sim::generated_fleet_yaml(*phones, o);
    std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
    if (!f || !(f << yaml) || !f.flush()) {
        std::fprintf(stderr, "fleetwatch-sim: cannot write %s\n", a.out.c_str());
        return 1;
    }
    std::printf("gen-fleet: wrote %zu vehicles to %s (phones %s .. %s)\n", phones->size(), a.out.c_str(),
                phones->front().c_str(), phones->back().c_str());
    return 0;
}

// ---- fake-platform -------------------------------------------------------------------------------

int run_fake_platform(const std::string& listen, std::size_t threads, const std::string& duration) {
    sim::FakePlatformOptions o;
    o.listen = listen;
    o.record = false;
    o.threads = std::max<std::size_t>(threads, 1);
    const std::uint64_t fds = sim::raise_fd_limit(200'000);
    if (fds < 20'000) spdlog::warn("fake-platform: the open-file limit is {}; that many sessions at most", fds);
    sim::FakePlatform platform(o);
    platform.start();
    std::printf("fake-platform: listening on port %u (answers 0x8100/0x8001; stores nothing)\n", platform.port());
    std::fflush(stdout);
    const auto start = SteadyClock::now();
    const auto end = duration.empty() ? SteadyClock::time_point::max() : start + duration_of(duration);
    auto prev = platform.stats();
    auto next = start + std::chrono::seconds(1);
    while (!sleep_until(std::min(next, end)) && SteadyClock::now() < end) {
        const auto s = platform.stats();
        std::printf("fake-platform: sessions=%llu authenticated=%llu locations=%llu rate=%llu/s batches=%llu "
                    "heartbeats=%llu bad_frames=%llu\n",
                    static_cast<unsigned long long>(s.open_sessions), static_cast<unsigned long long>(s.authentications),
                    static_cast<unsigned long long>(s.locations),
                    static_cast<unsigned long long>(s.locations - prev.locations),
                    static_cast<unsigned long long>(s.batches), static_cast<unsigned long long>(s.heartbeats),
                    static_cast<unsigned long long>(s.bad_frames));
        std::fflush(stdout);
        prev = s;
        next += std::chrono::seconds(1);
    }
    platform.stop();
    return 0;
}

void add_phone_options(CLI::App* cmd, PhoneArgs& p) {
    auto* prefix = cmd->add_option("--phone-prefix", p.prefix,
                                   "terminal phones are this prefix followed by a counter, 12 digits in all")
                       ->capture_default_str();
    cmd->add_option("--phone-start", p.start, "first counter value after the prefix")->capture_default_str();
    cmd->add_option("--phones-from", p.range, "terminal phones FIRST..LAST (decimal, up to 12 digits)")
        ->excludes(prefix);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fleetwatch-sim — simulated JT/T 808 terminals: a fleet driving its routes (default), or a load "
                 "generator (load)"};
    app.set_version_flag("--version", "fleetwatch-sim 0.1.0");
    app.require_subcommand(0, 1);
    const DurationValidator duration_ok;
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();

    ScenarioArgs sc;
    app.add_option("--fleet", sc.fleet, "the fleet file; its simulation: section says who drives what")
        ->capture_default_str();
    app.add_option("--server", sc.server, "the fleetwatch JT/T 808 port, HOST:PORT")->capture_default_str();
    app.add_option("--time-scale", sc.time_scale, "GPS seconds per wall-clock second (default: simulation.time_scale)")
        ->check(CLI::PositiveNumber);
    app.add_option("--report-interval", sc.report_interval_s,
                   "GPS seconds between reports (default: simulation.report_interval_s)")
        ->check(CLI::PositiveNumber);
    app.add_option("--duration", sc.duration, "stop after this much wall-clock time (default: until Ctrl-C)")
        ->check(duration_ok);
    app.add_option("--ack-log", sc.ack_log, "write every acknowledged position to FILE (docs/simulator.md)");
    app.add_option("--only", sc.only, "simulate only these plates")->expected(1, -1);
    app.add_option("--start-time", sc.start_time,
                   "GPS time at the start: auto (now, or earlier when accelerated with --duration so reports are "
                   "never in the future), now, or RFC 3339")
        ->capture_default_str();
    app.add_option("--end-stop-min", sc.end_stop_min, "minutes each vehicle stops at the end of its route")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--heartbeat", sc.heartbeat, "0x0002 after this much wall-clock quiet")
        ->capture_default_str()
        ->check(duration_ok);
    app.add_option("--status-every", sc.status_every, "print the status line this often")
        ->capture_default_str()
        ->check(duration_ok);
    app.add_option("--batch-max", sc.batch_max, "positions per 0x0704 back-fill")->capture_default_str();
    app.add_flag("--no-resend", sc.no_resend,
                 "do not back-fill positions that were sent but not acknowledged when a connection dropped");

    LoadArgs ld;
    auto* load = app.add_subcommand("load", "many terminals sending 0x0200 at a target rate; prints the achieved "
                                            "rate and ack latency percentiles");
    load->add_option("--server", ld.server, "HOST:PORT")->capture_default_str();
    load->add_option("--terminals", ld.terminals, "number of connections (default 100, or all of --phones-from/--fleet)");
    load->add_option("--rate", ld.rate, "aggregate 0x0200 per second; 0 = as fast as --in-flight allows")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    load->add_option("--in-flight", ld.in_flight, "unacknowledged reports per connection")->capture_default_str();
    load->add_option("--burst", ld.burst,
                     "reports a connection sends in one write per turn (<= --in-flight); 1 = one segment per "
                     "report, like real terminals")
        ->capture_default_str();
    load->add_option("--duration", ld.duration, "length of the sending phase")->capture_default_str()->check(duration_ok);
    load->add_option("--threads", ld.threads, "I/O threads of the generator")->capture_default_str();
    add_phone_options(load, ld.phones);
    auto* fleet_opt = load->add_option("--fleet,--register-via", ld.fleet,
                                       "take phones and plates from this fleet file's vehicles (imported into the "
                                       "server's database)");
    load->add_flag("--auto-register", ld.auto_register,
                   "generated phones the server does not know yet: it registers them (ingest.auto_register)")
        ->excludes(fleet_opt);
    load->add_flag("--hold", ld.hold, "connect and authenticate, then only heartbeat (session memory benchmark)");
    load->add_option("--heartbeat", ld.heartbeat, "heartbeat interval with --hold")->capture_default_str()->check(duration_ok);
    load->add_option("--connect-rate", ld.connect_rate, "new connections per second")->capture_default_str();
    load->add_option("--max-handshakes", ld.max_handshakes, "connections registering/authenticating at once")
        ->capture_default_str();
    load->add_option("--ready-timeout", ld.ready_timeout, "time allowed for every terminal to authenticate")
        ->capture_default_str()
        ->check(duration_ok);
    load->add_option("--drain", ld.drain, "time to wait for the last acks")->capture_default_str()->check(duration_ok);
    load->add_option("--protocol", ld.protocol, "2013 or 2019")->capture_default_str()->check(CLI::IsMember({"2013", "2019"}));
    load->add_option("--ack-log", ld.ack_log, "write every acknowledged report to FILE");
    load->add_option("--gps-start", ld.gps_start,
                     "GPS time of each terminal's first report, RFC 3339 (default: early enough that the last "
                     "report is not in the future)");

    GenArgs gen;
    auto* gen_cmd = app.add_subcommand("gen-fleet", "write a fleet file with N vehicles owning the load phones, for "
                                                    "`fleetwatch fleet import`");
    gen_cmd->add_option("--count", gen.count, "number of vehicles");
    add_phone_options(gen_cmd, gen.phones);
    gen_cmd->add_option("--out", gen.out, "the fleet file to write")->required();
    gen_cmd->add_option("--class", gen.vehicle_class, "vehicle class")
        ->capture_default_str()
        ->check(CLI::IsMember({"school_bus", "bus", "car", "truck", "other"}));
    gen_cmd->add_option("--plate-color", gen.plate_color, "plate colour (1 blue, 2 yellow, ...)")->capture_default_str();

    std::string fake_listen = "127.0.0.1:6809";
    std::size_t fake_threads = 1;
    std::string fake_duration;
    auto* fake = app.add_subcommand("fake-platform", "a stand-in JT/T 808 server that answers 0x8100/0x8001 and "
                                                     "stores nothing (to measure the generator itself)");
    fake->add_option("--listen", fake_listen, "HOST:PORT")->capture_default_str();
    fake->add_option("--threads", fake_threads, "I/O threads")->capture_default_str();
    fake->add_option("--duration", fake_duration, "stop after this long")->check(duration_ok);

    CLI11_PARSE(app, argc, argv);

    auto logger = spdlog::stderr_color_mt("fleetwatch-sim");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));
    install_signal_handlers();

    try {
        if (load->parsed()) return run_load_command(ld);
        if (gen_cmd->parsed()) {
            std::string line = "fleetwatch-sim";
            for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
            return run_gen_fleet(gen, line);
        }
        if (fake->parsed()) return run_fake_platform(fake_listen, fake_threads, fake_duration);
        return run_scenario(sc);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fleetwatch-sim: %s\n", e.what());
        return 1;
    }
}
