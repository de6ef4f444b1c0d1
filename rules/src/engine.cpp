#include "fleetwatch/rules/engine.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <unordered_map>
#include <variant>

#include "convoy_eval.hpp"
#include "driver_eval.hpp"
#include "shared.hpp"
#include "stage.hpp"
#include "vehicle_eval.hpp"

namespace fleetwatch::rules {

namespace detail {
// Mail between shards (engine.hpp): spans and samples, and what a replaying vehicle takes back.
struct EraseSpans {  // the driver stage forgets what `vehicle` said from `from` on
    DriverKey key;
    VehicleId vehicle = 0;
    Timestamp from{};
};
struct EraseSamples {  // the convoy stage forgets `vehicle`'s samples after `after`
    std::size_t convoy = 0;
    VehicleId vehicle = 0;
    Timestamp after{};
};
using Letter = std::variant<RoutedSpan, RoutedSample, EraseSpans, EraseSamples>;
}  // namespace detail

struct Mail::Letters {
    std::vector<detail::Letter> letters;
};

Mail::Mail() = default;
Mail::~Mail() = default;
Mail::Mail(Mail&&) noexcept = default;
Mail& Mail::operator=(Mail&&) noexcept = default;
bool Mail::empty() const noexcept { return !letters_ || letters_->letters.empty(); }
std::size_t Mail::size() const noexcept { return letters_ ? letters_->letters.size() : 0; }
namespace {

using namespace detail;

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser: ids are sequential
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

struct DriverKeyHash {
    std::size_t operator()(const DriverKey& k) const noexcept {
        return std::hash<std::int64_t>{}(k.id * 2 + (k.is_vehicle ? 1 : 0));
    }
};

struct VehicleEntry {
    VehicleEntry(StageLimits limits, VehicleContext c) : stage(limits), ctx(std::move(c)) {}
    Stage<VehicleEval> stage;
    VehicleContext ctx;
    std::vector<DriverKey> fed;         // driver stages this vehicle has sent spans to
    std::vector<std::size_t> fed_convoys;  // convoy stages it has sent samples to
    bool dirty = false;
    bool heard = false;
    Timestamp last_received{};
    std::optional<Episode> offline;
    std::optional<Episode> member_offline;
};

struct DriverEntry {
    DriverEntry(StageLimits limits, DriverContext c) : stage(limits), ctx(std::move(c)) {}
    Stage<DriverEval> stage;
    DriverContext ctx;
    bool dirty = false;
};

struct ConvoyEntry {
    ConvoyEntry(StageLimits limits, ConvoyContext c) : stage(limits), ctx(c) {}
    Stage<ConvoyEval> stage;
    ConvoyContext ctx;
    bool dirty = false;
};

bool in_range(const core::GeoPoint& p) {
    return p.lat_e6 >= -90'000'000 && p.lat_e6 <= 90'000'000 && p.lon_e6 >= -180'000'000 &&
           p.lon_e6 <= 180'000'000;
}

}  // namespace

std::size_t vehicle_shard(VehicleId vehicle, std::size_t count) noexcept {
    return count <= 1 ? 0 : static_cast<std::size_t>(mix(static_cast<std::uint64_t>(vehicle)) % count);
}

std::size_t driver_shard(DriverKey key, std::size_t count) noexcept {
    if (key.is_vehicle) return vehicle_shard(key.id, count);
    return count <= 1 ? 0 : static_cast<std::size_t>(mix(~static_cast<std::uint64_t>(key.id)) % count);
}

struct Engine::Impl {
    Impl(RuleConfig c, ShardSpec s)
        : shared(std::move(c)),
          limits{shared.config.late_horizon, std::max<std::size_t>(1, shared.config.checkpoint_every)},
          shard{s.index, std::max<std::size_t>(1, s.count)},
          next_id(static_cast<std::uint64_t>(shard.index) << 48),
          outbox(shard.count) {
        for (std::size_t i = 0; i < shared.config.convoys.size(); ++i)
            convoys.push_back(std::make_unique<ConvoyEntry>(limits, ConvoyContext{&shared, i}));
    }

    Shared shared;
    StageLimits limits;
    ShardSpec shard;
    std::uint64_t next_id = 0;
    std::vector<Mail> outbox;  // by destination shard
    bool has_mail = false;
    EngineStats stats;
    std::unordered_map<VehicleId, std::unique_ptr<VehicleEntry>> vehicles;
    std::unordered_map<DriverKey, std::unique_ptr<DriverEntry>, DriverKeyHash> drivers;
    std::vector<std::unique_ptr<ConvoyEntry>> convoys;
    std::vector<Episode> offline_closed;

    std::vector<RoutedSpan> spans;
    std::vector<RoutedSample> samples;
    std::vector<VehicleEntry*> dirty_vehicles;
    std::vector<DriverEntry*> dirty_drivers;
    std::vector<ConvoyEntry*> dirty_convoys;

    VehicleEntry& vehicle(VehicleId id) {
        auto& slot = vehicles[id];
        if (!slot) {
            VehicleContext ctx;
            ctx.shared = &shared;
            ctx.vehicle = &shared.vehicle(id);
            if (ctx.vehicle == &shared.unknown_vehicle) {
                // Not in the configuration: judged as class `other`, no trips, no card duty.
                unknown_vehicles.push_back(std::make_unique<Vehicle>(Vehicle{id, {}, VehicleClass::other, false}));
                ctx.vehicle = unknown_vehicles.back().get();
            }
            const auto trips = shared.trips_by_vehicle.find(id);
            ctx.trips = trips == shared.trips_by_vehicle.end() ? nullptr : &trips->second;
            ctx.spans = &spans;
            ctx.samples = &samples;
            slot = std::make_unique<VehicleEntry>(limits, std::move(ctx));
        }
        return *slot;
    }
    std::vector<std::unique_ptr<Vehicle>> unknown_vehicles;

    DriverEntry& driver(DriverKey key) {
        auto& slot = drivers[key];
        if (!slot) slot = std::make_unique<DriverEntry>(limits, make_driver_context(shared, key));
        return *slot;
    }

    void add_vehicle_input(VehicleEntry& v, const VehicleInput& in, Outputs& out) {
        spans.clear();
        samples.clear();
        Recorder rec{&out, nullptr, nullptr, &next_id, in.received_at};
        switch (v.stage.add(in, v.ctx, rec)) {
            case AddResult::live: route(v, out); break;
            case AddResult::queued:
                ++stats.late;
                if (!v.dirty) {
                    v.dirty = true;
                    dirty_vehicles.push_back(&v);
                }
                break;
            case AddResult::duplicate: ++stats.duplicates; break;
            case AddResult::too_late: ++stats.too_late; break;
        }
    }

    // Hands the spans and samples a vehicle step produced to the driver and convoy stages.
    // Hands the spans and samples a vehicle step produced to the driver and convoy stages
    // (this shard's directly, another's by mail).
    void route(VehicleEntry& v, Outputs& out) {
        for (const RoutedSpan& rs : spans) {
            if (std::find(v.fed.begin(), v.fed.end(), rs.key) == v.fed.end()) v.fed.push_back(rs.key);
            const std::size_t to = driver_shard(rs.key, shard.count);
            if (to == shard.index) add_span(rs, out);
            else post(to, rs);
        }
        for (const RoutedSample& rs : samples) {
            if (std::find(v.fed_convoys.begin(), v.fed_convoys.end(), rs.convoy) == v.fed_convoys.end())
                v.fed_convoys.push_back(rs.convoy);
            const std::size_t to = convoy_shard(rs.convoy);
            if (to == shard.index) add_sample(rs, out);
            else post(to, rs);
        }
        spans.clear();
        samples.clear();
    }

    void add_span(const RoutedSpan& rs, Outputs& out) {
        DriverEntry& d = driver(rs.key);
        Recorder rec{&out, nullptr, nullptr, &next_id, rs.span.detected_at};
        if (d.stage.add(rs.span, d.ctx, rec) == AddResult::queued && !d.dirty) {
            d.dirty = true;
            dirty_drivers.push_back(&d);
        }
    }

    void add_sample(const RoutedSample& rs, Outputs& out) {
        ConvoyEntry& c = *convoys[rs.convoy];
        Recorder rec{&out, nullptr, nullptr, &next_id, rs.sample.detected_at};
        if (c.stage.add(rs.sample, c.ctx, rec) == AddResult::queued && !c.dirty) {
            c.dirty = true;
            dirty_convoys.push_back(&c);
        }
    }

    // What `vehicle` said from `f` on is said again by its replay.
    void erase_spans(DriverEntry& d, VehicleId vehicle, Timestamp f) {
        d.stage.erase_if(f, [&](const DriverInput& in) {
            return in.vehicle == vehicle && (in.kind == SpanKind::tick ? in.a > f : in.a >= f);
        });
        mark(d);
    }
    void erase_samples(ConvoyEntry& c, VehicleId vehicle, Timestamp last) {
        c.stage.erase_if(last, [&](const ProgressSample& s) { return s.vehicle == vehicle && s.t > last; });
        mark(c);
    }

    std::size_t convoy_shard(std::size_t convoy) const noexcept { return convoy % shard.count; }
    bool owns(VehicleId vehicle) const noexcept {
        return vehicle_shard(vehicle, shard.count) == shard.index;
    }

    void post(std::size_t to, Letter letter) {
        Mail& m = outbox[to];
        if (!m.letters_) m.letters_ = std::make_unique<Mail::Letters>();
        m.letters_->letters.push_back(std::move(letter));
        has_mail = true;
    }

    void receive(Mail& mail, Outputs& out) {
        if (mail.empty()) return;
        for (const Letter& l : mail.letters_->letters) {
            if (const auto* span = std::get_if<RoutedSpan>(&l)) add_span(*span, out);
            else if (const auto* sample = std::get_if<RoutedSample>(&l)) add_sample(*sample, out);
            else if (const auto* es = std::get_if<EraseSpans>(&l)) erase_spans(driver(es->key), es->vehicle, es->from);
            else if (const auto* ec = std::get_if<EraseSamples>(&l))
                erase_samples(*convoys[ec->convoy], ec->vehicle, ec->after);
        }
        flush(out);
    }

    void mark(DriverEntry& d) {
        if (d.stage.dirty() && !d.dirty) {
            d.dirty = true;
            dirty_drivers.push_back(&d);
        }
    }
    void mark(ConvoyEntry& c) {
        if (c.stage.dirty() && !c.dirty) {
            c.dirty = true;
            dirty_convoys.push_back(&c);
        }
    }

    void flush(Outputs& out) {
        for (std::size_t i = 0; i < dirty_vehicles.size(); ++i) {
            VehicleEntry& v = *dirty_vehicles[i];
            v.dirty = false;
            spans.clear();
            samples.clear();
            const VehicleId id = v.ctx.vehicle->id;
            v.stage.flush(v.ctx, out, next_id, [&](const VehicleState& restored) {
                // What the vehicle said after the checkpoint is said again by the replay.
                const Timestamp f = restored.certain_until;
                for (const DriverKey& key : v.fed) {
                    const std::size_t to = driver_shard(key, shard.count);
                    if (to == shard.index) erase_spans(driver(key), id, f);
                    else post(to, EraseSpans{key, id, f});
                }
                const Timestamp last = restored.last_input_time;
                for (std::size_t ci = 0; ci < convoys.size(); ++ci) {
                    const std::size_t to = convoy_shard(ci);
                    if (to == shard.index) erase_samples(*convoys[ci], id, last);
                    else if (std::find(v.fed_convoys.begin(), v.fed_convoys.end(), ci) != v.fed_convoys.end())
                        post(to, EraseSamples{ci, id, last});
                }
            });
            ++stats.recomputes;
            route(v, out);
        }
        dirty_vehicles.clear();
        for (DriverEntry* d : dirty_drivers) {
            d->dirty = false;
            d->stage.flush(d->ctx, out, next_id, [](const DriverState&) {});
            ++stats.recomputes;
        }
        dirty_drivers.clear();
        for (ConvoyEntry* c : dirty_convoys) {
            c->dirty = false;
            c->stage.flush(c->ctx, out, next_id, [](const ConvoyState&) {});
            ++stats.recomputes;
        }
        dirty_convoys.clear();
    }

    void contact(VehicleEntry& v, Timestamp received_at, Outputs& out) {
        if (!v.heard || received_at > v.last_received) v.last_received = received_at;
        v.heard = true;
        for (auto* ep : {&v.offline, &v.member_offline}) {
            if (!*ep) continue;
            (*ep)->end = std::max(received_at, (*ep)->start);
            out.events.push_back({EpisodeEventKind::close, **ep, false});
            offline_closed.push_back(std::move(**ep));
            ep->reset();
        }
    }

    void tick(Timestamp now, Outputs& out) {
        const RuleConfig& cfg = shared.config;
        std::vector<VehicleEntry*> on_trip;
        for (const Trip& t : cfg.trips) {
            if (now < t.start || now >= t.end || !owns(t.vehicle_id)) continue;
            VehicleEntry& v = vehicle(t.vehicle_id);
            on_trip.push_back(&v);
            const Timestamp since = v.heard ? std::max(v.last_received, t.start) : t.start;
            if (!v.offline && now - since >= cfg.terminal_offline_after)
                open_offline(v.offline, ViolationType::terminal_offline, v, t, since,
                             cfg.terminal_offline_after, out);
            if (t.convoy && !v.member_offline && now - since >= cfg.convoy_member_offline_after)
                open_offline(v.member_offline, ViolationType::convoy_member_offline, v, t, since,
                             cfg.convoy_member_offline_after, out);
        }
        // Off trip: an offline episode ends (docs/rules.md, "offline outside trips").
        for (auto& [id, v] : vehicles) {
            if (std::find(on_trip.begin(), on_trip.end(), v.get()) != on_trip.end()) continue;
            for (auto* ep : {&v->offline, &v->member_offline}) {
                if (!*ep) continue;
                (*ep)->end = std::max(now, (*ep)->start);
                out.events.push_back({EpisodeEventKind::close, **ep, false});
                offline_closed.push_back(std::move(**ep));
                ep->reset();
            }
        }
    }

    void open_offline(std::optional<Episode>& slot, ViolationType type, VehicleEntry& v,
                      const Trip& t, Timestamp since, Seconds after, Outputs& out) {
        Episode e;
        e.id = ++next_id;
        e.type = type;
        e.vehicle_id = v.ctx.vehicle->id;
        e.driver_id = t.driver_id;
        if (t.convoy && type == ViolationType::convoy_member_offline)
            e.convoy = shared.config.convoys[*t.convoy].name;
        e.start = since;
        e.severity = Severity::moderate;
        e.peak_unit = "min";
        e.thresholds = {{"silent_min", static_cast<double>(after.count()) / 60.0}};
        slot = std::move(e);
        out.events.push_back({EpisodeEventKind::open, *slot, false});
    }
};

Engine::Engine(RuleConfig config, ShardSpec shard)
    : impl_(std::make_unique<Impl>(std::move(config), shard)) {}
Engine::~Engine() = default;

const RuleConfig& Engine::config() const noexcept { return impl_->shared.config; }
const EngineStats& Engine::stats() const noexcept { return impl_->stats; }

void Engine::on_position(const core::Position& p, Outputs& out) {
    on_positions(std::span<const core::Position>(&p, 1), out);
}

void Engine::on_positions(std::span<const core::Position> batch, Outputs& out) {
    Impl& m = *impl_;
    for (const core::Position& p : batch) {
        ++m.stats.positions;
        VehicleEntry& v = m.vehicle(p.vehicle_id);
        m.contact(v, p.received_at, out);
        if (p.gps_time > p.received_at + m.shared.config.max_future) {
            ++m.stats.invalid;  // a time in the future would also disorder the timeline
            continue;
        }
        VehicleInput in;
        in.time = p.gps_time;
        in.kind = VehicleInputKind::fix;
        in.valid = p.valid && in_range(p.point);
        in.speed_dkmh = p.speed_dkmh;
        in.point = p.point;
        in.alarm = p.alarm;
        in.received_at = p.received_at;
        if (!in.valid) ++m.stats.invalid;
        m.add_vehicle_input(v, in, out);
    }
    m.flush(out);
}

void Engine::on_card_event(const core::DriverCardEvent& e, Outputs& out) {
    Impl& m = *impl_;
    ++m.stats.card_events;
    VehicleEntry& v = m.vehicle(e.vehicle_id);
    m.contact(v, e.received_at, out);
    VehicleInput in;
    in.time = e.time;
    in.kind = e.inserted ? VehicleInputKind::card_inserted : VehicleInputKind::card_removed;
    in.received_at = e.received_at;
    if (e.inserted) {
        const auto it = m.shared.by_certificate.find(e.certificate_no);
        if (it != m.shared.by_certificate.end()) in.driver = it->second;
        else ++m.stats.unknown_cards;
    }
    m.add_vehicle_input(v, in, out);
    m.flush(out);
}

void Engine::on_contact(VehicleId vehicle, Timestamp received_at, Outputs& out) {
    impl_->contact(impl_->vehicle(vehicle), received_at, out);
}

void Engine::on_tick(Timestamp now, Outputs& out) { impl_->tick(now, out); }

void Engine::on_mail(Mail mail, Outputs& out) { impl_->receive(mail, out); }

Mail Engine::take_mail(std::size_t to) {
    Impl& m = *impl_;
    if (to >= m.outbox.size()) return {};
    Mail mail = std::move(m.outbox[to]);
    m.outbox[to] = Mail{};
    m.has_mail = std::any_of(m.outbox.begin(), m.outbox.end(), [](const Mail& x) { return !x.empty(); });
    return mail;
}

bool Engine::has_mail() const noexcept { return impl_->has_mail; }

std::size_t deliver_all_mail(std::span<Engine* const> engines, Outputs& out) {
    std::size_t letters = 0;
    for (bool any = engines.size() > 1; any;) {
        any = false;
        for (Engine* from : engines) {
            if (!from->has_mail()) continue;
            any = true;
            for (std::size_t to = 0; to < engines.size(); ++to) {
                Mail m = from->take_mail(to);
                letters += m.size();
                if (!m.empty()) engines[to]->on_mail(std::move(m), out);
            }
        }
    }
    return letters;
}

std::vector<Episode> Engine::episodes() const {
    std::vector<Episode> out;
    for (const auto& [id, v] : impl_->vehicles) {
        v->stage.collect(out);
        if (v->offline) out.push_back(*v->offline);
        if (v->member_offline) out.push_back(*v->member_offline);
    }
    for (const auto& [key, d] : impl_->drivers) d->stage.collect(out);
    for (std::size_t ci = 0; ci < impl_->convoys.size(); ++ci)
        if (impl_->convoy_shard(ci) == impl_->shard.index) impl_->convoys[ci]->stage.collect(out);
    out.insert(out.end(), impl_->offline_closed.begin(), impl_->offline_closed.end());
    std::sort(out.begin(), out.end(), [](const Episode& a, const Episode& b) {
        return std::tie(a.start, a.type, a.vehicle_id, a.id) < std::tie(b.start, b.type, b.vehicle_id, b.id);
    });
    return out;
}

}  // namespace fleetwatch::rules
