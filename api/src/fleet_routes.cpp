// The fleet routes (API.md "Fleet"): create, read and delete vehicles, drivers, pledges,
// routes, zones, convoys and trips.
//
// A create is validated exactly as `fleetwatch fleet import` validates a file: the stored fleet
// is exported in the fleet file's format (storage::export_fleet), the new row is appended to
// its section, and fleet::parse_fleet_text checks the whole (required fields, ranges, CRS
// conversion to WGS-84, duplicate keys, references, pledges against the law with the school-bus
// maximum). Its problems about the new row become API errors naming the request's field; the
// result is imported in one transaction (storage::import_fleet upserts by natural key, so the
// rows already stored are unchanged).
//
// A change (PATCH) goes the same way: the stored row is taken out of the export, the request's
// members are merged into it (null clears a field), it is appended again and the whole is
// parsed. A changed natural key (a plate, a name, a trip's vehicle, route or start) is given to
// the stored row in the import's transaction before the upserts (storage::StoredRow), so the
// row keeps its id; the export's references to the old key follow it.
#include "fleet_routes.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <tuple>

#include "fleetwatch/api/router.hpp"
#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/storage/fleet_import.hpp"
#include "fleetwatch/storage/fleet_queries.hpp"
#include "fleetwatch/storage/vehicle_queries.hpp"

namespace fleetwatch::api {
namespace {

using nlohmann::json;

const std::vector<Role> kReaders{Role::admin, Role::dispatcher, Role::manager};
const std::vector<Role> kAdmin{Role::admin};
const std::vector<Role> kPledgeWriters{Role::admin, Role::manager};
const std::vector<Role> kTripWriters{Role::admin, Role::dispatcher};

// Request fields the fleet file names otherwise: (section, file field) -> request field.
const std::map<std::pair<std::string_view, std::string_view>, std::string_view>& renamed_fields() {
    static const std::map<std::pair<std::string_view, std::string_view>, std::string_view>
        kRenamed{{{"routes", "points"}, "geometry"},  {{"zones", "polygon"}, "geometry"},
                 {{"trips", "vehicle"}, "vehicle_id"}, {{"trips", "driver"}, "driver_id"},
                 {{"trips", "route"}, "route_id"},     {{"trips", "convoy"}, "convoy_id"},
                 {{"pledges", "driver"}, "driver_id"}};
    return kRenamed;
}

// A request field for a fleet file field of `section`.
std::string api_field(std::string_view section, const std::string& file_field) {
    const std::string head = file_field.substr(0, file_field.find_first_of(".["));
    if (const auto it = renamed_fields().find({section, head}); it != renamed_fields().end()) {
        return std::string(it->second) + file_field.substr(head.size());
    }
    return file_field;
}

// The fleet file's field for a request member of `section` ("geometry" of a route: "points").
std::string file_field(std::string_view section, const std::string& member) {
    for (const auto& [file, api] : renamed_fields()) {
        if (file.first == section && api == member) return std::string(file.second);
    }
    return member;
}

// The file's own names of renamed fields ("points", a trip's "vehicle") are not request fields.
void check_member_names(std::string_view section, const json& body) {
    for (const auto& [k, v] : body.items()) {
        if (api_field(section, k) != k) {
            throw ApiError(
                400, "invalid_parameter",
                k + ": unknown field (the request calls it " + api_field(section, k) + ")", k);
        }
    }
}

// A problem's message without the file's line numbers.
std::string api_message(std::string message) {
    static const std::regex kLine(R"( \(line \d+\))");
    message = std::regex_replace(message, kLine, "");
    static const std::regex kFile(" in this file");
    return std::regex_replace(message, kFile, "");
}

// The API error for the first problem; `index` is the new row in `section`.
[[noreturn]] void throw_problem(const std::vector<fleet::FleetProblem>& problems,
                                std::string_view section, std::size_t index) {
    const std::string prefix = std::string(section) + "[" + std::to_string(index) + "]";
    const fleet::FleetProblem* first = nullptr;
    for (const auto& p : problems) {
        if (p.field.starts_with(prefix)) {
            first = &p;
            break;
        }
    }
    if (first == nullptr) {
        throw ApiError(409, "conflict",
                       "with this row the fleet does not validate: " + problems.front().field +
                           ": " + api_message(problems.front().message));
    }
    std::string field = first->field.substr(prefix.size());
    if (field.starts_with(".")) field.erase(0, 1);
    field = api_field(section, field);
    const std::string message = api_message(first->message);
    if (message.find("looser than") != std::string::npos) {
        throw ApiError(422, "looser_than_law", field + ": " + message, field);
    }
    // "... is already defined by ..." (the file's duplicate check), "... already used by ..."
    // and "rejected by the database" (the import's).
    if (message.find("already") != std::string::npos ||
        message.find("rejected by the database") != std::string::npos) {
        throw ApiError(409, "conflict", field + ": " + message, field);
    }
    throw ApiError(400, "invalid_parameter", (field.empty() ? "" : field + ": ") + message, field);
}

// The body without null members (a null means "not set", as an absent key in the file).
json without_nulls(const json& body) {
    json out = json::object();
    for (const auto& [k, v] : body.items()) {
        if (!v.is_null()) out[k] = v;
    }
    return out;
}

// A scalar as the fleet file reads it (YAML scalars are text): "苏A1", 123 -> "123".
std::string scalar_text(const json& body, const char* key) {
    const auto it = body.find(key);
    if (it == body.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    return {};
}

// Moves `key` of `from` to `to[as]` when present.
void carry(const json& from, json& to, const char* key, const char* as = nullptr) {
    if (const auto it = from.find(key); it != from.end() && !it->is_null()) to[as ? as : key] = *it;
}

// GeoJSON `geometry` (a geometry, or a Feature holding one) of the wanted type: its coordinates.
json geometry_coordinates(const json& body, std::string_view type) {
    const auto it = body.find("geometry");
    if (it == body.end() || !it->is_object()) {
        throw ApiError(400, "invalid_parameter",
                       "geometry must be a GeoJSON " + std::string(type), "geometry");
    }
    const json* g = &*it;
    if (g->value("type", "") == "Feature" && g->contains("geometry")) g = &(*g)["geometry"];
    if (!g->is_object() || g->value("type", "") != type || !g->contains("coordinates")) {
        throw ApiError(400, "invalid_parameter",
                       "geometry must be a GeoJSON " + std::string(type), "geometry");
    }
    return (*g)["coordinates"];
}

// "vehicles" -> "vehicle", for messages.
std::string singular(std::string_view kind) { return std::string(kind.substr(0, kind.size() - 1)); }

// A natural key from the export's id index, or 400 naming `field`.
json natural_key(const json& ids, const char* section, const json& body, const char* field,
                 bool optional = false) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        if (optional) return nullptr;
        throw ApiError(400, "invalid_parameter", std::string(field) + " is required", field);
    }
    if (!it->is_number_integer()) {
        throw ApiError(400, "invalid_parameter", std::string(field) + " must be an id", field);
    }
    const auto key = ids[section].find(std::to_string(it->get<std::int64_t>()));
    if (key == ids[section].end()) {
        throw ApiError(400, "invalid_parameter",
                       "no " + singular(section) + " " + std::to_string(it->get<std::int64_t>()),
                       field);
    }
    return key->is_object() ? (*key)["name"] : *key;
}

// Members the request does not know go into the row as they are: the parser reports them as it
// reports an unknown field of a file.
void carry_unknown(std::string_view section, const json& body, json& row) {
    for (const auto& [k, v] : body.items()) {
        if (file_field(section, k) == k && !row.contains(k)) row[k] = v;
    }
}

// A request body's members (none null) as fields of a row of the fleet file. `whole`: a create,
// which must give the shape (a route's geometry, a zone's geometry or circle) and gets the
// defaults; a change gives only what it changes. `ids` is the export's id index.
using ToRow = json (*)(const json& ids, const json& body, bool whole);

json same_fields(const json&, const json& body, bool) { return body; }

json route_fields(const json&, const json& body, bool whole) {
    json row = json::object();
    for (const char* key : {"name", "crs", "corridor_m", "speed_limit_kmh"}) carry(body, row, key);
    if (whole || body.contains("geometry")) {
        row["points"] = geometry_coordinates(body, "LineString");
    }
    carry_unknown("routes", body, row);
    return row;
}

json zone_fields(const json&, const json& body, bool whole) {
    json row = json::object();
    for (const char* key : {"name", "kind", "crs", "speed_limit_kmh", "circle"})
        carry(body, row, key);
    if (whole && !row.contains("kind")) row["kind"] = "other";
    if (!row.contains("circle") && (whole || body.contains("geometry"))) {
        const json rings = geometry_coordinates(body, "Polygon");
        if (!rings.is_array() || rings.empty()) {
            throw ApiError(400, "invalid_parameter", "geometry has no ring", "geometry");
        }
        row["polygon"] = rings[0];
    }
    carry_unknown("zones", body, row);
    return row;
}

json trip_fields(const json& ids, const json& body, bool whole) {
    json row = json::object();
    for (const auto& [member, section, optional] :
         {std::tuple{"vehicle_id", "vehicles", false}, std::tuple{"driver_id", "drivers", false},
          std::tuple{"route_id", "routes", false}, std::tuple{"convoy_id", "convoys", true}}) {
        if (!whole && !body.contains(member)) continue;
        if (json key = natural_key(ids, section, body, member, optional); !key.is_null()) {
            row[file_field("trips", member)] = std::move(key);
        }
    }
    for (const char* key : {"planned_start", "planned_end", "students_aboard"})
        carry(body, row, key);
    carry_unknown("trips", body, row);
    return row;
}

// A row's natural key in the file's terms (a trip's: [vehicle, route, planned_start]).
json key_of(std::string_view section, const json& row) {
    if (section == "trips") {
        return json::array({row.value("vehicle", json()), row.value("route", json()),
                            row.value("planned_start", json())});
    }
    const char* field = section == "vehicles"  ? "plate"
                        : section == "drivers" ? "license_no"
                                               : "name";
    return row.value(field, json());
}

// A changed key in the rows that refer to it (trips name their vehicle, driver, route and
// convoy; pledges their driver).
void rename_references(std::string_view section, const json& from, const json& to, json& fleet) {
    static const std::multimap<std::string_view, std::pair<const char*, const char*>> kRefs{
        {"vehicles", {"trips", "vehicle"}},
        {"drivers", {"trips", "driver"}},
        {"drivers", {"pledges", "driver"}},
        {"routes", {"trips", "route"}},
        {"convoys", {"trips", "convoy"}}};
    if (from == to) return;
    const auto [begin, end] = kRefs.equal_range(section);
    for (auto it = begin; it != end; ++it) {
        for (auto& row : fleet[it->second.first]) {
            if (row.value(it->second.second, json()) == from) row[it->second.second] = to;
        }
    }
}

// Merges a change into `row`: `fields` (the members given, in the file's terms) replace, null
// members clear. A new shape replaces the other one of a zone, and comes with its `crs` as in a
// create; a `crs` without a shape is refused (the stored shape is WGS-84 already).
void merge(std::string_view section, json& row, const json& body, const json& fields) {
    for (const auto& [k, v] : fields.items()) row[k] = v;
    for (const auto& [k, v] : body.items()) {
        if (v.is_null()) row[file_field(section, k)] = nullptr;
    }
    bool shape = false;
    for (const char* key : {"points", "polygon", "circle"}) shape = shape || fields.contains(key);
    if (section == "zones" && row.value("kind", json()).is_null())
        row["kind"] = "other";  // as a create
    if (fields.contains("circle")) row.erase("polygon");
    if (fields.contains("polygon")) row.erase("circle");
    if (shape && !body.contains("crs")) row.erase("crs");  // required with a shape
    if (!shape && body.contains("crs")) {
        throw ApiError(400, "invalid_parameter",
                       std::string("crs is the coordinate system of ") +
                           (section == "zones" ? "geometry or circle" : "geometry") +
                           ": give them together",
                       "crs");
    }
}

// A stored trip's key in the file's terms, [vehicle, route, planned_start], from its row as GET
// answers it.
json trip_key(const json& trip, const json& ids) {
    const auto name = [&](const char* section, const char* member) {
        const json key =
            ids[section].value(std::to_string(trip[member].get<std::int64_t>()), json());
        return key.is_object() ? key["name"] : key;
    };
    return json::array(
        {name("vehicles", "vehicle_id"), name("routes", "route_id"), trip["planned_start"]});
}

// A stored trip the export leaves out (it has no driver) in the file's terms.
json driverless_trip(const json& trip, const json& ids) {
    const json key = trip_key(trip, ids);
    json row = {{"vehicle", key[0]},
                {"route", key[1]},
                {"planned_start", key[2]},
                {"planned_end", trip["planned_end"]},
                {"students_aboard", trip["students_aboard"]}};
    if (trip["convoy_id"].is_number_integer()) {
        row["convoy"] = ids["convoys"][std::to_string(trip["convoy_id"].get<std::int64_t>())];
    }
    return row;
}

class FleetRoutes {
  public:
    FleetRoutes(DbPool& pool, std::function<void()> changed)
        : pool_(pool), changed_(std::move(changed)) {}

    // Validates the row appended to `section` with the stored fleet and imports the whole; returns
    // the row. `row_of(ids, fleet)` builds the row in the file's terms from the export's id index
    // (a trip names its vehicle by plate) and the stored fleet (a pledge's next version; a change
    // takes its row out), so one export serves both. `stored`: the row is that stored row (a
    // change).
    using RowOf = std::function<json(json& ids, json& fleet)>;
    json write(std::string_view section, const RowOf& row_of,
               std::optional<std::int64_t> stored = std::nullopt) {
        const std::lock_guard lock(write_mutex_);
        const auto exported =
            pool_.with([](storage::Connection& c) { return storage::export_fleet(c); });
        json fleet = json::parse(exported.fleet_json);
        json ids = json::parse(exported.ids_json);
        json row = row_of(ids, fleet);
        json& rows = fleet[std::string(section)];
        const std::size_t index = rows.size();
        rows.push_back(row);
        auto parsed = fleet::parse_fleet_text(fleet.dump(), "request");
        if (!parsed.fleet) throw_problem(parsed.problems, section, index);
        restore_source_crs(*parsed.fleet, ids);
        try {
            pool_.with([&](storage::Connection& c) {
                if (stored) {
                    storage::import_fleet(c, *parsed.fleet,
                                          storage::StoredRow{std::string(section), index, *stored});
                } else {
                    storage::import_fleet(c, *parsed.fleet);
                }
            });
        } catch (const storage::FleetImportError& e) {
            throw_problem(e.problems(), section, index);
        }
        if (changed_) changed_();
        return row;
    }

    // POST: the body as a new row of `section`; returns the row in the file's terms.
    json create(std::string_view section, const json& body, ToRow to_row) {
        check_member_names(section, body);
        return write(section, [&](const json& ids, const json&) {
            return to_row(ids, without_nulls(body), true);
        });
    }

    // PATCH: the body merged into the stored row `id` of `section` (404 when there is none).
    void change(std::string_view section, std::int64_t id, const json& body, ToRow to_row) {
        check_member_names(section, body);
        // A trip has no key in the id index: its stored row says which it is.
        const std::optional<json> trip =
            section == "trips" ? std::optional<json>(row("trips", id)) : std::nullopt;
        write(
            section,
            [&](json& ids, json& fleet) {
                const std::string s(section);
                const std::string key = std::to_string(id);
                const json old_key = trip ? trip_key(*trip, ids) : ids[s].value(key, json());
                if (old_key.is_null())
                    throw ApiError(404, "not_found", "no " + singular(s) + " " + key);
                const json old_name = old_key.is_object() ? old_key["name"] : old_key;
                json& rows = fleet[s];
                const auto at = std::find_if(rows.begin(), rows.end(), [&](const json& r) {
                    return key_of(section, r) == old_name;
                });
                json row;
                if (at != rows.end()) {
                    row = *at;
                    rows.erase(at);
                } else if (trip) {  // a stored trip without a driver is not in the export
                    row = driverless_trip(*trip, ids);
                } else {
                    throw std::runtime_error("fleet: " + singular(s) + " " + key +
                                             " is not in the export");
                }
                const json fields = to_row(ids, without_nulls(body), false);
                merge(section, row, body, fields);
                rename_references(section, old_name, key_of(section, row), fleet);
                if (old_key.is_object()) {  // a route or zone: restore_source_crs finds it by name
                    if (fields.contains("points") || fields.contains("polygon") ||
                        fields.contains("circle")) {
                        ids[s].erase(key);  // drawn anew, in the request's crs
                    } else {
                        ids[s][key]["name"] = row.value("name", json());
                    }
                }
                return row;
            },
            id);
    }

    std::int64_t id_of(std::string_view kind, const std::string& key) {
        const auto id = pool_.with(
            [&](storage::Connection& c) { return storage::fleet_row_id(c, kind, key); });
        if (!id) throw std::runtime_error("fleet: the new row of " + std::string(kind) + " is not there");
        return *id;
    }

    Response created(std::string_view kind, std::int64_t id, std::string_view path) {
        Response r = json_response(row(kind, id), 201);
        r.headers.emplace_back("Location", std::string(path) + "/" + std::to_string(id));
        return r;
    }

    json row(std::string_view kind, std::int64_t id) {
        const auto text = pool_.with(
            [&](storage::Connection& c) { return storage::find_fleet_row(c, kind, id); });
        if (!text) {
            throw ApiError(404, "not_found",
                           "no " + singular(kind) + " " + std::to_string(id));
        }
        return json::parse(*text);
    }

    Response list(std::string_view kind, std::optional<std::int64_t> parent = std::nullopt) {
        json items = json::parse(pool_.with(
            [&](storage::Connection& c) { return storage::list_fleet_rows(c, kind, parent); }));
        return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
    }

    Response remove(std::string_view kind, std::int64_t id) {
        const std::lock_guard lock(write_mutex_);
        bool deleted = false;
        try {
            deleted = pool_.with(
                [&](storage::Connection& c) { return storage::delete_fleet_row(c, kind, id); });
        } catch (const storage::DatabaseError& e) {
            if (e.sqlstate() != "23503") throw;
            throw ApiError(409, "in_use",
                           singular(kind) + " " + std::to_string(id) +
                               " is still referenced (" + e.constraint() +
                               "); remove what uses it first");
        }
        if (!deleted) {
            throw ApiError(404, "not_found", "no " + singular(kind) + " " + std::to_string(id));
        }
        if (changed_) changed_();
        Response r;
        r.status = 204;
        return r;
    }

    DbPool& pool() { return pool_; }

  private:
    // The export writes every route and zone as WGS-84 (it stores nothing else); the CRS they
    // were drawn in is kept as stored, so re-importing them changes nothing.
    static void restore_source_crs(fleet::Fleet& f, const json& ids) {
        const auto crs_of = [](const json& section, const std::string& name) -> std::optional<fleet::Crs> {
            for (const auto& [id, v] : section.items()) {
                if (v.value("name", "") != name) continue;
                const auto c = v.value("crs", "wgs84");
                if (c == "gcj02") return fleet::Crs::gcj02;
                if (c == "bd09") return fleet::Crs::bd09;
                return fleet::Crs::wgs84;
            }
            return std::nullopt;  // the new one
        };
        for (auto& r : f.routes) {
            if (auto c = crs_of(ids["routes"], r.name)) r.source_crs = *c;
        }
        for (auto& z : f.zones) {
            if (auto c = crs_of(ids["zones"], z.name)) z.source_crs = *c;
        }
    }

    DbPool& pool_;
    std::function<void()> changed_;
    // One fleet write at a time: a write imports the whole fleet it exported, so a delete
    // between another write's export and import would be undone (the row stored again), and two
    // renames could cross. Writes are rare; reads do not take it.
    std::mutex write_mutex_;
};

}  // namespace

void add_fleet_routes(Router& router, DbPool& pool, std::function<void()> changed) {
    auto fr = std::make_shared<FleetRoutes>(pool, std::move(changed));
    // POST of a row of `kind` whose id is found by the key `key_of(row)`; PATCH of one.
    const auto post = [&](const char* kind, const std::vector<Role>& roles, ToRow to_row,
                          std::string (*key)(const json& body, const json& row)) {
        const std::string path = std::string("/api/v1/") + kind;
        router.add("POST", path, roles, [fr, kind, to_row, key, path](Request& r) {
            const json body = r.json_object();
            const json row = fr->create(kind, body, to_row);
            return fr->created(kind, fr->id_of(kind, key(body, row)), path);
        });
    };
    const auto patch = [&](const char* kind, const std::vector<Role>& roles, ToRow to_row) {
        router.add("PATCH", std::string("/api/v1/") + kind + "/{id}", roles,
                   [fr, kind, to_row](Request& r) {
                       const auto id = r.id_param("id");
                       fr->change(kind, id, r.json_object(), to_row);
                       return json_response(fr->row(kind, id));
                   });
    };
    // GET of the collection and of one row, for the readers; DELETE of one.
    const auto read = [&](const char* kind) {
        const std::string path = std::string("/api/v1/") + kind;
        router.add("GET", path, kReaders, [fr, kind](Request&) { return fr->list(kind); });
        router.add("GET", path + "/{id}", kReaders, [fr, kind](Request& r) {
            return json_response(fr->row(kind, r.id_param("id")));
        });
    };
    const auto remove = [&](const char* kind, const std::vector<Role>& roles) {
        router.add("DELETE", std::string("/api/v1/") + kind + "/{id}", roles,
                   [fr, kind](Request& r) { return fr->remove(kind, r.id_param("id")); });
    };
    const auto name = [](const json&, const json& row) { return scalar_text(row, "name"); };

    // ---- vehicles (GET lives in endpoints.cpp) ----
    router.add("POST", "/api/v1/vehicles", kAdmin, [fr](Request& r) {
        const json row = fr->create("vehicles", r.json_object(), same_fields);
        const auto id = fr->id_of("vehicles", scalar_text(row, "plate"));
        const auto vehicle = visible_vehicle(fr->pool(), r.caller(), id);
        Response res = json_response(vehicle_json(vehicle), 201);
        res.headers.emplace_back("Location", "/api/v1/vehicles/" + std::to_string(id));
        return res;
    });
    router.add("PATCH", "/api/v1/vehicles/{id}", kAdmin, [fr](Request& r) {
        const auto id = r.id_param("id");
        fr->change("vehicles", id, r.json_object(), same_fields);
        return json_response(vehicle_json(visible_vehicle(fr->pool(), r.caller(), id)));
    });
    remove("vehicles", kAdmin);

    // ---- drivers and their pledges ----
    read("drivers");
    post("drivers", kAdmin, same_fields,
         [](const json&, const json& row) { return scalar_text(row, "license_no"); });
    patch("drivers", kAdmin, same_fields);
    remove("drivers", kAdmin);
    router.add("GET", "/api/v1/drivers/{id}/pledges", kReaders, [fr](Request& r) {
        const auto driver = r.id_param("id");
        (void)fr->row("drivers", driver);
        return fr->list("pledges", driver);
    });
    // Pledges are immutable (a signed version is never changed): no PATCH; new terms are POSTed
    // as the next version.
    router.add("POST", "/api/v1/drivers/{id}/pledges", kPledgeWriters, [fr](Request& r) {
        const auto driver = r.id_param("id");
        json body = without_nulls(r.json_object());
        if (body.contains("driver") || body.contains("driver_id")) {
            throw ApiError(400, "invalid_parameter", "the driver is the one in the path",
                           body.contains("driver") ? "driver" : "driver_id");
        }
        fr->write("pledges", [&](const json& ids, const json& fleet) {
            const auto license = ids["drivers"].find(std::to_string(driver));
            if (license == ids["drivers"].end()) {
                throw ApiError(404, "not_found", "no driver " + std::to_string(driver));
            }
            body["driver"] = *license;
            if (!body.contains("version")) {  // the next of this driver's
                int next = 1;
                for (const auto& p : fleet["pledges"]) {
                    if (p["driver"] == *license) next = std::max(next, p.value("version", 0) + 1);
                }
                body["version"] = next;
            }
            return body;
        });
        const std::string key = std::to_string(driver) + "/" +
                                std::to_string(body["version"].get<std::int64_t>());
        return fr->created("pledges", fr->id_of("pledges", key),
                           "/api/v1/drivers/" + std::to_string(driver) + "/pledges");
    });

    // ---- routes and zones ----
    read("routes");
    post("routes", kAdmin, route_fields, name);
    patch("routes", kAdmin, route_fields);
    remove("routes", kAdmin);
    read("zones");
    post("zones", kAdmin, zone_fields, name);
    patch("zones", kAdmin, zone_fields);
    remove("zones", kAdmin);

    // ---- convoys and trips ----
    router.add("GET", "/api/v1/convoys", kAllRoles, [fr](Request& r) {
        Response res = fr->list("convoys");
        if (r.caller().role != Role::leader) return res;
        const json all = json::parse(res.body);
        json items = json::array();
        for (const auto& c : all["items"]) {
            if (c.value("leader_username", "") == r.caller().username) items.push_back(c);
        }
        return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
    });
    router.add("GET", "/api/v1/convoys/{id}", kAllRoles, [fr](Request& r) {
        json c = fr->row("convoys", r.id_param("id"));
        if (r.caller().role == Role::leader && c.value("leader_username", "") != r.caller().username) {
            throw ApiError(403, "forbidden", "you do not lead this convoy");
        }
        return json_response(c);
    });
    post("convoys", kTripWriters, same_fields, name);
    patch("convoys", kTripWriters, same_fields);
    remove("convoys", kTripWriters);
    read("trips");
    post("trips", kTripWriters, trip_fields, [](const json& body, const json&) {
        return std::to_string(body["vehicle_id"].get<std::int64_t>()) + "/" +
               std::to_string(body["route_id"].get<std::int64_t>()) + "/" +
               scalar_text(body, "planned_start");
    });
    patch("trips", kTripWriters, trip_fields);
    remove("trips", kTripWriters);
}

}  // namespace fleetwatch::api
