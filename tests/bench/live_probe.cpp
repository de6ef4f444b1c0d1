// Position accepted -> live event delivered, through the whole server (issue 5's latency
// target): ingest, the storage writer's commit, the rule engine, the violations INSERT, the
// live hub and N WebSocket clients. Run by tests/bench/e2e_load.sh --live-clients N while the
// load generator sends its load; usable against any running `fleetwatch serve`.
//
// The probe connects N live-stream clients (JSON or protobuf), then logs in one or more probe
// terminals (vehicles of the fleet, not used by the load generator) and, round after round,
// makes one of them raise SOS (alarm bit 0) in a 0x0200 and then clear it: RULES.md opens a
// terminal_alarm episode on the first report with the bit and closes it on the first without.
// For each round it takes the time the report was written to the socket (sent) and the time
// its 0x8001 arrived (accepted: ingest answers once the storage writer has taken the position,
// and only what it took goes on to the rules), then waits until every client has the matching violation.opened (or .closed) frame
// of that vehicle, or 5 s. A figure is a client's receive time minus sent (an upper bound) or
// minus accepted (the target's definition; negative when the frame beat the 0x8001 back). One
// round at a time, `--gap-ms` apart, until `--seconds` have passed or `--rounds` are done.
//
//   fleetwatch_live_probe --ingest-port P --http-port H --token T --probe 013800010001=10001
//       [--probe ...] [--clients 200] [--format json|protobuf] [--seconds 40] [--gap-ms 100]
//
// A measurement, not a test: it prints figures and exits 0 unless it could not set up (a client
// or terminal that cannot connect): docs/performance.md records the figures.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/v1/events.pb.h"
#include "live_client.hpp"
#include "test_terminal.hpp"

using namespace fleetwatch;
using namespace std::chrono_literals;
using bench::micros_now;
using bench::percentile;

namespace {

constexpr std::uint16_t kPlatformResponse = 0x8001;
constexpr std::uint32_t kSos = 1u << 0;

struct FrameInfo {
    std::string kind;  // "violation.opened", ...
    std::string type;
    std::int64_t vehicle_id = -1;
};

FrameInfo frame_info(const std::string& payload, bool proto) {
    FrameInfo f;
    if (proto) {
        v1::LiveEvent e;
        if (!e.ParseFromString(payload)) return f;
        f.kind = e.kind();
        if (e.has_violation()) {
            f.type = e.violation().type();
            f.vehicle_id = e.violation().vehicle_id();
        }
        return f;
    }
    const auto j = nlohmann::json::parse(payload, nullptr, false);
    if (!j.is_object()) return f;
    f.kind = j.value("kind", "");
    if (const auto d = j.find("data"); d != j.end() && d->is_object()) {
        f.type = d->value("type", "");
        f.vehicle_id = d->value("vehicle_id", std::int64_t{-1});
    }
    return f;
}

// The round in progress: what the clients are waiting for and when each got it.
struct Round {
    std::mutex mutex;
    std::condition_variable arrived;
    std::int64_t vehicle_id = -1;
    std::string kind;
    std::vector<std::int64_t> received_us;  // per client, -1 until its frame came
    std::size_t count = 0;
    std::uint64_t other_frames = 0;  // frames of the load itself, or late ones
};

struct Probe {
    std::string phone;
    std::int64_t vehicle_id = 0;
    std::unique_ptr<ingest::test::TestTerminal> terminal;
    core::Timestamp gps_time{};
};

void print_line(const char* what, std::vector<std::int64_t> v) {
    const auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
    std::printf("%-44s n=%zu p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f min=%.2f ms\n", what,
                v.size(), ms(percentile(v, 0.50)), ms(percentile(v, 0.90)),
                ms(percentile(v, 0.99)), ms(percentile(v, 0.999)), ms(percentile(v, 1.0)),
                ms(percentile(v, 0.0)));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fleetwatch_live_probe: position accepted -> live event delivered"};
    std::uint16_t ingest_port = 0;
    std::uint16_t http_port = 0;
    std::string token;
    std::vector<std::string> probe_args;
    int clients = 200;
    std::string format = "json";
    int seconds = 40;
    int rounds_max = 100000;
    int gap_ms = 100;
    app.add_option("--ingest-port", ingest_port, "the server's JT/T 808 port on 127.0.0.1")->required();
    app.add_option("--http-port", http_port, "its HTTP port on 127.0.0.1")->required();
    app.add_option("--token", token, "a token of a role that sees every vehicle")->required();
    app.add_option("--probe", probe_args, "PHONE=VEHICLE_ID of a probe terminal")->required();
    app.add_option("--clients", clients, "live-stream clients")->check(CLI::Range(1, 10000));
    app.add_option("--format", format, "json or protobuf")->check(CLI::IsMember({"json", "protobuf"}));
    app.add_option("--seconds", seconds, "stop starting rounds after this")->check(CLI::Range(1, 3600));
    app.add_option("--rounds", rounds_max, "at most this many rounds")->check(CLI::Range(1, 1000000));
    app.add_option("--gap-ms", gap_ms, "pause between rounds")->check(CLI::Range(0, 60000));
    CLI11_PARSE(app, argc, argv);
    const bool proto = format == "protobuf";

    std::vector<Probe> probes;
    for (const auto& a : probe_args) {
        const auto eq = a.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "live_probe: --probe %s is not PHONE=VEHICLE_ID\n", a.c_str());
            return 2;
        }
        probes.push_back({a.substr(0, eq), std::stoll(a.substr(eq + 1)), nullptr, {}});
    }

    // The clients, all on one thread.
    Round round;
    boost::asio::io_context client_io;
    std::vector<std::shared_ptr<bench::LiveClient>> all;
    for (int i = 0; i < clients; ++i) {
        const auto index = static_cast<std::size_t>(i);
        auto c = std::make_shared<bench::LiveClient>(
            client_io, proto, [&round, index, proto](const std::string& payload, std::int64_t now) {
                const FrameInfo f = frame_info(payload, proto);
                std::lock_guard lock(round.mutex);
                if (f.type != "terminal_alarm" || f.vehicle_id != round.vehicle_id ||
                    f.kind != round.kind || round.received_us[index] >= 0) {
                    ++round.other_frames;
                    return;
                }
                round.received_us[index] = now;
                if (++round.count == round.received_us.size()) round.arrived.notify_all();
            });
        if (!c->connect(http_port, "/api/v1/live?token=" + token)) {
            std::fprintf(stderr, "live_probe: client %d could not connect to 127.0.0.1:%u\n", i,
                         http_port);
            return 1;
        }
        c->start();
        all.push_back(std::move(c));
    }
    round.received_us.assign(all.size(), -1);
    auto guard = boost::asio::make_work_guard(client_io);
    std::thread client_thread([&] { client_io.run(); });

    // The probe terminals; GPS times from 10 minutes ago, one second apart per report.
    for (auto& p : probes) {
        p.terminal = std::make_unique<ingest::test::TestTerminal>(ingest_port, p.phone);
        if (!p.terminal->connected() || !p.terminal->login()) {
            std::fprintf(stderr, "live_probe: terminal %s could not log in\n", p.phone.c_str());
            guard.reset();
            client_io.stop();
            client_thread.join();
            return 1;
        }
        p.gps_time = core::utc_now() - 10min;
    }

    std::vector<std::int64_t> from_sent[2];
    std::vector<std::int64_t> from_accepted[2];
    std::vector<std::int64_t> accept_us;
    std::uint64_t missing = 0;
    std::uint64_t no_ack = 0;
    int rounds = 0;
    const auto t_start = std::chrono::steady_clock::now();
    const auto t_end = t_start + std::chrono::seconds(seconds);
    std::vector<bool> raised(probes.size(), false);
    for (; rounds < rounds_max && std::chrono::steady_clock::now() < t_end; ++rounds) {
        const std::size_t which = static_cast<std::size_t>(rounds / 2) % probes.size();
        Probe& p = probes[which];
        const bool raise = !raised[which];
        {
            std::lock_guard lock(round.mutex);
            round.vehicle_id = p.vehicle_id;
            round.kind = raise ? "violation.opened" : "violation.closed";
            round.received_us.assign(all.size(), -1);
            round.count = 0;
        }
        p.gps_time += 1s;
        const auto location = ingest::test::make_location(
            32'100'000, 118'950'000, 0, core::to_civil(p.gps_time, core::kChinaUtcOffset), 0x2,
            raise ? kSos : 0u);
        const std::int64_t sent = micros_now();
        const std::uint16_t serial = p.terminal->send_message(location);
        std::int64_t accepted = -1;
        for (auto deadline = std::chrono::steady_clock::now() + 5s;
             std::chrono::steady_clock::now() < deadline;) {
            const auto reply = p.terminal->receive_id(kPlatformResponse, 5s);
            if (!reply) break;
            const auto ack = reply->ack();
            if (ack.reply_serial == serial) {
                if (ack.result == 0) accepted = micros_now();
                break;
            }
        }
        raised[which] = raise;
        if (accepted >= 0) accept_us.push_back(accepted - sent);
        else ++no_ack;
        std::unique_lock lock(round.mutex);
        round.arrived.wait_for(lock, 5s, [&] { return round.count == round.received_us.size(); });
        const std::size_t k = raise ? 0 : 1;
        for (const auto t : round.received_us) {
            if (t < 0) {
                ++missing;
                continue;
            }
            from_sent[k].push_back(t - sent);
            if (accepted >= 0) from_accepted[k].push_back(t - accepted);
        }
        round.vehicle_id = -1;
        lock.unlock();
        if (gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::this_thread::sleep_for(200ms);  // frames after the last round count as other frames
    guard.reset();
    client_io.stop();
    client_thread.join();

    std::size_t closed = 0;
    for (const auto& c : all) {
        if (c->closed()) ++closed;
    }
    std::vector<std::int64_t> all_sent = from_sent[0];
    all_sent.insert(all_sent.end(), from_sent[1].begin(), from_sent[1].end());
    std::vector<std::int64_t> all_accepted = from_accepted[0];
    all_accepted.insert(all_accepted.end(), from_accepted[1].begin(), from_accepted[1].end());
    std::printf("live probe: %d clients (%s), %zu probe terminals, %d rounds in %.1f s; frames "
                "expected %llu, delivered %zu, missing %llu; reports without 0x8001 %llu; other "
                "frames %llu; clients closed by the server %zu\n",
                clients, format.c_str(), probes.size(), rounds, elapsed,
                static_cast<unsigned long long>(rounds) * all.size(), all_sent.size(),
                static_cast<unsigned long long>(missing), static_cast<unsigned long long>(no_ack),
                static_cast<unsigned long long>(round.other_frames), closed);
    print_line("report sent -> 0x8001 received", accept_us);
    print_line("accepted -> delivered, violation.opened", from_accepted[0]);
    print_line("accepted -> delivered, violation.closed", from_accepted[1]);
    print_line("accepted -> delivered, both", all_accepted);
    print_line("sent -> delivered, both", all_sent);
    return 0;
}
