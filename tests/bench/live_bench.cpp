// The live stream's fan-out latency: N WebSocket clients on loopback (Beast, one client
// thread), the HTTP server with 2 threads (http.threads' default), and events published to the
// push::LiveHub the way the rules' output thread does, at a steady rate. Each event carries its
// publish time (steady clock, µs) as its violation id; each client takes its receive time when
// the frame is read, so a figure is publish -> delivered to a client's read handler, through
// serialization, the queue, the session's strand and the socket. Prints percentiles.
//
//   fleetwatch_live_bench [clients=200] [events_per_s=200] [seconds=10] [json|protobuf]
//
// A measurement, not a test: docs/performance.md records the figures and the machine.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/api/live.hpp"
#include "fleetwatch/api/router.hpp"
#include "fleetwatch/api/server.hpp"
#include "fleetwatch/push/live_hub.hpp"
#include "fleetwatch/v1/events.pb.h"
#include "live_client.hpp"

namespace net = boost::asio;
using namespace fleetwatch;
using bench::micros_now;
using bench::percentile;

namespace {

// The violation id of a frame, without a full JSON parse (keys are sorted: data.id is unique).
std::int64_t frame_id(const std::string& payload, bool proto) {
    if (proto) {
        v1::LiveEvent e;
        return e.ParseFromString(payload) ? e.violation().id() : -1;
    }
    const auto at = payload.find("\"id\":");
    return at == std::string::npos ? -1 : std::strtoll(payload.c_str() + at + 5, nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
    const int clients = argc > 1 ? std::atoi(argv[1]) : 200;
    const int rate = argc > 2 ? std::atoi(argv[2]) : 200;
    const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
    const bool proto = argc > 4 && std::string(argv[4]) == "protobuf";
    if (clients <= 0 || rate <= 0 || seconds <= 0) {
        std::fprintf(stderr, "usage: %s [clients] [events_per_s] [seconds] [json|protobuf]\n", argv[0]);
        return 2;
    }

    push::LiveHub hub;
    api::LiveStream live(
        hub,
        [](std::string_view) -> std::optional<api::Principal> {
            return api::Principal{1, "bench", api::Role::dispatcher};
        },
        [](const std::string&) { return std::vector<core::VehicleId>{}; });
    api::Router router;
    api::add_live_route(router);
    net::io_context server_io;
    api::HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    o.live = &live;
    api::HttpServer server(server_io, o, router);
    server.start();
    std::vector<std::thread> server_threads;
    for (int i = 0; i < 2; ++i) server_threads.emplace_back([&] { server_io.run(); });

    net::io_context client_io;
    std::vector<std::int64_t> latencies;
    latencies.reserve(static_cast<std::size_t>(clients) * static_cast<std::size_t>(rate * seconds));
    std::vector<std::shared_ptr<bench::LiveClient>> all;
    for (int i = 0; i < clients; ++i) {
        auto c = std::make_shared<bench::LiveClient>(
            client_io, proto, [proto, &latencies](const std::string& payload, std::int64_t now) {
                if (const auto id = frame_id(payload, proto); id >= 0) latencies.push_back(now - id);
            });
        if (!c->connect(server.port(), "/api/v1/live?token=bench")) {
            std::fprintf(stderr, "client %d could not connect\n", i);
            return 1;
        }
        c->start();
        all.push_back(std::move(c));
    }
    while (hub.stats().subscribers < static_cast<std::size_t>(clients)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto guard = net::make_work_guard(client_io);
    std::thread client_thread([&] { client_io.run(); });

    push::ViolationEvent e;
    e.kind = push::ViolationEventKind::opened;
    e.type = "overspeed";
    e.severity = "serious";
    e.vehicle_id = 7;
    e.started_at = core::utc_now();
    e.peak = 131;
    e.peak_unit = "km/h";
    const auto period = std::chrono::microseconds(1'000'000 / rate);
    auto next = bench::BenchClock::now();
    const int events = rate * seconds;
    for (int i = 0; i < events; ++i) {
        std::this_thread::sleep_until(next);
        next += period;
        e.violation_id = micros_now();
        hub.violation(e);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the last ones arrive
    guard.reset();
    client_io.stop();
    client_thread.join();

    std::size_t received = 0;
    for (const auto& c : all) received += c->received();
    const auto stats = hub.stats();
    std::printf("clients %d, %s, %d events/s for %d s: %d events, %zu frames delivered of %lld "
                "expected, %llu slow drops, %llu serializations\n",
                clients, proto ? "protobuf" : "json", rate, seconds, events, received,
                static_cast<long long>(events) * clients,
                static_cast<unsigned long long>(stats.slow_drops),
                static_cast<unsigned long long>(stats.frames_serialized));
    std::printf("publish -> delivered (µs): p50 %lld  p90 %lld  p99 %lld  p99.9 %lld  max %lld\n",
                static_cast<long long>(percentile(latencies, 0.50)),
                static_cast<long long>(percentile(latencies, 0.90)),
                static_cast<long long>(percentile(latencies, 0.99)),
                static_cast<long long>(percentile(latencies, 0.999)),
                static_cast<long long>(percentile(latencies, 1.0)));

    live.stop();
    server.stop();
    server_io.stop();
    for (auto& t : server_threads) t.join();
    return 0;
}
