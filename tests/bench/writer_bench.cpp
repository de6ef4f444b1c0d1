// fleetwatch_writer_bench: pushes positions through storage::PositionWriter into a real PostGIS
// and prints what it sustained.
//
//   FLEETWATCH_TEST_DATABASE_URL=... fleetwatch_writer_bench [--positions N] [--vehicles V]
//       [--producers P] [--rate R] [--chunk C] [--batch-size B] [--connections K]
//       [--batch-interval-ms T]
//       [--spool-dir DIR] [--keep] [--drop-geom-index]
//
// It creates schema fwbench_<pid> in that database, migrates it (storage/migrations), runs the
// load and drops the schema (unless --keep). P producer threads submit C positions per call
// (C = 1 is one 0x0200 per ack), as fast as they can or at R positions/s in total. Reported:
// throughput from the first submit until everything is committed, the submit() latency
// percentiles (the 0x8001 ack waits for exactly this), and the writer's batch size and batch
// latency from its Prometheus histograms.
//
// scripts/with-postgres.sh provides a throwaway cluster:
//   scripts/with-postgres.sh build/release/tests/bench/fleetwatch_writer_bench --positions 2000000
#include <libpq-fe.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/migrations.hpp"
#include "fleetwatch/storage/position_writer.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace storage = fleetwatch::storage;
namespace core = fleetwatch::core;

struct Options {
    std::size_t positions = 1'000'000;
    std::size_t vehicles = 2000;
    std::size_t producers = 2;
    double rate = 0;  // positions/s in total; 0 = as fast as possible
    std::size_t chunk = 1;
    std::size_t batch_size = 5000;
    std::size_t connections = 2;
    std::size_t batch_interval_ms = 100;
    std::string spool_dir;
    bool keep = false;
    bool drop_geom_index = false;  // measure the table without positions_geom_gist
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(
        stderr,
        "fleetwatch_writer_bench: %s\nusage: fleetwatch_writer_bench [--positions N] "
        "[--vehicles V] [--producers P] [--rate R] [--chunk C] [--batch-size B] [--connections K] "
        "[--batch-interval-ms T] [--spool-dir DIR] [--keep] [--drop-geom-index]\n"
        "The database: FLEETWATCH_BENCH_DATABASE_URL or FLEETWATCH_TEST_DATABASE_URL.\n",
        why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
            return argv[++i];
        };
        auto number = [&]() { return static_cast<std::size_t>(std::stoull(value())); };
        if (arg == "--positions")
            o.positions = number();
        else if (arg == "--vehicles")
            o.vehicles = std::max<std::size_t>(1, number());
        else if (arg == "--producers")
            o.producers = std::max<std::size_t>(1, number());
        else if (arg == "--rate")
            o.rate = std::stod(value());
        else if (arg == "--chunk")
            o.chunk = std::max<std::size_t>(1, number());
        else if (arg == "--batch-size")
            o.batch_size = number();
        else if (arg == "--connections")
            o.connections = std::max<std::size_t>(1, number());
        else if (arg == "--batch-interval-ms")
            o.batch_interval_ms = number();
        else if (arg == "--spool-dir")
            o.spool_dir = value();
        else if (arg == "--keep")
            o.keep = true;
        else if (arg == "--drop-geom-index")
            o.drop_geom_index = true;
        else
            usage(("unknown argument " + arg).c_str());
    }
    return o;
}

// `url` as key=value pairs with search_path set to `schema`.
std::string with_search_path(const std::string& url, const std::string& schema) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
    if (options == nullptr) {
        std::fprintf(stderr, "fleetwatch_writer_bench: bad database URL: %s\n",
                     error ? error : "?");
        std::exit(2);
    }
    std::map<std::string, std::string> kv;
    for (auto* o = options; o->keyword != nullptr; ++o) {
        if (o->val != nullptr && o->val[0] != '\0') kv[o->keyword] = o->val;
    }
    PQconninfoFree(options);
    kv["options"] = (kv.count("options") != 0U ? kv["options"] + " " : "") +
                    "-c search_path=" + schema + ",public";
    std::string out;
    for (const auto& [k, v] : kv) {
        std::string quoted = "'";
        for (const char c : v) {
            if (c == '\'' || c == '\\') quoted += '\\';
            quoted += c;
        }
        out += (out.empty() ? "" : " ") + k + "=" + quoted + "'";
    }
    return out;
}

core::Position make_position(std::size_t i, std::size_t vehicles, core::Timestamp base) {
    core::Position p;
    p.vehicle_id = static_cast<core::VehicleId>(1 + i % vehicles);
    p.gps_time = base + std::chrono::seconds{static_cast<std::int64_t>(i / vehicles)};
    p.received_at = p.gps_time + 1s;
    p.point = core::GeoPoint{32'000'000 + static_cast<std::int32_t>(i % 100'000),
                             118'700'000 + static_cast<std::int32_t>((i * 7) % 100'000)};
    p.altitude_m = 12;
    p.speed_dkmh = static_cast<std::uint16_t>(i % 900);
    p.direction = static_cast<std::uint16_t>(i % 360);
    p.status = 0x3;
    p.valid = true;
    p.mileage_100m = static_cast<std::uint32_t>(i);
    p.satellites = 9;
    p.signal_strength = 25;
    return p;
}

double percentile(std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

// Percentile of a Prometheus histogram, interpolated linearly inside the bucket.
double histogram_percentile(const prometheus::ClientMetric::Histogram& h, double q) {
    const double target = q * static_cast<double>(h.sample_count);
    double lower = 0;
    std::uint64_t below = 0;
    for (const auto& b : h.bucket) {
        if (static_cast<double>(b.cumulative_count) >= target) {
            const auto in_bucket = static_cast<double>(b.cumulative_count - below);
            if (std::isinf(b.upper_bound) || in_bucket == 0) return lower;
            return lower +
                   (b.upper_bound - lower) * (target - static_cast<double>(below)) / in_bucket;
        }
        lower = b.upper_bound;
        below = b.cumulative_count;
    }
    return lower;
}

const prometheus::ClientMetric* find_metric(const std::vector<prometheus::MetricFamily>& families,
                                            const std::string& name) {
    for (const auto& f : families) {
        if (f.name == name && !f.metric.empty()) return &f.metric.front();
    }
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    const char* url_env = std::getenv("FLEETWATCH_BENCH_DATABASE_URL");
    if (url_env == nullptr || url_env[0] == '\0')
        url_env = std::getenv("FLEETWATCH_TEST_DATABASE_URL");
    if (url_env == nullptr || url_env[0] == '\0')
        usage("no database: set FLEETWATCH_BENCH_DATABASE_URL");
    const std::string url = url_env;
    const std::string schema = "fwbench_" + std::to_string(::getpid());
    const std::string conninfo = with_search_path(url, schema);

    try {
        auto admin = storage::Database(url).connect();
        storage::query_text(admin, "CREATE SCHEMA " + schema);
        storage::migrate(conninfo);
        if (opt.drop_geom_index)
            storage::query_text(admin, "DROP INDEX " + schema + ".positions_geom_gist");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fleetwatch_writer_bench: setting up schema %s: %s\n", schema.c_str(),
                     e.what());
        return 1;
    }

    const fs::path spool_dir =
        opt.spool_dir.empty() ? fs::temp_directory_path() / schema : fs::path(opt.spool_dir);
    storage::PositionWriterConfig config;
    config.conninfo = conninfo;
    config.batch_size = opt.batch_size;
    config.connections = opt.connections;
    config.batch_interval = std::chrono::milliseconds{opt.batch_interval_ms};
    config.queue_capacity = std::max<std::size_t>(200'000, opt.batch_size * 4);
    config.spool_dir = spool_dir;

    // One day, so the partition is made once and every batch is the steady-state case.
    const core::Timestamp base{std::chrono::seconds{1'773'100'800}};  // 2026-03-10T00:00:00Z
    std::vector<core::Position> positions;
    positions.reserve(opt.positions);
    for (std::size_t i = 0; i < opt.positions; ++i)
        positions.push_back(make_position(i, opt.vehicles, base));

    prometheus::Registry registry;
    int rc = 0;
    {
        storage::PositionWriter writer(config, registry);
        for (int i = 0; i < 200 && !writer.db_up(); ++i) std::this_thread::sleep_for(10ms);

        std::vector<std::vector<double>> latencies(opt.producers);
        std::atomic<std::size_t> refused{0};
        std::atomic<std::size_t> max_queue{0};
        std::atomic<bool> done{false};
        std::thread sampler([&] {
            while (!done.load()) {
                const std::size_t q = writer.queued();
                if (q > max_queue.load()) max_queue.store(q);
                std::this_thread::sleep_for(10ms);
            }
        });

        const auto start = Clock::now();
        std::vector<std::thread> producers;
        for (std::size_t t = 0; t < opt.producers; ++t) {
            producers.emplace_back([&, t] {
                auto& lat = latencies[t];
                lat.reserve(opt.positions / opt.chunk / opt.producers + 1);
                const double per_thread_rate = opt.rate / static_cast<double>(opt.producers);
                std::size_t sent = 0;
                // Producer t takes chunks t, t + P, t + 2P ...
                for (std::size_t first = t * opt.chunk; first < positions.size();
                     first += opt.producers * opt.chunk) {
                    const std::size_t n = std::min(opt.chunk, positions.size() - first);
                    if (per_thread_rate > 0) {
                        const auto due =
                            start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(static_cast<double>(sent) /
                                                                      per_thread_rate));
                        std::this_thread::sleep_until(due);
                    }
                    const auto t0 = Clock::now();
                    if (!writer.submit(std::span(positions).subspan(first, n))) refused += n;
                    lat.push_back(
                        std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
                    sent += n;
                }
            });
        }
        for (auto& p : producers) p.join();
        const auto submitted = Clock::now();
        // Durable is not enough here: wait until what overflowed into the spool is replayed too.
        bool flushed = writer.flush(600s);
        while (flushed && writer.spooled_records() > 0) {
            std::this_thread::sleep_for(5ms);
            flushed = writer.flush(600s);
        }
        if (!flushed) {
            std::fprintf(stderr, "fleetwatch_writer_bench: flush timed out\n");
            rc = 1;
        }
        const auto committed = Clock::now();
        done.store(true);
        sampler.join();

        std::vector<double> all;
        for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
        const double submit_s = std::chrono::duration<double>(submitted - start).count();
        const double total_s = std::chrono::duration<double>(committed - start).count();

        const auto families = registry.Collect();
        const auto* stored = find_metric(families, "fleetwatch_storage_positions_stored_total");
        const auto* spooled = find_metric(families, "fleetwatch_storage_positions_spooled_total");
        const auto* batch_seconds = find_metric(families, "fleetwatch_storage_batch_seconds");
        const auto* batch_size = find_metric(families, "fleetwatch_storage_batch_size");

        std::printf(
            "positions            %zu (%zu vehicles, %zu producers, %zu per submit, %zu "
            "connections, rate %s)\n",
            opt.positions, opt.vehicles, opt.producers, opt.chunk, opt.connections,
            opt.rate > 0 ? std::to_string(static_cast<long long>(opt.rate)).c_str() : "unlimited");
        std::printf("stored               %.0f   spooled %.0f   refused %zu\n",
                    stored ? stored->counter.value : -1, spooled ? spooled->counter.value : -1,
                    refused.load());
        std::printf("submit phase         %.2f s  (%.0f positions/s offered)\n", submit_s,
                    static_cast<double>(opt.positions) / submit_s);
        std::printf("into PostGIS         %.2f s  => %.0f positions/s sustained\n", total_s,
                    static_cast<double>(opt.positions) / total_s);
        std::printf("max queue depth      %zu\n", max_queue.load());
        std::printf("submit latency (us)  p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                    percentile(all, 0.5), percentile(all, 0.99), percentile(all, 0.999),
                    *std::max_element(all.begin(), all.end()));
        if (batch_seconds != nullptr && batch_size != nullptr &&
            batch_seconds->histogram.sample_count > 0) {
            const auto& h = batch_seconds->histogram;
            std::printf("batches              %llu, mean size %.0f\n",
                        static_cast<unsigned long long>(h.sample_count),
                        batch_size->histogram.sample_sum /
                            static_cast<double>(batch_size->histogram.sample_count));
            std::printf(
                "batch latency (ms)   mean %.1f  p50 ~%.1f  p90 ~%.1f  p99 ~%.1f  (histogram "
                "buckets)\n",
                1e3 * h.sample_sum / static_cast<double>(h.sample_count),
                1e3 * histogram_percentile(h, 0.5), 1e3 * histogram_percentile(h, 0.9),
                1e3 * histogram_percentile(h, 0.99));
        }
        if (stored == nullptr ||
            static_cast<std::size_t>(stored->counter.value) + refused.load() != opt.positions) {
            std::fprintf(stderr,
                         "fleetwatch_writer_bench: not every accepted position was stored\n");
            rc = 1;
        }
    }

    if (!opt.keep) {
        try {
            auto admin = storage::Database(url).connect();
            storage::query_text(admin, "DROP SCHEMA " + schema + " CASCADE");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fleetwatch_writer_bench: dropping %s: %s\n", schema.c_str(),
                         e.what());
        }
        fs::remove_all(spool_dir);
    }
    return rc;
}
