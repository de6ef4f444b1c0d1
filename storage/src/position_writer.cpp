#include "fleetwatch/storage/position_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "fleetwatch/proto/convert.hpp"
#include "fleetwatch/storage/spool.hpp"
#include "positions_table.hpp"

namespace fleetwatch::storage {
namespace {

using Clock = std::chrono::steady_clock;

prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Family<prometheus::Counter>& refusals(prometheus::Registry& r) {
    return prometheus::BuildCounter()
        .Name("fleetwatch_storage_refusals_total")
        .Help("Events the writer refused (submit returned false), by reason")
        .Register(r);
}

prometheus::Family<prometheus::Counter>& errors(prometheus::Registry& r) {
    return prometheus::BuildCounter()
        .Name("fleetwatch_storage_errors_total")
        .Help("Writer errors by reason")
        .Register(r);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A run of events that becomes durable as a unit: one transaction, or one spool append.
struct Batch {
    std::vector<core::Position> positions;
    std::vector<core::DriverCardEvent> card_events;

    std::size_t size() const { return positions.size() + card_events.size(); }
    bool empty() const { return positions.empty() && card_events.empty(); }
    bool has_card_events() const { return !card_events.empty(); }
    void clear() {
        positions.clear();
        card_events.clear();
    }
};

void add_to_spool(SpoolBatch& out, std::span<const core::Position> positions,
                  std::span<const core::DriverCardEvent> card_events, v1::Event& scratch) {
    for (const auto& p : positions) {
        proto::to_proto(p, *scratch.mutable_position());
        out.add(scratch);
    }
    for (const auto& e : card_events) {
        proto::to_proto(e, *scratch.mutable_driver_card());
        out.add(scratch);
    }
}

}  // namespace

WriterStats::WriterStats(prometheus::Registry& registry)
    : positions_accepted(counter(registry, "fleetwatch_storage_positions_accepted_total",
                                 "Positions the writer took (submit returned true)")),
      positions_stored(counter(registry, "fleetwatch_storage_positions_stored_total",
                               "Positions inserted into the positions table")),
      positions_duplicate(
          counter(registry, "fleetwatch_storage_positions_duplicate_total",
                  "Positions already in the table (retransmits, replays), skipped")),
      positions_spooled(counter(registry, "fleetwatch_storage_positions_spooled_total",
                                "Positions appended to the on-disk spool")),
      positions_replayed(counter(registry, "fleetwatch_storage_positions_replayed_total",
                                 "Positions read back from the spool and committed")),
      driver_card_events_accepted(counter(registry,
                                          "fleetwatch_storage_driver_card_events_accepted_total",
                                          "Driver card events the writer took")),
      driver_card_events_stored(counter(registry,
                                        "fleetwatch_storage_driver_card_events_stored_total",
                                        "Driver card events committed to the database")),
      batch_size(
          prometheus::BuildHistogram()
              .Name("fleetwatch_storage_batch_size")
              .Help("Events per committed batch transaction")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 50, 100, 250, 500, 1000, 2500,
                                                               5000, 10000, 25000})),
      batch_seconds(prometheus::BuildHistogram()
                        .Name("fleetwatch_storage_batch_seconds")
                        .Help("Time to write one batch: partitions, COPY, INSERT and commit")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01,
                                                                         0.025, 0.05, 0.1, 0.25,
                                                                         0.5, 1, 2.5, 5, 10})),
      queue_depth(gauge(registry, "fleetwatch_storage_queue_depth",
                        "Events in memory: accepted, not yet committed or spooled")),
      spool_records(gauge(registry, "fleetwatch_storage_spool_records",
                          "Events waiting in the on-disk spool")),
      spool_bytes(
          gauge(registry, "fleetwatch_storage_spool_bytes", "Size of the spool's segment files")),
      db_up(gauge(registry, "fleetwatch_storage_db_up",
                  "1 while the writer is connected to PostgreSQL, 0 while it spools")),
      refused_spool_full(refusals(registry).Add({{"reason", "spool_full"}})),
      refused_stopped(refusals(registry).Add({{"reason", "stopped"}})),
      errors_connect(errors(registry).Add({{"reason", "connect"}})),
      errors_write(errors(registry).Add({{"reason", "write"}})),
      errors_spool_io(errors(registry).Add({{"reason", "spool_io"}})),
      errors_spool_corrupt(errors(registry).Add({{"reason", "spool_corrupt"}})),
      errors_card_event_rejected(errors(registry).Add({{"reason", "card_event_rejected"}})) {}

// ---------------------------------------------------------------------------------------------
// State: what submit() shares with the writer thread, and the writer thread's own.

struct PositionWriter::State {
    State(const PositionWriterConfig& cfg, WriterStats& st)
        : config(cfg),
          stats(st),
          log(cfg.logger ? cfg.logger : spdlog::default_logger()),
          conninfo(detail::with_connect_timeout(cfg.conninfo, cfg.connect_timeout)),
          spool(SpoolOptions{cfg.spool_dir, cfg.spool_max_bytes, cfg.spool_segment_bytes,
                             cfg.spool_sync}),
          backoff(cfg.reconnect_initial_backoff) {
        const std::size_t n = std::max<std::size_t>(1, cfg.connections);
        for (std::size_t i = 0; i < n; ++i) lanes.push_back(std::make_unique<Lane>());
    }

    const PositionWriterConfig& config;
    WriterStats& stats;
    std::shared_ptr<spdlog::logger> log;
    const std::string conninfo;
    Spool spool;  // thread-safe appends: producers overflow into it directly

    // --- shared, under mutex
    std::mutex mutex;
    std::condition_variable wake;     // the writer thread waits here
    std::condition_variable durable;  // flush() waits here
    std::deque<core::Position> queue;
    std::deque<core::DriverCardEvent> card_queue;
    Clock::time_point oldest{};      // when the queue last went from empty to non-empty
    std::size_t in_memory = 0;       // queue + pending + in flight: not yet durable
    std::uint64_t enqueued = 0;      // events ever queued
    std::uint64_t made_durable = 0;  // of those, committed or spooled (in queue order)
    std::uint64_t flush_target = 0;  // flush() wants made_durable to reach this
    bool stopping = false;           // submit refuses; the writer drains and exits
    std::atomic<bool> connected{false};

    // One connection per lane. A lane thread runs the batch it is handed (work, under mutex) and
    // says when it is done; the writer thread hands out batches and takes the results back in
    // the order it handed them out, so durability (and flush) stays in queue order.
    struct Lane {
        std::unique_ptr<detail::PositionsTable> table;  // the lane's while it has work
        std::thread thread;
        std::condition_variable cv;
        const Batch* work = nullptr;  // under mutex
        bool done = false;            // under mutex
        detail::BatchResult result;   // under mutex
        std::string error;            // under mutex; empty: committed
        double seconds = 0;           // under mutex
    };
    struct InFlight {
        Batch batch;
        Lane* lane = nullptr;
        std::unique_ptr<SpoolChunk> chunk;  // replayed from the spool; null: live from the queue
    };
    std::vector<std::unique_ptr<Lane>> lanes;
    bool lanes_quit = false;  // under mutex

    // --- the writer thread's own
    std::deque<Batch> pending;            // taken from the queue, not yet handed out or durable
    std::deque<InFlight> in_flight;       // handed to lanes, oldest first; all live or all replayed
    std::optional<InFlight> next_replay;  // read from the spool, waiting for a lane
    SpoolBatch spool_batch;
    v1::Event scratch;
    Clock::time_point next_connect{};
    Clock::time_point retry_spill{};   // spool was full or failing: when to try again
    Clock::time_point retry_replay{};  // spool read failed: when to try again
    std::chrono::milliseconds backoff;
    bool outage_logged = false;     // an outage is on: its start was logged
    bool reconnect_logged = false;  // ... and a reconnection during it
    Clock::time_point outage_since{};
    bool spool_full_logged = false;
    bool spool_error_logged = false;

    bool overflow_to_spool(std::span<const core::Position> positions,
                           std::span<const core::DriverCardEvent> card_events);
    void run();
    void update_spool_gauges();

  private:
    bool batch_ready(Clock::time_point now) const;
    void take_batch();
    bool wait_for_work();
    void step();
    bool up() const { return lanes.front()->table != nullptr; }
    bool can_dispatch(const Batch& next) const;
    bool live_in_flight() const;
    void dispatch(InFlight f);
    bool front_done();
    void complete_front();
    void take_back_in_flight(InFlight failed, const std::string& reason);
    bool replay_due(Clock::time_point now) const;
    void feed_replay();
    bool read_replay();
    void lane_main(Lane& lane);
    void connect();
    void mark_down(const std::string& reason);
    bool write_front();
    bool spill_front(bool over_limit);
    bool decode_record(std::string_view record, Batch& into);
    void on_durable(std::size_t events);
    void count_written(const detail::BatchResult& result);
    void on_commit();
    void drain_for_shutdown();
};

// ---------------------------------------------------------------------------------------------
// Producers

bool PositionWriter::State::overflow_to_spool(std::span<const core::Position> positions,
                                              std::span<const core::DriverCardEvent> card_events) {
    SpoolBatch batch;
    v1::Event event;
    add_to_spool(batch, positions, card_events, event);
    // Deferred: an fdatasync per submit would cap an ingest thread at a few hundred acks a
    // second, and any fdatasync here would stall every session of this I/O thread. The data is
    // in the kernel (safe from a process crash, unlike the queue); the writer thread syncs it
    // within a batch interval (wait_for_work wakes for it).
    auto result = spool.append(batch, SpoolDurability::deferred);
    if (result.status == SpoolAppendStatus::ok) {
        stats.positions_spooled.Increment(static_cast<double>(positions.size()));
        update_spool_gauges();
        {
            const std::lock_guard lock(mutex);  // no lost wake-up: the writer replays it
        }
        wake.notify_one();
        return true;
    }
    if (result.status == SpoolAppendStatus::full) {
        stats.refused_spool_full.Increment(
            static_cast<double>(positions.size() + card_events.size()));
    } else {
        stats.errors_spool_io.Increment();
        log->error("storage: spool append failed while the queue is full ({}); refusing",
                   result.error.message());
    }
    return false;
}

bool PositionWriter::submit(std::span<const core::Position> positions) {
    if (positions.empty()) return true;
    State& s = *state_;
    const std::size_t n = positions.size();
    {
        std::unique_lock lock(s.mutex);
        if (s.stopping) {
            lock.unlock();
            stats_.refused_stopped.Increment(static_cast<double>(n));
            return false;
        }
        if (s.in_memory + n <= config_.queue_capacity) {
            const std::size_t before = s.queue.size() + s.card_queue.size();
            if (before == 0) s.oldest = Clock::now();
            s.queue.insert(s.queue.end(), positions.begin(), positions.end());
            s.in_memory += n;
            s.enqueued += n;
            const bool notify =
                before == 0 || (before < config_.batch_size && before + n >= config_.batch_size);
            lock.unlock();
            if (notify) s.wake.notify_one();
            stats_.positions_accepted.Increment(static_cast<double>(n));
            stats_.queue_depth.Increment(static_cast<double>(n));
            return true;
        }
    }
    // The queue is full (the database is slow or the writer is stuck in a call to it): disk
    // takes them, so ingest goes on until the spool is full too.
    if (!s.overflow_to_spool(positions, {})) return false;
    stats_.positions_accepted.Increment(static_cast<double>(n));
    return true;
}

bool PositionWriter::submit(const core::DriverCardEvent& event) {
    State& s = *state_;
    {
        std::unique_lock lock(s.mutex);
        if (s.stopping) {
            lock.unlock();
            stats_.refused_stopped.Increment();
            return false;
        }
        if (s.in_memory + 1 <= config_.queue_capacity) {
            const std::size_t before = s.queue.size() + s.card_queue.size();
            if (before == 0) s.oldest = Clock::now();
            s.card_queue.push_back(event);
            ++s.in_memory;
            ++s.enqueued;
            lock.unlock();
            if (before == 0 || before + 1 == config_.batch_size) s.wake.notify_one();
            stats_.driver_card_events_accepted.Increment();
            stats_.queue_depth.Increment();
            return true;
        }
    }
    if (!s.overflow_to_spool({}, std::span(&event, 1))) return false;
    stats_.driver_card_events_accepted.Increment();
    return true;
}

bool PositionWriter::flush(std::chrono::milliseconds timeout) {
    State& s = *state_;
    std::unique_lock lock(s.mutex);
    const std::uint64_t target = s.enqueued;
    if (s.made_durable >= target) return true;
    s.flush_target = std::max(s.flush_target, target);
    s.wake.notify_one();
    return s.durable.wait_for(lock, timeout, [&] { return s.made_durable >= target; });
}

// ---------------------------------------------------------------------------------------------
// The writer thread: waiting

bool PositionWriter::State::batch_ready(Clock::time_point now) const {
    const std::size_t queued = queue.size() + card_queue.size();
    if (queued == 0) return false;
    return queued >= config.batch_size || now >= oldest + config.batch_interval ||
           flush_target > made_durable || stopping;
}

void PositionWriter::State::take_batch() {
    Batch& batch = pending.emplace_back();
    const std::size_t n = std::min(queue.size(), config.batch_size);
    batch.positions.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    const std::size_t m = std::min(card_queue.size(), config.batch_size - n);
    batch.card_events.assign(card_queue.begin(),
                             card_queue.begin() + static_cast<std::ptrdiff_t>(m));
    card_queue.erase(card_queue.begin(), card_queue.begin() + static_cast<std::ptrdiff_t>(m));
    // What is left is as old as what was taken: it stays due.
}

// Blocks until there is something to do; false when it is time to stop.
bool PositionWriter::State::wait_for_work() {
    std::unique_lock lock(mutex);
    for (;;) {
        if (stopping) return false;
        const auto now = Clock::now();
        if (pending.empty() && batch_ready(now)) take_batch();

        const bool is_up = up();
        const bool direct = is_up && spool.empty();
        const bool done = !in_flight.empty() && in_flight.front().lane->done;
        const bool dispatch_due = direct && !pending.empty() && can_dispatch(pending.front());
        const bool spill_due = !direct && !pending.empty() && now >= retry_spill;
        const bool connect_due = !is_up && now >= next_connect;
        if (done || dispatch_due || spill_due || replay_due(now) || connect_due) return true;

        auto deadline = Clock::time_point::max();
        if (pending.empty() && !(queue.empty() && card_queue.empty())) {
            deadline = std::min(deadline, oldest + config.batch_interval);
        }
        if (!direct && !pending.empty()) deadline = std::min(deadline, retry_spill);
        if (!is_up) deadline = std::min(deadline, next_connect);
        if (is_up && !spool.empty() && now < retry_replay)
            deadline = std::min(deadline, retry_replay);
        // What producers spooled deferred reaches the disk within a batch interval (run()).
        if (const auto since = spool.unsynced_since()) {
            const auto sync_at = *since + config.batch_interval;
            if (now >= sync_at) return true;
            deadline = std::min(deadline, sync_at);
        }
        if (deadline == Clock::time_point::max()) {
            wake.wait(lock);
        } else {
            wake.wait_until(lock, deadline);
        }
    }
}

void PositionWriter::State::run() {
    for (auto& lane : lanes) {
        Lane* l = lane.get();
        lane->thread = std::thread([this, l] { lane_main(*l); });
    }
    while (wait_for_work()) {
        step();
        // What producers spooled (deferred, overflow_to_spool) reaches the disk within a batch
        // interval: only this thread pays for the fdatasync.
        if (const auto ec = spool.sync_if_due(config.batch_interval)) {
            stats.errors_spool_io.Increment();
            log->error("storage: spool fdatasync failed ({})", ec.message());
        }
    }
    drain_for_shutdown();
    {
        const std::lock_guard lock(mutex);
        lanes_quit = true;
    }
    for (auto& lane : lanes) {
        lane->cv.notify_one();
        lane->thread.join();
    }
}

// One unit of work. The order keeps events FIFO: while the spool holds anything, new batches
// go behind it on disk, and the spool is replayed before anything newer reaches the table.
void PositionWriter::State::step() {
    const auto now = Clock::now();
    if (!up() && now >= next_connect) connect();  // first: at start-up, try before spooling
    if (front_done()) {
        complete_front();
        return;
    }
    if (!up()) {
        if (!pending.empty() && now >= retry_spill) spill_front(false);
        return;
    }
    if (!spool.empty()) {
        if (!pending.empty() && now >= retry_spill) spill_front(false);
        if (replay_due(now)) feed_replay();
        return;
    }
    while (!pending.empty() && can_dispatch(pending.front())) {
        InFlight f;
        f.batch = std::move(pending.front());
        pending.pop_front();
        dispatch(std::move(f));
    }
}

// ---------------------------------------------------------------------------------------------
// The writer thread: lanes

// A batch with driver card events runs alone: card sessions depend on the order of card events,
// and lanes may commit out of order.
bool PositionWriter::State::can_dispatch(const Batch& next) const {
    if (in_flight.size() >= lanes.size()) return false;
    if (in_flight.empty()) return true;
    if (next.has_card_events()) return false;
    return std::none_of(in_flight.begin(), in_flight.end(),
                        [](const InFlight& f) { return f.batch.has_card_events(); });
}

bool PositionWriter::State::live_in_flight() const {
    return std::any_of(in_flight.begin(), in_flight.end(),
                       [](const InFlight& f) { return f.chunk == nullptr; });
}

void PositionWriter::State::dispatch(InFlight f) {
    Lane* lane = nullptr;
    for (const auto& l : lanes) {
        const bool busy = std::any_of(in_flight.begin(), in_flight.end(),
                                      [&](const InFlight& g) { return g.lane == l.get(); });
        if (!busy) {
            lane = l.get();
            break;
        }
    }
    f.lane = lane;
    InFlight& placed = in_flight.emplace_back(std::move(f));
    {
        const std::lock_guard lock(mutex);
        lane->work = &placed.batch;  // deque elements stay put while others come and go at the ends
        lane->done = false;
    }
    lane->cv.notify_one();
}

bool PositionWriter::State::front_done() {
    if (in_flight.empty()) return false;
    const std::lock_guard lock(mutex);
    return in_flight.front().lane->done;
}

void PositionWriter::State::complete_front() {
    InFlight f = std::move(in_flight.front());
    in_flight.pop_front();
    detail::BatchResult result;
    std::string error;
    double seconds = 0;
    {
        const std::lock_guard lock(mutex);
        f.lane->work = nullptr;
        f.lane->done = false;
        result = std::move(f.lane->result);
        error = std::move(f.lane->error);
        seconds = f.lane->seconds;
    }
    if (!error.empty()) {
        take_back_in_flight(std::move(f), error);
        return;
    }
    stats.batch_seconds.Observe(seconds);
    stats.batch_size.Observe(static_cast<double>(f.batch.size()));
    count_written(result);
    on_commit();
    if (f.chunk == nullptr) {
        on_durable(f.batch.size());
        return;
    }
    spool.consume(*f.chunk);  // only now: a crash before this replays the chunk again
    stats.positions_replayed.Increment(static_cast<double>(f.batch.positions.size()));
    update_spool_gauges();
    if (spool.empty()) log->info("storage: spool replayed; writing directly again");
}

// A batch failed. Live batches (it and every one handed out after it) go back, in order, in
// front of what is pending, to be spooled; replayed ones are still in the spool and are read
// again. Those that committed anyway come back as duplicates.
void PositionWriter::State::take_back_in_flight(InFlight failed, const std::string& reason) {
    std::deque<Batch> back;
    if (failed.chunk == nullptr) back.push_back(std::move(failed.batch));
    while (!in_flight.empty()) {
        InFlight f = std::move(in_flight.front());
        in_flight.pop_front();
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return f.lane->done; });
        f.lane->work = nullptr;
        f.lane->done = false;
        const bool committed = f.lane->error.empty();
        const detail::BatchResult result = std::move(f.lane->result);
        lock.unlock();
        if (committed) count_written(result);
        if (f.chunk == nullptr) back.push_back(std::move(f.batch));
    }
    for (auto it = back.rbegin(); it != back.rend(); ++it) pending.push_front(std::move(*it));
    next_replay.reset();
    spool.rewind();
    mark_down(reason);
}

void PositionWriter::State::lane_main(Lane& lane) {
    std::unique_lock lock(mutex);
    for (;;) {
        lane.cv.wait(lock, [&] { return lanes_quit || (lane.work != nullptr && !lane.done); });
        if (lanes_quit) return;
        const Batch& batch = *lane.work;
        lock.unlock();
        const auto start = Clock::now();
        detail::BatchResult result;
        std::string error;
        try {
            result = lane.table->write(batch.positions, batch.card_events);
        } catch (const std::exception& e) {
            error = detail::describe_db_error(e);
            if (error.empty()) error = "unknown error";
        }
        const double seconds = seconds_since(start);
        lock.lock();
        lane.result = std::move(result);
        lane.error = std::move(error);
        lane.seconds = seconds;
        lane.done = true;
        wake.notify_all();  // the writer thread, waiting for work or for this lane
    }
}

// ---------------------------------------------------------------------------------------------
// The writer thread: the database

void PositionWriter::State::connect() {
    try {
        for (auto& lane : lanes) {
            lane->table =
                std::make_unique<detail::PositionsTable>(conninfo, config.statement_timeout);
        }
    } catch (const std::exception& e) {
        for (auto& lane : lanes) lane->table.reset();
        stats.errors_connect.Increment();
        if (!outage_logged) {
            outage_logged = true;
            outage_since = Clock::now();
            log->warn(
                "storage: cannot connect to PostgreSQL ({}); accepting positions into the "
                "spool at {} (limit {:.1f} MiB) and retrying",
                detail::describe_db_error(e), config.spool_dir.string(),
                static_cast<double>(config.spool_max_bytes) / (1 << 20));
        }
        next_connect = Clock::now() + backoff;
        backoff = std::min(backoff * 2, config.reconnect_max_backoff);
        return;
    }
    connected.store(true);
    stats.db_up.Set(1);
    const auto depth = spool.depth();
    if (outage_logged) {
        // The outage ends with the first commit (on_commit); a database that accepts connections
        // but fails every batch is one outage, logged once, not a line per retry.
        if (!reconnect_logged) {
            reconnect_logged = true;
            log->info(
                "storage: reconnected to PostgreSQL after {:.1f} s; replaying {} spooled "
                "events",
                seconds_since(outage_since), depth.records);
        }
    } else if (depth.records > 0) {
        log->info("storage: connected to PostgreSQL; replaying {} spooled events from {}",
                  depth.records, config.spool_dir.string());
    } else {
        log->info("storage: connected to PostgreSQL");
    }
}

// Lanes are idle here (in_flight is empty): their connections can go.
void PositionWriter::State::mark_down(const std::string& reason) {
    for (auto& lane : lanes) lane->table.reset();
    connected.store(false);
    stats.db_up.Set(0);
    stats.errors_write.Increment();
    if (!outage_logged) {
        outage_logged = true;
        outage_since = Clock::now();
        log->warn(
            "storage: writing to PostgreSQL failed ({}); accepting positions into the "
            "spool at {} (limit {:.1f} MiB) until it is back",
            reason, config.spool_dir.string(),
            static_cast<double>(config.spool_max_bytes) / (1 << 20));
    }
    next_connect = Clock::now() + backoff;
    backoff = std::min(backoff * 2, config.reconnect_max_backoff);
}

// The front pending batch, on this thread (lanes idle): at shutdown.
bool PositionWriter::State::write_front() {
    const Batch& batch = pending.front();
    const auto start = Clock::now();
    detail::BatchResult result;
    try {
        result = lanes.front()->table->write(batch.positions, batch.card_events);
    } catch (const std::exception& e) {
        mark_down(detail::describe_db_error(e));
        return false;
    }
    stats.batch_seconds.Observe(seconds_since(start));
    stats.batch_size.Observe(static_cast<double>(batch.size()));
    count_written(result);
    on_commit();
    on_durable(batch.size());
    pending.pop_front();
    return true;
}

bool PositionWriter::State::decode_record(std::string_view record, Batch& into) {
    if (!scratch.ParseFromArray(record.data(), static_cast<int>(record.size()))) return false;
    if (scratch.has_position()) {
        auto p = proto::from_proto(scratch.position());
        if (!p) return false;
        into.positions.push_back(*p);
        return true;
    }
    if (scratch.has_driver_card()) {
        auto e = proto::from_proto(scratch.driver_card());
        if (!e) return false;
        into.card_events.push_back(std::move(*e));
        return true;
    }
    return false;
}

// Replay runs when the database is up, the spool holds something and no live batch is out (they
// would be newer than what the spool holds), on as many lanes as are free.
bool PositionWriter::State::replay_due(Clock::time_point now) const {
    if (!up() || spool.empty() || now < retry_replay || live_in_flight()) return false;
    if (next_replay) return can_dispatch(next_replay->batch);
    return in_flight.size() < lanes.size() && spool.has_unread();
}

void PositionWriter::State::feed_replay() {
    while (in_flight.size() < lanes.size()) {
        if (!next_replay && !read_replay()) return;
        if (!can_dispatch(next_replay->batch)) return;
        dispatch(std::move(*next_replay));
        next_replay.reset();
    }
}

// Reads and decodes the next spool chunk into next_replay; false when there is none.
bool PositionWriter::State::read_replay() {
    auto chunk = std::make_unique<SpoolChunk>();
    try {
        if (!spool.read(*chunk, config.batch_size)) return false;
    } catch (const std::exception& e) {
        stats.errors_spool_io.Increment();
        log->error("storage: cannot read the spool ({}); retrying in {} ms", e.what(),
                   config.reconnect_max_backoff.count());
        retry_replay = Clock::now() + config.reconnect_max_backoff;
        return false;
    }
    if (chunk->skipped_bytes() > 0) {
        stats.errors_spool_corrupt.Increment();
        log->error(
            "storage: spool damaged since start-up: {} bytes after a bad record cannot "
            "be replayed",
            chunk->skipped_bytes());
    }
    InFlight f;
    for (const std::string_view record : chunk->records()) {
        if (!decode_record(record, f.batch)) {
            // A valid CRC around a record we cannot use: written by a newer or broken build.
            stats.errors_spool_corrupt.Increment();
            log->error("storage: skipping a spool record that does not decode ({} bytes)",
                       record.size());
        }
    }
    f.chunk = std::move(chunk);
    next_replay = std::move(f);
    return true;
}

// ---------------------------------------------------------------------------------------------
// The writer thread: the spool

bool PositionWriter::State::spill_front(bool over_limit) {
    const Batch& batch = pending.front();
    spool_batch.clear();
    add_to_spool(spool_batch, batch.positions, batch.card_events, scratch);
    const auto result = spool.append(spool_batch, SpoolDurability::synced, over_limit);
    if (result.status == SpoolAppendStatus::ok) {
        stats.positions_spooled.Increment(static_cast<double>(batch.positions.size()));
        spool_full_logged = false;
        spool_error_logged = false;
        on_durable(batch.size());
        pending.pop_front();
        update_spool_gauges();
        return true;
    }
    retry_spill = Clock::now() + config.batch_interval;
    if (result.status == SpoolAppendStatus::full) {
        if (!spool_full_logged) {
            spool_full_logged = true;
            log->error(
                "storage: spool full ({:.1f} MiB at {}); refusing positions until PostgreSQL "
                "takes them",
                static_cast<double>(config.spool_max_bytes) / (1 << 20), config.spool_dir.string());
        }
    } else {
        stats.errors_spool_io.Increment();
        if (!spool_error_logged) {
            spool_error_logged = true;
            log->error(
                "storage: cannot append to the spool at {} ({}); holding {} events in "
                "memory",
                config.spool_dir.string(), result.error.message(), batch.size());
        }
    }
    return false;
}

void PositionWriter::State::count_written(const detail::BatchResult& result) {
    stats.positions_stored.Increment(static_cast<double>(result.inserted));
    stats.positions_duplicate.Increment(static_cast<double>(result.duplicates));
    stats.driver_card_events_stored.Increment(static_cast<double>(result.card_events_stored));
    for (const auto& rejected : result.card_events_rejected) {
        // The one place the writer lets go of an accepted event: the database says it can never
        // hold it. Said loudly, with what is needed to re-enter it by hand.
        stats.errors_card_event_rejected.Increment();
        const auto& e = *rejected.event;
        log->error(
            "storage: driver card event rejected by the database ({}): vehicle {} card {} "
            "at {} certificate '{}' driver '{}'",
            rejected.reason, e.vehicle_id, e.inserted ? "in" : "out", core::format_rfc3339(e.time),
            e.certificate_no, e.driver_name);
    }
}

void PositionWriter::State::on_commit() {
    backoff = config.reconnect_initial_backoff;
    if (outage_logged) {
        log->info("storage: PostgreSQL takes writes again after {:.1f} s",
                  seconds_since(outage_since));
        outage_logged = false;
        reconnect_logged = false;
    }
}

void PositionWriter::State::on_durable(std::size_t events) {
    {
        const std::lock_guard lock(mutex);
        in_memory -= events;
        made_durable += events;
    }
    durable.notify_all();
    stats.queue_depth.Decrement(static_cast<double>(events));
}

void PositionWriter::State::update_spool_gauges() {
    const auto depth = spool.depth();
    stats.spool_records.Set(static_cast<double>(depth.records));
    stats.spool_bytes.Set(static_cast<double>(depth.disk_bytes));
}

// SIGTERM: everything in memory goes to the table if it can go straight there, else to the spool,
// past its size limit if need be: a spool over its limit beats losing acknowledged positions.
void PositionWriter::State::drain_for_shutdown() {
    // What the lanes are writing finishes first (or comes back to be spooled).
    while (!in_flight.empty()) {
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return in_flight.front().lane->done; });
        }
        complete_front();
    }
    next_replay.reset();
    spool.rewind();
    // Stopped before the first connection was tried: try once (not during a known outage, where
    // the spool is the quick way out).
    bool anything = !pending.empty();
    {
        const std::lock_guard lock(mutex);
        anything = anything || !queue.empty() || !card_queue.empty();
    }
    if (!up() && !outage_logged && anything) connect();
    std::size_t lost = 0;
    for (;;) {
        if (pending.empty()) {
            const std::lock_guard lock(mutex);
            if (queue.empty() && card_queue.empty()) break;
            take_batch();
        }
        if (up() && spool.empty() && write_front()) continue;
        if (spill_front(true)) continue;
        // The disk refuses too: nothing more can be done for these.
        lost += pending.front().size();
        on_durable(pending.front().size());
        pending.pop_front();
    }
    if (lost > 0) {
        log->critical(
            "storage: shutting down with {} accepted events neither in PostgreSQL nor "
            "in the spool (the spool cannot be written)",
            lost);
    }
    const auto depth = spool.depth();
    if (depth.records > 0) {
        log->info("storage: stopped; {} events wait in the spool at {} for the next start",
                  depth.records, config.spool_dir.string());
    }
    for (auto& lane : lanes) lane->table.reset();
    connected.store(false);
    stats.db_up.Set(0);
}

// ---------------------------------------------------------------------------------------------
// PositionWriter

PositionWriter::PositionWriter(PositionWriterConfig config, prometheus::Registry& registry)
    : config_(std::move(config)), stats_(registry) {
    if (config_.batch_size == 0) config_.batch_size = 1;
    if (config_.queue_capacity < config_.batch_size) config_.queue_capacity = config_.batch_size;
    state_ = std::make_unique<State>(config_, stats_);
    const auto& recovery = state_->spool.recovery();
    if (recovery.truncated_bytes > 0) {
        state_->log->warn("storage: spool at {}: cut {} bytes of torn or damaged tail",
                          config_.spool_dir.string(), recovery.truncated_bytes);
    }
    if (recovery.records > 0) {
        state_->log->info(
            "storage: spool at {} holds {} events from before; they are replayed first",
            config_.spool_dir.string(), recovery.records);
    }
    state_->update_spool_gauges();
    stats_.db_up.Set(0);
    thread_ = std::thread([this] { state_->run(); });
}

PositionWriter::~PositionWriter() { stop(); }

void PositionWriter::stop() {
    {
        const std::lock_guard lock(state_->mutex);
        state_->stopping = true;
    }
    state_->wake.notify_one();
    if (thread_.joinable()) thread_.join();
}

bool PositionWriter::db_up() const noexcept { return state_->connected.load(); }

std::size_t PositionWriter::queued() const {
    const std::lock_guard lock(state_->mutex);
    return state_->in_memory;
}

std::uint64_t PositionWriter::spooled_records() const { return state_->spool.depth().records; }

}  // namespace fleetwatch::storage
