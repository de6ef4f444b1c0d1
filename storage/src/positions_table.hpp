// The positions table as the writer sees it: one connection, a temporary staging table, and
// one transaction per batch. Private to storage; used only by the writer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <pqxx/connection>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/position.hpp"

namespace fleetwatch::storage::detail {

// `conninfo` with `connect_timeout=<seconds>` added unless it already names one.
std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds timeout);

// A short, single-line description of a database exception for logs and error reasons.
std::string describe_db_error(const std::exception& e);

struct RejectedCardEvent {
    const core::DriverCardEvent* event = nullptr;  // into the batch written
    std::string reason;
};

struct BatchResult {
    std::size_t inserted = 0;    // new rows in positions
    std::size_t duplicates = 0;  // rows that were there already
    std::size_t card_events_stored = 0;
    // Card events the database can never take (unknown vehicle, a constraint): rolled back to
    // their savepoint so the rest of the batch commits. Not retried.
    std::vector<RejectedCardEvent> card_events_rejected;
};

class PositionsTable {
  public:
    // Connects and prepares the session. Throws pqxx exceptions.
    PositionsTable(const std::string& conninfo, std::chrono::seconds statement_timeout);

    // Writes one batch in one transaction: the partitions it needs, the positions (COPY into
    // staging, INSERT ... ON CONFLICT DO NOTHING) and the driver card events, each under a
    // savepoint. All or nothing, except card events rejected for their content (see
    // BatchResult); throws pqxx exceptions, after which the object should be dropped.
    BatchResult write(std::span<const core::Position> positions,
                      std::span<const core::DriverCardEvent> card_events);

  private:
    void ensure_partitions(std::span<const core::Position> positions);

    pqxx::connection conn_;
    std::unordered_set<std::int64_t> known_days_;  // days since 1970-01-01 (UTC)
};

}  // namespace fleetwatch::storage::detail
