// The fleet as stored, for the HTTP API's fleet routes and for building the rule engine from
// the database: the whole fleet as the fleet file's JSON (deploy/demo-fleet.yaml's format, so
// fleet::parse_fleet_text validates it and an addition exactly as an import would), the ids of
// its rows, and read-only listings in API.md's shapes.
//
// Every function throws DatabaseError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct FleetExport {
    // {"version":1,"timezone":...,"vehicles":[...],"drivers":[...],"pledges":[...],
    //  "routes":[...],"zones":[...],"convoys":[...],"trips":[...]} — coordinates WGS-84
    // (`crs: wgs84`), rows in id order. Trips without a driver (the schema allows them; the
    // file does not) are left out.
    std::string fleet_json;
    // {"vehicles":{"<id>":"<plate>"},"drivers":{"<id>":"<license_no>"},
    //  "routes":{"<id>":{"name":..,"crs":..}},"zones":{"<id>":{"name":..,"crs":..}},
    //  "convoys":{"<id>":"<name>"}}: natural keys by id, and where a route or zone was drawn.
    std::string ids_json;
};
FleetExport export_fleet(Connection& conn);

// API.md shapes as JSON text: a JSON array of rows (`id` = nullopt) or one row (nullopt when
// there is none). `kind`: "drivers", "pledges" (of driver `parent`), "routes", "zones",
// "convoys", "trips". Routes and zones carry `geometry` as GeoJSON (WGS-84).
std::string list_fleet_rows(Connection& conn, std::string_view kind,
                            std::optional<std::int64_t> parent = std::nullopt);
std::optional<std::string> find_fleet_row(Connection& conn, std::string_view kind,
                                          std::int64_t id);

// The id of a row by its natural key after an insert ("vehicles" plate, "drivers" license_no,
// "routes"/"zones"/"convoys" name, "pledges" "<driver id>/<version>", "trips"
// "<vehicle id>/<route id>/<planned_start>").
std::optional<std::int64_t> fleet_row_id(Connection& conn, std::string_view kind,
                                         const std::string& key);

// Deletes a row of `kind` ("vehicles", "drivers", "routes", "zones", "convoys", "trips").
// Returns false when there was none; a row still referenced (a vehicle with positions, a route
// with trips, ...) throws DatabaseError with SQLSTATE 23503.
bool delete_fleet_row(Connection& conn, std::string_view kind, std::int64_t id);

}  // namespace fleetwatch::storage
