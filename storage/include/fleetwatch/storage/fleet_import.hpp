// `fleetwatch fleet import FILE`: a parsed fleet file into the database.
//
// One transaction for everything: rows are upserted by their natural keys (vehicles by plate,
// drivers by license_no, routes/zones/convoys by name, pledges by (driver, version), trips by
// (vehicle, route, planned_start)), so importing the same file again changes nothing, and a
// changed row is updated in place (ids stay). Nothing is ever deleted: a row missing from the
// file stays. The fleet's timezone goes to settings('timezone').
//
// Problems only the database can see — a terminal phone or certificate number already used by
// a row not in this file, a signed pledge version stored with different terms (pledges are
// immutable: give new terms a new version), a timezone PostgreSQL does not know — abort the
// whole import: FleetImportError lists them with the line and field of the file, and nothing
// is committed. The schema must be migrated first (migrations.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct ImportCounts {
    int inserted = 0;
    int updated = 0;
    int unchanged = 0;
    friend bool operator==(const ImportCounts&, const ImportCounts&) = default;
};

struct ImportSummary {
    ImportCounts vehicles;
    ImportCounts drivers;
    ImportCounts pledges;
    ImportCounts routes;
    ImportCounts zones;
    ImportCounts convoys;
    ImportCounts trips;
    friend bool operator==(const ImportSummary&, const ImportSummary&) = default;

    // One line per kind: "vehicles  6 (6 inserted, 0 updated, 0 unchanged)".
    std::string to_string() const;
};

class FleetImportError : public std::runtime_error {
  public:
    explicit FleetImportError(std::vector<fleet::FleetProblem> problems);
    // `file` is empty: the caller knows the file name.
    const std::vector<fleet::FleetProblem>& problems() const noexcept { return problems_; }

  private:
    std::vector<fleet::FleetProblem> problems_;
};

// Row `index` of `section` ("vehicles", "drivers", "routes", "zones", "convoys", "trips") of
// the fleet is the stored row `id`, perhaps under a new natural key (the HTTP API's PATCH).
struct StoredRow {
    std::string section;
    std::size_t index = 0;
    std::int64_t id = 0;
};

// Throws FleetImportError (nothing committed) or DatabaseError.
ImportSummary import_fleet(Connection& conn, const fleet::Fleet& fleet);
// The same, after giving `renamed` its row's natural key in the same transaction, so that the
// upsert finds it under that key and updates it in place: a changed plate, license_no, name or
// trip (vehicle, route, planned_start) keeps the row's id instead of adding a row. A key
// another row has is a FleetImportError at that row's key field ("rejected by the database");
// a row that is gone is a FleetImportError too.
ImportSummary import_fleet(Connection& conn, const fleet::Fleet& fleet, const StoredRow& renamed);
ImportSummary import_fleet(const std::string& conninfo, const fleet::Fleet& fleet);

}  // namespace fleetwatch::storage
