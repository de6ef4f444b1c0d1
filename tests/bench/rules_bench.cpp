// Rule engine throughput (Google Benchmark): in-memory evaluation of live positions with a
// realistic load — 1 000 vehicles (buses, school buses, cars, trucks; half on route trips,
// all with a driver's card in), 200 speed-limit zones (polygons and circles) and 50 routes of
// 60 points each, fixes every 10 s in GPS-time order across the fleet. docs/rules.md records
// the figure (target: >= 1 million positions/s per core).
//
// Each iteration builds a fresh Engine (untimed), warms it with the first 10 minutes of the
// fleet (vehicle, driver and index state created), then times the next hour: 360 000
// positions through Engine::on_position, outputs drained as a consumer would.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/rules/engine.hpp"

namespace {

using namespace fleetwatch;
using namespace std::chrono_literals;
using rules::RuleConfig;

constexpr int kVehicles = 1000;
constexpr int kZones = 200;
constexpr int kRoutes = 50;
constexpr int kRoutePoints = 60;
const geo::LatLon kCentre{32.06, 118.80};  // Nanjing

double deg_lat(double m) { return m / 110'900.0; }
double deg_lon(double m) { return m / (111'320.0 * std::cos(kCentre.lat * std::numbers::pi / 180)); }

struct Fleet {
    RuleConfig config;
    std::vector<std::vector<geo::LatLon>> paths;  // per vehicle, where it drives
};

Fleet build_fleet() {
    std::mt19937_64 rng(42);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    Fleet f;
    RuleConfig& c = f.config;
    const core::Timestamp day = core::to_timestamp({2026, 3, 10, 0, 0, 0}, core::kChinaUtcOffset);
    for (int i = 0; i < kZones; ++i) {
        const geo::LatLon p{kCentre.lat + deg_lat(uni(-20'000, 20'000)), kCentre.lon + deg_lon(uni(-20'000, 20'000))};
        const double r = uni(200, 1500);
        rules::Zone z;
        z.name = "zone " + std::to_string(i);
        z.kind = i % 10 == 0 ? rules::ZoneKind::expressway : i % 3 == 0 ? rules::ZoneKind::campus : rules::ZoneKind::other;
        z.speed_limit_kmh = i % 10 == 0 ? 100.0 : i % 3 == 0 ? 20.0 : 40.0;
        if (i % 2 == 0) {
            z.shape = geo::CircleShape{p, r};
        } else {
            geo::PolygonShape poly;
            for (int k = 0; k < 8; ++k) {
                const double a = k * std::numbers::pi / 4;
                poly.ring.push_back({p.lat + deg_lat(r * std::sin(a)), p.lon + deg_lon(r * std::cos(a))});
            }
            z.shape = poly;
        }
        c.zones.push_back(z);
    }
    for (int i = 0; i < kRoutes; ++i) {
        rules::Route r;
        r.name = "route " + std::to_string(i);
        geo::LatLon p{kCentre.lat + deg_lat(uni(-15'000, 15'000)), kCentre.lon + deg_lon(uni(-15'000, 15'000))};
        double heading = uni(0, 2 * std::numbers::pi);
        for (int k = 0; k < kRoutePoints; ++k) {
            r.points.push_back(p);
            heading += uni(-0.5, 0.5);
            p.lat += deg_lat(500 * std::cos(heading));
            p.lon += deg_lon(500 * std::sin(heading));
        }
        r.speed_limit_kmh = i % 4 == 0 ? std::optional<double>(40) : std::nullopt;
        c.routes.push_back(r);
    }
    for (int i = 0; i < kVehicles; ++i) {
        const auto cls = static_cast<rules::VehicleClass>(i % 5);
        c.vehicles.push_back({i + 1, "V" + std::to_string(i), cls, i % 5 < 2});
        c.drivers.push_back({10'000 + i, "D" + std::to_string(i), "QC" + std::to_string(i), {}});
        std::vector<geo::LatLon> path;
        if (i % 2 == 0) {
            const std::size_t route = static_cast<std::size_t>(i / 2 % kRoutes);
            c.trips.push_back({i + 1, i + 1, 10'000 + i, route, std::nullopt, day + 6h, day + 20h, i % 5 == 0});
            path = c.routes[route].points;
        } else {
            geo::LatLon p{kCentre.lat + deg_lat(uni(-20'000, 20'000)), kCentre.lon + deg_lon(uni(-20'000, 20'000))};
            for (int k = 0; k < kRoutePoints; ++k) {
                path.push_back(p);
                p.lat += deg_lat(uni(-500, 500));
                p.lon += deg_lon(uni(-500, 500));
            }
        }
        f.paths.push_back(std::move(path));
    }
    return f;
}

// Fixes every 10 s from 08:00, round-robin over the fleet (GPS-time order), each vehicle moving
// along its path at 20-70 km/h with stops, GPS noise, and now and then speeding.
std::vector<core::Position> positions(const Fleet& f, int minutes) {
    std::mt19937_64 rng(7);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    const core::Timestamp start = core::to_timestamp({2026, 3, 10, 8, 0, 0}, core::kChinaUtcOffset);
    std::vector<core::Position> out;
    out.reserve(static_cast<std::size_t>(kVehicles * minutes * 6));
    std::vector<double> along(kVehicles, 0);
    for (int step = 0; step < minutes * 6; ++step) {
        for (int v = 0; v < kVehicles; ++v) {
            const auto& path = f.paths[static_cast<std::size_t>(v)];
            const bool stopped = (step / 60 + v) % 7 == 0;
            const double kmh = stopped ? uni(0, 3) : (step + v) % 97 < 4 ? uni(60, 90) : uni(20, 55);
            along[static_cast<std::size_t>(v)] += kmh / 3.6 * 10;
            const double seg = std::fmod(along[static_cast<std::size_t>(v)] / 500, static_cast<double>(path.size() - 1));
            const auto k = static_cast<std::size_t>(seg);
            const double t = seg - static_cast<double>(k);
            const geo::LatLon a = path[k];
            const geo::LatLon b = path[k + 1];
            core::Position p;
            p.vehicle_id = v + 1;
            p.gps_time = start + std::chrono::seconds{step * 10};
            p.received_at = p.gps_time;
            p.point = geo::to_geo_point({a.lat + (b.lat - a.lat) * t + deg_lat(uni(-5, 5)),
                                         a.lon + (b.lon - a.lon) * t + deg_lon(uni(-5, 5))});
            p.speed_dkmh = static_cast<std::uint16_t>(kmh * 10);
            p.status = 2;
            p.valid = true;
            out.push_back(p);
        }
    }
    return out;
}

// Vehicle v's driver (certificate "QC<v>") inserts the card a minute before `first_fix`.
core::DriverCardEvent card_in(int v, core::Timestamp first_fix) {
    core::DriverCardEvent card;
    card.vehicle_id = v + 1;
    card.time = first_fix - 60s;
    card.received_at = card.time;
    card.inserted = true;
    card.certificate_no = "QC" + std::to_string(v);
    return card;
}

void BM_RulesLivePositions(benchmark::State& state) {
    const Fleet fleet = build_fleet();
    const std::vector<core::Position> all = positions(fleet, 70);
    const std::size_t warm = static_cast<std::size_t>(kVehicles) * 60;  // the first 10 minutes
    std::uint64_t processed = 0;
    std::uint64_t events = 0;
    std::unique_ptr<rules::Engine> owner;
    rules::Outputs out;
    for (auto _ : state) {
        state.PauseTiming();
        owner.reset();  // the previous iteration's Engine is destroyed untimed
        owner = std::make_unique<rules::Engine>(fleet.config);
        rules::Engine& engine = *owner;
        for (int v = 0; v < kVehicles; ++v) engine.on_card_event(card_in(v, all.front().gps_time), out);
        for (std::size_t i = 0; i < warm; ++i) engine.on_position(all[i], out);
        out.clear();
        state.ResumeTiming();
        for (std::size_t i = warm; i < all.size(); ++i) {
            engine.on_position(all[i], out);
            if (!out.empty()) {
                events += out.events.size();
                out.clear();
            }
        }
        processed += all.size() - warm;
        benchmark::DoNotOptimize(engine.stats().positions);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(processed));
    state.counters["episode_events_per_iter"] =
        benchmark::Counter(static_cast<double>(events) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RulesLivePositions)->Unit(benchmark::kMillisecond)->Iterations(3);

// The same hour with one fix in 20 of every vehicle arriving after the vehicle's next fix
// (out of order by 10 s): each of those is inserted and the vehicle and its driver replay from
// their last checkpoint. Shows what late data costs.
void BM_RulesOneFixIn20Late(benchmark::State& state) {
    const Fleet fleet = build_fleet();
    std::vector<core::Position> all = positions(fleet, 70);
    const std::size_t warm = static_cast<std::size_t>(kVehicles) * 60;
    const std::size_t per_step = static_cast<std::size_t>(kVehicles);
    for (std::size_t i = warm; i + per_step < all.size(); ++i) {
        const std::size_t step = i / per_step;
        const std::size_t v = i % per_step;
        if ((step + v) % 20 == 0) std::swap(all[i], all[i + per_step]);  // delivered a step late
    }
    std::uint64_t processed = 0;
    std::uint64_t late = 0;
    std::unique_ptr<rules::Engine> owner;
    rules::Outputs out;
    for (auto _ : state) {
        state.PauseTiming();
        owner.reset();
        owner = std::make_unique<rules::Engine>(fleet.config);
        rules::Engine& engine = *owner;
        for (std::size_t i = 0; i < warm; ++i) engine.on_position(all[i], out);
        out.clear();
        const std::uint64_t late_before = engine.stats().late;
        state.ResumeTiming();
        for (std::size_t i = warm; i < all.size(); ++i) {
            engine.on_position(all[i], out);
            if (!out.empty()) out.clear();
        }
        processed += all.size() - warm;
        late += engine.stats().late - late_before;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(processed));
    state.counters["late_fixes_per_iter"] =
        benchmark::Counter(static_cast<double>(late) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RulesOneFixIn20Late)->Unit(benchmark::kMillisecond)->Iterations(3);

// The hour of BM_RulesLivePositions on N engine shards (rules/engine.hpp "Shards"), one thread
// each, as `serve` runs them: each shard judges its vehicles' positions in batches of 1 000 and
// after each batch posts the Mail its vehicles wrote for other shards' drivers and convoys (here
// every driver has a card, so about (N-1)/N of the spans cross shards); each shard judges the
// mail it received between its batches. Timed: wall clock from the start of the hour until the
// last shard has judged its positions and all mail. Items are positions, so items/s compares
// with BM_RulesLivePositions (one core); on a machine with N free cores N shards should approach
// N times that.
void BM_RulesSharded(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const Fleet fleet = build_fleet();
    const std::vector<core::Position> all = positions(fleet, 70);
    const std::size_t warm = static_cast<std::size_t>(kVehicles) * 60;
    struct Shard {
        std::unique_ptr<rules::Engine> engine;
        std::vector<core::Position> live;  // its vehicles' fixes of the timed hour, in order
        std::mutex mutex;
        std::vector<rules::Mail> inbox;
    };
    std::uint64_t processed = 0;
    std::uint64_t letters = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::vector<std::unique_ptr<Shard>> shards;
        for (std::size_t i = 0; i < n; ++i) {
            shards.push_back(std::make_unique<Shard>());
            shards.back()->engine = std::make_unique<rules::Engine>(fleet.config, rules::ShardSpec{i, n});
        }
        rules::Outputs out;
        std::vector<rules::Engine*> engines;
        for (auto& sh : shards) engines.push_back(sh->engine.get());
        const auto settle = [&] {  // untimed warm-up: deliver mail at once
            rules::deliver_all_mail(engines, out);
            out.clear();
        };
        for (int v = 0; v < kVehicles; ++v) {
            const core::DriverCardEvent card = card_in(v, all.front().gps_time);
            shards[rules::vehicle_shard(card.vehicle_id, n)]->engine->on_card_event(card, out);
            settle();
        }
        for (std::size_t i = 0; i < all.size(); ++i) {
            Shard& s = *shards[rules::vehicle_shard(all[i].vehicle_id, n)];
            if (i < warm) {
                s.engine->on_position(all[i], out);
                settle();
            } else {
                s.live.push_back(all[i]);
            }
        }
        std::atomic<std::size_t> in_flight{0};  // mail posted and not yet judged
        std::atomic<std::size_t> running{n};    // shards still judging positions
        std::atomic<std::uint64_t> posted{0};
        state.ResumeTiming();
        std::vector<std::thread> threads;
        for (std::size_t me = 0; me < n; ++me) {
            threads.emplace_back([&, me] {
                Shard& s = *shards[me];
                rules::Outputs mine;
                const auto judge_mail = [&] {
                    std::vector<rules::Mail> got;
                    {
                        const std::lock_guard lock(s.mutex);
                        got.swap(s.inbox);
                    }
                    for (rules::Mail& m : got) s.engine->on_mail(std::move(m), mine);
                    mine.clear();
                    in_flight -= got.size();
                };
                const auto post = [&] {
                    for (std::size_t to = 0; to < n; ++to) {
                        rules::Mail m = s.engine->take_mail(to);
                        if (m.empty()) continue;
                        posted += m.size();
                        ++in_flight;
                        const std::lock_guard lock(shards[to]->mutex);
                        shards[to]->inbox.push_back(std::move(m));
                    }
                };
                for (std::size_t i = 0; i < s.live.size(); i += 1000) {
                    const std::size_t end = std::min(s.live.size(), i + 1000);
                    for (std::size_t k = i; k < end; ++k) s.engine->on_position(s.live[k], mine);
                    mine.clear();
                    post();
                    judge_mail();
                }
                --running;
                while (running > 0 || in_flight > 0) {
                    judge_mail();
                    post();
                    std::this_thread::yield();
                }
            });
        }
        for (auto& t : threads) t.join();
        state.PauseTiming();
        for (const auto& sh : shards) processed += sh->live.size();
        letters += posted;
        shards.clear();  // destroyed untimed
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(processed));
    state.counters["letters_per_iter"] =
        benchmark::Counter(static_cast<double>(letters) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RulesSharded)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
