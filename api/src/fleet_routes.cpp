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
#include "fleet_routes.hpp"

#include <functional>
#include <map>
#include <regex>

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

// A request field for a fleet file field of `section`.
std::string api_field(std::string_view section, const std::string& file_field) {
    static const std::map<std::pair<std::string_view, std::string_view>, std::string_view>
        kRenamed{{{"routes", "points"}, "geometry"},  {{"zones", "polygon"}, "geometry"},
                 {{"trips", "vehicle"}, "vehicle_id"}, {{"trips", "driver"}, "driver_id"},
                 {{"trips", "route"}, "route_id"},     {{"trips", "convoy"}, "convoy_id"},
                 {{"pledges", "driver"}, "driver_id"}};
    const std::string head = file_field.substr(0, file_field.find_first_of(".["));
    if (const auto it = kRenamed.find({section, head}); it != kRenamed.end()) {
        return std::string(it->second) + file_field.substr(head.size());
    }
    return file_field;
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
                       "the stored fleet does not validate: " + problems.front().field + ": " +
                           api_message(problems.front().message));
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

class FleetRoutes {
  public:
    explicit FleetRoutes(DbPool& pool) : pool_(pool) {}

    // Validates the row appended to `section` with the stored fleet and imports the whole.
    // `row_of(ids, fleet)` builds the row in the file's terms from the export's id index (a trip
    // names its vehicle by plate) and the stored fleet (a pledge's next version), so one export
    // serves both.
    using RowOf = std::function<json(const json& ids, const json& fleet)>;
    void create(std::string_view section, const RowOf& row_of) {
        const auto stored = pool_.with([](storage::Connection& c) { return storage::export_fleet(c); });
        json fleet = json::parse(stored.fleet_json);
        const json ids = json::parse(stored.ids_json);
        json& rows = fleet[std::string(section)];
        const std::size_t index = rows.size();
        json row = row_of(ids, fleet);
        rows.push_back(std::move(row));
        auto parsed = fleet::parse_fleet_text(fleet.dump(), "request");
        if (!parsed.fleet) throw_problem(parsed.problems, section, index);
        restore_source_crs(*parsed.fleet, ids);
        try {
            pool_.with([&](storage::Connection& c) { storage::import_fleet(c, *parsed.fleet); });
        } catch (const storage::FleetImportError& e) {
            throw_problem(e.problems(), section, index);
        }
    }

    void create(std::string_view section, const json& row) {
        create(section, [&row](const json&, const json&) { return row; });
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
};

}  // namespace

void add_fleet_routes(Router& router, DbPool& pool) {
    auto fr = std::make_shared<FleetRoutes>(pool);

    // ---- vehicles (GET lives in endpoints.cpp) ----
    router.add("POST", "/api/v1/vehicles", kAdmin, [fr](Request& r) {
        json body = without_nulls(r.json_object());
        fr->create("vehicles", body);
        const auto id = fr->id_of("vehicles", scalar_text(body, "plate"));
        const auto vehicle = visible_vehicle(fr->pool(), r.caller(), id);
        Response res = json_response(vehicle_json(vehicle), 201);
        res.headers.emplace_back("Location", "/api/v1/vehicles/" + std::to_string(id));
        return res;
    });
    router.add("DELETE", "/api/v1/vehicles/{id}", kAdmin,
               [fr](Request& r) { return fr->remove("vehicles", r.id_param("id")); });

    // ---- drivers and their pledges ----
    router.add("GET", "/api/v1/drivers", kReaders, [fr](Request&) { return fr->list("drivers"); });
    router.add("GET", "/api/v1/drivers/{id}", kReaders,
               [fr](Request& r) { return json_response(fr->row("drivers", r.id_param("id"))); });
    router.add("POST", "/api/v1/drivers", kAdmin, [fr](Request& r) {
        const json body = without_nulls(r.json_object());
        fr->create("drivers", body);
        return fr->created("drivers", fr->id_of("drivers", scalar_text(body, "license_no")),
                           "/api/v1/drivers");
    });
    router.add("DELETE", "/api/v1/drivers/{id}", kAdmin,
               [fr](Request& r) { return fr->remove("drivers", r.id_param("id")); });
    router.add("GET", "/api/v1/drivers/{id}/pledges", kReaders, [fr](Request& r) {
        const auto driver = r.id_param("id");
        (void)fr->row("drivers", driver);
        return fr->list("pledges", driver);
    });
    router.add("POST", "/api/v1/drivers/{id}/pledges", kPledgeWriters, [fr](Request& r) {
        const auto driver = r.id_param("id");
        json body = without_nulls(r.json_object());
        if (body.contains("driver") || body.contains("driver_id")) {
            throw ApiError(400, "invalid_parameter", "the driver is the one in the path",
                           body.contains("driver") ? "driver" : "driver_id");
        }
        fr->create("pledges", [&](const json& ids, const json& fleet) {
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
    router.add("GET", "/api/v1/routes", kReaders, [fr](Request&) { return fr->list("routes"); });
    router.add("GET", "/api/v1/routes/{id}", kReaders,
               [fr](Request& r) { return json_response(fr->row("routes", r.id_param("id"))); });
    router.add("POST", "/api/v1/routes", kAdmin, [fr](Request& r) {
        const json body = r.json_object();
        json row = json::object();
        for (const char* key : {"name", "crs", "corridor_m", "speed_limit_kmh"}) carry(body, row, key);
        row["points"] = geometry_coordinates(body, "LineString");
        for (const auto& [k, v] : body.items()) {
            if (!row.contains(k) && k != "geometry" && !v.is_null()) row[k] = v;  // reported
        }
        fr->create("routes", row);
        return fr->created("routes", fr->id_of("routes", scalar_text(row, "name")), "/api/v1/routes");
    });
    router.add("DELETE", "/api/v1/routes/{id}", kAdmin,
               [fr](Request& r) { return fr->remove("routes", r.id_param("id")); });
    router.add("GET", "/api/v1/zones", kReaders, [fr](Request&) { return fr->list("zones"); });
    router.add("GET", "/api/v1/zones/{id}", kReaders,
               [fr](Request& r) { return json_response(fr->row("zones", r.id_param("id"))); });
    router.add("POST", "/api/v1/zones", kAdmin, [fr](Request& r) {
        const json body = r.json_object();
        json row = json::object();
        for (const char* key : {"name", "kind", "crs", "speed_limit_kmh", "circle"}) carry(body, row, key);
        if (!row.contains("kind")) row["kind"] = "other";
        if (!row.contains("circle")) {
            const json rings = geometry_coordinates(body, "Polygon");
            if (!rings.is_array() || rings.empty()) {
                throw ApiError(400, "invalid_parameter", "geometry has no ring", "geometry");
            }
            row["polygon"] = rings[0];
        }
        for (const auto& [k, v] : body.items()) {
            if (!row.contains(k) && k != "geometry" && !v.is_null()) row[k] = v;  // reported
        }
        fr->create("zones", row);
        return fr->created("zones", fr->id_of("zones", scalar_text(row, "name")), "/api/v1/zones");
    });
    router.add("DELETE", "/api/v1/zones/{id}", kAdmin,
               [fr](Request& r) { return fr->remove("zones", r.id_param("id")); });

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
    router.add("POST", "/api/v1/convoys", kTripWriters, [fr](Request& r) {
        const json body = without_nulls(r.json_object());
        fr->create("convoys", body);
        return fr->created("convoys", fr->id_of("convoys", scalar_text(body, "name")),
                           "/api/v1/convoys");
    });
    router.add("DELETE", "/api/v1/convoys/{id}", kTripWriters,
               [fr](Request& r) { return fr->remove("convoys", r.id_param("id")); });
    router.add("GET", "/api/v1/trips", kReaders, [fr](Request&) { return fr->list("trips"); });
    router.add("GET", "/api/v1/trips/{id}", kReaders,
               [fr](Request& r) { return json_response(fr->row("trips", r.id_param("id"))); });
    router.add("POST", "/api/v1/trips", kTripWriters, [fr](Request& r) {
        const json body = r.json_object();
        fr->create("trips", [&body](const json& ids, const json&) {
            json row = json::object();
            row["vehicle"] = natural_key(ids, "vehicles", body, "vehicle_id");
            row["driver"] = natural_key(ids, "drivers", body, "driver_id");
            row["route"] = natural_key(ids, "routes", body, "route_id");
            if (json convoy = natural_key(ids, "convoys", body, "convoy_id", true);
                !convoy.is_null()) {
                row["convoy"] = std::move(convoy);
            }
            for (const char* key : {"planned_start", "planned_end", "students_aboard"}) {
                carry(body, row, key);
            }
            for (const auto& [k, v] : body.items()) {
                if (!k.ends_with("_id") && !row.contains(k) && !v.is_null()) row[k] = v;  // reported
            }
            return row;
        });
        const std::string key = std::to_string(body["vehicle_id"].get<std::int64_t>()) + "/" +
                                std::to_string(body["route_id"].get<std::int64_t>()) + "/" +
                                scalar_text(body, "planned_start");
        return fr->created("trips", fr->id_of("trips", key), "/api/v1/trips");
    });
    router.add("DELETE", "/api/v1/trips/{id}", kTripWriters,
               [fr](Request& r) { return fr->remove("trips", r.id_param("id")); });
}

}  // namespace fleetwatch::api
