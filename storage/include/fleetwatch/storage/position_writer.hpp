// PositionWriter: the EventSink that makes positions (and driver card events) durable in
// PostGIS, batching them, and spooling them to disk while the database is away.
//
// Contract (core::EventSink): `submit` returning true means the events are now the writer's to
// keep. They are in memory until the writer thread commits them to PostgreSQL or appends them to
// the spool (usually within `batch_interval`); `stop()` (the SIGTERM path) puts everything still
// in memory into one or the other. What a crash of the process (SIGKILL, power loss) can lose is
// the in-memory part: at most `queue_capacity` events, normally one batch interval's worth.
//
// Data path. submit() appends to a bounded in-memory queue under a mutex and returns: it never
// touches the database. When the queue is full it appends the events to the spool itself (disk,
// not database: a stalled PostgreSQL cannot stall ingest); only when the spool is full too does
// it return false (the caller answers the terminal with a failure and the terminal retries).
// One writer thread takes batches of up to `batch_size` events, or fewer after `batch_interval`,
// and hands them to `connections` lanes (a thread and a connection each; PostgreSQL works on
// that many batches at once). Each batch is one transaction: COPY (pqxx::stream_to) into a
// temporary staging table, then INSERT INTO positions ... ON CONFLICT DO NOTHING, so a
// retransmitted report (same vehicle and GPS time) is stored once. The daily partitions a batch
// needs are created first (fleetwatch_ensure_position_partition, cached per day). Results are
// taken back in hand-out order; lanes may commit out of order, which the table does not mind.
// A batch with driver card events runs alone, so card events commit in order.
//
// Outage. On any database error the batch goes to the spool, the database is marked down
// (db_up gauge 0, one warning log with the reason), and from then on the writer drains the
// queue into the spool while it reconnects with exponential back-off. When the database is
// back, the spool is replayed in order, in batches, before anything newer; a segment is deleted
// only after the transaction holding its last records committed. Records replayed twice (a crash
// mid-replay) are deduplicated by the primary key.
//
// Threads. submit() and flush() are thread-safe. stop() is called once, by the owner, after the
// producers stopped submitting (later submits return false). The destructor calls stop().
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/position.hpp"

namespace spdlog {
class logger;
}

namespace fleetwatch::storage {

struct PositionWriterConfig {
    std::string conninfo;                           // libpq connection string or postgresql:// URI
    std::size_t batch_size = 5000;                  // events per transaction, at most
    std::chrono::milliseconds batch_interval{100};  // a partial batch waits no longer
    std::size_t queue_capacity = 200'000;           // events held in memory, at most
    std::size_t connections = 2;  // batches written at once, one connection each (lanes)
    std::filesystem::path spool_dir = "/var/lib/fleetwatch/spool";
    std::uint64_t spool_max_bytes = 1ULL << 30;  // about 17 million positions
    std::uint64_t spool_segment_bytes = 16ULL << 20;
    bool spool_sync = true;  // fdatasync per spooled batch
    std::chrono::milliseconds reconnect_initial_backoff{200};
    std::chrono::milliseconds reconnect_max_backoff{5'000};
    std::chrono::seconds connect_timeout{5};     // added to conninfo unless it has one
    std::chrono::seconds statement_timeout{60};  // per statement, 0 = server default
    std::shared_ptr<spdlog::logger> logger;      // nullptr: spdlog's default logger
};

// The writer's metrics, registered once; the hot path only touches these references.
struct WriterStats {
    explicit WriterStats(prometheus::Registry& registry);

    prometheus::Counter& positions_accepted;   // submit() returned true
    prometheus::Counter& positions_stored;     // inserted into positions
    prometheus::Counter& positions_duplicate;  // already there (retransmits, replays)
    prometheus::Counter& positions_spooled;    // appended to the spool
    prometheus::Counter& positions_replayed;   // read back from the spool and committed
    prometheus::Counter& driver_card_events_accepted;
    prometheus::Counter& driver_card_events_stored;
    prometheus::Histogram& batch_size;          // events per committed transaction
    prometheus::Histogram& batch_seconds;       // one batch: partitions + COPY + INSERT + commit
    prometheus::Gauge& queue_depth;             // events in memory, not yet durable
    prometheus::Gauge& spool_records;           // pending in the spool
    prometheus::Gauge& spool_bytes;             // segment files on disk
    prometheus::Gauge& db_up;                   // 1 connected and writing, 0 spooling
    prometheus::Counter& refused_spool_full;    // submit() false: queue and spool full
    prometheus::Counter& refused_stopped;       // submit() false: after stop()
    prometheus::Counter& errors_connect;        // could not connect
    prometheus::Counter& errors_write;          // a batch transaction failed
    prometheus::Counter& errors_spool_io;       // the spool could not be written
    prometheus::Counter& errors_spool_corrupt;  // records the spool could not give back
    prometheus::Counter& errors_card_event_rejected;  // the database refused its content
};

class PositionWriter final : public core::EventSink {
  public:
    // Opens the spool (throws if it cannot: a start-up error) and starts the writer thread,
    // which connects in the background; submit() works at once, database or not.
    PositionWriter(PositionWriterConfig config, prometheus::Registry& registry);
    ~PositionWriter() override;
    PositionWriter(const PositionWriter&) = delete;
    PositionWriter& operator=(const PositionWriter&) = delete;

    bool submit(std::span<const core::Position> positions) override;
    bool submit(const core::DriverCardEvent& event) override;
    // Liveness is judged by the rules (terminal_offline); nothing is stored for a heartbeat.
    void contact(core::VehicleId, core::Timestamp) override {}

    // Waits until everything submitted before the call is committed to the database or in the
    // spool. False on timeout.
    bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds{30'000});

    // Stops accepting, writes what is in memory to the database (when it is up and the spool is
    // empty) or else to the spool (beyond spool_max_bytes if it must), and joins the thread.
    // Idempotent. Call it before destroying what submit()'s callers use, after they stopped.
    void stop();

    // Observers, for tests and the status page.
    bool db_up() const noexcept;
    std::size_t queued() const;
    std::uint64_t spooled_records() const;

    const PositionWriterConfig& config() const noexcept { return config_; }

  private:
    struct State;

    PositionWriterConfig config_;
    WriterStats stats_;
    std::unique_ptr<State> state_;
    std::thread thread_;
};

}  // namespace fleetwatch::storage
